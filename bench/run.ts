/**
 * `npm run bench [-- --quick] [-- --rounds N] [-- --only <label text>] [-- --no-throughput] [-- --no-memory] [-- --no-persistence] [-- --no-gc] [-- --gc-size 4gb] [-- --no-stalls] [-- --no-connections]`
 *
 * Runs redis-benchmark against nodis and real redis-server in the same run, alternating
 * A B A B per test over several rounds after a warm-up pass, each server pinned to core 1 and
 * the client to core 0. Reports requests per second, server CPU time per request (µs/op,
 * from /proc over each test) and the nodis/redis ratios, medians over the rounds; then memory
 * per key/member; then GC pauses seen by node --trace-gc; then persistence (bench/persistence.ts);
 * then ping latency and GC pauses while --gc-size bytes are written and evicted (bench/gc.ts);
 * then the stalls a pinging client sees during UNLINK/DEL of a 10M-element list and FLUSHALL
 * ASYNC of 1M keys (bench/stalls.ts); then SET and GET with 1,000 and 10,000 idle connections
 * open, and the memory each idle connection takes (bench/connections.ts).
 * Writes a Markdown report under bench/results/.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMemory } from '../src/config/values.js';
import { gcTable, measureGc, type GcResult } from './gc.js';
import { command, measureMemory, type MemoryResult } from './memory.js';
import { aofCostTable, measureAofCost, measurePersistence, persistenceTable, type AofCost, type PersistenceResult } from './persistence.js';
import { CLIENT_CORE, median, runBenchmark, SERVER_CORE, type Sample, type TestCase } from './benchmark.js';
import { gcPauses, hasTaskset, startBenchServer } from './servers.js';
import { measureStalls, stallCases, stallsTable, type StallResult } from './stalls.js';
import { connectionsTables, measureConnections, type ConnectionsResult } from './connections.js';

const HERE = dirname(fileURLToPath(import.meta.url));

interface Options {
  quick: boolean;
  rounds: number;
  throughput: boolean;
  memory: boolean;
  persistence: boolean;
  gc: boolean;
  stalls: boolean;
  connections: boolean;
  /** Bytes the GC part writes. */
  gcBytes: number;
  /** Only the tests and memory datasets whose label contains this text (a short targeted run). */
  only: string | null;
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const roundsAt = argv.indexOf('--rounds');
  const rounds = roundsAt >= 0 ? Number(argv[roundsAt + 1]) : quick ? 2 : 5;
  const gcSizeAt = argv.indexOf('--gc-size');
  const gcBytes = gcSizeAt >= 0 ? parseMemory(argv[gcSizeAt + 1] ?? '') : quick ? 512 * 2 ** 20 : 4 * 2 ** 30;
  const onlyAt = argv.indexOf('--only');
  if (!(gcBytes > 0)) throw new Error('--gc-size takes a size as redis.conf writes one: 300mb, 4gb, bytes');
  return {
    quick,
    rounds,
    throughput: !argv.includes('--no-throughput'),
    memory: !argv.includes('--no-memory'),
    persistence: !argv.includes('--no-persistence'),
    gc: !argv.includes('--no-gc'),
    stalls: !argv.includes('--no-stalls'),
    connections: !argv.includes('--no-connections'),
    gcBytes,
    only: onlyAt >= 0 ? (argv[onlyAt + 1] ?? '') : null,
  };
}

/** Ordered so that data exists when read (lists before LRANGE and pops). */
const TESTS = ['ping_mbulk', 'set', 'get', 'incr', 'lpush', 'rpush', 'lrange_100', 'lrange_300', 'lpop', 'rpop', 'sadd', 'hset', 'spop', 'zadd', 'zpopmin', 'mset'];
const QUICK_TESTS = ['set', 'get', 'lpush', 'lrange_100', 'mset'];
const HEAVY = new Set(['lrange_100', 'lrange_300', 'mset']);

function testArgs(test: string): string[] {
  if (test === 'lrange_100') return ['lrange', 'mylist', '0', '99'];
  if (test === 'lrange_300') return ['lrange', 'mylist', '0', '299'];
  return ['-t', test];
}

/** EVALSHA of a script making one call, and of one making ten (written out, as earlier reports measured it). */
const ONE_CALL_SCRIPT = "return redis.call('INCR', KEYS[1])";
const TEN_CALL_SCRIPT = [...Array.from({ length: 9 }, () => "redis.call('INCR', KEYS[1])"), "return redis.call('INCR', KEYS[1])"].join('\n');
const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

/** Stream of 100 entries read 10 at a time by the XRANGE test (XADD writes to a key of its own). */
const RANGE_STREAM = 'bench:xrange';
const RANGE_STREAM_FILL = Array.from({ length: 100 }, (_, i) => ['XADD', RANGE_STREAM, `1-${i + 1}`, 'field', 'v'.repeat(16)]);

/** The keys of the MGET test. */
const MGET_KEYS = Array.from({ length: 10 }, (_, i) => `bench:mget:${i}`);

/** Scripting and stream tests, at -P 16 only (their targets are CPU per request there). */
function scriptAndStreamCases(scale: number): TestCase[] {
  const at = (label: string, requests: number, target: number, args: string[], setup: string[][]): TestCase => ({
    label,
    pipeline: 16,
    clients: 50,
    requests: Math.round(requests * scale),
    args,
    setup,
    target,
  });
  return [
    at('evalsha 1 call', 500_000, 2, ['evalsha', sha1(ONE_CALL_SCRIPT), '1', 'bench:counter'], [['SCRIPT', 'LOAD', ONE_CALL_SCRIPT]]),
    at('evalsha 10 calls', 200_000, 2, ['evalsha', sha1(TEN_CALL_SCRIPT), '1', 'bench:counter'], [['SCRIPT', 'LOAD', TEN_CALL_SCRIPT]]),
    at('xadd', 500_000, 1.5, ['xadd', 'bench:xadd', '*', 'field', 'v'.repeat(16)], []),
    at('xrange 10', 500_000, 1.5, ['xrange', RANGE_STREAM, '-', '+', 'COUNT', '10'], [['DEL', RANGE_STREAM], ...RANGE_STREAM_FILL]),
    // MSET of 10 keys is a standard test; its reading counterpart, of 10 keys of 3-byte values as MSET writes them.
    at('mget 10 keys', 1_000_000 / 4, 1.3, ['mget', ...MGET_KEYS], [['MSET', ...MGET_KEYS.flatMap((key) => [key, 'xxx'])]]),
  ];
}

function buildCases(opts: Options): TestCase[] {
  const scale = opts.quick ? 0.1 : 1;
  const names = opts.quick ? QUICK_TESTS : TESTS;
  const cases: TestCase[] = [];
  for (const pipeline of [1, 16]) {
    for (const test of names) {
      const base = pipeline === 1 ? 100_000 : 1_000_000;
      const requests = Math.round((HEAVY.has(test) ? base / 4 : base) * scale);
      cases.push({ label: test, pipeline, clients: 50, requests, args: testArgs(test) });
    }
  }
  cases.push(...scriptAndStreamCases(scale));
  // Large values (each GET after the SET of the same size, which made its key's value).
  for (const [size, requests] of [[1024, 500_000], [16384, 200_000]] as const) {
    for (const test of ['set', 'get']) {
      cases.push({ label: `${test} -d ${size}`, pipeline: 16, clients: 50, requests: Math.round(requests * scale), args: ['-t', test, '-d', String(size)] });
    }
  }
  for (const test of ['set', 'get']) {
    cases.push({ label: `${test} -c 1`, pipeline: 1, clients: 1, requests: Math.round(50_000 * scale), args: ['-t', test], latency: true });
  }
  // Bitmaps: SETBIT at random offsets of a 16 MB bitmap (our own client: see bench/bit-client.ts),
  // then BITCOUNT of a 1 MB one (made by the SETRANGE before it).
  const bitClient = (clients: number, requests: number, pipeline: number) => (port: number): [string, string[]] =>
    [process.execPath, ['--import', 'tsx', join(HERE, 'bit-client.ts'), String(port), String(clients), String(requests), String(pipeline), 'bitmap16mb', String(16 * 8 * 2 ** 20)]];
  for (const pipeline of [1, 16]) {
    const requests = Math.round((pipeline === 1 ? 100_000 : 1_000_000) * scale);
    cases.push({ label: 'setbit 16mb random', pipeline, clients: 50, requests, args: [], client: bitClient(50, requests, pipeline) });
  }
  cases.push({ label: 'bitmap 1mb by setrange', pipeline: 1, clients: 1, requests: 1000, args: ['setrange', 'bitmap1mb', String(2 ** 20 - 1), 'x'] });
  cases.push({ label: 'bitcount 1mb', pipeline: 1, clients: 50, requests: Math.round(20_000 * scale), args: ['bitcount', 'bitmap1mb'] });
  const only = opts.only;
  return only === null ? cases : cases.filter((c) => c.label.includes(only));
}

interface Row {
  test: TestCase;
  nodis: Sample;
  redis: Sample;
}

function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return (r.stdout || r.stderr || '').trim().split('\n')[0] ?? '?';
}

function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function table(rows: Row[]): string {
  const lines = [
    '| test | -P | nodis rps | redis rps | rps ratio | nodis µs/op | redis µs/op | CPU ratio |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { test, nodis, redis } of rows.filter((r) => !r.test.latency)) {
    lines.push(`| ${test.label} | ${test.pipeline} | ${Math.round(nodis.rps)} | ${Math.round(redis.rps)} | ${fmt(nodis.rps / redis.rps)} | ${fmt(nodis.usPerOp)} | ${fmt(redis.usPerOp)} | ${fmt(nodis.usPerOp / redis.usPerOp)} |`);
  }
  lines.push('', '| latency test | nodis p50 ms | nodis p99 ms | redis p50 ms | redis p99 ms |', '|---|---:|---:|---:|---:|');
  for (const { test, nodis, redis } of rows.filter((r) => r.test.latency)) {
    lines.push(`| ${test.label} | ${fmt(nodis.p50, 3)} | ${fmt(nodis.p99, 3)} | ${fmt(redis.p50, 3)} | ${fmt(redis.p99, 3)} |`);
  }
  return lines.join('\n');
}

function geomean(values: number[]): number {
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

function summary(rows: Row[]): string {
  const p16 = rows.filter((r) => !r.test.latency && r.test.pipeline === 16 && !r.test.label.includes('-d') && r.test.target === undefined);
  const ownTargets = rows.filter((r) => r.test.target !== undefined);
  const cpuRatios = p16.map((r) => r.nodis.usPerOp / r.redis.usPerOp);
  const worst = p16.reduce<Row | null>((w, r) => (w === null || r.nodis.usPerOp / r.redis.usPerOp > w.nodis.usPerOp / w.redis.usPerOp ? r : w), null);
  // The -P 1 targets are those of the 50-client tests (the one-client ones are latency-bound).
  const p1 = rows.filter((r) => !r.test.latency && r.test.pipeline === 1 && r.test.clients === 50);
  const rpsWorst = p1.reduce<Row | null>((w, r) => (w === null || r.nodis.rps / r.redis.rps < w.nodis.rps / w.redis.rps ? r : w), null);
  const cpuWorst = p1.reduce<Row | null>((w, r) => (w === null || r.nodis.usPerOp / r.redis.usPerOp > w.nodis.usPerOp / w.redis.usPerOp ? r : w), null);
  const large = rows.filter((r) => r.test.label.includes(' -d '));
  const largeWorst = large.reduce<Row | null>((w, r) => (w === null || r.nodis.usPerOp / r.redis.usPerOp > w.nodis.usPerOp / w.redis.usPerOp ? r : w), null);
  const mset = p16.find((r) => r.test.label === 'mset');
  const latency = rows.filter((r) => r.test.latency);
  const worstOf = (ratio: (r: Row) => number): string => {
    const w = latency.reduce<Row | null>((a, r) => (a === null || ratio(r) > ratio(a) ? r : a), null);
    return w === null ? '-' : `${w.test.label} ${fmt(ratio(w))}`;
  };
  return [
    `- -P 16 CPU per request, geometric mean nodis/redis: ${fmt(geomean(cpuRatios))} (target ≤ 1.2)`,
    worst ? `- -P 16 worst CPU ratio: ${worst.test.label} ${fmt(worst.nodis.usPerOp / worst.redis.usPerOp)} (target ≤ 1.4)` : '',
    rpsWorst ? `- -P 1 lowest rps ratio: ${rpsWorst.test.label} ${fmt(rpsWorst.nodis.rps / rpsWorst.redis.rps)} (target ≥ 0.90)` : '',
    cpuWorst ? `- -P 1 worst CPU ratio: ${cpuWorst.test.label} ${fmt(cpuWorst.nodis.usPerOp / cpuWorst.redis.usPerOp)} (target ≤ 1.3)` : '',
    largeWorst ? `- large values, worst CPU ratio: ${largeWorst.test.label} ${fmt(largeWorst.nodis.usPerOp / largeWorst.redis.usPerOp)} (target ≤ 1.5)` : '',
    mset ? `- mset -P 16 CPU per request nodis/redis: ${fmt(mset.nodis.usPerOp / mset.redis.usPerOp)} (target ≤ 1.3)` : '',
    latency.length !== 0 ? `- one client, worst p50 ratio: ${worstOf((r) => r.nodis.p50 / r.redis.p50)} (target ≤ 1.1); worst p99 ratio: ${worstOf((r) => r.nodis.p99 / r.redis.p99)} (target ≤ 1.3)` : '',
    ...ownTargets.map((r) => `- ${r.test.label} -P ${r.test.pipeline} CPU per request nodis/redis: ${fmt(r.nodis.usPerOp / r.redis.usPerOp)} (target ≤ ${r.test.target})`),
  ].filter((l) => l !== '').join('\n');
}

function memoryTable(results: MemoryResult[]): string {
  const lines = ['| dataset (1M items) | nodis used B/item | redis used B/item | used ratio | nodis RSS B/item | redis RSS B/item | RSS ratio |', '|---|---:|---:|---:|---:|---:|---:|'];
  const datasets = [...new Set(results.map((r) => r.dataset))];
  for (const d of datasets) {
    const n = results.find((r) => r.dataset === d && r.server === 'nodis');
    const r = results.find((x) => x.dataset === d && x.server === 'redis');
    if (!n || !r) continue;
    lines.push(`| ${d} | ${fmt(n.usedPerItem, 1)} | ${fmt(r.usedPerItem, 1)} | ${fmt(n.usedPerItem / r.usedPerItem)} | ${fmt(n.rssPerItem, 1)} | ${fmt(r.rssPerItem, 1)} | ${fmt(n.rssPerItem / r.rssPerItem)} |`);
  }
  return lines.join('\n');
}

interface ThroughputResult {
  rows: Row[];
  gc: { max: number; over: number; count: number };
}

async function measureThroughput(opts: Options, redisFound: boolean): Promise<ThroughputResult> {
  const cases = buildCases(opts);
  const nodis = await startBenchServer('nodis', SERVER_CORE);
  const redis = redisFound ? await startBenchServer('redis', SERVER_CORE) : null;
  if (!redis) console.warn('redis-server not found: reporting nodis alone (apt-get install redis-server)');
  const samples = new Map<TestCase, { nodis: Sample[]; redis: Sample[] }>();
  try {
    for (const server of redis ? [nodis, redis] : [nodis]) {
      for (const test of cases) for (const args of test.setup ?? []) await command(server.port, args);
    }
    console.error(`warm-up pass (${cases.length} tests)…`);
    for (const test of cases) {
      runBenchmark(nodis, test);
      if (redis) runBenchmark(redis, test);
    }
    for (let round = 1; round <= opts.rounds; round++) {
      console.error(`round ${round}/${opts.rounds}…`);
      for (const test of cases) {
        const entry = samples.get(test) ?? { nodis: [], redis: [] };
        entry.nodis.push(runBenchmark(nodis, test));
        if (redis) entry.redis.push(runBenchmark(redis, test));
        samples.set(test, entry);
      }
    }
  } finally {
    await nodis.stop();
    await redis?.stop();
  }
  const pick = (list: Sample[]): Sample => ({
    rps: median(list.map((s) => s.rps)),
    usPerOp: median(list.map((s) => s.usPerOp)),
    p50: median(list.map((s) => s.p50)),
    p99: median(list.map((s) => s.p99)),
  });
  const empty: Sample = { rps: NaN, usPerOp: NaN, p50: NaN, p99: NaN };
  const rows: Row[] = cases.map((test) => {
    const s = samples.get(test) as { nodis: Sample[]; redis: Sample[] };
    return { test, nodis: pick(s.nodis), redis: s.redis.length ? pick(s.redis) : empty };
  });
  return { rows, gc: gcPauses(nodis.output(), 5, nodis.readyAfterMs) };
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const redisFound = spawnSync('redis-server', ['--version']).status === 0;
  if (spawnSync('redis-benchmark', ['--version']).status !== 0) {
    console.error('redis-benchmark not found: apt-get install redis-tools');
    process.exit(1);
  }
  const throughput = opts.throughput ? await measureThroughput(opts, redisFound) : null;

  let memory: MemoryResult[] = [];
  if (opts.memory && redisFound) {
    console.error('memory: loading 1M items per dataset into fresh servers…');
    memory = await measureMemory(opts.quick ? 200_000 : 1_000_000, SERVER_CORE, opts.only);
  }

  const persistenceItems = opts.quick ? 200_000 : 1_000_000;
  let persistence: PersistenceResult[] = [];
  let aofCost: AofCost | null = null;
  if (opts.persistence && redisFound) {
    persistence = await measurePersistence(persistenceItems, SERVER_CORE, (line) => console.error(line), opts.only ?? '');
    // --only picks datasets: the AOF's cost, not one of them, is left out then.
    if (opts.only === null) {
      console.error('persistence: SET -P 16 with and without the AOF…');
      aofCost = await measureAofCost(opts.quick ? 200_000 : 1_000_000, opts.rounds, SERVER_CORE);
    }
  }

  let gc: GcResult[] = [];
  if (opts.gc) {
    console.error(`gc: writing ${Math.round(opts.gcBytes / 2 ** 20)} MB into each server while a client pings…`);
    gc = await measureGc(opts.gcBytes, SERVER_CORE, redisFound);
  }

  let stalls: StallResult[] = [];
  if (opts.stalls) {
    const cases = opts.quick ? stallCases(1_000_000, 200_000) : stallCases(10_000_000, 1_000_000);
    stalls = await measureStalls(cases, SERVER_CORE, redisFound, (line) => console.error(line));
  }

  let connections: ConnectionsResult[] = [];
  // Kept by --only when the text names this part ("connections", "idle").
  const connectionsPicked = opts.only === null || 'idle connections'.includes(opts.only);
  if (opts.connections && redisFound && connectionsPicked) {
    connections = await measureConnections(opts.quick ? [1000] : [1000, 10_000], opts.quick ? 100_000 : 200_000, opts.rounds, SERVER_CORE, (line) => console.error(line));
  }

  const when = new Date();
  const header = [
    `# nodis benchmark — ${when.toISOString()}`,
    '',
    `- machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${hasTaskset() ? `server pinned to core ${SERVER_CORE}, client to core ${CLIENT_CORE}` : 'no taskset (unpinned)'}`,
    `- node ${process.version}; ${versionOf('redis-server', ['--version'])}; ${versionOf('redis-benchmark', ['--version'])}`,
    `- command: \`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` — ${opts.rounds} rounds after a warm-up pass, A/B alternating per test, medians; each test is \`redis-benchmark -c <clients> -n <requests> -P <pipeline> --csv <test>\``,
    '',
  ].join('\n');
  const report = [
    header,
    ...(throughput
      ? [
          '## Throughput and server CPU per request',
          '',
          table(throughput.rows),
          '',
          summary(throughput.rows),
          '',
          `## GC (node --trace-gc during the throughput run)`,
          '',
          `- ${throughput.gc.count} collections, longest pause ${fmt(throughput.gc.max)} ms, ${throughput.gc.over} over 5 ms`,
          '',
        ]
      : []),
    ...(memory.length ? ['## Memory', '', memoryTable(memory), ''] : []),
    ...(persistence.length
      ? [
          '## Persistence',
          '',
          'Each server filled through one pipelined connection, then: SAVE (wall time of the command), the size of dump.rdb, the load time the server logs when restarted on that file, and the longest round trip of a client sending PING after PING while nothing runs, during BGSAVE, and during BGREWRITEAOF with and without an RDB base.',
          '',
          persistenceTable(persistence, persistenceItems),
          '',
        ]
      : []),
    ...(aofCost ? ['### AOF cost', '', aofCostTable(aofCost), ''] : []),
    ...(gc.length ? ['## GC under a large write load', '', gcTable(gc), ''] : []),
    ...(stalls.length ? ['## Stalls while freeing something huge', '', stallsTable(stalls), ''] : []),
    ...(connections.length
      ? [
          '## Many connections',
          '',
          'Idle connections (each answered one PING, then silent) held open while redis-benchmark runs SET and GET with 50 clients at -P 1; memory per idle connection is the growth of RSS and used_memory over opening 10,000 of them, 4 s later (both servers trim the buffers of an idle connection after 2 s), each read after MEMORY PURGE.',
          '',
          connectionsTables(connections),
          '',
        ]
      : []),
  ].join('\n');
  console.log(report);
  const dir = join(HERE, 'results');
  mkdirSync(dir, { recursive: true });
  // A run that skipped a part is kept under its own name and does not replace latest.md.
  const partial = opts.only !== null || !opts.throughput || !opts.memory || !opts.persistence || !opts.gc || !opts.stalls || !opts.connections;
  const name = (stamp: string): string => join(dir, `${stamp.replace(/[:T]/g, '-')}${opts.quick ? '-quick' : ''}${partial ? '-partial' : ''}.md`);
  // Runs started in the same minute (partial ones, one dataset each) keep their own reports.
  let file = name(when.toISOString().slice(0, 16));
  if (existsSync(file)) file = name(when.toISOString().slice(0, 19));
  writeFileSync(file, report + '\n');
  if (!partial) copyFileSync(file, join(dir, opts.quick ? 'latest-quick.md' : 'latest.md'));
  console.error(`report written to ${file}`);
}

await main();
