import { describe, expect, it } from 'vitest';
import {
  bitpos, bitposLatin1, bytePopcount, getBit, getSignedField, getUnsignedField, popcount, popcountLatin1, setField, signedFieldAdd, unsignedFieldAdd,
  OVERFLOW_FAIL, OVERFLOW_SAT, OVERFLOW_WRAP, type FieldResult,
} from '../../src/types/bits.js';
import { MutableString, SMALL_MAX, stringValueByte, stringValueBytes } from '../../src/types/mutable-string.js';
import { prng } from '../helpers/collection-fuzz.js';

/** The model: a string's bits as an array of 0/1, most significant bit of each byte first. */
function bitsOf(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (const byte of bytes) for (let b = 7; b >= 0; b--) out.push((byte >> b) & 1);
  return out;
}

function randomBytes(rnd: () => number, n: number): Buffer {
  const buf = Buffer.alloc(n);
  // Runs of 0x00 and 0xff as well as mixed bytes: the searches skip whole runs.
  for (let i = 0; i < n; i++) buf[i] = rnd() < 0.3 ? 0 : rnd() < 0.5 ? 0xff : Math.floor(rnd() * 256);
  return buf;
}

describe('bit operations against a bit-array model', () => {
  const rnd = prng(99);

  it('popcount over any range, at any alignment of the underlying memory', () => {
    for (let round = 0; round < 300; round++) {
      const whole = randomBytes(rnd, 1 + Math.floor(rnd() * 80));
      // A view at an odd offset of its ArrayBuffer, as a Buffer slice can be.
      const skew = Math.floor(rnd() * 4);
      const bytes = whole.subarray(Math.min(skew, whole.length - 1));
      const start = Math.floor(rnd() * bytes.length);
      const end = start + Math.floor(rnd() * (bytes.length - start + 1));
      const model = bitsOf(bytes.subarray(start, end)).filter((b) => b === 1).length;
      expect(popcount(bytes, start, end)).toBe(model);
    }
  });

  it('popcount of long runs (the CPU instruction, chunk by chunk), at any offset and length', () => {
    const whole = randomBytes(rnd, 3 * 65536 + 77);
    let modelUpTo = 0;
    const prefix = new Array<number>(whole.length + 1).fill(0);
    for (let i = 0; i < whole.length; i++) {
      modelUpTo += bytePopcount(whole[i] as number);
      prefix[i + 1] = modelUpTo;
    }
    const cases: Array<[number, number]> = [
      [0, whole.length], [1, whole.length], [3, 65536 + 3], [0, 1024], [5, 1029 + 7], [65530, 2 * 65536 + 9], [7, whole.length - 5],
    ];
    for (let round = 0; round < 40; round++) {
      const start = Math.floor(rnd() * whole.length);
      cases.push([start, start + Math.floor(rnd() * (whole.length - start + 1))]);
    }
    const text = whole.toString('latin1');
    for (const [start, end] of cases) {
      const model = (prefix[end] as number) - (prefix[start] as number);
      expect(popcount(whole, start, end)).toBe(model);
      expect(popcountLatin1(text, start, end)).toBe(model);
    }
    // A Buffer slice at an odd offset of its memory.
    const slice = whole.subarray(3);
    expect(popcount(slice, 0, slice.length)).toBe((prefix[whole.length] as number) - (prefix[3] as number));
  });

  it('popcount of a long run of ones', () => {
    const bytes = Buffer.alloc(5 << 20, 0xff);
    expect(popcount(bytes, 0, bytes.length)).toBe(bytes.length * 8);
    expect(popcount(bytes, 1, bytes.length - 1)).toBe((bytes.length - 2) * 8);
  });

  it('bitpos over a string value, chunk by chunk, finds what bitpos finds over its bytes', () => {
    for (let round = 0; round < 60; round++) {
      const length = Math.floor(rnd() * 3 * 4096) + 1;
      // Mostly runs of the skipped value, with a rare other byte somewhere (or none).
      const fill = rnd() < 0.5 ? 0 : 0xff;
      const bytes = Buffer.alloc(length, fill);
      if (rnd() < 0.8) bytes[Math.floor(rnd() * length)] = Math.floor(rnd() * 256);
      const text = bytes.toString('latin1');
      const start = Math.floor(rnd() * length);
      const end = start + Math.floor(rnd() * (length - start + 1));
      for (const bit of [0, 1] as const) expect(bitposLatin1(text, start, end, bit)).toBe(bitpos(bytes, start, end, bit));
    }
  });

  it('bitpos finds the first 1, or the first 0 (zero padding past the end)', () => {
    for (let round = 0; round < 300; round++) {
      const bytes = randomBytes(rnd, Math.floor(rnd() * 40));
      const start = Math.floor(rnd() * (bytes.length + 1));
      const end = start + Math.floor(rnd() * (bytes.length - start + 1));
      const model = bitsOf(bytes.subarray(start, end));
      const one = model.indexOf(1);
      const zero = model.indexOf(0);
      expect(bitpos(bytes, start, end, 1)).toBe(one);
      expect(bitpos(bytes, start, end, 0)).toBe(zero === -1 ? model.length : zero);
    }
  });

  it('bitpos over long runs of zeros or ones, at any alignment', () => {
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(rnd() * 200);
      const bit = rnd() < 0.5 ? 1 : 0;
      const whole = Buffer.alloc(n + 3, bit === 1 ? 0 : 0xff);
      const bytes = whole.subarray(Math.floor(rnd() * 4));
      // One bit of the sought value somewhere, or none.
      const at = rnd() < 0.8 ? Math.floor(rnd() * bytes.length * 8) : -1;
      if (at >= 0) bytes[at >> 3] = (bytes[at >> 3] as number) ^ (0x80 >> (at & 7));
      const start = Math.floor(rnd() * bytes.length);
      const end = start + Math.floor(rnd() * (bytes.length - start + 1));
      const model = bitsOf(bytes.subarray(start, end)).indexOf(bit);
      expect(bitpos(bytes, start, end, bit)).toBe(model === -1 && bit === 0 ? (end - start) * 8 : model);
    }
  });

  it('fields of 1 to 64 bits read and write at any offset, past the end reading zeros', () => {
    for (let round = 0; round < 500; round++) {
      const bytes = randomBytes(rnd, 1 + Math.floor(rnd() * 20));
      const bits = 1 + Math.floor(rnd() * 64);
      const offset = Math.floor(rnd() * (bytes.length * 8 + 16));
      const model = bitsOf(bytes);
      let expected = 0n;
      for (let i = 0; i < bits; i++) expected = (expected << 1n) | BigInt(model[offset + i] ?? 0);
      const byteAt = (i: number): number => (i < bytes.length ? (bytes[i] as number) : 0);
      expect(getUnsignedField(byteAt, offset, bits)).toBe(expected);
      expect(getSignedField(byteAt, offset, bits)).toBe(BigInt.asIntN(bits, expected));
      expect(getBit(bytes, bytes.length, offset)).toBe(model[offset] ?? 0);

      if (offset + bits > bytes.length * 8) continue;
      const written = BigInt.asIntN(64, BigInt(Math.floor(rnd() * 2 ** 32)) * BigInt(Math.floor(rnd() * 2 ** 32)));
      setField(bytes, offset, bits, written);
      const after = bitsOf(bytes);
      const pattern = BigInt.asUintN(bits, written);
      for (let i = 0; i < after.length; i++) {
        const inField = i >= offset && i < offset + bits;
        const want = inField ? Number((pattern >> BigInt(offset + bits - 1 - i)) & 1n) : model[i];
        if (after[i] !== want) throw new Error(`bit ${i} after writing ${bits} bits at ${offset}`);
      }
    }
  });
});

describe('overflow of bit fields (Redis checkSignedBitfieldOverflow / checkUnsignedBitfieldOverflow)', () => {
  const out: FieldResult = { overflow: false, value: 0n };
  const signed = (value: bigint, incr: bigint, bits: number, mode: 0 | 1 | 2): [boolean, bigint] => {
    signedFieldAdd(value, incr, bits, mode, out);
    return [out.overflow, out.value];
  };
  const unsigned = (value: bigint, incr: bigint, bits: number, mode: 0 | 1 | 2): [boolean, bigint] => {
    unsignedFieldAdd(value, incr, bits, mode, out);
    return [out.overflow, out.value];
  };

  it('signed: in range, wrap, saturate, fail', () => {
    expect(signed(100n, 27n, 8, OVERFLOW_WRAP)).toEqual([false, 127n]);
    expect(signed(100n, 28n, 8, OVERFLOW_WRAP)).toEqual([true, -128n]);
    expect(signed(100n, 28n, 8, OVERFLOW_SAT)).toEqual([true, 127n]);
    expect(signed(-100n, -29n, 8, OVERFLOW_SAT)).toEqual([true, -128n]);
    expect(signed(-100n, -29n, 8, OVERFLOW_FAIL)[0]).toBe(true);
    expect(signed(9223372036854775807n, 1n, 64, OVERFLOW_WRAP)).toEqual([true, -9223372036854775808n]);
    expect(signed(-9223372036854775808n, -1n, 64, OVERFLOW_SAT)).toEqual([true, -9223372036854775808n]);
    expect(signed(-5n, 9223372036854775807n, 64, OVERFLOW_WRAP)).toEqual([false, 9223372036854775802n]);
    // A SET value far below an i8's range: C's wrapped subtraction reports it as an overflow upwards.
    expect(signed(-9223372036854775808n, 0n, 8, OVERFLOW_SAT)).toEqual([true, 127n]);
    expect(signed(-200n, 0n, 8, OVERFLOW_SAT)).toEqual([true, -128n]);
    expect(signed(-200n, 0n, 8, OVERFLOW_WRAP)).toEqual([true, 56n]);
  });

  it('unsigned: in range, wrap, saturate, and a negative SET value as its 64-bit pattern', () => {
    expect(unsigned(250n, 5n, 8, OVERFLOW_WRAP)).toEqual([false, 255n]);
    expect(unsigned(250n, 6n, 8, OVERFLOW_WRAP)).toEqual([true, 0n]);
    expect(unsigned(250n, 6n, 8, OVERFLOW_SAT)).toEqual([true, 255n]);
    expect(unsigned(3n, -4n, 8, OVERFLOW_SAT)).toEqual([true, 0n]);
    expect(unsigned(3n, -4n, 8, OVERFLOW_WRAP)).toEqual([true, 255n]);
    expect(unsigned(BigInt.asUintN(64, -1n), 0n, 8, OVERFLOW_SAT)).toEqual([true, 255n]);
    expect(unsigned(BigInt.asUintN(64, -1n), 0n, 63, OVERFLOW_WRAP)).toEqual([true, 9223372036854775807n]);
  });
});

describe('MutableString', () => {
  it('grows zero-filled, appends and writes in place, and reports its growth to its account', () => {
    const account = { bytes: 0 };
    const value = MutableString.fromString('ab');
    value.account = account;
    const before = value.bytes;
    value.growTo(10);
    expect(value.toString()).toBe('ab' + '\0'.repeat(8));
    expect(account.bytes).toBe(value.bytes - before);
    expect(value.bytes).toBe(value.recountBytes());
    value.write(12, 'xy');
    value.append('!');
    expect(value.toString()).toBe('ab' + '\0'.repeat(10) + 'xy!');
    expect(value.length).toBe(15);
    expect(stringValueBytes(value).toString('latin1')).toBe(value.toString());
    expect(stringValueByte(value, 12)).toBe(0x78);
    expect(stringValueByte(value, 99)).toBe(0);
    expect(stringValueByte('abc', 1)).toBe(0x62);
    const copy = value.clone();
    copy.write(0, 'Z');
    expect(value.toString()[0]).toBe('a');
    expect(value.encoding()).toBe('raw');
  });

  it('keeps a small value in a string and moves it to a Buffer past SMALL_MAX, counting both', () => {
    const account = { bytes: 0 };
    const value = MutableString.fromString('abc');
    value.account = account;
    const before = value.bytes;
    expect(value.isLarge).toBe(false);
    const bytes = value.beginWrite();
    bytes[1] = 0x42;
    value.endWrite();
    expect(value.toString()).toBe('aBc');
    value.append('x'.repeat(SMALL_MAX - 3));
    expect(value.isLarge).toBe(false);
    expect(value.bytes).toBe(value.recountBytes());
    value.append('y');
    expect(value.isLarge).toBe(true);
    expect(value.toString()).toBe('aBc' + 'x'.repeat(SMALL_MAX - 3) + 'y');
    expect(value.bytes).toBe(value.recountBytes());
    expect(account.bytes).toBe(value.bytes - before);
    const large = value.beginWrite();
    expect(large).toBe(value.largeBytes());
    large[0] = 0x41;
    value.endWrite();
    expect(value.byteAt(0)).toBe(0x41);
    expect(MutableString.fromBuffer(Buffer.from('hi'), 2).isLarge).toBe(false);
    expect(MutableString.fromBuffer(Buffer.alloc(SMALL_MAX + 1), SMALL_MAX + 1).isLarge).toBe(true);
  });
});
