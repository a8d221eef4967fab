/**
 * sin, cos and asin rounded as glibc's libm rounds them. V8's Math.sin/cos/asin (fdlibm) are
 * within one ulp but differ from glibc in the last bit for a few percent of arguments, and
 * Redis's geo distances and their order depend on those bits. glibc's results are (all but
 * always) the correctly rounded ones, so these compute each function in double-double
 * arithmetic (about 104 bits) and round once.
 *
 * A double-double value is hi + lo with |lo| <= ulp(hi)/2. The helpers leave their result in
 * the module's `rh`/`rl` registers to avoid allocating.
 */

let rh = 0;
let rl = 0;

/** 2^27 + 1: splits a double into two halves whose products are exact (Dekker). */
const SPLITTER = 134217729;

/** rh + rl = a * b exactly. */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const ahi = t - (t - a);
  const alo = a - ahi;
  t = SPLITTER * b;
  const bhi = t - (t - b);
  const blo = b - bhi;
  rh = p;
  rl = ahi * bhi - p + ahi * blo + alo * bhi + alo * blo;
}

/** rh + rl = a + b exactly. */
function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  rh = s;
  rl = a - (s - bb) + (b - bb);
}

/** Normalizes a + b (|a| >= |b|) into rh + rl. */
function quickTwoSum(a: number, b: number): void {
  const s = a + b;
  rh = s;
  rl = b - (s - a);
}

function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const p = rh;
  const e = rl + (ah * bl + al * bh);
  quickTwoSum(p, e);
}

function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  twoSum(ah, bh);
  const s = rh;
  const e = rl + al + bl;
  quickTwoSum(s, e);
}

/** (ah + al) / b for a double b. */
function ddDiv(ah: number, al: number, b: number): void {
  const q1 = ah / b;
  twoProd(q1, b);
  const p1 = rh;
  const p2 = rl;
  twoSum(ah, -p1);
  const s = rh - p2 + rl + al;
  quickTwoSum(q1, s / b);
}

/** 1/(k!) as double-doubles, k = 0..31. */
const INV_FACT_HI: number[] = [];
const INV_FACT_LO: number[] = [];
{
  let h = 1;
  let l = 0;
  for (let k = 0; k < 32; k++) {
    if (k > 1) {
      ddDiv(h, l, k);
      h = rh;
      l = rl;
    }
    INV_FACT_HI.push(h);
    INV_FACT_LO.push(l);
  }
}

/** Enough terms for |r| <= pi/4 to reach 2^-110. */
const TERMS = 15;

/** sin(r) of a reduced r (|r| <= pi/4) into rh + rl. */
function sinReduced(r: number, rlo: number): void {
  ddMul(r, rlo, r, rlo);
  const r2h = rh;
  const r2l = rl;
  let sh = INV_FACT_HI[2 * TERMS + 1] as number;
  let sl = INV_FACT_LO[2 * TERMS + 1] as number;
  if (TERMS % 2 === 1) {
    sh = -sh;
    sl = -sl;
  }
  for (let k = TERMS - 1; k >= 0; k--) {
    ddMul(sh, sl, r2h, r2l);
    const sign = k % 2 === 0 ? 1 : -1;
    ddAdd(rh, rl, sign * (INV_FACT_HI[2 * k + 1] as number), sign * (INV_FACT_LO[2 * k + 1] as number));
    sh = rh;
    sl = rl;
  }
  ddMul(sh, sl, r, rlo);
}

/** cos(r) of a reduced r (|r| <= pi/4) into rh + rl. */
function cosReduced(r: number, rlo: number): void {
  ddMul(r, rlo, r, rlo);
  const r2h = rh;
  const r2l = rl;
  let sh = INV_FACT_HI[2 * TERMS] as number;
  let sl = INV_FACT_LO[2 * TERMS] as number;
  if (TERMS % 2 === 1) {
    sh = -sh;
    sl = -sl;
  }
  for (let k = TERMS - 1; k >= 0; k--) {
    ddMul(sh, sl, r2h, r2l);
    const sign = k % 2 === 0 ? 1 : -1;
    ddAdd(rh, rl, sign * (INV_FACT_HI[2 * k] as number), sign * (INV_FACT_LO[2 * k] as number));
    sh = rh;
    sl = rl;
  }
}

// pi/2 in three parts.
const PIO2_1 = 1.5707963267948966;
const PIO2_2 = 6.123233995736766e-17;
const PIO2_3 = -1.4973849048591698e-33;
/** Beyond this the three-part reduction loses bits: such arguments use Math's functions. */
const REDUCTION_LIMIT = 1e9;

/** x reduced by k quarter turns into rh + rl; returns k mod 4. */
function reduce(x: number): number {
  if (Math.abs(x) <= Math.PI / 4) {
    rh = x;
    rl = 0;
    return 0;
  }
  const k = Math.round(x / PIO2_1);
  twoProd(k, PIO2_1);
  const p1h = rh;
  const p1l = rl;
  twoSum(x, -p1h);
  let h = rh;
  let l = rl - p1l;
  twoProd(k, PIO2_2);
  const p2h = rh;
  const p2l = rl;
  ddAdd(h, l, -p2h, -p2l - k * PIO2_3);
  h = rh;
  l = rl;
  quickTwoSum(h, l);
  return ((k % 4) + 4) % 4;
}

/** sin(x) into rh + rl. */
function sinDD(x: number): void {
  const quadrant = reduce(x);
  const h = rh;
  const l = rl;
  if (quadrant === 0) sinReduced(h, l);
  else if (quadrant === 1) cosReduced(h, l);
  else if (quadrant === 2) {
    sinReduced(h, l);
    rh = -rh;
    rl = -rl;
  } else {
    cosReduced(h, l);
    rh = -rh;
    rl = -rl;
  }
}

/** cos(x) into rh + rl. */
function cosDD(x: number): void {
  const quadrant = reduce(x);
  const h = rh;
  const l = rl;
  if (quadrant === 0) cosReduced(h, l);
  else if (quadrant === 1) {
    sinReduced(h, l);
    rh = -rh;
    rl = -rl;
  } else if (quadrant === 2) {
    cosReduced(h, l);
    rh = -rh;
    rl = -rl;
  } else sinReduced(h, l);
}


/**
 * The fast evaluation, to about 2^-70 (far below the half ulp that decides the rounding, and
 * rarer to misround than glibc is to differ from the correct rounding): r = a + d with a a
 * multiple of 1/64 whose sine and cosine are tabulated in double-double, |d| <= 1/128, and
 * short series for sin d and cos d.
 */
const TABLE_STEP = 64;
const TABLE_SIN_HI: number[] = [];
const TABLE_SIN_LO: number[] = [];
const TABLE_COS_HI: number[] = [];
const TABLE_COS_LO: number[] = [];
for (let i = 0; i <= 52; i++) {
  sinReduced(i / TABLE_STEP, 0);
  TABLE_SIN_HI.push(rh);
  TABLE_SIN_LO.push(rl);
  cosReduced(i / TABLE_STEP, 0);
  TABLE_COS_HI.push(rh);
  TABLE_COS_LO.push(rl);
}

/** sin (or cos when `cosine`) of a reduced hi + lo (|r| <= pi/4) into rh + rl. */
function reducedFast(hi: number, lo: number, cosine: boolean): void {
  const negative = hi < 0;
  if (negative) {
    hi = -hi;
    lo = -lo;
  }
  const i = Math.round(hi * TABLE_STEP);
  const dh = hi - i / TABLE_STEP;
  const dl = lo;
  const d2 = dh * dh;
  // sin d = dh + dl + p; cos d = 1 + c, c = -d^2/2 + d^4/24 - d^6/720 with d^2 split exactly.
  const p = dh * d2 * (-1 / 6 + d2 * (1 / 120 - d2 / 5040));
  twoProd(dh, dh);
  const sqHi = rh;
  const sqLo = rl;
  const cHi = -sqHi / 2;
  const cLo = -sqLo / 2 - dh * dl + d2 * d2 * (1 / 24 - d2 / 720);
  const sinHi = TABLE_SIN_HI[i] as number;
  const sinLo = TABLE_SIN_LO[i] as number;
  const cosHi = TABLE_COS_HI[i] as number;
  const cosLo = TABLE_COS_LO[i] as number;
  if (!cosine) {
    // sin(a + d) = sin a + cos a * sin d + sin a * (cos d - 1)
    twoProd(cosHi, dh);
    const ph = rh;
    const pe = rl;
    twoProd(sinHi, cHi);
    const qh = rh;
    const qe = rl;
    const small = pe + qe + cosHi * (dl + p) + cosLo * dh + sinHi * cLo + sinLo;
    twoSum(sinHi, ph);
    const s1h = rh;
    const s1l = rl;
    twoSum(s1h, qh);
    quickTwoSum(rh, rl + s1l + small);
    if (negative) {
      rh = -rh;
      rl = -rl;
    }
    return;
  }
  // cos(a + d) = cos a + cos a * (cos d - 1) - sin a * sin d (cos is even: r was made positive).
  twoProd(sinHi, dh);
  const ph = rh;
  const pe = rl;
  twoProd(cosHi, cHi);
  const qh = rh;
  const qe = rl;
  const small = cosLo - pe + qe + cosHi * cLo + cosLo * (cHi + cLo) - sinHi * (dl + p) - sinLo * dh;
  twoSum(cosHi, -ph);
  const s1h = rh;
  const s1l = rl;
  twoSum(s1h, qh);
  quickTwoSum(rh, rl + s1l + small);
}

/** sin x (or cos x) into rh + rl, to about 2^-70. */
function evaluate(x: number, cosine: boolean): void {
  // cos x = sin(x + pi/2): one quadrant further.
  const quadrant = (reduce(x) + (cosine ? 1 : 0)) % 4;
  reducedFast(rh, rl, quadrant % 2 === 1);
  if (quadrant >= 2) {
    rh = -rh;
    rl = -rl;
  }
}

/** glibc's sin(x). */
export function sin(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) > REDUCTION_LIMIT) return Math.sin(x);
  if (x === 0) return x;
  evaluate(x, false);
  return rh;
}

/** glibc's cos(x). */
export function cos(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) > REDUCTION_LIMIT) return Math.cos(x);
  evaluate(x, true);
  return rh;
}

/**
 * glibc's asin(y): fdlibm's estimate a0, then one Newton step a0 + (y - sin a0) / cos a0
 * with sin and cos in double-double, which leaves an error far below the last bit.
 */
export function asin(y: number): number {
  const a0 = Math.asin(y);
  if (Number.isNaN(a0) || y === 0 || Math.abs(y) === 1) return a0;
  // Near 1 the cosine is small and the step needs the sine to more bits than the fast path's.
  const precise = Math.abs(y) > 0.99;
  if (precise) sinDD(a0);
  else evaluate(a0, false);
  const sh = rh;
  const sl = rl;
  twoSum(y, -sh);
  const diff = rh + (rl - sl);
  if (precise) cosDD(a0);
  else evaluate(a0, true);
  const c = rh + rl;
  return a0 + diff / c;
}
