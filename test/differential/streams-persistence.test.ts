/**
 * Streams and their consumer groups across files and payloads shared with Redis 7.0: RDB files
 * both ways (redis-check-rdb accepts nodis's), DUMP/RESTORE both ways, AOF rewrites (an RDB or
 * a command base) that Redis loads, and the AOF nodis logs: the same commands Redis logs for
 * the same writes (XADD with its generated ID, approximate trims made exact, XREADGROUP /
 * XCLAIM / XAUTOCLAIM as XCLAIM and XGROUP SETID effects).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { readIncrAof, tempDir, waitForRewrite } from '../helpers/aof.js';
import { Crc64 } from '../../src/persistence/rdb/crc64.js';

const hasOracle = oracleAvailable();
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function newDir(): string {
  const d = tempDir('streams');
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function nodis(options: Record<string, string> = {}): Promise<{ server: TestServer; c: RawClient }> {
  const server = await startTestServer(options);
  const c = await server.raw();
  cleanups.push(() => server.stop());
  return { server, c };
}

async function redis(args: string[] = []): Promise<{ oracle: Oracle; c: RawClient }> {
  const oracle = await startOracle(['--enable-debug-command', 'yes', ...args]);
  const c = await RawClient.connect(oracle.port);
  cleanups.push(async () => {
    c.close();
    await oracle.stop();
  });
  return { oracle, c };
}

async function ok(c: RawClient, ...argv: string[]): Promise<unknown> {
  const reply = await c.call(...argv);
  if (reply !== null && typeof reply === 'object' && 'error' in reply) throw new Error(`${argv.join(' ')}: ${(reply as { error: string }).error}`);
  return reply;
}

/** Streams of every shape: many nodes, tombstones, groups with PELs, empty streams, huge IDs, binary data. */
async function buildStreams(c: RawClient): Promise<void> {
  for (let i = 1; i <= 700; i++) {
    const fields = i % 11 === 0 ? ['other', 'o'.repeat(i % 90), 'n', String(i)] : ['f', `v${i}`, 'n', String(i * 7)];
    await ok(c, 'XADD', 's1', `${1700000000000 + Math.floor(i / 3)}-${i}`, ...fields);
  }
  await ok(c, 'XDEL', 's1', '1700000000001-3', '1700000000100-300', '1700000000100-301', '1700000000233-699');
  await ok(c, 'XTRIM', 's1', 'MAXLEN', '650');
  await ok(c, 'XGROUP', 'CREATE', 's1', 'g1', '0');
  await ok(c, 'XGROUP', 'CREATE', 's1', 'g2', '1700000000100-0', 'ENTRIESREAD', '250');
  await ok(c, 'XGROUP', 'CREATE', 's1', 'g0', '$');
  await ok(c, 'XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '120', 'STREAMS', 's1', '>');
  await ok(c, 'XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '30', 'STREAMS', 's1', '>');
  await ok(c, 'XACK', 's1', 'g1', '1700000000020-60', '1700000000021-63');
  await ok(c, 'XCLAIM', 's1', 'g1', 'carol', '0', '1700000000030-90', '1700000000031-93', 'TIME', '1600000000000', 'RETRYCOUNT', '9');
  await ok(c, 'XGROUP', 'CREATECONSUMER', 's1', 'g1', 'idle-one');
  await ok(c, 'XREADGROUP', 'GROUP', 'g2', 'n1', 'NOACK', 'COUNT', '5', 'STREAMS', 's1', '>');
  await ok(c, 'XGROUP', 'CREATE', 'empty', 'g', '$', 'MKSTREAM');
  await ok(c, 'XSETID', 'empty', '5-5', 'ENTRIESADDED', '10', 'MAXDELETEDID', '3-3');
  await ok(c, 'XADD', 'huge', '18446744073709551614-18446744073709551615', 'a', '1');
  await ok(c, 'XADD', 'huge', '18446744073709551615-0', 'b', '2');
  await ok(c, 'XADD', 'gone', '1-1', 'a', '1');
  await ok(c, 'XDEL', 'gone', '1-1');
  await ok(c, 'XADD', 'bin\x00\xff', '1-1', '\x00\r\n', '\xff'.repeat(5000), 'k', '');
  await ok(c, 'XADD', 'bin\x00\xff', '1-2', 'x'.repeat(300), '-0', '18446744073709551616', '01');
  await ok(c, 'SELECT', '3');
  await ok(c, 'XADD', 'other-db', '1-1', 'f', 'v');
  await ok(c, 'PEXPIREAT', 'other-db', String(Date.now() + 86400_000));
  await ok(c, 'SELECT', '0');
}

const STREAM_KEYS = ['s1', 'empty', 'huge', 'gone', 'bin\x00\xff'];

/** What a server holds of the streams: XINFO STREAM FULL, XRANGE, groups and consumers, raw. */
async function streamsState(c: RawClient, maskSeen = false): Promise<string[]> {
  const out: string[] = [];
  for (const key of STREAM_KEYS) {
    let full = await c.callRaw('XINFO', 'STREAM', key, 'FULL', 'COUNT', '0');
    if (maskSeen) full = full.replace(/(\$9\r\nseen-time\r\n:)\d+/g, '$1<seen>');
    out.push(full);
    out.push(await c.callRaw('XRANGE', key, '-', '+'));
    out.push(await c.callRaw('OBJECT', 'ENCODING', key));
  }
  out.push(await c.callRaw('DEBUG', 'DIGEST'));
  await c.call('SELECT', '3');
  out.push(await c.callRaw('XRANGE', 'other-db', '-', '+'));
  out.push(await c.callRaw('PEXPIRETIME', 'other-db'));
  await c.call('SELECT', '0');
  return out;
}

function checkRdb(file: string): void {
  const run = spawnSync('redis-check-rdb', [file], { encoding: 'utf8' });
  expect(run.status, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toContain('RDB looks OK');
}

describe.skipIf(!hasOracle)('streams in files and payloads shared with Redis 7.0', () => {
  it('nodis loads the dump.rdb Redis saves, and Redis loads the one nodis saves (redis-check-rdb accepts it)', async () => {
    const r = await redis();
    await buildStreams(r.c);
    const expected = await streamsState(r.c);
    await ok(r.c, 'SAVE');

    const dir = newDir();
    copyFileSync(join(r.oracle.dir, 'dump.rdb'), join(dir, 'dump.rdb'));
    const n = await nodis({ dir });
    expect(await streamsState(n.c)).toEqual(expected);

    // And back: nodis saves, Redis loads.
    await ok(n.c, 'SAVE');
    checkRdb(join(dir, 'dump.rdb'));
    const back = await redis(['--dir', dir]);
    expect(await streamsState(back.c)).toEqual(expected);
  });

  it('a BGSAVE while streams change saves them as they were when it started', async () => {
    const n = await nodis({ 'rdb-key-save-delay': '100' });
    await buildStreams(n.c);
    const expected = await streamsState(n.c);
    await ok(n.c, 'BGSAVE');
    // Changes the save has not reached yet: each key is copied before it changes.
    await ok(n.c, 'XADD', 's1', '*', 'late', 'entry');
    await ok(n.c, 'XREADGROUP', 'GROUP', 'g1', 'zed', 'STREAMS', 's1', '>');
    await ok(n.c, 'XGROUP', 'DESTROY', 's1', 'g2');
    await ok(n.c, 'DEL', 'huge');
    await ok(n.c, 'XADD', 'empty', '9-9', 'a', 'b');
    for (;;) {
      const info = (await n.c.call('INFO', 'persistence')) as string;
      if (info.includes('rdb_bgsave_in_progress:0')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const dir = (await n.c.call('CONFIG', 'GET', 'dir')) as string[];
    const r = await redis(['--dir', dir[1] as string]);
    expect(await streamsState(r.c)).toEqual(expected);
  });

  it('DUMP payloads RESTORE on the other side as the same streams', async () => {
    const r = await redis();
    const n = await nodis();
    await buildStreams(r.c);
    await buildStreams(n.c);
    for (const key of STREAM_KEYS) {
      const fromRedis = (await r.c.call('DUMP', key)) as string;
      const fromNodis = (await n.c.call('DUMP', key)) as string;
      await ok(n.c, 'RESTORE', `r:${key}`, '0', fromRedis);
      await ok(r.c, 'RESTORE', `n:${key}`, '0', fromNodis);
      expect(await n.c.callRaw('XINFO', 'STREAM', `r:${key}`, 'FULL')).toEqual(await r.c.callRaw('XINFO', 'STREAM', key, 'FULL'));
      expect(await r.c.callRaw('XINFO', 'STREAM', `n:${key}`, 'FULL')).toEqual(await n.c.callRaw('XINFO', 'STREAM', key, 'FULL'));
    }
    // Damaged payloads (with a right CRC) are refused, or taken, as Redis with deep sanitization does.
    await ok(r.c, 'CONFIG', 'SET', 'sanitize-dump-payload', 'yes');
    for (const side of [r.c, n.c]) {
      await ok(side, 'CONFIG', 'SET', 'rdbcompression', 'no');
      await ok(side, 'XADD', 'victim', '1-1', 'f', 'v', 'g', '7');
      await ok(side, 'XADD', 'victim', '1-2', 'f', 'w', 'g', '8');
      await ok(side, 'XADD', 'victim', '2-0', 'h', 'x');
      await ok(side, 'XDEL', 'victim', '1-2');
      await ok(side, 'XGROUP', 'CREATE', 'victim', 'g', '0');
    }
    expect(await r.c.call('DUMP', 'victim')).toBe(await n.c.call('DUMP', 'victim'));
    await ok(r.c, 'XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 'victim', '>');
    const good = Buffer.from((await r.c.call('DUMP', 'victim')) as string, 'latin1');
    let seed = 7;
    for (let i = 0; i < 400; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const bad = Buffer.from(good);
      const at = 1 + (seed % (good.length - 11));
      bad[at] = i % 3 === 0 ? (bad[at] as number) ^ 0xff : i % 3 === 1 ? (bad[at] as number) + 1 : 0;
      new Crc64().update(bad, 0, bad.length - 8).writeLE(bad, bad.length - 8);
      const args = ['RESTORE', `bad${i}`, '0', bad.toString('latin1')];
      const [fromN, fromR] = [await n.c.callRaw(...args), await r.c.callRaw(...args)];
      expect(fromN, `byte ${at} of ${good.length}`).toBe(fromR);
      if (fromR === '+OK\r\n') {
        expect(await n.c.callRaw('XINFO', 'STREAM', `bad${i}`, 'FULL'), `byte ${at}`).toBe(await r.c.callRaw('XINFO', 'STREAM', `bad${i}`, 'FULL'));
      }
    }
  });

  it.each(['yes', 'no'])('an AOF rewrite (aof-use-rdb-preamble %s) loads in Redis, and in nodis again, as the same streams', async (preamble) => {
    const dir = newDir();
    const first = await startTestServer({ dir, appendonly: 'yes', 'aof-use-rdb-preamble': preamble });
    const c = await first.raw();
    await buildStreams(c);
    await ok(c, 'BGREWRITEAOF');
    await waitForRewrite(c);
    // Consumers are made again by the rewritten commands: their seen times are the load's.
    const maskSeen = preamble === 'no';
    const expected = await streamsState(c, maskSeen);
    await first.stop();
    const again = await startTestServer({ dir, appendonly: 'yes' });
    expect(await streamsState(await again.raw(), maskSeen)).toEqual(expected);
    await again.stop();
    const check = spawnSync('redis-check-aof', [join(dir, 'appendonlydir', 'appendonly.aof.manifest')], { encoding: 'utf8' });
    expect(check.stdout).toContain('valid');
    const r = await redis(['--appendonly', 'yes', '--dir', dir]);
    expect(await streamsState(r.c, maskSeen)).toEqual(expected);
  });

  it('logs to its AOF the commands Redis logs for the same stream writes, and loads them back', async () => {
    const nDir = newDir();
    const nServer = await startTestServer({ dir: nDir, appendonly: 'yes' });
    const n = { server: nServer, c: await nServer.raw() };
    const r = await redis(['--appendonly', 'yes']);
    const blockedN = await n.server.raw();
    const blockedR = await RawClient.connect(r.oracle.port);
    cleanups.push(() => blockedR.close());
    const script: string[][] = [
      ['XADD', 's', '1-1', 'a', '1'], ['XADD', 's', '1-*', 'a', '2'], ['XADD', 's', '2-*', 'a', '3'],
      ['XADD', 'nokey', 'NOMKSTREAM', '*', 'a', '1'],
      ['XGROUP', 'CREATE', 's', 'g', '0'], ['XGROUP', 'CREATE', 's', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '2', 'STREAMS', 's', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'c2', 'NOACK', 'STREAMS', 's', '>'],
      ['XREADGROUP', 'GROUP', 'g', 'c1', 'STREAMS', 's', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'c3', 'STREAMS', 's', '>'],
      ['XACK', 's', 'g', '1-1', '9-9'], ['XACK', 's', 'g', '9-9'],
      ['XCLAIM', 's', 'g', 'c4', '0', '1-2', 'TIME', '1500000000000', 'RETRYCOUNT', '3'],
      ['XCLAIM', 's', 'g', 'c4', '0', '1-2', 'JUSTID', 'LASTID', '5-0'],
      ['XCLAIM', 's', 'g', 'c4', '0', 'LASTID', '6-0'],
      ['XCLAIM', 's', 'g', 'c4', '100000000', '1-2'],
      ['XDEL', 's', '1-2'],
      ['XCLAIM', 's', 'g', 'c5', '0', '1-2'],
      ['XADD', 's', '3-1', 'a', '4'], ['XREADGROUP', 'GROUP', 'g', 'c1', 'STREAMS', 's', '>'], ['XDEL', 's', '3-1'],
      ['XAUTOCLAIM', 's', 'g', 'c6', '0', '0', 'COUNT', '10', 'JUSTID'],
      ['XGROUP', 'SETID', 's', 'g', '0', 'ENTRIESREAD', '0'], ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c7'],
      ['XGROUP', 'DELCONSUMER', 's', 'g', 'c7'], ['XGROUP', 'DESTROY', 's', 'g'], ['XGROUP', 'DESTROY', 's', 'g'],
      ['XSETID', 's', '10-0'], ['XDEL', 's', '99-0'],
      ...Array.from({ length: 250 }, (_, i) => ['XADD', 't', `${i + 1}-0`, 'f', String(i)]),
      ['XADD', 't', 'MAXLEN', '~', '100', '300-0', 'f', 'v'],
      ['XADD', 't', 'MINID', '~', '200', 'LIMIT', '100', '301-0', 'f', 'v'],
      ['XTRIM', 't', 'MAXLEN', '~', '10'], ['XTRIM', 't', 'MINID', '~', '1000'], ['XTRIM', 't', 'MAXLEN', '0'],
      ['XTRIM', 't', 'MAXLEN', '~', '10'],
      ['MULTI'], ['XADD', 'm', '1-1', 'a', '1'], ['XGROUP', 'CREATE', 'm', 'g', '0'], ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'm', '>'], ['EXEC'],
      ['XGROUP', 'CREATE', 'b', 'g', '$', 'MKSTREAM'],
    ];
    for (const argv of script) {
      expect(await n.c.callRaw(...argv), JSON.stringify(argv)).toBe(await r.c.callRaw(...argv));
    }
    // A blocked XREADGROUP served by a later XADD, on both.
    blockedN.send('XREADGROUP', 'GROUP', 'g', 'w', 'BLOCK', '0', 'STREAMS', 'b', '>');
    blockedR.send('XREADGROUP', 'GROUP', 'g', 'w', 'BLOCK', '0', 'STREAMS', 'b', '>');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await ok(n.c, 'XADD', 'b', '1-1', 'x', 'y');
    await ok(r.c, 'XADD', 'b', '1-1', 'x', 'y');
    expect(await blockedN.read()).toEqual(await blockedR.read());
    await ok(n.c, 'XADD', 'b', '*', 'x', 'y');
    await ok(r.c, 'XADD', 'b', '*', 'x', 'y');
    // Redis postpones its AOF write while a background fsync runs (appendfsync everysec), for
    // up to 2 s: both files are read once they end with that last XADD.
    const endsWithLastXadd = (dir: string): boolean => {
      const last = readIncrAof(dir).at(-1);
      return last !== undefined && last[0] === 'XADD' && last[1] === 'b' && last[2] !== '1-1';
    };
    for (let i = 0; i < 100 && !(endsWithLastXadd(nDir) && endsWithLastXadd(r.oracle.dir)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const mask = (argvs: string[][]): string[][] =>
      argvs.map((argv) => argv.map((a) => a.replace(/^1\d{12}(-\d+)?$/, '<time>$1').replace(/^1\d{12}-0$/, '<time>-0')));
    const redisDir = r.oracle.dir;
    expect(mask(readIncrAof(nDir))).toEqual(mask(readIncrAof(redisDir)));
    expect(readdirSync(join(nDir, 'appendonlydir')).length).toBeGreaterThan(0);
    // Restarted on its AOF, nodis holds what Redis holds once it reloads its own: the same
    // streams and PELs (what the log does not carry, as a group's entries-read after XREADGROUP,
    // is lost on both sides; consumers' seen times are those of the replay).
    const state = async (c: RawClient): Promise<string[]> => {
      const out: string[] = [];
      for (const key of ['s', 't', 'm', 'b']) out.push((await c.callRaw('XINFO', 'STREAM', key, 'FULL')).replace(/1\d{12}/g, '<time>'));
      return out;
    };
    await nServer.stop();
    const again = await startTestServer({ dir: nDir, appendonly: 'yes' });
    cleanups.push(() => again.stop());
    expect(await r.c.call('DEBUG', 'LOADAOF')).toBe('OK');
    expect(await state(await again.raw())).toEqual(await state(r.c));
  });
});
