import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { infoNumber } from '../helpers/memory.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls an INFO memory field (up to 20 s) until `accept` takes it; returns the last figure read. */
async function memoryFieldUntil(client: RawClient, field: string, accept: (n: number) => boolean): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const n = await infoNumber(client, 'memory', field);
    if (accept(n) || Date.now() >= deadline) return n;
    await sleep(50);
  }
}

interface MemoryFigures {
  used: number;
  clients: number;
  overhead: number;
}

async function memoryFigures(client: RawClient): Promise<MemoryFigures> {
  const info = (await client.call('INFO', 'memory')) as string;
  const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)\\r$`, 'm').exec(info)?.[1]);
  return { used: field('used_memory'), clients: field('mem_clients_normal'), overhead: field('used_memory_overhead') };
}

const MB = 1024 * 1024;
/** GET replies a reader that does not read piles up: 200 × 200 KB. */
const BIG = 200_000;
const GETS = 200;

describe("the clients' buffers in used_memory (INFO mem_clients_normal), as Redis counts them", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  it('a client holding a large unread reply raises mem_clients_normal and used_memory, until it reads', async () => {
    const admin = await server.raw();
    await admin.call('SET', 'big', 'x'.repeat(BIG));
    const baseline = await infoNumber(admin, 'memory', 'mem_clients_normal');
    // Each connected client counts for its structure and buffers, as in Redis (37 KB fresh, 1.8 KB long idle).
    expect(baseline).toBeGreaterThanOrEqual(1800);
    const reader = await server.raw();
    reader.pause();
    for (let i = 0; i < GETS; i++) reader.send('GET', 'big');
    // 40 MB of replies; the sockets take at most some MB of them, the rest waits in the server.
    const holding = await memoryFieldUntil(admin, 'mem_clients_normal', (n) => n > baseline + 20 * MB);
    expect(holding).toBeGreaterThan(baseline + 20 * MB);
    const during = await memoryFigures(admin);
    expect(during.overhead).toBeGreaterThanOrEqual(during.clients);
    expect(during.used).toBeGreaterThanOrEqual(during.overhead);
    // CLIENT LIST shows the same figure for the client.
    const list = (await admin.call('CLIENT', 'LIST')) as string;
    const totMems = [...list.matchAll(/ tot-mem=(\d+) /g)].map((m) => Number(m[1]));
    expect(Math.max(...totMems)).toBeGreaterThan(20 * MB);

    reader.resume();
    for (let i = 0; i < GETS; i++) expect(((await reader.read(30_000)) as string).length).toBe(BIG);
    const released = await memoryFieldUntil(admin, 'mem_clients_normal', (n) => n < baseline + MB);
    expect(released).toBeLessThan(baseline + MB);
    const after = await memoryFigures(admin);
    // used_memory came down with the clients' memory (the heap may move a little meanwhile).
    expect(during.used - after.used).toBeGreaterThan((during.clients - after.clients) / 2);
    reader.close();
  });

  it('a client reading a big argument counts for the whole argument at once (its query buffer), until it goes', async () => {
    const admin = await server.raw();
    const baseline = await infoNumber(admin, 'memory', 'mem_clients_normal');
    const sender = await RawClient.connect(server.port);
    sender.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$50000000\r\n' + 'x'.repeat(1000));
    const holding = await memoryFieldUntil(admin, 'mem_clients_normal', (n) => n > baseline + 50_000_000);
    expect(holding).toBeGreaterThan(baseline + 50_000_000);
    const stats = (await admin.call('MEMORY', 'STATS')) as unknown[];
    const clientsNormal = stats[stats.indexOf('clients.normal') + 1] as number;
    expect(clientsNormal).toBeGreaterThan(50_000_000);
    expect(stats[stats.indexOf('overhead.total') + 1] as number).toBeGreaterThan(clientsNormal);
    sender.close();
    const released = await memoryFieldUntil(admin, 'mem_clients_normal', (n) => n < baseline + MB);
    expect(released).toBeLessThan(baseline + MB);
  });

  it('a long transaction counts its queued commands', async () => {
    const admin = await server.raw();
    const c = await server.raw();
    await c.call('MULTI');
    const before = await infoNumber(admin, 'memory', 'mem_clients_normal');
    const value = 'v'.repeat(10_000);
    for (let i = 0; i < 500; i++) c.send('SET', `k${i}`, value);
    for (let i = 0; i < 500; i++) expect(await c.read()).toBe('QUEUED');
    const queued = await memoryFieldUntil(admin, 'mem_clients_normal', (n) => n > before + 5_000_000);
    expect(queued).toBeGreaterThan(before + 5_000_000);
    await c.call('DISCARD');
    const released = await memoryFieldUntil(admin, 'mem_clients_normal', (n) => n < before + MB);
    expect(released).toBeLessThan(before + MB);
  });
});

describe('maxmemory-clients', () => {
  let server: TestServer;
  const logged: string[] = [];
  beforeAll(async () => {
    server = await startTestServer();
    const log = server.running.server.log as unknown as Record<'info' | 'warn', (...args: unknown[]) => void>;
    for (const level of ['info', 'warn'] as const) {
      const original = log[level].bind(log);
      log[level] = (...args: unknown[]) => {
        logged.push(String(args[args.length - 1]));
        original(...args);
      };
    }
  });
  afterAll(async () => server?.stop());

  it("logs Redis's lines: the evicted client's description, and when only clients that may not be evicted are left", async () => {
    const admin = await server.raw();
    await admin.call('CLIENT', 'NO-EVICT', 'on');
    await admin.call('SET', 'big', 'x'.repeat(BIG));
    const victim = await server.raw();
    await victim.call('CLIENT', 'SETNAME', 'victim');
    await admin.call('CONFIG', 'SET', 'maxmemory-clients', '1mb');
    victim.pause();
    for (let i = 0; i < GETS; i++) victim.send('GET', 'big');
    const deadline = Date.now() + 20_000;
    while (!logged.some((l) => l.startsWith('Evicting client: ')) && Date.now() < deadline) await sleep(50);
    const evicting = logged.filter((l) => l.startsWith('Evicting client: '));
    expect(evicting).toHaveLength(1);
    expect(evicting[0]).toMatch(/^Evicting client: id=\d+ addr=\S+ laddr=\S+ fd=-?\d+ name=victim age=\d+ idle=\d+ flags=N /);
    expect(await infoNumber(admin, 'stats', 'evicted_clients')).toBe(1);

    // A client that may not be evicted holds the memory: nothing can be done, and it is said.
    const holder = await server.raw();
    await holder.call('CLIENT', 'NO-EVICT', 'on');
    holder.pause();
    for (let i = 0; i < GETS; i++) holder.send('GET', 'big');
    while (!logged.includes('Over client maxmemory after evicting all evictable clients') && Date.now() < deadline) await sleep(50);
    expect(logged).toContain('Over client maxmemory after evicting all evictable clients');
    holder.resume();
    for (let i = 0; i < GETS; i++) await holder.read(30_000);
    expect(await infoNumber(admin, 'stats', 'evicted_clients')).toBe(1);
    await admin.call('CONFIG', 'SET', 'maxmemory-clients', '0');
  });

  it('a percentage of no maxmemory evicts nothing; of a maxmemory it does', async () => {
    const admin = await server.raw();
    await admin.call('CLIENT', 'NO-EVICT', 'on');
    await admin.call('SET', 'big', 'x'.repeat(BIG));
    const evictedBefore = await infoNumber(admin, 'stats', 'evicted_clients');
    expect(await admin.call('CONFIG', 'SET', 'maxmemory-clients', '1%')).toBe('OK');
    const reader = await server.raw();
    reader.pause();
    for (let i = 0; i < GETS; i++) reader.send('GET', 'big');
    await memoryFieldUntil(admin, 'mem_clients_normal', (n) => n > 20 * MB);
    expect(await infoNumber(admin, 'stats', 'evicted_clients')).toBe(evictedBefore);
    // 1% of 100 GB is 1 GB: still nothing to evict.
    await admin.call('CONFIG', 'SET', 'maxmemory', '100gb');
    expect(await admin.call('PING')).toBe('PONG');
    expect(await infoNumber(admin, 'stats', 'evicted_clients')).toBe(evictedBefore);
    // 1% of 1 GB is 10 MB: the reader goes.
    await admin.call('CONFIG', 'SET', 'maxmemory', '1gb');
    const deadline = Date.now() + 20_000;
    while ((await infoNumber(admin, 'stats', 'evicted_clients')) === evictedBefore && Date.now() < deadline) await sleep(50);
    expect(await infoNumber(admin, 'stats', 'evicted_clients')).toBe(evictedBefore + 1);
    await admin.call('CONFIG', 'SET', 'maxmemory', '0');
    await admin.call('CONFIG', 'SET', 'maxmemory-clients', '0');
  });
});
