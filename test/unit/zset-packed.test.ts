import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ZSet } from '../../src/types/zset.js';
import { objectBytes, stringBytes } from '../../src/types/heap-size.js';

const LIMITS = { maxEntries: 8, maxValue: 16 };
type Entry = [string, number];

function inOrder(model: Map<string, number>): Entry[] {
  return [...model].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

function entriesOf(zset: ZSet): Entry[] {
  const out: Entry[] = [];
  for (let x = zset.zsl.first; x !== null; x = x.next) out.push([x.member, x.score]);
  return out;
}

describe('packed sorted sets', () => {
  it('keep a small set in one string: 5 members of the accounting dataset in 104 bytes', () => {
    const zset = new ZSet();
    for (const [score, member] of [[1, 'a1234567'], [2.5, 'b'], [3, 'c'], [1234567, 'd'], [-1, 'e']] as const) zset.set(member, score, { maxEntries: 128, maxValue: 64 });
    expect(zset.encoding()).toBe('listpack');
    // 1 count + 5 × (1 + member) + 5 × (1 + score text): 1 + 17 + 21 chars.
    expect(zset.bytes).toBe(objectBytes(3) + stringBytes(39));
    expect(zset.bytes).toBe(zset.recountBytes());
    expect(entriesOf(zset)).toEqual([['e', -1], ['a1234567', 1], ['b', 2.5], ['c', 3], ['d', 1234567]]);
  });

  it('behave as the model under any changes, turning into a skiplist past the limits and counting their bytes', () => {
    const member = fc.oneof(fc.constantFrom('a', 'b', 'c', 'dd', 'e'), fc.string({ maxLength: 20 }), fc.constant('x'.repeat(200)));
    const score = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true }), fc.constantFrom(0.1, 1e-7, 1e21, -0, Infinity, -Infinity));
    const op = fc.oneof(
      fc.tuple(fc.constant('set' as const), member, score),
      fc.tuple(fc.constant('delete' as const), member, score),
      fc.tuple(fc.constant('rank' as const), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10 })),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const zset = new ZSet();
      const model = new Map<string, number>();
      let converted = false;
      for (const [kind, a, b] of ops) {
        if (kind === 'set') {
          const m = a as string;
          const isNew = !model.has(m);
          if (isNew && zset.compact && (model.size + 1 > LIMITS.maxEntries || m.length > LIMITS.maxValue)) converted = true;
          // A packed set keeps -0 as 0 (a listpack's text score).
          const stored = !converted && b === 0 ? 0 : (b as number);
          if (isNew || model.get(m) !== b) model.set(m, isNew || model.get(m) !== stored ? stored : (model.get(m) as number));
          expect(zset.set(m, b as number, LIMITS)).toBe(isNew);
        } else if (kind === 'delete') {
          expect(zset.delete(a as string)).toBe(model.delete(a as string));
        } else {
          const size = zset.size;
          const start = Math.min(a as number, b as number);
          const end = Math.min(Math.max(a as number, b as number), size - 1);
          if (start <= end) {
            const order = inOrder(model);
            for (let i = start; i <= end; i++) model.delete((order[i] as Entry)[0]);
            expect(zset.deleteRangeByRank(start, end)).toBe(end - start + 1);
          }
        }
        expect(zset.encoding()).toBe(converted ? 'skiplist' : 'listpack');
        expect(zset.bytes).toBe(zset.recountBytes());
      }
      const expected = inOrder(model);
      expect(entriesOf(zset).map(([m, s]) => [m, Object.is(s, -0) ? 0 : s])).toEqual(expected.map(([m, s]) => [m, Object.is(s, -0) ? 0 : s]));
      expected.forEach(([m, s], i) => {
        expect(zset.score(m)).toBe(s);
        expect(zset.rank(m, false)).toBe(i);
      });
      const copy = zset.clone();
      expect(entriesOf(copy)).toEqual(entriesOf(zset));
      expect(copy.bytes).toBe(copy.recountBytes());
    }), { numRuns: 300 });
  });
});

describe('a sorted set tells its account of every change', () => {
  it('the account follows `bytes` through the conversion to a skiplist and after it', () => {
    const zset = new ZSet();
    const account = { bytes: zset.bytes };
    zset.account = account;
    const limits = { maxEntries: 128, maxValue: 64 };
    for (let i = 0; i < 400; i++) {
      zset.set(i % 2 === 0 ? String(i / 4) : `member:${i}`, i, limits);
      expect(account.bytes, `after member ${i} (${zset.encoding()})`).toBe(zset.bytes);
    }
    for (let i = 0; i < 400; i += 3) zset.delete(i % 2 === 0 ? String(i / 4) : `member:${i}`);
    expect(account.bytes).toBe(zset.bytes);
    expect(zset.bytes).toBe(zset.recountBytes());
  });
});
