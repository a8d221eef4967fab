/**
 * BGSAVE of a million keys while clients keep writing is a point-in-time image. The reference
 * is taken by the same client, in the same socket write, just before BGSAVE, so that nothing
 * runs between the two: a SAVE (synchronous, the dataset as it is) into another file. Meanwhile
 * other clients overwrite, delete, create and rename keys, change collections, set TTLs that
 * pass during the save, FLUSHDB another database and SWAPDB two more, and keys of a third
 * expire by themselves (active expiry and lazy lookups). The BGSAVE's file must hold exactly
 * what the SAVE's holds: every key once, with the same value and expiry (keys whose time has
 * passed included, as both files hold them); and redis-check-rdb must find it sound.
 *
 * (DEBUG DIGEST of nodis itself would be the natural reference, but it takes about 30 µs a
 * key, half a minute for this dataset: SAVE takes a second or two.)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addValueDigest } from '../../src/keyspace/digest.js';
import { RdbReader } from '../../src/persistence/rdb/index.js';
import type { Value } from '../../src/types/value.js';
import { infoField, tempDir } from '../helpers/aof.js';
import { oracleAvailable } from '../helpers/oracle.js';
import { RawClient } from '../helpers/raw-client.js';
import { encodeCommand, type RespValue } from '../helpers/resp.js';
import { eventually, killAllServerProcesses, startServerProcess } from '../helpers/server-process.js';

const KEYS = 1_000_000;
const MSET_KEYS = 1000;
const hasRedis = oracleAvailable();
const dirs: string[] = [];

afterEach(async () => {
  await killAllServerProcesses();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function isError(reply: RespValue): reply is { error: string } {
  return reply !== null && typeof reply === 'object' && 'error' in reply;
}

/** RESP of a command whose arguments are ASCII (cheaper than encoding each argument apart). */
function encodeAscii(argv: string[]): string {
  let out = `*${argv.length}\r\n`;
  for (const a of argv) out += `$${a.length}\r\n${a}\r\n`;
  return out;
}

/** Sends `commands` pipelined, at most `window` unanswered, and checks that none failed. */
async function pipeline(c: RawClient, commands: Iterable<string[]>, window = 64): Promise<void> {
  let pending = 0;
  for (const argv of commands) {
    c.write(encodeAscii(argv));
    if (++pending < window) continue;
    const reply = await c.read(30_000);
    if (isError(reply)) throw new Error(`${argv[0]}: ${reply.error}`);
    pending--;
  }
  for (; pending > 0; pending--) {
    const reply = await c.read(30_000);
    if (isError(reply)) throw new Error(reply.error);
  }
}

function* fillCommands(): Generator<string[]> {
  for (let base = 0; base < KEYS; base += MSET_KEYS) {
    const argv = ['MSET'];
    // Strings, some of them integers (another encoding in the file).
    for (let i = base; i < base + MSET_KEYS; i++) argv.push(`key:${i}`, i % 3 === 0 ? String(i) : `value:${i}`);
    yield argv;
  }
  for (let i = 0; i < 1000; i++) {
    yield ['HSET', `h:${i}`, 'a', String(i), 'b', 'x'.repeat(i % 100)];
    yield ['RPUSH', `l:${i}`, 'a', 'b', String(i)];
    yield ['ZADD', `z:${i}`, '1', 'a', String(i / 7), 'b'];
    yield ['SADD', `s:${i}`, 'a', String(i)];
    yield ['SET', `ttl:${i}`, String(i), 'EX', '100000'];
  }
  yield ['SELECT', '1'];
  for (let base = 0; base < 20_000; base += MSET_KEYS) {
    const argv = ['MSET'];
    for (let i = base; i < base + MSET_KEYS; i++) argv.push(`db1:${i}`, String(i));
    yield argv;
  }
  for (const db of [3, 4]) {
    yield ['SELECT', String(db)];
    for (let i = 0; i < 500; i++) yield ['SET', `db${db}:${i}`, String(i)];
  }
  yield ['SELECT', '0'];
}

/** Keys in db 2 that expire while the save runs (their times spread over 1.5 s). */
function* expiringCommands(): Generator<string[]> {
  yield ['SELECT', '2'];
  for (let i = 0; i < 5000; i++) yield ['SET', `exp:${i}`, String(i), 'PX', String(20 + (i % 1500))];
  yield ['SELECT', '0'];
}

/** Batches of random writes to db 0, until `stop`; `progress.batches` counts those answered. */
async function writeUntil(c: RawClient, stop: () => boolean, seed: number, progress: { batches: number }): Promise<void> {
  let x = seed;
  const random = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  let batches = 0;
  let created = 0;
  while (!stop()) {
    const batch: string[][] = [];
    for (let i = 0; i < 100; i++) {
      const k = `key:${random(KEYS)}`;
      switch (random(12)) {
        case 0: batch.push(['SET', k, `over:${seed}:${batches}`]); break;
        case 1: batch.push(['DEL', k]); break;
        case 2: batch.push(['SET', `new:${seed}:${created++}`, 'n']); break;
        case 3: batch.push(['HSET', `h:${random(1000)}`, `f${random(50)}`, 'v']); break;
        case 4: batch.push(['LPUSH', `l:${random(1000)}`, 'p']); break;
        case 5: batch.push(['ZINCRBY', `z:${random(1000)}`, '1', 'a']); break;
        case 6: batch.push(['SREM', `s:${random(1000)}`, 'a']); break;
        // A TTL that passes during the save: active expiry deletes the key.
        case 7: batch.push(['PEXPIRE', k, String(1 + random(200))]); break;
        case 8: batch.push(['APPEND', k, '+']); break;
        case 9: batch.push(['RENAME', `key:${random(KEYS)}`, `renamed:${seed}:${created++}`]); break;
        case 10: batch.push(['INCR', `key:${3 * random(KEYS / 3)}`]); break;
        default: batch.push(['GET', `key:${random(KEYS)}`]); break;
      }
    }
    for (const argv of batch) c.send(...argv);
    // Errors are fine here (RENAME of a key deleted meanwhile, INCR of an appended value).
    for (let i = 0; i < batch.length; i++) await c.read(30_000);
    batches++;
    progress.batches = batches;
  }
}

interface SavedKey {
  value: Value;
  expireAt: number;
}

/** An RDB file's keys per database (expired ones kept, as the file holds them); fails on a key written twice. */
function decodeDump(path: string): Array<Map<string, SavedKey>> {
  const databases = Array.from({ length: 16 }, () => new Map<string, SavedKey>());
  const reader = new RdbReader(readFileSync(path), { databases: 16 });
  for (let record = reader.next(); record !== null; record = reader.next()) {
    if (record.kind !== 'key') continue;
    const keys = databases[record.db] as Map<string, SavedKey>;
    if (keys.has(record.key)) throw new Error(`key ${record.key} of db ${record.db} is in ${path} twice`);
    keys.set(record.key, { value: record.value, expireAt: record.expireAt });
  }
  return databases;
}

function sameValue(a: Value, b: Value): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  const digestOf = (v: Value): string => {
    const digest = Buffer.alloc(20);
    addValueDigest(digest, v, false);
    return digest.toString('hex');
  };
  return digestOf(a) === digestOf(b);
}

/**
 * Where the file at `path` differs from the decoded reference (at most `limit` differences,
 * the reference is used up), and how many keys the reference held.
 */
function differences(reference: Array<Map<string, SavedKey>>, path: string, limit = 10): { diffs: string[]; keys: number } {
  const diffs: string[] = [];
  const keys = reference.reduce((n, db) => n + db.size, 0);
  const reader = new RdbReader(readFileSync(path), { databases: 16 });
  for (let record = reader.next(); record !== null && diffs.length < limit; record = reader.next()) {
    if (record.kind !== 'key') continue;
    const want = reference[record.db] as Map<string, SavedKey>;
    const saved = want.get(record.key);
    const where = `db ${record.db} ${record.key}`;
    // (A key written twice is no longer in the reference the second time.)
    if (saved === undefined) diffs.push(`${where}: not in the reference, or written twice`);
    else if (!sameValue(saved.value, record.value)) diffs.push(`${where}: another value`);
    else if (saved.expireAt !== record.expireAt) diffs.push(`${where}: expiry ${record.expireAt}, not ${saved.expireAt}`);
    want.delete(record.key);
  }
  reference.forEach((db, id) => {
    for (const key of db.keys()) if (diffs.length < limit) diffs.push(`db ${id} ${key}: missing`);
  });
  return { diffs, keys };
}

describe('a BGSAVE cut short', () => {
  it('by SIGKILL leaves the previous dump.rdb whole: the restart loads it', { timeout: 60_000 }, async () => {
    const dir = tempDir('bgsave-killed');
    dirs.push(dir);
    // One key per millisecond: the save is still running when the process dies.
    const args = ['--rdb-key-save-delay', '1000'];
    const { server, client: c } = await startServerProcess('nodis', dir, args);
    await pipeline(c, [['MSET', ...Array.from({ length: 2000 }, (_, i) => [`k:${i}`, 'old']).flat()]]);
    expect(await c.call('SAVE')).toBe('OK');
    await pipeline(c, [['MSET', ...Array.from({ length: 2000 }, (_, i) => [`k:${i}`, 'new']).flat()]]);
    expect(await c.call('BGSAVE')).toBe('Background saving started');
    await new Promise((r) => setTimeout(r, 200));
    expect(infoField((await c.call('INFO', 'persistence')) as string, 'rdb_bgsave_in_progress')).toBe('1');
    c.close();
    await server.kill();
    const again = await startServerProcess('nodis', dir, []);
    expect(await again.client.call('DBSIZE')).toBe(2000);
    expect(await again.client.call('MGET', 'k:0', 'k:1999')).toEqual(['old', 'old']);
    again.client.close();
  });
});

describe('BGSAVE of a large dataset under writes', () => {
  it(`a ${KEYS / 1e6}M-key BGSAVE is a point-in-time image of the dataset`, { timeout: 120_000 }, async () => {
    const dir = tempDir('bgsave-1m');
    dirs.push(dir);
    const { server, client: c } = await startServerProcess('nodis', dir, ['--enable-protected-configs', 'yes']);
    await pipeline(c, fillCommands());
    expect(await c.call('DBSIZE')).toBe(KEYS + 5000);
    const writers = await Promise.all([0, 1].map(() => RawClient.connect(server.port)));
    const flusher = await RawClient.connect(server.port);
    let saving = true;
    const progress = writers.map(() => ({ batches: 0 }));
    const writing = writers.map((w, i) => writeUntil(w, () => !saving, 7 + i, progress[i] as { batches: number }));
    await pipeline(c, expiringCommands());

    // The reference and the save start in one socket write: nothing runs between them.
    c.write(
      Buffer.concat(
        [['CONFIG', 'SET', 'dbfilename', 'reference.rdb'], ['SAVE'], ['CONFIG', 'SET', 'dbfilename', 'dump.rdb'], ['BGSAVE']].map((argv) => encodeCommand(argv)),
      ),
    );
    for (const expected of ['OK', 'OK', 'OK', 'Background saving started']) expect(await c.read(60_000)).toBe(expected);
    const batchesAtStart = progress.map((p) => p.batches);

    // While it runs: FLUSHDB of db 1 and SWAPDB 3 4 (the whole databases change at once),
    // new keys there, and lookups of db 2's keys whose time passes (lazy expiry).
    expect(await flusher.call('SELECT', '1')).toBe('OK');
    expect(await flusher.call('FLUSHDB')).toBe('OK');
    await pipeline(flusher, Array.from({ length: 500 }, (_, i) => ['SET', `after-flush:${i}`, 'x']));
    expect(await flusher.call('SWAPDB', '3', '4')).toBe('OK');
    expect(await flusher.call('SELECT', '2')).toBe('OK');
    await pipeline(flusher, Array.from({ length: 5000 }, (_, i) => ['GET', `exp:${i}`]));

    let polls = 0;
    await eventually(async () => {
      polls++;
      return infoField((await c.call('INFO', 'persistence')) as string, 'rdb_bgsave_in_progress') === '0';
    }, 'the BGSAVE to end', 90_000);
    saving = false;
    // The writers were answered while the save ran (each batch is 100 commands).
    const batchesAtEnd = progress.map((p) => p.batches);
    await Promise.all(writing);
    expect(infoField((await c.call('INFO', 'persistence')) as string, 'rdb_last_bgsave_status')).toBe('ok');
    batchesAtEnd.forEach((n, i) => expect(n).toBeGreaterThan(batchesAtStart[i] as number));
    expect(polls).toBeGreaterThan(1);
    for (const w of [...writers, flusher]) w.close();
    c.close();
    await server.kill();

    const { diffs, keys } = differences(decodeDump(join(dir, 'reference.rdb')), join(dir, 'dump.rdb'));
    expect(diffs).toEqual([]);
    expect(keys).toBeGreaterThanOrEqual(KEYS);

    if (hasRedis) {
      // Redis's own checker reads the whole file: its format is Redis's.
      const check = spawnSync('redis-check-rdb', [join(dir, 'dump.rdb')], { encoding: 'utf8' });
      expect(check.stdout).toContain('RDB looks OK!');
      expect(check.status).toBe(0);
    }
  });
});
