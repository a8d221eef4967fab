/**
 * What V8 (Node 20, x64, no pointer compression) allocates for the shapes the data structures
 * are made of, so that each value can keep its own size as it changes (INFO used_memory and
 * MEMORY USAGE add these up; they never measure the heap). The figures were measured by
 * building many instances and reading the heap after full collections; the unit test
 * test/unit/heap-size.test.ts measures them again against each structure.
 */

/** A tagged slot: a field, an array element, a Map's key or value. */
export const SLOT_BYTES = 8;
/** map, properties and elements pointers of a plain object. */
const OBJECT_HEADER_BYTES = 24;

/** An object with `fields` in-object properties (a class instance once V8 has seen a few). */
export function objectBytes(fields: number): number {
  return OBJECT_HEADER_BYTES + fields * SLOT_BYTES;
}

/** A boxed double: a Map value or a field holding a number that is not a small integer. */
export const HEAP_NUMBER_BYTES = 16;

/**
 * A one-byte string of `length` chars: a 16-byte header (map, hash, length) and the chars,
 * 8-aligned. Strings of one char are V8's shared single-character strings (what the protocol
 * parser and slicing give for them), the empty string is shared too: they cost nothing. A
 * string over about 1 MB read from a socket is kept outside the heap (an external string):
 * its chars are then counted outside, with about the same total.
 */
export function stringBytes(length: number): number {
  return length <= 1 ? 0 : (length + 23) & ~7;
}

/** A JS array: the JSArray object (32 bytes) and its backing store of `capacity` slots. */
export function arrayBytes(capacity: number): number {
  return 32 + (capacity === 0 ? 0 : 16 + capacity * SLOT_BYTES);
}

/**
 * The capacity V8 gives an array's backing store when `newLength` no longer fits, as push,
 * unshift and splice grow it (JSObject::NewElementsCapacity): half as much again, plus 16.
 */
export function grownCapacity(newLength: number): number {
  return newLength + (newLength >> 1) + 16;
}

/**
 * The capacity V8 leaves an array of `capacity` slots whose length is set from `oldLength` to a
 * smaller `length`: more than half of it unused (and 16 slots), it is cut to the length, or by
 * half the unused slots when one element went (FastElementsAccessor::SetLengthImpl; pop,
 * measured, leaves it as it is).
 */
export function truncatedCapacity(capacity: number, oldLength: number, length: number): number {
  if (length === 0) return 0;
  if (2 * length + 16 > capacity) return capacity;
  return length + 1 === oldLength ? capacity - ((capacity - length) >> 1) : length;
}

/**
 * The capacity of an array grown from empty by push or splice only, for `length` elements:
 * 17, 43, 82, 140… (V8 does not shrink it as elements are removed by splice; pop does trim a
 * large one, which this does not follow).
 */
export function pushedCapacity(length: number): number {
  if (length === 0) return 0;
  let capacity = 0;
  while (capacity < length) capacity = grownCapacity(capacity + 1);
  return capacity;
}

/** A Map's bytes per entry of capacity: its share of the buckets (4) and the entry (key, value, chain: 24). */
const MAP_ENTRY_BYTES = 28;
/** The JSMap object (32) and its table's header (40). */
const MAP_BYTES = 72;
/** A Map's initial and smallest capacity. */
const MAP_MIN_CAPACITY = 4;

/** A Map of `capacity` entries. */
export function mapBytes(capacity: number): number {
  return MAP_BYTES + capacity * MAP_ENTRY_BYTES;
}

/**
 * What V8's sizing of one Map's table depends on (OrderedHashTable): its capacity, a power of
 * two from 4, doubled when an entry is added to a full table (removed entries take room until
 * then; when they are half of it the table is rebuilt at the same size instead), halved when
 * entries fall below a quarter of it. Kept beside the Map (as two fields of its owner, so that
 * a small collection pays no object for it) and moved by mapEntryAdded and mapEntryRemoved,
 * which answer how the table's bytes changed: a running total needs no walk over the Map.
 */
export interface MapTable {
  tableCapacity: number;
  /** Entries removed since the table was last rebuilt: they keep their room. */
  tableRemoved: number;
}

/**
 * An entry was added to the table `table` follows; `size` is its size now. Returns the change
 * in its capacity (entries). A Set's table grows and shrinks as a Map's does.
 */
function capacityAdded(table: MapTable, size: number): number {
  const capacity = table.tableCapacity;
  if (size - 1 + table.tableRemoved < capacity) return 0;
  if (table.tableRemoved < capacity >> 1) table.tableCapacity = capacity * 2;
  table.tableRemoved = 0;
  return table.tableCapacity - capacity;
}

/** An entry was removed from the table `table` follows; `size` is its size now. Returns the change in its capacity. */
function capacityRemoved(table: MapTable, size: number): number {
  const capacity = table.tableCapacity;
  if (size >= capacity >> 2 || capacity === MAP_MIN_CAPACITY) {
    table.tableRemoved++;
    return 0;
  }
  table.tableCapacity = capacity >> 1;
  table.tableRemoved = 0;
  return table.tableCapacity - capacity;
}

/** An entry was added to the Map `table` follows; `size` is its size now. Returns the change in bytes. */
export function mapEntryAdded(table: MapTable, size: number): number {
  return capacityAdded(table, size) * MAP_ENTRY_BYTES;
}

/** An entry was removed from the Map `table` follows; `size` is its size now. Returns the change in bytes. */
export function mapEntryRemoved(table: MapTable, size: number): number {
  return capacityRemoved(table, size) * MAP_ENTRY_BYTES;
}

/** A Set's bytes per entry of capacity: its share of the buckets (4) and the entry (key, chain: 16). */
const SET_ENTRY_BYTES = 20;

/** A Set of `capacity` entries (the same object and header as a Map's). */
export function setBytes(capacity: number): number {
  return MAP_BYTES + capacity * SET_ENTRY_BYTES;
}

/** An entry was added to the Set `table` follows; `size` is its size now. Returns the change in bytes. */
export function setEntryAdded(table: MapTable, size: number): number {
  return capacityAdded(table, size) * SET_ENTRY_BYTES;
}

/** An entry was removed from the Set `table` follows; `size` is its size now. Returns the change in bytes. */
export function setEntryRemoved(table: MapTable, size: number): number {
  return capacityRemoved(table, size) * SET_ENTRY_BYTES;
}

/** The capacity of a Map built by `size` insertions into an empty one. */
export function mapCapacityFor(size: number): number {
  let capacity = MAP_MIN_CAPACITY;
  while (capacity < size) capacity *= 2;
  return capacity;
}

/** An empty Map's capacity. */
export const MAP_INITIAL_CAPACITY = MAP_MIN_CAPACITY;

/**
 * Where a value in the keyspace reports changes of its size: its database's running total
 * (keyspace/database.ts). A value outside the keyspace (being built, or deleted) has none.
 */
export interface SizeAccount {
  bytes: number;
}

/** A value's table form grew (or shrank) by `delta` bytes: its own total and its account's. */
export function tableResized(table: { bytes: number }, account: SizeAccount | null, delta: number): void {
  table.bytes += delta;
  if (account !== null) account.bytes += delta;
}

/** Tells `account` how a value's size changed when its packed string `before` was replaced by `after`. */
export function packedReplaced(account: SizeAccount | null, before: string, after: string): void {
  const delta = stringBytes(after.length) - stringBytes(before.length);
  if (account !== null) account.bytes += delta;
}
