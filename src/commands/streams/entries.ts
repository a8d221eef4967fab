/**
 * Adding, reading and removing entries: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID
 * (Redis's t_stream.c).
 *
 * Propagation: XADD is emitted with the ID it generated in place of `*` or `<ms>-*`, and an
 * approximate trim (`~`, LIMIT) of XADD or XTRIM as the exact trim it amounted to (`=` and the
 * resulting length, or the first ID left), so that replaying it gives the same stream.
 */
import { RedisError, ERR_SYNTAX, errWrongArity } from '../../errors.js';
import {
  MIN_ID, Stream, compareIds, formatId, idsEqual, isMaxId, isZeroId, parseStreamId, type StreamId, type TrimSpec,
} from '../../types/stream/index.js';
import { getLongLong } from '../../util/parse.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import {
  ERR_INVALID_ID, asStream, nodeLimits, parseRangeEnd, parseRangeStart, parseStrictId, replyId, replyRange, touchStream,
} from './common.js';

const LISTPACK_MAX_SIZE = 1 << 30;

/** What XADD and XTRIM were asked (streamAddTrimArgs). */
interface AddTrimArgs {
  /** XADD: position of the ID argument. */
  idPos: number;
  id: StreamId | null;
  /** False for `<ms>-*`. */
  seqGiven: boolean;
  noMkstream: boolean;
  trim: TrimSpec | null;
  /** Position of the MAXLEN count or MINID ID (rewritten for propagation). */
  trimArgPos: number;
}

const ERR_TRIM_BOTH = 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible';

/** XADD key * …: no option to parse (the common case). */
const AUTO_ID_ONLY: AddTrimArgs = { idPos: 2, id: null, seqGiven: true, noMkstream: false, trim: null, trimArgPos: 0 };

/** Redis's streamParseAddOrTrimArgsOrReply. */
function parseAddOrTrim(ctx: CommandContext, argv: string[], xadd: boolean): AddTrimArgs {
  if (xadd && argv[2] === '*') return AUTO_ID_ONLY;
  const args: AddTrimArgs = { idPos: -1, id: null, seqGiven: true, noMkstream: false, trim: null, trimArgPos: 0 };
  const argc = argv.length;
  let strategy: 'maxlen' | 'minid' | null = null;
  let approx = false;
  let maxlen = 0;
  let minid = MIN_ID;
  let limit = 0;
  let limitGiven = false;
  let i = 2;
  for (; i < argc; i++) {
    const moreArgs = argc - 1 - i;
    const opt = argv[i] as string;
    if (xadd && (opt === '*' || (opt.charCodeAt(0) === 42 && opt.charCodeAt(1) === 0))) break;
    const lower = opt.toLowerCase();
    if ((lower === 'maxlen' || lower === 'minid') && moreArgs > 0) {
      if (strategy !== null) throw new RedisError(ERR_TRIM_BOTH);
      approx = false;
      const next = argv[i + 1] as string;
      if (moreArgs >= 2 && next === '~') {
        approx = true;
        i++;
      } else if (moreArgs >= 2 && next === '=') {
        i++;
      }
      if (lower === 'maxlen') {
        maxlen = getLongLong(argv[i + 1] as string);
        if (maxlen < 0) throw new RedisError('ERR The MAXLEN argument must be >= 0.');
      } else {
        minid = parseStrictId(argv[i + 1] as string);
      }
      i++;
      strategy = lower;
      args.trimArgPos = i;
    } else if (lower === 'limit' && moreArgs > 0) {
      limit = getLongLong(argv[i + 1] as string);
      if (limit < 0) throw new RedisError('ERR The LIMIT argument must be >= 0.');
      limitGiven = true;
      i++;
    } else if (xadd && lower === 'nomkstream') {
      args.noMkstream = true;
    } else if (xadd) {
      const parsed = parseStreamId(opt, false, true, true);
      if (parsed === null) throw new RedisError(ERR_INVALID_ID);
      args.id = parsed.id;
      args.seqGiven = parsed.seqGiven;
      break;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  args.idPos = i;
  if (limit !== 0 && strategy === null) throw new RedisError('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
  if (!xadd && strategy === null) throw new RedisError('ERR syntax error, XTRIM must be called with a trimming strategy');
  if (ctx.caller === 'loader') {
    // The AOF (or a master) said what to trim: exactly that, whatever the limit.
    limit = 0;
  } else if (limitGiven) {
    if (!approx) throw new RedisError('ERR syntax error, LIMIT cannot be used without the special ~ option');
  } else if (approx) {
    // At most 100 nodes' worth of work, within [10000 if unset, 1000000].
    limit = 100 * ctx.server.config.getNumber('stream-node-max-entries');
    if (limit <= 0) limit = 10000;
    if (limit > 1000000) limit = 1000000;
  } else {
    limit = 0;
  }
  if (strategy !== null) args.trim = { strategy, maxlen, minid, approx, limit };
  return args;
}

/**
 * The argv an approximate trim is propagated as: `=` and the length left (MAXLEN) or the first
 * ID left, tombstones included (MINID), as streamRewriteTrimArgument.
 */
function rewriteTrim(argv: string[], stream: Stream, args: AddTrimArgs): void {
  const trim = args.trim as TrimSpec;
  argv[args.trimArgPos - 1] = '=';
  argv[args.trimArgPos] = trim.strategy === 'maxlen' ? String(stream.length) : formatId(stream.edgeId(true, false));
}

function xadd(ctx: CommandContext, argv: string[]): void {
  const args = parseAddOrTrim(ctx, argv, true);
  const fieldPos = args.idPos + 1;
  const pairs = argv.length - fieldPos;
  if (pairs < 2 || pairs % 2 === 1) throw new RedisError(errWrongArity('xadd'));
  const given = args.id;
  if (given !== null && args.seqGiven && isZeroId(given)) throw new RedisError('ERR The ID specified in XADD must be greater than 0-0');
  const key = argv[1] as string;
  const db = ctx.db;
  let stream = asStream(db.lookupWrite(key));
  let created = false;
  if (stream === undefined) {
    if (args.noMkstream) return ctx.reply.nullBulk();
    stream = new Stream();
    db.set(key, stream);
    touchStream(stream);
    created = true;
  }
  const last = stream.lastId;
  if (isMaxId(last)) throw new RedisError('ERR The stream has exhausted the last possible ID, unable to add more items');
  let id: StreamId | null;
  if (given === null) {
    id = stream.nextAutoId(Date.now());
  } else if (args.seqGiven) {
    id = given;
  } else if (given.msHi === last.msHi && given.msLo === last.msLo) {
    // <ms>-* in the last ID's millisecond: the next sequence, unless there is none.
    if (last.seqHi === 0xffffffff && last.seqLo === 0xffffffff) throw new RedisError('ERR Elements are too large to be stored');
    id = { msHi: last.msHi, msLo: last.msLo, seqHi: last.seqLo === 0xffffffff ? last.seqHi + 1 : last.seqHi, seqLo: last.seqLo === 0xffffffff ? 0 : last.seqLo + 1 };
  } else {
    id = given;
  }
  if (id === null || compareIds(id, last) <= 0) {
    throw new RedisError('ERR The ID specified in XADD is equal or smaller than the target stream top item');
  }
  let entryBytes = 0;
  for (let i = fieldPos; i < argv.length; i++) entryBytes += (argv[i] as string).length;
  if (entryBytes > LISTPACK_MAX_SIZE) throw new RedisError('ERR Elements are too large to be stored');
  stream.append(id, argv, fieldPos, pairs / 2, entryBytes, nodeLimits(ctx));
  replyId(ctx.reply, id);
  if (!created) db.signalModifiedKey(key);
  db.notify('t', 'xadd', key);
  ctx.server.dirty++;
  const propagation = ctx.server.propagation;
  let rewritten: string[] | null = null;
  if (args.trim !== null) {
    if (stream.trim(args.trim) !== 0) db.notify('t', 'xtrim', key);
    if (args.trim.approx && propagation.active) {
      rewritten = argv.slice();
      rewriteTrim(rewritten, stream, args);
    }
  }
  if (propagation.active && (given === null || !args.seqGiven)) {
    rewritten ??= argv.slice();
    rewritten[args.idPos] = formatId(id);
  }
  if (rewritten !== null) propagation.rewrite(rewritten);
  ctx.server.signalStreamReady(db, key);
}

function xtrim(ctx: CommandContext, argv: string[]): void {
  const args = parseAddOrTrim(ctx, argv, false);
  const key = argv[1] as string;
  const db = ctx.db;
  const stream = asStream(db.lookupWrite(key));
  if (stream === undefined) return ctx.reply.integer(0);
  const trim = args.trim as TrimSpec;
  const deleted = stream.trim(trim);
  if (deleted !== 0) {
    db.notify('t', 'xtrim', key);
    const propagation = ctx.server.propagation;
    if (trim.approx && propagation.active) {
      const rewritten = argv.slice();
      rewriteTrim(rewritten, stream, args);
      propagation.rewrite(rewritten);
    }
    db.signalModifiedKey(key);
    ctx.server.dirty += deleted;
  }
  ctx.reply.integer(deleted);
}

function xlen(ctx: CommandContext, argv: string[]): void {
  const stream = asStream(ctx.db.lookupRead(argv[1] as string));
  ctx.reply.integer(stream === undefined ? 0 : stream.length);
}

/** XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n]. */
function xrangeGeneric(ctx: CommandContext, argv: string[], reverse: boolean): void {
  const start = parseRangeStart(argv[reverse ? 3 : 2] as string);
  const end = parseRangeEnd(argv[reverse ? 2 : 3] as string);
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if ((argv[j] as string).toLowerCase() === 'count' && j + 1 < argv.length) {
      count = getLongLong(argv[j + 1] as string);
      if (count < 0) count = 0;
      j++;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  const stream = asStream(ctx.db.lookupRead(argv[1] as string));
  if (stream === undefined) return ctx.reply.emptyArray();
  if (count === 0) return ctx.reply.nullArray();
  replyRange(ctx.reply, stream, start, end, count === -1 ? 0 : count, reverse);
}

function xrange(ctx: CommandContext, argv: string[]): void {
  xrangeGeneric(ctx, argv, false);
}

function xrevrange(ctx: CommandContext, argv: string[]): void {
  xrangeGeneric(ctx, argv, true);
}

function xdel(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const db = ctx.db;
  const stream = asStream(db.lookupWrite(key));
  if (stream === undefined) return ctx.reply.integer(0);
  // Every ID is checked before any entry goes: the command is all or nothing.
  const ids: StreamId[] = [];
  for (let j = 2; j < argv.length; j++) ids.push(parseStrictId(argv[j] as string));
  let deleted = 0;
  let firstDeleted = false;
  for (const id of ids) {
    if (!stream.deleteEntry(id)) continue;
    if (idsEqual(id, stream.firstId)) firstDeleted = true;
    if (compareIds(id, stream.maxDeletedId) > 0) stream.maxDeletedId = id;
    deleted++;
  }
  if (deleted !== 0) {
    if (stream.length === 0) stream.firstId = MIN_ID;
    else if (firstDeleted) stream.firstId = stream.edgeId(true, true);
    db.signalModifiedKey(key);
    db.notify('t', 'xdel', key);
    ctx.server.dirty += deleted;
  }
  ctx.reply.integer(deleted);
}

/** XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] */
function xsetid(ctx: CommandContext, argv: string[]): void {
  const id = parseStrictId(argv[2] as string);
  let entriesAdded: number | bigint = -1;
  let maxDeleted = MIN_ID;
  for (let i = 3; i < argv.length; i++) {
    const moreArgs = argv.length - 1 - i;
    const opt = (argv[i] as string).toLowerCase();
    if (opt === 'entriesadded' && moreArgs > 0) {
      entriesAdded = parseCounter(argv[i + 1] as string);
      if (entriesAdded < 0) throw new RedisError('ERR entries_added must be positive');
      i++;
    } else if (opt === 'maxdeletedid' && moreArgs > 0) {
      maxDeleted = parseStrictId(argv[i + 1] as string);
      if (compareIds(id, maxDeleted) < 0) throw new RedisError('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
      i++;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  const key = argv[1] as string;
  const db = ctx.db;
  const value = db.lookupWrite(key);
  if (value === undefined) throw new RedisError('ERR no such key');
  const stream = asStream(value) as Stream;
  if (stream.length > 0) {
    if (compareIds(id, stream.lastValidId()) < 0) throw new RedisError('ERR The ID specified in XSETID is smaller than the target stream top item');
    if (entriesAdded !== -1 && stream.length > entriesAdded) {
      throw new RedisError('ERR The entries_added specified in XSETID is smaller than the target stream length');
    }
  }
  stream.lastId = id;
  if (entriesAdded !== -1) stream.entriesAdded = entriesAdded;
  if (!isZeroId(maxDeleted)) stream.maxDeletedId = maxDeleted;
  ctx.reply.ok();
  ctx.server.dirty++;
  db.notify('t', 'xsetid', key);
}

/**
 * A long long argument kept exactly (a bigint past 2^53): counters a client may set anywhere
 * in 64 bits (ENTRIESADDED, ENTRIESREAD).
 */
export function parseCounter(text: string): number | bigint {
  const n = getLongLong(text);
  if (Number.isSafeInteger(n)) return n;
  return BigInt(text);
}

export const commands: CommandCode[] = [
  { name: 'xadd', handler: xadd },
  { name: 'xtrim', handler: xtrim },
  { name: 'xlen', handler: xlen },
  { name: 'xrange', handler: xrange },
  { name: 'xrevrange', handler: xrevrange },
  { name: 'xdel', handler: xdel },
  { name: 'xsetid', handler: xsetid },
];
