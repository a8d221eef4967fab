import {
  arrayBytes, grownCapacity, objectBytes, setBytes, setEntryAdded, setEntryRemoved, stringBytes, truncatedCapacity, MAP_INITIAL_CAPACITY, type MapTable,
} from './heap-size.js';

/** The index object: keys, slots, stale, tableCapacity, tableRemoved, bytes. */
const INDEX_OBJECT_BYTES = objectBytes(6);

/** Stale keys beyond this many, and beyond half the table's size, make the index not worth keeping. */
const STALE_ALLOWANCE = 32;

/**
 * Random access to the keys of a large set or hash (SPOP, SRANDMEMBER, HRANDFIELD), whose table
 * is a plain Set or Map: an array of the keys, made when one is first drawn (one pass over the
 * table, about 10 ms for a million keys) and kept up to date from then on. Without it, every
 * key would need its slot kept beside it in the table (a Map from key to slot: 16 bytes a key
 * more, in every large set or hash whether anything is ever drawn from it or not), and making
 * that map on the first draw took 0.3 s for a million keys.
 *
 * A key removed from the table other than by a draw stays in the array, "stale": finding its
 * slot would need that map. `stale` holds those keys, so that a draw skips them (and takes them
 * out) and a key added again is not put in twice: every key of the table is in the array
 * exactly once, which keeps draws uniform. When the stale keys outnumber half the table the
 * owner drops the index (tooStale), and the next draw makes it afresh.
 *
 * The owner keeps `bytes` in its own: the object, the array, the stale Set, and the strings only
 * the index holds: a stale key twice (the array's copy, the table's, and the Set's, the one the
 * removal was asked with: another string of the same text), and the old copy of a key added
 * again, which stays in the array while the table holds the new one (counted until the index is
 * dropped, even if a draw takes that key away before).
 */
export class DrawIndex implements MapTable {
  readonly keys: string[];
  private slots: number;
  private stale: Set<string> | null = null;
  tableCapacity = MAP_INITIAL_CAPACITY;
  tableRemoved = 0;
  bytes = 0;

  constructor(keys: Iterable<string>) {
    // Spread: V8 copies a Set's or a Map iterator's keys into an array of their number at
    // once (7-11 ms for a million keys, where pushing them one by one took 30-190).
    this.keys = [...keys];
    this.slots = this.keys.length;
    this.bytes = INDEX_OBJECT_BYTES + arrayBytes(this.slots);
  }

  /** Keys in the array, stale ones included. */
  get length(): number {
    return this.keys.length;
  }

  /** Whether the stale keys are too many for the index to be kept, the table holding `size` keys. */
  tooStale(size: number): boolean {
    const stale = this.stale;
    return stale !== null && stale.size > STALE_ALLOWANCE && stale.size > size >> 1;
  }

  /** The table gained `key`. */
  added(key: string): void {
    const stale = this.stale;
    if (stale !== null && stale.delete(key)) {
      // Its old copy in the array stands for it again; the table holds the new one.
      this.bytes += setEntryRemoved(this, stale.size) - stringBytes(key.length);
      return;
    }
    const keys = this.keys;
    keys.push(key);
    if (keys.length > this.slots) this.resized(grownCapacity(keys.length));
  }

  /** The table lost `key` other than by a draw: its copy goes stale. */
  removed(key: string): void {
    let stale = this.stale;
    if (stale === null) {
      stale = this.stale = new Set<string>();
      this.tableCapacity = MAP_INITIAL_CAPACITY;
      this.tableRemoved = 0;
      this.bytes += setBytes(MAP_INITIAL_CAPACITY);
    }
    const before = stale.size;
    stale.add(key);
    if (stale.size !== before) this.bytes += setEntryAdded(this, stale.size) + 2 * stringBytes(key.length);
  }

  /** The slot of a key drawn at random (the table is not empty); stale keys met on the way leave. */
  draw(): number {
    const keys = this.keys;
    const stale = this.stale;
    for (;;) {
      const i = Math.floor(Math.random() * keys.length);
      if (stale === null || stale.size === 0) return i;
      const key = keys[i] as string;
      if (!stale.delete(key)) return i;
      this.bytes += setEntryRemoved(this, stale.size) - 2 * stringBytes(key.length);
      this.takeAt(i);
    }
  }

  /** Takes the key at slot i out of the array: the owner removes it from the table (a pop). */
  takeAt(i: number): void {
    const keys = this.keys;
    const last = keys.pop() as string;
    // The array keeps its capacity as it shrinks by pop (measured: V8 does not trim it).
    if (i !== keys.length) keys[i] = last;
  }

  private resized(slots: number): void {
    this.bytes += arrayBytes(slots) - arrayBytes(this.slots);
    this.slots = slots;
  }

  /** The array with no stale key left: the table's keys, one a slot (for draws by position). */
  compacted(): readonly string[] {
    const stale = this.stale;
    if (stale !== null && stale.size > 0) {
      const keys = this.keys;
      let kept = 0;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        if (stale.has(key)) this.bytes -= 2 * stringBytes(key.length);
        else keys[kept++] = key;
      }
      keys.length = kept;
      this.resized(truncatedCapacity(this.slots, kept));
      this.bytes -= setBytes(this.tableCapacity);
      this.stale = null;
      this.tableCapacity = MAP_INITIAL_CAPACITY;
      this.tableRemoved = 0;
    }
    return this.keys;
  }
}
