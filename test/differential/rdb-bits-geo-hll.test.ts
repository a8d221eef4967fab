/**
 * Bitmaps, bit fields, HyperLogLogs and geo sets in RDB files, between nodis and Redis 7.0:
 * the same commands build the same keys on both; each server's dump.rdb is loaded by the
 * other, and every key must then be what the loading server's own copy is (DEBUG DIGEST-VALUE,
 * which both compute alike, plus the values read back). Bitmaps changed in place are held
 * apart from plain strings in nodis, and HLLs carry a cached count in their header: both must
 * reach the file as Redis writes them.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const hasOracle = oracleAvailable();
/** One expiry time for both servers' copies. */
const EXPIRE_AT = Date.now() + 30 * 86400_000;

/** Commands that build the dataset, the same on both servers. */
function datasetCommands(): string[][] {
  const commands: string[][] = [
    // Bitmaps: small (kept inline), large (a growable buffer), changed by every kind of writer.
    ['SETBIT', 'bm:small', '7', '1'],
    ['SETBIT', 'bm:small', '100', '1'],
    ['SETBIT', 'bm:large', '0', '1'],
    ['SETBIT', 'bm:large', '1000003', '1'],
    ['SETBIT', 'bm:large', '777777', '1'],
    ['SETBIT', 'bm:large', '1000003', '0'],
    ['BITFIELD', 'bf', 'SET', 'u8', '0', '255', 'INCRBY', 'i16', '100', '-5', 'SET', 'i64', '1000', '-42', 'OVERFLOW', 'SAT', 'INCRBY', 'u4', '#3', '99'],
    ['SETRANGE', 'sr', '5000', 'hello'],
    ['SET', 'ap', 'plain'],
    ['APPEND', 'ap', 'x'.repeat(300)],
    ['APPEND', 'ap', '0123456789'],
    ['SET', 'bm:ttl', ''],
    ['SETBIT', 'bm:ttl', '4095', '1'],
    ['PEXPIREAT', 'bm:ttl', String(EXPIRE_AT)],
    // Integers that a bit change made no longer integers.
    ['SET', 'num', '12345'],
    ['SETBIT', 'num', '3', '1'],
    ['BITOP', 'OR', 'bm:or', 'bm:small', 'bm:large'],
    // HyperLogLogs: sparse, dense, with and without a cached count, merged.
    ['PFADD', 'hll:sparse', 'a', 'b', 'c', 'd'],
    ['PFADD', 'hll:counted', 'x', 'y'],
    ['PFCOUNT', 'hll:counted'],
    ['PFADD', 'hll:empty'],
  ];
  for (let i = 0; i < 5000; i += 500) commands.push(['PFADD', 'hll:dense', ...Array.from({ length: 500 }, (_, j) => `member:${i + j}`)]);
  commands.push(['PFCOUNT', 'hll:dense']);
  commands.push(['PFMERGE', 'hll:merged', 'hll:sparse', 'hll:dense']);
  // Geo: ordinary points, the edges of the valid range, and a stored search.
  const geoadd = ['GEOADD', 'geo'];
  for (let i = 0; i < 60; i++) geoadd.push(String(-179.5 + i * 5.97), String(-85 + i * 2.8), `place:${i}`);
  geoadd.push('180', '85.05112878', 'corner:ne', '-180', '-85.05112878', 'corner:sw', '0', '0', 'origin');
  commands.push(geoadd);
  commands.push(['GEOSEARCHSTORE', 'geo:near', 'geo', 'FROMLONLAT', '0', '0', 'BYRADIUS', '3000', 'km', 'ASC']);
  return commands;
}

const KEYS = [
  'bm:small', 'bm:large', 'bf', 'sr', 'ap', 'bm:ttl', 'num', 'bm:or',
  'hll:sparse', 'hll:counted', 'hll:empty', 'hll:dense', 'hll:merged', 'geo', 'geo:near',
];

async function build(client: Redis): Promise<void> {
  for (const argv of datasetCommands()) await client.call(argv[0] as string, ...argv.slice(1));
}

/** What a key holds, read back through commands: its type, bytes or members, and expiry time. */
async function readBack(client: Redis, key: string): Promise<unknown> {
  const type = await client.type(key);
  const ttl = await client.call('PEXPIRETIME', key);
  const digest = await client.call('DEBUG', 'DIGEST-VALUE', key);
  if (type === 'string') return { type, ttl, digest, bytes: (await client.getBuffer(key))?.toString('hex') };
  return { type, ttl, digest, members: await client.zrange(key, 0, -1, 'WITHSCORES') };
}

async function readAll(client: Redis): Promise<Record<string, unknown>> {
  const all: Record<string, unknown> = {};
  for (const key of KEYS) all[key] = await readBack(client, key);
  return all;
}

/** What the loaded values do next: a bit change, counts, a search. */
async function useAfterLoad(client: Redis): Promise<unknown[]> {
  return [
    await client.setbit('bm:large', 1000003, 1),
    await client.bitcount('bm:large'),
    await client.call('BITFIELD', 'bf', 'GET', 'i64', '1000', 'INCRBY', 'u8', '0', '1'),
    await client.pfadd('hll:sparse', 'e', 'a'),
    await client.pfcount('hll:sparse'),
    await client.pfcount('hll:dense', 'hll:counted'),
    await client.pfadd('hll:dense', 'new-member'),
    await client.call('GEOSEARCH', 'geo', 'FROMMEMBER', 'origin', 'BYBOX', '4000', '4000', 'km', 'ASC', 'WITHDIST'),
    await client.call('DEBUG', 'DIGEST'),
  ];
}

describe.skipIf(!hasOracle)('bitmaps, HyperLogLogs and geo sets in RDB files, between nodis and Redis 7.0', () => {
  let redis: Oracle;
  let nodis: TestServer;
  let redisClient: Redis;
  let nodisClient: Redis;
  let scratch: string;
  let nodisDir: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'nodis-rdb-bits-'));
    nodisDir = mkdtempSync(join(scratch, 'nodis-'));
    redis = await startOracle(['--enable-debug-command', 'yes']);
    nodis = await startTestServer({ dir: nodisDir });
    redisClient = new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    nodisClient = nodis.client();
    await build(redisClient);
    await build(nodisClient);
    expect(await readAll(nodisClient)).toEqual(await readAll(redisClient));
    expect(await nodisClient.call('DEBUG', 'DIGEST')).toBe(await redisClient.call('DEBUG', 'DIGEST'));
    expect(await redisClient.save()).toBe('OK');
    expect(await nodisClient.save()).toBe('OK');
  });

  afterAll(async () => {
    redisClient?.disconnect();
    await nodis?.stop();
    await redis?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it("writes a file redis-check-rdb accepts and Redis loads as its own copy of the keys", async () => {
    const dir = mkdtempSync(join(scratch, 'to-redis-'));
    copyFileSync(join(nodisDir, 'dump.rdb'), join(dir, 'dump.rdb'));
    const check = spawnSync('redis-check-rdb', [join(dir, 'dump.rdb')], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const loaded = await startOracle(['--dir', dir, '--sanitize-dump-payload', 'yes', '--enable-debug-command', 'yes']);
    const client = new Redis({ port: loaded.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    try {
      expect(await client.dbsize()).toBe(KEYS.length);
      expect(await readAll(client)).toEqual(await readAll(redisClient));
      expect(await useAfterLoad(client)).toEqual(await useAfterLoad(await freshRedisCopy()));
    } finally {
      client.disconnect();
      await loaded.stop();
    }
  });

  it("loads Redis's file as its own copy of the keys, whose values then work as Redis's do", async () => {
    const dir = mkdtempSync(join(scratch, 'from-redis-'));
    copyFileSync(join(redis.dir, 'dump.rdb'), join(dir, 'dump.rdb'));
    const loaded = await startTestServer({ dir });
    try {
      const client = loaded.client();
      expect(await client.dbsize()).toBe(KEYS.length);
      expect(await readAll(client)).toEqual(await readAll(nodisClient));
      expect(await useAfterLoad(client)).toEqual(await useAfterLoad(await freshRedisCopy()));
    } finally {
      await loaded.stop();
    }
  });

  /** A Redis loaded from its own file: the reference for what the values do after a load. */
  const copies: Oracle[] = [];
  const copyClients: Redis[] = [];
  async function freshRedisCopy(): Promise<Redis> {
    const dir = mkdtempSync(join(scratch, 'redis-copy-'));
    copyFileSync(join(redis.dir, 'dump.rdb'), join(dir, 'dump.rdb'));
    const copy = await startOracle(['--dir', dir, '--enable-debug-command', 'yes']);
    copies.push(copy);
    const client = new Redis({ port: copy.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    copyClients.push(client);
    return client;
  }
  afterAll(async () => {
    for (const client of copyClients) client.disconnect();
    for (const copy of copies) await copy.stop();
  });
});
