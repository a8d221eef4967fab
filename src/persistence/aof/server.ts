/**
 * What the AOF needs of a server, and what it reports (INFO persistence). Declared apart from
 * the writer so that the modules below it (the loader, the RDB snapshot it reuses for an
 * RDB-encoded base) can name the server without importing the writer.
 */
import type { Config } from '../../config/config.js';
import type { Database } from '../../keyspace/database.js';
import type { Logger } from '../../log.js';
import type { Propagation } from '../../commands/core/propagate.js';
import type { LoadingServer } from '../loading.js';

/** What the loader needs of the client that runs the commands (the server's LocalClient). */
export interface LoaderClient {
  /** Runs one command; its reply is of no interest (errors included, as for Redis's fake client). */
  run(argv: string[]): unknown;
  /** A MULTI is open: commands are being queued. */
  readonly inTransaction: boolean;
  /** Whether `name` is a command of this server. */
  isCommand(name: string): boolean;
}

/** What the AOF needs of a server. */
export interface AofServer extends LoadingServer {
  readonly databases: readonly Database[];
  readonly config: Config;
  readonly log: Logger;
  dirty: number;
  /** A dataset is being loaded (loadingProgress is set): other clients get -LOADING and nothing expires. */
  readonly loading: boolean;
  /** INFO's rdb_last_load_keys_*: set by loading the AOF too (its RDB part, if any). */
  readonly saveStatus: { lastLoadKeysLoaded: number; lastLoadKeysExpired: number };
  /** Every change to the dataset as commands: what the AOF logs. */
  readonly propagation: Propagation;
  /** A socket-less client that runs commands as the loader (Redis's fake AOF client), on database 0. */
  loaderClient(): LoaderClient;
  /**
   * Replies to clients wait from now on (the AOF holds what they acknowledge in memory), until
   * releaseReplies once it is written: Redis writes the AOF before any reply of the same loop.
   */
  holdReplies(): void;
  releaseReplies(): void;
  /** While set, write commands (and PING) are refused with this error: the AOF cannot be written. */
  diskWriteError: string | null;
}

/** INFO persistence's aof_* figures. */
export interface AofStatus {
  /** aof_enabled: logging, or waiting for the first rewrite to start logging. */
  on: boolean;
  rewriteInProgress: boolean;
  rewriteScheduled: boolean;
  /** Seconds the last rewrite took, -1 before any. */
  lastRewriteTimeSec: number;
  /** Seconds the running rewrite has taken so far, -1 when none runs. */
  currentRewriteTimeSec: number;
  lastBgrewriteOk: boolean;
  rewrites: number;
  rewritesConsecutiveFailures: number;
  lastWriteOk: boolean;
  currentSize: number;
  baseSize: number;
  bufferLength: number;
  pendingFsync: number;
  delayedFsync: number;
}

/** BGREWRITEAOF while a rewrite runs (Redis's text). */
export class RewriteInProgress extends Error {
  constructor() {
    super('Background append only file rewriting already in progress');
  }
}
