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

  it('holds a million similar keys in the table it was made with, without an overflow', () => {
    const set = new KeySet(1_000_000);
    for (let i = 0; i < 1_000_000; i++) expect(set.addNew(`key:${i}`)).toBe(true);
    expect(set.size).toBe(1_000_000);
    const inner = set as unknown as { overflow: Set<string> | null; chunks: unknown[] };
    expect(inner.overflow).toBeNull();
    // 2^21 slots: half full at most, in 32 chunks, each counted as it was made (the walks of a
    // BGSAVE and an AOF rewrite look at the clock after each).
    expect(inner.chunks.length).toBe(32);
    expect(set.chunksAllocated).toBe(32);
    const small = new KeySet(10);
    small.add('a');
    small.add('b');
    expect(small.chunksAllocated).toBe(1);
    expect((small as unknown as { chunks: unknown[][] }).chunks[0]).toHaveLength(1024);
    for (let i = 0; i < 1_000_000; i += 997) expect(set.has(`key:${i}`)).toBe(true);
    expect(set.has('key:1000000')).toBe(false);
    // Keys that differ only in the middle of a long name, and strings equal to held ones but
    // made apart, are found too.
    const long = new KeySet(100_000);
    for (let i = 0; i < 100_000; i++) long.add(`${'p'.repeat(20)}${i}${'s'.repeat(60)}`);
    for (let i = 0; i < 100_000; i += 101) expect(long.addNew(`${'p'.repeat(20)}${String(i)}${'s'.repeat(60)}`)).toBe(false);
  });

  it('takes keys beyond what it was made for into its overflow, and still finds every one', () => {
    const set = new KeySet(10);
    const model = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const s = `k${(i * 7919) % 3000}`;
      expect(set.addNew(s)).toBe(!model.has(s));
      model.add(s);
    }
    expect(set.size).toBe(model.size);
    expect((set as unknown as { overflow: Set<string> | null }).overflow?.size).toBeGreaterThan(0);
    for (const s of model) expect(set.has(s)).toBe(true);
    expect(set.has('k3000')).toBe(false);
  });
});
