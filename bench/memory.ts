import net from 'node:net';
import { rssBytes, startBenchServer, type BenchServer } from './servers.js';

/**
 * Sends commands pipelined in large batches and waits for all replies (counts CRLF-terminated
 * lines: `linesPerReply` per reply, 2 for a bulk string such as XADD's ID).
 */
export async function pipeline(port: number, total: number, encode: (i: number) => string, linesPerReply = 1): Promise<void> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  let replies = 0;
  const done = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) replies++;
      if (replies >= total * linesPerReply) resolve();
    });
  });
  const BATCH = 10_000;
  for (let start = 0; start < total; start += BATCH) {
    let text = '';
    for (let i = start; i < Math.min(total, start + BATCH); i++) text += encode(i);
    if (!socket.write(Buffer.from(text, 'latin1'))) await new Promise((r) => socket.once('drain', r));
  }
  await done;
  socket.end();
}

export function resp(args: string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${a.length}\r\n${a}\r\n`;
  return out;
}

export async function command(port: number, args: string[]): Promise<string> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  return new Promise((resolve, reject) => {
    let data = '';
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      // good enough for the single-bulk/status replies used here
      const m = /^\$(\d+)\r\n/.exec(data);
      if ((m && data.length >= m[0].length + Number(m[1]) + 2) || (!m && data.endsWith('\r\n'))) {
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', reject);
    socket.write(resp(args));
  });
}

export function infoField(info: string, field: string): number {
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  return match ? Number(match[1]) : NaN;
}

export interface MemoryResult {
  dataset: string;
  server: 'nodis' | 'redis';
  /** used_memory growth per item (bytes), as INFO reports it. */
  usedPerItem: number;
  /** RSS growth per item (bytes). */
  rssPerItem: number;
}

const pad7 = (i: number) => String(i).padStart(7, '0');
const VALUE16 = 'v'.repeat(16);

export const DATASETS: Record<string, (i: number) => string> = {
  'strings (key:NNNNNNN → 16 B)': (i) => resp(['SET', `key:${pad7(i)}`, VALUE16]),
  'hash members (1 key)': (i) => resp(['HSET', 'bighash', `field:${pad7(i)}`, VALUE16]),
  'set members (1 key)': (i) => resp(['SADD', 'bigset', `member:${pad7(i)}`]),
  'zset members (1 key)': (i) => resp(['ZADD', 'bigzset', String(i), `member:${pad7(i)}`]),
  'stream entries (1 key, one field → 16 B)': () => resp(['XADD', 'bigstream', '*', 'field', VALUE16]),
  // Small keys of each collection: what a key costs beyond its elements (the value's object, the
  // dict entry, the access record) weighs most here.
  'hashes of 5 fields (per key)': (i) => resp(['HSET', `hash:${pad7(i)}`, 'name', 'nodis', 'visits', String(i), 'plan', 'free', 'country', 'fr', 'active', '1']),
  'lists of 5 elements (per key)': (i) => resp(['RPUSH', `list:${pad7(i)}`, 'a', 'bb', 'ccc', String(i), VALUE16]),
};

/** Lines of one reply, where it is not 1 (XADD answers the ID as a bulk string). */
export const REPLY_LINES: Record<string, number> = { 'stream entries (1 key, one field → 16 B)': 2 };

/** A script with a loop: nodis runs it in its script worker thread, so it returns once that thread is up. */
const WORKER_SCRIPT = ['EVAL', 'for i = 1, 1 do end return 1', '0'];

async function settle(server: BenchServer): Promise<{ used: number; rss: number }> {
  // MEMORY PURGE makes nodis run a full GC (when started with --expose-gc), like Redis asks jemalloc to release pages.
  await command(server.port, ['MEMORY', 'PURGE']).catch(() => '');
  await new Promise((r) => setTimeout(r, 500));
  // A server still starting (nodis's script worker threads, each an isolate of tens of MB, come
  // up in the background for a second or so) would count its own growth as the dataset's:
  // the RSS is read once it has held still for a while.
  let rss = rssBytes(server.pid);
  for (let still = 0, tries = 0; still < 5 && tries < 60; tries++) {
    await new Promise((r) => setTimeout(r, 250));
    const now = rssBytes(server.pid);
    still = Math.abs(now - rss) < 256 * 1024 ? still + 1 : 0;
    rss = now;
  }
  const info = await command(server.port, ['INFO', 'memory']);
  return { used: infoField(info, 'used_memory'), rss };
}

export async function measureMemory(items: number, core: number, only: string | null = null): Promise<MemoryResult[]> {
  const results: MemoryResult[] = [];
  for (const [dataset, encode] of Object.entries(DATASETS)) {
    if (only !== null && !dataset.includes(only)) continue;
    for (const name of ['nodis', 'redis'] as const) {
      const server = await startBenchServer(name, core);
      try {
        await command(server.port, WORKER_SCRIPT);
        const before = await settle(server);
        await pipeline(server.port, items, encode, REPLY_LINES[dataset] ?? 1);
        const after = await settle(server);
        results.push({
          dataset,
          server: name,
          usedPerItem: (after.used - before.used) / items,
          rssPerItem: (after.rss - before.rss) / items,
        });
      } finally {
        await server.stop();
      }
    }
  }
  return results;
}
