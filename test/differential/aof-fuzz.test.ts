/**
 * Seeded random writes of every group (with SELECT, SWAPDB, FLUSHDB, MOVE, COPY, transactions
 * and short TTLs) while AOF rewrites run in the background: after a restart nodis has the
 * dataset it had, and redis-server 7.0 loading the same directory has it too.
 */
import { cpSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle } from '../helpers/oracle.js';
import { startTestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { readDataset } from '../helpers/dataset.js';
import { ReplayGenerator } from '../helpers/replay-fuzz.js';
import { tempDir, waitForRewrite } from '../helpers/aof.js';

const hasOracle = oracleAvailable();
const STEPS = Number(process.env.AOF_FUZZ_STEPS ?? 2000);
const BATCH = 25;
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!hasOracle)('AOF under random writes and rewrites', () => {
  it.each([7, 4242])('seed %i: the restarted nodis and redis-server loading the directory have the same dataset', async (seed) => {
    const dir = tempDir('aof-fuzz');
    const redisDir = tempDir('aof-fuzz-redis');
    dirs.push(dir, redisDir);
    const gen = new ReplayGenerator(seed);
    const nodis = await startTestServer({ dir, appendonly: 'yes', hz: 100 });
    const c = await nodis.raw();
    const admin = await nodis.raw();
    let rewrites = 0;
    try {
      for (let step = 0; step < STEPS; step += BATCH) {
        if (step % 600 === 0 && step > 0) {
          // Slow enough (a key per timer tick) that the next batches run during the rewrite.
          await waitForRewrite(admin);
          await admin.call('CONFIG', 'SET', 'rdb-key-save-delay', '500');
          expect(await admin.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
          rewrites++;
        }
        const batch: string[][] = [];
        for (let i = 0; i < BATCH; i++) {
          if (gen.chance(0.03)) batch.push(['MULTI'], gen.any(), gen.any(), ['EXEC']);
          else batch.push(gen.chance(0.15) ? gen.databases() : gen.any());
        }
        for (const argv of batch) c.send(...argv);
        for (let i = 0; i < batch.length; i++) await c.read();
      }
      await c.call('SELECT', '0');
      await waitForRewrite(admin);
      expect(await admin.call('INFO', 'persistence')).toContain(`aof_rewrites:${rewrites}`);
      // Short TTLs (up to 60 ms) have all passed: what is left is compared.
      await new Promise((r) => setTimeout(r, 100));
      const before = await readDataset(c, 16);
      expect(before.size).toBeGreaterThan(5);
      c.close();
      admin.close();
      await nodis.stop();
      cpSync(dir, redisDir, { recursive: true });

      const again = await startTestServer({ dir, appendonly: 'yes' });
      try {
        const after = await readDataset(await again.raw(), 16);
        expect([...after.entries()].sort()).toEqual([...before.entries()].sort());
      } finally {
        await again.stop();
      }
      const redis = await startOracle(['--appendonly', 'yes', '--dir', redisDir]);
      const r = await RawClient.connect(redis.port);
      try {
        const loaded = await readDataset(r, 16);
        expect([...loaded.entries()].sort()).toEqual([...before.entries()].sort());
      } finally {
        r.close();
        await redis.stop();
      }
    } finally {
      c.close();
      admin.close();
      await nodis.stop().catch(() => {});
    }
  });
});
