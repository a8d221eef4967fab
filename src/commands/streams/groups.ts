/**
 * Consumer groups: XGROUP (CREATE, SETID, DESTROY, CREATECONSUMER, DELCONSUMER, HELP), XACK,
 * XPENDING, XCLAIM, XAUTOCLAIM (Redis's t_stream.c).
 *
 * Propagation: XCLAIM and XAUTOCLAIM are emitted as one XCLAIM … FORCE JUSTID LASTID per PEL
 * entry they changed or dropped (and an XGROUP SETID when only LASTID moved the group), never
 * as themselves: replaying them would claim by the idle times of the other side.
 */
import { RedisError, ERR_SYNTAX } from '../../errors.js';
import {
  ENTRIES_READ_INVALID, MIN_ID, PendingEntry, Stream, compareIds, formatId, idFromKey, idKey, parseStreamId,
  ConsumerGroup, type Consumer, type StreamId,
} from '../../types/stream/index.js';
import { getLongLong, parseLongLongBig } from '../../util/parse.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { helpSubcommand, subcommandSyntaxError } from '../core/help.js';
import { asStream, beforeChange, parseId, parseRangeEnd, parseRangeStart, parseStrictId, replyRawRange, touchStream } from './common.js';
import { parseCounter } from './entries.js';
import { cText, propagateClaim, propagateGroupId } from './read.js';

const XGROUP_HELP = [
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
];

/** What every XGROUP subcommand but HELP starts with: its options, the stream and the group. */
interface GroupTarget {
  stream: Stream | undefined;
  group: ConsumerGroup | undefined;
  mkstream: boolean;
  entriesRead: number | bigint;
}

/** The start of Redis's xgroupCommand, shared by its subcommands (argc >= 4). */
function groupTarget(ctx: CommandContext, argv: string[]): GroupTarget {
  const sub = (argv[1] as string).toLowerCase();
  const create = sub === 'create';
  const setid = sub === 'setid';
  let mkstream = false;
  let entriesRead: number | bigint = ENTRIES_READ_INVALID;
  for (let i = 5; i < argv.length; ) {
    const opt = (argv[i] as string).toLowerCase();
    if (create && opt === 'mkstream') {
      mkstream = true;
      i++;
    } else if ((create || setid) && opt === 'entriesread' && i + 1 < argv.length) {
      entriesRead = parseCounter(argv[i + 1] as string);
      if (entriesRead < 0 && entriesRead !== ENTRIES_READ_INVALID) throw new RedisError('ERR value for ENTRIESREAD must be positive or -1');
      i += 2;
    } else {
      throw new RedisError(subcommandSyntaxError(argv));
    }
  }
  const key = argv[2] as string;
  const stream = asStream(ctx.db.lookupWrite(key));
  const groupName = argv[3] as string;
  let group: ConsumerGroup | undefined;
  if (!mkstream) {
    if (stream === undefined) {
      throw new RedisError(
        'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
      );
    }
    group = stream.groups?.get(groupName);
    if (group === undefined && (setid || sub === 'createconsumer' || sub === 'delconsumer')) {
      throw new RedisError(`NOGROUP No such consumer group '${cText(groupName)}' for key name '${cText(key)}'`);
    }
  }
  return { stream, group, mkstream, entriesRead };
}

function xgroupCreate(ctx: CommandContext, argv: string[]): void {
  const target = groupTarget(ctx, argv);
  if (argv.length > 8) throw new RedisError(subcommandSyntaxError(argv));
  let stream = target.stream;
  let id: StreamId;
  if (argv[4] === '$') id = stream === undefined ? MIN_ID : stream.lastId;
  else id = parseStrictId(argv[4] as string);
  const key = argv[2] as string;
  const db = ctx.db;
  if (stream === undefined) {
    // MKSTREAM, now that nothing can fail any more.
    stream = new Stream();
    db.set(key, stream);
    touchStream(stream);
  }
  const name = argv[3] as string;
  stream.groups ??= new Map();
  if (stream.groups.has(name)) throw new RedisError('BUSYGROUP Consumer Group name already exists');
  stream.groups.set(name, new ConsumerGroup(id, target.entriesRead));
  ctx.reply.ok();
  ctx.server.dirty++;
  db.notify('t', 'xgroup-create', key);
}

function xgroupSetid(ctx: CommandContext, argv: string[]): void {
  const target = groupTarget(ctx, argv);
  if (argv.length !== 5 && argv.length !== 7) throw new RedisError(subcommandSyntaxError(argv));
  const stream = target.stream as Stream;
  const group = target.group as ConsumerGroup;
  const id = argv[4] === '$' ? stream.lastId : parseId(argv[4] as string);
  group.lastId = id;
  group.entriesRead = target.entriesRead;
  ctx.reply.ok();
  ctx.server.dirty++;
  ctx.db.notify('t', 'xgroup-setid', argv[2] as string);
}

function xgroupDestroy(ctx: CommandContext, argv: string[]): void {
  const target = groupTarget(ctx, argv);
  const stream = target.stream as Stream;
  if (target.group === undefined) return ctx.reply.integer(0);
  (stream.groups as Map<string, ConsumerGroup>).delete(argv[3] as string);
  ctx.reply.integer(1);
  ctx.server.dirty++;
  const key = argv[2] as string;
  ctx.db.notify('t', 'xgroup-destroy', key);
  // Clients blocked in XREADGROUP on this group are answered -NOGROUP.
  ctx.server.signalStreamReady(ctx.db, key);
}

function xgroupCreateConsumer(ctx: CommandContext, argv: string[]): void {
  const group = groupTarget(ctx, argv).group as ConsumerGroup;
  const created = group.createConsumer(argv[4] as string, Date.now()) !== null;
  if (created) {
    ctx.server.dirty++;
    ctx.db.notify('t', 'xgroup-createconsumer', argv[2] as string);
  }
  ctx.reply.integer(created ? 1 : 0);
}

function xgroupDelConsumer(ctx: CommandContext, argv: string[]): void {
  const group = groupTarget(ctx, argv).group as ConsumerGroup;
  const consumer = group.consumers.get(argv[4] as string);
  let pending = 0;
  if (consumer !== undefined) {
    pending = consumer.pel.size;
    group.deleteConsumer(consumer);
    ctx.server.dirty++;
    ctx.db.notify('t', 'xgroup-delconsumer', argv[2] as string);
  }
  ctx.reply.integer(pending);
}

/** The stream and group that XACK-like commands read (lookupKeyRead, checkType, streamLookupCG). */
function lookupGroup(ctx: CommandContext, key: string, groupName: string): { stream: Stream | undefined; group: ConsumerGroup | undefined } {
  const stream = asStream(ctx.db.lookupRead(key));
  return { stream, group: stream?.groups?.get(groupName) };
}

function noGroup(key: string, groupName: string): RedisError {
  return new RedisError(`NOGROUP No such key '${cText(key)}' or consumer group '${cText(groupName)}'`);
}

/** XACK key group id [id …] */
function xack(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const { group } = lookupGroup(ctx, key, argv[2] as string);
  if (group === undefined) return ctx.reply.integer(0);
  // Every ID is checked first: all or nothing.
  const keys: string[] = [];
  for (let j = 3; j < argv.length; j++) keys.push(idKey(parseStrictId(argv[j] as string)));
  beforeChange(ctx.db, key);
  let acknowledged = 0;
  for (const entryKey of keys) {
    if (group.acknowledge(entryKey)) {
      acknowledged++;
      ctx.server.dirty++;
    }
  }
  ctx.reply.integer(acknowledged);
}

/** XPENDING key group [[IDLE min-idle] start end count [consumer]] */
function xpending(ctx: CommandContext, argv: string[]): void {
  const argc = argv.length;
  const summary = argc === 3;
  if (argc !== 3 && (argc < 6 || argc > 9)) throw new RedisError(ERR_SYNTAX);
  let minIdle = 0;
  let count = 0;
  let start = MIN_ID;
  let end = MIN_ID;
  let consumerName: string | null = null;
  if (argc >= 6) {
    let at = 3;
    if ((argv[3] as string).toLowerCase() === 'idle') {
      minIdle = getLongLong(argv[4] as string);
      if (argc < 8) throw new RedisError(ERR_SYNTAX);
      at += 2;
    }
    count = getLongLong(argv[at + 2] as string);
    if (count < 0) count = 0;
    start = parseRangeStart(argv[at] as string);
    end = parseRangeEnd(argv[at + 1] as string);
    if (at + 3 < argc) consumerName = argv[at + 3] as string;
  }
  const key = argv[1] as string;
  const groupName = argv[2] as string;
  const { group } = lookupGroup(ctx, key, groupName);
  if (group === undefined) throw noGroup(key, groupName);
  const reply = ctx.reply;
  if (summary) {
    reply.arrayHeader(4);
    reply.integer(group.pel.size);
    if (group.pel.size === 0) {
      reply.nullBulk();
      reply.nullBulk();
      reply.nullArray();
      return;
    }
    reply.bulk(formatId(idFromKey(group.pel.firstKey() as string)));
    reply.bulk(formatId(idFromKey(group.pel.lastKey() as string)));
    const owners = group.consumersInOrder().filter((c) => c.pel.size !== 0);
    reply.arrayHeader(owners.length);
    for (const consumer of owners) {
      reply.arrayHeader(2);
      reply.bulk(consumer.name);
      reply.bulk(String(consumer.pel.size));
    }
    return;
  }
  let pel = group.pel;
  if (consumerName !== null) {
    const consumer = group.consumers.get(consumerName);
    if (consumer === undefined) return reply.emptyArray();
    pel = consumer.pel;
  }
  const endKey = idKey(end);
  const now = Date.now();
  const mark = reply.deferredMark();
  let sent = 0;
  if (count !== 0) {
    pel.walkFrom(idKey(start), (entryKey, entry) => {
      if (entryKey > endKey) return false;
      if (minIdle !== 0 && now - entry.deliveryTime < minIdle) return true;
      sent++;
      reply.arrayHeader(4);
      reply.bulk(formatId(idFromKey(entryKey)));
      reply.bulk((entry.consumer as Consumer).name);
      reply.integer(Math.max(0, now - entry.deliveryTime));
      reply.integer(entry.deliveryCount);
      return --count !== 0;
    });
  }
  reply.deferredArray(mark, sent);
}

/** The consumer that claims (streamLookupConsumer, else streamCreateConsumer with its notification). */
function claimingConsumer(ctx: CommandContext, key: string, group: ConsumerGroup, name: string, now: number): Consumer {
  const existing = group.consumers.get(name);
  if (existing !== undefined) {
    existing.seenTime = now;
    return existing;
  }
  const consumer = group.createConsumer(name, now) as Consumer;
  ctx.server.dirty++;
  ctx.db.notify('t', 'xgroup-createconsumer', key);
  return consumer;
}

/** A pending entry whose stream entry is gone leaves the PELs (and the other side is told). */
function dropPending(ctx: CommandContext, key: string, groupName: string, group: ConsumerGroup, entryKey: string, entry: PendingEntry, idText: string): void {
  propagateClaim(ctx, key, groupName, group, idText, entry);
  ctx.server.dirty++;
  group.pel.delete(entryKey);
  entry.consumer?.pel.delete(entryKey);
}

/** Gives a pending entry to `consumer`. */
function moveTo(entry: PendingEntry, entryKey: string, consumer: Consumer): void {
  if (entry.consumer === consumer) return;
  entry.consumer?.pel.delete(entryKey);
  consumer.pel.set(entryKey, entry);
  entry.consumer = consumer;
}

/** XCLAIM key group consumer min-idle-time id [id …] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id] */
function xclaim(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const groupName = argv[2] as string;
  const { stream, group } = lookupGroup(ctx, key, groupName);
  if (stream === undefined || group === undefined) throw noGroup(key, groupName);
  let minIdle = getLongLong(argv[4] as string, 'ERR Invalid min-idle-time argument for XCLAIM');
  if (minIdle < 0) minIdle = 0;
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const parsed = parseStreamId(argv[j] as string, false, true, false);
    if (parsed === null) break;
    ids.push(parsed.id);
  }
  const now = Date.now();
  let force = false;
  let justId = false;
  let retryCount = -1;
  let deliveryTime = -1;
  let lastId = MIN_ID;
  for (; j < argv.length; j++) {
    const moreArgs = argv.length - 1 - j;
    const opt = (argv[j] as string).toLowerCase();
    if (opt === 'force') {
      force = true;
    } else if (opt === 'justid') {
      justId = true;
    } else if (opt === 'idle' && moreArgs > 0) {
      j++;
      deliveryTime = now - getLongLong(argv[j] as string, 'ERR Invalid IDLE option argument for XCLAIM');
    } else if (opt === 'time' && moreArgs > 0) {
      j++;
      deliveryTime = getLongLong(argv[j] as string, 'ERR Invalid TIME option argument for XCLAIM');
    } else if (opt === 'retrycount' && moreArgs > 0) {
      j++;
      retryCount = getLongLong(argv[j] as string, 'ERR Invalid RETRYCOUNT option argument for XCLAIM');
    } else if (opt === 'lastid' && moreArgs > 0) {
      j++;
      lastId = parseStrictId(argv[j] as string);
    } else {
      throw new RedisError(`ERR Unrecognized XCLAIM option '${cText(argv[j] as string)}'`);
    }
  }
  const db = ctx.db;
  beforeChange(db, key);
  let propagateLastId = false;
  if (compareIds(lastId, group.lastId) > 0) {
    group.lastId = lastId;
    propagateLastId = true;
  }
  // A time that is not sane (negative, in the future) is taken as now rather than refused.
  if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  const reply = ctx.reply;
  const mark = reply.deferredMark();
  let sent = 0;
  let consumer: Consumer | null = null;
  const name = argv[3] as string;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as StreamId;
    const idText = argv[5 + i] as string;
    const entryKey = idKey(id);
    let entry = group.pel.get(entryKey);
    if (!stream.has(id)) {
      if (entry !== undefined) {
        dropPending(ctx, key, groupName, group, entryKey, entry, idText);
        propagateLastId = false;
      }
      continue;
    }
    if (force && entry === undefined) {
      entry = new PendingEntry(now, 1, null);
      group.pel.set(entryKey, entry);
    }
    if (entry === undefined) continue;
    // An entry FORCE just created has no owner, and no idle time to wait for.
    if (entry.consumer !== null && minIdle !== 0 && now - entry.deliveryTime < minIdle) continue;
    consumer ??= claimingConsumer(ctx, key, group, name, now);
    entry.deliveryTime = deliveryTime;
    if (retryCount >= 0) entry.deliveryCount = retryCount;
    else if (!justId) entry.deliveryCount++;
    moveTo(entry, entryKey, consumer);
    if (justId) reply.bulk(formatId(id));
    else replyRawRange(reply, stream, id, id, 1, false);
    sent++;
    propagateClaim(ctx, key, groupName, group, idText, entry);
    propagateLastId = false;
    ctx.server.dirty++;
  }
  if (propagateLastId) {
    propagateGroupId(ctx, key, groupName, group);
    ctx.server.dirty++;
  }
  reply.deferredArray(mark, sent);
  ctx.server.propagation.prevent();
}

/** XAUTOCLAIM's COUNT at most LONG_MAX / max(sizeof(streamID), attempts factor). */
const AUTOCLAIM_MAX_COUNT = 576460752303423487n;
const ATTEMPTS_FACTOR = 10;

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
function xautoclaim(ctx: CommandContext, argv: string[]): void {
  let minIdle = getLongLong(argv[4] as string, 'ERR Invalid min-idle-time argument for XAUTOCLAIM');
  if (minIdle < 0) minIdle = 0;
  const start = parseRangeStart(argv[5] as string);
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const moreArgs = argv.length - 1 - j;
    const opt = (argv[j] as string).toLowerCase();
    if (opt === 'count' && moreArgs > 0) {
      const big = parseLongLongBig(argv[j + 1] as string);
      if (big === null || big < 1n || big > AUTOCLAIM_MAX_COUNT) throw new RedisError('ERR COUNT must be > 0');
      count = Number(big);
      j++;
    } else if (opt === 'justid') {
      justId = true;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  const key = argv[1] as string;
  const groupName = argv[2] as string;
  const { stream, group } = lookupGroup(ctx, key, groupName);
  if (stream === undefined || group === undefined) throw noGroup(key, groupName);
  beforeChange(ctx.db, key);
  const reply = ctx.reply;
  reply.arrayHeader(3);
  const cursorMark = reply.deferredMark();
  const claimedMark = reply.deferredMark();
  let attempts = count * ATTEMPTS_FACTOR;
  const now = Date.now();
  const name = argv[3] as string;
  const deleted: StreamId[] = [];
  let consumer: Consumer | null = null;
  let sent = 0;
  let visited: string | null = null;
  const pel = group.pel;
  const startKey = idKey(start);
  const following = (): string | undefined => (visited === null ? pel.ceilingKey(startKey) : pel.ceilingKey(visited + '\0'));
  let ended = false;
  while (attempts-- !== 0 && count !== 0) {
    const entryKey = following();
    if (entryKey === undefined) {
      ended = true;
      break;
    }
    visited = entryKey;
    const entry = pel.get(entryKey) as PendingEntry;
    const id = idFromKey(entryKey);
    if (!stream.has(id)) {
      dropPending(ctx, key, groupName, group, entryKey, entry, formatId(id));
      deleted.push(id);
      count--;
      continue;
    }
    if (minIdle !== 0 && now - entry.deliveryTime < minIdle) continue;
    consumer ??= claimingConsumer(ctx, key, group, name, now);
    entry.deliveryTime = now;
    if (!justId) entry.deliveryCount++;
    moveTo(entry, entryKey, consumer);
    if (justId) reply.bulk(formatId(id));
    else replyRawRange(reply, stream, id, id, 1, false);
    sent++;
    count--;
    propagateClaim(ctx, key, groupName, group, formatId(id), entry);
    ctx.server.dirty++;
  }
  const next = ended ? undefined : following();
  reply.deferredArray(claimedMark, sent);
  // The cursor goes before the claimed entries: inserted last at the earlier mark.
  const cursorText = formatId(next === undefined ? MIN_ID : idFromKey(next));
  insertBulkAt(ctx, cursorMark, cursorText);
  reply.arrayHeader(deleted.length);
  for (const id of deleted) reply.bulk(formatId(id));
  ctx.server.propagation.prevent();
}

/** Writes a bulk string at a deferredMark, before what was written since (setDeferredReplyStreamID). */
function insertBulkAt(ctx: CommandContext, mark: number, text: string): void {
  ctx.reply.deferredRaw(mark, `$${text.length}\r\n${text}\r\n`);
}

export const commands: CommandCode[] = [
  {
    name: 'xgroup',
    subcommands: [
      { name: 'create', handler: xgroupCreate },
      { name: 'createconsumer', handler: xgroupCreateConsumer },
      { name: 'delconsumer', handler: xgroupDelConsumer },
      { name: 'destroy', handler: xgroupDestroy },
      helpSubcommand(XGROUP_HELP),
      { name: 'setid', handler: xgroupSetid },
    ],
  },
  { name: 'xack', handler: xack },
  { name: 'xpending', handler: xpending },
  { name: 'xclaim', handler: xclaim },
  { name: 'xautoclaim', handler: xautoclaim },
];
