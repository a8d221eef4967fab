import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('SORT and SORT_RO through ioredis', () => {
  let server: TestServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startTestServer();
    redis = server.client();
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    await redis.flushall();
  });

  it('sorts numbers, text and ranges', async () => {
    await redis.rpush('l', '10', '2', '-1.5', '2', '1e2');
    expect(await redis.sort('l')).toEqual(['-1.5', '2', '2', '10', '1e2']);
    expect(await redis.sort('l', 'DESC', 'LIMIT', '1', '2')).toEqual(['10', '2']);
    expect(await redis.sort('l', 'ALPHA')).toEqual(['-1.5', '10', '1e2', '2', '2']);
    expect(await redis.sort_ro('l', 'BY', 'nosort', 'DESC')).toEqual(['1e2', '2', '-1.5', '2', '10']);
    await redis.rpush('bad', 'x', '1');
    await expect(redis.sort('bad')).rejects.toThrow("ERR One or more scores can't be converted into double");
    expect(await redis.sort('bad', 'ALPHA')).toEqual(['1', 'x']);
  });

  it('sorts users by hash fields and gets other fields', async () => {
    const users = [['1', 'ann', '31'], ['2', 'bob', '25'], ['3', 'cid', '47']];
    for (const [id, name, age] of users) await redis.hset(`user:${id as string}`, 'name', name as string, 'age', age as string);
    await redis.sadd('ids', '1', '2', '3', '4');
    expect(await redis.sort('ids', 'BY', 'user:*->age', 'GET', '#', 'GET', 'user:*->name')).toEqual(
      ['4', null, '2', 'bob', '1', 'ann', '3', 'cid'],
    );
    expect(await redis.sort('ids', 'BY', 'user:*->name', 'ALPHA', 'DESC', 'LIMIT', '0', '2', 'GET', 'user:*->age')).toEqual(['47', '25']);
  });

  it('stores a list and deletes an emptied destination', async () => {
    await redis.zadd('z', '3', 'c', '1', 'a', '2', 'b');
    await redis.set('dst', 'old');
    await redis.expire('dst', 100);
    expect(await redis.sort('z', 'BY', 'nosort', 'DESC', 'STORE', 'dst')).toBe(3);
    expect(await redis.type('dst')).toBe('list');
    expect(await redis.ttl('dst')).toBe(-1);
    expect(await redis.lrange('dst', 0, -1)).toEqual(['c', 'b', 'a']);
    expect(await redis.object('ENCODING', 'z')).toBe('skiplist');
    expect(await redis.sort('nokey', 'STORE', 'dst')).toBe(0);
    expect(await redis.exists('dst')).toBe(0);
    await redis.sadd('s', 'b', 'c', 'a');
    expect(await redis.sort('s', 'BY', 'nosort', 'STORE', 'dst')).toBe(3);
    expect(await redis.lrange('dst', 0, -1)).toEqual(['a', 'b', 'c']);
  });

  it('answers errors and key positions', async () => {
    await redis.set('str', 'v');
    await expect(redis.sort('str')).rejects.toThrow('WRONGTYPE');
    await expect(redis.sort('str', 'NOPE')).rejects.toThrow('ERR syntax error');
    await expect(redis.call('SORT_RO', 'l', 'STORE', 'd')).rejects.toThrow('ERR syntax error');
    await expect(redis.sort('l', 'LIMIT', '0', 'x')).rejects.toThrow('ERR value is not an integer or out of range');
    expect(await redis.call('COMMAND', 'GETKEYS', 'SORT', 'a', 'STORE', 'b', 'STORE', 'c')).toEqual(['a', 'c']);
    expect(await redis.call('COMMAND', 'GETKEYS', 'SORT_RO', 'a', 'GET', 'x*')).toEqual(['a']);
    const [info] = (await redis.call('COMMAND', 'INFO', 'sort')) as unknown[][];
    expect(info?.slice(0, 6)).toEqual(['sort', -2, ['write', 'denyoom', 'movablekeys'], 1, 1, 1]);
  });

  it('sorts 10k elements in full', async () => {
    const values = Array.from({ length: 10000 }, (_, i) => String((i * 7919) % 10007));
    await redis.rpush('big', ...values);
    const sorted = await redis.sort('big');
    expect(sorted).toEqual([...values].sort((a, b) => Number(a) - Number(b)));
    expect(await redis.sort('big', 'ALPHA', 'STORE', 'big2')).toBe(10000);
    expect(await redis.lrange('big2', 0, 2)).toEqual([...values].sort().slice(0, 3));
  });
});
