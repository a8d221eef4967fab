/**
 * node-redis (`redis`) through its own API, on nodis and on real Redis: RESP2 and RESP3
 * replies, client-side caching (RESP3 tracking), scanIterator, MULTI, pub/sub, and blocking
 * commands on a pool's client of their own.
 */
import { BasicClientSideCache, createClient, createClientPool } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { libraryServers, until, type Target } from '../helpers/libraries.js';
import { oracleAvailable } from '../helpers/oracle.js';

const hasOracle = oracleAvailable();

let opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const c of opened.reverse()) await Promise.resolve(c.close()).catch(() => {});
  opened = [];
});

async function connect(target: Target, resp: 2 | 3, extra: Record<string, unknown> = {}) {
  const client = createClient({ socket: { host: target.host, port: target.port, reconnectStrategy: false }, RESP: resp, ...extra });
  client.on('error', () => {});
  await client.connect();
  opened.push({ close: () => client.close() });
  return client;
}

describe.skipIf(!hasOracle)('node-redis against nodis and Redis', { timeout: 120_000 }, () => {
  const servers = libraryServers();

  for (const resp of [2, 3] as const) {
    it(`RESP${resp}: strings, hashes, sorted sets, MULTI and errors come back as the same values`, async () => {
      const { nodis, redis } = await servers.both(async (target) => {
        const c = await connect(target, resp);
        await c.flushAll();
        await c.set('s', 'v', { expiration: { type: 'EX', value: 100 } });
        await c.hSet('h', { a: '1', b: '2' });
        await c.zAdd('z', [
          { score: 1.5, value: 'one' },
          { score: 2, value: 'two' },
        ]);
        await c.sAdd('set', ['x', 'y']);
        const multi = await c.multi().incr('n').incrBy('n', 5).get('n').exec();
        const wrongType = await c.incr('h').then(
          () => 'no error',
          (e: Error) => e.message,
        );
        return {
          get: await c.get('s'),
          ttl: await c.ttl('s'),
          hGetAll: { ...(await c.hGetAll('h')) },
          zRangeWithScores: await c.zRangeWithScores('z', 0, -1),
          zScore: await c.zScore('z', 'one'),
          sMembers: [...(await c.sMembers('set'))].sort(),
          multi,
          wrongType,
          hello: await c.hello().then((h) => ({ proto: h.proto, server: h.server })),
          type: await c.type('z'),
        };
      });
      expect(nodis.zScore).toBe(1.5);
      expect(nodis.hello.proto).toBe(resp);
      expect(nodis).toEqual(redis);
    });
  }

  it('RESP3 client-side caching: repeated reads are served from the cache until another client writes the key', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0, evictPolicy: 'LRU' });
      const c = await connect(target, 3, { clientSideCache: cache });
      const writer = await connect(target, 3);
      await writer.set('cached', 'v1');
      const reads = [await c.get('cached'), await c.get('cached'), await c.get('cached')];
      const afterReads = { hits: cache.stats().hitCount, misses: cache.stats().missCount };
      await writer.set('cached', 'v2');
      // The invalidation push arrives on its own; the next read after it goes to the server.
      await until(async () => (await c.get('cached')) === 'v2', 'the invalidated key to be read again');
      return { reads, afterReads, finalRead: await c.get('cached') };
    });
    expect(nodis).toMatchObject({ reads: ['v1', 'v1', 'v1'], afterReads: { hits: 2, misses: 1 }, finalRead: 'v2' });
    expect(nodis).toEqual(redis);
  });

  it('scanIterator and hScanIterator go through every key and field once', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const c = await connect(target, 2);
      await c.flushAll();
      const multi = c.multi();
      for (let i = 0; i < 250; i++) multi.set(`it:${i}`, String(i));
      for (let i = 0; i < 120; i++) multi.hSet('it-hash', `f${i}`, String(i));
      await multi.exec();
      const keys: string[] = [];
      for await (const batch of c.scanIterator({ MATCH: 'it:*', COUNT: 40 })) keys.push(...batch);
      const fields: string[] = [];
      for await (const batch of c.hScanIterator('it-hash', { COUNT: 30 })) fields.push(...batch.map((entry) => entry.field));
      return { keys: new Set(keys).size, fields: new Set(fields).size };
    });
    expect(nodis).toEqual({ keys: 250, fields: 120 });
    expect(nodis).toEqual(redis);
  });

  it('pub/sub on a duplicated client, and a blocking BLPOP on a pool client served by a push from another', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const c = await connect(target, 2);
      await c.flushAll();
      const sub = c.duplicate();
      sub.on('error', () => {});
      await sub.connect();
      opened.push({ close: () => sub.close() });
      const messages: string[] = [];
      await sub.subscribe('chan', (message, channel) => messages.push(`${channel}:${message}`));
      await sub.pSubscribe('ch*', (message, channel) => messages.push(`p ${channel}:${message}`));
      await c.publish('chan', 'hi');
      await until(() => messages.length === 2, 'both deliveries');

      const pool = createClientPool({ socket: { host: target.host, port: target.port, reconnectStrategy: false } }, { minimum: 1, maximum: 2 });
      pool.on('error', () => {});
      await pool.connect();
      opened.push({ close: () => pool.close() });
      const popped = pool.execute((client) => client.blPop('queue', 5));
      const timedOut = await pool.execute((client) => client.blPop('empty', 0.05));
      await c.lPush('queue', 'job');
      return { messages: messages.sort(), popped: await popped, timedOut };
    });
    expect(nodis).toEqual({ messages: ['chan:hi', 'p chan:hi'], popped: { key: 'queue', element: 'job' }, timedOut: null });
    expect(nodis).toEqual(redis);
  });
});
