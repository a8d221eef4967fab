/**
 * AOF directories shared with real Redis 7.0: what nodis writes, redis-server loads (and
 * redis-check-aof accepts), and what redis-server writes (aof-use-rdb-preamble no), nodis loads,
 * to the same dataset: the same DEBUG DIGEST and the same keys, values and expiry times.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StartupRefused, startServer } from '../../src/index.js';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { readDataset } from '../helpers/dataset.js';
import { persistenceInfo, resp, tempDir, waitForRewrite, writeAofDir, writeEveryKind } from '../helpers/aof.js';

const hasOracle = oracleAvailable();
const dirs: string[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = tempDir('aof-diff');
  dirs.push(d);
  return d;
}

async function nodisOn(dir: string, options: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer({ dir, appendonly: 'yes', ...options });
  cleanups.push(() => s.stop());
  return s;
}

async function redisOn(dir: string, extra: string[] = []): Promise<{ oracle: Oracle; client: RawClient }> {
  const oracle = await startOracle(['--appendonly', 'yes', '--dir', dir, '--enable-debug-command', 'yes', ...extra]);
  const client = await RawClient.connect(oracle.port);
  cleanups.push(async () => {
    client.close();
    await oracle.stop();
  });
  return { oracle, client };
}

async function state(c: RawClient): Promise<{ digest: string; keys: string }> {
  const keys = await readDataset(c, 16);
  return { digest: (await c.call('DEBUG', 'DIGEST')) as string, keys: JSON.stringify([...keys.entries()].sort()) };
}

describe.skipIf(!hasOracle)('AOF directories shared with Redis 7.0', () => {
  it('redis-server loads what nodis wrote (base, incremental file, timestamps), and redis-check-aof accepts it', async () => {
    const dir = newDir();
    const nodis = await nodisOn(dir, { 'aof-timestamp-enabled': 'yes' });
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

    const check = spawnSync('redis-check-aof', [join(dir, 'appendonlydir', 'appendonly.aof.manifest')], { encoding: 'utf8' });
    expect(check.stdout).toContain('All AOF files and manifest are valid');
    expect(check.status).toBe(0);

    const { client } = await redisOn(dir);
    expect(await state(client)).toEqual(expected);
  });

  it('nodis loads what redis-server wrote with aof-use-rdb-preamble no', async () => {
    const dir = newDir();
    const { client, oracle } = await redisOn(dir, ['--aof-use-rdb-preamble', 'no']);
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

    const nodis = await nodisOn(dir);
    expect(await state(await nodis.raw())).toEqual(expected);
  });

  it('a base Redis wrote in RDB format (aof-use-rdb-preamble yes) stops nodis with a clear reason', async () => {
    const dir = newDir();
    const { client } = await redisOn(dir);
    await client.call('SET', 'a', '1');
    await client.call('BGREWRITEAOF');
    await waitForRewrite(client);
    expect(await persistenceInfo(client, 'aof_last_bgrewrite_status')).toBe('ok');
    for (const c of cleanups.splice(0)) await c();
    const refused = startServer({ port: 0, save: '', dir, appendonly: 'yes' });
    await expect(refused).rejects.toThrow(StartupRefused);
    await expect(refused).rejects.toThrow('The AOF base file appendonly.aof.2.base.rdb is in RDB format');
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
