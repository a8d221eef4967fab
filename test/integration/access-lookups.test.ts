/**
 * The lookups that finding a key's access record costs: SET under an LFU policy and saving
 * under LRU/LFU look each key up no more often than they need to (the value found tells where
 * its record is kept); and the scratch ZADD reads its scores into stays small after a huge ZADD.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { Database } from '../../src/keyspace/database.js';
import { keptScoreCapacity } from '../../src/commands/zsets/zsets.js';
import { tickLruClock } from '../../src/keyspace/access.js';

const servers: TestServer[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of servers.splice(0)) await s.stop();
});

async function server(options: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer(options);
  servers.push(s);
  return s;
}

/**
 * Counts the lookups of a key's value in the dict of database 0 while `run` runs: the dict's
 * calls that find a key's entry (not those that read or set a plain string's record).
 */
async function dictLookups(s: TestServer, run: () => Promise<unknown>): Promise<number> {
  const dict = (s.running.server.databases[0] as Database).dict;
  const spies = [vi.spyOn(dict, 'get'), vi.spyOn(dict, 'has'), vi.spyOn(dict, 'getRecording'), vi.spyOn(dict, 'exchangeString'), vi.spyOn(dict, 'set')];
  await run();
  let n = 0;
  for (const spy of spies) {
    n += spy.mock.calls.length;
    spy.mockRestore();
  }
  return n;
}

describe('lookups for access records', () => {
  it('SET of an existing key under LFU looks it up once more than under LRU (the touch of the old value), not twice', async () => {
    const counts: number[] = [];
    for (const policy of ['allkeys-lru', 'allkeys-lfu']) {
      const s = await server({ 'maxmemory-policy': policy });
      const c = await s.raw();
      expect(await c.call('SET', 'k', 'old')).toBe('OK');
      counts.push(await dictLookups(s, () => c.call('SET', 'k', 'new')));
      expect(await c.call('GET', 'k')).toBe('new');
    }
    expect(counts[1]).toBe((counts[0] as number) + 1);
  });

  it('SAVE under LRU and LFU finds each record from the value it writes, without a lookup per key', async () => {
    for (const policy of ['allkeys-lru', 'allkeys-lfu']) {
      const s = await server({ 'maxmemory-policy': policy });
      const c = await s.raw();
      expect(await c.call('MSET', ...Array.from({ length: 50 }, (_, i) => [`s:${i}`, 'v']).flat())).toBe('OK');
      for (let i = 0; i < 50; i++) await c.call('HSET', `h:${i}`, 'f', 'v');
      expect(await dictLookups(s, () => c.call('SAVE'))).toBeLessThan(10);
      // The records went into the file: they are there after a reload.
      expect(await c.call('DEBUG', 'RELOAD')).toBe('OK');
      expect(await c.call('DBSIZE')).toBe(100);
      expect(await c.call('OBJECT', policy === 'allkeys-lru' ? 'IDLETIME' : 'FREQ', 'h:1')).toBeTypeOf('number');
    }
  });
});

describe("ZADD's scratch for scores", () => {
  it('is not kept at the size of a huge ZADD', async () => {
    const s = await server();
    const c = await s.raw();
    const members = Array.from({ length: 20_000 }, (_, i) => [String(i), `m${i}`]).flat();
    expect(await c.call('ZADD', 'z', ...members)).toBe(20_000);
    expect(await c.call('ZSCORE', 'z', 'm19999')).toBe('19999');
    expect(keptScoreCapacity()).toBeLessThanOrEqual(1024);
    // Mid-sized ones still reuse it.
    expect(await c.call('ZADD', 'y', ...members.slice(0, 1000))).toBe(500);
    expect(keptScoreCapacity()).toBeGreaterThanOrEqual(500);
    expect(keptScoreCapacity()).toBeLessThanOrEqual(1024);
  });

  it('RESTORE IDLETIME and FREQ set the record on the clock OBJECT reads, the last tick\'s, however far the system clock is past it', async () => {
    const s = await server();
    const c = await s.raw();
    expect(await c.call('SET', 'src', 'v')).toBe('OK');
    const payload = (await c.call('DUMP', 'src')) as string;
    // The cached LRU clock 5 s behind the system clock, as between two ticks across seconds;
    // MULTI keeps the cron from ticking between the commands.
    tickLruClock(Date.now() - 5000);
    expect(await c.call('MULTI')).toBe('OK');
    await c.call('RESTORE', 'k', '0', payload, 'IDLETIME', '1000');
    await c.call('OBJECT', 'IDLETIME', 'k');
    expect(await c.call('EXEC')).toEqual(['OK', 1000]);
    expect(await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu')).toBe('OK');
    expect(await c.call('RESTORE', 'f', '0', payload, 'FREQ', '77')).toBe('OK');
    expect(await c.call('OBJECT', 'FREQ', 'f')).toBe(77);
  });
});
