import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ZSet } from '../../src/types/zset.js';
import { parseLexRange } from '../../src/commands/zsets/common.js';

const BOUNDS = ['-', '+', '[a', '(a', '[b', '(b', '[c', '(c', '[d', '(d', '[e', '[', '(bb', '[z'];
const MEMBERS = ['a', 'b', 'bb', 'c', 'd', 'e'];

function build(entries: Array<[string, number]>, compact: boolean): ZSet {
  const z = new ZSet();
  for (const [m, s] of entries) if (z.score(m) === undefined) z.insertNew(m, s);
  z.setCompact(compact);
  return z;
}

describe('sorted set lex ranges', () => {
  it('count, first and last agree with a plain filter when all scores are equal', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.constantFrom(...MEMBERS)), fc.boolean(), fc.constantFrom(...BOUNDS), fc.constantFrom(...BOUNDS),
      (members, compact, min, max) => {
        const z = build(members.map((m) => [m, 7]), compact);
        const range = parseLexRange(min, max);
        const inRange = [...members].sort().filter((m) => {
          const aboveMin = min === '-' || (min !== '+' && (min[0] === '[' ? m >= min.slice(1) : m > min.slice(1)));
          const belowMax = max === '+' || (max !== '-' && (max[0] === '[' ? m <= max.slice(1) : m < max.slice(1)));
          return aboveMin && belowMax;
        });
        expect(z.countInLexRange(range)).toBe(inRange.length);
        expect(z.firstInLexRange(range)?.member ?? null).toBe(inRange[0] ?? null);
        expect(z.lastInLexRange(range)?.member ?? null).toBe(inRange[inRange.length - 1] ?? null);
        expect(z.deleteRangeByLex(range)).toBe(inRange.length);
        expect(z.size).toBe(members.length - inRange.length);
      }));
  });

  it('never throws over members of different scores, in either form', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...MEMBERS), fc.integer({ min: 0, max: 5 }))), fc.boolean(),
      fc.constantFrom(...BOUNDS), fc.constantFrom(...BOUNDS), (entries, compact, min, max) => {
        const z = build(entries, compact);
        const range = parseLexRange(min, max);
        z.countInLexRange(range);
        z.firstInLexRange(range);
        z.lastInLexRange(range);
        z.deleteRangeByLex(range);
      }));
  });

  it('counts a listpack-like set on from its first member in range, as Redis scans one', () => {
    const z = build([['b', 1], ['a', 2], ['d', 3], ['c', 4]], true);
    expect(z.countInLexRange(parseLexRange('[b', '[b'))).toBe(2);
    expect(z.countInLexRange(parseLexRange('[a', '[c'))).toBe(2);
    expect(z.lastInLexRange(parseLexRange('[b', '[b'))).toBeNull();
  });
});
