/**
 * AOF directories shared with real Redis 7.0, with aof-use-rdb-preamble yes (an RDB base) and
 * no (a base of commands): what nodis writes, redis-server loads (and redis-check-aof accepts),
 * and what redis-server writes, nodis loads, to the same dataset: the same DEBUG DIGEST and the
 * same keys, values and expiry times. Also an old-style AOF (Redis before 7.0) with an RDB
 * preamble, and what loading counts (rdb_changes_since_last_save, rdb_last_load_keys_loaded).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { List } from '../../src/types/list.js';
import { oracleAvailable, type Oracle } from '../helpers/oracle.js';
import type { TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { readDataset } from '../helpers/dataset.js';
import { scratchServers } from '../helpers/scratch.js';
import { infoField, manifestLines, persistenceInfo, rdbBase, resp, waitForRewrite, writeAofDir, writeEveryKind } from '../helpers/aof.js';

const hasOracle = oracleAvailable();
const { cleanups, newDir, ...scratch } = scratchServers('aof-diff');

function nodisOn(dir: string, options: Record<string, string> = {}): Promise<TestServer> {
  return scratch.nodisOn(dir, { appendonly: 'yes', ...options });
}

function redisOn(dir: string, extra: string[] = []): Promise<{ oracle: Oracle; client: RawClient }> {
  return scratch.redisOn(dir, ['--appendonly', 'yes', '--enable-debug-command', 'yes', ...extra]);
}

async function state(c: RawClient): Promise<{ digest: string; keys: string }> {
  const keys = await readDataset(c, 16);
  return { digest: (await c.call('DEBUG', 'DIGEST')) as string, keys: JSON.stringify([...keys.entries()].sort()) };
}

/** What loading counted: changes since the last save, keys read from an RDB part. */
async function loadCounts(c: RawClient): Promise<{ dirty: string | undefined; keysLoaded: string | undefined }> {
  const info = (await c.call('INFO', 'persistence')) as string;
  return { dirty: infoField(info, 'rdb_changes_since_last_save'), keysLoaded: infoField(info, 'rdb_last_load_keys_loaded') };
}

describe.skipIf(!hasOracle)('AOF directories shared with Redis 7.0', () => {
  it.each(['yes', 'no'])('aof-use-rdb-preamble %s: redis-server loads what nodis wrote (base, incremental file, timestamps), and redis-check-aof accepts it', async (preamble) => {
    const dir = newDir();
    const nodis = await nodisOn(dir, { 'aof-timestamp-enabled': 'yes', 'aof-use-rdb-preamble': preamble });
    const c = await nodis.raw();
    await writeEveryKind(c, await nodis.raw());
    expect(await c.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
    await waitForRewrite(c);
    await c.call('SET', 'after-rewrite', 'v');
    await c.call('SELECT', '9');
    await c.call('ZADD', 'z9', '3', 'c');
    await c.call('SELECT', '0');
    const expected = await state(c);
    await nodis.stop();
    cleanups.splice(0);
    expect(manifestLines(join(dir, 'appendonlydir'))[0]).toBe(`file appendonly.aof.2.base.${preamble === 'yes' ? 'rdb' : 'aof'} seq 2 type b`);

    const check = spawnSync('redis-check-aof', [join(dir, 'appendonlydir', 'appendonly.aof.manifest')], { encoding: 'utf8' });
    expect(check.stdout).toContain('All AOF files and manifest are valid');
    expect(check.status).toBe(0);

    const { client } = await redisOn(dir);
    expect(await state(client)).toEqual(expected);
  });

  it.each(['yes (the default)', 'no'])('nodis loads what redis-server wrote with aof-use-rdb-preamble %s, and counts what Redis counts', async (preamble) => {
    const dir = newDir();
    const { client, oracle } = await redisOn(dir, preamble === 'no' ? ['--aof-use-rdb-preamble', 'no'] : []);
    const blocker = await RawClient.connect(oracle.port);
    await writeEveryKind(client, blocker);
    blocker.close();
    expect(await client.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
    await waitForRewrite(client);
    await client.call('LPUSH', 'list', 'after-rewrite');
    await client.call('SELECT', '12');
    await client.call('HSET', 'h12', 'f', 'v');
    await client.call('SELECT', '0');
    const expected = await state(client);
    // Killed, not shut down: what Redis wrote before each reply is in the files.
    for (const c of cleanups.splice(0)) await c();
    expect(manifestLines(join(dir, 'appendonlydir'))[0]).toBe(`file appendonly.aof.2.base.${preamble === 'no' ? 'aof' : 'rdb'} seq 2 type b`);
    // Redis itself loading the same directory again, for what loading counts.
    const again = newDir();
    cpSync(dir, again, { recursive: true });
    const reloaded = await redisOn(again);
    const redisCounts = await loadCounts(reloaded.client);
    // Commands loaded count as changes (a base of commands too), the keys of an RDB base do not.
    if (preamble === 'no') expect(redisCounts.keysLoaded).toBe('0');
    else expect(redisCounts).toEqual({ dirty: '2', keysLoaded: expect.not.stringMatching(/^0$/) });

    const nodis = await nodisOn(dir);
    const n = await nodis.raw();
    expect(await state(n)).toEqual(expected);
    expect(await loadCounts(n)).toEqual(redisCounts);
  });

  it('an old-style AOF (Redis before 7.0) with an RDB preamble and a command tail: both servers load the same dataset', async () => {
    // The preamble is a snapshot Redis wrote of every kind of value, the tail commands after it.
    const source = newDir();
    const { client, oracle } = await redisOn(source, ['--appendonly', 'no']);
    const blocker = await RawClient.connect(oracle.port);
    await writeEveryKind(client, blocker);
    blocker.close();
    expect(await client.call('SAVE')).toBe('OK');
    const tail = resp(['SELECT', '0'], ['SET', 'tail', '1'], ['LPUSH', 'list', 'from-tail'], ['SELECT', '7'], ['DEL', 'k7'], ['HSET', 'h7', 'f', 'v']);
    const oldStyle = Buffer.concat([readFileSync(join(source, 'dump.rdb')), Buffer.from(tail, 'latin1')]);
    for (const c of cleanups.splice(0)) await c();

    const redisDir = newDir();
    writeFileSync(join(redisDir, 'appendonly.aof'), oldStyle);
    const redis = await redisOn(redisDir);
    const expected = await state(redis.client);
    expect(await redis.client.call('GET', 'tail')).toBe('1');
    const nodisDir = newDir();
    writeFileSync(join(nodisDir, 'appendonly.aof'), oldStyle);
    const nodis = await nodisOn(nodisDir);
    const n = await nodis.raw();
    expect(await state(n)).toEqual(expected);
    expect(await loadCounts(n)).toEqual(await loadCounts(redis.client));
    expect(manifestLines(join(nodisDir, 'appendonlydir'))).toEqual(manifestLines(join(redisDir, 'appendonlydir')));
  });

  it('an RDB base holding a key whose time passed, used by the commands after it: both servers end with the same dataset', async () => {
    const past = Date.now() - 60_000;
    const files = [
      {
        name: 'appendonly.aof.1.base.rdb', seq: 1, type: 'b' as const,
        content: rdbBase({ 0: [['old', 'v', past], ['keep', 'v'], ['l', List.from(['a', 'b']), past]], 4: [['k4', 'v', Date.now() + 600_000]] }),
      },
      {
        name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i' as const,
        content: resp(['SELECT', '0'], ['RENAME', 'old', 'renamed'], ['PERSIST', 'renamed'], ['RPUSH', 'l', 'c'], ['SELECT', '4'], ['APPEND', 'k4', 'w']),
      },
    ];
    const settled = async (c: RawClient): Promise<{ digest: string; keys: string }> => {
      expect(await c.call('EXISTS', 'old', 'l')).toBe(0);
      return state(c);
    };
    const redisDir = newDir();
    writeAofDir(redisDir, files);
    const { client } = await redisOn(redisDir);
    const expected = await settled(client);
    expect(await client.call('GET', 'renamed')).toBe('v');
    const nodisDir = newDir();
    writeAofDir(nodisDir, files);
    const nodis = await nodisOn(nodisDir);
    const n = await nodis.raw();
    expect(await settled(n)).toEqual(expected);
    expect(await loadCounts(n)).toEqual(await loadCounts(client));
  });

  it('INFO persistence after a rewrite with an RDB base has the fields of Redis, in the same order', async () => {
    const names = async (c: RawClient): Promise<string[]> => [...((await c.call('INFO', 'persistence')) as string).matchAll(/^([a-z_]+):/gm)].map((m) => m[1] as string);
    const { client } = await redisOn(newDir());
    const nodis = await nodisOn(newDir());
    const n = await nodis.raw();
    for (const c of [client, n]) {
      await c.call('SET', 'a', '1');
      expect(await c.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
      await waitForRewrite(c);
      expect(await persistenceInfo(c, 'aof_last_bgrewrite_status')).toBe('ok');
      expect(await persistenceInfo(c, 'aof_rewrites')).toBe('1');
    }
    expect(await names(n)).toEqual(await names(client));
  });

  it('expiry times already past when loading: both servers end with the same dataset', async () => {
    const content = resp(
      ['SELECT', '0'], ['SET', 'k', 'v'], ['PEXPIREAT', 'k', String(Date.now() - 60_000)], ['APPEND', 'k', 'x'],
      ['SET', 'k2', 'v'], ['PEXPIREAT', 'k2', String(Date.now() + 600_000)], ['RPUSH', 'l', 'a'], ['PEXPIRE', 'l', '-5'], ['RPUSH', 'l', 'b'],
      ['SELECT', '4'], ['SET', 'k4', 'v'], ['EXPIREAT', 'k4', '1'], ['GETEX', 'k4', 'PERSIST'], ['SET', 'k5', 'v'],
    );
    const files = [
      { name: 'appendonly.aof.1.base.aof', seq: 1, type: 'b' as const, content: '' },
      { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i' as const, content },
    ];
    // The expired keys are removed by their next access (or the active cycle, whenever it
    // comes): touched first, so that DEBUG DIGEST, which sees keys not yet removed, compares.
    const settled = async (c: RawClient): Promise<{ digest: string; keys: string }> => {
      expect(await c.call('EXISTS', 'k', 'l')).toBe(0);
      return state(c);
    };
    const redisDir = newDir();
    writeAofDir(redisDir, files);
    const { client } = await redisOn(redisDir);
    const expected = await settled(client);
    const nodisDir = newDir();
    writeAofDir(nodisDir, files);
    const nodis = await nodisOn(nodisDir);
    expect(await settled(await nodis.raw())).toEqual(expected);
  });
});
