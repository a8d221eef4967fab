/**
 * CLIENT LIST / CLIENT INFO memory figures (qbuf, qbuf-free, argv-mem, multi-mem, tot-mem) in the
 * shape Redis 7.0 gives them (networking.c getClientMemoryUsage), so that monitoring tools read
 * the same story: a client mid-command holds query buffer and arguments, an idle client's query
 * buffer is trimmed to nothing by the cron. nodis keeps the socket's chunks rather than one
 * growing buffer, so the capacity shown is the one Redis's query buffer would have for the bytes
 * the parser really holds; sizes are rounded up to jemalloc's size classes as Redis's are.
 * Computed only when a client is described, never on the way of a command.
 */

import { mallocSize } from '../server/memory.js';

/** Redis's PROTO_IOBUF_LEN: a read asks for room for 16 KB at least. */
const IOBUF_LEN = 16 * 1024;
/** What Redis 7.0's client struct takes on a 64-bit build (zmalloc_size of it). */
const CLIENT_STRUCT_SIZE = 768;
/** Redis's reply buffer as nodis shows it (rbs=), counted in tot-mem as Redis counts buf_usable_size. */
export const REPLY_BUFFER_SIZE = 16 * 1024;
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
  const first = sdsRoomFor(IOBUF_LEN);
  if (held <= first) return first;
  return sdsRoomFor(held < 1024 * 1024 ? 2 * held : held + 1024 * 1024);
}

/** The state of a client the figures are computed from. */
export interface ClientMemoryState {
  /** Bytes of the query buffer: unparsed input, plus the current read's parsed part while a command of it runs. */
  queryBuffer: number;
  queryBufferCapacity: number;
  /** The arguments held: of the running, blocked or postponed command, or those read of a partial one. */
  argvBytes: number;
  argvCount: number;
  /** Queued transaction commands (null outside MULTI). */
  multiQueue: ReadonlyArray<{ readonly argv: readonly string[] }> | null;
  watchedKeys: number;
  channels: number;
  patterns: number;
  shardChannels: number;
  /** Output not yet written (omem). */
  outputBytes: number;
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

export function clientMemoryFigures(c: ClientMemoryState): ClientMemoryFigures {
  let multiMem = 0;
  let multiOverhead = 0;
  if (c.multiQueue !== null && c.multiQueue.length !== 0) {
    for (const queued of c.multiQueue) multiMem += argvBytes(queued.argv) + POINTER * queued.argv.length;
    // Room for 2 queued commands at first, doubled whenever full.
    let allocated = 2;
    while (allocated < c.multiQueue.length) allocated *= 2;
    multiOverhead = allocated * MULTI_CMD_SIZE;
  }
  const pubsub =
    c.patterns * LIST_NODE_SIZE +
    c.channels * DICT_ENTRY_SIZE +
    dictSlots(c.channels) * POINTER +
    c.shardChannels * DICT_ENTRY_SIZE +
    dictSlots(c.shardChannels) * POINTER;
  const totMem =
    c.outputBytes +
    mallocSize(c.queryBufferCapacity + sdsOverhead(c.queryBufferCapacity)) +
    CLIENT_STRUCT_SIZE +
    REPLY_BUFFER_SIZE +
    c.argvBytes +
    POINTER * c.argvCount +
    multiMem +
    multiOverhead +
    c.watchedKeys * WATCHED_KEY_SIZE +
    pubsub;
  return { qbufFree: c.queryBufferCapacity - c.queryBuffer, multiMem, totMem };
}
