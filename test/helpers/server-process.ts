/**
 * A server (bin/nodis-server or a real redis-server) as a child process on a directory the
 * test owns, with its log captured: for tests that kill it, restart it on the same files, or
 * watch it exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, waitForServer } from './ports.js';
import type { RawClient } from './raw-client.js';

const BIN = fileURLToPath(new URL('../../bin/nodis-server', import.meta.url));

export type ServerKind = 'nodis' | 'redis';

export interface ServerProcess {
  readonly kind: ServerKind;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
}

const running = new Set<ServerProcess>();

/**
 * Starts `kind` on `dir` (its --dir), persistence as `args` say (save points off unless given),
 * and waits until it answers. Rejects when it exits first, with what it logged.
 */
export async function startServerProcess(kind: ServerKind, dir: string, args: string[] = [], port?: number): Promise<{ server: ServerProcess; client: RawClient }> {
  for (let attempt = 0; ; attempt++) {
    const server = spawnServerProcess(kind, dir, args, port ?? (await freePort()));
    const client = await waitForServer(server.port, 20_000, server.child);
    if (client !== null) return { server, client };
    await server.kill();
    // A port taken meanwhile by someone else is worth another try; anything else is not.
    if (attempt >= 2 || port !== undefined || !/Address already in use|EADDRINUSE/.test(server.output())) {
      throw new Error(`${kind} did not start on ${dir}:\n${server.output()}`);
    }
  }
}

/** Starts the process without waiting for it (for one expected to exit at start-up). */
export function spawnServerProcess(kind: ServerKind, dir: string, args: string[], port: number): ServerProcess {
  const common = ['--port', String(port), '--dir', dir];
  const child =
    kind === 'nodis'
      ? spawn(process.execPath, [BIN, ...common, '--save', '', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('redis-server', [...common, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const server: ServerProcess = {
    kind,
    port,
    child,
    output: () => out,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      running.delete(server);
    },
  };
  running.add(server);
  void exited.then(() => running.delete(server));
  return server;
}

/** For afterEach: kills every server process still running. */
export async function killAllServerProcesses(): Promise<void> {
  await Promise.all([...running].map((s) => s.kill()));
}

/** Polls until `condition` holds (bounded); for state that a server's cron changes. */
export async function eventually(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
