/**
 * RDB snapshots on disk: SAVE (synchronous), BGSAVE (in slices on the event loop, kept
 * point-in-time by key-level copy-on-write) and the file handling both share (temp file,
 * fsync, rename), as Redis's rdbSave and rdbSaveBackground.
 *
 * Node cannot fork, so a background save walks the live databases a few milliseconds at a
 * time. To write what was there when it started, it listens to the keyspace's before-change
 * hook: a key about to change (or be deleted, expire, be flushed or swapped away) that the
 * save has not written yet is serialized first, with its old value; a key that did not exist
 * at the start is remembered so that the walk skips it.
 *
 * A large value (a collection of a million members, a long string) is written in pieces too
 * (RdbWriter.startKey/continueKey): the walk goes on with it in the next slice. Until its last
 * piece is written, its value must not change: the hook, told that it is about to (or that its
 * database is about to be flushed or swapped), writes the rest of it at once first — a stall
 * as long as the rest takes, as a copy-on-write fault of a huge key in Redis's parent. Old
 * values the hook saves meanwhile for the same database wait and follow that key.
 *
 * The file is written asynchronously, one chunk per slice, and fsynced before the rename
 * without blocking the loop either.
 */
import { beforeSlice } from '../util/turn.js';
import { close, closeSync, fsync, fsyncSync, open, openSync, renameSync, unlinkSync, write, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { strerror } from '../config/values.js';
import { isStringValue, type Value } from '../types/value.js';
import { setKeyChangeListener, type Database, type KeyChangeListener } from '../keyspace/database.js';
import { snapshotUsedMemory } from '../server/memory.js';
import { KeySet } from '../util/key-set.js';
import { RdbWriter as RdbFileWriter, type KeyMetadata, type RdbWriterOptions } from './rdb/index.js';
import { savedAccessFields } from '../keyspace/access.js';
import { functionCodesOf } from './functions.js';
import { snapshotWritten, type PersistedServer, type RdbWriter } from './server.js';

/** How long one slice of a background save may run before yielding to the loop (ms). */
const SLICE_MS = 2;
/**
 * Work between two looks at the clock, counted as one per key plus one per element of a
 * collection or per 64 bytes of a string (the order of a microsecond each).
 */
const WORK_PER_CLOCK_CHECK = 64;
/** Bytes gathered before they are written to the file: a slice ends there. */
const WRITE_THRESHOLD = 1 << 20;
/**
 * The same for SAVE, whose writes go straight from the writer's buffer: a smaller buffer is
 * fewer fresh pages to fault in (each SAVE has a writer of its own), for a few more writes.
 */
const SAVE_WRITE_THRESHOLD = 256 * 1024;

/** What a snapshot reads of a server: BackgroundSave also writes an AOF's RDB-encoded base (aof/base.ts). */
export type SnapshotSource = Pick<PersistedServer, 'databases' | 'config' | 'dirty'>;

export function writerOptions(server: SnapshotSource): RdbWriterOptions {
  const config = server.config;
  return {
    compression: config.getBool('rdbcompression'),
    checksum: config.getBool('rdbchecksum'),
    listMaxListpackSize: config.getNumber('list-max-listpack-size'),
  };
}

function headerOf(databases: readonly Database[]): { usedMem: number } {
  return { usedMem: snapshotUsedMemory(databases) };
}

/**
 * What is saved beside a key (rdbSaveKeyValuePair): its expiry and, under an LRU or LFU
 * maxmemory-policy, its idle time or its LFU counter.
 */
function keyMetadata(db: Database, key: string, value: Value): KeyMetadata | undefined {
  const expireAt = db.expires.size === 0 ? undefined : db.expires.get(key);
  const policy = db.access;
  if (!policy.lru && !policy.lfu) return expireAt === undefined ? undefined : { expireAt };
  const access = savedAccessFields(policy, db.recordOfEntry(key, value)) ?? {};
  return expireAt === undefined ? access : { expireAt, ...access };
}

/** dir/dbfilename. */
export function rdbPath(server: PersistedServer): string {
  return join(server.config.getString('dir'), server.config.getString('dbfilename'));
}

/** An open temp file that becomes the RDB once complete. */
class TempFile {
  readonly path: string;
  private fd: number;
  /** An asynchronous write or fsync runs on fd: closing it waits until that is over. */
  private busy = false;
  private discarded = false;

  constructor(
    readonly dir: string,
    name: string,
  ) {
    this.path = join(dir, name);
    try {
      this.fd = openSync(this.path, 'w');
    } catch (err) {
      throw new Error(`Failed opening the temp RDB file ${name} (in server root dir ${dir}) for saving: ${strerror(err)}`);
    }
  }

  write(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd, chunk, off, chunk.length - off);
  }

  /**
   * fsync, close and rename over `target` (unless it is written in place, as an AOF base whose
   * caller renames it); the directory is synced too, so the rename survives a crash.
   */
  commit(target: string): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
    if (target !== this.path) renameSync(this.path, target);
    try {
      const dirFd = openSync(dirname(target), 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch {
      // Some file systems refuse fsync on a directory; the rename happened anyway.
    }
  }

  /** write() off the event loop. */
  async writeAsync(chunk: Buffer): Promise<void> {
    this.busy = true;
    try {
      let off = 0;
      while (off < chunk.length) {
        const fd = this.fd;
        off += await new Promise<number>((resolve, reject) =>
          write(fd, chunk, off, chunk.length - off, null, (err, n) => (err ? reject(err) : resolve(n))),
        );
        if (this.discarded) return;
      }
    } finally {
      this.idle();
    }
  }

  /** commit() with the fsyncs off the event loop. Rejects if the file was discarded meanwhile. */
  async commitAsync(target: string): Promise<void> {
    this.busy = true;
    try {
      const fd = this.fd;
      await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      this.idle();
    }
    if (this.discarded) throw new Error('Background saving aborted');
    closeSync(this.fd);
    this.fd = -1;
    // Written in place (an AOF base, renamed by its caller): only the directory is synced.
    if (target === this.path) {
      await fsyncDirectory(dirname(target));
      return;
    }
    // The file replaced stays open across the rename, so that freeing its blocks (a large
    // file's take a while) happens when it is closed, off the loop, not in the rename.
    let replaced = -1;
    try {
      replaced = openSync(target, 'r');
    } catch {
      // no file there yet
    }
    try {
      renameSync(this.path, target);
    } finally {
      if (replaced !== -1) close(replaced, () => {});
    }
    await fsyncDirectory(dirname(target));
  }

  /**
   * Gives up: removes the temp file now (a save started next may use the same name) and closes
   * it, at once or, while an asynchronous write or fsync still uses it, once that is over.
   */
  discard(): void {
    this.discarded = true;
    if (this.fd !== -1 && !this.busy) this.closeNow();
    try {
      unlinkSync(this.path);
    } catch {
      // never created, already gone or renamed
    }
  }

  private idle(): void {
    this.busy = false;
    if (this.discarded && this.fd !== -1) this.closeNow();
  }

  private closeNow(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = -1;
  }
}

/** fsync of a directory without blocking the loop, so that a rename in it survives a crash. */
function fsyncDirectory(dir: string): Promise<void> {
  return new Promise((resolve) => {
    open(dir, 'r', (err, fd) => {
      // Some file systems refuse fsync on a directory; the rename happened anyway.
      if (err) return resolve();
      fsync(fd, () => close(fd, () => resolve()));
    });
  });
}

/** Writes the whole dataset to `target` now (Redis's rdbSave). Throws an Error saying why it failed. */
export function saveNow(server: PersistedServer, target = rdbPath(server)): void {
  const dir = dirname(target);
  const file = new TempFile(dir, `temp-${process.pid}.rdb`);
  try {
    const writer = new RdbFileWriter(writerOptions(server));
    const write = (bytes: Buffer): void => file.write(bytes);
    writer.header(headerOf(server.databases));
    writer.functions(functionCodesOf(server));
    for (const db of server.databases) {
      if (db.dict.size === 0) continue;
      writer.selectDb(db.id, db.dict.size, db.expires.size);
      for (const [key, value] of db.dict) {
        // A large value goes out piece by piece: the writer's buffer never grows to its size.
        if (!writer.startKey(key, value, keyMetadata(db, key, value))) {
          do {
            if (writer.pendingBytes >= SAVE_WRITE_THRESHOLD) writer.drain(write);
          } while (!writer.continueKey());
        }
        if (writer.pendingBytes >= SAVE_WRITE_THRESHOLD) writer.drain(write);
      }
    }
    writer.drain(write);
    file.write(writer.end());
    file.commit(target);
  } catch (err) {
    file.discard();
    if ((err as Error).message.startsWith('Failed opening')) throw err;
    throw new Error(`Write error saving DB on disk: ${strerror(err)}`);
  }
  server.log.info('DB saved on disk');
}

/** Where a background save stands with one database. */
interface DbProgress {
  readonly db: Database;
  /**
   * pending: not reached yet; active: being walked; captured: every key it had was serialized
   * at once (FLUSHDB, SWAPDB) and waits in `preserved`; done: written (or empty at the start).
   */
  state: 'pending' | 'active' | 'captured' | 'done';
  /** Keys written, or that did not exist at the start: the walk and the hook skip them. */
  readonly handled: KeySet;
  /** Old values of keys of a pending database, serialized before they changed. */
  preserved: Buffer[];
  readonly sizeAtStart: number;
  readonly expiresAtStart: number;
}

export interface BackgroundSaveOptions {
  /** The temporary file's name, in the target's directory (default temp-bgsave-<pid>.rdb). */
  tempName?: string;
  /** The snapshot is an AOF's base (its aof-base AUX field). */
  aofBase?: boolean;
}

/** A key whose value the walk is writing in pieces. */
interface KeyInProgress {
  readonly p: DbProgress;
  readonly key: string;
}

/** A running BGSAVE of one server. */
export class BackgroundSave implements KeyChangeListener {
  readonly startedAt = Date.now();
  readonly dirtyAtStart: number;
  private readonly writer: RdbFileWriter;
  /** Serializes old values of keys in databases the walk has not reached. */
  private readonly sideWriter: RdbFileWriter;
  private readonly file: TempFile;
  private readonly progress: DbProgress[];
  private readonly byDb = new Map<Database, DbProgress>();
  private current = 0;
  private cursor: IterableIterator<string> | null = null;
  /** The key the walk has begun and not finished writing (its value is large). */
  private inProgress: KeyInProgress | null = null;
  /** Old values of keys of the active database, saved by the hook while a key is in progress: they follow it. */
  private deferred: Buffer[] = [];
  /** Each slice's bytes are copied here for the file: one buffer for the whole save. */
  private writeBuffer: Buffer = Buffer.allocUnsafe(WRITE_THRESHOLD * 2);
  private timer: NodeJS.Immediate | null = null;
  /** rdb-key-save-delay (µs), Redis's testing knob: one key (or one piece of a large value) per slice, this many ms apart. */
  private readonly keyDelayMs: number;
  private delayTimer: NodeJS.Timeout | null = null;
  private finished = false;

  constructor(
    private readonly server: SnapshotSource,
    private readonly target: string,
    private readonly onDone: (ok: boolean, error?: Error) => void,
    saveOptions: BackgroundSaveOptions = {},
  ) {
    this.dirtyAtStart = server.dirty;
    const delayUs = server.config.getNumber('rdb-key-save-delay');
    this.keyDelayMs = delayUs <= 0 ? 0 : Math.max(1, Math.ceil(delayUs / 1000));
    const options = writerOptions(server);
    this.writer = new RdbFileWriter(options);
    this.sideWriter = new RdbFileWriter({ ...options, checksum: false });
    this.file = new TempFile(dirname(target), saveOptions.tempName ?? `temp-bgsave-${process.pid}.rdb`);
    this.progress = server.databases.map((db) => ({
      db,
      state: db.dict.size === 0 ? 'done' : 'pending',
      handled: new KeySet(db.dict.size),
      preserved: [],
      sizeAtStart: db.dict.size,
      expiresAtStart: db.expires.size,
    }));
    for (const p of this.progress) this.byDb.set(p.db, p);
    this.writer.header({ ...headerOf(server.databases), aofBase: saveOptions.aofBase === true });
    // The libraries as they are now: the save's point in time.
    this.writer.functions(functionCodesOf(server));
    setKeyChangeListener(server.databases, this);
    this.timer = setImmediate(() => this.slice());
  }

  // ---- copy-on-write ----
  beforeKeyChange(db: Database, key: string): void {
    const p = this.byDb.get(db);
    if (p === undefined) return;
    const inProgress = this.inProgress;
    if (inProgress !== null && inProgress.p === p && inProgress.key === key) {
      // The value is about to change under the walk: the rest of it is written first.
      this.finishKey();
      return;
    }
    if (p.state === 'done' || p.state === 'captured' || !p.handled.addNew(key)) return;
    const value = db.dict.get(key);
    // A key created after the start is left out; one that existed keeps its old value.
    if (value === undefined) return;
    const meta = keyMetadata(db, key, value);
    if (p.state === 'active' && inProgress === null) {
      this.writer.key(key, value, meta);
      return;
    }
    this.sideWriter.key(key, value, meta);
    if (p.state === 'active') this.deferred.push(this.sideWriter.flush());
    else p.preserved.push(this.sideWriter.flush());
  }

  beforeDatabaseChange(db: Database): void {
    const p = this.byDb.get(db);
    if (p === undefined) return;
    // FLUSHDB or SWAPDB: the value being written would go or move where the hook cannot follow it.
    if (this.inProgress?.p === p) this.finishKey();
    if (p.state === 'done' || p.state === 'captured') return;
    // Every key goes at once: what was not written yet is serialized now.
    for (const key of db.dict.keys()) this.beforeKeyChange(db, key);
    if (p.state === 'active') this.endDb(p);
    else p.state = 'captured';
  }

  // ---- the walk ----
  private beginDb(p: DbProgress): void {
    p.state = 'active';
    this.writer.selectDb(p.db.id, p.sizeAtStart, p.expiresAtStart);
    for (const chunk of p.preserved) this.writer.records(chunk);
    p.preserved = [];
  }

  private endDb(p: DbProgress): void {
    p.state = 'done';
    p.handled.clear();
    if (this.progress[this.current] === p) this.cursor = null;
  }

  /** One slice: writes for SLICE_MS, then hands what it wrote to the file and waits for the write. */
  private slice(): void {
    this.timer = null;
    this.delayTimer = null;
    if (this.finished) return;
    beforeSlice();
    let chunk: Buffer | null;
    let more: boolean;
    try {
      more = this.walkSlice(performance.now() + SLICE_MS);
      // The next slice runs once this chunk is written: the write buffer is free again by then.
      if (more) chunk = this.writer.pendingBytes === 0 ? null : this.writer.flush(this.writeBuffer);
      else chunk = Buffer.concat([this.writer.flush(), this.writer.end()]);
      if (chunk !== null && chunk.length > this.writeBuffer.length) this.writeBuffer = chunk;
    } catch (err) {
      this.finish(false, err as Error);
      return;
    }
    const written = chunk === null ? Promise.resolve() : this.file.writeAsync(chunk);
    written
      .then(async () => {
        if (this.finished) return;
        if (more) {
          if (this.keyDelayMs === 0) this.timer = setImmediate(() => this.slice());
          else this.delayTimer = setTimeout(() => this.slice(), this.keyDelayMs);
          return;
        }
        await this.file.commitAsync(this.target);
        this.finish(true);
      })
      .catch((err: unknown) => this.finish(false, err as Error));
  }

  /** Writes until the slice is over; false once every database is written. */
  private walkSlice(deadline: number): boolean {
    if (this.inProgress !== null && !this.continueKey(deadline)) return true;
    while (this.current < this.progress.length) {
      const p = this.progress[this.current] as DbProgress;
      if (p.state === 'done') {
        this.current++;
        this.cursor = null;
        continue;
      }
      if (p.state === 'captured') {
        this.beginDb(p);
        this.endDb(p);
        continue;
      }
      if (p.state === 'pending') this.beginDb(p);
      // Keys, not entries: the walk looks each value up when it writes it (a key changed
      // meanwhile was written by the hook before), and a pair per key is garbage.
      this.cursor ??= p.db.dict.keys();
      if (!this.walk(p, deadline)) return true;
      this.endDb(p);
      this.current++;
    }
    return false;
  }

  /** Writes keys of the active database until the slice is over; true when the database is done. */
  private walk(p: DbProgress, deadline: number): boolean {
    const cursor = this.cursor as IterableIterator<string>;
    const db = p.db;
    const writer = this.writer;
    const handled = p.handled;
    let work = 0;
    let chunks = handled.chunksAllocated;
    for (;;) {
      const next = cursor.next();
      if (next.done === true) return true;
      const key = next.value;
      if (!handled.addNew(key)) continue;
      if (handled.chunksAllocated !== chunks) {
        // A chunk of the key table was initialised: time to look at the clock.
        chunks = handled.chunksAllocated;
        work = WORK_PER_CLOCK_CHECK;
      }
      const value = db.dict.get(key);
      if (value === undefined) continue;
      if (!writer.startKey(key, value, keyMetadata(db, key, value))) {
        this.inProgress = { p, key };
        if (this.sliceOver(deadline) || !this.continueKey(deadline)) return false;
        work = 0;
      }
      if (this.keyDelayMs !== 0) return false;
      work += 1 + (isStringValue(value) ? value.length >>> 6 : value.size);
      if (work >= WORK_PER_CLOCK_CHECK) {
        work = 0;
        if (this.sliceOver(deadline)) return false;
      }
    }
  }

  private sliceOver(deadline: number): boolean {
    return this.keyDelayMs !== 0 || this.writer.pendingBytes >= WRITE_THRESHOLD || performance.now() >= deadline;
  }

  /** Writes pieces of the key in progress until it is complete (true) or the slice is over (false). */
  private continueKey(deadline: number): boolean {
    const writer = this.writer;
    while (!writer.continueKey()) {
      if (this.sliceOver(deadline)) return false;
    }
    this.keyDone();
    return true;
  }

  /** Writes the rest of the key in progress at once. */
  private finishKey(): void {
    this.writer.finishKey();
    this.keyDone();
  }

  private keyDone(): void {
    this.inProgress = null;
    for (const chunk of this.deferred) this.writer.records(chunk);
    this.deferred = [];
  }

  private finish(ok: boolean, error?: Error): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== null) clearImmediate(this.timer);
    if (this.delayTimer !== null) clearTimeout(this.delayTimer);
    this.timer = null;
    this.delayTimer = null;
    setKeyChangeListener(this.server.databases, null);
    if (!ok) this.file.discard();
    this.progress.length = 0;
    this.byDb.clear();
    this.inProgress = null;
    this.deferred = [];
    this.onDone(ok, error);
  }

  /** Stops the save and removes its temp file (SHUTDOWN, a SAVE that replaces it). */
  abort(): void {
    if (this.finished) return;
    this.finish(false, new Error('Background saving aborted'));
  }

  get running(): boolean {
    return !this.finished;
  }
}

/** The background save running for each server (several may live in one process). */
const running = new WeakMap<PersistedServer, BackgroundSave>();

/** Abandons a server's background save, if one runs (its temp file is removed). */
export function abortBackgroundSave(server: PersistedServer): void {
  const bg = running.get(server);
  if (bg === undefined) return;
  server.log.info('Killing the running background save');
  bg.abort();
}

/** A background save ended (Redis's backgroundSaveDoneHandler): INFO's figures and the log. */
function backgroundSaveEnded(server: PersistedServer, startedAt: number, dirtyAtStart: number, ok: boolean, error?: Error): void {
  const status = server.saveStatus;
  status.bgsaveStartedAt = 0;
  const now = Date.now();
  if (ok) {
    status.lastBgsaveTimeSec = Math.round((now - startedAt) / 1000);
    snapshotWritten(server, dirtyAtStart, Math.floor(now / 1000));
    server.log.info('DB saved on disk');
    server.log.info('Background saving terminated with success');
  } else if (error?.message !== 'Background saving aborted') {
    // An aborted save (SHUTDOWN, SAVE) leaves the status as it was, as a child killed on purpose does in Redis.
    status.lastBgsaveOk = false;
    status.lastBgsaveTimeSec = Math.round((now - startedAt) / 1000);
    server.log.warn(`Background saving error: ${error === undefined ? 'unknown error' : strerror(error)}`);
  }
}

/** The RDB writer registered with persistence/: snapshots in dir/dbfilename. */
export const rdbFiles: RdbWriter = {
  save(server) {
    // Redis kills a saving child before a synchronous save (SHUTDOWN, DEBUG RELOAD).
    abortBackgroundSave(server);
    saveNow(server);
  },

  startBackgroundSave(server) {
    if (running.has(server)) throw new Error('Background save already in progress');
    const status = server.saveStatus;
    let bg: BackgroundSave;
    try {
      bg = new BackgroundSave(server, rdbPath(server), (ok, error) => {
        running.delete(server);
        backgroundSaveEnded(server, bg.startedAt, bg.dirtyAtStart, ok, error);
      });
    } catch (err) {
      // The temp file cannot be opened. Redis forks first and its child fails: BGSAVE answers
      // that the save started, and the failure shows when the child exits, a moment later.
      const startedAt = Date.now();
      status.bgsaveStartedAt = startedAt;
      server.log.info('Background saving started');
      setImmediate(() => backgroundSaveEnded(server, startedAt, 0, false, err as Error));
      return;
    }
    running.set(server, bg);
    status.bgsaveStartedAt = bg.startedAt;
    server.log.info('Background saving started');
  },

  snapshotTo(server, path) {
    return new Promise((resolve, reject) => {
      const bg: BackgroundSave = new BackgroundSave(
        server,
        path,
        (ok, error) => {
          clientSnapshots.get(server)?.delete(bg);
          if (ok) resolve();
          else reject(error ?? new Error('the snapshot failed'));
        },
        { tempName: `temp-sync-${process.pid}-${++clientSnapshotSequence}.rdb` },
      );
      let snapshots = clientSnapshots.get(server);
      if (snapshots === undefined) clientSnapshots.set(server, (snapshots = new Set()));
      snapshots.add(bg);
    });
  },

  stop(server) {
    running.get(server)?.abort();
    for (const bg of clientSnapshots.get(server) ?? []) bg.abort();
  },
};

/** Snapshots being written for clients (snapshotTo), per server: abandoned when it stops. */
const clientSnapshots = new WeakMap<PersistedServer, Set<BackgroundSave>>();
let clientSnapshotSequence = 0;
