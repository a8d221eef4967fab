import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeySet } from '../../src/util/key-set.js';

describe('KeySet', () => {
  it('behaves as a Set of strings, whatever its number of shards', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(fc.tuple(fc.constantFrom('add', 'addNew', 'has'), fc.oneof(fc.string({ maxLength: 8 }), fc.string({ minLength: 60, maxLength: 120 })))),
        (expected, ops) => {
          const set = new KeySet(expected);
          const model = new Set<string>();
          for (const [op, s] of ops) {
            if (op === 'add') {
              set.add(s);
              model.add(s);
            } else if (op === 'addNew') {
              expect(set.addNew(s)).toBe(!model.has(s));
              model.add(s);
            } else {
              expect(set.has(s)).toBe(model.has(s));
            }
          }
          expect(set.size).toBe(model.size);
          set.clear();
          expect(set.size).toBe(0);
          for (const s of model) expect(set.has(s)).toBe(false);
        },
      ),
    );
  });

  it('spreads a million similar keys over its shards evenly enough that none grows large', () => {
    const set = new KeySet(1_000_000);
    for (let i = 0; i < 1_000_000; i++) set.add(`key:${i}`);
    expect(set.size).toBe(1_000_000);
    const shards = (set as unknown as { shards: Set<string>[] }).shards;
    expect(shards.length).toBe(256);
    // 3906 on average.
    expect(Math.max(...shards.map((s) => s.size))).toBeLessThan(5000);
    // Keys that differ only in the middle of a long name are spread too.
    const long = new KeySet(100_000);
    for (let i = 0; i < 100_000; i++) long.add(`${'p'.repeat(20)}${i}${'s'.repeat(60)}`);
    const longShards = (long as unknown as { shards: Set<string>[] }).shards;
    expect(Math.max(...longShards.map((s) => s.size))).toBeLessThan(100_000 / longShards.length * 2);
  });
});
