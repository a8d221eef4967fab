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

/** glibc's sin(x). */
export function sin(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) > REDUCTION_LIMIT) return Math.sin(x);
  if (x === 0) return x;
  sinDD(x);
  return rh + rl;
}

/** glibc's cos(x). */
export function cos(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) > REDUCTION_LIMIT) return Math.cos(x);
  cosDD(x);
  return rh + rl;
}

/**
 * glibc's asin(y): fdlibm's estimate a0, then one Newton step a0 + (y - sin a0) / cos a0
 * with sin and cos in double-double, which leaves an error far below the last bit.
 */
export function asin(y: number): number {
  const a0 = Math.asin(y);
  if (Number.isNaN(a0) || y === 0 || Math.abs(y) === 1) return a0;
  sinDD(a0);
  const sh = rh;
  const sl = rl;
  twoSum(y, -sh);
  const diff = rh + (rl - sl);
  cosDD(a0);
  const c = rh + rl;
  return a0 + diff / c;
}
