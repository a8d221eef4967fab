/** RDB files: the header, databases, key records and the trailer around the values' bodies (value-encoder.ts). */
import { writeFunctionRecords } from './functions.js';
import { NODIS_VERSION } from '../../version.js';
import type { Value } from '../../types/value.js';
import type { ReadonlyKeyTable } from '../../types/key-table.js';
import {
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_VERSION,
} from './constants.js';
import { Crc64 } from './crc64.js';
import { ByteSink } from './sink.js';
import { ValueEncoder, rdbTypeOf, type ValueEncoderOptions, type ValuePieces } from './value-encoder.js';

/** A string value up to this long is written at once by RdbWriter.startKey. */
const SHORT_VALUE = 4096;

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
  /** The rest of the value of the key startKey() began, while it is not complete. */
  private pieces: ValuePieces | null = null;

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

  /** Function libraries (Redis's rdbSaveFunctions): after the AUX fields, before the databases. */
  functions(codes: Iterable<string>): void {
    writeFunctionRecords(this.out, codes, this.encoder);
  }

  /** Starts database `id`, with its key count and the number of keys with an expiry. */
  selectDb(id: number, size: number, expiresSize: number): void {
    if (this.pieces !== null) throw new Error('RdbWriter: a key is still in progress');
    const out = this.out;
    out.byte(RDB_OPCODE_SELECTDB);
    out.len(id);
    out.byte(RDB_OPCODE_RESIZEDB);
    out.len(size);
    out.len(expiresSize);
  }

  /** One key: expiry, LRU idle time or LFU counter when given, type, name and value. */
  key(key: string, value: Value, meta?: KeyMetadata): void {
    this.keyPrefix(key, value, meta);
    this.encoder.writeValue(this.out, value);
  }

  /**
   * Starts a key as key() writes it, but writes only the first piece of its value (see
   * ValueEncoder.valuePieces): true when that was the whole key, false when continueKey() must
   * write the rest. Until then the value must not change, and no other key may be written.
   */
  startKey(key: string, value: Value, meta?: KeyMetadata): boolean {
    this.keyPrefix(key, value, meta);
    // Short strings, the bulk of most datasets, skip the generator.
    if (typeof value === 'string') {
      if (value.length <= SHORT_VALUE) {
        this.encoder.writeString(this.out, value);
        return true;
      }
    } else if (this.encoder.writeSmallList(this.out, value)) {
      return true;
    }
    this.pieces = this.encoder.valuePieces(this.out, value);
    return this.continueKey();
  }

  /** Writes the next piece of the key started by startKey(); true once the key is complete. */
  continueKey(): boolean {
    const pieces = this.pieces;
    if (pieces === null) return true;
    if (pieces.next().done !== true) return false;
    this.pieces = null;
    return true;
  }

  /** Writes the rest of the key started by startKey() at once. */
  finishKey(): void {
    while (!this.continueKey()) {
      // piece after piece
    }
  }

  /** A key was started and is not complete yet. */
  get keyInProgress(): boolean {
    return this.pieces !== null;
  }

  private keyPrefix(key: string, value: Value, meta: KeyMetadata | undefined): void {
    if (this.pieces !== null) throw new Error('RdbWriter: a key is still in progress');
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
  }

  /**
   * Key records serialized earlier by another writer (one made with checksum: false and
   * flushed): a background save keeps the old value of a key about to change this way until
   * it reaches the key's database.
   */
  records(bytes: Buffer): void {
    if (this.pieces !== null) throw new Error('RdbWriter: a key is still in progress');
    this.out.bytes(bytes, 0, bytes.length);
  }

  /**
   * What was written since the last flush (a key in progress may continue after it); copied
   * into `scratch` when given, see ByteSink.takeInto.
   */
  flush(scratch?: Buffer): Buffer {
    if (this.crc !== null) this.crc.update(this.out.buf, 0, this.out.pos);
    return scratch === undefined ? this.out.take() : this.out.takeInto(scratch);
  }

  /**
   * Hands what was written since the last flush to `write`, as a view of the writer's own
   * buffer that is valid only during the call (a synchronous file write), and starts over in
   * the same memory: no copy, and no new buffer per chunk, whose fresh pages cost more than
   * the copy.
   */
  drain(write: (bytes: Buffer) => void): void {
    const out = this.out;
    if (this.crc !== null) this.crc.update(out.buf, 0, out.pos);
    write(out.buf.subarray(0, out.pos));
    out.clear();
  }

  /** The EOF opcode and the checksum; returns the last chunk of the file. */
  end(): Buffer {
    if (this.ended) throw new Error('RdbWriter.end() called twice');
    if (this.pieces !== null) throw new Error('RdbWriter: a key is still in progress');
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
  dict: ReadonlyKeyTable<Value>;
  expires: ReadonlyKeyTable<number>;
}

/**
 * A whole RDB file in one buffer: every non-empty database in order, keys with their expiry.
 * For what fits in memory at once (tests, DEBUG RELOAD); BGSAVE drives an RdbWriter itself.
 */
export function encodeRdb(
  databases: Iterable<RdbSourceDatabase>,
  options: RdbWriterOptions & { header?: RdbHeaderFields; functions?: Iterable<string> } = {},
): Buffer {
  const writer = new RdbWriter(options);
  const chunks: Buffer[] = [];
  writer.header(options.header);
  if (options.functions !== undefined) writer.functions(options.functions);
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
