import { errTooManyElements, maxTableEntries } from './table-limit.js';
import type { CollectionValue } from './value.js';
import { mapBytes, mapCapacityFor, mapEntryAdded, mapEntryRemoved, objectBytes, packedReplaced, stringBytes, tableResized, type MapTable, type SizeAccount } from './heap-size.js';
import { DrawIndex } from './draw-index.js';
import { detached, entryAt, entryEnd, entryIs, firstEntry, packEntry, packItems, packParts, varintAt, varintWidth } from './packed.js';

/** The HashValue object: data, account. */
const HASH_OBJECT_BYTES = objectBytes(3);
/** The table object: pairs, draws, tableCapacity, tableRemoved, bytes. */
const TABLE_OBJECT_BYTES = objectBytes(5);

/**
 * The large form of a hash: a Map from field to value, and, from the first HRANDFIELD on, a
 * DrawIndex of the fields beside it for drawing them at random (8 bytes a field: what a hash
 * that is never drawn from does not pay).
 */
interface HashTable extends MapTable {
  pairs: Map<string, string>;
  draws: DrawIndex | null;
  /** (MapTable: how V8 sizes the table of `pairs`.) */
  /** The table form's bytes: its objects, Map, draw index and strings. */
  bytes: number;
}

/** A table of `pairs`, with its bytes (`strings`: its fields' and values' strings). */
function newTable(pairs: Map<string, string>, strings: number): HashTable {
  const table: HashTable = { pairs, draws: null, tableCapacity: mapCapacityFor(pairs.size), tableRemoved: 0, bytes: 0 };
  table.bytes = tableBytes(table) + strings;
  return table;
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

/**
 * Of the fields of the packed hash packedHasRepeatedField looks at: where each one's chars start,
 * and its length with its first char (length * 256 + char, -1 when empty), compared first.
 */
const fieldStarts: number[] = [];
const fieldKeys: number[] = [];

/** Whether a field of packed hash `s` repeats: pair by pair for a few fields, through a Set beyond. */
function packedHasRepeatedField(s: string): boolean {
  const n = varintAt(s, 0);
  let pos = firstEntry(s);
  if (n > 16) {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      seen.add(entryAt(s, pos));
      if (seen.size !== i + 1) return true;
      pos = entryEnd(s, entryEnd(s, pos));
    }
    return false;
  }
  for (let i = 0; i < n; i++) {
    const length = varintAt(s, pos);
    const start = pos + varintWidth(length);
    // Loading a million small hashes checks each one: fields of another length or first char
    // (most pairs) are told apart without reading their chars.
    const key = length === 0 ? -1 : length * 256 + s.charCodeAt(start);
    for (let j = 0; j < i; j++) {
      if (fieldKeys[j] === key && sameChars(s, fieldStarts[j] as number, start, length)) return true;
    }
    fieldStarts[i] = start;
    fieldKeys[i] = key;
    pos = entryEnd(s, start + length);
  }
  return false;
}

/** Whether s holds the same `length` chars at `a` and at `b`. */
function sameChars(s: string, a: number, b: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (s.charCodeAt(a + k) !== s.charCodeAt(b + k)) return false;
  return true;
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
    // The draw index keeps its own tally (its stale strings cannot be told from the table).
    let bytes = HASH_OBJECT_BYTES + tableBytes(data) + (data.draws?.bytes ?? 0);
    for (const [field, value] of data.pairs) bytes += stringBytes(field.length) + stringBytes(value.length);
    return bytes;
  }

  /** Replaces the packed string, telling the account how its size changed. */
  private repack(packed: string): void {
    packedReplaced(this.account, this.data as string, packed);
    this.data = packed;
  }

  /**
   * A hash in the table form of `fields` and their `values`; null when a field repeats. For a
   * large hash built in one go (loading one from a file).
   */
  static fromDistinctFields(fields: string[], values: string[]): HashValue | null {
    const pairs = new Map<string, string>();
    let strings = 0;
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as string;
      const value = values[i] as string;
      pairs.set(field, value);
      // A repeated field leaves the size as it was.
      if (pairs.size === i) return null;
      strings += stringBytes(field.length) + stringBytes(value.length);
    }
    const hash = new HashValue();
    hash.data = newTable(pairs, strings);
    return hash;
  }

  /**
   * A packed hash of `packed`, a packed string of its fields and values made in one go (a small
   * hash read from a file: packListpack); null when a field repeats.
   */
  static fromPacked(packed: string): HashValue | null {
    if (packedHasRepeatedField(packed)) return null;
    const hash = new HashValue();
    hash.repack(packed);
    return hash;
  }

  /**
   * A packed hash of `pairs` ([field, value, …]) built in one pass, whatever their lengths; null
   * when a field repeats. For a small hash read from a file: setting its fields one by one
   * rebuilt the packed string at each (a sixth of the time a million hashes of 5 fields took to
   * load).
   */
  static packedOf(pairs: readonly string[]): HashValue | null {
    return HashValue.fromPacked(packItems(pairs.length / 2, pairs));
  }

  get type(): 'hash' {
    return 'hash';
  }

  encoding(): string {
    return typeof this.data === 'string' ? 'listpack' : 'hashtable';
  }

  get size(): number {
    const data = this.data;
    if (typeof data === 'string') return varintAt(data, 0);
    return data.pairs.size;
  }

  isCompact(): boolean {
    return typeof this.data === 'string';
  }

  /** The packed string (see packed.ts: the count, then field and value entries), or null for the table form. */
  packedForm(): string | null {
    const data = this.data;
    return typeof data === 'string' ? data : null;
  }

  get(field: string): string | undefined {
    const data = this.data;
    if (typeof data !== 'string') {
      return data.pairs.get(field);
    }
    const pos = findField(data, field);
    return pos === -1 ? undefined : entryAt(data, entryEnd(data, pos));
  }

  has(field: string): boolean {
    const data = this.data;
    if (typeof data === 'string') return findField(data, field) !== -1;
    return data.pairs.has(field);
  }

  /**
   * The field at position i (0 <= i < size), for draws that pick positions (HRANDFIELD):
   * insertion order while packed; a table's draw index order (made if need be). To walk every
   * field, forEachPair.
   */
  fieldAt(i: number): string {
    const data = this.data;
    return (typeof data === 'string' ? pairsOf(data)[i << 1] : this.fieldsByPosition(data)[i]) as string;
  }

  /** The value at position i, as fieldAt. */
  valueAt(i: number): string {
    const data = this.data;
    return (typeof data === 'string' ? pairsOf(data)[(i << 1) + 1] : data.pairs.get(this.fieldsByPosition(data)[i] as string)) as string;
  }

  /** A field drawn at random (the hash is not empty). */
  randomField(): string {
    const data = this.data;
    if (typeof data === 'string') return pairsOf(data)[Math.floor(Math.random() * this.size) << 1] as string;
    const draws = this.drawsOf(data);
    const before = draws.bytes;
    const field = draws.keys[draws.draw()] as string;
    tableResized(data, this.account, draws.bytes - before);
    return field;
  }

  /** The table's fields by position: its draw index, with no stale field left. */
  private fieldsByPosition(table: HashTable): readonly string[] {
    const draws = this.drawsOf(table);
    const before = draws.bytes;
    const fields = draws.compacted();
    tableResized(table, this.account, draws.bytes - before);
    return fields;
  }

  /** The table's draw index, made on the first draw. */
  private drawsOf(table: HashTable): DrawIndex {
    let draws = table.draws;
    if (draws === null) {
      draws = table.draws = new DrawIndex(table.pairs.keys());
      tableResized(table, this.account, draws.bytes);
    }
    return draws;
  }

  /** Calls visit(field, value) for each field (nothing may change the hash meanwhile): insertion order while packed. */
  forEachPair(visit: (field: string, value: string) => void): void {
    const data = this.data;
    if (typeof data === 'string') {
      const pairs = pairsOf(data);
      for (let i = 0; i < pairs.length; i += 2) visit(pairs[i] as string, pairs[i + 1] as string);
    } else {
      for (const [field, value] of data.pairs) visit(field, value);
    }
  }

  /** The fields and values, to walk in pieces (nothing may change the hash meanwhile), in forEachPair's order. */
  pairs(): Iterable<readonly [string, string]> {
    const data = this.data;
    return typeof data === 'string' ? packedPairs(pairsOf(data)) : data.pairs;
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
    const pairs = table.pairs;
    const old = pairs.get(field);
    if (old === undefined && pairs.size >= maxTableEntries) throw errTooManyElements();
    pairs.set(field, value);
    if (old !== undefined) {
      tableResized(table, this.account, stringBytes(value.length) - stringBytes(old.length));
      return false;
    }
    let delta = mapEntryAdded(table, pairs.size) + stringBytes(field.length) + stringBytes(value.length);
    const draws = table.draws;
    if (draws !== null) {
      const before = draws.bytes;
      draws.added(field);
      delta += draws.bytes - before;
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
    const pairs = table.pairs;
    const old = pairs.get(field);
    if (old === undefined) return false;
    pairs.delete(field);
    let delta = mapEntryRemoved(table, pairs.size) - stringBytes(field.length) - stringBytes(old.length);
    const draws = table.draws;
    if (draws !== null) {
      const before = draws.bytes;
      draws.removed(field);
      delta += draws.bytes - before;
      if (draws.tooBig(pairs.size)) {
        table.draws = null;
        delta -= draws.bytes;
      }
    }
    tableResized(table, this.account, delta);
    return true;
  }

  /**
   * An iterator over the fields for HSCAN of the table form: live (sees deletions, and a field
   * present throughout is visited exactly once). Only for the table form.
   */
  scanFields(): Iterator<string> {
    return (this.data as HashTable).pairs.keys();
  }

  /** Turns the packed hash into the table form, for good; returns the table. */
  private convert(): HashTable {
    const packed = this.data as string;
    const pairs = pairsOf(packed);
    const n = pairs.length >> 1;
    const plain = new Map<string, string>();
    let strings = 0;
    for (let i = 0; i < n; i++) {
      // Entries of 13 chars or more decoded from the packed string are views of it: copied.
      const f = detached(pairs[i << 1] as string);
      const v = detached(pairs[(i << 1) + 1] as string);
      plain.set(f, v);
      strings += stringBytes(f.length) + stringBytes(v.length);
    }
    const table = newTable(plain, strings);
    this.data = table;
    if (this.account !== null) this.account.bytes += table.bytes - stringBytes(packed.length);
    return table;
  }

  clone(): HashValue {
    const copy = new HashValue();
    const data = this.data;
    // A copy of its own: shared, one string would be counted for both keys. A table's copy has
    // no draw index until it is drawn from.
    if (typeof data === 'string') copy.data = detached(data);
    else copy.data = newTable(new Map(data.pairs), data.bytes - tableBytes(data) - (data.draws?.bytes ?? 0));
    return copy;
  }
}

function* packedPairs(pairs: Pairs): Generator<readonly [string, string]> {
  for (let i = 0; i < pairs.length; i += 2) yield [pairs[i] as string, pairs[i + 1] as string];
}

/** The table form's own bytes (its strings and draw index apart). */
function tableBytes(table: HashTable): number {
  return TABLE_OBJECT_BYTES + mapBytes(table.tableCapacity);
}
