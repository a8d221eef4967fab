import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { List, listMaxListpackSize, setListMaxListpackSize } from '../../src/types/list.js';
import { createDumpPayload, decodeDumpPayload } from '../../src/persistence/rdb/dump.js';

type Op =
  | { op: 'pushLeft' | 'pushRight'; value: string }
  | { op: 'popLeft' | 'popRight' }
  | { op: 'set' | 'insert'; at: number; value: string }
  | { op: 'removeAt'; at: number }
  | { op: 'removeLeft' | 'removeRight'; n: number }
  | { op: 'removeValue'; value: string; limit: number }
  | { op: 'pushMany'; count: number };

// Few distinct values, so that LREM-style removals find many matches.
const value = fc.constantFrom('a', 'b', 'c', '', '\x00\xff');

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('pushLeft' as const, 'pushRight' as const), value }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('popLeft' as const, 'popRight' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('set' as const, 'insert' as const), at: fc.nat(), value }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('removeAt' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('removeLeft' as const, 'removeRight' as const), n: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('removeValue' as const), value, limit: fc.integer({ min: -4, max: 4 }) }) },
  // Bursts large enough to grow the buffer well past the size at which it starts to shrink.
  { weight: 1, arbitrary: fc.record({ op: fc.constant('pushMany' as const), count: fc.integer({ min: 100, max: 3000 }) }) },
);

/** Applies an op to the list and to a plain array model; returns what both answered. */
function apply(list: List, model: string[], o: Op): [unknown, unknown] {
  switch (o.op) {
    case 'pushLeft':
      list.pushLeft(o.value);
      model.unshift(o.value);
      return [list.size, model.length];
    case 'pushRight':
      list.pushRight(o.value);
      model.push(o.value);
      return [list.size, model.length];
    case 'pushMany':
      for (let i = 0; i < o.count; i++) {
        const v = i % 3 === 0 ? 'a' : `v${i}`;
        if (i % 2 === 0) {
          list.pushRight(v);
          model.push(v);
        } else {
          list.pushLeft(v);
          model.unshift(v);
        }
      }
      return [list.size, model.length];
    case 'popLeft':
      return [list.popLeft(), model.shift()];
    case 'popRight':
      return [list.popRight(), model.pop()];
    case 'set': {
      if (model.length === 0) return [0, 0];
      const at = o.at % model.length;
      list.set(at, o.value);
      model[at] = o.value;
      return [list.get(at), model[at]];
    }
    case 'insert': {
      const at = o.at % (model.length + 1);
      list.insert(at, o.value);
      model.splice(at, 0, o.value);
      return [list.size, model.length];
    }
    case 'removeAt': {
      if (model.length === 0) return [0, 0];
      const at = o.at % model.length;
      list.removeAt(at);
      model.splice(at, 1);
      return [list.size, model.length];
    }
    case 'removeLeft': {
      const n = o.n % (model.length + 1);
      list.removeLeft(n);
      model.splice(0, n);
      return [list.size, model.length];
    }
    case 'removeRight': {
      const n = o.n % (model.length + 1);
      list.removeRight(n);
      model.splice(model.length - n, n);
      return [list.size, model.length];
    }
    case 'removeValue':
      return [list.removeValue(o.value, o.limit), removeModel(model, o.value, o.limit)];
  }
}

/** LREM on an array: `limit` from the head (> 0), from the tail (< 0), or all (0). */
function removeModel(model: string[], v: string, limit: number): number {
  let removed = 0;
  const want = limit === 0 ? Infinity : Math.abs(limit);
  if (limit >= 0) {
    for (let i = 0; i < model.length && removed < want; ) {
      if (model[i] === v) {
        model.splice(i, 1);
        removed++;
      } else {
        i++;
      }
    }
  } else {
    for (let i = model.length - 1; i >= 0 && removed < want; i--) {
      if (model[i] === v) {
        model.splice(i, 1);
        removed++;
      }
    }
  }
  return removed;
}

/** What writeRange writes, each element as the text a reply would carry. */
function rangeOf(list: List, first: number, last: number, reverse: boolean): string[] {
  const out: string[] = [];
  list.writeRange(first, last, reverse, {
    bulk: (value) => out.push(value),
    bulkBytes: (src, start, end) => out.push(src.latin1Slice(start, end)),
    bulkInteger: (n) => out.push(String(n)),
  });
  return out;
}

/** Every range of a small list, and a sample of a large one's, both ways, as the model has them. */
function expectRangesAsModel(list: List, model: string[]): void {
  const n = model.length;
  const step = n <= 40 ? 1 : Math.ceil(n / 12);
  for (let first = 0; first < n; first += step) {
    for (let last = first; last < n; last += step) {
      const want = model.slice(first, last + 1);
      expect(rangeOf(list, first, last, false)).toEqual(want);
      expect(rangeOf(list, first, last, true)).toEqual(want.reverse());
    }
    expect(rangeOf(list, first, n - 1, false)).toEqual(model.slice(first));
  }
}

describe('List', () => {
  it('behaves like an array under any sequence of operations', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const list = new List();
        const model: string[] = [];
        for (const o of ops) {
          const [got, want] = apply(list, model, o);
          expect(got).toEqual(want);
          expect(list.size).toBe(model.length);
        }
        expect(list.toArray()).toEqual(model);
        for (let i = 0; i < model.length; i++) expect(list.get(i)).toBe(model[i]);
        expect(list.clone().toArray()).toEqual(model);
        const first = model.indexOf('b');
        expect(list.indexOf('b')).toBe(first);
      }),
      { numRuns: 300 },
    );
  });

  it('adopts an array as its storage, with room to spare or none, and behaves like an array after', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 300 }), fc.nat(600), fc.array(opArb, { maxLength: 60 }), (items, spare, ops) => {
        // The array a loader fills by index: its elements, then empty slots.
        const storage = new Array<string>(items.length + spare);
        items.forEach((item, i) => (storage[i] = item));
        const list = List.adopt(storage, items.length);
        const model = [...items];
        expect(list.size).toBe(model.length);
        for (const o of ops) {
          const [got, want] = apply(list, model, o);
          expect(got).toEqual(want);
        }
        expect(list.toArray()).toEqual(model);
      }),
      { numRuns: 200 },
    );
  });

  it('builds from values and clones independently', () => {
    const list = List.from(['x', 'y', 'z']);
    const copy = list.clone();
    list.popLeft();
    copy.pushRight('w');
    expect(list.toArray()).toEqual(['y', 'z']);
    expect(copy.toArray()).toEqual(['x', 'y', 'z', 'w']);
    expect(list.type).toBe('list');
    expect(list.encoding()).toBe('quicklist');
  });

  it('handles a list of a million elements with removals near either end', () => {
    const n = 1_000_000;
    const list = new List();
    for (let i = 0; i < n; i++) list.pushRight(i % 1000 === 0 ? 'm' : 'x');
    expect(list.removeValue('m', 1)).toBe(1);
    expect(list.removeValue('m', -1)).toBe(1);
    expect(list.size).toBe(n - 2);
    expect(list.get(0)).toBe('x');
    expect(list.get(list.size - 1)).toBe('x');
    list.insert(500_000, 'mid');
    expect(list.indexOf('mid')).toBe(500_000);
    expect(list.removeValue('m', 0)).toBe(n / 1000 - 2);
    list.removeLeft(400_000);
    list.removeRight(list.size - 10);
    expect(list.size).toBe(10);
    expect(list.toArray().every((v) => v === 'x' || v === 'mid')).toBe(true);
  });

  // Integers (listpack int entries of every width, bigints past 2^53), texts that look like
  // integers but are not canonical, and strings of every listpack string length class.
  const packedValue = fc.oneof(
    value,
    fc.constantFrom('0', '-0', '01', '127', '128', '-4096', '4095', '32767', '-8388608', '2147483648', '9007199254740993', '-9223372036854775808', '9223372036854775808'),
    fc.integer().map(String),
    fc.nat(5000).map((n) => 'x'.repeat(n)),
  );
  const packedOp: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('pushLeft' as const, 'pushRight' as const), value: packedValue }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('popLeft' as const, 'popRight' as const) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('set' as const, 'insert' as const), at: fc.nat(), value: packedValue }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('removeAt' as const), at: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('removeLeft' as const, 'removeRight' as const), n: fc.nat(40) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('removeValue' as const), value, limit: fc.integer({ min: -4, max: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('pushMany' as const), count: fc.integer({ min: 10, max: 300 }) }) },
  );

  for (const fill of [3, -1]) {
    it(`keeps its elements in nodes of list-max-listpack-size ${fill}, packed but at the ends, and its size exact`, () => {
      const saved = listMaxListpackSize();
      setListMaxListpackSize(fill);
      try {
        fc.assert(
          fc.property(fc.array(packedOp, { maxLength: 80 }), (ops) => {
            const list = new List();
            const account = { bytes: list.bytes };
            list.account = account;
            const model: string[] = [];
            for (const o of ops) {
              const [got, want] = apply(list, model, o);
              expect(got).toEqual(want);
              expect(list.bytes).toBe(list.recountBytes());
              expect(account.bytes).toBe(list.bytes);
            }
            expect(list.toArray()).toEqual(model);
            for (let i = model.length - 1; i >= 0; i--) expect(list.get(i)).toBe(model[i]);
            expectRangesAsModel(list, model);
            // Nodes between the two ends are listpacks, as the file will hold them.
            for (let k = 1; k < list.nodeCount - 1; k++) expect(typeof list.nodeAt(k)).toBe('string');
            if (model.length > 0) {
              // Saved node by node and loaded back by adopting the nodes: the same list.
              const payload = createDumpPayload(list, { listMaxListpackSize: fill });
              const loaded = decodeDumpPayload(payload) as List;
              expect(loaded.toArray()).toEqual(model);
              expect(loaded.bytes).toBe(loaded.recountBytes());
              expect(createDumpPayload(loaded, { listMaxListpackSize: fill }).equals(payload)).toBe(true);
            }
          }),
          { numRuns: 150 },
        );
      } finally {
        setListMaxListpackSize(saved);
      }
    });
  }

  it('writes ranges straight from its nodes: packed and open, integers of every width, long strings, both ways', () => {
    const values = ['a', '', '12', '-5', '127', '128', '-4096', '4095', '40000', '-8388608', '2147483647', '-2147483648', '9007199254740993', '-9223372036854775808', '01', 'x'.repeat(70), 'y'.repeat(5000), '\u00ff\u0000b'];
    const model: string[] = [];
    for (let i = 0; i < 3000; i++) model.push(values[i % values.length] as string);
    const list = List.from(model);
    expect(list.nodeCount).toBeGreaterThan(3);
    expectRangesAsModel(list, model);
    // Open end nodes and packed middle ones together.
    list.pushLeft('head');
    list.pushRight('tail');
    model.unshift('head');
    model.push('tail');
    expectRangesAsModel(list, model);
    const small = List.from(values);
    expect(small.nodeCount).toBe(1);
    expectRangesAsModel(small, values);
  });

  it('keeps a list of one small node as that listpack alone, and a large one in nodes of 8 KB', () => {
    const small = List.from(['a', 'bb', '12', '-5', 'ccc']);
    expect(small.nodeCount).toBe(1);
    expect(typeof small.nodeAt(0)).toBe('string');
    small.pushRight('d');
    small.pushLeft('e');
    expect(typeof small.nodeAt(0)).toBe('string');
    expect(small.toArray()).toEqual(['e', 'a', 'bb', '12', '-5', 'ccc', 'd']);
    const big = new List();
    for (let i = 0; i < 100_000; i++) big.pushRight(`element:${String(i).padStart(7, '0')}`);
    // 17 bytes an entry, 8 KB a node: 481 elements a node as Redis splits them.
    expect(big.nodeCount).toBe(Math.ceil(100_000 / 481));
    expect((big.nodeAt(1) as string).length).toBeLessThanOrEqual(8192);
  });
});
