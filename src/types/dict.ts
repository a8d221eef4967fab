/**
 * A database's dict: its keys and their values, with a small integer beside each plain string
 * value that was given one (its key's access record, keyspace/access.ts).
 *
 * Redis keeps an object's LRU clock in the object's header (robj.lru). A collection here holds
 * its own in a field, but a plain string value is a JS string, which can hold nothing more; a
 * second Map from key to record cost a Map entry per key (29 bytes a key, measured with 1M
 * keys). Here the key's table entry holds a slot number instead of the string, and the slot
 * holds the string and the record in two chunked arrays: 12 bytes a key (an array element and
 * an Int32Array element).
 *
 * A plain string stays in the table itself until it is given a record (keys loaded from a file
 * cost no slot until they are used). A slot is freed when its key goes or its value becomes
 * anything but a plain string; freed slots are reused first (the free ones are linked through
 * their records), and the arrays are let go once no slot is in use. Until then a freed slot's
 * 12 bytes stay counted.
 *
 * Reading, iteration and its guarantees are the KeyTable's (key-table.ts): values come out as
 * they went in, wherever they are kept.
 */
import { arrayBytes, type SizeAccount } from './heap-size.js';
import { KeyTable, type ReadonlyKeyTable } from './key-table.js';

/**
 * Slots per chunk: 64K, so that chunks are few and large. GET over a million keys (-P 16, the
 * server's CPU beside the build with a second Map) cost 20 % more with chunks of 1K slots and
 * 9 % more with these: a random slot of a small chunk costs more to reach. The first chunk
 * starts small and doubles, so that a database with a few keys holds little.
 */
const CHUNK_BITS = 16;
const CHUNK_SLOTS = 1 << CHUNK_BITS;
const SLOT_MASK = CHUNK_SLOTS - 1;
/** The first chunk's first size. */
const FIRST_CHUNK_SLOTS = 64;

/** A chunk of `slots` slots: its array of strings, its Int32Array (the object, measured, and its 4-byte elements outside the heap) and their places in the lists of chunks. */
function chunkBytes(slots: number): number {
  return arrayBytes(slots) + 184 + 4 * slots + 16;
}

export class Dict<V extends string | object> implements ReadonlyKeyTable<V> {
  /** Each key to its value, or to the slot of a plain string that has a record. */
  private readonly table = new KeyTable<V | number>();
  private strings: string[][] = [];
  private records: Int32Array[] = [];
  /** The last slot freed and not yet reused, -1 for none; each free slot's record is the one freed before it. */
  private freeHead = -1;
  /** Slots handed out so far (the next fresh one). */
  private slotsMade = 0;
  private slotsInUse = 0;
  /** The first chunk's size (0 before it is made); it is full size (CHUNK_SLOTS) once there are others. */
  private firstChunkSlots = 0;
  /** What the chunks take. */
  private slabBytes = 0;
  private slabAccount: SizeAccount | null = null;

  get size(): number {
    return this.table.size;
  }

  /** What the table and the slots take in V8's heap and beside it, beyond an empty dict's. */
  get bytes(): number {
    return this.table.bytes + this.slabBytes;
  }

  /** Where changes of `bytes` are reported too (the database's usage). */
  get account(): SizeAccount | null {
    return this.slabAccount;
  }

  set account(account: SizeAccount | null) {
    this.table.account = account;
    this.slabAccount = account;
  }

  get(key: string): V | undefined {
    const entry = this.table.get(key);
    return typeof entry === 'number' ? this.slotString(entry) : entry;
  }

  /**
   * The value of `key`, as get(); a plain string value's record becomes `record` (an object
   * value's is the caller's). One lookup where get() and setStringRecord() take two: the read
   * path of a command (a lookup in a table of a million keys is mostly cache misses).
   */
  getRecording(key: string, record: number): V | undefined {
    const entry = this.table.get(key);
    if (typeof entry === 'number') {
      this.putRecord(entry, record);
      return this.slotString(entry);
    }
    if (typeof entry === 'string') this.giveSlot(key, entry, record);
    return entry;
  }

  has(key: string): boolean {
    return this.table.has(key);
  }

  /**
   * Adds or replaces; true when the key was new. A plain string that replaces a plain string
   * keeps the key's record; any other value drops it (the caller moves it where it belongs).
   */
  set(key: string, value: V): boolean {
    const table = this.table;
    // Without slots (a file loading into an empty database), one probe: the table's set.
    if (this.slotsInUse === 0) return table.set(key, value);
    const entry = table.get(key);
    if (typeof entry === 'number') {
      if (typeof value === 'string') {
        this.putString(entry, value);
        return false;
      }
      this.freeSlot(entry);
    }
    return table.set(key, value);
  }

  /**
   * Adds or replaces with a plain string, in one lookup: with `record` as its record, or without
   * one (undefined) keeping the record of a plain string it replaces. Returns the value it
   * replaced, undefined when the key was new.
   */
  exchangeString(key: string, value: V & string, record: number | undefined): V | undefined {
    const entry = this.table.get(key);
    if (typeof entry !== 'number') {
      if (record !== undefined) this.giveSlot(key, value, record);
      else this.table.set(key, value);
      return entry;
    }
    const old = this.slotString(entry);
    this.putString(entry, value);
    if (record !== undefined) this.putRecord(entry, record);
    return old;
  }

  delete(key: string): boolean {
    const table = this.table;
    const entry = table.get(key);
    if (entry === undefined) return false;
    table.delete(key);
    if (typeof entry === 'number') this.freeSlot(entry);
    return true;
  }

  /** The record of `key` when its value is a plain string that has one. */
  stringRecord(key: string): number | undefined {
    const entry = this.table.get(key);
    return typeof entry === 'number' ? this.recordAt(entry) : undefined;
  }

  /** Whether `key`'s value is a plain string that has a record. */
  hasStringRecord(key: string): boolean {
    return typeof this.table.get(key) === 'number';
  }

  /** Gives `key`'s plain string value the record `record` (a 32-bit integer); false when its value is no plain string. */
  setStringRecord(key: string, record: number): boolean {
    const table = this.table;
    const entry = table.get(key);
    if (typeof entry === 'number') {
      this.putRecord(entry, record);
      return true;
    }
    if (typeof entry !== 'string') return false;
    this.giveSlot(key, entry, record);
    return true;
  }

  /** `key`'s entry becomes a new slot holding `value` and `record`, whatever it was. */
  private giveSlot(key: string, value: string, record: number): void {
    const slot = this.takeSlot();
    this.putString(slot, value);
    this.putRecord(slot, record);
    this.table.set(key, slot);
  }

  /** How many plain strings have a record (tests). */
  get recordCount(): number {
    return this.slotsInUse;
  }

  /** What the table takes (the Maps) beyond an empty one's, without the slots. */
  get tableBytes(): number {
    return this.table.bytes;
  }

  /** What the slots take per slot in use: a key's share of them (MEMORY USAGE). */
  get recordShare(): number {
    return this.slotsInUse === 0 ? 0 : this.slabBytes / this.slotsInUse;
  }

  /** Empties the dict (see KeyTable.clear: an open iterator ends at its next step). */
  clear(): void {
    this.table.clear();
    this.releaseSlots();
  }

  /** How many Maps the table has (tests). */
  get partCount(): number {
    return this.table.partCount;
  }

  keys(): IterableIterator<string> {
    return this.table.keys();
  }

  entries(): IterableIterator<[string, V]> {
    return new DictEntries(this, this.table.entries());
  }

  values(): IterableIterator<V> {
    return new DictValues(this, this.table.values());
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /** The value an entry of the table stands for. */
  valueOfEntry(entry: V | number): V {
    return typeof entry === 'number' ? this.slotString(entry) : entry;
  }

  private slotString(slot: number): V {
    return (this.strings[slot >>> CHUNK_BITS] as string[])[slot & SLOT_MASK] as V;
  }

  private putString(slot: number, value: string): void {
    (this.strings[slot >>> CHUNK_BITS] as string[])[slot & SLOT_MASK] = value;
  }

  private recordAt(slot: number): number {
    return (this.records[slot >>> CHUNK_BITS] as Int32Array)[slot & SLOT_MASK] as number;
  }

  private putRecord(slot: number, record: number): void {
    (this.records[slot >>> CHUNK_BITS] as Int32Array)[slot & SLOT_MASK] = record;
  }

  private takeSlot(): number {
    this.slotsInUse++;
    const reused = this.freeHead;
    if (reused !== -1) {
      this.freeHead = this.recordAt(reused);
      return reused;
    }
    const slot = this.slotsMade++;
    if (slot < CHUNK_SLOTS) {
      if (slot === this.firstChunkSlots) this.growFirstChunk();
    } else if ((slot & SLOT_MASK) === 0) {
      this.strings.push(new Array<string>(CHUNK_SLOTS).fill(''));
      this.records.push(new Int32Array(CHUNK_SLOTS));
      this.resized(chunkBytes(CHUNK_SLOTS));
    }
    return slot;
  }

  /** Makes the first chunk, or doubles it (its slots copied: at most 64K of them). */
  private growFirstChunk(): void {
    const old = this.firstChunkSlots;
    const slots = old === 0 ? FIRST_CHUNK_SLOTS : 2 * old;
    const strings = new Array<string>(slots).fill('');
    const records = new Int32Array(slots);
    if (old !== 0) {
      const oldStrings = this.strings[0] as string[];
      for (let i = 0; i < old; i++) strings[i] = oldStrings[i] as string;
      records.set(this.records[0] as Int32Array);
    }
    this.strings[0] = strings;
    this.records[0] = records;
    this.firstChunkSlots = slots;
    this.resized(chunkBytes(slots) - (old === 0 ? 0 : chunkBytes(old)));
  }

  private freeSlot(slot: number): void {
    // The string goes now, not when the slot is reused.
    this.putString(slot, '');
    if (--this.slotsInUse === 0) {
      this.releaseSlots();
      return;
    }
    this.putRecord(slot, this.freeHead);
    this.freeHead = slot;
  }

  /** Lets every chunk go: no slot is in use. */
  private releaseSlots(): void {
    this.strings = [];
    this.records = [];
    this.firstChunkSlots = 0;
    this.freeHead = -1;
    this.slotsMade = 0;
    this.slotsInUse = 0;
    this.resized(-this.slabBytes);
  }

  private resized(delta: number): void {
    this.slabBytes += delta;
    if (this.slabAccount !== null) this.slabAccount.bytes += delta;
  }
}

/** A dict's entries, each value as it went in. */
class DictEntries<V extends string | object> implements IterableIterator<[string, V]> {
  constructor(
    private readonly dict: Dict<V>,
    private readonly inner: IterableIterator<[string, V | number]>,
  ) {}

  next(): IteratorResult<[string, V]> {
    const step = this.inner.next();
    if (step.done === true) return step;
    const pair = step.value;
    if (typeof pair[1] === 'number') pair[1] = this.dict.valueOfEntry(pair[1]);
    return step as IteratorResult<[string, V]>;
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this;
  }
}

/** A dict's values, each as it went in. */
class DictValues<V extends string | object> implements IterableIterator<V> {
  constructor(
    private readonly dict: Dict<V>,
    private readonly inner: IterableIterator<V | number>,
  ) {}

  next(): IteratorResult<V> {
    const step = this.inner.next();
    if (step.done === true) return step;
    return { done: false, value: this.dict.valueOfEntry(step.value) };
  }

  [Symbol.iterator](): IterableIterator<V> {
    return this;
  }
}
