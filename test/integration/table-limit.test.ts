/**
 * V8's Map and Set tables stop at 2^24 slots: past 2^23 members in a hash, set or sorted set,
 * a write that would add one answers an error and changes nothing (however many it adds,
 * wherever it takes them from), and a table a command builds on the way that meets V8's limit
 * fails that command, not the server. A database's keys go on into further tables past 2^23.
 * The limit is lowered here (setMaxTableEntriesForTests) to be reached quickly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../src/index.js';
import { RdbWriter } from '../../src/persistence/rdb/index.js';
import { SetValue } from '../../src/types/set.js';
import { MAX_TABLE_ENTRIES, setMaxTableEntriesForTests } from '../../src/types/table-limit.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Above the listpack limits (hash-max-listpack-entries is 512): collections this large are tables.
const LIMIT = 600;
let server: TestServer | null = null;
const dirs: string[] = [];

beforeEach(() => setMaxTableEntriesForTests(LIMIT));
afterEach(async () => {
  setMaxTableEntriesForTests();
  await server?.stop();
  server = null;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('a database past what one table holds', () => {
  it('takes, finds, changes, walks and deletes its keys as below it', async () => {
    server = await startTestServer();
    const c = server.client();
    const count = LIMIT * 3 + 7;
    const pipeline = c.pipeline();
    for (let i = 0; i < count; i++) pipeline.set(`key:${i}`, `v${i}`);
    await pipeline.exec();
    expect(await c.dbsize()).toBe(count);
    const values = await c.mget(...Array.from({ length: count }, (_, i) => `key:${i}`));
    expect(values).toEqual(Array.from({ length: count }, (_, i) => `v${i}`));
    // Keys in the first table and in later ones: written over, expired, renamed, moved, deleted.
    const early = 'key:1';
    const late = `key:${count - 1}`;
    expect(await c.set(late, 'new', 'EX', 100)).toBe('OK');
    expect(await c.ttl(late)).toBeGreaterThan(0);
    expect(await c.setnx(late, 'again')).toBe(0);
    expect(await c.get(late)).toBe('new');
    expect(await c.rename(late, 'renamed')).toBe('OK');
    expect(await c.exists(late)).toBe(0);
    expect(await c.get('renamed')).toBe('new');
    expect(await c.ttl('renamed')).toBeGreaterThan(0);
    expect(await c.del(early, 'key:2')).toBe(2);
    expect(await c.set('fresh', 'f')).toBe('OK');
    expect(await c.rpush('list', 'a', 'b')).toBe(2);
    expect(await c.move(`key:${count - 2}`, 1)).toBe(1);
    expect(await c.dbsize()).toBe(count - 1);
    expect(await c.pexpire(`key:${count - 3}`, 1)).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    expect(await c.get(`key:${count - 3}`)).toBeNull();
    expect(await c.dbsize()).toBe(count - 2);
    // SCAN and KEYS give every key once.
    const scanned = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await c.scan(cursor, 'COUNT', 250);
      for (const key of keys) scanned.add(key);
      cursor = next;
    } while (cursor !== '0');
    expect(scanned.size).toBe(count - 2);
    expect((await c.keys('*')).length).toBe(count - 2);
    expect(typeof (await c.randomkey())).toBe('string');
    // What a save writes, a restart reads back.
    expect(await c.call('DEBUG', 'RELOAD')).toBe('OK');
    expect(await c.dbsize()).toBe(count - 2);
    expect(await c.get('renamed')).toBe('new');
    expect(await c.get(`key:${count - 4}`)).toBe(`v${count - 4}`);
    expect(await c.lrange('list', 0, -1)).toEqual(['a', 'b']);
    expect(await c.flushdb()).toBe('OK');
    expect(await c.dbsize()).toBe(0);
    expect(await c.set('after', '1')).toBe('OK');
    expect(await c.keys('*')).toEqual(['after']);
  });

  it('evicts from every table under maxmemory', async () => {
    server = await startTestServer();
    const c = server.client();
    const pipeline = c.pipeline();
    for (let i = 0; i < LIMIT * 4; i++) pipeline.set(`key:${i}`, 'x'.repeat(100));
    await pipeline.exec();
    const used = Number(/used_memory:(\d+)/.exec(await c.info('memory'))?.[1]);
    await c.config('SET', 'maxmemory-policy', 'allkeys-random');
    await c.config('SET', 'maxmemory', String(used - 100 * 1024));
    expect(await c.set('one-more', 'v')).toBe('OK');
    const left = await c.dbsize();
    expect(left).toBeLessThan(LIMIT * 4);
    expect(left).toBeGreaterThan(0);
    await c.config('SET', 'maxmemory', '0');
  });

  it('starts on a file with more keys in one database than one table holds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodis-limit-'));
    dirs.push(dir);
    const writer = new RdbWriter();
    writer.header();
    writer.selectDb(0, LIMIT * 2, 0);
    for (let i = 0; i < LIMIT * 2; i++) writer.key(`key:${i}`, `v${i}`);
    writeFileSync(join(dir, 'dump.rdb'), Buffer.concat([writer.flush(), writer.end()]));
    const started = await startServer({ port: 0, dir, save: '' });
    try {
      const c = new Redis(started.port, '127.0.0.1');
      try {
        expect(await c.dbsize()).toBe(LIMIT * 2);
        expect(await c.get(`key:${LIMIT * 2 - 1}`)).toBe(`v${LIMIT * 2 - 1}`);
      } finally {
        c.disconnect();
      }
    } finally {
      await started.close();
    }
  });
});

describe('a collection at its most members', () => {
  it('refuses a new member of a large hash, set or sorted set with an error, and takes existing ones', async () => {
    server = await startTestServer();
    const c = server.client();
    const members = Array.from({ length: LIMIT }, (_, i) => `member:${i}`);
    expect(await c.sadd('set', ...members)).toBe(LIMIT);
    expect(await c.hset('hash', ...members.flatMap((m) => [m, 'v']))).toBe(LIMIT);
    expect(await c.zadd('zset', ...members.flatMap((m, i) => [i, m]))).toBe(LIMIT);
    const full = `ERR max number of elements in a collection reached (${LIMIT})`;
    await expect(c.sadd('set', 'one-more')).rejects.toThrow(full);
    await expect(c.hset('hash', 'one-more', 'v')).rejects.toThrow(full);
    await expect(c.zadd('zset', 1, 'one-more')).rejects.toThrow(full);
    await expect(c.zincrby('zset', 1, 'one-more')).rejects.toThrow(full);
    expect(await c.scard('set')).toBe(LIMIT);
    expect(await c.hlen('hash')).toBe(LIMIT);
    expect(await c.zcard('zset')).toBe(LIMIT);
    expect(await c.zscore('zset', 'one-more')).toBeNull();
    expect(await c.sadd('set', 'member:3')).toBe(0);
    expect(await c.hset('hash', 'member:3', 'changed')).toBe(0);
    expect(await c.hget('hash', 'member:3')).toBe('changed');
    expect(await c.zadd('zset', 1000, 'member:3')).toBe(0);
    expect(await c.zscore('zset', 'member:3')).toBe('1000');
    // A new key given more members than the limit: refused, and no empty key left behind.
    const tooMany = Array.from({ length: LIMIT + 1 }, (_, i) => `m${i}`);
    await expect(c.sadd('new-set', ...tooMany)).rejects.toThrow(full);
    await expect(c.hset('new-hash', ...tooMany.flatMap((m) => [m, 'v']))).rejects.toThrow(full);
    await expect(c.zadd('new-zset', ...tooMany.flatMap((m, i) => [i, m]))).rejects.toThrow(full);
    expect(await c.exists('new-set', 'new-hash', 'new-zset')).toBe(0);
    // Several members of which one is new: none is added.
    await expect(c.sadd('set', 'member:5', 'one-more')).rejects.toThrow(full);
    await expect(c.hset('hash', 'member:5', 'x', 'one-more', 'v')).rejects.toThrow(full);
    await expect(c.zadd('zset', 5, 'member:5', 7, 'one-more')).rejects.toThrow(full);
    expect(await c.hget('hash', 'member:5')).toBe('v');
    expect(await c.zscore('zset', 'member:5')).toBe('5');
    expect(await c.zadd('zset', 'XX', 9, 'member:5', 7, 'one-more')).toBe(0);
    expect(await c.zscore('zset', 'member:5')).toBe('9');
    // SMOVE into a full set keeps the member in its source.
    await c.sadd('small', 'one-more');
    await expect(c.smove('small', 'set', 'one-more')).rejects.toThrow(full);
    expect(await c.smembers('small')).toEqual(['one-more']);
    expect(await c.srem('set', 'member:4')).toBe(1);
    expect(await c.smove('small', 'set', 'one-more')).toBe(1);
    expect(await c.exists('small')).toBe(0);
    // The counts the server keeps agree with the members.
    expect((await c.smembers('set')).length).toBe(LIMIT);
    expect(MAX_TABLE_ENTRIES).toBe(2 ** 23);
    expect(Number(await c.call('MEMORY', 'USAGE', 'set'))).toBeGreaterThan(0);
  });
});

describe("V8's own limit met in a table a command builds", () => {
  it('fails that command with an error and the server goes on', async () => {
    setMaxTableEntriesForTests();
    server = await startTestServer();
    const c = server.client();
    await c.sadd('s', 'a', 'b');
    const add = SetValue.prototype.add;
    SetValue.prototype.add = () => {
      throw new RangeError('Set maximum size exceeded');
    };
    try {
      await expect(c.sadd('s', 'c')).rejects.toThrow(`ERR max number of elements in a table reached (${2 ** 24})`);
    } finally {
      SetValue.prototype.add = add;
    }
    expect(await c.sadd('s', 'c')).toBe(1);
    expect(await c.ping()).toBe('PONG');
    const stats = await c.info('commandstats');
    expect(stats).toMatch(/cmdstat_sadd:calls=\d+,usec=[\d.]+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=1/);
  });
});
