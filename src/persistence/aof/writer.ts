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
 * replaced atomically, and are deleted. The base is written in the format aof-use-rdb-preamble
 * asks for when the rewrite starts (base.ts).
 *
 * Start-up (loading the directory, the first base of a new one) is startup.ts.
 */
import { existsSync, mkdirSync, renameSync, statSync, unlink, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Config } from '../../config/config.js';
import { strerror } from '../../config/values.js';
import type { Logger } from '../../log.js';
import { CommandFeed, PROPAGATE_AOF } from '../../commands/core/propagate.js';
import { baseFormat, startBaseJob, type BaseFormat, type BaseJob } from './base.js';
import { IncrementalLog } from './incr-log.js';
import { AofManifest, tempIncrName } from './manifest.js';
import { RewriteInProgress, type AofServer, type AofStatus } from './server.js';
import { aofPaths, loadAofDirectory, readManifest, upgradeOldStyleFileIfNeeded, writeFirstBase, type AofPaths } from './startup.js';

/** Numbers the temporary files of rewrites (see startRewriteNow). */
let rewriteSequence = 0;

type AofState = 'off' | 'on' | 'wait_rewrite';

/** Failed rewrites in a row before automatic ones are delayed (AOF_REWRITE_LIMITE_THRESHOLD). */
const REWRITE_LIMIT_THRESHOLD = 3;
const REWRITE_LIMIT_MAX_MINUTES = 60;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

interface RunningRewrite {
  readonly job: BaseJob;
  /** The base's format, chosen when the rewrite started. */
  readonly format: BaseFormat;
  readonly startedAt: number;
}

export class AppendOnlyFile {
  private state: AofState = 'off';
  /** A finished rewrite's manifest being written (installRewrite): no other rewrite starts meanwhile. */
  private installing: Promise<void> | null = null;
  private manifest = new AofManifest();
  /** The manifest on disk was read (at start-up, or before the first rewrite of a server without AOF). */
  private manifestRead = false;
  /** The incremental file being appended to (or the temporary one while turning on). */
  private readonly incr: IncrementalLog;
  private readonly feed = new CommandFeed((argv) => this.incr.append(argv));
  private unsubscribe: (() => void) | null = null;
  /** aof_current_size and aof_base_size (aof_rewrite_base_size). */
  private currentSize = 0;
  private rewriteBaseSize = 0;

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

  private get paths(): AofPaths {
    return aofPaths(this.config);
  }

  private get filename(): string {
    return this.config.getString('appendfilename');
  }

  /** The AOF directory: appenddirname under dir. */
  private get dirPath(): string {
    return this.paths.dir;
  }

  // ---- start-up ----

  /** Start-up with appendonly yes: load the directory, then open it for appending (loadDataFromDisk, aofOpenIfNeededOnServerStart). */
  async load(): Promise<void> {
    const paths = this.paths;
    this.manifest = readManifest(paths);
    this.manifestRead = true;
    upgradeOldStyleFileIfNeeded(this.server, paths, this.manifest);
    const result = await loadAofDirectory(this.server, paths, this.manifest);
    this.currentSize = result.totalSize;
    this.rewriteBaseSize = result.baseSize;
    this.state = 'on';
    this.openOnServerStart(paths);
    this.subscribe();
  }

  /**
   * A server started without the AOF still knows the directory's manifest (Redis reads it at
   * start-up whatever appendonly says): a rewrite or `appendonly yes` continues its numbering
   * and retires its files rather than overwriting them.
   */
  private ensureManifest(): void {
    if (this.manifestRead) return;
    this.manifest = readManifest(this.paths);
    this.manifestRead = true;
  }

  private openOnServerStart(paths: AofPaths): void {
    const dir = paths.dir;
    mkdirSync(dir, { recursive: true });
    const hadIncr = this.manifest.incr.length !== 0;
    if (this.manifest.base === null && !hadIncr) writeFirstBase(this.server, paths, this.manifest);
    const incrName = this.manifest.lastIncr(this.filename);
    const incrPath = join(dir, incrName);
    // The manifest is written only when it changed (a first base or incr file), as Redis's
    // dirty flag: a restart on a full disk must not fail for want of room for an unchanged one.
    const persistManifest = hadIncr ? undefined : () => this.manifest.persist(dir, this.filename);
    this.incr.open(incrPath, false, existsSync(incrPath) ? statSync(incrPath).size : 0, persistManifest);
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
    }, PROPAGATE_AOF);
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
    if (server.databases.some((db) => db.changeListener !== null) || server.propagation.hasPending || this.installing !== null) {
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
    const format = baseFormat(this.config);
    let job: BaseJob;
    try {
      job = startBaseJob(server, temp, format);
    } catch (err) {
      this.lastBgrewriteOk = false;
      this.consecutiveFailures++;
      this.log.warn(`Can't rewrite append only file in background: ${strerror(err)}`);
      throw err;
    }
    const running: RunningRewrite = { job, format, startedAt: Date.now() };
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
    if (error === null) {
      this.installing = this.installRewrite(running)
        .catch((err: unknown) => {
          this.lastBgrewriteOk = false;
          this.log.warn(`Error installing the rewritten AOF: ${strerror(err)}`);
        })
        .finally(() => {
          this.installing = null;
          this.rewriteEnded(running);
        });
      return;
    }
    this.lastBgrewriteOk = false;
    this.consecutiveFailures++;
    this.log.warn(`Background AOF rewrite terminated with error: ${strerror(error)}`);
    this.rewriteEnded(running);
  }

  /** What follows a rewrite, installed or failed: another may start. */
  private rewriteEnded(running: RunningRewrite): void {
    if (this.rewrite !== running) return; // abandoned meanwhile: what abandoned it took over
    this.rewrite = null;
    this.lastRewriteTimeSec = Math.floor((Date.now() - running.startedAt) / 1000);
    if (this.state === 'wait_rewrite') {
      // Turning on failed: what was logged meanwhile is dropped, and the rewrite is tried again.
      this.incr.abandon();
      removeQuietly(join(this.dirPath, tempIncrName(this.filename)));
      this.rewriteScheduled = true;
    }
  }

  /**
   * The new base takes the old one's place. The renames are done at once; the manifest that
   * makes them count is written and fsynced off the loop, the rewrite staying in progress
   * until it is (no other rewrite starts, INFO says so). Once the base is renamed the
   * installation goes on to its end even if the rewrite is abandoned meanwhile (appendonly no,
   * shutdown): the files on disk then agree with the manifest kept here.
   */
  private async installRewrite(running: RunningRewrite): Promise<void> {
    const dir = this.dirPath;
    const log = this.log;
    log.info('Background AOF rewrite terminated with success');
    const next = this.manifest.clone();
    const baseName = next.newBase(this.filename, running.format);
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
    const turningOn = this.state === 'wait_rewrite';
    if (turningOn) {
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
      await next.persistInBackground(dir, this.filename);
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
    if (turningOn && this.state === 'wait_rewrite') this.state = 'on';
    this.lastBgrewriteOk = true;
    this.consecutiveFailures = 0;
    await this.deleteHistoryFiles();
    log.info('Background AOF rewrite finished successfully');
  }

  /** The files a rewrite replaced (aofDelHistoryFiles), unless aof-disable-auto-gc. */
  private async deleteHistoryFiles(): Promise<void> {
    if (this.config.getBool('aof-disable-auto-gc') || this.manifest.history.length === 0) return;
    for (const file of this.manifest.history) {
      this.log.info(`Removing the history file ${file.name} in the background`);
      // Off the loop, as Redis's background thread does: freeing a large file's blocks takes a while.
      unlink(join(this.dirPath, file.name), () => {});
    }
    this.manifest.history = [];
    try {
      await this.manifest.persistInBackground(this.dirPath, this.filename);
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
