/**
 * Memory that commands have freed and V8 has not collected yet.
 *
 * Redis gives a deleted value's memory back at once (UNLINK and FLUSHALL ASYNC within
 * milliseconds, from their background thread), so used_memory drops. V8 frees lazily: old
 * objects go only at the next major collection, which on a quiet server can be half a minute
 * away. Two things close the gap:
 * - used_memory subtracts at once an estimate of what was freed, for as long as it is still
 *   in the heap;
 * - the cron runs a full collection when one is cheap. Its pause grows with the heap, about
 *   1 ms per MB in use (measured with a 1M-member sorted set just deleted: 90 ms with no other
 *   data, 0.4 s with 1M keys beside it), so it runs only when the expected pause is within
 *   PAUSE_BUDGET_MS, and at most PAUSE_SHARE of the time. On a larger heap the estimate stands
 *   until V8 collects on its own schedule (its own major collections are incremental and
 *   concurrent, with short pauses).
 *
 * Only large frees are counted (the heap's ordinary churn is V8's business): a collection is
 * registered with a FinalizationRegistry, which tells exactly when V8 has collected it (a
 * WeakRef would keep it alive for the rest of any job that looked at it); a string, or a
 * database emptied by FLUSHDB/FLUSHALL (its Map is cleared in place), cannot be, and is counted
 * until two major collections have completed since (the first may have marked it before it
 * was freed).
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { HashValue } from '../types/hash.js';
import { List } from '../types/list.js';
import { SetValue } from '../types/set.js';
import { Stream } from '../types/stream/index.js';
import type { Value } from '../types/value.js';
import { ZSet } from '../types/zset.js';
import type { Database } from '../keyspace/database.js';

/** From this estimated size a freed value is counted. */
export const LARGE_FREE_BYTES = 256 * 1024;

/*
 * V8's sizes on Node 20 (x64, no pointer compression), measured by filling 200k elements and
 * reading the heap after full collections: a one-byte string is a 16-byte header plus its
 * bytes, 8-aligned; an element costs, beyond its strings, about 11 bytes in a list (a slot of
 * its ring buffer), 47 in a set (array slot and index map entry), 56 in a hash, 116 in a
 * sorted set (skiplist node, member map entry, boxed score). A key costs its dict and
 * access-clock map entries (about 37 bytes each) beyond its name and value.
 */
const LIST_ELEMENT = 11;
const SET_ELEMENT = 47;
const HASH_ELEMENT = 56;
const ZSET_ELEMENT = 116;
export const KEY_ENTRY = 74;
const EXPIRE_ENTRY = 40;
/** Elements (or keys) read to estimate the average size of the rest. */
const SAMPLES = 16;

/** V8's size of a one-byte string of `length` chars. */
function stringBytes(length: number): number {
  return (16 + length + 7) & ~7;
}

/** Average string size of `size` elements, from up to SAMPLES spread over them. */
function sampledStringBytes(size: number, at: (i: number) => string): number {
  if (size === 0) return 0;
  const n = Math.min(size, SAMPLES);
  let total = 0;
  for (let k = 0; k < n; k++) total += stringBytes(at(Math.floor((k * size) / n)).length);
  return total / n;
}

/** Estimated bytes of V8 heap a value holds. */
export function heapBytes(value: Value): number {
  if (typeof value === 'string') return stringBytes(value.length);
  const size = value.size;
  if (value instanceof List) return size * (LIST_ELEMENT + sampledStringBytes(size, (i) => value.get(i)));
  if (value instanceof SetValue) return size * (SET_ELEMENT + sampledStringBytes(size, (i) => value.memberAt(i)));
  if (value instanceof HashValue) {
    return size * (HASH_ELEMENT + sampledStringBytes(size, (i) => value.fieldAt(i)) + sampledStringBytes(size, (i) => value.valueAt(i)));
  }
  if (value instanceof ZSet) return size * (ZSET_ELEMENT + sampledStringBytes(size, (i) => (value.nodeAt(i) as { member: string }).member));
  if (value instanceof Stream) return value.heapBytes();
  return size * 64;
}

/**
 * Estimated heap a key gives back when it leaves the keyspace (eviction): its name, its value,
 * its dict and access-clock entries and, if it has a TTL, its expires entry.
 */
export function keyHeapBytes(key: string, value: Value, hasExpire: boolean): number {
  return KEY_ENTRY + stringBytes(key.length) + heapBytes(value) + (hasExpire ? EXPIRE_ENTRY : 0);
}

/** Estimated heap held by a database's keys: exact up to SAMPLES keys, else from the first ones. */
export function databaseHeapBytes(db: Database): number {
  const keys = db.dict.size;
  if (keys === 0) return 0;
  let sampled = 0;
  let total = 0;
  for (const [key, value] of db.dict) {
    total += KEY_ENTRY + stringBytes(key.length) + heapBytes(value);
    if (++sampled === SAMPLES) break;
  }
  return (total / sampled) * keys + db.expires.size * EXPIRE_ENTRY;
}

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

/**
 * Keys freed in bulk (eviction, deletions while maxmemory is set), too many to follow one by
 * one: their estimated bytes, counted until a major collection that started after the last of
 * them was freed. A bucket is sealed whenever collections are reported (minor ones come every
 * few MB allocated), so that each covers a short stretch of time: at a major collection the
 * buckets from before it started go, the one it started in waits for the next.
 */
interface FreedKeys {
  bytes: number;
  /** performance.now() of the last free counted here. */
  lastFreedAt: number;
  sealed: boolean;
}

/** Told after collections; `major`: a major (mark-compact) collection was among them. */
export type CollectionListener = (major: boolean) => void;

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
  /** Buckets of keysFreed, oldest first (rarely more than two). */
  private freedKeys: FreedKeys[] = [];
  private freedKeysBytes = 0;
  /** Told after collections V8 reports (the maxmemory meter measures the heap then). */
  private readonly collectionListeners = new Set<CollectionListener>();

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
    if (heap * MS_PER_BYTE > PAUSE_BUDGET_MS) return null;
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
    this.freedKeys = [];
    this.freedKeysBytes = 0;
    this.lastCollection = { pauseMs, liveBytes };
    return pauseMs;
  }

  /** A value left the keyspace (DEL, UNLINK): counted if large. */
  valueFreed(value: Value): void {
    if (typeof value === 'string') {
      if (value.length >= LARGE_FREE_BYTES) this.add({ bytes: stringBytes(value.length), tracked: false, collected: false, majorGcsLeft: 2, freedAt: performance.now(), survivedCollection: false });
      return;
    }
    // A cheap bound first: no collection element is under 16 bytes.
    if (value.size * 16 < LARGE_FREE_BYTES) return;
    const bytes = heapBytes(value);
    if (bytes < LARGE_FREE_BYTES) return;
    const entry: Freed = { bytes, tracked: true, collected: false, majorGcsLeft: 0, freedAt: 0, survivedCollection: false };
    this.finalizer.register(value, entry);
    this.add(entry);
  }

  /** A database is about to be emptied (FLUSHDB, FLUSHALL): counted if large. */
  databaseFreed(db: Database): void {
    const bytes = databaseHeapBytes(db);
    if (bytes >= LARGE_FREE_BYTES) this.add({ bytes, tracked: false, collected: false, majorGcsLeft: 2, freedAt: performance.now(), survivedCollection: false });
  }

  /**
   * Keys or values left the keyspace while maxmemory is set: `bytes` is their estimated size.
   * Unlike valueFreed, small frees count here, apart (keysFreedPendingBytes): the maxmemory
   * meter (server/memory.ts) must see each key give its memory back at once, as in Redis, or
   * eviction would go on until V8 collects.
   */
  keysFreed(bytes: number): void {
    let bucket = this.freedKeys[this.freedKeys.length - 1];
    if (bucket === undefined || bucket.sealed) {
      bucket = { bytes: 0, lastFreedAt: 0, sealed: false };
      this.freedKeys.push(bucket);
    }
    bucket.bytes += bytes;
    bucket.lastFreedAt = performance.now();
    this.freedKeysBytes += bytes;
    this.watchCollections();
  }

  /** Bytes of keysFreed whose objects may still be in V8's heap. */
  keysFreedPendingBytes(): number {
    return this.freedKeysBytes;
  }

  /**
   * Calls `listener` after the collections V8 reports, minor ones included, once per batch of
   * reports: `major` when a major collection is among them.
   */
  addCollectionListener(listener: CollectionListener): void {
    this.collectionListeners.add(listener);
    this.watchCollections();
  }

  /**
   * A full collection now if its pause is expected within budget (maxmemory being set: the
   * meter's first measurement then holds no garbage); true when one ran.
   */
  collectNowIfCheap(): boolean {
    if (process.memoryUsage().heapUsed * MS_PER_BYTE > PAUSE_BUDGET_MS) return false;
    const gc = fullCollection();
    if (gc === null) return false;
    this.collect(gc);
    return true;
  }

  removeCollectionListener(listener: CollectionListener): void {
    this.collectionListeners.delete(listener);
    this.stopWatchingIfIdle();
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

  /** Watches V8's collections while anything waits for them. */
  private watchCollections(): void {
    if (this.observer !== null) return;
    this.observer = new PerformanceObserver((list) => {
      let major = false;
      for (const gc of list.getEntries()) {
        if ((gc as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
        major = true;
        for (const e of this.entries) if (!e.tracked && gc.startTime >= e.freedAt) e.majorGcsLeft--;
        this.majorCollectionSeen(gc.startTime);
      }
      const current = this.freedKeys[this.freedKeys.length - 1];
      if (current !== undefined) current.sealed = true;
      for (const listener of this.collectionListeners) listener(major);
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /**
   * A major collection that started at `startTime` has completed: the keys freed before it
   * are gone (but for those freed while it was marking concurrently that it had already
   * marked: they are counted as gone a collection early).
   */
  private majorCollectionSeen(startTime: number): void {
    let kept = 0;
    for (const bucket of this.freedKeys) {
      if (bucket.lastFreedAt <= startTime) {
        this.freedKeysBytes -= bucket.bytes;
        continue;
      }
      this.freedKeys[kept++] = bucket;
    }
    this.freedKeys.length = kept;
    if (kept === 0) this.freedKeysBytes = 0;
  }

  private stopWatchingIfIdle(): void {
    if (this.observer === null || this.collectionListeners.size !== 0 || this.freedKeys.length !== 0) return;
    if (this.entries.some((e) => !e.tracked)) return;
    this.observer.disconnect();
    this.observer = null;
  }
}

/** One per process: the heap is. */
export const uncollected = new UncollectedFrees();
