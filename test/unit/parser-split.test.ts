import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RespParser } from '../../src/protocol/parser.js';
import { encodeCommand } from '../helpers/resp.js';

/** An argument written as redis-cli would on an inline line: double-quoted, \xHH for every unsafe byte. */
function quoteInline(arg: string): string {
  let out = '"';
  for (let i = 0; i < arg.length; i++) {
    const c = arg.charCodeAt(i);
    if (c === 34 || c === 92) out += '\\' + arg[i];
    else if (c < 32 || c > 126) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += arg[i];
  }
  return out + '"';
}

const argArb = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 30 });
const commandArb = fc.record({
  args: fc.array(argArb, { minLength: 1, maxLength: 5 }),
  inline: fc.boolean(),
  lf: fc.boolean(),
});

describe('RespParser with inline and multibulk commands mixed', () => {
  it('gives the same commands for every split of the stream', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { maxLength: 12 }), (commands, cuts) => {
        const stream = Buffer.concat(
          commands.map((c) => (c.inline ? Buffer.from(c.args.map(quoteInline).join(' ') + (c.lf ? '\n' : '\r\n'), 'latin1') : encodeCommand(c.args))),
        );
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const parser = new RespParser();
        const out: string[][] = [];
        let last = 0;
        for (const p of [...points, stream.length]) {
          parser.feed(stream.subarray(last, p));
          last = p;
          for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) out.push(cmd);
        }
        expect(out).toEqual(commands.map((c) => c.args));
        expect(parser.pending).toBe(0);
      }),
      { numRuns: 400 },
    );
  });

  it('gives the same commands when reads end inside values of every size, read at once or after later reads', () => {
    // Values around the big-argument threshold (32 KB) and small ones; a read may end anywhere,
    // and the commands may be taken after each read or only after several (a blocked client).
    const sizeArb = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 16_000, max: 17_000 }), fc.integer({ min: 32_000, max: 70_000 }));
    fc.assert(
      fc.property(
        fc.array(fc.array(sizeArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.boolean(), { maxLength: 20 }),
        (sizes, cuts, drains) => {
          const commands = sizes.map((argSizes, c) => ['SET', ...argSizes.map((n, a) => String.fromCharCode(97 + ((c + a) % 26)).repeat(n))]);
          const stream = Buffer.concat(commands.map((args) => encodeCommand(args)));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const parser = new RespParser();
          const out: string[][] = [];
          let last = 0;
          let fed = 0;
          points.push(stream.length);
          points.forEach((p, i) => {
            parser.feed(stream.subarray(last, p));
            fed += p - last;
            last = p;
            if (drains[i] === false && i < points.length - 1) return;
            for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) out.push(cmd);
            // Bytes of a command partly read are counted until read (the arguments taken are not).
            const consumed = Buffer.concat(out.map((args) => encodeCommand(args))).length;
            expect(parser.pending).toBeLessThanOrEqual(fed - consumed);
          });
          expect(out).toEqual(commands);
          expect(parser.pending).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('joins a read to the value it ends inside only up to that value, and reads the rest where it is', () => {
    const value = 'v'.repeat(16384);
    const stream = Buffer.concat(Array.from({ length: 8 }, () => encodeCommand(['SET', 'key', value])));
    const parser = new RespParser();
    // A first read ending inside the first value, then one of 64 KB.
    parser.feed(stream.subarray(0, 1000));
    expect(parser.next()).toBeNull();
    const second = stream.subarray(1000, 1000 + 65536);
    parser.feed(second);
    const held = parser as unknown as { buf: Buffer; rest: Buffer | null };
    // The value's bytes and CRLF, no more: the first read held its header and first bytes.
    expect(held.buf.length).toBe(16384 + 2);
    expect(held.rest?.buffer).toBe(second.buffer);
    const out: string[][] = [];
    for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) out.push(cmd);
    parser.feed(stream.subarray(1000 + 65536));
    for (let cmd = parser.next(); cmd !== null; cmd = parser.next()) out.push(cmd);
    expect(out).toHaveLength(8);
    expect(out.every((args) => args[2] === value)).toBe(true);
    expect(parser.pending).toBe(0);
  });
});
