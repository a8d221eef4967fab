import { describe, expect, it } from 'vitest';
import { openSslReason } from '../../src/net/tls.js';

describe("a failed TLS handshake's reason, as Redis logs it", () => {
  it("takes OpenSSL's code, library and reason out of Node's message", () => {
    const nodeMessage =
      '80AC21408F7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n';
    expect(openSslReason(new Error(nodeMessage))).toBe('error:0A00010B:SSL routines::wrong version number');
  });

  it("calls a peer gone before the end of the handshake OpenSSL's unexpected EOF", () => {
    const hangUp = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(openSslReason(hangUp)).toBe('error:0A000126:SSL routines::unexpected eof while reading');
    expect(openSslReason(new Error('something else'))).toBe('something else');
  });
});
