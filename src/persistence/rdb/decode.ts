import { readFunctionRecord } from './functions.js';
import type { Value } from '../../types/value.js';
import { MutableString } from '../../types/mutable-string.js';
import { List } from '../../types/list.js';
import { SetValue } from '../../types/set.js';
import { HashValue } from '../../types/hash.js';
import { ZSet, ZSetLoader } from '../../types/zset.js';
import { parseStrtod } from '../../util/parse.js';
import {
  DEFAULT_ENCODING_LIMITS,
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_FUNCTION,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_MODULE_AUX,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_MODULE,
  RDB_TYPE_MODULE_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_ZSET_ZIPLIST,
  RDB_VERSION,
  RdbError,
  isObjectType,
  type EncodingLimits,
} from './constants.js';
import { Crc64 } from './crc64.js';
import { readIntset } from './intset.js';
import { checkListpack, listpackDeclaredCount, packListpack, readListpack } from './listpack.js';
import { readZiplist } from './ziplist.js';
import { readZipmap } from './zipmap.js';
import { ByteSource } from './source.js';
import { decodeStream } from './stream.js';

/** Redis caps intsets at 1G entries whatever set-max-intset-entries says. */
const INTSET_HARD_LIMIT = 1 << 30;

/** A score saved as text by RDB_TYPE_ZSET (before binary doubles): length byte, then text. */
function readTextDouble(src: ByteSource): number {
  const n = src.u8();
  if (n === 255) return -Infinity;
  if (n === 254) return Infinity;
  if (n === 253) return NaN;
  src.need(n);
  const text = src.buf.latin1Slice(src.pos, src.pos + n);
  src.pos += n;
  // sscanf("%lg") reads the longest number at the start.
  const value = parseFloat(text);
  if (Number.isNaN(value)) {
    const strict = parseStrtod(text.trim());
    if (strict === null) throw new RdbError('Invalid double value in a sorted set');
    return strict;
  }
  return value;
}

/** A score as a listpack or ziplist holds it: integer text, or "%.17g" / "inf" text. */
function scoreOf(text: string): number {
  const v = parseStrtod(text);
  if (v === null || Number.isNaN(v)) throw new RdbError('Zset listpack integrity check failed.');
  return v;
}

/** A packed hash from a listpack whose header counts entries within the packed limit, in one pass (packListpack). */
function hashFromListpack(buf: Buffer, start: number, end: number): HashValue {
  const packed = packListpack(buf, start, end, 2);
  if (packed === null) throw new RdbError('Hash listpack integrity check failed.');
  const hash = HashValue.fromPacked(packed);
  if (hash === null) throw new RdbError('Duplicate hash fields detected');
  return hash;
}

function hashFromPairs(pairs: string[], table: boolean): HashValue | null {
  if (pairs.length % 2 !== 0) throw new RdbError('Hash listpack integrity check failed.');
  if (pairs.length === 0) return null;
  // The listpack form is kept whatever the lengths (Redis checks only the count on load).
  if (!table) {
    const packed = HashValue.packedOf(pairs);
    if (packed === null) throw new RdbError('Duplicate hash fields detected');
    return packed;
  }
  const hash = new HashValue();
  for (let i = 0; i < pairs.length; i += 2) {
    if (!hash.set(pairs[i] as string, pairs[i + 1] as string, 0, Infinity)) {
      throw new RdbError('Duplicate hash fields detected');
    }
  }
  return hash;
}

function zsetFromPairs(pairs: string[], limits: EncodingLimits): ZSet | null {
  if (pairs.length % 2 !== 0) throw new RdbError('Zset listpack integrity check failed.');
  if (pairs.length === 0) return null;
  const zset = new ZSet();
  for (let i = 0; i < pairs.length; i += 2) {
    const member = pairs[i] as string;
    if (!zset.insertNew(member, scoreOf(pairs[i + 1] as string))) throw new RdbError('Duplicate zset fields detected');
  }
  zset.setCompact(zset.size <= limits.zsetMaxListpackEntries);
  return zset;
}

/** An array sized up front holds at most this many elements before it grows as it goes. */
const PRESIZE_LIMIT = 1 << 24;

/**
 * An array for the `n` elements a collection says it has, to be filled by index: sized once
 * rather than grown by copies, which leaves the garbage collector much less to do. A count
 * from a damaged file is bounded by the bytes left, and the up-front size by PRESIZE_LIMIT.
 */
function presized(n: number): string[] {
  return new Array<string>(Math.min(n, PRESIZE_LIMIT));
}

/** The nodes adopted so far: none (`length` 0), the first alone, or all of them in `packed`. */
function adoptedNodes(firstNode: string, packed: string[] | null): string[] {
  if (packed !== null) return packed;
  return firstNode === '' ? [] : [firstNode];
}

/** The elements of listpack nodes adopted so far, `length` in all, to go on element by element. */
function elementsOf(packed: string[], length: number): string[] {
  const items = new Array<string>(length);
  let at = 0;
  for (const node of packed) {
    const blob = Buffer.from(node, 'latin1');
    at += readListpack(blob, 0, blob.length, items, at);
  }
  return items;
}

function setFromMembers(members: string[], maxIntset: number): SetValue {
  const set = new SetValue();
  for (let i = 0; i < members.length; i++) {
    if (!set.add(members[i] as string, maxIntset)) throw new RdbError('Duplicate set members detected');
  }
  return set;
}

/**
 * Reads one value of RDB type `type` (rdbLoadObject) and gives it the encoding Redis would give
 * it on load under `limits`. Returns null for an empty collection, which Redis skips.
 */
export function decodeValue(src: ByteSource, type: number, limits: EncodingLimits): Value | null {
  switch (type) {
    case RDB_TYPE_STRING: {
      const text = src.stringValue();
      // Longer than a JS string: kept in its Buffer, as a string changed in place is.
      return typeof text === 'string' ? text : MutableString.fromBuffer(text, text.length);
    }

    case RDB_TYPE_LIST: {
      const n = src.count(1);
      if (n === 0) return null;
      const items = presized(n);
      for (let i = 0; i < n; i++) items[i] = src.string();
      return List.adopt(items, n);
    }

    case RDB_TYPE_SET: {
      const n = src.count(1);
      if (n === 0) return null;
      const maxIntset = Math.min(limits.setMaxIntsetEntries, INTSET_HARD_LIMIT);
      if (n > maxIntset) {
        // Too many members for an intset: a table, from the members in the order saved.
        const members = presized(n);
        for (let i = 0; i < n; i++) members[i] = src.string();
        const table = SetValue.fromDistinctMembers(members);
        if (table === null) throw new RdbError('Duplicate set members detected');
        return table;
      }
      const set = new SetValue();
      for (let i = 0; i < n; i++) {
        if (!set.add(src.string(), maxIntset)) throw new RdbError('Duplicate set members detected');
      }
      return set;
    }

    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2: {
      const binary = type === RDB_TYPE_ZSET_2;
      const n = src.count(binary ? 9 : 2);
      if (n === 0) return null;
      if (n > limits.zsetMaxListpackEntries) {
        // Too many to be packed: a skiplist, built from the members in the order Redis saves
        // them (highest first) without a search per member.
        const loader = new ZSetLoader();
        for (let i = 0; i < n; i++) {
          const member = src.string();
          const score = binary ? src.f64le() : readTextDouble(src);
          if (Number.isNaN(score)) throw new RdbError('Zset with NAN score detected');
          if (!loader.add(member, score)) throw new RdbError('Duplicate zset fields detected');
        }
        return loader.finish();
      }
      const zset = new ZSet();
      for (let i = 0; i < n; i++) {
        const member = src.string();
        const score = binary ? src.f64le() : readTextDouble(src);
        if (Number.isNaN(score)) throw new RdbError('Zset with NAN score detected');
        // The member was read into a string of its own: the set keeps it as it is.
        if (!zset.insertNew(member, score, true)) throw new RdbError('Duplicate zset fields detected');
      }
      // Converted after loading, since the members do not come in order.
      zset.fitEncoding({ maxEntries: limits.zsetMaxListpackEntries, maxValue: limits.zsetMaxListpackValue });
      return zset;
    }

    case RDB_TYPE_HASH: {
      const n = src.count(2);
      if (n === 0) return null;
      if (n > limits.hashMaxListpackEntries) {
        // Too many fields for a listpack: a table, from the fields in the order saved.
        const fields = presized(n);
        const values = presized(n);
        for (let i = 0; i < n; i++) {
          fields[i] = src.string();
          values[i] = src.string();
        }
        const table = HashValue.fromDistinctFields(fields, values);
        if (table === null) throw new RdbError('Duplicate hash fields detected');
        return table;
      }
      const maxEntries = limits.hashMaxListpackEntries;
      const hash = new HashValue();
      for (let i = 0; i < n; i++) {
        const field = src.string();
        const value = src.string();
        if (!hash.set(field, value, maxEntries, limits.hashMaxListpackValue)) {
          throw new RdbError('Duplicate hash fields detected');
        }
      }
      return hash;
    }

    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2: {
      const v2 = type === RDB_TYPE_LIST_QUICKLIST_2;
      const nodes = src.count(v2 ? 2 : 1);
      // Listpack nodes are adopted as they are, checked but not decoded (the list decodes a
      // node when it is read). Anything else (a plain node, a ziplist, a listpack whose header
      // does not say its count) makes the list be built from its elements instead. The first
      // node adopted is kept alone until a second one comes: most lists in a keyspace of many
      // lists have one node, and need no array for it.
      let adopting = v2;
      let firstNode = '';
      let packed: string[] | null = null;
      let items: string[] = [];
      let length = 0;
      for (let i = 0; i < nodes; i++) {
        let container = QUICKLIST_NODE_CONTAINER_PACKED;
        if (v2) {
          container = src.len();
          if (container !== QUICKLIST_NODE_CONTAINER_PACKED && container !== QUICKLIST_NODE_CONTAINER_PLAIN) {
            throw new RdbError('Quicklist integrity check failed.');
          }
        }
        if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
          const element = src.string();
          if (element.length === 0) throw new RdbError('Quicklist integrity check failed.');
          if (adopting) {
            items = elementsOf(adoptedNodes(firstNode, packed), length);
            adopting = false;
          }
          items[length++] = element;
          continue;
        }
        // The node's bytes, read where they are (no Buffer object for them).
        const size = src.blobBytes();
        const buf = src.blobBuf;
        const start = src.blobStart;
        const end = start + size;
        if (size === 0) throw new RdbError('Quicklist integrity check failed.');
        if (adopting) {
          const count = checkListpack(buf, start, end);
          // Empty nodes are skipped, as Redis does.
          if (count === 0) continue;
          if (listpackDeclaredCount(buf, start, end) === count) {
            const node = buf.latin1Slice(start, end);
            if (length === 0) firstNode = node;
            else if (packed === null) packed = [firstNode, node];
            else packed.push(node);
            length += count;
            continue;
          }
          items = elementsOf(adoptedNodes(firstNode, packed), length);
          adopting = false;
        }
        if (v2) length += readListpack(buf, start, end, items, length);
        else length += readZiplist(buf, start, end, items);
      }
      if (length === 0) return null;
      return adopting ? List.fromPacked(packed ?? firstNode, length) : List.adopt(items, length);
    }

    case RDB_TYPE_LIST_ZIPLIST: {
      const blob = src.blob();
      const items: string[] = [];
      readZiplist(blob, 0, blob.length, items);
      return items.length === 0 ? null : List.adopt(items);
    }

    case RDB_TYPE_SET_INTSET: {
      const blob = src.blob();
      const members = readIntset(blob, 0, blob.length);
      const maxIntset = Math.min(limits.setMaxIntsetEntries, INTSET_HARD_LIMIT);
      if (members.length > maxIntset) return setFromMembers(members, 0);
      // Checked by readIntset: kept as it is, width included (joined: a flat string).
      return SetValue.fromPackedIntset([String.fromCharCode(blob.readUInt32LE(0)), blob.latin1Slice(8, blob.length)].join(''));
    }

    case RDB_TYPE_HASH_ZIPMAP: {
      const blob = src.blob();
      const pairs = readZipmap(blob, 0, blob.length);
      let longest = 0;
      for (const s of pairs) if (s.length > longest) longest = s.length;
      const table = pairs.length / 2 > limits.hashMaxListpackEntries || longest > limits.hashMaxListpackValue;
      return hashFromPairs(pairs, table);
    }

    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK: {
      // Read in place (no Buffer object for it): most hashes of a file are small listpacks.
      const length = src.blobBytes();
      const buf = src.blobBuf;
      const start = src.blobStart;
      if (type === RDB_TYPE_HASH_LISTPACK) {
        const declared = listpackDeclaredCount(buf, start, start + length);
        if (declared !== -1 && declared > 0 && declared / 2 <= limits.hashMaxListpackEntries) return hashFromListpack(buf, start, start + length);
      }
      const blob = buf.subarray(start, start + length);
      const pairs: string[] = [];
      if (type === RDB_TYPE_HASH_LISTPACK) readListpack(blob, 0, blob.length, pairs);
      else readZiplist(blob, 0, blob.length, pairs);
      return hashFromPairs(pairs, pairs.length / 2 > limits.hashMaxListpackEntries);
    }

    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_ZSET_LISTPACK: {
      const blob = src.blob();
      const pairs: string[] = [];
      if (type === RDB_TYPE_ZSET_LISTPACK) readListpack(blob, 0, blob.length, pairs);
      else readZiplist(blob, 0, blob.length, pairs);
      return zsetFromPairs(pairs, limits);
    }

    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
      // An empty stream is a value (its groups, its last ID), not an empty key to skip.
      return decodeStream(src, type);

    case RDB_TYPE_MODULE:
    case RDB_TYPE_MODULE_2:
      throw new RdbError(`Module values (RDB type ${type}) are not supported`);

    default:
      throw new RdbError(`Unknown RDB encoding type ${type}`);
  }
}

export interface RdbReaderOptions {
  /** Encoding limits of the loading server (hash-max-listpack-entries…). */
  limits?: Partial<EncodingLimits>;
  /** rdbchecksum: verify the CRC64 at the end (a stored 0 means "not computed" and is skipped). */
  checksum?: boolean;
  /** The number of databases: a SELECTDB beyond is an error. */
  databases?: number;
}

export type RdbRecord =
  | { kind: 'aux'; key: string; value: string }
  | { kind: 'selectDb'; db: number }
  | { kind: 'resizeDb'; size: number; expiresSize: number }
  /** A function library (its whole code, shebang included), saved before the databases. */
  | { kind: 'function'; code: string }
  | RdbKeyRecord;

export interface RdbKeyRecord {
  kind: 'key';
  db: number;
  key: string;
  value: Value;
  /** Absolute expiry in ms, or -1. */
  expireAt: number;
  /** LRU idle time in seconds, or -1 when not saved. */
  idleSeconds: number;
  /** LFU counter, or -1 when not saved. */
  lfuFreq: number;
}

/**
 * Reads an RDB file held in a buffer, one record at a time (a loader can yield to the event
 * loop between them): next() returns AUX fields, database switches and keys in file order,
 * and null once the EOF opcode is reached and the checksum checked. Anything malformed,
 * truncated or unsupported throws an RdbError.
 */
export class RdbReader {
  readonly version: number;
  /** Empty collections met and skipped (old Redis versions could save them). */
  emptyKeysSkipped = 0;
  private readonly src: ByteSource;
  private readonly limits: EncodingLimits;
  private readonly databases: number;
  private db = 0;
  private done = false;

  /**
   * Reads the RDB in `input` from `start`, or from a file read a window at a time (see
   * ByteSource.fromFile), from its start.
   */
  constructor(input: Buffer | ByteSource, options: RdbReaderOptions = {}, start = 0) {
    this.limits = { ...DEFAULT_ENCODING_LIMITS, ...options.limits };
    this.databases = options.databases ?? Infinity;
    const src = input instanceof ByteSource ? input : new ByteSource(input, start, input.length);
    this.src = src;
    src.need(9);
    const magicAt = src.pos;
    if (src.buf.latin1Slice(magicAt, magicAt + 5) !== 'REDIS') throw new RdbError('Wrong signature trying to load DB from file');
    const digits = src.buf.latin1Slice(magicAt + 5, magicAt + 9);
    // atoi: the leading digits.
    const version = /^\d+/.test(digits) ? parseInt(digits, 10) : 0;
    if (version < 1 || version > RDB_VERSION) throw new RdbError(`Can't handle RDB format version ${version}`);
    this.version = version;
    // The CRC covers the file from its magic. It is fed a window at a time (as the source moves
    // its window on, and at the end): fed record by record, its per-call setup cost more than
    // the bytes themselves (30 MB of small strings: 115 ms against 32 ms in one pass).
    if ((options.checksum ?? true) && version >= 5) src.startChecksum(new Crc64());
    src.pos = magicAt + 9;
  }

  /** Offset just past what has been read (after the checksum once done): an AOF tail follows there. */
  get offset(): number {
    return this.src.offset;
  }

  next(): RdbRecord | null {
    if (this.done) return null;
    return this.read();
  }

  private read(): RdbRecord | null {
    const src = this.src;
    let expireAt = -1;
    let idleSeconds = -1;
    let lfuFreq = -1;
    for (;;) {
      const type = src.u8();
      switch (type) {
        case RDB_OPCODE_EXPIRETIME:
          expireAt = src.i32le() * 1000;
          continue;
        case RDB_OPCODE_EXPIRETIME_MS:
          expireAt = src.i64le();
          continue;
        case RDB_OPCODE_FREQ:
          lfuFreq = src.u8();
          continue;
        case RDB_OPCODE_IDLE:
          idleSeconds = src.len();
          continue;
        case RDB_OPCODE_EOF:
          this.finish();
          return null;
        case RDB_OPCODE_SELECTDB: {
          const db = src.len();
          if (db >= this.databases) {
            throw new RdbError(`Data file was created with a Redis server configured to handle more than ${this.databases} databases`);
          }
          this.db = db;
          return { kind: 'selectDb', db };
        }
        case RDB_OPCODE_RESIZEDB: {
          const size = src.len();
          const expiresSize = src.len();
          return { kind: 'resizeDb', size, expiresSize };
        }
        case RDB_OPCODE_AUX: {
          const key = src.string();
          const value = src.string();
          return { kind: 'aux', key, value };
        }
        case RDB_OPCODE_MODULE_AUX:
          throw new RdbError('The RDB file contains module auxiliary data, which is not supported');
        case RDB_OPCODE_FUNCTION:
        case RDB_OPCODE_FUNCTION2:
          return { kind: 'function', code: readFunctionRecord(src, type) };
        default: {
          if (!isObjectType(type)) throw new RdbError(`Unknown RDB encoding type ${type}`);
          const key = src.string();
          const value = decodeValue(src, type, this.limits);
          if (value === null) {
            this.emptyKeysSkipped++;
            expireAt = -1;
            idleSeconds = -1;
            lfuFreq = -1;
            continue;
          }
          return { kind: 'key', db: this.db, key, value, expireAt, idleSeconds, lfuFreq };
        }
      }
    }
  }

  /** After EOF: the checksum, which RDB files have since version 5. */
  private finish(): void {
    this.done = true;
    if (this.version < 5) return;
    const src = this.src;
    // Everything up to the EOF opcode is checksummed, the stored checksum after it is not.
    const crc = src.updateChecksum();
    src.need(8);
    const stored = src.buf.readBigUInt64LE(src.pos);
    src.pos += 8;
    if (crc === null || stored === 0n) return;
    const expected = crc.value();
    if (expected !== stored) {
      throw new RdbError(`Wrong RDB checksum expected: (${expected.toString(16)}) but got (${stored.toString(16)})`);
    }
  }
}

/** A key as readRdb returns it. */
export interface RdbEntry {
  value: Value;
  /** Absolute expiry in ms, or -1. */
  expireAt: number;
  idleSeconds: number;
  lfuFreq: number;
}

export interface RdbContents {
  version: number;
  aux: Map<string, string>;
  /** Keys per database number. */
  databases: Map<number, Map<string, RdbEntry>>;
  /** The function libraries' codes, in file order. */
  functions: string[];
  /** Where the RDB ends in the input (an AOF tail may follow). */
  end: number;
}

/** Reads a whole RDB file into memory at once (tests, tools, small files). */
export function readRdb(input: Buffer, options: RdbReaderOptions = {}): RdbContents {
  const reader = new RdbReader(input, options);
  const aux = new Map<string, string>();
  const functions: string[] = [];
  const databases = new Map<number, Map<string, RdbEntry>>();
  let record: RdbRecord | null;
  while ((record = reader.next()) !== null) {
    if (record.kind === 'aux') aux.set(record.key, record.value);
    else if (record.kind === 'function') functions.push(record.code);
    else if (record.kind === 'key') {
      let db = databases.get(record.db);
      if (db === undefined) databases.set(record.db, (db = new Map()));
      if (db.has(record.key)) throw new RdbError(`RDB has duplicated key in DB ${record.db}`);
      db.set(record.key, { value: record.value, expireAt: record.expireAt, idleSeconds: record.idleSeconds, lfuFreq: record.lfuFreq });
    }
  }
  return { version: reader.version, aux, databases, functions, end: reader.offset };
}
