import { RedisError, ERR_NOT_FLOAT, ERR_NOT_INTEGER } from '../errors.js';

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/**
 * Redis's string2ll: an optional '-', digits without leading zeros, no spaces or '+', within
 * a signed 64-bit range. Returns a bigint, or null when the text is not such an integer.
 */
export function parseLongLongBig(s: string): bigint | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    if (n === 1) return null;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n === 1 ? 0n : null;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const value = BigInt(s);
  return value < LLONG_MIN || value > LLONG_MAX ? null : value;
}

/**
 * Like parseLongLongBig but as a number (exact up to 2^53, which covers counts, indexes and
 * times). Returns null when the text is not a 64-bit integer.
 */
export function parseLongLong(s: string): number | null {
  const n = s.length;
  if (n === 0) return null;
  if (n < 16) {
    // Fast path: at most 15 digits cannot overflow and is exact as a number.
    let i = 0;
    let negative = false;
    if (s.charCodeAt(0) === 45) {
      if (n === 1) return null;
      negative = true;
      i = 1;
    }
    const first = s.charCodeAt(i);
    if (first === 48) return n === i + 1 && !negative ? 0 : null;
    let value = 0;
    for (; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return null;
      value = value * 10 + d;
    }
    return negative ? -value : value;
  }
  const big = parseLongLongBig(s);
  return big === null ? null : Number(big);
}

/** C's isspace in the C locale: space, \t, \n, \v, \f, \r. */
function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * C's atoi as glibc has it, (int)strtol(s, NULL, 10): leading white space, an optional sign, then
 * as many digits as follow; 0 when none do. The long saturates at 64 bits and the cast to int
 * keeps its low 32 bits ("4294967298" reads as 2).
 */
export function atoi(s: string): number {
  const n = s.length;
  let i = 0;
  while (i < n && isCSpace(s.charCodeAt(i))) i++;
  let negative = false;
  const sign = s.charCodeAt(i);
  if (sign === 43 || sign === 45) {
    negative = sign === 45;
    i++;
  }
  const start = i;
  while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === start) return 0;
  // Nine digits fit an int as they are.
  if (i - start <= 9) {
    const value = Number(s.slice(start, i));
    return negative ? -value : value;
  }
  let value = BigInt(s.slice(start, i));
  if (negative) value = -value;
  if (value > LLONG_MAX) value = LLONG_MAX;
  else if (value < LLONG_MIN) value = LLONG_MIN;
  return Number(BigInt.asIntN(32, value));
}

/** An integer argument, or Redis's "value is not an integer or out of range" (or `message`). */
export function getLongLong(s: string, message: string = ERR_NOT_INTEGER): number {
  const value = parseLongLong(s);
  if (value === null) throw new RedisError(message);
  return value;
}

/** An integer argument that must be within [min, max] (Redis's getRangeLongFromObjectOrReply). */
export function getRangeLong(s: string, min: number, max: number, message: string): number {
  const value = parseLongLong(s);
  if (value === null || value < min || value > max) throw new RedisError(message);
  return value;
}

/** A 32-bit integer argument (Redis's getIntFromObjectOrReply: SELECT, HELLO…). */
export function getInt(s: string): number {
  const value = getLongLong(s);
  if (value < -2147483648 || value > 2147483647) {
    throw new RedisError('ERR value is out of range, value must between -2147483648 and 2147483647');
  }
  return value;
}

/**
 * A non-negative integer argument (counts), as Redis's getPositiveLongFromObjectOrReply: a
 * non-number and a negative number both answer "value is out of range, must be positive".
 */
export function getPositiveLong(s: string, message = 'ERR value is out of range, must be positive'): number {
  const value = parseLongLong(s);
  if (value === null || value < 0) throw new RedisError(message);
  return value;
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)$/;
const INF_RE = /^[+-]?inf(?:inity)?$/i;
const HEX_FLOAT_RE = /^[+-]?0x[0-9a-f]+$/i;

/**
 * Redis's string2d (strtod over the whole text, no leading space, not NaN). Returns null when
 * the text is not a valid double. Accepts inf/-inf/infinity in any case, like strtod.
 */
export function parseDouble(s: string): number | null {
  const n = s.length;
  if (n === 0 || n > 5000) return null;
  // The commonest form (scores such as ZADD's 0 or 1700000000) without a regular expression:
  // a strict integer of up to 15 digits reads the same as strtod reads it.
  if (n < 16) {
    const value = parseLongLong(s);
    if (value !== null) return value;
  }
  if (FLOAT_RE.test(s)) return rangeChecked(s, Number(s));
  if (INF_RE.test(s)) return s.charCodeAt(0) === 45 ? -Infinity : Infinity;
  if (HEX_FLOAT_RE.test(s)) {
    const negative = s.charCodeAt(0) === 45;
    const digits = s.replace(/^[+-]?0x/i, '');
    const value = Number.parseInt(digits, 16);
    return negative ? -value : value;
  }
  return null;
}

/** A double argument, or Redis's "value is not a valid float" (or `message`). */
export function getDouble(s: string, message: string = ERR_NOT_FLOAT): number {
  const value = parseDouble(s);
  if (value === null) throw new RedisError(message);
  return value;
}

/**
 * strtod sets ERANGE when a finite literal overflows to ±inf or underflows to zero; Redis's
 * string2d and getDoubleFromObject reject those (subnormal results are kept).
 */
function rangeChecked(s: string, value: number): number | null {
  if (value === Infinity || value === -Infinity) return null;
  if (value === 0 && /[1-9]/.test(mantissaOf(s))) return null;
  return value;
}

function mantissaOf(s: string): string {
  const e = s.search(/[eE]/);
  return e === -1 ? s : s.slice(0, e);
}

const STRTOD_SPACE_RE = /^[ \t\n\v\f\r]*/;

/**
 * C's strtod as Redis uses it for score ranges (zslParseRange): leading white space is
 * skipped, an empty text is 0, overflow gives ±inf; the whole text must be consumed and the
 * result must not be NaN. Returns null otherwise.
 */
export function parseStrtod(text: string): number | null {
  const s = text.replace(STRTOD_SPACE_RE, '');
  if (s.length === 0) return text.length === 0 ? 0 : null;
  if (FLOAT_RE.test(s)) return Number(s);
  if (INF_RE.test(s)) return s.charCodeAt(0) === 45 ? -Infinity : Infinity;
  if (HEX_FLOAT_RE.test(s)) return parseDouble(s);
  return null;
}
