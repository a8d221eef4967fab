import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_ID, MIN_ID, SortedMap, Stream, compareIds, elementText, formatId, idFromBigInts, idFromNumbers, idKey, idFromKey,
  nextId, parseStreamId, previousId, radixNodeCount, type StreamId,
} from '../../src/types/stream/index.js';
import { isValidStreamListpack } from '../../src/types/stream/validate.js';

/** An entry of the model: its ID as a bigint pair and its field/value pairs. */
interface ModelEntry {
  ms: bigint;
  seq: bigint;
  fields: string[];
}

function idOf(e: ModelEntry): StreamId {
  return idFromBigInts(e.ms, e.seq);
}

function key(e: { ms: bigint; seq: bigint }): bigint {
  return (e.ms << 64n) | e.seq;
}

/** Every entry from start to end (inclusive), read back through the iterator. */
function read(stream: Stream, start: StreamId | null, end: StreamId | null, reverse: boolean): string[] {
  const it = stream.iterator(start, end, reverse);
  const out: string[] = [];
  while (it.next()) {
    const parts = [formatId(it.id)];
    for (let i = 0; i < it.numFields; i++) parts.push(elementText(it.lp, it.nextField()), elementText(it.lp, it.nextValue()));
    out.push(parts.join(' '));
  }
  return out;
}

function modelText(e: ModelEntry): string {
  return [`${e.ms}-${e.seq}`, ...e.fields].join(' ');
}

const fieldName = fc.constantFrom('a', 'b', 'field', '1', '-7', '');
const fieldValue = fc.oneof(
  fc.constantFrom('v', '', '0', '127', '128', '-1', '4095', '-4096', '70000', '9223372036854775807', '-9223372036854775808', '01', 'x'.repeat(70)),
  fc.string({ maxLength: 8 }),
);

type Op =
  | { op: 'add'; msStep: number; seqStep: number; fields: string[]; big: boolean }
  | { op: 'delete'; pick: number }
  | { op: 'maxlen'; keep: number; approx: boolean; limit: number }
  | { op: 'minid'; pick: number; approx: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    op: fc.constant('add' as const), msStep: fc.integer({ min: 0, max: 3 }), seqStep: fc.integer({ min: 1, max: 300 }),
    fields: fc.array(fc.tuple(fieldName, fieldValue), { minLength: 1, maxLength: 3 }).map((pairs) => pairs.flat()),
    big: fc.boolean(),
  }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('maxlen' as const), keep: fc.nat({ max: 60 }), approx: fc.boolean(), limit: fc.constantFrom(0, 5, 100) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('minid' as const), pick: fc.nat(), approx: fc.boolean() }) },
);

describe('stream IDs', () => {
  it('parse as Redis does, C string and strtoull quirks included', () => {
    const text = (s: string, seqMax = false): string | null => {
      const parsed = parseStreamId(s, seqMax, false, true);
      return parsed === null ? null : `${formatId(parsed.id)}${parsed.seqGiven ? '' : '*'}`;
    };
    expect(text('1-2')).toBe('1-2');
    expect(text('5')).toBe('5-0');
    expect(text('5', true)).toBe('5-18446744073709551615');
    expect(text('5-*')).toBe('5-0*');
    expect(text('-')).toBe('0-0');
    expect(text('+')).toBe('18446744073709551615-18446744073709551615');
    expect(text(' 7')).toBe('7-0');
    expect(text('+7')).toBe('7-0');
    expect(text('007-01')).toBe('7-1');
    expect(text('1--02')).toBe('1-18446744073709551614');
    expect(text('1--2')).toBeNull();
    expect(text('1-\x00x')).toBeNull();
    expect(text('3\x00-9')).toBe('3-0');
    expect(text('18446744073709551615-18446744073709551615')).toBe('18446744073709551615-18446744073709551615');
    expect(text('18446744073709551616')).toBeNull();
    expect(text('-18446744073709551615-0')).toBeNull();
    expect(text('')).toBeNull();
    expect(text('1-')).toBeNull();
    expect(text('x')).toBeNull();
    expect(text('1'.repeat(128))).toBeNull();
    expect(parseStreamId('-', false, true, false)).toBeNull();
  });

  it('increment, decrement and keys keep 64-bit order', () => {
    expect(formatId(nextId(idFromNumbers(1, 5)) as StreamId)).toBe('1-6');
    expect(formatId(nextId(idFromBigInts(1n, (1n << 64n) - 1n)) as StreamId)).toBe('2-0');
    expect(nextId(MAX_ID)).toBeNull();
    expect(previousId(MIN_ID)).toBeNull();
    expect(formatId(previousId(idFromNumbers(2, 0)) as StreamId)).toBe('1-18446744073709551615');
    const ids = [MIN_ID, idFromNumbers(0, 1), idFromNumbers(1, 0), idFromBigInts(1n << 40n, 5n), idFromBigInts((1n << 64n) - 1n, 0n), MAX_ID];
    for (let i = 1; i < ids.length; i++) {
      expect(compareIds(ids[i - 1] as StreamId, ids[i] as StreamId)).toBe(-1);
      expect(idKey(ids[i - 1] as StreamId) < idKey(ids[i] as StreamId)).toBe(true);
      expect(idFromKey(idKey(ids[i] as StreamId))).toEqual(ids[i]);
    }
  });
});

describe('SortedMap', () => {
  it('behaves as a sorted model under random insertions and deletions', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 2000 })), { maxLength: 3000 }), (ops) => {
        const map = new SortedMap<number>();
        const model = new Map<string, number>();
        const k = (n: number): string => n.toString().padStart(5, '0');
        for (const [insert, n] of ops) {
          if (insert) {
            expect(map.set(k(n), n)).toBe(!model.has(k(n)));
            model.set(k(n), n);
          } else {
            expect(map.delete(k(n))).toBe(model.get(k(n)));
            model.delete(k(n));
          }
        }
        const sorted = [...model.keys()].sort();
        expect(map.size).toBe(model.size);
        expect(map.keys()).toEqual(sorted);
        expect(map.firstKey()).toBe(sorted[0]);
        expect(map.lastKey()).toBe(sorted[sorted.length - 1]);
        expect(map.ceilingKey(k(1000))).toBe(sorted.find((s) => s >= k(1000)));
      }),
      { numRuns: 50 },
    );
  });
});

describe('Stream', () => {
  it('keeps entries, lengths and edges as a simple model does', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), fc.constantFrom(0, 5, 100), fc.constantFrom(0, 120, 4096), (ops, maxEntries, maxBytes) => {
        const stream = new Stream();
        const limits = { maxBytes, maxEntries };
        let model: ModelEntry[] = [];
        let last = { ms: 0n, seq: 0n };
        for (const o of ops) {
          if (o.op === 'add') {
            const ms = last.ms + BigInt(o.msStep) + (o.big && last.ms === 0n ? (1n << 62n) : 0n);
            const seq = o.msStep === 0 ? last.seq + BigInt(o.seqStep) : BigInt(o.seqStep);
            if (key({ ms, seq }) <= key(last)) continue;
            const entry = { ms, seq, fields: o.fields };
            const bytes = o.fields.reduce((n, f) => n + f.length, 0);
            stream.append(idOf(entry), o.fields, 0, o.fields.length / 2, bytes, limits);
            model.push(entry);
            last = { ms, seq };
          } else if (o.op === 'delete') {
            if (model.length === 0) continue;
            const victim = model[o.pick % model.length] as ModelEntry;
            expect(stream.deleteEntry(idOf(victim))).toBe(true);
            expect(stream.deleteEntry(idOf(victim))).toBe(false);
            model = model.filter((e) => e !== victim);
          } else if (o.op === 'maxlen') {
            const removed = stream.trim({ strategy: 'maxlen', maxlen: o.keep, minid: MIN_ID, approx: o.approx, limit: o.approx ? o.limit : 0 });
            expect(stream.length).toBe(model.length - removed);
            if (!o.approx) expect(stream.length).toBe(Math.min(model.length, o.keep));
            model = model.slice(model.length - stream.length);
          } else {
            if (model.length === 0) continue;
            const bound = model[o.pick % model.length] as ModelEntry;
            stream.trim({ strategy: 'minid', maxlen: 0, minid: idOf(bound), approx: o.approx, limit: 0 });
            if (!o.approx) expect(read(stream, null, null, false)[0]).toBe(modelText(bound));
            model = model.slice(model.length - stream.length);
          }
          expect(stream.length).toBe(model.length);
        }
        const all = model.map(modelText);
        expect(read(stream, null, null, false)).toEqual(all);
        expect(read(stream, null, null, true)).toEqual([...all].reverse());
        if (model.length > 2) {
          const a = model[1] as ModelEntry;
          const b = model[model.length - 2] as ModelEntry;
          expect(read(stream, idOf(a), idOf(b), false)).toEqual(all.slice(1, -1));
          expect(read(stream, idOf(a), idOf(b), true)).toEqual(all.slice(1, -1).reverse());
        }
        for (let i = 0; i < stream.nodeCount; i++) {
          const node = stream.nodeAt(i);
          expect(isValidStreamListpack(node.listpack)).toBe(true);
          expect(node.live).toBeGreaterThan(0);
        }
        expect(stream.clone().nodeCount).toBe(stream.nodeCount);
        expect(read(stream.clone(), null, null, false)).toEqual(all);
      }),
      { numRuns: 60 },
    );
  });

  it('reads back an entry whose delta from its node wraps around 2^64', () => {
    const stream = new Stream();
    const limits = { maxBytes: 4096, maxEntries: 100 };
    stream.append(idFromNumbers(52, 2), ['f', 'v'], 0, 1, 2, limits);
    stream.append(idFromBigInts((1n << 64n) - 1n, 5n), ['f', 'w'], 0, 1, 2, limits);
    stream.append(MAX_ID, ['f', 'x'], 0, 1, 2, limits);
    expect(stream.nodeCount).toBe(1);
    const all = ['52-2 f v', '18446744073709551615-5 f w', '18446744073709551615-18446744073709551615 f x'];
    expect(read(stream, null, null, false)).toEqual(all);
    expect(read(stream, null, null, true)).toEqual([...all].reverse());
    expect(read(stream, idFromNumbers(53, 0), MAX_ID, false)).toEqual(all.slice(1));
    expect(read(stream, MIN_ID, idFromBigInts((1n << 64n) - 1n, 5n), true)).toEqual(all.slice(0, 2).reverse());
    expect(stream.deleteEntry(idFromBigInts((1n << 64n) - 1n, 5n))).toBe(true);
    expect(read(stream, null, null, false)).toEqual([all[0], all[2]]);
  });

  it('estimates the heap it holds from its nodes, kept as entries come and go', () => {
    const stream = new Stream();
    for (let i = 1; i <= 5000; i++) stream.append(idFromNumbers(i, 0), ['field', 'value'], 0, 1, 10, { maxBytes: 4096, maxEntries: 100 });
    let listpacks = 0;
    for (let i = 0; i < stream.nodeCount; i++) listpacks += stream.nodeAt(i).bytes;
    stream.account = { bytes: 0 };
    expect(stream.bytes).toBeGreaterThan(listpacks);
    expect(stream.bytes).toBeLessThan(listpacks * 2);
    expect(stream.bytes).toBe(stream.recountBytes());
    const account = stream.account;
    const before = stream.bytes;
    for (let i = 1; i <= 2500; i++) stream.deleteEntry(idFromNumbers(i * 2, 0));
    stream.syncBytes();
    expect(stream.bytes).toBe(stream.recountBytes());
    expect(account.bytes).toBe(stream.bytes - before);
  });

  it('counts radix tree nodes as rax does', () => {
    // Figures read from XINFO STREAM radix-tree-nodes of Redis 7.0 for the same node keys.
    expect(radixNodeCount(0, () => MIN_ID)).toBe(1);
    expect(radixNodeCount(1, () => idFromNumbers(5, 0))).toBe(2);
    const ids = [idFromNumbers(1000, 1), idFromNumbers(1014, 100), idFromNumbers(1029, 200)];
    expect(radixNodeCount(3, (i) => ids[i] as StreamId)).toBe(9);
    const two = [idFromNumbers(1026, 131), idFromNumbers(1029, 200)];
    expect(radixNodeCount(2, (i) => two[i] as StreamId)).toBe(6);
  });
});
