import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DrawIndex } from '../../src/types/draw-index.js';
import { HashValue } from '../../src/types/hash.js';
import { SetValue } from '../../src/types/set.js';

/** A table (a Set) and its draw index, changed together as SetValue changes them. */
class Table {
  readonly keys = new Set<string>();
  index: DrawIndex | null = null;

  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.index?.added(key);
  }

  remove(key: string): void {
    if (!this.keys.delete(key)) return;
    const index = this.index;
    if (index === null) return;
    index.removed(key);
    if (index.tooBig(this.keys.size)) this.index = null;
  }

  drawn(): DrawIndex {
    return (this.index ??= new DrawIndex(this.keys));
  }

  pop(): string {
    const index = this.drawn();
    const i = index.draw();
    const key = index.keys[i] as string;
    index.takeAt(i);
    this.keys.delete(key);
    return key;
  }
}

describe('DrawIndex', () => {
  it('holds every key of its table once, whatever is added, removed, drawn and popped', () => {
    const key = fc.integer({ min: 0, max: 60 }).map((n) => `k${n}`);
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), key }),
      fc.record({ kind: fc.constant('remove' as const), key }),
      fc.record({ kind: fc.constant('draw' as const), key }),
      fc.record({ kind: fc.constant('pop' as const), key }),
      fc.record({ kind: fc.constant('compact' as const), key }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const t = new Table();
        for (const o of ops) {
          if (o.kind === 'add') t.add(o.key);
          else if (o.kind === 'remove') t.remove(o.key);
          else if (t.keys.size > 0 && o.kind === 'draw') expect(t.keys.has(t.drawn().keys[t.drawn().draw()] as string)).toBe(true);
          else if (t.keys.size > 0 && o.kind === 'pop') expect(t.keys.has(t.pop())).toBe(false);
          else if (o.kind === 'compact') {
            const keys = t.drawn().compacted();
            expect(keys.length).toBe(t.keys.size);
            expect(new Set(keys)).toEqual(t.keys);
          }
          const index = t.index;
          if (index !== null) {
            // Live keys once each; anything else is stale and counted as such.
            const live = index.keys.filter((k) => t.keys.has(k));
            expect(live.length).toBe(t.keys.size);
            expect(new Set(live).size).toBe(t.keys.size);
            expect(index.length - live.length).toBeLessThanOrEqual(Math.max(32, t.keys.size >> 1));
          }
        }
      }),
    );
  });

  it('draws uniformly with stale keys in its array, and members added back count once', () => {
    const t = new Table();
    for (let i = 0; i < 200; i++) t.add(`k${i}`);
    t.drawn();
    // 60 stale, 20 of them added back: 160 live keys.
    for (let i = 0; i < 60; i++) t.remove(`k${i}`);
    for (let i = 0; i < 20; i++) t.add(`k${i}`);
    expect(t.index).not.toBeNull();
    const counts = new Map<string, number>();
    const draws = 160_000;
    for (let k = 0; k < draws; k++) {
      const index = t.drawn();
      const key = index.keys[index.draw()] as string;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(160);
    for (const [key, n] of counts) {
      expect(t.keys.has(key)).toBe(true);
      expect(Math.abs(n - 1000), key).toBeLessThan(200);
    }
  });

  it('is dropped once its stale keys outnumber half the table, and made afresh by the next draw', () => {
    const t = new Table();
    for (let i = 0; i < 1000; i++) t.add(`k${i}`);
    t.drawn();
    for (let i = 0; i < 600; i++) t.remove(`k${i}`);
    expect(t.index).toBeNull();
    expect(t.drawn().length).toBe(400);
  });

  it('counts a key removed and added back again and again once, in a set and in a hash', () => {
    const set = new SetValue();
    const hash = new HashValue();
    for (let i = 0; i < 1000; i++) {
      set.add(`member-number-${i}`, 512);
      hash.set(`field-number-${i}`, 'v', 128, 64);
    }
    set.randomMember();
    hash.randomField();
    const cycle = (): void => {
      set.delete(`member-number-${5}`);
      set.add(`member-number-${5}`, 512);
      hash.delete(`field-number-${5}`);
      hash.set(`field-number-${5}`, 'v', 128, 64);
    };
    // The first cycles fill the tables with removed entries until V8 doubles them (and then
    // rebuilds them in place as removed entries reach half of them).
    for (let k = 0; k < 100; k++) cycle();
    const setBytes = set.bytes;
    const hashBytes = hash.bytes;
    for (let k = 0; k < 10_000; k++) cycle();
    expect(set.bytes).toBe(setBytes);
    expect(hash.bytes).toBe(hashBytes);
  });

  it('follows its bytes as it grows, goes stale and shrinks', () => {
    const t = new Table();
    for (let i = 0; i < 100; i++) t.add(`key:${i}`);
    const index = t.drawn();
    const made = index.bytes;
    for (let i = 100; i < 200; i++) t.add(`key:${i}`);
    expect(index.bytes).toBeGreaterThan(made);
    const grown = index.bytes;
    for (let i = 0; i < 40; i++) t.remove(`key:${i}`);
    // The stale Set and the stale keys' strings.
    expect(index.bytes).toBeGreaterThan(grown + 40 * 24);
    index.compacted();
    expect(index.bytes).toBe(grown);
  });
});
