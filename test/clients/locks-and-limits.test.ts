/**
 * redlock and rate-limiter-flexible through their own APIs, on nodis and on real Redis: both
 * are Lua scripts and TTLs underneath.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import Redlock, { ResourceLockedError } from 'redlock';
import { afterEach, describe, expect, it } from 'vitest';
import { libraryServers, type Target } from '../helpers/libraries.js';
import { oracleAvailable } from '../helpers/oracle.js';

const hasOracle = oracleAvailable();
const REDLOCK_WORKER = fileURLToPath(new URL('./fixtures/redlock-worker.mjs', import.meta.url));

/** Runs the redlock worker in a process of its own; resolves with its retries once it is done. */
function redlockWorker(port: number, rounds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [REDLOCK_WORKER, String(port), String(rounds)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      const done = /^done (\d+) (\d+)$/m.exec(out);
      if (code === 0 && done !== null) resolve(Number(done[2]));
      else reject(new Error(`redlock worker exited with ${code}: ${err.slice(0, 500)}`));
    });
  });
}

let clients: Redis[] = [];
afterEach(() => {
  for (const c of clients) c.disconnect();
  clients = [];
});
function connect(target: Target): Redis {
  const client = new Redis({ host: target.host, port: target.port });
  clients.push(client);
  return client;
}

describe.skipIf(!hasOracle)('redlock and rate-limiter-flexible against nodis and Redis', { timeout: 120_000 }, () => {
  const servers = libraryServers();

  it('redlock: acquire, contention between two lock owners, extend, release, then the other acquires', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      // Two owners with their own connections, as two processes would have.
      const observer = connect(target);
      const mine = new Redlock([connect(target)], { retryCount: 0 });
      const theirs = new Redlock([connect(target)], { retryCount: 2, retryDelay: 20, retryJitter: 0 });
      mine.on('error', () => {});
      theirs.on('error', () => {});
      const lock = await mine.acquire(['redlock:resource'], 30_000);
      const contended = await theirs.acquire(['redlock:resource'], 30_000).then(
        () => 'acquired',
        (e: Error) => (e instanceof ResourceLockedError || /quorum/i.test(e.message) ? 'locked' : e.message),
      );
      const extended = await lock.extend(60_000);
      const pttl = await observer.pttl('redlock:resource');
      await extended.release();
      const afterRelease = await theirs.acquire(['redlock:resource'], 30_000);
      const owner = await observer.get('redlock:resource');
      await afterRelease.release();
      const usingResult = await mine.using(['redlock:a', 'redlock:b'], 30_000, async () => (await observer.exists('redlock:a', 'redlock:b')) === 2);
      return { contended, extendedLonger: pttl > 30_000, ownerIsOther: owner === afterRelease.value, usingResult, left: await observer.exists('redlock:resource', 'redlock:a', 'redlock:b') };
    });
    expect(nodis).toEqual({ contended: 'locked', extendedLonger: true, ownerIsOther: true, usingResult: true, left: 0 });
    expect(nodis).toEqual(redis);
  });

  it('redlock: three processes taking turns at one lock lose no increment of a counter they read and write under it', async () => {
    const rounds = 40;
    const { nodis, redis } = await servers.both(async (target) => {
      const observer = connect(target);
      await observer.del('redlock:counter', 'redlock:shared');
      const retries = await Promise.all([redlockWorker(target.port, rounds), redlockWorker(target.port, rounds), redlockWorker(target.port, rounds)]);
      return { counter: await observer.get('redlock:counter'), contended: retries.some((n) => n > 0), left: await observer.exists('redlock:shared') };
    });
    expect(nodis).toEqual({ counter: String(3 * rounds), contended: true, left: 0 });
    expect(nodis).toEqual(redis);
  });

  it('rate-limiter-flexible: consume until refused, penalty, reward, block and delete', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const limiter = new RateLimiterRedis({ storeClient: connect(target), keyPrefix: 'rl', points: 3, duration: 60, blockDuration: 30 });
      const consumed: Array<number | string> = [];
      for (let i = 0; i < 4; i++) {
        consumed.push(
          await limiter.consume('user').then(
            (res) => res.remainingPoints,
            (res: RateLimiterRes) => `refused, ${res.remainingPoints} left, blocked ${res.msBeforeNext > 29_000}`,
          ),
        );
      }
      const other = [await limiter.consume('other', 2).then((r) => r.remainingPoints)];
      other.push((await limiter.penalty('other', 1)).remainingPoints);
      other.push((await limiter.reward('other', 2)).remainingPoints);
      const blocked = await limiter.block('third', 20);
      const third = await limiter.get('third');
      await limiter.delete('user');
      const afterDelete = await limiter.consume('user').then((r) => r.remainingPoints);
      return { consumed, other, blocked: blocked.msBeforeNext > 19_000, thirdPoints: third?.consumedPoints, afterDelete };
    });
    expect(nodis.consumed).toEqual([2, 1, 0, 'refused, 0 left, blocked true']);
    expect(nodis).toEqual(redis);
  });
});
