/** One redis-benchmark run against one server, with the server's CPU time measured from /proc. */
import { spawnSync } from 'node:child_process';
import { cpuMicros, pinned, type BenchServer } from './servers.js';

export const SERVER_CORE = 1;
export const CLIENT_CORE = 0;

export interface TestCase {
  /** Name in the report. */
  label: string;
  pipeline: number;
  clients: number;
  requests: number;
  /** redis-benchmark arguments besides host/port/-c/-n/-P. */
  args: string[];
  /** Latency-only test: report p50/p99 instead of CPU ratios. */
  latency?: boolean;
  /**
   * A load client of our own instead of redis-benchmark (for what it cannot send): the command
   * and arguments, given the server's port; it prints redis-benchmark's CSV.
   */
  client?: (port: number) => [string, string[]];
  /** Commands sent to each server once, before any test runs (SCRIPT LOAD, a stream to read). */
  setup?: string[][];
  /** A CPU ratio target of its own (nodis/redis per request), reported apart from the general -P 16 mean. */
  target?: number;
}

export interface Sample {
  rps: number;
  usPerOp: number;
  p50: number;
  p99: number;
}

export function runBenchmark(server: BenchServer, test: TestCase): Sample {
  const args = ['-h', '127.0.0.1', '-p', String(server.port), '-c', String(test.clients), '-n', String(test.requests), '-P', String(test.pipeline), '--csv', ...test.args];
  const [cmd, full] = test.client !== undefined ? pinned(CLIENT_CORE, ...test.client(server.port)) : pinned(CLIENT_CORE, 'redis-benchmark', args);
  const before = cpuMicros(server.pid);
  const result = spawnSync(cmd, full, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const after = cpuMicros(server.pid);
  if (result.status !== 0) throw new Error(`redis-benchmark failed: ${result.stderr}`);
  const lines = result.stdout.trim().split('\n').filter((l) => l.startsWith('"') && !l.startsWith('"test"'));
  const last = lines[lines.length - 1];
  if (last === undefined) throw new Error(`no CSV output from redis-benchmark: ${result.stdout} ${result.stderr}`);
  const fields = last.split('","').map((f) => f.replace(/"/g, ''));
  return { rps: Number(fields[1]), usPerOp: (after - before) / test.requests, p50: Number(fields[4]), p99: Number(fields[6]) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

