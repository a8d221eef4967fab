import { NODIS_VERSION } from '../../version.js';
import { formatDouble17g } from '../../util/format.js';
import type { Value } from '../../types/value.js';
import type { List } from '../../types/list.js';
import type { SetValue } from '../../types/set.js';
import type { HashValue } from '../../types/hash.js';
import type { ZSet } from '../../types/zset.js';
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_INT8,
  RDB_ENC_LZF,
  RDB_ENCVAL,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_VERSION,
  RdbError,
} from './constants.js';
import { Crc64 } from './crc64.js';
import { writeIntset } from './intset.js';
import { ListpackBuilder, canonicalInt } from './listpack.js';
import { lzfCompress } from './lzf.js';
import { ByteSink } from './sink.js';

export interface ValueEncoderOptions {
  /** rdbcompression: LZF-compress strings longer than 20 bytes when that saves 4 bytes or more. */
  compression?: boolean;
  /**
   * list-max-listpack-size: how big a quicklist node may grow (-1..-5: 4 to 64 KB; a positive
   * number: that many elements, within 8 KB).
   */
  listMaxListpackSize?: number;
  /** A list element this long or longer gets a node of its own, unpacked (Redis: 1 GB). */
  listPackedThreshold?: number;
}

/** quicklist's size classes for a negative list-max-listpack-size. */
const NODE_SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
/** What a count-limited node may not exceed in bytes anyway (SIZE_SAFETY_LIMIT). */
const NODE_SAFETY_LIMIT = 8192;
/** quicklist's estimate of an entry's overhead when deciding whether it fits a node. */
const NODE_ENTRY_OVERHEAD = 8;
const FILL_MAX = (1 << 15) - 1;
/** Redis's double2ll accepts integral doubles within ±LLONG_MAX/2. */
const DOUBLE_AS_INT_LIMIT = 4611686018427387904;

/** Whether a quicklist node of `nodeBytes` and `nodeCount` entries takes one more of `size` bytes. */
function nodeAllowsInsert(nodeBytes: number, nodeCount: number, size: number, fill: number): boolean {
  const newSize = nodeBytes + size + NODE_ENTRY_OVERHEAD;
  if (fill < 0 && newSize <= (NODE_SIZE_LIMITS[-fill - 1] as number)) return true;
  if (newSize > NODE_SAFETY_LIMIT) return false;
  return nodeCount < fill;
}

/** The RDB type byte a value is saved under, following its in-memory encoding as Redis does. */
export function rdbTypeOf(value: Value): number {
  if (typeof value === 'string') return RDB_TYPE_STRING;
  switch (value.type) {
    case 'list':
      return RDB_TYPE_LIST_QUICKLIST_2;
    case 'set':
      return (value as SetValue).isCompact() ? RDB_TYPE_SET_INTSET : RDB_TYPE_SET;
    case 'zset':
      return (value as ZSet).compact ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2;
    case 'hash':
      return (value as HashValue).isCompact() ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH;
    default:
      throw new RdbError(`values of type ${value.type} cannot be saved yet`);
  }
}

/**
 * Serializes values the way Redis 7.0's rdbSaveObject does. It owns scratch buffers (the bytes
 * of a long string before compression, the listpacks of a collection) that it reuses from one
 * value to the next.
 */
export class ValueEncoder {
  private readonly compression: boolean;
  private readonly fill: number;
  private readonly packedThreshold: number;
  /** Listpacks and intsets are assembled here before being written as strings. */
  private readonly packs = new ByteSink(4096);
  private readonly listpack = new ListpackBuilder(this.packs);
  /** The bytes of a string about to be compressed. */
  private raw = Buffer.allocUnsafe(1024);
  private compressed = Buffer.allocUnsafe(1024);
  private readonly nodeStarts: number[] = [];
  private readonly nodeEnds: number[] = [];

  constructor(options: ValueEncoderOptions = {}) {
    this.compression = options.compression ?? true;
    const fill = Math.trunc(options.listMaxListpackSize ?? -2);
    this.fill = fill > FILL_MAX ? FILL_MAX : fill < -5 ? -5 : fill;
    this.packedThreshold = options.listPackedThreshold ?? 1 << 30;
  }

  /** A string as rdbSaveRawString writes it: an integer, LZF-compressed, or verbatim. */
  writeString(sink: ByteSink, s: string): void {
    const n = s.length;
    if (n <= 11 && n > 0) {
      const c = s.charCodeAt(0);
      if ((c >= 48 && c <= 57) || c === 45) {
        const v = canonicalInt(s);
        if (typeof v === 'number' && v >= -2147483648 && v <= 2147483647) {
          writeEncodedInt(sink, v);
          return;
        }
      }
    }
    if (this.compression && n > 20) {
      if (this.raw.length < n) this.raw = Buffer.allocUnsafe(Math.max(n, this.raw.length * 2));
      this.raw.latin1Write(s, 0, n);
      if (this.tryCompressed(sink, this.raw, 0, n)) return;
      sink.len(n);
      sink.bytes(this.raw, 0, n);
      return;
    }
    sink.len(n);
    sink.latin1(s);
  }

  /** A binary blob (listpack, intset) as a string: compressed when that pays. */
  writeBlob(sink: ByteSink, src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.compression && n > 20 && this.tryCompressed(sink, src, start, n)) return;
    sink.len(n);
    sink.bytes(src, start, end);
  }

  /** Writes the LZF form of src[start, start + n) if it saves at least 4 bytes. */
  private tryCompressed(sink: ByteSink, src: Buffer, start: number, n: number): boolean {
    const limit = n - 4;
    if (this.compressed.length < limit) this.compressed = Buffer.allocUnsafe(Math.max(limit, this.compressed.length * 2));
    const size = lzfCompress(src, start, n, this.compressed, 0, limit);
    if (size === 0) return false;
    sink.byte((RDB_ENCVAL << 6) | RDB_ENC_LZF);
    sink.len(size);
    sink.len(n);
    sink.bytes(this.compressed, 0, size);
    return true;
  }

  /** The value's body, after its type byte (rdbSaveObject). */
  writeValue(sink: ByteSink, value: Value): void {
    if (typeof value === 'string') {
      this.writeString(sink, value);
      return;
    }
    switch (value.type) {
      case 'list':
        this.writeList(sink, value as List);
        return;
      case 'set':
        this.writeSet(sink, value as SetValue);
        return;
      case 'zset':
        this.writeZSet(sink, value as ZSet);
        return;
      case 'hash':
        this.writeHash(sink, value as HashValue);
        return;
      default:
        throw new RdbError(`values of type ${value.type} cannot be saved yet`);
    }
  }

  /** A quicklist of listpack nodes, split as RPUSHing the elements in order would split it. */
  private writeList(sink: ByteSink, list: List): void {
    const packs = this.packs;
    const lp = this.listpack;
    const starts = this.nodeStarts;
    const ends = this.nodeEnds;
    packs.clear();
    starts.length = 0;
    ends.length = 0;
    let open = false;
    const n = list.size;
    for (let i = 0; i < n; i++) {
      const element = list.get(i);
      const size = element.length;
      if (size >= this.packedThreshold) {
        if (open) {
          lp.end();
          ends.push(packs.pos);
          open = false;
        }
        starts.push(-1 - i); // a plain node: the element itself
        ends.push(0);
        continue;
      }
      if (!open || !nodeAllowsInsert(lp.bytes, lp.count, size, this.fill)) {
        if (open) {
          lp.end();
          ends.push(packs.pos);
        }
        lp.begin();
        starts.push(lp.offset);
        open = true;
      }
      lp.appendString(element);
    }
    if (open) {
      lp.end();
      ends.push(packs.pos);
    }
    sink.len(starts.length);
    for (let k = 0; k < starts.length; k++) {
      const start = starts[k] as number;
      if (start < 0) {
        sink.len(QUICKLIST_NODE_CONTAINER_PLAIN);
        this.writeString(sink, list.get(-1 - start));
      } else {
        sink.len(QUICKLIST_NODE_CONTAINER_PACKED);
        this.writeBlob(sink, packs.buf, start, ends[k] as number);
      }
    }
    packs.clear();
  }

  private writeSet(sink: ByteSink, set: SetValue): void {
    const n = set.size;
    if (set.isCompact()) {
      const packs = this.packs;
      packs.clear();
      writeIntset(packs, n, (i) => set.memberAt(i));
      this.writeBlob(sink, packs.buf, 0, packs.pos);
      packs.clear();
      return;
    }
    sink.len(n);
    for (let i = 0; i < n; i++) this.writeString(sink, set.memberAt(i));
  }

  private writeHash(sink: ByteSink, hash: HashValue): void {
    const n = hash.size;
    if (hash.isCompact()) {
      const packs = this.packs;
      const lp = this.listpack;
      packs.clear();
      lp.begin();
      for (let i = 0; i < n; i++) {
        lp.appendString(hash.fieldAt(i));
        lp.appendString(hash.valueAt(i));
      }
      lp.end();
      this.writeBlob(sink, packs.buf, 0, packs.pos);
      packs.clear();
      return;
    }
    sink.len(n);
    for (let i = 0; i < n; i++) {
      this.writeString(sink, hash.fieldAt(i));
      this.writeString(sink, hash.valueAt(i));
    }
  }

  private writeZSet(sink: ByteSink, zset: ZSet): void {
    if (zset.compact) {
      const packs = this.packs;
      const lp = this.listpack;
      packs.clear();
      lp.begin();
      for (let x = zset.zsl.first; x !== null; x = x.next) {
        lp.appendString(x.member);
        // Like zzlInsertAt: an integral score within ±2^62 as an integer, else "%.17g" text.
        const score = x.score;
        if (Number.isInteger(score) && score >= -DOUBLE_AS_INT_LIMIT && score <= DOUBLE_AS_INT_LIMIT) {
          if (Number.isSafeInteger(score)) lp.appendInteger(score === 0 ? 0 : score);
          else lp.appendBigInt(BigInt(score));
        } else {
          lp.appendString(formatDouble17g(score));
        }
      }
      lp.end();
      this.writeBlob(sink, packs.buf, 0, packs.pos);
      packs.clear();
      return;
    }
    // Highest first, as Redis saves a skiplist (loading then always inserts at the head).
    sink.len(zset.size);
    for (let x = zset.zsl.tail; x !== null; x = x.backward) {
      this.writeString(sink, x.member);
      sink.f64le(x.score);
    }
  }
}

/** An integer within 32 bits as an RDB "encoded" string (rdbEncodeInteger). */
function writeEncodedInt(sink: ByteSink, v: number): void {
  sink.ensure(5);
  const buf = sink.buf;
  let p = sink.pos;
  if (v >= -128 && v <= 127) {
    buf[p++] = (RDB_ENCVAL << 6) | RDB_ENC_INT8;
    buf[p++] = v & 0xff;
  } else if (v >= -32768 && v <= 32767) {
    buf[p++] = (RDB_ENCVAL << 6) | RDB_ENC_INT16;
    buf.writeInt16LE(v, p);
    p += 2;
  } else {
    buf[p++] = (RDB_ENCVAL << 6) | RDB_ENC_INT32;
    buf.writeInt32LE(v, p);
    p += 4;
  }
  sink.pos = p;
}

export interface RdbWriterOptions extends ValueEncoderOptions {
  /** rdbchecksum: end the file with a CRC64 (else 8 zero bytes, which loaders do not check). */
  checksum?: boolean;
}

/** The AUX fields Redis 7.0 writes after the magic. */
export interface RdbHeaderFields {
  /** redis-ver (default: the version nodis behaves as). */
  redisVersion?: string;
  /** redis-bits (default 64). */
  redisBits?: number;
  /** ctime: the save time in seconds (default: now). */
  ctime?: number;
  /** used-mem: bytes in use when saving (default 0). */
  usedMem?: number;
  /** Replication state, written for replicas and by a replica (repl-stream-db, repl-id, repl-offset). */
  replication?: { streamDb: number; replId: string; offset: number };
  /** aof-base: this file is the base of a multi-part AOF (default false). */
  aofBase?: boolean;
}

/** What is saved beside a key: its expiry and, under an LRU or LFU policy, its access record. */
export interface KeyMetadata {
  /** Absolute expiry time in ms, when the key has one. */
  expireAt?: number;
  /** Seconds since the last access (saved under an LRU maxmemory-policy). */
  idleSeconds?: number;
  /** The LFU counter, 0..255 (saved under an LFU maxmemory-policy). */
  lfuFreq?: number;
}

/**
 * Writes an RDB file (version 10, as Redis 7.0) piece by piece: header(), then per database
 * selectDb() and key() for each key, then end(). Bytes accumulate in one growing buffer;
 * flush() hands out what was written so far (a BGSAVE writes one slice of keys at a time) and
 * end() returns the last chunk, checksum included.
 */
export class RdbWriter {
  private readonly out = new ByteSink();
  private readonly encoder: ValueEncoder;
  private readonly crc: Crc64 | null;
  private ended = false;

  constructor(options: RdbWriterOptions = {}) {
    this.encoder = new ValueEncoder(options);
    this.crc = options.checksum === false ? null : new Crc64();
  }

  /** Bytes written and not yet flushed. */
  get pendingBytes(): number {
    return this.out.pos;
  }

  /** The magic "REDIS0010" and the AUX fields (rdbSaveInfoAuxFields). */
  header(fields: RdbHeaderFields = {}): void {
    this.out.latin1(`REDIS${String(RDB_VERSION).padStart(4, '0')}`);
    this.aux('redis-ver', fields.redisVersion ?? NODIS_VERSION);
    this.aux('redis-bits', String(fields.redisBits ?? 64));
    this.aux('ctime', String(fields.ctime ?? Math.floor(Date.now() / 1000)));
    this.aux('used-mem', String(fields.usedMem ?? 0));
    const repl = fields.replication;
    if (repl !== undefined) {
      this.aux('repl-stream-db', String(repl.streamDb));
      this.aux('repl-id', repl.replId);
      this.aux('repl-offset', String(repl.offset));
    }
    this.aux('aof-base', fields.aofBase === true ? '1' : '0');
  }

  aux(key: string, value: string): void {
    this.out.byte(RDB_OPCODE_AUX);
    this.encoder.writeString(this.out, key);
    this.encoder.writeString(this.out, value);
  }

  /** Starts database `id`, with its key count and the number of keys with an expiry. */
  selectDb(id: number, size: number, expiresSize: number): void {
    const out = this.out;
    out.byte(RDB_OPCODE_SELECTDB);
    out.len(id);
    out.byte(RDB_OPCODE_RESIZEDB);
    out.len(size);
    out.len(expiresSize);
  }

  /** One key: expiry, LRU idle time or LFU counter when given, type, name and value. */
  key(key: string, value: Value, meta?: KeyMetadata): void {
    const out = this.out;
    if (meta !== undefined) {
      if (meta.expireAt !== undefined) {
        out.byte(RDB_OPCODE_EXPIRETIME_MS);
        out.i64le(meta.expireAt);
      }
      if (meta.idleSeconds !== undefined) {
        out.byte(RDB_OPCODE_IDLE);
        out.len(meta.idleSeconds);
      }
      if (meta.lfuFreq !== undefined) {
        out.byte(RDB_OPCODE_FREQ);
        out.byte(meta.lfuFreq & 0xff);
      }
    }
    out.byte(rdbTypeOf(value));
    this.encoder.writeString(out, key);
    this.encoder.writeValue(out, value);
  }

  /**
   * Key records serialized earlier by another writer (one made with checksum: false and
   * flushed): a background save keeps the old value of a key about to change this way until
   * it reaches the key's database.
   */
  records(bytes: Buffer): void {
    this.out.bytes(bytes, 0, bytes.length);
  }

  /** What was written since the last flush. */
  flush(): Buffer {
    if (this.crc !== null) this.crc.update(this.out.buf, 0, this.out.pos);
    return this.out.take();
  }

  /** The EOF opcode and the checksum; returns the last chunk of the file. */
  end(): Buffer {
    if (this.ended) throw new Error('RdbWriter.end() called twice');
    this.ended = true;
    const out = this.out;
    out.byte(RDB_OPCODE_EOF);
    out.ensure(8);
    if (this.crc !== null) {
      this.crc.update(out.buf, 0, out.pos);
      this.crc.writeLE(out.buf, out.pos);
    } else {
      out.buf.fill(0, out.pos, out.pos + 8);
    }
    out.pos += 8;
    return out.take();
  }
}

/** The part of a database the writer needs: its keys and their expiry times. */
export interface RdbSourceDatabase {
  id: number;
  dict: ReadonlyMap<string, Value>;
  expires: ReadonlyMap<string, number>;
}

/**
 * A whole RDB file in one buffer: every non-empty database in order, keys with their expiry.
 * For what fits in memory at once (tests, DEBUG RELOAD); BGSAVE drives an RdbWriter itself.
 */
export function encodeRdb(databases: Iterable<RdbSourceDatabase>, options: RdbWriterOptions & { header?: RdbHeaderFields } = {}): Buffer {
  const writer = new RdbWriter(options);
  const chunks: Buffer[] = [];
  writer.header(options.header);
  for (const db of databases) {
    if (db.dict.size === 0) continue;
    writer.selectDb(db.id, db.dict.size, db.expires.size);
    for (const [key, value] of db.dict) {
      const expireAt = db.expires.get(key);
      writer.key(key, value, expireAt === undefined ? undefined : { expireAt });
      if (writer.pendingBytes >= 1 << 20) chunks.push(writer.flush());
    }
  }
  chunks.push(writer.flush(), writer.end());
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
