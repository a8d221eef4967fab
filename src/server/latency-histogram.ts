/**
 * A command's latency histogram (LATENCY HISTOGRAM, INFO latencystats), bucketed as the HDR
 * histogram Redis 7.0 keeps per command: values in nanoseconds from 1 ns to 1 s, kept to 2
 * significant figures. That precision gives 256 sub-buckets per power of two (the first 256
 * values exactly, then each power of two split in 128 equal steps), 24 powers in all to reach
 * 1 s: 3,072 counters. Reproducing that layout makes the percentiles INFO prints (the highest
 * value of the bucket a percentile falls in) and the keys LATENCY HISTOGRAM answers come out
 * as Redis's do.
 */

/** Values below are recorded as this (Redis's LATENCY_HISTOGRAM_MIN_VALUE, 1 ns). */
const LOWEST_NS = 1;
/** Values above are recorded as this (LATENCY_HISTOGRAM_MAX_VALUE, 1 s). */
const HIGHEST_NS = 1_000_000_000;
/** log2 of half the sub-buckets per power of two: 2 significant figures need 200 values → 256. */
const HALF_MAGNITUDE = 7;
const HALF_COUNT = 1 << HALF_MAGNITUDE;
/** Values below 256 fall in the first bucket, one counter each. */
const SUB_BUCKET_MASK = (HALF_COUNT << 1) - 1;
/** 23 buckets reach 256 << 22 > 1 s; the counters are (buckets + 1) * half count. */
const COUNTS_LEN = 24 * HALF_COUNT;
/** LATENCY HISTOGRAM reports from 1024 ns on, doubling (Redis iterates log2 from 1024). */
const FIRST_REPORT_NS = 1024;

/** The bucket (power of two above the first 256 values) that `value` (< 2^31) falls in. */
function bucketOf(value: number): number {
  return 32 - Math.clz32(value | SUB_BUCKET_MASK) - (HALF_MAGNITUDE + 1);
}

function indexOf(value: number): number {
  const bucket = bucketOf(value);
  return ((bucket + 1) << HALF_MAGNITUDE) + (value >>> bucket) - HALF_COUNT;
}

/** The lowest value counted at `index`. */
function valueAtIndex(index: number): number {
  let bucket = (index >> HALF_MAGNITUDE) - 1;
  let sub = (index & (HALF_COUNT - 1)) + HALF_COUNT;
  if (bucket < 0) {
    sub -= HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

/** The highest value counted together with `value` (its bucket's step, less one, above its lowest). */
function highestEquivalent(value: number): number {
  const bucket = bucketOf(value);
  const lowest = (value >>> bucket) * 2 ** bucket;
  return lowest + 2 ** bucket - 1;
}

function lowestEquivalent(value: number): number {
  const bucket = bucketOf(value);
  return (value >>> bucket) * 2 ** bucket;
}

export class LatencyHistogram {
  /** Doubles: exact counts well past 2^32 calls. */
  private readonly counts = new Float64Array(COUNTS_LEN);
  /** Values recorded (LATENCY HISTOGRAM's calls). */
  total = 0;

  /** Counts one duration in nanoseconds: O(1), allocates nothing. */
  record(ns: number): void {
    const value = ns < LOWEST_NS ? LOWEST_NS : ns > HIGHEST_NS ? HIGHEST_NS : ns | 0;
    (this.counts[indexOf(value)] as number)++;
    this.total++;
  }

  /**
   * The value (ns) at `percentile` (0-100), as the HDR histogram answers it: the highest value
   * of the bucket holding the nearest-rank sample (the lowest for percentile 0).
   */
  valueAtPercentile(percentile: number): number {
    const requested = percentile < 100 ? percentile : 100;
    const rank = Math.max(1, Math.floor((requested / 100) * this.total + 0.5));
    let cumulative = 0;
    let value = 0;
    for (let i = 0; i < COUNTS_LEN; i++) {
      cumulative += this.counts[i] as number;
      if (cumulative >= rank) {
        value = valueAtIndex(i);
        break;
      }
    }
    return percentile === 0 ? lowestEquivalent(value) : highestEquivalent(value);
  }

  /**
   * LATENCY HISTOGRAM's buckets: [µs, cumulative count] pairs at 1024 ns and each power of two
   * above, leaving out steps that add nothing and stopping once every call is counted. As in
   * Redis each step counts up to the highest value of the HDR bucket at the power of two, and
   * names that value in whole µs (1, 2, 4, 8, 16, 33, 66…), the last step (1 s and over) 1073741.
   */
  cumulativeBuckets(): [number, number][] {
    const out: [number, number][] = [];
    let cumulative = 0;
    let reported = 0;
    let index = 0;
    for (let level = FIRST_REPORT_NS; reported < this.total; level *= 2) {
      const boundary = level <= HIGHEST_NS ? indexOf(level) : COUNTS_LEN - 1;
      for (; index <= boundary; index++) cumulative += this.counts[index] as number;
      const micros = Math.floor(highestEquivalent(valueAtIndex(boundary)) / 1000);
      if (cumulative > reported) out.push([micros, cumulative]);
      reported = cumulative;
      if (boundary === COUNTS_LEN - 1) break;
    }
    return out;
  }
}
