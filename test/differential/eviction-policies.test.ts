/**
 * Which keys each policy keeps, against Redis 7.0, when a dataset outgrows maxmemory. Both
 * servers get the same room above what they use once started (their baselines differ by tens
 * of MB) and the same access pattern; the policies are approximations (a pool fed by samples),
 * so the checks are on what kinds of keys survive, and both servers must pass them.
 * nodis runs as a process of its own, with the flags bin/nodis-server gives node: its memory
 * figures are not shared with the test's.
 */
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { RawClient } from '../helpers/raw-client.js';
import { existing, pipelined, seededRandom, setBudget, shuffled , nodisAndRedisClients } from '../helpers/eviction.js';
import { infoNumber } from '../helpers/memory.js';

const hasOracle = oracleAvailable();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** 10 kB values: the per-key overheads of both servers are small beside them. */
const VALUE = 'v'.repeat(10_000);
/** Room for about 600 keys: large beside the variations of each server's memory figure. */
const BUDGET = 6 << 20;
const keys = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}:${i}`);
const sets = (names: readonly string[]): string[][] => names.map((k) => ['SET', k, VALUE]);

describe.skipIf(!hasOracle)('differential: which keys each maxmemory policy keeps', () => {
  const clients = nodisAndRedisClients();

  /** Runs `scenario` on both servers at once (the LRU clock must tick on both alike) from an empty dataset. */
  async function onBoth<T>(scenario: (c: RawClient) => Promise<T>): Promise<{ nodis: T; redis: T }> {
    const [n, r] = await Promise.all(
      clients.map(async (c) => {
        await c.call('FLUSHALL');
        await c.call('CONFIG', 'SET', 'maxmemory', '0');
        await c.call('CONFIG', 'RESETSTAT');
        try {
          return await scenario(c);
        } finally {
          await c.call('CONFIG', 'SET', 'maxmemory', '0');
          await c.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
        }
      }),
    );
    return { nodis: n as T, redis: r as T };
  }

  it('volatile-ttl evicts the keys nearest to expiring first', async () => {
    const n = 1800;
    // TTLs in a seeded random order, so that they do not follow the order of writing.
    const ranks = shuffled(n, seededRandom(7));
    const names = keys('ttl', n);
    const result = await onBoth(async (c) => {
      await setBudget(c, 'volatile-ttl', BUDGET);
      await pipelined(c, names.map((k, i) => ['SET', k, VALUE, 'EX', String(100_000 + (ranks[i] as number) * 10)]));
      const kept = await existing(c, names);
      const survivors = names.map((k, i) => (kept.has(k) ? (ranks[i] as number) : -1)).filter((r) => r >= 0);
      return { kept: survivors.length, inLongerHalf: survivors.filter((r) => r >= n / 2).length };
    });
    for (const side of [result.nodis, result.redis]) {
      expect(side.kept, JSON.stringify(result)).toBeGreaterThan(300);
      expect(side.kept, JSON.stringify(result)).toBeLessThan(900);
      // Sampled, not exact (Redis keeps about 10 % of its survivors from the shorter half).
      expect(side.inLongerHalf / side.kept, JSON.stringify(result)).toBeGreaterThanOrEqual(0.8);
    }
  });

  interface Kept {
    read: number;
    unread: number;
    fresh: number;
    evicted: number;
  }

  /**
   * 450 keys; a little over a second later, when the LRU clock has moved on, every other one
   * read `reads` times each; then 300 new keys, when the budget holds about 600: some 150 keys
   * must go, fewer than were not read. Returns how many of each kind are left on each server.
   */
  async function oldReadNew(policy: string, reads: number): Promise<{ nodis: Kept; redis: Kept }> {
    const old = keys('old', 450);
    // Read and unread keys interleaved: nodis samples neighbours in insertion order, so a block of
    // keys created together is sampled together, where Redis's hash order scatters them.
    const read = old.filter((_, i) => i % 2 === 0);
    const unread = old.filter((_, i) => i % 2 === 1);
    const fresh = keys('new', 300);
    const result = await onBoth(async (c) => {
      await setBudget(c, policy, BUDGET);
      await pipelined(c, sets(old));
      await sleep(1200);
      for (let i = 0; i < reads; i++) await pipelined(c, read.map((k) => ['GET', k]));
      await pipelined(c, sets(fresh));
      return {
        read: (await existing(c, read)).size,
        unread: (await existing(c, unread)).size,
        fresh: (await existing(c, fresh)).size,
        evicted: await infoNumber(c, 'stats', 'evicted_keys'),
      };
    });
    for (const side of [result.nodis, result.redis]) expect(side.evicted, JSON.stringify(result)).toBeGreaterThan(50);
    return result;
  }

  it('allkeys-lru keeps the keys read recently', async () => {
    const result = await oldReadNew('allkeys-lru', 1);
    // Approximated LRU: a few keys read may go (Redis too), far fewer than of those not read.
    for (const side of [result.nodis, result.redis]) {
      expect(side.read / 225, JSON.stringify(result)).toBeGreaterThanOrEqual(0.85);
      expect((side.read - side.unread) / 225, JSON.stringify(result)).toBeGreaterThanOrEqual(0.3);
    }
  });

  it('allkeys-lfu keeps the keys read often', async () => {
    const result = await oldReadNew('allkeys-lfu', 10);
    // Keys not read and new keys have the same counter: which of them go is chance.
    for (const side of [result.nodis, result.redis]) expect(side.read / 225, JSON.stringify(result)).toBeGreaterThanOrEqual(0.9);
  });

  it('allkeys-random takes no account of reads', async () => {
    const result = await oldReadNew('allkeys-random', 1);
    for (const side of [result.nodis, result.redis]) expect(side.read, JSON.stringify(result)).toBeLessThan(225);
  });

  it('volatile-lru evicts only keys with a TTL, least recently used first, then refuses writes', async () => {
    const plain = keys('plain', 300);
    const volatile = keys('volatile', 200);
    const result = await onBoth(async (c) => {
      await setBudget(c, 'volatile-lru', BUDGET);
      await pipelined(c, [...sets(plain), ...volatile.map((k) => ['SET', k, VALUE, 'EX', '100000'])]);
      const replies = await pipelined(c, sets(keys('more', 500)));
      return {
        plain: (await existing(c, plain)).size,
        volatile: (await existing(c, volatile)).size,
        refused: replies.filter((r) => typeof r === 'object' && r !== null && 'error' in r).length,
      };
    });
    for (const side of [result.nodis, result.redis]) {
      expect(side.plain, JSON.stringify(result)).toBe(300);
      expect(side.volatile, JSON.stringify(result)).toBe(0);
      expect(side.refused, JSON.stringify(result)).toBeGreaterThan(100);
    }
  });
});
