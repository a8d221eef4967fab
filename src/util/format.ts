/**
 * Number formatting exactly as Redis 7.0 prints numbers.
 */

const float64View = new DataView(new ArrayBuffer(8));
const LOG10_5 = Math.log10(5);

/**
 * When |d| lies exactly halfway between two 17-significant-digit decimals, those 17 digits
 * rounded half to even as glibc's printf does, else null. A tie needs an exact decimal
 * expansion of 18 significant digits ending in 5: |d| = m * 2^-j (m odd) expands to the
 * digits of m * 5^j, so only a few doubles qualify and only they pay for BigInt arithmetic.
 */
function tieDigits17(abs: number): { digits: string; exponent: number } | null {
  float64View.setFloat64(0, abs);
  const high = float64View.getUint32(0);
  const low = float64View.getUint32(4);
  const biased = high >>> 20;
  let m = (high & 0xfffff) * 2 ** 32 + low;
  let j: number;
  if (biased === 0) j = 1074;
  else {
    m += 2 ** 52;
    j = 1075 - biased;
  }
  while (m % 2 === 0) {
    m /= 2;
    j--;
  }
  // An integer (j <= 0) below 2^53 has at most 16 digits.
  if (j <= 0) return null;
  const magnitude = Math.log10(m) + j * LOG10_5;
  if (magnitude < 16.99 || magnitude >= 18.01) return null;
  const exact = (BigInt(m) * 5n ** BigInt(j)).toString();
  if (exact.length !== 18 || exact.charCodeAt(17) !== 53 /* '5' */) return null;
  let exponent = 17 - j;
  let digits = exact.slice(0, 17);
  if ((digits.charCodeAt(16) - 48) % 2 === 1) {
    digits = (BigInt(digits) + 1n).toString();
    if (digits.length === 18) {
      digits = digits.slice(0, 17);
      exponent++;
    }
  }
  return { digits, exponent };
}

/** Removes trailing zeros after a decimal point, and the point if nothing follows it (%g). */
function trimFraction(text: string): string {
  let end = text.length;
  while (text.charCodeAt(end - 1) === 48) end--;
  if (text.charCodeAt(end - 1) === 46) end--;
  return text.slice(0, end);
}

/** C's printf("%.17g", d): what Redis 7.0 uses for double replies (ZSCORE, ZINCRBY…) and DEBUG DIGEST. */
export function formatDouble17g(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const abs = Math.abs(d);
  const sign = d < 0 ? '-' : '';
  let digits: string;
  let exponent: number;
  // toExponential(16) rounds to 17 significant digits correctly except that it breaks an exact
  // tie upward, where C rounds to even.
  const tie = tieDigits17(abs);
  if (tie !== null) {
    digits = tie.digits;
    exponent = tie.exponent;
  } else {
    const expForm = abs.toExponential(16);
    digits = expForm.charAt(0) + expForm.slice(2, 18);
    exponent = Number(expForm.slice(19));
  }
  if (exponent < -4 || exponent >= 17) {
    const mantissa = trimFraction(digits.charAt(0) + '.' + digits.slice(1));
    const e = Math.abs(exponent);
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${e < 10 ? '0' + e : e}`;
  }
  if (exponent < 0) return sign + trimFraction('0.' + '0'.repeat(-exponent - 1) + digits);
  return sign + trimFraction(digits.slice(0, exponent + 1) + '.' + digits.slice(exponent + 1));
}

const SMALL_INTS: string[] = [];
for (let i = 0; i < 10000; i++) SMALL_INTS.push(String(i));

/** Decimal text of an integer, cached for the small ones replies use most. */
export function intToString(n: number): string {
  return n >= 0 && n < 10000 && Number.isInteger(n) ? (SMALL_INTS[n] as string) : String(n);
}

/**
 * C's printf("%.<digits>f", d) for a double, exactly: the binary value's full decimal
 * expansion rounded half to even, as glibc prints it (JavaScript's toFixed breaks ties
 * upward). Used where Redis prints with %f (error texts) and %.17Lf (coordinates).
 */
export function formatFixed(d: number, digits: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  const sign = d < 0 || Object.is(d, -0) ? '-' : '';
  const abs = Math.abs(d);
  float64View.setFloat64(0, abs);
  const high = float64View.getUint32(0);
  const low = float64View.getUint32(4);
  const biased = high >>> 20;
  // |d| = significand * 2^-j
  let significand = (high & 0xfffff) * 2 ** 32 + low;
  let j: number;
  if (biased === 0) j = 1074;
  else {
    significand += 2 ** 52;
    j = 1075 - biased;
  }
  // toFixed is exact but breaks ties upward; a tie needs exactly digits + 1 binary fractional
  // digits (the expansion then ends in 5 just past the last digit printed).
  if (abs < 1e21) {
    let odd = significand;
    let fractionBits = j;
    while (fractionBits > 0 && odd !== 0 && odd % 2 === 0) {
      odd /= 2;
      fractionBits--;
    }
    if (fractionBits !== digits + 1) return sign + abs.toFixed(digits);
  }
  const m = BigInt(significand);
  let scaled: bigint;
  if (j <= 0) {
    scaled = (m << BigInt(-j)) * 10n ** BigInt(digits);
  } else {
    const numerator = m * 10n ** BigInt(digits);
    const denominator = 1n << BigInt(j);
    scaled = numerator / denominator;
    const twice = (numerator - scaled * denominator) * 2n;
    if (twice > denominator || (twice === denominator && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const text = scaled.toString().padStart(digits + 1, '0');
  if (digits === 0) return sign + text;
  return `${sign}${text.slice(0, text.length - digits)}.${text.slice(text.length - digits)}`;
}

/**
 * Redis's LD_STR_HUMAN formatting of a double held in a long double: %.17Lf with the trailing
 * zeros (and a bare point) removed, "-0" printed as "0" (GEOPOS, WITHCOORD, INCRBYFLOAT).
 */
export function formatHumanDouble(d: number): string {
  const text = trimFraction(formatFixed(d, 17));
  return text === '-0' ? '0' : text;
}

/** C's llrint: to the nearest integer, ties to even. */
function rintHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Redis's fixedpoint_d2string(d, 4): a distance with exactly 4 decimals (GEODIST, WITHDIST),
 * rounded by llrint of d × 10^4.
 */
export function formatDistance(d: number): string {
  if (d === 0) return '0.0000';
  const scaled = rintHalfEven(d * 10000);
  const digits = String(Math.abs(scaled)).padStart(5, '0');
  return `${scaled < 0 ? '-' : ''}${digits.slice(0, digits.length - 4)}.${digits.slice(digits.length - 4)}`;
}

/**
 * Writes the decimal digits of `n` (a non-negative safe integer) at `p` of `buf`; returns the
 * position after them. No string is made (a save writes millions of them).
 */
export function writeDecimal(buf: Uint8Array, p: number, n: number): number {
  const start = p;
  do {
    const q = Math.floor(n / 10);
    buf[p++] = 48 + n - q * 10;
    n = q;
  } while (n > 0);
  // The digits came least significant first.
  for (let i = start, j = p - 1; i < j; i++, j--) {
    const t = buf[i] as number;
    buf[i] = buf[j] as number;
    buf[j] = t;
  }
  return p;
}
