/**
 * The append-only file of one server (Redis 7.0's multi-part AOF, aof.c): what is logged, when
 * it reaches the disk, and the rewrites that replace the base.
 *
 * Logging. The AOF subscribes to the propagation stream and takes the entries meant for it
 * (PROPAGATE_AOF) through a CommandFeed, which adds SELECT where the database changes; MULTI/
 * EXEC units come from the stream already. How they reach the disk (once per turn of the loop,
 * before the replies; fsync policies; write errors) is incr-log.ts.
 *
 * Files and states follow Redis: `on` (logging into the last incremental file), `wait_rewrite`
 * (`appendonly yes` set at run time: the first rewrite writes the dataset as the base while
 * commands go to a temporary incremental file, renamed into the manifest when the rewrite is
 * done), `off`. A rewrite opens a new incremental file at its start (in the manifest at once),
 * writes the base from the dataset in the background (rewrite.ts), then makes the new base and
 * that incremental file the whole AOF: the old ones become history in the manifest, which is
 * replaced atomically, and are deleted.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, unlink, unlinkSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../../config/config.js';
import { strerror } from '../../config/values.js';
import type { Database } from '../../keyspace/database.js';
import type { Logger } from '../../log.js';
import { CommandFeed, PROPAGATE_AOF, type Propagation } from '../../commands/core/propagate.js';
import { AofLoadError, loadAppendOnlyFiles, type LoaderClient } from './loader.js';
import { AofManifest, ManifestError, manifestName, tempIncrName } from './manifest.js';
import { BaseRewrite } from './rewrite.js';
import { encodeCommand } from './resp.js';

/** Numbers the temporary files of rewrites (see startRewriteNow). */
let rewriteSequence = 0;
import { IncrementalLog } from './incr-log.js';

/** What the AOF needs of a server. */
export interface AofServer {
  readonly databases: readonly Database[];
  readonly config: Config;
  readonly log: Logger;
  dirty: number;
  /** A dataset is being loaded: other clients get -LOADING and nothing expires. */
  loading: boolean;
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
  /** While the AOF is being loaded at start-up: INFO's loading_* fields. */
  loading: { startTime: number; totalBytes: number; loadedBytes: number } | null;
}

/** BGREWRITEAOF while a rewrite runs (Redis's text). */
export class RewriteInProgress extends Error {
  constructor() {
    super('Background append only file rewriting already in progress');
  }
}

type AofState = 'off' | 'on' | 'wait_rewrite';

/** Failed rewrites in a row before automatic ones are delayed (AOF_REWRITE_LIMITE_THRESHOLD). */
const REWRITE_LIMIT_THRESHOLD = 3;
const REWRITE_LIMIT_MAX_MINUTES = 60;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

interface RunningRewrite {
  readonly job: BaseRewrite;
  readonly startedAt: number;
}

export class AppendOnlyFile {
  private state: AofState = 'off';
  private manifest = new AofManifest();
  /** The manifest on disk was read (at start-up, or before the first rewrite of a server without AOF). */
  private manifestRead = false;
  /** The incremental file being appended to (or the temporary one while turning on). */
  private readonly incr: IncrementalLog;
  private readonly feed = new CommandFeed((argv) => this.incr.append(encodeCommand(argv)));
  private unsubscribe: (() => void) | null = null;
  /** aof_current_size and aof_base_size (aof_rewrite_base_size). */
  private currentSize = 0;
  private rewriteBaseSize = 0;

  /** Start-up loading in progress (INFO loading_*). */
  private loadingProgress: { startTime: number; totalBytes: number; loadedBytes: number } | null = null;

  private rewrite: RunningRewrite | null = null;
  private rewriteScheduled = false;
  private lastRewriteTimeSec = -1;
  private lastBgrewriteOk = true;
  private rewrites = 0;
  private consecutiveFailures = 0;
  private nextRewriteDelayMinutes = 0;
  private nextRewriteTime = 0;

  constructor(private readonly server: AofServer) {
    const incr = new IncrementalLog(server);
    incr.onWritten = (bytes) => {
      this.currentSize += bytes;
    };
    incr.fsyncPaused = () => this.rewrite !== null && this.config.getBool('no-appendfsync-on-rewrite');
    incr.active = () => this.state !== 'off';
    this.incr = incr;
  }

  private get config(): Config {
    return this.server.config;
  }

  private get log(): Logger {
    return this.server.log;
  }

  private get filename(): string {
    return this.config.getString('appendfilename');
  }

  /** The AOF directory: appenddirname under dir. */
  private get dirPath(): string {
    const name = this.config.getString('appenddirname');
    return isAbsolute(name) ? name : resolve(this.config.getString('dir'), name);
  }

  private get manifestPath(): string {
    return join(this.dirPath, manifestName(this.filename));
  }

  // ---- start-up ----

  /** Start-up with appendonly yes: load the directory, then open it for appending (loadDataFromDisk, aofOpenIfNeededOnServerStart). */
  async load(): Promise<void> {
    const server = this.server;
    this.manifest = this.readManifest();
    this.manifestRead = true;
    this.upgradeOldStyleFileIfNeeded();
    const started = performance.now();
    let totalBytes = 0;
    for (const f of [...(this.manifest.base === null ? [] : [this.manifest.base]), ...this.manifest.incr]) {
      const path = join(this.dirPath, f.name);
      if (existsSync(path)) totalBytes += statSync(path).size;
    }
    const progress = { startTime: nowSeconds(), totalBytes, loadedBytes: 0 };
    this.loadingProgress = progress;
    server.loading = true;
    let result;
    try {
      result = await loadAppendOnlyFiles(this.manifest, {
        dir: this.dirPath,
        manifestPath: this.manifestPath,
        loadTruncated: this.config.getBool('aof-load-truncated'),
        log: this.log,
        client: () => server.loaderClient(),
        commandDelayUs: this.config.getNumber('key-load-delay'),
        onProgress: (bytes) => {
          progress.loadedBytes = bytes;
        },
      });
    } finally {
      server.loading = false;
      this.loadingProgress = null;
    }
    if (result.loaded) this.log.info(`DB loaded from append only file: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
    this.currentSize = result.totalSize;
    this.rewriteBaseSize = result.baseSize;
    this.state = 'on';
    this.openOnServerStart();
    this.subscribe();
  }

  /**
   * A server started without the AOF still knows the directory's manifest (Redis reads it at
   * start-up whatever appendonly says): a rewrite or `appendonly yes` continues its numbering
   * and retires its files rather than overwriting them.
   */
  private ensureManifest(): void {
    if (this.manifestRead) return;
    this.manifest = this.readManifest();
    this.manifestRead = true;
  }

  private readManifest(): AofManifest {
    const path = this.manifestPath;
    if (!existsSync(this.dirPath) || !existsSync(path)) return new AofManifest();
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (err) {
      throw new AofLoadError(`Fatal error: can't open the AOF manifest file ${path} for reading: ${strerror(err)}`);
    }
    try {
      return AofManifest.parse(text);
    } catch (err) {
      if (!(err instanceof ManifestError)) throw err;
      const where = err.line === null ? '' : ` Reading the manifest file, at line ${err.lineNumber}: '${err.line}'.`;
      throw new AofLoadError(`*** FATAL AOF MANIFEST FILE ERROR *** ${path}:${where} ${err.message}`);
    }
  }

  /**
   * An AOF of Redis before 7.0 (a single appendonly.aof in dir, no manifest): moved into the
   * directory as the base, as Redis's aofUpgradePrepare does.
   */
  private upgradeOldStyleFileIfNeeded(): void {
    const oldPath = resolve(this.config.getString('dir'), this.filename);
    if (!existsSync(oldPath)) return;
    const m = this.manifest;
    const dirMissing = !existsSync(this.dirPath);
    const empty = m.base === null && m.incr.length === 0;
    const pending = m.base !== null && m.incr.length === 0 && m.base.name === this.filename && !existsSync(join(this.dirPath, this.filename));
    if (!dirMissing && !empty && !pending) return;
    mkdirSync(this.dirPath, { recursive: true });
    m.base = { name: this.filename, seq: 1, type: 'b' };
    m.currentBaseSeq = 1;
    m.persist(this.dirPath, this.filename);
    renameSync(oldPath, join(this.dirPath, this.filename));
    this.log.info(`Successfully migrated an old-style AOF file (${this.filename}) into the AOF directory (${this.config.getString('appenddirname')}).`);
  }

  private openOnServerStart(): void {
    const dir = this.dirPath;
    mkdirSync(dir, { recursive: true });
    const hadIncr = this.manifest.incr.length !== 0;
    if (this.manifest.base === null && !hadIncr) {
      // A new AOF starts with a base, even for an empty dataset.
      const baseName = this.manifest.newBase(this.filename, 'aof');
      const temp = join(dir, `temp-rewriteaof-${process.pid}.aof`);
      new BaseRewrite(this.server.databases, temp, { timestamps: this.config.getBool('aof-timestamp-enabled') }).runSync();
      renameSync(temp, join(dir, baseName));
      this.log.info(`Creating AOF base file ${baseName} on server start`);
    }
    const incrName = this.manifest.lastIncr(this.filename);
    const incrPath = join(dir, incrName);
    this.incr.open(incrPath, false, existsSync(incrPath) ? statSync(incrPath).size : 0, () => this.manifest.persist(dir, this.filename));
    this.log.info(`${hadIncr ? 'Opening' : 'Creating'} AOF incr file ${incrName} on server start`);
  }

  // ---- turning on and off at run time ----

  /** CONFIG SET appendonly yes (startAppendOnly): the first rewrite writes the base. */
  start(): void {
    if (this.state !== 'off') return;
    this.ensureManifest();
    this.state = 'wait_rewrite';
    if (this.rewrite !== null) {
      this.log.warn('AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.');
      this.abortRewrite();
    }
    this.subscribe();
    try {
      if (this.startRewriteNow() === 'scheduled') {
        this.log.warn('AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.');
      }
    } catch (err) {
      this.state = 'off';
      this.unsubscribeFeed();
      if (this.incr.isOpen) {
        this.incr.abandon();
        removeQuietly(join(this.dirPath, tempIncrName(this.filename)));
      }
      this.log.warn("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
      throw err;
    }
    this.incr.resetErrors();
  }

  /** CONFIG SET appendonly no (stopAppendOnly). */
  stop(): void {
    if (this.state === 'off') return;
    this.incr.close();
    const waiting = this.state === 'wait_rewrite';
    this.state = 'off';
    this.rewriteScheduled = false;
    this.abortRewrite();
    if (waiting) removeQuietly(join(this.dirPath, tempIncrName(this.filename)));
    this.unsubscribeFeed();
    this.incr.discard();
    this.incr.updateDiskError();
  }

  private subscribe(): void {
    if (this.unsubscribe !== null) return;
    this.feed.reset();
    this.unsubscribe = this.server.propagation.subscribe((db, argv, target) => {
      if ((target & PROPAGATE_AOF) === 0) return;
      // Waiting for the first rewrite, commands are kept only while it runs (into the
      // temporary file); before it starts the base will hold their effect.
      if (this.state === 'wait_rewrite' && this.rewrite === null) return;
      this.feed.push(db, argv);
    });
  }

  private unsubscribeFeed(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  // ---- rewrites ----

  /** BGREWRITEAOF (bgrewriteaofCommand). */
  requestRewrite(inTransaction: boolean): 'started' | 'scheduled' {
    if (this.rewrite !== null) throw new RewriteInProgress();
    this.ensureManifest();
    if (inTransaction) {
      this.rewriteScheduled = true;
      this.consecutiveFailures = 0;
      return 'scheduled';
    }
    const outcome = this.startRewriteNow();
    if (outcome === 'scheduled') this.consecutiveFailures = 0;
    return outcome;
  }

  /**
   * Starts a rewrite (rewriteAppendOnlyFileBackground), or schedules it when another job holds
   * the dataset's before-change listener (a background save) or commands of a transaction are
   * still to be logged (they belong before the switch). Throws when it cannot start.
   */
  private startRewriteNow(): 'started' | 'scheduled' {
    const server = this.server;
    if (server.databases.some((db) => db.changeListener !== null) || server.propagation.hasPending) {
      this.rewriteScheduled = true;
      return 'scheduled';
    }
    const dir = this.dirPath;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      this.log.warn(`Can't open or create append-only dir ${dir}: ${strerror(err)}`);
      this.lastBgrewriteOk = false;
      throw err;
    }
    // The next command logged starts with a SELECT: it goes to a new file.
    this.feed.reset();
    this.incr.flush();
    if (this.incr.pendingBytes !== 0) {
      // Commands from before the switch must not land in the file that follows the new base.
      this.lastBgrewriteOk = false;
      throw new Error(`the AOF buffer cannot be written: ${this.incr.lastErrorText}`);
    }
    try {
      this.openNewIncrForAppend();
    } catch (err) {
      this.lastBgrewriteOk = false;
      throw err;
    }
    this.rewrites++;
    // A name per rewrite: an aborted one still removing its file must not remove the next one's.
    const temp = join(dir, `temp-rewriteaof-bg-${process.pid}-${++rewriteSequence}.aof`);
    let job: BaseRewrite;
    try {
      job = new BaseRewrite(server.databases, temp, {
        timestamps: this.config.getBool('aof-timestamp-enabled'),
        keyDelayUs: this.config.getNumber('rdb-key-save-delay'),
      });
    } catch (err) {
      this.lastBgrewriteOk = false;
      this.consecutiveFailures++;
      this.log.warn(`Can't rewrite append only file in background: ${strerror(err)}`);
      throw err;
    }
    const running: RunningRewrite = { job, startedAt: Date.now() };
    this.rewrite = running;
    this.rewriteScheduled = false;
    this.log.info(`Background append only file rewriting started (${job.keysTotal} keys)`);
    job.run().then(
      () => this.rewriteDone(running, null),
      (err: unknown) => this.rewriteDone(running, err),
    );
    return 'started';
  }

  /**
   * A new incremental file for the commands after the rewrite's start (openNewIncrAofForAppend):
   * in the manifest at once when the AOF is on; a temporary one while turning it on; none when off.
   */
  private openNewIncrForAppend(): void {
    if (this.state === 'off') return;
    const dir = this.dirPath;
    let name: string;
    let next: AofManifest | null = null;
    if (this.state === 'wait_rewrite') {
      name = tempIncrName(this.filename);
    } else {
      next = this.manifest.clone();
      name = next.newIncr(this.filename);
    }
    this.incr.open(join(dir, name), true, 0, () => next?.persist(dir, this.filename));
    this.log.info(`Creating AOF incr file ${name} on background rewrite`);
    if (next !== null) this.manifest = next;
  }

  /** The rewrite ended (backgroundRewriteDoneHandler). */
  private rewriteDone(running: RunningRewrite, error: unknown): void {
    if (this.rewrite !== running) return; // abandoned (appendonly no, shutdown)
    this.rewrite = null;
    if (error === null) this.installRewrite(running);
    else {
      this.lastBgrewriteOk = false;
      this.consecutiveFailures++;
      this.log.warn(`Background AOF rewrite terminated with error: ${strerror(error)}`);
    }
    this.lastRewriteTimeSec = Math.floor((Date.now() - running.startedAt) / 1000);
    if (this.state === 'wait_rewrite') {
      // Turning on failed: what was logged meanwhile is dropped, and the rewrite is tried again.
      this.incr.abandon();
      removeQuietly(join(this.dirPath, tempIncrName(this.filename)));
      this.rewriteScheduled = true;
    }
  }

  private installRewrite(running: RunningRewrite): void {
    const dir = this.dirPath;
    const log = this.log;
    log.info('Background AOF rewrite terminated with success');
    const next = this.manifest.clone();
    // 'aof': aof-use-rdb-preamble is taken as no until an RDB encoder exists; with one, a base
    // written by it is named 'rdb' here (and at start-up in openOnServerStart), see rewrite.ts.
    const baseName = next.newBase(this.filename, 'aof');
    const basePath = join(dir, baseName);
    const fail = (message: string): void => {
      log.warn(message);
      this.lastBgrewriteOk = false;
      this.consecutiveFailures++;
    };
    try {
      renameSync(running.job.path, basePath);
    } catch (err) {
      removeQuietly(running.job.path);
      return fail(`Error trying to rename the temporary AOF base file ${basename(running.job.path)} into ${baseName}: ${strerror(err)}`);
    }
    log.info(`Successfully renamed the temporary AOF base file ${basename(running.job.path)} into ${baseName}`);
    let incrPath: string | null = null;
    if (this.state === 'wait_rewrite') {
      // Everything logged since the rewrite started goes on in the same file, under its real name.
      const tempName = tempIncrName(this.filename);
      const incrName = next.newIncr(this.filename);
      incrPath = join(dir, incrName);
      try {
        renameSync(join(dir, tempName), incrPath);
      } catch (err) {
        removeQuietly(basePath);
        return fail(`Error trying to rename the temporary AOF incr file ${tempName} into ${incrName}: ${strerror(err)}`);
      }
      log.info(`Successfully renamed the temporary AOF incr file ${tempName} into ${incrName}`);
    }
    next.markRewrittenIncrAsHistory(this.incr.isOpen);
    try {
      next.persist(dir, this.filename);
    } catch (err) {
      removeQuietly(basePath);
      if (incrPath !== null) removeQuietly(incrPath);
      return fail(`Error writing the AOF manifest: ${strerror(err)}`);
    }
    this.manifest = next;
    if (this.state !== 'off') {
      this.currentSize = statSync(basePath).size + this.incr.size;
      this.rewriteBaseSize = this.currentSize;
    }
    this.deleteHistoryFiles();
    this.lastBgrewriteOk = true;
    this.consecutiveFailures = 0;
    log.info('Background AOF rewrite finished successfully');
    if (this.state === 'wait_rewrite') this.state = 'on';
  }

  /** The files a rewrite replaced (aofDelHistoryFiles), unless aof-disable-auto-gc. */
  private deleteHistoryFiles(): void {
    if (this.config.getBool('aof-disable-auto-gc') || this.manifest.history.length === 0) return;
    for (const file of this.manifest.history) {
      this.log.info(`Removing the history file ${file.name} in the background`);
      // Off the loop, as Redis's background thread does: freeing a large file's blocks takes a while.
      unlink(join(this.dirPath, file.name), () => {});
    }
    this.manifest.history = [];
    try {
      this.manifest.persist(this.dirPath, this.filename);
    } catch (err) {
      this.log.warn(`Error writing the AOF manifest: ${strerror(err)}`);
    }
  }

  private abortRewrite(): void {
    const running = this.rewrite;
    if (running === null) return;
    this.log.info('Killing running AOF rewrite');
    this.rewrite = null;
    running.job.abort();
  }

  /** Automatic rewrites are held back after repeated failures: 1, 2, 4… up to 60 minutes (aofRewriteLimited). */
  private rewriteLimited(): boolean {
    if (this.consecutiveFailures < REWRITE_LIMIT_THRESHOLD) {
      this.nextRewriteDelayMinutes = 0;
      this.nextRewriteTime = 0;
      return false;
    }
    const now = nowSeconds();
    if (this.nextRewriteTime !== 0) {
      if (now < this.nextRewriteTime) return true;
      this.nextRewriteTime = 0;
      return false;
    }
    this.nextRewriteDelayMinutes = Math.min(REWRITE_LIMIT_MAX_MINUTES, this.nextRewriteDelayMinutes === 0 ? 1 : this.nextRewriteDelayMinutes * 2);
    this.nextRewriteTime = now + this.nextRewriteDelayMinutes * 60;
    this.log.warn(`Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${this.nextRewriteDelayMinutes} minutes`);
    return true;
  }

  // ---- the cron ----

  cron(): void {
    if (this.rewrite === null && this.rewriteScheduled && !this.rewriteLimited()) {
      try {
        this.startRewriteNow();
      } catch {
        // Logged and counted; scheduled again below when still turning on.
        if (this.state === 'wait_rewrite') this.rewriteScheduled = true;
      }
    }
    if (this.state === 'on' && this.rewrite === null) this.maybeAutoRewrite();
    if (this.state !== 'off') this.incr.cron();
  }

  /** auto-aof-rewrite-percentage / auto-aof-rewrite-min-size. */
  private maybeAutoRewrite(): void {
    const percentage = this.config.getNumber('auto-aof-rewrite-percentage');
    if (percentage === 0 || this.currentSize <= this.config.getNumber('auto-aof-rewrite-min-size')) return;
    const base = this.rewriteBaseSize === 0 ? 1 : this.rewriteBaseSize;
    const growth = Math.floor((this.currentSize * 100) / base) - 100;
    if (growth < percentage || this.rewriteLimited()) return;
    this.log.info(`Starting automatic rewriting of AOF on ${growth}% growth`);
    try {
      this.startRewriteNow();
    } catch {
      // logged and counted by startRewriteNow
    }
  }

  // ---- shutdown ----

  /** SHUTDOWN's part (prepareForShutdown): false when the first base is still being written. */
  prepareShutdown(force: boolean): boolean {
    if (this.rewrite !== null) {
      if (this.state === 'wait_rewrite') {
        if (!force) {
          this.log.warn("Writing initial AOF, can't exit.");
          return false;
        }
        this.log.warn('Writing initial AOF. Exit anyway.');
      }
      this.log.warn('There is a child rewriting the AOF. Killing it!');
      this.abortRewrite();
    }
    if (this.state !== 'off') {
      this.log.info('Calling fsync() on the AOF file.');
      this.incr.sync();
    }
    return true;
  }

  /** The server stops: write what is left, close the file, drop a running rewrite. */
  close(): void {
    this.abortRewrite();
    this.incr.close();
    this.unsubscribeFeed();
    this.state = 'off';
  }

  status(): AofStatus {
    const running = this.rewrite;
    return {
      on: this.state !== 'off',
      rewriteInProgress: running !== null,
      rewriteScheduled: this.rewriteScheduled,
      lastRewriteTimeSec: this.lastRewriteTimeSec,
      currentRewriteTimeSec: running === null ? -1 : Math.floor((Date.now() - running.startedAt) / 1000),
      lastBgrewriteOk: this.lastBgrewriteOk,
      rewrites: this.rewrites,
      rewritesConsecutiveFailures: this.consecutiveFailures,
      lastWriteOk: this.incr.ok,
      currentSize: this.currentSize,
      baseSize: this.rewriteBaseSize,
      bufferLength: this.incr.pendingBytes,
      pendingFsync: this.incr.pendingFsyncs,
      // Writes never wait for a running fsync here (Node's fsync runs off the loop).
      delayedFsync: 0,
      loading: this.loadingProgress === null ? null : { ...this.loadingProgress },
    };
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
