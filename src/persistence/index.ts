/**
 * Whether this server can persist its data, said in one place. RDB snapshots and the
 * append-only file are written by persistence modules that register here (the AOF, in aof/,
 * is registered by default). Until an RDB writer registers, no snapshot is written, and every
 * place that would claim otherwise asks here and tells the truth instead: SAVE/BGSAVE answer
 * an error, save points that come due are reported as failed saves in INFO, start-up warns
 * that data is kept in memory only, and SHUTDOWN SAVE fails as a failed final save does in
 * Redis. When a writer registers, the same call sites use it.
 */
import type { Config } from '../config/config.js';
import { appendOnlyFile } from './aof/index.js';
import type { AofServer, AofStatus } from './aof/server.js';
import { snapshotWritten, type PersistedServer, type RdbWriter } from './server.js';

export { RewriteInProgress } from './aof/server.js';
export { SaveStatus, snapshotWritten, type PersistedServer, type RdbWriter } from './server.js';
export type { AofServer, AofStatus };

/** Why a snapshot cannot be written (error replies and log lines). */
export const NO_RDB = 'RDB snapshots are not supported by this server yet: data is kept in memory only';
/** Why the append-only file cannot be turned on (when no AOF writer is registered). */
export const NO_AOF = 'AOF is not supported by this server yet: data is kept in memory only';

export interface AofWriter {
  /**
   * Start-up with `appendonly yes`: loads the AOF directory (the server is in its loading
   * state meanwhile) and opens it for appending. Rejects with an Error saying why the server
   * must not start (a damaged file, the offset and the fix).
   */
  load(server: PersistedServer): Promise<void>;
  /** CONFIG SET appendonly yes: starts a rewrite that writes the dataset as the base; throws when it cannot. */
  start(server: PersistedServer): void;
  /** CONFIG SET appendonly no: stops logging. */
  stop(server: PersistedServer): void;
  /**
   * BGREWRITEAOF: 'started', or 'scheduled' (run later by the cron: inside a transaction, or
   * while another background job holds the dataset). Throws when it cannot start, with
   * `RewriteInProgress` when one is already running.
   */
  startRewrite(server: PersistedServer, inTransaction: boolean): 'started' | 'scheduled';
  /** Each tick of the server's cron: fsync every second, scheduled and automatic rewrites, retries. */
  cron(server: PersistedServer): void;
  /**
   * SHUTDOWN: writes and fsyncs what is buffered. False when the server must not stop (the
   * first rewrite after `appendonly yes` is still running and `force` is not set).
   */
  prepareShutdown(server: PersistedServer, force: boolean): boolean;
  /** The server stops: everything written and closed, a running rewrite abandoned. */
  close(server: PersistedServer): void;
  /** INFO persistence figures; null when the AOF was never used by this server. */
  status(server: PersistedServer): AofStatus | null;
}

let rdb: RdbWriter | null = null;
let aof: AofWriter | null = appendOnlyFile;

/** A persistence module makes itself available; the returned function withdraws it. */
export function registerPersistence(writers: { rdb?: RdbWriter; aof?: AofWriter }): () => void {
  const previous = { rdb, aof };
  if (writers.rdb !== undefined) rdb = writers.rdb;
  if (writers.aof !== undefined) aof = writers.aof;
  // Withdrawing gives back what was registered before (a test's stand-in leaves the real one).
  return () => {
    if (writers.rdb !== undefined && rdb === writers.rdb) rdb = previous.rdb;
    if (writers.aof !== undefined && aof === writers.aof) aof = previous.aof;
  };
}

/** The RDB writer, or null when snapshots cannot be written. */
export function rdbWriter(): RdbWriter | null {
  return rdb;
}

/** The AOF writer, or null when the append-only file cannot be written. */
export function aofWriter(): AofWriter | null {
  return aof;
}

/** Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed background save, save points wait this long (s). */
const BGSAVE_RETRY_DELAY = 5;

/**
 * FLUSHALL with save points configured (Redis's flushAllDataAndResetRDB): a running background
 * save is abandoned and the empty dataset is saved at once, so that a restart does not bring
 * back what was flushed. A failure is logged, as Redis's rdbSave logs it; FLUSHALL still succeeds.
 */
export function saveAfterFlushAll(server: PersistedServer): void {
  if (server.saveStatus.savePoints.length === 0 || rdb === null) return;
  try {
    const dirty = server.dirty;
    rdb.save(server);
    snapshotWritten(server, dirty, Math.floor(Date.now() / 1000));
  } catch (err) {
    server.log.warn(`Write error saving DB on disk: ${(err as Error).message}`);
  }
}

/** The server stops (close or SHUTDOWN): writers drop what they still run for it. */
export function persistenceStopped(server: PersistedServer): void {
  rdb?.stop?.(server);
}

/**
 * Start-up: the configuration asks for persistence this server cannot do. `appendonly yes`
 * is refused (the message says why) rather than run with writes silently not logged.
 */
export function persistenceRefusal(config: Config): string | null {
  if (config.getBool('appendonly') && aof === null) {
    return `'appendonly yes' asks for the append-only file, but ${NO_AOF}. Set 'appendonly no' to run without persistence.`;
  }
  return null;
}

/** Start-up: a warning when save points are configured but no snapshot can be written. */
export function persistenceWarning(config: Config): string | null {
  const save = config.format('save');
  if (save === '' || rdb !== null) return null;
  return `WARNING: save points are configured (save ${save}) but ${NO_RDB} and is lost when the server stops. Set save "" to silence this warning.`;
}

/**
 * The cron's save points (Redis's serverCron): when one is due, a background save is started,
 * or, without an RDB writer, recorded as failed, so that INFO does not report saves that
 * never happened. A failed attempt is retried after BGSAVE_RETRY_DELAY, as in Redis.
 */
/**
 * Another background job (an AOF rewrite) holds the keyspace's before-change hook: like Redis
 * with one child process at a time, no background save starts meanwhile.
 */
export function backgroundJobRunning(server: PersistedServer): boolean {
  return server.databases.some((db) => db.changeListener !== null);
}

/** Redis's text for a BGSAVE refused while another background job runs. */
export const ERR_OTHER_CHILD =
  "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";

export function checkSavePoints(server: PersistedServer, now: number): void {
  const status = server.saveStatus;
  // As Redis, no save point is looked at while a background job runs.
  if (status.bgsaveStartedAt !== 0 || backgroundJobRunning(server)) return;
  if (status.bgsaveScheduled) {
    status.bgsaveScheduled = false;
    server.log.info('Background saving started by BGSAVE SCHEDULE');
    backgroundSave(server, now);
    return;
  }
  for (const point of status.savePoints) {
    if (server.dirty < point.changes || now - server.lastSave <= point.seconds) continue;
    if (!status.lastBgsaveOk && now - status.lastBgsaveTry <= BGSAVE_RETRY_DELAY) continue;
    // Without a writer every attempt fails the same way: say it once, not every 5 seconds.
    const firstFailure = status.lastBgsaveOk;
    const log = rdb !== null || firstFailure ? server.log.info.bind(server.log) : server.log.debug.bind(server.log);
    log(`${point.changes} changes in ${point.seconds} seconds. Saving...`);
    backgroundSave(server, now);
    return;
  }
}

/** BGSAVE and due save points: true when a background save started. */
export function backgroundSave(server: PersistedServer, now: number): boolean {
  const status = server.saveStatus;
  const firstFailure = status.lastBgsaveOk;
  status.lastBgsaveTry = now;
  // Counted when attempted, as Redis counts a fork that then fails.
  status.saves++;
  try {
    if (rdb === null) throw new Error(NO_RDB);
    rdb.startBackgroundSave(server);
    return true;
  } catch (err) {
    status.lastBgsaveOk = false;
    const line = `Background saving error: ${(err as Error).message}`;
    if (rdb !== null || firstFailure) server.log.warn(line);
    else server.log.debug(line);
    return false;
  }
}

/**
 * Redis's prepareForShutdown, its saving part: the final snapshot when asked (`save`) or when
 * save points are configured (`save` undefined, unless NOSAVE). False when it failed and
 * `force` is not set: the server must not stop. Logs as Redis does.
 */
export function finalSave(server: PersistedServer, save: boolean | undefined, force: boolean): boolean {
  const log = server.log;
  // Redis's first line of a shutdown, by SHUTDOWN or by a signal.
  log.warn('User requested shutdown...');
  // As Redis's prepareForShutdown: while a dataset loads, no snapshot (it would replace the
  // file with the part loaded so far).
  if (server.loading) save = false;
  // The AOF first, as Redis's prepareForShutdown: written and fsynced, or the exit refused
  // while its first base is still being written.
  if (aof !== null && !aof.prepareShutdown(server, force)) {
    log.warn('Errors trying to shut down the server. Check the logs for more information.');
    return false;
  }
  const configured = server.saveStatus.savePoints.length !== 0;
  if (save === false || (save === undefined && !configured)) return true;
  if (rdb === null && save === undefined) {
    // Refusing to stop for want of a writer that was never there would keep every default
    // setup from shutting down: say what is lost instead.
    const kept = server.config.getBool('appendonly') ? 'the append-only file keeps the data' : 'the data is lost';
    log.warn(`Save points are configured but ${NO_RDB}: exiting without a snapshot, ${kept}.`);
    return true;
  }
  log.info('Saving the final RDB snapshot before exiting.');
  try {
    if (rdb === null) throw new Error(NO_RDB);
    const dirty = server.dirty;
    rdb.save(server);
    snapshotWritten(server, dirty, Math.floor(Date.now() / 1000));
    return true;
  } catch (err) {
    log.warn(`Failed saving the final RDB snapshot: ${(err as Error).message}`);
    if (force) {
      log.warn('Error trying to save the DB. Exit anyway.');
      return true;
    }
    log.warn("Error trying to save the DB, can't exit.");
    log.warn('Errors trying to shut down the server. Check the logs for more information.');
    return false;
  }
}
