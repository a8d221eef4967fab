import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Crc64, crc64 } from '../../src/persistence/rdb/crc64.js';
import { lzfCompress, lzfCompressJs, lzfDecompress, lzfDecompressJs } from '../../src/persistence/rdb/lzf.js';
import { lzfDecompressWasm, lzfModuleMemory, MAX_INPUT_BYTES } from '../../src/persistence/rdb/lzf-wasm.js';
import { ListpackBuilder, listpackEntrySize, packListpack, readListpack } from '../../src/persistence/rdb/listpack.js';
import { packItems, varintWidth } from '../../src/types/packed.js';
import { stringAsInt } from '../../src/types/stream/listpack.js';
import { readIntset, writeIntset } from '../../src/persistence/rdb/intset.js';
import { readZiplist } from '../../src/persistence/rdb/ziplist.js';
import { readZipmap } from '../../src/persistence/rdb/zipmap.js';
import { ByteSink } from '../../src/persistence/rdb/sink.js';
import { RdbError } from '../../src/persistence/rdb/constants.js';
import { buildZiplist, u32le } from '../helpers/rdb-blobs.js';
import { referenceLzfCompress } from '../helpers/lzf-reference.js';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Strings with few distinct bytes compress; a mix of alphabets exercises both paths. */
const compressible = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 3000 }), fc.integer())
  .map(([alphabet, length, seed]) => {
    const out = Buffer.allocUnsafe(length);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      out[i] = 97 + ((x >>> 16) % alphabet);
    }
    return out;
  });
const bytes = fc.oneof(compressible, fc.uint8Array({ maxLength: 500 }).map((a) => Buffer.from(a)));

function compress(input: Buffer, limit = input.length + 64): Buffer | null {
  const out = Buffer.alloc(limit);
  const n = lzfCompress(input, 0, input.length, out, 0, limit);
  return n === 0 ? null : out.subarray(0, n);
}

function decompress(input: Buffer, length: number): Buffer | null {
  const out = Buffer.alloc(length);
  const n = lzfDecompress(input, 0, input.length, out, 0, length);
  return n === length ? out : null;
}

describe('crc64', () => {
  it('matches the Jones CRC-64 test vector', () => {
    expect(crc64(latin1('123456789'))).toBe(0xe9c6d914c4b8d9can);
    expect(crc64(Buffer.alloc(0))).toBe(0n);
  });

  it('gives the same value fed in pieces, at any alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 5 }), (data, cuts) => {
        const buf = Buffer.from(data);
        const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
        const crc = new Crc64();
        let at = 0;
        for (const p of points) {
          crc.update(buf, at, p);
          at = p;
        }
        crc.update(buf, at, buf.length);
        expect(crc.value()).toBe(crc64(buf));
        // And continuing from a saved value.
        const half = buf.length >> 1;
        expect(new Crc64(crc64(buf, 0, half)).update(buf, half).value()).toBe(crc64(buf));
      }),
    );
  });

  it('gives the bit-by-bit CRC for runs long enough for the WebAssembly loop, over several of its chunks too', () => {
    const bitwise = (data: Uint8Array, start: number, end: number): bigint => {
      let crc = 0n;
      for (let p = start; p < end; p++) {
        crc ^= BigInt(data[p] as number);
        for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ 0x95ac9329ac4bc9b5n : crc >> 1n;
      }
      return crc;
    };
    const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + (i >> 3)) & 0xff));
    for (const [start, end] of [[0, 255], [0, 256], [1, 257], [3, 1000], [5, 2003], [0, 3000], [17, 2990]] as const) {
      expect(crc64(data, start, end)).toBe(bitwise(data, start, end));
      // Continuing from a value, across the JS and the WebAssembly loops.
      expect(new Crc64(crc64(data, 0, start)).update(data, start, end).value()).toBe(crc64(data, 0, end));
    }
    // Past one chunk copied into its memory (64 KB): fed in short runs, all in JS, as the reference.
    const big = Buffer.from(Array.from({ length: 200_003 }, (_, i) => (i * 2654435761) >>> 24));
    const inShortRuns = new Crc64();
    for (let p = 1; p < big.length; p += 200) inShortRuns.update(big, p, Math.min(big.length, p + 200));
    expect(crc64(big, 1)).toBe(inShortRuns.value());
  });

  it('writes and compares itself as 8 little-endian bytes', () => {
    const crc = new Crc64().update(latin1('123456789'));
    const out = Buffer.alloc(8);
    crc.writeLE(out, 0);
    expect(out.readBigUInt64LE(0)).toBe(0xe9c6d914c4b8d9can);
    expect(crc.equalsLE(out, 0)).toBe(true);
    out[3] ^= 1;
    expect(crc.equalsLE(out, 0)).toBe(false);
  });
});

/** lzfCompress, checked to be below the size it hands to the JS compressor. */
function lzfCompressWithWasm(src: Uint8Array, srcStart: number, srcLen: number, dst: Uint8Array, dstStart: number, dstLen: number): number {
  expect(srcLen).toBeLessThanOrEqual(MAX_INPUT_BYTES);
  return lzfCompress(src, srcStart, srcLen, dst, dstStart, dstLen);
}

describe('lzf', () => {
  it('round-trips any input', () => {
    fc.assert(
      fc.property(bytes, (input) => {
        const packed = compress(input);
        if (input.length === 0) {
          expect(packed).toBeNull();
          return;
        }
        expect(packed).not.toBeNull();
        expect(decompress(packed as Buffer, input.length)?.equals(input)).toBe(true);
      }),
    );
  });

  // lzfCompress runs the WebAssembly compressor for inputs up to MAX_INPUT_BYTES; lzfCompressJs
  // is the JS one, which takes larger inputs (and a background save's steps share its code).
  for (const [implementation, lzfCompress] of [['WebAssembly', lzfCompressWithWasm], ['JS', lzfCompressJs]] as const) {
    it(`makes the bytes of the plain byte-at-a-time compressor, whatever the input and output limit, and decompresses them (${implementation})`, () => {
      // Listpack-like runs (long matches that end anywhere, near the end of the input too), text
      // from a small alphabet, noise, and the same repeated past the 8 KB window and 264-byte matches.
      const records = fc
        .tuple(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 1000 }))
        .map(([count, width, step]) => {
          const parts: string[] = [];
          for (let i = 0; i < count; i++) {
            const text = `element:${String(i * step).padStart(width, '0')}`;
            parts.push(String.fromCharCode(0x80 | text.length), text, String.fromCharCode(text.length + 1));
          }
          return latin1(parts.join(''));
        });
      const runs = fc
        .tuple(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 40 }), fc.uint8Array({ minLength: 1, maxLength: 30 }))
        .map(([repeat, tail, unit]) => Buffer.concat([Buffer.from(unit).subarray(0, tail), Buffer.alloc(repeat * unit.length, Buffer.from(unit))]));
      const doubled = fc.uint8Array({ minLength: 9000, maxLength: 20000 }).map((a) => Buffer.concat([Buffer.from(a), Buffer.from(a)]));
      // Cut anywhere near the end, so that matches run into the end of the input.
      const inputs = fc
        .tuple(fc.oneof(records, runs, bytes, doubled), fc.nat(40))
        .map(([input, cut]) => input.subarray(0, Math.max(0, input.length - cut)));
      fc.assert(
        fc.property(inputs, fc.double({ min: 0, max: 1.2, noNaN: true }), (input, share) => {
          const limit = Math.floor(input.length * share);
          const ours = Buffer.alloc(limit + 8, 0xaa);
          const theirs = Buffer.alloc(limit + 8, 0xaa);
          const n = lzfCompress(input, 0, input.length, ours, 0, limit);
          expect(n).toBe(referenceLzfCompress(input, theirs, limit));
          if (n > 0) {
            expect(ours.subarray(0, n).equals(theirs.subarray(0, n))).toBe(true);
            expect(decompress(ours.subarray(0, n), input.length)?.equals(input)).toBe(true);
          }
        }),
        { numRuns: 300 },
      );
      // A match of every length up to past the longest (264 bytes), with room after it.
      const noise = Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 7919 + ((i * i) >> 3)) % 251));
      for (let match = 3; match <= 300; match++) {
        const copy = Buffer.from(noise.subarray(0, match + 1));
        copy[match] = (copy[match] as number) ^ 0x55;
        const input = Buffer.concat([noise.subarray(0, 320), copy, noise.subarray(400, 460)]);
        // Room for the noise around the match, which does not compress.
        const room = input.length + 64;
        const ours = Buffer.alloc(room);
        const theirs = Buffer.alloc(room);
        const n = lzfCompress(input, 0, input.length, ours, 0, room);
        expect(n).toBeGreaterThan(0);
        expect(n).toBe(referenceLzfCompress(input, theirs, room));
        expect(ours.subarray(0, n).equals(theirs.subarray(0, n))).toBe(true);
        expect(decompress(ours.subarray(0, n), input.length)?.equals(input)).toBe(true);
      }
      // Every length of a few repetitive inputs: the last match ends at the end of the input with
      // each possible room left (lzf's match extension goes by its own rules there).
      for (const unit of ['a', 'abc', 'abcdefghijklmnopq', '\x8felement:00\x10']) {
        for (let length = 1; length <= 700; length++) {
          const input = latin1(unit.repeat(Math.ceil(length / unit.length) + 1).slice(1, length + 1));
          const ours = Buffer.alloc(length + 8);
          const theirs = Buffer.alloc(length + 8);
          const n = lzfCompress(input, 0, length, ours, 0, length);
          expect(n).toBe(referenceLzfCompress(input, theirs, length));
          expect(ours.subarray(0, n).equals(theirs.subarray(0, n))).toBe(true);
          if (n > 0) expect(decompress(ours.subarray(0, n), length)?.equals(input)).toBe(true);
        }
      }
    });
  }

  it('gives the same bytes from either compressor for inputs that make the WebAssembly memory grow, and past its limit', () => {
    const records = (count: number, from: number): Buffer =>
      latin1(Array.from({ length: count }, (_, i) => `\x8felement:${String((from + i) * 7).padStart(7, '0')}\x10`).join(''));
    // 680 KB, then exactly the largest input the WebAssembly compressor takes (3 bytes are left
    // out at the start), then one byte more (the JS one).
    const cases: [Buffer, number][] = [
      [records(40_000, 0), 40_000 * 17],
      [records(80_000, 5), MAX_INPUT_BYTES + 3],
      [Buffer.concat([records(70_000, 1), records(10, 3)]), MAX_INPUT_BYTES + 4],
    ];
    for (const [input, length] of cases) {
      const viaWasm = Buffer.alloc(length + 40);
      const viaJs = Buffer.alloc(length + 40);
      // Offsets on both sides, as value-encoder.ts passes them.
      const n = lzfCompress(input, 3, length - 3, viaWasm, 5, length);
      expect(n).toBeGreaterThan(0);
      expect(lzfCompressJs(input, 3, length - 3, viaJs, 5, length)).toBe(n);
      expect(viaWasm.equals(viaJs)).toBe(true);
      expect(decompress(viaWasm.subarray(5, 5 + n), length - 3)?.equals(input.subarray(3, length))).toBe(true);
    }
  });

  it('compresses repetitive text and gives up when the output would not fit', () => {
    const text = latin1('abcabcabcabcabcabcabcabcabcabcabcabcabcabc'.repeat(20));
    const packed = compress(text) as Buffer;
    expect(packed.length).toBeLessThan(text.length / 10);
    // Redis asks for 4 bytes saved: a limit below the compressed size fails.
    expect(lzfCompress(text, 0, text.length, Buffer.alloc(packed.length - 1), 0, packed.length - 1)).toBe(0);
    // (lzf's checks keep a few bytes of slack, so the exact size may not be enough either.)
    expect(lzfCompress(text, 0, text.length, Buffer.alloc(packed.length + 4), 0, packed.length + 4)).toBe(packed.length);
    // Random bytes do not shrink by 4.
    const noise = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 193 + 71) % 256));
    expect(lzfCompress(noise, 0, noise.length, Buffer.alloc(196), 0, 196)).toBe(0);
  });

  it('compresses a slice of a larger buffer into the middle of another', () => {
    const src = Buffer.concat([latin1('junk'), latin1('x'.repeat(100)), latin1('tail')]);
    const dst = Buffer.alloc(50, 0xee);
    const n = lzfCompress(src, 4, 100, dst, 10, 40);
    expect(n).toBeGreaterThan(0);
    expect(dst.subarray(0, 10).every((b) => b === 0xee)).toBe(true);
    expect(decompress(dst.subarray(10, 10 + n), 100)?.toString('latin1')).toBe('x'.repeat(100));
  });

  it('decodes hand-written streams: literals, short and long back references', () => {
    // "abc" literal run, then copy 3 from offset 3 (ctrl 001_00000, off 2), then 10 from offset 6.
    const stream = Buffer.from([0x02, 0x61, 0x62, 0x63, 0x20, 0x02, 0xe0, 0x01, 0x05]);
    expect(decompress(stream, 16)?.toString('latin1')).toBe('abcabcabcabcabca');
  });

  it('rejects malformed streams without reading or writing out of bounds', () => {
    // A back reference before the start of the output.
    expect(lzfDecompress(Buffer.from([0x20, 0x05]), 0, 2, Buffer.alloc(10), 0, 10)).toBe(-1);
    // A literal run longer than the input.
    expect(lzfDecompress(Buffer.from([0x05, 0x61]), 0, 2, Buffer.alloc(10), 0, 10)).toBe(-1);
    // More output than announced.
    expect(lzfDecompress(Buffer.from([0x02, 0x61, 0x62, 0x63]), 0, 4, Buffer.alloc(2), 0, 2)).toBe(-1);
    // A back reference cut short.
    expect(lzfDecompress(Buffer.from([0x00, 0x61, 0xe0]), 0, 3, Buffer.alloc(10), 0, 10)).toBe(-1);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(400), (garbage, length) => {
        const out = Buffer.alloc(length + 8, 0xaa);
        const n = lzfDecompress(Buffer.from(garbage), 0, garbage.length, out, 4, length);
        expect(n).toBeGreaterThanOrEqual(-1);
        expect(n).toBeLessThanOrEqual(length);
        // Nothing written outside [4, 4 + length).
        expect(out.subarray(0, 4).every((b) => b === 0xaa) && out.subarray(4 + length).every((b) => b === 0xaa)).toBe(true);
      }),
    );
  });
});

describe('lzf decompression in WebAssembly', () => {
  // Literal runs and back references of every length and distance, overlapping ones included.
  const text = fc
    .tuple(fc.array(fc.constantFrom('a', 'ab', 'abcdefgh', 'element:', '\x00\xff', 'v'.repeat(40), 'xyz'.repeat(100)), { minLength: 1, maxLength: 400 }), fc.uint8Array({ maxLength: 300 }))
    .map(([parts, noise]) => Buffer.concat([Buffer.from(parts.join(''), 'latin1'), Buffer.from(noise), Buffer.from(parts.reverse().join(''), 'latin1')]));

  it('gives what the JS decompressor gives, into the middle of a buffer, and writes nothing around it', () => {
    fc.assert(
      fc.property(text, (input) => {
        const packed = compress(input);
        if (packed === null) return;
        const viaWasm = Buffer.alloc(input.length + 16, 0xaa);
        const viaJs = Buffer.alloc(input.length + 16, 0xaa);
        expect(lzfDecompressWasm(packed, 0, packed.length, viaWasm, 8, input.length)).toBe(input.length);
        expect(lzfDecompressJs(packed, 0, packed.length, viaJs, 8, input.length)).toBe(input.length);
        expect(viaWasm.subarray(8, 8 + input.length).equals(input)).toBe(true);
        expect(viaWasm.equals(viaJs)).toBe(true);
        // One byte of room less: malformed for both.
        expect(lzfDecompressWasm(packed, 0, packed.length, viaWasm, 0, input.length - 1)).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects what the JS decompressor rejects, for any bytes and any room', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(2000), (garbage, length) => {
        const input = Buffer.from(garbage);
        const viaWasm = Buffer.alloc(length + 16, 0xaa);
        const viaJs = Buffer.alloc(length + 16, 0xaa);
        const n = lzfDecompressWasm(input, 0, input.length, viaWasm, 8, length);
        expect(n).toBe(lzfDecompressJs(input, 0, input.length, viaJs, 8, length));
        if (n >= 0) expect(viaWasm.equals(viaJs)).toBe(true);
        expect(viaWasm.subarray(0, 8).every((b) => b === 0xaa) && viaWasm.subarray(8 + Math.max(n, 0)).every((b) => b === 0xaa)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves an input longer than the module takes to the JS decompressor, whatever output it claims', () => {
    // A crafted payload: 8 MB of literal runs that would make 300 bytes. The module's memory,
    // which never shrinks, must not grow to hold it.
    const input = Buffer.alloc(8 * 1024 * 1024, 0x1f);
    const before = lzfModuleMemory().length;
    expect(lzfDecompress(input, 0, input.length, Buffer.alloc(300), 0, 300)).toBe(-1);
    expect(lzfModuleMemory().length).toBe(before);
    expect(before).toBeLessThan(4 * MAX_INPUT_BYTES);
  });

  it('decompresses outputs up to the largest the module takes, through lzfDecompress', () => {
    const input = Buffer.alloc(MAX_INPUT_BYTES);
    for (let p = 0; p < input.length; p += 17) input.latin1Write(`element:${String(p).padStart(8, '0')}`, p);
    const packed = compress(input, input.length);
    expect(packed).not.toBeNull();
    expect(decompress(packed as Buffer, input.length)?.equals(input)).toBe(true);
  });
});

describe('stringAsInt (listpack and RDB integer strings)', () => {
  it('accepts exactly the canonical decimals of 64-bit integers', () => {
    expect(stringAsInt('0')).toBe(0);
    expect(stringAsInt('-1')).toBe(-1);
    expect(stringAsInt('9007199254740991')).toBe(9007199254740991);
    expect(stringAsInt('9007199254740993')).toBe(9007199254740993n);
    expect(stringAsInt('9223372036854775807')).toBe(9223372036854775807n);
    expect(stringAsInt('-9223372036854775808')).toBe(-9223372036854775808n);
    for (const bad of ['', '-', '-0', '01', '+1', ' 1', '1 ', '1.0', '9223372036854775808', '-9223372036854775809', '1e3', '99999999999999999999']) {
      expect(stringAsInt(bad), bad).toBeNull();
    }
  });
});

function buildListpack(items: string[]): Buffer {
  const sink = new ByteSink(16);
  const lp = new ListpackBuilder(sink);
  lp.begin();
  for (const item of items) lp.appendString(item);
  lp.end();
  expect(lp.bytes).toBe(sink.pos + 1); // bytes counts the terminator written; pos is past it
  return sink.take();
}

describe('listpack', () => {
  it('encodes entries as listpack.c does', () => {
    // Header: total bytes, count; then entries with their backlen.
    expect(buildListpack([]).toString('hex')).toBe('0700000000' + '00ff');
    expect(buildListpack(['5']).toString('hex')).toBe('09000000' + '0100' + '0501' + 'ff');
    expect(buildListpack(['-1']).toString('hex')).toBe('0a000000' + '0100' + 'dfff02' + 'ff');
    expect(buildListpack(['4095', '4096']).toString('hex')).toBe('0e000000' + '0200' + 'cfff02' + 'f1001003' + 'ff');
    expect(buildListpack(['ab']).toString('hex')).toBe('0b000000' + '0100' + '82616203' + 'ff');
    // 64 bytes: the 12-bit string form; its entry (66 bytes) still has a one-byte backlen.
    const s64 = buildListpack(['x'.repeat(64)]);
    expect(s64.subarray(6, 8).toString('hex')).toBe('e040');
    expect(s64[6 + 66]).toBe(66);
    // 200 bytes: a backlen over 127 takes two bytes, high group first.
    const s200 = buildListpack(['y'.repeat(200)]);
    expect(s200.subarray(6 + 202, 6 + 204).toString('hex')).toBe('01ca');
    // 5000 bytes: the 32-bit string form.
    const s5000 = buildListpack(['z'.repeat(5000)]);
    expect(s5000.subarray(6, 11).toString('hex')).toBe('f088130000');
  });

  it('uses the smallest integer encoding', () => {
    const sizes: Array<[string, number]> = [
      ['127', 2], ['128', 3], ['-4096', 3], ['4095', 3], ['32767', 4], ['-32769', 5],
      ['8388607', 5], ['8388608', 6], ['-2147483648', 6], ['2147483648', 10],
      ['9223372036854775807', 10], ['-9223372036854775808', 10], ['9007199254740993', 10],
    ];
    for (const [text, size] of sizes) {
      const lp = buildListpack([text]);
      expect(lp.length - 7, text).toBe(size);
      const out: string[] = [];
      readListpack(lp, 0, lp.length, out);
      expect(out).toEqual([text]);
    }
  });

  it('round-trips any strings, with backlens at every size boundary', () => {
    const edgeLengths = [0, 63, 64, 125, 126, 127, 128, 4095, 4096, 16380, 16381, 16382, 16383];
    const edge = edgeLengths.map((n) => 'e'.repeat(n));
    const entry = fc.oneof(
      fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 80 }),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
      fc.integer({ min: -70000, max: 70000 }).map(String),
      fc.constantFrom(...edge, '-0', '007', ' 1'),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), (items) => {
        const lp = buildListpack(items);
        const out: string[] = [];
        expect(readListpack(lp, 0, lp.length, out)).toBe(items.length);
        expect(out).toEqual(items);
        // The size a list's save plans its nodes with is what each entry takes.
        const planned = items.reduce((sum, item) => sum + listpackEntrySize(item), 0);
        expect(planned).toBe(lp.length - 7);
        // Packed in one pass: what packing the strings read gives.
        expect(packListpack(lp, 0, lp.length, 1)).toBe(packItems(items.length, items));
        if (items.length % 2 === 0) expect(packListpack(lp, 0, lp.length, 2)).toBe(packItems(items.length / 2, items));
        else expect(packListpack(lp, 0, lp.length, 2)).toBeNull();
      }),
    );
  });

  it('appends a packed string\'s entries byte for byte as appendString appends their texts', () => {
    const entry = fc.oneof(
      fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 70 }),
      fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
      fc.integer({ min: -70000, max: 70000 }).map(String),
      fc.constantFrom('0', '-0', '007', '-', '', ' 1', '1 ', '9007199254740993', '-9223372036854775808', '9223372036854775808', '999999999999999', '1000000000000000', 'x'.repeat(200)),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), (items) => {
        const bySink = (append: (lp: ListpackBuilder) => void): string => {
          const sink = new ByteSink(16);
          const lp = new ListpackBuilder(sink);
          lp.begin();
          append(lp);
          lp.end();
          return sink.take().toString('hex');
        };
        const packed = packItems(items.length, items);
        const expected = bySink((lp) => {
          for (const item of items) lp.appendString(item);
        });
        const got = bySink((lp) => {
          let pos = varintWidth(items.length);
          for (let i = 0; i < items.length; i++) pos = lp.appendPackedEntry(packed, pos);
          expect(pos).toBe(packed.length);
        });
        expect(got).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('marks a count of 65535 or more as unknown and still reads every entry', () => {
    const items = Array.from({ length: 70000 }, (_, i) => String(i % 100));
    const lp = buildListpack(items);
    expect(lp.readUInt16LE(4)).toBe(65535);
    const out: string[] = [];
    expect(readListpack(lp, 0, lp.length, out)).toBe(70000);
    expect(packListpack(lp, 0, lp.length, 2)).toBe(packItems(35000, items));
  });

  it('rejects a blob that is not a well-formed listpack', () => {
    const good = buildListpack(['hello', '300', 'x'.repeat(200)]);
    const broken = (edit: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      edit(b);
      return b;
    };
    const cases = [
      broken((b) => b.writeUInt32LE(b.length + 1, 0)), // total bytes wrong
      broken((b) => (b[b.length - 1] = 0)), // no terminator
      broken((b) => b.writeUInt16LE(2, 4)), // count wrong
      broken((b) => (b[6 + 6] = 9)), // backlen of the first entry wrong
      broken((b) => (b[6] = 0xf7)), // unknown encoding
      broken((b) => (b[6] = 0x8f)), // string running past the end of its entry
      good.subarray(0, 5),
      // A short string whose backlen would be the terminator.
      Buffer.from('0b000000010083616203ff', 'hex'),
      // A short string entry with a backlen counting its header twice.
      Buffer.from('0b000000010082616204ff', 'hex'),
    ];
    for (const c of cases) {
      expect(() => readListpack(c, 0, c.length, [])).toThrow(RdbError);
      expect(() => packListpack(c, 0, c.length, 1)).toThrow(RdbError);
    }
    expect(readListpack(Buffer.from('0b000000010082616203ff', 'hex'), 0, 11, [])).toBe(1);
  });
});

describe('intset', () => {
  function build(members: string[]): Buffer {
    const sink = new ByteSink(16);
    writeIntset(sink, members.length, (i) => members[i] as string);
    return sink.take();
  }

  it('picks the width of its extremes and round-trips', () => {
    expect(build(['-5', '1', '300']).toString('hex')).toBe('02000000' + '03000000' + 'fbff' + '0100' + '2c01');
    expect(build(['1', '40000']).readUInt32LE(0)).toBe(4);
    expect(build(['-2147483649', '1']).readUInt32LE(0)).toBe(8);
    for (const members of [['1'], ['-32768', '32767'], ['-2147483648', '2147483647'], ['-9223372036854775808', '0', '9223372036854775807'], ['4294967296', '9007199254740993']]) {
      const blob = build(members);
      expect(readIntset(blob, 0, blob.length)).toEqual(members);
    }
  });

  it('rejects bad headers, sizes, order and emptiness', () => {
    const good = build(['1', '2', '3']);
    const bad = [
      Buffer.concat([Buffer.from([3, 0, 0, 0]), good.subarray(4)]),
      good.subarray(0, good.length - 1),
      build(['2', '1']),
      build(['1', '1']),
      build([]),
      good.subarray(0, 6),
    ];
    for (const b of bad) expect(() => readIntset(b, 0, b.length)).toThrow(RdbError);
  });
});

describe('ziplist', () => {
  it('reads every string and integer encoding', () => {
    const items: Array<string | number> = ['', 'a', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(300), 'w'.repeat(16384), 0, 12, 13, -1, -128, 300, -30000, 70000, -8388608, 2147483647, -2147483648, 4294967296, Number.MIN_SAFE_INTEGER];
    const zl = buildZiplist(items);
    const out: string[] = [];
    expect(readZiplist(zl, 0, zl.length, out)).toBe(items.length);
    expect(out).toEqual(items.map(String));
    const empty = buildZiplist([]);
    expect(readZiplist(empty, 0, empty.length, [])).toBe(0);
  });

  it('rejects broken prevlens, tails, counts and lengths', () => {
    const good = buildZiplist(['hello', 7, 'x'.repeat(300)]);
    const broken = (edit: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      edit(b);
      return b;
    };
    const cases = [
      broken((b) => b.writeUInt32LE(b.length - 1, 0)),
      broken((b) => b.writeUInt32LE(11, 4)),
      broken((b) => b.writeUInt16LE(4, 8)),
      broken((b) => (b[10] = 3)), // first prevlen must be 0
      broken((b) => (b[11] = 0x3f)), // string longer than the blob
      broken((b) => (b[b.length - 1] = 0)),
      broken((b) => (b[18] = 0xc1)), // not an encoding
    ];
    for (const c of cases) expect(() => readZiplist(c, 0, c.length, [])).toThrow(RdbError);
  });
});

describe('zipmap', () => {
  it('reads pairs, skipping the free bytes after values', () => {
    const zm = latin1('\x02\x03foo\x03\x00bar\x05hello\x05\x02worldXX\xff');
    expect(readZipmap(zm, 0, zm.length)).toEqual(['foo', 'bar', 'hello', 'world']);
    const long = Buffer.concat([latin1('\x01\xfe'), u32le(300), latin1('k'.repeat(300)), latin1('\x01\x00v\xff')]);
    expect(readZipmap(long, 0, long.length)).toEqual(['k'.repeat(300), 'v']);
  });

  it('rejects truncated maps and wrong counts', () => {
    for (const bad of ['\x02\x03foo\x03\x00bar\xff', '\x01\x03foo\x09\x00bar\xff', '\x01\x03foo\x03\x00bar', '\x01\x03fo']) {
      const b = latin1(bad);
      expect(() => readZipmap(b, 0, b.length), JSON.stringify(bad)).toThrow(RdbError);
    }
  });
});
