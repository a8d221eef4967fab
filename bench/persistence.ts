/**
 * Persistence beside real Redis: for 1M small keys and for 1M-member collections of each type,
 * SAVE time, dump.rdb size, load time at start-up (as each server logs it), and the longest
 * reply time a PING-ing client sees while BGSAVE and BGREWRITEAOF run (event-loop stall for
 * nodis, fork and copy-on-write for Redis); then the CPU cost of the AOF (appendfsync
 * everysec) for SET -P 16.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, runBenchmark, type TestCase } from './benchmark.js';
import { command, DATASETS, infoField, pipeline, REPLY_LINES, resp } from './memory.js';
import { PingProbe } from './ping-probe.js';
import { startBenchServer, type BenchServer } from './servers.js';

const pad7 = (i: number): string => String(i).padStart(7, '0');

const PERSISTENCE_DATASETS: Record<string, (i: number) => string> = {
  ...DATASETS,
  'list elements (1 key)': (i) => resp(['RPUSH', 'biglist', `element:${pad7(i)}`]),
  'lists of 5 elements': (i) => resp(['RPUSH', `list:${pad7(i)}`, `a${i}`, `bb${i}`, `ccc${i}`, 'dddd', 'eeeee']),
};

export interface PersistenceResult {
  dataset: string;
  server: 'nodis' | 'redis';
  saveMs: number;
  fileBytes: number;
  loadMs: number;
  /** Longest PING round trip while a BGSAVE ran, and with no job running (the baseline). */
  bgsaveStallMs: number;
  /** Same, while BGREWRITEAOF ran with aof-use-rdb-preamble yes (Redis's default) and no. */
  rewriteStallMs: number;
  rewriteCommandsStallMs: number;
  idleStallMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function info(port: number, section: string): Promise<string> {
  return command(port, ['INFO', section]);
}

async function waitUntil(port: number, done: (persistence: string) => boolean): Promise<void> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    await sleep(50);
    if (done(await info(port, 'persistence'))) return;
    if (Date.now() > deadline) throw new Error('background job did not finish');
  }
}

async function timed(port: number, args: string[]): Promise<number> {
  const started = performance.now();
  const reply = await command(port, args);
  if (!reply.startsWith('+')) throw new Error(`${args.join(' ')}: ${reply.trim()}`);
  return performance.now() - started;
}

/** Longest PING round trip while `job` runs (started by `args`, finished when `finished` says so). */
async function stallDuring(probe: PingProbe, port: number, args: string[], finished: (persistence: string) => boolean): Promise<number> {
  await sleep(200);
  probe.reset();
  const reply = await command(port, args);
  if (!reply.startsWith('+')) throw new Error(`${args.join(' ')}: ${reply.trim()}`);
  await waitUntil(port, finished);
  return probe.longestMs;
}

const bgsaveDone = (p: string): boolean => infoField(p, 'rdb_bgsave_in_progress') === 0;
const rewriteDone = (p: string): boolean => infoField(p, 'aof_rewrite_in_progress') === 0 && infoField(p, 'aof_rewrite_scheduled') === 0;

async function loadTime(server: BenchServer): Promise<number> {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const match = /DB loaded from disk: ([\d.]+) seconds/.exec(server.output());
    if (match) return Number(match[1]) * 1000;
    if (Date.now() > deadline) throw new Error(`${server.name} did not report its load`);
    await sleep(20);
  }
}

async function measureOne(name: 'nodis' | 'redis', dataset: string, items: number, core: number): Promise<PersistenceResult> {
  const dir = mkdtempSync(join(tmpdir(), `bench-persist-${name}-`));
  try {
    const server = await startBenchServer(name, core, [], { dir });
    let result: Omit<PersistenceResult, 'loadMs'>;
    const probe = new PingProbe();
    try {
      // Every reply counted (XADD's takes two lines): SAVE must not start while the fill still runs.
      await pipeline(server.port, items, PERSISTENCE_DATASETS[dataset] as (i: number) => string, REPLY_LINES[dataset] ?? 1);
      const saveMs = await timed(server.port, ['SAVE']);
      const fileBytes = statSync(join(dir, 'dump.rdb')).size;
      await probe.start(server.port);
      await sleep(1000);
      const idleStallMs = probe.longestMs;
      const bgsaveStallMs = await stallDuring(probe, server.port, ['BGSAVE'], bgsaveDone);
      await command(server.port, ['CONFIG', 'SET', 'aof-use-rdb-preamble', 'yes']);
      const rewriteStallMs = await stallDuring(probe, server.port, ['BGREWRITEAOF'], rewriteDone);
      await command(server.port, ['CONFIG', 'SET', 'aof-use-rdb-preamble', 'no']);
      const rewriteCommandsStallMs = await stallDuring(probe, server.port, ['BGREWRITEAOF'], rewriteDone);
      result = { dataset, server: name, saveMs, fileBytes, bgsaveStallMs, rewriteStallMs, rewriteCommandsStallMs, idleStallMs };
    } finally {
      await probe.stop();
      await server.stop();
    }
    // appendonly no at start-up: the server loads dump.rdb (the directory of the rewrites is ignored).
    const restarted = await startBenchServer(name, core, [], { dir, logLevel: 'notice' });
    try {
      const loadMs = await loadTime(restarted);
      return { ...result, loadMs };
    } finally {
      await restarted.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `only`: the datasets whose name includes it (all by default). */
export async function measurePersistence(items: number, core: number, log: (line: string) => void, only = ''): Promise<PersistenceResult[]> {
  const results: PersistenceResult[] = [];
  for (const dataset of Object.keys(PERSISTENCE_DATASETS).filter((name) => name.includes(only))) {
    for (const name of ['nodis', 'redis'] as const) {
      log(`persistence: ${dataset}, ${name}…`);
      results.push(await measureOne(name, dataset, items, core));
    }
  }
  return results;
}

export interface AofCost {
  /** Median server CPU per SET (µs) for each configuration. */
  nodis: number;
  nodisAof: number;
  redis: number;
  redisAof: number;
}

/** SET -P 16 with and without `appendonly yes` + `appendfsync everysec`, A/B over rounds. */
export async function measureAofCost(requests: number, rounds: number, core: number): Promise<AofCost> {
  const aof = ['--appendonly', 'yes', '--appendfsync', 'everysec'];
  const servers = {
    nodis: await startBenchServer('nodis', core),
    nodisAof: await startBenchServer('nodis', core, aof),
    redis: await startBenchServer('redis', core),
    redisAof: await startBenchServer('redis', core, aof),
  };
  const test: TestCase = { label: 'set', pipeline: 16, clients: 50, requests, args: ['-t', 'set'] };
  const samples: Record<keyof AofCost, number[]> = { nodis: [], nodisAof: [], redis: [], redisAof: [] };
  const names = Object.keys(servers) as (keyof AofCost)[];
  try {
    for (const n of names) runBenchmark(servers[n], test);
    for (let round = 0; round < rounds; round++) {
      for (const n of names) samples[n].push(runBenchmark(servers[n], test).usPerOp);
    }
  } finally {
    for (const n of names) await servers[n].stop();
  }
  return { nodis: median(samples.nodis), nodisAof: median(samples.nodisAof), redis: median(samples.redis), redisAof: median(samples.redisAof) };
}

const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);

export function persistenceTable(results: PersistenceResult[], items: number): string {
  const lines = [
    `| dataset (${items / 1e6}M items) | server | SAVE ms | dump.rdb MB | load ms | longest PING ms: idle | during BGSAVE | during BGREWRITEAOF (RDB base) | during BGREWRITEAOF (commands) |`,
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const ratios: string[] = ['', '| dataset | SAVE time ratio | file size ratio | load time ratio |', '|---|---:|---:|---:|'];
  for (const dataset of [...new Set(results.map((r) => r.dataset))]) {
    for (const r of results.filter((x) => x.dataset === dataset)) {
      lines.push(`| ${dataset} | ${r.server} | ${fmt(r.saveMs, 0)} | ${mb(r.fileBytes)} | ${fmt(r.loadMs, 0)} | ${fmt(r.idleStallMs, 1)} | ${fmt(r.bgsaveStallMs, 1)} | ${fmt(r.rewriteStallMs, 1)} | ${fmt(r.rewriteCommandsStallMs, 1)} |`);
    }
    const n = results.find((r) => r.dataset === dataset && r.server === 'nodis');
    const r = results.find((x) => x.dataset === dataset && x.server === 'redis');
    if (n && r) ratios.push(`| ${dataset} | ${fmt(n.saveMs / r.saveMs)} | ${fmt(n.fileBytes / r.fileBytes)} | ${fmt(n.loadMs / r.loadMs)} |`);
  }
  return [...lines, ...ratios].join('\n');
}

export function aofCostTable(cost: AofCost): string {
  return [
    '| SET -P 16 server µs/op | no AOF | appendonly yes, everysec | ratio |',
    '|---|---:|---:|---:|',
    `| nodis | ${fmt(cost.nodis)} | ${fmt(cost.nodisAof)} | ${fmt(cost.nodisAof / cost.nodis)} |`,
    `| redis | ${fmt(cost.redis)} | ${fmt(cost.redisAof)} | ${fmt(cost.redisAof / cost.redis)} |`,
  ].join('\n');
}
