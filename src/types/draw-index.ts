import {
  arrayBytes, grownCapacity, objectBytes, setBytes, setEntryAdded, setEntryRemoved, stringBytes, truncatedCapacity, MAP_INITIAL_CAPACITY, type MapTable,
} from './heap-size.js';

/** The index object: keys, slots, stale, revived, bytes. */
const INDEX_OBJECT_BYTES = objectBytes(5);
/** A KeyList object: keys, tableCapacity, tableRemoved. */
const LIST_OBJECT_BYTES = objectBytes(3);

/** Keys held beyond this many, and beyond half the table's size, make the index not worth keeping. */
const EXTRA_ALLOWANCE = 32;

/** A Set of keys the index keeps aside, with what V8 gives its table (for its bytes). */
class KeyList implements MapTable {
  readonly keys = new Set<string>();
  tableCapacity = MAP_INITIAL_CAPACITY;
  tableRemoved = 0;

  /** Adds `key` (not there); returns the change in bytes, its table's only. */
  add(key: string): number {
    this.keys.add(key);
    return setEntryAdded(this, this.keys.size);
  }

  /** Removes `key` if there; returns the change in bytes, its table's only, or null when it was not there. */
  remove(key: string): number | null {
    if (!this.keys.delete(key)) return null;
    return setEntryRemoved(this, this.keys.size);
  }

  get bytes(): number {
    return LIST_OBJECT_BYTES + setBytes(this.tableCapacity);
  }
}

/**
 * Random access to the keys of a large set or hash (SPOP, SRANDMEMBER, HRANDFIELD), whose table
 * is a plain Set or Map: an array of the keys, made when one is first drawn (one spread of the
 * table, about 12 ms for a million keys) and kept up to date from then on. Without it, every
 * key would need its slot kept beside it in the table (a Map from key to slot: 16 bytes a key
 * more, in every large set or hash whether anything is ever drawn from it or not), and making
 * that map on the first draw took 0.3 s for a million keys.
 *
 * A key removed from the table other than by a draw stays in the array, "stale": finding its
 * slot would need that map. `stale` holds those keys, so that a draw skips them (and takes them
 * out) and a key added again is not put in twice: every key of the table is in the array
 * exactly once, which keeps draws uniform. A stale key added again is "revived": its old copy
 * in the array stands for it, while the table holds the string it was added with.
 *
 * The owner keeps `bytes` in its own: the object, the array, the two Sets, and the strings only
 * the index keeps alive: for a stale key, the array's copy and the Set's (the string the removal
 * was asked with); for a revived one, the array's copy. When those keys outnumber half the
 * table, the owner drops the index (tooBig) and the next draw makes it afresh.
 */
export class DrawIndex {
  readonly keys: string[];
  private slots: number;
  private stale: KeyList | null = null;
  private revived: KeyList | null = null;
  bytes: number;

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

  /** Whether the keys kept aside are too many for the index to be kept, the table holding `size` keys. */
  tooBig(size: number): boolean {
    const extra = (this.stale?.keys.size ?? 0) + (this.revived?.keys.size ?? 0);
    return extra > EXTRA_ALLOWANCE && extra > size >> 1;
  }

  /** The table gained `key`. */
  added(key: string): void {
    const stale = this.stale;
    const change = stale === null ? null : stale.remove(key);
    if (change !== null) {
      // The Set's string goes; the array's copy stands for the key again.
      this.bytes += change - stringBytes(key.length) + this.listAdd('revived', key);
      return;
    }
    const keys = this.keys;
    keys.push(key);
    if (keys.length > this.slots) this.resized(grownCapacity(keys.length));
  }

  /** The table lost `key` other than by a draw: its copy goes stale. */
  removed(key: string): void {
    const revived = this.revived;
    const change = revived === null ? null : revived.remove(key);
    // The array's copy is already counted for a revived key.
    if (change !== null) this.bytes += change + stringBytes(key.length);
    else this.bytes += 2 * stringBytes(key.length);
    this.bytes += this.listAdd('stale', key);
  }

  /** The slot of a key drawn at random (the table is not empty); stale keys met on the way leave. */
  draw(): number {
    const keys = this.keys;
    for (;;) {
      const i = Math.floor(Math.random() * keys.length);
      const stale = this.stale;
      if (stale === null || stale.keys.size === 0) return i;
      const key = keys[i] as string;
      const change = stale.remove(key);
      if (change === null) return i;
      this.bytes += change - 2 * stringBytes(key.length);
      this.removeSlot(i);
    }
  }

  /** Takes the key at slot i out of the array, the owner removing it from the table (a pop). */
  takeAt(i: number): void {
    const key = this.keys[i] as string;
    const revived = this.revived;
    const change = revived === null ? null : revived.remove(key);
    // The array's old copy of a revived key goes with it (the table's string, with the table).
    if (change !== null) this.bytes += change - stringBytes(key.length);
    this.removeSlot(i);
  }

  /** The array with no stale key left: the table's keys, one a slot (for draws by position). */
  compacted(): readonly string[] {
    const stale = this.stale;
    if (stale !== null && stale.keys.size > 0) {
      const keys = this.keys;
      const length = keys.length;
      let kept = 0;
      for (let i = 0; i < length; i++) {
        const key = keys[i] as string;
        if (stale.keys.has(key)) this.bytes -= 2 * stringBytes(key.length);
        else keys[kept++] = key;
      }
      keys.length = kept;
      this.resized(truncatedCapacity(this.slots, length, kept));
      this.bytes -= stale.bytes;
      this.stale = null;
    }
    return this.keys;
  }

  private removeSlot(i: number): void {
    const keys = this.keys;
    const last = keys.pop() as string;
    // The array keeps its capacity as it shrinks by pop (measured: V8 does not trim it).
    if (i !== keys.length) keys[i] = last;
  }

  /** Adds `key` to the stale or revived list (made if need be); returns the change in bytes. */
  private listAdd(which: 'stale' | 'revived', key: string): number {
    let list = this[which];
    let made = 0;
    if (list === null) {
      list = this[which] = new KeyList();
      made = list.bytes;
    }
    return made + list.add(key);
  }

  private resized(slots: number): void {
    this.bytes += arrayBytes(slots) - arrayBytes(this.slots);
    this.slots = slots;
  }
}
