/**
 * The generator behind scripts' math.random and math.randomseed, as Redis 7.0 has it (rand.c):
 * the 48-bit linear congruential generator of lrand48 (x = a·x + c mod 2^48, a = 0x5DEECE66D,
 * c = 0xB, each draw the top 31 bits of x), one for the whole process, starting from lrand48's
 * default state and reseeded only by math.randomseed: scripts and functions share its
 * sequence, which SCRIPT FLUSH does not reset.
 *
 * The state lives in a SharedArrayBuffer so that the engine on the event loop and the one in
 * the script worker (which never run at the same time) draw from the same sequence. It is held
 * as three 16-bit words, low first, so that the arithmetic stays exact in doubles.
 */

/** lrand48's default state (0x1234ABCD330E) and multiplier (0x5DEECE66D), in 16-bit words, low first. */
const X0 = 0x330e;
const X1 = 0xabcd;
const X2 = 0x1234;
const A0 = 0xe66d;
const A1 = 0xdeec;
const A2 = 0x5;
const C = 0xb;

/** What math.random divides by (Redis's REDIS_LRAND48_MAX, INT32_MAX). */
export const RAND48_MAX = 0x7fffffff;

export class Rand48 {
  private readonly x: Uint32Array;

  /** Over `shared` (12 bytes) when given, the state another thread draws from; else a fresh one. */
  constructor(readonly shared: SharedArrayBuffer = Rand48.allocate()) {
    this.x = new Uint32Array(shared, 0, 3);
  }

  /** A new state, lrand48's default. */
  static allocate(): SharedArrayBuffer {
    const shared = new SharedArrayBuffer(12);
    const x = new Uint32Array(shared);
    x[0] = X0;
    x[1] = X1;
    x[2] = X2;
    return shared;
  }

  /** The next draw: 31 bits (lrand48). */
  next(): number {
    const x = this.x;
    const x0 = x[0] as number;
    const x1 = x[1] as number;
    const x2 = x[2] as number;
    // a·x + c, word by word with carries; every partial sum stays below 2^53.
    const p0 = A0 * x0 + C;
    const p1 = A0 * x1 + A1 * x0 + Math.floor(p0 / 0x10000);
    const p2 = A0 * x2 + A1 * x1 + A2 * x0 + Math.floor(p1 / 0x10000);
    const n0 = p0 % 0x10000;
    const n1 = p1 % 0x10000;
    const n2 = p2 % 0x10000;
    x[0] = n0;
    x[1] = n1;
    x[2] = n2;
    return n2 * 0x8000 + (n1 >>> 1);
  }

  /** math.randomseed(seed): lrand48's srand48, the seed an int32. */
  seed(seed: number): void {
    const x = this.x;
    x[0] = X0;
    x[1] = seed & 0xffff;
    x[2] = (seed >>> 16) & 0xffff;
  }
}
