/**
 * ioredis through its own API, on nodis and on real Redis: pipelines, MULTI, pub/sub,
 * scanStream, Lua through defineCommand, and reconnecting after the server restarts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { libraryServers, until, type Target } from '../helpers/libraries.js';
import { oracleAvailable } from '../helpers/oracle.js';
import { killAllServerProcesses, startServerProcess } from '../helpers/server-process.js';
import { startTestServer } from '../helpers/server.js';

const hasOracle = oracleAvailable();

let clients: Redis[] = [];
afterEach(() => {
  for (const c of clients) c.disconnect();
  clients = [];
});

function connect(target: Target, options: Record<string, unknown> = {}): Redis {
  const client = new Redis({ host: target.host, port: target.port, ...options });
  clients.push(client);
  return client;
}

describe.skipIf(!hasOracle)('ioredis against nodis and Redis', { timeout: 120_000 }, () => {
  const servers = libraryServers();

  it('pipelines commands, with a failing one in the middle', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const r = connect(target);
      await r.flushall();
      const results = await r
        .pipeline()
        .set('p:a', '1')
        .incr('p:a')
        .lpush('p:list', 'x', 'y')
        .incr('p:list')
        .hset('p:h', { f1: 'v1', f2: 'v2' })
        .hgetall('p:h')
        .get('p:missing')
        .exec();
      return results!.map(([err, value]) => (err ? `error: ${err.message}` : value));
    });
    expect(nodis[3]).toMatch(/^error: WRONGTYPE/);
    expect(nodis).toEqual(redis);
  });

  it('runs MULTI/EXEC, and a WATCHed key changed by another client aborts the transaction', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const r = connect(target);
      const other = connect(target);
      await r.flushall();
      const exec = await r.multi().set('m:k', 'v').incr('m:n').incr('m:n').get('m:k').exec();
      await r.watch('m:k');
      await other.set('m:k', 'changed');
      const aborted = await r.multi().set('m:k', 'mine').exec();
      const queuedError = await r
        .multi()
        .set('m:x', '1')
        .lpush('m:x', 'a')
        .exec()
        .then((res) => res!.map(([err, v]) => (err ? err.message : v)));
      return { exec, aborted, after: await r.get('m:k'), queuedError };
    });
    expect(nodis.aborted).toBeNull();
    expect(nodis).toEqual(redis);
  });

  it('subscribes to channels and patterns and receives what is published', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const sub = connect(target);
      const pub = connect(target);
      const received: string[] = [];
      sub.on('message', (channel: string, message: string) => received.push(`message ${channel} ${message}`));
      sub.on('pmessage', (pattern: string, channel: string, message: string) => received.push(`pmessage ${pattern} ${channel} ${message}`));
      const subscribed = await sub.subscribe('news', 'alerts');
      const psubscribed = await sub.psubscribe('news.*');
      const receivers = [await pub.publish('news', 'hello'), await pub.publish('news.sport', 'goal'), await pub.publish('alerts', 'fire'), await pub.publish('nobody', 'x')];
      await until(() => received.length === 3, 'three messages');
      await sub.unsubscribe('news');
      await pub.publish('news', 'unheard');
      await pub.publish('alerts', 'last');
      await until(() => received.length === 4, 'the last message');
      return { subscribed, psubscribed, receivers, received, numsub: await pub.pubsub('NUMSUB', 'news', 'alerts') };
    });
    expect(nodis.received).toContain('message alerts last');
    expect(nodis).toEqual(redis);
  });

  it('scans the keyspace with scanStream (MATCH, COUNT) and hscanStream', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const r = connect(target);
      await r.flushall();
      const pipeline = r.pipeline();
      for (let i = 0; i < 300; i++) pipeline.set(`scan:${i % 3 === 0 ? 'even' : 'odd'}:${i}`, String(i));
      for (let i = 0; i < 150; i++) pipeline.hset('scan:hash', `f${i}`, String(i));
      await pipeline.exec();
      const collect = async (stream: AsyncIterable<string[]>): Promise<string[]> => {
        const all: string[] = [];
        for await (const batch of stream) all.push(...batch);
        return all;
      };
      const matched = await collect(r.scanStream({ match: 'scan:even:*', count: 50 }));
      const fields = await collect(r.hscanStream('scan:hash', { count: 20 }));
      return { matched: [...new Set(matched)].sort(), fieldCount: new Set(fields).size };
    });
    expect(nodis.matched.length).toBe(100);
    expect(nodis.fieldCount).toBe(300); // fields and values, each once
    expect(nodis).toEqual(redis);
  });

  it('runs Lua through defineCommand (EVALSHA, falling back to EVAL), and reports script errors', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const r = connect(target);
      await r.flushall();
      await r.script('FLUSH');
      r.defineCommand('incrCapped', {
        numberOfKeys: 1,
        lua: `local v = redis.call('INCRBY', KEYS[1], ARGV[1])
              if v > tonumber(ARGV[2]) then redis.call('SET', KEYS[1], ARGV[2]) return tonumber(ARGV[2]) end
              return v`,
      });
      r.defineCommand('broken', { numberOfKeys: 0, lua: `return redis.call('NOSUCH')` });
      const calls = r as Redis & { incrCapped(key: string, by: number, cap: number): Promise<number>; broken(): Promise<unknown> };
      const values = [await calls.incrCapped('lua:k', 4, 10), await calls.incrCapped('lua:k', 4, 10), await calls.incrCapped('lua:k', 4, 10)];
      const inPipeline = await (r.pipeline() as ReturnType<Redis['pipeline']> & { incrCapped(key: string, by: number, cap: number): ReturnType<Redis['pipeline']> }).incrCapped('lua:k', 1, 10).exec();
      const error = await calls.broken().then(
        () => 'no error',
        (e: Error) => e.message.replace(/script: \w+/, 'script: <sha>'),
      );
      return { values, inPipeline, error };
    });
    expect(nodis.values).toEqual([4, 8, 10]);
    expect(nodis).toEqual(redis);
  });
});

describe.skipIf(!hasOracle)('ioredis reconnects after the server restarts', { timeout: 120_000 }, () => {
  /** A server of `kind` that can be stopped and started again on the same port. */
  async function restartable(kind: 'nodis' | 'redis', dir: string) {
    if (kind === 'nodis') {
      let server = await startTestServer();
      const port = server.port;
      return { port, stop: () => server.stop(), start: async () => void (server = await startTestServer({ port })), close: () => server.stop() };
    }
    const first = await startServerProcess(kind, dir);
    first.client.close();
    const port = first.server.port;
    return {
      port,
      stop: () => first.server.kill(),
      start: async () => (await startServerProcess(kind, dir, [], port)).client.close(),
      close: () => killAllServerProcesses(),
    };
  }

  for (const kind of ['nodis', 'redis'] as const) {
    it(`on ${kind}: the client reconnects by itself and its commands go through again`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'nodis-ioredis-'));
      const server = await restartable(kind, dir);
      try {
        const r = connect({ kind, host: '127.0.0.1', port: server.port }, { retryStrategy: () => 50 });
        let reconnects = 0;
        r.on('reconnecting', () => reconnects++);
        r.on('error', () => {}); // refused connections while the server is down
        await r.set('before', '1');
        await server.stop();
        await until(() => reconnects > 0, 'ioredis to notice the restart');
        await server.start();
        // The restarted server has no data (no persistence): the client works against it.
        expect(await r.set('after', '2')).toBe('OK');
        expect(await r.mget('before', 'after')).toEqual([null, '2']);
        expect(r.status).toBe('ready');
      } finally {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
