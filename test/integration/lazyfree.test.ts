import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fill, infoNumber, usedMemoryBesideClients } from '../helpers/memory.js';
import { fullCollection, uncollected } from '../../src/server/reclaim.js';

/** Runs full collections until every large free has been collected (finalizers run after a collection). */
async function pendingAfterCollections(): Promise<number> {
  const gc = fullCollection() as () => void;
  for (let i = 0; i < 50 && uncollected.pendingBytes() !== 0; i++) {
    uncollected.collect(gc);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return uncollected.pendingBytes();
}

describe('UNLINK and FLUSH… ASYNC: the reply first, the freeing after, nothing left behind', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  for (const [kind, free] of [
    ['list', ['UNLINK', 'big']],
    ['set', ['UNLINK', 'big']],
    ['hash', ['DEL', 'big']],
    ['zset', ['UNLINK', 'big']],
    ['keys', ['FLUSHALL', 'ASYNC']],
    ['keys', ['FLUSHDB', 'ASYNC']],
  ] as const) {
    it(`${free.join(' ')} of ${kind === 'keys' ? '100k keys' : `a ${kind} of 100k`}: used_memory back to its start, the value collected`, async () => {
      const c = await server.raw();
      expect(await pendingAfterCollections()).toBe(0);
      const start = await usedMemoryBesideClients(c);
      await fill(c, kind, 'big', 100_000);
      const peak = await usedMemoryBesideClients(c);
      expect(peak - start).toBeGreaterThan(1 << 20);
      // The reply is sent while what was freed is still in V8's heap: used_memory drops at once.
      await c.call(...free);
      expect(await infoNumber(c, 'memory', 'lazyfree_pending_objects')).toBe(0);
      // Exactly where it started (the tables' sizes included), once the keys are gone...
      expect(await usedMemoryBesideClients(c)).toBe(start);
      expect(await c.call('DBSIZE')).toBe(0);
      // ...and what they held is really collected: nothing (a cursor, the slow log, a
      // notification) keeps it alive.
      expect(await pendingAfterCollections()).toBe(0);
    });
  }
});

describe('a slow synchronous delete is seen in the slow log', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ 'slowlog-log-slower-than': 0, 'latency-monitor-threshold': 1 });
  });
  afterAll(async () => server?.stop());

  it('DEL of a large collection, FLUSHALL, KEYS * and a large SUNIONSTORE are logged with their arguments', async () => {
    const c = await server.raw();
    await fill(c, 'list', 'biglist', 200_000);
    await fill(c, 'set', 'set1', 50_000);
    await c.call('SADD', 'set2', 'a', 'b');
    expect(await c.call('SLOWLOG', 'RESET')).toBe('OK');
    expect(await c.call('SUNIONSTORE', 'union', 'set1', 'set2')).toBe(50_002);
    expect(await c.call('DEL', 'biglist')).toBe(1);
    expect(((await c.call('KEYS', '*')) as string[]).sort()).toEqual(['set1', 'set2', 'union']);
    expect(await c.call('FLUSHALL')).toBe('OK');
    const entries = (await c.call('SLOWLOG', 'GET', '10')) as unknown[][];
    const logged = entries.map((entry) => (entry[3] as string[]).join(' ')).reverse();
    expect(logged).toEqual(['SLOWLOG RESET', 'SUNIONSTORE union set1 set2', 'DEL biglist', 'KEYS *', 'FLUSHALL']);
    for (const entry of entries) expect(typeof entry[2]).toBe('number');
    // The latency monitor names Redis's events only: "command" for these (none for DEL or FLUSH
    // as such), when one took 1 ms or more.
    const latest = (await c.call('LATENCY', 'LATEST')) as unknown[][];
    for (const event of latest) expect(['command', 'fast-command', 'gc', 'expire-cycle']).toContain(event[0]);
  });

  it('LATENCY LATEST and HISTORY show a slow command once latency-monitor-threshold is set, in Redis\'s shape', async () => {
    const c = await server.raw();
    const now = async (): Promise<number> => Number(((await c.call('TIME')) as string[])[0]);
    const commandEvent = async (): Promise<unknown[] | undefined> =>
      ((await c.call('LATENCY', 'LATEST')) as unknown[][]).find((event) => event[0] === 'command');
    // Off: nothing is recorded however slow the command.
    expect(await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '0')).toBe('OK');
    expect(await c.call('LATENCY', 'RESET')).toBeTypeOf('number');
    expect(await c.call('DEBUG', 'SLEEP', '0.05')).toBe('OK');
    expect(await commandEvent()).toBeUndefined();
    expect(await c.call('LATENCY', 'HISTORY', 'command')).toEqual([]);
    // On: DEBUG SLEEP (not a fast command) sleeps 50 ms at least, so it is recorded under "command".
    expect(await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '1')).toBe('OK');
    const before = await now();
    expect(await c.call('DEBUG', 'SLEEP', '0.05')).toBe('OK');
    const after = await now();
    // As Redis 7.0: [event, unix time of the latest sample, its milliseconds, the largest milliseconds].
    const event = await commandEvent();
    expect(event).toHaveLength(4);
    const [, at, latestMs, maxMs] = event as [string, number, number, number];
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expect(Number.isInteger(latestMs) && Number.isInteger(maxMs)).toBe(true);
    expect(latestMs).toBeGreaterThanOrEqual(50);
    expect(maxMs).toBeGreaterThanOrEqual(latestMs);
    // HISTORY: [unix time, milliseconds] pairs, one per second, the sleep's among them.
    const history = (await c.call('LATENCY', 'HISTORY', 'command')) as Array<[number, number]>;
    for (const sample of history) expect(sample).toHaveLength(2);
    expect(history.some(([time, ms]) => time >= before && time <= after && ms >= 50)).toBe(true);
    expect(await c.call('LATENCY', 'RESET', 'command')).toBe(1);
    expect(await commandEvent()).toBeUndefined();
  });
});
