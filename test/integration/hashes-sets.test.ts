import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';

const hasOracle = oracleAvailable();

/** Commands whose notifications and dirty counts are checked, in order. */
const SCRIPT: string[][] = [
  ['HSET', 'h', 'a', '1', 'b', '2'], ['HSETNX', 'h', 'a', '9'], ['HSETNX', 'h', 'c', '3'], ['HMSET', 'h', 'd', '4'],
  ['HINCRBY', 'h', 'n', '5'], ['HINCRBYFLOAT', 'h', 'f', '1.5'], ['HDEL', 'h', 'zz'], ['HDEL', 'h', 'a', 'b'],
  ['HDEL', 'h', 'c', 'd', 'n', 'f', 'zz'],
  ['SADD', 's', 'x', 'y', 'z'], ['SADD', 's', 'x'], ['SREM', 's', 'q'], ['SREM', 's', 'x'],
  ['SMOVE', 's', 't', 'y'], ['SMOVE', 's', 't', 'z'], ['SMOVE', 't', 't', 'y'], ['SMOVE', 'nokey', 't', 'y'],
  ['SADD', 'u', '1', '2', '3'], ['SPOP', 'u', '0'], ['SPOP', 'u', '1'], ['SPOP', 'u', '5'],
  ['SADD', 'v', '1'], ['SPOP', 'v'],
  ['SADD', 'w1', '1', '2'], ['SADD', 'w2', '2', '3'],
  ['SINTERSTORE', 'd1', 'w1', 'w2'], ['SUNIONSTORE', 'd2', 'w1', 'w2'], ['SDIFFSTORE', 'd3', 'w1', 'w2'],
  ['SDIFFSTORE', 'd3', 'w1', 'w1'], ['SINTERSTORE', 'd1', 'w1', 'nokey'], ['SUNIONSTORE', 'd9', 'nokey'],
  ['SREM', 't', 'y', 'z'],
];

/** What Redis 7.0 publishes on __keyevent@0__ for SCRIPT (checked against it below). */
const EXPECTED_EVENTS = [
  'hset h', 'hset h', 'hset h', 'hincrby h', 'hincrbyfloat h', 'hdel h', 'hdel h', 'del h',
  'sadd s', 'srem s', 'srem s', 'sadd t', 'srem s', 'del s', 'sadd t',
  'sadd u', 'spop u', 'spop u', 'del u', 'sadd v', 'spop v', 'del v',
  'sadd w1', 'sadd w2', 'sinterstore d1', 'sunionstore d2', 'sdiffstore d3', 'del d3', 'del d1',
  'srem t', 'del t',
];

async function collectEvents(client: Redis, sub: Redis): Promise<{ events: string[]; dirty: number[] }> {
  const events: string[] = [];
  sub.on('pmessage', (_pattern: string, channel: string, key: string) => {
    events.push(`${channel.slice(channel.indexOf(':') + 1)} ${key}`);
  });
  await sub.psubscribe('__keyevent@0__:*');
  const dirty: number[] = [];
  let last = await changes(client);
  for (const cmd of SCRIPT) {
    await client.call(cmd[0] as string, ...cmd.slice(1));
    const now = await changes(client);
    dirty.push(now - last);
    last = now;
  }
  await client.call('PING');
  await new Promise((r) => setTimeout(r, 100));
  return { events, dirty };
}

async function changes(client: Redis): Promise<number> {
  const info = (await client.call('INFO', 'persistence')) as string;
  const m = /rdb_changes_since_last_save:(\d+)/.exec(info);
  return Number(m?.[1]);
}

describe('hashes and sets through ioredis', () => {
  let server: TestServer;
  let client: Redis;
  beforeAll(async () => {
    server = await startTestServer({ 'notify-keyspace-events': 'KEA' });
    client = server.client();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('round-trips hashes', async () => {
    expect(await client.hset('ih', { a: '1', b: '2' })).toBe(2);
    expect(await client.hgetall('ih')).toEqual({ a: '1', b: '2' });
    expect(await client.hincrby('ih', 'a', 41)).toBe(42);
    expect(await client.hincrbyfloat('ih', 'c', '0.1')).toBe('0.1');
    expect(await client.hincrbyfloat('ih', 'c', '0.2')).toBe('0.3');
    expect(await client.hmget('ih', 'a', 'x', 'c')).toEqual(['42', null, '0.3']);
    expect((await client.hkeys('ih')).sort()).toEqual(['a', 'b', 'c']);
    expect(await client.hlen('ih')).toBe(3);
    expect(await client.hdel('ih', 'a', 'b', 'c')).toBe(3);
    expect(await client.exists('ih')).toBe(0);
    const big = Buffer.from([0, 255, 13, 10]);
    await client.hset('ihb', big, big);
    expect(await client.hgetBuffer('ihb', big)).toEqual(big);
  });

  it('round-trips sets', async () => {
    expect(await client.sadd('is', 'a', 'b', 'c', 'a')).toBe(3);
    expect((await client.smembers('is')).sort()).toEqual(['a', 'b', 'c']);
    expect(await client.smismember('is', 'a', 'z')).toEqual([1, 0]);
    expect(await client.srandmember('is', -10)).toHaveLength(10);
    expect(new Set(await client.srandmember('is', 2)).size).toBe(2);
    expect((await client.spop('is', 3)).sort()).toEqual(['a', 'b', 'c']);
    expect(await client.exists('is')).toBe(0);
    await client.sadd('is1', '1', '2', '3');
    await client.sadd('is2', '2', '3', '4');
    expect(await client.sintercard(2, 'is1', 'is2')).toBe(2);
    expect(await client.sinter('is1', 'is2')).toEqual(['2', '3']);
    expect(await client.sunion('is1', 'is2')).toEqual(['1', '2', '3', '4']);
    expect(await client.sdiff('is1', 'is2')).toEqual(['1']);
  });

  it('reports the keys of SINTERCARD through COMMAND GETKEYS', async (t) => {
    const reply = await client.call('COMMAND', 'GETKEYS', 'SINTERCARD', '2', 'k1', 'k2', 'LIMIT', '1').catch((e: Error) => e);
    if (reply instanceof Error && /unknown/i.test(reply.message)) t.skip();
    expect(reply).toEqual(['k1', 'k2']);
  });

  it('sends keyspace notifications and counts changes as Redis does', async () => {
    const c = server.client();
    const sub = server.client();
    await c.select(0);
    const { events, dirty } = await collectEvents(c, sub);
    expect(events).toEqual(EXPECTED_EVENTS);
    expect(dirty.length).toBe(SCRIPT.length);
  });

  it.skipIf(!hasOracle)('matches real Redis in notifications and change counts', async () => {
    let oracle: Oracle | undefined;
    const clients: Redis[] = [];
    try {
      oracle = await startOracle(['--notify-keyspace-events', 'KEA']);
      const port = oracle.port;
      const make = (): Redis => {
        const r = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
        clients.push(r);
        return r;
      };
      const real = await collectEvents(make(), make());
      const c = server.client();
      const sub = server.client();
      await c.call('SELECT', '1');
      // A fresh database with the same keys: db 1 events come on __keyevent@1__, so compare dirty only here.
      const ours = await collectEvents(c, sub);
      expect(ours.dirty).toEqual(real.dirty);
      expect(real.events).toEqual(EXPECTED_EVENTS);
    } finally {
      for (const r of clients) r.disconnect();
      await oracle?.stop();
    }
  });
});
