/**
 * Where does SAVE and start-up load time go? Starts bin/nodis-server as a child process, fills
 * it with one of bench/persistence.ts's datasets, times SAVE a few times in a row (a first SAVE
 * much slower than the next ones is the JIT warming up; equal ones are the code itself), then
 * restarts the server on the file and reads its load time from the log. Not a test: a
 * measuring tool, run by hand, one dataset at a time (the machine's cores are shared).
 *
 *   npx tsx scripts/persist-probe.ts [--only stream|list|zset|...] [--items N] [--saves K]
 *                                    [--redis] [--cpu-prof DIR] [--keep FILE] [--core N] [--server-log FILE]
 *
 * --redis measures redis-server the same way; --cpu-prof writes the server's CPU profiles
 * (fill and SAVEs, then load) into DIR; --keep copies the file saved to FILE; --core pins the
 * server to that core, as the benchmark does. The server's CPU time during a SAVE (all its
 * threads, the compiler's included) says more than the wall time on a busy machine. --server-log
 * writes what the first server printed to FILE; PROBE_NODE_ARGS adds node options (--trace-opt…).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { command, pipeline, resp } from '../bench/memory.js';
import { cpuMicros, freePort, pinned } from '../bench/servers.js';

const BIN = fileURLToPath(new URL('../bin/nodis-server', import.meta.url));

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const only = option('only', 'stream');
const items = Number(option('items', '1000000'));
const saves = Number(option('saves', '3'));
const redis = process.argv.includes('--redis');
const cpuProf = option('cpu-prof', '');
const keep = option('keep', '');
const core = option('core', '');
const serverLog = option('server-log', '');

const pad7 = (i: number): string => String(i).padStart(7, '0');
const VALUE16 = 'v'.repeat(16);
const DATASETS: Record<string, { encode: (i: number) => string; lines: number }> = {
  stream: { encode: () => resp(['XADD', 'bigstream', '*', 'field', VALUE16]), lines: 2 },
  list: { encode: (i) => resp(['RPUSH', 'biglist', `element:${pad7(i)}`]), lines: 1 },
  zset: { encode: (i) => resp(['ZADD', 'bigzset', String(i), `member:${pad7(i)}`]), lines: 1 },
  hash: { encode: (i) => resp(['HSET', 'bighash', `field:${pad7(i)}`, VALUE16]), lines: 1 },
  set: { encode: (i) => resp(['SADD', 'bigset', `member:${pad7(i)}`]), lines: 1 },
  strings: { encode: (i) => resp(['SET', `key:${pad7(i)}`, VALUE16]), lines: 1 },
};

interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
}

async function waitForPort(port: number): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    const reply = await command(port, ['PING']).catch(() => '');
    if (reply.startsWith('+PONG')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

async function start(dir: string, profileName: string): Promise<Started> {
  const port = await freePort();
  const common = ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir];
  let child: ChildProcess;
  if (redis) {
    const [cmd, args] = core === '' ? ['redis-server', common] : pinned(Number(core), 'redis-server', common);
    child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    // --max-old-space-size of our own: the server runs in this process (no launcher child), so
    // that --cpu-prof profiles the server itself.
    const nodeArgs = ['--max-semi-space-size=2', '--max-old-space-size=4096', ...(process.env.PROBE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')];
    if (cpuProf !== '') nodeArgs.push('--cpu-prof', '--cpu-prof-dir', join(cpuProf, `${only}-${profileName}`));
    const argv = [...nodeArgs, BIN, ...common, '--loglevel', 'notice'];
    const [cmd, args] = core === '' ? [process.execPath, argv] : pinned(Number(core), process.execPath, argv);
    child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitForPort(port);
  return { child, port, output: () => output };
}

async function stop(server: Started): Promise<void> {
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  const dataset = DATASETS[only];
  if (dataset === undefined) throw new Error(`--only: one of ${Object.keys(DATASETS).join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'persist-probe-'));
  try {
    const server = await start(dir, 'save');
    try {
      await pipeline(server.port, items, dataset.encode, dataset.lines);
      for (let k = 0; k < saves; k++) {
        const cpu = cpuMicros(server.child.pid as number);
        const started = performance.now();
        const reply = await command(server.port, ['SAVE']);
        if (!reply.startsWith('+')) throw new Error(reply);
        const ms = performance.now() - started;
        const cpuMs = (cpuMicros(server.child.pid as number) - cpu) / 1000;
        console.log(`${redis ? 'redis' : 'nodis'} ${only}: SAVE ${k + 1}: ${ms.toFixed(0)} ms, server CPU ${cpuMs.toFixed(0)} ms`);
      }
    } finally {
      await stop(server);
      if (serverLog !== '') writeFileSync(serverLog, server.output());
    }
    const restarted = await start(dir, 'load');
    try {
      for (let tries = 0; tries < 6000; tries++) {
        const match = /DB loaded from disk: ([\d.]+) seconds/.exec(restarted.output());
        if (match) {
          console.log(`${redis ? 'redis' : 'nodis'} ${only}: load ${(Number(match[1]) * 1000).toFixed(0)} ms`);
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await stop(restarted);
    }
    if (keep !== '') copyFileSync(join(dir, 'dump.rdb'), keep);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
