import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/config.js';
import { Database, type KeyspaceHooks, type KeyspaceStats } from '../../src/keyspace/database.js';
import { EVICT_FAIL, EVICT_OK, Evictor, evictionTimeLimitUs, type EvictionHost } from '../../src/keyspace/evict.js';
import { forgetCursors, sampleKeys, sampleKeysSpread } from '../../src/keyspace/sample.js';
import { MemoryMeter } from '../../src/server/memory.js';
import { HEAP_NUMBER_BYTES, stringBytes } from '../../src/types/heap-size.js';

const stats = (): KeyspaceStats & { lazyfreedObjects: number } => ({
  hits: 0, misses: 0, expiredKeys: 0, expiredStalePerc: 0, expiredTimeCapReached: 0, evictedKeys: 0,
  evictionExceededUs: 0, evictionExceededSince: 0, lazyfreedObjects: 0,
});

function databases(count: number, evicted: string[] = []): { dbs: Database[]; stats: ReturnType<typeof stats> } {
  const s = stats();
  const hooks: KeyspaceHooks = {
    keyModified() {},
    keyExpired() {},
    valueOverwritten() {},
    keyEvicted(db, key) {
      evicted.push(`${db.id}:${key}`);
    },
    notify() {},
    loading: false,
  };
  return { dbs: Array.from({ length: count }, (_, i) => new Database(i, hooks, s)), stats: s };
}

/** An evictor over `dbs` whose meter counts them, with maxmemory `over` bytes below what they use now. */
function evictor(dbs: Database[], s: ReturnType<typeof stats>, policy: string, over: number, samples = 5): { evictor: Evictor; meter: MemoryMeter } {
  const config = new Config();
  config.set('maxmemory-policy', policy);
  config.set('maxmemory-samples', String(samples));
  const meter = new MemoryMeter({ databases: dbs, clients: { size: 0 }, memoryNotCountedForEviction: () => 0 });
  meter.limit = meter.used - over;
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

  it('samples for LRU from cursors spread over the table: neighbours, every part of it, keys added at its end, and a table emptied', () => {
    const map = new Map<string, number>();
    for (let i = 0; i < 8000; i++) map.set(`k${i}`, i);
    const out: string[] = [];
    const index = (key: string): number => Number(key.slice(1));
    /** The first keys of the next 8 calls (one from each cursor): each an eighth of the table or so from the others. */
    const expectSpread = (): void => {
      const firsts: number[] = [];
      for (let c = 0; c < 8; c++) {
        sampleKeysSpread(map, 5, out);
        firsts.push(index(out[0] as string));
      }
      for (const a of firsts) {
        for (const b of firsts) {
          if (a === b) continue;
          const apart = Math.abs(a - b);
          expect(Math.min(apart, map.size - apart)).toBeGreaterThan(map.size / 16);
        }
      }
    };
    for (let call = 0; call < 400; call++) {
      expect(sampleKeysSpread(map, 5, out)).toBe(5);
      const indexes = out.map(index);
      // Neighbours in insertion order (wrapping at the end).
      for (let j = 1; j < 5; j++) expect([1, -(map.size - 1)]).toContain((indexes[j] as number) - (indexes[j - 1] as number));
    }
    // The cursors have reached their places (a walk of at most 256 steps a call).
    expectSpread();
    // A key added at the end is reached: the cursors pass it, and a pass samples part of the keys it walks.
    map.set('k8000', 8000);
    let added = false;
    for (let call = 0; call < 40000 && !added; call++) {
      sampleKeysSpread(map, 5, out);
      added = out.includes('k8000');
    }
    expect(added).toBe(true);
    // A table grown past twice its size has its cursors placed again over all of it.
    for (let i = 8001; i < 40000; i++) map.set(`k${i}`, i);
    for (let call = 0; call < 1300; call++) sampleKeysSpread(map, 5, out);
    expectSpread();
    // A table emptied and filled again (FLUSHDB) is sampled from its new keys.
    map.clear();
    forgetCursors(map);
    for (let i = 0; i < 100; i++) map.set(`n${i}`, i);
    expect(sampleKeysSpread(map, 5, out)).toBe(5);
    expect(out.every((k) => k.startsWith('n'))).toBe(true);
    // No more keys than it asks for: all of them.
    const small = new Map([['a', 1], ['b', 2]]);
    expect(sampleKeysSpread(small, 5, out)).toBe(2);
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
    // What a key with a TTL gives back: its name and boxed expiry time (a one-char value is V8's shared string).
    const size = stringBytes('later'.length) + HEAP_NUMBER_BYTES;
    // Over by a little more than one key: two go.
    const { evictor: e, meter } = evictor(dbs, s, 'volatile-ttl', size + 1);
    expect(e.perform()).toBe(EVICT_OK);
    expect(evicted).toEqual(['0:soon', '1:later']);
    expect(s.evictedKeys).toBe(2);
    expect(meter.used).toBeLessThanOrEqual(meter.limit);
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
      const { evictor: e } = evictor(dbs, s, policy, 1_000_000);
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
    for (let i = 0; i < 10; i++) db.setAccessRecord(`k${i}`, Math.floor((now - (10 - i) * 1000) / 1000) & 0xffffff);
    const size = stringBytes('k0'.length);
    // Samples enough to see every key: the pool holds them all, best first.
    const { evictor: e } = evictor(dbs, s, 'allkeys-lru', 2 * size + 1, 10);
    expect(e.perform()).toBe(EVICT_OK);
    expect(evicted).toEqual(['0:k0', '0:k1', '0:k2']);
  });

  it('noeviction evicts nothing', () => {
    const evicted: string[] = [];
    const { dbs, stats: s } = databases(1, evicted);
    (dbs[0] as Database).set('k', 'v');
    const { evictor: e } = evictor(dbs, s, 'noeviction', 100);
    expect(e.perform()).toBe(EVICT_FAIL);
    expect(evicted).toEqual([]);
  });
});
