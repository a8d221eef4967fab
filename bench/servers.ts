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
  /** The server's process (for nodis, the child bin/nodis-server may start with a sized heap). */
  pid: number;
  /** Everything the process wrote to stderr (node --trace-gc goes to stdout; both are kept). */
  output(): string;
  /** Milliseconds from spawning the process to its port accepting connections. */
  readyAfterMs: number;
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

/** INFO's process_id. */
async function serverPid(port: number): Promise<number> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  const info = await new Promise<string>((resolve, reject) => {
    let data = '';
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (/process_id:\d+\r\n/.test(data)) resolve(data);
    });
    socket.once('error', reject);
    socket.write('*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n');
  });
  socket.end();
  return Number(/process_id:(\d+)/.exec(info)?.[1]);
}

export interface BenchServerOptions {
  /** A directory of the caller's (kept on stop): the server loads what is there. */
  dir?: string;
  /** nodis's log level (default warning: the throughput run logs nothing). */
  logLevel?: string;
}

/** Starts a server pinned to `core`, without persistence unless `extra` says otherwise. */
export async function startBenchServer(name: 'nodis' | 'redis', core: number, extra: string[] = [], options: BenchServerOptions = {}): Promise<BenchServer> {
  const port = await freePort();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const common = ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, ...extra];
  let child: ChildProcess;
  if (name === 'redis') {
    const [cmd, args] = pinned(core, 'redis-server', common);
    child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    // Run as users do, plus --expose-gc (MEMORY PURGE then runs a full GC) and --trace-gc (pauses);
    // the server process bin/nodis-server may start gets the same flags.
    const nodeArgs = ['--max-semi-space-size=2', '--expose-gc', '--trace-gc', join(ROOT, 'bin', 'nodis-server'), ...common, '--loglevel', options.logLevel ?? 'warning'];
    const [cmd, args] = pinned(core, process.execPath, nodeArgs);
    child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  const spawnedAt = Date.now();
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitForPort(port);
  const readyAfterMs = Date.now() - spawnedAt;
  // bin/nodis-server runs the server in a child process when it sizes V8's heap (src/launch.ts):
  // CPU time and RSS are that process's.
  const pid = name === 'nodis' ? await serverPid(port) : (child.pid as number);
  return {
    name,
    port,
    pid,
    readyAfterMs,
    output: () => output,
    async stop() {
      // SIGTERM first: a pipe's stdout is block-buffered, and only an orderly exit flushes the
      // last of node --trace-gc's lines.
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
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

/**
 * The worst GC pause (ms) node --trace-gc reported, and how many pauses passed `thresholdMs`.
 * Only the server's main isolate counts (the one that collected most: the TypeScript loader's
 * worker has its own heap and pauses nothing of the server's, and bin/nodis-server's launcher
 * process, when there is one, does next to nothing), and only once it ran for `afterMs`
 * (startup's module loading).
 */
export function gcPauses(traceOutput: string, thresholdMs: number, afterMs = 0): { max: number; over: number; count: number } {
  const lines = [...traceOutput.matchAll(/\[(\d+:0x[0-9a-f]+)\]\s+(\d+) ms: .*?MB, ([\d.]+) \/ [\d.]+ ms/g)];
  const perIsolate = new Map<string, number>();
  for (const m of lines) perIsolate.set(m[1] as string, (perIsolate.get(m[1] as string) ?? 0) + 1);
  let main = '';
  for (const [isolate, n] of perIsolate) if (n > (perIsolate.get(main) ?? 0)) main = isolate;
  let max = 0;
  let over = 0;
  let count = 0;
  for (const match of lines) {
    if (match[1] !== main || Number(match[2]) < afterMs) continue;
    const pause = Number(match[3]);
    count++;
    if (pause > max) max = pause;
    if (pause > thresholdMs) over++;
  }
  return { max, over, count };
}
