/**
 * The x86-64 `long double` (80-bit extended: 64-bit significand, exponents down to subnormal
 * 2^-16445) that Redis 7.0's INCRBYFLOAT computes in: strtold to parse, one rounded addition,
 * printf("%.17Lf") with trailing zeros removed to print. Emulated exactly with BigInt so that
 * results match byte for byte (0.1 + 0.2 prints "0.3", not a double's 0.30000000000000004).
 *
 * A finite value is sign × m × 2^e with m < 2^64 (not necessarily normalized).
 */
export interface LongDouble {
  negative: boolean;
  m: bigint;
  e: number;
  /** ±inf; m and e are meaningless then. */
  infinite: boolean;
}

const PRECISION = 64;
/** Exponent of the least significant bit of the smallest subnormal: 2^-16445. */
const MIN_EXP = -16445;
/** Values reach 2^16384 = overflow to infinity. */
const MAX_BITS_EXP = 16384;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer texts are rejected. */
const MAX_CHARS = 5 * 1024;

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

function infinity(negative: boolean): LongDouble {
  return { negative, m: 0n, e: 0, infinite: true };
}

/**
 * Rounds the exact value m × 2^e (plus a nonzero remainder below its last bit when `sticky`)
 * to the format, to nearest with ties to even, as the FPU does.
 */
function round(negative: boolean, m: bigint, e: number, sticky: boolean): LongDouble {
  const bits = bitLength(m);
  const shift = Math.max(bits - PRECISION, MIN_EXP - e);
  if (shift > 0) {
    const q = m >> BigInt(shift);
    const rem = m - (q << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    let r = q;
    if (rem > half || (rem === half && (sticky || (q & 1n) === 1n))) r = q + 1n;
    m = r;
    e += shift;
  }
  if (m !== 0n && bitLength(m) + e > MAX_BITS_EXP) return infinity(negative);
  return { negative, m, e, infinite: false };
}

const DEC_RE = /^([+-]?)(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const HEX_RE = /^([+-]?)0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const INF_RE = /^([+-]?)inf(?:inity)?$/i;

/** A decimal exponent clamped far beyond any that matters, so huge ones cost nothing. */
function exponentOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  return n > 1e7 ? 1e7 : n < -1e7 ? -1e7 : n;
}

function parseDecimal(negative: boolean, intDigits: string, fracDigits: string, expText: string | undefined): LongDouble | null {
  let digits = (intDigits + fracDigits).replace(/^0+/, '');
  if (digits === '') return { negative, m: 0n, e: 0, infinite: false };
  let exp10 = exponentOf(expText) - fracDigits.length;
  const trimmed = digits.replace(/0+$/, '');
  exp10 += digits.length - trimmed.length;
  digits = trimmed;
  // The value lies in [10^(magnitude-1), 10^magnitude): decide overflow and underflow early.
  const magnitude = digits.length + exp10;
  if (magnitude > 4934) return null;
  if (magnitude < -4952) return null;
  const d = BigInt(digits);
  if (exp10 >= 0) return round(negative, d * 10n ** BigInt(exp10), 0, false);
  const p = 10n ** BigInt(-exp10);
  // Enough quotient bits for 64 significant bits plus guard bits; the rest is the sticky bit.
  const k = Math.max(0, PRECISION + 2 + bitLength(p) - bitLength(d));
  const scaled = d << BigInt(k);
  const q = scaled / p;
  return round(negative, q, -k, q * p !== scaled);
}

function parseHex(negative: boolean, intDigits: string, fracDigits: string, expText: string | undefined): LongDouble {
  const m = BigInt('0x' + (intDigits + fracDigits === '' ? '0' : intDigits + fracDigits));
  if (m === 0n) return { negative, m: 0n, e: 0, infinite: false };
  return round(negative, m, exponentOf(expText) - 4 * fracDigits.length, false);
}

/**
 * Redis's string2ld: strtold over the whole text, which must not start with white space,
 * nor be NaN, nor overflow, nor underflow to zero. A NUL byte anywhere makes it invalid (strtold
 * would stop there short of the whole text). Returns null when the text is not a valid float.
 */
export function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length >= MAX_CHARS) return null;
  let match = DEC_RE.exec(s);
  if (match !== null) {
    return parseDecimal(match[1] === '-', match[2] ?? '', match[3] ?? match[4] ?? '', match[5]);
  }
  match = HEX_RE.exec(s);
  if (match !== null) {
    const result = parseHex(match[1] === '-', match[2] ?? '', match[3] ?? match[4] ?? '', match[5]);
    return result.infinite ? null : result;
  }
  match = INF_RE.exec(s);
  if (match !== null) return infinity(match[1] === '-');
  return null;
}

/** a + b rounded once; NaN (inf - inf) comes back as null. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.infinite || b.infinite) {
    if (a.infinite && b.infinite && a.negative !== b.negative) return null;
    return a.infinite ? a : b;
  }
  if (a.m === 0n) return b.m === 0n ? { negative: a.negative && b.negative, m: 0n, e: 0, infinite: false } : b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  const ma = a.m << BigInt(a.e - e);
  const mb = b.m << BigInt(b.e - e);
  const sum = (a.negative ? -ma : ma) + (b.negative ? -mb : mb);
  if (sum === 0n) return { negative: false, m: 0n, e: 0, infinite: false };
  return sum < 0n ? round(true, -sum, e, false) : round(false, sum, e, false);
}

const TEN_17 = 10n ** 17n;

/**
 * Redis's ld2string in LD_STR_HUMAN mode: printf("%.17Lf") (exact value, rounded half to even
 * at the 17th decimal as glibc does), then trailing zeros and a bare '.' removed, "-0" as "0".
 */
export function formatLongDoubleHuman(x: LongDouble): string {
  if (x.infinite) return x.negative ? '-inf' : 'inf';
  let text: string;
  if (x.e >= 0) {
    text = (x.m << BigInt(x.e)).toString();
  } else {
    const shift = BigInt(-x.e);
    const num = x.m * TEN_17;
    let q = num >> shift;
    const rem = num - (q << shift);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    const intPart = q / TEN_17;
    const frac = (q % TEN_17).toString().padStart(17, '0').replace(/0+$/, '');
    text = frac === '' ? intPart.toString() : `${intPart}.${frac}`;
  }
  if (!x.negative || text === '0') return text;
  return '-' + text;
}

/** The exact value as a double, for callers that want a number (rounded once, to nearest). */
export function longDoubleToNumber(x: LongDouble): number {
  if (x.infinite) return x.negative ? -Infinity : Infinity;
  const v = Number(x.m) * 2 ** x.e;
  return x.negative ? -v : v;
}
