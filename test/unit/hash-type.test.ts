import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HashValue } from '../../src/types/hash.js';
import { packItems } from '../../src/types/packed.js';

type Op = { kind: 'set'; field: string; value: string } | { kind: 'del'; field: string };

const field = fc.oneof(fc.constantFrom('a', 'b', 'c', '', '\x00', '\xff'), fc.string({ unit: 'binary-ascii', maxLength: 6 }));
const value = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 8 }), fc.constant('x'.repeat(70)));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), field, value }),
  fc.record({ kind: fc.constant('del' as const), field }),
);

function contents(h: HashValue): Map<string, string> {
  const m = new Map<string, string>();
  h.forEachPair((f, v) => m.set(f, v));
  expect(m.size).toBe(h.size);
  expect(new Map(Array.from(h.pairs(), ([f, v]) => [f, v]))).toEqual(m);
  return m;
}

describe('HashValue', () => {
  it('behaves like a Map, and its encoding follows the listpack limits', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 64 }), (ops, maxEntries, maxValue) => {
        const h = new HashValue();
        const model = new Map<string, string>();
        let converted = false;
        for (const o of ops) {
          if (o.kind === 'set') {
            const isNew = !model.has(o.field);
            expect(h.set(o.field, o.value, maxEntries, maxValue)).toBe(isNew);
            model.set(o.field, o.value);
            if (o.field.length > maxValue || o.value.length > maxValue || model.size > maxEntries) converted = true;
          } else {
            expect(h.delete(o.field)).toBe(model.delete(o.field));
          }
          expect(h.size).toBe(model.size);
          expect(h.encoding()).toBe(converted ? 'hashtable' : 'listpack');
        }
        expect(contents(h)).toEqual(model);
        for (const [f, v] of model) {
          expect(h.get(f)).toBe(v);
          expect(h.has(f)).toBe(true);
        }
        if (!converted) expect([...contents(h).keys()]).toEqual([...model.keys()]);
        const copy = h.clone();
        expect(contents(copy)).toEqual(model);
        copy.set('\x01new', '1', maxEntries, maxValue);
        expect(h.has('\x01new')).toBe(model.has('\x01new'));
      }),
    );
  });

  it('is built as a table from distinct fields (null if one repeats) and behaves like a Map after', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(field, value), { maxLength: 60, selector: ([f]) => f }), fc.array(op, { maxLength: 40 }), fc.nat(), (initial, ops, repeatAt) => {
        const fields = initial.map(([f]) => f);
        const values = initial.map(([, v]) => v);
        if (initial.length > 0) {
          expect(HashValue.fromDistinctFields([...fields, fields[repeatAt % fields.length] as string], [...values, 'again'])).toBeNull();
        }
        const h = HashValue.fromDistinctFields([...fields], [...values]) as HashValue;
        expect(h.encoding()).toBe('hashtable');
        const model = new Map(initial);
        expect(contents(h)).toEqual(model);
        for (const o of ops) {
          if (o.kind === 'set') {
            expect(h.set(o.field, o.value, 128, 64)).toBe(!model.has(o.field));
            model.set(o.field, o.value);
          } else {
            expect(h.delete(o.field)).toBe(model.delete(o.field));
          }
        }
        expect(contents(h)).toEqual(model);
        for (const [f, v] of model) expect(h.get(f)).toBe(v);
      }),
    );
  });

  it('draws at random and by position from a table (with its draw index) and a packed hash, keeping its size', () => {
    type DrawOp = Op | { kind: 'draw'; at: number };
    const drawOp: fc.Arbitrary<DrawOp> = fc.oneof(op, fc.record({ kind: fc.constant('draw' as const), at: fc.nat() }));
    fc.assert(
      fc.property(fc.array(drawOp, { maxLength: 120 }), fc.integer({ min: 0, max: 20 }), (ops, maxEntries) => {
        const h = new HashValue();
        const model = new Map<string, string>();
        for (const o of ops) {
          if (o.kind === 'set') {
            expect(h.set(o.field, o.value, maxEntries, 64)).toBe(!model.has(o.field));
            model.set(o.field, o.value);
          } else if (o.kind === 'del') {
            expect(h.delete(o.field)).toBe(model.delete(o.field));
          } else if (model.size > 0) {
            const i = o.at % model.size;
            expect(model.get(h.fieldAt(i))).toBe(h.valueAt(i));
            expect(model.has(h.fieldAt(i))).toBe(true);
            expect(model.has(h.randomField())).toBe(true);
          }
          expect(h.size).toBe(model.size);
          expect(h.bytes).toBe(h.recountBytes());
        }
        expect(contents(h)).toEqual(model);
        const copy = h.clone();
        expect(contents(copy)).toEqual(model);
        expect(copy.bytes).toBe(copy.recountBytes());
      }),
    );
  });

  it('is made from a packed string, refusing a repeated field among few or many', () => {
    for (const n of [1, 5, 16, 17, 100]) {
      const pairs = Array.from({ length: n }, (_, i) => [`field:${i}`, `v${i}`]).flat();
      const hash = HashValue.fromPacked(packItems(n, pairs)) as HashValue;
      expect(hash.encoding()).toBe('listpack');
      expect(hash.size).toBe(n);
      expect(hash.bytes).toBe(hash.recountBytes());
      expect(contents(hash)).toEqual(new Map(Array.from({ length: n }, (_, i) => [`field:${i}`, `v${i}`])));
      const repeated = [...pairs, `field:${n - 1}`, 'again'];
      expect(HashValue.fromPacked(packItems(n + 1, repeated))).toBeNull();
      // A value equal to a field is no repeat.
      expect(HashValue.fromPacked(packItems(n + 1, [...pairs, 'other', 'field:0']))).not.toBeNull();
    }
  });

  it('keeps an HSCAN going over a table drawn from meanwhile', () => {
    const h = new HashValue();
    for (let i = 0; i < 1000; i++) h.set(`f${i}`, `v${i}`, 128, 64);
    const it = h.scanFields();
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add(it.next().value as string);
    h.fieldAt(5);
    h.delete('f999');
    for (let r = it.next(); !r.done; r = it.next()) seen.add(r.value);
    for (let i = 0; i < 999; i++) expect(seen.has(`f${i}`)).toBe(true);
  });

  it('scans every field present throughout, despite deletions during the scan', () => {
    const h = new HashValue();
    for (let i = 0; i < 1000; i++) h.set(`f${i}`, `v${i}`, 0, 64);
    const it = h.scanFields();
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) seen.add(it.next().value as string);
    for (let i = 0; i < 1000; i += 3) h.delete(`f${i}`);
    for (let r = it.next(); !r.done; r = it.next()) seen.add(r.value);
    for (let i = 0; i < 1000; i++) if (i % 3 !== 0) expect(seen.has(`f${i}`)).toBe(true);
    expect(h.size).toBe(666);
    expect(contents(h).get('f1')).toBe('v1');
  });
});
