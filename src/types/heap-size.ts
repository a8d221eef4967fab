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
 * The capacity of a Map's table as V8 sizes it (OrderedHashTable): a power of two from 4,
 * doubled when an entry is added to a full table (removed entries take room until then; when
 * they are half of it the table is rebuilt at the same size instead), halved when entries fall
 * below a quarter of it. add() and remove() follow one Map and answer how its table's bytes
 * changed, so that a running total needs no walk over the Map.
 */
export class MapCapacity {
  capacity = MAP_MIN_CAPACITY;
  /** Entries removed since the table was last rebuilt: they keep their room. */
  private removed = 0;

  /** Bytes of the table at the current capacity, beyond an empty Map's. */
  get extraBytes(): number {
    return (this.capacity - MAP_MIN_CAPACITY) * MAP_ENTRY_BYTES;
  }

  /** An entry was added; `size` is the Map's size now. Returns the change in bytes. */
  add(size: number): number {
    const capacity = this.capacity;
    if (size - 1 + this.removed < capacity) return 0;
    if (this.removed < capacity >> 1) this.capacity = capacity * 2;
    this.removed = 0;
    return (this.capacity - capacity) * MAP_ENTRY_BYTES;
  }

  /** An entry was removed; `size` is the Map's size now. Returns the change in bytes. */
  remove(size: number): number {
    const capacity = this.capacity;
    if (size >= capacity >> 2 || capacity === MAP_MIN_CAPACITY) {
      this.removed++;
      return 0;
    }
    this.capacity = capacity >> 1;
    this.removed = 0;
    return (this.capacity - capacity) * MAP_ENTRY_BYTES;
  }

  /** The Map was cleared: V8 gives it a fresh table of the initial size. Returns the change in bytes. */
  clear(): number {
    const bytes = -this.extraBytes;
    this.capacity = MAP_MIN_CAPACITY;
    this.removed = 0;
    return bytes;
  }

  /** The capacity a Map built by `size` insertions into an empty one has. */
  static forSize(size: number): number {
    let capacity = MAP_MIN_CAPACITY;
    while (capacity < size) capacity *= 2;
    return capacity;
  }

  /** Starts following a Map that was just built by `size` insertions into an empty one. */
  static ofSize(size: number): MapCapacity {
    const tracker = new MapCapacity();
    tracker.capacity = MapCapacity.forSize(size);
    return tracker;
  }

  clone(): MapCapacity {
    const copy = new MapCapacity();
    copy.capacity = this.capacity;
    copy.removed = this.removed;
    return copy;
  }
}

/**
 * Where a value in the keyspace reports changes of its size: its database's running total
 * (keyspace/database.ts). A value outside the keyspace (being built, or deleted) has none.
 */
export interface SizeAccount {
  bytes: number;
}
