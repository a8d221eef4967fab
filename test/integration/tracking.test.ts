import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';

const INVALIDATE = (keys: string[]) => `>2\r\n$10\r\ninvalidate\r\n*${keys.length}\r\n${keys.map((k) => `$${k.length}\r\n${k}\r\n`).join('')}`;

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\\r?$`, 'm').exec(info)?.[1];
}

/** The text of a RESP3 verbatim reply (CLIENT INFO, INFO). */
function text(v: unknown): string {
  return typeof v === 'object' && v !== null && 'verbatim' in v ? String((v as { verbatim: string }).verbatim) : String(v);
}

async function resp3(server: TestServer): Promise<RawClient> {
  const c = await server.raw();
  await c.call('HELLO', '3');
  return c;
}

describe('client-side caching', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('RESP3: keys read by a client are invalidated when another client changes them, once', async () => {
    const cache = await resp3(server);
    const writer = server.client();
    await cache.call('CLIENT', 'TRACKING', 'ON');
    await cache.call('MGET', 'a', 'b');
    await cache.call('HGETALL', 'h');
    await writer.set('a', '1');
    expect(await cache.readRaw()).toBe(INVALIDATE(['a']));
    await writer.hset('h', 'f', 'v');
    expect(await cache.readRaw()).toBe(INVALIDATE(['h']));
    // Not read again since the invalidation: no second message.
    await writer.set('a', '2');
    await writer.set('b', 'x');
    expect(await cache.readRaw()).toBe(INVALIDATE(['b']));
    expect(await cache.callRaw('PING')).toBe('+PONG\r\n');
    // Expiry by the active cycle invalidates too.
    await writer.set('e', 'v', 'PX', 10);
    await cache.call('GET', 'e');
    expect(await cache.readRaw()).toBe(INVALIDATE(['e']));
    await writer.flushdb();
    expect(await cache.readRaw()).toBe('>2\r\n$10\r\ninvalidate\r\n_\r\n');
    writer.disconnect();
  });

  it('RESP2: invalidations go to the redirect client as __redis__:invalidate messages', async () => {
    const listener = server.client();
    const messages: Array<[string, string]> = [];
    listener.on('messageBuffer', (channel: Buffer, message: unknown) => messages.push([channel.toString(), String(message)]));
    const listenerId = Number(await listener.client('ID'));
    await listener.subscribe('__redis__:invalidate');
    const cache = await server.raw();
    expect(await cache.callRaw('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(listenerId))).toBe('+OK\r\n');
    expect(await cache.call('CLIENT', 'GETREDIR')).toBe(listenerId);
    const line = String(await cache.call('CLIENT', 'INFO'));
    expect(line).toMatch(/ flags=t /);
    expect(line).toContain(` redir=${listenerId} `);
    await cache.call('GET', 'k');
    const raw = await server.raw();
    await raw.call('SET', 'k', 'v');
    const sub = await server.raw();
    sub.send('SUBSCRIBE', '__redis__:invalidate');
    await sub.read();
    // The raw bytes of the message: the key array in the message slot.
    const redirected = await server.raw();
    const redirectedId = Number(await redirected.call('CLIENT', 'ID'));
    await redirected.call('SUBSCRIBE', '__redis__:invalidate');
    const cache2 = await server.raw();
    await cache2.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(redirectedId));
    await cache2.call('GET', 'k2');
    await raw.call('SET', 'k2', 'v');
    expect(await redirected.readRaw()).toBe('*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$2\r\nk2\r\n');
    await raw.call('FLUSHALL');
    expect(await redirected.readRaw()).toBe('*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(messages[0]).toEqual(['__redis__:invalidate', 'k']);
    listener.disconnect();
  });

  it('RESP3: a broken redirection is reported to the tracking client', async () => {
    const target = await server.raw();
    const targetId = Number(await target.call('CLIENT', 'ID'));
    const cache = await resp3(server);
    await cache.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(targetId));
    await cache.call('GET', 'x');
    target.close();
    const writer = await server.raw();
    // Wait until the server saw the close.
    for (let i = 0; i < 100 && server.running.server.clients.has(targetId); i++) await new Promise((r) => setTimeout(r, 10));
    await writer.call('SET', 'x', '1');
    expect(await cache.readRaw()).toBe(`>2\r\n$21\r\ntracking-redir-broken\r\n:${targetId}\r\n`);
    const info = (await cache.call('CLIENT', 'TRACKINGINFO')) as { map: Array<[unknown, unknown]> };
    expect(JSON.stringify(info)).toContain('broken_redirect');
    expect(text(await cache.call('CLIENT', 'INFO'))).toMatch(/ flags=tR /);
  });

  it('BCAST: changes under a prefix by any client reach every subscriber of the prefix; NOLOOP hides own', async () => {
    const a = await resp3(server);
    const b = await resp3(server);
    await a.call('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'p:');
    await b.call('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'p:', 'NOLOOP');
    expect(text(await b.call('CLIENT', 'INFO'))).toMatch(/ flags=tB /);
    const w = server.client();
    await w.mset('p:2', '1', 'p:1', '1', 'q:1', '1');
    expect(await a.readRaw()).toBe(INVALIDATE(['p:1', 'p:2']));
    expect(await b.readRaw()).toBe(INVALIDATE(['p:1', 'p:2']));
    await b.call('SET', 'p:3', 'x');
    expect(await a.readRaw()).toBe(INVALIDATE(['p:3']));
    expect(await b.callRaw('PING')).toBe('+PONG\r\n');
    const info = await w.info();
    expect(infoField(info, 'tracking_total_prefixes')).toBe('1');
    expect(Number(infoField(info, 'tracking_clients'))).toBeGreaterThanOrEqual(2);
    w.disconnect();
  });

  it('tracking-table-max-keys bounds the table, invalidating what it forgets', async () => {
    const srv = await startTestServer({ 'tracking-table-max-keys': 10 });
    try {
      const c = await resp3(srv);
      await c.call('CLIENT', 'TRACKING', 'ON');
      // The table is trimmed after each read past the limit; the forgotten keys are invalidated.
      for (let i = 0; i < 20; i++) c.send('GET', `k${i}`);
      c.send('PING');
      const frames: string[] = [];
      for (;;) {
        const f = await c.readRaw();
        if (f === '+PONG\r\n') break;
        frames.push(f);
      }
      const invalidations = frames.filter((f) => f.startsWith('>2'));
      expect(invalidations.length).toBe(10);
      expect(invalidations[0]).toBe(INVALIDATE(['k0']));
      expect(frames.length - invalidations.length).toBe(20);
      const info = text(await c.call('INFO', 'stats'));
      expect(infoField(info, 'tracking_total_keys')).toBe('10');
      expect(infoField(info, 'tracking_total_items')).toBe('10');
    } finally {
      await srv.stop();
    }
  });
});
