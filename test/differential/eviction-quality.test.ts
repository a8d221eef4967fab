/**
 * The quality of the approximated LRU and LFU, measured against Redis 7.0: a cache in front of
 * a dataset three times the size of what maxmemory holds, read by a seeded workload where 20 %
 * of the keys get 80 % of the reads, a miss being filled with a SET (cache-aside). The hit
 * ratio of nodis must be within 3 points of Redis's.
 *
 * Each server gets maxmemory = its memory in use once started + a third of what the whole
 * dataset takes on it (both measured once the garbage is gone), so that both hold the same
 * share of the keys whatever their baselines and per-key costs. The workload runs on both
 * servers in lockstep (each batch of reads goes to both, then each fills its own misses), for
 * a few seconds of warm-up and a few of measurement: the LRU clock has a resolution of one
 * second, so a key's idle time only tells hot from cold over seconds.
 */
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { RawClient } from '../helpers/raw-client.js';
import { pipelined, seededRandom, settledUsedMemory, shuffled , nodisAndRedisClients } from '../helpers/eviction.js';

const hasOracle = oracleAvailable();

const KEYS = 12_000;
/** 2 kB values: what each server adds per key besides the value weighs little. */
const VALUE = 'v'.repeat(2000);
const HOT_SHARE = 0.2;
const HOT_READS = 0.8;
const BATCH = 200;
const WARM_UP_MS = 3000;
const MEASURE_MS = 3000;

describe.skipIf(!hasOracle)('differential: eviction quality beside Redis (hit ratio)', () => {
  const clients = nodisAndRedisClients();

  /** Loads the whole dataset, then sets maxmemory to hold a third of it. */
  async function prepare(c: RawClient, policy: string): Promise<void> {
    await c.call('FLUSHALL');
    await c.call('CONFIG', 'SET', 'maxmemory-policy', policy);
    // Out of reach, so that nodis's memory figure is the one it evicts by (server/memory.ts).
    await c.call('CONFIG', 'SET', 'maxmemory', '100gb');
    const base = await settledUsedMemory(c);
    const sets: string[][] = [];
    for (let i = 0; i < KEYS; i++) sets.push(['SET', `key:${i}`, VALUE]);
    await pipelined(c, sets, 500);
    const full = await settledUsedMemory(c);
    await c.call('CONFIG', 'SET', 'maxmemory', String(base + Math.floor((full - base) / 3)));
  }

  /** Hit ratios (%) of nodis and Redis under the same reads. */
  async function hitRatios(policy: string): Promise<[number, number]> {
    await Promise.all(clients.map((c) => prepare(c, policy)));
    const random = seededRandom(2024);
    const order = shuffled(KEYS, random);
    const hot = order.slice(0, KEYS * HOT_SHARE);
    const cold = order.slice(KEYS * HOT_SHARE);
    const hits = [0, 0];
    let reads = 0;
    const started = Date.now();
    let measuring = false;
    while (Date.now() - started < WARM_UP_MS + MEASURE_MS) {
      if (!measuring && Date.now() - started >= WARM_UP_MS) {
        measuring = true;
        hits[0] = hits[1] = reads = 0;
      }
      const keys: string[] = [];
      for (let b = 0; b < BATCH; b++) {
        const from = random() < HOT_READS ? hot : cold;
        keys.push(`key:${from[Math.floor(random() * from.length)] as number}`);
      }
      await Promise.all(
        clients.map(async (c, side) => {
          const values = await pipelined(c, keys.map((k) => ['GET', k]), BATCH);
          const misses: string[][] = [];
          values.forEach((v, i) => {
            if (v === null) misses.push(['SET', keys[i] as string, VALUE]);
            else hits[side]++;
          });
          await pipelined(c, misses, BATCH);
        }),
      );
      reads += BATCH;
    }
    for (const c of clients) await c.call('CONFIG', 'SET', 'maxmemory', '0');
    return [(hits[0] as number) * 100 / reads, (hits[1] as number) * 100 / reads];
  }

  for (const policy of ['allkeys-lru', 'allkeys-lfu']) {
    it(`${policy}: nodis's hit ratio is within 3 points of Redis's`, async () => {
      const [mine, theirs] = await hitRatios(policy);
      console.log(`${policy} hit ratio: nodis ${mine.toFixed(1)} %, Redis ${theirs.toFixed(1)} %`);
      expect(Math.abs(mine - theirs)).toBeLessThanOrEqual(3);
    }, 60_000);
  }
});
