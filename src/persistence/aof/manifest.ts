/**
 * The manifest of Redis 7.0's multi-part AOF: which files of the AOF directory make up the
 * dataset, in order. One line per file, `file <name> seq <n> type <b|h|i>`, the base first,
 * then history files (replaced, waiting to be deleted), then the incremental files in
 * sequence order. Names follow Redis's rules so that either server can load the directory
 * the other wrote:
 *
 *   appendonly.aof.manifest            the manifest (`appendfilename` + ".manifest")
 *   appendonly.aof.<seq>.base.aof      a base written as commands (.rdb when RDB-encoded)
 *   appendonly.aof.<seq>.incr.aof      commands logged after that base
 *
 * The manifest is replaced atomically: written to `temp-<name>`, fsynced, renamed, and the
 * directory fsynced.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { splitArgs } from '../../protocol/parser.js';
import { repr } from '../../config/values.js';

export type AofFileType = 'b' | 'h' | 'i';

export interface AofFileInfo {
  name: string;
  seq: number;
  type: AofFileType;
}

/** A manifest that cannot be used: the text is Redis's, `line` the offending line if any. */
export class ManifestError extends Error {
  constructor(
    message: string,
    readonly lineNumber: number | null,
    readonly line: string | null,
  ) {
    super(message);
  }
}

/** The longest manifest line Redis reads (MANIFEST_MAX_LINE). */
const MAX_LINE = 1024;

export class AofManifest {
  base: AofFileInfo | null = null;
  /** Replaced files still to be deleted, newest first (as Redis adds them at the head). */
  history: AofFileInfo[] = [];
  /** Incremental files in the order they are replayed. */
  incr: AofFileInfo[] = [];
  currentBaseSeq = 0;
  currentIncrSeq = 0;

  /** Parses a manifest's text with Redis's checks (aofLoadManifestFromFile). */
  static parse(text: string): AofManifest {
    const manifest = new AofManifest();
    if (text.length === 0) throw new ManifestError('Found an empty AOF manifest', null, null);
    let maxSeq = 0;
    let lineNumber = 0;
    let at = 0;
    while (at < text.length) {
      const newline = text.indexOf('\n', at);
      const raw = newline === -1 ? text.slice(at) : text.slice(at, newline + 1);
      at = newline === -1 ? text.length : newline + 1;
      lineNumber++;
      if (raw.startsWith('#')) continue;
      if (newline === -1 || raw.length > MAX_LINE) throw new ManifestError('The AOF manifest file contains too long line', lineNumber, null);
      const line = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      const fail = (message: string): never => {
        throw new ManifestError(message, lineNumber, line);
      };
      if (line === '') fail('Invalid AOF manifest file format');
      const argv = splitArgs(line);
      // Fewer than 6 fields, or an odd count, is refused; more pairs are allowed for later versions.
      if (argv === null || argv.length < 6 || argv.length % 2 !== 0) fail('Invalid AOF manifest file format');
      let name: string | null = null;
      let seq = 0;
      let type = '';
      const fields = argv as string[];
      for (let i = 0; i < fields.length; i += 2) {
        const key = (fields[i] as string).toLowerCase();
        const value = fields[i + 1] as string;
        if (key === 'file') {
          name = value;
          if (!isBaseName(name)) fail("File can't be a path, just a filename");
        } else if (key === 'seq') {
          seq = atoll(value);
        } else if (key === 'type') {
          type = value.charAt(0);
        }
      }
      if (name === null || name === '' || seq === 0 || type === '') fail('Invalid AOF manifest file format');
      const info = { name: name as string, seq, type: type as AofFileType };
      if (type === 'b') {
        if (manifest.base !== null) fail('Found duplicate base file information');
        manifest.base = info;
        manifest.currentBaseSeq = seq;
      } else if (type === 'h') {
        manifest.history.push(info);
      } else if (type === 'i') {
        if (seq <= maxSeq) fail('Found a non-monotonic sequence number');
        manifest.incr.push(info);
        manifest.currentIncrSeq = seq;
        maxSeq = seq;
      } else {
        fail('Unknown AOF file type');
      }
    }
    return manifest;
  }

  /** A deep copy, changed and then swapped in only once it is on disk. */
  clone(): AofManifest {
    const copy = new AofManifest();
    copy.base = this.base === null ? null : { ...this.base };
    copy.history = this.history.map((f) => ({ ...f }));
    copy.incr = this.incr.map((f) => ({ ...f }));
    copy.currentBaseSeq = this.currentBaseSeq;
    copy.currentIncrSeq = this.currentIncrSeq;
    return copy;
  }

  /** The manifest's text: base, history, incremental files (getAofManifestAsString). */
  format(): string {
    let out = '';
    const line = (f: AofFileInfo): string => `file ${needsRepr(f.name) ? repr(f.name) : f.name} seq ${f.seq} type ${f.type}\n`;
    if (this.base !== null) out += line(this.base);
    for (const f of this.history) out += line(f);
    for (const f of this.incr) out += line(f);
    return out;
  }

  /**
   * A new base (the next sequence number); the current one becomes history. `format` is 'aof'
   * for a base written as commands, 'rdb' for an RDB-encoded one.
   */
  newBase(aofFilename: string, format: 'aof' | 'rdb'): string {
    if (this.base !== null) this.history.unshift({ ...this.base, type: 'h' });
    const seq = ++this.currentBaseSeq;
    this.base = { name: `${aofFilename}.${seq}.base.${format}`, seq, type: 'b' };
    return this.base.name;
  }

  /** A new incremental file, appended to the list. */
  newIncr(aofFilename: string): string {
    const seq = ++this.currentIncrSeq;
    const info: AofFileInfo = { name: `${aofFilename}.${seq}.incr.aof`, seq, type: 'i' };
    this.incr.push(info);
    return info.name;
  }

  /** The last incremental file, created when there is none (getLastIncrAofName). */
  lastIncr(aofFilename: string): string {
    const last = this.incr[this.incr.length - 1];
    return last !== undefined ? last.name : this.newIncr(aofFilename);
  }

  /**
   * After a rewrite: the incremental files it covers become history. With the AOF on, the last
   * one is the file being written and stays (markRewrittenIncrAofAsHistory).
   */
  markRewrittenIncrAsHistory(keepLast: boolean): void {
    const kept = keepLast ? this.incr.slice(-1) : [];
    const rewritten = keepLast ? this.incr.slice(0, -1) : this.incr;
    // Redis walks the list from its tail, adding each at the head: oldest first in the end.
    for (let i = rewritten.length - 1; i >= 0; i--) this.history.unshift({ ...(rewritten[i] as AofFileInfo), type: 'h' });
    this.incr = kept;
  }

  /** Writes the manifest into `dir` atomically (writeAofManifestFile). */
  persist(dir: string, aofFilename: string): void {
    const name = manifestName(aofFilename);
    const path = join(dir, name);
    const tempPath = join(dir, `temp-${name}`);
    const fd = openSync(tempPath, 'w', 0o644);
    try {
      const data = Buffer.from(this.format(), 'latin1');
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tempPath, path);
    fsyncDirectory(dir);
  }

  /**
   * The same steps without blocking the loop: a rewrite's end. Its fsyncs wait for the disk to
   * flush what the rewrite wrote, tens of milliseconds on a loaded disk, during which a
   * synchronous persist held every client (Redis's main thread pays for it too, but is not
   * held by much else). The manifest as it is now is what is written.
   */
  async persistInBackground(dir: string, aofFilename: string): Promise<void> {
    const name = manifestName(aofFilename);
    const tempPath = join(dir, `temp-${name}`);
    const data = Buffer.from(this.format(), 'latin1');
    const file = await open(tempPath, 'w', 0o644);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tempPath, join(dir, name));
    const directory = await open(dir, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}

export function manifestName(aofFilename: string): string {
  return `${aofFilename}.manifest`;
}

/** The temporary incremental file written while the AOF is being turned on (getTempIncrAofName). */
export function tempIncrName(aofFilename: string): string {
  return `temp-${aofFilename}.incr`;
}

/** fsync of a directory, so that a rename or a new file in it survives a crash. */
export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A name without a directory part (Redis's pathIsBaseName). */
function isBaseName(name: string): boolean {
  return !name.includes('/') && !name.includes('\\');
}

/** C's atoll: leading spaces, a sign, digits; 0 when there are none. */
function atoll(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** sdsneedsrepr: a name with quotes, escapes, spaces or unprintable bytes is written quoted. */
function needsRepr(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 34 || c === 92) return true;
  }
  return false;
}
