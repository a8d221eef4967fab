import { type Value } from '../types/value.js';
import { accessRecord, defaultAccessPolicy, newAccessRecord, type AccessPolicy } from './access.js';
import { forgetCursors } from './sample.js';

/** What the keyspace tells the rest of the server (WATCH, notifications, stats, tracking, AOF). */
export interface KeyspaceHooks {
  /** A key's value changed or it was deleted: WATCH dirtying, client-side caching, snapshots. */
  keyModified(db: Database, key: string): void;
  /** A key passed its expiry time and was removed (lazy or active). */
  keyExpired(db: Database, key: string): void;
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

/**
 * Told of what enters and leaves the keyspace while maxmemory is set, so that the memory
 * estimate follows each change at once (server/memory.ts's MemoryMeter); null otherwise, and
 * then each change pays one null check.
 */
export interface KeyspaceAccounting {
  /** A key that did not exist was set (its dict entries; the value is the command's). */
  keyAdded(): void;
  /** A key left (deleted, expired, evicted) with its value. */
  keyRemoved(key: string, value: Value, hadExpire: boolean): void;
  /** A key's value was replaced by another (SET over an existing key). */
  valueReplaced(old: Value): void;
  /** Every key of `db` is about to go (FLUSHDB, FLUSHALL, DEBUG RELOAD). */
  databaseCleared(db: Database): void;
}

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

/** Installs (or, with null, removes) the accounting of every database. */
export function setKeyspaceAccounting(databases: readonly Database[], accounting: KeyspaceAccounting | null): void {
  for (const db of databases) db.accounting = accounting;
}

/** Installs (or, with null, removes) the listener told before changes, on every database. */
export function setKeyChangeListener(databases: readonly Database[], listener: KeyChangeListener | null): void {
  for (const db of databases) db.changeListener = listener;
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
 */
export class Database {
  dict = new Map<string, Value>();
  /** Absolute expiry time in ms since the epoch, only for keys that have one. */
  expires = new Map<string, number>();
  /** The active expiry cycle's position in `expires`; survives across cycles. */
  expireCursor: IterableIterator<[string, number]> | null = null;
  /** Average TTL of keys found by the active cycle (INFO keyspace avg_ttl). */
  avgTtl = 0;
  /**
   * Per key, the LRU clock of its last access or its LFU record (see access.ts): OBJECT
   * IDLETIME/FREQ and eviction. Kept beside the dict, entries leave with their keys.
   */
  accessClock = new Map<string, number>();
  /**
   * The access record of the keys that have none in accessClock: keys loaded from a file that
   * saved none for them, as of the load (so that a million keys loaded cost no access entry
   * until they are used). -1 while there are none.
   */
  unrecordedAccess = -1;
  /** Shared by every database of a server; follows maxmemory-policy. */
  access: AccessPolicy = defaultAccessPolicy();
  /** Told before each change (see KeyChangeListener); null while nobody needs it. */
  changeListener: KeyChangeListener | null = null;
  /** Told of keys added and removed while maxmemory is set (see KeyspaceAccounting). */
  accounting: KeyspaceAccounting | null = null;

  constructor(
    public id: number,
    private readonly hooks: KeyspaceHooks,
    private readonly stats: KeyspaceStats,
  ) {}

  get size(): number {
    return this.dict.size;
  }

  /** Removes the key if its time has passed; true when it did. */
  expireIfNeeded(key: string, now: number = expiryNow()): boolean {
    const at = this.expires.get(key);
    if (at === undefined || at > now) return false;
    if (this.hooks.loading) return false;
    if (this.changeListener !== null) this.changeListener.beforeKeyChange(this, key);
    if (this.accounting !== null) this.accountRemoval(key);
    this.dict.delete(key);
    this.expires.delete(key);
    this.accessClock.delete(key);
    this.stats.expiredKeys++;
    this.hooks.keyExpired(this, key);
    return true;
  }

  /** A lookup for reading: counts keyspace hits and misses. */
  lookupRead(key: string): Value | undefined {
    if (this.expires.size !== 0) this.expireIfNeeded(key);
    const value = this.dict.get(key);
    if (value === undefined) {
      this.stats.misses++;
      this.hooks.notify(this, 'm', 'keymiss', key);
    } else {
      this.stats.hits++;
      this.touch(key);
    }
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
    this.accessClock.set(key, accessRecord(this.access.lfu ? this.accessRecordOf(key) : undefined, this.access));
  }

  /** An existing key's access record (LRU clock or LFU record, see access.ts). */
  accessRecordOf(key: string): number | undefined {
    const record = this.accessClock.get(key);
    return record !== undefined || this.unrecordedAccess < 0 ? record : this.unrecordedAccess;
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
    const value = this.dict.get(key);
    if (value !== undefined) this.touch(key);
    return value;
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
    if (this.accounting !== null) {
      const old = this.dict.get(key);
      if (old === undefined) this.accounting.keyAdded();
      // A string equal to the old one is still another copy (=== compares strings by content).
      else if (typeof old === 'string' || old !== value) this.accounting.valueReplaced(old);
    }
    this.dict.set(key, value);
    // Redis's dbAdd: a key that did not exist is announced as 'new' (class n).
    if (this.dict.size !== size) this.hooks.notify(this, 'n', 'new', key);
    if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
    // A new value is a new object with a fresh record, except that an LFU counter survives an
    // overwrite, as in Redis's dbOverwrite.
    if (!this.access.lfu || this.dict.size !== size) this.accessClock.set(key, newAccessRecord(this.access));
    else if (!this.accessClock.has(key)) this.accessClock.set(key, this.accessRecordOf(key) ?? newAccessRecord(this.access));
    this.hooks.keyModified(this, key);
  }

  /** Stores a value without touching the TTL or signalling (the caller signals). */
  store(key: string, value: Value): void {
    if (this.changeListener !== null) this.changeListener.beforeKeyChange(this, key);
    if (this.accounting !== null) {
      const old = this.dict.get(key);
      if (old === undefined) this.accounting.keyAdded();
      // A string equal to the old one is still another copy (=== compares strings by content).
      else if (typeof old === 'string' || old !== value) this.accounting.valueReplaced(old);
    }
    this.dict.set(key, value);
  }

  /** Deletes a key and its TTL; true if it existed. Signals the modification. */
  delete(key: string): boolean {
    if (this.changeListener !== null && this.dict.has(key)) this.changeListener.beforeKeyChange(this, key);
    if (this.accounting !== null) this.accountRemoval(key);
    if (!this.dict.delete(key)) return false;
    if (this.expires.size !== 0) this.expires.delete(key);
    this.accessClock.delete(key);
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
    if (this.accounting !== null) this.accountRemoval(key);
    if (!this.dict.delete(key)) return false;
    if (this.expires.size !== 0) this.expires.delete(key);
    this.accessClock.delete(key);
    return true;
  }

  getExpire(key: string): number | undefined {
    return this.expires.get(key);
  }

  /** Sets the absolute expiry time (ms) of an existing key. */
  setExpire(key: string, at: number): void {
    if (this.changeListener !== null) this.changeListener.beforeKeyChange(this, key);
    this.expires.set(key, at);
  }

  removeExpire(key: string): boolean {
    if (this.changeListener !== null && this.expires.has(key)) this.changeListener.beforeKeyChange(this, key);
    return this.expires.delete(key);
  }

  /** WATCH dirtying and client-side caching invalidation for a key changed in place. */
  signalModifiedKey(key: string): void {
    this.hooks.keyModified(this, key);
  }

  /** A keyspace notification of class `type` (Redis's letters: g $ l s h z x e …). */
  notify(type: string, event: string, key: string): void {
    this.hooks.notify(this, type, event, key);
  }

  /** Tells the accounting that `key`, if it exists, is about to leave. */
  private accountRemoval(key: string): void {
    const value = this.dict.get(key);
    if (value !== undefined) (this.accounting as KeyspaceAccounting).keyRemoved(key, value, this.expires.size !== 0 && this.expires.has(key));
  }

  /** Removes every key; returns how many there were. */
  clear(): number {
    if (this.changeListener !== null) this.changeListener.beforeDatabaseChange(this);
    if (this.accounting !== null && this.dict.size !== 0) this.accounting.databaseCleared(this);
    const n = this.dict.size;
    forgetCursors(this.dict);
    forgetCursors(this.expires);
    this.dict.clear();
    this.expires.clear();
    this.accessClock.clear();
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
    const accessClock = this.accessClock;
    this.accessClock = other.accessClock;
    other.accessClock = accessClock;
    const unrecordedAccess = this.unrecordedAccess;
    this.unrecordedAccess = other.unrecordedAccess;
    other.unrecordedAccess = unrecordedAccess;
    this.expireCursor = null;
    other.expireCursor = null;
    const avgTtl = this.avgTtl;
    this.avgTtl = other.avgTtl;
    other.avgTtl = avgTtl;
  }
}
