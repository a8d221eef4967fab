/**
 * `npx tsx bench/pubsub.ts [--messages N] [--size BYTES] [--subscribers 1,10,100] [--rounds R]`
 *
 * Publishes per second with 1, 10 and 100 subscribers, nodis against real redis-server in the
 * same run (redis-benchmark cannot subscribe). Each server runs pinned to core 1; this process
 * is the publisher and every subscriber: one raw socket sends pipelined PUBLISH commands (a
 * bounded window in flight) while the subscriber sockets count the bytes of the messages they
 * receive. A run ends when every subscriber has every message; the rate is messages / elapsed.
 * Medians over the rounds, servers alternated per round.
 */
import net from 'node:net';
import { startBenchServer, type BenchServer } from './servers.js';

interface Options {
  messages: number;
  size: number;
  subscribers: number[];
  rounds: number;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string, def: string): string => {
    const i = argv.indexOf(name);
    return i !== -1 && i + 1 < argv.length ? (argv[i + 1] as string) : def;
  };
  return {
    messages: Number(value('--messages', '200000')),
    size: Number(value('--size', '16')),
    subscribers: value('--subscribers', '1,10,100').split(',').map(Number),
    rounds: Number(value('--rounds', '3')),
  };
}

const CHANNEL = 'bench:channel';
const WINDOW = 1000;

function encode(args: string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return out;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.setNoDelay(true);
    s.once('error', reject);
  });
}

/** Reads until `bytes` more bytes arrived on the socket. */
function counter(socket: net.Socket): { received: () => number; reset: () => void } {
  let n = 0;
  socket.on('data', (chunk: Buffer) => {
    n += chunk.length;
  });
  return { received: () => n, reset: () => (n = 0) };
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setImmediate(r));
  }
}

/** One measurement: publishes per second to `subs` subscribers. */
async function measure(port: number, subs: number, messages: number, size: number): Promise<number> {
  const payload = 'x'.repeat(size);
  const messageBytes = Buffer.byteLength(`*3\r\n$7\r\nmessage\r\n${encode([CHANNEL, payload]).slice(4)}`, 'latin1');
  const subscribeBytes = Buffer.byteLength(`*3\r\n$9\r\nsubscribe\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n:1\r\n`, 'latin1');
  const sockets: net.Socket[] = [];
  const counters: Array<ReturnType<typeof counter>> = [];
  for (let i = 0; i < subs; i++) {
    const s = await connect(port);
    sockets.push(s);
    counters.push(counter(s));
    s.write(encode(['SUBSCRIBE', CHANNEL]));
  }
  await waitUntil(() => counters.every((c) => c.received() >= subscribeBytes), 10_000);
  for (const c of counters) c.reset();

  const pub = await connect(port);
  const replyBytes = Buffer.byteLength(`:${subs}\r\n`);
  let replies = 0;
  let pending = 0;
  pub.on('data', (chunk: Buffer) => {
    pending += chunk.length;
    const done = Math.floor(pending / replyBytes);
    replies += done;
    pending -= done * replyBytes;
  });
  const command = encode(['PUBLISH', CHANNEL, payload]);
  const started = performance.now();
  let sent = 0;
  while (sent < messages) {
    const batch = Math.min(WINDOW, messages - sent);
    pub.write(command.repeat(batch));
    sent += batch;
    // Keep at most two windows in flight so neither side buffers without bound.
    await waitUntil(() => sent - replies <= WINDOW, 60_000);
  }
  const expected = messages * messageBytes;
  await waitUntil(() => replies === messages && counters.every((c) => c.received() >= expected), 120_000);
  const elapsed = (performance.now() - started) / 1000;
  pub.destroy();
  for (const s of sockets) s.destroy();
  return messages / elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const servers: BenchServer[] = [await startBenchServer('nodis', 1), await startBenchServer('redis', 1)];
  try {
    console.log(`pub/sub: ${options.messages} PUBLISH of ${options.size} bytes, ${options.rounds} rounds, medians`);
    console.log('| subscribers | nodis publishes/s | redis publishes/s | nodis/redis |');
    console.log('| ---: | ---: | ---: | ---: |');
    for (const subs of options.subscribers) {
      const rates: Record<string, number[]> = { nodis: [], redis: [] };
      for (let round = 0; round < options.rounds; round++) {
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        for (const server of order) rates[server.name]?.push(await measure(server.port, subs, options.messages, options.size));
      }
      const a = median(rates.nodis ?? []);
      const b = median(rates.redis ?? []);
      console.log(`| ${subs} | ${Math.round(a)} | ${Math.round(b)} | ${(a / b).toFixed(2)} |`);
    }
  } finally {
    for (const s of servers) await s.stop();
  }
}

await main();
