import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';

/** Waits until `n` clients are blocked (INFO blocked_clients), polling the server directly. */
async function blockedCount(server: TestServer, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (server.running.server.blockedClientCount() === n) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`expected ${n} blocked clients, have ${server.running.server.blockedClientCount()}`);
}

/** Resolves to true when the promise has not settled after a few loop turns. */
async function stillPending(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void p.then(() => (settled = true), () => (settled = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 10));
  return !settled;
}

describe('blocking list commands', () => {
  let server: TestServer;
  let admin: Redis;
  beforeAll(async () => {
    server = await startTestServer();
    admin = server.client();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    await admin.flushall();
    await blockedCount(server, 0);
  });

  it('serves clients in the order they blocked', async () => {
    const clients = [server.client(), server.client(), server.client()];
    const first = clients[0]!.blpop('q', 0);
    await blockedCount(server, 1);
    const second = clients[1]!.brpop('q', 0);
    await blockedCount(server, 2);
    const third = clients[2]!.blpop('other', 'q', 0);
    await blockedCount(server, 3);
    expect(await admin.rpush('q', 'a', 'b')).toBe(2);
    expect(await first).toEqual(['q', 'a']);
    expect(await second).toEqual(['q', 'b']);
    expect(await stillPending(third)).toBe(true);
    await admin.lpush('q', 'c');
    expect(await third).toEqual(['q', 'c']);
    expect(await admin.exists('q')).toBe(0);
    await blockedCount(server, 0);
  });

  it('serves the first of several keys to get data and unblocks it from all', async () => {
    const c = server.client();
    const p = c.blpop('k1', 'k2', 'k3', 0);
    await blockedCount(server, 1);
    await admin.rpush('k2', 'x', 'y');
    expect(await p).toEqual(['k2', 'x']);
    await blockedCount(server, 0);
    await admin.rpush('k1', 'z');
    expect(await admin.lrange('k1', 0, -1)).toEqual(['z']);
    expect(await admin.lrange('k2', 0, -1)).toEqual(['y']);
  });

  it('times out with a null reply', async () => {
    const c = server.client();
    const started = Date.now();
    expect(await c.blpop('nothing', 0.05)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect(await c.blmove('nothing', 'dst', 'LEFT', 'RIGHT', 0.02)).toBeNull();
    expect(await c.call('blmpop', '0.02', '1', 'nothing', 'LEFT')).toBeNull();
    await blockedCount(server, 0);
    // The connection is usable again.
    expect(await c.ping()).toBe('PONG');
  });

  it('answers a timeout with the exact null array in RESP2 and RESP3', async () => {
    const raw = await server.raw();
    expect(await raw.callRaw('BLPOP', 'nothing', '0.01')).toBe('*-1\r\n');
    expect(await raw.callRaw('BLMOVE', 'nothing', 'd', 'LEFT', 'LEFT', '0.01')).toBe('*-1\r\n');
    await raw.call('HELLO', '3');
    expect(await raw.callRaw('BRPOP', 'nothing', '0.01')).toBe('_\r\n');
    raw.close();
  });

  it('stops reading a blocked client\'s pipelined commands until it is served', async () => {
    const raw = await RawClient.connect(server.port);
    raw.write('*3\r\n$5\r\nBLPOP\r\n$1\r\np\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n');
    await blockedCount(server, 1);
    // Input that arrives while blocked waits too.
    raw.write('*2\r\n$4\r\nLLEN\r\n$1\r\np\r\n');
    await new Promise((r) => setTimeout(r, 30));
    expect(raw.rest()).toBe('');
    await admin.rpush('p', 'v1', 'v2');
    expect(await raw.callRaw()).toBe('*2\r\n$1\r\np\r\n$2\r\nv1\r\n');
    expect(await raw.readRaw()).toBe('+PONG\r\n');
    expect(await raw.readRaw()).toBe(':1\r\n');
    raw.close();
  });

  it('leaves nothing behind when a blocked client disconnects', async () => {
    const c = server.client();
    const p = c.blpop('gone', 0).catch(() => 'closed');
    await blockedCount(server, 1);
    c.disconnect();
    expect(await p).toBe('closed');
    await blockedCount(server, 0);
    await admin.rpush('gone', 'v');
    expect(await admin.lrange('gone', 0, -1)).toEqual(['v']);
  });

  it('is unblocked by CLIENT UNBLOCK, as a timeout or with an error', async () => {
    const c = server.client();
    const id = (await c.client('ID')) as number;
    const p1 = c.blpop('u', 0);
    await blockedCount(server, 1);
    expect(await admin.client('UNBLOCK', id)).toBe(1);
    expect(await p1).toBeNull();
    const p2 = c.brpoplpush('u', 'v', 0).catch((e: Error) => e.message);
    await blockedCount(server, 1);
    expect(await admin.client('UNBLOCK', id, 'ERROR')).toBe(1);
    expect(await p2).toBe('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    expect(await admin.client('UNBLOCK', id)).toBe(0);
    expect(await c.ping()).toBe('PONG');
  });

  it('keeps waiting when the key gets a value of another type', async () => {
    const c = server.client();
    const p = c.blpop('t', 0);
    await blockedCount(server, 1);
    await admin.set('t', 'string');
    await admin.sadd('s', 'm');
    await admin.rename('s', 't');
    expect(await stillPending(p)).toBe(true);
    await admin.del('t');
    await admin.rpush('t', 'finally');
    expect(await p).toEqual(['t', 'finally']);
  });

  it('serves BLMOVE, moving to a destination others wait on', async () => {
    const mover = server.client();
    const waiter = server.client();
    const moved = mover.blmove('src', 'dst', 'RIGHT', 'LEFT', 0);
    await blockedCount(server, 1);
    const popped = waiter.blpop('dst', 0);
    await blockedCount(server, 2);
    await admin.rpush('src', 'a', 'b');
    expect(await moved).toBe('b');
    expect(await popped).toEqual(['dst', 'b']);
    expect(await admin.lrange('src', 0, -1)).toEqual(['a']);
    expect(await admin.exists('dst')).toBe(0);
  });

  it('answers WRONGTYPE to a served BLMOVE whose destination has another type, and serves the next', async () => {
    const mover = server.client();
    const other = server.client();
    await admin.set('strdst', 'x');
    const moved = mover.brpoplpush('s2', 'strdst', 0).catch((e: Error) => e.message);
    await blockedCount(server, 1);
    const popped = other.blpop('s2', 0);
    await blockedCount(server, 2);
    await admin.rpush('s2', 'only');
    expect(await moved).toMatch(/^WRONGTYPE/);
    expect(await popped).toEqual(['s2', 'only']);
  });

  it('serves BLMPOP with its count and the key it popped from', async () => {
    const c = server.client();
    const p = c.call('blmpop', '0', '2', 'm1', 'm2', 'RIGHT', 'COUNT', '2');
    await blockedCount(server, 1);
    await admin.rpush('m2', '1', '2', '3');
    expect(await p).toEqual(['m2', ['3', '2']]);
    expect(await admin.lrange('m2', 0, -1)).toEqual(['1']);
  });

  it('serves clients woken by a transaction only after EXEC', async () => {
    const c = server.client();
    const p = c.blpop('tx', 0);
    await blockedCount(server, 1);
    const results = await admin.multi().rpush('tx', 'a').lpop('tx').rpush('tx', 'b', 'c').exec();
    expect(results).toEqual([[null, 1], [null, 'a'], [null, 2]]);
    expect(await p).toEqual(['tx', 'b']);
  });

  it('does not block inside MULTI', async () => {
    const results = await admin.multi().blpop('none', 0).brpoplpush('none', 'd', 0).call('blmpop', '0', '1', 'none', 'LEFT').exec();
    expect(results).toEqual([[null, null], [null, null], [null, null]]);
    const raw = await server.raw();
    await raw.call('MULTI');
    await raw.call('BLMOVE', 'none', 'd', 'LEFT', 'LEFT', '0');
    await raw.call('BRPOP', 'none', '0');
    expect(await raw.callRaw('EXEC')).toBe('*2\r\n$-1\r\n*-1\r\n');
    raw.close();
  });

  it('reports blocked clients in INFO and CLIENT LIST', async () => {
    const c = server.client();
    const p = c.blpop('i', 0);
    await blockedCount(server, 1);
    expect(await admin.info('clients')).toMatch(/blocked_clients:1\r\n/);
    expect(await admin.client('LIST')).toMatch(/flags=b /);
    await admin.rpush('i', 'x');
    await p;
    expect(await admin.info('clients')).toMatch(/blocked_clients:0\r\n/);
  });
});
