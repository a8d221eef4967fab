/**
 * While dump.rdb loads at start-up, nodis answers clients as Redis 7.0 does: both servers start
 * on the same dump with the same key-load-delay (Redis also with the smallest
 * loading-process-events-interval-bytes, so that it serves clients between small chunks), and
 * the same commands sent to both while they load get the same raw replies; INFO persistence has
 * the same fields; once loaded, both hold the same dataset.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/index.js';
import { mismatches, runBoth, type Step } from '../helpers/differential.js';
import { connectWhileStarting, persistenceFields, writeLoadingDump } from '../helpers/loading.js';
import { oracleAvailable } from '../helpers/oracle.js';
import { freePort } from '../helpers/ports.js';
import type { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

/** Sent to both servers while they load. */
const WHILE_LOADING: Step[] = [
  ['PING'],
  ['PING', 'hello'],
  ['GET', 'key:1'],
  ['SET', 'x', '1'],
  ['DEL', 'key:1'],
  ['EXISTS', 'key:1'],
  ['DBSIZE'],
  ['KEYS', '*'],
  ['SCAN', '0'],
  ['FLUSHALL'],
  ['SAVE'],
  ['BGSAVE'],
  ['BGREWRITEAOF'],
  ['ECHO', 'hi'],
  ['SELECT', '3'],
  ['SELECT', '0'],
  ['CONFIG', 'GET', 'maxmemory'],
  ['CLIENT', 'SETNAME', 'loader-watcher'],
  ['CLIENT', 'GETNAME'],
  ['HELLO', '2', 'SETNAME', 'again'],
  ['MULTI'],
  ['GET', 'key:1'],
  ['EXEC'],
  ['MULTI'],
  ['ECHO', 'queued'],
  ['EXEC'],
  ['WATCH', 'key:1'],
  ['UNWATCH'],
  ['OBJECT', 'ENCODING', 'key:1'],
  ['TTL', 'key:1'],
  ['PUBLISH', 'ch', 'm'],
  ['SUBSCRIBE', 'ch'],
  ['PING'],
  ['UNSUBSCRIBE', 'ch'],
  ['SLOWLOG', 'LEN'],
  ['NOSUCHCOMMAND'],
  ['GET'],
];

/** HELLO carries the connection id, which differs between the servers. */
const maskId = (raw: string): string => raw.replace(/(\$2\r\nid\r\n:)\d+/, '$1?');

interface SpawnedRedis {
  child: ChildProcess;
  port: number;
}

/** A redis-server loading dir/dump.rdb; not waited for (it answers -LOADING to PING meanwhile). */
async function spawnRedis(dir: string, args: string[]): Promise<SpawnedRedis> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'dump.rdb', ...args],
    { stdio: 'ignore' },
  );
  return { child, port };
}

async function waitLoaded(c: RawClient): Promise<void> {
  while ((await persistenceFields(c)).get('loading') === '1') await new Promise((r) => setTimeout(r, 50));
}

describe.skipIf(!hasOracle)('while dump.rdb loads, as Redis 7.0', () => {
  const dirs: string[] = [];
  const closers: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const close of closers.splice(0)) await close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('the same replies to the same commands while loading, the same INFO fields, the same dataset after', async () => {
    const redisDir = mkdtempSync(join(tmpdir(), 'nodis-rdbload-redis-'));
    const nodisDir = mkdtempSync(join(tmpdir(), 'nodis-rdbload-nodis-'));
    dirs.push(redisDir, nodisDir);
    const dump = writeLoadingDump(redisDir, 3000);
    writeLoadingDump(nodisDir, 3000);
    const delay = '1000';

    const redis = await spawnRedis(redisDir, ['--key-load-delay', delay, '--loading-process-events-interval-bytes', '1024', '--enable-debug-command', 'yes']);
    closers.push(async () => {
      redis.child.kill('SIGKILL');
      if (redis.child.exitCode === null) await new Promise((r) => redis.child.once('exit', r));
    });
    const nodisPort = await freePort();
    const starting = startServer({ port: nodisPort, dir: nodisDir, save: '', 'key-load-delay': delay, 'enable-debug-command': 'yes' });
    let running: RunningServer | null = null;
    closers.push(async () => {
      await (running ?? (await starting.catch(() => null)))?.close();
    });

    const r = await connectWhileStarting(redis.port);
    const n = await connectWhileStarting(nodisPort);
    closers.push(() => r.close(), () => n.close());
    const redisInfo = await persistenceFields(r);
    const nodisInfo = await persistenceFields(n);
    expect(redisInfo.get('loading')).toBe('1');
    expect(nodisInfo.get('loading')).toBe('1');
    // The same fields in the same order, the same file size and used-mem from the same dump.
    expect([...nodisInfo.keys()]).toEqual([...redisInfo.keys()]);
    for (const name of ['loading_total_bytes', 'loading_rdb_used_mem']) {
      expect(nodisInfo.get(name), name).toBe(redisInfo.get(name));
    }
    expect(nodisInfo.get('loading_total_bytes')).toBe(String(dump.size));

    const results = await runBoth(nodisPort, redis.port, WHILE_LOADING, maskId);
    expect(mismatches(results)).toEqual([]);
    // Every reply above was given while loading.
    expect((await persistenceFields(r)).get('loading')).toBe('1');
    expect((await persistenceFields(n)).get('loading')).toBe('1');

    running = await starting;
    await waitLoaded(r);
    const redisAfter = await persistenceFields(r);
    const nodisAfter = await persistenceFields(n);
    expect([...nodisAfter.keys()]).toEqual([...redisAfter.keys()]);
    for (const name of ['loading', 'rdb_last_load_keys_loaded', 'rdb_last_load_keys_expired']) {
      expect(nodisAfter.get(name), name).toBe(redisAfter.get(name));
    }
    expect(await n.call('DEBUG', 'DIGEST')).toBe(await r.call('DEBUG', 'DIGEST'));
    const after = await runBoth(nodisPort, redis.port, [['DBSIZE'], ['GET', 'key:2999'], ['SELECT', '3'], ['DBSIZE'], ['PING']]);
    expect(mismatches(after)).toEqual([]);
  });
});
