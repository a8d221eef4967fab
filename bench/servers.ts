import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchServer {
  name: 'nodis' | 'redis';
  port: number;
  pid: number;
  /** Everything the process wrote to stderr (node --trace-gc goes to stdout; both are kept). */
  output(): string;
  stop(): Promise<void>;
}

export function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version']).status === 0;
}

/** Prefixes a command with `taskset -c core` where taskset exists. */
export function pinned(core: number, cmd: string, args: string[]): [string, string[]] {
  return hasTaskset() ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server on port ${port} did not start`);
}

/** Starts a server pinned to `core`, without persistence. */
export async function startBenchServer(name: 'nodis' | 'redis', core: number, extra: string[] = []): Promise<BenchServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const common = ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
  let child: ChildProcess;
  if (name === 'redis') {
    const [cmd, args] = pinned(core, 'redis-server', common);
    child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    // Run as users do, plus --expose-gc (MEMORY PURGE then runs a full GC) and --trace-gc (pauses).
    const nodeArgs = ['--expose-gc', '--trace-gc', join(ROOT, 'bin', 'nodis-server'), ...common, '--loglevel', 'warning'];
    const [cmd, args] = pinned(core, process.execPath, nodeArgs);
    child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitForPort(port);
  const pid = child.pid as number;
  return {
    name,
    port,
    pid,
    output: () => output,
    async stop() {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU time (user + system) of every thread of a process, in microseconds, from /proc. */
export function cpuMicros(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
      total += Number(stat.split(' ')[0]) / 1000;
    } catch {
      // thread ended meanwhile
    }
  }
  return total;
}

/** Resident set size of a process in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** The worst GC pause (ms) node --trace-gc reported, and how many pauses passed `thresholdMs`. */
export function gcPauses(traceOutput: string, thresholdMs: number): { max: number; over: number; count: number } {
  let max = 0;
  let over = 0;
  let count = 0;
  for (const match of traceOutput.matchAll(/MB, ([\d.]+) \/ [\d.]+ ms/g)) {
    const pause = Number(match[1]);
    count++;
    if (pause > max) max = pause;
    if (pause > thresholdMs) over++;
  }
  return { max, over, count };
}
