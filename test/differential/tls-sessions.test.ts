/**
 * TLS ciphers and session resumption, nodis against real redis-server: tls-ciphers (TLS 1.2),
 * tls-ciphersuites (TLS 1.3), tls-prefer-server-ciphers, tls-session-caching,
 * tls-session-cache-size and tls-session-cache-timeout, seen by Node's TLS client.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, type Oracle } from '../helpers/oracle.js';
import type { TestServer } from '../helpers/server.js';
import type { TestCertificates } from '../helpers/tls-certs.js';
import { startTlsPair, type TlsPair } from '../helpers/tls-pair.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

/** The client does not offer a session ticket: the server resumes by session ID or not at all. */
const NO_TICKET = 0x4000;

interface Handshake {
  /** The PING's reply, or the error code the client got. */
  outcome: string;
  version?: string;
  cipher?: string;
  reused?: boolean;
  /** The session the server gave, to resume. */
  session?: Buffer;
  socket?: tls.TLSSocket;
}

/** A handshake and a PING; the connection is closed after, or kept open when `hold`. */
function handshake(port: number, options: tls.ConnectionOptions, hold = false): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...options });
    let reply = '';
    let session: Buffer | undefined;
    let done = false;
    const finish = (result: Handshake): void => {
      if (done) return;
      done = true;
      resolve(result);
    };
    socket.on('session', (data: Buffer) => {
      session = data;
    });
    socket.on('secureConnect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (!reply.endsWith('\r\n')) return;
      const result: Handshake = { outcome: reply, version: socket.getProtocol() ?? '', cipher: socket.getCipher().standardName, reused: socket.isSessionReused() };
      // TLS 1.3 tickets come after the handshake, with the first reply at the latest.
      setImmediate(() => {
        if (hold) result.socket = socket;
        else socket.end();
        finish({ ...result, session });
      });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ outcome: `error ${err.code ?? err.message}` }));
    socket.on('close', () => finish({ outcome: reply === '' ? 'closed' : reply }));
  });
}

/** A handshake, then another offering the first one's session: whether the server resumed it. */
async function resumed(port: number, options: tls.ConnectionOptions): Promise<string> {
  const first = await handshake(port, options);
  if (first.session === undefined) return `no session (${first.outcome})`;
  const second = await handshake(port, { ...options, session: first.session });
  return second.reused === undefined ? second.outcome : `${second.version} reused=${second.reused}`;
}

/**
 * Two connections kept open, then each one's session offered by a new connection: OpenSSL's
 * session-ID cache in Redis 7.0 only holds sessions of open connections (see README).
 */
async function resumedWhileOpen(port: number, options: tls.ConnectionOptions): Promise<string> {
  const a = await handshake(port, options, true);
  const b = await handshake(port, options, true);
  try {
    const againA = await handshake(port, { ...options, session: a.session });
    const againB = await handshake(port, { ...options, session: b.session });
    return `A reused=${againA.reused} B reused=${againB.reused}`;
  } finally {
    a.socket?.end();
    b.socket?.end();
  }
}

describe.skipIf(!hasOracle)('differential: TLS ciphers and sessions', () => {
  let certs: TestCertificates;
  let nodis: TestServer;
  let redis: Oracle;
  const ports = { nodis: 0, redis: 0 };
  let client: tls.ConnectionOptions;

  let pair: TlsPair | undefined;

  beforeAll(async () => {
    pair = await startTlsPair();
    ({ certs, nodis, redis } = pair);
    client = { ca: readFileSync(certs.caCert), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) };
    ports.nodis = pair.tlsPorts.nodis;
    ports.redis = pair.tlsPorts.redis;
  });
  afterAll(async () => {
    await pair?.stop();
  });

  /** CONFIG SET on both servers (their plain ports). */
  async function set(...pairs: string[]): Promise<void> {
    for (const port of [nodis.port, redis.port]) {
      const admin = await RawClient.connect(port);
      try {
        expect(await admin.callRaw('CONFIG', 'SET', ...pairs)).toBe('+OK\r\n');
      } finally {
        admin.close();
      }
    }
  }

  /** What `probe` gives on each server, checked to be the same, and nodis's. */
  async function same<T>(probe: (port: number) => Promise<T>): Promise<T> {
    const mine = await probe(ports.nodis);
    expect(mine).toEqual(await probe(ports.redis));
    return mine;
  }

  const chosen = (options: tls.ConnectionOptions) => async (port: number): Promise<string> => {
    const result = await handshake(port, { ...client, ...options });
    return result.version === undefined ? result.outcome : `${result.version} ${result.cipher}`;
  };

  it('tls-ciphers limits TLS 1.2 and tls-ciphersuites TLS 1.3, each leaving the other version at its default', async () => {
    try {
      await set('tls-ciphers', 'ECDHE-ECDSA-AES256-GCM-SHA384');
      expect(await same(chosen({ maxVersion: 'TLSv1.2' }))).toBe('TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384');
      expect(await same(chosen({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }))).toBe('error ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
      expect(await same(chosen({}))).toBe('TLSv1.3 TLS_AES_256_GCM_SHA384');
      await set('tls-ciphers', '', 'tls-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256');
      expect(await same(chosen({}))).toBe('TLSv1.3 TLS_CHACHA20_POLY1305_SHA256');
      expect(await same(chosen({ ciphers: 'TLS_AES_128_GCM_SHA256' }))).toBe('error ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE');
      expect(await same(chosen({ maxVersion: 'TLSv1.2' }))).toBe('TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      await set('tls-ciphers', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'tls-ciphersuites', 'TLS_AES_128_GCM_SHA256');
      expect(await same(chosen({}))).toBe('TLSv1.3 TLS_AES_128_GCM_SHA256');
      expect(await same(chosen({ maxVersion: 'TLSv1.2' }))).toBe('TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    } finally {
      await set('tls-ciphers', '', 'tls-ciphersuites', '');
    }
  });

  it('tls-prefer-server-ciphers: the server\'s order with yes, the client\'s with no, for TLS 1.2 and 1.3', async () => {
    const tls12 = { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384' } as const;
    const tls13 = { ciphers: 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256' };
    try {
      await set('tls-ciphers', 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256', 'tls-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256');
      await set('tls-prefer-server-ciphers', 'no');
      expect(await same(chosen(tls12))).toBe('TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      expect(await same(chosen(tls13))).toBe('TLSv1.3 TLS_AES_128_GCM_SHA256');
      await set('tls-prefer-server-ciphers', 'yes');
      expect(await same(chosen(tls12))).toBe('TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384');
      expect(await same(chosen(tls13))).toBe('TLSv1.3 TLS_CHACHA20_POLY1305_SHA256');
    } finally {
      await set('tls-ciphers', '', 'tls-ciphersuites', '', 'tls-prefer-server-ciphers', 'no');
    }
  });

  it('resumes sessions by ticket (TLS 1.2 and 1.3) and by session ID within tls-session-cache-size; caching no keeps no IDs', async () => {
    const ids = { ...client, maxVersion: 'TLSv1.2', secureOptions: NO_TICKET } as const;
    try {
      expect(await same((port) => resumed(port, client))).toBe('TLSv1.3 reused=true');
      expect(await same((port) => resumed(port, { ...client, maxVersion: 'TLSv1.2' }))).toBe('TLSv1.2 reused=true');
      expect(await same((port) => resumedWhileOpen(port, ids))).toBe('A reused=true B reused=true');
      // One session at most: B's pushed A's out, and resuming A (a new session) pushed B's out.
      await set('tls-session-cache-size', '1');
      expect(await same((port) => resumedWhileOpen(port, ids))).toBe('A reused=false B reused=false');
      // Tickets are kept by the client, not in the cache.
      expect(await same((port) => resumedWhileOpen(port, client))).toBe('A reused=true B reused=true');
      await set('tls-session-cache-size', '20480', 'tls-session-caching', 'no');
      expect(await same((port) => resumedWhileOpen(port, ids))).toBe('A reused=false B reused=false');
      // Tickets still resume without the cache when client certificates are not checked.
      await set('tls-auth-clients', 'no');
      expect(await same((port) => resumed(port, client))).toBe('TLSv1.3 reused=true');
      expect(await same((port) => resumed(port, { ...client, maxVersion: 'TLSv1.2' }))).toBe('TLSv1.2 reused=true');
    } finally {
      await set('tls-session-caching', 'yes', 'tls-session-cache-size', '20480', 'tls-auth-clients', 'yes');
    }
  });

  it('does not resume a session older than tls-session-cache-timeout', async () => {
    try {
      await set('tls-session-cache-timeout', '1');
      const sessions = await Promise.all([ports.nodis, ports.redis].map(async (port) => ({
        port,
        tls13: (await handshake(port, client)).session,
        tls12: (await handshake(port, { ...client, maxVersion: 'TLSv1.2' })).session,
      })));
      // Past the one second the sessions were given for (OpenSSL counts whole seconds).
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const outcomes = await Promise.all(sessions.map(async ({ port, tls13, tls12 }) => [
        (await handshake(port, { ...client, session: tls13 })).reused,
        (await handshake(port, { ...client, maxVersion: 'TLSv1.2', session: tls12 })).reused,
      ]));
      expect(outcomes).toEqual([[false, false], [false, false]]);
    } finally {
      await set('tls-session-cache-timeout', '300');
    }
  });

  it('nodis keeps a session ID after its connection closes; with caching off it resumes tickets of checked clients too', async () => {
    const ids = { ...client, maxVersion: 'TLSv1.2', secureOptions: NO_TICKET } as const;
    // Redis forgets the session when the connection closes (no TLS shutdown): reused=false there.
    expect(await resumed(ports.nodis, ids)).toBe('TLSv1.2 reused=true');
    try {
      await set('tls-session-caching', 'no');
      // Redis refuses these with an internal_error alert (OpenSSL finds no session ID context).
      expect(await resumed(ports.nodis, client)).toBe('TLSv1.3 reused=true');
      expect(await resumed(ports.nodis, { ...client, maxVersion: 'TLSv1.2' })).toBe('TLSv1.2 reused=true');
      expect(await resumed(ports.redis, client)).toBe('error ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR');
    } finally {
      await set('tls-session-caching', 'yes');
    }
  });
});
