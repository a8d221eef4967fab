/**
 * `npm run bench:bullmq -- [--jobs N] [--rounds R]`
 *
 * A job queue's workload, nodis against real redis-server in the same run: BullMQ adds N jobs
 * (addBulk, 100 at a time), then a Worker of concurrency 10 processes them all. Each server
 * runs pinned to core 1, this process (the queue and the worker) on core 0. Prints, per
 * server, the wall time of each phase and the server's CPU time; medians over the rounds,
 * servers alternated per round. Nearly all of the server's work is running BullMQ's Lua
 * scripts (EVALSHA).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { cpuMicros, startBenchServer, type BenchServer } from './servers.js';

function option(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i !== -1 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : def;
}

interface Round {
  addMs: number;
  processMs: number;
  serverCpuMs: number;
}

async function runRound(server: BenchServer, jobs: number, round: number): Promise<Round> {
  const connection = { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null };
  const name = `bench-${round}`;
  const queue = new Queue(name, { connection });
  await queue.waitUntilReady();
  const cpuBefore = cpuMicros(server.pid);
  const t0 = performance.now();
  for (let i = 0; i < jobs; i += 100) {
    await queue.addBulk(Array.from({ length: Math.min(100, jobs - i) }, (_, k) => ({ name: 'job', data: { n: i + k } })));
  }
  const t1 = performance.now();
  await new Promise<void>((resolve, reject) => {
    let done = 0;
    const worker = new Worker(name, async (job) => (job.data as { n: number }).n, { connection, concurrency: 10 });
    worker.on('error', reject);
    worker.on('completed', () => {
      if (++done === jobs) void worker.close().then(resolve, reject);
    });
  });
  const t2 = performance.now();
  const serverCpuMs = (cpuMicros(server.pid) - cpuBefore) / 1000;
  await queue.obliterate({ force: true });
  await queue.close();
  return { addMs: t1 - t0, processMs: t2 - t1, serverCpuMs };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

async function main(): Promise<void> {
  const jobs = option('--jobs', 3000);
  const rounds = option('--rounds', 3);
  const servers = { nodis: await startBenchServer('nodis', 1), redis: await startBenchServer('redis', 1) };
  const results: Record<'nodis' | 'redis', Round[]> = { nodis: [], redis: [] };
  try {
    for (let round = 0; round < rounds; round++) {
      const order: ('nodis' | 'redis')[] = round % 2 === 0 ? ['nodis', 'redis'] : ['redis', 'nodis'];
      for (const name of order) results[name].push(await runRound(servers[name], jobs, round));
    }
  } finally {
    await servers.nodis.stop();
    await servers.redis.stop();
  }
  const cpu = (name: 'nodis' | 'redis'): number => median(results[name].map((x) => x.serverCpuMs));
  const lines = [
    `# BullMQ — ${new Date().toISOString()}`,
    '',
    `${jobs} jobs added (addBulk of 100) and processed (Worker, concurrency 10); medians of ${rounds} rounds; servers on core 1, BullMQ on core 0; node ${process.version}`,
    '',
    '| server | add ms | process ms | server CPU ms |',
    '|---|---:|---:|---:|',
    ...(['nodis', 'redis'] as const).map((name) => {
      const r = results[name];
      return `| ${name} | ${median(r.map((x) => x.addMs)).toFixed(0)} | ${median(r.map((x) => x.processMs)).toFixed(0)} | ${cpu(name).toFixed(0)} |`;
    }),
    '',
    `- server CPU nodis/redis: ${(cpu('nodis') / cpu('redis')).toFixed(1)}`,
  ];
  const report = lines.join('\n');
  console.log(report);
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')}-bullmq.md`);
  writeFileSync(file, report + '\n');
  console.error(`report written to ${file}`);
  process.exit(0);
}

void main();
