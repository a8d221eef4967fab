/**
 * bin/nodis-server sizes V8's heap from maxmemory: a dataset larger than Node's default heap
 * limit (about 4 GB) lives, is served, and goes again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { eventually, killAllServerProcesses, startServerProcess } from '../helpers/server-process.js';

const GiB = 2 ** 30;
/** The machine needs the dataset (4.25 GiB) and room beside it. */
const MACHINE_NEEDED = 12 * GiB;
const enoughMemory = os.totalmem() >= MACHINE_NEEDED;
if (!enoughMemory) {
  console.warn(`large-heap test skipped: it writes 4.25 GiB into a server and needs a machine of ${MACHINE_NEEDED / GiB} GiB (this one has ${(os.totalmem() / GiB).toFixed(1)} GiB)`);
}

/**
 * Values under 1 MB, which V8 keeps in its heap (a longer string read from a Buffer is kept
 * outside it and would not test the heap limit), and large enough to write 4 GiB quickly.
 */
const VALUE_BYTES = 512 * 1024;
const KEYS = Math.ceil((4.25 * GiB) / VALUE_BYTES);

/** SETs key:0 … key:n-1 to `value` through one pipelined connection, a few MB in flight at a time. */
async function fill(port: number, n: number, value: Buffer): Promise<void> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const inFlight = 16;
  const OK = '+OK\r\n';
  let received = 0;
  let acknowledged = 0;
  let unexpected = '';
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    // Every reply is +OK (a chunk may end inside one).
    const text = chunk.toString('latin1');
    for (let j = 0; j < text.length && unexpected === ''; j++) {
      if (text[j] !== OK[(received + j) % OK.length]) unexpected = text.slice(j);
    }
    received += text.length;
    acknowledged = Math.floor(received / OK.length);
    wake?.();
  });
  const until = (done: () => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (unexpected !== '') reject(new Error(`unexpected reply: ${unexpected.slice(0, 200)}`));
        else if (done()) resolve();
        else wake = check;
      };
      check();
    });
  for (let i = 0; i < n; i++) {
    const key = `key:${i}`;
    socket.cork();
    socket.write(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n`);
    socket.write(value);
    socket.write('\r\n');
    socket.uncork();
    if (i + 1 - acknowledged >= inFlight) await until(() => i + 1 - acknowledged < inFlight);
  }
  await until(() => acknowledged === n);
  socket.end();
}

function infoNumber(info: string, field: string): number {
  const match = new RegExp(`^${field}:(\\d+)\\r?$`, 'm').exec(info);
  if (match === null) throw new Error(`no ${field} in INFO`);
  return Number(match[1]);
}

const dirs: string[] = [];
afterAll(async () => {
  await killAllServerProcesses();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!enoughMemory)('a dataset larger than Node\'s default heap', () => {
  it('holds, serves and flushes 4.25 GiB with a heap sized from maxmemory', { timeout: 150_000 }, async () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'nodis-large-heap-'));
    dirs.push(dir);
    const { server, client } = await startServerProcess('nodis', dir, ['--maxmemory', '5gb', '--appendonly', 'no']);
    try {
      // Twice maxmemory plus 64 MB, far above Node's default of about 4 GB (the log line may
      // come after the first reply).
      await eventually(async () => server.output().includes('V8 heap limit'), 'the heap line');
      const heapLine = /V8 heap limit (\d+) MB: twice maxmemory \(5120 MB\) plus 64 MB/.exec(server.output());
      expect(heapLine, server.output()).not.toBeNull();
      expect(Number(heapLine?.[1])).toBeGreaterThanOrEqual(10304);

      const value = Buffer.alloc(VALUE_BYTES, 'v');
      value.write('first bytes', 0, 'latin1');
      await fill(server.port, KEYS, value);

      expect(await client.call('PING')).toBe('PONG');
      const used = infoNumber(String(await client.call('INFO', 'memory')), 'used_memory');
      expect(used).toBeGreaterThan(4 * GiB);
      expect(await client.call('DBSIZE')).toBe(KEYS);
      const sample = await client.callRaw('GET', `key:${KEYS - 7}`);
      expect(sample.length).toBe(`$${VALUE_BYTES}\r\n`.length + VALUE_BYTES + 2);
      expect(sample.slice(`$${VALUE_BYTES}\r\n`.length, `$${VALUE_BYTES}\r\n`.length + 11)).toBe('first bytes');
      expect(String(await client.call('INFO', 'keyspace'))).toContain(`db0:keys=${KEYS},`);

      expect(await client.call('FLUSHALL')).toBe('OK');
      expect(await client.call('DBSIZE')).toBe(0);
      expect(infoNumber(String(await client.call('INFO', 'memory')), 'used_memory')).toBeLessThan(GiB);
      expect(await client.call('PING')).toBe('PONG');
    } finally {
      client.close();
      await server.kill();
    }
  });
});
