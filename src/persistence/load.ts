/**
 * Loading an RDB file into the databases (Redis's rdbLoad): at start-up from dir/dbfilename,
 * and for DEBUG RELOAD. Keys whose expiry has passed are dropped, as a master drops them.
 *
 * At start-up the server already listens: the load runs in slices of a few milliseconds with
 * the server in its loading state (loading.ts), so that clients connecting meanwhile are
 * answered (-LOADING, or INFO's progress) as Redis answers them between its chunks.
 * DEBUG RELOAD loads in one go, as Redis's does.
 *
 * The file is read a window at a time as it is decoded (ByteSource.fromFile), with synchronous
 * reads of up to a megabyte, as Redis reads it: reading it whole into one buffer first would
 * fault in as much fresh memory as the file is large, which costs more than the reads.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { loadedAccessRecord, newAccessRecord } from '../keyspace/access.js';
import type { Database } from '../keyspace/database.js';
import { ByteSource, RdbError, RdbReader, type EncodingLimits, type RdbKeyRecord } from './rdb/index.js';
import { loadFunctionFromFile } from './functions.js';
import type { PersistedServer } from './server.js';
import { KeyLoadDelay, LOADING_SLICE_MS, LoadingInterrupted, pause, startLoading, stopLoading, yieldToLoop, type LoadingProgress } from './loading.js';
import { rdbPath } from './snapshot.js';

export interface LoadResult {
  keysLoaded: number;
  keysExpired: number;
}

/** The compact-encoding limits of a server (what a loaded value is encoded under). */
export function encodingLimits(server: Pick<PersistedServer, 'config'>): EncodingLimits {
  const config = server.config;
  return {
    hashMaxListpackEntries: config.getNumber('hash-max-listpack-entries'),
    hashMaxListpackValue: config.getNumber('hash-max-listpack-value'),
    zsetMaxListpackEntries: config.getNumber('zset-max-listpack-entries'),
    zsetMaxListpackValue: config.getNumber('zset-max-listpack-value'),
    setMaxIntsetEntries: config.getNumber('set-max-intset-entries'),
  };
}

const DONE = 0;
const KEY = 1;
const OTHER = 2;
type Step = typeof DONE | typeof KEY | typeof OTHER;

/** Records read between two looks at the clock. */
const RECORDS_PER_CHECK = 32;

/**
 * One load of an RDB held in a buffer, a record at a time (rdbLoadRio's loop body): keys go
 * into the databases, AUX fields are logged as Redis logs them, the keys loaded and expired
 * are counted in INFO's rdb_last_load_keys_* as they go.
 */
class RdbLoad {
  private readonly reader: RdbReader;
  /** Expiry is judged against the time the load started, as Redis does. */
  private readonly now: number;

  constructor(
    private readonly server: PersistedServer,
    input: Buffer | ByteSource,
    private readonly merge: boolean,
    private readonly progress: LoadingProgress | null,
  ) {
    this.reader = new RdbReader(input, {
      limits: encodingLimits(server),
      checksum: server.config.getBool('rdbchecksum'),
      databases: server.databases.length,
    });
    this.now = Date.now();
    // Redis's startLoading: the counts are those of this load, even if it fails half-way.
    server.saveStatus.lastLoadKeysLoaded = 0;
    server.saveStatus.lastLoadKeysExpired = 0;
  }

  /** Bytes of the file read so far. */
  get offset(): number {
    return this.reader.offset;
  }

  /** Reads and applies the next record. Throws an RdbError on anything malformed; keys added before stay. */
  step(): Step {
    const record = this.reader.next();
    if (record === null) {
      this.finished();
      return DONE;
    }
    if (record.kind === 'aux') {
      this.aux(record.key, record.value);
      return OTHER;
    }
    if (record.kind === 'function') {
      try {
        loadFunctionFromFile(this.server, record.code);
      } catch (err) {
        throw new RdbError((err as Error).message);
      }
      return OTHER;
    }
    if (record.kind !== 'key') return OTHER;
    const server = this.server;
    const status = server.saveStatus;
    if (record.expireAt !== -1 && record.expireAt < this.now) {
      status.lastLoadKeysExpired++;
      return KEY;
    }
    putLoadedKey(server.databases, record, this.merge);
    status.lastLoadKeysLoaded++;
    return KEY;
  }

  /** The AUX fields Redis reports while loading; a file's metadata, never a key's value. */
  private aux(name: string, value: string): void {
    const log = this.server.log;
    if (name.startsWith('%')) {
      log.info(`RDB '${name}': ${value}`);
      return;
    }
    switch (name.toLowerCase()) {
      case 'redis-ver':
        log.info(`Loading RDB produced by version ${value}`);
        break;
      case 'ctime': {
        const age = Math.max(0, Math.floor(Date.now() / 1000) - strtol(value));
        log.info(`RDB age ${age} seconds`);
        break;
      }
      case 'used-mem': {
        const usedMem = strtol(value);
        log.info(`RDB memory usage when created ${(usedMem / (1024 * 1024)).toFixed(2)} Mb`);
        if (this.progress !== null) this.progress.rdbUsedMem = Math.max(0, usedMem);
        break;
      }
      case 'aof-preamble':
        if (strtol(value) !== 0) log.info('RDB has an AOF tail');
        break;
      case 'aof-base':
        if (strtol(value) !== 0) log.info('RDB is base AOF');
        break;
      case 'repl-stream-db':
      case 'repl-id':
      case 'repl-offset':
      case 'lua':
      case 'redis-bits':
        break;
      default:
        log.debug(`Unrecognized RDB AUX field: '${name}'`);
    }
  }

  private finished(): void {
    const status = this.server.saveStatus;
    const skipped = this.reader.emptyKeysSkipped;
    if (this.progress !== null) this.progress.loadedBytes = this.reader.offset;
    if (skipped !== 0) {
      this.server.log.warn(
        `Done loading RDB, keys loaded: ${status.lastLoadKeysLoaded}, keys expired: ${status.lastLoadKeysExpired}, empty keys skipped: ${skipped}.`,
      );
    } else {
      this.server.log.info(`Done loading RDB, keys loaded: ${status.lastLoadKeysLoaded}, keys expired: ${status.lastLoadKeysExpired}.`);
    }
  }

  get result(): LoadResult {
    return { keysLoaded: this.server.saveStatus.lastLoadKeysLoaded, keysExpired: this.server.saveStatus.lastLoadKeysExpired };
  }
}

/**
 * Puts one key read from an RDB file into its database (rdbLoad's dbAddRDBLoad and setExpire),
 * whatever its expiry. A key already there is an error (the file is corrupt) unless `merge`,
 * where the file's value wins.
 */
export function putLoadedKey(databases: readonly Database[], record: RdbKeyRecord, merge: boolean): void {
  const db = databases[record.db];
  if (db === undefined) throw new RdbError(`Data file refers to database ${record.db}, which does not exist`);
  // (DEBUG RELOAD while a BGSAVE or AOF rewrite runs: the job keeps what was there before,
  // told by the database before the key changes.)
  let access: number | undefined;
  if (!merge && record.idleSeconds < 0 && record.lfuFreq < 0) {
    // The record the key would get now, kept once for all such keys (Database.unrecordedAccess).
    if (db.unrecordedAccess < 0) db.unrecordedAccess = newAccessRecord(db.access);
  } else {
    access = loadedAccessRecord(db.access, record.idleSeconds, record.lfuFreq);
  }
  const added = db.putLoaded(record.key, record.value, record.expireAt, access, merge);
  // A duplicate fails the load, and the server does not start with it.
  if (!added && !merge) {
    throw new RdbError(`RDB has duplicated key in DB ${record.db}`);
  }
}

/** C's strtol in base 10: leading blanks, a sign, the digits that follow; 0 without any. */
function strtol(text: string): number {
  const match = /^\s*([+-]?\d+)/.exec(text);
  return match === null ? 0 : Number(match[1]);
}

/**
 * Adds the keys of an RDB file held in `input` (or read through it) to the databases, in one go. A key already there
 * is an error (the file is corrupt) unless `merge` (DEBUG RELOAD MERGE), where the file's value
 * wins. Throws an RdbError on anything malformed; keys added before the error stay.
 */
export function loadRdbBuffer(server: PersistedServer, input: Buffer | ByteSource, merge = false): LoadResult {
  const load = new RdbLoad(server, input, merge, null);
  while (load.step() !== DONE);
  return load.result;
}

/**
 * The same, in slices that give the event loop a turn (and pausing as key-load-delay asks),
 * updating `progress` as it goes. Rejects with LoadingInterrupted once the server is stopping.
 */
async function loadRdbInSlices(server: PersistedServer, input: ByteSource, progress: LoadingProgress): Promise<LoadResult> {
  const load = new RdbLoad(server, input, false, progress);
  const delay = new KeyLoadDelay(server.config.getNumber('key-load-delay'));
  let sliceStart = performance.now();
  let sinceCheck = 0;
  for (;;) {
    const step = load.step();
    if (step === DONE) return load.result;
    let pauseMs = 0;
    if (step === KEY && delay.active) pauseMs = delay.afterKey();
    if (pauseMs === 0) {
      if (++sinceCheck < RECORDS_PER_CHECK) continue;
      sinceCheck = 0;
      if (performance.now() - sliceStart < LOADING_SLICE_MS) continue;
    }
    progress.loadedBytes = load.offset;
    await (pauseMs === 0 ? yieldToLoop() : pause(pauseMs));
    if (server.stopping) throw new LoadingInterrupted();
    sliceStart = performance.now();
  }
}

/** An open RDB file (or AOF file with an RDB part), read a window at a time by its ByteSource. */
export class RdbFile {
  readonly source: ByteSource;

  private constructor(private readonly fd: number) {
    const size = fstatSync(fd).size;
    this.source = ByteSource.fromFile((into, at, length, position) => readSync(fd, into, at, length, position), size);
  }

  /** Opens the file at `path`; throws as openSync does (ENOENT when there is none). */
  static open(path: string): RdbFile {
    const fd = openSync(path, 'r');
    try {
      return new RdbFile(fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** The file at `path`, or null when there is none. */
  static openIfExists(path: string): RdbFile | null {
    try {
      return RdbFile.open(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Reads dir/dbfilename into the databases, in one go; null when there is no such file. Throws when it cannot be loaded. */
export function loadRdbFile(server: PersistedServer, merge = false): LoadResult | null {
  const file = RdbFile.openIfExists(rdbPath(server));
  if (file === null) return null;
  try {
    return loadRdbBuffer(server, file.source, merge);
  } finally {
    file.close();
  }
}

/**
 * Start-up (Redis's loadDataFromDisk, RDB part), once the server listens: loads dir/dbfilename
 * if it exists, with the server in its loading state, logging as Redis does. Rejects with an
 * Error whose message is fit for the log when the file cannot be loaded (the server must not
 * start with part of its data), or with LoadingInterrupted when the server is shut down meanwhile.
 */
export async function loadAtStartup(server: PersistedServer): Promise<void> {
  const path = rdbPath(server);
  const fatal = (err: unknown): Error => {
    const reason = err instanceof RdbError ? `the RDB file is corrupt or unsupported: ${err.message}` : (err as Error).message;
    return new Error(`Fatal error loading the DB (${path}): ${reason}. Exiting.`);
  };
  let file: RdbFile | null;
  try {
    file = RdbFile.openIfExists(path);
  } catch (err) {
    throw fatal(err);
  }
  if (file === null) return;
  const started = performance.now();
  const progress = startLoading(server, file.source.remaining);
  try {
    await loadRdbInSlices(server, file.source, progress);
  } catch (err) {
    throw err instanceof LoadingInterrupted ? err : fatal(err);
  } finally {
    file.close();
    stopLoading(server);
  }
  server.log.info(`DB loaded from disk: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
}
