import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  RdbError,
  RdbReader,
  RdbWriter,
  ValueEncoder,
  createDumpPayload,
  decodeDumpPayload,
  encodeRdb,
  readRdb,
  verifyDumpPayload,
  type EncodingLimits,
  type RdbRecord,
  type RdbSourceDatabase,
} from '../../src/persistence/rdb/index.js';
import { ByteSource } from '../../src/persistence/rdb/source.js';
import { Crc64 } from '../../src/persistence/rdb/crc64.js';
import type { CollectionValue, Value } from '../../src/types/value.js';
import { List } from '../../src/types/list.js';
import { buildValue, modelOf, richDataset, SMALL_LIMITS, type KeySpec, type ValueSpec } from '../helpers/rdb-dataset.js';
import { buildZiplist, oldFormatsRdb, rdbFile, str, len, u32le } from '../helpers/rdb-blobs.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

function databasesOf(specs: KeySpec[], limits: EncodingLimits): RdbSourceDatabase[] {
  const dbs = new Map<number, RdbSourceDatabase & { dict: Map<string, Value>; expires: Map<string, number> }>();
  for (const spec of specs) {
    let db = dbs.get(spec.db);
    if (db === undefined) dbs.set(spec.db, (db = { id: spec.db, dict: new Map(), expires: new Map() }));
    db.dict.set(spec.key, buildValue(spec.value, limits));
    if (spec.expireAt !== undefined) db.expires.set(spec.key, spec.expireAt);
    else db.expires.delete(spec.key);
  }
  return [...dbs.values()].sort((a, b) => a.id - b.id);
}

/** Checks that what was read is what was written: contents, encodings, expiry. */
function expectSameContents(buf: Buffer, databases: RdbSourceDatabase[], limits: EncodingLimits, checksum = true): void {
  const read = readRdb(buf, { limits, checksum });
  expect(read.end).toBe(buf.length);
  const nonEmpty = databases.filter((db) => db.dict.size > 0);
  expect([...read.databases.keys()]).toEqual(nonEmpty.map((db) => db.id));
  for (const db of nonEmpty) {
    const got = read.databases.get(db.id) as Map<string, { value: Value; expireAt: number }>;
    expect([...got.keys()]).toEqual([...db.dict.keys()]);
    for (const [key, value] of db.dict) {
      const entry = got.get(key) as { value: Value; expireAt: number };
      expect(modelOf(entry.value), key).toEqual(modelOf(value));
      if (typeof value !== 'string') expect((entry.value as Exclude<Value, string>).encoding(), key).toBe(value.encoding());
      expect(entry.expireAt, key).toBe(db.expires.get(key) ?? -1);
    }
  }
}

const byte = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const binary = (maxLength: number): fc.Arbitrary<string> => fc.string({ unit: byte, maxLength });
const element = fc.oneof(
  { weight: 4, arbitrary: binary(12) },
  { weight: 2, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: -100000, max: 100000 }).map(String) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('ab', 'xyz', '\x00\x01'), fc.integer({ min: 5, max: 300 })).map(([s, n]) => s.repeat(n)) },
);
const score = fc.oneof(
  fc.double({ noNaN: true }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(0, -0, Infinity, -Infinity, 2 ** 62, 2 ** 63, -(2 ** 62), 2 ** 53 + 2),
);
const valueSpec: fc.Arbitrary<ValueSpec> = fc.oneof(
  element.map((value): ValueSpec => ({ type: 'string', value })),
  fc.array(element, { minLength: 1, maxLength: 60 }).map((items): ValueSpec => ({ type: 'list', items })),
  fc.uniqueArray(fc.oneof(element, fc.integer({ min: -50, max: 50 }).map(String)), { minLength: 1, maxLength: 20 }).map((members): ValueSpec => ({ type: 'set', members })),
  fc.uniqueArray(fc.tuple(element, element), { minLength: 1, maxLength: 20, selector: ([f]) => f }).map((pairs): ValueSpec => ({ type: 'hash', pairs })),
  fc.uniqueArray(fc.tuple(element, score), { minLength: 1, maxLength: 25, selector: ([m]) => m }).map((entries): ValueSpec => ({ type: 'zset', entries })),
);
const keySpec: fc.Arbitrary<KeySpec> = fc.record(
  { db: fc.integer({ min: 0, max: 3 }), key: binary(25), value: valueSpec, expireAt: fc.integer({ min: 1, max: 2 ** 45 }) },
  { requiredKeys: ['db', 'key', 'value'] },
);
const limitsArb: fc.Arbitrary<EncodingLimits> = fc.record({
  hashMaxListpackEntries: fc.integer({ min: 0, max: 16 }),
  hashMaxListpackValue: fc.integer({ min: 0, max: 40 }),
  zsetMaxListpackEntries: fc.integer({ min: 0, max: 16 }),
  zsetMaxListpackValue: fc.integer({ min: 0, max: 40 }),
  setMaxIntsetEntries: fc.integer({ min: 0, max: 16 }),
});

describe('RDB writer and reader', () => {
  it('round-trip random datasets under random limits and options', () => {
    fc.assert(
      fc.property(
        fc.array(keySpec, { maxLength: 25 }),
        limitsArb,
        fc.record({ compression: fc.boolean(), checksum: fc.boolean(), listMaxListpackSize: fc.constantFrom(-5, -2, -1, 0, 1, 3, 128) }),
        (specs, limits, options) => {
          const databases = databasesOf(specs, limits);
          const buf = encodeRdb(databases, options);
          expectSameContents(buf, databases, limits);
          // Each value alone, as DUMP.
          for (const db of databases) {
            for (const value of db.dict.values()) {
              const payload = createDumpPayload(value, options);
              expect(verifyDumpPayload(payload)).toBe(true);
              const back = decodeDumpPayload(payload, limits) as Value;
              expect(modelOf(back)).toEqual(modelOf(value));
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('round-trips the rich dataset with and without compression', () => {
    for (const compression of [true, false]) {
      const databases = databasesOf(richDataset(SMALL_LIMITS, 4e12), SMALL_LIMITS);
      const buf = encodeRdb(databases, { compression, listMaxListpackSize: 4 });
      expectSameContents(buf, databases, SMALL_LIMITS);
      // Without compression the long repetitive string is there verbatim.
      expect(buf.includes(latin1('abcdefgh'.repeat(600)))).toBe(!compression);
    }
  });

  it('writes the same bytes flushed in pieces as at once', () => {
    const databases = databasesOf(richDataset(SMALL_LIMITS, 4e12), SMALL_LIMITS);
    const header = { ctime: 1700000000, usedMem: 12345 };
    const whole = encodeRdb(databases, { header });
    const writer = new RdbWriter();
    const chunks: Buffer[] = [];
    writer.header(header);
    let n = 0;
    for (const db of databases) {
      writer.selectDb(db.id, db.dict.size, db.expires.size);
      for (const [key, value] of db.dict) {
        const expireAt = db.expires.get(key);
        writer.key(key, value, expireAt === undefined ? undefined : { expireAt });
        // Taken out as a chunk of its own, or drained: copied by the callee, as a file write does.
        if (n % 3 === 0) chunks.push(writer.flush());
        else if (n % 3 === 1) writer.drain((bytes) => chunks.push(Buffer.from(bytes)));
        n++;
      }
    }
    chunks.push(writer.end());
    expect(Buffer.concat(chunks).equals(whole)).toBe(true);
    expect(() => writer.end()).toThrow();
  });

  it('writes the header Redis 7.0 writes', () => {
    const writer = new RdbWriter();
    writer.header({ redisVersion: '7.0.15', ctime: 1700000000, usedMem: 1000000, replication: { streamDb: 0, replId: 'a'.repeat(40), offset: 42 }, aofBase: true });
    const buf = Buffer.concat([writer.flush(), writer.end()]);
    expect(buf.subarray(0, 9).toString('latin1')).toBe('REDIS0010');
    const read = readRdb(buf);
    expect([...read.aux]).toEqual([
      ['redis-ver', '7.0.15'], ['redis-bits', '64'], ['ctime', '1700000000'], ['used-mem', '1000000'],
      ['repl-stream-db', '0'], ['repl-id', 'a'.repeat(40)], ['repl-offset', '42'], ['aof-base', '1'],
    ]);
    // Integer AUX values are integer-encoded strings, as rdbSaveAuxFieldStrInt writes them.
    expect(buf.includes(Buffer.from([0xfa, 0x0a, ...latin1('redis-bits'), 0xc0, 64]))).toBe(true);
    expect(read.databases.size).toBe(0);
  });

  it('carries LRU idle time and LFU frequency', () => {
    const writer = new RdbWriter();
    writer.header();
    writer.selectDb(0, 3, 1);
    writer.key('a', 'x', { idleSeconds: 100000 });
    writer.key('b', 'y', { lfuFreq: 200, expireAt: 1234567890123 });
    writer.key('c', 'z');
    const buf = Buffer.concat([writer.flush(), writer.end()]);
    const db = readRdb(buf).databases.get(0);
    expect(db?.get('a')).toMatchObject({ idleSeconds: 100000, lfuFreq: -1, expireAt: -1 });
    expect(db?.get('b')).toMatchObject({ idleSeconds: -1, lfuFreq: 200, expireAt: 1234567890123 });
    expect(db?.get('c')).toMatchObject({ idleSeconds: -1, lfuFreq: -1, expireAt: -1 });
  });

  it('ends with the CRC64 of the file, or zeros when rdbchecksum is off', () => {
    const databases = databasesOf(richDataset(SMALL_LIMITS, 4e12), SMALL_LIMITS);
    const buf = encodeRdb(databases);
    expect(new Crc64().update(buf, 0, buf.length - 8).equalsLE(buf, buf.length - 8)).toBe(true);
    const unchecked = encodeRdb(databases, { checksum: false });
    expect(unchecked.readBigUInt64LE(unchecked.length - 8)).toBe(0n);
    // A zero checksum is not checked; a wrong one is, unless checking is off.
    expectSameContents(unchecked, databases, SMALL_LIMITS);
    const wrong = Buffer.from(buf);
    wrong[wrong.length - 1] ^= 1;
    expect(() => readRdb(wrong, { limits: SMALL_LIMITS })).toThrow(/Wrong RDB checksum/);
    expectSameContents(wrong, databases, SMALL_LIMITS, false);
  });

  it('splits lists into nodes as quicklist does for list-max-listpack-size', () => {
    const nodesOf = (items: string[], fill: number): number => {
      const payload = createDumpPayload(List.from(items), { listMaxListpackSize: fill, compression: false });
      return new ByteSource(payload, 1, payload.length).len(); // the node count, after the type
    };
    const small = Array.from({ length: 100 }, (_, i) => String(i));
    expect(nodesOf(small, 10)).toBe(10);
    expect(nodesOf(small, 1)).toBe(100); // one element per node
    expect(nodesOf(small, 0)).toBe(100);
    expect(nodesOf(small, -1)).toBe(1);
    // 4 KB nodes: 100-byte elements take 103 bytes each, and a node of 7 + 103k bytes takes one
    // more while 7 + 103k + 100 + 8 <= 4096: 39 per node.
    const big = Array.from({ length: 200 }, () => 'x'.repeat(100));
    expect(nodesOf(big, -1)).toBe(Math.ceil(200 / 39));
    expect(nodesOf(big.slice(0, 39), -1)).toBe(1);
    expect(nodesOf(big.slice(0, 40), -1)).toBe(2);
    // A count limit never lets a node pass 8 KB: 79 per node.
    expect(nodesOf(big.slice(0, 79), 1000)).toBe(1);
    expect(nodesOf(big.slice(0, 80), 1000)).toBe(2);
    // Elements at the packed threshold get plain nodes of their own.
    const encoder = new ValueEncoder({ listPackedThreshold: 50, compression: false });
    const payload = createDumpPayload(List.from(['a', 'P'.repeat(60), 'b', 'c']), encoder);
    expect([...payload.subarray(0, 3)]).toEqual([18, 3, 2]);
    const back = decodeDumpPayload(payload) as List;
    expect(back.toArray()).toEqual(['a', 'P'.repeat(60), 'b', 'c']);
  });
});

/** An RDB file from raw pieces: magic, body, EOF and (from version 5) a CRC64. */



/** What the entries of the duplicate-member test hold: member i is m:i, with value v<i> or score i. */
function modelSpec(type: number, n: number): ValueSpec {
  const members = Array.from({ length: n }, (_, i) => `m:${i}`);
  if (type === 2) return { type: 'set', members };
  if (type === 4) return { type: 'hash', pairs: members.map((m, i): [string, string] => [m, `v${i}`]) };
  return { type: 'zset', entries: members.map((m, i): [string, number] => [m, i]) };
}

describe('lists read from quicklists', () => {
  /** The list written with tiny or plain nodes as `options` say, and read back. */
  const roundTrip = (items: string[], options: { listMaxListpackSize?: number; listPackedThreshold?: number }): List => {
    const payload = createDumpPayload(List.from(items), new ValueEncoder({ compression: false, ...options }));
    return decodeDumpPayload(payload) as List;
  };

  it('come back whole whatever the nodes hold: plain nodes first, nodes fuller or emptier than the first', () => {
    const plainFirst = ['P'.repeat(60), 'Q'.repeat(70), 'a', 'b', 'c', 'R'.repeat(80), 'd'];
    const growing = [...Array.from({ length: 3 }, () => 'x'.repeat(2000)), ...Array.from({ length: 5000 }, (_, i) => String(i % 50))];
    const shrinking = [...Array.from({ length: 5000 }, (_, i) => String(i % 50)), ...Array.from({ length: 40 }, () => 'y'.repeat(3000))];
    for (const [items, options] of [
      [plainFirst, { listPackedThreshold: 50, listMaxListpackSize: 2 }],
      [plainFirst, { listPackedThreshold: 50 }],
      [growing, {}],
      [shrinking, {}],
      [shrinking, { listMaxListpackSize: 1 }],
      [['only'], {}],
    ] as const) {
      const list = roundTrip([...items], options);
      expect(list.toArray()).toEqual(items);
      // The array it was read into is its storage: it keeps working as a list.
      list.pushRight('tail');
      list.pushLeft('head');
      expect(list.size).toBe(items.length + 2);
      expect(list.get(0)).toBe('head');
      expect(list.get(items.length + 1)).toBe('tail');
      expect(list.popRight()).toBe('tail');
      expect(list.popLeft()).toBe('head');
      expect(list.toArray()).toEqual(items);
    }
  });
});

describe('RDB reader on what older Redis versions write', () => {
  it('reads ziplist, zipmap, intset, quicklist v1 and text-score encodings', () => {
    const file = oldFormatsRdb();
    const read = readRdb(file);
    const db0 = read.databases.get(0) as Map<string, { value: Value; expireAt: number }>;
    const model = (key: string): unknown => modelOf(db0.get(key)?.value as Value).data;
    expect(model('zipmap')).toEqual([['a', 'x'], ['b', 'yyy']]);
    expect((db0.get('zipmap')?.value as Exclude<Value, string>).encoding()).toBe('listpack');
    expect(model('ziplist')).toEqual(['a', '5', '-300', 'b'.repeat(70), '4294967296']);
    expect(model('zsetzl')).toEqual([['m3', '-inf'], ['m1', '2'], ['m2', '2.5']]);
    expect(model('hashzl')).toEqual([['f', 'v'], ['n', '12']]);
    expect(model('qlv1')).toEqual(['x', '1', '2', 'y']);
    expect(model('oldzset')).toEqual([['half', '0.5'], ['one', '1'], ['inf', 'inf']]);
    expect(db0.get('oldzset')?.expireAt).toBe(2000000000000);
    expect(model('plainlist')).toEqual(['p', '7']);
    expect(modelOf(read.databases.get(3)?.get('plainhash')?.value as Value).data).toEqual([['k', 'v']]);
  });

  it('converts to the large encodings when the loading limits say so', () => {
    const file = rdbFile(
      9,
      Buffer.from([0xfe, 0]),
      Buffer.from([9]), str('zipmap'), str('\x01\x01a\x05\x00xxxxx\xff'),
      Buffer.from([13]), str('hashzl'), str(buildZiplist(['f', 'v', 'g', 'w']).toString('latin1')),
      Buffer.from([12]), str('zsetzl'), str(buildZiplist(['m1', 2, 'm2', 3]).toString('latin1')),
    );
    const limits = { hashMaxListpackEntries: 1, hashMaxListpackValue: 4, zsetMaxListpackEntries: 1 };
    const db0 = readRdb(file, { limits }).databases.get(0) as Map<string, { value: Exclude<Value, string> }>;
    expect(db0.get('zipmap')?.value.encoding()).toBe('hashtable'); // value longer than 4
    expect(db0.get('hashzl')?.value.encoding()).toBe('hashtable'); // two fields
    expect(db0.get('zsetzl')?.value.encoding()).toBe('skiplist');
  });

  it('refuses a set, hash or sorted set with a repeated member, large or small, and reads the same without it', () => {
    const f64 = (d: number): Buffer => {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(d);
      return b;
    };
    const file = (type: number, count: number, entry: (i: number) => Buffer[]): Buffer =>
      rdbFile(10, Buffer.from([0xfe, 0]), Buffer.from([type]), str('k'), len(count), ...Array.from({ length: count }, (_, i) => entry(i)).flat());
    // Member i, with member `repeat` saved again as the last one.
    const name = (i: number, n: number, repeat: number): string => `m:${i === n - 1 ? repeat : i}`;
    for (const n of [5, 600]) {
      for (const repeat of [0, n - 2]) {
        const cases: Array<[number, (i: number) => Buffer[], RegExp]> = [
          [2, (i) => [str(name(i, n, repeat))], /Duplicate set members detected/],
          [4, (i) => [str(name(i, n, repeat)), str(`v${i}`)], /Duplicate hash fields detected/],
          [5, (i) => [str(name(i, n, repeat)), f64(i)], /Duplicate zset fields detected/],
        ];
        for (const [type, entry, error] of cases) {
          expect(() => readRdb(file(type, n, entry), { limits: SMALL_LIMITS })).toThrow(error);
          // Without the repeat it loads, every member there once.
          const good = readRdb(file(type, n - 1, entry), { limits: SMALL_LIMITS });
          const value = good.databases.get(0)?.get('k')?.value as CollectionValue;
          expect(value.size).toBe(n - 1);
          expect(modelOf(value)).toEqual(modelOf(buildValue(modelSpec(type, n - 1), SMALL_LIMITS)));
        }
      }
    }
  });

  it('skips empty collections, as Redis does', () => {
    const file = rdbFile(
      10,
      Buffer.from([0xfe, 0]),
      Buffer.from([1]), str('emptylist'), len(0),
      Buffer.from([18]), str('emptyql'), len(1), len(2), str(Buffer.from([7, 0, 0, 0, 0, 0, 0xff]).toString('latin1')),
      Buffer.from([0]), str('kept'), str('v'),
    );
    const reader = new RdbReader(file);
    const keys: string[] = [];
    for (let r = reader.next(); r !== null; r = reader.next()) if (r.kind === 'key') keys.push(r.key);
    expect(keys).toEqual(['kept']);
    expect(reader.emptyKeysSkipped).toBe(2);
  });
});

describe('RDB reader on a file read a window at a time', () => {
  /** A source over `file` as a file: windows of `window` bytes, reads that return `short` bytes at most. */
  const fileSource = (file: Buffer, window: number, short: number): ByteSource =>
    ByteSource.fromFile(
      (into, at, length, position) => {
        const n = Math.max(0, Math.min(length, short, file.length - position));
        file.copy(into, at, position, position + n);
        return n;
      },
      file.length,
      window,
    );
  /** Every record the reader gives, with the offset after it. */
  const records = (reader: RdbReader): unknown[] => {
    const out: unknown[] = [];
    for (let r = reader.next(); r !== null; r = reader.next()) out.push([modelOfRecord(r), reader.offset]);
    out.push(reader.offset);
    return out;
  };
  const modelOfRecord = (r: RdbRecord): unknown => (r.kind === 'key' ? { ...r, value: modelOf(r.value) } : r);
  const databases = databasesOf(richDataset(SMALL_LIMITS, 4e12), SMALL_LIMITS);

  it('reads what the whole buffer reads, whatever the window and the reads, checksum included', () => {
    for (const compression of [true, false]) {
      const file = encodeRdb(databases, { compression });
      const whole = records(new RdbReader(file, { limits: SMALL_LIMITS }));
      expect(whole.at(-1)).toBe(file.length);
      for (const [window, short] of [[9, 1], [16, 7], [100, 1000], [4096, 333], [1 << 20, 1 << 20]] as const) {
        expect(records(new RdbReader(fileSource(file, window, short), { limits: SMALL_LIMITS })), `window ${window}`).toEqual(whole);
      }
    }
  });

  it('fails as the whole buffer does on a wrong checksum and on every truncation', () => {
    const small = databasesOf(richDataset(SMALL_LIMITS, 4e12).filter((s) => !s.key.includes(':big') && s.key !== 'list:long'), SMALL_LIMITS);
    const file = encodeRdb(small);
    const wrong = Buffer.from(file);
    wrong[wrong.length - 1] ^= 1;
    expect(() => records(new RdbReader(fileSource(wrong, 64, 13), { limits: SMALL_LIMITS }))).toThrow(/Wrong RDB checksum/);
    for (let n = 0; n < file.length; n += 7) {
      const cut = file.subarray(0, n);
      expect(() => records(new RdbReader(fileSource(cut, 32, 5), { limits: SMALL_LIMITS })), `truncated at ${n}`).toThrow(RdbError);
    }
  });
});

describe('RDB reader on bad input', () => {
  // Every encoding, without the big collections (the truncation test reads the file once per byte).
  const small = richDataset(SMALL_LIMITS, 4e12).filter((s) => !s.key.includes(':big') && s.key !== 'list:long');
  const good = encodeRdb(databasesOf(small, SMALL_LIMITS));

  it('throws an RdbError for every truncation', () => {
    for (let n = 0; n < good.length; n++) {
      expect(() => readRdb(good.subarray(0, n), { limits: SMALL_LIMITS }), `truncated at ${n}`).toThrow(RdbError);
    }
  });

  it('never loads a damaged file and never fails other than with an RdbError', () => {
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.boolean(), (at, patch, checksum) => {
        const bad = Buffer.from(good);
        bad.set(patch.subarray(0, bad.length - at), at);
        if (bad.equals(good)) return;
        let end: number;
        try {
          end = readRdb(bad, { limits: SMALL_LIMITS, checksum }).end;
        } catch (e) {
          expect(e).toBeInstanceOf(RdbError);
          return;
        }
        // A damaged file reads through only with the checksum ignored, or when the damage made
        // an early EOF followed by 8 zero bytes (an unchecked checksum), as in Redis.
        if (checksum) expect(end).toBeLessThan(bad.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects absurd lengths before allocating for them', () => {
    const huge = (type: number, ...body: Buffer[]): Buffer => rdbFile(10, Buffer.from([0xfe, 0, type]), str('k'), ...body);
    const cases = [
      huge(1, Buffer.from([0x80, 0xff, 0xff, 0xff, 0xff])), // a list of 4G elements
      huge(0, Buffer.from([0x81, 0, 0, 0, 0x10, 0, 0, 0, 0])), // a 64-bit string length
      huge(0, Buffer.from([0xc3]), len(3), Buffer.from([0x80, 0x7f, 0xff, 0xff, 0xff]), Buffer.from([0, 0x61, 0x61])), // LZF claiming 2 GB
      huge(5, len(1000000)), // a sorted set the file cannot hold
      huge(11, str(Buffer.concat([u32le(8), u32le(0xffffffff)]).toString('latin1'))), // an intset header
    ];
    for (const c of cases) expect(() => readRdb(c)).toThrow(RdbError);
  });

  it('says clearly what it does not support', () => {
    const withType = (type: number): Buffer => rdbFile(10, Buffer.from([0xfe, 0, type]), str('k'), len(0));
    expect(() => readRdb(withType(7))).toThrow(/Module values .* not supported/);
    expect(() => readRdb(withType(8))).toThrow(/Unknown RDB encoding type 8/);
    expect(() => readRdb(rdbFile(10, Buffer.from([247]), len(1), len(2), len(0)))).toThrow(/module auxiliary data, which is not supported/);
    // Function libraries are read (their code, for the server to load).
    expect(readRdb(rdbFile(10, Buffer.from([245]), str('#!lua name=lib\n'))).functions).toEqual(['#!lua name=lib\n']);
    expect(() => readRdb(latin1('REDIS0011\xff'))).toThrow("Can't handle RDB format version 11");
    expect(() => readRdb(latin1('REDIX0010\xff'))).toThrow('Wrong signature trying to load DB from file');
    expect(() => readRdb(rdbFile(10, Buffer.from([0xfe, 20])), { databases: 16 })).toThrow(/more than 16 databases/);
  });

  it('reports where the RDB ends, for an AOF tail after it', () => {
    const tail = latin1('*1\r\n$4\r\nPING\r\n');
    const read = readRdb(Buffer.concat([good, tail]), { limits: SMALL_LIMITS });
    expect(read.end).toBe(good.length);
  });
});

describe('DUMP payloads', () => {
  it('have the type, the body, the version and the CRC64 of what precedes', () => {
    const payload = createDumpPayload('hello');
    expect(payload.toString('hex')).toBe('00' + '0568656c6c6f' + '0a00' + payload.subarray(-8).toString('hex'));
    expect(new Crc64().update(payload, 0, payload.length - 8).equalsLE(payload, payload.length - 8)).toBe(true);
  });

  it('are refused with a newer version or a wrong CRC, unless the CRC check is skipped', () => {
    const payload = createDumpPayload('hello');
    const newer = Buffer.from(payload);
    newer[newer.length - 10] = 11;
    expect(verifyDumpPayload(newer)).toBe(false);
    const damaged = Buffer.from(payload);
    damaged[2] ^= 0x20;
    expect(verifyDumpPayload(damaged)).toBe(false);
    expect(verifyDumpPayload(damaged, false)).toBe(true);
    expect(verifyDumpPayload(payload.subarray(0, 9))).toBe(false);
  });

  it('fail to decode with an RdbError when the body is malformed', () => {
    const payload = createDumpPayload(buildValue({ type: 'hash', pairs: [['a', '1'], ['b', '2']] }, SMALL_LIMITS));
    fc.assert(
      fc.property(fc.nat(payload.length - 11), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bad = Buffer.from(payload);
        bad[at] ^= flip;
        try {
          decodeDumpPayload(bad);
        } catch (e) {
          expect(e).toBeInstanceOf(RdbError);
        }
      }),
    );
    for (let n = 0; n < payload.length - 10; n++) {
      const cut = Buffer.concat([payload.subarray(0, n), payload.subarray(-10)]);
      expect(() => decodeDumpPayload(cut)).toThrow(RdbError);
    }
  });
});
