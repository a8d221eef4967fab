import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fill, fillAndFree, infoNumber, usedMemory, usedMemoryBesideClients, type BigKind } from '../helpers/memory.js';
import { CLIENT_BASE_BYTES, CLIENT_BYTES } from '../../src/server/memory.js';
import { fullCollection } from '../../src/server/reclaim.js';
import type { Database } from '../../src/keyspace/database.js';

describe('freeing a large value gives its memory back in used_memory, as in Redis', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  const cases: Array<[BigKind, number, string[]]> = [
    ['list', 200_000, ['UNLINK', 'big']],
    ['set', 200_000, ['UNLINK', 'big']],
    ['hash', 200_000, ['UNLINK', 'big']],
    ['zset', 200_000, ['UNLINK', 'big']],
    ['zset', 200_000, ['DEL', 'big']],
    ['string', 16 << 20, ['UNLINK', 'big']],
    ['keys', 200_000, ['FLUSHALL', 'ASYNC']],
    ['keys', 200_000, ['FLUSHDB', 'ASYNC']],
    ['keys', 200_000, ['FLUSHALL']],
  ];
  for (const [kind, count, free] of cases) {
    it(`${free.join(' ')} of ${kind === 'keys' ? `${count} keys` : `a ${kind} of ${count}`}`, async () => {
      const { before, peak, after } = await fillAndFree(server.port, kind, count, free);
      const growth = peak - before;
      // Each dataset takes megabytes (a packed list of 200k short elements about 3.5 MB, as in Redis).
      expect(growth).toBeGreaterThan(2 << 20);
      expect(after, `used_memory ${before} -> ${peak} -> ${after}`).toBeLessThanOrEqual(peak - growth / 2);
    });
  }

  it('UNLINK counts a value that is costly to free in lazyfreed_objects, DEL does not', async () => {
    const c = await server.raw();
    const lazyfreed = (): Promise<number> => infoNumber(c, 'memory', 'lazyfreed_objects');
    const start = await lazyfreed();
    await fill(c, 'list', 'big', 100_000);
    expect(await c.call('UNLINK', 'big')).toBe(1);
    expect(await lazyfreed()).toBe(start + 1);
    await fill(c, 'set', 'big', 100_000);
    expect(await c.call('DEL', 'big')).toBe(1);
    expect(await lazyfreed()).toBe(start + 1);
    expect(await c.call('SADD', 'small', 'a', 'b', 'c')).toBe(3);
    expect(await c.call('UNLINK', 'small')).toBe(1);
    expect(await lazyfreed()).toBe(start + 1);
    expect(await c.call('CONFIG', 'SET', 'lazyfree-lazy-user-del', 'yes')).toBe('OK');
    await fill(c, 'hash', 'big', 100_000);
    expect(await c.call('DEL', 'big')).toBe(1);
    expect(await c.call('CONFIG', 'SET', 'lazyfree-lazy-user-del', 'no')).toBe('OK');
    expect(await lazyfreed()).toBe(start + 2);
    expect(await c.call('CONFIG', 'RESETSTAT')).toBe('OK');
    expect(await lazyfreed()).toBe(0);
  });
});

describe('used_memory is counted, key by key', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  it('MEMORY USAGE of a key is what used_memory grew by when it was set, and drops by when it goes', async () => {
    const c = await server.raw();
    // A database of its own: its tables stay at their first size, so no key pays for a resize.
    expect(await c.call('SELECT', '7')).toBe('OK');
    const writes: string[][] = [
      ['SET', 'string', 'x'.repeat(500)],
      ['SET', 'int', '12345'],
      ['SET', 'ttl', 'value', 'EX', '1000'],
      ['RPUSH', 'list', ...Array.from({ length: 300 }, (_, i) => `element:${i}`)],
      ['HSET', 'hash', ...Array.from({ length: 400 }, (_, i) => `field:${i}`)],
      ['SADD', 'set', ...Array.from({ length: 200 }, (_, i) => String(i * 3))],
      ['ZADD', 'zset', ...Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? String(i / 4) : `member:${i}`))],
      ['XADD', 'stream', '1700000000000-1', ...Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? String(i * 7) : `field:${i}`))],
    ];
    for (const argv of writes) {
      const key = argv[1] as string;
      const before = await usedMemory(c);
      await c.call(...argv);
      const grown = (await usedMemory(c)) - before;
      const usage = (await c.call('MEMORY', 'USAGE', key)) as number;
      expect(usage, key).toBeGreaterThan(0);
      expect(usage, key).toBe(grown);
      expect(await c.call('DEL', key)).toBe(1);
      expect((await usedMemory(c)) - before, key).toBe(0);
    }
  });

  it('counts memory a feature holds outside the heap once it is registered, and each connected client', async () => {
    const c = await server.raw();
    const meter = server.running.server.meter;
    // A client takes its output chunk with its first reply.
    expect(await c.call('PING')).toBe('PONG');
    const before = await usedMemoryBesideClients(c);
    let wasmPages = 16;
    const forget = meter.addExternal(() => wasmPages * 65536);
    expect((await usedMemoryBesideClients(c)) - before).toBe(16 * 65536);
    wasmPages = 32;
    expect((await usedMemoryBesideClients(c)) - before).toBe(32 * 65536);
    forget();
    expect(await usedMemoryBesideClients(c)).toBe(before);
    const other = await server.raw();
    expect(await other.call('PING')).toBe('PONG');
    expect((await usedMemoryBesideClients(c)) - before).toBe(CLIENT_BYTES);
    // The cron finds it idle (as it would 10 s later): its output chunk is given back, until its next reply.
    const otherId = Number(await other.call('CLIENT', 'ID'));
    const client = server.running.server.clients.get(otherId);
    client?.resizeReplyBuffer(Date.now() + 10_000);
    expect(client?.reply.holdsChunk).toBe(false);
    expect((await usedMemoryBesideClients(c)) - before).toBe(CLIENT_BASE_BYTES);
    expect(await other.call('PING')).toBe('PONG');
    expect(client?.reply.holdsChunk).toBe(true);
    expect((await usedMemoryBesideClients(c)) - before).toBe(CLIENT_BYTES);
    other.close();
    for (let i = 0; i < 100 && (await usedMemoryBesideClients(c)) !== before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await usedMemoryBesideClients(c)).toBe(before);
  });

  it('FLUSHALL lets the process free the keys even while a SCAN over them is left open', async () => {
    const c = await server.raw();
    expect(await c.call('SELECT', '9')).toBe('OK');
    for (let i = 0; i < 100; i++) c.send('RPUSH', `list:${i}`, 'a', 'b');
    for (let i = 0; i < 100; i++) await c.read();
    const db = server.running.server.databases[9] as Database;
    const value = new WeakRef(db.dict.get('list:50') as object);
    const [cursor] = (await c.call('SCAN', '0', 'COUNT', '10')) as [string, string[]];
    expect(cursor).not.toBe('0');
    expect(await c.call('FLUSHALL')).toBe('OK');
    const gc = fullCollection() as () => void;
    for (let i = 0; i < 5 && value.deref() !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      gc();
    }
    expect(value.deref()).toBeUndefined();
    // The cursor now starts the scan again, over what the database holds.
    expect(await c.call('SET', 'after', '1')).toBe('OK');
    expect(await c.call('SCAN', cursor, 'COUNT', '100')).toEqual(['0', ['after']]);
    await c.call('FLUSHDB');
  });

  it('INFO splits used_memory into the startup figure, the dataset and the rest', async () => {
    const c = await server.raw();
    expect(await c.call('SELECT', '8')).toBe('OK');
    const dataset = (): Promise<number> => infoNumber(c, 'memory', 'used_memory_dataset');
    const startup = await infoNumber(c, 'memory', 'used_memory_startup');
    const before = await dataset();
    await c.call('SET', 'k', 'v'.repeat(1000));
    const usage = (await c.call('MEMORY', 'USAGE', 'k')) as number;
    expect((await dataset()) - before).toBe(usage);
    expect(await infoNumber(c, 'memory', 'used_memory_startup')).toBe(startup);
    const used = await usedMemory(c);
    expect(await infoNumber(c, 'memory', 'used_memory_overhead')).toBe(used - (await dataset()));
    await c.call('FLUSHDB');
  });
});
