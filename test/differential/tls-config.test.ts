import { describe, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
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
