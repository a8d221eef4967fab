/**
 * LRU idle times and LFU counters in RDB files, against Redis 7.0: a file that carries them
 * gives the loaded keys the same OBJECT IDLETIME / OBJECT FREQ as in Redis (the counter under an
 * LFU policy, the idle time under any other), and nodis saves them under an LRU or LFU
 * maxmemory-policy so that Redis, loading nodis's file, sees the same figures.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RdbWriter, readRdb } from '../../src/persistence/rdb/index.js';
import { readFileSync } from 'node:fs';

const hasOracle = oracleAvailable();

const KEYS: Array<{ key: string; idleSeconds: number; lfuFreq: number }> = [
  { key: 'fresh', idleSeconds: 0, lfuFreq: 0 },
  { key: 'minutes', idleSeconds: 300, lfuFreq: 5 },
  { key: 'hours', idleSeconds: 7200, lfuFreq: 100 },
  { key: 'month', idleSeconds: 86400 * 30, lfuFreq: 255 },
];

let root: string;
let counter = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'nodis-rdb-access-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A directory holding a dump.rdb whose keys carry both an idle time and a counter (as no Redis writes, but both are read). */
function dirWithDump(meta: 'idle' | 'freq'): string {
  const dir = join(root, `d${counter++}`);
  mkdirSync(dir);
  const writer = new RdbWriter();
  writer.header();
  writer.selectDb(0, KEYS.length, 0);
  for (const k of KEYS) writer.key(k.key, 'v', meta === 'idle' ? { idleSeconds: k.idleSeconds } : { lfuFreq: k.lfuFreq });
  writeFileSync(join(dir, 'dump.rdb'), Buffer.concat([writer.flush(), writer.end()]));
  return dir;
}

async function figures(port: number, what: 'IDLETIME' | 'FREQ'): Promise<number[]> {
  const c = await RawClient.connect(port);
  try {
    const out: number[] = [];
    for (const k of KEYS) out.push((await c.call('OBJECT', what, k.key)) as number);
    return out;
  } finally {
    c.close();
  }
}

async function withBoth<T>(dirs: [string, string], args: Record<string, string>, run: (redisPort: number, nodisPort: number) => Promise<T>): Promise<T> {
  const flat = Object.entries(args).flatMap(([k, v]) => [`--${k}`, v]);
  let oracle: Oracle | null = null;
  let nodis: TestServer | null = null;
  try {
    oracle = await startOracle(['--dir', dirs[0], ...flat]);
    nodis = await startTestServer({ dir: dirs[1], ...args });
    return await run(oracle.port, nodis.port);
  } finally {
    await nodis?.stop();
    await oracle?.stop();
  }
}

/** Idle times read a second apart may differ by one. */
function expectClose(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - (expected[i] as number)), `${actual} vs ${expected}`).toBeLessThanOrEqual(1));
}

describe.skipIf(!hasOracle)('LRU and LFU data in RDB files, against Redis 7.0', () => {
  it('idle times saved in the file become the keys’ idle times, under an LRU policy and under noeviction', async () => {
    for (const policy of ['allkeys-lru', 'noeviction']) {
      await withBoth([dirWithDump('idle'), dirWithDump('idle')], { 'maxmemory-policy': policy }, async (r, n) => {
        const [redis, nodis] = [await figures(r, 'IDLETIME'), await figures(n, 'IDLETIME')];
        expectClose(redis, KEYS.map((k) => k.idleSeconds));
        expectClose(nodis, redis);
      });
    }
  });

  it('counters saved in the file become the keys’ LFU counters under an LFU policy', async () => {
    await withBoth([dirWithDump('freq'), dirWithDump('freq')], { 'maxmemory-policy': 'allkeys-lfu' }, async (r, n) => {
      const [redis, nodis] = [await figures(r, 'FREQ'), await figures(n, 'FREQ')];
      expect(redis).toEqual(KEYS.map((k) => k.lfuFreq));
      expect(nodis).toEqual(redis);
    });
  });

  it('nodis saves idle times under an LRU policy and counters under an LFU policy, as Redis reads them back', async () => {
    for (const [policy, what] of [
      ['volatile-lru', 'IDLETIME'],
      ['allkeys-lfu', 'FREQ'],
    ] as const) {
      const source = dirWithDump(what === 'IDLETIME' ? 'idle' : 'freq');
      const nodis = await startTestServer({ dir: source, 'maxmemory-policy': policy });
      let before: number[];
      try {
        before = await figures(nodis.port, what);
        const c = await nodis.raw();
        // BGSAVE, the sliced writer; SAVE writes the same records.
        expect(await c.call('BGSAVE')).toBe('Background saving started');
        for (let i = 0; i < 200 && /rdb_bgsave_in_progress:1/.test(String(await c.call('INFO', 'persistence'))); i++) await new Promise((res) => setTimeout(res, 25));
      } finally {
        await nodis.stop();
      }
      const saved = readRdb(readFileSync(join(source, 'dump.rdb')));
      const entries = saved.databases.get(0);
      for (const k of KEYS) {
        const e = entries?.get(k.key);
        expect(what === 'IDLETIME' ? e?.lfuFreq : e?.idleSeconds, `${policy}: the other field is not saved`).toBe(-1);
      }
      const target = join(root, `d${counter++}`);
      mkdirSync(target);
      writeFileSync(join(target, 'dump.rdb'), readFileSync(join(source, 'dump.rdb')));
      const oracle = await startOracle(['--dir', target, '--maxmemory-policy', policy]);
      try {
        const after = await figures(oracle.port, what);
        if (what === 'FREQ') expect(after).toEqual(before);
        else expectClose(after, before);
      } finally {
        await oracle.stop();
      }
    }
  });

  it('keys loaded without access data start afresh: LFU counter 5, then counted as used, renamed with their record', async () => {
    const plain = (): string => {
      const dir = join(root, `d${counter++}`);
      mkdirSync(dir);
      const writer = new RdbWriter();
      writer.header();
      writer.selectDb(0, KEYS.length, 0);
      for (const k of KEYS) writer.key(k.key, 'v');
      writeFileSync(join(dir, 'dump.rdb'), Buffer.concat([writer.flush(), writer.end()]));
      return dir;
    };
    // An LFU counter decays by one per minute started since the key's last decrement time, a
    // minute-granular clock: a run across a minute's turn sees 4 where it expects 5, on both.
    const second = new Date().getSeconds();
    if (second > 45) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));
    await withBoth([plain(), plain()], { 'maxmemory-policy': 'allkeys-lfu' }, async (r, n) => {
      const run = async (port: number): Promise<unknown[]> => {
        const c = await RawClient.connect(port);
        try {
          const out: unknown[] = [await figures(port, 'FREQ')];
          // The first hit of a fresh key always counts (its counter is at the initial value;
          // later hits count with a probability, so each key here is used once).
          out.push(await c.call('GET', 'fresh'), await c.call('OBJECT', 'FREQ', 'fresh'));
          out.push(await c.call('RENAME', 'minutes', 'renamed'), await c.call('OBJECT', 'FREQ', 'renamed'));
          out.push(await c.call('SET', 'hours', 'overwritten'), await c.call('OBJECT', 'FREQ', 'hours'));
          return out;
        } finally {
          c.close();
        }
      };
      const redis = await run(r);
      expect(redis).toEqual([[5, 5, 5, 5], 'v', 6, 'OK', 6, 'OK', 6]);
      expect(await run(n)).toEqual(redis);
    });
  });

  it('under noeviction nothing of the access data is saved, as in Redis', async () => {
    const dir = dirWithDump('idle');
    const nodis = await startTestServer({ dir });
    try {
      const c = await nodis.raw();
      expect(await c.call('SAVE')).toBe('OK');
    } finally {
      await nodis.stop();
    }
    const entries = readRdb(readFileSync(join(dir, 'dump.rdb'))).databases.get(0);
    for (const k of KEYS) expect([entries?.get(k.key)?.idleSeconds, entries?.get(k.key)?.lfuFreq]).toEqual([-1, -1]);
  });
});
