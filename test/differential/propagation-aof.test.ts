/**
 * The propagation stream, entry for entry, against what Redis 7.0 writes to its AOF for the
 * same commands: rewritten forms (SET PXAT, PEXPIREAT, SREM, LPOP count, LMOVE…), MULTI/EXEC
 * around units of more than one entry, SELECT where the database changes, DEL/UNLINK for
 * expired keys, what is not propagated at all. Absolute times taken from the clock on each
 * side may differ by the time between the two runs; everything else must be identical.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { CommandFeed, PROPAGATE_AOF } from '../../src/commands/core/propagate.js';
import { readIncrAof } from '../helpers/aof.js';

const hasOracle = oracleAvailable();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Two numbers that are both times near now, as two clocks read a moment apart give. */
function sameTime(a: string, b: string): boolean {
  if (!/^\d{10,13}$/.test(a) || !/^\d{10,13}$/.test(b)) return false;
  const now = a.length === 13 ? Date.now() : Date.now() / 1000;
  const tolerance = a.length === 13 ? 5000 : 5;
  return Math.abs(Number(a) - Number(b)) <= tolerance && Math.abs(Number(a) - now) < 1e9;
}

function sameCommands(mine: string[][], theirs: string[][]): boolean {
  if (mine.length !== theirs.length) return false;
  return mine.every((argv, i) => {
    const other = theirs[i] as string[];
    return argv.length === other.length && argv.every((arg, j) => arg === other[j] || sameTime(arg, other[j] as string));
  });
}

interface Side {
  clients: RawClient[];
  /** Clients blocked right now. */
  blocked(): Promise<number>;
}

/** One scenario on both servers, then the entries each emitted for it. */
class Harness {
  private readonly nodisLog: string[][] = [];
  private nodisSeen = 0;
  private redisSeen = 0;
  nodis!: Side;
  redis!: Side;

  constructor(
    private readonly server: TestServer,
    private readonly oracle: Oracle,
  ) {}

  async start(): Promise<void> {
    const feed = new CommandFeed((argv) => this.nodisLog.push([...argv]));
    // As an AOF without replicas: what only replicas would get is not propagated at all.
    this.server.running.server.propagation.subscribe((db, argv, target) => {
      if (target & PROPAGATE_AOF) feed.push(db, argv);
    }, PROPAGATE_AOF);
    // Three clients for the scenarios and a fourth that asks how many are blocked.
    const connect = async (port: number): Promise<RawClient[]> => Promise.all([0, 1, 2, 3].map(() => RawClient.connect(port)));
    const blockedOn = (client: RawClient) => async (): Promise<number> => {
      const info = (await client.call('INFO', 'clients')) as string;
      return Number(/blocked_clients:(\d+)/.exec(info)?.[1]);
    };
    const nodisClients = await connect(this.server.port);
    const redisClients = await connect(this.oracle.port);
    this.nodis = { clients: nodisClients, blocked: blockedOn(nodisClients[3] as RawClient) };
    this.redis = { clients: redisClients, blocked: blockedOn(redisClients[3] as RawClient) };
  }

  /** Runs `scenario` on each side in turn and returns [nodis's new entries, Redis's new AOF entries]. */
  async run(scenario: (side: Side) => Promise<void>): Promise<[string[][], string[][]]> {
    await scenario(this.nodis);
    await scenario(this.redis);
    const mine = this.nodisLog.slice(this.nodisSeen);
    this.nodisSeen = this.nodisLog.length;
    const aof = readIncrAof(this.oracle.dir);
    const theirs = aof.slice(this.redisSeen);
    this.redisSeen = aof.length;
    return [mine, theirs];
  }

  /** Runs commands on one client of each side and expects the same entries. */
  async expectSame(commands: string[][]): Promise<string[][]> {
    const [mine, theirs] = await this.run(async (side) => {
      for (const argv of commands) await (side.clients[0] as RawClient).call(...argv);
    });
    if (!sameCommands(mine, theirs)) expect(mine).toEqual(theirs);
    return mine;
  }

  close(): void {
    for (const c of [...this.nodis.clients, ...this.redis.clients]) c.close();
  }
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await sleep(2);
  }
}

describe.skipIf(!hasOracle)('propagation stream against Redis 7.0 AOF', () => {
  let server: TestServer;
  let oracle: Oracle;
  let h: Harness;

  beforeAll(async () => {
    server = await startTestServer();
    // fsync always: each command is in the file before its reply is sent.
    oracle = await startOracle(['--appendonly', 'yes', '--appendfsync', 'always', '--enable-debug-command', 'yes']);
    h = new Harness(server, oracle);
    await h.start();
  });

  afterAll(async () => {
    h?.close();
    await server?.stop();
    await oracle?.stop();
  });

  const future = (): string => String(Date.now() + 500_000);

  it('strings: expiry options become SET PXAT, GET is dropped, GETSET and INCRBYFLOAT become SET', async () => {
    const at = future();
    const entries = await h.expectSame([
      ['SET', 'k', 'v'],
      ['set', 'k', 'v2', 'GET'],
      ['SET', 'k', 'v3', 'nx', 'get'],
      ['SET', 'k', 'v4', 'EX', '100'],
      ['SET', 'k', 'v5', 'PX', '100000', 'GET'],
      ['SET', 'k', 'v6', 'EXAT', String(Math.floor(Number(at) / 1000))],
      ['SET', 'k', 'v7', 'PXAT', at, 'XX'],
      ['SET', 'k', 'v8', 'KEEPTTL', 'GET'],
      ['SETEX', 'k2', '100', '5'],
      ['PSETEX', 'k2', '100000', '7'],
      ['SETNX', 'k3', 'c'],
      ['SETNX', 'k3', 'd'],
      ['GETSET', 'k3', 'e'],
      ['MSET', 'a', '1', 'b', '2'],
      ['MSETNX', 'a', '1', 'c', '3'],
      ['MSETNX', 'x1', '1', 'x2', '3'],
      ['INCRBYFLOAT', 'k2', '1.5'],
      ['INCRBYFLOAT', 'k2', '1e3'],
      ['INCR', 'a'],
      ['DECRBY', 'b', '5'],
      ['APPEND', 'a', 'z'],
      ['SETRANGE', 'a', '5', 'w'],
      ['SETRANGE', 'a', '1', ''],
      ['GET', 'a'],
    ]);
    expect(entries.some((argv) => argv[0] === 'SET' && argv[3] === 'PXAT')).toBe(true);
    expect(entries).toContainEqual(['SET', 'k2', '1008.5', 'KEEPTTL']);
  });

  it('bits: a write that changes nothing is not propagated; BITOP as itself', async () => {
    await h.expectSame([
      ['SETBIT', 'b', '10', '1'],
      ['SETBIT', 'b', '10', '1'],
      ['SETBIT', 'b', '3', '0'],
      ['SETBIT', 'b', '100', '0'],
      ['SETBIT', 'b', '100', '0'],
      ['GETBIT', 'b', '10'],
      ['BITFIELD', 'b', 'SET', 'u8', '0', '0'],
      ['BITFIELD', 'b', 'SET', 'u8', '0', '7', 'GET', 'u8', '0'],
      ['BITFIELD', 'b', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '9'],
      ['BITFIELD', 'b', 'GET', 'u8', '0'],
      ['BITFIELD', 'new', 'OVERFLOW', 'FAIL', 'SET', 'u2', '0', '9'],
      ['BITFIELD', 'new2', 'SET', 'u2', '0', '0'],
      ['BITFIELD_RO', 'b', 'GET', 'u8', '0'],
      ['BITOP', 'OR', 'c', 'b', 'new2'],
      ['BITOP', 'AND', 'c', 'missing'],
      ['BITOP', 'AND', 'c', 'missing'],
      ['BITCOUNT', 'b'],
      ['BITPOS', 'b', '1'],
    ]);
  });

  it('strings: GETEX as PEXPIREAT, PERSIST or DEL; GETDEL as DEL', async () => {
    await h.expectSame([
      ['SET', 'g', 'v'],
      ['GETEX', 'g'],
      ['GETEX', 'g', 'EX', '100'],
      ['GETEX', 'g', 'PX', '100000'],
      ['GETEX', 'g', 'EXAT', String(Math.floor(Date.now() / 1000) + 500)],
      ['GETEX', 'g', 'PERSIST'],
      ['GETEX', 'g', 'PERSIST'],
      ['GETEX', 'g', 'PXAT', String(Date.now() - 1000)],
      ['SET', 'g', 'v'],
      ['GETDEL', 'g'],
      ['GETDEL', 'g'],
      ['GETEX', 'nosuchkey', 'EX', '10'],
    ]);
  });

  it('HyperLogLog: PFADD and PFMERGE as themselves, PFCOUNT when it refreshes the cached estimate, PFDEBUG when it converts', async () => {
    const entries = await h.expectSame([
      ['PFADD', 'h', 'a', 'b', 'c'],
      ['PFADD', 'h', 'a'],
      ['PFADD', 'h2'],
      ['PFCOUNT', 'h'],
      ['PFCOUNT', 'h'],
      ['PFCOUNT', 'h', 'h2'],
      ['PFCOUNT', 'missing'],
      ['PFMERGE', 'h3', 'h', 'h2'],
      ['PFDEBUG', 'ENCODING', 'h3'],
      ['PFDEBUG', 'DECODE', 'h3'],
      ['PFDEBUG', 'TODENSE', 'h3'],
      ['PFDEBUG', 'TODENSE', 'h3'],
      ['PFDEBUG', 'GETREG', 'h'],
      ['PFADD', 'h', 'd'],
      ['SET', 'bad', 'HYLL'],
      ['PFADD', 'bad', 'x'],
      ['PFMERGE', 'bad', 'h'],
      ['EVAL', "redis.call('PFADD', KEYS[1], 'q') return redis.call('PFCOUNT', KEYS[1])", '1', 'h'],
      ['EVAL', "return redis.call('PFCOUNT', KEYS[1])", '1', 'h'],
      ['MULTI'],
      ['PFADD', 'h', 'r'],
      ['PFCOUNT', 'h'],
      ['EXEC'],
    ]);
    expect(entries).toContainEqual(['PFCOUNT', 'h']);
    expect(entries).toContainEqual(['PFDEBUG', 'TODENSE', 'h3']);
  });

  it('the EXPIRE family as PEXPIREAT with its options, or DEL for a time already past', async () => {
    await h.expectSame([
      ['SET', 'e', 'v'],
      ['EXPIRE', 'e', '100'],
      ['PEXPIRE', 'e', '200000', 'GT'],
      ['EXPIREAT', 'e', String(Math.floor(Date.now() / 1000) + 1000)],
      ['PEXPIREAT', 'e', future(), 'XX'],
      ['EXPIRE', 'e', '100', 'NX'],
      ['PERSIST', 'e'],
      ['PERSIST', 'e'],
      ['EXPIRE', 'e', '-1'],
      ['EXPIRE', 'e', '100'],
      ['SET', 'e', 'v'],
      ['PEXPIREAT', 'e', '1'],
    ]);
  });

  it('with lazyfree-lazy-expire and lazyfree-lazy-user-del, UNLINK instead of DEL', async () => {
    const both = async (argv: string[]): Promise<void> => {
      await (h.nodis.clients[1] as RawClient).call(...argv);
      await (h.redis.clients[1] as RawClient).call(...argv);
    };
    await both(['CONFIG', 'SET', 'lazyfree-lazy-expire', 'yes']);
    await both(['CONFIG', 'SET', 'lazyfree-lazy-user-del', 'yes']);
    // The key with 1 ms to live must expire by the GET, not by the active cycle in between.
    await both(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
    try {
      await h.expectSame([
        ['SET', 'u', 'v'],
        ['EXPIRE', 'u', '0'],
        ['SET', 'u', 'v'],
        ['GETEX', 'u', 'EXAT', '1'],
        ['SET', 'u', 'v'],
        ['GETDEL', 'u'],
        ['SET', 'u', 'v', 'PX', '1'],
      ]);
      await sleep(20);
      await h.expectSame([['GET', 'u']]);
    } finally {
      await both(['CONFIG', 'SET', 'lazyfree-lazy-expire', 'no']);
      await both(['CONFIG', 'SET', 'lazyfree-lazy-user-del', 'no']);
      await both(['DEBUG', 'SET-ACTIVE-EXPIRE', '1']);
    }
  });

  it('eviction: a DEL of its own for each evicted key, UNLINK with lazyfree-lazy-eviction', async () => {
    const scenario = (lazy: string): string[][] => [
      ['SELECT', '0'],
      ['FLUSHALL'],
      ['CONFIG', 'SET', 'lazyfree-lazy-eviction', lazy],
      ['SET', 'keep', 'v'],
      ['SET', 'soon', 'v', 'EX', '100'],
      ['SELECT', '4'],
      ['SET', 'later', 'v', 'EX', '200'],
      ['SELECT', '0'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'volatile-ttl'],
      ['CONFIG', 'SET', 'maxmemory', '1'],
      ['SET', 'refused', 'v'],
      ['CONFIG', 'SET', 'maxmemory', '0'],
      ['SET', 'after', 'v'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
      ['CONFIG', 'SET', 'lazyfree-lazy-eviction', 'no'],
    ];
    // Without the SELECT the entries may start with (where the previous test left the AOF).
    const shape = (entries: string[][]): string => entries.map((argv) => argv.slice(0, 3).join(' ')).join(', ').replace(/^SELECT \d+, /, '');
    // volatile-ttl evicts the nearest expiry first, across databases.
    expect(shape(await h.expectSame(scenario('no')))).toBe('FLUSHALL, SET keep v, SET soon v, SELECT 4, SET later v, SELECT 0, DEL soon, SELECT 4, DEL later, SELECT 0, SET after v');
    expect(shape(await h.expectSame(scenario('yes')))).toBe('FLUSHALL, SET keep v, SET soon v, SELECT 4, SET later v, SELECT 0, UNLINK soon, SELECT 4, UNLINK later, SELECT 0, SET after v');
  });

  it('lazy expiry: a DEL alone for a read, with the write in MULTI/EXEC for a write', async () => {
    // Without the active cycle, which could expire the keys first.
    await h.expectSame([['DEBUG', 'SET-ACTIVE-EXPIRE', '0'], ['SET', 'x', '1', 'PX', '1'], ['SET', 'y', '1', 'PX', '1']]);
    await sleep(20);
    try {
      const entries = await h.expectSame([['GET', 'x'], ['SET', 'y', '2'], ['GET', 'y']]);
      expect(entries).toEqual([['DEL', 'x'], ['MULTI'], ['DEL', 'y'], ['SET', 'y', '2'], ['EXEC']]);
    } finally {
      await h.expectSame([['DEBUG', 'SET-ACTIVE-EXPIRE', '1']]);
    }
  });

  it('active expiry: a DEL', async () => {
    // The cycle is switched on only once both sides hold the key.
    await h.expectSame([['DEBUG', 'SET-ACTIVE-EXPIRE', '0'], ['SET', 'active', '1', 'PX', '1']]);
    const [mine, theirs] = await h.run(async (side) => {
      await (side.clients[0] as RawClient).call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
      await sleep(400);
    });
    expect(mine).toEqual([['DEL', 'active']]);
    expect(theirs).toEqual(mine);
  });

  it('transactions: nothing, a bare command, or MULTI/EXEC; SELECT before MULTI and inside it', async () => {
    await h.expectSame([['MULTI'], ['GET', 'a'], ['EXEC']]);
    await h.expectSame([['MULTI'], ['SET', 't1', '1'], ['GET', 'a'], ['EXEC']]);
    await h.expectSame([['MULTI'], ['SET', 't1', '1'], ['INCR', 't1'], ['EXEC']]);
    await h.expectSame([['SELECT', '3'], ['MULTI'], ['SET', 't2', '1'], ['SELECT', '5'], ['SET', 't3', '1'], ['EXEC']]);
    await h.expectSame([['SELECT', '0'], ['MULTI'], ['SET', 't4', '1'], ['NOSUCH'], ['EXEC']]);
    await h.expectSame([['MULTI'], ['SET', 't4', '1'], ['DISCARD']]);
    await h.expectSame([['MULTI'], ['DEL', 'nosuchkey'], ['LPUSH', 'tl', 'a', 'b'], ['BLPOP', 'tl', '0'], ['BLMOVE', 'tl', 'tl2', 'LEFT', 'RIGHT', '0'], ['EXEC']]);
  });

  it('lists: pops with a count, LMPOP and the blocking commands served at once as plain pops', async () => {
    await h.expectSame([
      ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
      ['LPOP', 'l'],
      ['RPOP', 'l', '2'],
      ['LMPOP', '2', 'nosuch', 'l', 'LEFT', 'COUNT', '2'],
      ['LMPOP', '1', 'l', 'RIGHT'],
      ['BLPOP', 'nosuch', 'l', '0'],
      ['BRPOP', 'l', '0'],
      ['BLMPOP', '0', '1', 'l', 'LEFT', 'COUNT', '10'],
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['BLMOVE', 'l', 'l2', 'RIGHT', 'LEFT', '0'],
      ['BRPOPLPUSH', 'l', 'l2', '0'],
      ['LMOVE', 'l', 'l2', 'left', 'left'],
      ['RPOPLPUSH', 'l2', 'l2'],
      ['LPOP', 'nosuch'],
      ['LTRIM', 'l2', '0', '-1'],
      ['LTRIM', 'l2', '0', '0'],
    ]);
  });

  it('lists: clients blocked and served later emit the pops, each on its own', async () => {
    const [mine, theirs] = await h.run(async (side) => {
      const [a, b, c] = side.clients as [RawClient, RawClient, RawClient];
      await a.call('DEL', 'w1', 'w2', 'w3');
      b.send('BLPOP', 'w1', '0');
      c.send('BLMOVE', 'w2', 'w1', 'LEFT', 'RIGHT', '0');
      await until(async () => (await side.blocked()) === 2);
      await a.call('RPUSH', 'w2', 'x', 'y');
      await b.read();
      await c.read();
      b.send('BRPOPLPUSH', 'w3', 'w1', '0');
      await until(async () => (await side.blocked()) === 1);
      await a.call('LPUSH', 'w3', 'z');
      await b.read();
      await a.call('DEL', 'w1');
      b.send('BLMPOP', '0', '2', 'w3', 'w1', 'RIGHT', 'COUNT', '5');
      c.send('BRPOP', 'w3', '0');
      await until(async () => (await side.blocked()) === 2);
      await a.call('RPUSH', 'w3', '1', '2', '3', '4', '5', '6');
      await b.read();
      await c.read();
    });
    if (!sameCommands(mine, theirs)) expect(mine).toEqual(theirs);
    expect(mine).toContainEqual(['LMOVE', 'w2', 'w1', 'left', 'right']);
  });

  it('sorted sets: ZMPOP and the blocking pops as ZPOPMIN/ZPOPMAX, at once or served later', async () => {
    await h.expectSame([
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'],
      ['ZPOPMIN', 'z'],
      ['ZPOPMAX', 'z', '1'],
      ['ZMPOP', '1', 'z', 'MIN'],
      ['BZPOPMAX', 'nosuch', 'z', '0'],
      ['BZMPOP', '0', '1', 'z', 'MAX', 'COUNT', '9'],
      ['ZINCRBY', 'z2', '1.5', 'm'],
      ['ZUNIONSTORE', 'z3', '2', 'z', 'z2', 'WEIGHTS', '2', '3'],
      ['ZRANGESTORE', 'z4', 'z3', '0', '-1'],
    ]);
    const [mine, theirs] = await h.run(async (side) => {
      const [a, b, c] = side.clients as [RawClient, RawClient, RawClient];
      b.send('BZPOPMIN', 'bz', '0');
      c.send('BZMPOP', '0', '1', 'bz', 'MAX', 'COUNT', '5');
      await until(async () => (await side.blocked()) === 2);
      await a.call('ZADD', 'bz', '1', 'a', '2', 'b', '3', 'c');
      await b.read();
      await c.read();
    });
    if (!sameCommands(mine, theirs)) expect(mine).toEqual(theirs);
  });

  it('sets and hashes: SPOP as SREM or DEL, HINCRBYFLOAT as HSET', async () => {
    await h.expectSame([
      ['SADD', 'one', 'm'],
      ['SPOP', 'one'],
      ['SADD', 'all', 'a', 'b', 'c'],
      ['SPOP', 'all', '5'],
      ['SPOP', 'nosuch', '5'],
      ['SADD', 'm1', 'a', 'b'],
      ['SMOVE', 'm1', 'm2', 'a'],
      ['SRANDMEMBER', 'm1'],
      ['SINTERSTORE', 'm3', 'm1', 'm2'],
      ['HINCRBYFLOAT', 'h', 'f', '1.5'],
      ['HINCRBYFLOAT', 'h', 'f', '2.0e2'],
      ['HINCRBY', 'h', 'i', '3'],
      ['HDEL', 'h', 'nosuch'],
    ]);
    // SPOP with a count smaller than the set: one SREM per member popped, in MULTI/EXEC.
    const [mine, theirs] = await h.run(async (side) => {
      await (side.clients[0] as RawClient).call('SADD', 'some', 'a', 'b', 'c', 'd', 'e');
      await (side.clients[0] as RawClient).call('SPOP', 'some', '2');
    });
    const shape = (entries: string[][]): string[] => entries.map((argv) => (argv[0] === 'SREM' ? `SREM ${argv[1]} ?` : argv.join(' ')));
    expect(shape(mine)).toEqual(shape(theirs));
    expect(shape(mine)).toEqual(['SADD some a b c d e', 'MULTI', 'SREM some ?', 'SREM some ?', 'EXEC']);
  });

  it('keyspace and databases: FLUSHDB even when empty, SWAPDB, MOVE, COPY, RENAME, SORT STORE', async () => {
    await h.expectSame([
      ['SELECT', '7'],
      ['FLUSHDB'],
      ['SET', 'mv', '1'],
      ['MOVE', 'mv', '8'],
      ['COPY', 'nosuch', 'cp'],
      ['SELECT', '8'],
      ['COPY', 'mv', 'cp', 'DB', '7'],
      ['RENAME', 'mv', 'mv2'],
      ['RENAMENX', 'mv2', 'mv2'],
      ['RPUSH', 'src', '3', '1', '2'],
      ['SORT', 'src', 'STORE', 'sorted'],
      ['SORT', 'nosuch', 'STORE', 'sorted'],
      ['SWAPDB', '7', '8'],
      ['DEL', 'nosuch'],
      ['UNLINK', 'sorted'],
      ['FLUSHALL'],
      ['PUBLISH', 'ch', 'msg'],
      ['SELECT', '0'],
    ]);
  });

  it("scripts: their commands' effects between MULTI and EXEC, never EVAL; set_repl; SELECT inside; scripts in MULTI", async () => {
    const ev = (script: string, ...keys: string[]): string[] => ['EVAL', script, String(keys.length), ...keys];
    await h.expectSame([
      ['SELECT', '3'],
      ev("redis.call('SET', KEYS[1], '1') redis.call('INCR', KEYS[1]) return 1", 'a'),
      ev("return redis.call('SET', KEYS[1], 'only')", 'b'),
      ev("return redis.call('GET', KEYS[1])", 'b'),
      ev("redis.call('SET', 'f', '1') redis.call('EXPIRE', 'f', '100') return 1"),
      ev("redis.call('SET', 'nx', '1', 'NX') redis.call('SET', 'nx', '2', 'NX') return 1"),
      ev("redis.call('SADD', 's', 'a') redis.call('SPOP', 's') return 1"),
      ev("redis.call('RPUSH', 'l', 'a', 'b') redis.call('LPOP', 'l') redis.call('INCRBYFLOAT', 'fl', '1.5') return 1"),
      ev('redis.set_repl(redis.REPL_NONE) redis.call(\'SET\', \'c\', \'1\') redis.set_repl(redis.REPL_ALL) redis.call(\'SET\', \'d\', \'1\') redis.call(\'SET\', \'e\', \'1\') return 1'),
      ev("redis.set_repl(redis.REPL_AOF) redis.call('SET', 'g', '1') redis.set_repl(redis.REPL_REPLICA) redis.call('SET', 'h', '1') return 1"),
      ev("redis.call('SELECT', '5') redis.call('SET', 'i', '1') redis.call('SELECT', '3') redis.call('SET', 'i', '2') return 1"),
      ['SET', 'after', '1'],
      ev("redis.call('SET', 'partial', '1') return redis.call('INCR', 'partial2') + redis.call('LPUSH', 'partial', 'x')"),
      ev("redis.call('SET', 'e1', '1') error('stop')"),
      ['MULTI'],
      ev("return redis.call('SET', 'm1', '1')"),
      ['SET', 'm2', '1'],
      ev("redis.call('DEL', 'm1') redis.call('DEL', 'm2') return 1"),
      ['EXEC'],
      ['MULTI'],
      ev("return redis.call('SET', 'm3', '1')"),
      ['EXEC'],
      ['SCRIPT', 'LOAD', "return redis.call('INCR', KEYS[1])"],
      ['EVALSHA', 'bbb4f7e2c7a5d7e5c2fbb6fab1e77fd4b8df6b6c', '1', 'nope'],
      ['SELECT', '0'],
    ]);
  });
  it('geo: GEOADD as the ZADD it runs, the STORE searches as they are, nothing for failed or empty writes', async () => {
    await h.expectSame([
      ['GEOADD', 'geo', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'],
      ['geoadd', 'geo', 'ch', 'XX', '13.5', '38', 'Palermo', '1', '1', 'skipped'],
      ['GEOADD', 'geo', 'NX', '13.5', '38', 'Palermo'],
      ['GEOADD', 'geo', '180', '85.05112878', 'corner', '-180', '-85.05112878', 'other'],
      ['GEOADD', 'geo', '1', '100', 'bad'],
      ['GEOADD', 'nogeo', 'XX', '1', '1', 'a'],
      ['GEORADIUS', 'geo', '15', '37', '200', 'km', 'STORE', 'dst'],
      ['GEORADIUS', 'geo', '15', '37', '200', 'km', 'STOREDIST', 'dst', 'COUNT', '1'],
      ['GEORADIUSBYMEMBER', 'geo', 'Palermo', '200', 'km', 'STORE', 'dst2'],
      ['GEOSEARCHSTORE', 'dst3', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST'],
      ['GEOSEARCHSTORE', 'dst3', 'geo', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCHSTORE', 'dst3', 'geo', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
      ['GEORADIUS', 'geo', '15', '37', '200', 'km', 'WITHDIST'],
      ['GEOSEARCH', 'geo', 'FROMMEMBER', 'Palermo', 'BYBOX', '1', '1', 'km'],
      ['MULTI'],
      ['GEOADD', 'geo', '2', '2', 'm1'],
      ['GEOSEARCHSTORE', 'dst4', 'geo', 'FROMMEMBER', 'm1', 'BYRADIUS', '1', 'm'],
      ['EXEC'],
      ['EVAL', "redis.call('GEOADD', KEYS[1], 5, 5, 's1') redis.call('GEORADIUS', KEYS[1], 5, 5, 1, 'km', 'STORE', KEYS[2]) return 1", '2', 'geo', 'dst5'],
      ['EVAL', "return redis.call('GEOADD', KEYS[1], 'CH', 6, 6, 's1')", '1', 'geo'],
    ]);
  });
});
