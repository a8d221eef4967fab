import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Certificates made with openssl for one test file: a CA, certificates it signs, and another CA's client. */
export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A second server certificate from the same CA (CN nodis-reloaded), to swap in. */
  otherServerCert: string;
  otherServerKey: string;
  /** The server key encrypted with `encryptedKeyPass`. */
  encryptedServerKey: string;
  encryptedKeyPass: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by a CA the server does not know. */
  strangerCert: string;
  strangerKey: string;
  /** A client certificate from the CA that expired a day ago. */
  expiredCert: string;
  expiredKey: string;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function issue(dir: string, name: string, subject: string, ca: string, extensions: string, days = 2): void {
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', String(days), '-out', `${name}.crt`, '-extfile', `${name}.ext`]);
}

function authority(dir: string, name: string, subject: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-subj', subject, '-days', '2', '-out', `${name}.crt`]);
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'nodis-tls-'));
  const serverExt = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n';
  const clientExt = 'extendedKeyUsage=clientAuth\n';
  authority(dir, 'ca', '/CN=nodis test CA');
  authority(dir, 'stranger-ca', '/CN=unknown CA');
  issue(dir, 'server', '/CN=nodis-server', 'ca', serverExt);
  issue(dir, 'reloaded', '/CN=nodis-reloaded', 'ca', serverExt);
  issue(dir, 'client', '/CN=nodis-client', 'ca', clientExt);
  issue(dir, 'stranger', '/CN=stranger', 'stranger-ca', clientExt);
  // -days -1: valid until a day before it was made.
  issue(dir, 'expired', '/CN=expired', 'ca', clientExt, -1);
  const encryptedKeyPass = 'key-secret';
  openssl(dir, ['pkey', '-in', 'server.key', '-aes256', '-passout', `pass:${encryptedKeyPass}`, '-out', 'server-encrypted.key']);
  const at = (name: string): string => join(dir, name);
  return {
    dir,
    caCert: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    otherServerCert: at('reloaded.crt'),
    otherServerKey: at('reloaded.key'),
    encryptedServerKey: at('server-encrypted.key'),
    encryptedKeyPass,
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    strangerCert: at('stranger.crt'),
    strangerKey: at('stranger.key'),
    expiredCert: at('expired.crt'),
    expiredKey: at('expired.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
