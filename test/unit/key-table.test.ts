import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyTable } from '../../src/types/key-table.js';
import { mapBytes, mapCapacityFor } from '../../src/types/heap-size.js';
import { setMaxTableEntriesForTests } from '../../src/types/table-limit.js';

afterEach(() => setMaxTableEntriesForTests());

const keyArb = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), maxLength: 2 });

type Op = { kind: 'set'; key: string; value: number } | { kind: 'delete'; key: string } | { kind: 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), key: keyArb, value: fc.integer() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
);

describe('KeyTable', () => {
  it('answers as a Map does, within one Map and past it', () => {
    for (const limit of [2, 5, 1000]) {
      setMaxTableEntriesForTests(limit);
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
          const table = new KeyTable<number>();
          const model = new Map<string, number>();
          for (const op of ops) {
            if (op.kind === 'set') {
              expect(table.set(op.key, op.value)).toBe(!model.has(op.key));
              model.set(op.key, op.value);
            } else if (op.kind === 'delete') {
              expect(table.delete(op.key)).toBe(model.delete(op.key));
            } else {
              table.clear();
              model.clear();
            }
            expect(table.size).toBe(model.size);
          }
          for (const [key, value] of model) {
            expect(table.get(key)).toBe(value);
            expect(table.has(key)).toBe(true);
          }
          for (const key of ['', 'zz', 'a', 'hh']) if (!model.has(key)) expect(table.get(key)).toBeUndefined();
          // Each key once.
          const keys = [...table.keys()];
          expect(keys.length).toBe(model.size);
          expect(new Map(table.entries())).toEqual(model);
          expect([...table.values()].sort()).toEqual([...model.values()].sort());
          expect([...table].length).toBe(model.size);
        }),
        { numRuns: 150 },
      );
    }
  });

  it('takes keys past what one Map holds', () => {
    setMaxTableEntriesForTests(1000);
    const table = new KeyTable<number>();
    for (let i = 0; i < 3500; i++) expect(table.set(`k${i}`, i)).toBe(true);
    expect(table.size).toBe(3500);
    expect(table.partCount).toBe(4);
    for (let i = 0; i < 3500; i++) expect(table.get(`k${i}`)).toBe(i);
    expect(table.set('k2500', -1)).toBe(false);
    expect(table.get('k2500')).toBe(-1);
    // Room made in the first Map is used again; the key stays where it is until deleted.
    expect(table.delete('k10')).toBe(true);
    expect(table.set('fresh', 1)).toBe(true);
    expect(table.set('k3000', 7)).toBe(false);
    expect(table.size).toBe(3500);
    expect(new Set(table.keys()).size).toBe(3500);
  });

  it('keeps an iterator valid while entries come and go: every entry there from its start to its end is seen once', () => {
    for (const limit of [3, 1000]) {
      setMaxTableEntriesForTests(limit);
      fc.assert(
        fc.property(fc.array(keyArb, { minLength: 1, maxLength: 40 }), fc.array(opArb, { maxLength: 100 }), fc.integer({ min: 1, max: 5 }), (initial, ops, stride) => {
          const table = new KeyTable<number>();
          for (const key of initial) table.set(key, 0);
          const atStart = new Set(table.keys());
          const touched = new Set<string>();
          const seen = new Map<string, number>();
          const iterator = table.keys();
          let cleared = false;
          let op = 0;
          for (;;) {
            const step = iterator.next();
            if (step.done === true) break;
            seen.set(step.value, (seen.get(step.value) ?? 0) + 1);
            for (let i = 0; i < stride && op < ops.length; i++, op++) {
              const change = ops[op] as Op;
              if (change.kind === 'clear') {
                cleared = true;
                table.clear();
              } else {
                touched.add(change.key);
                if (change.kind === 'set') table.set(change.key, change.value);
                else table.delete(change.key);
              }
            }
          }
          if (cleared) return;
          for (const key of atStart) if (!touched.has(key)) expect(seen.get(key)).toBe(1);
        }),
        { numRuns: 300 },
      );
    }
  });

  it('counts its bytes as V8 sizes its Maps, back to none when emptied, and reports each change to its account', () => {
    setMaxTableEntriesForTests(3000);
    const table = new KeyTable<number>();
    const account = { bytes: 1000 };
    table.account = account;
    expect(table.bytes).toBe(0);
    for (let i = 0; i < 5000; i++) table.set(`k${i}`, 1);
    // The first Map's growth beyond an empty one's, and a second Map of 2000 entries.
    const expected = mapBytes(mapCapacityFor(3000)) - mapBytes(mapCapacityFor(0)) + 48 + mapBytes(mapCapacityFor(2000));
    expect(table.bytes).toBe(expected);
    expect(account.bytes).toBe(1000 + expected);
    for (let i = 0; i < 4900; i++) table.delete(`k${i}`);
    expect(account.bytes).toBe(1000 + table.bytes);
    table.clear();
    expect(table.bytes).toBe(0);
    expect(account.bytes).toBe(1000);
    expect(table.size).toBe(0);
    expect(table.partCount).toBe(1);
    expect([...table.keys()]).toEqual([]);
  });
});
