import { afterAll, beforeAll } from 'vitest';
import { startNodisProcess, type NodisProcess } from './nodis-process.js';
import { startOracle, type Oracle } from './oracle.js';
import { RawClient } from './raw-client.js';
import { usedMemory } from './memory.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * used_memory once the garbage is gone: MEMORY PURGE runs a full collection in nodis (its
 * memory figure is then taken from the heap), jemalloc's purge in Redis. Twice, as a first
 * collection right after a load leaves some behind.
 */
export async function settledUsedMemory(client: RawClient): Promise<number> {
  for (let i = 0; i < 2; i++) {
    await client.call('MEMORY', 'PURGE');
    await sleep(100);
  }
  return usedMemory(client);
}

/**
 * Sets `policy` and a maxmemory of `budget` bytes above what the server uses now, with its
 * dataset: each server is given the same room whatever its baseline (a V8 heap starts at tens
 * of MB, Redis at about one). maxmemory is first set out of reach so that nodis's memory
 * figure is the one it evicts by. Returns the limit.
 */
export async function setBudget(client: RawClient, policy: string, budget: number): Promise<number> {
  await client.call('CONFIG', 'SET', 'maxmemory-policy', policy);
  await client.call('CONFIG', 'SET', 'maxmemory', '100gb');
  const limit = (await settledUsedMemory(client)) + budget;
  await client.call('CONFIG', 'SET', 'maxmemory', String(limit));
  return limit;
}

/** Sends commands pipelined, `batch` at a time, and returns every reply. */
export async function pipelined(client: RawClient, commands: string[][], batch = 100): Promise<unknown[]> {
  const replies: unknown[] = [];
  for (let i = 0; i < commands.length; i += batch) {
    const chunk = commands.slice(i, i + batch);
    for (const argv of chunk) client.send(...argv);
    for (let j = 0; j < chunk.length; j++) replies.push(await client.read(30_000));
  }
  return replies;
}

/** Which of `keys` exist. */
export async function existing(client: RawClient, keys: readonly string[]): Promise<Set<string>> {
  const replies = await pipelined(client, keys.map((k) => ['EXISTS', k]));
  return new Set(keys.filter((_, i) => replies[i] === 1));
}

/** A seeded PRNG (mulberry32): the same workload on both servers and on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 0..n-1 in a seeded random order. */
export function shuffled(n: number, random: () => number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

/**
 * For a describe block: a nodis process (with bin/nodis-server's node flags, so that its memory
 * figures are its own) and a redis-server, started before its tests and stopped after; the
 * array returned holds a client of each, nodis first, once they are up.
 */
export function nodisAndRedisClients(): RawClient[] {
  let nodis: NodisProcess | undefined;
  let redis: Oracle | undefined;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    [nodis, redis] = await Promise.all([startNodisProcess([], ['--max-semi-space-size=2']), startOracle()]);
    clients.push(await RawClient.connect(nodis.port), await RawClient.connect(redis.port));
  }, 30_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([nodis?.stop(), redis?.stop()]);
  });
  return clients;
}
