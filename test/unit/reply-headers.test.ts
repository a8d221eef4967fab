import { describe, expect, it } from 'vitest';
import { ReplyWriter } from '../../src/protocol/reply.js';

function encode(write: (w: ReplyWriter) => void, resp: 2 | 3 = 2): string {
  const w = new ReplyWriter();
  w.resp = resp;
  const chunks: Buffer[] = [];
  write(w);
  w.flush({ write: (b: Buffer) => chunks.push(Buffer.from(b)) });
  return Buffer.concat(chunks).toString('latin1');
}

describe('ReplyWriter headers and integers', () => {
  it('writes every digit count exactly, up to the largest safe integer', () => {
    const values = [0, 1, 2, 9, 12345, 2 ** 31, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER, -1, -5, -1e15];
    for (let k = 1; k <= 15; k++) values.push(10 ** k - 1, 10 ** k, 10 ** k + 1);
    for (const v of values) {
      expect(encode((w) => w.integer(v))).toBe(`:${v}\r\n`);
      if (v >= 0) expect(encode((w) => w.arrayHeader(v))).toBe(`*${v}\r\n`);
    }
    expect(encode((w) => w.integer(1n << 70n))).toBe(`:${1n << 70n}\r\n`);
    expect(encode((w) => w.integer(-(1n << 63n)))).toBe(`:${-(1n << 63n)}\r\n`);
  });

  it('writes RESP3 aggregate headers and their RESP2 forms', () => {
    const all = (w: ReplyWriter): void => {
      w.mapHeader(12);
      w.setHeader(0);
      w.pushHeader(1234567);
      w.ok();
      w.nullBulk();
    };
    expect(encode(all, 3)).toBe('%12\r\n~0\r\n>1234567\r\n+OK\r\n_\r\n');
    expect(encode(all, 2)).toBe('*24\r\n*0\r\n*1234567\r\n+OK\r\n$-1\r\n');
  });

  it('writes nothing while disabled', () => {
    expect(encode((w) => {
      w.enabled = false;
      w.integer(42);
      w.arrayHeader(3);
      w.ok();
    })).toBe('');
  });
});
