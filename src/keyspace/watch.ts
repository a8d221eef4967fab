import type { Database } from './database.js';

/** A client that WATCHes keys: EXEC fails once `dirty` is set. */
export interface Watcher {
  /** Set when a watched key was touched (Redis's CLIENT_DIRTY_CAS). */
  watchDirty: boolean;
  /** The keys this client watches, with whether each was already expired when watched. */
  readonly watchedKeys: WatchedKey[];
}

export interface WatchedKey {
  db: Database;
  key: string;
  expiredWhenWatched: boolean;
}

/**
 * The WATCH registry: database → key → clients watching it. A change to a key (by any client,
 * by expiry, FLUSH, SWAPDB) marks its watchers dirty. Costs nothing while nobody watches.
 */
export class WatchRegistry {
  private readonly byDb = new Map<Database, Map<string, Set<Watcher>>>();
  /** Number of (client, key) pairs; lets keyspace hooks skip all work when zero. */
  count = 0;

  watch(watcher: Watcher, db: Database, key: string): void {
    for (const w of watcher.watchedKeys) if (w.db === db && w.key === key) return;
    let keys = this.byDb.get(db);
    if (keys === undefined) {
      keys = new Map();
      this.byDb.set(db, keys);
    }
    let watchers = keys.get(key);
    if (watchers === undefined) {
      watchers = new Set();
      keys.set(key, watchers);
    }
    watchers.add(watcher);
    const at = db.expires.get(key);
    watcher.watchedKeys.push({ db, key, expiredWhenWatched: at !== undefined && at <= Date.now() });
    this.count++;
  }

  unwatchAll(watcher: Watcher): void {
    for (const { db, key } of watcher.watchedKeys) {
      const keys = this.byDb.get(db);
      const watchers = keys?.get(key);
      if (keys === undefined || watchers === undefined) continue;
      watchers.delete(watcher);
      this.count--;
      if (watchers.size === 0) keys.delete(key);
      if (keys.size === 0) this.byDb.delete(db);
    }
    watcher.watchedKeys.length = 0;
    watcher.watchDirty = false;
  }

  /** A key was modified or deleted. */
  touch(db: Database, key: string): void {
    const watchers = this.byDb.get(db)?.get(key);
    if (watchers === undefined) return;
    for (const w of watchers) w.watchDirty = true;
  }

  /**
   * A watched key was deleted because it expired: a change, except for clients that watched it
   * already expired (for them it was logically gone already), as Redis's touchWatchedKey.
   */
  touchExpired(db: Database, key: string): void {
    const watchers = this.byDb.get(db)?.get(key);
    if (watchers === undefined) return;
    for (const w of watchers) {
      const entry = w.watchedKeys.find((k) => k.db === db && k.key === key);
      if (entry !== undefined && entry.expiredWhenWatched) entry.expiredWhenWatched = false;
      else w.watchDirty = true;
    }
  }

  /**
   * FLUSHDB/FLUSHALL/SWAPDB: every watched key of `db` that exists there now (or, for SWAPDB,
   * in `other`) is touched, as Redis's touchAllWatchedKeysInDb.
   */
  touchAllInDb(db: Database, other: Database | null = null): void {
    const keys = this.byDb.get(db);
    if (keys === undefined) return;
    for (const [key, watchers] of keys) {
      if (!db.dict.has(key) && !(other !== null && other.dict.has(key))) continue;
      for (const w of watchers) w.watchDirty = true;
    }
  }

  /** Whether a key watched while alive has since passed its expiry time (Redis's isWatchedKeyExpired). */
  static anyExpired(watcher: Watcher, now: number): boolean {
    for (const w of watcher.watchedKeys) {
      if (w.expiredWhenWatched) continue;
      const at = w.db.expires.get(w.key);
      if (at !== undefined && at <= now) return true;
    }
    return false;
  }
}
