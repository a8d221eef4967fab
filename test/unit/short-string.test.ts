import { describe, expect, it } from 'vitest';
import { SHORT_LATIN1_MAX, shortLatin1 } from '../../src/protocol/short-string.js';

describe('shortLatin1', () => {
  it('matches latin1Slice for every length and byte, at any offset', () => {
    const buf = Buffer.alloc(300);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 97 + 13) & 0xff;
    for (let n = 0; n <= SHORT_LATIN1_MAX + 4; n++) {
      for (const start of [0, 1, 7, 255]) {
        const got = n <= SHORT_LATIN1_MAX ? shortLatin1(buf, start, n) : buf.latin1Slice(start, start + n);
        expect(got).toBe(buf.latin1Slice(start, start + n));
        expect(got.length).toBe(n);
      }
    }
  });

  it('keeps NUL, CR, LF and high bytes as single chars', () => {
    const bytes = Buffer.from([0, 13, 10, 0x80, 0xff, 0x7f, 0x20, 0xc3, 0xa9]);
    expect(shortLatin1(bytes, 0, bytes.length)).toBe('\x00\r\n\x80\xff\x7f \xc3\xa9');
  });
});
