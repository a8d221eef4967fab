/**
 * V8's Map and Set tables stop at 2^24 slots: past 2^23 keys in a database, or members in a
 * hash, set or sorted set, a write that would add one answers an error and changes nothing
 * (however many it adds, wherever it takes them from), and a table a command builds on the way
 * that meets V8's limit fails that command, not the server. The limit is lowered here
 * (setMaxTableEntriesForTests) to be reached quickly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

async function filled(): Promise<TestServer> {
  server = await startTestServer();
  const c = server.client();
  const pipeline = c.pipeline();
  for (let i = 0; i < LIMIT; i++) pipeline.set(`key:${i}`, 'v');
  await pipeline.exec();
  return server;
}

describe('a database at its most keys', () => {
  it('refuses a new key with an error and changes nothing, while existing keys are still written and other databases take keys', async () => {
    const c = (await filled()).client();
    expect(await c.dbsize()).toBe(LIMIT);
    await expect(c.set('one-more', 'v')).rejects.toThrow(`ERR max number of keys in a database reached (${LIMIT})`);
    await expect(c.set('one-more', 'v', 'EX', 100)).rejects.toThrow('ERR max number of keys in a database reached');
    await expect(c.hset('one-more', 'f', 'v')).rejects.toThrow('ERR max number of keys in a database reached');
    await expect(c.rpush('one-more', 'a')).rejects.toThrow('ERR max number of keys in a database reached');
    expect(await c.exists('one-more')).toBe(0);
    expect(await c.dbsize()).toBe(LIMIT);
    // Overwriting, expiring and renaming within the database add no key.
    expect(await c.set('key:0', 'new', 'EX', 100)).toBe('OK');
    expect(await c.rename('key:1', 'renamed')).toBe('OK');
    expect(await c.get('renamed')).toBe('v');
    // A key removed makes room for one.
    expect(await c.del('key:2')).toBe(1);
    expect(await c.set('one-more', 'v')).toBe('OK');
    expect(await c.dbsize()).toBe(LIMIT);
    await c.select(1);
    expect(await c.set('elsewhere', 'v')).toBe('OK');
    expect(await c.ping()).toBe('PONG');
  });

  it('refuses what would move a key or an element into it, leaving the source as it was', async () => {
    const c = (await filled()).client();
    const full = 'ERR max number of keys in a database reached';
    await c.del('key:0', 'key:1');
    await c.rpush('list', 'only');
    await c.sadd('set', 'member');
    expect(await c.dbsize()).toBe(LIMIT);
    await expect(c.lmove('list', 'new-list', 'LEFT', 'LEFT')).rejects.toThrow(full);
    await expect(c.rpoplpush('list', 'new-list')).rejects.toThrow(full);
    await expect(c.blmove('list', 'new-list', 'LEFT', 'LEFT', 0)).rejects.toThrow(full);
    expect(await c.lrange('list', 0, -1)).toEqual(['only']);
    // The only member of a set moved to a new key frees the key it takes.
    expect(await c.smove('set', 'new-set', 'member')).toBe(1);
    expect(await c.exists('set')).toBe(0);
    expect(await c.sadd('new-set', 'second')).toBe(1);
    await expect(c.smove('new-set', 'newer-set', 'member')).rejects.toThrow(full);
    expect(await c.smembers('new-set')).toEqual(expect.arrayContaining(['member', 'second']));
    expect(await c.exists('newer-set')).toBe(0);
    // GET's reply would go out before the write: the whole command is refused, one reply.
    await expect(c.set('fresh', 'v', 'GET')).rejects.toThrow(full);
    await expect(c.getset('fresh', 'v')).rejects.toThrow(full);
    expect(await c.set('fresh', 'v', 'XX', 'GET')).toBeNull();
    expect(await c.set('key:5', 'w', 'GET')).toBe('v');
    expect(await c.getset('key:5', 'x')).toBe('w');
    expect(await c.exists('fresh')).toBe(0);
    await expect(c.mset('new-a', '1', 'new-b', '2')).rejects.toThrow(full);
    await expect(c.msetnx('new-a', '1', 'new-b', '2')).rejects.toThrow(full);
    expect(await c.exists('new-a', 'new-b', 'new-list')).toBe(0);
    // MSET over keys that are there adds none.
    expect(await c.mset('key:2', 'x', 'key:3', 'y')).toBe('OK');
    // MOVE into a full database keeps the key where it is.
    const other = server?.client({ db: 1 }) as NonNullable<ReturnType<TestServer['client']>>;
    await other.set('mover', 'v');
    expect(await c.dbsize()).toBe(LIMIT);
    await expect(other.move('mover', 0)).rejects.toThrow(full);
    expect(await other.get('mover')).toBe('v');
    expect(await c.exists('mover')).toBe(0);
    expect(await c.dbsize()).toBe(LIMIT);
    // A blocked BLMOVE served by a push that filled the database: the new destination is
    // refused to the blocked client, and the element stays where it was pushed.
    const blocked = server?.client() as NonNullable<ReturnType<TestServer['client']>>;
    const waiting = blocked.blmove('queue', 'new-queue', 'LEFT', 'LEFT', 0).then(
      () => null,
      (err: Error) => err.message,
    );
    await new Promise((r) => setTimeout(r, 50));
    await c.del('key:2');
    expect(await c.rpush('queue', 'job')).toBe(1);
    expect(await waiting).toBe(`ERR max number of keys in a database reached (${LIMIT})`);
    expect(await c.lrange('queue', 0, -1)).toEqual(['job']);
    expect(await c.exists('new-queue')).toBe(0);
    // With room for its destination, the next one is served.
    await c.del('key:3');
    expect(await blocked.blmove('queue', 'new-queue', 'LEFT', 'LEFT', 0)).toBe('job');
    expect(await c.exists('queue')).toBe(0);
    expect(await c.ping()).toBe('PONG');
  });

  it('refuses to start on a file with more keys in one database, saying so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodis-limit-'));
    dirs.push(dir);
    const writer = new RdbWriter();
    writer.header();
    writer.selectDb(0, LIMIT + 1, 0);
    for (let i = 0; i <= LIMIT; i++) writer.key(`key:${i}`, 'v');
    writeFileSync(join(dir, 'dump.rdb'), Buffer.concat([writer.flush(), writer.end()]));
    await expect(startServer({ port: 0, dir, save: '' })).rejects.toThrow(
      `Fatal error loading the DB (${join(dir, 'dump.rdb')}): the RDB file is corrupt or unsupported: DB 0 has more keys than a database holds (${LIMIT}). Exiting.`,
    );
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
