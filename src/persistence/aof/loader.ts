/**
 * Loading the AOF at start-up (Redis's loadAppendOnlyFiles / loadSingleAppendOnlyFile): the
 * base file, then each incremental file in manifest order, command by command through a
 * socket-less client of kind 'loader', the same dispatcher and checks as any client. The
 * server is in its loading state meanwhile: other clients get -LOADING, and nothing expires
 * (a key whose time passed is removed once loading is over, as in Redis). Loading yields to
 * the event loop every few milliseconds, so that those clients are answered.
 *
 * A file may start with an RDB part (it starts with "REDIS"): a base written with
 * aof-use-rdb-preamble yes (`<name>.<seq>.base.rdb`), or an AOF of Redis before 7.0 whose
 * rewrite began it with an RDB preamble. Its keys go straight into the databases, then
 * whatever commands follow it are read as above (an old-style AOF's tail).
 *
 * Damage is handled as Redis does, and never by silently dropping data:
 *   - the last file ending in the middle of a command (a crash while writing), or with a
 *     MULTI whose EXEC never came: with aof-load-truncated yes the file is truncated to the
 *     last complete command (or to before the MULTI of a transaction it ends in, where Redis
 *     keeps that MULTI when the cut is inside a command) with a warning; with no, start-up stops;
 *   - any other damage (a bad byte, a truncated file that is not the last one, an unknown
 *     command) stops start-up, naming the file, the offset, and redis-check-aof;
 *   - an RDB part that is truncated or corrupt stops start-up whatever aof-load-truncated
 *     says (Redis exits there too), naming the file; a truncated command after it is cut
 *     back to the end of the RDB part at most, never into it.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../keyspace/database.js';
import type { Logger } from '../../log.js';
import { strerror } from '../../config/values.js';
import { RdbFile, putLoadedKey } from '../load.js';
import { RdbReader, type EncodingLimits } from '../rdb/index.js';
import type { AofManifest } from './manifest.js';
import type { LoaderClient } from './server.js';
import { KeyLoadDelay, LOADING_SLICE_MS, LoadingInterrupted, pause, yieldToLoop } from '../loading.js';
import { MAX_TEXT_LENGTH } from '../../types/mutable-string.js';

/** Start-up must stop: the message says why and what to do. */
export class AofLoadError extends Error {}

export interface LoadOptions {
  dir: string;
  /** Absolute path of the manifest, for the redis-check-aof hint. */
  manifestPath: string;
  loadTruncated: boolean;
  log: Logger;
  /** A new client for each file (each starts on database 0, as Redis's fake client does). */
  client: () => LoaderClient;
  /** Progress for INFO (loading_loaded_bytes); called as files are read. */
  onProgress?: (loadedBytes: number) => void;
  /** key-load-delay (µs), Redis's testing knob: a pause after each command and each key of an RDB part (see KeyLoadDelay). */
  commandDelayUs?: number;
  /** The server is shutting down: loading stops with LoadingInterrupted at its next pause. */
  stopped?: () => boolean;
  /** Where the keys of an RDB part go, and how they are read (the server's encoding limits, rdbchecksum). */
  keyspace: { databases: readonly Database[]; limits: EncodingLimits; checksum: boolean };
  /** Loads a function library an RDB part holds; throws an Error saying why it cannot. */
  loadFunction?: (code: string) => void;
  /** appendfilename: a file of that very name is an old-style AOF, whose RDB part is a preamble. */
  aofFilename: string;
}

export interface LoadResult {
  /** False when the manifest lists no file at all (nothing to load). */
  loaded: boolean;
  /** Size of the base and incremental files once loaded (aof_current_size). */
  totalSize: number;
  /** Size of the base file (aof_base_size until the next rewrite). */
  baseSize: number;
  /** Keys read from RDB parts (INFO's rdb_last_load_keys_loaded). */
  rdbKeysLoaded: number;
}

type FileStatus = 'ok' | 'empty' | 'truncated';

/** The longest line Redis's loader reads at once (AOF_ANNOTATION_LINE_MAX_LEN). */
const LINE_MAX = 1024;
const READ_CHUNK = 1 << 16;
/** Commands run between two looks at the clock (Redis serves clients every 1024 commands). */
const COMMANDS_PER_CHECK = 1024;

/** Loads every file the manifest lists, base first. */
export async function loadAppendOnlyFiles(manifest: AofManifest, options: LoadOptions): Promise<LoadResult> {
  const files = [...(manifest.base === null ? [] : [manifest.base]), ...manifest.incr];
  if (files.length === 0) return { loaded: false, totalSize: 0, baseSize: 0, rdbKeysLoaded: 0 };
  // Every file the manifest names must be there before anything is loaded.
  for (const f of files) {
    try {
      statSync(join(options.dir, f.name));
    } catch (err) {
      throw new AofLoadError(`Unable to obtain the AOF file ${f.name} length. stat: ${strerror(err)}`);
    }
  }
  let loadedBefore = 0;
  const counts = { rdbKeysLoaded: 0 };
  for (let i = 0; i < files.length; i++) {
    const file = files[i] as (typeof files)[number];
    const last = i === files.length - 1;
    const started = performance.now();
    const status = await loadSingleFile(file.name, last, options, counts, (n) => options.onProgress?.(loadedBefore + n));
    loadedBefore += fileSize(join(options.dir, file.name));
    if (status === 'truncated' && !last) throw new AofLoadError('Fatal error: the truncated file is not the last file');
    if (status !== 'empty') {
      options.log.info(`DB loaded from ${file.type === 'b' ? 'base' : 'incr'} file ${file.name}: ${((performance.now() - started) / 1000).toFixed(3)} seconds`);
    }
  }
  let totalSize = 0;
  for (const f of files) totalSize += fileSize(join(options.dir, f.name));
  const baseSize = manifest.base === null ? 0 : fileSize(join(options.dir, manifest.base.name));
  return { loaded: true, totalSize, baseSize, rdbKeysLoaded: counts.rdbKeysLoaded };
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

/**
 * One file: its RDB part if it has one, then its commands. Resolves to 'empty' for a file of 0
 * bytes, 'truncated' when it was cut back to its last complete command; rejects with
 * AofLoadError when loading must stop.
 */
async function loadSingleFile(
  name: string,
  isLast: boolean,
  options: LoadOptions,
  counts: { rdbKeysLoaded: number },
  progress: (bytes: number) => void,
): Promise<FileStatus> {
  const path = join(options.dir, name);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new AofLoadError(`Fatal error: can't open the append log file ${name} for reading: ${strerror(err)}`);
  }
  try {
    const reader = new CommandReader(fd);
    if (reader.size === 0) return 'empty';
    const delay = new KeyLoadDelay(options.commandDelayUs ?? 0);
    const stopped = options.stopped ?? (() => false);
    // Commands, if any, start after the RDB part: a truncated one is cut back to there at most.
    let validUpTo = 0;
    if (reader.startsWith('REDIS')) {
      validUpTo = await loadRdbPart(path, name, options, delay, stopped, counts, progress);
      reader.seek(validUpTo);
      progress(validUpTo);
    }
    const client = options.client();
    const hint = `make a backup of your AOF file, then use redis-check-aof --fix ${options.manifestPath}`;
    let validBeforeMulti = validUpTo;
    let sinceCheck = 0;
    let sliceStart = performance.now();
    for (;;) {
      const parsed = reader.next();
      if (parsed === END) break;
      if (parsed === TRUNCATED) {
        // Cut inside a transaction: Redis truncates after its last complete command and leaves
        // the MULTI in the file, so the commands appended after it would be queued into that
        // transaction on the next load (run by a later EXEC, or dropped with it). The file is
        // cut before the MULTI instead, as for a MULTI whose EXEC never came.
        if (client.inTransaction) {
          options.log.warn(`Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
          client.run(['DISCARD']);
          return truncated(path, name, validBeforeMulti, isLast, options);
        }
        return truncated(path, name, validUpTo, isLast, options);
      }
      if (typeof parsed === 'number') {
        throw new AofLoadError(`Bad file format reading the append only file ${name} at offset ${parsed}: ${hint}`);
      }
      const command = parsed[0] as string;
      if (!client.isCommand(command)) {
        throw new AofLoadError(`Unknown command '${command}' reading the append only file ${name} at offset ${reader.commandStart}: ${hint}`);
      }
      if (command.length === 5 && command.toLowerCase() === 'multi') validBeforeMulti = validUpTo;
      client.run(parsed);
      validUpTo = reader.offset;
      const pauseMs = delay.active ? delay.afterKey() : 0;
      if (pauseMs === 0) {
        if (++sinceCheck < COMMANDS_PER_CHECK) continue;
        sinceCheck = 0;
        if (performance.now() - sliceStart < LOADING_SLICE_MS) continue;
      }
      progress(validUpTo);
      await (pauseMs === 0 ? yieldToLoop() : pause(pauseMs));
      if (stopped()) throw new LoadingInterrupted();
      sliceStart = performance.now();
    }
    progress(reader.size);
    // A MULTI without its EXEC is a short read too: what it queued is dropped, as in Redis.
    if (client.inTransaction) {
      options.log.warn(`Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
      client.run(['DISCARD']);
      return truncated(path, name, validBeforeMulti, isLast, options);
    }
    return 'ok';
  } finally {
    closeSync(fd);
  }
}

/**
 * The RDB part at the start of a file (Redis's rdbLoadRio with RDBFLAGS_AOF_PREAMBLE). Every
 * key goes in as it is, expired or not: the commands after it, and the incremental files, were
 * logged against exactly that dataset (an expired key is removed once loading is over). The
 * keys are not changes (the dirty counter stays), as in Redis. Resolves to the offset where
 * the RDB part ends; rejects with AofLoadError, naming the file, when it is truncated, corrupt
 * or holds what this server cannot load (streams, functions, modules).
 */
async function loadRdbPart(
  path: string,
  name: string,
  options: LoadOptions,
  delay: KeyLoadDelay,
  stopped: () => boolean,
  counts: { rdbKeysLoaded: number },
  progress: (bytes: number) => void,
): Promise<number> {
  const log = options.log;
  const oldStyle = name === options.aofFilename;
  log.info(oldStyle ? 'Reading RDB preamble from AOF file...' : 'Reading RDB base file on AOF loading...');
  const { databases, limits, checksum } = options.keyspace;
  let keysLoaded = 0;
  let end: number;
  let file: RdbFile | null = null;
  try {
    // Read a window at a time, in slices between which clients are answered -LOADING.
    file = RdbFile.open(path);
    const reader = new RdbReader(file.source, { limits, checksum, databases: databases.length });
    let sinceCheck = 0;
    let sliceStart = performance.now();
    for (let record = reader.next(); record !== null; record = reader.next()) {
      if (record.kind === 'function') options.loadFunction?.(record.code);
      if (record.kind !== 'key') continue;
      putLoadedKey(databases, record, false);
      keysLoaded++;
      const pauseMs = delay.active ? delay.afterKey() : 0;
      if (pauseMs === 0) {
        if (++sinceCheck < COMMANDS_PER_CHECK) continue;
        sinceCheck = 0;
        if (performance.now() - sliceStart < LOADING_SLICE_MS) continue;
      }
      progress(reader.offset);
      await (pauseMs === 0 ? yieldToLoop() : pause(pauseMs));
      if (stopped()) throw new LoadingInterrupted();
      sliceStart = performance.now();
    }
    end = reader.offset;
  } catch (err) {
    if (err instanceof LoadingInterrupted) throw err;
    const what = oldStyle ? `the RDB preamble of the AOF file ${name}` : `the RDB base file ${name}`;
    throw new AofLoadError(`Error reading ${what}, AOF loading aborted: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    file?.close();
  }
  counts.rdbKeysLoaded += keysLoaded;
  log.info(`Done loading RDB, keys loaded: ${keysLoaded}, keys expired: 0.`);
  if (oldStyle) log.info('Reading the remaining AOF tail...');
  return end;
}

/** The file ends in the middle of a command: truncate it (aof-load-truncated yes) or stop. */
function truncated(path: string, name: string, validUpTo: number, isLast: boolean, options: LoadOptions): FileStatus {
  const log = options.log;
  if (options.loadTruncated && isLast) {
    log.warn(`!!! Warning: short read while loading the AOF file ${name}!!!`);
    log.warn(`!!! Truncating the AOF ${name} at offset ${validUpTo} !!!`);
    try {
      truncateSync(path, validUpTo);
      log.warn(`AOF ${name} loaded anyway because aof-load-truncated is enabled`);
      return 'truncated';
    } catch (err) {
      log.warn(`Error truncating the AOF file ${name}: ${strerror(err)}`);
    }
  }
  if (options.loadTruncated && !isLast) throw new AofLoadError(`Fatal error: the truncated file ${name} is not the last file`);
  throw new AofLoadError(
    `Unexpected end of file reading the append only file ${name} (last complete command ends at offset ${validUpTo}). You can: ` +
      `1) Make a backup of your AOF file, then use redis-check-aof --fix ${options.manifestPath}. ` +
      "2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
  );
}

const END = 0 as const;
const TRUNCATED = 1 as const;

/**
 * Reads commands from an AOF file as Redis's loader does: `#` annotation lines are skipped,
 * `*<argc>` then argc times `$<len>` and len bytes, whose trailing CRLF is skipped unread.
 * next() gives a command, END, TRUNCATED (the file ends inside a command), or the offset of a
 * format error.
 */
class CommandReader {
  readonly size: number;
  /** Unparsed bytes, starting at file offset `bufferOffset`. */
  private buffer = Buffer.alloc(0);
  private bufferOffset = 0;
  private pos = 0;
  private fileOffset = 0;
  /** File offset just past the last command returned. */
  offset = 0;
  /** File offset where the last command returned (or being read) starts. */
  commandStart = 0;

  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }

  startsWith(signature: string): boolean {
    this.fill(signature.length);
    return this.buffer.length >= signature.length && this.buffer.latin1Slice(0, signature.length) === signature;
  }

  /** Goes on reading from file offset `offset` (past an RDB part). */
  seek(offset: number): void {
    this.buffer = Buffer.alloc(0);
    this.pos = 0;
    this.bufferOffset = offset;
    this.fileOffset = offset;
    this.offset = offset;
    this.commandStart = offset;
  }

  next(): string[] | typeof END | typeof TRUNCATED | number {
    for (;;) {
      this.commandStart = this.bufferOffset + this.pos;
      const line = this.line();
      if (line === null) return this.atEnd() ? END : TRUNCATED;
      if (line.charCodeAt(0) === 35) continue; // '#': an annotation
      if (line.charCodeAt(0) !== 42) return this.commandStart; // not '*'
      // "*" alone is a read error in Redis's loader, hence a short read.
      if (line.length === 1) return TRUNCATED;
      const argc = atoi(line, 1);
      // (Redis would try to allocate any count; more than a JS array holds is bad data.)
      if (argc < 1 || argc > 0x7fffffff) return this.commandStart;
      const argv = new Array<string>(argc);
      for (let j = 0; j < argc; j++) {
        const argStart = this.bufferOffset + this.pos;
        const header = this.line();
        if (header === null) return TRUNCATED;
        if (header.charCodeAt(0) !== 36) return argStart; // not '$'
        const len = Math.max(0, atoi(header, 1));
        // (nodis's own rewrite splits such a value into SET and APPENDs: see key-commands.ts.)
        if (len > MAX_TEXT_LENGTH) {
          throw new AofLoadError(`An argument of ${len} bytes at offset ${argStart} of the append only file is longer than this server can read (at most ${MAX_TEXT_LENGTH} bytes)`);
        }
        // The argument and the two bytes after it (CRLF, not checked, as in Redis).
        if (!this.fill(len + 2)) {
          // The argument itself complete but not its CRLF is still a short read for Redis.
          return TRUNCATED;
        }
        argv[j] = this.buffer.latin1Slice(this.pos, this.pos + len);
        this.pos += len + 2;
      }
      this.offset = this.bufferOffset + this.pos;
      return argv;
    }
  }

  /** Nothing left to read. */
  private atEnd(): boolean {
    return this.pos >= this.buffer.length && this.fileOffset >= this.size;
  }

  /**
   * The next line without its line ending, reading more as needed; null when the file ends
   * before a newline. Like fgets with Redis's buffer, a line stops after LINE_MAX - 1 bytes.
   */
  private line(): string | null {
    for (;;) {
      const limit = Math.min(this.buffer.length, this.pos + LINE_MAX - 1);
      const newline = this.buffer.indexOf(10, this.pos);
      if (newline !== -1 && newline < limit) {
        let end = newline;
        if (end > this.pos && this.buffer[end - 1] === 13) end--;
        const text = this.buffer.latin1Slice(this.pos, end);
        this.pos = newline + 1;
        return text;
      }
      if (this.buffer.length - this.pos >= LINE_MAX - 1) {
        const text = this.buffer.latin1Slice(this.pos, this.pos + LINE_MAX - 1);
        this.pos += LINE_MAX - 1;
        return text;
      }
      if (!this.readMore(0)) {
        // fgets returns a last line without its newline; an empty one means the end.
        // A command cut inside a header line is a short read: it stays unread (not at the end).
        if (this.pos >= this.buffer.length || this.buffer[this.pos] !== 35) return null;
        const text = this.buffer.latin1Slice(this.pos, this.buffer.length);
        this.pos = this.buffer.length;
        return text;
      }
    }
  }

  /** Makes at least `n` unread bytes available; false when the file ends first. */
  private fill(n: number): boolean {
    while (this.buffer.length - this.pos < n) {
      if (!this.readMore(n - (this.buffer.length - this.pos))) return false;
    }
    return true;
  }

  /** Reads the next chunk (at least `want` bytes when the file has them); false at the end. */
  private readMore(want: number): boolean {
    if (this.fileOffset >= this.size) return false;
    const remaining = this.buffer.length - this.pos;
    const toRead = Math.min(this.size - this.fileOffset, Math.max(READ_CHUNK, want));
    const next = Buffer.allocUnsafe(remaining + toRead);
    this.buffer.copy(next, 0, this.pos);
    let got = 0;
    while (got < toRead) {
      const n = readSync(this.fd, next, remaining + got, toRead - got, this.fileOffset + got);
      if (n === 0) break;
      got += n;
    }
    this.bufferOffset += this.pos;
    this.fileOffset += got;
    this.buffer = got === toRead ? next : next.subarray(0, remaining + got);
    this.pos = 0;
    return got > 0;
  }
}

/** C's atoi from `from`: an optional sign and digits, 0 without digits. */
function atoi(text: string, from: number): number {
  let i = from;
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  let sign = 1;
  if (text.charCodeAt(i) === 45) {
    sign = -1;
    i++;
  } else if (text.charCodeAt(i) === 43) i++;
  let n = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return sign * n;
}
