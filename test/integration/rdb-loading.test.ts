/**
 * Loading dump.rdb at start-up, in-process: the server listens while it loads (key-load-delay
 * keeps it loading), answers -LOADING to the commands Redis refuses then, shows the loading_*
 * fields in INFO, saves nothing meanwhile, and startServer resolves once every key is in. A
 * file that cannot be loaded still refuses start-up; DEBUG RELOAD still loads in one go.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadingInterrupted, StartupRefused, startServer, type RunningServer } from '../../src/index.js';
import { KeyLoadDelay } from '../../src/persistence/loading.js';
import { RdbWriter } from '../../src/persistence/rdb/index.js';
import type { Database } from '../../src/keyspace/database.js';
import { HashValue } from '../../src/types/hash.js';
import { capturingLogger } from '../helpers/aof.js';
import { freePort } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';
import { VALUE_MARK, connectWhileStarting, persistenceFields, writeLoadingDump } from '../helpers/loading.js';

const LOADING = '-LOADING Redis is loading the dataset in memory\r\n';

const dirs: string[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const f of cleanups.splice(0)) await f();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'nodis-rdbload-'));
  dirs.push(d);
  return d;
}

function keep(running: RunningServer): RunningServer {
  cleanups.push(() => running.close());
  return running;
}

function keepClient(c: RawClient): RawClient {
  cleanups.push(() => c.close());
  return c;
}

describe('loading dump.rdb at start-up', () => {
  it('listens while it loads: -LOADING to GET/SET/PING, INFO shows the progress, no save point fires; startServer resolves with every key', async () => {
    const dir = newDir();
    const dump = writeLoadingDump(dir, 3000);
    const original = readFileSync(dump.path);
    const port = await freePort();
    const lines: string[] = [];
    const testStart = Math.floor(Date.now() / 1000);
    // A save point of one second and one change, checked 100 times a second: it must not
    // replace dump.rdb with the part loaded so far.
    const starting = startServer({ port, dir, save: '1 1', hz: 100, 'key-load-delay': 1000, 'enable-debug-command': 'yes' }, capturingLogger(lines));
    const c = keepClient(await connectWhileStarting(port));

    expect(await c.callRaw('GET', 'key:1')).toBe(LOADING);
    expect(await c.callRaw('SET', 'x', '1')).toBe(LOADING);
    expect(await c.callRaw('PING')).toBe(LOADING);
    expect(await c.callRaw('DBSIZE')).toBe(LOADING);
    expect(await c.callRaw('SAVE')).toBe(LOADING);
    expect(await c.callRaw('BGSAVE')).toBe(LOADING);
    expect(await c.callRaw('FLUSHALL')).toBe(LOADING);
    // DEBUG may run while loading, but a reload would save and load the half-loaded dataset.
    expect(await c.callRaw('DEBUG', 'RELOAD')).toBe(LOADING);
    // Commands flagged `loading` are answered.
    expect(await c.callRaw('ECHO', 'hi')).toBe('$2\r\nhi\r\n');
    expect(await c.callRaw('SELECT', '3')).toBe('+OK\r\n');

    let polls = 0;
    let lastLoaded = -1;
    let lastKeys = -1;
    let sawProgress = false;
    for (;;) {
      const info = await persistenceFields(c);
      if (info.get('loading') !== '1') break;
      polls++;
      expect(Number(info.get('loading_start_time'))).toBeGreaterThanOrEqual(testStart);
      expect(Number(info.get('loading_start_time'))).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
      expect(info.get('loading_total_bytes')).toBe(String(dump.size));
      expect(info.get('loading_rdb_used_mem')).toBe(String(dump.usedMem));
      const loaded = Number(info.get('loading_loaded_bytes'));
      expect(loaded).toBeGreaterThanOrEqual(lastLoaded);
      expect(loaded).toBeLessThan(dump.size);
      expect(info.get('loading_loaded_perc')).toBe(((loaded / dump.size) * 100).toFixed(2));
      expect(info.get('loading_eta_seconds')).toMatch(/^\d+$/);
      const keysLoaded = Number(info.get('rdb_last_load_keys_loaded'));
      expect(keysLoaded).toBeGreaterThanOrEqual(lastKeys);
      if (loaded > 0 && keysLoaded > 0) sawProgress = true;
      lastLoaded = loaded;
      lastKeys = keysLoaded;
      expect(info.get('rdb_bgsave_in_progress')).toBe('0');
      expect(info.get('rdb_saves')).toBe('0');
      expect(info.get('rdb_last_bgsave_status')).toBe('ok');
      expect(readFileSync(dump.path).equals(original)).toBe(true);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(polls).toBeGreaterThan(3);
    expect(sawProgress).toBe(true);

    const running = keep(await starting);
    const info = await persistenceFields(c);
    expect(info.get('loading')).toBe('0');
    expect([...info.keys()].filter((name) => name.startsWith('loading_'))).toEqual([]);
    expect(info.get('rdb_last_load_keys_loaded')).toBe(String(3000 + 10));
    expect(info.get('rdb_last_load_keys_expired')).toBe(String(dump.expired));
    expect(await c.call('DBSIZE')).toBe(10);
    expect(await c.call('SELECT', '0')).toBe('OK');
    expect(await c.call('DBSIZE')).toBe(3000);
    expect(await c.call('GET', 'key:2999')).toBe(`${VALUE_MARK}2999`);
    expect(await c.call('EXISTS', 'gone:0')).toBe(0);
    expect(readFileSync(dump.path).equals(original)).toBe(true);
    expect(running.server.loading).toBe(false);

    // Redis's lines, file metadata only: never a value.
    expect(lines).toContain('Loading RDB produced by version 7.0.15');
    const age = lines.map((l) => /^RDB age (\d+) seconds$/.exec(l)).find((m) => m !== null);
    expect(Number(age?.[1])).toBeGreaterThanOrEqual(120);
    expect(lines).toContain('RDB memory usage when created 5.00 Mb');
    expect(lines).toContain(`Done loading RDB, keys loaded: 3010, keys expired: ${dump.expired}.`);
    expect(lines.some((l) => /^DB loaded from disk: \d+\.\d{3} seconds$/.test(l))).toBe(true);
    expect(lines.filter((l) => l.includes(VALUE_MARK) || l.includes('key:'))).toEqual([]);
  });

  it('SHUTDOWN while loading saves nothing, even with save points: the file stays as it was and startServer rejects', async () => {
    const dir = newDir();
    const dump = writeLoadingDump(dir, 3000);
    const original = readFileSync(dump.path);
    const port = await freePort();
    const lines: string[] = [];
    const starting = startServer({ port, dir, save: '3600 1', 'key-load-delay': 1000 }, capturingLogger(lines));
    const settled = starting.then(
      () => null,
      (err: unknown) => err,
    );
    const c = keepClient(await connectWhileStarting(port));
    expect(await c.callRaw('GET', 'key:1')).toBe(LOADING);
    c.send('SHUTDOWN');
    await c.waitClosed();
    const error = await settled;
    expect(error).toBeInstanceOf(LoadingInterrupted);
    expect(readFileSync(dump.path).equals(original)).toBe(true);
    expect(lines).not.toContain('Saving the final RDB snapshot before exiting.');
    expect(lines.some((l) => l.startsWith('Done loading RDB'))).toBe(false);
    await expect(RawClient.connect(port)).rejects.toThrow();
  });

  it('a corrupt file refuses start-up naming the file, after -LOADING meanwhile; nothing is written over it', async () => {
    const dir = newDir();
    const dump = writeLoadingDump(dir, 2000);
    // Cut in the middle of the keys: the first ones load (slowly), then the file ends.
    const cut = readFileSync(dump.path).subarray(0, Math.floor(dump.size * 0.6));
    writeFileSync(dump.path, cut);
    const port = await freePort();
    const starting = startServer({ port, dir, save: '1 1', hz: 100, 'key-load-delay': 1000 });
    const settled = starting.then(
      () => null,
      (err: unknown) => err,
    );
    const c = keepClient(await connectWhileStarting(port));
    expect(await c.callRaw('GET', 'key:1')).toBe(LOADING);
    const error = await settled;
    expect(error).toBeInstanceOf(StartupRefused);
    expect((error as Error).message).toBe(
      `Fatal error loading the DB (${dump.path}): the RDB file is corrupt or unsupported: Unexpected EOF reading RDB file. Exiting.`,
    );
    await c.waitClosed();
    expect(readFileSync(dump.path).equals(cut)).toBe(true);
    await expect(RawClient.connect(port)).rejects.toThrow();
  });

  it('a file that is no RDB at all refuses start-up at once', async () => {
    const dir = newDir();
    writeFileSync(join(dir, 'dump.rdb'), 'not an rdb file');
    await expect(startServer({ port: 0, dir, save: '' })).rejects.toThrow(
      `Fatal error loading the DB (${join(dir, 'dump.rdb')}): the RDB file is corrupt or unsupported: Wrong signature trying to load DB from file. Exiting.`,
    );
  });

  it('a key twice in one database refuses start-up, as Redis does', async () => {
    const dir = newDir();
    const writer = new RdbWriter();
    writer.header();
    writer.selectDb(0, 3, 0);
    writer.key('a', '1');
    writer.key('b', '2');
    writer.key('a', '3');
    writeFileSync(join(dir, 'dump.rdb'), Buffer.concat([writer.flush(), writer.end()]));
    await expect(startServer({ port: 0, dir, save: '' })).rejects.toThrow(
      `Fatal error loading the DB (${join(dir, 'dump.rdb')}): the RDB file is corrupt or unsupported: RDB has duplicated key in DB 0. Exiting.`,
    );
  });

  it('DEBUG RELOAD of a file where a duplicate replaces a plain string by a hash fails, leaving no access entry for the key', async () => {
    const dir = newDir();
    const running = keep(await startServer({ port: 0, dir, save: '', 'maxmemory-policy': 'allkeys-lru', 'enable-debug-command': 'yes' }));
    const c = keepClient(await RawClient.connect(running.port));
    expect(await c.call('HSET', 'k', 'f', 'v')).toBe(1);
    const writer = new RdbWriter();
    writer.header();
    writer.selectDb(0, 2, 0);
    // An idle time saved with it: the plain string gets a record slot as it is loaded.
    writer.key('k', 'plain', { idleSeconds: 10 });
    writer.key('k', running.server.databases[0]?.dict.get('k') as HashValue);
    writeFileSync(join(dir, 'dump.rdb'), Buffer.concat([writer.flush(), writer.end()]));
    expect(await c.callRaw('DEBUG', 'RELOAD', 'NOSAVE')).toBe('-ERR Error trying to load the RDB dump\r\n');
    const db = running.server.databases[0] as Database;
    expect(await c.call('TYPE', 'k')).toBe('hash');
    expect(db.dict.hasStringRecord('k')).toBe(false);
    expect(await c.call('DEL', 'k')).toBe(1);
    expect(db.dict.recordCount).toBe(0);
  });

  it('DEBUG RELOAD after the load still reloads in one go (key-load-delay does not slow it)', async () => {
    const dir = newDir();
    writeLoadingDump(dir, 200);
    const lines: string[] = [];
    const running = keep(await startServer({ port: 0, dir, save: '', 'key-load-delay': 1000, 'enable-debug-command': 'yes' }, capturingLogger(lines)));
    const c = keepClient(await RawClient.connect(running.port));
    expect(await c.call('DBSIZE')).toBe(200);
    const digest = await c.call('DEBUG', 'DIGEST');
    await c.call('SET', 'added', 'v');
    const reloadsBefore = lines.filter((l) => l.startsWith('Done loading RDB')).length;
    expect(await c.call('DEBUG', 'RELOAD')).toBe('OK');
    expect(await c.call('DBSIZE')).toBe(201);
    expect(await c.call('DEL', 'added')).toBe(1);
    expect(await c.call('DEBUG', 'DIGEST')).toBe(digest);
    expect(lines.filter((l) => l.startsWith('Done loading RDB')).length).toBe(reloadsBefore + 1);
    expect(lines).toContain('DB reloaded by DEBUG RELOAD');
    expect((await persistenceFields(c)).get('loading')).toBe('0');
  });
});

describe('key-load-delay', () => {
  it('adds up microseconds and pauses in whole milliseconds', () => {
    const pauses = (us: number, keys: number): number[] => {
      const delay = new KeyLoadDelay(us);
      return Array.from({ length: keys }, () => delay.afterKey());
    };
    expect(pauses(0, 3)).toEqual([0, 0, 0]);
    expect(new KeyLoadDelay(0).active).toBe(false);
    expect(pauses(500, 4)).toEqual([0, 1, 0, 1]);
    expect(pauses(2500, 3)).toEqual([2, 3, 2]);
    // -1: Redis's debugDelay sleeps 1 µs after every key.
    const negative = pauses(-1, 2000);
    expect(negative.filter((ms) => ms !== 0)).toEqual([1, 1]);
  });
});
