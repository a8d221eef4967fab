import type { CollectionValue } from './value.js';
import { arrayBytes, grownCapacity, mapBytes, mapCapacityFor, mapEntryAdded, mapEntryRemoved, objectBytes, stringBytes, type MapTable, type SizeAccount } from './heap-size.js';

/** Up to this many array slots (16 fields) a compact hash grows by exact copies, beyond by push. */
const EXACT_GROWTH_LIMIT = 32;

/** The HashValue object: pairs, table, bytes, account. */
const HASH_OBJECT_BYTES = objectBytes(4);
/** The table object: index, fields, values, slots, tableCapacity, tableRemoved. */
const TABLE_OBJECT_BYTES = objectBytes(6);

/**
 * The slots V8 gives the compact form's array of `length` slots: exactly that many up to
 * EXACT_GROWTH_LIMIT (each new field copies the array), then what push of a field and its value
 * grows it to. After removals V8 keeps the larger array; this is the figure for the length.
 */
function pairsCapacity(length: number): number {
  if (length <= EXACT_GROWTH_LIMIT) return length;
  let capacity = EXACT_GROWTH_LIMIT;
  // Each push adds two slots to an even length: it grows the array once the pair no longer fits.
  while (capacity < length) capacity = grownCapacity((capacity + 2) & ~1);
  return capacity;
}

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
}

/**
 * A hash of binary-safe (latin1) fields to values. Small hashes are one flat array
 * [field0, value0, field1, value1, …] in insertion order, like Redis's listpack (and with its
 * encoding name); a hash that outgrows the limits becomes a table for good.
 *
 * The hash keeps its size in V8's heap (`bytes`: its objects, arrays, Map and strings) as it
 * changes, and tells its database's running total (`account`) of each change.
 */
export class HashValue implements CollectionValue {
  /** Listpack form; null once converted to the table. */
  private pairs: string[] | null = [];
  private table: HashTable | null = null;
  bytes = HASH_OBJECT_BYTES + arrayBytes(0);
  account: SizeAccount | null = null;

  recountBytes(): number {
    let bytes = HASH_OBJECT_BYTES + (this.pairs !== null ? arrayBytes(pairsCapacity(this.pairs.length)) : tableBytes(this.table as HashTable));
    for (let i = 0; i < this.size; i++) bytes += stringBytes(this.fieldAt(i).length) + stringBytes(this.valueAt(i).length);
    return bytes;
  }

  /** The hash's size changed by `delta` bytes. */
  private resized(delta: number): void {
    this.bytes += delta;
    if (this.account !== null) this.account.bytes += delta;
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
    hash.pairs = null;
    hash.table = { index, fields, values, slots: fields.length, tableCapacity: mapCapacityFor(index.size), tableRemoved: 0 };
    hash.bytes = hash.recountBytes();
    return hash;
  }

  get type(): 'hash' {
    return 'hash';
  }

  encoding(): string {
    return this.pairs !== null ? 'listpack' : 'hashtable';
  }

  get size(): number {
    return this.pairs !== null ? this.pairs.length >> 1 : (this.table as HashTable).fields.length;
  }

  isCompact(): boolean {
    return this.pairs !== null;
  }

  /** Slot of `field` in position order, or -1. */
  indexOf(field: string): number {
    const pairs = this.pairs;
    if (pairs === null) {
      const i = (this.table as HashTable).index.get(field);
      return i === undefined ? -1 : i;
    }
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === field) return i >> 1;
    return -1;
  }

  get(field: string): string | undefined {
    const pairs = this.pairs;
    if (pairs === null) {
      const table = this.table as HashTable;
      const i = table.index.get(field);
      return i === undefined ? undefined : table.values[i];
    }
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === field) return pairs[i + 1];
    return undefined;
  }

  has(field: string): boolean {
    return this.indexOf(field) !== -1;
  }

  /** The field at position i (0 <= i < size): insertion order while compact. */
  fieldAt(i: number): string {
    return (this.pairs !== null ? this.pairs[i << 1] : (this.table as HashTable).fields[i]) as string;
  }

  valueAt(i: number): string {
    return (this.pairs !== null ? this.pairs[(i << 1) + 1] : (this.table as HashTable).values[i]) as string;
  }

  /**
   * Sets a field; true when it is new. A field or value longer than `maxValue` bytes, or more
   * than `maxEntries` fields, converts to the table (hash-max-listpack-value / -entries).
   */
  set(field: string, value: string, maxEntries: number, maxValue: number): boolean {
    let pairs = this.pairs;
    if (pairs !== null && (field.length > maxValue || value.length > maxValue)) {
      this.convert();
      pairs = null;
    }
    if (pairs !== null) {
      for (let i = 0; i < pairs.length; i += 2) {
        if (pairs[i] === field) {
          this.resized(stringBytes(value.length) - stringBytes((pairs[i + 1] as string).length));
          pairs[i + 1] = value;
          return false;
        }
      }
      const n = pairs.length;
      if (n < EXACT_GROWTH_LIMIT) {
        // push() would reserve 16+ spare slots: most of a tiny hash's memory.
        const grown = new Array<string>(n + 2);
        for (let i = 0; i < n; i++) grown[i] = pairs[i] as string;
        grown[n] = field;
        grown[n + 1] = value;
        this.pairs = grown;
      } else {
        pairs.push(field, value);
      }
      this.resized(arrayBytes(pairsCapacity(n + 2)) - arrayBytes(pairsCapacity(n)) + stringBytes(field.length) + stringBytes(value.length));
      if ((n >> 1) + 1 > maxEntries) this.convert();
      return true;
    }
    const table = this.table as HashTable;
    const i = table.index.get(field);
    if (i !== undefined) {
      this.resized(stringBytes(value.length) - stringBytes((table.values[i] as string).length));
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
    this.resized(delta);
    return true;
  }

  /** Removes a field; true if it was there. */
  delete(field: string): boolean {
    const pairs = this.pairs;
    if (pairs !== null) {
      for (let i = 0; i < pairs.length; i += 2) {
        if (pairs[i] === field) {
          const n = pairs.length;
          this.resized(arrayBytes(pairsCapacity(n - 2)) - arrayBytes(pairsCapacity(n)) - stringBytes(field.length) - stringBytes((pairs[i + 1] as string).length));
          pairs.splice(i, 2);
          return true;
        }
      }
      return false;
    }
    const table = this.table as HashTable;
    const i = table.index.get(field);
    if (i === undefined) return false;
    table.index.delete(field);
    // The arrays keep their capacity as they shrink by pop (measured: V8 does not trim them).
    this.resized(mapEntryRemoved(table, table.index.size) - stringBytes(field.length) - stringBytes((table.values[i] as string).length));
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
    return (this.table as HashTable).index.keys();
  }

  private convert(): void {
    const pairs = this.pairs as string[];
    const n = pairs.length >> 1;
    const fields = new Array<string>(n);
    const values = new Array<string>(n);
    const index = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const f = pairs[i << 1] as string;
      fields[i] = f;
      values[i] = pairs[(i << 1) + 1] as string;
      index.set(f, i);
    }
    const table: HashTable = { index, fields, values, slots: n, tableCapacity: mapCapacityFor(n), tableRemoved: 0 };
    this.resized(tableBytes(table) - arrayBytes(pairsCapacity(pairs.length)));
    this.table = table;
    this.pairs = null;
  }

  clone(): HashValue {
    const copy = new HashValue();
    if (this.pairs !== null) {
      copy.pairs = this.pairs.slice();
      // slice() copies exactly: within the limit that is the capacity pairsCapacity says.
      copy.bytes = this.bytes;
    } else {
      const t = this.table as HashTable;
      copy.pairs = null;
      const table: HashTable = {
        index: new Map(t.index), fields: t.fields.slice(), values: t.values.slice(), slots: t.fields.length, tableCapacity: mapCapacityFor(t.index.size), tableRemoved: 0,
      };
      copy.table = table;
      copy.bytes = this.bytes - tableBytes(t) + tableBytes(table);
    }
    return copy;
  }
}

/** The table form's own bytes (its strings apart). */
function tableBytes(table: HashTable): number {
  return TABLE_OBJECT_BYTES + mapBytes(table.tableCapacity) + 2 * arrayBytes(table.slots);
}
