/**
 * What persistence sees of a server, and how saving went (INFO persistence): declared here,
 * below the registry of writers (index.ts), so that the writers themselves (snapshot.ts, and
 * the AOF, which reuses the snapshot for an RDB-encoded base) can name them without importing
 * the registry that imports them.
 */
import type { Config } from '../config/config.js';
import { parseSavePoints, type SavePoint } from '../config/special.js';
import type { Database } from '../keyspace/database.js';
import type { Logger } from '../log.js';
import type { AofServer } from './aof/server.js';

/** What a persistence module sees of a server (the AOF's part is declared in aof/). */
export interface PersistedServer extends AofServer {
  readonly databases: readonly Database[];
  readonly config: Config;
  readonly log: Logger;
  /** Changes since the last save. */
  dirty: number;
  /** Unix time (s) of the last successful save (Redis counts start-up as one). */
  lastSave: number;
  readonly saveStatus: SaveStatus;
}

/** Writes RDB snapshots (snapshot.ts), once registered with index.ts. */
export interface RdbWriter {
  /** SAVE and the final save of SHUTDOWN: writes a snapshot now; throws an Error saying why it could not. */
  save(server: PersistedServer): void;
  /** BGSAVE and save points: starts a snapshot in the background; throws when it cannot start. */
  startBackgroundSave(server: PersistedServer): void;
  /**
   * A snapshot written to `path` in the background for one client (SYNC after REPLCONF
   * rdb-only): resolves once the file is complete. INFO's save fields are left as they are.
   */
  snapshotTo?(server: PersistedServer, path: string): Promise<void>;
  /** The server stops: a background save still running is abandoned. */
  stop?(server: PersistedServer): void;
}

/** How saving went, per server (INFO persistence). */
export class SaveStatus {
  /** rdb_last_bgsave_status: false once a background save (or a due save point) failed. */
  lastBgsaveOk = true;
  /** Unix time (s) of the last background save attempt. */
  lastBgsaveTry = 0;
  /** rdb_saves: SAVE commands and background saves started (Redis's stat_rdb_saves; not the final save). */
  saves = 0;
  /** When (ms) the background save running started; 0 while none runs (rdb_bgsave_in_progress). */
  bgsaveStartedAt = 0;
  /** BGSAVE SCHEDULE while an AOF rewrite ran: the cron starts the save once it is done. */
  bgsaveScheduled = false;
  /** rdb_last_bgsave_time_sec: how long the last background save took, -1 before the first. */
  lastBgsaveTimeSec = -1;
  /** rdb_last_load_keys_loaded and rdb_last_load_keys_expired. */
  lastLoadKeysLoaded = 0;
  lastLoadKeysExpired = 0;
  private points: SavePoint[];

  constructor(config: Config) {
    this.points = parseSavePoints(config.format('save'));
    config.onChange('save', () => {
      this.points = parseSavePoints(config.format('save'));
    });
  }

  get savePoints(): readonly SavePoint[] {
    return this.points;
  }
}

/**
 * A snapshot holding the changes counted up to `dirtyAtStart` was written (Redis's rdbSave,
 * and its background-save completion): what SAVE, the final save and a writer finishing a
 * background save record.
 */
export function snapshotWritten(server: PersistedServer, dirtyAtStart: number, now: number): void {
  server.dirty = Math.max(0, server.dirty - dirtyAtStart);
  server.lastSave = now;
  server.saveStatus.lastBgsaveOk = true;
}
