/**
 * A client's memory as Redis 7.0 counts it (networking.c getClientMemoryUsage): CLIENT LIST's
 * qbuf, qbuf-free, argv-mem, multi-mem and tot-mem, and the figure that INFO mem_clients_normal,
 * used_memory and maxmemory-clients add up (net/clients-memory.ts), so that monitoring tools
 * read the same story: a client mid-command holds query buffer and arguments, an idle client's
 * query buffer is trimmed to nothing by the cron. nodis keeps the socket's chunks rather than
 * one growing buffer, so the capacity shown is the one Redis's query buffer would have for the
 * bytes the parser really holds; sizes are rounded up to jemalloc's size classes as Redis's
 * are. Every input is a count the client keeps, so the figure costs a few additions: it is
 * taken after each batch of input and each write.
 */

import { mallocSize } from '../server/memory.js';

/** Redis's PROTO_IOBUF_LEN: a read asks for room for 16 KB at least. */
const IOBUF_LEN = 16 * 1024;
/** What Redis 7.0's client struct takes on a 64-bit build (zmalloc_size of it). */
const CLIENT_STRUCT_SIZE = 768;
/** Redis's reply buffer (PROTO_REPLY_CHUNK_BYTES): its size at first and at most (rbs=), counted in tot-mem. */
export const REPLY_BUFFER_SIZE = 16 * 1024;
/** Redis's PROTO_REPLY_MIN_BYTES: the cron never shrinks a reply buffer below this. */
const REPLY_BUFFER_MIN_SIZE = 1024;
/** Redis's REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME (ms). */
const REPLY_BUFFER_PEAK_RESET_MS = 5000;
const POINTER = 8;
/** sizeof(multiCmd): one queued command of a transaction. */
const MULTI_CMD_SIZE = 24;
/** A watched key: its list node and watchedKey struct. */
const WATCHED_KEY_SIZE = 56;
/** A pattern subscription's list node; a channel's dict entry. */
const LIST_NODE_SIZE = 24;
const DICT_ENTRY_SIZE = 24;

/** Header plus terminator of an sds string able to hold `len` bytes. */
function sdsOverhead(len: number): number {
  const header = len < 1 << 8 ? 3 : len < 1 << 16 ? 5 : len < 2 ** 32 ? 9 : 17;
  return header + 1;
}

/** The room an sds string gets when asked for `len` bytes: the whole size class, less its header. */
function sdsRoomFor(len: number): number {
  const overhead = sdsOverhead(len);
  return mallocSize(len + overhead) - overhead;
}

/**
 * Capacity of Redis's query buffer holding `held` bytes: 16 KB asked at the first read (20474
 * with jemalloc), grown greedily (double, or +1 MB past 1 MB) for bigger pipelines, sized to the
 * argument while a big bulk is read, and trimmed to the bytes held once the client stayed idle.
 */
export function queryBufferCapacity(held: number, trimmed: boolean, bigArgCapacity: number): number {
  if (trimmed) return held;
  if (bigArgCapacity !== 0) return Math.max(held, bigArgCapacity);
  if (held <= FIRST_READ_CAPACITY) return FIRST_READ_CAPACITY;
  return sdsRoomFor(held < 1024 * 1024 ? 2 * held : held + 1024 * 1024);
}

/** The room of a query buffer never read into (sdsempty(): jemalloc's smallest class less the header). */
export const EMPTY_QUERY_BUFFER_ROOM = sdsRoomFor(0);

/** The query buffer's room after a first read (20474 with jemalloc), and its allocation. */
const FIRST_READ_CAPACITY = sdsRoomFor(IOBUF_LEN);
const FIRST_READ_ALLOCATION = mallocSize(FIRST_READ_CAPACITY + sdsOverhead(FIRST_READ_CAPACITY));

/** What a query buffer of this capacity takes from the allocator (Redis's sdsZmallocSize). */
function queryBufferAllocation(capacity: number): number {
  return capacity === FIRST_READ_CAPACITY ? FIRST_READ_ALLOCATION : mallocSize(capacity + sdsOverhead(capacity));
}

/**
 * Redis's static reply buffer, as the cron resizes it (clientsCronResizeOutputBuffer): halved
 * or more down to its recent peak when that is under half of it, doubled up to 16 KB when the
 * peak filled it, the peak forgotten every 5 seconds. An idle client's shrinks to 1 KB.
 */
export class ReplyBufferModel {
  /** rbs=: the buffer's size. */
  size = REPLY_BUFFER_SIZE;
  /** rbp=: the most it held since the peak was last reset (Redis starts it at the size). */
  peak = REPLY_BUFFER_SIZE;
  /**
   * When the peak was last reset (ms). Redis stores its creation time in seconds there and
   * compares it with milliseconds, so its first cron visit resets the peak: 0 does the same.
   */
  private peakResetAt = 0;

  /** A batch of `bytes` of output: Redis's static buffer took as much of it as fits. */
  wrote(bytes: number): void {
    if (bytes > this.peak) this.peak = Math.min(bytes, this.size);
  }

  /** The cron's visit; `pending`: output not written yet (what the buffer holds now). */
  resize(nowMs: number, pending: number): void {
    let next = 0;
    const half = Math.floor(this.size / 2);
    if (half >= REPLY_BUFFER_MIN_SIZE && this.peak < half) next = Math.max(REPLY_BUFFER_MIN_SIZE, this.peak + 1);
    else if (this.size * 2 < REPLY_BUFFER_SIZE * 2 && this.peak === this.size) next = Math.min(REPLY_BUFFER_SIZE, this.size * 2);
    if (nowMs - this.peakResetAt >= REPLY_BUFFER_PEAK_RESET_MS) {
      this.peak = Math.min(pending, this.size);
      this.peakResetAt = nowMs;
    }
    // The allocator's size class is what the buffer gets (zmalloc_usable).
    if (next !== 0) this.size = mallocSize(next);
  }
}

/** sizeof(clientReplyBlock): a reply list node's header (size, used) before its bytes. */
const REPLY_BLOCK_HEADER = 16;
/** sizeof(listNode) + sizeof(clientReplyBlock): what each node adds to omem besides its room. */
const REPLY_NODE_OVERHEAD = 24 + REPLY_BLOCK_HEADER;

/**
 * Where Redis 7.0 would hold a client's unsent output (networking.c): its static reply buffer
 * first (obl=, at most rbs bytes, taken only while the reply list is empty, and reusable only
 * once all of it was sent), the rest in a list of blocks of 16 KB at least, each as big as the
 * allocator's size class (oll= blocks, omem= their room plus a node's overhead each). Writes
 * take the buffer's bytes first, then the blocks' in order, freeing each block once sent.
 *
 * nodis sees its output per batch written rather than per reply added, so a batch is one
 * append here: the buffer and the block it spills into are Redis's, but where Redis would have
 * filled a run of 16 KB blocks with many small replies this holds one block of their size.
 */
export class OutputBufferModel {
  /** obl=: bytes in the static buffer, sent or not (Redis's bufpos). */
  bufferUsed = 0;
  private bufferSent = 0;
  /** The blocks' room and bytes, from `head` on (earlier slots were sent and are reused). */
  private sizes: number[] = [];
  private used: number[] = [];
  private head = 0;
  private headSent = 0;
  /** The room of the blocks (Redis's reply_bytes), and the bytes they hold. */
  private replyBytes = 0;
  private blockBytes = 0;
  /** Bytes appended so far, and of those, sent. */
  appended = 0;

  /** oll=: blocks in the reply list. */
  get blocks(): number {
    return this.sizes.length - this.head;
  }

  /** omem=: what the reply list takes (getClientOutputBufferMemoryUsage). */
  get memory(): number {
    return this.replyBytes + REPLY_NODE_OVERHEAD * this.blocks;
  }

  /** Unsent bytes. */
  get pending(): number {
    return this.bufferUsed - this.bufferSent + this.blockBytes - this.headSent;
  }

  /** `len` bytes of output added (_addReplyToBufferOrList), the static buffer being `bufferSize` bytes. */
  append(len: number, bufferSize: number): void {
    this.appended += len;
    if (this.blocks === 0) {
      const take = Math.min(len, Math.max(0, bufferSize - this.bufferUsed));
      this.bufferUsed += take;
      len -= take;
    }
    if (len === 0) return;
    const last = this.sizes.length - 1;
    if (this.blocks !== 0) {
      const copy = Math.min(len, (this.sizes[last] as number) - (this.used[last] as number));
      this.used[last] = (this.used[last] as number) + copy;
      this.blockBytes += copy;
      len -= copy;
    }
    if (len === 0) return;
    const size = mallocSize(Math.max(len, REPLY_BUFFER_SIZE) + REPLY_BLOCK_HEADER) - REPLY_BLOCK_HEADER;
    this.sizes.push(size);
    this.used.push(len);
    this.replyBytes += size;
    this.blockBytes += len;
  }

  /** `n` bytes were written to the socket (_writevToClient). */
  sent(n: number): void {
    if (this.bufferUsed > 0) {
      const left = this.bufferUsed - this.bufferSent;
      if (n < left) {
        this.bufferSent += n;
        return;
      }
      this.bufferUsed = 0;
      this.bufferSent = 0;
      n -= left;
    }
    while (n > 0 && this.head < this.sizes.length) {
      const left = (this.used[this.head] as number) - this.headSent;
      if (n < left) {
        this.headSent += n;
        return;
      }
      n -= left;
      this.replyBytes -= this.sizes[this.head] as number;
      this.blockBytes -= this.used[this.head] as number;
      this.head++;
      this.headSent = 0;
    }
    if (this.head === this.sizes.length) {
      this.sizes.length = 0;
      this.used.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.sizes.length) {
      // A client that never catches up: the slots of sent blocks are let go now and then.
      this.sizes.splice(0, this.head);
      this.used.splice(0, this.head);
      this.head = 0;
    }
  }

  /**
   * Brings the model to the client's output: `appendedTotal` bytes added so far, `unsent` of all
   * added still to be written.
   */
  follow(appendedTotal: number, unsent: number, bufferSize: number): void {
    if (appendedTotal <= this.appended) {
      // Output dropped before it was written (a client closed for its limits) is as if sent.
      this.appended = appendedTotal;
      if (this.pending > unsent) this.sent(this.pending - unsent);
      return;
    }
    // What went out of the output held already is applied first, as Redis writes before it
    // adds more: a buffer sent in full is free for the new bytes (all of them still unsent).
    const added = appendedTotal - this.appended;
    const olderUnsent = Math.max(0, unsent - added);
    if (this.pending > olderUnsent) this.sent(this.pending - olderUnsent);
    this.append(added, bufferSize);
  }
}

/** The state of a client the figures are computed from. */
export interface ClientMemoryState {
  /** Bytes of the query buffer: unparsed input, plus the current read's parsed part while a command of it runs. */
  queryBuffer: number;
  queryBufferCapacity: number;
  /** The arguments held: of the running, blocked or postponed command, or those read of a partial one. */
  argvBytes: number;
  argvCount: number;
  /** Room of the array holding them (Redis's argv_len). */
  argvSlots: number;
  /** Queued transaction commands (0 outside MULTI, or before the first is queued) and their arguments' bytes (MultiState.queuedBytes). */
  multiCommands: number;
  multiBytes: number;
  watchedKeys: number;
  channels: number;
  patterns: number;
  shardChannels: number;
  /** What the reply list takes (omem=, OutputBufferModel), not the static buffer's bytes: those are in rbs. */
  outputBytes: number;
  /** The size of Redis's static reply buffer (rbs=, ReplyBufferModel). */
  replyBufferSize: number;
}

export interface ClientMemoryFigures {
  qbufFree: number;
  multiMem: number;
  totMem: number;
}

export function argvBytes(argv: readonly string[]): number {
  let bytes = 0;
  for (const arg of argv) bytes += arg.length;
  return bytes;
}

/** Slots of a Redis dict holding `size` entries (a power of two, 4 at least). */
function dictSlots(size: number): number {
  if (size === 0) return 0;
  let slots = 4;
  while (slots < size) slots *= 2;
  return slots;
}

/** Room for queued commands: 2 at first, doubled whenever full (Redis's mstate.alloc_count). */
function multiSlots(count: number): number {
  if (count === 0) return 0;
  let allocated = 2;
  while (allocated < count) allocated *= 2;
  return allocated;
}

/**
 * The query buffer's allocation, the arguments' bytes and their array (Redis's in_usage of
 * clientsCronTrackExpansiveClients: INFO client_recent_max_input_buffer).
 */
export function clientInputMemory(c: ClientMemoryState): number {
  return queryBufferAllocation(c.queryBufferCapacity) + c.argvBytes + (c.argvSlots === 0 ? 0 : mallocSize(POINTER * c.argvSlots));
}

/**
 * Redis's argv_len for a multibulk of `total` arguments of which `read` have arrived: room for
 * 1024 at most at first, doubled (up to the total) when full.
 */
export function argvSlots(total: number, read: number): number {
  let slots = Math.min(total, 1024);
  while (slots < read) slots = Math.min(slots * 2, total);
  return slots;
}

/** tot-mem: everything the client holds (Redis's getClientMemoryUsage). */
export function clientTotalMemory(c: ClientMemoryState): number {
  let total =
    c.outputBytes +
    queryBufferAllocation(c.queryBufferCapacity) +
    CLIENT_STRUCT_SIZE +
    c.replyBufferSize +
    c.argvBytes +
    POINTER * c.argvCount +
    c.watchedKeys * WATCHED_KEY_SIZE;
  if (c.multiCommands !== 0) total += c.multiBytes + multiSlots(c.multiCommands) * MULTI_CMD_SIZE;
  if (c.patterns !== 0) total += c.patterns * LIST_NODE_SIZE;
  if (c.channels !== 0) total += c.channels * DICT_ENTRY_SIZE + dictSlots(c.channels) * POINTER;
  if (c.shardChannels !== 0) total += c.shardChannels * DICT_ENTRY_SIZE + dictSlots(c.shardChannels) * POINTER;
  return total;
}

export function clientMemoryFigures(c: ClientMemoryState): ClientMemoryFigures {
  return { qbufFree: c.queryBufferCapacity - c.queryBuffer, multiMem: c.multiBytes, totMem: clientTotalMemory(c) };
}
