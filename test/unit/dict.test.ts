import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dict } from '../../src/types/dict.js';
import { arrayBytes } from '../../src/types/heap-size.js';

const keyArb = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), maxLength: 2 });

/** A value as the keyspace has them: a plain string, or an object (a collection). */
type Value = string | { n: number };

type Op =
  | { kind: 'set'; key: string; value: Value }
  | { kind: 'exchange'; key: string; value: string; record: number | undefined }
  | { kind: 'record'; key: string; record: number }
  | { kind: 'read'; key: string; record: number }
  | { kind: 'delete'; key: string }
  | { kind: 'clear' };

const valueArb: fc.Arbitrary<Value> = fc.oneof(fc.string({ maxLength: 3 }), fc.record({ n: fc.integer() }));
const recordArb = fc.integer({ min: 0, max: (1 << 24) - 1 });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), key: keyArb, value: valueArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('exchange' as const), key: keyArb, value: fc.string({ maxLength: 3 }), record: fc.option(recordArb, { nil: undefined }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('record' as const), key: keyArb, record: recordArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('read' as const), key: keyArb, record: recordArb }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
);

/** The model: a Map of values and a Map of the records of keys holding plain strings. */
class Model {
  values = new Map<string, Value>();
  records = new Map<string, number>();

  apply(dict: Dict<Value>, op: Op): void {
    switch (op.kind) {
      case 'set': {
        expect(dict.set(op.key, op.value)).toBe(!this.values.has(op.key));
        const old = this.values.get(op.key);
        this.values.set(op.key, op.value);
        if (typeof op.value !== 'string' || typeof old !== 'string') this.records.delete(op.key);
        break;
      }
      case 'exchange':
      {
        const old = this.values.get(op.key);
        expect(dict.exchangeString(op.key, op.value, op.record)).toBe(old);
        this.values.set(op.key, op.value);
        // Without a record of its own, it keeps the one of the plain string it replaces.
        if (op.record !== undefined) this.records.set(op.key, op.record);
        else if (typeof old !== 'string') this.records.delete(op.key);
        break;
      }
      case 'record': {
        const isString = typeof this.values.get(op.key) === 'string';
        expect(dict.setStringRecord(op.key, op.record)).toBe(isString);
        if (isString) this.records.set(op.key, op.record);
        break;
      }
      case 'read': {
        const value = this.values.get(op.key);
        expect(dict.getRecording(op.key, op.record)).toBe(value);
        if (typeof value === 'string') this.records.set(op.key, op.record);
        break;
      }
      case 'delete':
        expect(dict.delete(op.key)).toBe(this.values.delete(op.key));
        this.records.delete(op.key);
        break;
      case 'clear':
        dict.clear();
        this.values.clear();
        this.records.clear();
    }
  }
}

/** What a chunk of `slots` slots is counted as: its array of strings, its Int32Array. */
const chunkBytes = (slots: number): number => arrayBytes(slots) + 184 + 4 * slots + 16;

describe('Dict', () => {
  it('answers as a Map of values and a Map of plain strings\' records do', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
        const dict = new Dict<Value>();
        const model = new Model();
        for (const op of ops) {
          model.apply(dict, op);
          expect(dict.size).toBe(model.values.size);
          expect(dict.recordCount).toBe(model.records.size);
        }
        for (const [key, value] of model.values) {
          expect(dict.get(key)).toBe(value);
          expect(dict.has(key)).toBe(true);
          expect(dict.stringRecord(key)).toBe(model.records.get(key));
          expect(dict.hasStringRecord(key)).toBe(model.records.has(key));
        }
        for (const key of ['', 'zz', 'a', 'ff']) if (!model.values.has(key)) expect(dict.get(key)).toBeUndefined();
        expect(new Map(dict.entries())).toEqual(model.values);
        expect(new Map(dict)).toEqual(model.values);
        expect([...dict.keys()].sort()).toEqual([...model.values.keys()].sort());
        expect([...dict.values()].length).toBe(model.values.size);
      }),
      { numRuns: 300 },
    );
  });

  it('reuses freed slots, lets every chunk go when none is in use, and counts them in its account', () => {
    const account = { bytes: 0 };
    const dict = new Dict<string>();
    dict.account = account;
    const base = dict.bytes;
    for (let i = 0; i < 3000; i++) dict.exchangeString(`k${i}`, `v${i}`, i);
    expect(dict.recordCount).toBe(3000);
    const full = dict.bytes;
    // The first chunk, doubled from 64 slots to 4096: a JS array and an Int32Array.
    expect(full - base - dict.tableBytes).toBe(chunkBytes(4096));
    expect(account.bytes).toBe(dict.bytes);
    for (let i = 0; i < 1000; i++) dict.delete(`k${i}`);
    // The freed slots are taken again before any new chunk is made.
    const before = dict.bytes - dict.tableBytes;
    for (let i = 0; i < 1000; i++) dict.exchangeString(`n${i}`, `w${i}`, i);
    expect(dict.bytes - dict.tableBytes).toBe(before);
    for (let i = 1000; i < 3000; i++) dict.delete(`k${i}`);
    for (let i = 0; i < 1000; i++) dict.delete(`n${i}`);
    expect(dict.size).toBe(0);
    expect(dict.bytes - dict.tableBytes).toBe(0);
    expect(account.bytes).toBe(dict.bytes);
  });

  it('keeps iterating over the keys that stay while keys come and go, as a Map does', () => {
    const dict = new Dict<string>();
    for (let i = 0; i < 100; i++) dict.exchangeString(`k${i}`, `v${i}`, i);
    const seen = new Map<string, string>();
    let step = 0;
    for (const [key, value] of dict) {
      seen.set(key, value);
      // Deleting keys ahead frees their slots, which new keys take.
      if (step++ === 10) {
        for (let i = 50; i < 60; i++) dict.delete(`k${i}`);
        for (let i = 0; i < 10; i++) dict.exchangeString(`new${i}`, `x${i}`, i);
      }
    }
    for (let i = 0; i < 100; i++) {
      if (i >= 50 && i < 60) expect(seen.has(`k${i}`)).toBe(false);
      else expect(seen.get(`k${i}`)).toBe(`v${i}`);
    }
  });
  it('takes more chunks of 64K slots past the first, and keeps every value and record through its growth', () => {
    const dict = new Dict<string>();
    const n = 140_000;
    for (let i = 0; i < n; i++) dict.exchangeString(`k${i}`, `v${i}`, i);
    expect(dict.bytes - dict.tableBytes).toBe(3 * chunkBytes(65536));
    for (let i = 0; i < n; i += 997) {
      expect(dict.get(`k${i}`)).toBe(`v${i}`);
      expect(dict.stringRecord(`k${i}`)).toBe(i);
    }
    for (let i = 0; i < n; i++) dict.delete(`k${i}`);
    expect(dict.bytes - dict.tableBytes).toBe(0);
  });
});
