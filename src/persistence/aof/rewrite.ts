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
 *   - Memory: one slot per key already written for the database being walked (and per key
 *     changed early for the others), freed as each database is done. The set is a KeySet,
 *     made for the database's size at T0: it never rehashes, and leaves little garbage.
 * A large key (a collection of a million members, a long string) is written in pieces, a few
 * commands at a time, and the walk goes on with it in the next slice. Until its last piece is
 * written its value must not change: the listener, told that it is about to, writes the rest of
 * it at once first (a stall as long as the rest takes, as a copy-on-write fault of a huge key in
 * Redis's parent). Other keys the listener writes meanwhile wait and follow it (a piece may
 * end in the middle of a command). A flush leaves the value unreachable, hence unchanged, and
 * the walk finishes it as if nothing happened (the logged flush removes it again on replay). A
 * key that changes before the walk reaches it is serialized in one go, however large. The
 * commands are written as bytes (key-commands.ts), not strings: building a million elements'
 * worth of strings made the young generation's collections long.
 */
import { beforeSlice } from '../../util/turn.js';
import { closeSync, fsyncSync, openSync, unlinkSync, write as writeCallback, writeSync, fsync as fsyncCallback, close as closeCallback } from 'node:fs';
import { releaseKeyChangeListener, type Database, type KeyChangeListener } from '../../keyspace/database.js';
import { isStringValue, type Value } from '../../types/value.js';
import type { Dict } from '../../types/dict.js';
import type { KeyTable } from '../../types/key-table.js';
import { command, isLarge, keyPieces, writeKey } from './key-commands.js';
import { timestampAnnotation } from './resp.js';
import { ByteSink } from '../rdb/sink.js';
import { KeySet } from '../../util/key-set.js';

/** A slice of the walk ends after this long, or once this much is waiting to be written. */
const SLICE_MS = 2;
const SLICE_BYTES = 1 << 20;
/**
 * Work between two looks at the clock, counted as one per key plus one per element of a
 * collection or per 64 bytes of a string.
 */
const WORK_PER_CLOCK_CHECK = 64;

/** Commands being gathered, and the database the last SELECT among them chose. */
interface CommandBuffer {
  readonly out: ByteSink;
  selectedDb: number;
}

/** One database's maps as they were at T0, and how far the walk over them went. */
interface SnapshotDb {
  readonly id: number;
  readonly dict: Dict<Value>;
  readonly expires: KeyTable<number>;
  /** Keys already written or known absent at T0; null once the database is done. */
  handled: KeySet | null;
  /** The walk's position, once it reached this database. */
  cursor: Iterator<[string, Value]> | null;
}

export interface BaseRewriteOptions {
  /** aof-timestamp-enabled: the base starts with a #TS annotation. */
  timestamps: boolean;
  /** The function libraries' codes: a FUNCTION LOAD each, before the keys (Redis's rewriteFunctions). */
  functions?: readonly string[];
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
  private readonly byDict = new Map<Dict<Value>, SnapshotDb>();
  private readonly fd: number;
  /** Commands written and not yet handed to the file, and the database they end in (-1: none yet). */
  private readonly main: CommandBuffer = { out: new ByteSink(), selectedDb: -1 };
  /**
   * Keys the listener writes while a large key is in progress wait here and follow it: a piece
   * may end in the middle of a command (a long string's SET).
   */
  private readonly side: CommandBuffer = { out: new ByteSink(4096), selectedDb: -1 };
  /** Each slice's bytes are copied here for the file: one buffer for the whole rewrite. */
  private writeBuffer: Buffer = Buffer.allocUnsafe(SLICE_BYTES * 2);
  private walkIndex = 0;
  /** A large key the walk has begun and not finished writing, and the rest of its commands. */
  private inProgress: { snapshot: SnapshotDb; key: string; pieces: Generator<void, void, void> } | null = null;
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
      const snapshot: SnapshotDb = { id: db.id, dict: db.dict, expires: db.expires, handled: new KeySet(db.dict.size), cursor: null };
      this.snapshots.push(snapshot);
      this.byDict.set(db.dict, snapshot);
      total += db.dict.size;
    }
    this.keysTotal = total;
    const delay = options.keyDelayUs ?? 0;
    this.keyDelayMs = delay === 0 ? 0 : Math.max(1, Math.ceil(delay / 1000));
    if (options.timestamps) this.main.out.latin1(timestampAnnotation(Math.floor(Date.now() / 1000)));
    for (const code of options.functions ?? []) command(this.main.out, 'FUNCTION', 'LOAD', code);
  }

  /** Writes the whole base synchronously (an empty dataset at start-up, a small one): no listener needed. */
  runSync(): void {
    try {
      while (this.walk(Infinity)) this.writePendingSync();
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
        beforeSlice();
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
    if (on) for (const db of this.databases) db.changeListener = this;
    else releaseKeyChangeListener(this.databases, this);
  }

  // ---- the before-change listener ----

  beforeKeyChange(db: Database, key: string): void {
    const snapshot = this.byDict.get(db.dict);
    // A map made after T0 (a flushed database's new one) held nothing at T0.
    if (snapshot === undefined) return;
    const inProgress = this.inProgress;
    if (inProgress !== null && inProgress.snapshot === snapshot && inProgress.key === key) {
      // The value is about to change under the walk: the rest of it is written first.
      this.finishKey();
      return;
    }
    if (snapshot.handled === null || !snapshot.handled.addNew(key)) return;
    const value = snapshot.dict.get(key);
    if (value !== undefined) this.emitKey(snapshot, key, value);
  }

  beforeDatabaseChange(): void {
    // SWAPDB exchanges the maps (followed by identity); what a flush removes is removed again
    // by the logged flush (see above). A key in progress goes on: a flushed value is unreachable.
  }

  // ---- the walk ----

  /** Writes keys for up to `budgetMs` (0: one key, or one piece of a large one); false once every database is done. */
  private walk(budgetMs: number): boolean {
    const started = performance.now();
    const sliceOver = (): boolean => budgetMs === 0 || this.main.out.pos >= SLICE_BYTES || performance.now() - started >= budgetMs;
    if (this.inProgress !== null && !this.continueKey(sliceOver)) return true;
    let work = 0;
    while (this.walkIndex < this.snapshots.length) {
      const snapshot = this.snapshots[this.walkIndex] as SnapshotDb;
      const handled = snapshot.handled as KeySet;
      let chunks = handled.chunksAllocated;
      snapshot.cursor ??= snapshot.dict.entries();
      for (;;) {
        const next = snapshot.cursor.next();
        if (next.done === true) break;
        const [key, value] = next.value;
        if (!handled.addNew(key)) continue;
        if (handled.chunksAllocated !== chunks) {
          // A chunk of the key table was initialised: time to look at the clock.
          chunks = handled.chunksAllocated;
          work = WORK_PER_CLOCK_CHECK;
        }
        if (isLarge(value)) {
          this.startKey(snapshot, key, value);
          if (!this.continueKey(sliceOver)) return true;
          work = 0;
        } else {
          this.emitKey(snapshot, key, value);
        }
        if (budgetMs === 0) return true;
        work += 1 + (isStringValue(value) ? value.length >>> 6 : value.size);
        if (work >= WORK_PER_CLOCK_CHECK) {
          work = 0;
          if (sliceOver()) return true;
        }
      }
      snapshot.handled = null;
      snapshot.cursor = null;
      this.byDict.delete(snapshot.dict);
      this.walkIndex++;
    }
    return false;
  }

  /** The key written at once (after the key in progress, if there is one). */
  private emitKey(snapshot: SnapshotDb, key: string, value: Value): void {
    const dest = this.inProgress === null ? this.main : this.side;
    select(dest, snapshot.id);
    writeKey(dest.out, key, value, snapshot.expires.size === 0 ? undefined : snapshot.expires.get(key));
    this.keysWritten++;
  }

  /** Begins a large key, whose commands continueKey writes a piece at a time. */
  private startKey(snapshot: SnapshotDb, key: string, value: Value): void {
    const expireAt = snapshot.expires.size === 0 ? undefined : snapshot.expires.get(key);
    select(this.main, snapshot.id);
    this.inProgress = { snapshot, key, pieces: keyPieces(this.main.out, key, value, expireAt) };
    this.keysWritten++;
  }

  /** Writes pieces of the key in progress until it is complete (true) or the slice is over (false). */
  private continueKey(sliceOver: () => boolean): boolean {
    const inProgress = this.inProgress as NonNullable<typeof this.inProgress>;
    while (inProgress.pieces.next().done !== true) {
      if (sliceOver()) return false;
    }
    this.inProgress = null;
    // What the listener wrote meanwhile follows.
    const side = this.side;
    if (side.out.pos !== 0) {
      this.main.out.bytes(side.out.buf, 0, side.out.pos);
      this.main.selectedDb = side.selectedDb;
      side.out.clear();
      side.selectedDb = -1;
    }
    return true;
  }

  /** Writes the rest of the key in progress at once. */
  private finishKey(): void {
    this.continueKey(() => false);
  }

  /** What the walk wrote, in the write buffer (free again: a slice starts once the last write is done). */
  private takePending(): Buffer | null {
    if (this.main.out.pos === 0) return null;
    const data = this.main.out.takeInto(this.writeBuffer);
    if (data.length > this.writeBuffer.length) this.writeBuffer = data;
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

/** A SELECT, unless the commands before already apply to database `id`. */
function select(dest: CommandBuffer, id: number): void {
  if (dest.selectedDb === id) return;
  command(dest.out, 'SELECT', String(id));
  dest.selectedDb = id;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
