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
import {
  LP_COUNT_UNKNOWN, LP_EOF, LP_HEADER_SIZE, decodeElement, element, setCount, setTotalBytes, skipElement, stringAsInt, writeInt,
} from './listpack.js';
import { FLAG_SAMEFIELDS } from './node.js';

/**
 * The integer of the element checkElement last checked with `wantInt`, or NOT_AN_INTEGER.
 * Module state, to return two things without allocating. Past 2^53 in magnitude it is the
 * nearest number (of the right sign): enough for counts, which no node holds that many of.
 */
let checkedInt = 0;
/** Its two lowest bits, exactly (a two's complement value's): what an entry's flags are read for. */
let checkedLowBits = 0;
/** Whether the element checked last was a string taken as an integer. */
let checkedText = false;
/** Not a value any integer element can have here: counts and flags are checked against >= 0. */
const NOT_AN_INTEGER = -1.5;

/** The longest text string2ll reads as an integer (LONG_STR_SIZE - 1: "-9223372036854775808"). */
const MAX_INT_TEXT = 20;
/** The digits of 2^63 - 1, the largest int64 (the smallest is -2^63: the same digits but a last 8). */
const INT64_MAX_DIGITS = [9, 2, 2, 3, 3, 7, 2, 0, 3, 6, 8, 5, 4, 7, 7, 5, 8, 0, 7];

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
    if (p + 2 > end || (lp[p + 1] !== 1 && !backlenSays(lp, p + 1, 1))) return -1;
    checkedInt = b;
    checkedLowBits = b & 3;
    checkedText = false;
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
      checkedLowBits = v & 3;
      checkedText = false;
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
      // Little-endian: the first byte holds the lowest bits, exact whatever the width.
      checkedLowBits = (lp[p + 1] as number) & 3;
      checkedText = false;
    }
  }
  const next = p + l + (l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5);
  if (next > end) return -1;
  // The common case first: a one-byte backlen.
  if ((l > 127 || lp[next - 1] !== l) && !backlenSays(lp, next - 1, l)) return -1;
  if (wantInt && dataLen >= 0) {
    checkedInt = decimalAt(lp, dataStart, dataLen);
    checkedText = true;
  }
  return next;
}

/**
 * Whether the backlen whose last byte is at `last` says l, read as Redis's lpValidateNext reads
 * it: backwards, 7 bits a byte while the high bit is set, 5 bytes at most. The element's size
 * alone says where its backlen ends (the next element starts after the shortest backlen of l),
 * but the bytes read are not held to that size: a redundant high bit on its first byte carries
 * the reading on into the bytes before (the element's own) while they add nothing to the value.
 * Redis accepts such an element; so does nodis, and reads it back the same way
 * (listpack.ts previousElement).
 */
function backlenSays(lp: Uint8Array, last: number, l: number): boolean {
  // The first element starts after the 6-byte header: 4 bytes back from its backlen stay within.
  let at = last;
  let value = (lp[at] as number) & 127;
  let scale = 128;
  for (let bytes = 1; ((lp[at] as number) & 128) !== 0; bytes++) {
    if (bytes === 5) return false;
    at--;
    value += ((lp[at] as number) & 127) * scale;
    scale *= 128;
  }
  return value === l;
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

/**
 * The integer a string of n bytes at p is the decimal of, else NOT_AN_INTEGER: Redis's
 * string2ll, which stream nodes' integers written as strings are read with (lpGetIntegerIfValid):
 * "0", or an optional "-" and digits without a leading zero ("-0" is not one), within a signed
 * 64-bit integer. Leaves the value's two lowest bits in checkedLowBits.
 */
function decimalAt(lp: Uint8Array, p: number, n: number): number {
  if (n === 0 || n > MAX_INT_TEXT) return NOT_AN_INTEGER;
  if (n === 1 && lp[p] === 48) {
    checkedLowBits = 0;
    return 0;
  }
  let i = 0;
  const negative = lp[p] === 45;
  if (negative) i = 1;
  const digits = n - i;
  if (digits === 0 || digits > INT64_MAX_DIGITS.length) return NOT_AN_INTEGER;
  const first = lp[p + i] as number;
  if (first < 49 || first > 57) return NOT_AN_INTEGER;
  let value = 0;
  let low = 0;
  // With as many digits as 2^63, the text is compared digit by digit with the limit of its
  // sign: -1 once below it, 1 once above (out of range), 0 while equal.
  const last = INT64_MAX_DIGITS.length - 1;
  let order = digits === INT64_MAX_DIGITS.length ? 0 : -1;
  for (let k = 0; i < n; i++, k++) {
    const d = (lp[p + i] as number) - 48;
    if (d < 0 || d > 9) return NOT_AN_INTEGER;
    if (order === 0) {
      const limit = k === last && negative ? 8 : (INT64_MAX_DIGITS[k] as number);
      if (d !== limit) order = d < limit ? -1 : 1;
    }
    value = value * 10 + d;
    low = (low * 10 + d) & 3;
  }
  if (order > 0) return NOT_AN_INTEGER;
  checkedLowBits = negative ? -low & 3 : low;
  return negative ? -value : value;
}

/** Whether checkedInt holds an integer (a non-negative one with `nonNegative`). */
function isInt(nonNegative: boolean): boolean {
  return checkedInt !== NOT_AN_INTEGER && (!nonNegative || checkedInt >= 0);
}

/**
 * Whether the listpack isValidStreamListpack last accepted has integers in a form the code that
 * reads nodes does not take (it reads an entry's flags as one byte and its ID deltas as integer
 * elements, as XADD writes them): an integer written as a string, or flags that are not a 7-bit
 * integer. Redis takes such nodes (lpGetIntegerIfValid reads strings too); nodis rewrites them
 * with canonicalStreamListpack.
 */
let lastNeedsRewrite = false;

export function streamListpackNeedsRewrite(): boolean {
  return lastNeedsRewrite;
}

/**
 * The position after an integer element at p in one of the integer encodings, whose backlen
 * is the one byte it takes; -1 for anything else (a string, a backlen of another form, an
 * element not whole), which checkElement then decides. What it accepts, checkElement accepts
 * as an integer with the same end.
 */
function plainIntegerEnd(lp: Uint8Array, p: number, end: number): number {
  const b = lp[p] as number;
  let l: number;
  if (b < 0x80) l = 1;
  else if (b < 0xc0) return -1;
  else if (b < 0xe0) l = 2;
  else if (b === 0xf1) l = 3;
  else if (b === 0xf2) l = 4;
  else if (b === 0xf3) l = 5;
  else if (b === 0xf4) l = 9;
  else return -1;
  const next = p + l + 1;
  return next <= end && lp[next - 1] === l ? next : -1;
}

/**
 * The position after an element at p whose encoding and data take at most 127 bytes, so that
 * its backlen is one byte, when that byte says so; -1 otherwise (checkElement decides).
 */
function shortElementEnd(lp: Uint8Array, p: number, end: number): number {
  const b = lp[p] as number;
  let l: number;
  if (b >= 0x80 && b < 0xc0) l = 1 + (b & 0x3f);
  else if (b >= 0xe0 && b < 0xf0) {
    if (p + 1 >= end) return -1;
    l = 2 + (((b & 0x0f) << 8) | (lp[p + 1] as number));
    if (l > 127) return -1;
  } else return plainIntegerEnd(lp, p, end);
  const next = p + l + 1;
  return next <= end && lp[next - 1] === l ? next : -1;
}

/**
 * The end of the entry at p when it has the form XADD gives almost every entry: flags of the
 * same fields as a 7-bit integer, its ID's deltas as integer elements, `fields` values of at
 * most 127 bytes each, and its element count as a 7-bit integer, every backlen one byte. -1
 * when it has another form or is not valid: the general check then reads it from p. Whatever
 * it accepts the general check accepts the same way (to the same end, nothing to rewrite);
 * it checks a million-entry stream's nodes 2.4 times as fast.
 */
function sameFieldsEntryEnd(lp: Uint8Array, p: number, end: number, fields: number): number {
  const flags = lp[p] as number;
  if (flags >= 0x80 || (flags & FLAG_SAMEFIELDS) === 0 || p + 2 > end || lp[p + 1] !== 1) return -1;
  let q = plainIntegerEnd(lp, p + 2, end);
  if (q < 0) return -1;
  q = plainIntegerEnd(lp, q, end);
  for (let j = 0; j < fields && q >= 0; j++) q = shortElementEnd(lp, q, end);
  if (q < 0 || q + 2 > end) return -1;
  // A 7-bit integer counting the values, the flags, the two deltas and itself.
  const count = lp[q] as number;
  if (count >= 0x80 || count !== fields + 3 || lp[q + 1] !== 1) return -1;
  return q + 2;
}

export function isValidStreamListpack(lp: Uint8Array): boolean {
  lastNeedsRewrite = false;
  let needsRewrite = false;
  const size = lp.length;
  if (size < LP_HEADER_SIZE + 1 || lp[size - 1] !== LP_EOF) return false;
  if ((lp[0] as number) + (lp[1] as number) * 0x100 + (lp[2] as number) * 0x10000 + (lp[3] as number) * 0x1000000 !== size) return false;
  const end = size - 1;
  let p = checkElement(lp, LP_HEADER_SIZE, end, true);
  if (p < 0 || !isInt(true)) return false;
  const count = checkedInt;
  needsRewrite ||= checkedText;
  p = checkElement(lp, p, end, true);
  if (p < 0 || !isInt(true)) return false;
  const deleted = checkedInt;
  needsRewrite ||= checkedText;
  p = checkElement(lp, p, end, true);
  if (p < 0 || !isInt(true)) return false;
  const masterFields = checkedInt;
  needsRewrite ||= checkedText;
  // Every element takes two bytes at least: more of them than that is corrupt (and bounds the loops).
  if (masterFields * 2 > end - p) return false;
  for (let j = 0; j < masterFields && p >= 0; j++) p = checkElement(lp, p, end, false);
  if (p < 0) return false;
  p = checkElement(lp, p, end, true);
  if (p < 0 || checkedInt !== 0) return false;
  needsRewrite ||= checkedText;
  // Each entry is four elements at least.
  let entries = count + deleted;
  if (entries * 8 > end - p) return false;
  while (entries-- > 0) {
    const next = sameFieldsEntryEnd(lp, p, end, masterFields);
    if (next >= 0) {
      p = next;
      continue;
    }
    needsRewrite ||= (lp[p] as number) >= 0x80;
    p = checkElement(lp, p, end, true);
    if (p < 0 || !isInt(false)) return false;
    // Only its bits are read (deleted, same fields), whatever its value.
    const flags = checkedLowBits;
    // The ID's ms and seq deltas.
    p = checkElement(lp, p, end, true);
    if (p < 0 || !isInt(false)) return false;
    needsRewrite ||= checkedText;
    p = checkElement(lp, p, end, true);
    if (p < 0 || !isInt(false)) return false;
    needsRewrite ||= checkedText;
    let fields = masterFields;
    let extra = 3;
    if ((flags & FLAG_SAMEFIELDS) === 0) {
      p = checkElement(lp, p, end, true);
      if (p < 0 || !isInt(true)) return false;
      fields = checkedInt;
      needsRewrite ||= checkedText;
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
    needsRewrite ||= checkedText;
  }
  if (p !== end) return false;
  lastNeedsRewrite = needsRewrite;
  return true;
}

/**
 * The node's listpack (one isValidStreamListpack accepted) with every integer of the node's
 * structure written as an integer element of its smallest encoding, and each entry's flags as
 * the 7-bit integer of the bits Redis reads (deleted, same fields); field names and values are
 * copied as they are. What the entries say is unchanged.
 */
export function canonicalStreamListpack(lp: Buffer): Buffer {
  // An integer element is never longer than the string of its decimal, but flags of a 13-bit
  // or wider encoding shrink, and the header may say anything: room for the worst is the input's.
  const out = Buffer.allocUnsafe(lp.length + 16);
  const end = lp.length - 1;
  let p = LP_HEADER_SIZE;
  let q = LP_HEADER_SIZE;
  let elements = 0;
  const copyInt = (asFlags: boolean): number => {
    let value = integerAt(lp, p);
    if (asFlags) value = typeof value === 'bigint' ? Number(value & 3n) : value & 3;
    p = skipElement(lp, p);
    q = writeInt(out, q, value);
    elements++;
    return Number(value);
  };
  const copyElement = (): void => {
    const next = skipElement(lp, p);
    lp.copy(out, q, p, next);
    q += next - p;
    p = next;
    elements++;
  };
  const count = copyInt(false);
  const deleted = copyInt(false);
  const masterFields = copyInt(false);
  for (let j = 0; j < masterFields; j++) copyElement();
  copyInt(false);
  for (let e = 0; e < count + deleted && p < end; e++) {
    const flags = copyInt(true);
    copyInt(false);
    copyInt(false);
    let fields = masterFields;
    if ((flags & FLAG_SAMEFIELDS) === 0) {
      fields = copyInt(false);
      for (let j = 0; j < fields; j++) copyElement();
    }
    for (let j = 0; j < fields; j++) copyElement();
    copyInt(false);
  }
  out[q++] = LP_EOF;
  setTotalBytes(out, q);
  setCount(out, Math.min(LP_COUNT_UNKNOWN, elements));
  return Buffer.from(out.subarray(0, q));
}

/** The integer of an element known to hold one: an integer element, or a string string2ll reads. */
function integerAt(lp: Buffer, p: number): number | bigint {
  decodeElement(lp, p);
  if (element.isInt) return element.int;
  return stringAsInt(lp.latin1Slice(element.start, element.end)) ?? 0;
}
