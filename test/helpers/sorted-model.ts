import { expect } from 'vitest';
import type { SkipNode } from '../../src/types/skiplist.js';
import type { SortedView, ZSet } from '../../src/types/zset.js';

/** A sorted set's element as the tests' models hold it. */
export type Entry = [member: string, score: number];

/** Redis's order of sorted set elements: by score, then by member. */
export function compare(a: Entry, b: Entry): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** The elements of a skiplist from its first node on, following `next`. */
export function listOf(zsl: SortedView): Entry[] {
  const out: Entry[] = [];
  for (let x = zsl.first; x !== null; x = x.next) out.push([x.member, x.score]);
  return out;
}

/** The elements of a skiplist from its tail back, following `backward`. */
export function backwardsOf(zsl: SortedView): Entry[] {
  const out: Entry[] = [];
  for (let x = zsl.tail; x !== null; x = x.backward) out.push([x.member, x.score]);
  return out;
}

/**
 * A sorted set holds what the model (member → score) holds: order, links both ways, ranks both
 * ways (which read every span), scores, nodes by rank, and its byte count recounted.
 */
export function expectMatchesModel(zset: ZSet, model: Map<string, number>): void {
  const expected = [...model.entries()].sort(compare);
  expect(listOf(zset.zsl)).toEqual(expected);
  expect(backwardsOf(zset.zsl)).toEqual([...expected].reverse());
  expect(zset.size).toBe(expected.length);
  expect(zset.zsl.length).toBe(expected.length);
  expected.forEach(([m, s], i) => {
    expect(zset.rank(m, false)).toBe(i);
    expect(zset.rank(m, true)).toBe(expected.length - 1 - i);
    expect(zset.score(m)).toBe(s);
    const node = zset.nodeAt(i) as SkipNode;
    expect([node.member, node.score]).toEqual([m, s]);
  });
  expect(zset.nodeAt(expected.length)).toBeNull();
  expect(zset.nodeAt(-1)).toBeNull();
  expect(zset.bytes).toBe(zset.recountBytes());
}

/** A change the property tests make to a sorted set and to its model alike. */
export interface ModelOp {
  kind: 'add' | 'del' | 'rank-range';
  member: string;
  score: number;
}

/**
 * Applies `o` to the set and to the model: ZADD, ZREM, or the removal of `width` ranks from a
 * rank the score picks (as ZREMRANGEBYRANK does once it has clamped its range).
 */
export function applyToBoth(zset: ZSet, model: Map<string, number>, o: ModelOp, limits: { maxEntries: number; maxValue: number }, width: number): void {
  if (o.kind === 'add') {
    zset.set(o.member, o.score, limits);
    model.set(o.member, o.score === 0 ? 0 : o.score);
  } else if (o.kind === 'del') {
    expect(zset.delete(o.member)).toBe(model.delete(o.member));
  } else if (zset.size > 0) {
    const start = Math.min(Math.abs(o.score) % zset.size, zset.size - 1);
    const end = Math.min(start + width - 1, zset.size - 1);
    const inOrder = [...model.entries()].sort(compare);
    for (let i = start; i <= end; i++) model.delete((inOrder[i] as Entry)[0]);
    expect(zset.deleteRangeByRank(start, end)).toBe(end - start + 1);
  }
}
