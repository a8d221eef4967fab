import { describe, expect, it } from 'vitest';
import {
  HLL_DENSE, HLL_DENSE_SIZE, HLL_HEADER_SIZE, HLL_REGISTERS, HLL_SPARSE, HllBuffer, countRegisters, denseRegister, describeSparse,
  hllAdd, hllCount, hllRaise, isValidHllHeader, mergeRegisters, murmurHash64A, sparseToDense,
} from '../../src/types/hyperloglog.js';
import { prng } from '../helpers/collection-fuzz.js';

const MASK64 = (1n << 64n) - 1n;
const M = 0xc6a4a7935bd1e995n;

/** MurmurHash64A written the plain way, on BigInts, as the reference. */
function referenceMurmur(data: Uint8Array, seed: number): bigint {
  const len = data.length;
  let h = (BigInt(seed) ^ ((BigInt(len) * M) & MASK64)) & MASK64;
  const words = len - (len & 7);
  for (let i = 0; i < words; i += 8) {
    let k = 0n;
    for (let b = 7; b >= 0; b--) k = (k << 8n) | BigInt(data[i + b] as number);
    k = (k * M) & MASK64;
    k ^= k >> 47n;
    k = (k * M) & MASK64;
    h ^= k;
    h = (h * M) & MASK64;
  }
  const tail = len & 7;
  if (tail > 0) {
    for (let b = tail - 1; b >= 0; b--) h ^= BigInt(data[words + b] as number) << BigInt(8 * b);
    h = (h * M) & MASK64;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK64;
  h ^= h >> 47n;
  return h;
}

function bytesOf(hll: HllBuffer): Buffer {
  return Buffer.from(hll.view());
}

function add(hll: HllBuffer, element: string, maxBytes = 3000): number {
  const b = Buffer.from(element, 'latin1');
  return hllAdd(hll, b, 0, b.length, maxBytes);
}

/** Every register of a value, through a dense copy. */
function registersOf(hll: HllBuffer): number[] {
  const copy = HllBuffer.from(hll.view());
  expect(sparseToDense(copy)).toBe(true);
  const out: number[] = [];
  for (let i = 0; i < HLL_REGISTERS; i++) out.push(denseRegister(copy, i));
  return out;
}

describe('MurmurHash64A', () => {
  it('matches the reference for every length from 0 to 40 bytes and any byte values', () => {
    const random = prng(7);
    for (let len = 0; len <= 40; len++) {
      for (let round = 0; round < 20; round++) {
        const data = new Uint8Array(len);
        for (let i = 0; i < len; i++) data[i] = Math.floor(random() * 256);
        const seed = round === 0 ? 0xadc83b19 : Math.floor(random() * 0x100000000);
        expect(murmurHash64A(data, seed)).toBe(referenceMurmur(data, seed));
      }
    }
  });

  it('gives known values with the seed Redis uses', () => {
    // "a", "b" and "c" land in registers 8436, 15780 and 12711 (PFDEBUG DECODE in Redis 7.0 after PFADD h a b c).
    const registers = ['a', 'b', 'c'].map((e) => Number(murmurHash64A(Buffer.from(e)) & 0x3fffn)).sort((x, y) => x - y);
    expect(registers).toEqual([8436, 12711, 15780]);
  });
});

describe('HyperLogLog encodings', () => {
  it('an empty value is the 18 bytes Redis creates: header, one XZERO of 16384', () => {
    const hll = HllBuffer.empty();
    expect(bytesOf(hll).toString('hex')).toBe(Buffer.from('HYLL').toString('hex') + '01' + '000000' + '0000000000000000' + '7fff');
    expect(describeSparse(hll)).toBe('Z:16384');
    expect(hllCount(hll)).toBe(0);
  });

  it('sparse raises keep every register as a model array does, with any promotion threshold', () => {
    for (const maxBytes of [0, 20, 64, 300, 3000, 100_000]) {
      const random = prng(maxBytes + 1);
      const hll = HllBuffer.empty();
      const model = new Array<number>(HLL_REGISTERS).fill(0);
      for (let step = 0; step < 3000; step++) {
        // Clustered indexes exercise merges of neighbouring VAL opcodes.
        const index = step % 3 === 0 ? Math.floor(random() * 40) : Math.floor(random() * HLL_REGISTERS);
        const count = 1 + Math.floor(random() * (step % 50 === 0 ? 40 : 6));
        const result = hllRaise(hll, index, count, maxBytes);
        expect(result).toBe(count > (model[index] as number) ? 1 : 0);
        if (count > (model[index] as number)) model[index] = count;
        if (hll.encoding === HLL_SPARSE) expect(hll.length).toBeLessThanOrEqual(Math.max(maxBytes, 18));
        if (step % 500 === 0) expect(registersOf(hll)).toEqual(model);
      }
      expect(registersOf(hll)).toEqual(model);
      if (maxBytes <= 300) expect(hll.encoding).toBe(HLL_DENSE);
    }
  });

  it('sparse opcodes stay canonical enough to decode, and adjacent equal values merge', () => {
    const hll = HllBuffer.empty();
    for (let i = 0; i < 4; i++) hllRaise(hll, 100 + i, 3, 3000);
    expect(describeSparse(hll)).toBe('Z:100 v:3,4 Z:16280');
    hllRaise(hll, 104, 3, 3000);
    expect(describeSparse(hll)).toBe('Z:100 v:3,4 v:3,1 Z:16279');
    hllRaise(hll, 5, 1, 3000);
    // A run of more than 64 zeros takes an XZERO.
    expect(describeSparse(hll)).toBe('z:5 v:1,1 Z:94 v:3,4 v:3,1 Z:16279');
  });

  it('sparse and dense values of the same registers give the same estimate; so does the one-byte-per-register form', () => {
    const sparse = HllBuffer.empty();
    for (let i = 0; i < 2000; i++) add(sparse, `element:${i}`, 1_000_000);
    expect(sparse.encoding).toBe(HLL_SPARSE);
    const dense = HllBuffer.from(sparse.view());
    expect(sparseToDense(dense)).toBe(true);
    expect(dense.length).toBe(HLL_DENSE_SIZE);
    const max = new Uint8Array(HLL_REGISTERS);
    expect(mergeRegisters(max, sparse)).toBe(true);
    const estimate = hllCount(sparse);
    expect(hllCount(dense)).toBe(estimate);
    expect(countRegisters(max)).toBe(estimate);
    expect(Math.abs(estimate - 2000)).toBeLessThan(100);
  });

  it('the cached cardinality: little-endian in bytes 8..15, stale when the top bit of byte 15 is set', () => {
    const hll = HllBuffer.empty();
    expect(hll.cacheValid()).toBe(true);
    add(hll, 'x');
    expect(hll.cacheValid()).toBe(false);
    hll.setCachedCardinality(0x0102030405);
    expect(hll.cacheValid()).toBe(true);
    expect(bytesOf(hll).subarray(8, 16).toString('hex')).toBe('0504030201000000');
    expect(hll.cachedCardinality()).toBe(0x0102030405);
  });

  it('a sparse value must cover exactly 16384 registers: an opcode past the end, even a VAL, makes it corrupt (CVE-2025-32023 fix)', () => {
    const value = Buffer.from(HllBuffer.empty().view());
    for (const extra of [[0x00], [0x80], [0x40, 0x00]]) {
      const hll = HllBuffer.from(Buffer.concat([value, Buffer.from(extra)]));
      expect(hllCount(hll)).toBe(-1);
      expect(mergeRegisters(new Uint8Array(HLL_REGISTERS), hll)).toBe(false);
      expect(sparseToDense(hll)).toBe(false);
    }
    // Two XZEROs of 8192 are as good as one of 16384.
    const split = HllBuffer.from(Buffer.concat([value.subarray(0, HLL_HEADER_SIZE), Buffer.from([0x5f, 0xff, 0x5f, 0xff])]));
    expect(hllCount(split)).toBe(0);
  });

  it('header checks: magic, encoding, exact dense size', () => {
    const dense = HllBuffer.empty();
    sparseToDense(dense);
    expect(isValidHllHeader(dense.view())).toBe(true);
    expect(isValidHllHeader(dense.view().subarray(0, HLL_DENSE_SIZE - 1))).toBe(false);
    expect(isValidHllHeader(HllBuffer.empty().view())).toBe(true);
    expect(isValidHllHeader(Buffer.from('HYLL\x01\0\0\0\0\0\0\0\0\0\0', 'latin1'))).toBe(false);
    expect(isValidHllHeader(Buffer.from('HYLL\x02\0\0\0\0\0\0\0\0\0\0\0', 'latin1'))).toBe(false);
    expect(isValidHllHeader(Buffer.from('HYLX\x01\0\0\0\0\0\0\0\0\0\0\0', 'latin1'))).toBe(false);
    expect(isValidHllHeader(Buffer.from('HYLL\x01\0\0\0\0\0\0\0\0\0\0\0', 'latin1'))).toBe(true);
  });

  it('corrupt sparse values are reported, never thrown on, whatever their bytes', () => {
    const random = prng(99);
    const base = HllBuffer.empty();
    for (let i = 0; i < 300; i++) add(base, `e${i}`);
    for (let round = 0; round < 2000; round++) {
      const bytes = Buffer.from(base.view());
      let value: Buffer = bytes;
      const kind = round % 3;
      if (kind === 0) for (let n = 0; n < 3; n++) bytes[HLL_HEADER_SIZE + Math.floor(random() * (bytes.length - HLL_HEADER_SIZE))] = Math.floor(random() * 256);
      else if (kind === 1) value = bytes.subarray(0, HLL_HEADER_SIZE + Math.floor(random() * (bytes.length - HLL_HEADER_SIZE)));
      else value = Buffer.concat([bytes, Buffer.from([Math.floor(random() * 256), Math.floor(random() * 256)])]);
      const hll = HllBuffer.from(value);
      const count = hllCount(hll);
      const max = new Uint8Array(HLL_REGISTERS);
      const mergeable = mergeRegisters(max, hll);
      expect(count === -1).toBe(!mergeable);
      describeSparse(hll);
      for (let i = 0; i < 20; i++) add(hll, `n${round}:${i}`, 3000);
      const copy = HllBuffer.from(value);
      expect(sparseToDense(copy)).toBe(mergeable);
    }
  });
});
