import { HEAP_NUMBER_BYTES, stringBytes, type SizeAccount } from '../types/heap-size.js';
import { Dict } from '../types/dict.js';
import { KeyTable } from '../types/key-table.js';
import { type Value } from '../types/value.js';
import { accessRecord, currentLruClock, defaultAccessPolicy, newAccessRecord, type AccessPolicy } from './access.js';
import { forgetCursors } from './sample.js';
import { forgetScans } from './scan.js';

/** What the keyspace tells the rest of the server (WATCH, notifications, stats, tracking, AOF). */
export interface KeyspaceHooks {
  /** A key's value changed or it was deleted: WATCH dirtying, client-side caching, snapshots. */
  keyModified(db: Database, key: string): void;
  /** A key passed its expiry time and was removed (lazy or active); `value` is what it held. */
  keyExpired(db: Database, key: string, value: Value): void;
  /**
   * A key's collection was replaced by another value (SET over it, RENAME onto it, a STORE
   * command's destination): Redis's dbOverwrite, which frees the old value as
   * lazyfree-lazy-server-del says. Not called for a string replaced.
   */
  valueOverwritten(db: Database, old: Value): void;
  /** A key was removed by maxmemory eviction (after keyModified): notification, propagation. */
  keyEvicted(db: Database, key: string): void;
  /** A keyspace notification; `type` is one of Redis's class letters (g $ l s h z x e t m d n). */
  notify(db: Database, type: string, event: string, key: string): void;
  /** A dataset is being loaded (AOF): nothing expires until it is done, as in Redis. */
  readonly loading: boolean;
}

/**
 * Told before anything in a database changes, while the old state can still be read: a
 * point-in-time snapshot (BGSAVE without fork) copies what it has not saved yet. At most one
 * per server; while none is set each change pays one null check.
 */
export interface KeyChangeListener {
  /**
   * `key` of `db` is about to be written, deleted (by a command or by expiry) or have its
   * expiry set or removed. It may not exist yet (it is about to be created), and the change
   * may in the end not happen (a lookup for writing that finds nothing to do).
   */
  beforeKeyChange(db: Database, key: string): void;
  /** Every key of `db` is about to go or to be replaced at once (FLUSHDB, FLUSHALL, SWAPDB). */
  beforeDatabaseChange(db: Database): void;
}

/** An access record that is not one: the key has none. */
const NO_RECORD = -1;
/** put(): the key keeps the access record it had. */
const KEEP_RECORD = -2;

/**
 * While a script runs, keys expire as of the time it started (Redis's scriptTimeSnapshot), so
 * that a key cannot vanish halfway through a script and its effects replay the same; 0 when
 * no script runs.
 */
let scriptStartedAt = 0;

/** A script starts (`at`, ms since the epoch) or ends (0): see expiryNow. */
export function setScriptClock(at: number): void {
  scriptStartedAt = at;
}

/** The time lazy expiry compares expiry times with: now, or the start of the running script. */
export function expiryNow(): number {
  return scriptStartedAt !== 0 ? scriptStartedAt : Date.now();
}

/** Installs (or, with null, removes) the listener told before changes, on every database. */
export function setKeyChangeListener(databases: readonly Database[], listener: KeyChangeListener | null): void {
  for (const db of databases) db.changeListener = listener;
  if (listener === null) listenerReleased(databases);
}

/** Removes `listener` from the databases it is installed on (a job that ends or is aborted). */
export function releaseKeyChangeListener(databases: readonly Database[], listener: KeyChangeListener): void {
  for (const db of databases) if (db.changeListener === listener) db.changeListener = null;
  listenerReleased(databases);
}

/** Who waits for the before-change hook of a server's databases to be free, by its first database. */
const releaseWaiters = new WeakMap<Database, Array<() => void>>();

/**
 * Resolves the next time a listener is removed from these databases (a background save or
 * rewrite ended): the hook may be free then, or taken again by a job started meanwhile.
 */
export function nextKeyChangeListenerRelease(databases: readonly Database[]): Promise<void> {
  const first = databases[0];
  if (first === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    let waiters = releaseWaiters.get(first);
    if (waiters === undefined) releaseWaiters.set(first, (waiters = []));
    waiters.push(resolve);
  });
}

function listenerReleased(databases: readonly Database[]): void {
  const first = databases[0];
  if (first === undefined) return;
  const waiters = releaseWaiters.get(first);
  if (waiters === undefined) return;
  releaseWaiters.delete(first);
  for (const resolve of waiters) resolve();
}

export interface KeyspaceStats {
  hits: number;
  misses: number;
  expiredKeys: number;
  expiredStalePerc: number;
  expiredTimeCapReached: number;
  evictedKeys: number;
  /** µs spent over maxmemory in periods that ended (INFO total_eviction_exceeded_time). */
  evictionExceededUs: number;
  /** performance.now() when memory went over maxmemory and stayed there; 0 while under. */
  evictionExceededSince: number;
}

/**
 * One numbered database: the dict of keys and, beside it, the expiry times of the keys that
 * have one. Every access goes through here so that expired keys are never seen.
 *
 * It also keeps what its keys take in V8's heap (`usage`), as they change: each key's name and
 * value, a boxed number per expiry time, the two tables (their Maps' capacity followed as
 * V8 sizes them, key-table.ts) and the dict's record slots (dict.ts). A collection in the dict
 * reports its own changes to `usage` (its `account`); a string value is counted from its
 * length. Nothing here walks the keys: INFO used_memory and maxmemory read the total at any
 * time (server/memory.ts). Not counted: an expiry time set by a later command keeps that
 * command's copy of the key's name (a Map keeps the key it was first given), not the dict's.
 */
export class Database {
  /**
   * The keys and their values, and beside a plain string value its key's access record: the
   * LRU clock of its last access or its LFU record (see access.ts), for OBJECT IDLETIME/FREQ
   * and eviction. A value that is an object (a collection, a mutable string, a counter INCR
   * made) holds its key's record itself (`access`). The record follows the key when its value
   * changes from one kind to the other (put), and goes with the key.
   */
  dict = new Dict<Value>();
  /** Absolute expiry time in ms since the epoch, only for keys that have one. */
  expires = new KeyTable<number>();
  /** The active expiry cycle's position in `expires`; survives across cycles. */
  expireCursor: IterableIterator<[string, number]> | null = null;
  /** Average TTL of keys found by the active cycle (INFO keyspace avg_ttl). */
  avgTtl = 0;
  /**
   * The access record of the keys that have none (none in the dict, or `access` -1): keys
   * loaded from a file that saved none for them, as of the load (so that a million keys loaded
   * cost no access entry until they are used). -1 while there are none.
   */
  unrecordedAccess = -1;
  /** Shared by every database of a server; follows maxmemory-policy. */
  access: AccessPolicy = defaultAccessPolicy();
  /** Told before each change (see KeyChangeListener); null while nobody needs it. */
  changeListener: KeyChangeListener | null = null;
  /**
   * Bytes the keys take in V8's heap (see above). Replaced, not zeroed, when the database is
   * emptied: values still pointing at the old one (deleted with it) then change nothing.
   */
  usage: SizeAccount = { bytes: 0 };

  constructor(
    public id: number,
    private readonly hooks: KeyspaceHooks,
    private readonly stats: KeyspaceStats,
  ) {
    this.accountTables();
  }

  /** The tables report the changes of their size to `usage`, as the values in the dict do. */
  private accountTables(): void {
    this.dict.account = this.usage;
    this.expires.account = this.usage;
  }

  get size(): number {
    return this.dict.size;
  }

  /** Removes the key if its time has passed; true when it did. */
  expireIfNeeded(key: string, now: number = expiryNow()): boolean {
    const at = this.expires.get(key);
    if (at === undefined || at > now) return false;
    if (this.hooks.loading) return false;
    if (this.changeListener !== null) this.changeListener.beforeKeyChange(this, key);
    const value = this.remove(key);
    if (value === undefined) return false;
    this.stats.expiredKeys++;
    this.hooks.keyExpired(this, key, value);
    return true;
  }

  /** A lookup for reading: counts keyspace hits and misses. */
  lookupRead(key: string): Value | undefined {
    if (this.expires.size !== 0) this.expireIfNeeded(key);
    const value = this.lookupTouching(key);
    if (value === undefined) {
      this.stats.misses++;
      this.hooks.notify(this, 'm', 'keymiss', key);
    } else this.stats.hits++;
    return value;
  }

  /** The value of `key`, its access recorded (Redis's lookupKey: the LRU clock or LFU counter updated). */
  private lookupTouching(key: string): Value | undefined {
    if (this.access.lfu) {
      const found = this.dict.get(key);
      if (found !== undefined) this.touchValue(key, found);
      return found;
    }
    // An LRU record is the clock alone (accessRecord): the dict records it as it finds the key.
    const record = currentLruClock();
    const value = this.dict.getRecording(key, record);
    if (value !== undefined && typeof value !== 'string') value.access = record;
    return value;
  }

  /** A read lookup that counts hits and misses but leaves the access time (TYPE, TTL, OBJECT). */
  lookupReadNoTouch(key: string): Value | undefined {
    if (this.expires.size !== 0) this.expireIfNeeded(key);
    const value = this.dict.get(key);
    if (value === undefined) {
      this.stats.misses++;
      this.hooks.notify(this, 'm', 'keymiss', key);
    } else this.stats.hits++;
    return value;
  }

  /** Records an access to an existing key (Redis updates the object's LRU/LFU on lookup). */
  touch(key: string): void {
    this.lookupTouching(key);
  }

  /** Records an access to `key`, whose value is `value`. */
  private touchValue(key: string, value: Value): void {
    const policy = this.access;
    this.storeRecord(key, value, accessRecord(policy.lfu ? this.recordOfEntry(key, value) : undefined, policy));
  }

  /** Sets an existing key's access record (LRU clock or LFU record). */
  setAccessRecord(key: string, record: number): void {
    const value = this.dict.get(key);
    if (value !== undefined) this.storeRecord(key, value, record);
  }

  /** An existing key's access record (LRU clock or LFU record, see access.ts). */
  accessRecordOf(key: string): number | undefined {
    const value = this.dict.get(key);
    return value === undefined ? undefined : this.recordOfEntry(key, value);
  }

  /**
   * The access record of `key`, whose value is `value` (found by the caller: no second lookup);
   * undefined when it has none.
   */
  recordOfEntry(key: string, value: Value): number | undefined {
    const record = typeof value === 'string' ? this.dict.stringRecord(key) : value.access >= 0 ? value.access : undefined;
    return record !== undefined || this.unrecordedAccess < 0 ? record : this.unrecordedAccess;
  }

  /** Puts `record` where the record of `key`, whose value is `value`, is kept. */
  private storeRecord(key: string, value: Value, record: number): void {
    if (typeof value !== 'string') {
      value.access = record;
      return;
    }
    // A key loaded without a record gets one now (the dict counts it in `usage`).
    this.dict.setStringRecord(key, record);
  }

  /** The record `old`, the value of `key`, holds or has beside it; -1 for none. */
  private recordHeldBy(key: string, old: Value): number {
    return typeof old === 'string' ? (this.dict.stringRecord(key) ?? NO_RECORD) : old.access;
  }

  /** A lookup that neither counts stats nor touches anything (TYPE-like internals, EXISTS). */
  lookup(key: string): Value | undefined {
    if (this.expires.size !== 0) this.expireIfNeeded(key);
    return this.dict.get(key);
  }

  /** A lookup before writing. */
  lookupWrite(key: string): Value | undefined {
    if (this.expires.size !== 0) this.expireIfNeeded(key);
    // Callers change the value found in place: the old one must be copied first, if anyone wants it.
    if (this.changeListener !== null) this.changeListener.beforeKeyChange(this, key);
    return this.lookupTouching(key);
  }

  has(key: string): boolean {
    if (this.expires.size !== 0) this.expireIfNeeded(key);
    return this.dict.has(key);
  }

  /**
   * Sets a key as SET does: the value replaces any old one and its TTL is cleared unless
   * keepTtl. Signals the modification.
   */
  set(key: string, value: Value, keepTtl = false): void {
    if (this.changeListener !== null) this.changeListener.beforeKeyChange(this, key);
    const size = this.dict.size;
    // A new value is a new object with a fresh record, except that an LFU counter survives an
    // overwrite, as in Redis's dbOverwrite.
    const lfu = this.access.lfu;
    this.put(key, value, lfu ? KEEP_RECORD : newAccessRecord(this.access));
    // Redis's dbAdd: a key that did not exist is announced as 'new' (class n).
    if (this.dict.size !== size) this.hooks.notify(this, 'n', 'new', key);
    if (!keepTtl && this.expires.size !== 0) this.removeExpireEntry(key);
    if (lfu) this.storeRecord(key, value, (this.dict.size === size ? this.recordOfEntry(key, value) : undefined) ?? newAccessRecord(this.access));
    this.hooks.keyModified(this, key);
  }

  /**
   * Puts a new plain string in place of the plain string `old` of a key the caller has just found
   * with lookupWrite (which expired it if due, let a running save copy it and touched it): INCR's
   * result beyond 2^53 (a smaller one is kept as an IntegerString). The TTL and the access record stay, as with Redis's in-place increment, and the key is
   * signalled as modified; what set() does besides is already done or cannot apply to a key that exists.
   */
  replaceString(key: string, old: string, value: string): void {
    this.dict.set(key, value);
    this.usage.bytes += stringBytes(value.length) - stringBytes(old.length);
    this.hooks.keyModified(this, key);
  }

  /**
   * Adds a key that does not exist, as Redis's dbAdd: announced as 'new', with a fresh access
   * record, but not signalled as modified (the caller signals once it has changed it, if it does).
   */
  add(key: string, value: Value): void {
    if (this.changeListener !== null) this.changeListener.beforeKeyChange(this, key);
    this.put(key, value, newAccessRecord(this.access));
    this.hooks.notify(this, 'n', 'new', key);
  }

  /** Stores a value without touching the TTL or signalling (the caller signals). */
  store(key: string, value: Value): void {
    if (this.changeListener !== null) this.changeListener.beforeKeyChange(this, key);
    this.put(key, value, KEEP_RECORD);
  }

  /**
   * The dict entry of `key` becomes `value`, counted in `usage`, with `record` as the key's
   * access record, or with KEEP_RECORD the one it had (where the old value held it). A value
   * object is in one key at most: one that moves to another key (RENAME, MOVE) leaves the old
   * one first.
   */
  private put(key: string, value: Value, record: number): void {
    const dict = this.dict;
    let old: Value | undefined;
    if (typeof value === 'string') {
      // One lookup (SET's case). A plain string over a plain string keeps its record unless
      // given one; one over an object takes the object's.
      old = dict.exchangeString(key, value, record === KEEP_RECORD ? undefined : record);
      if (record === KEEP_RECORD && old !== undefined && typeof old !== 'string' && old.access >= 0) dict.setStringRecord(key, old.access);
    } else {
      old = dict.get(key);
      if (old === value) {
        if (record !== KEEP_RECORD) value.access = record;
        return;
      }
      if (record !== KEEP_RECORD) value.access = record;
      // A value new to the keyspace keeps what it holds (RENAME and MOVE carry it over).
      else if (old !== undefined) value.access = this.recordHeldBy(key, old);
      dict.set(key, value);
    }
    const usage = this.usage;
    let bytes: number;
    if (typeof value === 'string') {
      bytes = stringBytes(value.length);
    } else {
      value.account = usage;
      bytes = value.bytes;
    }
    if (old === undefined) usage.bytes += bytes + stringBytes(key.length);
    else {
      usage.bytes += bytes - this.released(old);
      if (typeof old !== 'string') this.hooks.valueOverwritten(this, old);
    }
  }

  /** The bytes of a value that leaves the dict; a collection stops reporting to `usage`. */
  private released(value: Value): number {
    if (typeof value === 'string') return stringBytes(value.length);
    if (value.account === this.usage) value.account = null;
    return value.bytes;
  }

  /** Removes a key from the dict and its expiry and access entries, all counted out of `usage`; its value, if it was there. */
  private remove(key: string): Value | undefined {
    const dict = this.dict;
    const value = dict.get(key);
    if (value === undefined) return undefined;
    dict.delete(key);
    let bytes = this.released(value) + stringBytes(key.length);
    if (this.expires.size !== 0 && this.expires.delete(key)) bytes += HEAP_NUMBER_BYTES;
    this.usage.bytes -= bytes;
    return value;
  }

  /** Deletes a key and its TTL; true if it existed. Signals the modification. */
  delete(key: string): boolean {
    if (this.changeListener !== null && this.dict.has(key)) this.changeListener.beforeKeyChange(this, key);
    if (this.remove(key) === undefined) return false;
    this.hooks.keyModified(this, key);
    return true;
  }

  /**
   * Removes a key chosen by maxmemory eviction: signalled as a deletion (WATCH, client-side
   * caching), then as an eviction (the `evicted` event, DEL or UNLINK propagated).
   */
  evict(key: string): boolean {
    if (!this.delete(key)) return false;
    this.stats.evictedKeys++;
    this.hooks.keyEvicted(this, key);
    return true;
  }

  /**
   * Deletes a key and its TTL without signalling, as Redis's dbDelete: only where Redis signals
   * nothing either (a served blocked pop, whose push already signalled the key).
   */
  deleteUnsignalled(key: string): boolean {
    if (this.changeListener !== null && this.dict.has(key)) this.changeListener.beforeKeyChange(this, key);
    return this.remove(key) !== undefined;
  }

  /**
   * Puts a key read from a file in (rdbLoad's dbAddRDBLoad), unsignalled: its expiry time (-1:
   * none) and access record (undefined: the key shares `unrecordedAccess`) as given. Returns
   * false when the key was there already; with `replace` its value, expiry and record are then
   * the new ones, else only the value is (the load fails).
   */
  putLoaded(key: string, value: Value, expireAt: number, record: number | undefined, replace: boolean): boolean {
    if (this.changeListener !== null) this.changeListener.beforeKeyChange(this, key);
    const size = this.dict.size;
    if (replace) {
      this.put(key, value, KEEP_RECORD);
    } else {
      // One hash probe per key, not two: a duplicate is found by set() adding nothing (and
      // the value it replaced, not counted out, goes with the failed load).
      const added = this.dict.set(key, value);
      if (typeof value !== 'string') value.account = this.usage;
      // A failed load keeps the keys read before it (DEBUG RELOAD), this one included (the
      // dict let go of a plain string's record it replaced).
      if (!added) return false;
      // A value read from a file is fresh: it holds no record until given one below.
      this.usage.bytes += (typeof value === 'string' ? stringBytes(value.length) : value.bytes) + stringBytes(key.length);
    }
    if (expireAt !== -1) this.setExpireEntry(key, expireAt);
    else if (replace) this.removeExpireEntry(key);
    if (record !== undefined) this.storeRecord(key, value, record);
    return this.dict.size !== size;
  }

  getExpire(key: string): number | undefined {
    return this.expires.get(key);
  }

  /** Sets the absolute expiry time (ms) of an existing key. */
  setExpire(key: string, at: number): void {
    if (this.changeListener !== null) this.changeListener.beforeKeyChange(this, key);
    this.setExpireEntry(key, at);
  }

  removeExpire(key: string): boolean {
    if (this.changeListener !== null && this.expires.has(key)) this.changeListener.beforeKeyChange(this, key);
    return this.removeExpireEntry(key);
  }

  /** The expires entry of `key`, counted: a Map entry and the boxed time (a time in ms is no small integer). */
  private setExpireEntry(key: string, at: number): void {
    if (this.expires.set(key, at)) this.usage.bytes += HEAP_NUMBER_BYTES;
  }

  private removeExpireEntry(key: string): boolean {
    if (!this.expires.delete(key)) return false;
    this.usage.bytes -= HEAP_NUMBER_BYTES;
    return true;
  }

  /** WATCH dirtying and client-side caching invalidation for a key changed in place. */
  signalModifiedKey(key: string): void {
    this.hooks.keyModified(this, key);
  }

  /** A keyspace notification of class `type` (Redis's letters: g $ l s h z x e …). */
  notify(type: string, event: string, key: string): void {
    this.hooks.notify(this, type, event, key);
  }

  /**
   * The share of the tables that one key takes on average (MEMORY USAGE): the tables' bytes
   * beyond an empty database's, over the entries. Its expires entry's share (and boxed time)
   * only for a key that has one, its share of the dict's record slots only for a key that has
   * one (a plain string's).
   */
  tableShare(hasExpire: boolean, hasStringRecord: boolean): number {
    let share = 0;
    if (this.dict.size !== 0) share += this.dict.tableBytes / this.dict.size;
    if (hasStringRecord) share += this.dict.recordShare;
    if (hasExpire) share += HEAP_NUMBER_BYTES + this.expires.bytes / this.expires.size;
    return share;
  }

  /**
   * The dict's tables beyond an empty database's (MEMORY STATS, INFO's overhead). Its record
   * slots are the keys' own, part of the dataset, as the LRU field of Redis's objects is.
   */
  mainTableBytes(): number {
    return this.dict.tableBytes;
  }

  /** The expires map's table beyond an empty one, and its boxed times (MEMORY STATS). */
  expiresTableBytes(): number {
    return this.expires.bytes + this.expires.size * HEAP_NUMBER_BYTES;
  }

  /** Removes every key; returns how many there were. */
  clear(): number {
    if (this.changeListener !== null) this.changeListener.beforeDatabaseChange(this);
    const n = this.dict.size;
    forgetCursors(this.dict);
    forgetCursors(this.expires);
    if (n !== 0) forgetScans(this.dict);
    this.dict.clear();
    this.expires.clear();
    // The values keep pointing at the old total, which nothing reads any more.
    this.usage = { bytes: 0 };
    this.accountTables();
    this.unrecordedAccess = -1;
    this.expireCursor = null;
    this.avgTtl = 0;
    return n;
  }

  /** Exchanges contents with another database (SWAPDB); clients keep their db number. */
  swapWith(other: Database): void {
    if (this.changeListener !== null) this.changeListener.beforeDatabaseChange(this);
    if (other.changeListener !== null) other.changeListener.beforeDatabaseChange(other);
    const dict = this.dict;
    this.dict = other.dict;
    other.dict = dict;
    const expires = this.expires;
    this.expires = other.expires;
    other.expires = expires;
    const unrecordedAccess = this.unrecordedAccess;
    this.unrecordedAccess = other.unrecordedAccess;
    other.unrecordedAccess = unrecordedAccess;
    // The values and the tables report to the total of the dict they are in: it moves with them.
    const usage = this.usage;
    this.usage = other.usage;
    other.usage = usage;
    this.expireCursor = null;
    other.expireCursor = null;
    const avgTtl = this.avgTtl;
    this.avgTtl = other.avgTtl;
    other.avgTtl = avgTtl;
  }
}
