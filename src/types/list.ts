import type { CollectionValue } from './value.js';
import { arrayBytes, objectBytes, stringBytes, type SizeAccount } from './heap-size.js';

const MIN_CAPACITY = 4;
/**
 * Below this capacity a list never shrinks: small lists are the common case and cheap anyway.
 * Above it the buffer shrinks to a quarter once it is under a sixteenth full, lazily enough that a
 * queue which fills and drains does not keep copying itself.
 */
const SHRINK_FLOOR = 1024;
/** The List object: type, items, mask, head, length, bytes, account. */
const LIST_OBJECT_BYTES = objectBytes(7);

/**
 * A list value: a ring buffer of latin1 strings whose capacity is a power of two, so that an
 * index maps to a slot with one mask. Push and pop at either end are O(1) amortized, access
 * by index O(1); an insertion or a single removal moves the shorter side only, and a multiple
 * removal (LREM) compacts just the span that holds the removed elements. Slots that fall out
 * of use are cleared so that their strings can be collected, and the buffer shrinks when a
 * large list loses most of its elements.
 *
 * Redis 7.0 reports every list as a quicklist (the listpack encoding of small lists arrived
 * in 7.2), whatever list-max-listpack-size says.
 *
 * The list keeps its size in V8's heap (`bytes`: this object, the buffer, the elements'
 * strings) as it changes, and tells its database's running total (`account`) of each change.
 */
export class List implements CollectionValue {
  readonly type = 'list' as const;
  private items: (string | undefined)[];
  private mask: number;
  private head = 0;
  private length = 0;
  bytes: number;
  account: SizeAccount | null = null;

  constructor(capacity = MIN_CAPACITY) {
    let cap = MIN_CAPACITY;
    while (cap < capacity) cap *= 2;
    this.items = new Array<string | undefined>(cap);
    this.mask = cap - 1;
    this.bytes = LIST_OBJECT_BYTES + arrayBytes(cap);
  }

  static from(values: Iterable<string>): List {
    const array = Array.isArray(values) ? (values as string[]) : [...values];
    const list = new List(array.length);
    let bytes = 0;
    for (let i = 0; i < array.length; i++) {
      const value = array[i] as string;
      list.items[i] = value;
      bytes += stringBytes(value.length);
    }
    list.length = array.length;
    list.bytes += bytes;
    return list;
  }

  /**
   * A list of the first `length` items of `items` (the rest must be empty slots), which becomes
   * its storage: the caller gives the array up. Saves a copy of a large list built in one go
   * (loading one from a file).
   */
  static adopt(items: (string | undefined)[], length = items.length): List {
    const list = new List(0);
    let cap = MIN_CAPACITY;
    while (cap < length) cap *= 2;
    items.length = cap;
    list.items = items;
    list.mask = cap - 1;
    list.length = length;
    list.bytes = list.recountBytes();
    return list;
  }

  recountBytes(): number {
    let bytes = LIST_OBJECT_BYTES + arrayBytes(this.items.length);
    for (let i = 0; i < this.length; i++) bytes += stringBytes((this.items[(this.head + i) & this.mask] as string).length);
    return bytes;
  }

  /** The list's size changed by `delta` bytes. */
  private resized(delta: number): void {
    this.bytes += delta;
    if (this.account !== null) this.account.bytes += delta;
  }

  get size(): number {
    return this.length;
  }

  encoding(): string {
    return 'quicklist';
  }

  clone(): List {
    const copy = new List(this.length);
    for (let i = 0; i < this.length; i++) copy.items[i] = this.items[(this.head + i) & this.mask];
    copy.length = this.length;
    // The same strings; the copy counts them as its own, as it will keep them after this list goes.
    copy.bytes = LIST_OBJECT_BYTES + arrayBytes(copy.items.length) + (this.bytes - LIST_OBJECT_BYTES - arrayBytes(this.items.length));
    return copy;
  }

  /** The element at `index` (0 = head); the caller keeps the index within [0, size). */
  get(index: number): string {
    return this.items[(this.head + index) & this.mask] as string;
  }

  /** Replaces the element at `index`, within [0, size). */
  set(index: number, value: string): void {
    const slot = (this.head + index) & this.mask;
    this.resized(stringBytes(value.length) - stringBytes((this.items[slot] as string).length));
    this.items[slot] = value;
  }

  pushRight(value: string): void {
    if (this.length === this.items.length) this.resize(this.items.length * 2);
    this.items[(this.head + this.length) & this.mask] = value;
    this.length++;
    this.resized(stringBytes(value.length));
  }

  pushLeft(value: string): void {
    if (this.length === this.items.length) this.resize(this.items.length * 2);
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = value;
    this.length++;
    this.resized(stringBytes(value.length));
  }

  /** Removes and returns the head element; undefined when empty. */
  popLeft(): string | undefined {
    if (this.length === 0) return undefined;
    const value = this.items[this.head] as string;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    this.resized(-stringBytes(value.length));
    if (this.length < this.items.length >>> 4) this.maybeShrink();
    return value;
  }

  /** Removes and returns the tail element; undefined when empty. */
  popRight(): string | undefined {
    if (this.length === 0) return undefined;
    const slot = (this.head + this.length - 1) & this.mask;
    const value = this.items[slot] as string;
    this.items[slot] = undefined;
    this.length--;
    this.resized(-stringBytes(value.length));
    if (this.length < this.items.length >>> 4) this.maybeShrink();
    return value;
  }

  /** Removes `n` elements from the head (n within [0, size]). */
  removeLeft(n: number): void {
    const items = this.items;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const slot = (this.head + i) & this.mask;
      bytes += stringBytes((items[slot] as string).length);
      items[slot] = undefined;
    }
    this.head = (this.head + n) & this.mask;
    this.length -= n;
    this.resized(-bytes);
    this.maybeShrink();
  }

  /** Removes `n` elements from the tail (n within [0, size]). */
  removeRight(n: number): void {
    const items = this.items;
    let bytes = 0;
    for (let i = this.length - n; i < this.length; i++) {
      const slot = (this.head + i) & this.mask;
      bytes += stringBytes((items[slot] as string).length);
      items[slot] = undefined;
    }
    this.length -= n;
    this.resized(-bytes);
    this.maybeShrink();
  }

  /** Inserts `value` so that it ends up at `index`, within [0, size]. */
  insert(index: number, value: string): void {
    this.resized(stringBytes(value.length));
    if (this.length === this.items.length) this.resize(this.items.length * 2);
    const items = this.items;
    const mask = this.mask;
    if (index < this.length - index) {
      // Move the elements before `index` one slot towards the head.
      this.head = (this.head - 1) & mask;
      for (let i = 0; i < index; i++) items[(this.head + i) & mask] = items[(this.head + i + 1) & mask];
    } else {
      for (let i = this.length; i > index; i--) items[(this.head + i) & mask] = items[(this.head + i - 1) & mask];
    }
    items[(this.head + index) & mask] = value;
    this.length++;
  }

  /** Removes the element at `index`, within [0, size). */
  removeAt(index: number): void {
    const items = this.items;
    const mask = this.mask;
    this.resized(-stringBytes((items[(this.head + index) & mask] as string).length));
    if (index < this.length - 1 - index) {
      for (let i = index; i > 0; i--) items[(this.head + i) & mask] = items[(this.head + i - 1) & mask];
      items[this.head] = undefined;
      this.head = (this.head + 1) & mask;
    } else {
      for (let i = index; i < this.length - 1; i++) items[(this.head + i) & mask] = items[(this.head + i + 1) & mask];
      items[(this.head + this.length - 1) & mask] = undefined;
    }
    this.length--;
    this.maybeShrink();
  }

  /** Index of the first element equal to `value` at or after `from`, or -1. */
  indexOf(value: string, from = 0): number {
    const items = this.items;
    for (let i = from; i < this.length; i++) {
      if (items[(this.head + i) & this.mask] === value) return i;
    }
    return -1;
  }

  /**
   * Removes elements equal to `value` as LREM does: up to `limit` of them from the head
   * (limit > 0), from the tail (limit < 0), or all of them (limit 0). Returns how many went.
   */
  removeValue(value: string, limit: number): number {
    const n = this.length;
    const items = this.items;
    const mask = this.mask;
    const head = this.head;
    let want = limit === 0 ? Infinity : Math.abs(limit);
    // Find the span [first, last] holding exactly the elements to remove.
    let first = -1;
    let last = -1;
    let found = 0;
    if (limit >= 0) {
      for (let i = 0; i < n && want > 0; i++) {
        if (items[(head + i) & mask] === value) {
          if (first === -1) first = i;
          last = i;
          found++;
          want--;
        }
      }
    } else {
      for (let i = n - 1; i >= 0 && want > 0; i--) {
        if (items[(head + i) & mask] === value) {
          if (last === -1) last = i;
          first = i;
          found++;
          want--;
        }
      }
    }
    if (found === 0) return 0;
    // Every match within the span goes. Close the gaps by moving the side that is shorter:
    // the elements before `last` towards the tail, or those after `first` towards the head.
    if (last + 1 <= n - first) {
      let w = last;
      for (let r = last; r >= 0; r--) {
        const v = items[(head + r) & mask];
        if (r >= first && v === value) continue;
        items[(head + w) & mask] = v;
        w--;
      }
      for (let i = 0; i < found; i++) items[(head + i) & mask] = undefined;
      this.head = (head + found) & mask;
    } else {
      let w = first;
      for (let r = first; r < n; r++) {
        const v = items[(head + r) & mask];
        if (r <= last && v === value) continue;
        items[(head + w) & mask] = v;
        w++;
      }
      for (let i = n - found; i < n; i++) items[(head + i) & mask] = undefined;
    }
    this.length = n - found;
    this.resized(-found * stringBytes(value.length));
    this.maybeShrink();
    return found;
  }

  /** The elements head to tail, as a new array. */
  toArray(): string[] {
    const out = new Array<string>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.items[(this.head + i) & this.mask] as string;
    return out;
  }

  private maybeShrink(): void {
    const cap = this.items.length;
    if (cap <= SHRINK_FLOOR || this.length >= cap >>> 4) return;
    let next = cap >>> 2;
    while (next > SHRINK_FLOOR && this.length < next >>> 4) next >>>= 2;
    this.resize(Math.max(next, SHRINK_FLOOR));
  }

  /**
   * Moves the elements to a fresh buffer of `capacity` slots (a power of two >= size). Always a
   * new array of that exact size: growing one in place (setting its length) would let V8 give
   * it a backing store of its own choosing (22 slots for 8, 149 for 128), which is both more
   * memory for small lists and a size the list could not know.
   */
  private resize(capacity: number): void {
    this.resized(arrayBytes(capacity) - arrayBytes(this.items.length));
    const next = new Array<string | undefined>(capacity);
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) & this.mask];
    this.items = next;
    this.mask = capacity - 1;
    this.head = 0;
  }
}
