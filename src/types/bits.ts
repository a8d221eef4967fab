/**
 * Bit-level operations on byte strings, with no protocol or keyspace knowledge: population
 * count, search for the first set or clear bit, and the integer fields of BITFIELD (read,
 * written and overflow-checked as Redis does, in 64-bit two's complement). Bits are numbered
 * from the most significant bit of the first byte, as in Redis.
 */

import { POPCOUNT_CHUNK, popcountChunk, popcountLatin1Chunk } from '../util/popcount-wasm.js';

/** Set bits in each byte value. */
const BYTE_POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) BYTE_POPCOUNT[i] = (i & 1) + (BYTE_POPCOUNT[i >> 1] as number);

/** Set bits in one byte. */
export function bytePopcount(byte: number): number {
  return BYTE_POPCOUNT[byte & 0xff] as number;
}

/** Set bits in each 16-bit value: a 64 KB table, so that a count reads one entry per two bytes. */
const PAIR_POPCOUNT = new Uint8Array(65536);
for (let i = 1; i < 65536; i++) PAIR_POPCOUNT[i] = (i & 1) + (PAIR_POPCOUNT[i >> 1] as number);

/** From this many bytes on, a count goes to the CPU's popcount instruction (popcount-wasm.ts). */
const NATIVE_POPCOUNT_FROM = 1024;

/** Set bits in bytes [start, end) of `bytes`. */
export function popcount(bytes: Buffer, start: number, end: number): number {
  if (end - start < NATIVE_POPCOUNT_FROM) return tablePopcount(bytes, start, end);
  let count = 0;
  let i = start;
  while (end - i >= 8) {
    const length = Math.min(POPCOUNT_CHUNK, (end - i) & ~7);
    count += popcountChunk(bytes, i, length);
    i += length;
  }
  return i < end ? count + tablePopcount(bytes, i, end) : count;
}

/** popcount of chars [start, end) of a string holding one byte per char (a string value). */
export function popcountLatin1(text: string, start: number, end: number): number {
  let count = 0;
  let i = start;
  if (end - start >= NATIVE_POPCOUNT_FROM) {
    while (end - i >= 8) {
      const length = Math.min(POPCOUNT_CHUNK, (end - i) & ~7);
      count += popcountLatin1Chunk(text, i, length);
      i += length;
    }
  }
  for (; i < end; i++) count += BYTE_POPCOUNT[text.charCodeAt(i) & 0xff] as number;
  return count;
}

/** popcount by table lookups: for short runs, where copying into WebAssembly memory costs more. */
function tablePopcount(bytes: Buffer, start: number, end: number): number {
  let count = 0;
  let i = start;
  // A byte up to a 2-byte boundary of the underlying memory, then 16-bit values (their byte
  // order does not matter to a count), four per turn in two sums, then the last byte.
  if (i < end && ((bytes.byteOffset + i) & 1) !== 0) count += BYTE_POPCOUNT[bytes[i++] as number] as number;
  const pairs = (end - i) >>> 1;
  if (pairs > 0) {
    const view = new Uint16Array(bytes.buffer, bytes.byteOffset + i, pairs);
    const table = PAIR_POPCOUNT;
    const whole = pairs & ~3;
    let even = 0;
    let odd = 0;
    let p = 0;
    for (; p < whole; p += 4) {
      even += (table[view[p] as number] as number) + (table[view[p + 1] as number] as number);
      odd += (table[view[p + 2] as number] as number) + (table[view[p + 3] as number] as number);
    }
    count += even + odd;
    for (; p < pairs; p++) count += table[view[p] as number] as number;
    i += pairs * 2;
  }
  if (i < end) count += BYTE_POPCOUNT[bytes[i] as number] as number;
  return count;
}

/**
 * Redis's redisBitpos: the position (from bit 0 of `start`) of the first bit equal to `bit` in
 * bytes [start, end). Not found: -1 when looking for a 1, the first bit past the range when
 * looking for a 0 (the string is taken as padded with zeros).
 */
export function bitpos(bytes: Uint8Array, start: number, end: number, bit: 0 | 1): number {
  const skip = bit === 1 ? 0 : 0xff;
  let i = start;
  // Bytes to a 4-byte boundary of the underlying memory, then whole words of nothing but the
  // skipped value (a sparse bitmap is mostly those), then the bytes from the word that is not.
  while (i < end && ((bytes.byteOffset + i) & 3) !== 0 && bytes[i] === skip) i++;
  if (i < end && ((bytes.byteOffset + i) & 3) === 0) {
    const words = (end - i) >>> 2;
    if (words > 0) {
      const view = new Int32Array(bytes.buffer, bytes.byteOffset + i, words);
      const skipWord = bit === 1 ? 0 : -1;
      let w = 0;
      while (w < words && view[w] === skipWord) w++;
      i += w * 4;
    }
  }
  for (; i < end; i++) {
    const byte = bytes[i] as number;
    if (byte === skip) continue;
    for (let b = 0; b < 8; b++) {
      if (((byte >> (7 - b)) & 1) === bit) return (i - start) * 8 + b;
    }
  }
  return bit === 1 ? -1 : (end - start) * 8;
}

/** Where bitposLatin1 puts each chunk of a string value as bytes. */
const LATIN1_CHUNK = 4096;
const latin1Chunk = Buffer.allocUnsafe(LATIN1_CHUNK);

/**
 * bitpos over chars [start, end) of a string holding one byte per char (a string value), a
 * chunk at a time: a bit found early is found without converting the rest of the value.
 */
export function bitposLatin1(text: string, start: number, end: number, bit: 0 | 1): number {
  for (let at = start; at < end; at += LATIN1_CHUNK) {
    const length = Math.min(LATIN1_CHUNK, end - at);
    latin1Chunk.write(text.slice(at, at + length), 0, length, 'latin1');
    const pos = bitpos(latin1Chunk, 0, length, bit);
    if (pos !== -1 && pos !== length * 8) return (at - start) * 8 + pos;
  }
  return bit === 1 ? -1 : (end - start) * 8;
}

/** The bit at `offset` of `bytes` of which `length` are meaningful (0 past them). */
export function getBit(bytes: Uint8Array, length: number, offset: number): number {
  const index = Math.floor(offset / 8);
  if (index >= length) return 0;
  return ((bytes[index] as number) >> (7 - (offset % 8))) & 1;
}

const ONE = 1n;

/**
 * The unsigned value of the `bits` (1..64) bits from bit `offset`, reading through `byteAt`
 * (which answers 0 past the string). Returned as a 64-bit pattern (BigInt in [0, 2^64)).
 */
export function getUnsignedField(byteAt: (index: number) => number, offset: number, bits: number): bigint {
  // Bits are gathered whole bytes at a time where the field allows: at most 9 bytes.
  let value = 0n;
  let taken = 0;
  while (taken < bits) {
    const position = offset + taken;
    const index = Math.floor(position / 8);
    const within = position % 8;
    const n = Math.min(8 - within, bits - taken);
    const byte = byteAt(index);
    const chunk = (byte >> (8 - within - n)) & ((1 << n) - 1);
    value = (value << BigInt(n)) | BigInt(chunk);
    taken += n;
  }
  return value;
}

/** A field read as signed: the unsigned pattern of `bits` bits sign-extended to 64 bits. */
export function getSignedField(byteAt: (index: number) => number, offset: number, bits: number): bigint {
  return BigInt.asIntN(bits, getUnsignedField(byteAt, offset, bits));
}

/** Writes the low `bits` bits of `value` at bit `offset` of `bytes` (long enough already). */
export function setField(bytes: Uint8Array, offset: number, bits: number, value: bigint): void {
  let pattern = BigInt.asUintN(bits, value);
  let left = bits;
  while (left > 0) {
    // From the last bit of the field backwards, as many as the byte it falls in holds.
    const position = offset + left - 1;
    const index = Math.floor(position / 8);
    const within = position % 8;
    const n = Math.min(within + 1, left);
    const shift = 7 - within;
    const mask = ((1 << n) - 1) << shift;
    const chunk = Number(pattern & ((ONE << BigInt(n)) - ONE));
    bytes[index] = ((bytes[index] as number) & ~mask) | (chunk << shift);
    pattern >>= BigInt(n);
    left -= n;
  }
}

export const OVERFLOW_WRAP = 0;
export const OVERFLOW_SAT = 1;
export const OVERFLOW_FAIL = 2;
export type OverflowMode = typeof OVERFLOW_WRAP | typeof OVERFLOW_SAT | typeof OVERFLOW_FAIL;

/** The outcome of an overflow check: whether it overflowed, and the value to store then (WRAP, SAT). */
export interface FieldResult {
  overflow: boolean;
  value: bigint;
}

const I64 = (n: bigint): bigint => BigInt.asIntN(64, n);
const U64 = (n: bigint): bigint => BigInt.asUintN(64, n);
const UINT64_MAX = (ONE << 64n) - ONE;
const INT64_MAX = (ONE << 63n) - ONE;

/**
 * Redis's checkUnsignedBitfieldOverflow: `value` (a 64-bit pattern) plus `incr` (signed 64-bit)
 * for an unsigned field of `bits` bits, with C's 64-bit arithmetic. Writes the result into `out`.
 */
export function unsignedFieldAdd(value: bigint, incr: bigint, bits: number, mode: OverflowMode, out: FieldResult): void {
  const max = bits === 64 ? UINT64_MAX : (ONE << BigInt(bits)) - ONE;
  const maxIncr = I64(max - value);
  const minIncr = I64(-value);
  let direction = 0;
  if (value > max || (incr > 0n && incr > maxIncr)) direction = 1;
  else if (incr < 0n && incr < minIncr) direction = -1;
  if (direction === 0) {
    out.overflow = false;
    out.value = U64(value + incr);
    return;
  }
  out.overflow = true;
  if (mode === OVERFLOW_SAT) out.value = direction > 0 ? max : 0n;
  else out.value = BigInt.asUintN(bits, U64(value + incr));
}

/**
 * Redis's checkSignedBitfieldOverflow for a signed field of `bits` bits (its quirks included:
 * a SET value far below the range can count as an overflow upwards, as C's wrapped
 * subtraction makes it). Writes the result (a signed 64-bit value) into `out`.
 */
export function signedFieldAdd(value: bigint, incr: bigint, bits: number, mode: OverflowMode, out: FieldResult): void {
  const max = bits === 64 ? INT64_MAX : (ONE << BigInt(bits - 1)) - ONE;
  const min = -max - ONE;
  const maxIncr = I64(U64(max) - U64(value));
  const minIncr = I64(min - value);
  let direction = 0;
  if (value > max || (bits !== 64 && incr > maxIncr) || (value >= 0n && incr > 0n && incr > maxIncr)) direction = 1;
  else if (value < min || (bits !== 64 && incr < minIncr) || (value < 0n && incr < 0n && incr < minIncr)) direction = -1;
  if (direction === 0) {
    out.overflow = false;
    out.value = I64(value + incr);
    return;
  }
  out.overflow = true;
  if (mode === OVERFLOW_SAT) out.value = direction > 0 ? max : min;
  else out.value = BigInt.asIntN(bits, U64(value + incr));
}
