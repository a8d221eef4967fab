/**
 * Writing an AOF base file as commands (aof-use-rdb-preamble no; with yes the base is an RDB
 * snapshot, see base.ts), as Redis's rewriteAppendOnlyFileRio does: per non-empty
 * database a SELECT, then per key the commands that rebuild it (SET; RPUSH, SADD, ZADD, HMSET
 * with at most 64 elements each; PEXPIREAT for a TTL).
 *
 * BGREWRITEAOF without fork: a point-in-time base by key-level copy-on-write.
 *   - The rewrite starts at a point T0 where the AOF switches to a new incremental file: every
 *     change after T0 is logged there, so the base must hold the dataset exactly as at T0.
 *   - At T0 the rewrite takes each database's dict and expires maps (the objects themselves,
 *     not copies) and walks them in slices, yielding to the event loop between slices.
 *   - It installs the keyspace's before-change listener. Before a key of one of those maps
 *     changes (written, deleted, expired, its TTL set or removed, or created), the listener
 *     writes the key as it still is, unless the walk already wrote it, and notes it as handled;
 *     a key created after T0 is noted without writing anything. The walk skips handled keys.
 *     So every key is written once, with its T0 value.
 *   - The maps are followed by identity, not by database number: SWAPDB exchanges them between
 *     databases and the walk goes on over each where it is.
 *   - FLUSHDB/FLUSHALL empty a map at once, without telling each key: the keys of it that the
 *     walk had not reached are missing from the base. That is harmless: the flush is logged in
 *     the new incremental file, after the base, and removes every one of them again on replay
 *     (a key that left the map before, by MOVE or RENAME, was written when it left).
 *   - Memory: one Set entry per key already written for the database being walked (and per
 *     key changed early for the others), freed as each database is done.
 * A key is serialized in one go: a huge collection changed (or reached) holds the loop for the
 * time it takes to encode it, as a copy-on-write fault does in Redis's parent.
 */
import { closeSync, fsyncSync, openSync, unlinkSync, write as writeCallback, writeSync, fsync as fsyncCallback, close as closeCallback } from 'node:fs';
import type { Database, KeyChangeListener } from '../../keyspace/database.js';
import { HashValue } from '../../types/hash.js';
import { List } from '../../types/list.js';
import { SetValue } from '../../types/set.js';
import type { Value } from '../../types/value.js';
import { ZSet } from '../../types/zset.js';
import { formatDouble17g } from '../../util/format.js';
import { encodeCommand, timestampAnnotation } from './resp.js';

/** Elements per RPUSH/SADD/ZADD/HMSET of a rewritten collection (AOF_REWRITE_ITEMS_PER_CMD). */
const ITEMS_PER_COMMAND = 64;
/** A slice of the walk ends after this long, or once this much is waiting to be written. */
const SLICE_MS = 4;
const SLICE_BYTES = 1 << 20;

/** The commands that rebuild one key (its value, then its TTL if it has one). */
export function serializeKey(key: string, value: Value, expireAt: number | undefined): string {
  let out: string;
  if (typeof value === 'string') {
    out = encodeCommand(['SET', key, value]);
  } else if (value instanceof List) {
    out = '';
    const n = value.size;
    for (let i = 0; i < n; i += ITEMS_PER_COMMAND) {
      const end = Math.min(n, i + ITEMS_PER_COMMAND);
      const argv = ['RPUSH', key];
      for (let j = i; j < end; j++) argv.push(value.get(j));
      out += encodeCommand(argv);
    }
  } else if (value instanceof SetValue) {
    out = '';
    const n = value.size;
    for (let i = 0; i < n; i += ITEMS_PER_COMMAND) {
      const end = Math.min(n, i + ITEMS_PER_COMMAND);
      const argv = ['SADD', key];
      for (let j = i; j < end; j++) argv.push(value.memberAt(j));
      out += encodeCommand(argv);
    }
  } else if (value instanceof HashValue) {
    out = '';
    const n = value.size;
    for (let i = 0; i < n; i += ITEMS_PER_COMMAND) {
      const end = Math.min(n, i + ITEMS_PER_COMMAND);
      const argv = ['HMSET', key];
      for (let j = i; j < end; j++) argv.push(value.fieldAt(j), value.valueAt(j));
      out += encodeCommand(argv);
    }
  } else if (value instanceof ZSet) {
    out = '';
    let argv: string[] = ['ZADD', key];
    for (const [member, node] of value.dict) {
      argv.push(formatDouble17g(node.score), member);
      if (argv.length === 2 + ITEMS_PER_COMMAND * 2) {
        out += encodeCommand(argv);
        argv = ['ZADD', key];
      }
    }
    if (argv.length > 2) out += encodeCommand(argv);
  } else {
    throw new Error(`cannot rewrite a value of type ${value.type}`);
  }
  if (expireAt !== undefined) out += encodeCommand(['PEXPIREAT', key, String(expireAt)]);
  return out;
}

/** One database's maps as they were at T0, and how far the walk over them went. */
interface SnapshotDb {
  readonly id: number;
  readonly dict: Map<string, Value>;
  readonly expires: Map<string, number>;
  /** Keys already written or known absent at T0; null once the database is done. */
  handled: Set<string> | null;
  /** The walk's position, once it reached this database. */
  cursor: Iterator<[string, Value]> | null;
}

export interface BaseRewriteOptions {
  /** aof-timestamp-enabled: the base starts with a #TS annotation. */
  timestamps: boolean;
  /**
   * rdb-key-save-delay (µs), Redis's testing knob: a pause after each key. Here each key is then
   * a slice of its own, followed by a timer of at least 1 ms, so the loop keeps running.
   */
  keyDelayUs?: number;
}

/**
 * One rewrite of the base file into `path` (a temporary name; the caller renames it). Create
 * it at T0, then `run()`: it installs itself as the before-change listener of `databases`
 * and resolves once the file is complete and fsynced, or rejects with the write error.
 * `abort()` stops it and removes the file.
 */
export class BaseRewrite implements KeyChangeListener {
  private readonly snapshots: SnapshotDb[] = [];
  private readonly byDict = new Map<Map<string, Value>, SnapshotDb>();
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Where the file's commands currently apply (the last SELECT written), -1 before any. */
  private selectedDb = -1;
  private walkIndex = 0;
  private readonly keyDelayMs: number;
  private aborted = false;
  private listening = false;
  keysWritten = 0;
  /** Keys at T0, for INFO. */
  readonly keysTotal: number;
  bytesWritten = 0;

  constructor(
    private readonly databases: readonly Database[],
    readonly path: string,
    options: BaseRewriteOptions,
  ) {
    this.fd = openSync(path, 'w', 0o644);
    let total = 0;
    for (const db of databases) {
      const snapshot: SnapshotDb = { id: db.id, dict: db.dict, expires: db.expires, handled: new Set(), cursor: null };
      this.snapshots.push(snapshot);
      this.byDict.set(db.dict, snapshot);
      total += db.dict.size;
    }
    this.keysTotal = total;
    const delay = options.keyDelayUs ?? 0;
    this.keyDelayMs = delay === 0 ? 0 : Math.max(1, Math.ceil(delay / 1000));
    if (options.timestamps) this.push(timestampAnnotation(Math.floor(Date.now() / 1000)));
  }

  /** Writes the whole base synchronously (an empty dataset at start-up, a small one): no listener needed. */
  runSync(): void {
    try {
      while (this.walk(Infinity)) {
        // walk until done
      }
      this.writePendingSync();
      fsyncSync(this.fd);
    } finally {
      closeSync(this.fd);
    }
  }

  /** Runs the rewrite in slices; resolves once the file is complete and on disk. */
  async run(): Promise<void> {
    this.listen(true);
    try {
      for (;;) {
        const more = this.walk(this.keyDelayMs !== 0 ? 0 : SLICE_MS);
        if (!more) this.listen(false);
        await this.writePending();
        if (this.aborted) throw new Error('rewrite aborted');
        if (!more) break;
        // Only one job may hold the before-change listener (Redis runs one child at a time):
        // if another took it, changes went unseen and this base cannot be trusted.
        if (this.databases.some((db) => db.changeListener !== this)) throw new Error("another job replaced the keyspace's before-change listener");
        if (this.keyDelayMs !== 0) await new Promise<void>((resolve) => setTimeout(resolve, this.keyDelayMs));
        else await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.aborted) throw new Error('rewrite aborted');
      }
      await new Promise<void>((resolve, reject) => fsyncCallback(this.fd, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.listen(false);
      closeCallback(this.fd, () => {});
      removeQuietly(this.path);
      throw err;
    }
    await new Promise<void>((resolve, reject) => closeCallback(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  /** Stops the rewrite: run() rejects and the temporary file is removed. */
  abort(): void {
    this.aborted = true;
    this.listen(false);
  }

  private listen(on: boolean): void {
    if (on === this.listening) return;
    this.listening = on;
    for (const db of this.databases) {
      if (on) db.changeListener = this;
      else if (db.changeListener === this) db.changeListener = null;
    }
  }

  // ---- the before-change listener ----

  beforeKeyChange(db: Database, key: string): void {
    const snapshot = this.byDict.get(db.dict);
    // A map made after T0 (a flushed database's new one) held nothing at T0.
    if (snapshot === undefined || snapshot.handled === null || snapshot.handled.has(key)) return;
    snapshot.handled.add(key);
    const value = snapshot.dict.get(key);
    if (value !== undefined) this.emitKey(snapshot, key, value);
  }

  beforeDatabaseChange(): void {
    // SWAPDB exchanges the maps (followed by identity); what a flush removes is removed again
    // by the logged flush (see above).
  }

  // ---- the walk ----

  /** Writes keys for up to `budgetMs`; false once every database is done. */
  private walk(budgetMs: number): boolean {
    const started = performance.now();
    let sinceCheck = 0;
    while (this.walkIndex < this.snapshots.length) {
      const snapshot = this.snapshots[this.walkIndex] as SnapshotDb;
      const handled = snapshot.handled as Set<string>;
      snapshot.cursor ??= snapshot.dict.entries();
      for (;;) {
        const next = snapshot.cursor.next();
        if (next.done === true) break;
        const [key, value] = next.value;
        if (handled.has(key)) continue;
        handled.add(key);
        this.emitKey(snapshot, key, value);
        if (budgetMs === 0) return true;
        if (++sinceCheck >= 64) {
          sinceCheck = 0;
          if (this.pendingBytes >= SLICE_BYTES || performance.now() - started >= budgetMs) return true;
        }
      }
      snapshot.handled = null;
      snapshot.cursor = null;
      this.byDict.delete(snapshot.dict);
      this.walkIndex++;
    }
    return false;
  }

  private emitKey(snapshot: SnapshotDb, key: string, value: Value): void {
    if (this.selectedDb !== snapshot.id) {
      this.push(encodeCommand(['SELECT', String(snapshot.id)]));
      this.selectedDb = snapshot.id;
    }
    this.push(serializeKey(key, value, snapshot.expires.size === 0 ? undefined : snapshot.expires.get(key)));
    this.keysWritten++;
  }

  private push(text: string): void {
    this.pending.push(text);
    this.pendingBytes += text.length;
  }

  private takePending(): Buffer | null {
    if (this.pendingBytes === 0) return null;
    const data = Buffer.from(this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join(''), 'latin1');
    this.pending = [];
    this.pendingBytes = 0;
    return data;
  }

  private writePendingSync(): void {
    const data = this.takePending();
    if (data === null) return;
    let written = 0;
    while (written < data.length) written += writeSync(this.fd, data, written, data.length - written);
    this.bytesWritten += data.length;
  }

  private async writePending(): Promise<void> {
    const data = this.takePending();
    if (data === null) return;
    let written = 0;
    while (written < data.length) {
      written += await new Promise<number>((resolve, reject) =>
        writeCallback(this.fd, data, written, data.length - written, null, (err, n) => (err ? reject(err) : resolve(n))),
      );
    }
    this.bytesWritten += data.length;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
