import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/config.js';
import { Database, setKeyspaceAccounting, type KeyspaceAccounting, type KeyspaceHooks, type KeyspaceStats } from '../../src/keyspace/database.js';
import { EVICT_FAIL, EVICT_OK, Evictor, evictionTimeLimitUs, type EvictionHost } from '../../src/keyspace/evict.js';
import { sampleKeys } from '../../src/keyspace/sample.js';
import { MemoryMeter } from '../../src/server/memory.js';
import { KEY_ENTRY, fullCollection, keyHeapBytes, uncollected } from '../../src/server/reclaim.js';
import { List } from '../../src/types/list.js';
import type { Value } from '../../src/types/value.js';

const stats = (): KeyspaceStats & { lazyfreedObjects: number } => ({
  hits: 0, misses: 0, expiredKeys: 0, expiredStalePerc: 0, expiredTimeCapReached: 0, evictedKeys: 0,
  evictionExceededUs: 0, evictionExceededSince: 0, lazyfreedObjects: 0,
});

function databases(count: number, evicted: string[] = []): { dbs: Database[]; stats: ReturnType<typeof stats> } {
  const s = stats();
  const hooks: KeyspaceHooks = {
    keyModified() {},
    keyExpired() {},
    keyEvicted(db, key) {
      evicted.push(`${db.id}:${key}`);
    },
    notify() {},
    loading: false,
  };
  return { dbs: Array.from({ length: count }, (_, i) => new Database(i, hooks, s)), stats: s };
}

/** An evictor over `dbs` whose meter says `used` bytes of a `limit`, and counts evictions down by their size. */
function evictor(dbs: Database[], s: ReturnType<typeof stats>, policy: string, limit: number, used: number, samples = 5): { evictor: Evictor; meter: MemoryMeter } {
  const config = new Config();
  config.set('maxmemory-policy', policy);
  config.set('maxmemory-samples', String(samples));
  // The meter is not started (no heap measurement): its figure is the test's.
  const meter = new MemoryMeter();
  meter.limit = limit;
  meter.used = used;
  setKeyspaceAccounting(dbs, meter);
  const host: EvictionHost = {
    databases: dbs,
    meter,
    stats: s,
    evictionAllowed: () => true,
    memoryNotCountedForEviction: () => 0,
    latency: { thresholdMs: 0, addSampleIfNeeded() {} },
    flushPending() {},
  };
  return { evictor: new Evictor(config, host), meter };
}

describe('maxmemory eviction', () => {
  it('maxmemory-eviction-tenacity: 50 µs a step up to 10, then 15 % more a step, no limit at 100', () => {
    expect(evictionTimeLimitUs(0)).toBe(0);
    expect(evictionTimeLimitUs(10)).toBe(500);
    expect(evictionTimeLimitUs(11)).toBe(575);
    expect(evictionTimeLimitUs(99) / 1e6).toBeGreaterThan(100);
    expect(evictionTimeLimitUs(100)).toBe(Infinity);
  });

  it('samples neighbouring keys, all of them when the map holds no more', () => {
    const map = new Map<string, number>();
    for (let i = 0; i < 1000; i++) map.set(`k${i}`, i);
    const out: string[] = [];
    expect(sampleKeys(map, 5, out)).toBe(5);
    const indexes = out.map((k) => Number(k.slice(1)));
    for (let j = 1; j < 5; j++) expect((indexes[j] as number) - (indexes[j - 1] as number)).toBe(1);
    const small = new Map([['a', 1], ['b', 2]]);
    expect(sampleKeys(small, 5, out)).toBe(2);
    expect(out.slice(0, 2).sort()).toEqual(['a', 'b']);
  });

  it('volatile-ttl evicts the nearest expiry first, across databases, until the estimate is under the limit', () => {
    const evicted: string[] = [];
    const { dbs, stats: s } = databases(2, evicted);
    const [a, b] = dbs as [Database, Database];
    a.set('plain', 'v');
    a.set('soon', 'v');
    a.setExpire('soon', Date.now() + 1000);
    b.set('later', 'v');
    b.setExpire('later', Date.now() + 2000);
    b.set('latest', 'v');
    b.setExpire('latest', Date.now() + 3000);
    const size = keyHeapBytes('later', 'v', true);
    // Over by a little more than one key: two go.
    const { evictor: e, meter } = evictor(dbs, s, 'volatile-ttl', 10_000, 10_000 + size + 1);
    expect(e.perform()).toBe(EVICT_OK);
    expect(evicted).toEqual(['0:soon', '1:later']);
    expect(s.evictedKeys).toBe(2);
    expect(meter.used).toBeLessThanOrEqual(10_000);
    expect(s.evictionExceededSince).toBe(0);
  });

  it('volatile policies never evict a key without a TTL: with none left, EVICT_FAIL and the time over the limit runs', () => {
    for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) {
      const evicted: string[] = [];
      const { dbs, stats: s } = databases(1, evicted);
      const db = dbs[0] as Database;
      db.set('plain', 'v');
      db.set('ttl', 'v');
      db.setExpire('ttl', Date.now() + 100_000);
      const { evictor: e } = evictor(dbs, s, policy, 1, 1_000_000);
      expect(e.perform(), policy).toBe(EVICT_FAIL);
      expect(evicted, policy).toEqual(['0:ttl']);
      expect(db.dict.has('plain'), policy).toBe(true);
      expect(s.evictionExceededSince, policy).toBeGreaterThan(0);
    }
  });

  it('allkeys-lru evicts the longest idle keys first', () => {
    const evicted: string[] = [];
    const { dbs, stats: s } = databases(1, evicted);
    const db = dbs[0] as Database;
    for (let i = 0; i < 10; i++) db.set(`k${i}`, 'v');
    // Idle 10 s down to 1 s: k0 the longest.
    const now = Date.now();
    for (let i = 0; i < 10; i++) db.accessClock.set(`k${i}`, Math.floor((now - (10 - i) * 1000) / 1000) & 0xffffff);
    const size = keyHeapBytes('k0', 'v', false);
    // Samples enough to see every key: the pool holds them all, best first.
    const { evictor: e } = evictor(dbs, s, 'allkeys-lru', 10_000, 10_000 + 2 * size + 1, 10);
    expect(e.perform()).toBe(EVICT_OK);
    expect(evicted).toEqual(['0:k0', '0:k1', '0:k2']);
  });

  it('noeviction evicts nothing', () => {
    const evicted: string[] = [];
    const { dbs, stats: s } = databases(1, evicted);
    (dbs[0] as Database).set('k', 'v');
    const { evictor: e } = evictor(dbs, s, 'noeviction', 1, 100);
    expect(e.perform()).toBe(EVICT_FAIL);
    expect(evicted).toEqual([]);
  });
});

describe('keyspace accounting for the maxmemory estimate', () => {
  it('tells of keys added, values replaced, keys deleted, expired and flushed, with their values', () => {
    const events: string[] = [];
    const accounting: KeyspaceAccounting = {
      keyAdded: () => events.push('added'),
      keyRemoved: (key: string, value: Value, hadExpire: boolean) => events.push(`removed ${key} ${typeof value === 'string' ? value : value.type} ${hadExpire}`),
      valueReplaced: (old: Value) => events.push(`replaced ${typeof old === 'string' ? old : old.type}`),
      databaseCleared: (db: Database) => events.push(`cleared ${db.size}`),
    };
    const { dbs } = databases(1);
    const db = dbs[0] as Database;
    setKeyspaceAccounting(dbs, accounting);
    db.set('k', 'v1');
    db.set('k', 'v1');
    db.set('k', 'v2');
    db.set('l', List.from(['a']));
    db.setExpire('k', Date.now() - 1);
    db.lookup('k');
    db.delete('l');
    db.delete('nokey');
    db.set('m', 'x');
    db.clear();
    setKeyspaceAccounting(dbs, null);
    db.set('n', 'y');
    expect(events).toEqual(['added', 'replaced v1', 'replaced v1', 'added', 'removed k v2 true', 'removed l list false', 'added', 'cleared 1']);
  });

  it('the meter counts a new key, subtracts what leaves at once, and keeps it apart until a major collection', async () => {
    const meter = new MemoryMeter();
    meter.limit = 1;
    meter.used = 0;
    meter.keyAdded();
    expect(meter.used).toBe(KEY_ENTRY);
    meter.willWrite(['SET', 'key', 'value']);
    expect(meter.used).toBe(KEY_ENTRY + 3 + 16 + 5 + 16);
    const pendingBefore = uncollected.keysFreedPendingBytes();
    meter.keyRemoved('key', 'value', false);
    const bytes = keyHeapBytes('key', 'value', false);
    expect(meter.used).toBe(KEY_ENTRY + 40 - bytes);
    expect(uncollected.keysFreedPendingBytes()).toBe(pendingBefore + bytes);
    // A major collection that starts after the free: the bytes are no longer held apart.
    await new Promise((resolve) => setTimeout(resolve, 5));
    (fullCollection() as () => void)();
    for (let i = 0; i < 100 && uncollected.keysFreedPendingBytes() !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(uncollected.keysFreedPendingBytes()).toBe(0);
  });
});
