/**
 * MIGRATE against Redis 7.0: the same commands, run on a nodis source and on a Redis source,
 * each migrating to a target of its own (two Redis servers, then two nodis servers: nodis to
 * Redis, Redis to Redis, nodis to nodis and Redis to nodis), get the same replies, leave the
 * same contents on the targets and the same AOF entries (DEL of the moved keys) behind.
 * Unreachable targets, one that never answers and one that hangs up are shared by both sides.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { differentialPair } from '../helpers/differential.js';
import { freePort } from '../helpers/ports.js';
import { decode, type RespValue } from '../helpers/resp.js';
import { CommandFeed, PROPAGATE_AOF } from '../../src/commands/core/propagate.js';
import { readIncrAof } from '../helpers/aof.js';

const hasOracle = oracleAvailable();

/** A step on the source or on its target; '$T' in it is the side's target port. */
interface Step {
  on: 'source' | 'target';
  argv: string[];
  /** Integer replies compared within 5 s (PTTL), or an array compared as a multiset. */
  compare?: 'near' | 'sorted';
}
const S = (...argv: string[]): Step => ({ on: 'source', argv });
const T = (...argv: string[]): Step => ({ on: 'target', argv });
const near = (step: Step): Step => ({ ...step, compare: 'near' });
const sorted = (step: Step): Step => ({ ...step, compare: 'sorted' });

interface Side {
  source: RawClient;
  target: RawClient;
  targetPort: number;
}

/** Ports of the fake targets both sides use. */
interface Fakes {
  refused: number;
  silent: number;
  hangup: number;
}

function parse(raw: string): RespValue {
  return (decode(Buffer.from(raw, 'latin1')) as { value: RespValue }).value;
}

function canonical(raw: string, compare: Step['compare']): string {
  if (compare !== 'sorted') return raw;
  const value = parse(raw);
  return Array.isArray(value) ? JSON.stringify(value.map((v) => JSON.stringify(v)).sort()) : raw;
}

async function runSteps(nodis: Side, redis: Side, fakes: Fakes, steps: Step[]): Promise<string[]> {
  const problems: string[] = [];
  const runOn = async (side: Side, step: Step): Promise<string> => {
    const argv = step.argv.map((a) =>
      a === '$T' ? String(side.targetPort) : a === '$REFUSED' ? String(fakes.refused) : a === '$SILENT' ? String(fakes.silent) : a === '$HANGUP' ? String(fakes.hangup) : a,
    );
    const client = step.on === 'source' ? side.source : side.target;
    return client.callRaw(...argv);
  };
  for (const step of steps) {
    const [a, b] = await Promise.all([runOn(nodis, step), runOn(redis, step)]);
    let same: boolean;
    if (step.compare === 'near') {
      const x = parse(a);
      const y = parse(b);
      same = typeof x === 'number' && typeof y === 'number' && Math.abs(x - y) < 5000 && (x >= 0) === (y >= 0);
    } else {
      same = canonical(a, step.compare) === canonical(b, step.compare);
    }
    if (!same) problems.push(`${step.on} ${JSON.stringify(step.argv)}\n   nodis: ${JSON.stringify(a)}\n   redis: ${JSON.stringify(b)}`);
  }
  return problems;
}

/** Absolute times read from two clocks a moment apart. */
function sameTime(a: string, b: string): boolean {
  return /^\d{13}$/.test(a) && /^\d{13}$/.test(b) && Math.abs(Number(a) - Number(b)) <= 5000;
}

/** A TCP server for the targets that misbehave; `onConnection` decides how. */
async function fakeServer(onConnection: (socket: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** `length` bytes that LZF cannot shrink (a fixed pseudo-random sequence). */
function noise(length: number): string {
  const bytes = Buffer.alloc(length);
  let x = 12345;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    bytes[i] = x >>> 24;
  }
  return bytes.toString('latin1');
}

/** What both sides run, whatever the targets are. */
const SCRIPT: Step[] = [
  T('FLUSHALL'),
  // Arguments, in Redis's order of checks; NOKEY is answered before any connection is tried.
  S('MIGRATE', '127.0.0.1', '$T', 'k'),
  S('MIGRATE', '127.0.0.1', '$T', 'k', '0', '1000', 'BOGUS'),
  S('MIGRATE', '127.0.0.1', '$T', 'k', '0', '1000', 'COPY', 'REPLACE', 'BOGUS'),
  S('MIGRATE', '127.0.0.1', '$T', 'k', '0', '1000', 'KEYS', 'a'),
  S('MIGRATE', '127.0.0.1', '$T', 'k', '0', '1000', 'KEYS'),
  S('MIGRATE', '127.0.0.1', '$T', 'k', '0', '1000', 'AUTH'),
  S('MIGRATE', '127.0.0.1', '$T', 'k', '0', '1000', 'AUTH2', 'user'),
  S('MIGRATE', '127.0.0.1', '$T', 'k', '0', 'soon'),
  S('MIGRATE', '127.0.0.1', '$T', 'k', 'first', '1000'),
  S('MIGRATE', '127.0.0.1', '$T', 'k', 'first', 'soon', 'BOGUS'),
  S('MIGRATE', '127.0.0.1', '$T', 'nosuch', '0', '1000'),
  S('MIGRATE', '127.0.0.1', '$T', '', '0', '1000'),
  S('MIGRATE', '127.0.0.1', '$T', '', '0', '1000', 'KEYS'),
  S('MIGRATE', '127.0.0.1', '$T', '', '0', '1000', 'COPY', 'KEYS', 'n1', 'n2'),
  S('MIGRATE', '', '1', 'nosuch', '0', '1000'),
  // A key moves: gone here, there on the target.
  S('SET', 'k', 'v'),
  S('MIGRATE', '127.0.0.1', '$T', 'k', '0', '5000'),
  S('EXISTS', 'k'),
  T('GET', 'k'),
  // COPY keeps it; a second copy meets the key on the target; REPLACE overwrites it.
  S('SET', 'c', 'v1'),
  S('MIGRATE', '127.0.0.1', '$T', 'c', '0', '5000', 'COPY'),
  S('EXISTS', 'c'),
  S('SET', 'c', 'v2'),
  S('MIGRATE', '127.0.0.1', '$T', 'c', '0', '5000', 'COPY'),
  T('GET', 'c'),
  S('MIGRATE', '127.0.0.1', '$T', 'c', '0', '5000', 'copy', 'replace'),
  T('GET', 'c'),
  S('MIGRATE', '127.0.0.1', '$T', 'c', '0', '5000', 'REPLACE'),
  S('EXISTS', 'c'),
  // KEYS with one key the target already has: the others move, the error is answered.
  S('MSET', 'm1', '1', 'm2', '2', 'm3', '3'),
  T('SET', 'm2', 'old'),
  S('MIGRATE', '127.0.0.1', '$T', '', '0', '5000', 'KEYS', 'm1', 'nosuch', 'm2', 'm3'),
  sorted(S('KEYS', '*')),
  T('MGET', 'm1', 'm2', 'm3'),
  S('DEL', 'm2'),
  // A key named twice.
  S('SET', 'd', '1'),
  S('MIGRATE', '127.0.0.1', '$T', '', '0', '5000', 'KEYS', 'd', 'd'),
  S('EXISTS', 'd'),
  S('SET', 'd', '2'),
  S('MIGRATE', '127.0.0.1', '$T', '', '0', '5000', 'REPLACE', 'KEYS', 'd', 'd'),
  T('GET', 'd'),
  // Every type, a TTL kept, binary keys and values; option words after KEYS are keys.
  S('RPUSH', 'list', 'a', '1', 'b'),
  S('SADD', 'intset', '5', '-3', '100000'),
  S('SADD', 'set', 'x', 'y'),
  S('HSET', 'hash', 'f', 'v', 'n', '42'),
  S('ZADD', 'zset', '1', 'a', '2.5', 'b'),
  S('SET', 'long', 'abc'.repeat(300)),
  S('SET', 'bin\x00\xff', '\x00\xff\r\n'),
  S('SET', 'ttl', 'v', 'PX', '100000'),
  S('SET', 'COPY', 'a key named COPY'),
  // Larger than one 64 KB write, and not compressible.
  S('SET', 'big', noise(300_000)),
  S('MIGRATE', '127.0.0.1', '$T', '', '0', '5000', 'KEYS', 'list', 'intset', 'set', 'hash', 'zset', 'long', 'bin\x00\xff', 'ttl', 'COPY', 'big'),
  sorted(S('KEYS', '*')),
  T('DEBUG', 'DIGEST-VALUE', 'list', 'intset', 'set', 'hash', 'zset', 'long', 'bin\x00\xff', 'ttl', 'COPY', 'big'),
  T('OBJECT', 'ENCODING', 'intset'),
  near(T('PTTL', 'ttl')),
  T('PTTL', 'list'),
  // Database selection: SELECT is sent when the database changes, and again after an error.
  S('SET', 's1', 'v'),
  S('MIGRATE', '127.0.0.1', '$T', 's1', '5', '5000'),
  S('SET', 's2', 'v'),
  S('MIGRATE', '127.0.0.1', '$T', 's2', '5', '5000'),
  S('SET', 's3', 'v'),
  S('MIGRATE', '127.0.0.1', '$T', 's3', '0', '5000'),
  S('SET', 's4', 'v'),
  S('MIGRATE', '127.0.0.1', '$T', 's4', '99', '5000'),
  S('EXISTS', 's4'),
  S('MIGRATE', '127.0.0.1', '$T', 's4', '5', '5000'),
  S('SELECT', '3'),
  S('SET', 's5', 'v'),
  S('MIGRATE', '127.0.0.1', '$T', 's5', '5', '5000'),
  S('SELECT', '0'),
  T('SELECT', '5'),
  sorted(T('KEYS', '*')),
  T('SELECT', '0'),
  sorted(T('KEYS', 's*')),
  // Targets that cannot be reached, never answer, or hang up: nothing is deleted.
  S('SET', 'e', 'v'),
  S('MIGRATE', '127.0.0.1', '$REFUSED', 'e', '0', '1000'),
  S('MIGRATE', '127.0.0.1', '-1', 'e', '0', '1000'),
  S('MIGRATE', '', '$T', 'e', '0', '1000'),
  S('MIGRATE', '127.0.0.1', '$SILENT', 'e', '0', '100'),
  S('MIGRATE', '127.0.0.1', '$SILENT', 'e', '0', '100', 'COPY'),
  S('MIGRATE', '127.0.0.1', '$HANGUP', 'e', '0', '1000'),
  S('EXISTS', 'e'),
  // The cached connection was closed by the target: the retry on a new one succeeds.
  T('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'),
  S('MIGRATE', '127.0.0.1', '$T', 'e', '0', '5000'),
  S('EXISTS', 'e'),
  T('GET', 'e'),
  // A target with a password: NOAUTH, WRONGPASS from AUTH or AUTH2, then AUTH and AUTH2 that work.
  T('CONFIG', 'SET', 'requirepass', 'secret'),
  T('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes'),
  S('SET', 'p', 'v'),
  S('MIGRATE', '127.0.0.1', '$T', 'p', '0', '5000'),
  S('MIGRATE', '127.0.0.1', '$T', 'p', '0', '5000', 'AUTH', 'wrong'),
  S('MIGRATE', '127.0.0.1', '$T', 'p', '0', '5000', 'AUTH2', 'default', 'wrong'),
  S('MIGRATE', '127.0.0.1', '$T', 'p', '0', '5000', 'AUTH2', 'nobody', 'secret'),
  S('EXISTS', 'p'),
  S('MIGRATE', '127.0.0.1', '$T', 'p', '0', '5000', 'AUTH', 'secret'),
  S('SET', 'p2', 'v'),
  S('MIGRATE', '127.0.0.1', '$T', 'p2', '0', '5000', 'AUTH2', 'default', 'secret'),
  S('EXISTS', 'p', 'p2'),
  T('MGET', 'p', 'p2'),
  T('CONFIG', 'SET', 'requirepass', ''),
  // A target without a password refuses AUTH: nothing is deleted, though it stored the key.
  S('SET', 'q', 'v'),
  S('MIGRATE', '127.0.0.1', '$T', 'q', '0', '5000', 'AUTH', 'secret'),
  S('EXISTS', 'q'),
  T('EXISTS', 'q'),
  // The keys MIGRATE names, as COMMAND sees them.
  S('COMMAND', 'GETKEYS', 'MIGRATE', 'h', '1', 'k', '0', '5'),
  S('COMMAND', 'GETKEYS', 'MIGRATE', 'h', '1', '', '0', '5', 'COPY', 'KEYS', 'a', 'b'),
  S('COMMAND', 'GETKEYSANDFLAGS', 'MIGRATE', 'h', '1', '', '0', '5', 'AUTH2', 'keys', 'keys', 'KEYS', 'a'),
  S('COMMAND', 'GETKEYS', 'MIGRATE', 'h', '1', '', '0', '5', 'AUTH', 'KEYS', 'KEYS', 'a'),
  S('COMMAND', 'GETKEYS', 'MIGRATE', 'h', '1', 'k', '0', '5', 'KEYS', 'a'),
  S('INFO', 'errorstats'),
];

describe.skipIf(!hasOracle).each(['redis', 'nodis'] as const)('MIGRATE against Redis 7.0, to %s targets', (targetKind) => {
  let nodisSource: TestServer;
  let redisSource: Oracle;
  const targets: Array<{ port: number; stop(): Promise<void> }> = [];
  const fakeServers: Array<{ close(): Promise<void> }> = [];
  let fakes: Fakes;
  const nodisLog: string[][] = [];

  beforeAll(async () => {
    const startTarget = async (): Promise<{ port: number; stop(): Promise<void> }> => {
      if (targetKind === 'redis') return startOracle(['--enable-debug-command', 'yes']);
      const server = await startTestServer();
      return { port: server.port, stop: () => server.stop() };
    };
    // fsync always: each command is in the file before its reply is sent.
    [nodisSource, redisSource] = await Promise.all([
      startTestServer(),
      startOracle(['--appendonly', 'yes', '--appendfsync', 'always', '--enable-debug-command', 'yes']),
    ]);
    targets.push(await startTarget(), await startTarget());
    const silent = await fakeServer((socket) => socket.resume());
    const hangup = await fakeServer((socket) => socket.once('data', () => socket.destroy()));
    fakeServers.push(silent, hangup);
    fakes = { refused: await freePort(), silent: silent.port, hangup: hangup.port };
    const feed = new CommandFeed((argv) => nodisLog.push([...argv]));
    nodisSource.running.server.propagation.subscribe((db, argv, target) => {
      if (target & PROPAGATE_AOF) feed.push(db, argv);
    });
  });

  afterAll(async () => {
    await Promise.all([nodisSource?.stop(), redisSource?.stop(), ...targets.map((t) => t.stop()), ...fakeServers.map((f) => f.close())]);
  });

  it('answers, moves and propagates as Redis does', async () => {
    const nodisTarget = targets[0] as { port: number };
    const redisTarget = targets[1] as { port: number };
    const nodis: Side = { source: await RawClient.connect(nodisSource.port), target: await RawClient.connect(nodisTarget.port), targetPort: nodisTarget.port };
    const redis: Side = { source: await RawClient.connect(redisSource.port), target: await RawClient.connect(redisTarget.port), targetPort: redisTarget.port };
    try {
      expect(await runSteps(nodis, redis, fakes, SCRIPT)).toEqual([]);
    } finally {
      for (const c of [nodis.source, nodis.target, redis.source, redis.target]) c.close();
    }
    // The AOF holds each MIGRATE that deleted keys as DEL of those keys, and nothing of the others.
    const theirs = readIncrAof(redisSource.dir);
    const same =
      nodisLog.length === theirs.length &&
      nodisLog.every((argv, i) => {
        const other = theirs[i] as string[];
        return argv.length === other.length && argv.every((arg, j) => arg === other[j] || sameTime(arg, other[j] as string));
      });
    if (!same) expect(nodisLog).toEqual(theirs);
    expect(nodisLog).toContainEqual(['DEL', 'm1', 'm3']);
    expect(nodisLog).toContainEqual(['DEL', 'list', 'intset', 'set', 'hash', 'zset', 'long', 'bin\x00\xff', 'ttl', 'COPY', 'big']);
    expect(nodisLog).toContainEqual(['DEL', 'd', 'd']);
    expect(nodisLog.some((argv) => argv[0] === 'MIGRATE')).toBe(false);
  });
});

describe.skipIf(!hasOracle)('MIGRATE in the slow log', () => {
  const pair = differentialPair();

  it('shows AUTH and AUTH2 arguments redacted, as far as the option loop got', async () => {
    const commands = [
      ['MIGRATE', 'h', '1', 'nosuch', '0', '10', 'AUTH', 'secret'],
      ['MIGRATE', 'h', '1', 'nosuch', '0', '10', 'COPY', 'auth2', 'user', 'secret', 'REPLACE'],
      ['MIGRATE', 'h', '1', '', '0', '10', 'AUTH', 'secret', 'KEYS', 'AUTH', 'x'],
      ['MIGRATE', 'h', '1', 'nosuch', '0', '10', 'AUTH2', 'user'],
      ['MIGRATE', 'h', '1', 'nosuch', '0', '10', 'BOGUS', 'AUTH', 'secret'],
      ['MIGRATE', 'h', '1', 'k', '0', '10', 'AUTH', 'secret', 'KEYS', 'a'],
    ];
    const logged = async (port: number): Promise<RespValue[]> => {
      const client = await RawClient.connect(port);
      try {
        await client.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
        await client.call('SLOWLOG', 'RESET');
        for (const argv of commands) await client.call(...argv);
        const entries = (await client.call('SLOWLOG', 'GET', '100')) as RespValue[][];
        await client.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
        return entries.map((entry) => entry[3] as RespValue).filter((args) => Array.isArray(args) && args[0] === 'MIGRATE');
      } finally {
        client.close();
      }
    };
    const mine = await logged(pair.nodis.port);
    expect(mine).toEqual(await logged(pair.redis.port));
    expect(mine).toHaveLength(commands.length);
    expect(mine).toContainEqual(['MIGRATE', 'h', '1', 'nosuch', '0', '10', 'COPY', 'auth2', '(redacted)', '(redacted)', 'REPLACE']);
    // Redis stops redacting at the word it refuses.
    expect(mine).toContainEqual(['MIGRATE', 'h', '1', 'nosuch', '0', '10', 'BOGUS', 'AUTH', 'secret']);
  });
});

describe.skipIf(!hasOracle)('MIGRATE to a target that reads nothing', () => {
  const pair = differentialPair();
  let stalled: { port: number; close(): Promise<void> };
  beforeAll(async () => {
    stalled = await fakeServer((socket) => socket.pause());
  });
  afterAll(async () => {
    await stalled?.close();
  });

  it('times out writing once the socket buffers are full, and keeps the key', async () => {
    // More than the loopback's socket buffers hold on both ends.
    const value = noise(8 * 1024 * 1024);
    await pair.same([
      ['SET', 'huge', value],
      ['MIGRATE', '127.0.0.1', String(stalled.port), 'huge', '0', '200'],
      ['EXISTS', 'huge'],
      ['DEL', 'huge'],
    ]);
  });
});
