import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SetValue, compareIntText } from '../../src/types/set.js';
import { isIntEncodable } from '../../src/types/value.js';

const member = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.constantFrom('9223372036854775808', '-0', '01', 'a', '', '\x00', ' 1', '1.0'),
  fc.string({ unit: 'binary-ascii', maxLength: 5 }),
);
type Op = { add: boolean; member: string };
const op: fc.Arbitrary<Op> = fc.record({ add: fc.boolean(), member });

function members(s: SetValue): string[] {
  return Array.from(s.members());
}

describe('SetValue', () => {
  it('orders integer texts numerically', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (a, b) => {
        expect(Math.sign(compareIntText(String(a), String(b)))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });

  it('behaves like a Set; an intset while all integers within the limit, sorted', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: 0, max: 30 }), (ops, maxIntset) => {
        const s = new SetValue();
        const model = new Set<string>();
        let converted = false;
        for (const o of ops) {
          if (o.add) {
            expect(s.add(o.member, maxIntset)).toBe(!model.has(o.member));
            model.add(o.member);
            if (!isIntEncodable(o.member) || model.size > maxIntset) converted = true;
          } else {
            expect(s.delete(o.member)).toBe(model.delete(o.member));
          }
          expect(s.size).toBe(model.size);
          expect(s.encoding()).toBe(converted ? 'hashtable' : 'intset');
        }
        expect(new Set(members(s))).toEqual(model);
        for (const m of model) expect(s.has(m)).toBe(true);
        expect(s.has('\x01absent')).toBe(false);
        if (!converted) expect(members(s)).toEqual([...model].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
        const copy = s.clone();
        expect(new Set(members(copy))).toEqual(model);
        if (s.size > 0) {
          const popped = s.popRandom();
          expect(model.has(popped) && !s.has(popped)).toBe(true);
          expect(copy.has(popped)).toBe(true);
        }
      }),
    );
  });

  it('is built as a table from distinct members (null if one repeats) and behaves like a Set after', () => {
    fc.assert(
      fc.property(fc.uniqueArray(member, { maxLength: 60 }), fc.array(op, { maxLength: 40 }), fc.nat(), (initial, ops, repeatAt) => {
        if (initial.length > 0) {
          const repeated = [...initial, initial[repeatAt % initial.length] as string];
          expect(SetValue.fromDistinctMembers(repeated)).toBeNull();
        }
        const s = SetValue.fromDistinctMembers([...initial]) as SetValue;
        expect(s.encoding()).toBe('hashtable');
        expect(members(s)).toEqual(initial);
        const model = new Set(initial);
        for (const o of ops) {
          if (o.add) {
            expect(s.add(o.member, 512)).toBe(!model.has(o.member));
            model.add(o.member);
          } else {
            expect(s.delete(o.member)).toBe(model.delete(o.member));
          }
        }
        expect(new Set(members(s))).toEqual(model);
        for (const m of model) expect(s.has(m)).toBe(true);
      }),
    );
  });

  it('draws and pops at random from a table (with its draw index) and an intset, keeping its size', () => {
    type DrawOp = { kind: 'add' | 'delete' | 'draw' | 'pop' | 'position'; member: string };
    const drawOp: fc.Arbitrary<DrawOp> = fc.record({ kind: fc.constantFrom('add', 'add', 'delete', 'draw', 'pop', 'position'), member });
    fc.assert(
      fc.property(fc.array(drawOp, { maxLength: 120 }), fc.integer({ min: 0, max: 20 }), (ops, maxIntset) => {
        const s = new SetValue();
        const model = new Set<string>();
        for (const o of ops) {
          if (o.kind === 'add') {
            expect(s.add(o.member, maxIntset)).toBe(!model.has(o.member));
            model.add(o.member);
          } else if (o.kind === 'delete') {
            expect(s.delete(o.member)).toBe(model.delete(o.member));
          } else if (model.size > 0 && o.kind === 'draw') {
            expect(model.has(s.randomMember())).toBe(true);
          } else if (model.size > 0 && o.kind === 'pop') {
            const popped = s.popRandom();
            expect(model.delete(popped)).toBe(true);
          } else if (o.kind === 'position') {
            expect(new Set(s.byPosition())).toEqual(model);
            expect(s.byPosition().length).toBe(model.size);
          }
          expect(s.size).toBe(model.size);
          expect(s.bytes).toBe(s.recountBytes());
        }
        expect(new Set(members(s))).toEqual(model);
        expect(members(s).length).toBe(model.size);
        expect(new Set(members(s.clone()))).toEqual(model);
        expect(s.clone().bytes).toBe(s.clone().recountBytes());
      }),
    );
  });

  it('draws every member of a large table about as often', () => {
    const s = new SetValue();
    for (let i = 0; i < 50; i++) s.add(`m${i}`, 512);
    const counts = new Map<string, number>();
    for (let k = 0; k < 50_000; k++) {
      const m = s.randomMember();
      counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    expect(counts.size).toBe(50);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(200);
  });

  it('keeps an SSCAN going over a table drawn from meanwhile', () => {
    const s = new SetValue();
    for (let i = 0; i < 1000; i++) s.add(`m${i}`, 512);
    const it = s.scanMembers();
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add(it.next().value as string);
    s.randomMember();
    s.delete('m999');
    for (let r = it.next(); !r.done; r = it.next()) seen.add(r.value);
    for (let i = 0; i < 999; i++) expect(seen.has(`m${i}`)).toBe(true);
  });

  it('chooses the encoding afresh on rebuild', () => {
    const s = new SetValue();
    for (let i = 0; i < 20; i++) s.add(String(i), 10);
    expect(s.encoding()).toBe('hashtable');
    for (let i = 0; i < 15; i++) s.delete(String(i));
    expect(s.encoding()).toBe('hashtable');
    s.rebuild(10);
    expect(s.encoding()).toBe('intset');
    expect(members(s)).toEqual(['15', '16', '17', '18', '19']);
  });

  it('scans every member present throughout, despite deletions during the scan', () => {
    const s = new SetValue();
    for (let i = 0; i < 1000; i++) s.add(`m${i}`, 512);
    const it = s.scanMembers();
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) seen.add(it.next().value as string);
    for (let i = 0; i < 1000; i += 3) s.delete(`m${i}`);
    for (let r = it.next(); !r.done; r = it.next()) seen.add(r.value);
    for (let i = 0; i < 1000; i++) if (i % 3 !== 0) expect(seen.has(`m${i}`)).toBe(true);
  });
});
