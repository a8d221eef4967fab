/**
 * A string value longer than V8's longest string (2^29-24 chars) in the RDB and AOF writers and
 * readers: never made into a JS string. RDB keeps it in one string record, read back as a
 * Buffer-backed MutableString; an AOF rewrite writes it as SET then APPEND of parts no longer
 * than a JS string, so that a loader can read each as an argument. Each case holds ~1 GB.
 */
import { describe, expect, it } from 'vitest';
import { keyPieces } from '../../src/persistence/aof/key-commands.js';
import { createDumpPayload, decodeDumpPayload } from '../../src/persistence/rdb/dump.js';
import { ByteSink } from '../../src/persistence/rdb/sink.js';
import { MAX_TEXT_LENGTH, MutableString } from '../../src/types/mutable-string.js';

/** A value of MAX_TEXT_LENGTH + 12 bytes: zeros with marks at both ends and where the AOF splits it. */
function largeValue(): MutableString {
  const length = MAX_TEXT_LENGTH + 12;
  const bytes = Buffer.alloc(length);
  bytes.write('head', 0, 'latin1');
  bytes.write('split', MAX_TEXT_LENGTH - 2, 'latin1');
  bytes.write('tail', length - 4, 'latin1');
  return MutableString.fromBuffer(bytes, length);
}

describe('a string value longer than a JS string', () => {
  it('goes through DUMP and RESTORE as its bytes, uncompressed', () => {
    const value = largeValue();
    const payload = createDumpPayload(value, { compression: false });
    const loaded = decodeDumpPayload(payload);
    expect(loaded).toBeInstanceOf(MutableString);
    const back = loaded as MutableString;
    expect(back.length).toBe(value.length);
    expect(back.view().equals(value.view())).toBe(true);
    expect(() => back.toString()).toThrow(`ERR string value longer than ${MAX_TEXT_LENGTH} bytes cannot be used by this command`);
  });

  it('is rewritten to the AOF as SET and APPEND of parts a JS string holds', () => {
    const value = largeValue();
    const bytes = value.view();
    const expected: Buffer[] = [
      Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${MAX_TEXT_LENGTH}\r\n`, 'latin1'),
      bytes.subarray(0, MAX_TEXT_LENGTH),
      Buffer.from('\r\n*3\r\n$6\r\nAPPEND\r\n$1\r\nk\r\n$12\r\n', 'latin1'),
      bytes.subarray(MAX_TEXT_LENGTH),
      Buffer.from('\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$4\r\n1234\r\n', 'latin1'),
    ];
    // The output is compared piece by piece as it is taken away, against the expected parts.
    let part = 0;
    let at = 0;
    const check = (chunk: Buffer): void => {
      let p = 0;
      while (p < chunk.length) {
        const want = expected[part] as Buffer;
        const n = Math.min(want.length - at, chunk.length - p);
        if (!chunk.subarray(p, p + n).equals(want.subarray(at, at + n))) throw new Error(`mismatch in part ${part} at ${at}`);
        p += n;
        at += n;
        if (at === want.length) {
          part++;
          at = 0;
        }
      }
    };
    const out = new ByteSink();
    const pieces = keyPieces(out, 'k', value, 1234);
    let count = 0;
    for (;;) {
      const done = pieces.next().done === true;
      check(out.take());
      count++;
      if (done) break;
    }
    expect(part).toBe(expected.length);
    expect(count).toBeGreaterThan(1);
  });
});
