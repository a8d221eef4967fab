import { PerformanceObserver } from 'node:perf_hooks';
import type { Config } from '../config/config.js';

/** As Redis's LATENCY_TS_LEN: samples kept per event, at most one per second. */
const HISTORY_LEN = 160;

export interface LatencySample {
  /** Unix time, seconds. */
  time: number;
  /** Milliseconds. */
  latency: number;
}

interface LatencySeries {
  /** Oldest first. */
  samples: LatencySample[];
  max: number;
}

/**
 * The latency monitor (LATENCY): per event ("command", "fast-command", "expire-cycle"…) the
 * latest spikes at or above latency-monitor-threshold milliseconds. nodis adds one event Redis
 * has no cause for: "gc", V8's garbage collection pauses (each stops the whole server).
 */
export class LatencyMonitor {
  readonly events = new Map<string, LatencySeries>();
  thresholdMs = 0;
  /** Reports V8's collections while the monitor is on (thresholdMs > 0). */
  private gcObserver: PerformanceObserver | null = null;
  /** latency-tracking: whether each command's duration goes into its latency histogram. */
  trackingEnabled: boolean;
  /** latency-tracking-info-percentiles: what INFO latencystats prints, as named there ('99.9'). */
  percentiles: { label: string; value: number }[] = [];

  constructor(config: Config) {
    this.setThreshold(config.getNumber('latency-monitor-threshold'));
    config.onChange('latency-monitor-threshold', (v) => this.setThreshold(v as number));
    this.trackingEnabled = config.getBool('latency-tracking');
    config.onChange('latency-tracking', (v) => {
      this.trackingEnabled = v as boolean;
    });
    this.setPercentiles(config.getString('latency-tracking-info-percentiles'));
    config.onChange('latency-tracking-info-percentiles', (v) => this.setPercentiles(v as string));
  }

  private setThreshold(ms: number): void {
    this.thresholdMs = ms;
    if (ms > 0 && this.gcObserver === null) {
      // A collection's entry comes after it, its duration the time the server was stopped.
      this.gcObserver = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) this.addSampleIfNeeded('gc', Math.floor(entry.duration));
      });
      this.gcObserver.observe({ entryTypes: ['gc'] });
    } else if (ms === 0) {
      this.close();
    }
  }

  /** The server stops: no more collections are watched. */
  close(): void {
    this.gcObserver?.disconnect();
    this.gcObserver = null;
  }

  /** The config keeps the list as text, each number already in Redis's trimmed %f form. */
  private setPercentiles(text: string): void {
    this.percentiles = text === '' ? [] : text.split(' ').map((label) => ({ label, value: Number(label) }));
  }

  /** Redis's latencyAddSampleIfNeeded. */
  addSampleIfNeeded(event: string, latencyMs: number): void {
    if (this.thresholdMs > 0 && latencyMs >= this.thresholdMs) this.addSample(event, latencyMs);
  }

  addSample(event: string, latencyMs: number): void {
    const now = Math.floor(Date.now() / 1000);
    let series = this.events.get(event);
    if (series === undefined) {
      series = { samples: [], max: 0 };
      this.events.set(event, series);
    }
    if (latencyMs > series.max) series.max = latencyMs;
    const last = series.samples[series.samples.length - 1];
    // One sample per second: a second spike in the same second keeps the worst.
    if (last !== undefined && last.time === now) {
      if (latencyMs > last.latency) last.latency = latencyMs;
      return;
    }
    series.samples.push({ time: now, latency: latencyMs });
    if (series.samples.length > HISTORY_LEN) series.samples.shift();
  }

  /** Forgets the named events (all when none are named); returns how many were reset. */
  reset(names: readonly string[]): number {
    if (names.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const name of names) if (this.events.delete(name)) n++;
    return n;
  }
}
