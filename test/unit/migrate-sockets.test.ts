/**
 * MIGRATE's connection cache (net/migrate-sockets.ts) against a local TCP server: one connection
 * per host:port text, at most 64, closed after more than 10 s unused (on the cache's clock) or
 * when the server stops; a refused connection is cached broken and fails while writing; reply
 * lines are read as Redis's connSyncReadLine reads them.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MigrateSocketCache } from '../../src/net/migrate-sockets.js';
import type { MigrateConnection } from '../../src/commands/core/context.js';
import { freePort } from '../helpers/ports.js';

describe('MIGRATE connection cache', () => {
  let server: net.Server;
  let port: number;
  const peers = new Set<net.Socket>();
  /** What each accepted connection should do with what it receives. */
  let respond: (socket: net.Socket, data: Buffer) => void = () => {};

  beforeAll(async () => {
    server = net.createServer((socket) => {
      peers.add(socket);
      socket.on('data', (data) => respond(socket, data));
      socket.on('close', () => peers.delete(socket));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of peers) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  afterEach(() => {
    vi.useRealTimers();
    respond = () => {};
  });

  const connect = (cache: MigrateSocketCache, portText = String(port)): Promise<MigrateConnection | null> =>
    cache.use('127.0.0.1', portText, (target) => target.connect(1000));

  /** Resolves once the server side has `count` connections open. */
  async function peersOpen(count: number): Promise<void> {
    while (peers.size !== count) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  it('keeps one connection per host:port text, and at most 64', async () => {
    const cache = new MigrateSocketCache();
    try {
      const first = await connect(cache);
      expect(first).not.toBeNull();
      expect(await connect(cache)).toBe(first);
      // "0<port>" is the same port to the resolver but another entry, as in Redis.
      const other = await connect(cache, `0${port}`);
      expect(other).not.toBe(first);
      expect(cache.size).toBe(2);
      for (let i = 2; i <= 64; i++) await connect(cache, `${'0'.repeat(i)}${port}`);
      expect(cache.size).toBe(64);
      await peersOpen(64);
    } finally {
      cache.closeAll();
    }
    await peersOpen(0);
  });

  it('closes a connection unused for more than 10 seconds, once a second', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const cache = new MigrateSocketCache();
    try {
      await connect(cache);
      await peersOpen(1);
      vi.advanceTimersByTime(10_000);
      expect(cache.size).toBe(1);
      await connect(cache);
      vi.advanceTimersByTime(10_000);
      expect(cache.size).toBe(1);
      vi.advanceTimersByTime(2_000);
      expect(cache.size).toBe(0);
      await peersOpen(0);
    } finally {
      cache.closeAll();
    }
  });

  it('leaves a connection alone while a MIGRATE is using it', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const cache = new MigrateSocketCache();
    let release = (): void => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    try {
      const using = cache.use('127.0.0.1', String(port), async (target) => {
        await target.connect(1000);
        await held;
      });
      while (cache.size !== 1) await new Promise((resolve) => setTimeout(resolve, 5));
      vi.advanceTimersByTime(20_000);
      expect(cache.size).toBe(1);
      release();
      await using;
      vi.advanceTimersByTime(1_000);
      expect(cache.size).toBe(0);
    } finally {
      cache.closeAll();
    }
  });

  it('reads reply lines as connSyncReadLine does: \\r dropped, 1023 bytes at most, an empty line a failed read', async () => {
    const cache = new MigrateSocketCache();
    try {
      const connection = (await connect(cache)) as MigrateConnection;
      respond = (socket) => socket.write(`+OK\r\n-ERR bad\r\nplain\n${'x'.repeat(1030)}\r\n`);
      const first = await connection.exchange(Buffer.from('PING\r\n'), 5, 1000);
      expect(first).toEqual({ lines: ['+OK', '-ERR bad', 'plain', 'x'.repeat(1023), 'xxxxxxx'], failure: null });
      respond = (socket) => socket.write('+OK\r\n\n+OK\r\n');
      const second = await connection.exchange(Buffer.from('PING\r\n'), 3, 1000);
      expect(second).toEqual({ lines: ['+OK'], failure: { writing: false, timedOut: false } });
      // What was not read is the start of the next exchange's replies.
      respond = () => {};
      expect(await connection.exchange(Buffer.from('PING\r\n'), 1, 1000)).toEqual({ lines: ['+OK'], failure: null });
      // Nothing comes: a timeout while reading.
      expect(await connection.exchange(Buffer.from('PING\r\n'), 1, 50)).toEqual({ lines: [], failure: { writing: false, timedOut: true } });
    } finally {
      cache.closeAll();
    }
  });

  it('a closed connection fails the next exchange; a refused one is cached broken and fails while writing', async () => {
    const cache = new MigrateSocketCache();
    try {
      const connection = (await connect(cache)) as MigrateConnection;
      await peersOpen(1);
      for (const socket of peers) socket.destroy();
      const result = await connection.exchange(Buffer.from('PING\r\n'), 1, 1000);
      expect(result.lines).toEqual([]);
      expect(result.failure?.timedOut).toBe(false);
      const refusedPort = await freePort();
      const refused = (await connect(cache, String(refusedPort))) as MigrateConnection;
      expect(refused).not.toBeNull();
      expect(await refused.exchange(Buffer.from('PING\r\n'), 1, 1000)).toEqual({ lines: [], failure: { writing: true, timedOut: false } });
      // Nothing to connect to at all: no connection.
      expect(await cache.use('', String(port), (target) => target.connect(1000))).toBeNull();
      expect(await connect(cache, '-1')).toBeNull();
    } finally {
      cache.closeAll();
    }
  });
});
