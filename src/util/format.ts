/**
 * Number formatting exactly as Redis 7.0 prints numbers.
 */

/** C's printf("%.17g", d): what Redis 7.0 uses for double replies (ZSCORE, ZINCRBY…). */
export function formatDouble17g(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(d)));
  // toExponential(16) gives 17 significant digits and the true exponent after rounding.
  const expForm = d.toExponential(16);
  const ePos = expForm.indexOf('e');
  const realExp = Number(expForm.slice(ePos + 1));
  void exp;
  if (realExp < -4 || realExp >= 17) {
    let mantissa = expForm.slice(0, ePos);
    if (mantissa.includes('.')) mantissa = mantissa.replace(/0+$/, '').replace(/\.$/, '');
    const sign = realExp < 0 ? '-' : '+';
    const abs = Math.abs(realExp);
    return `${mantissa}e${sign}${abs < 10 ? '0' + abs : abs}`;
  }
  let fixed = d.toFixed(Math.max(0, 16 - realExp));
  if (fixed.includes('.')) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return fixed;
}

const SMALL_INTS: string[] = [];
for (let i = 0; i < 10000; i++) SMALL_INTS.push(String(i));

/** Decimal text of an integer, cached for the small ones replies use most. */
export function intToString(n: number): string {
  return n >= 0 && n < 10000 && Number.isInteger(n) ? (SMALL_INTS[n] as string) : String(n);
}
