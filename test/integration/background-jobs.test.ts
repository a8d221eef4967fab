import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRdb } from '../../src/persistence/rdb/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { persistenceInfo, tempDir, waitForRewrite } from '../helpers/aof.js';

const dirs: string[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('one background job at a time, as Redis runs one child', () => {
  it('BGSAVE is refused while an AOF rewrite runs; BGSAVE SCHEDULE runs once the rewrite is done', async () => {
    const dir = tempDir('jobs');
    dirs.push(dir);
    const s = await startTestServer({ dir, appendonly: 'yes', save: '' });
    servers.push(s);
    const c = await s.raw();
    for (let i = 0; i < 100; i++) await c.call('SET', `k${i}`, `v${i}`);
    // One key per slice, 1 ms apart: the rewrite is still running when BGSAVE comes.
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000');
    expect(await c.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
    expect(await c.call('BGSAVE')).toEqual({
      error: "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
    });
    expect(await persistenceInfo(c, 'rdb_last_bgsave_status')).toBe('ok');
    expect(await c.call('BGSAVE', 'SCHEDULE')).toBe('Background saving scheduled');
    await c.call('SET', 'during', 'rewrite');
    await waitForRewrite(c);
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
    expect(await persistenceInfo(c, 'aof_last_bgrewrite_status')).toBe('ok');
    // rdb_saves counts the save when it starts: wait until it has also finished.
    for (let i = 0; i < 200 && ((await persistenceInfo(c, 'rdb_saves')) !== '1' || (await persistenceInfo(c, 'rdb_bgsave_in_progress')) !== '0'); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await persistenceInfo(c, 'rdb_saves')).toBe('1');
    expect(await persistenceInfo(c, 'rdb_bgsave_in_progress')).toBe('0');
    expect(await persistenceInfo(c, 'rdb_last_bgsave_status')).toBe('ok');
    const saved = readRdb(readFileSync(join(dir, 'dump.rdb')));
    expect(saved.databases.get(0)?.size).toBe(101);
  });

  it('BGSAVE inside MULTI is scheduled and run by the cron, as Redis does', async () => {
    const dir = tempDir('jobs');
    dirs.push(dir);
    const s = await startTestServer({ dir, save: '' });
    servers.push(s);
    const c = await s.raw();
    await c.call('SET', 'k', 'v');
    expect(await c.call('MULTI')).toBe('OK');
    expect(await c.call('BGSAVE')).toBe('QUEUED');
    expect(await c.call('EXEC')).toEqual(['Background saving scheduled']);
    for (let i = 0; i < 200 && (await persistenceInfo(c, 'rdb_saves')) !== '1'; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await persistenceInfo(c, 'rdb_saves')).toBe('1');
  });

  it('DEBUG RELOAD during a BGSAVE leaves the snapshot as it was when the save started', async () => {
    const dir = tempDir('jobs');
    dirs.push(dir);
    const s = await startTestServer({ dir, save: '' });
    servers.push(s);
    const c = await s.raw();
    for (let i = 0; i < 100; i++) await c.call('SET', `filler${i}`, 'x');
    await c.call('SET', 'k', 'in-the-file');
    expect(await c.call('SAVE')).toBe('OK');
    await c.call('SET', 'k', 'when-bgsave-started');
    // One key per slice, 1 ms apart: k, written last, is still ahead of the save when the reload comes.
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000');
    expect(await c.call('BGSAVE')).toBe('Background saving started');
    expect(await c.call('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE')).toBe('OK');
    expect(await c.call('GET', 'k')).toBe('in-the-file');
    for (let i = 0; i < 200 && (await persistenceInfo(c, 'rdb_bgsave_in_progress')) !== '0'; i++) await new Promise((r) => setTimeout(r, 25));
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
    expect(await persistenceInfo(c, 'rdb_last_bgsave_status')).toBe('ok');
    const saved = readRdb(readFileSync(join(dir, 'dump.rdb')));
    expect(saved.databases.get(0)?.get('k')?.value).toBe('when-bgsave-started');
  });
});
