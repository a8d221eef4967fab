/**
 * C's strtod over a C string, as code that checks `*end == '\0' && errno != ERANGE && !isnan`
 * sees it (SORT's scores): the text ends at its first NUL byte; leading white space is
 * skipped; an empty text is 0; decimal, hexadecimal (with a binary exponent) and inf/infinity
 * are accepted; NaN, overflow and inexact underflow (to zero or a subnormal) are rejected.
 * Returns null when rejected.
 */
export function strtodChecked(text: string): number | null {
  const nul = text.indexOf('\0');
  const s = nul === -1 ? text : text.slice(0, nul);
  if (s.length === 0) return 0;
  let i = 0;
  while (i < s.length && isCSpace(s.charCodeAt(i))) i++;
  // Only white space: strtod converts nothing and leaves the end at the start.
  if (i === s.length) return null;
  const t = i === 0 ? s : s.slice(i);
  if (DECIMAL_RE.test(t)) return decimalChecked(t);
  if (INF_RE.test(t)) return t.charCodeAt(0) === 45 ? -Infinity : Infinity;
  const hex = HEX_RE.exec(t);
  if (hex !== null) return hexChecked(t.charCodeAt(0) === 45, (hex[1] ?? '') + (hex[2] ?? hex[3] ?? ''), (hex[2] ?? hex[3] ?? '').length, hex[4]);
  return null;
}

const DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INF_RE = /^[+-]?inf(?:inity)?$/i;
const HEX_RE = /^[+-]?0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const DBL_MIN = 2.2250738585072014e-308;

function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function decimalChecked(t: string): number | null {
  const value = Number(t);
  if (value === Infinity || value === -Infinity) return null;
  const abs = Math.abs(value);
  if (abs < DBL_MIN) {
    const e = t.search(/[eE]/);
    const mantissa = e === -1 ? t : t.slice(0, e);
    // Zero written as zero is exact; anything else this small was rounded (ERANGE).
    if (/[1-9]/.test(mantissa)) return null;
  }
  return value;
}

/**
 * A hexadecimal float: exact unless it has more than 53 significant bits or falls below the
 * normal range, where glibc reports ERANGE only if rounding was needed.
 */
function hexChecked(negative: boolean, allDigits: string, fracLength: number, exponent: string | undefined): number | null {
  const digits = allDigits.replace(/^0+/, '');
  let exp = (exponent === undefined ? 0 : Number(exponent)) - 4 * fracLength;
  if (digits === '') return negative ? -0 : 0;
  let mantissa = BigInt('0x' + digits);
  // Normalize to an exact integer mantissa; Number() of it rounds to nearest even.
  const bits = mantissa.toString(2).length;
  const topExp = exp + bits - 1;
  if (topExp > 1023) return null;
  if (topExp < -1022) {
    // Subnormal or zero: exact only if no set bit falls below 2^-1074.
    const shift = -1074 - exp;
    if (shift > 0) {
      if (shift >= bits) return null;
      if ((mantissa & ((1n << BigInt(shift)) - 1n)) !== 0n) return null;
      mantissa >>= BigInt(shift);
      exp = -1074;
    }
    const value = Number(mantissa) * 2 ** exp;
    return negative ? -value : value;
  }
  let value: number;
  if (bits > 53) {
    const drop = bits - 53;
    const kept = Number(mantissa >> BigInt(drop));
    const rest = mantissa & ((1n << BigInt(drop)) - 1n);
    const half = 1n << BigInt(drop - 1);
    let rounded = kept;
    if (rest > half || (rest === half && kept % 2 === 1)) rounded++;
    value = rounded * 2 ** (exp + drop);
  } else {
    value = Number(mantissa) * 2 ** exp;
  }
  if (!Number.isFinite(value)) return null;
  return negative ? -value : value;
}
