import { constants } from 'node:buffer';
import { ProtocolError } from '../errors.js';
import { SHORT_LATIN1_MAX, shortLatin1 } from './short-string.js';

const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH;

/** Redis's PROTO_INLINE_MAX_SIZE: longest inline request or count line it waits for. */
export const INLINE_MAX_SIZE = 64 * 1024;
/** Bulk arguments at least this long are gathered in a buffer of their own instead of re-concatenating chunks. */
const BIG_ARG = 32 * 1024;
/** The first buffer of a big argument longer than this grows as its bytes arrive. */
const BIG_ARG_FIRST_ALLOCATION = 64 * 1024;
/** Limits Redis applies to clients that still have to authenticate. */
const UNAUTH_MAX_MULTIBULK = 10;
const UNAUTH_MAX_BULK = 16384;
const INT_MAX = 2147483647;

const CR = 13;
const LF = 10;
const DOLLAR = 36;
const STAR = 42;
const EMPTY = Buffer.alloc(0);

/**
 * Incremental RESP request parser: multibulk (`*N\r\n$len\r\n…`) and inline commands.
 * Arguments come out as latin1 strings, which map every byte to one char and so are binary-safe.
 * Any split of the byte stream yields the same commands.
 */
export class RespParser {
  /** proto-max-bulk-len */
  maxBulkLen = 512 * 1024 * 1024;
  /** Whether the client may send large requests (it is authenticated or no password is set). */
  authenticated = true;

  private buf: Buffer = EMPTY;
  private pos = 0;
  /**
   * Bytes received after `buf`, kept apart: when a read ends inside a bulk of known length, the
   * next chunk is joined to it only up to that bulk's end, and the rest of the chunk is read in
   * place once `buf` is done. A 64 KB read of 16 KB values otherwise copied the whole chunk
   * again behind each partial value.
   */
  private rest: Buffer | null = null;
  /**
   * The whole allocation of a bulk cut by a read's end whose start `buf` holds (see detach),
   * with room for its end; null when `buf` is no such bulk.
   */
  private bulkRoom: Buffer | null = null;
  // The multibulk being read, resumable across chunks.
  private args: string[] | null = null;
  private argsLeft = 0;
  /** Arguments already read into `args` (it is allocated at its final length). */
  private argc = 0;
  private lastName = '';
  private bulkLen = -1;
  /**
   * A big bulk argument being gathered: `big` holds its first `bigFilled` bytes and grows as
   * they arrive, up to `bigWanted` (its length and CRLF). Redis allocates the announced size at
   * once; here the memory follows what the client really sent, so clients announcing 512 MB and
   * sending nothing cannot make the server reserve gigabytes (V8 also collects more often as
   * external memory grows, which stalled every client). The figures still show Redis's size.
   */
  private big: Buffer | null = null;
  private bigWanted = 0;
  private bigFilled = 0;
  /** How many of the arguments read of the current multibulk partialArgBytes has summed, and their bytes. */
  private summedArgs = 0;
  private summedBytes = 0;

  /** Bytes received but not yet turned into commands (INFO's query buffer figures). */
  get pending(): number {
    return this.buf.length - this.pos + this.bigFilled + (this.rest === null ? 0 : this.rest.length);
  }

  // What the parser holds, for CLIENT LIST; read there only, never on the way of a command.

  /** Bytes of the buffer held that were already turned into commands (Redis trims them after the read). */
  get parsedBytes(): number {
    return this.pos;
  }

  /** Size of the buffer gathering a big bulk argument, 0 when none is being read. */
  get bigArgCapacity(): number {
    return this.big === null ? 0 : this.bigWanted;
  }

  /** Bytes really allocated for the big bulk argument being gathered (tests). */
  get bigArgAllocated(): number {
    return this.big === null ? 0 : this.big.length;
  }

  /** Arguments the multibulk command being read announced (0 when none is). */
  get partialArgTotal(): number {
    return this.args === null ? 0 : this.args.length;
  }

  /** Arguments of the multibulk command read so far while the rest has not arrived. */
  get partialArgCount(): number {
    return this.args === null ? 0 : this.argc;
  }

  /**
   * Total length of those arguments (Redis's argv_len_sum). Read after every batch of input (the
   * client's memory figure), so each argument is added once: a command of a million arguments
   * arriving in many reads is not summed again for each of them.
   */
  get partialArgBytes(): number {
    const args = this.args;
    if (args === null) return 0;
    let bytes = this.summedBytes;
    for (let i = this.summedArgs; i < this.argc; i++) bytes += (args[i] as string).length;
    this.summedArgs = this.argc;
    this.summedBytes = bytes;
    return bytes;
  }

  feed(chunk: Buffer): void {
    if (this.rest !== null) this.absorbRest();
    if (this.big !== null) {
      const n = Math.min(this.bigWanted - this.bigFilled, chunk.length);
      if (this.bigFilled + n > this.big.length) this.growBigArg(this.bigFilled + n);
      chunk.copy(this.big, this.bigFilled, 0, n);
      this.bigFilled += n;
      chunk = chunk.subarray(n);
      if (this.bigFilled === this.bigWanted) this.finishBigArg();
      if (chunk.length === 0) return;
    }
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
    } else {
      const missing = this.bulkLen === -1 ? -1 : this.bulkLen + 2 - (this.buf.length - this.pos);
      const room = this.bulkRoom;
      if (missing > 0 && room !== null && this.pos === 0 && this.buf.byteOffset === room.byteOffset && this.buf.buffer === room.buffer) {
        // The bulk's start was copied with room for all of it (detach): the rest is appended.
        const n = Math.min(missing, chunk.length);
        chunk.copy(room, this.buf.length, 0, n);
        this.buf = room.subarray(0, this.buf.length + n);
        if (n < chunk.length) this.rest = chunk.subarray(n);
        return;
      }
      if (missing > 0 && missing < chunk.length) {
        this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk.subarray(0, missing)]);
        this.rest = chunk.subarray(missing);
      } else {
        this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      }
    }
    this.pos = 0;
  }

  /**
   * Stops referring to memory of `shared`, which is about to be overwritten: the bytes not yet
   * turned into commands are copied.
   */
  detach(shared: ArrayBufferLike): void {
    if (this.buf.buffer === shared) {
      this.bulkRoom = null;
      const have = this.buf.length - this.pos;
      if (have <= 0) this.buf = EMPTY;
      else if (this.bulkLen !== -1 && this.bulkLen < BIG_ARG && this.big === null && this.bulkLen + 2 > have) {
        // A bulk cut by the read's end: copied with room for the rest, which the next reads
        // append (feed), instead of copying its start once more to join them. (A bigger bulk is
        // gathered apart, in memory that grows as its bytes come: startBigArg.)
        const room = Buffer.allocUnsafe(this.bulkLen + 2);
        this.buf.copy(room, 0, this.pos);
        this.bulkRoom = room;
        this.buf = room.subarray(0, have);
      } else this.buf = Buffer.from(this.buf.subarray(this.pos));
      this.pos = 0;
    }
    if (this.rest !== null && this.rest.buffer === shared) this.rest = Buffer.from(this.rest);
  }

  /** Makes `rest` part of `buf` (what is left of `buf`, then it). */
  private absorbRest(): void {
    const rest = this.rest as Buffer;
    this.rest = null;
    this.buf = this.pos >= this.buf.length ? rest : Buffer.concat([this.buf.subarray(this.pos), rest]);
    this.pos = 0;
  }

  /** The next complete command, or null when more bytes are needed. Throws ProtocolError. */
  next(): string[] | null {
    for (;;) {
      if (this.big !== null) return null;
      if (this.args !== null && this.argsLeft === 0) return this.takeArgs();
      const buf = this.buf;
      if (this.pos >= buf.length) {
        if (this.rest !== null) {
          this.absorbRest();
          continue;
        }
        if (this.args === null) this.release();
        return null;
      }
      if (this.args === null) {
        if (buf[this.pos] === STAR) {
          const started = this.readMultibulkCount();
          if (started === 0) {
            if (this.rest === null) return null;
            this.absorbRest();
            continue;
          }
          if (started < 0) continue; // empty multibulk: nothing to run
        } else {
          const inline = this.readInline();
          if (inline === null) {
            if (this.rest === null) return null;
            this.absorbRest();
            continue;
          }
          if (inline.length === 0) continue;
          return inline;
        }
      }
      if (!this.readBulks()) {
        if (this.rest === null || this.big !== null) return null;
        this.absorbRest();
      }
    }
  }

  private takeArgs(): string[] {
    const args = this.args as string[];
    this.args = null;
    return args;
  }

  private release(): void {
    this.buf = EMPTY;
    this.bulkRoom = null;
    this.pos = 0;
  }

  /** 1: started a multibulk; -1: empty multibulk consumed; 0: need more bytes. */
  private readMultibulkCount(): number {
    const buf = this.buf;
    const quick = readCount(buf, this.pos + 1);
    if (quick > 0 && (quick <= UNAUTH_MAX_MULTIBULK || this.authenticated)) {
      this.pos = countEnd;
      this.args = new Array<string>(quick);
      this.argc = 0;
      this.summedArgs = 0;
      this.summedBytes = 0;
      this.argsLeft = quick;
      this.bulkLen = -1;
      return 1;
    }
    const cr = buf.indexOf(CR, this.pos);
    const count = cr === -1 || cr + 1 >= buf.length ? NaN : parseStrictInt(buf, this.pos + 1, cr);
    // No whole line yet, or one Redis does not see the end of (see hasNul).
    if (Number.isNaN(count) && (cr === -1 || cr + 1 >= buf.length || hasNul(buf, this.pos, cr))) {
      if (buf.length - this.pos > INLINE_MAX_SIZE) throw new ProtocolError('too big mbulk count string');
      return 0;
    }
    if (Number.isNaN(count) || count > INT_MAX) throw new ProtocolError('invalid multibulk length');
    if (count > UNAUTH_MAX_MULTIBULK && !this.authenticated) throw new ProtocolError('unauthenticated multibulk length');
    this.pos = cr + 2;
    if (count <= 0) return -1;
    this.args = new Array<string>(count);
    this.argc = 0;
    this.summedArgs = 0;
    this.summedBytes = 0;
    this.argsLeft = count;
    this.bulkLen = -1;
    return 1;
  }

  /** Reads as many bulk arguments as the buffer holds; true when the command is complete. */
  private readBulks(): boolean {
    const args = this.args as string[];
    const buf = this.buf;
    while (this.argsLeft > 0) {
      if (this.bulkLen === -1) {
        if (this.pos >= buf.length) return false;
        const quick = buf[this.pos] === DOLLAR ? readCount(buf, this.pos + 1) : -1;
        if (quick >= 0 && quick <= this.maxBulkLen && (quick <= UNAUTH_MAX_BULK || this.authenticated)) {
          this.pos = countEnd;
          this.bulkLen = quick;
        }
      }
      if (this.bulkLen === -1) {
        const cr = buf.indexOf(CR, this.pos);
        const len = cr === -1 || cr + 1 >= buf.length || buf[this.pos] !== DOLLAR ? NaN : parseStrictInt(buf, this.pos + 1, cr);
        // No whole line yet, or one Redis does not see the end of (see hasNul).
        if (Number.isNaN(len) && (cr === -1 || cr + 1 >= buf.length || hasNul(buf, this.pos, cr))) {
          if (buf.length - this.pos > INLINE_MAX_SIZE) throw new ProtocolError('too big bulk count string');
          return false;
        }
        if (buf[this.pos] !== DOLLAR) {
          throw new ProtocolError(`expected '$', got '${String.fromCharCode(buf[this.pos] as number)}'`);
        }
        if (Number.isNaN(len) || len < 0 || len > this.maxBulkLen) throw new ProtocolError('invalid bulk length');
        if (len > UNAUTH_MAX_BULK && !this.authenticated) throw new ProtocolError('unauthenticated bulk length');
        this.pos = cr + 2;
        this.bulkLen = len;
      }
      // An argument is a JS string: a longer one could not be made (a longer value is built by APPEND or SETRANGE).
      if (this.bulkLen > MAX_STRING_LENGTH) throw new ProtocolError(`bulk argument longer than ${MAX_STRING_LENGTH} bytes`);
      const end = this.pos + this.bulkLen;
      if (end + 2 > buf.length) {
        // With bytes kept apart, the bulk may be whole once they join: next() joins them first.
        if (this.bulkLen >= BIG_ARG && this.rest === null) this.startBigArg();
        return false;
      }
      const n = this.bulkLen;
      args[this.argc] =
        this.argc === 0 ? this.commandName(buf, this.pos, end) : n <= SHORT_LATIN1_MAX ? shortLatin1(buf, this.pos, n) : buf.latin1Slice(this.pos, end);
      this.argc++;
      this.pos = end + 2;
      this.bulkLen = -1;
      this.argsLeft--;
    }
    return true;
  }

  /**
   * The first argument: a client mostly repeats the same few command names, so the last one is
   * reused when the bytes match, which saves a string and lets the command table's lookup find a
   * string whose hash is already known.
   */
  private commandName(buf: Buffer, start: number, end: number): string {
    const cached = this.lastName;
    const n = end - start;
    if (cached.length === n) {
      let i = 0;
      while (i < n && buf[start + i] === cached.charCodeAt(i)) i++;
      if (i === n) return cached;
    }
    const name = n <= SHORT_LATIN1_MAX ? shortLatin1(buf, start, n) : buf.latin1Slice(start, end);
    if (n <= 32) this.lastName = name;
    return name;
  }

  private startBigArg(): void {
    const have = this.buf.length - this.pos;
    this.bigWanted = this.bulkLen + 2;
    const big = Buffer.allocUnsafe(Math.min(this.bigWanted, Math.max(2 * have, BIG_ARG_FIRST_ALLOCATION)));
    this.buf.copy(big, 0, this.pos);
    this.big = big;
    this.bigFilled = have;
    this.release();
  }

  /** Doubles the big argument's buffer (at least to `needed`, at most to its announced size): O(n) copying in all. */
  private growBigArg(needed: number): void {
    const old = this.big as Buffer;
    const grown = Buffer.allocUnsafe(Math.min(this.bigWanted, Math.max(needed, 2 * old.length)));
    old.copy(grown, 0, 0, this.bigFilled);
    this.big = grown;
  }

  private finishBigArg(): void {
    const big = this.big as Buffer;
    (this.args as string[])[this.argc++] = big.latin1Slice(0, this.bigWanted - 2);
    this.big = null;
    this.bigWanted = 0;
    this.bigFilled = 0;
    this.bulkLen = -1;
    this.argsLeft--;
  }

  /** An inline command (telnet, `redis-cli` pipes): arguments split like Redis's sdssplitargs. */
  private readInline(): string[] | null {
    const buf = this.buf;
    const lf = buf.indexOf(LF, this.pos);
    let end = lf;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const line = lf === -1 ? '' : buf.latin1Slice(this.pos, end);
    // A 0 byte before the line end: no line end for Redis (see hasNul).
    if (lf === -1 || line.includes('\0')) {
      if (buf.length - this.pos > INLINE_MAX_SIZE) throw new ProtocolError('too big inline request');
      return null;
    }
    this.pos = lf + 1;
    const args = splitArgs(line);
    if (args === null) throw new ProtocolError('unbalanced quotes in request');
    return args;
  }
}

/**
 * Whether the count line [start, end) (its type byte, then the count) holds a 0 byte. Redis finds
 * line ends with strchr on its query buffer, which stops at a 0 byte: a line with a 0 byte before
 * its CR never ends, so the request waits for more input until it passes the 64 KB limit and is
 * refused, instead of being a protocol error. Such a line cannot be a valid count, so only a line
 * that fails to parse is scanned: the common count lines cost nothing extra.
 */
function hasNul(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === 0) return true;
  return false;
}

/** Where the line read by the last successful readCount ended (after its CRLF). */
let countEnd = 0;

/**
 * The common case of a count line (`*3` or `$5` after its type byte): plain digits, no leading
 * zero, at most 9 of them, CR and one more byte in the buffer. Returns the count and sets
 * countEnd, or -1 for anything else, which the general path then reads (and rejects) as Redis
 * does. Scanning a few digits here costs less than a native indexOf and a second pass.
 */
function readCount(buf: Buffer, start: number): number {
  const limit = Math.min(buf.length - 1, start + 10);
  let value = 0;
  for (let i = start; i < limit; i++) {
    const c = buf[i] as number;
    if (c === CR) {
      if (i === start || (buf[start] === 48 && i !== start + 1)) return -1;
      countEnd = i + 2;
      return value;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return -1;
}

/** Redis's string2ll on a byte range: optional '-', no leading zeros, no spaces. NaN when invalid. */
export function parseStrictInt(buf: Buffer, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > 20) return NaN;
  let i = start;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    i++;
    if (i === end) return NaN;
  }
  const first = buf[i] as number;
  if (first === 48) return len === 1 ? 0 : NaN;
  const digits = end - i;
  let value = 0;
  for (; i < end; i++) {
    const d = (buf[i] as number) - 48;
    if (d < 0 || d > 9) return NaN;
    value = value * 10 + d;
  }
  // Past a long long string2ll fails: a huge negative count is invalid, not an empty multibulk.
  // Doubles cannot tell 19-digit values apart, so those are compared as text.
  if (digits > 19 || (digits === 19 && buf.latin1Slice(end - 19, end) > (negative ? '9223372036854775808' : '9223372036854775807'))) {
    return NaN;
  }
  return negative ? -value : value;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Splits a line into arguments as Redis's sdssplitargs does: "double quotes" with
 * \n \r \t \b \a \\ \" and \xHH escapes, 'single quotes' with \'. A closing quote must be
 * followed by a space or the end. Returns null for unbalanced quotes.
 */
export function splitArgs(line: string): string[] | null {
  const args: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) return args;
    let current = '';
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      if (inDouble) {
        if (i >= n) return null;
        const c = line[i] as string;
        if (c === '\\' && line[i + 1] === 'x' && i + 3 < n && hexValue(line.charCodeAt(i + 2)) >= 0 && hexValue(line.charCodeAt(i + 3)) >= 0) {
          current += String.fromCharCode(hexValue(line.charCodeAt(i + 2)) * 16 + hexValue(line.charCodeAt(i + 3)));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          const e = line[i] as string;
          current += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          done = true;
        } else {
          current += c;
        }
      } else if (inSingle) {
        if (i >= n) return null;
        const c = line[i] as string;
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          current += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          done = true;
        } else {
          current += c;
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        const c = line[i] as string;
        if (isSpace(line.charCodeAt(i))) {
          done = true;
        } else if (c === '"') {
          inDouble = true;
        } else if (c === "'") {
          inSingle = true;
        } else {
          current += c;
        }
      }
      if (i < n) i++;
    }
    args.push(current);
  }
}
