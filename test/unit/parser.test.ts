import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RespParser, splitArgs, parseStrictInt, INLINE_MAX_SIZE } from '../../src/protocol/parser.js';
import { ProtocolError } from '../../src/errors.js';
import { encodeCommand } from '../helpers/resp.js';

function parseAll(chunks: Buffer[], parser = new RespParser()): string[][] {
  const out: string[][] = [];
  for (const chunk of chunks) {
    parser.feed(chunk);
    for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) out.push(cmd);
  }
  return out;
}

function latin1(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

function protocolError(input: string, setup?: (p: RespParser) => void): string {
  const parser = new RespParser();
  setup?.(parser);
  parser.feed(latin1(input));
  try {
    while (parser.next() !== null);
  } catch (err) {
    if (err instanceof ProtocolError) return err.message;
    throw err;
  }
  return '<no error>';
}

describe('RespParser', () => {
  it('parses multibulk commands, binary-safe', () => {
    const bytes = Buffer.concat([encodeCommand(['SET', 'k\x00\r\n', '\xff\xfe']), encodeCommand(['GET', 'k'])]);
    expect(parseAll([bytes])).toEqual([['SET', 'k\x00\r\n', '\xff\xfe'], ['GET', 'k']]);
  });

  it('parses inline commands with quotes and escapes', () => {
    expect(parseAll([latin1('SET a "b c\\x41\\n" \'d\\\'e\'\r\nPING\n')])).toEqual([
      ['SET', 'a', 'b cA\n', "d'e"],
      ['PING'],
    ]);
  });

  it('skips empty inline lines and empty multibulks', () => {
    expect(parseAll([latin1('\r\n\n*0\r\n*-1\r\nPING\r\n')])).toEqual([['PING']]);
  });

  it('gives the same commands for every split of the stream', () => {
    const commandArb = fc.array(fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (commands, cuts) => {
        const stream = Buffer.concat(commands.map((c) => encodeCommand(c)));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let last = 0;
        for (const p of points) {
          chunks.push(stream.subarray(last, p));
          last = p;
        }
        chunks.push(stream.subarray(last));
        expect(parseAll(chunks)).toEqual(commands);
      }),
      { numRuns: 300 },
    );
  });

  it('handles a byte-by-byte feed and big arguments split across many chunks', () => {
    const big = 'x'.repeat(200_000);
    const stream = Buffer.concat([encodeCommand(['SET', 'big', big]), encodeCommand(['PING'])]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 1000) chunks.push(stream.subarray(i, i + 1000));
    expect(parseAll(chunks)).toEqual([['SET', 'big', big], ['PING']]);
    const small = encodeCommand(['ECHO', 'hi']);
    expect(parseAll([...small].map((b) => Buffer.from([b])))).toEqual([['ECHO', 'hi']]);
  });

  it('parses a pipeline of thousands of commands in one read', () => {
    const stream = Buffer.concat(Array.from({ length: 5000 }, (_, i) => encodeCommand(['INCR', `k${i}`])));
    const out = parseAll([stream]);
    expect(out.length).toBe(5000);
    expect(out[4999]).toEqual(['INCR', 'k4999']);
  });

  it('answers Redis protocol errors', () => {
    expect(protocolError('*abc\r\n')).toBe('invalid multibulk length');
    expect(protocolError('*3000000000\r\n')).toBe('invalid multibulk length');
    expect(protocolError('*1\r\nfoo\r\n')).toBe("expected '$', got 'f'");
    expect(protocolError('*1\r\n$-1\r\n')).toBe('invalid bulk length');
    expect(protocolError('*1\r\n$x\r\n')).toBe('invalid bulk length');
    expect(protocolError('*1\r\n$2000\r\n', (p) => (p.maxBulkLen = 1000))).toBe('invalid bulk length');
    expect(protocolError('SET "a\r\n')).toBe('unbalanced quotes in request');
    expect(protocolError('x'.repeat(INLINE_MAX_SIZE + 10))).toBe('too big inline request');
    expect(protocolError('*' + '1'.repeat(INLINE_MAX_SIZE + 10))).toBe('too big mbulk count string');
    expect(protocolError('*1\r\n$' + '1'.repeat(INLINE_MAX_SIZE + 10))).toBe('too big bulk count string');
  });

  it('reads a count like string2ll: a value past a long long is invalid, not an empty multibulk', () => {
    expect(protocolError('*-9223372036854775809\r\n')).toBe('invalid multibulk length');
    expect(protocolError('*-9999999999999999999\r\n')).toBe('invalid multibulk length');
    expect(protocolError('*-9223372036854775808\r\nPING\r\n')).toBe('<no error>');
    expect(parseStrictInt(latin1('9223372036854775807'), 0, 19)).toBeGreaterThan(9.2e18);
    expect(parseStrictInt(latin1('9223372036854775808'), 0, 19)).toBeNaN();
    expect(parseStrictInt(latin1('-0'), 0, 2)).toBeNaN();
  });

  it('waits on a line with a 0 byte before its end, as Redis whose strchr stops there', () => {
    const inputs = ['\x00PING\r\nPING\r\n', 'PI\x00NG\r\n', '*1\x00\r\n$4\r\nPING\r\n', '*1\r\n$4\x00\r\nPING\r\n', '*1\r\n\x00\r\n'];
    // Lines that would be protocol errors without their 0 byte wait all the same.
    inputs.push('*\x00\r\n', '*x\x00\r\n', '*1\r\n$\x00\r\nPING\r\n', '*1\r\n$-\x001\r\n', '*1\r\nx\x00\r\n', '*12345678901\x00\r\n');
    for (const input of inputs) {
      const parser = new RespParser();
      parser.feed(latin1(input));
      expect(parser.next()).toBeNull();
      expect(parser.pending).toBe(input.length - (input.startsWith('*1\r\n') ? 4 : 0));
    }
    // ...until it holds more than 64 KB without a line end, like any request.
    expect(protocolError('\x00PING\r\n' + 'x'.repeat(INLINE_MAX_SIZE))).toBe('too big inline request');
    expect(protocolError('*1\x00\r\n' + 'x'.repeat(INLINE_MAX_SIZE))).toBe('too big mbulk count string');
    expect(protocolError('*1\r\n$1\x00\r\n' + 'x'.repeat(INLINE_MAX_SIZE))).toBe('too big bulk count string');
    // The same lines without the 0 byte fail at once.
    expect(protocolError('*x\r\n')).toBe('invalid multibulk length');
    expect(protocolError('*1\r\n$\r\n')).toBe('invalid bulk length');
    expect(protocolError('*1\r\nx\r\n')).toBe("expected '$', got 'x'");
    // A 0 byte after the line end, or inside a bulk, is no concern.
    expect(parseAll([latin1('PING\r\n*2\r\n$4\r\nECHO\r\n$1\r\n\x00\r\n')])).toEqual([['PING'], ['ECHO', '\x00']]);
  });

  it('limits unauthenticated clients like Redis', () => {
    const unauth = (p: RespParser) => (p.authenticated = false);
    expect(protocolError('*11\r\n', unauth)).toBe('unauthenticated multibulk length');
    expect(protocolError('*1\r\n$16385\r\n', unauth)).toBe('unauthenticated bulk length');
    expect(protocolError('*2\r\n$4\r\nAUTH\r\n$3\r\npwd\r\n', unauth)).toBe('<no error>');
  });

  it('never throws anything but ProtocolError on random bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const parser = new RespParser();
        try {
          for (const c of chunks) {
            parser.feed(Buffer.from(c));
            while (parser.next() !== null);
          }
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('RespParser: what a partly read command holds (CLIENT LIST argv-mem, client memory)', () => {
  it('counts the arguments read so far as they arrive, and starts again with the next command', () => {
    const parser = new RespParser();
    const held: Array<[number, number]> = [];
    const feed = (text: string): void => {
      parser.feed(latin1(text));
      while (parser.next() !== null);
      held.push([parser.partialArgCount, parser.partialArgBytes]);
    };
    feed('*5\r\n$4\r\nMSET\r\n$2\r\nk1');
    feed('\r\n$3\r\nabc\r\n');
    feed('$2\r\nk2\r\n');
    feed('$1\r\nv\r\n');
    feed('*3\r\n$3\r\nSET\r\n$1\r\nx\r\n');
    feed('$1\r\ny\r\n');
    // A big argument gathered in a buffer of its own counts once complete.
    feed('*2\r\n$4\r\nECHO\r\n$40000\r\n' + 'z'.repeat(20_000));
    feed('z'.repeat(19_000));
    feed('z'.repeat(1000) + '\r\n');
    expect(held).toEqual([[1, 4], [3, 9], [4, 11], [0, 0], [2, 4], [0, 0], [1, 4], [1, 4], [0, 0]]);
  });
});

describe('splitArgs (sdssplitargs)', () => {
  it('splits like Redis', () => {
    expect(splitArgs('  a  b\tc ')).toEqual(['a', 'b', 'c']);
    expect(splitArgs('"a b" \'c d\'')).toEqual(['a b', 'c d']);
    expect(splitArgs('"\\x4g"')).toEqual(['x4g']);
    expect(splitArgs('""')).toEqual(['']);
    expect(splitArgs('ab"cd"')).toEqual(['abcd']);
    expect(splitArgs('"a"b')).toBeNull();
    expect(splitArgs("'a")).toBeNull();
    expect(splitArgs('')).toEqual([]);
  });
});

describe('ReplyWriter', () => {
  it('encodes bulk strings of every header width, binary-safe', async () => {
    const { ReplyWriter } = await import('../../src/protocol/reply.js');
    const values = ['', 'a', 'x'.repeat(9), 'y'.repeat(10), 'z'.repeat(99), 'q'.repeat(100), 'w'.repeat(999), 'e'.repeat(1000), 'r'.repeat(123456), '\xc3\x00\xff\r\n'];
    const writer = new ReplyWriter();
    for (const v of values) writer.bulk(v);
    const out: Buffer[] = [];
    writer.flush({ write: (b: Buffer) => out.push(Buffer.from(b)) });
    expect(Buffer.concat(out).toString('latin1')).toBe(values.map((v) => `$${v.length}\r\n${v}\r\n`).join(''));
  });
});

describe('a big bulk argument', () => {
  it('takes memory as its bytes arrive, not the size it announces, and still shows Redis\'s figure', () => {
    const parser = new RespParser();
    const announced = 512 * 1024 * 1024 - 100;
    parser.feed(Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${announced}\r\nabc`, 'latin1'));
    expect(parser.next()).toBeNull();
    expect(parser.bigArgCapacity).toBe(announced + 2);
    expect(parser.bigArgAllocated).toBeLessThanOrEqual(64 * 1024);
    parser.feed(Buffer.alloc(3 * 1024 * 1024, 0x61));
    expect(parser.bigArgAllocated).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(parser.pending).toBe(3 + 3 * 1024 * 1024);
  });

  it('is refused, before its bytes come, when longer than a JS string can be', () => {
    const parser = new RespParser();
    parser.feed(Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${512 * 1024 * 1024}\r\nabc`, 'latin1'));
    expect(() => parser.next()).toThrow(/bulk argument longer than 536870888 bytes/);
    expect(parser.bigArgAllocated).toBe(0);
  });

  it('grows its buffer across chunks and gives the same argument as one piece', () => {
    const value = Buffer.alloc(5 * 1024 * 1024 + 17);
    for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 0xff;
    const frame = encodeCommand(['SET', 'k', value]);
    for (const size of [1000, 65536, 1024 * 1024 + 3]) {
      const parser = new RespParser();
      const chunks: Buffer[] = [];
      for (let at = 0; at < frame.length; at += size) chunks.push(frame.subarray(at, at + size));
      const commands = parseAll(chunks, parser);
      expect(commands.length).toBe(1);
      expect(commands[0]?.[2]).toBe(value.toString('latin1'));
      expect(parser.bigArgAllocated).toBe(0);
    }
  });
});
