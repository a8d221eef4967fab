/**
 * HyperLogLog in Redis 7.0's exact byte format, so that a value moves between nodis and Redis
 * as the same string and gives the same counts.
 *
 * Layout (all values are plain strings of bytes):
 *   [0..4)   "HYLL"
 *   [4]      encoding: 0 dense, 1 sparse (2, raw, exists only inside PFCOUNT of several keys)
 *   [5..8)   unused, zero
 *   [8..16)  cached cardinality, little-endian; the top bit of byte 15 set means "stale"
 *   [16..)   registers: dense packs 16384 registers of 6 bits (12288 bytes); sparse is a run
 *            length code of three opcodes:
 *              ZERO  00xxxxxx          1..64 registers at 0
 *              XZERO 01xxxxxx yyyyyyyy 1..16384 registers at 0
 *              VAL   1vvvvvxx          1..4 registers at value 1..32
 *
 * A value being changed lives in an {@link HllBuffer}: a byte array with room to spare, used as
 * Redis uses its sds string, including the byte just past the end (its null terminator), which
 * Redis's code reads when a value ends in a truncated XZERO opcode. Keeping that detail the
 * same is what makes corrupt values behave as they do in Redis.
 *
 * Validity of a sparse value is checked as Redis 7.0.15 does with the fix for CVE-2025-32023
 * (in the Debian and upstream security releases): the opcodes must cover exactly 16384
 * registers, no opcode may reach past the last one (before the fix, a VAL opcode past the end
 * merely ended a merge or a conversion to dense).
 */

export const HLL_P = 14;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
/** Bits of the hash left after the register index. */
const HLL_Q = 64 - HLL_P;
const HLL_BITS = 6;
const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_HEADER_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HEADER_SIZE + ((HLL_REGISTERS * HLL_BITS + 7) >> 3);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
/** The highest encoding a stored value may carry. */
const HLL_MAX_ENCODING = 1;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;

const CARD_STALE_BYTE = 15;
const CARD_STALE_BIT = 0x80;
/** 0.5 / ln(2): the estimator's alpha for m → ∞. */
const HLL_ALPHA_INF = 0.7213475204444817;
/** Redis hashes with this seed. */
export const HLL_HASH_SEED = 0xadc83b19;

/** Spare bytes kept past a value's end: a sparse update grows a value by at most 3 bytes at a time. */
const SLACK = 8;

// ---------------------------------------------------------------------------------------------
// MurmurHash64A, on 64-bit words held as two unsigned 32-bit halves (no BigInt on the hot path).

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;

/**
 * Results of the 64-bit arithmetic: [low word, high word]. A typed array, not module variables:
 * a uint32 above 2^30 stored in a variable is boxed in a heap number at every write.
 */
const words = new Uint32Array(2);

/** The low 64 bits of (hi:lo) × M into words. */
function mulM(hi: number, lo: number): void {
  // The high word of lo × M_LO, from lo in two 16-bit halves (each product exact in a double).
  const low = (lo & 0xffff) * M_LO;
  const high = (lo >>> 16) * M_LO + Math.floor(low / 65536);
  words[0] = Math.imul(lo, M_LO);
  words[1] = Math.floor(high / 65536) + Math.imul(hi, M_LO) + Math.imul(lo, M_HI);
}

/**
 * MurmurHash64A of `data[start, end)` with `seed` (as Redis computes it: 8-byte words read
 * little-endian), left in words.
 */
function murmur64A(data: Uint8Array, start: number, end: number, seed: number): void {
  const len = end - start;
  // h = seed ^ (len * m), len as a 64-bit integer.
  mulM(0, len >>> 0);
  let hHi = words[1] as number;
  let hLo = ((words[0] as number) ^ seed) >>> 0;
  let i = start;
  const wordsEnd = start + (len - (len & 7));
  for (; i < wordsEnd; i += 8) {
    const kLo = (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
    const kHi = (data[i + 4] as number) | ((data[i + 5] as number) << 8) | ((data[i + 6] as number) << 16) | ((data[i + 7] as number) << 24);
    mulM(kHi >>> 0, kLo >>> 0);
    // k ^= k >> 47: only the high word's top 17 bits reach the low word.
    const mHi = words[1] as number;
    mulM(mHi, ((words[0] as number) ^ (mHi >>> 15)) >>> 0);
    mulM((hHi ^ (words[1] as number)) >>> 0, (hLo ^ (words[0] as number)) >>> 0);
    hHi = words[1] as number;
    hLo = words[0] as number;
  }
  const tail = len & 7;
  if (tail !== 0) {
    // The tail bytes are xored in at their little-endian positions, then one multiply.
    for (let t = tail - 1; t >= 0; t--) {
      const byte = data[i + t] as number;
      if (t >= 4) hHi = (hHi ^ (byte << (8 * (t - 4)))) >>> 0;
      else hLo = (hLo ^ (byte << (8 * t))) >>> 0;
    }
    mulM(hHi, hLo);
    hHi = words[1] as number;
    hLo = words[0] as number;
  }
  mulM(hHi, (hLo ^ (hHi >>> 15)) >>> 0);
  words[0] = (words[0] as number) ^ ((words[1] as number) >>> 15);
}

/** MurmurHash64A of `data` with `seed`, as a BigInt (for tests and tools; the adds use the halves directly). */
export function murmurHash64A(data: Uint8Array, seed: number = HLL_HASH_SEED): bigint {
  murmur64A(data, 0, data.length, seed >>> 0);
  return (BigInt(words[1] as number) << 32n) | BigInt(words[0] as number);
}

/** Set by {@link patternOf}: the register an element falls in. */
let patternIndex = 0;

/**
 * Redis's hllPatLen: hashes `data[start, end)`, leaves the register index in patternIndex and
 * returns the length of the 0…01 run in the remaining 50 bits (1..51).
 */
function patternOf(data: Uint8Array, start: number, end: number): number {
  murmur64A(data, start, end, HLL_HASH_SEED);
  const hashLo = words[0] as number;
  const hashHi = words[1] as number;
  patternIndex = hashLo & HLL_P_MASK;
  const low = hashLo >>> HLL_P; // 18 bits
  if (low !== 0) return 1 + trailingZeros(low);
  if (hashHi !== 0) return 1 + (32 - HLL_P) + trailingZeros(hashHi);
  return HLL_Q + 1;
}

function trailingZeros(x: number): number {
  return 31 - Math.clz32(x & -x);
}

// ---------------------------------------------------------------------------------------------
// The mutable value.

/** A value being read or changed: `bytes[0, length)` is the value, the bytes after are spare room. */
export class HllBuffer {
  bytes: Uint8Array;
  length: number;

  constructor(bytes: Uint8Array, length: number) {
    this.bytes = bytes;
    this.length = length;
  }

  /** A copy of `value` with spare room, zeroed after the end (as an sds string's terminator). */
  static from(value: Uint8Array): HllBuffer {
    const hll = HllBuffer.ofLength(value.length);
    hll.bytes.set(value);
    return hll;
  }

  /** A value of `length` zero bytes with spare room after them, for the caller to fill. */
  static ofLength(length: number): HllBuffer {
    return new HllBuffer(new Uint8Array(length + SLACK), length);
  }

  /** A new empty HLL: sparse, one XZERO per 16384 registers, cached cardinality 0. */
  static empty(): HllBuffer {
    const xzeros = Math.ceil(HLL_REGISTERS / SPARSE_XZERO_MAX_LEN);
    const length = HLL_HEADER_SIZE + 2 * xzeros;
    const hll = new HllBuffer(new Uint8Array(length + SLACK), length);
    writeMagic(hll.bytes);
    hll.bytes[4] = HLL_SPARSE;
    let left = HLL_REGISTERS;
    for (let p = HLL_HEADER_SIZE; left > 0; p += 2) {
      const run = Math.min(left, SPARSE_XZERO_MAX_LEN);
      setXzero(hll.bytes, p, run);
      left -= run;
    }
    return hll;
  }

  get encoding(): number {
    return this.bytes[4] as number;
  }

  /** The value's bytes (a view: copy before keeping it past the next change). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  /** Room for `extra` more bytes past the end, keeping what lies after it. */
  ensureRoom(extra: number): void {
    if (this.bytes.length >= this.length + extra + SLACK) return;
    const grown = new Uint8Array(Math.max(this.length + extra + SLACK, this.bytes.length * 2));
    grown.set(this.bytes);
    this.bytes = grown;
  }

  /** The value grows or shrinks by `delta` bytes; the byte after the new end becomes 0 (sdsIncrLen). */
  changeLength(delta: number): void {
    this.length += delta;
    this.bytes[this.length] = 0;
  }

  /** Whether the cached cardinality is current. */
  cacheValid(): boolean {
    return ((this.bytes[CARD_STALE_BYTE] as number) & CARD_STALE_BIT) === 0;
  }

  invalidateCache(): void {
    this.bytes[CARD_STALE_BYTE] = (this.bytes[CARD_STALE_BYTE] as number) | CARD_STALE_BIT;
  }

  /** The cached cardinality (read only when valid, so it fits 63 bits). */
  cachedCardinality(): number | bigint {
    const b = this.bytes;
    let value = 0n;
    for (let j = 7; j >= 0; j--) value = (value << 8n) | BigInt(b[8 + j] as number);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  setCachedCardinality(card: number): void {
    let rest = card;
    for (let j = 0; j < 8; j++) {
      this.bytes[8 + j] = rest % 256;
      rest = Math.floor(rest / 256);
    }
  }
}

function writeMagic(bytes: Uint8Array): void {
  bytes[0] = 0x48; // H
  bytes[1] = 0x59; // Y
  bytes[2] = 0x4c; // L
  bytes[3] = 0x4c; // L
}

/**
 * Redis's isHLLObjectOrReply, on a string value's bytes: long enough for the header, the magic,
 * a known encoding, and a dense value of exactly the dense size.
 */
export function isValidHllHeader(value: Uint8Array): boolean {
  if (value.length < HLL_HEADER_SIZE) return false;
  if (value[0] !== 0x48 || value[1] !== 0x59 || value[2] !== 0x4c || value[3] !== 0x4c) return false;
  const encoding = value[4] as number;
  if (encoding > HLL_MAX_ENCODING) return false;
  return encoding !== HLL_DENSE || value.length === HLL_DENSE_SIZE;
}

// ---------------------------------------------------------------------------------------------
// Dense registers (6 bits each, little-endian bit order, starting at `base`).

function denseGet(bytes: Uint8Array, base: number, index: number): number {
  const bit = index * HLL_BITS;
  const byte = base + (bit >>> 3);
  const shift = bit & 7;
  return (((bytes[byte] as number) >>> shift) | ((bytes[byte + 1] as number) << (8 - shift))) & HLL_REGISTER_MAX;
}

function denseSetRegister(bytes: Uint8Array, base: number, index: number, value: number): void {
  const bit = index * HLL_BITS;
  const byte = base + (bit >>> 3);
  const shift = bit & 7;
  bytes[byte] = ((bytes[byte] as number) & ~(HLL_REGISTER_MAX << shift)) | ((value << shift) & 0xff);
  bytes[byte + 1] = ((bytes[byte + 1] as number) & ~(HLL_REGISTER_MAX >>> (8 - shift))) | (value >>> (8 - shift));
}

/** Raises a dense register to `count`; 1 if it changed. */
function denseRaise(bytes: Uint8Array, index: number, count: number): 0 | 1 {
  if (count <= denseGet(bytes, HLL_HEADER_SIZE, index)) return 0;
  denseSetRegister(bytes, HLL_HEADER_SIZE, index, count);
  return 1;
}

/** Register `index` of a dense value. */
export function denseRegister(hll: HllBuffer, index: number): number {
  return denseGet(hll.bytes, HLL_HEADER_SIZE, index);
}

// ---------------------------------------------------------------------------------------------
// Sparse opcodes.

function isZero(op: number): boolean {
  return (op & 0xc0) === 0;
}

function isXzero(op: number): boolean {
  return (op & 0xc0) === 0x40;
}

function isVal(op: number): boolean {
  return (op & 0x80) !== 0;
}

function zeroLength(op: number): number {
  return (op & 0x3f) + 1;
}

function xzeroLength(bytes: Uint8Array, p: number): number {
  return ((((bytes[p] as number) & 0x3f) << 8) | (bytes[p + 1] as number)) + 1;
}

function valValue(op: number): number {
  return ((op >>> 2) & 0x1f) + 1;
}

function valLength(op: number): number {
  return (op & 0x3) + 1;
}

function valOpcode(value: number, length: number): number {
  return 0x80 | ((value - 1) << 2) | (length - 1);
}

function setXzero(bytes: Uint8Array, p: number, length: number): void {
  const encoded = length - 1;
  bytes[p] = 0x40 | (encoded >>> 8);
  bytes[p + 1] = encoded & 0xff;
}

/** Writes ZERO or XZERO for a run of `length` zero registers at `p`; returns the bytes written. */
function writeZeroRun(bytes: Uint8Array, p: number, length: number): number {
  if (length > SPARSE_ZERO_MAX_LEN) {
    setXzero(bytes, p, length);
    return 2;
  }
  bytes[p] = length - 1;
  return 1;
}

/**
 * Redis's hllSparseToDense: the sparse value becomes dense in place (the header, cached
 * cardinality included, is kept). False, and the value unchanged, when the opcodes do not cover
 * exactly 16384 registers.
 */
export function sparseToDense(hll: HllBuffer): boolean {
  if (hll.encoding === HLL_DENSE) return true;
  const dense = new Uint8Array(HLL_DENSE_SIZE + SLACK);
  const sparse = hll.bytes;
  dense.set(sparse.subarray(0, HLL_HEADER_SIZE));
  dense[4] = HLL_DENSE;
  let index = 0;
  let p = HLL_HEADER_SIZE;
  const end = hll.length;
  while (p < end) {
    const op = sparse[p] as number;
    const run = isZero(op) ? zeroLength(op) : isXzero(op) ? xzeroLength(sparse, p) : valLength(op);
    if (index + run > HLL_REGISTERS) return false;
    if (isVal(op)) {
      const value = valValue(op);
      for (let n = 0; n < run; n++) denseSetRegister(dense, HLL_HEADER_SIZE, index + n, value);
    }
    index += run;
    p += isXzero(op) ? 2 : 1;
  }
  if (index !== HLL_REGISTERS) return false;
  hll.bytes = dense;
  hll.length = HLL_DENSE_SIZE;
  return true;
}

/**
 * Redis's hllSparseSet: raises register `index` to `count` in a sparse value, splitting the
 * opcode that covers it and merging equal neighbours after. Promotes to dense when `count` does
 * not fit a VAL opcode or the value would grow past `sparseMaxBytes`. Returns 1 if the register
 * changed, 0 if not, -1 if the value is corrupt.
 */
function sparseRaise(hll: HllBuffer, index: number, count: number, sparseMaxBytes: number): -1 | 0 | 1 {
  if (count > SPARSE_VAL_MAX_VALUE) return promoteAndRaise(hll, index, count);
  hll.ensureRoom(3);
  const b = hll.bytes;
  const sparseStart = HLL_HEADER_SIZE;
  let end = hll.length;

  // Find the opcode that covers `index`.
  let p = sparseStart;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const op = b[p] as number;
    let opLength = 1;
    if (isZero(op)) {
      span = zeroLength(op);
    } else if (isVal(op)) {
      span = valLength(op);
    } else {
      span = xzeroLength(b, p);
      opLength = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += opLength;
    first += span;
  }
  if (span === 0 || p >= end) return -1;

  const op = b[p] as number;
  const opIsXzero = isXzero(op);
  let next = opIsXzero ? p + 2 : p + 1;
  if (next >= end) next = -1;

  let changed = false;
  if (isVal(op)) {
    if (valValue(op) >= count) return 0;
    if (valLength(op) === 1) {
      b[p] = valOpcode(count, 1);
      changed = true;
    }
  } else if (isZero(op) && zeroLength(op) === 1) {
    b[p] = valOpcode(count, 1);
    changed = true;
  }

  if (!changed) {
    // Split the opcode into up to three: what comes before `index`, `index`, what comes after.
    const seq = new Uint8Array(5);
    let n = 0;
    const last = first + span - 1;
    if (isVal(op)) {
      const current = valValue(op);
      if (index !== first) seq[n++] = valOpcode(current, index - first);
      seq[n++] = valOpcode(count, 1);
      if (index !== last) seq[n++] = valOpcode(current, last - index);
    } else {
      if (index !== first) n += writeZeroRun(seq, n, index - first);
      seq[n++] = valOpcode(count, 1);
      if (index !== last) n += writeZeroRun(seq, n, last - index);
    }
    const delta = n - (opIsXzero ? 2 : 1);
    if (delta > 0 && hll.length + delta > sparseMaxBytes) return promoteAndRaise(hll, index, count);
    if (delta !== 0 && next !== -1) b.copyWithin(next + delta, next, end);
    hll.changeLength(delta);
    b.set(seq.subarray(0, n), p);
    end += delta;
  }

  // Merge runs of equal VAL opcodes around the change (up to 5 opcodes from the one before it).
  p = prev !== -1 ? prev : sparseStart;
  let scans = 5;
  while (p < end && scans-- > 0) {
    const cur = b[p] as number;
    if (isXzero(cur)) {
      p += 2;
      continue;
    }
    if (isZero(cur)) {
      p++;
      continue;
    }
    if (p + 1 < end && isVal(b[p + 1] as number)) {
      const right = b[p + 1] as number;
      const value = valValue(cur);
      if (value === valValue(right)) {
        const merged = valLength(cur) + valLength(right);
        if (merged <= SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valOpcode(value, merged);
          b.copyWithin(p, p + 1, end + 1);
          hll.changeLength(-1);
          end--;
          continue;
        }
      }
    }
    p++;
  }
  hll.invalidateCache();
  return 1;
}

function promoteAndRaise(hll: HllBuffer, index: number, count: number): -1 | 1 {
  if (!sparseToDense(hll)) return -1;
  // A promotion happens only for a register that must change.
  denseRaise(hll.bytes, index, count);
  return 1;
}

/**
 * Redis's hllAdd: adds the element `data[start, end)`. 1 if a register changed (the estimate
 * may have), 0 if not, -1 if the value is corrupt (a sparse value whose opcodes do not add up).
 */
export function hllAdd(hll: HllBuffer, data: Uint8Array, start: number, end: number, sparseMaxBytes: number): -1 | 0 | 1 {
  const count = patternOf(data, start, end);
  switch (hll.encoding) {
    case HLL_DENSE: return denseRaise(hll.bytes, patternIndex, count);
    case HLL_SPARSE: return sparseRaise(hll, patternIndex, count, sparseMaxBytes);
    default: return -1;
  }
}

/** Raises register `index` to `count` (PFMERGE); the result as {@link hllAdd}'s. */
export function hllRaise(hll: HllBuffer, index: number, count: number, sparseMaxBytes: number): -1 | 0 | 1 {
  switch (hll.encoding) {
    case HLL_DENSE: return denseRaise(hll.bytes, index, count);
    case HLL_SPARSE: return sparseRaise(hll, index, count, sparseMaxBytes);
    default: return -1;
  }
}

/**
 * Redis's hllMerge: max[i] = max(max[i], register i) for every register. False for a sparse
 * value whose opcodes do not cover exactly 16384 registers (max may be partly updated then).
 */
export function mergeRegisters(max: Uint8Array, hll: HllBuffer): boolean {
  const b = hll.bytes;
  if (hll.encoding === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const value = denseGet(b, HLL_HEADER_SIZE, i);
      if (value > (max[i] as number)) max[i] = value;
    }
    return true;
  }
  let i = 0;
  let p = HLL_HEADER_SIZE;
  const end = hll.length;
  while (p < end) {
    const op = b[p] as number;
    const run = isZero(op) ? zeroLength(op) : isXzero(op) ? xzeroLength(b, p) : valLength(op);
    if (i + run > HLL_REGISTERS) return false;
    if (isVal(op)) {
      const value = valValue(op);
      for (let n = i; n < i + run; n++) if (value > (max[n] as number)) max[n] = value;
    }
    i += run;
    p += isXzero(op) ? 2 : 1;
  }
  return i === HLL_REGISTERS;
}

// ---------------------------------------------------------------------------------------------
// The estimate (Otmar Ertl, "New cardinality estimation algorithms for HyperLogLog sketches").

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (previous !== z);
  return z / 3;
}

/** The estimate from a histogram of register values (64 slots, as Redis sizes it). */
function estimate(histogram: Float64Array): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - (histogram[HLL_Q + 1] as number)) / m);
  for (let j = HLL_Q; j >= 1; j--) {
    z += histogram[j] as number;
    z *= 0.5;
  }
  z += m * sigma((histogram[0] as number) / m);
  // llroundl: halves away from zero; the quotient is never negative.
  return Math.round((HLL_ALPHA_INF * m * m) / z);
}

const histogram = new Float64Array(64);

/**
 * Redis's hllCount on a stored value: the estimate, or -1 for a sparse value whose opcodes do
 * not cover exactly 16384 registers.
 */
export function hllCount(hll: HllBuffer): number {
  histogram.fill(0);
  const b = hll.bytes;
  if (hll.encoding === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) histogram[denseGet(b, HLL_HEADER_SIZE, i)]++;
    return estimate(histogram);
  }
  let index = 0;
  let p = HLL_HEADER_SIZE;
  const end = hll.length;
  while (p < end) {
    const op = b[p] as number;
    const run = isZero(op) ? zeroLength(op) : isXzero(op) ? xzeroLength(b, p) : valLength(op);
    if (index + run > HLL_REGISTERS) return -1;
    histogram[isVal(op) ? valValue(op) : 0] += run;
    index += run;
    p += isXzero(op) ? 2 : 1;
  }
  return index === HLL_REGISTERS ? estimate(histogram) : -1;
}

/** The estimate of 16384 registers held one per byte (PFCOUNT of several keys). */
export function countRegisters(registers: Uint8Array): number {
  histogram.fill(0);
  for (let i = 0; i < HLL_REGISTERS; i++) histogram[registers[i] as number]++;
  return estimate(histogram);
}

/** PFDEBUG DECODE: the sparse opcodes as "z:len", "Z:len" and "v:value,len", space-separated. */
export function describeSparse(hll: HllBuffer): string {
  const parts: string[] = [];
  const b = hll.bytes;
  let p = HLL_HEADER_SIZE;
  const end = hll.length;
  while (p < end) {
    const op = b[p] as number;
    if (isZero(op)) {
      parts.push(`z:${zeroLength(op)}`);
      p++;
    } else if (isXzero(op)) {
      parts.push(`Z:${xzeroLength(b, p)}`);
      p += 2;
    } else {
      parts.push(`v:${valValue(op)},${valLength(op)}`);
      p++;
    }
  }
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------
// PFSELFTEST.

/**
 * Redis's PFSELFTEST: registers keep what is written to them without touching their
 * neighbours, and sparse and dense values of the same elements agree on an estimate within
 * six standard errors at 1, 10, … 10^7 elements. Null when it passes, else the failure text.
 */
export function selfTest(sparseMaxBytes: number, random: () => number = Math.random): string | null {
  const dense = new Uint8Array(HLL_DENSE_SIZE + SLACK);
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < 1000; cycle++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const value = Math.floor(random() * 64) & HLL_REGISTER_MAX;
      expected[i] = value;
      denseSetRegister(dense, HLL_HEADER_SIZE, i, value);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const value = denseGet(dense, HLL_HEADER_SIZE, i);
      if (value !== expected[i]) return `TESTFAILED Register ${i} should be ${expected[i] as number} but is ${value}`;
    }
  }

  dense.fill(0);
  writeMagic(dense);
  dense[4] = HLL_DENSE;
  const denseHll = new HllBuffer(dense, HLL_DENSE_SIZE);
  const sparse = HllBuffer.empty();
  const relativeError = 1.04 / Math.sqrt(HLL_REGISTERS);
  const seedLo = Math.floor(random() * 0x100000000) >>> 0;
  const seedHi = Math.floor(random() * 0x100000000) >>> 0;
  const element = new Uint8Array(8);
  element[4] = seedHi & 0xff;
  element[5] = (seedHi >>> 8) & 0xff;
  element[6] = (seedHi >>> 16) & 0xff;
  element[7] = seedHi >>> 24;
  let checkpoint = 1;
  for (let j = 1; j <= 10_000_000; j++) {
    const lo = (j ^ seedLo) >>> 0;
    element[0] = lo & 0xff;
    element[1] = (lo >>> 8) & 0xff;
    element[2] = (lo >>> 16) & 0xff;
    element[3] = lo >>> 24;
    const count = patternOf(element, 0, 8);
    const index = patternIndex;
    denseRaise(dense, index, count);
    if (hllRaise(sparse, index, count, sparseMaxBytes) === -1) return 'TESTFAILED sparse value corrupted';
    if (j !== checkpoint) continue;
    if (j < Math.floor(sparseMaxBytes / 2) && sparse.encoding !== HLL_SPARSE) return 'TESTFAILED sparse encoding not used';
    const denseCount = hllCount(denseHll);
    if (denseCount !== hllCount(sparse)) return 'TESTFAILED dense/sparse disagree';
    let maxError = Math.ceil(relativeError * 6 * checkpoint);
    // At 10 elements a collision is likely enough to give a false alarm (as Redis allows).
    if (j === 10) maxError = 1;
    const absError = Math.abs(checkpoint - denseCount);
    if (absError > maxError) return `TESTFAILED Too big error. card:${checkpoint} abserr:${absError}`;
    checkpoint *= 10;
  }
  return null;
}
