/**
 * bin/nodis-server's first step: size V8's heap for the dataset (server/heap.ts), which node
 * takes only as a start-up flag. When this process's heap is already right (a user's own
 * --max-old-space-size, or Node's default is enough) the server runs here; otherwise in a child
 * process, node started again with the same flags plus --max-old-space-size, that is the server
 * in every way: this process only passes on its standard input (for `-`), the signals it
 * receives, and the child's exit. Only the configuration modules load here, not the server, and
 * bin/nodis-server loads them as CommonJS (tsx's in-thread hooks start faster than its ESM
 * loader thread): this module imports nothing that needs ESM.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import v8 from 'node:v8';
import { Config } from './config/config.js';
import { loadServerConfig, parseCommandLine } from './config/file.js';
import { HEAP_SIZING_ENV, READY_FOR_SIGNALS, type ShutdownSignal } from './launch-channel.js';
import { cgroupMemoryLimit, planHeap } from './server/heap.js';

/** Signals that end the server at once by default: passed on as they are. */
const PASSED_ON = ['SIGHUP', 'SIGQUIT', 'SIGUSR2'] as const;
const SHUTDOWN: ShutdownSignal[] = ['SIGINT', 'SIGTERM'];

/** What bin/nodis-server does: run the server here, or in a child process with this old-space size. */
export interface Launch {
  /** --max-old-space-size for a child process (MB), or null: the server runs in this process. */
  oldSpaceMb: number | null;
  /** Why (server/heap.ts's reason), for the server's start-up log. */
  reason: string;
  /** The standard input, when it was read for the configuration (`-`). */
  stdin: string | null;
}

const HERE: Launch = { oldSpaceMb: null, reason: '', stdin: null };

/**
 * Decides from `argv` (process.argv) where the server runs: here for `-v`/`-h`, for a
 * configuration that does not load (the server then reports why), in the server a launcher
 * started, and when this process's heap will do; else in a child process.
 */
export function planLaunch(argv: readonly string[]): Launch {
  if (process.env[HEAP_SIZING_ENV] !== undefined) return HERE;
  const args = argv.slice(2);
  const first = args[0];
  if (first === '-v' || first === '--version' || first === '-h' || first === '--help') return HERE;
  let stdin: string | null = null;
  try {
    const cmd = parseCommandLine(args);
    if (cmd.stdin) stdin = readFileSync(0, 'latin1');
    const config = new Config();
    loadServerConfig(config, { file: cmd.configFile === null ? null : resolve(cmd.configFile), stdin, options: cmd.options });
    const plan = planHeap({
      maxmemory: config.getNumber('maxmemory'),
      totalMemory: os.totalmem(),
      cgroupLimit: cgroupMemoryLimit(),
      nodeOptions: process.env.NODE_OPTIONS,
      execArgv: process.execArgv,
      heapLimit: v8.getHeapStatistics().heap_size_limit,
    });
    return { ...plan, stdin };
  } catch {
    return { ...HERE, stdin };
  }
}

/**
 * Runs `script` (bin/nodis-server) with `argv`'s arguments in a child process with that
 * old-space size, and exits as it exits.
 */
export function runChild(argv: readonly string[], script: string, launch: Launch & { oldSpaceMb: number }): void {
  const { oldSpaceMb, reason, stdin } = launch;
  const child = spawn(process.execPath, [...process.execArgv, `--max-old-space-size=${oldSpaceMb}`, script, ...argv.slice(2)], {
    stdio: [stdin === null ? 'inherit' : 'pipe', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [HEAP_SIZING_ENV]: reason },
  });
  if (stdin !== null && child.stdin !== null) {
    // The child may exit before reading it (a bad directive): nothing to report then.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin, 'latin1');
  }
  let takesMessages = false;
  child.on('message', (message) => {
    if (message === READY_FOR_SIGNALS) takesMessages = true;
  });
  for (const signal of SHUTDOWN) {
    process.on(signal, () => {
      // Until the server handles shutdown signals, one ends it at once, as it would end this process.
      if (takesMessages && child.connected) child.send({ nodisSignal: signal });
      else child.kill(signal);
    });
  }
  for (const signal of PASSED_ON) process.on(signal, () => child.kill(signal));
  child.once('error', (err) => {
    process.stderr.write(`Could not start the server process: ${err.message}\n`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    // A child ended by a signal: the shell's convention, 128 + its number.
    process.exit(code ?? 128 + (signal === null ? 0 : os.constants.signals[signal]));
  });
}
