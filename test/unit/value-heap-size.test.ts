/**
 * The sizes the data structures keep (`bytes`, src/types/heap-size.ts) against V8's heap as
 * measured: many values of one shape are built, the heap is read after full collections, and
 * the growth per value is compared with the values' own figure. Shapes beyond the plain
 * loads of test/integration/memory-accounting.test.ts: pushes from both ends, removals,
 * conversions between encodings, maps that churn.
 */
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { fullCollection } from '../../src/server/reclaim.js';
import { MAP_INITIAL_CAPACITY, mapBytes, mapEntryAdded, mapEntryRemoved, objectBytes, type MapTable } from '../../src/types/heap-size.js';
import { Dict } from '../../src/types/dict.js';
import { HashValue } from '../../src/types/hash.js';
import { List } from '../../src/types/list.js';
import { SetValue } from '../../src/types/set.js';
import { ZSet } from '../../src/types/zset.js';

const collect = fullCollection() as () => void;
// V8 drops the bytecode of functions left unused for a few collections: that would shrink the
// heap between two readings by whatever the test runner's own code had compiled.
v8.setFlagsFromString('--no-flush-bytecode');

/** The heap in use, compiled code left out: functions tiering up while values are built is no part of them. */
function heapUsed(): number {
  collect();
  collect();
  const code = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'code_space');
  return process.memoryUsage().heapUsed - (code?.space_used_size ?? 0);
}

/** A fresh flat string (one byte a char), as the protocol parser makes them: `${prefix}:NNNNNN`. */
function text(prefix: string, i: number): string {
  return flat(`${prefix}:${String(i).padStart(6, '0')}`);
}

function flat(s: string): string {
  const bytes = Buffer.from(s, 'latin1');
  return bytes.latin1Slice(0, bytes.length);
}

/** What a measurement keeps alive (nothing between measurements). */
const kept: unknown[] = [];

/**
 * Builds `instances` values with `build` (given the instance's number: it makes its strings
 * itself, so that they are both measured and counted, and removed ones are garbage) and returns
 * the heap's growth and the values' figures, in all.
 */
function measure(instances: number, build: (r: number) => { bytes: number }): { measured: number; counted: number } {
  kept.length = 0;
  // One built first and dropped: the code compiled for it (bytecode, feedback, optimized code)
  // is in the heap too, and is no part of any value.
  build(instances);
  const before = heapUsed();
  const values = new Array<{ bytes: number }>(instances);
  kept.push(values);
  for (let r = 0; r < instances; r++) values[r] = build(r);
  const measured = heapUsed() - before - instances * 8;
  const counted = values.reduce((sum, v) => sum + v.bytes, 0);
  kept.length = 0;
  return { measured, counted };
}

const LIMITS = { maxEntries: 128, maxValue: 64 };

/**
 * A shape: its name, how many values of it are built, and how one is. Each shape builds 6 MB
 * or more: readings of the heap differ by up to 250 KB from run to run when other test files
 * run beside this one.
 */
const shapes: Array<[string, number, (r: number) => { bytes: number }]> = [
  ['list: 5 pushed right', 40_000, (r) => { const l = new List(); for (let i = 0; i < 5; i++) l.pushRight(text(`l${r}`, i)); return l; }],
  ['list: 300 pushed left', 600, (r) => { const l = new List(); for (let i = 0; i < 300; i++) l.pushLeft(text(`l${r}`, i)); return l; }],
  ['list: 3000 pushed, 2900 popped', 800, (r) => {
    const l = new List();
    for (let i = 0; i < 3000; i++) l.pushRight(text(`l${r}`, i));
    for (let i = 0; i < 2900; i++) l.popLeft();
    return l;
  }],
  ['hash: 5 fields (packed)', 50_000, (r) => { const h = new HashValue(); for (let i = 0; i < 5; i++) h.set(text(`f${r}`, i), text('v', i), 128, 64); return h; }],
  ['hash: 60 fields (packed)', 5000, (r) => { const h = new HashValue(); for (let i = 0; i < 60; i++) h.set(text(`f${r}`, i), text('v', i), 128, 64); return h; }],
  ['hash: 2000 fields, 1200 removed', 60, (r) => {
    const h = new HashValue();
    for (let i = 0; i < 2000; i++) h.set(text(`f${r}`, i), text('v', i), 128, 64);
    for (let i = 0; i < 1200; i++) h.delete(text(`f${r}`, i));
    return h;
  }],
  ['hash: 2000 fields, drawn from, 600 removed (draw index, stale fields)', 60, (r) => {
    const h = new HashValue();
    for (let i = 0; i < 2000; i++) h.set(text(`f${r}`, i), text('v', i), 128, 64);
    h.fieldAt(0);
    for (let i = 0; i < 600; i++) h.delete(text(`f${r}`, i));
    return h;
  }],
  ['set: 100 integers (packed intset)', 30_000, () => { const s = new SetValue(); for (let i = 0; i < 100; i++) s.add(flat(String(i * 7)), 512); return s; }],
  ['set: 600 integers (converted)', 200, () => { const s = new SetValue(); for (let i = 0; i < 600; i++) s.add(flat(String(i * 7)), 512); return s; }],
  ['set: 2000 strings, 1200 removed (plain)', 100, (r) => {
    const s = new SetValue();
    for (let i = 0; i < 2000; i++) s.add(text(`m${r}`, i), 512);
    for (let i = 0; i < 1200; i++) s.delete(text(`m${r}`, i));
    return s;
  }],
  ['set: 2000 strings, drawn from, 600 removed (draw index, stale members)', 60, (r) => {
    const s = new SetValue();
    for (let i = 0; i < 2000; i++) s.add(text(`m${r}`, i), 512);
    s.randomMember();
    for (let i = 0; i < 600; i++) s.delete(text(`m${r}`, i));
    return s;
  }],
  ['set: 3000 strings, 2500 popped', 110, (r) => {
    const s = new SetValue();
    for (let i = 0; i < 3000; i++) s.add(text(`m${r}`, i), 512);
    for (let i = 0; i < 2500; i++) s.popRandom();
    return s;
  }],
  ['set: 2000 strings, 400 removed and 200 of them added again, drawn by position', 60, (r) => {
    const s = new SetValue();
    for (let i = 0; i < 2000; i++) s.add(text(`m${r}`, i), 512);
    s.randomMember();
    for (let i = 0; i < 400; i++) s.delete(text(`m${r}`, i));
    for (let i = 0; i < 200; i++) s.add(text(`m${r}`, i), 512);
    s.byPosition();
    return s;
  }],
  ['set: 2000 strings, drawn from, 300 removed and added back 5 times, 1000 popped', 60, (r) => {
    const s = new SetValue();
    for (let i = 0; i < 2000; i++) s.add(text(`m${r}`, i), 512);
    s.randomMember();
    for (let k = 0; k < 5; k++) {
      for (let i = 0; i < 300; i++) s.delete(text(`m${r}`, i));
      for (let i = 0; i < 300; i++) s.add(text(`m${r}`, i), 512);
    }
    for (let i = 0; i < 1000; i++) s.popRandom();
    return s;
  }],
  ['set: 5 strings', 13_000, (r) => { const s = new SetValue(); for (let i = 0; i < 5; i++) s.add(text(`m${r}`, i), 512); return s; }],
  ['zset: 5 members (packed)', 50_000, (r) => { const z = new ZSet(); for (let i = 0; i < 5; i++) z.set(text(`m${r}`, i), i + 0.5, LIMITS); return z; }],
  ['zset: 3000 members (packed, then converted), 2000 removed by rank', 40, (r) => {
    const z = new ZSet();
    for (let i = 0; i < 3000; i++) z.set(text(`m${r}`, i), i * 1.5, LIMITS);
    z.deleteRangeByRank(0, 1999);
    return z;
  }],
];

describe('the sizes values keep match what V8 takes', () => {
  for (const [name, instances, build] of shapes) {
    it(name, () => {
      const { measured, counted } = measure(instances, build);
      expect(counted / measured, `counted ${counted}, measured ${measured}`).toBeGreaterThan(0.9);
      expect(counted / measured, `counted ${counted}, measured ${measured}`).toBeLessThan(1.1);
    });
  }

  it("follows a Map's table as it grows, churns and shrinks", () => {
    const keys = Array.from({ length: 400 }, (_, i) => text('k', i));
    const maps: Array<Map<string, number>> = [];
    const trackers: MapTable[] = [];
    kept.length = 0;
    const before = heapUsed();
    for (let r = 0; r < 4000; r++) {
      const map = new Map<string, number>();
      const tracker: MapTable = { tableCapacity: MAP_INITIAL_CAPACITY, tableRemoved: 0 };
      const add = (k: string): void => {
        map.set(k, 1);
        mapEntryAdded(tracker, map.size);
      };
      const remove = (k: string): void => {
        map.delete(k);
        mapEntryRemoved(tracker, map.size);
      };
      // Grow to 40, churn (a table of 64 fills with removed entries and doubles), shrink to 9.
      for (let i = 0; i < 40; i++) add(keys[i] as string);
      for (let i = 0; i < 300; i++) {
        remove(keys[i] as string);
        add(keys[i + 40] as string);
      }
      for (let i = 300; i < 331; i++) remove(keys[i] as string);
      maps.push(map);
      trackers.push(tracker);
    }
    kept.push(maps);
    const measured = (heapUsed() - before - 16 * 4000) / 4000;
    // The tracker objects were made with the maps.
    const counted = mapBytes((trackers[0] as MapTable).tableCapacity) + objectBytes(2);
    expect((trackers[0] as MapTable).tableCapacity).toBe(32);
    expect(counted / measured, `counted ${counted}, measured ${measured}`).toBeGreaterThan(0.9);
    expect(counted / measured, `counted ${counted}, measured ${measured}`).toBeLessThan(1.1);
    kept.push(trackers);
  });
  it("counts a dict's table and the slots of its plain strings' records (Int32Arrays outside the heap included)", () => {
    const n = 200_000;
    const keys = Array.from({ length: n }, (_, i) => text('key', i));
    const values = Array.from({ length: n }, (_, i) => text('value', i));
    kept.length = 0;
    kept.push(keys, values);
    const used = (): number => heapUsed() + v8.getHeapStatistics().external_memory;
    const before = used();
    const dict = new Dict<string>();
    for (let i = 0; i < n; i++) dict.exchangeString(keys[i] as string, values[i] as string, i);
    kept.push(dict);
    const measured = used() - before;
    expect(dict.bytes / measured, `counted ${dict.bytes}, measured ${measured}`).toBeGreaterThan(0.9);
    expect(dict.bytes / measured, `counted ${dict.bytes}, measured ${measured}`).toBeLessThan(1.1);
    // The slots alone: 12 bytes each, in four chunks of 64K.
    expect((dict.bytes - dict.tableBytes) / (4 * 65536)).toBeLessThan(12.1);
    kept.length = 0;
  });
});
