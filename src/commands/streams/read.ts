/**
 * XREAD and XREADGROUP (Redis's xreadCommand, streamReplyWithRange with a group, and
 * serveClientsBlockedOnStreamKey for the clients they block).
 *
 * Propagation: XREADGROUP is never emitted as itself. What it changed is emitted as commands
 * that set it: an XCLAIM … FORCE JUSTID LASTID per entry it added to a PEL, XGROUP SETID …
 * ENTRIESREAD when NOACK moved the group's last ID, XGROUP CREATECONSUMER for a consumer NOACK
 * created (Redis's streamPropagateXCLAIM / streamPropagateGroupID / streamPropagateConsumerCreation).
 */
import { RedisError, ERR_SYNTAX } from '../../errors.js';
import type { ReplyWriter } from '../../protocol/reply.js';
import {
  ENTRIES_READ_INVALID, MAX_ID, MIN_ID, PendingEntry, Stream, compareIds, formatId, idFromKey, idKey, isMaxId, nextId,
  type Consumer, type ConsumerGroup, type StreamId,
} from '../../types/stream/index.js';
import type { Value } from '../../types/value.js';
import { getLongLong } from '../../util/parse.js';
import type { CommandCode, CommandContext, StreamWaiter } from '../core/context.js';
import { asStream, beforeChange, parseStrictId, replyEntry, replyRawRange } from './common.js';

/** The COUNT a blocked XREAD without one is served with (XREAD_BLOCKED_DEFAULT_COUNT). */
const BLOCKED_DEFAULT_COUNT = 1000;
/** LLONG_MAX, as near as a number gets. */
const LLONG_MAX = 2 ** 63;

/** Text as a C %s prints it: up to the first NUL (Redis's formatted error messages). */
export function cText(s: string): string {
  const nul = s.indexOf('\0');
  return nul === -1 ? s : s.slice(0, nul);
}

/** What XREADGROUP reads with: the group, the consumer's name, NOACK. */
export interface GroupRead {
  groupName: string;
  consumerName: string;
  noack: boolean;
}

/**
 * The consumer of a read (streamLookupConsumer, refreshing its seen time, else
 * streamCreateConsumer with its notification and dirty count). A consumer created by a NOACK
 * read is propagated on its own: no XCLAIM will create it on the other side.
 */
export function readingConsumer(ctx: CommandContext, key: string, group: ConsumerGroup, read: GroupRead, now: number): Consumer {
  const existing = group.consumers.get(read.consumerName);
  if (existing !== undefined) {
    existing.seenTime = now;
    return existing;
  }
  const consumer = group.createConsumer(read.consumerName, now) as Consumer;
  ctx.server.dirty++;
  ctx.db.notify('t', 'xgroup-createconsumer', key);
  if (read.noack) {
    const propagation = ctx.server.propagation;
    if (propagation.active) propagation.also(ctx.db.id, ['XGROUP', 'CREATECONSUMER', key, read.groupName, read.consumerName]);
  }
  return consumer;
}

/** XCLAIM key group consumer 0 id TIME … RETRYCOUNT … FORCE JUSTID LASTID …: a PEL entry as it is now. */
export function propagateClaim(ctx: CommandContext, key: string, groupName: string, group: ConsumerGroup, id: string, entry: PendingEntry): void {
  const propagation = ctx.server.propagation;
  if (!propagation.active) return;
  propagation.also(ctx.db.id, [
    'XCLAIM', key, groupName, (entry.consumer as Consumer).name, '0', id, 'TIME', String(entry.deliveryTime),
    'RETRYCOUNT', String(entry.deliveryCount), 'FORCE', 'JUSTID', 'LASTID', formatId(group.lastId),
  ]);
}

/** XGROUP SETID key group id ENTRIESREAD n: the group's position as it is now. */
export function propagateGroupId(ctx: CommandContext, key: string, groupName: string, group: ConsumerGroup): void {
  const propagation = ctx.server.propagation;
  if (!propagation.active) return;
  propagation.also(ctx.db.id, ['XGROUP', 'SETID', key, groupName, formatId(group.lastId), 'ENTRIESREAD', String(group.entriesRead)]);
}

/**
 * New entries from `start` on for a group's consumer (streamReplyWithRange with a group): moves
 * the group's last ID and read counter, and adds each entry to the PELs unless NOACK. Replies
 * with the array of entries; returns how many.
 */
function replyGroupRange(
  ctx: CommandContext, stream: Stream, key: string, start: StreamId, count: number, group: ConsumerGroup, consumer: Consumer, read: GroupRead,
  now: number,
): number {
  const reply = ctx.reply;
  const mark = reply.deferredMark();
  const it = stream.iterator(start, null, false);
  let sent = 0;
  let propagateLastId = false;
  while (it.next()) {
    const id = it.id;
    if (compareIds(id, group.lastId) > 0) {
      if (group.entriesRead !== ENTRIES_READ_INVALID && !stream.rangeHasTombstones(id, null)) {
        group.entriesRead = typeof group.entriesRead === 'number' ? group.entriesRead + 1 : group.entriesRead + 1n;
      } else if (stream.entriesAdded !== 0) {
        group.entriesRead = stream.estimateDistance(id);
      }
      group.lastId = id;
      if (read.noack) propagateLastId = true;
    }
    replyEntry(reply, it);
    if (!read.noack) {
      const entryKey = idKey(id);
      let entry = group.pel.get(entryKey);
      if (entry === undefined) {
        entry = new PendingEntry(now, 1, consumer);
        group.pel.set(entryKey, entry);
        consumer.pel.set(entryKey, entry);
      } else {
        // Delivered before (XGROUP SETID moved the group back): it is this consumer's now.
        (entry.consumer as Consumer).pel.delete(entryKey);
        entry.consumer = consumer;
        entry.deliveryTime = now;
        entry.deliveryCount = 1;
        consumer.pel.set(entryKey, entry);
      }
      propagateClaim(ctx, key, read.groupName, group, formatId(id), entry);
    }
    if (++sent === count) break;
  }
  if (propagateLastId) propagateGroupId(ctx, key, read.groupName, group);
  reply.deferredArray(mark, sent);
  return sent;
}

/**
 * A consumer's own pending entries from `start` on (streamReplyWithRangeFromConsumerPEL): each
 * is delivered again (its time and count updated); one no longer in the stream is sent as its
 * ID and a null.
 */
function replyConsumerHistory(reply: ReplyWriter, stream: Stream, start: StreamId, count: number, consumer: Consumer, now: number): void {
  const mark = reply.deferredMark();
  let sent = 0;
  consumer.pel.walkFrom(idKey(start), (entryKey, entry) => {
    if (count !== 0 && sent >= count) return false;
    const id = idFromKey(entryKey);
    if (replyRawRange(reply, stream, id, id, 1, false) === 0) {
      reply.arrayHeader(2);
      reply.bulk(formatId(id));
      reply.nullArray();
    } else {
      entry.deliveryTime = now;
      entry.deliveryCount++;
    }
    sent++;
    return true;
  });
  reply.deferredArray(mark, sent);
}

/** XREAD/XREADGROUP's BLOCK argument (getTimeoutFromObjectOrReply in ms): an absolute deadline, 0 = none. */
function parseBlockTimeout(text: string): number {
  const ms = getLongLong(text, 'ERR timeout is not an integer or out of range');
  if (ms < 0) throw new RedisError('ERR timeout is negative');
  if (ms === 0) return 0;
  const now = Date.now();
  // Redis adds the time to a long long: past LLONG_MAX it wraps negative, which times out at once.
  return ms > LLONG_MAX - now ? 1 : now + ms;
}

function xreadGeneric(ctx: CommandContext, argv: string[], xreadgroup: boolean): void {
  // Nothing of the command itself is propagated: see the top of this file.
  ctx.server.propagation.prevent();
  const argc = argv.length;
  let deadline = -1;
  let count = 0;
  let streamsArg = 0;
  let streamsCount = 0;
  let read: GroupRead | null = null;
  let noack = false;
  for (let i = 1; i < argc; i++) {
    const moreArgs = argc - i - 1;
    const opt = (argv[i] as string).toLowerCase();
    if (opt === 'block' && moreArgs > 0) {
      if (ctx.caller === 'script') throw new RedisError(`ERR ${cText(argv[0] as string)} command is not allowed with BLOCK option from scripts`);
      i++;
      deadline = parseBlockTimeout(argv[i] as string);
    } else if (opt === 'count' && moreArgs > 0) {
      i++;
      count = getLongLong(argv[i] as string);
      if (count < 0) count = 0;
    } else if (opt === 'streams' && moreArgs > 0) {
      streamsArg = i + 1;
      streamsCount = argc - streamsArg;
      if (streamsCount % 2 !== 0) {
        throw new RedisError("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      }
      streamsCount /= 2;
      break;
    } else if (opt === 'group' && moreArgs >= 2) {
      if (!xreadgroup) throw new RedisError('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
      read = { groupName: argv[i + 1] as string, consumerName: argv[i + 2] as string, noack: false };
      i += 2;
    } else if (opt === 'noack') {
      if (!xreadgroup) throw new RedisError('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
      noack = true;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  if (streamsArg === 0) throw new RedisError(ERR_SYNTAX);
  if (xreadgroup && read === null) throw new RedisError('ERR Missing GROUP option for XREADGROUP');
  if (read !== null) read.noack = noack;

  const db = ctx.db;
  const ids: StreamId[] = new Array<StreamId>(streamsCount);
  const groups: (ConsumerGroup | null)[] = new Array<ConsumerGroup | null>(streamsCount).fill(null);
  for (let i = streamsArg + streamsCount; i < argc; i++) {
    const index = i - streamsArg - streamsCount;
    const key = argv[i - streamsCount] as string;
    const stream = asStream(db.lookupRead(key));
    if (read !== null) {
      const group = stream?.groups?.get(read.groupName);
      if (stream === undefined || group === undefined) {
        throw new RedisError(`NOGROUP No such key '${cText(key)}' or consumer group '${cText(read.groupName)}' in XREADGROUP with GROUP option`);
      }
      groups[index] = group;
    }
    const text = argv[i] as string;
    if (text === '$') {
      if (xreadgroup) {
        throw new RedisError(
          'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a ' +
            'proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
        );
      }
      ids[index] = stream === undefined ? MIN_ID : stream.lastId;
    } else if (text === '>') {
      if (!xreadgroup) {
        throw new RedisError('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
      }
      // The largest ID stands for ">": served from the group's last delivered ID.
      ids[index] = MAX_ID;
    } else {
      ids[index] = parseStrictId(text);
    }
  }

  // Serve at once what can be.
  const reply = ctx.reply;
  const now = Date.now();
  let served = 0;
  let mark = 0;
  for (let i = 0; i < streamsCount; i++) {
    const key = argv[streamsArg + i] as string;
    const stream = db.lookupRead(key) as Stream | undefined;
    if (stream === undefined) continue;
    let gt = ids[i] as StreamId;
    const group = groups[i] as ConsumerGroup | null;
    let serveNow = false;
    let history = false;
    if (group !== null) {
      if (!isMaxId(gt)) {
        serveNow = true;
        history = true;
      } else if (stream.length !== 0 && compareIds(stream.lastValidId(), group.lastId) > 0) {
        serveNow = true;
        gt = group.lastId;
      }
    } else if (stream.length !== 0 && compareIds(stream.lastValidId(), gt) > 0) {
      serveNow = true;
    }
    if (!serveNow) continue;
    if (served++ === 0) mark = reply.deferredMark();
    // From the ID after gt (wrapping to 0-0 past the largest, as streamIncrID leaves it).
    const start = nextId(gt) ?? MIN_ID;
    if (reply.resp === 2) reply.arrayHeader(2);
    reply.bulk(key);
    if (group !== null) {
      const groupRead = read as GroupRead;
      beforeChange(db, key);
      const consumer = readingConsumer(ctx, key, group, groupRead, now);
      if (history) replyConsumerHistory(reply, stream, start, count, consumer, now);
      else replyGroupRange(ctx, stream, key, start, count, group, consumer, groupRead, now);
      ctx.server.dirty++;
    } else {
      const m = reply.deferredMark();
      reply.deferredArray(m, replyRawRange(reply, stream, start, null, count, false));
    }
  }
  if (served !== 0) {
    if (reply.resp === 2) reply.deferredArray(mark, served);
    else reply.deferredMap(mark, served);
    return;
  }
  if (deadline !== -1) {
    // MULTI/EXEC and scripts cannot wait: as if timed out.
    if (ctx.inMulti) return reply.nullArray();
    const keys = argv.slice(streamsArg, streamsArg + streamsCount);
    const waits = new Map<string, StreamId>();
    for (let i = 0; i < streamsCount; i++) if (!waits.has(keys[i] as string)) waits.set(keys[i] as string, ids[i] as StreamId);
    ctx.server.blockForStreams(ctx, argv, keys, deadline, new StreamWait(waits, read, count === 0 ? BLOCKED_DEFAULT_COUNT : count));
    return;
  }
  reply.nullArray();
}

/** A client blocked in XREAD or XREADGROUP: when it can be answered, and how (serveClientsBlockedOnStreamKey). */
class StreamWait implements StreamWaiter {
  constructor(
    /** Per key, the ID entries must be above (XREAD). */
    private readonly ids: Map<string, StreamId>,
    private readonly read: GroupRead | null,
    private readonly count: number,
  ) {}

  ready(key: string, value: Value | undefined): boolean {
    // A read by a group is answered with an error once the stream or the group is gone.
    if (!(value instanceof Stream)) return this.read !== null;
    let gt: StreamId;
    if (this.read !== null) {
      const group = value.groups?.get(this.read.groupName);
      if (group === undefined) return true;
      gt = group.lastId;
    } else {
      gt = this.ids.get(key) as StreamId;
    }
    return compareIds(value.lastId, gt) > 0;
  }

  serve(ctx: CommandContext, key: string): void {
    const db = ctx.db;
    const value = db.lookupWrite(key);
    if (!(value instanceof Stream)) throw new RedisError('UNBLOCKED the stream key no longer exists');
    const reply = ctx.reply;
    const read = this.read;
    let group: ConsumerGroup | undefined;
    let gt: StreamId;
    if (read !== null) {
      group = value.groups?.get(read.groupName);
      if (group === undefined) throw new RedisError('NOGROUP the consumer group this client was blocked on no longer exists');
      gt = group.lastId;
    } else {
      gt = this.ids.get(key) as StreamId;
    }
    const start = nextId(gt) ?? MIN_ID;
    if (reply.resp === 2) {
      reply.arrayHeader(1);
      reply.arrayHeader(2);
    } else {
      reply.mapHeader(1);
    }
    reply.bulk(key);
    if (read !== null) {
      const now = Date.now();
      const consumer = readingConsumer(ctx, key, group as ConsumerGroup, read, now);
      replyGroupRange(ctx, value, key, start, this.count, group as ConsumerGroup, consumer, read, now);
    } else {
      const m = reply.deferredMark();
      reply.deferredArray(m, replyRawRange(reply, value, start, null, this.count, false));
    }
  }
}

function xread(ctx: CommandContext, argv: string[]): void {
  xreadGeneric(ctx, argv, false);
}

function xreadgroup(ctx: CommandContext, argv: string[]): void {
  xreadGeneric(ctx, argv, true);
}

/** The keys of XREAD/XREADGROUP: the first half of what follows STREAMS (Redis's xreadGetKeys). */
export function xreadKeyPositions(argv: readonly string[]): number[] {
  let streamsPos = -1;
  for (let i = 1; i < argv.length; i++) {
    const arg = (argv[i] as string).toLowerCase();
    if (arg === 'block' || arg === 'count') i++;
    else if (arg === 'group') i += 2;
    else if (arg === 'noack') continue;
    else if (arg === 'streams') {
      streamsPos = i;
      break;
    } else break;
  }
  const n = argv.length - streamsPos - 1;
  if (streamsPos === -1 || n === 0 || n % 2 !== 0) return [];
  const out: number[] = [];
  for (let i = streamsPos + 1; i < streamsPos + 1 + n / 2; i++) out.push(i);
  return out;
}

export const commands: CommandCode[] = [
  { name: 'xread', handler: xread, getKeys: xreadKeyPositions },
  { name: 'xreadgroup', handler: xreadgroup, getKeys: xreadKeyPositions },
];
