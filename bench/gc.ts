/**
 * GC under a large write load, beside real Redis: redis-benchmark writes `written` bytes of
 * 1 KB values under random keys into a server whose maxmemory is a quarter of that
 * (allkeys-lru), so that most of it is evicted again, while one client sends PING after PING
 * and times each round trip. Reported: the round trips' p50, p99 and longest, and for nodis the
 * longest GC pause it recorded as the LATENCY event "gc" (latency-monitor-threshold 1).
 */
import { spawn } from 'node:child_process';
import { CLIENT_CORE } from './benchmark.js';
import { command, infoField } from './memory.js';
import { PingProbe } from './ping-probe.js';
import { pinned, startBenchServer, type BenchServer } from './servers.js';

const VALUE_BYTES = 1024;
/** Random keys from a range far larger than the number of writes: nearly every SET adds a key. */
const KEY_RANGE = 1_000_000_000;

export interface GcResult {
  server: 'nodis' | 'redis';
  writtenBytes: number;
  maxmemory: number;
  seconds: number;
  evictedKeys: number;
  pings: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The longest GC pause (LATENCY LATEST's "gc" event), nodis only; null when none was recorded. */
  longestGcMs: number | null;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Runs redis-benchmark's SET for `requests` 1 KB values under random keys, pinned to the client core. */
function writeLoad(server: BenchServer, requests: number): Promise<void> {
  const args = ['-h', '127.0.0.1', '-p', String(server.port), '-t', 'set', '-d', String(VALUE_BYTES), '-r', String(KEY_RANGE), '-n', String(requests), '-c', '4', '-P', '16', '-q'];
  const [cmd, full] = pinned(CLIENT_CORE, 'redis-benchmark', args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, full, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-benchmark failed (${code}): ${stderr}`))));
  });
}

/** LATENCY LATEST's all-time maximum for `event`, or null. */
async function latencyMax(port: number, event: string): Promise<number | null> {
  const reply = await command(port, ['LATENCY', 'LATEST']);
  const match = new RegExp(`\\$${event.length}\\r\\n${event}\\r\\n:\\d+\\r\\n:\\d+\\r\\n:(\\d+)\\r\\n`).exec(reply);
  return match === null ? null : Number(match[1]);
}

async function measureOne(name: 'nodis' | 'redis', writtenBytes: number, core: number): Promise<GcResult> {
  const maxmemory = Math.floor(writtenBytes / 4);
  const server = await startBenchServer(name, core, ['--maxmemory', String(maxmemory), '--maxmemory-policy', 'allkeys-lru', '--latency-monitor-threshold', '1']);
  try {
    const requests = Math.ceil(writtenBytes / VALUE_BYTES);
    await command(server.port, ['LATENCY', 'RESET']);
    const probe = new PingProbe();
    await probe.start(server.port);
    const started = performance.now();
    await writeLoad(server, requests);
    const seconds = (performance.now() - started) / 1000;
    const rtts = (await probe.stop()).sort((a, b) => a - b);
    const stats = await command(server.port, ['INFO', 'stats']);
    return {
      server: name,
      writtenBytes: requests * VALUE_BYTES,
      maxmemory,
      seconds,
      evictedKeys: infoField(stats, 'evicted_keys'),
      pings: rtts.length,
      p50Ms: percentile(rtts, 50),
      p99Ms: percentile(rtts, 99),
      maxMs: rtts[rtts.length - 1] ?? NaN,
      longestGcMs: name === 'nodis' ? await latencyMax(server.port, 'gc') : null,
    };
  } finally {
    await server.stop();
  }
}

/** nodis, then Redis (when `withRedis`), each on a fresh server pinned to `core`. */
export async function measureGc(writtenBytes: number, core: number, withRedis: boolean): Promise<GcResult[]> {
  const results = [await measureOne('nodis', writtenBytes, core)];
  if (withRedis) results.push(await measureOne('redis', writtenBytes, core));
  return results;
}

function fmt(n: number | null, digits = 2): string {
  return n !== null && Number.isFinite(n) ? n.toFixed(digits) : '-';
}

export function gcTable(results: GcResult[]): string {
  const first = results[0];
  const mb = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MB`;
  const lines = [
    first === undefined
      ? ''
      : `${mb(first.writtenBytes)} of SETs (${VALUE_BYTES}-byte values, random keys, redis-benchmark -c 4 -P 16) into maxmemory ${mb(first.maxmemory)} with allkeys-lru, while one client sends PING after PING. The longest GC pause is nodis's LATENCY event "gc".`,
    '',
    '| server | write MB/s | evicted keys | PINGs | ping p50 ms | ping p99 ms | longest ping ms | longest GC pause ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    lines.push(`| ${r.server} | ${fmt(r.writtenBytes / 2 ** 20 / r.seconds, 1)} | ${r.evictedKeys} | ${r.pings} | ${fmt(r.p50Ms, 3)} | ${fmt(r.p99Ms, 3)} | ${fmt(r.maxMs)} | ${r.server === 'nodis' ? fmt(r.longestGcMs, 0) : '-'} |`);
  }
  return lines.join('\n');
}
