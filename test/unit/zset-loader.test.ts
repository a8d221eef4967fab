import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SkipListBuilder, type SkipNode } from '../../src/types/skiplist.js';
import { ZSet, ZSetLoader } from '../../src/types/zset.js';
import { applyToBoth, compare, expectMatchesModel, listOf, type Entry } from '../helpers/sorted-model.js';

const member = fc.string({ maxLength: 4, unit: fc.constantFrom('a', 'b', 'c', '\x00', '\xff') });
const score = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(Infinity, -Infinity, 0.5, -0.5));
const entries = fc.uniqueArray(fc.tuple(member, score), { selector: (e) => e[0], maxLength: 300 });
const op = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), member, score }),
  fc.record({ kind: fc.constant('del' as const), member, score }),
  fc.record({ kind: fc.constant('rank-range' as const), member, score: fc.integer({ min: 0, max: 300 }) }),
);
const limits = { maxEntries: 0, maxValue: 64 };

describe('ZSetLoader', () => {
  it('builds from members given highest first the set inserts build, which then takes any change', () => {
    fc.assert(
      fc.property(entries, fc.array(op, { maxLength: 60 }), (given, ops) => {
        const sorted = [...given].sort(compare);
        const loader = new ZSetLoader();
        for (let i = sorted.length - 1; i >= 0; i--) {
          const [m, s] = sorted[i] as Entry;
          expect(loader.add(m, s)).toBe(true);
        }
        const zset = loader.finish();
        const model = new Map(given);
        expect(zset.encoding()).toBe('skiplist');
        expectMatchesModel(zset, model);
        // Spans of links to nothing and the header's must be right for later inserts and deletes.
        for (const o of ops) applyToBoth(zset, model, o, limits, 3);
        expectMatchesModel(zset, model);
      }),
      { numRuns: 300 },
    );
  });

  it('takes members out of order (a file not written by Redis) by inserting the rest', () => {
    fc.assert(
      fc.property(entries, fc.nat(), (given, cut) => {
        const sorted = [...given].sort(compare).reverse();
        // Highest first up to `cut`, then in any order.
        const at = given.length === 0 ? 0 : cut % (given.length + 1);
        const order = [...sorted.slice(0, at), ...given.filter((e) => !sorted.slice(0, at).includes(e))];
        const loader = new ZSetLoader();
        for (const [m, s] of order) expect(loader.add(m, s)).toBe(true);
        expectMatchesModel(loader.finish(), new Map(given));
      }),
      { numRuns: 300 },
    );
  });

  it('reports a member given twice, in order or not', () => {
    const inOrder = new ZSetLoader();
    expect(inOrder.add('b', 2)).toBe(true);
    expect(inOrder.add('b', 1)).toBe(false);
    const outOfOrder = new ZSetLoader();
    expect(outOfOrder.add('b', 2)).toBe(true);
    expect(outOfOrder.add('a', 1)).toBe(true);
    expect(outOfOrder.add('c', 3)).toBe(true);
    expect(outOfOrder.add('a', 5)).toBe(false);
  });

  it('counts the bytes inserts would count for the same nodes', () => {
    const loader = new ZSetLoader();
    const inserted = new ZSet();
    for (let i = 999; i >= 0; i--) {
      loader.add(`member:${i}`, i + 0.5);
      inserted.insertNew(`member:${i}`, i + 0.5, true);
    }
    const loaded = loader.finish();
    // Node levels are random: what differs is the nodes' own bytes, recounted alike.
    expect(loaded.bytes - loaded.recountBytes()).toBe(0);
    expect(inserted.bytes - inserted.recountBytes()).toBe(0);
    expect(listOf(loaded.zsl)).toEqual(listOf(inserted.zsl));
  });
});

describe('SkipListBuilder', () => {
  it('gives a list whose ranks and byRank agree on a hundred thousand members', () => {
    const builder = new SkipListBuilder();
    const n = 100_000;
    for (let i = n - 1; i >= 0; i--) builder.prepend(Math.floor(i / 10), `m${String(i).padStart(6, '0')}`);
    const list = builder.finish();
    expect(list.length).toBe(n);
    expect(list.bytes).toBe(list.recountBytes());
    for (let k = 0; k < 2000; k++) {
      const i = Math.floor(Math.random() * n);
      const name = `m${String(i).padStart(6, '0')}`;
      expect(list.rankOf(Math.floor(i / 10), name)).toBe(i + 1);
      expect((list.byRank(i + 1) as SkipNode).member).toBe(name);
    }
    expect(list.first?.member).toBe('m000000');
    expect(list.tail?.member).toBe(`m${String(n - 1).padStart(6, '0')}`);
  });
});
