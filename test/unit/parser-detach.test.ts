import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RespParser } from '../../src/protocol/parser.js';
import { encodeCommand } from '../helpers/resp.js';

const argArb = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 });

/** Every complete command the parser has. */
function drain(parser: RespParser, out: string[][]): void {
  for (let argv = parser.next(); argv !== null; argv = parser.next()) out.push(argv);
}

describe('RespParser.detach', () => {
  it('keeps the bytes not yet parsed when the buffer they came in is overwritten after each read', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(argArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }),
        (commands, sizes) => {
          const stream = Buffer.concat(commands.map((args) => encodeCommand(args)));
          // One buffer reused for every read, as the server's shared read buffer is.
          const shared = Buffer.alloc(64);
          const parser = new RespParser();
          const got: string[][] = [];
          let at = 0;
          let i = 0;
          while (at < stream.length) {
            const n = Math.min(sizes[i++ % sizes.length] as number, stream.length - at);
            stream.copy(shared, 0, at, at + n);
            at += n;
            parser.feed(shared.subarray(0, n));
            drain(parser, got);
            parser.detach(shared.buffer);
            shared.fill(0x2a);
          }
          expect(got).toEqual(commands);
          expect(parser.pending).toBe(0);
        },
      ),
    );
  });

  it('copies a value kept apart after the end of a bulk (the rest of a read)', () => {
    const value = 'v'.repeat(100);
    const stream = Buffer.concat([encodeCommand(['SET', 'k', value]), encodeCommand(['GET', 'k'])]);
    const shared = Buffer.alloc(stream.length);
    const parser = new RespParser();
    const got: string[][] = [];
    // The first read ends inside the value; the second holds its end and the next command.
    const cut = 40;
    stream.copy(shared, 0, 0, cut);
    parser.feed(shared.subarray(0, cut));
    drain(parser, got);
    parser.detach(shared.buffer);
    shared.fill(0);
    stream.copy(shared, 0, cut);
    parser.feed(shared.subarray(0, stream.length - cut));
    parser.detach(shared.buffer);
    shared.fill(0);
    drain(parser, got);
    expect(got).toEqual([
      ['SET', 'k', value],
      ['GET', 'k'],
    ]);
  });
});
