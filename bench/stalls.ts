/**
 * Stalls: what a client sending PING after PING sees while the server frees something huge —
 * UNLINK and DEL of a 10M-element list, FLUSHALL ASYNC of 1M keys — beside real Redis. Each
 * case starts from a freshly filled server; the window covers the command and STALL_WINDOW_MS
 * after it (when V8 collects what was freed). Reported: the longest round trip and the p99 in
 * that window, the command's own wall time, and for nodis the longest GC pause (LATENCY event
 * "gc") seen meanwhile.
 */
import net from 'node:net';
import { command, infoField, pipeline, resp } from './memory.js';
import { PingProbe } from './ping-probe.js';
import { startBenchServer, type BenchServer } from './servers.js';

/** How long after the command the probe keeps pinging: V8's collection of the freed value falls in it. */
const STALL_WINDOW_MS = 3000;
/** Elements per RPUSH while filling. */
const PUSH_BATCH = 1000;

export interface StallCase {
  label: string;
  /** Fills the server, then names the command whose effect is measured. */
  fill(port: number): Promise<void>;
  run: string[];
}

export interface StallResult {
  server: 'nodis' | 'redis';
  label: string;
  /** Wall time of the command as its caller saw it. */
  commandMs: number;
  pings: number;
  p99Ms: number;
  maxMs: number;
  /** nodis only: the longest GC pause in the window (LATENCY LATEST "gc"), null if none reached 1 ms. */
  longestGcMs: number | null;
}

async function fillList(port: number, elements: number): Promise<void> {
  const commands = Math.ceil(elements / PUSH_BATCH);
  await pipeline(port, commands, (c) => {
    const args = ['RPUSH', 'biglist'];
    for (let i = c * PUSH_BATCH; i < Math.min(elements, (c + 1) * PUSH_BATCH); i++) args.push(`element:${i}`);
    return resp(args);
  });
}

async function fillKeys(port: number, keys: number): Promise<void> {
  await pipeline(port, keys, (i) => resp(['SET', `key:${i}`, `value:${i}`]));
}

export function stallCases(listElements: number, flushKeys: number): StallCase[] {
  const millions = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
  return [
    { label: `UNLINK of a ${millions(listElements)}-element list`, fill: (port) => fillList(port, listElements), run: ['UNLINK', 'biglist'] },
    { label: `DEL of a ${millions(listElements)}-element list`, fill: (port) => fillList(port, listElements), run: ['DEL', 'biglist'] },
    { label: `FLUSHALL ASYNC of ${millions(flushKeys)} keys`, fill: (port) => fillKeys(port, flushKeys), run: ['FLUSHALL', 'ASYNC'] },
  ];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Sends one command on its own connection and times it until the first reply bytes. */
async function timedCommand(port: number, args: string[]): Promise<number> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const started = performance.now();
  await new Promise<void>((resolve) => {
    socket.once('data', () => resolve());
    socket.write(resp(args));
  });
  const ms = performance.now() - started;
  socket.end();
  return ms;
}

async function latencyMax(port: number, event: string): Promise<number | null> {
  const reply = await command(port, ['LATENCY', 'LATEST']);
  const match = new RegExp(`\\$${event.length}\\r\\n${event}\\r\\n:\\d+\\r\\n:\\d+\\r\\n:(\\d+)\\r\\n`).exec(reply);
  return match === null ? null : Number(match[1]);
}

async function measureCase(server: BenchServer, stallCase: StallCase): Promise<StallResult> {
  const port = server.port;
  await command(port, ['FLUSHALL']);
  await stallCase.fill(port);
  // Let the filling's own garbage settle before the window opens.
  await new Promise((r) => setTimeout(r, 1000));
  await command(port, ['LATENCY', 'RESET']);
  const probe = new PingProbe();
  await probe.start(port);
  await new Promise((r) => setTimeout(r, 200));
  probe.reset();
  const commandMs = await timedCommand(port, stallCase.run);
  await new Promise((r) => setTimeout(r, STALL_WINDOW_MS));
  const rtts = (await probe.stop()).sort((a, b) => a - b);
  const dbsize = infoField(await command(port, ['INFO', 'keyspace']), 'db0:keys');
  if (Number.isFinite(dbsize) && dbsize !== 0) throw new Error(`${stallCase.label}: ${dbsize} keys left`);
  return {
    server: server.name,
    label: stallCase.label,
    commandMs,
    pings: rtts.length,
    p99Ms: percentile(rtts, 99),
    maxMs: rtts[rtts.length - 1] ?? NaN,
    longestGcMs: server.name === 'nodis' ? await latencyMax(port, 'gc') : null,
  };
}

/** Every case on nodis, then on Redis (when `withRedis`), one server each, pinned to `core`. */
export async function measureStalls(cases: StallCase[], core: number, withRedis: boolean, log: (line: string) => void): Promise<StallResult[]> {
  const results: StallResult[] = [];
  for (const name of withRedis ? (['nodis', 'redis'] as const) : (['nodis'] as const)) {
    const server = await startBenchServer(name, core, ['--latency-monitor-threshold', '1']);
    try {
      for (const stallCase of cases) {
        log(`stalls: ${name}: ${stallCase.label}…`);
        results.push(await measureCase(server, stallCase));
      }
    } finally {
      await server.stop();
    }
  }
  return results;
}

function fmt(n: number | null, digits = 2): string {
  return n !== null && Number.isFinite(n) ? n.toFixed(digits) : '-';
}

export function stallsTable(results: StallResult[]): string {
  const lines = [
    `One client sends PING after PING while another frees something huge; the window covers the command and the ${STALL_WINDOW_MS / 1000} s after it. The list's elements are \`element:N\`, the keys \`key:N\` → \`value:N\`. "GC" is nodis's longest LATENCY event "gc" in the window.`,
    '',
    '| case | server | command ms | PINGs | ping p99 ms | longest ping ms | longest GC pause ms |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    lines.push(`| ${r.label} | ${r.server} | ${fmt(r.commandMs)} | ${r.pings} | ${fmt(r.p99Ms, 3)} | ${fmt(r.maxMs)} | ${r.server === 'nodis' ? fmt(r.longestGcMs, 0) : '-'} |`);
  }
  return lines.join('\n');
}
