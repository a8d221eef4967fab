/**
 * Prints, for each dataset of test/helpers/memory-datasets.ts, what INFO used_memory grew by
 * against what the nodis process really grew by (V8 heap + memory outside it, after full
 * collections), and, with --redis, real Redis's used_memory growth for the same dataset.
 *
 *   npx tsx scripts/memory-accounting.ts [--scale 0.1] [--only hashes] [--redis]
 */
import { spawn } from 'node:child_process';
import { memoryDatasets } from '../test/helpers/memory-datasets.js';
import { pipelineLoad, startMemoryProbe } from '../test/helpers/memory-probe.js';
import { freePort, waitForServer } from '../test/helpers/ports.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { usedMemory } from '../test/helpers/memory.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const scale = Number(option('--scale') ?? '1');
const only = option('--only');
const withRedis = args.includes('--redis');

const datasets = memoryDatasets(scale).filter((d) => only === undefined || d.name.includes(only));
const mb = (n: number): string => (n / 1048576).toFixed(1);

async function redisGrowth(): Promise<Map<string, number>> {
  const growth = new Map<string, number>();
  if (!withRedis) return growth;
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: 'ignore' });
  const client = (await waitForServer(port, 10_000, child)) as RawClient;
  try {
    for (const d of datasets) {
      const before = await usedMemory(client);
      await pipelineLoad(port, d.commands, (i) => d.resp(i));
      growth.set(d.name, (await usedMemory(client)) - before);
      await client.call('FLUSHALL');
    }
  } finally {
    client.close();
    child.kill('SIGKILL');
  }
  return growth;
}

const redis = await redisGrowth();
const probe = await startMemoryProbe();
const client = await RawClient.connect(probe.port);
try {
  console.log('dataset | used_memory growth MB | measured growth MB | ratio | after FLUSHALL: used_memory − baseline MB, measured − baseline MB | redis used_memory growth MB');
  for (const d of datasets) {
    const m0 = await probe.measure();
    const u0 = await usedMemory(client);
    const started = performance.now();
    await pipelineLoad(probe.port, d.commands, (i) => d.resp(i));
    const loadMs = performance.now() - started;
    const u1 = await usedMemory(client);
    const m1 = await probe.measure();
    const u1b = await usedMemory(client);
    await client.call('FLUSHALL');
    const u2 = await usedMemory(client);
    const m2 = await probe.measure();
    const used = u1 - u0;
    const measured = m1.heapUsed + m1.external - (m0.heapUsed + m0.external);
    const r = redis.get(d.name);
    console.log(
      `${d.name} | ${mb(used)} (after gc ${mb(u1b - u0)}) | ${mb(measured)} | ${(used / measured).toFixed(3)} | ${mb(u2 - u0)}, ${mb(m2.heapUsed + m2.external - m0.heapUsed - m0.external)} | ${r === undefined ? '-' : mb(r)} | load ${(loadMs / 1000).toFixed(1)} s`,
    );
  }
} finally {
  client.close();
  await probe.stop();
}
