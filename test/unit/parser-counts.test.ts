import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RespParser } from '../../src/protocol/parser.js';
import { ProtocolError } from '../../src/errors.js';

/** Every command the input holds, or the protocol error it ends with. */
function run(input: string, setup?: (p: RespParser) => void): Array<string[] | string> {
  const parser = new RespParser();
  setup?.(parser);
  parser.feed(Buffer.from(input, 'latin1'));
  const out: Array<string[] | string> = [];
  try {
    for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) out.push(cmd);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    out.push(err.message);
  }
  return out;
}

describe('RespParser count lines', () => {
  it('reads counts of every width the fast path takes and those it leaves to the general one', () => {
    expect(run('*1\r\n$0\r\n\r\n')).toEqual([['']]);
    expect(run('*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n')).toEqual([['GET', '0123456789']]);
    const long = 'x'.repeat(123456);
    expect(run(`*1\r\n$${long.length}\r\n${long}\r\n`)).toEqual([[long]]);
    const many = Array.from({ length: 12 }, (_, i) => String(i));
    expect(run(`*12\r\n${many.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`)).toEqual([many]);
  });

  it('rejects what Redis rejects: leading zeros, signs, junk, too long', () => {
    expect(run('*1\r\n$01\r\na\r\n')).toEqual(['invalid bulk length']);
    expect(run('*1\r\n$+1\r\na\r\n')).toEqual(['invalid bulk length']);
    expect(run('*1\r\n$1x\r\na\r\n')).toEqual(['invalid bulk length']);
    expect(run('*1\r\n$\r\na\r\n')).toEqual(['invalid bulk length']);
    expect(run('*01\r\n$1\r\na\r\n')).toEqual(['invalid multibulk length']);
    expect(run('*0\r\n*1\r\n$1\r\na\r\n')).toEqual([['a']]);
    expect(run('*-1\r\n*1\r\n$1\r\na\r\n')).toEqual([['a']]);
    expect(run('*1\r\n$2000\r\n', (p) => (p.maxBulkLen = 1000))).toEqual(['invalid bulk length']);
    expect(run('*1\r\n$1000\r\n' + 'a'.repeat(1000) + '\r\n', (p) => (p.maxBulkLen = 1000))).toEqual([['a'.repeat(1000)]]);
  });

  it('reuses the last command name only when its bytes match', () => {
    const parser = new RespParser();
    parser.feed(Buffer.from('*1\r\n$3\r\nGET\r\n*1\r\n$3\r\nGEX\r\n*1\r\n$3\r\nGET\r\n*1\r\n$4\r\nGETX\r\n*1\r\n$3\r\n\xffET\r\n', 'latin1'));
    const names: string[] = [];
    for (let c = parser.next(); c !== null; c = parser.next()) names.push(c[0] as string);
    expect(names).toEqual(['GET', 'GEX', 'GET', 'GETX', '\xffET']);
  });

  it('waits for the byte after CR before taking a count', () => {
    const parser = new RespParser();
    parser.feed(Buffer.from('*1\r', 'latin1'));
    expect(parser.next()).toBeNull();
    parser.feed(Buffer.from('\n$3\r', 'latin1'));
    expect(parser.next()).toBeNull();
    parser.feed(Buffer.from('\nabc\r\n', 'latin1'));
    expect(parser.next()).toEqual(['abc']);
  });

  it('gives argument arrays of the exact argument count for any split', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 14 }), { minLength: 1, maxLength: 5 }), fc.nat(), (cmds, seed) => {
        const bytes = Buffer.from(cmds.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('')}`).join(''), 'latin1');
        const parser = new RespParser();
        const out: string[][] = [];
        let pos = 0;
        let step = (seed % 7) + 1;
        while (pos < bytes.length) {
          parser.feed(bytes.subarray(pos, pos + step));
          pos += step;
          step = (step * 5 + 3) % 11 || 1;
          for (let c = parser.next(); c !== null; c = parser.next()) out.push(c);
        }
        expect(out).toEqual(cmds.map((c) => c.map((a) => Buffer.from(a, 'latin1').toString('latin1'))));
        for (const c of out) expect(Object.keys(c).length).toBe(c.length);
      }),
    );
  });
});
