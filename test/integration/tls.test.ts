import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/index.js';
import { freePort } from '../helpers/ports.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeTestCertificates, type TestCertificates } from '../helpers/tls-certs.js';

const hasCli = spawnSync('redis-cli', ['--version']).status === 0;
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
if ((!hasCli || !hasOpenssl) && process.env.CI) throw new Error('TLS tests need redis-cli and openssl');

/** redis-cli --tls against `port`, with the client certificate given (or none). */
function tlsCli(port: number, certs: TestCertificates, client: 'client' | 'stranger' | null, args: string[]): Promise<{ out: string; code: number | null }> {
  const auth = client === null ? [] : client === 'client' ? ['--cert', certs.clientCert, '--key', certs.clientKey] : ['--cert', certs.strangerCert, '--key', certs.strangerKey];
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['--tls', '--cacert', certs.caCert, ...auth, '-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ out: Buffer.concat(chunks).toString('latin1'), code }));
  });
}

/** One TLS handshake and PING; what came back, or the error's text. */
function tlsPing(port: number, options: tls.ConnectionOptions): Promise<{ reply: string; subject: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...options });
    let reply = '';
    let subject = '';
    socket.on('secureConnect', () => {
      subject = String(socket.getPeerCertificate().subject?.CN ?? '');
      socket.write('PING\r\n');
    });
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.endsWith('\r\n')) {
        socket.end();
        resolve({ reply, subject });
      }
    });
    socket.on('error', (err) => resolve({ reply: `error: ${err.message}`, subject }));
    socket.on('close', () => resolve({ reply: reply === '' ? 'closed' : reply, subject }));
  });
}

describe.skipIf(!hasOpenssl)('TLS', () => {
  let certs: TestCertificates;
  let server: TestServer;
  let tlsPort: number;
  let ca: Buffer;
  let clientCert: { cert: Buffer; key: Buffer };
  let strangerCert: { cert: Buffer; key: Buffer };

  beforeAll(async () => {
    certs = makeTestCertificates();
    ca = readFileSync(certs.caCert);
    clientCert = { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) };
    strangerCert = { cert: readFileSync(certs.strangerCert), key: readFileSync(certs.strangerKey) };
    // A port found free can be taken by another test before the server binds it: new ones then.
    for (let attempt = 1; ; attempt++) {
      tlsPort = await freePort();
      try {
        server = await startTestServer({
          port: await freePort(), 'tls-port': tlsPort, 'tls-cert-file': certs.serverCert, 'tls-key-file': certs.serverKey, 'tls-ca-cert-file': certs.caCert,
        });
        break;
      } catch (err) {
        if (attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err;
      }
    }
  });
  afterAll(async () => {
    await server?.stop();
    certs?.remove();
  });

  it('serves ioredis over TLS with a client certificate, beside the plain port, on one dataset', async () => {
    expect(server.running.tlsPort).toBe(tlsPort);
    const secure = new Redis({ port: tlsPort, host: '127.0.0.1', tls: { ca, ...clientCert, servername: 'localhost' }, maxRetriesPerRequest: 0 });
    try {
      await secure.set('tls:key', 'over tls');
      expect(await server.client().get('tls:key')).toBe('over tls');
      expect(await secure.ping()).toBe('PONG');
      const big = 'x'.repeat(300_000);
      await secure.set('tls:big', big);
      expect(await secure.get('tls:big')).toBe(big);
    } finally {
      secure.disconnect();
    }
  });

  it.skipIf(!hasCli)('answers redis-cli --tls, and refuses a client without a certificate or with one from another CA', async () => {
    expect(await tlsCli(tlsPort, certs, 'client', ['PING'])).toEqual({ out: 'PONG\n', code: 0 });
    expect((await tlsCli(tlsPort, certs, null, ['PING'])).out).not.toContain('PONG');
    expect((await tlsCli(tlsPort, certs, 'stranger', ['PING'])).out).not.toContain('PONG');
    // Refused with the alerts Redis (OpenSSL) sends: no certificate, or one from an unknown CA.
    expect((await tlsPing(tlsPort, { ca })).reply).toMatch(/^error: .*alert certificate required/);
    expect((await tlsPing(tlsPort, { ca, ...strangerCert })).reply).toMatch(/^error: .*alert unknown ca/);
    expect((await tlsPing(tlsPort, { ca, ...strangerCert, maxVersion: 'TLSv1.2' })).reply).toMatch(/^error: .*alert unknown ca/);
    expect((await tlsPing(tlsPort, { ca, maxVersion: 'TLSv1.2' })).reply).toMatch(/^error: .*alert handshake failure/);
    expect((await tlsPing(tlsPort, { ca, ...clientCert })).reply).toBe('+PONG\r\n');
  });

  it('tls-auth-clients optional checks a certificate only when one is sent; no takes anyone', async () => {
    const admin = server.client();
    try {
      await admin.config('SET', 'tls-auth-clients', 'optional');
      expect((await tlsPing(tlsPort, { ca })).reply).toBe('+PONG\r\n');
      expect((await tlsPing(tlsPort, { ca, ...clientCert })).reply).toBe('+PONG\r\n');
      expect((await tlsPing(tlsPort, { ca, ...strangerCert })).reply).toMatch(/^error: .*alert unknown ca/);
      await admin.config('SET', 'tls-auth-clients', 'no');
      expect((await tlsPing(tlsPort, { ca, ...strangerCert })).reply).toBe('+PONG\r\n');
    } finally {
      await admin.config('SET', 'tls-auth-clients', 'yes');
    }
    expect((await tlsPing(tlsPort, { ca })).reply).not.toContain('PONG');
  });

  it('a plain-text client on the TLS port gets nothing and does not disturb the server', async () => {
    const raw = await import('node:net');
    const reply = await new Promise<string>((resolve) => {
      const socket = raw.connect(tlsPort, '127.0.0.1', () => socket.write('PING\r\n'));
      let got = '';
      socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
      socket.on('error', () => resolve(got));
      socket.on('close', () => resolve(got));
    });
    expect(reply).not.toContain('PONG');
    expect(await server.client().ping()).toBe('PONG');
  });

  it('CONFIG SET of the certificate files reloads them without a restart; a bad one changes nothing', async () => {
    const admin = server.client();
    expect((await tlsPing(tlsPort, { ca, ...clientCert })).subject).toBe('nodis-server');
    await expect(admin.config('SET', 'tls-cert-file', '/nonexistent/cert.pem')).rejects.toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to update TLS configuration. Check server logs.",
    );
    expect(await admin.config('GET', 'tls-cert-file')).toEqual(['tls-cert-file', certs.serverCert]);
    // A certificate that does not match the key is refused as well.
    await expect(admin.config('SET', 'tls-cert-file', certs.otherServerCert)).rejects.toThrow('Unable to update TLS configuration');
    await expect(admin.config('SET', 'tls-protocols', 'TLSv9')).rejects.toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'tls-protocols') - Unable to update TLS configuration. Check server logs.",
    );
    expect(await admin.config('SET', 'tls-cert-file', certs.otherServerCert, 'tls-key-file', certs.otherServerKey)).toBe('OK');
    const after = await tlsPing(tlsPort, { ca, ...clientCert });
    expect(after).toEqual({ reply: '+PONG\r\n', subject: 'nodis-reloaded' });
    // A key with a passphrase.
    expect(await admin.config('SET', 'tls-cert-file', certs.serverCert, 'tls-key-file', certs.encryptedServerKey, 'tls-key-file-pass', certs.encryptedKeyPass)).toBe('OK');
    expect((await tlsPing(tlsPort, { ca, ...clientCert })).subject).toBe('nodis-server');
    await expect(admin.config('SET', 'tls-key-file-pass', 'wrong')).rejects.toThrow('Unable to update TLS configuration');
  });

  it('tls-protocols limits the versions a client may use', async () => {
    const admin = server.client();
    try {
      await admin.config('SET', 'tls-protocols', 'TLSv1.3');
      expect((await tlsPing(tlsPort, { ca, ...clientCert, maxVersion: 'TLSv1.2' })).reply).toMatch(/^error|closed/);
      expect((await tlsPing(tlsPort, { ca, ...clientCert, minVersion: 'TLSv1.3' })).reply).toBe('+PONG\r\n');
      await admin.config('SET', 'tls-protocols', 'tlsv1.2');
      expect((await tlsPing(tlsPort, { ca, ...clientCert, minVersion: 'TLSv1.3' })).reply).toMatch(/^error|closed/);
      expect((await tlsPing(tlsPort, { ca, ...clientCert, maxVersion: 'TLSv1.2' })).reply).toBe('+PONG\r\n');
      // Exactly the versions listed, as Redis: a gap in the list is not filled.
      await admin.config('SET', 'tls-protocols', 'TLSv1.1 TLSv1.3');
      expect((await tlsPing(tlsPort, { ca, ...clientCert, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).reply).toMatch(/^error|closed/);
      expect((await tlsPing(tlsPort, { ca, ...clientCert, minVersion: 'TLSv1.3' })).reply).toBe('+PONG\r\n');
    } finally {
      await admin.config('SET', 'tls-protocols', '');
    }
  });

  it('checks maxclients before the handshake, as Redis: the refused TLS client is dropped without a reply', async () => {
    const admin = server.client();
    const net = await import('node:net');
    const infoNumber = async (name: string): Promise<number> => {
      const match = new RegExp(`(?:^|\\n)${name}:(\\d+)`).exec(await admin.info());
      return Number(match?.[1]);
    };
    const connected = await infoNumber('connected_clients');
    const rejectedBefore = await infoNumber('rejected_connections');
    /** What a plain client is told when it connects. */
    const plainGreeting = (): Promise<string> => new Promise((resolve) => {
      const socket = net.connect(server.port, '127.0.0.1', () => socket.write('PING\r\n'));
      let got = '';
      socket.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.endsWith('\r\n')) socket.destroy();
      });
      socket.on('error', () => resolve(got));
      socket.on('close', () => resolve(got));
    });
    try {
      await admin.config('SET', 'maxclients', String(connected));
      // Redis writes nothing to a TLS connection it refuses (there are no keys yet): it just closes.
      expect((await tlsPing(tlsPort, { ca, ...clientCert })).reply).toMatch(/^error: Client network socket disconnected before secure TLS connection was established/);
      expect(await infoNumber('rejected_connections')).toBe(rejectedBefore + 1);
      // A connection still in its handshake holds a place, as Redis's client is made before the handshake.
      await admin.config('SET', 'maxclients', String(connected + 1));
      const midHandshake = net.connect(tlsPort, '127.0.0.1');
      await new Promise<void>((resolve) => midHandshake.once('connect', () => resolve()));
      // A round trip, so that the server has taken the connection in.
      await admin.ping();
      try {
        expect(await plainGreeting()).toBe('-ERR max number of clients reached\r\n');
      } finally {
        midHandshake.destroy();
      }
    } finally {
      await admin.config('SET', 'maxclients', '10000');
    }
    expect((await tlsPing(tlsPort, { ca, ...clientCert })).reply).toBe('+PONG\r\n');
  });

  it('CONFIG SET tls-port moves the TLS listener, and 0 closes it', async () => {
    const admin = server.client();
    const moved = await freePort();
    expect(await admin.config('SET', 'tls-port', String(moved))).toBe('OK');
    expect((await tlsPing(moved, { ca, ...clientCert })).reply).toBe('+PONG\r\n');
    expect(await admin.config('SET', 'tls-port', '0')).toBe('OK');
    expect((await tlsPing(moved, { ca, ...clientCert })).reply).toMatch(/^error/);
    expect(await admin.config('SET', 'tls-port', String(tlsPort))).toBe('OK');
    expect((await tlsPing(tlsPort, { ca, ...clientCert })).reply).toBe('+PONG\r\n');
  });
});

describe.skipIf(!hasOpenssl)('TLS at start-up', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeTestCertificates();
  });
  afterAll(() => certs?.remove());

  it('refuses to start when the context cannot be built, with Redis\'s message', async () => {
    const port = await freePort();
    await expect(startServer({ port: 0, save: '', 'tls-port': port, 'tls-cert-file': certs.serverCert })).rejects.toThrow('Failed to configure TLS. Check logs for more info.');
    // tls-auth-clients yes (the default) needs a CA.
    await expect(startServer({ port: 0, save: '', 'tls-port': port, 'tls-cert-file': certs.serverCert, 'tls-key-file': certs.serverKey })).rejects.toThrow('Failed to configure TLS');
  });

  it('with port 0 listens with TLS (and at unixsocket) only, and takes the CA from tls-ca-cert-dir', async () => {
    const tlsPort = await freePort();
    const unixsocket = join(certs.dir, 'tls-only.sock');
    const running = await startServer({
      port: 0, save: '', 'tls-port': tlsPort, 'tls-cert-file': certs.serverCert, 'tls-key-file': certs.serverKey, 'tls-ca-cert-dir': certs.dir, unixsocket,
    });
    try {
      expect(running.port).toBe(0);
      const client = { ca: readFileSync(certs.caCert), cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) };
      expect((await tlsPing(tlsPort, client)).reply).toBe('+PONG\r\n');
      const overUnixSocket = await new Promise<string>((resolve) => {
        const socket = connect(unixsocket, () => socket.write('PING\r\n'));
        socket.on('data', (d: Buffer) => {
          socket.destroy();
          resolve(d.toString('latin1'));
        });
        socket.on('error', (err) => resolve(`error: ${err.message}`));
      });
      expect(overUnixSocket).toBe('+PONG\r\n');
    } finally {
      await running.close();
    }
  });
});

describe.skipIf(!hasOpenssl)('TLS port in use at start-up', () => {
  it('refuses to start, naming the port and tls as Redis does', async () => {
    const certs = makeTestCertificates();
    const busy = await startTestServer();
    try {
      await expect(startServer({
        port: 0, save: '', 'tls-port': busy.port, 'tls-cert-file': certs.serverCert, 'tls-key-file': certs.serverKey, 'tls-ca-cert-file': certs.caCert,
      })).rejects.toThrow(`Failed listening on port ${busy.port} (tls), aborting: EADDRINUSE`);
    } finally {
      await busy.stop();
      certs.remove();
    }
  });
});
