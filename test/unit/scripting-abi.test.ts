import { describe, expect, it } from 'vitest';
import {
  ABI_ARRAY, ABI_BIG_NUMBER, ABI_BOOL, ABI_BULK, ABI_DOUBLE, ABI_ERROR, ABI_INT, ABI_MAP, ABI_NULL, ABI_SET, ABI_STATUS, ABI_VERBATIM,
  AbiWriter, NULL_MARKER, respToAbi, writeReturnedValue,
} from '../../src/scripting/abi.js';
import { ReplyWriter } from '../../src/protocol/reply.js';

/** One ABI value: type byte, u32 count or length, payload. */
function abi(type: number, n: number, payload: Buffer | string = ''): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32LE(n, 1);
  return Buffer.concat([head, typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload]);
}
const int = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(n);
  return abi(ABI_INT, 8, b);
};
const dbl = (d: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(d);
  return abi(ABI_DOUBLE, 8, b);
};
const text = (type: number, s: string): Buffer => abi(type, s.length, s);

function transcode(resp: string, markNulls = false): Buffer {
  const out = new AbiWriter();
  const src = Buffer.from(resp, 'latin1');
  expect(respToAbi(src, 0, out, markNulls)).toBe(src.length);
  return out.buf.subarray(0, out.len);
}

describe('RESP replies into the VM (redis.call)', () => {
  it('transcodes every RESP2 type', () => {
    expect(transcode('+OK\r\n')).toEqual(text(ABI_STATUS, 'OK'));
    expect(transcode('-ERR bad thing\r\n')).toEqual(text(ABI_ERROR, 'ERR bad thing'));
    expect(transcode(':42\r\n')).toEqual(int(42n));
    expect(transcode(':-7\r\n')).toEqual(int(-7n));
    expect(transcode(':9223372036854775807\r\n')).toEqual(int(9223372036854775807n));
    expect(transcode(':-9007199254740993\r\n')).toEqual(int(-9007199254740993n));
    expect(transcode('$5\r\na\r\nb\x00\r\n')).toEqual(text(ABI_BULK, 'a\r\nb\x00'));
    expect(transcode('$0\r\n\r\n')).toEqual(text(ABI_BULK, ''));
    expect(transcode('$-1\r\n')).toEqual(abi(ABI_NULL, 0));
    expect(transcode('*-1\r\n')).toEqual(abi(ABI_NULL, 0));
    expect(transcode('*2\r\n:1\r\n*1\r\n$1\r\nx\r\n')).toEqual(Buffer.concat([abi(ABI_ARRAY, 2), int(1n), abi(ABI_ARRAY, 1), text(ABI_BULK, 'x')]));
  });

  it('transcodes RESP3: null, booleans, doubles, big numbers, verbatim text, maps, sets; skips attributes', () => {
    expect(transcode('_\r\n')).toEqual(abi(ABI_NULL, 0));
    expect(transcode('_\r\n', true)).toEqual(text(ABI_BIG_NUMBER, NULL_MARKER));
    expect(transcode('#t\r\n')).toEqual(abi(ABI_BOOL, 1, Buffer.from([1])));
    expect(transcode('#f\r\n')).toEqual(abi(ABI_BOOL, 1, Buffer.from([0])));
    expect(transcode(',1.5\r\n')).toEqual(dbl(1.5));
    expect(transcode(',inf\r\n')).toEqual(dbl(Infinity));
    expect(transcode(',-inf\r\n')).toEqual(dbl(-Infinity));
    expect(transcode('(12345678901234567890\r\n')).toEqual(text(ABI_BIG_NUMBER, '12345678901234567890'));
    const verbatim = Buffer.concat([Buffer.from([3, 0, 0, 0]), Buffer.from('txthello', 'latin1')]);
    expect(transcode('=9\r\ntxt:hello\r\n')).toEqual(abi(ABI_VERBATIM, verbatim.length, verbatim));
    expect(transcode('%1\r\n$1\r\nk\r\n_\r\n')).toEqual(Buffer.concat([abi(ABI_MAP, 1), text(ABI_BULK, 'k'), abi(ABI_NULL, 0)]));
    expect(transcode('~2\r\n$1\r\na\r\n$1\r\nb\r\n')).toEqual(Buffer.concat([abi(ABI_SET, 2), text(ABI_BULK, 'a'), text(ABI_BULK, 'b')]));
    expect(transcode('|1\r\n+key\r\n+value\r\n:3\r\n')).toEqual(int(3n));
    expect(transcode('>2\r\n$1\r\na\r\n:1\r\n')).toEqual(Buffer.concat([abi(ABI_ARRAY, 2), text(ABI_BULK, 'a'), int(1n)]));
  });
});

describe("a script's returned value as the client's reply", () => {
  function reply(value: Buffer, resp: 2 | 3, scriptResp: 2 | 3 = 2, errors: string[] = []): string {
    const w = new ReplyWriter();
    w.resp = resp;
    expect(writeReturnedValue(value, 0, w, { scriptResp, onError: (m) => errors.push(m) })).toBe(value.length);
    let out = '';
    w.flush({ write: (chunk) => (out += chunk.toString('latin1')) });
    return out;
  }

  it('writes nil, numbers and strings in both protocols', () => {
    expect(reply(abi(ABI_NULL, 0), 2)).toBe('$-1\r\n');
    expect(reply(abi(ABI_NULL, 0), 3)).toBe('_\r\n');
    expect(reply(int(-3n), 2)).toBe(':-3\r\n');
    expect(reply(int(2n ** 60n), 3)).toBe(':1152921504606846976\r\n');
    expect(reply(text(ABI_BULK, 'a\x00\r\nb'), 2)).toBe('$5\r\na\x00\r\nb\r\n');
  });

  it('gives a double out of int64 range as Redis does on x86: INT64_MIN, where the VM saturates', () => {
    expect(reply(int(2n ** 63n - 1n), 2)).toBe(':-9223372036854775808\r\n');
    expect(reply(int(-(2n ** 63n)), 2)).toBe(':-9223372036854775808\r\n');
  });

  it('makes booleans follow the script protocol: 1 and null for RESP2 scripts, booleans for RESP3 ones', () => {
    const t = abi(ABI_BOOL, 1, Buffer.from([1]));
    const f = abi(ABI_BOOL, 1, Buffer.from([0]));
    expect(reply(t, 2, 2)).toBe(':1\r\n');
    expect(reply(f, 2, 2)).toBe('$-1\r\n');
    expect(reply(f, 3, 2)).toBe('_\r\n');
    expect(reply(t, 2, 3)).toBe(':1\r\n');
    expect(reply(f, 2, 3)).toBe(':0\r\n');
    expect(reply(t, 3, 3)).toBe('#t\r\n');
    expect(reply(f, 3, 3)).toBe('#f\r\n');
  });

  it('writes status and error tables as C strings: cut at a 0 byte, CR and LF made spaces (trailing ones dropped for errors)', () => {
    expect(reply(text(ABI_STATUS, 'a\r\nb\x00c'), 2)).toBe('+a  b\r\n');
    const errors: string[] = [];
    expect(reply(text(ABI_ERROR, 'MY error\r\n'), 2, 2, errors)).toBe('-MY error\r\n');
    expect(reply(text(ABI_ERROR, '\nx\ny\x00z'), 2, 2, errors)).toBe('- x y\r\n');
    expect(errors).toEqual(['MY error', ' x y']);
  });

  it('writes the RESP3 tables for RESP3 clients and their RESP2 forms for others', () => {
    expect(reply(dbl(1.5), 2)).toBe('$3\r\n1.5\r\n');
    expect(reply(dbl(1.5), 3)).toBe(',1.5\r\n');
    const map = Buffer.concat([abi(ABI_MAP, 1), text(ABI_BULK, 'k'), int(1n)]);
    expect(reply(map, 2)).toBe('*2\r\n$1\r\nk\r\n:1\r\n');
    expect(reply(map, 3)).toBe('%1\r\n$1\r\nk\r\n:1\r\n');
    const set = Buffer.concat([abi(ABI_SET, 1), text(ABI_BULK, 'm')]);
    expect(reply(set, 2)).toBe('*1\r\n$1\r\nm\r\n');
    expect(reply(set, 3)).toBe('~1\r\n$1\r\nm\r\n');
    expect(reply(text(ABI_BIG_NUMBER, '1\r\n2'), 2)).toBe('$4\r\n1  2\r\n');
    expect(reply(text(ABI_BIG_NUMBER, '123'), 3)).toBe('(123\r\n');
    const verbatim = (format: string, body: string): Buffer => {
      const payload = Buffer.concat([Buffer.from([format.length, 0, 0, 0]), Buffer.from(format + body, 'latin1')]);
      return abi(ABI_VERBATIM, payload.length, payload);
    };
    expect(reply(verbatim('markdown', 'hi'), 3)).toBe('=6\r\nmar:hi\r\n');
    expect(reply(verbatim('', 'hi'), 3)).toBe('=6\r\n   :hi\r\n');
    expect(reply(verbatim('txt', 'hi'), 2)).toBe('$2\r\nhi\r\n');
  });

  it('writes nested arrays', () => {
    const value = Buffer.concat([abi(ABI_ARRAY, 3), int(1n), abi(ABI_ARRAY, 1), text(ABI_STATUS, 'ok'), abi(ABI_NULL, 0)]);
    expect(reply(value, 2)).toBe('*3\r\n:1\r\n*1\r\n+ok\r\n$-1\r\n');
  });
});
