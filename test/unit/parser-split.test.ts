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
});
