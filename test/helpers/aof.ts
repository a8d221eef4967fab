import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { encodeRdb } from '../../src/persistence/rdb/index.js';
import type { Value } from '../../src/types/value.js';
import { afterEach } from 'vitest';
import type { RawClient } from './raw-client.js';
import { decode } from './resp.js';
import { startTestServer, type TestServer } from './server.js';

/** A fresh directory for a server's `dir`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `nodis-${prefix}-`));
}

/** One field of an INFO reply. */
export function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\r$`, 'm').exec(info)?.[1];
}

export async function persistenceInfo(client: RawClient, name: string): Promise<string | undefined> {
  return infoField((await client.call('INFO', 'persistence')) as string, name);
}

/** Waits until no rewrite runs or waits to run (polling INFO; bounded). */
export async function waitForRewrite(client: RawClient, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = (await client.call('INFO', 'persistence')) as string;
    if (infoField(info, 'aof_rewrite_in_progress') === '0' && infoField(info, 'aof_rewrite_scheduled') === '0') return;
    if (Date.now() > deadline) throw new Error('the AOF rewrite did not finish');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The lines of an AOF directory's manifest. */
export function manifestLines(aofDir: string, filename = 'appendonly.aof'): string[] {
  return readFileSync(join(aofDir, `${filename}.manifest`), 'latin1').split('\n').filter((l) => l !== '');
}

/** Files of an AOF directory, sorted. */
export function aofFiles(aofDir: string): string[] {
  return readdirSync(aofDir).sort();
}

/** RESP encoding of commands, as an AOF holds them. */
export function resp(...commands: string[][]): string {
  let out = '';
  for (const argv of commands) {
    out += `*${argv.length}\r\n`;
    for (const a of argv) out += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  }
  return out;
}

/**
 * An RDB file as an AOF base (aof-base 1): per database number, keys with their value and, if
 * given, their absolute expiry time in ms.
 */
export function rdbBase(databases: Record<number, Array<[key: string, value: Value, expireAt?: number]>>): Buffer {
  return encodeRdb(
    Object.entries(databases).map(([id, keys]) => ({
      id: Number(id),
      dict: new Map(keys.map(([k, v]) => [k, v])),
      expires: new Map(keys.filter((e) => e[2] !== undefined).map(([k, , at]) => [k, at as number])),
    })),
    { header: { aofBase: true } },
  );
}

/** Writes an AOF directory by hand: a manifest and its files (latin1 text, or bytes). */
export function writeAofDir(dir: string, files: ReadonlyArray<{ name: string; type: 'b' | 'i' | 'h'; seq: number; content: string | Buffer }>): string {
  const aofDir = join(dir, 'appendonlydir');
  mkdirSync(aofDir, { recursive: true });
  let manifest = '';
  for (const f of files) {
    writeFileSync(join(aofDir, f.name), typeof f.content === 'string' ? Buffer.from(f.content, 'latin1') : f.content);
    manifest += `file ${f.name} seq ${f.seq} type ${f.type}\n`;
  }
  writeFileSync(join(aofDir, 'appendonly.aof.manifest'), manifest);
  return aofDir;
}

/** A pino logger whose messages land in `lines`. */
export function capturingLogger(lines: string[]): pino.Logger {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push((JSON.parse(line) as { msg: string }).msg);
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

/**
 * Writes of every kind through `c` (and `blocker`, for a blocking pop served later): every
 * type and encoding, binary keys and values, TTLs (one that passes during the run), 16
 * databases, MULTI/EXEC, random pops, FLUSHDB, SWAPDB. Leaves `c` on database 0.
 */
export async function writeEveryKind(c: RawClient, blocker: RawClient): Promise<void> {
  const ok = async (...argv: string[]): Promise<void> => {
    const reply = await c.call(...argv);
    if (reply !== null && typeof reply === 'object' && 'error' in reply) throw new Error(`${argv.join(' ')}: ${reply.error}`);
  };
  await ok('SET', 'str', 'hello');
  await ok('APPEND', 'str', ' world');
  await ok('SET', 'bin\x00\xff\r\nkey', '\x00\x01\xfe\xff\r\n$3\r\n*1');
  await ok('SET', 'int', '12345');
  await ok('INCRBY', 'int', '10');
  await ok('INCRBYFLOAT', 'float', '1.5');
  await ok('SET', 'big', 'x'.repeat(70_000));
  await ok('RPUSH', 'list', 'a', 'b', 'c', '\x00\xff');
  await ok('LPUSH', 'list', 'z');
  await ok('LPOP', 'list');
  await ok('LINSERT', 'list', 'BEFORE', 'b', 'ins');
  const manyItems: string[] = [];
  for (let i = 0; i < 150; i++) manyItems.push(`item:${i}`);
  await ok('RPUSH', 'longlist', ...manyItems);
  await ok('HSET', 'hsmall', 'f1', 'v1', 'f2', 'v2', '\xff', '\x00');
  await ok('HSET', 'hbig', ...manyItems.flatMap((m, i) => [m, String(i)]));
  await ok('HINCRBY', 'hsmall', 'n', '7');
  await ok('SADD', 'intset', '1', '2', '3', '-7');
  await ok('SADD', 'set', 'a', 'b', 'c', 'd', 'e');
  await ok('SADD', 'bigset', ...manyItems);
  await ok('SPOP', 'set');
  await ok('SREM', 'intset', '2');
  await ok('ZADD', 'zs', '1', 'a', '2.5', 'b', '-inf', 'c', '+inf', 'd', '0.1', 'e');
  await ok('ZINCRBY', 'zs', '0.2', 'e');
  await ok('ZADD', 'zbig', ...manyItems.flatMap((m, i) => [String(i / 3), m]));
  await ok('ZPOPMIN', 'zbig');
  await ok('SET', 'ttl', 'v', 'PX', '100000000');
  await ok('EXPIRE', 'list', '100000');
  await ok('PEXPIREAT', 'hsmall', String(Date.now() + 50_000_000));
  await ok('SET', 'soon', 'gone', 'PX', '20');
  await ok('SET', 'persisted', 'v', 'EX', '1000');
  await ok('PERSIST', 'persisted');
  for (let db = 1; db < 16; db++) {
    await ok('SELECT', String(db));
    await ok('SET', `k${db}`, `v${db}`);
    if (db % 3 === 0) await ok('RPUSH', `l${db}`, 'x', 'y');
  }
  await ok('SELECT', '3');
  await ok('FLUSHDB');
  await ok('SET', 'after-flush', '1');
  await ok('SWAPDB', '1', '2');
  await ok('SELECT', '0');
  await ok('MULTI');
  await ok('INCR', 'counter');
  await ok('SADD', 'set', 'in-multi');
  await ok('SELECT', '5');
  await ok('LPUSH', 'l5', 'from-multi');
  await ok('SELECT', '0');
  await ok('EXEC');
  // A blocking pop served later: logged as the push and then the pop.
  blocker.send('BLPOP', 'queue', '0');
  await new Promise((r) => setTimeout(r, 30));
  await ok('RPUSH', 'queue', 'first', 'second');
  const served = await blocker.read();
  if (JSON.stringify(served) !== JSON.stringify(['queue', 'first'])) throw new Error(`BLPOP got ${JSON.stringify(served)}`);
  await ok('DEL', 'int');
  await ok('RENAME', 'str', 'str2');
  // Let 'soon' pass its time, then touch it: its deletion is logged.
  await new Promise((r) => setTimeout(r, 40));
  await c.call('EXISTS', 'soon');
}

/**
 * For a test file whose servers run with `appendonly yes`, each in a directory of its own:
 * `newDir()` and `start(dir)` remember what they made, and everything is stopped and removed
 * after each test.
 */
export function aofTestServers(prefix: string): {
  newDir: () => string;
  start: (dir: string, options?: Record<string, string | number>) => Promise<TestServer>;
  /** A server started otherwise, stopped after the test with the others. */
  keep: (s: TestServer) => void;
  /** Stops a server now (it is not stopped again after the test). */
  stop: (s: TestServer) => Promise<void>;
} {
  const dirs: string[] = [];
  const servers: TestServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    newDir() {
      const d = tempDir(prefix);
      dirs.push(d);
      return d;
    },
    async start(dir, options = {}) {
      const s = await startTestServer({ dir, appendonly: 'yes', ...options });
      servers.push(s);
      return s;
    },
    keep(s) {
      servers.push(s);
    },
    async stop(s) {
      const at = servers.indexOf(s);
      if (at >= 0) servers.splice(at, 1);
      await s.stop();
    },
  };
}

/** Every command of the incremental AOF file in dir/appendonlydir (Redis's or nodis's) so far. */
export function readIncrAof(dir: string): string[][] {
  const aofDir = join(dir, 'appendonlydir');
  const file = readdirSync(aofDir).find((f) => f.endsWith('.incr.aof'));
  if (file === undefined) return [];
  let buf = readFileSync(join(aofDir, file));
  const out: string[][] = [];
  for (;;) {
    const next = decode(buf);
    if (next === null) break;
    out.push(next.value as string[]);
    buf = buf.subarray(next.end);
  }
  return out;
}
