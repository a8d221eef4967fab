import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SkipList, type LexRange, type ScoreRange, type SkipNode } from '../../src/types/skiplist.js';
import { ZSet } from '../../src/types/zset.js';
import { applyToBoth, compare, expectMatchesModel, listOf, type Entry } from '../helpers/sorted-model.js';

/** The model: a sorted array of (member, score). */
function modelOf(map: Map<string, number>): Entry[] {
  return [...map.entries()].sort(compare);
}

/** Member → score of a sorted set's member map. */
function scoresOf(zset: ZSet): Map<string, number> {
  const scores = new Map<string, number>();
  zset.forEachMember((m, score) => scores.set(m, score));
  return scores;
}

function inScore(score: number, r: ScoreRange): boolean {
  return (r.minex ? score > r.min : score >= r.min) && (r.maxex ? score < r.max : score <= r.max);
}

function inLex(member: string, r: LexRange): boolean {
  const gteMin = r.minInf !== 0 ? r.minInf < 0 : r.minex ? member > r.min : member >= r.min;
  const lteMax = r.maxInf !== 0 ? r.maxInf > 0 : r.maxex ? member < r.max : member <= r.max;
  return gteMin && lteMax;
}

const member = fc.string({ maxLength: 3, unit: fc.constantFrom('a', 'b', 'c', '\x00', '\xff') });
const score = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom(Infinity, -Infinity, 0.5, -0.5));
const op = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), member, score }),
  fc.record({ kind: fc.constant('del' as const), member, score }),
  fc.record({ kind: fc.constant('rank-range' as const), member, score: fc.integer({ min: -8, max: 8 }) }),
);
const scoreRange = fc.record({ min: score, max: score, minex: fc.boolean(), maxex: fc.boolean() });
const lexBound = fc.oneof(
  fc.record({ value: member, ex: fc.boolean(), inf: fc.constant(0 as const) }),
  fc.record({ value: fc.constant(''), ex: fc.constant(true), inf: fc.constantFrom(-1 as const, 1 as const) }),
);
const lexRange = fc.tuple(lexBound, lexBound).map(([a, b]): LexRange => ({
  min: a.value, minex: a.ex, minInf: a.inf, max: b.value, maxex: b.ex, maxInf: b.inf,
}));

describe('SkipList against a sorted array', () => {
  it('keeps order, ranks and spans through inserts, updates and deletes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const zset = new ZSet();
        const model = new Map<string, number>();
        const limits = { maxEntries: 128, maxValue: 64 };
        for (const o of ops) applyToBoth(zset, model, o, limits, 2);
        expectMatchesModel(zset, model);
      }),
      { numRuns: 300 },
    );
  });

  it('finds score and lex ranges, counts them and deletes them', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(member, score), { maxLength: 60 }), scoreRange, lexRange, (entries, sr, lr) => {
        const build = (): ZSet => {
          const z = new ZSet();
          for (const [m, s] of entries) z.set(m, s, { maxEntries: 0, maxValue: 0 });
          return z;
        };
        const zset = build();
        const model = modelOf(scoresOf(zset));
        const inS = model.filter(([, s]) => inScore(s, sr));
        const first = zset.zsl.firstInScoreRange(sr);
        const last = zset.zsl.lastInScoreRange(sr);
        expect(first === null ? null : [first.member, first.score]).toEqual(inS[0] ?? null);
        expect(last === null ? null : [last.member, last.score]).toEqual(inS[inS.length - 1] ?? null);
        expect(zset.countInScoreRange(sr)).toBe(inS.length);
        expect(zset.deleteRangeByScore(sr)).toBe(inS.length);
        expect(listOf(zset.zsl)).toEqual(model.filter(([, s]) => !inScore(s, sr)));

        // Lex ranges are meant for equal scores; the model only needs the same order.
        const lexSet = new ZSet();
        for (const [m] of entries) lexSet.set(m, 0, { maxEntries: 0, maxValue: 0 });
        const lexModel = modelOf(scoresOf(lexSet));
        const inL = lexModel.filter(([m]) => inLex(m, lr));
        const lf = lexSet.firstInLexRange(lr);
        const ll = lexSet.lastInLexRange(lr);
        expect(lf?.member ?? null).toBe(inL[0]?.[0] ?? null);
        expect(ll?.member ?? null).toBe(inL[inL.length - 1]?.[0] ?? null);
        expect(lexSet.countInLexRange(lr)).toBe(inL.length);
        expect(lexSet.deleteRangeByLex(lr)).toBe(inL.length);
        expect(listOf(lexSet.zsl)).toEqual(lexModel.filter(([m]) => !inLex(m, lr)));
        expect(lexSet.size).toBe(lexModel.length - inL.length);
      }),
      { numRuns: 300 },
    );
  });

  it('updates scores in place or by moving, and clones deeply', () => {
    const zset = new ZSet();
    const limits = { maxEntries: 128, maxValue: 64 };
    for (let i = 0; i < 100; i++) zset.set(`m${i}`, i, limits);
    zset.set('m50', 50.5, limits);
    zset.set('m10', 1000, limits);
    zset.set('m99', -1, limits);
    const copy = zset.clone();
    zset.delete('m0');
    expect(copy.size).toBe(100);
    expect(copy.rank('m99', false)).toBe(0);
    expect(copy.rank('m10', true)).toBe(0);
    expect(copy.rank('m50', false)).toBe(50);
    expect(zset.rank('m0', false)).toBe(-1);
  });

  it('reports listpack until the limits are passed, then skiplist for good', () => {
    const zset = new ZSet();
    const limits = { maxEntries: 3, maxValue: 5 };
    zset.set('a', 1, limits);
    zset.set('b', -0, limits);
    expect(Object.is(zset.score('b'), 0)).toBe(true);
    zset.set('c', 3, limits);
    expect(zset.encoding()).toBe('listpack');
    zset.set('d', 4, limits);
    expect(zset.encoding()).toBe('skiplist');
    zset.delete('d');
    expect(zset.encoding()).toBe('skiplist');
    zset.fitEncoding(limits);
    expect(zset.encoding()).toBe('listpack');
    zset.set('toolong', 1, limits);
    expect(zset.encoding()).toBe('skiplist');
  });

  it('answers rank queries on a million members', () => {
    const zset = new ZSet();
    const limits = { maxEntries: 128, maxValue: 64 };
    const n = 1_000_000;
    const name = (i: number): string => `member:${String(i).padStart(7, '0')}`;
    // Built in order (cheap on memory traffic); queries and updates then hit it at random.
    for (let i = 0; i < n; i++) zset.set(name(i), Math.floor(i / 1000), limits);
    expect(zset.size).toBe(n);
    for (let k = 0; k < 2000; k++) {
      const i = Math.floor(Math.random() * n);
      expect(zset.rank(name(i), false)).toBe(i);
      expect(zset.rank(name(i), true)).toBe(n - 1 - i);
      expect((zset.nodeAt(i) as SkipNode).member).toBe(name(i));
    }
    // Members 0..999 have score 0: move 500 of them to the end, delete the other 500.
    for (let i = 0; i < 1000; i++) {
      if (i % 2 === 0) zset.set(name(i), 1e9 + i, limits);
      else zset.delete(name(i));
    }
    expect(zset.size).toBe(n - 500);
    expect(zset.rank(name(1000), false)).toBe(0);
    expect(zset.rank(name(998), true)).toBe(0);
    expect(zset.rank(name(0), false)).toBe(n - 1000);
    expect(zset.countInScoreRange({ min: 1, max: 10, minex: false, maxex: true })).toBe(9000);
    expect(zset.deleteRangeByRank(0, 99_999)).toBe(100_000);
    expect((zset.nodeAt(0) as SkipNode).member).toBe(name(101_000));
  });
});

describe('a dropped skiplist', () => {
  it('is not kept alive by the scratch arrays its operations share', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const refs: Array<WeakRef<SkipNode>> = [];
    // Each kind of operation that fills the shared array, on a list dropped right after.
    const operations: Array<(list: SkipList) => void> = [
      (l) => l.insert(50.5, 'm50x'),
      (l) => l.delete(10, 'm10'),
      (l) => l.deleteNode(l.first as SkipNode),
      (l) => l.updateScore(20, 'm20', 20.5),
      (l) => l.deleteRangeByRank(5, 8, () => {}),
      (l) => l.deleteRangeByScore({ min: 30, max: 33, minex: false, maxex: false }, () => {}),
    ];
    for (const operate of operations) refs.push(operateAndDrop(operate));
    // A WeakRef keeps its target until the current job ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(refs.map((r) => r.deref() === undefined)).toEqual(operations.map(() => true));
  });
});

/** A list, one operation on it, and a weak reference to its first node once it is dropped. */
function operateAndDrop(operate: (list: SkipList) => void): WeakRef<SkipNode> {
  const list = new SkipList();
  for (let i = 0; i < 100; i++) list.insert(i, `m${i}`);
  operate(list);
  return new WeakRef(list.first as SkipNode);
}
