import { RedisError, ERR_NOT_INTEGER } from '../../errors.js';
import { parseLongLongBig } from '../../util/parse.js';

export interface RandomCount {
  /** As a number (exact for any count a reply could hold). */
  value: number;
  /** Exact, for Redis's range checks near 2^63. */
  big: bigint;
}

const LONG_MAX = 9223372036854775807n;

/** The count of SRANDMEMBER/HRANDFIELD/ZRANDMEMBER: a long within ±LONG_MAX. */
export function parseRandomCount(text: string): RandomCount {
  const big = parseLongLongBig(text);
  if (big === null) throw new RedisError(ERR_NOT_INTEGER);
  if (big < -LONG_MAX) {
    throw new RedisError('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
  }
  return { value: Number(big), big };
}

/**
 * `count` distinct positions out of [0, size), 0 < count < size, in random order. A partial
 * shuffle when many are wanted, otherwise draws that skip repeats (what Redis's cases 3 and 4
 * amount to).
 */
export function pickDistinct(size: number, count: number): number[] {
  const out = new Array<number>(count);
  if (count * 3 > size) {
    const all = new Int32Array(size);
    for (let i = 0; i < size; i++) all[i] = i;
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const t = all[j] as number;
      all[j] = all[i] as number;
      all[i] = t;
      out[i] = t;
    }
    return out;
  }
  const seen = new Set<number>();
  let n = 0;
  while (n < count) {
    const i = Math.floor(Math.random() * size);
    if (seen.has(i)) continue;
    seen.add(i);
    out[n++] = i;
  }
  return out;
}
