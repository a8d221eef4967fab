/**
 * Whether bytes from a file or a DUMP payload are a stream node's listpack that is safe to use:
 * a well-formed listpack (every element within bounds, its backlen matching) holding a master
 * entry and count + deleted entries of the shape node.ts describes (Redis's
 * streamValidateListpackIntegrity with deep checking, which nodis always does: the code that
 * reads nodes trusts their structure, so a node that passed this can be read without bounds
 * checks, whatever the file's CRC turns out to be).
 *
 * The check is one pass over the bytes that allocates nothing: it runs on every node of every
 * stream loaded (a million-entry stream has ten thousand nodes).
 */
import { LP_EOF, LP_HEADER_SIZE } from './listpack.js';
import { FLAG_SAMEFIELDS } from './node.js';

/**
 * The integer of the element checkElement last checked with `wantInt`, or NOT_AN_INTEGER.
 * Module state, to return two things without allocating.
 */
let checkedInt = 0;
/** Not a value any integer element can have here: counts and flags are checked against >= 0. */
const NOT_AN_INTEGER = -1.5;

/** The longest decimal text taken as an integer (exact as a number, as the old check did). */
const MAX_INT_DIGITS = 18;

/**
 * Checks that the element at p lies whole within [p, end) with a backlen that says its size;
 * returns the position after it, or -1. With `wantInt`, also leaves its integer value in
 * checkedInt (lpGetIntegerIfValid: an integer encoding, or a string that is a canonical
 * decimal), NOT_AN_INTEGER if it has none.
 */
function checkElement(lp: Uint8Array, p: number, end: number, wantInt: boolean): number {
  if (p >= end) return -1;
  const b = lp[p] as number;
  if (b < 0x80) {
    // A 7-bit integer: one byte and a backlen of 1.
    if (p + 2 > end || lp[p + 1] !== 1) return -1;
    checkedInt = b;
    return p + 2;
  }
  // l: encoding + data bytes; dataStart/dataLen: a string's bytes (dataLen -1 for integers).
  let l: number;
  let dataStart = 0;
  let dataLen = -1;
  if (b < 0xc0) {
    dataLen = b & 0x3f;
    dataStart = p + 1;
    l = 1 + dataLen;
  } else if (b < 0xe0) {
    if (p + 2 > end) return -1;
    if (wantInt) {
      const v = ((b & 0x1f) << 8) | (lp[p + 1] as number);
      checkedInt = v >= 4096 ? v - 8192 : v;
    }
    l = 2;
  } else if (b < 0xf0) {
    if (p + 2 > end) return -1;
    dataLen = ((b & 0x0f) << 8) | (lp[p + 1] as number);
    dataStart = p + 2;
    l = 2 + dataLen;
  } else {
    switch (b) {
      case 0xf0:
        if (p + 5 > end) return -1;
        dataLen = (lp[p + 1] as number) + (lp[p + 2] as number) * 0x100 + (lp[p + 3] as number) * 0x10000 + (lp[p + 4] as number) * 0x1000000;
        dataStart = p + 5;
        l = 5 + dataLen;
        break;
      case 0xf1:
        l = 3;
        break;
      case 0xf2:
        l = 4;
        break;
      case 0xf3:
        l = 5;
        break;
      case 0xf4:
        l = 9;
        break;
      default:
        return -1;
    }
    if (wantInt && dataLen < 0) {
      if (p + l > end) return -1;
      checkedInt = intAt(lp, p + 1, l - 1);
    }
  }
  if (l <= 127) {
    // The common case: a one-byte backlen.
    if (p + l + 1 > end || lp[p + l] !== l) return -1;
  } else if (!backlenSays(lp, p + l, end, l)) {
    return -1;
  }
  if (wantInt && dataLen >= 0) checkedInt = decimalAt(lp, dataStart, dataLen);
  return p + l + (l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5);
}

/** Whether the backlen at q (after an element of l > 127 bytes), read backwards from its last byte, says l. */
function backlenSays(lp: Uint8Array, q: number, end: number, l: number): boolean {
  const size = l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
  if (q + size > end) return false;
  let at = q + size - 1;
  let value = (lp[at] as number) & 127;
  let scale = 128;
  while (((lp[at] as number) & 128) !== 0) {
    if (--at < q) return false;
    value += ((lp[at] as number) & 127) * scale;
    scale *= 128;
  }
  return at === q && value === l;
}

/**
 * A little-endian signed integer of `bytes` (2, 3, 4 or 8) bytes at p, as a number: exact up
 * to 2^53 in magnitude, and of the right sign beyond (no count gets that far anyway).
 */
function intAt(lp: Uint8Array, p: number, bytes: number): number {
  const b0 = lp[p] as number;
  const b1 = lp[p + 1] as number;
  if (bytes === 2) return ((b0 | (b1 << 8)) << 16) >> 16;
  const b2 = lp[p + 2] as number;
  if (bytes === 3) return ((b0 | (b1 << 8) | (b2 << 16)) << 8) >> 8;
  const low = (b0 | (b1 << 8) | (b2 << 16) | ((lp[p + 3] as number) << 24)) >>> 0;
  if (bytes === 4) return low | 0;
  // The high half signed, the low half unsigned: -1 is -2^32 + (2^32 - 1), exactly.
  const high = (lp[p + 4] as number) | ((lp[p + 5] as number) << 8) | ((lp[p + 6] as number) << 16) | ((lp[p + 7] as number) << 24);
  return high * 4294967296 + low;
}

/** The integer a string of n bytes at p is the decimal of (-?(0|[1-9][0-9]{0,17})), else NOT_AN_INTEGER. */
function decimalAt(lp: Uint8Array, p: number, n: number): number {
  if (n === 0 || n > MAX_INT_DIGITS + 1) return NOT_AN_INTEGER;
  let i = 0;
  const negative = lp[p] === 45;
  if (negative) i = 1;
  const digits = n - i;
  if (digits === 0 || digits > MAX_INT_DIGITS) return NOT_AN_INTEGER;
  const first = lp[p + i] as number;
  if (first === 48) return digits === 1 ? 0 : NOT_AN_INTEGER;
  let value = 0;
  for (; i < n; i++) {
    const d = (lp[p + i] as number) - 48;
    if (d < 0 || d > 9) return NOT_AN_INTEGER;
    value = value * 10 + d;
  }
  return negative ? -value : value;
}

/** Whether checkedInt holds an integer (a non-negative one with `nonNegative`). */
function isInt(nonNegative: boolean): boolean {
  return checkedInt !== NOT_AN_INTEGER && (!nonNegative || checkedInt >= 0);
}

export function isValidStreamListpack(lp: Uint8Array): boolean {
  const size = lp.length;
  if (size < LP_HEADER_SIZE + 1 || lp[size - 1] !== LP_EOF) return false;
  if ((lp[0] as number) + (lp[1] as number) * 0x100 + (lp[2] as number) * 0x10000 + (lp[3] as number) * 0x1000000 !== size) return false;
  const end = size - 1;
  let p = checkElement(lp, LP_HEADER_SIZE, end, true);
  if (p < 0 || !isInt(true)) return false;
  const count = checkedInt;
  p = checkElement(lp, p, end, true);
  if (p < 0 || !isInt(true)) return false;
  const deleted = checkedInt;
  p = checkElement(lp, p, end, true);
  if (p < 0 || !isInt(true)) return false;
  const masterFields = checkedInt;
  // Every element takes two bytes at least: more of them than that is corrupt (and bounds the loops).
  if (masterFields * 2 > end - p) return false;
  for (let j = 0; j < masterFields && p >= 0; j++) p = checkElement(lp, p, end, false);
  if (p < 0) return false;
  p = checkElement(lp, p, end, true);
  if (p < 0 || checkedInt !== 0) return false;
  // Each entry is four elements at least.
  let entries = count + deleted;
  if (entries * 8 > end - p) return false;
  while (entries-- > 0) {
    p = checkElement(lp, p, end, true);
    if (p < 0 || !isInt(false)) return false;
    const flags = checkedInt;
    // The ID's ms and seq deltas.
    p = checkElement(lp, p, end, true);
    if (p < 0 || !isInt(false)) return false;
    p = checkElement(lp, p, end, true);
    if (p < 0 || !isInt(false)) return false;
    let fields = masterFields;
    let extra = 3;
    if ((flags & FLAG_SAMEFIELDS) === 0) {
      p = checkElement(lp, p, end, true);
      if (p < 0 || !isInt(true)) return false;
      fields = checkedInt;
      if (fields * 4 > end - p) return false;
      // The entry's own field names.
      for (let j = 0; j < fields && p >= 0; j++) p = checkElement(lp, p, end, false);
      extra += fields + 1;
    }
    // The values.
    for (let j = 0; j < fields && p >= 0; j++) p = checkElement(lp, p, end, false);
    if (p < 0) return false;
    p = checkElement(lp, p, end, true);
    if (p < 0 || checkedInt !== fields + extra) return false;
  }
  return p === end;
}
