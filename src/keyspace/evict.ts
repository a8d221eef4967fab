import type { Config } from '../config/config.js';
import { LAZYFREE_THRESHOLD, lazyfreeEffort, type MemoryMeter } from '../server/memory.js';
import { LFU_INIT_VAL, coarseNow, idleTimeMs, lfuDecayed } from './access.js';
import type { Database, KeyspaceStats } from './database.js';
import { randomKey, sampleKeys, sampleKeysSpread, type KeyedTable } from './sample.js';

/**
 * maxmemory eviction, Redis 7.0's performEvictions: while the memory estimate (server/memory.ts)
 * is over maxmemory, keys chosen by maxmemory-policy are deleted, each signalled like any
 * deletion, notified as `evicted` and propagated as DEL (UNLINK with lazyfree-lazy-eviction).
 *
 * The LRU, LFU and TTL policies keep Redis's approximation: each round samples
 * maxmemory-samples keys of every database (the keys with a TTL for the volatile-* policies)
 * into a pool of the 16 best candidates seen, kept across calls, and evicts the best one still
 * there. "Best" is the longest idle time (LRU), the lowest decayed frequency counter (LFU), the
 * nearest expiry (volatile-ttl). The random policies take a random key, one database after the
 * other.
 *
 * A call may run for the time maxmemory-eviction-tenacity gives it (500 µs at the default 10);
 * if memory is still over the limit then, the rest is done in further slices between the
 * event loop's other work until it is under or nothing is left to evict, as Redis's
 * evictionTimeProc does.
 */

/** Memory is within the limit, or eviction may not run now (loading, clients paused). */
export const EVICT_OK = 0;
/** Over the limit, and the eviction slices go on. */
export const EVICT_RUNNING = 1;
/** Over the limit with nothing left to evict (or noeviction): denyoom commands answer OOM. */
export const EVICT_FAIL = 2;
export type EvictResult = typeof EVICT_OK | typeof EVICT_RUNNING | typeof EVICT_FAIL;

/** What eviction needs of the server. */
export interface EvictionHost {
  readonly databases: readonly Database[];
  readonly meter: MemoryMeter;
  readonly stats: KeyspaceStats & { lazyfreedObjects: number };
  /** Redis's isSafeToPerformEvictions: no eviction while a dataset loads or clients are paused. */
  evictionAllowed(): boolean;
  /** Memory eviction leaves out (the AOF buffer): INFO mem_not_counted_for_evict. */
  memoryNotCountedForEviction(): number;
  /** LATENCY events (eviction-cycle, eviction-del). */
  readonly latency: { readonly thresholdMs: number; addSampleIfNeeded(event: string, latencyMs: number): void };
  /** After an eviction slice run outside any command: Pub/Sub messages go out. */
  flushPending(): void;
}

// maxmemory-policy as flags.
const POLICY_LRU = 1;
const POLICY_LFU = 2;
const POLICY_TTL = 4;
const POLICY_RANDOM = 8;
/** Any key may be evicted, not only those with a TTL. */
const POLICY_ALLKEYS = 16;
const POLICY_NOEVICTION = 0;

const POLICIES: Readonly<Record<string, number>> = {
  'volatile-lru': POLICY_LRU,
  'volatile-lfu': POLICY_LFU,
  'volatile-random': POLICY_RANDOM,
  'volatile-ttl': POLICY_TTL,
  'allkeys-lru': POLICY_LRU | POLICY_ALLKEYS,
  'allkeys-lfu': POLICY_LFU | POLICY_ALLKEYS,
  'allkeys-random': POLICY_RANDOM | POLICY_ALLKEYS,
  noeviction: POLICY_NOEVICTION,
};

/** Redis's EVPOOL_SIZE. */
export const EVICTION_POOL_SIZE = 16;

interface PoolEntry {
  /** Higher is a better candidate: idle ms, 255 − LFU counter, or −expiry time. */
  score: number;
  /** null: an empty slot. */
  key: string | null;
  db: number;
}

/**
 * maxmemory-eviction-tenacity as the time a call may evict for, in µs: 50 µs a step up to
 * 10, then 15 % more a step (about 2 minutes at 99), no limit at 100.
 */
export function evictionTimeLimitUs(tenacity: number): number {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return Math.floor(500 * 1.15 ** (tenacity - 10));
  return Infinity;
}

/** Keys evicted between two looks at the clock. */
const KEYS_PER_CLOCK_CHECK = 16;

export class Evictor {
  private policy = POLICY_NOEVICTION;
  private samples = 5;
  private timeLimitUs = 500;
  private lazyEviction = false;
  /** Best candidates, by ascending score; empty slots (key null) on the right when not full. */
  private pool: PoolEntry[] = [];
  /** The database the random policies try next. */
  private nextRandomDb = 0;
  private readonly sampled: string[] = [];
  /** The key found by the last pick (pickRandom, pickFromPool return its database). */
  private picked = '';
  /** The eviction slices that go on between other work (Redis's evictionTimeProc). */
  private slice: NodeJS.Immediate | null = null;
  private stopped = false;

  constructor(
    config: Config,
    private readonly host: EvictionHost,
  ) {
    for (let i = 0; i < EVICTION_POOL_SIZE; i++) this.pool.push({ score: 0, key: null, db: 0 });
    const read = (): void => {
      this.policy = POLICIES[config.getString('maxmemory-policy')] ?? POLICY_NOEVICTION;
      this.samples = config.getNumber('maxmemory-samples');
      this.timeLimitUs = evictionTimeLimitUs(config.getNumber('maxmemory-eviction-tenacity'));
      this.lazyEviction = config.getBool('lazyfree-lazy-eviction');
    };
    read();
    for (const name of ['maxmemory-policy', 'maxmemory-samples', 'maxmemory-eviction-tenacity', 'lazyfree-lazy-eviction']) {
      config.onChange(name, read);
    }
  }

  /** Eviction propagates UNLINK rather than DEL (lazyfree-lazy-eviction). */
  get lazy(): boolean {
    return this.lazyEviction;
  }

  /**
   * Redis's performEvictions: brings memory back under maxmemory if it is over, within the
   * time limit, and says how that went. Called before commands (core/checks.ts) and by the
   * eviction slices.
   */
  perform(): EvictResult {
    if (!this.host.evictionAllowed()) return EVICT_OK;
    const result = this.evictIfOver();
    const stats = this.host.stats;
    if (result !== EVICT_OK) {
      // performance.now() is never 0 after start-up; the guard keeps "since" meaning "set".
      if (stats.evictionExceededSince === 0) stats.evictionExceededSince = performance.now() || Number.MIN_VALUE;
    } else if (stats.evictionExceededSince !== 0) {
      stats.evictionExceededUs += Math.round((performance.now() - stats.evictionExceededSince) * 1000);
      stats.evictionExceededSince = 0;
    }
    return result;
  }

  /** Starts eviction slices if memory is over the limit (CONFIG SET maxmemory, the cron). */
  startSlices(): void {
    if (this.slice !== null || this.stopped) return;
    this.slice = setImmediate(() => this.runSlice());
  }

  /** The server stops: no more slices. */
  stop(): void {
    this.stopped = true;
    if (this.slice !== null) clearImmediate(this.slice);
    this.slice = null;
  }

  private runSlice(): void {
    this.host.flushPending();
    // While slices run, perform() answers EVICT_RUNNING even once under the limit (as Redis's
    // evictionTimeProc, which stops on the next call, that finds memory fine).
    const result = this.perform();
    this.host.flushPending();
    if (result === EVICT_RUNNING && !this.stopped) this.slice = setImmediate(() => this.runSlice());
    else this.slice = null;
  }

  private evictIfOver(): EvictResult {
    const meter = this.host.meter;
    const limit = meter.limit;
    if (limit === 0 || meter.used <= limit) return EVICT_OK;
    const counted = meter.used - this.host.memoryNotCountedForEviction();
    if (counted <= limit) return EVICT_OK;
    if (this.policy === POLICY_NOEVICTION) return EVICT_FAIL;
    const toFree = counted - limit;
    const started = performance.now();
    const latency = this.host.latency;
    let freed = 0;
    let keysFreed = 0;
    let result: EvictResult = EVICT_OK;
    while (freed < toFree) {
      const db = (this.policy & POLICY_RANDOM) !== 0 ? this.pickRandom() : this.pickFromPool();
      if (db === null) {
        result = EVICT_FAIL;
        break;
      }
      const key = this.picked;
      freed += this.evictKey(db, key);
      keysFreed++;
      if (keysFreed % KEYS_PER_CLOCK_CHECK === 0 && (performance.now() - started) * 1000 > this.timeLimitUs) {
        this.startSlices();
        break;
      }
    }
    if (result === EVICT_OK && this.slice !== null) result = EVICT_RUNNING;
    if (latency.thresholdMs > 0) latency.addSampleIfNeeded('eviction-cycle', Math.floor(performance.now() - started));
    return result;
  }

  /**
   * Deletes the picked key; returns the bytes it gave back, as the meter counts them (the
   * database tells it, as of any deletion), as Redis measures zmalloc_used_memory around it.
   */
  private evictKey(db: Database, key: string): number {
    const value = db.dict.get(key);
    if (value === undefined) return 0;
    const meter = this.host.meter;
    const before = meter.used;
    const latency = this.host.latency;
    const timed = latency.thresholdMs > 0;
    const started = timed ? performance.now() : 0;
    db.evict(key);
    if (timed) latency.addSampleIfNeeded('eviction-del', Math.floor(performance.now() - started));
    // Like UNLINK, a lazy eviction counts a value costly to free (INFO lazyfreed_objects).
    if (this.lazyEviction && typeof value !== 'string' && lazyfreeEffort(value) > LAZYFREE_THRESHOLD) {
      this.host.stats.lazyfreedObjects++;
    }
    return before - meter.used;
  }

  /** allkeys-random / volatile-random: a random key of the next database that has one. */
  private pickRandom(): Database | null {
    const databases = this.host.databases;
    const allKeys = (this.policy & POLICY_ALLKEYS) !== 0;
    for (let i = 0; i < databases.length; i++) {
      this.nextRandomDb = (this.nextRandomDb + 1) % databases.length;
      const db = databases[this.nextRandomDb] as Database;
      const from: KeyedTable = allKeys ? db.dict : db.expires;
      if (from.size === 0) continue;
      this.picked = randomKey(from);
      return db;
    }
    return null;
  }

  /** LRU, LFU, TTL: the best candidate of the pool that still exists, sampling as needed. */
  private pickFromPool(): Database | null {
    const databases = this.host.databases;
    const allKeys = (this.policy & POLICY_ALLKEYS) !== 0;
    const pool = this.pool;
    for (;;) {
      let total = 0;
      for (let i = 0; i < databases.length; i++) {
        const db = databases[i] as Database;
        const size = allKeys ? db.dict.size : db.expires.size;
        if (size === 0) continue;
        this.populate(i, db, allKeys);
        total += size;
      }
      if (total === 0) return null;
      // From the best candidate down; keys deleted since they were sampled are skipped.
      for (let k = EVICTION_POOL_SIZE - 1; k >= 0; k--) {
        const entry = pool[k] as PoolEntry;
        if (entry.key === null) continue;
        const key = entry.key;
        const db = databases[entry.db];
        entry.key = null;
        entry.score = 0;
        if (db === undefined) continue;
        if (allKeys ? db.dict.has(key) : db.expires.has(key)) {
          this.picked = key;
          return db;
        }
      }
    }
  }

  /** Samples keys of one database into the pool (Redis's evictionPoolPopulate). */
  private populate(dbIndex: number, db: Database, allKeys: boolean): void {
    const policy = this.policy;
    const sampled = this.sampled;
    const table = allKeys ? db.dict : db.expires;
    const count = (policy & POLICY_LRU) !== 0 ? sampleKeysSpread(table, this.samples, sampled) : sampleKeys(table, this.samples, sampled);
    const now = (policy & POLICY_LFU) !== 0 ? coarseNow() : 0;
    const pool = this.pool;
    const last = EVICTION_POOL_SIZE - 1;
    for (let j = 0; j < count; j++) {
      const key = sampled[j] as string;
      let score: number;
      if ((policy & POLICY_TTL) !== 0) {
        score = -(db.expires.get(key) ?? 0);
      } else {
        const record = db.accessRecordOf(key);
        if ((policy & POLICY_LRU) !== 0) score = record === undefined ? 0 : idleTimeMs(record);
        else score = 255 - (record === undefined ? LFU_INIT_VAL : lfuDecayed(record, db.access, now));
      }
      // The first empty slot, or the first candidate that is at least as good.
      let k = 0;
      while (k < EVICTION_POOL_SIZE && (pool[k] as PoolEntry).key !== null && (pool[k] as PoolEntry).score < score) k++;
      let slot: PoolEntry;
      if (k === 0 && (pool[last] as PoolEntry).key !== null) {
        // Worse than every candidate of a full pool.
        continue;
      } else if (k < EVICTION_POOL_SIZE && (pool[k] as PoolEntry).key === null) {
        slot = pool[k] as PoolEntry;
      } else if ((pool[last] as PoolEntry).key === null) {
        // Room on the right: what is from k on moves one slot right.
        slot = pool.pop() as PoolEntry;
        pool.splice(k, 0, slot);
      } else {
        // Full: the worst candidate (on the left) goes, what is left of k moves one slot left.
        k--;
        slot = pool.shift() as PoolEntry;
        pool.splice(k, 0, slot);
      }
      slot.key = key;
      slot.score = score;
      slot.db = dbIndex;
    }
    // The sampled names are not kept past this call.
    sampled.length = 0;
  }
}
