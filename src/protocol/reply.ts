import { formatDouble17g, intToString } from '../util/format.js';

/** The chunks a batch larger than a client's first chunk goes on in (outside V8's heap). */
export const REPLY_CHUNK_BYTES = 64 * 1024;
const CHUNK = REPLY_CHUNK_BYTES;
/**
 * The output buffer a client takes for its first batch (Redis's PROTO_REPLY_CHUNK_BYTES): most
 * batches fit, and a client that has just connected holds 16 KB rather than 64 (a thousand
 * connections opening at once counted 64 MB more in used_memory for their first seconds).
 */
export const FIRST_CHUNK_BYTES = 16 * 1024;

function constant(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

const OK = constant('+OK\r\n');
const QUEUED = constant('+QUEUED\r\n');
const PONG = constant('+PONG\r\n');
const NULL_BULK = constant('$-1\r\n');
const NULL_ARRAY = constant('*-1\r\n');
const NULL3 = constant('_\r\n');
const EMPTY_ARRAY = constant('*0\r\n');
const ZERO = constant(':0\r\n');
const ONE = constant(':1\r\n');
const TRUE3 = constant('#t\r\n');
const FALSE3 = constant('#f\r\n');
/** Where a deferred header is assembled before it is inserted. */
const HEADER_SCRATCH = Buffer.allocUnsafe(24);

/** Somewhere replies can be flushed to. */
export interface ReplySink {
  write(chunk: Buffer): void;
  /** Hold writes until uncork, to hand several chunks over at once (a socket's writev). */
  cork?(): void;
  uncork?(): void;
  /**
   * Bytes the sink still holds, not yet passed on (a socket's writableLength). 0 right after
   * write() means the chunk went through at once (to the kernel): its bytes are free to reuse.
   * A sink without it keeps what it was given.
   */
  readonly writableLength?: number;
}

/**
 * Chunks a socket took whole (see flush), kept for the next chunk any writer needs: a batch of
 * large replies takes several, and allocating them anew each time (memory outside the heap)
 * made V8 collect more often than the replies' work itself warranted. At most 1 MB is kept;
 * used_memory does not count it, as it counts no free memory of the allocator.
 */
const spareChunks: Buffer[] = [];
const SPARE_CHUNKS = 16;

/**
 * A writer's buffer before its first reply and after releaseChunk: an idle connection holds no
 * 64 KB chunk (10,000 idle connections held 640 MB outside the heap, counted in used_memory).
 */
const NO_CHUNK = Buffer.alloc(0);

/**
 * A client's output buffer: replies are encoded into a large chunk and flushed once per batch.
 * Handlers speak of maps, sets, doubles and nulls; the protocol version picks the wire form.
 */
export class ReplyWriter {
  /** 2 or 3, set by HELLO. */
  resp: 2 | 3 = 2;
  private buf: Buffer = NO_CHUNK;
  /** Told how many bytes the writer's current buffer took more (or, negative, fewer) as it changes. */
  onChunk: ((bytes: number) => void) | null = null;
  /** Start of the bytes not yet handed to the socket. */
  private start = 0;
  private len = 0;
  /** When false, replies are dropped (CLIENT REPLY OFF/SKIP); pushes go out all the same. */
  enabled = true;
  /** bulkDashed's last first number and its digits. */
  private dashedA = -1;
  private dashedALength = 0;
  private readonly dashedADigits = Buffer.allocUnsafe(16);
  /**
   * Whether a reply that does not fit starts a new chunk, the full ones queued as they are
   * (a socket client's writer), rather than a larger buffer with all pending bytes copied into
   * it. Writers whose callers read their pending bytes in place (scripts) keep them in one run.
   */
  chained = false;
  /** Full chunks waiting for the next flush, and the region of each that is pending. */
  private readonly queuedChunks: Buffer[] = [];
  private readonly queuedStarts: number[] = [];
  private readonly queuedEnds: number[] = [];
  private queuedBytes = 0;
  /**
   * deferredMarks taken and not yet filled in since the last flush: a mark is a position in the
   * current chunk, so while one is open a reply that does not fit grows the chunk instead.
   */
  private openMarks = 0;

  /**
   * Opens an out-of-band message (Pub/Sub message or confirmation, tracking invalidation): it
   * is written even while CLIENT REPLY OFF/SKIP drops replies, as Redis's CLIENT_PUSHING flag
   * does. Returns what endPush restores.
   */
  beginPush(): boolean {
    const enabled = this.enabled;
    this.enabled = true;
    return enabled;
  }

  /** Closes a message opened by beginPush, with what it returned. */
  endPush(enabled: boolean): void {
    this.enabled = enabled;
  }

  /**
   * A whole out-of-band message encoded once for all its receivers (a Pub/Sub message): copied
   * in, written even while CLIENT REPLY OFF/SKIP drops replies, its header `>` in RESP3.
   */
  pushFrame(frame: PushFrame): void {
    const n = frame.length;
    this.reserve(n);
    const buf = this.buf;
    const p = this.len;
    // TypedArray#set: measured at 18-25 ns for a 52-byte message, against 40 byte by byte.
    buf.set(frame.view, p);
    if (this.resp === 3) buf[p] = 62; // '>'
    this.len = p + n;
  }

  /** Bytes encoded and not flushed yet. */
  get pending(): number {
    return this.len - this.start + this.queuedBytes;
  }

  /** Hands the bytes encoded since the last flush to the sink, without copying them. */
  flush(sink: ReplySink): number {
    if (this.queuedBytes !== 0) return this.flushChain(sink);
    const n = this.len - this.start;
    if (n === 0) return 0;
    sink.write(this.buf.subarray(this.start, this.len));
    return this.afterFlush(sink, n);
  }

  /** flush with full chunks queued: all of them in one hand-over, then the current one. */
  private flushChain(sink: ReplySink): number {
    const n = this.pending;
    const chunks = this.queuedChunks;
    sink.cork?.();
    for (let i = 0; i < chunks.length; i++) sink.write((chunks[i] as Buffer).subarray(this.queuedStarts[i], this.queuedEnds[i]));
    if (this.len > this.start) sink.write(this.buf.subarray(this.start, this.len));
    sink.uncork?.();
    // Taken whole by the socket: the queued chunks are free for the next batch.
    if (sink.writableLength === 0) {
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i] as Buffer;
        if (chunk.length === CHUNK && spareChunks.length < SPARE_CHUNKS) spareChunks.push(chunk);
      }
    }
    chunks.length = 0;
    this.queuedStarts.length = 0;
    this.queuedEnds.length = 0;
    this.queuedBytes = 0;
    return this.afterFlush(sink, n);
  }

  /** What becomes of the current chunk once its bytes went to the sink. */
  private afterFlush(sink: ReplySink, n: number): number {
    // (A mark never outlives the batch it was taken in; one left unfilled is forgotten here.)
    this.openMarks = 0;
    // Written through at once (the usual case of a socket that keeps up): the socket holds
    // nothing of this chunk any more, earlier flushes included, and the chunk is reused from
    // its start, rather than a new one taken each time it fills up (64 KB of memory outside
    // the heap each time, whose growth makes V8 run full collections).
    if (sink.writableLength === 0 && this.buf.length <= 4 * CHUNK) {
      this.start = 0;
      this.len = 0;
      // A client's batch that fits its first chunk again gives the larger one back (to the
      // spare chunks): one large batch does not leave a client holding 64 KB for good.
      if (n <= FIRST_CHUNK_BYTES >> 1 && this.buf.length > FIRST_CHUNK_BYTES && this.onChunk !== null) {
        const large = this.buf;
        this.setBuf(Buffer.allocUnsafe(FIRST_CHUNK_BYTES));
        if (large.length === CHUNK && spareChunks.length < SPARE_CHUNKS) spareChunks.push(large);
      }
      return n;
    }
    // Otherwise the flushed region belongs to the socket now: keep appending after it, or start
    // a fresh chunk. A buffer grown for one big reply is not kept: the socket holds it until written.
    if (this.buf.length - this.len < 1024 || this.buf.length > 4 * CHUNK) {
      this.setBuf(Buffer.allocUnsafe(CHUNK));
      this.len = 0;
    }
    this.start = this.len;
    return n;
  }

  /**
   * The bytes encoded since the last flush, where they lie: pendingBuffer[pendingStart, len).
   * For a caller that reads its replies at once (a script's commands) and then drops them
   * (dropPending), with no view or copy made.
   */
  get pendingBuffer(): Buffer {
    return this.buf;
  }

  get pendingStart(): number {
    return this.start;
  }

  get pendingEnd(): number {
    return this.len;
  }

  /** Whether the writer holds a buffer (it has none before its first reply and after releaseChunk). */
  get holdsChunk(): boolean {
    return this.buf !== NO_CHUNK;
  }

  /** The size of the buffer the writer holds (0 when none). */
  get chunkBytes(): number {
    return this.buf.length;
  }

  /** Makes `next` the current buffer, telling onChunk how the bytes held changed. */
  private setBuf(next: Buffer): void {
    const delta = next.length - this.buf.length;
    this.buf = next;
    if (delta !== 0 && this.onChunk !== null) this.onChunk(delta);
  }

  /** Takes a buffer now if the writer has none (a client about to run commands: see Client.processInput). */
  takeChunk(): void {
    if (this.buf !== NO_CHUNK) return;
    this.setBuf(Buffer.allocUnsafe(FIRST_CHUNK_BYTES));
    this.start = 0;
    this.len = 0;
  }

  /**
   * Gives the buffer back (to the spare chunks) when nothing is pending and the sink holds none
   * of its bytes: the next reply takes one again. Returns whether it did.
   */
  releaseChunk(sink: ReplySink): boolean {
    if (this.buf === NO_CHUNK || this.len !== this.start || this.queuedBytes !== 0 || this.openMarks !== 0 || sink.writableLength !== 0) return false;
    const chunk = this.buf;
    this.setBuf(NO_CHUNK);
    this.start = 0;
    this.len = 0;
    if (chunk.length === CHUNK && spareChunks.length < SPARE_CHUNKS) spareChunks.push(chunk);
    return true;
  }

  /** Forgets the bytes encoded since the last flush: the space is reused for what comes next. */
  dropPending(): void {
    this.len = this.start;
    // Setting an array's length costs a runtime call even when it is already 0: scripts drop
    // the pending reply of every redis.call, and almost never have chunks queued.
    if (this.queuedChunks.length !== 0) {
      this.queuedChunks.length = 0;
      this.queuedStarts.length = 0;
      this.queuedEnds.length = 0;
    }
    this.queuedBytes = 0;
    this.openMarks = 0;
  }

  /**
   * Drops what was encoded after `mark` (for a reply that must not go out). A mark is a
   * position in the current chunk: a chained writer may not move on to another between the two.
   */
  discardTo(mark: number): void {
    this.len = mark;
  }

  /** A position that discardTo can return to. */
  mark(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    if (this.chained && this.openMarks === 0) {
      this.chain(n);
      return;
    }
    const pending = this.len - this.start;
    // Doubling keeps a large reply (HGETALL of a big hash) linear instead of a copy per element.
    const next = Buffer.allocUnsafe(Math.max(CHUNK, pending + n, pending * 2));
    this.buf.copy(next, 0, this.start, this.len);
    this.setBuf(next);
    this.start = 0;
    this.len = pending;
  }

  /** Starts a new chunk with room for n bytes, the current one's pending bytes queued as they are. */
  private chain(n: number): void {
    if (this.len > this.start) {
      this.queuedChunks.push(this.buf);
      this.queuedStarts.push(this.start);
      this.queuedEnds.push(this.len);
      this.queuedBytes += this.len - this.start;
    }
    this.setBuf(n <= CHUNK ? (spareChunks.pop() ?? Buffer.allocUnsafe(CHUNK)) : Buffer.allocUnsafe(n));
    this.start = 0;
    this.len = 0;
  }

  private constantReply(b: Buffer): void {
    if (!this.enabled) return;
    const n = b.length;
    this.reserve(n);
    // Byte by byte: Buffer#copy's argument checks cost more than copying a few bytes.
    const buf = this.buf;
    const p = this.len;
    for (let i = 0; i < n; i++) buf[p + i] = b[i] as number;
    this.len = p + n;
  }

  /** A type byte, a non-negative integer and CRLF (`:12`, `*3`, `%2`…), written without a string. */
  private header(type: number, n: number): void {
    if (!this.enabled) return;
    this.reserve(24);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = type;
    p = writeDigits(buf, p, n);
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  /** Writes protocol text already encoded (ASCII/latin1). */
  raw(text: string): void {
    if (!this.enabled) return;
    this.reserve(text.length);
    this.len += this.buf.latin1Write(text, this.len);
  }

  rawBuffer(b: Buffer): void {
    this.constantReply(b);
  }

  ok(): void {
    this.constantReply(OK);
  }

  queued(): void {
    this.constantReply(QUEUED);
  }

  pong(): void {
    this.constantReply(PONG);
  }

  /** +text */
  simple(text: string): void {
    this.raw('+' + text + '\r\n');
  }

  /** -message; the message carries its prefix (ERR, WRONGTYPE…). Newlines are not allowed in it. */
  error(message: string): void {
    this.raw('-' + message.replace(/[\r\n]/g, ' ') + '\r\n');
  }

  integer(n: number | bigint): void {
    if (n === 0) return this.constantReply(ZERO);
    if (n === 1) return this.constantReply(ONE);
    if (typeof n === 'number' && n >= 0 && n <= Number.MAX_SAFE_INTEGER) return this.header(58, n); // ':'
    this.raw(':' + (typeof n === 'number' ? intToString(n) : n.toString()) + '\r\n');
  }

  /** A bulk string; the string is latin1 (one char per byte). */
  bulk(value: string): void {
    if (!this.enabled) return;
    const n = value.length;
    this.reserve(n + 24);
    const buf = this.buf;
    let p = this.len;
    // The header is written byte by byte: a string for it would cost more than the bytes.
    buf[p++] = 36; // '$'
    p = writeDigits(buf, p, n);
    buf[p++] = 13;
    buf[p++] = 10;
    if (n < 32) {
      for (let i = 0; i < n; i++) buf[p++] = value.charCodeAt(i);
    } else {
      p += buf.latin1Write(value, p);
    }
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  bulkBuffer(value: Buffer): void {
    if (!this.enabled) return;
    const header = '$' + intToString(value.length) + '\r\n';
    this.reserve(header.length + value.length + 2);
    this.len += this.buf.latin1Write(header, this.len);
    value.copy(this.buf, this.len);
    this.len += value.length;
    this.buf[this.len++] = 13;
    this.buf[this.len++] = 10;
  }

  /** A bulk string of the bytes src[start, end) (a stream entry's field, straight from its listpack). */
  bulkBytes(src: Buffer, start: number, end: number): void {
    if (!this.enabled) return;
    const n = end - start;
    this.reserve(n + 24);
    const buf = this.buf;
    let p = this.len;
    buf[p++] = 36; // '$'
    p = writeDigits(buf, p, n);
    buf[p++] = 13;
    buf[p++] = 10;
    if (n < 32) {
      for (let i = start; i < end; i++) buf[p++] = src[i] as number;
    } else {
      src.copy(buf, p, start, end);
      p += n;
    }
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  /**
   * A bulk string `<a>-<b>` of two non-negative integers below 2^53 (a stream entry ID),
   * written digit by digit: no string is made for it.
   */
  bulkDashed(a: number, b: number): void {
    if (!this.enabled) return;
    this.reserve(64);
    const buf = this.buf;
    let p = this.len;
    // The first number (a time in ms) is mostly the one of the ID before: its digits are kept.
    if (a !== this.dashedA) {
      this.dashedA = a;
      this.dashedALength = writeDigits(this.dashedADigits, 0, a);
    }
    const aLength = this.dashedALength;
    const aDigits = this.dashedADigits;
    buf[p++] = 36; // '$'
    p = writeDigits(buf, p, aLength + 1 + digitCount(b));
    buf[p++] = 13;
    buf[p++] = 10;
    for (let i = 0; i < aLength; i++) buf[p++] = aDigits[i] as number;
    buf[p++] = 45; // '-'
    p = writeDigits(buf, p, b);
    buf[p++] = 13;
    buf[p++] = 10;
    this.len = p;
  }

  /**
   * Where a header whose count is not known yet goes (Redis's addReplyDeferredLen): pass it to
   * deferredArray or deferredMap once the elements after it are written.
   */
  deferredMark(): number {
    this.openMarks++;
    return this.len - this.start;
  }

  /** Inserts an array header of n elements at a deferredMark (setDeferredArrayLen). */
  deferredArray(mark: number, n: number): void {
    this.insertHeader(mark, 42, n);
  }

  /** Inserts a map header of n pairs at a deferredMark: %n in RESP3, *2n in RESP2 (setDeferredMapLen). */
  deferredMap(mark: number, n: number): void {
    if (this.resp === 3) this.insertHeader(mark, 37, n);
    else this.insertHeader(mark, 42, n * 2);
  }

  /** Inserts protocol text (ASCII/latin1) at a deferredMark: a reply that goes before what follows it. */
  deferredRaw(mark: number, text: string): void {
    if (this.openMarks > 0) this.openMarks--;
    if (!this.enabled) return;
    const n = text.length;
    this.reserve(n);
    const buf = this.buf;
    const at = this.start + mark;
    buf.copyWithin(at + n, at, this.len);
    buf.latin1Write(text, at, n);
    this.len += n;
  }

  private insertHeader(mark: number, type: number, n: number): void {
    if (this.openMarks > 0) this.openMarks--;
    if (!this.enabled) return;
    this.reserve(24);
    const buf = this.buf;
    const at = this.start + mark;
    const scratch = HEADER_SCRATCH;
    let h = 0;
    scratch[h++] = type;
    h = writeDigits(scratch, h, n);
    scratch[h++] = 13;
    scratch[h++] = 10;
    buf.copyWithin(at + h, at, this.len);
    for (let i = 0; i < h; i++) buf[at + i] = scratch[i] as number;
    this.len += h;
  }

  /** A bulk string from an integer (GET of an int-encoded value, ZRANK in WITHSCORE…). */
  bulkInteger(n: number | bigint): void {
    this.bulk(typeof n === 'number' ? intToString(n) : n.toString());
  }

  /** Absent value: $-1 in RESP2, _ in RESP3. */
  nullBulk(): void {
    this.constantReply(this.resp === 3 ? NULL3 : NULL_BULK);
  }

  /** Absent aggregate: *-1 in RESP2, _ in RESP3. */
  nullArray(): void {
    this.constantReply(this.resp === 3 ? NULL3 : NULL_ARRAY);
  }

  arrayHeader(n: number): void {
    if (n === 0) return this.constantReply(EMPTY_ARRAY);
    this.header(42, n); // '*'

  }

  emptyArray(): void {
    this.constantReply(EMPTY_ARRAY);
  }

  /** A map of n pairs: %n in RESP3, a flat array of 2n in RESP2. */
  mapHeader(n: number): void {
    if (this.resp === 3) this.header(37, n); // '%'
    else this.arrayHeader(n * 2);
  }

  /** A set of n members: ~n in RESP3, an array in RESP2. */
  setHeader(n: number): void {
    if (this.resp === 3) this.header(126, n); // '~'
    else this.arrayHeader(n);
  }

  /** An out-of-band message: >n in RESP3, an array in RESP2 (pub/sub). */
  pushHeader(n: number): void {
    if (this.resp === 3) this.header(62, n); // '>'
    else this.arrayHeader(n);
  }

  /** A double as Redis 7.0 sends it: ,d in RESP3, a bulk string of %.17g in RESP2. */
  double(d: number): void {
    const text = formatDouble17g(d);
    if (this.resp === 3) this.raw(',' + text + '\r\n');
    else this.bulk(text);
  }

  /** A boolean: #t/#f in RESP3, :1/:0 in RESP2. */
  bool(value: boolean): void {
    if (this.resp === 3) this.constantReply(value ? TRUE3 : FALSE3);
    else this.constantReply(value ? ONE : ZERO);
  }

  /** Verbatim text (INFO, CLIENT LIST…): =len\r\ntxt:… in RESP3, a bulk string in RESP2. */
  verbatim(text: string, format = 'txt'): void {
    if (this.resp === 3) {
      const body = format + ':' + text;
      this.raw('=' + intToString(body.length) + '\r\n' + body + '\r\n');
    } else {
      this.bulk(text);
    }
  }

  /** Verbatim text already in bytes (LOLWUT's art): as verbatim, without a string of it. */
  verbatimBuffer(text: Buffer, format = 'txt'): void {
    if (!this.enabled) return;
    if (this.resp === 3) {
      this.raw('=' + intToString(format.length + 1 + text.length) + '\r\n' + format + ':');
      this.reserve(text.length + 2);
      this.len += text.copy(this.buf, this.len);
      this.buf[this.len++] = 13;
      this.buf[this.len++] = 10;
    } else {
      this.bulkBuffer(text);
    }
  }

  /** A big number: (n in RESP3, a bulk string in RESP2. */
  bigNumber(n: bigint | string): void {
    if (this.resp === 3) this.raw('(' + n.toString() + '\r\n');
    else this.bulk(n.toString());
  }

  /** An array of bulk strings. */
  bulkArray(values: readonly string[]): void {
    this.arrayHeader(values.length);
    for (let i = 0; i < values.length; i++) this.bulk(values[i] as string);
  }
}

/** The number of decimal digits of a non-negative integer below 2^53. */
function digitCount(n: number): number {
  if (n < 10) return 1;
  if (n < 1e9) return n < 1e3 ? (n < 100 ? 2 : 3) : n < 1e6 ? (n < 1e4 ? 4 : n < 1e5 ? 5 : 6) : n < 1e7 ? 7 : n < 1e8 ? 8 : 9;
  let digits = 10;
  for (let pow = 1e10; n >= pow && digits < 16; pow *= 10) digits++;
  return digits;
}

/** Above this, a frame's bytes are not kept for the next message. */
const FRAME_KEEP_BYTES = 64 * 1024;

/**
 * A Pub/Sub message (`message`, channel, payload; or `pmessage` with its pattern) encoded once
 * and copied to every receiver, rather than encoded again for each: with 10 receivers the
 * encoding was a third of PUBLISH's CPU. Held in RESP2 form; pushFrame gives it RESP3's header.
 */
export class PushFrame {
  bytes: Buffer = Buffer.allocUnsafe(256);
  length = 0;
  /** The encoded message: `bytes` up to `length`. */
  view: Buffer = this.bytes.subarray(0, 0);

  /** Encodes the message; `pattern` is null for a channel's message. */
  encode(kind: string, pattern: string | null, channel: string, message: string): void {
    // The array's header, then per bulk: '$', up to 16 digits, two CRLFs.
    const need = 4 + 4 * 21 + kind.length + (pattern === null ? 0 : pattern.length) + channel.length + message.length;
    if (need > this.bytes.length || this.bytes.length > FRAME_KEEP_BYTES) this.bytes = Buffer.allocUnsafe(Math.max(256, need));
    const buf = this.bytes;
    let p = 0;
    buf[p++] = 42; // '*'
    buf[p++] = pattern === null ? 51 : 52; // 3 or 4
    buf[p++] = 13;
    buf[p++] = 10;
    p = frameBulk(buf, p, kind);
    if (pattern !== null) p = frameBulk(buf, p, pattern);
    p = frameBulk(buf, p, channel);
    p = frameBulk(buf, p, message);
    this.length = p;
    this.view = buf.subarray(0, p);
  }
}

function frameBulk(buf: Buffer, p: number, value: string): number {
  const n = value.length;
  buf[p++] = 36; // '$'
  p = writeDigits(buf, p, n);
  buf[p++] = 13;
  buf[p++] = 10;
  if (n < 32) for (let i = 0; i < n; i++) buf[p++] = value.charCodeAt(i);
  else p += buf.latin1Write(value, p);
  buf[p++] = 13;
  buf[p++] = 10;
  return p;
}

/** Writes the decimal digits of a non-negative integer at `p`; returns the position after them. */
function writeDigits(buf: Buffer, p: number, n: number): number {
  if (n < 10) {
    buf[p] = 48 + n;
    return p + 1;
  }
  if (n < 100) {
    buf[p] = 48 + ((n / 10) | 0);
    buf[p + 1] = 48 + (n % 10);
    return p + 2;
  }
  if (n <= 0x7fffffff) {
    // Within int32, `| 0` division is exact and much cheaper than Math.floor on a double.
    const digits = n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
    const stop = p + digits;
    let end = stop;
    // `| 0` keeps the arithmetic on integers (a number computed as a double would take fmod).
    for (let v = n | 0; end > p; v = (v / 10) | 0) buf[--end] = 48 + (v % 10);
    return stop;
  }
  // Beyond int32 (ms timestamps, stream IDs): the digits above the last nine, then those nine,
  // each part within int32 so that `| 0` division applies.
  let high = Math.floor(n / 1e9);
  let low = n - high * 1e9;
  // The quotient is rounded: near a multiple of 1e9 it can be one off (the subtraction is exact).
  if (low < 0) {
    high--;
    low += 1e9;
  } else if (low >= 1e9) {
    high++;
    low -= 1e9;
  }
  p = writeDigits(buf, p, high);
  for (let i = p + 9, v = low | 0; i > p; v = (v / 10) | 0) buf[--i] = 48 + (v % 10);
  return p + 9;
}
