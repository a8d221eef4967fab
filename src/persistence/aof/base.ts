/**
 * The base file of the AOF in either of Redis 7.0's formats, as aof-use-rdb-preamble says when
 * the base is written (rewriteAppendOnlyFile):
 *   - yes (the default): an RDB snapshot, `<appendfilename>.<seq>.base.rdb`, written by the
 *     background save's sliced, copy-on-write walk (snapshot.ts) with the aof-base AUX field;
 *   - no: the commands that rebuild the dataset, `<appendfilename>.<seq>.base.aof` (rewrite.ts).
 * Either is written to a temporary file that the writer then renames into the manifest.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import type { Config } from '../../config/config.js';
import { snapshotUsedMemory } from '../../server/memory.js';
import { functionCodesOf } from '../functions.js';
import { encodeRdb } from '../rdb/index.js';
import { BackgroundSave, writerOptions } from '../snapshot.js';
import { BaseRewrite } from './rewrite.js';
import type { AofServer } from './server.js';

/** The suffix of a base file's name, and how it is written. */
export type BaseFormat = 'aof' | 'rdb';

export function baseFormat(config: Config): BaseFormat {
  return config.getBool('aof-use-rdb-preamble') ? 'rdb' : 'aof';
}

/** A base being written in the background into `path`, a temporary file. */
export interface BaseJob {
  readonly path: string;
  /** Keys at the start, for the log. */
  readonly keysTotal: number;
  /** Resolves once the file is complete and on disk; rejects with the error (or once aborted). */
  run(): Promise<void>;
  /** Stops the job; its file is removed. */
  abort(): void;
}

/**
 * Starts writing the dataset as it is now (the rewrite's point in time) into `path`. Throws
 * when the file cannot be created.
 */
export function startBaseJob(server: AofServer, path: string, format: BaseFormat): BaseJob {
  if (format === 'rdb') return new RdbBaseJob(server, path);
  return new BaseRewrite(server.databases, path, {
    timestamps: server.config.getBool('aof-timestamp-enabled'),
    functions: functionCodesOf(server),
    keyDelayUs: server.config.getNumber('rdb-key-save-delay'),
  });
}

/** Writes the whole dataset into `path` now (the first base at start-up, when the dataset is empty). */
export function writeBaseNow(server: AofServer, path: string, format: BaseFormat): void {
  if (format === 'aof') {
    new BaseRewrite(server.databases, path, { timestamps: server.config.getBool('aof-timestamp-enabled'), functions: functionCodesOf(server) }).runSync();
    return;
  }
  const data = encodeRdb(server.databases, { ...writerOptions(server), header: { usedMem: snapshotUsedMemory(server.databases), aofBase: true }, functions: functionCodesOf(server) });
  const fd = openSync(path, 'w', 0o644);
  try {
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * An RDB-encoded base: a BackgroundSave (the walk and copy-on-write of BGSAVE) writing in place
 * into the rewrite's temporary file, which the writer renames once it is complete.
 */
class RdbBaseJob implements BaseJob {
  readonly keysTotal: number;
  private readonly save: BackgroundSave;
  private readonly done: Promise<void>;

  constructor(
    server: AofServer,
    readonly path: string,
  ) {
    let keys = 0;
    for (const db of server.databases) keys += db.dict.size;
    this.keysTotal = keys;
    let settle: (error: Error | null) => void = () => {};
    this.done = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === null ? resolve() : reject(error));
    });
    // The save starts walking on the next turn of the loop: run() is called before that.
    this.save = new BackgroundSave(server, path, (ok, error) => settle(ok ? null : (error ?? new Error('the RDB base could not be written'))), {
      tempName: basename(path),
      aofBase: true,
    });
  }

  run(): Promise<void> {
    return this.done;
  }

  abort(): void {
    this.save.abort();
  }
}
