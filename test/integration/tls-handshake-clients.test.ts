/**
 * The life of a TLS connection's client, made when the handshake starts (as Redis makes it at
 * accept): the same client goes on once the handshake is done, and goes when it fails, with
 * Redis's warning unless the server closed the connection itself.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-certs.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!hasOpenssl && process.env.CI) throw new Error('TLS tests need openssl');

/** Waits for `condition` (checked every 20 ms, for 10 s at most); fails saying `what` when it never holds. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!hasOpenssl)('TLS clients in their handshake', () => {
  let certs: TestCertificates;
  let server: TestServer;
  let tlsPort: number;
  let admin: RawClient;
  const warnings: string[] = [];
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    certs = makeTestCertificates();
    // A port found free can be taken by another test before the server binds it: new ones then.
    for (let attempt = 1; ; attempt++) {
      tlsPort = await freePort();
      try {
        server = await startTestServer({
          port: await freePort(), bind: '127.0.0.1 127.0.0.2', 'tls-port': tlsPort,
          'tls-cert-file': certs.serverCert, 'tls-key-file': certs.serverKey, 'tls-ca-cert-file': certs.caCert,
        });
        break;
      } catch (err) {
        if (attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err;
      }
    }
    const log = server.running.server.log as unknown as Record<'warn', (...args: unknown[]) => void>;
    const original = log.warn.bind(log);
    log.warn = (...args: unknown[]) => {
      warnings.push(String(args[args.length - 1]));
      original(...args);
    };
    admin = await server.raw();
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await server?.stop();
    certs?.remove();
  });

  /** The ids of the server's clients connected from local port `port`. */
  const clientsFrom = (port: number | undefined): number[] =>
    [...server.running.server.clients.values()].filter((c) => c.addr.endsWith(`:${port}`)).map((c) => c.id);

  async function connectTcp(to = '127.0.0.1'): Promise<net.Socket> {
    const socket = net.connect({ port: tlsPort, host: to, localAddress: to });
    sockets.push(socket);
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    await until(() => clientsFrom(socket.localPort).length === 1, 'the connection to have its client');
    return socket;
  }

  function handshake(socket: net.Socket, identity: 'client' | 'stranger'): tls.TLSSocket {
    const files = identity === 'client' ? { cert: certs.clientCert, key: certs.clientKey } : { cert: certs.strangerCert, key: certs.strangerKey };
    const secured = tls.connect({ socket, ca: readFileSync(certs.caCert), servername: 'localhost', cert: readFileSync(files.cert), key: readFileSync(files.key) });
    secured.on('error', () => {});
    return secured;
  }

  const warnedSince = (mark: number): string[] => warnings.slice(mark).filter((w) => w.startsWith('Error accepting a client connection'));

  it('a completed handshake keeps the client it had, with its id', async () => {
    const socket = await connectTcp();
    const [id] = clientsFrom(socket.localPort);
    const before = server.running.server.clients.get(id as number);
    const received = server.running.server.stats.totalConnectionsReceived;
    const secured = handshake(socket, 'client');
    await new Promise<void>((resolve) => secured.once('secureConnect', () => resolve()));
    secured.write('CLIENT ID\r\n');
    const reply = await new Promise<string>((resolve) => secured.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
    expect(reply).toBe(`:${id}\r\n`);
    expect(server.running.server.clients.get(id as number)).toBe(before);
    expect(clientsFrom(socket.localPort)).toEqual([id]);
    // Counted as a connection received once the handshake is done, not before.
    expect(server.running.server.stats.totalConnectionsReceived).toBe(received + 1);
    secured.destroy();
    await until(() => clientsFrom(socket.localPort).length === 0, 'the closed client to go');
  });

  it('a failed handshake frees its client and is logged as Redis logs it', async () => {
    const mark = warnings.length;
    const garbage = await connectTcp();
    garbage.write('PING\r\n');
    await until(() => clientsFrom(garbage.localPort).length === 0, 'the client of the garbage to go');

    const leaving = await connectTcp();
    leaving.end();
    await until(() => clientsFrom(leaving.localPort).length === 0, 'the client of the peer gone to go');

    const stranger = await connectTcp();
    handshake(stranger, 'stranger');
    await until(() => clientsFrom(stranger.localPort).length === 0, 'the refused client to go');

    await until(() => warnedSince(mark).length === 3, 'three warnings');
    expect(warnedSince(mark)).toEqual([
      'Error accepting a client connection: error:0A00010B:SSL routines::wrong version number',
      'Error accepting a client connection: error:0A000126:SSL routines::unexpected eof while reading',
      'Error accepting a client connection: error:0A000086:SSL routines::certificate verify failed',
    ]);
    expect(server.running.server.clients.size).toBe(1);
  });

  it('CLIENT KILL and timeout close it without a warning', async () => {
    const mark = warnings.length;
    const killed = await connectTcp();
    const [id] = clientsFrom(killed.localPort);
    const ended = new Promise<void>((resolve) => killed.once('close', () => resolve()));
    expect(await admin.call('CLIENT', 'KILL', 'ID', String(id))).toBe(1);
    await ended;

    expect(await admin.call('CONFIG', 'SET', 'timeout', '1')).toBe('OK');
    try {
      const idle = await connectTcp();
      await new Promise<void>((resolve) => idle.once('close', () => resolve()));
      expect(clientsFrom(idle.localPort)).toEqual([]);
    } finally {
      // The admin connection may have timed out meanwhile: a new one sets timeout back.
      const again = await RawClient.connect(server.port);
      await again.call('CONFIG', 'SET', 'timeout', '0');
      again.close();
      admin = await server.raw();
    }
    // A round trip, so that Node has reported the closed handshakes.
    await admin.call('PING');
    expect(warnedSince(mark)).toEqual([]);
  });

  it('protected mode is checked once the handshake is done: the client goes, counted as rejected', async () => {
    const stats = server.running.server.stats;
    const rejected = stats.rejectedConnections;
    const received = stats.totalConnectionsReceived;
    // From 127.0.0.2, a peer that is not local, with no password set.
    const socket = await connectTcp('127.0.0.2');
    const secured = handshake(socket, 'client');
    let reply = '';
    secured.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    await new Promise<void>((resolve) => secured.once('close', () => resolve()));
    expect(reply).toMatch(/^-DENIED Redis is running in protected mode/);
    expect(clientsFrom(socket.localPort)).toEqual([]);
    expect(stats.rejectedConnections).toBe(rejected + 1);
    expect(stats.totalConnectionsReceived).toBe(received);
  });
});
