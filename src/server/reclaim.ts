/**
 * Memory that commands have freed and V8 has not collected yet.
 *
 * Redis gives a deleted value's memory back at once (UNLINK and FLUSHALL ASYNC within
 * milliseconds, from their background thread). used_memory follows at once here too, since it
 * is counted (server/memory.ts), but V8 frees lazily: old objects go only at the next major
 * collection, which on a quiet server can be half a minute away, and until then the process
 * holds them. So the cron runs a full collection after large frees when one is cheap. Its pause
 * grows with the heap, about 1 ms per MB in use (measured with a 1M-member sorted set just
 * deleted: 90 ms with no other data, 0.4 s with 1M keys beside it), so it runs only when the
 * expected pause is within PAUSE_BUDGET_MS, and at most PAUSE_SHARE of the time. On a larger
 * heap V8 collects on its own schedule (its own major collections are incremental and
 * concurrent, with short pauses).
 *
 * Only large frees are followed (the heap's ordinary churn is V8's business): a collection is
 * registered with a FinalizationRegistry, which tells exactly when V8 has collected it (a
 * WeakRef would keep it alive for the rest of any job that looked at it); a string, or a
 * database emptied by FLUSHDB/FLUSHALL (its Map is cleared in place), cannot be, and is counted
 * until two major collections have completed since (the first may have marked it before it
 * was freed).
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { stringBytes } from '../types/heap-size.js';
import type { Value } from '../types/value.js';
import type { Database } from '../keyspace/database.js';

/** From this size a freed value is followed. */
export const LARGE_FREE_BYTES = 256 * 1024;

/** The longest pause a collection run from the cron may be expected to take. */
const PAUSE_BUDGET_MS = 50;
/** After a collection that took t ms, the next waits t / PAUSE_SHARE ms (and at least a second). */
const PAUSE_SHARE = 0.02;
/**
 * Expected full-collection pause per byte of heap in use, garbage included (a forced
 * collection also sweeps and compacts what was freed): about 1 ms/MB, measured. Not learned
 * from each pause: on a busy machine single pauses vary several-fold.
 */
const MS_PER_BYTE = 1 / (1 << 20);

let gcFunction: (() => void) | null | undefined;

/**
 * V8's full collection (the `gc` of --expose-gc). Without that flag it is taken from a fresh
 * context with the flag set for that moment only, so that the embedding process's other
 * contexts do not get a `gc` global.
 */
export function fullCollection(): (() => void) | null {
  if (gcFunction !== undefined) return gcFunction;
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return (gcFunction = global as () => void);
  try {
    v8.setFlagsFromString('--expose-gc');
    const found: unknown = vm.runInNewContext('gc');
    gcFunction = typeof found === 'function' ? (found as () => void) : null;
  } catch {
    gcFunction = null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  return gcFunction;
}

interface Freed {
  readonly bytes: number;
  /** A collection, followed by the finalizer: gone once V8 has collected it. */
  readonly tracked: boolean;
  collected: boolean;
  /** Otherwise: major collections still to complete before it is counted as gone. */
  majorGcsLeft: number;
  /** performance.now() when it was freed: only collections that started later count. */
  readonly freedAt: number;
  /**
   * A full collection has run since it was freed, yet it is still there (something else holds
   * it, e.g. an open SSCAN cursor): it asks the cron for no further collection.
   */
  survivedCollection: boolean;
}

class UncollectedFrees {
  private entries: Freed[] = [];
  private readonly finalizer = new FinalizationRegistry<Freed>((entry) => {
    entry.collected = true;
  });
  /** Watches major collections while entries without a WeakRef wait for them. */
  private observer: PerformanceObserver | null = null;
  /** performance.now() before which the cron runs no collection. */
  private nextCollection = 0;
  /** The last collection run from here: its pause (ms) and the live heap it marked. */
  lastCollection: { pauseMs: number; liveBytes: number } | null = null;

  /**
   * From the cron: a full collection if large frees wait for one and its expected pause is
   * within budget; returns its pause in ms, or null when none ran.
   */
  collectIfCheap(): number | null {
    if (this.entries.length === 0) return null;
    const now = performance.now();
    if (this.entries.every((e) => e.survivedCollection)) return null;
    if (now < this.nextCollection) return null;
    const pending = this.pendingBytes();
    if (pending === 0) return null;
    const heap = process.memoryUsage().heapUsed;
    // The pause also grows with what it frees, outside the heap included: on a 17 MB heap, the
    // collection after UNLINK of a 10M-element list took 540 ms (bench/stalls.ts, loaded
    // machine), when the heap alone predicted 17 ms. So the freed bytes count too: a huge
    // free is left to V8's own incremental, concurrent collections.
    if ((heap + pending) * MS_PER_BYTE > PAUSE_BUDGET_MS) return null;
    const gc = fullCollection();
    if (gc === null) return null;
    const pauseMs = this.collect(gc, Math.max(0, heap - pending));
    this.nextCollection = performance.now() + Math.max(1000, pauseMs / PAUSE_SHARE);
    return pauseMs;
  }

  /** Runs a full collection (MEMORY PURGE, or the cron); everything freed before it is gone. */
  collect(gc: () => void, liveBytes: number = process.memoryUsage().heapUsed - this.pendingBytes()): number {
    const started = performance.now();
    gc();
    const pauseMs = performance.now() - started;
    // Unreachable objects all went, those of a cleared map or a dropped string included.
    // (Collections it freed are counted out when their finalizer runs, just after.)
    for (const entry of this.entries) {
      entry.majorGcsLeft = 0;
      entry.survivedCollection = true;
    }
    this.lastCollection = { pauseMs, liveBytes };
    return pauseMs;
  }

  /** A value left the keyspace (DEL, UNLINK): followed if large. */
  valueFreed(value: Value): void {
    // (A mutable string is followed as a collection is: its Buffer goes when it is collected.)
    if (typeof value === 'string') {
      if (value.length >= LARGE_FREE_BYTES) this.add({ bytes: stringBytes(value.length), tracked: false, collected: false, majorGcsLeft: 2, freedAt: performance.now(), survivedCollection: false });
      return;
    }
    const bytes = value.bytes;
    if (bytes < LARGE_FREE_BYTES) return;
    const entry: Freed = { bytes, tracked: true, collected: false, majorGcsLeft: 0, freedAt: 0, survivedCollection: false };
    this.finalizer.register(value, entry);
    this.add(entry);
  }

  /** A database is about to be emptied (FLUSHDB, FLUSHALL): followed if large. */
  databaseFreed(db: Database): void {
    const bytes = db.usage.bytes;
    if (bytes >= LARGE_FREE_BYTES) this.add({ bytes, tracked: false, collected: false, majorGcsLeft: 2, freedAt: performance.now(), survivedCollection: false });
  }

  /** Bytes freed whose objects are still in V8's heap. */
  pendingBytes(): number {
    if (this.entries.length === 0) return 0;
    let total = 0;
    let kept = 0;
    for (const entry of this.entries) {
      if (entry.tracked ? entry.collected : entry.majorGcsLeft <= 0) continue;
      this.entries[kept++] = entry;
      total += entry.bytes;
    }
    this.entries.length = kept;
    this.stopWatchingIfIdle();
    return total;
  }

  private add(entry: Freed): void {
    this.entries.push(entry);
    if (!entry.tracked) this.watchCollections();
  }

  /** Watches V8's major collections while untracked frees wait for them. */
  private watchCollections(): void {
    if (this.observer !== null) return;
    this.observer = new PerformanceObserver((list) => {
      for (const gc of list.getEntries()) {
        if ((gc as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
        for (const e of this.entries) if (!e.tracked && gc.startTime >= e.freedAt) e.majorGcsLeft--;
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  private stopWatchingIfIdle(): void {
    if (this.observer === null || this.entries.some((e) => !e.tracked)) return;
    this.observer.disconnect();
    this.observer = null;
  }
}

/** One per process: the heap is. */
export const uncollected = new UncollectedFrees();
