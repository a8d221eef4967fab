/**
 * The contract of the propagation stream: replayed into a real Redis, it rebuilds nodis's
 * dataset. A test consumer sends the stream (with SELECTs, as a master does) to a real
 * redis-server that replicates from a stand-in master, thousands of seeded commands later the
 * two datasets are compared key by key in every database: type, whole value and absolute
 * expiry. A replica never expires keys by itself, so the comparison depends on the stream
 * alone; keys about to expire are left out (one side may have dropped them already).
 */
import { describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { FakeMaster } from '../helpers/fake-master.js';
import { RawClient } from '../helpers/raw-client.js';
import { datasetDifferences, readDataset } from '../helpers/dataset.js';
import { ReplayGenerator, type ReplayGroup } from '../helpers/replay-fuzz.js';
import { CommandFeed } from '../../src/commands/core/propagate.js';

const hasOracle = oracleAvailable();
const STEPS = Number(process.env.REPLAY_STEPS ?? 3000);
const BATCH = 25;
/** The datasets are compared every so many steps, not only at the end. */
const CHECKPOINT = 500;
const DATABASES = 16;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One nodis, one replica fed with nodis's stream, and the clients a run needs. */
class Replay {
  readonly log: string[][] = [];
  private unsubscribe: () => void = () => {};
  served = 0;

  private constructor(
    readonly nodis: TestServer,
    readonly master: FakeMaster,
    readonly replica: Oracle,
  ) {}

  static async start(): Promise<Replay> {
    // hz 100: the active expiry cycle runs often enough to take its share of the short TTLs.
    const nodis = await startTestServer({ hz: 100 });
    const master = await FakeMaster.start();
    const replica = await startOracle(['--replicaof', '127.0.0.1', String(master.port), '--repl-timeout', '600']);
    await master.synced;
    const replay = new Replay(nodis, master, replica);
    const feed = new CommandFeed((argv) => {
      replay.log.push([...argv]);
      master.send(argv);
    });
    replay.unsubscribe = nodis.running.server.propagation.subscribe((db, argv) => feed.push(db, argv));
    return replay;
  }

  /** Sends commands pipelined, then reads every reply (whatever they are). */
  async run(client: RawClient, commands: string[][]): Promise<void> {
    for (const argv of commands) client.send(...argv);
    for (let i = 0; i < commands.length; i++) await client.read(10_000);
  }

  /** Waits until `count` clients are blocked in nodis. */
  async blocked(count: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while (this.nodis.running.server.blockedClientCount() < count) {
      if (Date.now() > deadline) throw new Error(`${count} clients never blocked`);
      await sleep(1);
    }
  }

  /**
   * Syncs the replica and compares the datasets. At the end of a run (`final`) the short TTLs
   * are first let pass, and the stream is closed.
   */
  async compare(final: boolean): Promise<void> {
    if (final) await sleep(250);
    await this.master.sync();
    if (final) this.unsubscribe();
    const nodisClient = await this.nodis.raw();
    const replicaClient = await RawClient.connect(this.replica.port);
    try {
      const from = Date.now();
      const mine = await readDataset(nodisClient, DATABASES);
      const theirs = await readDataset(replicaClient, DATABASES);
      const to = Date.now();
      const differences = datasetDifferences(mine, theirs, from, to);
      for (const difference of differences.slice(0, 3)) {
        const key = JSON.parse(difference.slice(0, difference.indexOf(': '))) as string;
        const name = key.slice(key.indexOf(':') + 1);
        const related = this.log.filter((argv) => argv.includes(name) || argv[0] === 'SELECT' || argv[0] === 'FLUSHALL' || argv[0] === 'SWAPDB');
        console.error(`stream entries naming ${JSON.stringify(name)}:\n${related.slice(-60).map((a) => JSON.stringify(a)).join('\n')}`);
      }
      expect(differences.slice(0, 20)).toEqual([]);
      // Every replayed command succeeded on the replica.
      const stats = (await replicaClient.call('INFO', 'stats')) as string;
      expect(stats).toContain('total_error_replies:0\r\n');
      if (final) {
        // The run was not trivial: data survived it, and keys expired during it.
        expect(mine.size).toBeGreaterThan(3);
        expect(this.nodis.running.server.stats.expiredKeys).toBeGreaterThan(0);
      }
    } finally {
      nodisClient.close();
      replicaClient.close();
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.nodis.stop();
    await this.replica.stop();
    await this.master.close();
  }
}

/** Clients blocked in list commands, served by pushes of another client (their pops propagate then). */
async function listBlockingScenario(replay: Replay, gen: ReplayGenerator, a: RawClient, b: RawClient, c: RawClient): Promise<void> {
  await replay.run(a, [['DEL', 'bl1', 'bl2', 'bl3']]);
  const side = (): string => gen.pick(['LEFT', 'RIGHT']);
  const push = (key: string): string[] => [gen.pick(['RPUSH', 'LPUSH']), key, 'x', 'y', String(gen.int(100))];
  const readers: Array<Promise<unknown>> = [];
  const pushes: string[][] = [];
  switch (gen.int(6)) {
    case 0:
      b.send(gen.pick(['BLPOP', 'BRPOP']), 'bl1', 'bl2', '0');
      readers.push(b.read(10_000));
      await replay.blocked(1);
      pushes.push(push('bl2'));
      break;
    case 1:
      // The served BLMOVE pushes to a key another client waits on: both are served.
      b.send('BLMOVE', 'bl1', 'bl2', side(), side(), '0');
      readers.push(b.read(10_000));
      await replay.blocked(1);
      c.send('BLPOP', 'bl2', '0');
      readers.push(c.read(10_000));
      await replay.blocked(2);
      pushes.push(push('bl1'));
      break;
    case 2:
      b.send('BRPOPLPUSH', 'bl1', gen.pick(['l1', 'bl3']), '0');
      readers.push(b.read(10_000));
      await replay.blocked(1);
      // (A TTL short enough to pass before the client is served would leave it blocked.)
      pushes.push(['MULTI'], push('bl1'), ['PEXPIRE', 'bl1', String(100_000 + gen.int(100_000))], ['LPUSH', 'bl1', 'z'], ['EXEC']);
      break;
    case 3:
      b.send('BLMPOP', '0', '2', 'bl1', 'bl2', side(), 'COUNT', String(1 + gen.int(4)));
      readers.push(b.read(10_000));
      await replay.blocked(1);
      pushes.push(push(gen.pick(['bl1', 'bl2'])));
      break;
    case 4:
      // The destination holds a string: the client is answered WRONGTYPE and nothing moves.
      pushes.push(['SET', 'bl3', 'v']);
      await replay.run(a, pushes.splice(0));
      b.send('BLMOVE', 'bl1', 'bl3', side(), side(), '0');
      readers.push(b.read(10_000));
      await replay.blocked(1);
      pushes.push(push('bl1'));
      break;
    default:
      b.send('BLPOP', 'bl1', '0');
      readers.push(b.read(10_000));
      await replay.blocked(1);
      c.send('BRPOP', 'bl1', '0');
      readers.push(c.read(10_000));
      await replay.blocked(2);
      pushes.push(push('bl1'));
  }
  await replay.run(a, pushes);
  await Promise.all(readers);
  replay.served += readers.length;
}

async function zsetBlockingScenario(replay: Replay, gen: ReplayGenerator, a: RawClient, b: RawClient, c: RawClient): Promise<void> {
  await replay.run(a, [['DEL', 'bz1', 'bz2']]);
  const add = (key: string): string[] => ['ZADD', key, '1', 'a', String(gen.int(5)), 'b', '3', String(gen.int(100))];
  const readers: Array<Promise<unknown>> = [];
  switch (gen.int(3)) {
    case 0:
      b.send(gen.pick(['BZPOPMIN', 'BZPOPMAX']), 'bz1', 'bz2', '0');
      readers.push(b.read(10_000));
      await replay.blocked(1);
      await replay.run(a, [add('bz2')]);
      break;
    case 1:
      b.send('BZMPOP', '0', '2', 'bz1', 'bz2', gen.pick(['MIN', 'MAX']), 'COUNT', String(1 + gen.int(4)));
      readers.push(b.read(10_000));
      await replay.blocked(1);
      await replay.run(a, [add(gen.pick(['bz1', 'bz2']))]);
      break;
    default:
      b.send('BZPOPMIN', 'bz1', '0');
      readers.push(b.read(10_000));
      await replay.blocked(1);
      c.send('BZMPOP', '0', '1', 'bz1', 'MAX', 'COUNT', '2');
      readers.push(c.read(10_000));
      await replay.blocked(2);
      await replay.run(a, [add('bz1')]);
  }
  await Promise.all(readers);
  replay.served += readers.length;
}

/** One transaction: committed, discarded, aborted by a bad command, or failed by a touched WATCHed key. */
async function transaction(replay: Replay, gen: ReplayGenerator, a: RawClient, other: RawClient): Promise<void> {
  const body: string[][] = [];
  const n = 1 + gen.int(6);
  for (let i = 0; i < n; i++) body.push(gen.chance(0.1) ? ['SELECT', String(gen.int(3))] : gen.any());
  const r = gen.int(10);
  if (r === 0) return replay.run(a, [['MULTI'], ...body, ['DISCARD']]);
  if (r === 1) return replay.run(a, [['MULTI'], ...body, ['NOSUCHCOMMAND'], ['EXEC']]);
  if (r === 2) {
    const key = gen.pick(['k1', 'l1', 's1', 'z1', 'h1']);
    await replay.run(a, [['WATCH', key]]);
    if (gen.chance(0.5)) await replay.run(other, [['APPEND', 'k1', 'w'], ['DEL', key]]);
  }
  return replay.run(a, [['MULTI'], ...body, ['EXEC']]);
}

async function runGroup(group: ReplayGroup, seed: number): Promise<void> {
  const replay = await Replay.start();
  try {
    const gen = new ReplayGenerator(seed);
    const a = await replay.nodis.raw();
    const b = await replay.nodis.raw();
    const c = await replay.nodis.raw();
    let batch: string[][] = [];
    for (let step = 0; step < STEPS; step++) {
      if (step % CHECKPOINT === CHECKPOINT - 1) {
        await replay.run(a, batch.splice(0));
        await replay.compare(false);
      }
      if (group === 'transactions') {
        await transaction(replay, gen, a, b);
        continue;
      }
      if (group === 'lists' && step % 40 === 39) {
        await replay.run(a, batch.splice(0));
        await listBlockingScenario(replay, gen, a, b, c);
        continue;
      }
      if (group === 'zsets' && step % 40 === 39) {
        await replay.run(a, batch.splice(0));
        await zsetBlockingScenario(replay, gen, a, b, c);
        continue;
      }
      switch (group) {
        case 'strings': batch.push(gen.strings()); break;
        case 'keys': batch.push(gen.keys()); break;
        case 'databases': batch.push(gen.databases()); break;
        case 'streams': batch.push(gen.streams()); break;
        case 'lists': batch.push(gen.collection('list')); break;
        case 'hashes': batch.push(gen.collection('hash')); break;
        case 'sets': batch.push(gen.collection('set')); break;
        default: batch.push(gen.collection('zset'));
      }
      if (batch.length >= BATCH) {
        await replay.run(a, batch);
        batch = [];
        // A pause now and then lets short TTLs run out before the next commands touch their keys.
        if (gen.chance(0.2)) await sleep(1 + gen.int(15));
      }
    }
    await replay.run(a, batch);
    if (group === 'lists' || group === 'zsets') expect(replay.served).toBeGreaterThan(0);
    // Deliveries to consumers and acknowledgements reached the replica.
    if (group === 'streams') for (const name of ['XCLAIM', 'XACK', 'XDEL', 'XTRIM']) expect(replay.log.some((argv) => argv[0] === name), name).toBe(true);
    await replay.compare(true);
  } finally {
    await replay.stop();
  }
}

describe.skipIf(!hasOracle)('the propagation stream replayed into a real Redis rebuilds the dataset', () => {
  const groups: ReplayGroup[] = ['strings', 'keys', 'lists', 'hashes', 'sets', 'zsets', 'transactions', 'databases', 'streams'];
  groups.forEach((group, i) => {
    it(group, async () => {
      await runGroup(group, 1000 + i);
    }, 120_000);
  });
});
