/**
 * Writing a value in pieces (what a background save does with a large collection between turns
 * of the event loop) gives the very bytes of writing it at once, whatever the size of the
 * pieces, when the output is taken away between pieces and other compressions run meanwhile.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_ENCODING_LIMITS,
  RDB_VERSION,
  RdbWriter,
  decodeDumpPayload,
  ValueEncoder,
  encodeRdb,
  readRdb,
  type EncodingLimits,
  type RdbSourceDatabase,
  type ValueEncoderOptions,
} from '../../src/persistence/rdb/index.js';
import { LzfCompression, lzfCompress } from '../../src/persistence/rdb/lzf.js';
import { RDB_TYPE_LIST_QUICKLIST_2 } from '../../src/persistence/rdb/constants.js';
import { ByteSink } from '../../src/persistence/rdb/sink.js';
import type { Value } from '../../src/types/value.js';
import { buildValue, modelOf, prng, richDataset, SMALL_LIMITS, type KeySpec } from '../helpers/rdb-dataset.js';

/** Compresses some unrelated bytes with the shared table, as another key's save would between two pieces. */
function disturb(seed: number): void {
  const noise = Buffer.alloc(3000, 'the same few words again, ');
  noise.writeUInt32LE(seed >>> 0, 17);
  lzfCompress(noise, 0, noise.length, Buffer.alloc(noise.length), 0, noise.length - 4);
}

function oneShot(value: Value, options: ValueEncoderOptions): Buffer {
  const sink = new ByteSink(64);
  new ValueEncoder(options).writeValue(sink, value);
  return sink.take();
}

/** The value written piece by piece, its output taken after each piece; and how many pieces it took. */
function inPieces(value: Value, options: ValueEncoderOptions): { bytes: Buffer; pieces: number } {
  const sink = new ByteSink(64);
  const chunks: Buffer[] = [];
  const pieces = new ValueEncoder(options).valuePieces(sink, value);
  let count = 0;
  for (;;) {
    const step = pieces.next();
    count++;
    chunks.push(sink.take());
    if (step.done === true) break;
    if (count % 61 === 0) disturb(count);
  }
  return { bytes: Buffer.concat(chunks), pieces: count };
}

/** A list value written by writeValue, read back. */
function decodeList(body: Buffer): Value {
  const payload = Buffer.concat([Buffer.from([RDB_TYPE_LIST_QUICKLIST_2]), body, Buffer.from([RDB_VERSION & 0xff, RDB_VERSION >> 8]), Buffer.alloc(8)]);
  return decodeDumpPayload(payload) as Value;
}

/** Values of every type and encoding (the rich dataset, unless `bigOnly`), and a few large ones. */
function values(limits: EncodingLimits, bigOnly = false): Array<[string, Value]> {
  const rnd = prng(7);
  const noise = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(Math.floor(rnd() * 256))).join('');
  const specs: KeySpec[] = [
    ...(bigOnly ? [] : richDataset(limits, 4e12)),
    { db: 0, key: 'big:compressible', value: { type: 'string', value: 'abcdefgh'.repeat(4000) } },
    { db: 0, key: 'big:noise', value: { type: 'string', value: noise(20_000) } },
    { db: 0, key: 'big:list', value: { type: 'list', items: Array.from({ length: 2000 }, (_, i) => (i % 7 === 0 ? noise(i % 300) : `element:${i}`)) } },
    { db: 0, key: 'big:list:plain', value: { type: 'list', items: ['a', 'p'.repeat(9000), 'b', noise(8000), '12'] } },
    { db: 0, key: 'big:set', value: { type: 'set', members: Array.from({ length: 1500 }, (_, i) => `member:${i}`) } },
    { db: 0, key: 'big:intset', value: { type: 'set', members: Array.from({ length: Math.min(limits.setMaxIntsetEntries, 1500) }, (_, i) => String(i * 1000 - 5)) } },
    { db: 0, key: 'big:hash', value: { type: 'hash', pairs: Array.from({ length: 1500 }, (_, i): [string, string] => [`field:${i}`, i % 100 === 0 ? 'v'.repeat(7000) : String(i)]) } },
    { db: 0, key: 'big:zset', value: { type: 'zset', entries: Array.from({ length: 1500 }, (_, i): [string, number] => [i === 5 ? 'm'.repeat(7000) : `m${i}`, (i * 37) % 1001 / 7]) } },
  ];
  return specs.map((s) => [s.key, buildValue(s.value, limits)]);
}

const LARGE_LISTPACKS: EncodingLimits = {
  ...DEFAULT_ENCODING_LIMITS,
  hashMaxListpackEntries: 5000,
  hashMaxListpackValue: 10_000,
  zsetMaxListpackEntries: 5000,
  zsetMaxListpackValue: 10_000,
  setMaxIntsetEntries: 5000,
};

describe('a value written in pieces', () => {
  for (const [name, limits, bigOnly] of [
    ['small limits', SMALL_LIMITS, false],
    ['default limits', DEFAULT_ENCODING_LIMITS, false],
    ['huge listpacks and intsets', LARGE_LISTPACKS, true],
  ] as const) {
    it(`is byte for byte the value written at once (${name})`, () => {
      const all = values(limits, bigOnly);
      for (const [key, value] of all) {
        // The fill changes only how a list is split into nodes.
        const fills = typeof value !== 'string' && value.type === 'list' ? [-2, 5] : [-2];
        for (const compression of [true, false]) {
          for (const listMaxListpackSize of fills) {
            const base: ValueEncoderOptions = { compression, listMaxListpackSize, listPackedThreshold: 6000 };
            const expected = oneShot(value, base);
            for (const [pieceElements, pieceBytes] of [
              [1, 1],
              [3, 7],
              [100, 1000],
            ]) {
              const got = inPieces(value, { ...base, pieceElements, pieceBytes });
              expect(got.bytes.equals(expected), `${key} compression=${compression} fill=${listMaxListpackSize} pieces=${pieceElements}/${pieceBytes}`).toBe(true);
              // A large value does take several pieces.
              if (key.startsWith('big:') && pieceElements === 1) expect(got.pieces, key).toBeGreaterThan(10);
            }
          }
        }
      }
    });
  }

  it('of a list of several megabytes (nodes built in several blocks) is the list written at once', () => {
    const rnd = prng(3);
    const noise = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(Math.floor(rnd() * 256))).join('');
    const items = Array.from({ length: 6000 }, (_, i) => (i % 5 === 0 ? String(i) : i % 5 === 1 ? 'x'.repeat(i % 700) : noise(i % 900)));
    const list = buildValue({ type: 'list', items }, DEFAULT_ENCODING_LIMITS);
    for (const compression of [true, false]) {
      const expected = oneShot(list, { compression });
      expect(expected.length).toBeGreaterThan(1_500_000);
      const got = inPieces(list, { compression, pieceElements: 7, pieceBytes: 4096 });
      expect(got.bytes.equals(expected)).toBe(true);
      expect(modelOf(decodeList(expected))).toEqual(modelOf(list));
    }
  });

  it('of random contents, in pieces of random sizes, is the value written at once', () => {
    const element = fc.oneof(
      fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
      fc.integer({ min: -1e6, max: 1e6 }).map(String),
      fc.tuple(fc.constantFrom('ab', 'xyz'), fc.integer({ min: 5, max: 200 })).map(([s, n]) => s.repeat(n)),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          element.map((value) => ({ type: 'string' as const, value })),
          fc.array(element, { minLength: 1, maxLength: 80 }).map((items) => ({ type: 'list' as const, items })),
          fc.uniqueArray(element, { minLength: 1, maxLength: 40 }).map((members) => ({ type: 'set' as const, members })),
          fc.uniqueArray(fc.tuple(element, element), { minLength: 1, maxLength: 40, selector: ([f]) => f }).map((pairs) => ({ type: 'hash' as const, pairs })),
          fc.uniqueArray(fc.tuple(element, fc.double({ noNaN: true })), { minLength: 1, maxLength: 40, selector: ([m]) => m }).map((entries) => ({ type: 'zset' as const, entries })),
        ),
        fc.boolean(),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 300 }),
        fc.constantFrom(SMALL_LIMITS, DEFAULT_ENCODING_LIMITS),
        (spec, compression, pieceElements, pieceBytes, limits) => {
          const value = buildValue(spec, limits);
          const expected = oneShot(value, { compression, listMaxListpackSize: 3 });
          const got = inPieces(value, { compression, listMaxListpackSize: 3, pieceElements, pieceBytes });
          expect(got.bytes.equals(expected)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('LZF compression in steps', () => {
  it('makes what one call makes, or fails where it fails', () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
      fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 5000 }), fc.integer()).map(([alphabet, length, seed]) => {
        const rnd = prng(seed);
        return Buffer.from(Array.from({ length }, () => 97 + Math.floor(rnd() * alphabet)));
      }),
    );
    fc.assert(
      fc.property(input, fc.integer({ min: 1, max: 700 }), fc.integer({ min: -8, max: 64 }), (src, step, slack) => {
        const limit = Math.max(0, src.length + slack);
        const whole = Buffer.alloc(limit + 1);
        const n = lzfCompress(src, 0, src.length, whole, 0, limit);
        const stepped = Buffer.alloc(limit + 1);
        const lzf = new LzfCompression(src, 0, src.length, stepped, 0, limit);
        let steps = 0;
        while (!lzf.step(step)) {
          disturb(steps++);
        }
        expect(lzf.result).toBe(n);
        if (n > 0) expect(stepped.subarray(0, n).equals(whole.subarray(0, n))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('RdbWriter keys in pieces', () => {
  function databases(): RdbSourceDatabase[] {
    const dbs = new Map<number, { id: number; dict: Map<string, Value>; expires: Map<string, number> }>();
    for (const spec of richDataset(SMALL_LIMITS, 4e12)) {
      let db = dbs.get(spec.db);
      if (db === undefined) dbs.set(spec.db, (db = { id: spec.db, dict: new Map(), expires: new Map() }));
      db.dict.set(spec.key, buildValue(spec.value, SMALL_LIMITS));
      if (spec.expireAt !== undefined) db.expires.set(spec.key, spec.expireAt);
    }
    dbs.get(0)?.dict.set('huge', 'q'.repeat(300_000));
    return [...dbs.values()].sort((a, b) => a.id - b.id);
  }

  it('startKey and continueKey, flushed between pieces, write the file encodeRdb writes', () => {
    const header = { ctime: 1700000000, usedMem: 1234 };
    for (const compression of [true, false]) {
      const dbs = databases();
      const expected = encodeRdb(dbs, { compression, header });
      const writer = new RdbWriter({ compression, pieceElements: 2, pieceBytes: 50 });
      const chunks: Buffer[] = [];
      writer.header(header);
      let unfinished = 0;
      for (const db of dbs) {
        writer.selectDb(db.id, db.dict.size, db.expires.size);
        for (const [key, value] of db.dict) {
          const expireAt = db.expires.get(key);
          if (writer.startKey(key, value, expireAt === undefined ? undefined : { expireAt })) continue;
          unfinished++;
          expect(writer.keyInProgress).toBe(true);
          do chunks.push(writer.flush());
          while (!writer.continueKey());
          expect(writer.keyInProgress).toBe(false);
        }
      }
      chunks.push(writer.flush(), writer.end());
      expect(unfinished).toBeGreaterThan(20);
      const got = Buffer.concat(chunks);
      expect(got.equals(expected)).toBe(true);
      const back = readRdb(got, { limits: SMALL_LIMITS });
      expect(modelOf(back.databases.get(0)?.get('huge')?.value as Value)).toEqual(modelOf('q'.repeat(300_000)));
    }
  });

  it('nothing else is written while a key is in progress; finishKey writes the rest', () => {
    const writer = new RdbWriter({ pieceElements: 1 });
    writer.header();
    writer.selectDb(0, 2, 0);
    const list = buildValue({ type: 'list', items: ['a', 'b', 'c', 'd'] }, SMALL_LIMITS);
    expect(writer.startKey('l', list)).toBe(false);
    expect(() => writer.key('other', 'v')).toThrow(/in progress/);
    expect(() => writer.startKey('other', 'v')).toThrow(/in progress/);
    expect(() => writer.selectDb(1, 1, 0)).toThrow(/in progress/);
    expect(() => writer.records(Buffer.alloc(1))).toThrow(/in progress/);
    expect(() => writer.end()).toThrow(/in progress/);
    writer.finishKey();
    expect(writer.keyInProgress).toBe(false);
    writer.key('other', 'v');
    const file = Buffer.concat([writer.flush(), writer.end()]);
    const db0 = readRdb(file).databases.get(0);
    expect(modelOf(db0?.get('l')?.value as Value)).toEqual(modelOf(list));
    expect(db0?.get('other')?.value).toBe('v');
  });
});
