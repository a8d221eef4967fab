import type { CollectionValue } from './value.js';
import { arrayBytes, grownCapacity, mapBytes, mapCapacityFor, mapEntryAdded, mapEntryRemoved, objectBytes, packedReplaced, stringBytes, tableResized, type MapTable, type SizeAccount } from './heap-size.js';
import { detached, entryAt, entryEnd, entryIs, firstEntry, packEntry, packItems, packParts, varintAt, varintWidth } from './packed.js';

/** The HashValue object: data, account. */
const HASH_OBJECT_BYTES = objectBytes(3);
/** The table object: index, fields, values, slots, tableCapacity, tableRemoved, bytes. */
const TABLE_OBJECT_BYTES = objectBytes(7);

/**
 * The large form of a hash: parallel arrays of fields and values, with a map from each field to
 * its slot. The arrays give O(1) random access (HRANDFIELD) and the map O(1) lookup; a removed
 * slot is filled by the last one, whose index is rewritten in place (Map.set on an existing key
 * keeps its iteration position, so a live HSCAN iterator over `index` still sees every field).
 */
interface HashTable extends MapTable {
  index: Map<string, number>;
  fields: string[];
  values: string[];
  /** The capacity V8 gave `fields` and `values` (they grow together, by push). */
  slots: number;
  /** (MapTable: how V8 sizes `index`'s table.) */
  /** The table form's bytes: its objects, arrays, Map and strings. */
  bytes: number;
}

/** A packed hash decoded: [field0, value0, field1, value1, …]. */
type Pairs = readonly string[];

/*
 * The last packed hash decoded, and of which string: a command that walks a small hash by
 * position (HGETALL, HRANDFIELD with a count, saving) decodes it once. A packed string never
 * changes (a change makes a new one), so the same string means the same pairs.
 */
let decodedPacked = '';
let lastPairs: Pairs = [];

function pairsOf(packed: string): Pairs {
  if (packed !== decodedPacked) {
    const n = varintAt(packed, 0) * 2;
    const pairs = new Array<string>(n);
    let pos = firstEntry(packed);
    for (let i = 0; i < n; i++) {
      pairs[i] = entryAt(packed, pos);
      pos = entryEnd(packed, pos);
    }
    lastPairs = pairs;
    decodedPacked = packed;
  }
  return lastPairs;
}

/** Whether a field of `pairs` ([field, value, …]) repeats. */
function hasRepeatedField(pairs: readonly string[]): boolean {
  const n = pairs.length;
  // Pair by pair for a few fields (a Set costs more), through a Set beyond.
  if (n <= 16) {
    for (let i = 2; i < n; i += 2) {
      const field = pairs[i] as string;
      for (let j = 0; j < i; j += 2) if (pairs[j] === field) return true;
    }
    return false;
  }
  const seen = new Set<string>();
  for (let i = 0; i < n; i += 2) {
    seen.add(pairs[i] as string);
    if (seen.size !== i / 2 + 1) return true;
  }
  return false;
}

/**
 * Position of `field`'s entry in packed `s`, or -1. Written out in place (HGET's and HSET's
 * loop): packed.ts's helpers are slower here, measured.
 */
function findField(s: string, field: string): number {
  const n = varintAt(s, 0);
  const fieldLength = field.length;
  let pos = firstEntry(s);
  for (let i = 0; i < n; i++) {
    let length = s.charCodeAt(pos);
    let start = pos + 1;
    if (length >= 0x80) {
      length = varintAt(s, pos);
      start = pos + varintWidth(length);
    }
    if (length === fieldLength) {
      let j = 0;
      while (j < length && s.charCodeAt(start + j) === field.charCodeAt(j)) j++;
      if (j === length) return pos;
    }
    pos = entryEnd(s, start + length);
  }
  return -1;
}

/**
 * A hash of binary-safe (latin1) fields to values. Like Redis's listpack, a small hash is one
 * packed latin1 string of field and value entries in insertion order (packed.ts), searched
 * linearly; a hash that outgrows the limits (hash-max-listpack-entries / -value) becomes a
 * table for good.
 *
 * The hash keeps its size in V8's heap (`bytes`: its object, the packed string, or the table's
 * objects, arrays, Map and strings) as it changes, and tells its database's running total
 * (`account`) of each change. A packed hash's size is read off its string's length.
 */
export class HashValue implements CollectionValue {
  /** The packed string, or the table form. */
  private data: string | HashTable = '\0';
  account: SizeAccount | null = null;
  access = -1;

  get bytes(): number {
    const data = this.data;
    return HASH_OBJECT_BYTES + (typeof data === 'string' ? stringBytes(data.length) : data.bytes);
  }

  recountBytes(): number {
    const data = this.data;
    if (typeof data === 'string') return HASH_OBJECT_BYTES + stringBytes(data.length);
    let bytes = HASH_OBJECT_BYTES + tableBytes(data);
    for (let i = 0; i < data.fields.length; i++) bytes += stringBytes((data.fields[i] as string).length) + stringBytes((data.values[i] as string).length);
    return bytes;
  }

  /** Replaces the packed string, telling the account how its size changed. */
  private repack(packed: string): void {
    packedReplaced(this.account, this.data as string, packed);
    this.data = packed;
  }

  /**
   * A hash in the table form of `fields` and their `values`, which become its storage (the
   * caller gives the arrays up); null when a field repeats. For a large hash built in one go
   * (loading one from a file): one map probe per field and no arrays growing as they fill.
   */
  static fromDistinctFields(fields: string[], values: string[]): HashValue | null {
    const index = new Map<string, number>();
    for (let i = 0; i < fields.length; i++) {
      index.set(fields[i] as string, i);
      // A repeated field leaves the size as it was.
      if (index.size === i) return null;
    }
    const hash = new HashValue();
    const table: HashTable = { index, fields, values, slots: fields.length, tableCapacity: mapCapacityFor(index.size), tableRemoved: 0, bytes: 0 };
    hash.data = table;
    table.bytes = hash.recountBytes() - HASH_OBJECT_BYTES;
    return hash;
  }

  /**
   * A packed hash of `pairs` ([field, value, …]) built in one pass, whatever their lengths; null
   * when a field repeats. For a small hash read from a file: setting its fields one by one
   * rebuilt the packed string at each (a sixth of the time a million hashes of 5 fields took to
   * load).
   */
  static packedOf(pairs: readonly string[]): HashValue | null {
    if (hasRepeatedField(pairs)) return null;
    const hash = new HashValue();
    hash.repack(packItems(pairs.length / 2, pairs));
    return hash;
  }

  get type(): 'hash' {
    return 'hash';
  }

  encoding(): string {
    return typeof this.data === 'string' ? 'listpack' : 'hashtable';
  }

  get size(): number {
    const data = this.data;
    return typeof data === 'string' ? varintAt(data, 0) : data.fields.length;
  }

  isCompact(): boolean {
    return typeof this.data === 'string';
  }

  /** Slot of `field` in position order, or -1. */
  indexOf(field: string): number {
    const data = this.data;
    if (typeof data !== 'string') {
      const i = data.index.get(field);
      return i === undefined ? -1 : i;
    }
    const pos = findField(data, field);
    if (pos === -1) return -1;
    let i = 0;
    for (let at = firstEntry(data); at !== pos; at = entryEnd(data, entryEnd(data, at))) i++;
    return i;
  }

  get(field: string): string | undefined {
    const data = this.data;
    if (typeof data !== 'string') {
      const i = data.index.get(field);
      return i === undefined ? undefined : data.values[i];
    }
    const pos = findField(data, field);
    return pos === -1 ? undefined : entryAt(data, entryEnd(data, pos));
  }

  has(field: string): boolean {
    const data = this.data;
    return typeof data === 'string' ? findField(data, field) !== -1 : data.index.has(field);
  }

  /** The field at position i (0 <= i < size): insertion order while packed. */
  fieldAt(i: number): string {
    const data = this.data;
    return (typeof data === 'string' ? pairsOf(data)[i << 1] : data.fields[i]) as string;
  }

  valueAt(i: number): string {
    const data = this.data;
    return (typeof data === 'string' ? pairsOf(data)[(i << 1) + 1] : data.values[i]) as string;
  }

  /**
   * Sets a field; true when it is new. A field or value longer than `maxValue` bytes, or more
   * than `maxEntries` fields, converts to the table (hash-max-listpack-value / -entries).
   */
  set(field: string, value: string, maxEntries: number, maxValue: number): boolean {
    let data = this.data;
    if (typeof data === 'string' && (field.length > maxValue || value.length > maxValue)) data = this.convert();
    if (typeof data === 'string') {
      const pos = findField(data, field);
      if (pos !== -1) {
        const valuePos = entryEnd(data, pos);
        // The same value again (a cache refreshing it): the string stays, nothing is copied.
        if (entryIs(data, valuePos, value)) return false;
        this.repack([data.slice(0, valuePos), packEntry(value), data.slice(entryEnd(data, valuePos))].join(''));
        return false;
      }
      const count = varintAt(data, 0) + 1;
      this.repack(packParts(count, ['', data.slice(firstEntry(data)), packEntry(field), packEntry(value)]));
      if (count > maxEntries) this.convert();
      return true;
    }
    const table = data;
    const i = table.index.get(field);
    if (i !== undefined) {
      tableResized(table, this.account, stringBytes(value.length) - stringBytes((table.values[i] as string).length));
      table.values[i] = value;
      return false;
    }
    table.index.set(field, table.fields.length);
    table.fields.push(field);
    table.values.push(value);
    let delta = mapEntryAdded(table, table.index.size) + stringBytes(field.length) + stringBytes(value.length);
    const length = table.fields.length;
    if (length > table.slots) {
      const slots = grownCapacity(length);
      delta += 2 * (arrayBytes(slots) - arrayBytes(table.slots));
      table.slots = slots;
    }
    tableResized(table, this.account, delta);
    return true;
  }

  /** Removes a field; true if it was there. */
  delete(field: string): boolean {
    const data = this.data;
    if (typeof data === 'string') {
      const pos = findField(data, field);
      if (pos === -1) return false;
      const end = entryEnd(data, entryEnd(data, pos));
      this.repack(packParts(varintAt(data, 0) - 1, ['', data.slice(firstEntry(data), pos), data.slice(end)]));
      return true;
    }
    const table = data;
    const i = table.index.get(field);
    if (i === undefined) return false;
    table.index.delete(field);
    // The arrays keep their capacity as they shrink by pop (measured: V8 does not trim them).
    tableResized(table, this.account, mapEntryRemoved(table, table.index.size) - stringBytes(field.length) - stringBytes((table.values[i] as string).length));
    const last = table.fields.length - 1;
    const lastField = table.fields.pop() as string;
    const lastValue = table.values.pop() as string;
    if (i !== last) {
      table.fields[i] = lastField;
      table.values[i] = lastValue;
      table.index.set(lastField, i);
    }
    return true;
  }

  /**
   * An iterator over the fields for HSCAN of the table form: live (sees deletions, and a field
   * present throughout is visited exactly once). Only for the table form.
   */
  scanFields(): Iterator<string> {
    return (this.data as HashTable).index.keys();
  }

  /** Turns the packed hash into the table form, for good; returns the table. */
  private convert(): HashTable {
    const packed = this.data as string;
    const pairs = pairsOf(packed);
    const n = pairs.length >> 1;
    const fields = new Array<string>(n);
    const values = new Array<string>(n);
    const index = new Map<string, number>();
    let strings = 0;
    for (let i = 0; i < n; i++) {
      // Entries of 13 chars or more decoded from the packed string are views of it: copied.
      const f = detached(pairs[i << 1] as string);
      const v = detached(pairs[(i << 1) + 1] as string);
      fields[i] = f;
      values[i] = v;
      index.set(f, i);
      strings += stringBytes(f.length) + stringBytes(v.length);
    }
    const table: HashTable = { index, fields, values, slots: n, tableCapacity: mapCapacityFor(n), tableRemoved: 0, bytes: 0 };
    table.bytes = tableBytes(table) + strings;
    this.data = table;
    if (this.account !== null) this.account.bytes += table.bytes - stringBytes(packed.length);
    return table;
  }

  clone(): HashValue {
    const copy = new HashValue();
    const data = this.data;
    if (typeof data === 'string') {
      // A copy of its own: shared, one string would be counted for both keys.
      copy.data = detached(data);
    } else {
      const table: HashTable = {
        index: new Map(data.index), fields: data.fields.slice(), values: data.values.slice(), slots: data.fields.length, tableCapacity: mapCapacityFor(data.index.size), tableRemoved: 0, bytes: 0,
      };
      table.bytes = data.bytes - tableBytes(data) + tableBytes(table);
      copy.data = table;
    }
    return copy;
  }
}

/** The table form's own bytes (its strings apart). */
function tableBytes(table: HashTable): number {
  return TABLE_OBJECT_BYTES + mapBytes(table.tableCapacity) + 2 * arrayBytes(table.slots);
}
