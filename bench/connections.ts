/**
 * Many connections: 1,000 and 10,000 idle connections held open while redis-benchmark's 50
 * clients run SET and GET, beside real Redis. Reported: requests per second and server CPU per
 * request with the idle connections there, and what each idle connection takes: the growth of
 * the server's RSS and of its INFO used_memory over opening them, divided by their number.
 *
 * The idle connections belong to a child process per server (10,000 of them for each server at
 * once would pass this process's limit on open files): each sends one PING and reads its PONG,
 * so that the server has made its client and served it once, then says nothing more.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { median, runBenchmark, type Sample, type TestCase } from './benchmark.js';
import { command, infoField } from './memory.js';
import { rssBytes, startBenchServer, type BenchServer } from './servers.js';

/** The smallest count whose memory per connection is reported (see connectionsTables). */
const MEMORY_MIN_COUNT = 10_000;
/** Connections opened at a time (the listen backlog of both servers is 511). */
const OPEN_BATCH = 400;

export interface ConnectionsResult {
  server: 'nodis' | 'redis';
  idle: number;
  rssPerConnection: number;
  usedPerConnection: number;
  /** Per test label, the median sample over the rounds. */
  samples: Map<string, Sample>;
}

function activeTests(requests: number): TestCase[] {
  return ['set', 'get'].map((name) => ({ label: name, pipeline: 1, clients: 50, requests, args: ['-t', name] }));
}

/** The child's program: opens the connections (argv: port, count), says "ready", then waits to be killed. */
const HOLDER = `
const net = require('node:net');
const [port, count] = process.argv.slice(1).map(Number);
const sockets = [];
function openOne() {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('error', reject);
    socket.once('data', (data) => data.toString('latin1') === '+PONG\\r\\n' ? resolve(socket) : reject(new Error('unexpected reply')));
    socket.write('PING\\r\\n');
  });
}
(async () => {
  while (sockets.length < count) {
    const batch = Math.min(${OPEN_BATCH}, count - sockets.length);
    sockets.push(...(await Promise.all(Array.from({ length: batch }, openOne))));
  }
  process.stdout.write('ready\\n');
})().catch((err) => { process.stderr.write(String(err) + '\\n'); process.exit(1); });
`;

/** Starts a child holding `count` idle connections to `port`; resolves once all are open. */
async function openIdle(port: number, count: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', HOLDER, String(port), String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the idle connections' process exited (${code}): ${errors}`)));
  });
  return child;
}

async function usedMemory(port: number): Promise<number> {
  return infoField(await command(port, ['INFO', 'memory']), 'used_memory');
}

interface Held {
  server: BenchServer;
  holder: ChildProcess;
  rssPerConnection: number;
  usedPerConnection: number;
}

/**
 * MEMORY PURGE first, twice with a pause (V8 gives pages back to the system after a collection,
 * not during it): nodis then runs a full GC and Redis has jemalloc give back what it can.
 */
async function purged<T>(server: BenchServer, read: () => T | Promise<T>): Promise<T> {
  await command(server.port, ['MEMORY', 'PURGE']);
  await delay(500);
  await command(server.port, ['MEMORY', 'PURGE']);
  return read();
}

async function holdIdle(server: BenchServer, count: number): Promise<Held> {
  const rssBefore = await purged(server, () => rssBytes(server.pid));
  const usedBefore = await usedMemory(server.port);
  const holder = await openIdle(server.port, count);
  // What the servers' crons do to an idle connection is done: both trim its buffers after 2 s
  // idle, and visit each client once a second.
  await delay(4000);
  const rssAfter = await purged(server, () => rssBytes(server.pid));
  const usedAfter = await usedMemory(server.port);
  return { server, holder, rssPerConnection: (rssAfter - rssBefore) / count, usedPerConnection: (usedAfter - usedBefore) / count };
}

export async function measureConnections(
  counts: readonly number[],
  requests: number,
  rounds: number,
  core: number,
  log: (line: string) => void,
): Promise<ConnectionsResult[]> {
  const results: ConnectionsResult[] = [];
  const tests = activeTests(requests);
  for (const count of counts) {
    log(`connections: ${count} idle connections, ${tests.length} tests × ${rounds} rounds…`);
    const extra = ['--maxclients', String(count + 1000)];
    const servers = [await startBenchServer('nodis', core, extra), await startBenchServer('redis', core, extra)];
    const held: Held[] = [];
    try {
      // A warm-up before the memory figures: the first requests make what every later one reuses.
      for (const server of servers) for (const test of tests) runBenchmark(server, test);
      for (const server of servers) held.push(await holdIdle(server, count));
      const samples = new Map<string, Sample[]>();
      for (let round = 0; round < rounds; round++) {
        for (const test of tests) {
          for (const server of servers) {
            const key = `${server.name} ${test.label}`;
            samples.set(key, [...(samples.get(key) ?? []), runBenchmark(server, test)]);
          }
        }
      }
      for (const h of held) {
        const own = new Map<string, Sample>();
        for (const test of tests) {
          const list = samples.get(`${h.server.name} ${test.label}`) as Sample[];
          own.set(test.label, {
            rps: median(list.map((s) => s.rps)),
            usPerOp: median(list.map((s) => s.usPerOp)),
            p50: median(list.map((s) => s.p50)),
            p99: median(list.map((s) => s.p99)),
          });
        }
        results.push({ server: h.server.name, idle: count, rssPerConnection: h.rssPerConnection, usedPerConnection: h.usedPerConnection, samples: own });
      }
    } finally {
      for (const h of held) h.holder.kill('SIGKILL');
      for (const server of servers) await server.stop();
    }
  }
  return results;
}

const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export function connectionsTables(results: readonly ConnectionsResult[]): string {
  const lines = [
    '| idle connections | test | nodis rps | redis rps | rps ratio | nodis µs/op | redis µs/op | CPU ratio |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  const memory = [
    '| idle connections | nodis RSS B/conn | redis RSS B/conn | nodis used_memory B/conn | redis used_memory B/conn |',
    '|---:|---:|---:|---:|---:|',
  ];
  const counts = [...new Set(results.map((r) => r.idle))];
  let lowest = Infinity;
  for (const count of counts) {
    const n = results.find((r) => r.idle === count && r.server === 'nodis');
    const r = results.find((x) => x.idle === count && x.server === 'redis');
    if (!n || !r) continue;
    for (const [label, ns] of n.samples) {
      const rs = r.samples.get(label) as Sample;
      lowest = Math.min(lowest, ns.rps / rs.rps);
      lines.push(`| ${count} | ${label} -P 1 -c 50 | ${fmt(ns.rps, 0)} | ${fmt(rs.rps, 0)} | ${fmt(ns.rps / rs.rps)} | ${fmt(ns.usPerOp)} | ${fmt(rs.usPerOp)} | ${fmt(ns.usPerOp / rs.usPerOp)} |`);
    }
    // 1,000 connections move nodis's RSS by less than a garbage collection does: not a figure.
    if (count >= MEMORY_MIN_COUNT) memory.push(`| ${count} | ${fmt(n.rssPerConnection, 0)} | ${fmt(r.rssPerConnection, 0)} | ${fmt(n.usedPerConnection, 0)} | ${fmt(r.usedPerConnection, 0)} |`);
  }
  const memoryPart = memory.length > 2 ? ['', ...memory] : [];
  return [...lines, '', `- lowest rps ratio with idle connections: ${fmt(lowest)} (target ≥ 0.90)`, ...memoryPart].join('\n');
}
