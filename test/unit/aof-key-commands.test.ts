/**
 * The commands an AOF rewrite writes for one key: the RESP bytes encodeCommand (below) gives for
 * SET / RPUSH / SADD / HMSET / ZADD (64 elements a command) and PEXPIREAT, whether written at
 * once or in pieces with the output taken away between pieces.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ITEMS_PER_COMMAND, STRING_PIECE, commandOf, isLarge, keyPieces, writeKey } from '../../src/persistence/aof/key-commands.js';
import { ByteSink } from '../../src/persistence/rdb/sink.js';
import { HashValue } from '../../src/types/hash.js';
import { List } from '../../src/types/list.js';
import { SetValue } from '../../src/types/set.js';
import type { CollectionValue, Value } from '../../src/types/value.js';
import { ZSet } from '../../src/types/zset.js';
import { formatDouble17g } from '../../src/util/format.js';

/** A command as the AOF stores it (a RESP multi-bulk array), as a latin1 string: the reference. */
function encodeCommand(argv: readonly string[]): string {
  let out = `*${argv.length}\r\n`;
  for (const arg of argv) out += `$${arg.length}\r\n${arg}\r\n`;
  return out;
}

/** What the rewrite wrote before it wrote bytes directly: the commands as strings, 64 elements each. */
function reference(key: string, value: Value, expireAt: number | undefined): string {
  const chunked = (name: string, items: string[][]): string => {
    let out = '';
    for (let i = 0; i < items.length; i += ITEMS_PER_COMMAND) out += encodeCommand([name, key, ...items.slice(i, i + ITEMS_PER_COMMAND).flat()]);
    return out;
  };
  let out: string;
  if (typeof value === 'string') out = encodeCommand(['SET', key, value]);
  else if (value instanceof List) out = chunked('RPUSH', value.toArray().map((e) => [e]));
  else if (value instanceof SetValue) out = chunked('SADD', Array.from(value.members(), (member) => [member]));
  else if (value instanceof HashValue) out = chunked('HMSET', Array.from({ length: value.size }, (_, i) => [value.fieldAt(i), value.valueAt(i)]));
  else if (value instanceof ZSet) {
    const pairs: string[][] = [];
    value.forEachMember((m, score) => pairs.push([formatDouble17g(score), m]));
    out = chunked('ZADD', pairs);
  }
  else throw new Error('unexpected type');
  return expireAt === undefined ? out : out + encodeCommand(['PEXPIREAT', key, String(expireAt)]);
}

function atOnce(key: string, value: Value, expireAt: number | undefined): string {
  const sink = new ByteSink(16);
  writeKey(sink, key, value, expireAt);
  return sink.take().toString('latin1');
}

function inPieces(key: string, value: Value, expireAt: number | undefined): { text: string; pieces: number } {
  const sink = new ByteSink(16);
  const chunks: Buffer[] = [];
  let pieces = 0;
  const it = keyPieces(sink, key, value, expireAt);
  for (;;) {
    const done = it.next().done === true;
    pieces++;
    chunks.push(sink.take());
    if (done) break;
  }
  return { text: Buffer.concat(chunks).toString('latin1'), pieces };
}

const element = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 12 });

function build(type: string, items: string[]): Value {
  switch (type) {
    case 'list':
      return List.from(items);
    case 'set': {
      const set = new SetValue();
      for (const m of items) set.add(m, 16);
      return set;
    }
    case 'hash': {
      const hash = new HashValue();
      items.forEach((f, i) => hash.set(f, `v${i}`, 16, 64));
      return hash;
    }
    default: {
      const zset = new ZSet();
      items.forEach((m, i) => zset.set(m, i % 7 === 0 ? -0.5 * i : i * 1.25, { maxEntries: 16, maxValue: 64 }));
      return zset;
    }
  }
}

describe('the commands of one key in an AOF base', () => {
  it('are what encodeCommand gives, at once and in pieces', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('list', 'set', 'hash', 'zset'),
        fc.uniqueArray(element, { minLength: 1, maxLength: 1500 }),
        fc.option(fc.integer({ min: 1, max: 2 ** 45 }), { nil: undefined }),
        element,
        (type, items, expireAt, key) => {
          const value = build(type, items);
          const expected = reference(key, value, expireAt);
          expect(atOnce(key, value, expireAt)).toBe(expected);
          const pieces = inPieces(key, value, expireAt);
          expect(pieces.text).toBe(expected);
          // Eight commands a piece, two for a sorted set.
          const perPiece = ITEMS_PER_COMMAND * (type === 'zset' ? 2 : 8);
          expect(pieces.pieces).toBe(Math.max(1, Math.ceil((value as CollectionValue).size / perPiece)));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('write a long string in stretches', () => {
    const value = 'abc\r\n\x00\xff'.repeat(30_000);
    for (const expireAt of [undefined, 1700000000123]) {
      const expected = reference('big', value, expireAt);
      expect(atOnce('big', value, expireAt)).toBe(expected);
      const pieces = inPieces('big', value, expireAt);
      expect(pieces.text).toBe(expected);
      expect(pieces.pieces).toBe(Math.ceil(value.length / STRING_PIECE));
    }
    expect(isLarge(value)).toBe(true);
    expect(isLarge('short')).toBe(false);
    expect(atOnce('k', '', undefined)).toBe(encodeCommand(['SET', 'k', '']));
  });
});

describe('one propagated command as the AOF appends it', () => {
  it('is its RESP array, for argument counts and lengths on each side of a digit more', () => {
    const sink = new ByteSink(16);
    const lengths = [0, 1, 9, 10, 11, 23, 24, 25, 99, 100, 101, 999, 1000, 1001, 12345];
    for (const length of lengths) {
      const argv = ['SET', 'k\r\n\x00\xff'.repeat(Math.ceil(length / 5)).slice(0, length), 'v'];
      sink.clear();
      commandOf(sink, argv);
      expect(sink.buf.latin1Slice(0, sink.pos)).toBe(encodeCommand(argv));
    }
    for (const count of [1, 9, 10, 11, 99, 100, 101, 1000]) {
      const argv = Array.from({ length: count }, (_, i) => String(i));
      sink.clear();
      commandOf(sink, argv);
      expect(sink.buf.latin1Slice(0, sink.pos)).toBe(encodeCommand(argv));
    }
  });
});
