/**
 * What a TLS client sees of the handshake, nodis against real redis-server: refusals of a missing
 * certificate, one from an unknown CA or an expired one come as Redis's (OpenSSL's) alerts, for TLS 1.2 and 1.3,
 * with tls-auth-clients yes and optional.
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

/** The outcome of a handshake and PING: the reply, or the error code the client got (an alert's name). */
function outcome(port: number, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...options });
    let reply = '';
    socket.on('secureConnect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.endsWith('\r\n')) {
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code ?? err.message}`));
    socket.on('close', () => resolve(reply === '' ? 'closed' : reply));
  });
}

describe.skipIf(!hasOracle)('differential: TLS client certificates', () => {
  let certs: TestCertificates;
  let nodis: TestServer;
  let redis: Oracle;
  const ports = { nodis: 0, redis: 0 };

  let pair: TlsPair | undefined;

  beforeAll(async () => {
    pair = await startTlsPair();
    ({ certs, nodis, redis } = pair);
    ports.nodis = pair.tlsPorts.nodis;
    ports.redis = pair.tlsPorts.redis;
  });
  afterAll(async () => {
    await pair?.stop();
  });

  const both = async (options: tls.ConnectionOptions): Promise<{ nodis: string; redis: string }> => ({
    nodis: await outcome(ports.nodis, options),
    redis: await outcome(ports.redis, options),
  });

  async function setAuth(mode: string): Promise<void> {
    for (const port of [nodis.port, redis.port]) {
      const client = await RawClient.connect(port);
      expect(await client.callRaw('CONFIG', 'SET', 'tls-auth-clients', mode)).toBe('+OK\r\n');
      client.close();
    }
  }

  for (const mode of ['yes', 'optional']) {
    it(`tls-auth-clients ${mode}: the same alerts and replies for TLS 1.2 and 1.3`, async () => {
      await setAuth(mode);
      const ca = readFileSync(certs.caCert);
      const client = { cert: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) };
      const stranger = { cert: readFileSync(certs.strangerCert), key: readFileSync(certs.strangerKey) };
      for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
        const none = await both({ ca, maxVersion });
        expect(none.nodis).toBe(none.redis);
        const unknownCa = await both({ ca, maxVersion, ...stranger });
        expect(unknownCa.redis).toBe('error ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
        expect(unknownCa.nodis).toBe(unknownCa.redis);
        // Each TLS 1.3 suite seals the alert with its own keys.
        if (maxVersion === 'TLSv1.3') {
          for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256']) {
            expect(await outcome(ports.nodis, { ca, ...stranger, ciphers: suite })).toBe('error ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
          }
        }
        const expired = await both({ ca, maxVersion, cert: readFileSync(certs.expiredCert), key: readFileSync(certs.expiredKey) });
        expect(expired.redis).toBe('error ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED');
        expect(expired.nodis).toBe(expired.redis);
        const trusted = await both({ ca, maxVersion, ...client });
        expect(trusted).toEqual({ nodis: '+PONG\r\n', redis: '+PONG\r\n' });
      }
    });
  }
});
