/**
 * Loading an RDB file into the databases (Redis's rdbLoad): at start-up from dir/dbfilename,
 * and for DEBUG RELOAD. Keys whose expiry has passed are dropped, as a master drops them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadedAccessRecord } from '../keyspace/access.js';
import type { Database } from '../keyspace/database.js';
import { RdbError, RdbReader, type EncodingLimits, type RdbKeyRecord } from './rdb/index.js';
import type { PersistedServer } from './server.js';
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

/**
 * Adds the keys of an RDB file held in `input` to the databases. A key already there is an
 * error (the file is corrupt) unless `merge` (DEBUG RELOAD MERGE), where the file's value wins.
 * Throws an RdbError on anything malformed; keys added before the error stay.
 */
export function loadRdbBuffer(server: PersistedServer, input: Buffer, merge = false, now = Date.now()): LoadResult {
  const reader = new RdbReader(input, {
    limits: encodingLimits(server),
    checksum: server.config.getBool('rdbchecksum'),
    databases: server.databases.length,
  });
  const result: LoadResult = { keysLoaded: 0, keysExpired: 0 };
  for (let record = reader.next(); record !== null; record = reader.next()) {
    if (record.kind !== 'key') continue;
    if (record.expireAt !== -1 && record.expireAt < now) {
      result.keysExpired++;
      continue;
    }
    putLoadedKey(server.databases, record, merge);
    result.keysLoaded++;
  }
  return result;
}

/**
 * Puts one key read from an RDB file into its database (rdbLoad's dbAddRDBLoad and setExpire),
 * whatever its expiry. A key already there is an error (the file is corrupt) unless `merge`,
 * where the file's value wins.
 */
export function putLoadedKey(databases: readonly Database[], record: RdbKeyRecord, merge: boolean): void {
  const db = databases[record.db];
  if (db === undefined) throw new RdbError(`Data file refers to database ${record.db}, which does not exist`);
  if (!merge && db.dict.has(record.key)) throw new RdbError(`RDB has duplicated key in DB ${record.db}`);
  // DEBUG RELOAD while a BGSAVE or AOF rewrite runs: the job keeps what was there before.
  if (db.changeListener !== null) db.changeListener.beforeKeyChange(db, record.key);
  db.dict.set(record.key, record.value);
  if (record.expireAt !== -1) db.expires.set(record.key, record.expireAt);
  else if (merge) db.expires.delete(record.key);
  db.accessClock.set(record.key, loadedAccessRecord(db.access, record.idleSeconds, record.lfuFreq));
}

/** Reads dir/dbfilename into the databases; null when there is no such file. Throws when it cannot be loaded. */
export function loadRdbFile(server: PersistedServer, merge = false): LoadResult | null {
  const path = rdbPath(server);
  if (!existsSync(path)) return null;
  const input = readFileSync(path);
  const result = loadRdbBuffer(server, input, merge);
  server.saveStatus.lastLoadKeysLoaded = result.keysLoaded;
  server.saveStatus.lastLoadKeysExpired = result.keysExpired;
  return result;
}

/**
 * Start-up (Redis's loadDataFromDisk, RDB part): loads dir/dbfilename if it exists, logging as
 * Redis does. Throws an Error with a message fit for the log when the file cannot be loaded:
 * the server must not start with part of its data.
 */
export function loadAtStartup(server: PersistedServer): void {
  const started = performance.now();
  let result: LoadResult | null;
  try {
    result = loadRdbFile(server);
  } catch (err) {
    const reason = err instanceof RdbError ? `the RDB file is corrupt or unsupported: ${err.message}` : (err as Error).message;
    throw new Error(`Fatal error loading the DB (${rdbPath(server)}): ${reason}. Exiting.`);
  }
  if (result === null) return;
  server.log.info(`Done loading RDB, keys loaded: ${result.keysLoaded}, keys expired: ${result.keysExpired}.`);
  server.log.info(`DB loaded from disk: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
}
