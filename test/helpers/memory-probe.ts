import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ProbeMeasurement, ProbeMessage } from './memory-probe-server.js';

const PROBE_SERVER = fileURLToPath(new URL('./memory-probe-server.ts', import.meta.url));

export type { ProbeMeasurement };

export interface MemoryProbe {
  port: number;
  /** The process's memory after full collections (see memory-probe-server.ts). */
  measure(): Promise<ProbeMeasurement>;
  stop(): Promise<void>;
}

/**
 * Starts nodis in a Node process of its own with --expose-gc (and bin/nodis-server's small
 * young generation), so that the memory it holds can be measured apart from the test's.
 */
export async function startMemoryProbe(): Promise<MemoryProbe> {
  const child: ChildProcess = fork(PROBE_SERVER, [], {
    execArgv: ['--expose-gc', '--max-semi-space-size=2', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (m: ProbeMeasurement) => void>();
  let nextId = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`memory probe server exited (${code})`)));
    child.on('message', (message: ProbeMessage) => {
      if (message.type === 'ready') resolve(message.port);
      else waiting.get(message.id)?.(message.measurement);
    });
  });
  return {
    port,
    measure() {
      const id = nextId++;
      return new Promise((resolve) => {
        waiting.set(id, (m) => {
          waiting.delete(id);
          resolve(m);
        });
        child.send({ type: 'measure', id });
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Sends `count` commands, RESP text made by `resp(i)`, on one connection, pipelined `window` at a time,
 * and waits for every reply. Every reply must be a one-line reply (+OK, :n); an error reply
 * rejects. Replies are counted, not decoded, so that a million commands load in seconds.
 */
export async function pipelineLoad(port: number, count: number, resp: (i: number) => string, window = 2000): Promise<void> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  try {
    let sent = 0;
    let answered = 0;
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    // One-line replies: count line ends; an error reply starts a line with '-'.
    let atLineStart = true;
    let errorLine = false;
    socket.on('data', (chunk: Buffer) => {
      let pos = 0;
      while (pos < chunk.length) {
        if (atLineStart) {
          errorLine = chunk[pos] === 45;
          atLineStart = false;
        }
        const end = chunk.indexOf(10, pos);
        if (end === -1) break;
        if (errorLine && failure === null) failure = new Error(`error reply: ${chunk.latin1Slice(pos, end)}`);
        answered++;
        pos = end + 1;
        atLineStart = true;
      }
      if (wake !== null) wake();
    });
    const waitFor = (target: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (failure !== null) reject(failure);
          else if (answered >= target) resolve();
          else wake = check;
        };
        check();
      });
    while (sent < count) {
      const end = Math.min(count, sent + window);
      let batch = '';
      for (let i = sent; i < end; i++) batch += resp(i);
      socket.write(Buffer.from(batch, 'latin1'));
      sent = end;
      // Keep at most two windows in flight.
      await waitFor(Math.max(0, sent - window));
    }
    await waitFor(count);
  } finally {
    socket.destroy();
  }
}
