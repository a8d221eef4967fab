import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freePort, waitForServer } from '../helpers/ports.js';
import { oracleAvailable, startOracle } from '../helpers/oracle.js';
import { RawClient } from '../helpers/raw-client.js';
import { connectWhileStarting, writeLoadingDump } from '../helpers/loading.js';
import { createDumpPayload, readRdb } from '../../src/persistence/rdb/index.js';
import type { Value } from '../../src/types/value.js';

const BIN = fileURLToPath(new URL('../../bin/nodis-server', import.meta.url));
const haveRedis = oracleAvailable();

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\r$`, 'm').exec(info)?.[1];
}

let root: string;
let counter = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'nodis-rdb-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = join(root, `d${counter++}`);
  mkdirSync(dir);
  return dir;
}

/** A dataset touching every type, several databases, binary keys and TTLs. */
async function fill(c: RawClient): Promise<void> {
  const steps: string[][] = [
    ['SET', 'str', 'hello'],
    ['SET', 'int', '12345'],
    ['SET', 'big', 'x'.repeat(5000)],
    ['SET', 'bin\x00\xff\r\nkey', '\x00\x01\xfe\xff'],
    ['RPUSH', 'list', 'a', 'b', '3', 'c'],
    ['SADD', 'intset', '1', '2', '3'],
    ['SADD', 'set', 'a', 'b', 'c'],
    ['HSET', 'hash', 'f1', 'v1', 'f2', '2'],
    ['ZADD', 'zset', '1', 'a', '2.5', 'b', '-inf', 'c'],
    ['SET', 'ttl', 'v', 'PX', '3600000'],
    ['SELECT', '15'],
    ['SET', 'in15', 'v'],
    ['HSET', 'bighash', ...Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`]).flat()],
    ['ZADD', 'bigzset', ...Array.from({ length: 200 }, (_, i) => [String(i / 3), `m${i}`]).flat()],
    ['SELECT', '3'],
    ['SADD', 'bigset', ...Array.from({ length: 600 }, (_, i) => `m${i}`)],
    ['SELECT', '0'],
  ];
  for (const s of steps) await c.call(...s);
}

describe('SAVE and loading at start-up', () => {
  it('SAVE writes dir/dbfilename, counts the save, and a new server loads the same dataset', async () => {
    const dir = freshDir();
    const a = await startTestServer({ dir, dbfilename: 'snap.rdb' });
    let digest: string;
    try {
      const c = await a.raw();
      await fill(c);
      // A key whose expiry passes between the save and the load is not resurrected.
      await c.call('SET', 'short', 'v', 'PX', '100');
      await c.call('SELECT', '15');
      await c.call('SET', 'short15', 'v', 'PX', '100');
      await c.call('SELECT', '0');
      expect(Number(infoField((await c.call('INFO', 'persistence')) as string, 'rdb_changes_since_last_save'))).toBeGreaterThan(0);
      expect(await c.call('SAVE')).toBe('OK');
      const info = (await c.call('INFO', 'persistence')) as string;
      expect(infoField(info, 'rdb_changes_since_last_save')).toBe('0');
      expect(infoField(info, 'rdb_saves')).toBe('1');
      expect(infoField(info, 'rdb_last_bgsave_status')).toBe('ok');
      expect(await c.call('LASTSAVE')).toBe(a.running.server.lastSave);
      expect(existsSync(join(dir, 'snap.rdb'))).toBe(true);
      expect(existsSync(join(dir, `temp-${process.pid}.rdb`))).toBe(false);
      await new Promise((r) => setTimeout(r, 150));
      await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
      // The digest counts keys expired but not yet removed: touch them so they are gone.
      expect(await c.call('EXISTS', 'short')).toBe(0);
      await c.call('SELECT', '15');
      expect(await c.call('EXISTS', 'short15')).toBe(0);
      await c.call('SELECT', '0');
      digest = (await c.call('DEBUG', 'DIGEST')) as string;
    } finally {
      await a.stop();
    }
    const b = await startTestServer({ dir, dbfilename: 'snap.rdb' });
    try {
      const c = await b.raw();
      expect(await c.call('DEBUG', 'DIGEST')).toBe(digest);
      expect(await c.call('EXISTS', 'short')).toBe(0);
      expect(await c.call('GET', 'bin\x00\xff\r\nkey')).toBe('\x00\x01\xfe\xff');
      expect(await c.call('OBJECT', 'ENCODING', 'intset')).toBe('intset');
      expect(await c.call('OBJECT', 'ENCODING', 'hash')).toBe('listpack');
      const ttl = (await c.call('PTTL', 'ttl')) as number;
      expect(ttl).toBeGreaterThan(3_000_000);
      const info = (await c.call('INFO', 'persistence')) as string;
      expect(infoField(info, 'rdb_last_load_keys_expired')).toBe('2');
      expect(Number(infoField(info, 'rdb_last_load_keys_loaded'))).toBeGreaterThan(10);
    } finally {
      await b.stop();
    }
  });

  it('rdbcompression and rdbchecksum are honoured', async () => {
    const dir = freshDir();
    const s = await startTestServer({ dir, rdbcompression: 'no', rdbchecksum: 'no' });
    try {
      const c = await s.raw();
      await c.call('SET', 'big', 'a'.repeat(10000));
      expect(await c.call('SAVE')).toBe('OK');
      const raw = readFileSync(join(dir, 'dump.rdb'));
      expect(raw.length).toBeGreaterThan(10000);
      expect(raw.subarray(raw.length - 8).equals(Buffer.alloc(8))).toBe(true);
      await c.call('CONFIG', 'SET', 'rdbcompression', 'yes');
      expect(await c.call('SAVE')).toBe('OK');
      expect(statSync(join(dir, 'dump.rdb')).size).toBeLessThan(1000);
    } finally {
      await s.stop();
    }
  });

  it('SAVE into a directory that cannot be written answers -ERR and counts nothing', async () => {
    const s = await startTestServer({ dir: freshDir() });
    try {
      const c = await s.raw();
      await c.call('SET', 'k', 'v');
      rmSync(s.running.server.config.getString('dir'), { recursive: true });
      expect(await c.call('SAVE')).toEqual({ error: 'ERR' });
      expect(infoField((await c.call('INFO', 'persistence')) as string, 'rdb_changes_since_last_save')).toBe('1');
    } finally {
      await s.stop();
    }
  });

  it('DEBUG RELOAD saves, empties and loads back the dataset', async () => {
    const dir = freshDir();
    const s = await startTestServer({ dir });
    try {
      const c = await s.raw();
      await fill(c);
      const digest = await c.call('DEBUG', 'DIGEST');
      expect(await c.call('DEBUG', 'RELOAD')).toBe('OK');
      expect(await c.call('DEBUG', 'DIGEST')).toBe(digest);
      expect(await c.call('DEBUG', 'RELOAD', 'bogus')).toEqual({ error: 'ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.' });
      // NOSAVE reloads what is on disk: a key added since is gone.
      await c.call('SET', 'later', '1');
      expect(await c.call('DEBUG', 'RELOAD', 'NOSAVE')).toBe('OK');
      expect(await c.call('EXISTS', 'later')).toBe(0);
      // NOFLUSH MERGE keeps keys the file does not have.
      await c.call('SET', 'later', '1');
      expect(await c.call('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE')).toBe('OK');
      expect(await c.call('EXISTS', 'later')).toBe(1);
      rmSync(join(dir, 'dump.rdb'));
      expect(await c.call('DEBUG', 'RELOAD', 'NOSAVE')).toEqual({ error: 'ERR Error trying to load the RDB dump' });
    } finally {
      await s.stop();
    }
  });
});

describe('BGSAVE', () => {
  it('writes the dataset as it was when it started while other clients write, delete and flush', async () => {
    const dir = freshDir();
    const s = await startTestServer({ dir });
    try {
      const server = s.running.server;
      // Enough keys that the save takes many slices of the event loop.
      const db0 = server.databases[0]!;
      const db1 = server.databases[1]!;
      for (let i = 0; i < 200_000; i++) db0.set(`key:${i}`, `value:${i}`);
      for (let i = 0; i < 1000; i++) db1.set(`one:${i}`, `v${i}`);
      const c = await s.raw();
      await c.call('RPUSH', 'list', 'a', 'b', 'c');
      await c.call('HSET', 'hash', 'f', 'v');
      await c.call('EXPIRE', 'key:5', '100000');
      // The dataset at the start, value by value (the values themselves change in place later).
      const expected = new Map<number, Map<string, string>>();
      for (const db of [db0, db1]) {
        const m = new Map<string, string>();
        for (const [k, v] of db.dict) m.set(k, createDumpPayload(v).toString('hex') + ':' + (db.expires.get(k) ?? -1));
        expected.set(db.id, m);
      }

      const writer = await s.raw();
      const pinger = await s.raw();
      expect(await c.call('BGSAVE')).toBe('Background saving started');
      expect(await c.call('BGSAVE')).toEqual({ error: 'ERR Background save already in progress' });
      expect(await c.call('BGSAVE', 'SCHEDULE')).toEqual({ error: 'ERR Background save already in progress' });
      expect(await c.call('SAVE')).toEqual({ error: 'ERR Background save already in progress' });
      expect(infoField((await c.call('INFO', 'persistence')) as string, 'rdb_bgsave_in_progress')).toBe('1');

      let writes = 0;
      let pongs = 0;
      const inProgress = async (): Promise<boolean> => infoField((await pinger.call('INFO', 'persistence')) as string, 'rdb_bgsave_in_progress') === '1';
      const writing = (async () => {
        for (let i = 0; await inProgress(); i++) {
          await writer.call('SET', `key:${(i * 7919) % 200_000}`, 'changed');
          await writer.call('DEL', `key:${(i * 104_729 + 1) % 200_000}`);
          await writer.call('SET', `new:${i}`, 'created');
          await writer.call('RPUSH', 'list', 'd');
          await writer.call('HSET', 'hash', 'f', 'changed');
          await writer.call('PERSIST', 'key:5');
          if (i === 20) {
            await writer.call('SELECT', '1');
            await writer.call('FLUSHDB');
            await writer.call('SELECT', '0');
          }
          writes++;
          expect(await pinger.call('PING')).toBe('PONG');
          pongs++;
        }
      })();
      await writing;
      expect(writes).toBeGreaterThan(0);
      expect(pongs).toBeGreaterThan(0);
      const info = (await c.call('INFO', 'persistence')) as string;
      expect(infoField(info, 'rdb_last_bgsave_status')).toBe('ok');
      expect(infoField(info, 'rdb_saves')).toBe('1');
      expect(infoField(info, 'rdb_last_bgsave_time_sec')).not.toBe('-1');
      // The changes made during the save are still to be saved.
      expect(Number(infoField(info, 'rdb_changes_since_last_save'))).toBeGreaterThan(0);

      const saved = readRdb(readFileSync(join(dir, 'dump.rdb')));
      const actual = new Map<number, Map<string, string>>();
      for (const [id, keys] of saved.databases) {
        const m = new Map<string, string>();
        for (const [k, e] of keys) m.set(k, createDumpPayload(e.value as Value).toString('hex') + ':' + e.expireAt);
        actual.set(id, m);
      }
      expect(actual.get(0)?.size).toBe(expected.get(0)?.size);
      expect(actual.get(1)?.size).toBe(expected.get(1)?.size);
      expect(actual).toEqual(expected);
      expect(existsSync(join(dir, `temp-bgsave-${process.pid}.rdb`))).toBe(false);
    } finally {
      await s.stop();
    }
  });

  it('a BGSAVE whose rename fails is a failed save: the status says err, the temp file is removed, the old file stays', async () => {
    const dir = freshDir();
    const s = await startTestServer({ dir, dbfilename: 'taken.rdb' });
    try {
      const c = await s.raw();
      for (let i = 0; i < 2000; i++) c.send('SET', `k${i}`, 'v'.repeat(100));
      for (let i = 0; i < 2000; i++) await c.read();
      // A directory where the file goes: the rename after the fsync fails.
      mkdirSync(join(dir, 'taken.rdb'));
      writeFileSync(join(dir, 'taken.rdb', 'inside'), 'x');
      expect(await c.call('BGSAVE')).toBe('Background saving started');
      let info = '';
      do {
        await new Promise((r) => setTimeout(r, 10));
        info = (await c.call('INFO', 'persistence')) as string;
      } while (infoField(info, 'rdb_bgsave_in_progress') === '1');
      expect(infoField(info, 'rdb_last_bgsave_status')).toBe('err');
      // Counted when started, as Redis's stat_rdb_saves.
      expect(infoField(info, 'rdb_saves')).toBe('1');
      expect(existsSync(join(dir, `temp-bgsave-${process.pid}.rdb`))).toBe(false);
      expect(readFileSync(join(dir, 'taken.rdb', 'inside'), 'latin1')).toBe('x');
      // Once the way is clear, the next save succeeds.
      rmSync(join(dir, 'taken.rdb'), { recursive: true });
      expect(await c.call('BGSAVE')).toBe('Background saving started');
      do {
        await new Promise((r) => setTimeout(r, 10));
        info = (await c.call('INFO', 'persistence')) as string;
      } while (infoField(info, 'rdb_bgsave_in_progress') === '1');
      expect(infoField(info, 'rdb_last_bgsave_status')).toBe('ok');
      expect(readRdb(readFileSync(join(dir, 'taken.rdb'))).databases.get(0)?.size).toBe(2000);
    } finally {
      await s.stop();
    }
  });

  it('a due save point starts a background save', async () => {
    const dir = freshDir();
    const s = await startTestServer({ dir, save: '1 1', hz: 100 });
    try {
      const c = await s.raw();
      await c.call('SET', 'k', 'v');
      // rdb_saves counts the save when it starts: wait until it has also finished.
      let saves = '0';
      let running = '1';
      for (let i = 0; i < 100 && (saves === '0' || running !== '0'); i++) {
        const info = (await c.call('INFO', 'persistence')) as string;
        saves = infoField(info, 'rdb_saves') ?? '0';
        running = infoField(info, 'rdb_bgsave_in_progress') ?? '1';
        if (saves === '0' || running !== '0') await new Promise((r) => setTimeout(r, 50));
      }
      expect(saves).toBe('1');
      expect(running).toBe('0');
      expect(readRdb(readFileSync(join(dir, 'dump.rdb'))).databases.get(0)?.has('k')).toBe(true);
    } finally {
      await s.stop();
    }
  });
});

interface Proc {
  child: ChildProcess;
  logs: () => string;
  exited: Promise<number | null>;
}

async function spawnNodis(port: number, args: string[]): Promise<Proc> {
  const child = spawn(process.execPath, [BIN, '--port', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout?.on('data', (d: Buffer) => (logs += d.toString('latin1')));
  child.stderr?.on('data', (d: Buffer) => (logs += d.toString('latin1')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, logs: () => logs, exited };
}

describe('nodis-server process: final save and start-up load', () => {
  it('SIGTERM saves when save points are configured; the next start loads it; SHUTDOWN NOSAVE does not save', async () => {
    const dir = freshDir();
    let port = await freePort();
    let p = await spawnNodis(port, ['--dir', dir]);
    let c = await waitForServer(port, 10_000, p.child);
    if (c === null) throw new Error('server did not start');
    await c.call('SET', 'k', 'v');
    await c.call('SELECT', '9');
    await c.call('SET', 'k9', 'v9');
    c.close();
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.logs()).toContain('Saving the final RDB snapshot before exiting.');
    expect(p.logs()).toContain('DB saved on disk');

    port = await freePort();
    p = await spawnNodis(port, ['--dir', dir]);
    c = await waitForServer(port, 10_000, p.child);
    if (c === null) throw new Error('server did not start');
    // The dataset loads after the server listens, and its log line comes through a pipe.
    for (let i = 0; i < 100 && !/DB loaded from disk/.test(p.logs()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(p.logs()).toMatch(/DB loaded from disk: \d+\.\d{3} seconds/);
    expect(await c.call('GET', 'k')).toBe('v');
    await c.call('SELECT', '9');
    expect(await c.call('GET', 'k9')).toBe('v9');
    await c.call('SET', 'k9', 'changed');
    const before = readFileSync(join(dir, 'dump.rdb'));
    c.send('SHUTDOWN', 'NOSAVE');
    expect(await p.exited).toBe(0);
    expect(readFileSync(join(dir, 'dump.rdb')).equals(before)).toBe(true);

    // SHUTDOWN SAVE saves even without save points.
    port = await freePort();
    p = await spawnNodis(port, ['--dir', dir, '--save', '']);
    c = await waitForServer(port, 10_000, p.child);
    if (c === null) throw new Error('server did not start');
    await c.call('SET', 'k', 'after');
    c.send('SHUTDOWN', 'SAVE');
    expect(await p.exited).toBe(0);
    expect(readRdb(readFileSync(join(dir, 'dump.rdb'))).databases.get(0)?.get('k')?.value).toBe('after');
  });

  it('listens while dump.rdb loads, logging as Redis; SIGTERM or SHUTDOWN during the load exits without saving', async () => {
    const dir = freshDir();
    const dump = writeLoadingDump(dir, 2000);
    const original = readFileSync(dump.path);
    const pidfile = join(dir, 'nodis.pid');
    // Default save points: a final save would replace the file with the part loaded so far.
    const args = ['--dir', dir, '--key-load-delay', '1000', '--pidfile', pidfile];

    let port = await freePort();
    let p = await spawnNodis(port, args);
    let c = await connectWhileStarting(port);
    expect(await c.callRaw('GET', 'key:1')).toBe('-LOADING Redis is loading the dataset in memory\r\n');
    expect(existsSync(pidfile)).toBe(true);
    c.close();
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.logs()).toContain('Received shutdown signal during loading, scheduling shutdown.');
    expect(p.logs()).not.toContain('Saving the final RDB snapshot');
    expect(p.logs()).not.toContain('Done loading RDB');
    expect(readFileSync(dump.path).equals(original)).toBe(true);
    expect(existsSync(pidfile)).toBe(false);

    port = await freePort();
    p = await spawnNodis(port, args);
    c = await connectWhileStarting(port);
    expect(await c.callRaw('SET', 'k', 'v')).toBe('-LOADING Redis is loading the dataset in memory\r\n');
    c.send('SHUTDOWN');
    expect(await p.exited).toBe(0);
    expect(p.logs()).not.toContain('Saving the final RDB snapshot');
    expect(readFileSync(dump.path).equals(original)).toBe(true);

    // Left to finish: Redis's lines in Redis's order, and every key there.
    port = await freePort();
    p = await spawnNodis(port, args);
    c = await connectWhileStarting(port);
    while ((await c.callRaw('PING')) !== '+PONG\r\n') await new Promise((r) => setTimeout(r, 50));
    expect(await c.call('DBSIZE')).toBe(2000);
    c.close();
    const order = [
      'Server initialized',
      'Loading RDB produced by version 7.0.15',
      'RDB memory usage when created 5.00 Mb',
      'Done loading RDB, keys loaded: 2010, keys expired: 5.',
      'DB loaded from disk:',
      'Ready to accept connections tcp',
    ].map((line) => p.logs().indexOf(line));
    expect(order.every((at, i) => at !== -1 && (i === 0 || at > (order[i - 1] as number)))).toBe(true);
    p.child.kill('SIGKILL');
    await p.exited;
  });

  it('a corrupt RDB file stops start-up with a clear message', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'dump.rdb'), Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xfe, 0x00, 0x00, 0x03])]));
    const p = await spawnNodis(await freePort(), ['--dir', dir]);
    expect(await p.exited).toBe(1);
    expect(p.logs()).toContain('Fatal error loading the DB');
  });
});

describe.skipIf(!haveRedis)('RDB files are interchangeable with Redis 7.0', () => {
  let server: TestServer | null = null;
  afterAll(async () => server?.stop());

  it('nodis dump.rdb loads into redis-server with the same DEBUG DIGEST, and back', async () => {
    const dir = freshDir();
    server = await startTestServer({ dir });
    const c = await server.raw();
    await fill(c);
    expect(await c.call('SAVE')).toBe('OK');
    const digest = await c.call('DEBUG', 'DIGEST');
    const redisDir = freshDir();
    copyFileSync(join(dir, 'dump.rdb'), join(redisDir, 'from-nodis.rdb'));
    const oracle = await startOracle(['--dir', redisDir, '--dbfilename', 'from-nodis.rdb', '--enable-debug-command', 'yes']);
    try {
      const r = await RawClient.connect(oracle.port);
      expect(await r.call('DEBUG', 'DIGEST')).toBe(digest);
      // Redis's own file, loaded by nodis.
      await r.call('SELECT', '7');
      await r.call('SET', 'from-redis', 'yes');
      await r.call('LPUSH', 'rlist', ...Array.from({ length: 300 }, (_, i) => `e${i}`));
      expect(await r.call('SAVE')).toBe('OK');
      const redisDigest = await r.call('DEBUG', 'DIGEST');
      r.close();
      const loadDir = freshDir();
      copyFileSync(join(redisDir, 'from-nodis.rdb'), join(loadDir, 'dump.rdb'));
      const n = await startTestServer({ dir: loadDir });
      try {
        const nc = await n.raw();
        expect(await nc.call('DEBUG', 'DIGEST')).toBe(redisDigest);
      } finally {
        await n.stop();
      }
    } finally {
      await oracle.stop();
    }
  });
});
