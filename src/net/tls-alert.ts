import { createCipheriv, createHmac } from 'node:crypto';

/**
 * The fatal TLS alert OpenSSL sends when it refuses a client's certificate during the handshake,
 * written by us instead. Node's TLS server accepts every certificate in the handshake and reports
 * the verification afterwards (its verify callback always continues), so a client Redis refuses
 * with an alert would otherwise only see the connection close. When Node tells us the outcome,
 * the server's last handshake flight has been produced but not yet sent (Node flushes it after
 * its 'secureConnection' listeners run): the alert is then the next record the client reads, as
 * with OpenSSL.
 *
 * - TLS 1.2 and older: the server has not sent its ChangeCipherSpec, so the alert goes in the clear.
 * - TLS 1.3: the server's records are already protected with its application traffic keys; the
 *   alert is the first of them (sequence number 0), sealed with SERVER_TRAFFIC_SECRET_0.
 */

/** Alert descriptions (RFC 8446 section 6). */
export const ALERT = {
  handshakeFailure: 40,
  badCertificate: 42,
  unsupportedCertificate: 43,
  certificateRevoked: 44,
  certificateExpired: 45,
  certificateUnknown: 46,
  unknownCa: 48,
  decryptError: 51,
  certificateRequired: 116,
} as const;

/**
 * The alert OpenSSL answers a certificate that failed verification with, by Node's name of the
 * verification error (OpenSSL's X509_V_ERR_* without the prefix).
 */
export function alertForVerifyError(code: string | undefined): number {
  switch (code) {
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'CERT_CHAIN_TOO_LONG':
    case 'INVALID_CA':
    case 'PATH_LENGTH_EXCEEDED':
    case 'KEYUSAGE_NO_CERTSIGN':
      return ALERT.unknownCa;
    case 'CERT_HAS_EXPIRED':
    case 'CRL_HAS_EXPIRED':
      return ALERT.certificateExpired;
    case 'CERT_NOT_YET_VALID':
    case 'CERT_REJECTED':
    case 'CERT_UNTRUSTED':
    case 'ERROR_IN_CERT_NOT_BEFORE_FIELD':
    case 'ERROR_IN_CERT_NOT_AFTER_FIELD':
      return ALERT.badCertificate;
    case 'CERT_REVOKED':
      return ALERT.certificateRevoked;
    case 'CERT_SIGNATURE_FAILURE':
      return ALERT.decryptError;
    case 'INVALID_PURPOSE':
      return ALERT.unsupportedCertificate;
    default:
      return ALERT.certificateUnknown;
  }
}

const FATAL = 2;
const CONTENT_ALERT = 21;
const CONTENT_APPLICATION_DATA = 23;

/** The record-layer version field of a TLS 1.2-or-older record. */
const RECORD_VERSION: Record<string, number> = { TLSv1: 0x0301, 'TLSv1.1': 0x0302, 'TLSv1.2': 0x0303 };

/** TLS 1.3 suites Node offers by default: the AEAD, its key length and the HKDF hash. */
const SUITES: Record<string, { aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305'; keyLength: number; hash: 'sha256' | 'sha384' }> = {
  TLS_AES_128_GCM_SHA256: { aead: 'aes-128-gcm', keyLength: 16, hash: 'sha256' },
  TLS_AES_256_GCM_SHA384: { aead: 'aes-256-gcm', keyLength: 32, hash: 'sha384' },
  TLS_CHACHA20_POLY1305_SHA256: { aead: 'chacha20-poly1305', keyLength: 32, hash: 'sha256' },
};

/** HKDF-Expand-Label of RFC 8446 (7.1) with an empty context, for lengths up to one hash block. */
function expandLabel(hash: string, secret: Buffer, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, fullLabel.length]), fullLabel, Buffer.from([0])]);
  // HKDF-Expand's first block, T(1) = HMAC(secret, info | 0x01), is enough for key and IV lengths.
  return createHmac(hash, secret).update(Buffer.concat([info, Buffer.from([1])])).digest().subarray(0, length);
}

/**
 * The bytes of a fatal alert `description` for the client of a connection that negotiated
 * `protocol` (and, for TLS 1.3, `cipher` with the server's first application traffic secret);
 * null when it cannot be made (a TLS 1.3 suite not handled here, or no secret).
 */
export function fatalAlertRecord(description: number, protocol: string | null, cipher: string | undefined, serverTrafficSecret: Buffer | undefined): Buffer | null {
  if (protocol !== null && protocol in RECORD_VERSION) {
    const version = RECORD_VERSION[protocol] as number;
    return Buffer.from([CONTENT_ALERT, version >> 8, version & 0xff, 0, 2, FATAL, description]);
  }
  if (protocol !== 'TLSv1.3' || cipher === undefined || serverTrafficSecret === undefined) return null;
  const suite = SUITES[cipher];
  if (suite === undefined) return null;
  const key = expandLabel(suite.hash, serverTrafficSecret, 'key', suite.keyLength);
  // Sequence number 0: the nonce is the IV itself.
  const nonce = expandLabel(suite.hash, serverTrafficSecret, 'iv', 12);
  // TLSInnerPlaintext: the alert, then its real content type.
  const inner = Buffer.from([FATAL, description, CONTENT_ALERT]);
  const tagLength = 16;
  const length = inner.length + tagLength;
  const header = Buffer.from([CONTENT_APPLICATION_DATA, 0x03, 0x03, length >> 8, length & 0xff]);
  // ChaCha20-Poly1305 takes the same AEAD calls as GCM (typed as GCM for the overload).
  const cipherStream = createCipheriv(suite.aead as 'aes-128-gcm', key, nonce, { authTagLength: tagLength });
  cipherStream.setAAD(header);
  const sealed = Buffer.concat([cipherStream.update(inner), cipherStream.final()]);
  return Buffer.concat([header, sealed, cipherStream.getAuthTag()]);
}
