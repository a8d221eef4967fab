/**
 * A database's table of keys (its dict, its expiry times, its access records): a Map, and
 * further Maps once it holds more keys than one Map may.
 *
 * V8's Map stops at 2^24 slots, deleted entries' included, so that one Map safely holds
 * maxTableEntries (2^23) live entries (types/table-limit.ts). A database's keys go on into an
 * overflow Map past that, as many as memory holds, where Redis's dict grows to 2^64. Below it
 * a lookup costs one Map lookup and one comparison, as before; past it a key not in the first
 * Map is looked for in the next ones. A key is in one Map at a time.
 *
 * Iteration walks the Maps in order, each in its insertion order; an iterator stays valid
 * while the table changes, as a Map's does: it sees every entry that stays from its start to
 * its end, and an entry added meanwhile or not (Redis's SCAN gives the same guarantee).
 */
import { MAP_INITIAL_CAPACITY, mapBytes, mapEntryAdded, mapEntryRemoved, type MapTable, type SizeAccount } from './heap-size.js';
import { maxTableEntries } from './table-limit.js';

/** What reading a table needs: a KeyTable, or a Map (where tests build a dataset by hand). */
export interface ReadonlyKeyTable<V> {
  readonly size: number;
  get(key: string): V | undefined;
  has(key: string): boolean;
  keys(): IterableIterator<string>;
  entries(): IterableIterator<[string, V]>;
  values(): IterableIterator<V>;
  [Symbol.iterator](): IterableIterator<[string, V]>;
}

/** One Map of a table and what V8 has sized its table to (for the memory count). */
class Part<V> implements MapTable {
  readonly map = new Map<string, V>();
  tableCapacity = MAP_INITIAL_CAPACITY;
  tableRemoved = 0;
}

/** A Part object: header and three fields. */
const PART_OBJECT_BYTES = 48;

export class KeyTable<V> implements ReadonlyKeyTable<V> {
  /** Entries in all Maps. */
  size = 0;
  /**
   * What the Maps take in V8's heap beyond an empty table's: their tables (as V8 sizes them),
   * and the overflow Maps themselves. Kept as entries come and go, never by a walk.
   */
  bytes = 0;
  /** Where the changes of `bytes` are reported too: the database's running total (its usage). */
  account: SizeAccount | null = null;
  private first = new Part<V>();
  /** The first Map, then the overflow ones; only the first while the table fits in it. */
  private parts: Array<Part<V>> = [this.first];

  get(key: string): V | undefined {
    const value = this.first.map.get(key);
    if (value !== undefined || this.parts.length === 1) return value;
    return this.partOf(key)?.map.get(key);
  }

  has(key: string): boolean {
    if (this.first.map.has(key)) return true;
    return this.parts.length !== 1 && this.partOf(key) !== undefined;
  }

  /** Adds or replaces; true when the key was new. */
  set(key: string, value: V): boolean {
    let part = this.first;
    if (this.parts.length !== 1 || part.map.size >= maxTableEntries) {
      const holder = this.partOf(key);
      if (holder !== undefined) {
        holder.map.set(key, value);
        return false;
      }
      part = this.partWithRoom();
    }
    const map = part.map;
    const before = map.size;
    map.set(key, value);
    if (map.size === before) return false;
    this.size++;
    this.resized(mapEntryAdded(part, before + 1));
    return true;
  }

  delete(key: string): boolean {
    let part: Part<V> | undefined = this.first;
    if (!part.map.delete(key)) {
      if (this.parts.length === 1) return false;
      part = this.partOf(key);
      if (part === undefined) return false;
      part.map.delete(key);
    }
    this.size--;
    this.resized(mapEntryRemoved(part, part.map.size));
    return true;
  }

  private resized(delta: number): void {
    this.bytes += delta;
    if (this.account !== null) this.account.bytes += delta;
  }

  /**
   * Empties the table. Fresh Maps replace the old ones, which are cleared: an iterator still
   * open on the table then ends at its next step.
   */
  clear(): void {
    for (const part of this.parts) part.map.clear();
    this.first = new Part<V>();
    this.parts = [this.first];
    this.size = 0;
    this.resized(-this.bytes);
  }

  /** How many Maps the table has now (tests). */
  get partCount(): number {
    return this.parts.length;
  }

  /** The Map holding `key`, when the table has several. */
  private partOf(key: string): Part<V> | undefined {
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as Part<V>;
      if (part.map.has(key)) return part;
    }
    return undefined;
  }

  /** The first Map with room for one more key, a new one when all are full. */
  private partWithRoom(): Part<V> {
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as Part<V>;
      if (part.map.size < maxTableEntries) return part;
    }
    const part = new Part<V>();
    parts.push(part);
    this.resized(mapBytes(MAP_INITIAL_CAPACITY) + PART_OBJECT_BYTES);
    return part;
  }

  entries(): IterableIterator<[string, V]> {
    return new PartsIterator(this.parts, entriesOf);
  }

  keys(): IterableIterator<string> {
    return new PartsIterator(this.parts, keysOf);
  }

  values(): IterableIterator<V> {
    return new PartsIterator(this.parts, valuesOf);
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}

function entriesOf<V>(map: Map<string, V>): Iterator<[string, V]> {
  return map.entries();
}

function keysOf<V>(map: Map<string, V>): Iterator<string> {
  return map.keys();
}

function valuesOf<V>(map: Map<string, V>): Iterator<V> {
  return map.values();
}

/**
 * Walks the Maps one after another with their own iterators (a generator with yield* was
 * several times slower a step, and the eviction pool's sampling takes hundreds of steps). The
 * array of Maps is read as it is when a Map ends: one added meanwhile is walked too.
 */
class PartsIterator<V, T> implements IterableIterator<T> {
  private index = 0;
  private inner: Iterator<T>;

  constructor(
    private readonly parts: ReadonlyArray<Part<V>>,
    private readonly open: (map: Map<string, V>) => Iterator<T>,
  ) {
    this.inner = open((parts[0] as Part<V>).map);
  }

  next(): IteratorResult<T> {
    for (;;) {
      const step = this.inner.next();
      if (step.done !== true) return step;
      const part = this.parts[this.index + 1];
      if (part === undefined) return step;
      this.index++;
      this.inner = this.open(part.map);
    }
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this;
  }
}
