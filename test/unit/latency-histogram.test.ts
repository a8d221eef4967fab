import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/server/latency-histogram.js';

/** Percentiles as INFO latencystats prints them (µs, 3 decimals). */
function printed(h: LatencyHistogram, p: number): string {
  return (h.valueAtPercentile(p) / 1000).toFixed(3);
}

describe('LatencyHistogram (Redis 7.0 HDR layout: 1 ns to 1 s, 2 significant figures)', () => {
  it('answers the highest value of the bucket a percentile falls in, as Redis printed it', () => {
    // Values read off a real Redis 7.0 for single samples.
    const cases: [number, string, string][] = [
      [1, '0.001', '0.001'],
      [1000, '1.000', '1.003'],
      [5000, '4.992', '5.023'],
      [63000, '62.976', '63.231'],
      [40000, '39.936', '40.191'],
    ];
    for (const [ns, p0, p50] of cases) {
      const h = new LatencyHistogram();
      h.record(ns);
      expect(printed(h, 0), `${ns} p0`).toBe(p0);
      expect(printed(h, 50), `${ns} p50`).toBe(p50);
      expect(printed(h, 100), `${ns} p100`).toBe(p50);
    }
  });

  it('is exact below 256 ns and clamps to [1 ns, 1 s]', () => {
    const h = new LatencyHistogram();
    for (const ns of [0, -5, 1, 255, 2e9]) h.record(ns);
    expect(h.total).toBe(5);
    expect(h.valueAtPercentile(20)).toBe(1);
    expect(h.valueAtPercentile(60)).toBe(1);
    expect(h.valueAtPercentile(80)).toBe(255);
    // 1 s falls in the bucket 998244352..1002438655 (steps of 2^22 ns up there).
    expect(h.valueAtPercentile(100)).toBe(1_002_438_655);
  });

  it('picks the nearest-rank sample', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 100; i++) h.record(i);
    expect(h.valueAtPercentile(50)).toBe(50);
    expect(h.valueAtPercentile(99)).toBe(99);
    expect(h.valueAtPercentile(99.9)).toBe(100);
    expect(h.valueAtPercentile(0)).toBe(1);
  });

  it('reports cumulative buckets keyed as Redis names them (1, 2, 4, 8, 16, 33, 66… µs)', () => {
    const h = new LatencyHistogram();
    expect(h.cumulativeBuckets()).toEqual([]);
    h.record(5000);
    expect(h.cumulativeBuckets()).toEqual([[8, 1]]);
    h.record(500);
    h.record(1031); // counted with 1024 ns, the 1 µs step
    h.record(1032);
    h.record(63000);
    expect(h.cumulativeBuckets()).toEqual([
      [1, 2],
      [2, 3],
      [8, 4],
      [66, 5],
    ]);
    h.record(900_000_000);
    expect(h.cumulativeBuckets().at(-1)).toEqual([1073741, 6]);
  });
});
