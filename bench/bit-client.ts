/**
 * A load client for what redis-benchmark cannot send: SETBIT at random offsets (its
 * __rand_int__ is zero-padded, and Redis refuses an offset with leading zeros). Run as
 * `tsx bench/bit-client.ts <port> <clients> <requests> <pipeline> <key> <bits>`: makes sure
 * `key` is a bitmap of `bits` bits, then each of `clients` connections sends SETBIT key <random
 * offset below bits> 0|1 in batches of `pipeline`, until `requests` in all. Prints a CSV line as
 * redis-benchmark --csv does (test, rps, avg, min, p50, p95, p99, max latency in ms).
 */
import { connect, type Socket } from 'node:net';

const [portArg, clientsArg, requestsArg, pipelineArg, key = 'bitmap', bitsArg] = process.argv.slice(2);
const port = Number(portArg);
const clients = Number(clientsArg);
const requests = Number(requestsArg);
const pipeline = Number(pipelineArg);
const bits = Number(bitsArg);

/** Every SETBIT reply is `:0\r\n` or `:1\r\n`. */
const REPLY_BYTES = 4;

let seed = 0x9e3779b9;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}

function setbit(offset: number, bit: number): string {
  const o = String(offset);
  return `*4\r\n$6\r\nSETBIT\r\n$${key.length}\r\n${key}\r\n$${o.length}\r\n${o}\r\n$1\r\n${bit}\r\n`;
}

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

/** Sends one batch and resolves when its replies (`expected` bytes) are in. */
function roundTrip(socket: Socket, payload: string, expected: number): Promise<void> {
  return new Promise((resolve) => {
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received >= expected) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.write(payload);
  });
}

async function main(): Promise<void> {
  const setup = await open();
  // The bitmap at its full size first (its last bit), so every timed SETBIT lands inside it.
  await roundTrip(setup, setbit(bits - 1, 1), REPLY_BYTES);
  setup.end();

  const sockets = await Promise.all(Array.from({ length: clients }, open));
  let left = requests;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(sockets.map(async (socket) => {
    while (left > 0) {
      const n = Math.min(pipeline, left);
      left -= n;
      let payload = '';
      for (let i = 0; i < n; i++) payload += setbit(Math.floor(random() * bits), random() < 0.5 ? 0 : 1);
      const sent = performance.now();
      await roundTrip(socket, payload, n * REPLY_BYTES);
      const ms = performance.now() - sent;
      for (let i = 0; i < n; i++) latencies.push(ms);
    }
    socket.end();
  }));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number): string => (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(3);
  const average = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
  console.log('"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"');
  console.log(`"SETBIT random","${(requests / seconds).toFixed(2)}","${average.toFixed(3)}","${at(0)}","${at(0.5)}","${at(0.95)}","${at(0.99)}","${at(1)}"`);
}

await main();
