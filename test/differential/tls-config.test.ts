import { afterAll, describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, runBoth } from '../helpers/differential.js';
import { makeTestCertificates } from '../helpers/tls-certs.js';
import { freePort } from '../helpers/ports.js';

const hasOracle = oracleAvailable();

describe.skipIf(!hasOracle)('differential: TLS parameters while TLS is off', () => {
  const servers = differentialPair();

  it('takes any file until tls-port is set, then refuses a context that cannot be built', async () => {
    const port = String(await freePort());
    await servers.same([
      ['CONFIG', 'SET', 'tls-cert-file', '/nonexistent/cert.pem'],
      ['CONFIG', 'SET', 'tls-protocols', 'TLSv9'],
      ['CONFIG', 'SET', 'tls-port', port],
      ['CONFIG', 'GET', 'tls-port'],
      ['CONFIG', 'SET', 'tls-auth-clients', 'maybe'],
      ['CONFIG', 'SET', 'tls-auth-clients', 'OPTIONAL'],
      ['CONFIG', 'GET', 'tls-auth-clients'],
      ['CONFIG', 'SET', 'tls-session-cache-timeout', '-1'],
      ['CONFIG', 'SET', 'tls-cert-file', '', 'tls-protocols', '', 'tls-auth-clients', 'yes'],
      ['CONFIG', 'GET', 'tls-cert-file'],
    ]);
  });
});

describe.skipIf(!hasOracle)('differential: CONFIG SET of TLS parameters while TLS listens', () => {
  const certs = makeTestCertificates();
  const tlsArgs = { 'tls-cert-file': certs.serverCert, 'tls-key-file': certs.serverKey, 'tls-ca-cert-file': certs.caCert };
  let nodisTls = 0;
  let redisTls = 0;
  const servers = differentialPair({
    nodis: { ...tlsArgs, 'tls-port': 0 },
    redis: Object.entries(tlsArgs).flatMap(([name, value]) => [`--${name}`, value]),
  });
  afterAll(() => certs.remove());

  it('answers the same to good and bad certificates, keys, protocols and ports', async () => {
    [nodisTls, redisTls] = [await freePort(), await freePort()];
    const run = async (steps: string[][]): Promise<void> => {
      const [a, b] = await Promise.all([
        runBoth(servers.nodis.port, servers.nodis.port, steps.map((s) => s.map((x) => x.replace('<tls-port>', String(nodisTls))))),
        runBoth(servers.redis.port, servers.redis.port, steps.map((s) => s.map((x) => x.replace('<tls-port>', String(redisTls))))),
      ]);
      expect(a.map((r) => r.nodis)).toEqual(b.map((r) => r.redis));
    };
    await run([
      ['CONFIG', 'SET', 'tls-port', '<tls-port>'],
      ['CONFIG', 'SET', 'tls-cert-file', certs.otherServerCert],
      ['CONFIG', 'SET', 'tls-cert-file', '/nonexistent/cert.pem'],
      ['CONFIG', 'SET', 'tls-key-file', certs.caCert],
      ['CONFIG', 'SET', 'tls-protocols', 'TLSv1.2 TLSv9'],
      ['CONFIG', 'SET', 'tls-protocols', 'TLSv1.2  TLSv1.3'],
      ['CONFIG', 'SET', 'tls-protocols', 'TLSv1.3 '],
      ['CONFIG', 'SET', 'tls-protocols', ' '],
      ['CONFIG', 'SET', 'tls-protocols', 'TLSv1.1 TLSv1.3'],
      ['CONFIG', 'SET', 'tls-protocols', 'tlsv1.2 TLSv1.3'],
      ['CONFIG', 'GET', 'tls-protocols'],
      ['CONFIG', 'SET', 'tls-ciphers', 'NOSUCHCIPHER'],
      ['CONFIG', 'SET', 'tls-ca-cert-dir', certs.dir],
      ['CONFIG', 'SET', 'tls-cert-file', certs.otherServerCert, 'tls-key-file', certs.otherServerKey],
      ['CONFIG', 'SET', 'tls-key-file-pass', 'nope'],
      ['CONFIG', 'SET', 'tls-auth-clients', 'no'],
      ['CONFIG', 'SET', 'tls-ca-cert-file', '', 'tls-ca-cert-dir', ''],
      ['CONFIG', 'SET', 'tls-auth-clients', 'yes', 'tls-session-caching', 'no'],
      ['CONFIG', 'SET', 'tls-port', String(servers.redis.port)],
      ['CONFIG', 'SET', 'tls-port', '0'],
    ]);
  });
});
