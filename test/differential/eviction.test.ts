/**
 * maxmemory eviction against Redis 7.0, where its outcome does not depend on memory figures:
 * with maxmemory 1 every key a policy may evict goes, whatever the server's baseline, and
 * what is left, the errors, the events and the statistics must be Redis's.
 */
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import { infoField } from '../helpers/aof.js';
import type { RespValue } from '../helpers/resp.js';

const hasOracle = oracleAvailable();
const OOM = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";

/** Keys with and without a TTL, of several types, in two databases. */
const DATASET: Step[] = [
  ['FLUSHALL'],
  ['SET', 'plain', 'v'], ['RPUSH', 'list', 'a', 'b'], ['HSET', 'hash', 'f', 'v'],
  ['SET', 'short', 'v', 'EX', '1000'], ['SET', 'long', 'v', 'EX', '3000'], ['SADD', 'set', 'm'], ['EXPIRE', 'set', '2000'],
  ['SELECT', '3'], ['SET', 'other', 'v'], ['SET', 'other-ttl', 'v', 'PX', '5000000'], ['SELECT', '0'],
];

describe.skipIf(!hasOracle)('differential: maxmemory eviction', () => {
  const servers = differentialPair();

  for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) {
    it(`${policy} evicts every key with a TTL and none without, then answers OOM to writes; reads and deletes keep working`, async () => {
      await servers.same([
        ...DATASET,
        ['CONFIG', 'SET', 'maxmemory-policy', policy],
        ['CONFIG', 'SET', 'maxmemory', '1'],
        ['SET', 'new', 'v'],
        ['DBSIZE'], ['EXISTS', 'short', 'long', 'set'], ['EXISTS', 'plain', 'list', 'hash'],
        ['GET', 'plain'], ['LRANGE', 'list', '0', '-1'], ['HGETALL', 'hash'], ['TTL', 'plain'],
        ['RPUSH', 'list', 'c'], ['INCR', 'counter'], ['HSET', 'hash', 'g', 'w'], ['EXPIRE', 'plain', '100'],
        ['SELECT', '3'], ['DBSIZE'], ['EXISTS', 'other', 'other-ttl'], ['SELECT', '0'],
        ['DEL', 'plain'], ['DBSIZE'],
        ['CONFIG', 'SET', 'maxmemory', '0'],
        ['SET', 'new', 'v'], ['GET', 'new'],
        ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
      ]);
    });
  }

  for (const policy of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random']) {
    it(`${policy} evicts every key of every database, then answers OOM to writes`, async () => {
      await servers.same([
        ...DATASET,
        ['CONFIG', 'SET', 'maxmemory-policy', policy],
        ['CONFIG', 'SET', 'maxmemory', '1'],
        ['PING'], ['DBSIZE'], ['GET', 'plain'], ['SELECT', '3'], ['DBSIZE'], ['SELECT', '0'],
        ['SET', 'new', 'v'], ['DBSIZE'],
        ['CONFIG', 'SET', 'maxmemory', '0'],
        ['SET', 'new', 'v'], ['DBSIZE'],
        ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
      ]);
    });
  }

  it('noeviction keeps every key: writes answer OOM, reads, deletes and non-growing writes run', async () => {
    const results = await servers.run([
      ...DATASET,
      ['CONFIG', 'SET', 'maxmemory', '1'],
      ['SET', 'new', 'v'], ['APPEND', 'plain', 'x'], ['SADD', 'set', 'n'], ['SETEX', 'k', '10', 'v'],
      ['DBSIZE'], ['GET', 'plain'], ['MGET', 'plain', 'nokey'], ['SMEMBERS', 'set'], ['EXISTS', 'short'],
      ['EXPIRE', 'plain', '100'], ['PERSIST', 'plain'], ['LPOP', 'list'], ['DEL', 'hash'], ['DBSIZE'],
      ['MULTI'], ['GET', 'plain'], ['EXEC'],
      ['CONFIG', 'SET', 'maxmemory', '0'],
    ]);
    for (const r of results) expect(r.nodis, JSON.stringify(r.step)).toBe(r.redis);
    expect(results.filter((r) => r.nodis === OOM).map((r) => r.step)).toEqual([
      ['SET', 'new', 'v'], ['APPEND', 'plain', 'x'], ['SADD', 'set', 'n'], ['SETEX', 'k', '10', 'v'], ['GET', 'plain'],
    ]);
  });

  it('fires the evicted keyspace event (class e), keyspace and keyevent', async () => {
    const events = async (port: number): Promise<string[]> => {
      const cmd = await RawClient.connect(port);
      const sub = await RawClient.connect(port);
      try {
        await cmd.call('FLUSHALL');
        for (const key of ['a', 'b', 'c']) await cmd.call('SET', key, 'v');
        await cmd.call('SELECT', '2');
        await cmd.call('SET', 'd', 'v');
        await cmd.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEe');
        await sub.call('PSUBSCRIBE', '__key*__:*');
        await cmd.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random');
        await cmd.call('CONFIG', 'SET', 'maxmemory', '1');
        await cmd.call('PING');
        await cmd.call('CONFIG', 'SET', 'maxmemory', '0');
        await cmd.call('PUBLISH', '__keyend__:x', 'end');
        const seen: string[] = [];
        for (;;) {
          const msg = (await sub.read()) as RespValue[];
          if (String(msg[2]) === '__keyend__:x') break;
          seen.push(`${String(msg[2])} ${String(msg[3])}`);
        }
        return seen.sort();
      } finally {
        await cmd.call('CONFIG', 'SET', 'notify-keyspace-events', '');
        await cmd.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
        cmd.close();
        sub.close();
      }
    };
    const nodis = await events(servers.nodis.port);
    expect(nodis).toEqual(await events(servers.redis.port));
    expect(nodis).toEqual([
      '__keyevent@0__:evicted a', '__keyevent@0__:evicted b', '__keyevent@0__:evicted c', '__keyevent@2__:evicted d',
      '__keyspace@0__:a evicted', '__keyspace@0__:b evicted', '__keyspace@0__:c evicted', '__keyspace@2__:d evicted',
    ]);
  });

  it('counts evicted_keys and the time spent over maxmemory in INFO; INFO memory shows the limit and policy', async () => {
    const stats = async (port: number): Promise<Record<string, number | string>> => {
      const c = await RawClient.connect(port);
      try {
        await c.call('FLUSHALL');
        await c.call('CONFIG', 'RESETSTAT');
        for (let i = 0; i < 20; i++) await c.call('SET', `k${i}`, 'v', ...(i < 15 ? ['EX', '1000'] : []));
        await c.call('CONFIG', 'SET', 'maxmemory-policy', 'volatile-lru');
        await c.call('CONFIG', 'SET', 'maxmemory', '1');
        // Nothing left to evict: memory stays over the limit while this sleeps. The sleep is longer than
        // the 100 ms checked below because a Node timer can fire a little before its delay has passed
        // (it counts from the event loop's cached time), which made Redis's own figure read 99.
        const refused = await c.callRaw('SET', 'x', 'y');
        await new Promise((resolve) => setTimeout(resolve, 150));
        const during = (await c.call('INFO', 'stats')) as string;
        const memory = (await c.call('INFO', 'memory')) as string;
        await c.call('CONFIG', 'SET', 'maxmemory', '0');
        const after = (await c.call('INFO', 'stats')) as string;
        await c.call('CONFIG', 'RESETSTAT');
        const reset = (await c.call('INFO', 'stats')) as string;
        await c.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
        const num = (info: string, name: string): number => Number(infoField(info, name));
        return {
          refused,
          evicted: num(during, 'evicted_keys'),
          dbsize: Number(await c.call('DBSIZE')),
          currentAtLeast100: Number(num(during, 'current_eviction_exceeded_time') >= 100),
          totalAtLeastCurrent: Number(num(during, 'total_eviction_exceeded_time') >= num(during, 'current_eviction_exceeded_time')),
          // With maxmemory back at 0 no command looks at memory: the period stays open, as in Redis.
          stillOpen: Number(num(after, 'current_eviction_exceeded_time') >= 100),
          afterReset: `${num(reset, 'evicted_keys')} ${num(reset, 'total_eviction_exceeded_time')} ${num(reset, 'current_eviction_exceeded_time')}`,
          maxmemory: infoField(memory, 'maxmemory') as string,
          maxmemoryHuman: infoField(memory, 'maxmemory_human') as string,
          policy: infoField(memory, 'maxmemory_policy') as string,
          notCounted: infoField(memory, 'mem_not_counted_for_evict') as string,
        };
      } finally {
        c.close();
      }
    };
    const nodis = await stats(servers.nodis.port);
    expect(nodis).toEqual(await stats(servers.redis.port));
    expect(nodis).toMatchObject({ refused: OOM, evicted: 15, dbsize: 5, currentAtLeast100: 1, maxmemory: '1', maxmemoryHuman: '1B', policy: 'volatile-lru' });
  });

  it('evicts nothing while clients are paused, and evicts once they are not', async () => {
    await servers.same([
      ['FLUSHALL'], ['SET', 'a', 'v'], ['SET', 'b', 'v'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random'],
      ['CLIENT', 'PAUSE', '10000', 'WRITE'],
      ['CONFIG', 'SET', 'maxmemory', '1'],
      ['DBSIZE'], ['GET', 'a'],
      ['CLIENT', 'UNPAUSE'],
      ['PING'], ['DBSIZE'],
      ['CONFIG', 'SET', 'maxmemory', '0'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
    ]);
  });

  it('an evicted key counts as modified: WATCH fails the transaction', async () => {
    await servers.same([
      ['FLUSHALL'], ['SET', 'watched', 'v'], ['SET', 'other', 'v'],
      ['WATCH', 'watched'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random'],
      ['CONFIG', 'SET', 'maxmemory', '1'],
      ['CONFIG', 'SET', 'maxmemory', '0'],
      ['EXISTS', 'watched'],
      ['MULTI'], ['PING'], ['EXEC'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
    ]);
  });

  it('an evicted key is invalidated for clients that track it', async () => {
    const invalidations = async (port: number): Promise<string> => {
      const tracker = await RawClient.connect(port);
      const admin = await RawClient.connect(port);
      try {
        await admin.call('FLUSHALL');
        await admin.call('SET', 'cached', 'v');
        await tracker.call('HELLO', '3');
        await tracker.call('CLIENT', 'TRACKING', 'ON');
        await tracker.call('GET', 'cached');
        await admin.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
        await admin.call('CONFIG', 'SET', 'maxmemory', '1');
        await admin.call('PING');
        await admin.call('CONFIG', 'SET', 'maxmemory', '0');
        await admin.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
        return await tracker.readRaw();
      } finally {
        tracker.close();
        admin.close();
      }
    };
    const nodis = await invalidations(servers.nodis.port);
    expect(nodis).toBe(await invalidations(servers.redis.port));
    expect(nodis).toBe('>2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\ncached\r\n');
  });
});
