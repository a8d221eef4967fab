/**
 * The incremental file being appended to (Redis's aof_buf, aof_fd and flushAppendOnlyFile):
 * commands are RESP-encoded into a buffer (with a `#TS:` annotation first when
 * aof-timestamp-enabled is on and the second changed) and the buffer is written once per turn
 * of the event loop, in a setImmediate queued by the first command of the turn: that is
 * Redis's beforeSleep. Replies to clients wait for that write (holdReplies/releaseReplies), as
 * Redis writes the AOF before it writes to clients; with `appendfsync always` the write is also
 * fsynced (fdatasync) before the replies are released, so an acknowledged write is on disk.
 * With `everysec` the cron starts an asynchronous fdatasync once a second when something was
 * written since the last one; with `no` the OS decides.
 *
 * A failed write keeps the buffer; the status turns to err, write commands are refused with
 * `-MISCONF Errors writing to the AOF file: <strerror>` and the cron tries again every second,
 * as Redis does; with `always` the server exits, as Redis does, since the clients may already
 * have seen the effect of what could not be logged.
 */
import { closeSync, close as closeCallback, fdatasync, fdatasyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import type { Config } from '../../config/config.js';
import { strerror } from '../../config/values.js';
import type { Logger } from '../../log.js';
import { ByteSink } from '../rdb/sink.js';
import { commandOf } from './key-commands.js';
import { timestampAnnotation } from './resp.js';

/** What the log needs of its server. */
export interface IncrementalLogHost {
  readonly config: Config;
  readonly log: Logger;
  holdReplies(): void;
  releaseReplies(): void;
  diskWriteError: string | null;
}

/** Seconds between two log lines about the same failing write (AOF_WRITE_LOG_ERROR_RATE). */
const WRITE_ERROR_LOG_RATE = 30;

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export class IncrementalLog {
  /** The file written to, null when none is open. */
  private fd: number | null = null;
  /**
   * The commands not written yet, as RESP bytes. Encoded straight into bytes: built as strings,
   * concatenated, joined and converted once per turn, they took about a fifth of the server's
   * time for SET at -P 16 (string additions and V8 flattening the joined string).
   */
  private readonly buffer = new ByteSink();
  /** A write of the buffer is queued for the end of this turn of the loop. */
  private flushQueued = false;
  /** Unix second of the last #TS annotation written. */
  private currentTimestamp = 0;
  /** Bytes in the file (aof_last_incr_size), and how many of them are fsynced. */
  size = 0;
  private fsyncedSize = 0;
  private lastFsync = nowSeconds();
  private fsyncsRunning = 0;
  private writeOk = true;
  private fsyncOk = true;
  private lastError = '';
  private lastErrorLogged = 0;
  /** Unix second of the last retry of a failed write. */
  private lastRetry = 0;
  /** appendfsync and aof-timestamp-enabled, read once per change rather than per command. */
  private fsyncPolicy: string;
  private timestamps: boolean;
  /** Told of each successful write (aof_current_size). */
  onWritten: (bytes: number) => void = () => {};
  /** Whether fsyncs wait (no-appendfsync-on-rewrite while a rewrite runs). */
  fsyncPaused: () => boolean = () => false;
  /** Whether errors refuse writes (only while the AOF is on, as Redis's aof_state). */
  active: () => boolean = () => true;

  constructor(private readonly host: IncrementalLogHost) {
    const config = host.config;
    this.fsyncPolicy = config.getString('appendfsync');
    this.timestamps = config.getBool('aof-timestamp-enabled');
    config.onChange('appendfsync', (v) => {
      this.fsyncPolicy = String(v);
    });
    config.onChange('aof-timestamp-enabled', (v) => {
      this.timestamps = v === true;
    });
  }

  get isOpen(): boolean {
    return this.fd !== null;
  }

  /** Bytes waiting to be written (aof_buffer_length). */
  get pendingBytes(): number {
    return this.buffer.pos;
  }

  get pendingFsyncs(): number {
    return this.fsyncsRunning;
  }

  /** aof_last_write_status: no failed write, no failed everysec fsync. */
  get ok(): boolean {
    return this.writeOk && this.fsyncOk;
  }

  get lastErrorText(): string {
    return this.lastError;
  }

  /**
   * Appends to `path` from now on (a new file with `truncate`), the previous file being fsynced
   * and closed without blocking the loop. Throws when it cannot be opened, or `beforeSwitch`
   * throws, leaving the current file in use.
   */
  open(path: string, truncate: boolean, size: number, beforeSwitch?: () => void): void {
    const fd = openSync(path, truncate ? 'w' : 'a', 0o644);
    // (A manifest naming the new file is written here: if that fails, nothing changed.)
    try {
      beforeSwitch?.();
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    if (this.fd !== null) closeInBackground(this.fd);
    this.fd = fd;
    this.size = size;
    this.fsyncedSize = size;
  }

  /** Writes what is buffered, fsyncs and closes (appendonly no, shutdown). */
  close(): void {
    this.flush();
    if (this.fd === null) return;
    try {
      fdatasyncSync(this.fd);
      this.lastFsync = nowSeconds();
    } catch (err) {
      this.host.log.warn(`Fail to fsync the AOF file: ${strerror(err)}`);
    }
    closeSync(this.fd);
    this.fd = null;
    this.size = 0;
    this.fsyncedSize = 0;
  }

  /** Writes what is buffered and fsyncs it (SHUTDOWN). */
  sync(): void {
    this.flush();
    if (this.fd === null) return;
    try {
      fdatasyncSync(this.fd);
      this.fsyncedSize = this.size;
    } catch (err) {
      this.host.log.warn(`Fail to fsync the AOF file: ${strerror(err)}.`);
    }
  }

  /** Closes the file without writing the buffer, which is dropped (a failed first rewrite). */
  abandon(): void {
    this.discard();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  discard(): void {
    this.buffer.clear();
  }

  /** Forgets past errors (appendonly turned on again: "AOF reopen, just ignore the last error"). */
  resetErrors(): void {
    this.lastFsync = nowSeconds();
    if (this.ok) return;
    this.host.log.warn('AOF reopen, just ignore the last error.');
    this.writeOk = true;
    this.fsyncOk = true;
    this.updateDiskError();
  }

  /** One command, RESP-encoded into the buffer. */
  append(argv: readonly string[]): void {
    if (this.timestamps) {
      const now = nowSeconds();
      if (now > this.currentTimestamp) {
        this.currentTimestamp = now;
        this.buffer.latin1(timestampAnnotation(now));
      }
    }
    commandOf(this.buffer, argv);
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.host.holdReplies();
    setImmediate(() => {
      this.flushQueued = false;
      try {
        this.flush();
      } finally {
        this.host.releaseReplies();
      }
    });
  }

  /**
   * Writes the buffer to the file (flushAppendOnlyFile), and fsyncs it when the policy is
   * `always`. Unlike Redis it never waits for a running everysec fsync: Node's runs off the
   * loop and a write(2) meanwhile does not block it for long.
   */
  flush(): void {
    const policy = this.fsyncPolicy;
    const buffer = this.buffer;
    const length = buffer.pos;
    if (length === 0 || this.fd === null) {
      if (policy === 'always' && this.fd !== null && this.fsyncedSize !== this.size) this.fsyncAlways();
      return;
    }
    const data = buffer.buf;
    let written = 0;
    let error: unknown = null;
    try {
      while (written < length) written += writeSync(this.fd, data, written, length - written);
    } catch (err) {
      error = err;
    }
    if (error !== null) {
      this.writeFailed(error, written, policy);
      return;
    }
    if (!this.writeOk) {
      this.host.log.warn('AOF write error looks solved, Redis can write again.');
      this.writeOk = true;
      this.updateDiskError();
    }
    buffer.clear();
    this.size += written;
    this.onWritten(written);
    if (policy === 'always' && !this.fsyncPaused()) this.fsyncAlways();
  }

  private writeFailed(error: unknown, written: number, policy: string): void {
    const log = this.host.log;
    const now = nowSeconds();
    const canLog = now - this.lastErrorLogged > WRITE_ERROR_LOG_RATE;
    if (canLog) this.lastErrorLogged = now;
    if (written > 0) {
      // A partial write is taken back so that the file never ends inside a command.
      if (canLog) log.warn(`Short write while writing to the AOF file: (nwritten=${written}, expected=${this.buffer.pos})`);
      try {
        ftruncateSync(this.fd as number, this.size);
      } catch (err) {
        if (canLog) log.warn(`Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: ${strerror(err)}`);
      }
    } else if (canLog) {
      log.warn(`Error writing to the AOF file: ${strerror(error)}`);
    }
    this.lastError = strerror(error);
    if (policy === 'always') {
      // The commands ran and cannot be taken back, and acknowledged writes must be on disk.
      log.error("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
      process.exit(1);
    }
    this.writeOk = false;
    this.updateDiskError();
  }

  private fsyncAlways(): void {
    try {
      fdatasyncSync(this.fd as number);
    } catch (err) {
      this.host.log.error(`Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${strerror(err)}. Exiting...`);
      process.exit(1);
    }
    this.fsyncedSize = this.size;
    this.lastFsync = nowSeconds();
  }

  /** Each cron tick: a failed write is retried every second; everysec's fsync. */
  cron(): void {
    const now = nowSeconds();
    if (!this.writeOk && now !== this.lastRetry) {
      this.lastRetry = now;
      this.flush();
    }
    if (this.fsyncPolicy === 'everysec') this.fsyncEverySecond(now);
  }

  /** everysec: an asynchronous fdatasync once a second when something was written since the last. */
  private fsyncEverySecond(now: number): void {
    if (this.fd === null || this.fsyncedSize === this.size || now <= this.lastFsync || this.fsyncsRunning !== 0 || this.fsyncPaused()) return;
    const fd = this.fd;
    const size = this.size;
    this.fsyncsRunning++;
    this.lastFsync = now;
    fdatasync(fd, (err) => {
      this.fsyncsRunning--;
      if (err) {
        this.lastError = strerror(err);
        this.fsyncOk = false;
        this.host.log.warn(`Fail to fsync the AOF file: ${strerror(err)}`);
      } else {
        if (fd === this.fd) this.fsyncedSize = Math.max(this.fsyncedSize, size);
        this.fsyncOk = true;
      }
      this.updateDiskError();
    });
  }

  /** Writes are refused (MISCONF) while a write or fsync failed and the AOF is on. */
  updateDiskError(): void {
    const failing = this.active() && !this.ok;
    this.host.diskWriteError = failing ? `MISCONF Errors writing to the AOF file: ${this.lastError}` : null;
  }
}

/** A file that is no longer written: fsynced and closed without blocking the loop. */
function closeInBackground(fd: number): void {
  fdatasync(fd, () => closeCallback(fd, () => {}));
}
