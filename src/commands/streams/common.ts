/** What the stream commands share: type checks, ID arguments, entry replies, node limits. */
import type { Config } from '../../config/config.js';
import { RedisError, WRONGTYPE } from '../../errors.js';
import type { Database } from '../../keyspace/database.js';
import type { ReplyWriter } from '../../protocol/reply.js';
import {
  Stream, decodeElement, element, formatId, nextId, parseStreamId, previousId, type NodeLimits, type StreamId, type StreamIterator,
} from '../../types/stream/index.js';
import type { Value } from '../../types/value.js';
import type { CommandContext } from '../core/context.js';

export const ERR_INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
export const ERR_INVALID_START = 'ERR invalid start ID for the interval';
export const ERR_INVALID_END = 'ERR invalid end ID for the interval';

/**
 * The streams the running stream command looked up or made: their sizes are brought up to date
 * after it. The first `touchedCount` slots are in use; the array keeps its length (emptying it
 * with `length = 0` would drop its storage, allocated again by the next command's push).
 */
const touched: (Stream | null)[] = [];
let touchedCount = 0;

/** The stream stored at a key, undefined when there is none; WRONGTYPE for another type. */
export function asStream(value: Value | undefined): Stream | undefined {
  if (value === undefined) return value;
  if (value instanceof Stream) {
    touchStream(value);
    return value;
  }
  throw new RedisError(WRONGTYPE);
}

/** A stream the command changes or made: its size is reported to its database once the command is done. */
export function touchStream(stream: Stream): void {
  if (touchedCount !== 0 && touched[touchedCount - 1] === stream) return;
  touched[touchedCount++] = stream;
}

/** Reports the size changes of the streams the command touched (Stream.syncBytes). */
export function syncTouchedStreams(): void {
  for (let i = 0; i < touchedCount; i++) {
    (touched[i] as Stream).syncBytes();
    // Not kept alive by this list once the command is done (a deleted stream is garbage).
    touched[i] = null;
  }
  touchedCount = 0;
}

/**
 * A stream about to be changed in place by a command that looked it up for reading (XACK,
 * XCLAIM, XREADGROUP change the PELs): a running snapshot copies it first, as a lookup for
 * writing would have made it.
 */
export function beforeChange(db: Database, key: string): void {
  if (db.changeListener !== null) db.changeListener.beforeKeyChange(db, key);
}

/** streamParseIDOrReply: `-` and `+` allowed; an incomplete ID gets seq 0 or the largest. */
export function parseId(text: string, missingSeqMax = false): StreamId {
  const parsed = parseStreamId(text, missingSeqMax, false, false);
  if (parsed === null) throw new RedisError(ERR_INVALID_ID);
  return parsed.id;
}

/** streamParseStrictIDOrReply: no `-` or `+`. */
export function parseStrictId(text: string): StreamId {
  const parsed = parseStreamId(text, false, true, false);
  if (parsed === null) throw new RedisError(ERR_INVALID_ID);
  return parsed.id;
}

/**
 * A range bound (streamParseIntervalIDOrReply): `(` makes it exclusive, which for a start moves
 * it to the next ID and for an end to the previous one.
 */
export function parseRangeStart(text: string): StreamId {
  if (text.length > 1 && text.charCodeAt(0) === 40) {
    const parsed = parseStreamId(text.slice(1), false, true, false);
    if (parsed === null) throw new RedisError(ERR_INVALID_ID);
    const next = nextId(parsed.id);
    if (next === null) throw new RedisError(ERR_INVALID_START);
    return next;
  }
  return parseId(text, false);
}

export function parseRangeEnd(text: string): StreamId {
  if (text.length > 1 && text.charCodeAt(0) === 40) {
    const parsed = parseStreamId(text.slice(1), true, true, false);
    if (parsed === null) throw new RedisError(ERR_INVALID_ID);
    const previous = previousId(parsed.id);
    if (previous === null) throw new RedisError(ERR_INVALID_END);
    return previous;
  }
  return parseId(text, true);
}

/** Per server configuration, the node limits, kept up to date by CONFIG SET (two lookups per XADD otherwise). */
const limitsByConfig = new WeakMap<Config, NodeLimits>();

/** stream-node-max-bytes and stream-node-max-entries. */
let lastConfig: Config | null = null;
let lastLimits: NodeLimits | null = null;

export function nodeLimits(ctx: CommandContext): NodeLimits {
  const config = ctx.server.config;
  // One server per process is the rule: its limits without a WeakMap lookup.
  if (config === lastConfig) return lastLimits as NodeLimits;
  let limits = limitsByConfig.get(config);
  if (limits === undefined) {
    const current: NodeLimits = { maxBytes: config.getNumber('stream-node-max-bytes'), maxEntries: config.getNumber('stream-node-max-entries') };
    config.onChange('stream-node-max-bytes', () => (current.maxBytes = config.getNumber('stream-node-max-bytes')));
    config.onChange('stream-node-max-entries', () => (current.maxEntries = config.getNumber('stream-node-max-entries')));
    limitsByConfig.set(config, current);
    limits = current;
  }
  lastConfig = config;
  lastLimits = limits;
  return limits;
}

/** A listpack element as a bulk string, straight from the node's bytes. */
export function replyElement(reply: ReplyWriter, lp: Buffer, p: number): void {
  decodeElement(lp, p);
  if (element.isInt) reply.bulk(String(element.int));
  else reply.bulkBytes(lp, element.start, element.end);
}

/** An ID as a bulk string. */
export function replyId(reply: ReplyWriter, id: StreamId): void {
  if (id.msHi < 2097152 && id.seqHi < 2097152) reply.bulkDashed(id.msHi * 4294967296 + id.msLo, id.seqHi * 4294967296 + id.seqLo);
  else reply.bulk(formatId(id));
}

/** The iterator's current entry as [id, [field, value…]]. */
export function replyEntry(reply: ReplyWriter, it: StreamIterator): void {
  reply.arrayHeader(2);
  if (it.small) reply.bulkDashed(it.ms, it.seq);
  else reply.bulk(formatId(it));
  const n = it.numFields;
  reply.arrayHeader(n * 2);
  const lp = it.lp;
  for (let i = 0; i < n; i++) {
    replyElement(reply, lp, it.nextField());
    replyElement(reply, lp, it.nextValue());
  }
}

/**
 * The entries from start to end (either may be null for the stream's edge), at most `count`
 * (0 = all), as an array (streamReplyWithRange without a group); the number sent.
 */
export function replyRange(reply: ReplyWriter, stream: Stream, start: StreamId | null, end: StreamId | null, count: number, reverse: boolean): number {
  const mark = reply.deferredMark();
  const sent = replyRawRange(reply, stream, start, end, count, reverse);
  reply.deferredArray(mark, sent);
  return sent;
}

/** The entries of replyRange without the array around them (STREAM_RWR_RAWENTRIES). */
export function replyRawRange(reply: ReplyWriter, stream: Stream, start: StreamId | null, end: StreamId | null, count: number, reverse: boolean): number {
  const it = stream.iterator(start, end, reverse);
  let sent = 0;
  while (it.next()) {
    replyEntry(reply, it);
    if (++sent === count) break;
  }
  return sent;
}
