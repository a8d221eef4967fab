/**
 * BGSAVE and BGREWRITEAOF of a large collection write it in pieces, a slice of the event loop
 * each. When that very key changes while it is half written (a write to it, DEL, RENAME,
 * FLUSHDB, SWAPDB, EXPIRE), the snapshot still holds it as it was when the job started: the
 * RDB file, loaded by nodis and by redis-server, and the AOF base alone hold the dataset of
 * the start; the whole AOF (base and incremental file) holds the dataset of the end.
 *
 * rdb-key-save-delay makes each piece a slice of its own, 20 ms apart: the commands sent right
 * after the job starts land while the first key (the large one) is half written.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../helpers/dataset.js';
import { manifestLines, waitForRewrite, writeAofDir } from '../helpers/aof.js';
import { oracleAvailable, startOracle } from '../helpers/oracle.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestServer } from '../helpers/server.js';

const haveRedis = oracleAvailable();
const MEMBERS = 2000;
const PIECE_DELAY_US = '20000';

interface Kind {
  /** CONFIG SET pairs that give the wanted encoding. */
  config: string[];
  fill: string[];
  /** Commands that change `key` (of this kind) in place. */
  change(key: string): string[][];
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

const KINDS: Record<string, Kind> = {
  hashtable: {
    config: [],
    fill: ['HSET', 'big', ...range(MEMBERS).flatMap((i) => [`field:${i}`, `value:${i}`])],
    change: (key) => [['HSET', key, 'field:0', 'changed', 'new', 'x'], ['HDEL', key, 'field:1', 'field:2', 'field:1999']],
  },
  set: {
    config: [],
    fill: ['SADD', 'big', ...range(MEMBERS).map((i) => `member:${i}`)],
    change: (key) => [['SADD', key, 'new'], ['SREM', key, 'member:0', 'member:5', 'member:1999']],
  },
  skiplist: {
    config: [],
    fill: ['ZADD', 'big', ...range(MEMBERS).flatMap((i) => [String(i / 3), `member:${i}`])],
    change: (key) => [['ZADD', key, '-1', 'new'], ['ZINCRBY', key, '1000', 'member:3'], ['ZREM', key, 'member:0', 'member:1999']],
  },
  quicklist: {
    config: [],
    fill: ['RPUSH', 'big', ...range(MEMBERS).map((i) => (i % 10 === 0 ? String(i) : `element:${i}`))],
    change: (key) => [['LPOP', key, '3'], ['RPUSH', key, 'new'], ['LSET', key, '100', 'changed']],
  },
  'hash listpack': {
    config: ['hash-max-listpack-entries', '10000'],
    fill: ['HSET', 'big', ...range(MEMBERS).flatMap((i) => [`field:${i}`, `value:${i}`])],
    change: (key) => [['HSET', key, 'field:0', 'changed'], ['HDEL', key, 'field:1']],
  },
  intset: {
    config: ['set-max-intset-entries', '10000'],
    fill: ['SADD', 'big', ...range(MEMBERS).map((i) => String(i * 7 - 500))],
    change: (key) => [['SADD', key, '999999'], ['SREM', key, '-500', '2']],
  },
  // A string changed in place (a MutableString): written from a copy taken as it starts.
  bitmap: {
    config: [],
    fill: ['SETRANGE', 'big', '0', 'x'.repeat(300_000)],
    change: (key) => [['SETBIT', key, '5', '1'], ['SETRANGE', key, '100000', 'changed'], ['APPEND', key, 'tail'], ['BITFIELD', key, 'INCRBY', 'u8', '#2', '1']],
  },
  'zset listpack': {
    config: ['zset-max-listpack-entries', '10000'],
    fill: ['ZADD', 'big', ...range(MEMBERS).flatMap((i) => [String(i * 1.5), `m${i}`])],
    change: (key) => [['ZADD', key, '0.25', 'm7'], ['ZREM', key, 'm0']],
  },
};

/** What happens to the big key while it is being written. */
const CHANGES: Record<string, (kind: Kind) => string[][]> = {
  'a write to it': (kind) => kind.change('big'),
  DEL: () => [['DEL', 'big'], ['SET', 'big', 'now a string']],
  RENAME: (kind) => [['RENAME', 'big', 'moved'], ...kind.change('moved')],
  FLUSHDB: () => [['FLUSHDB'], ['SET', 'after-flush', 'x']],
  SWAPDB: (kind) => [['SWAPDB', '0', '1'], ['SELECT', '1'], ...kind.change('big'), ['SELECT', '0']],
  EXPIRE: (kind) => [['EXPIRE', 'big', '100000'], ...kind.change('big')],
};

/** Every change for the four large encodings; two for the compact ones made large by config. */
const CASES: Array<[string, string]> = Object.keys(KINDS).flatMap((kind) =>
  Object.keys(CHANGES)
    .filter((change) => ['hashtable', 'set', 'skiplist', 'quicklist'].includes(kind) || change === 'a write to it' || change === 'SWAPDB')
    .map((change): [string, string] => [kind, change]),
);

let root: string;
let counter = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'nodis-bigkeys-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = join(root, `d${counter++}`);
  mkdirSync(dir);
  return dir;
}

async function ok(c: RawClient, argv: string[]): Promise<void> {
  const reply = await c.call(...argv);
  if (reply !== null && typeof reply === 'object' && 'error' in reply) throw new Error(`${argv[0]}: ${reply.error}`);
}

/** The big key first (the walk reaches it first), then small keys in two databases. */
async function fill(c: RawClient, kind: Kind): Promise<void> {
  for (let i = 0; i < kind.config.length; i += 2) await ok(c, ['CONFIG', 'SET', kind.config[i] as string, kind.config[i + 1] as string]);
  await ok(c, kind.fill);
  for (let i = 0; i < 30; i++) await ok(c, ['SET', `small:${i}`, `v${i}`]);
  await ok(c, ['SET', 'ttl', 'v', 'PX', '100000000']);
  await ok(c, ['SELECT', '1']);
  await ok(c, ['SET', 'in1', 'one']);
  await ok(c, ['HSET', 'h1', 'f', 'v']);
  await ok(c, ['SELECT', '0']);
}

function info(text: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)\r$`, 'm').exec(text)?.[1];
}

/** What a nodis started on `dir` (with these options) holds, and its digest. */
async function loadedBy(dir: string, options: Record<string, string> = {}): Promise<{ keys: unknown; digest: unknown }> {
  const s = await startTestServer({ dir, ...options });
  try {
    const c = await s.raw();
    return { keys: [...(await readDataset(c, 2))].sort(), digest: await c.call('DEBUG', 'DIGEST') };
  } finally {
    await s.stop();
  }
}

/** DEBUG DIGEST of a redis-server started on `dir` with these arguments. */
async function redisDigest(dir: string, args: string[]): Promise<unknown> {
  const oracle = await startOracle(['--dir', dir, '--enable-debug-command', 'yes', ...args]);
  try {
    const r = await RawClient.connect(oracle.port);
    const digest = await r.call('DEBUG', 'DIGEST');
    r.close();
    return digest;
  } finally {
    await oracle.stop();
  }
}

describe('BGSAVE of a large key that changes while it is written', () => {
  for (const [kindName, changeName] of CASES) {
    it(`${kindName}, ${changeName}: the file holds the dataset of the start`, async () => {
      const kind = KINDS[kindName] as Kind;
      const dir = freshDir();
      const s = await startTestServer({ dir, 'rdb-key-save-delay': PIECE_DELAY_US });
      try {
        const c = await s.raw();
        await fill(c, kind);
        const atStart = { keys: [...(await readDataset(c, 2))].sort(), digest: await c.call('DEBUG', 'DIGEST') };
        expect(await c.call('BGSAVE')).toBe('Background saving started');
        for (const argv of (CHANGES[changeName] as (k: Kind) => string[][])(kind)) await ok(c, argv);
        while (info((await c.call('INFO', 'persistence')) as string, 'rdb_bgsave_in_progress') === '1') await new Promise((r) => setTimeout(r, 10));
        expect(info((await c.call('INFO', 'persistence')) as string, 'rdb_last_bgsave_status')).toBe('ok');
        // The live dataset did change.
        expect(await c.call('DEBUG', 'DIGEST')).not.toBe(atStart.digest);

        const loadDir = freshDir();
        copyFileSync(join(dir, 'dump.rdb'), join(loadDir, 'dump.rdb'));
        expect(await loadedBy(loadDir)).toEqual(atStart);
        if (haveRedis) {
          const check = spawnSync('redis-check-rdb', [join(loadDir, 'dump.rdb')], { encoding: 'utf8' });
          expect(check.status, check.stdout + check.stderr).toBe(0);
          expect(check.stdout).toContain('RDB looks OK');
          expect(await redisDigest(loadDir, ['--dbfilename', 'dump.rdb'])).toBe(atStart.digest);
        }
      } finally {
        await s.stop();
      }
    });
  }
});

describe('BGREWRITEAOF of a large key that changes while it is written', () => {
  for (const [kindName, changeName] of CASES) {
    it(`${kindName}, ${changeName}: the base holds the dataset of the start, base and incremental file that of the end`, async () => {
      const kind = KINDS[kindName] as Kind;
      const dir = freshDir();
      // The base as commands (with an RDB base the rewrite is BGSAVE's walk, tested above).
      const s = await startTestServer({ dir, appendonly: 'yes', 'aof-use-rdb-preamble': 'no', 'rdb-key-save-delay': PIECE_DELAY_US });
      try {
        const c = await s.raw();
        await fill(c, kind);
        const atStart = { keys: [...(await readDataset(c, 2))].sort(), digest: await c.call('DEBUG', 'DIGEST') };
        expect(await c.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
        for (const argv of (CHANGES[changeName] as (k: Kind) => string[][])(kind)) await ok(c, argv);
        await waitForRewrite(c);
        expect(info((await c.call('INFO', 'persistence')) as string, 'aof_last_bgrewrite_status')).toBe('ok');
        const atEnd = { keys: [...(await readDataset(c, 2))].sort(), digest: await c.call('DEBUG', 'DIGEST') };
        expect(atEnd.digest).not.toBe(atStart.digest);

        const aofDir = join(dir, 'appendonlydir');
        // Lines "file <name> seq <n> type <b|i>".
        const files = manifestLines(aofDir).map((line) => {
          const words = line.split(' ');
          return { name: words[1] as string, seq: Number(words[3]), type: words[5] as 'b' | 'i' };
        });
        const base = files.find((f) => f.type === 'b') as { name: string };
        // The base alone.
        const baseDir = freshDir();
        writeAofDir(baseDir, [{ name: base.name, type: 'b', seq: 1, content: readFileSync(join(aofDir, base.name), 'latin1') }]);
        const fromBase = await loadedBy(baseDir, { appendonly: 'yes' });
        const flushed = changeName === 'FLUSHDB';
        if (flushed) {
          // The keys of database 0 the walk had not reached are left out (the flush that follows
          // in the incremental file removes them anyway); the big key, half written, is whole.
          const reached = (atStart.keys as Array<[string, unknown]>).filter(([k]) => k === '0:big' || k.startsWith('1:'));
          expect(fromBase.keys).toEqual(reached);
        } else {
          expect(fromBase).toEqual(atStart);
        }
        // Base and incremental file.
        const wholeDir = freshDir();
        writeAofDir(
          wholeDir,
          files.map((f) => ({ ...f, content: readFileSync(join(aofDir, f.name), 'latin1') })),
        );
        expect(await loadedBy(wholeDir, { appendonly: 'yes' })).toEqual(atEnd);
        if (haveRedis) {
          for (const [d, expected] of [
            [baseDir, flushed ? fromBase.digest : atStart.digest],
            [wholeDir, atEnd.digest],
          ] as const) {
            const check = spawnSync('redis-check-aof', [join(d, 'appendonlydir', 'appendonly.aof.manifest')], { encoding: 'utf8' });
            expect(check.status, check.stdout + check.stderr).toBe(0);
            expect(await redisDigest(d, ['--appendonly', 'yes'])).toBe(expected);
          }
        }
      } finally {
        await s.stop();
      }
    });
  }
});
