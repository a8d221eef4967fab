/**
 * nodis and a real redis-server, each listening with TLS beside its plain port, on certificates
 * made for the test (server, client and CA from makeTestCertificates): the set-up of the
 * differential TLS tests.
 */
import { startOracle, type Oracle } from './oracle.js';
import { freePort } from './ports.js';
import { startTestServer, type TestServer } from './server.js';
import { makeTestCertificates, type TestCertificates } from './tls-certs.js';

export interface TlsPair {
  certs: TestCertificates;
  nodis: TestServer;
  redis: Oracle;
  /** Each server's TLS port (`port` is its plain one). */
  tlsPorts: { nodis: number; redis: number };
  stop(): Promise<void>;
}

export async function startTlsPair(): Promise<TlsPair> {
  const certs = makeTestCertificates();
  const files = { 'tls-cert-file': certs.serverCert, 'tls-key-file': certs.serverKey, 'tls-ca-cert-file': certs.caCert };
  const tlsPorts = { nodis: await freePort(), redis: await freePort() };
  const nodis = await startTestServer({ ...files, port: await freePort(), 'tls-port': tlsPorts.nodis });
  const redis = await startOracle(['--tls-port', String(tlsPorts.redis), ...Object.entries(files).flatMap(([name, value]) => [`--${name}`, value])]);
  return {
    certs,
    nodis,
    redis,
    tlsPorts,
    async stop() {
      await nodis.stop();
      await redis.stop();
      certs.remove();
    },
  };
}
