import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { Database } from '../../src/keyspace/database.js';

describe('string commands through ioredis', () => {
  let server: TestServer;
  let redis: Redis;
  /** Keyspace events in the order the server raised them, as "class event key". */
  let events: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    redis = server.client();
    const inner = server.running.server as unknown as { notify: (db: Database, type: string, event: string, key: string) => void };
    inner.notify = (_db, type, event, key) => {
      events.push(`${type} ${event} ${key}`);
    };
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    await redis.flushall();
    events = [];
  });

  function db0(): Database {
    return server.running.server.databases[0] as Database;
  }

  it('sets and gets binary values', async () => {
    const value = Buffer.from([0, 1, 2, 0xfe, 0xff, 13, 10]);
    expect(await redis.set(Buffer.from([0xff, 0]), value)).toBe('OK');
    expect(await redis.getBuffer(Buffer.from([0xff, 0]))).toEqual(value);
    expect(await redis.strlen(Buffer.from([0xff, 0]))).toBe(7);
    expect(await redis.append(Buffer.from([0xff, 0]), Buffer.from([0x80]))).toBe(8);
    expect(await redis.getrangeBuffer(Buffer.from([0xff, 0]), -2, -1)).toEqual(Buffer.from([10, 0x80]));
  });

  it('SET options set absolute expiry times', async () => {
    const before = Date.now();
    await redis.set('k', 'v', 'EX', 100);
    const after = Date.now();
    const at = db0().getExpire('k') as number;
    expect(at).toBeGreaterThanOrEqual(before + 100_000);
    expect(at).toBeLessThanOrEqual(after + 100_000);
    await redis.set('k', 'v2', 'KEEPTTL');
    expect(db0().getExpire('k')).toBe(at);
    await redis.set('k', 'v3');
    expect(db0().getExpire('k')).toBeUndefined();
    await redis.set('k', 'v', 'PXAT', 4_000_000_000_000);
    expect(db0().getExpire('k')).toBe(4_000_000_000_000);
    await redis.set('k', 'v', 'EXAT', 4_000_000_000);
    expect(db0().getExpire('k')).toBe(4_000_000_000_000);
    expect(await redis.set('k', 'w', 'XX', 'GET')).toBe('v');
    expect(await redis.set('k', 'x', 'NX')).toBeNull();
    await expect(redis.set('k', 'v', 'EX', 0)).rejects.toThrow("ERR invalid expire time in 'set' command");
  });

  it('GETEX changes or removes the expiry', async () => {
    await redis.set('k', 'v');
    expect(await redis.getex('k', 'PX', 50_000)).toBe('v');
    expect(db0().getExpire('k')).toBeGreaterThan(Date.now());
    expect(await redis.getex('k', 'PERSIST')).toBe('v');
    expect(db0().getExpire('k')).toBeUndefined();
    expect(await redis.getex('k', 'EXAT', 1)).toBe('v');
    expect(await redis.exists('k')).toBe(0);
    expect(await redis.getex('k')).toBeNull();
  });

  it('counts with INCR family beyond 2^53 and stops at 64 bits', async () => {
    expect(await redis.incr('n')).toBe(1);
    expect(await redis.incrby('n', 41)).toBe(42);
    expect(await redis.decrby('n', 50)).toBe(-8);
    expect(await redis.decr('n')).toBe(-9);
    await redis.set('n', '9007199254740992');
    await redis.incr('n');
    expect(await redis.get('n')).toBe('9007199254740993');
    await redis.set('n', '9223372036854775806');
    await redis.incr('n');
    expect(await redis.get('n')).toBe('9223372036854775807');
    await expect(redis.incr('n')).rejects.toThrow('ERR increment or decrement would overflow');
    await expect(redis.decrby('n', '-9223372036854775808')).rejects.toThrow('ERR decrement would overflow');
    await redis.set('s', 'abc');
    await expect(redis.incr('s')).rejects.toThrow('ERR value is not an integer or out of range');
    await redis.sadd('set', 'm');
    await expect(redis.incr('set')).rejects.toThrow('WRONGTYPE');
  });

  it('INCRBYFLOAT prints like Redis', async () => {
    expect(await redis.incrbyfloat('f', '0.1')).toBe('0.1');
    expect(await redis.incrbyfloat('f', '0.2')).toBe('0.3');
    expect(await redis.incrbyfloat('f', '-0.3')).toBe('0');
    expect(await redis.incrbyfloat('f', '5.0e3')).toBe('5000');
    await expect(redis.incrbyfloat('f', 'inf')).rejects.toThrow('ERR increment would produce NaN or Infinity');
    await expect(redis.incrbyfloat('f', 'x')).rejects.toThrow('ERR value is not a valid float');
    expect(await redis.get('f')).toBe('5000');
  });

  it('MSET/MSETNX/MGET', async () => {
    expect(await redis.mset('a', '1', 'b', '2')).toBe('OK');
    expect(await redis.msetnx('b', '3', 'c', '4')).toBe(0);
    expect(await redis.msetnx('c', '3', 'd', '4')).toBe(1);
    await redis.sadd('s', 'm');
    expect(await redis.mget('a', 'b', 'c', 'd', 's', 'missing')).toEqual(['1', '2', '3', '4', null, null]);
  });

  it('SETRANGE pads with zero bytes; GETRANGE clamps', async () => {
    expect(await redis.setrange('k', 3, 'ab')).toBe(5);
    expect(await redis.getBuffer('k')).toEqual(Buffer.from([0, 0, 0, 0x61, 0x62]));
    expect(await redis.setrange('k', 1, 'XYZW')).toBe(5);
    expect(await redis.get('k')).toBe('\0XYZW');
    expect(await redis.getrange('k', -100, 100)).toBe('\0XYZW');
    expect(await redis.call('SUBSTR', 'k', 1, 2)).toBe('XY');
    await expect(redis.setrange('k', 536870912, 'x')).rejects.toThrow('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
  });

  it('LCS', async () => {
    await redis.mset('a', 'ohmytext', 'b', 'mynewtext');
    expect(await redis.call('LCS', 'a', 'b')).toBe('mytext');
    expect(await redis.call('LCS', 'a', 'b', 'LEN')).toBe(6);
    expect(await redis.call('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN')).toEqual([
      'matches', [[[4, 7], [5, 8], 4]], 'len', 6,
    ]);
  });

  it('raises keyspace events in Redis order', async () => {
    await redis.set('k', '1', 'EX', 100);
    await redis.set('k', '2', 'GET');
    await redis.incr('k');
    await redis.append('k', '0');
    await redis.setrange('k', 0, '9');
    await redis.incrbyfloat('k', '0.5');
    await redis.getex('k', 'EX', 10);
    await redis.getex('k', 'PERSIST');
    await redis.getex('k', 'PERSIST');
    await redis.getdel('k');
    await redis.getdel('k');
    await redis.mset('a', '1', 'b', '2');
    await redis.setnx('a', '1');
    await redis.setex('c', 10, 'v');
    await redis.getset('c', 'w');
    await redis.set('d', 'v', 'PXAT', 1);
    await redis.get('d');
    await redis.set('e', 'v');
    await redis.getex('e', 'PXAT', 1);
    expect(events).toEqual([
      'n new k', '$ set k', 'g expire k',
      '$ set k',
      '$ incrby k',
      '$ append k',
      '$ setrange k',
      '$ incrbyfloat k',
      'g expire k',
      'g persist k',
      'g del k',
      'm keymiss k',
      'n new a', '$ set a', 'n new b', '$ set b',
      'n new c', '$ set c', 'g expire c',
      '$ set c',
      'n new d', '$ set d', 'g expire d',
      'x expired d', 'm keymiss d',
      'n new e', '$ set e',
      'g del e',
    ]);
  });

  it('counts changes in dirty as Redis does', async () => {
    const inner = server.running.server;
    const start = inner.dirty;
    await redis.set('k', 'v', 'EX', 10); // 1
    await redis.set('k', 'v', 'NX'); // 0
    await redis.mset('a', '1', 'b', '2', 'c', '3'); // 3
    await redis.msetnx('a', '1', 'z', '2'); // 0
    await redis.getex('k'); // 0
    await redis.getex('k', 'PERSIST'); // 1
    await redis.getex('k', 'PERSIST'); // 0
    await redis.setrange('k', 0, ''); // 0
    await redis.append('k', 'x'); // 1
    await redis.getdel('missing'); // 0
    await redis.getdel('k'); // 1
    expect(inner.dirty - start).toBe(7);
  });
});
