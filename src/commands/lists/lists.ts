import { RedisError, ERR_NO_SUCH_KEY, ERR_OUT_OF_RANGE, ERR_SYNTAX, errWrongArity } from '../../errors.js';
import { List } from '../../types/list.js';
import { getLongLong, getRangeLong, parseLongLongBig } from '../../util/parse.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import {
  asList, elementsRemoved, moveElement, parseMpop, parseWhere, popCommand, popRange, popRangeWithKey, replyRange,
} from './common.js';
import { numkeysKeyPositions } from '../args/numkeys.js';

const ERR_MUST_BE_POSITIVE = 'ERR value is out of range, must be positive';
const ERR_RANK_ZERO =
  'ERR RANK can\'t be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list';
const LLONG_MIN = -9223372036854775808n;

function pushGeneric(ctx: CommandContext, argv: string[], left: boolean, onlyExisting: boolean): void {
  const key = argv[1] as string;
  const db = ctx.db;
  let list = asList(db.lookupWrite(key));
  if (list === undefined) {
    if (onlyExisting) return ctx.reply.integer(0);
    list = new List(argv.length - 2);
    db.set(key, list);
  } else {
    db.signalModifiedKey(key);
  }
  if (left) for (let j = 2; j < argv.length; j++) list.pushLeft(argv[j] as string);
  else for (let j = 2; j < argv.length; j++) list.pushRight(argv[j] as string);
  ctx.server.dirty += argv.length - 2;
  ctx.reply.integer(list.size);
  db.notify('l', left ? 'lpush' : 'rpush', key);
}

function lpush(ctx: CommandContext, argv: string[]): void {
  pushGeneric(ctx, argv, true, false);
}

function rpush(ctx: CommandContext, argv: string[]): void {
  pushGeneric(ctx, argv, false, false);
}

function lpushx(ctx: CommandContext, argv: string[]): void {
  pushGeneric(ctx, argv, true, true);
}

function rpushx(ctx: CommandContext, argv: string[]): void {
  pushGeneric(ctx, argv, false, true);
}

function popGeneric(ctx: CommandContext, argv: string[], left: boolean): void {
  if (argv.length > 3) throw new RedisError(errWrongArity(ctx.commandName));
  const hasCount = argv.length === 3;
  const count = hasCount ? getRangeLong(argv[2] as string, 0, Infinity, ERR_MUST_BE_POSITIVE) : 0;
  const key = argv[1] as string;
  const list = asList(ctx.db.lookupWrite(key));
  if (list === undefined) return hasCount ? ctx.reply.nullArray() : ctx.reply.nullBulk();
  if (hasCount && count === 0) return ctx.reply.emptyArray();
  if (!hasCount) {
    ctx.reply.bulk((left ? list.popLeft() : list.popRight()) as string);
    return elementsRemoved(ctx, key, left, list, 1);
  }
  popRange(ctx, list, key, left, count);
}

function lpop(ctx: CommandContext, argv: string[]): void {
  popGeneric(ctx, argv, true);
}

function rpop(ctx: CommandContext, argv: string[]): void {
  popGeneric(ctx, argv, false);
}

function llen(ctx: CommandContext, argv: string[]): void {
  const list = asList(ctx.db.lookupRead(argv[1] as string));
  ctx.reply.integer(list === undefined ? 0 : list.size);
}

function lrange(ctx: CommandContext, argv: string[]): void {
  const start = getLongLong(argv[2] as string);
  const end = getLongLong(argv[3] as string);
  const list = asList(ctx.db.lookupRead(argv[1] as string));
  if (list === undefined) return ctx.reply.emptyArray();
  replyRange(ctx, list, start, end, false);
}

function lindex(ctx: CommandContext, argv: string[]): void {
  const list = asList(ctx.db.lookupRead(argv[1] as string));
  if (list === undefined) return ctx.reply.nullBulk();
  let index = getLongLong(argv[2] as string);
  if (index < 0) index += list.size;
  if (index < 0 || index >= list.size) return ctx.reply.nullBulk();
  ctx.reply.bulk(list.get(index));
}

function lset(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const list = asList(ctx.db.lookupWrite(key));
  if (list === undefined) throw new RedisError(ERR_NO_SUCH_KEY);
  let index = getLongLong(argv[2] as string);
  if (index < 0) index += list.size;
  if (index < 0 || index >= list.size) throw new RedisError(ERR_OUT_OF_RANGE);
  list.set(index, argv[3] as string);
  ctx.reply.ok();
  ctx.db.signalModifiedKey(key);
  ctx.db.notify('l', 'lset', key);
  ctx.server.dirty++;
}

function linsert(ctx: CommandContext, argv: string[]): void {
  const where = (argv[2] as string).toLowerCase();
  if (where !== 'after' && where !== 'before') throw new RedisError(ERR_SYNTAX);
  const key = argv[1] as string;
  const list = asList(ctx.db.lookupWrite(key));
  if (list === undefined) return ctx.reply.integer(0);
  const pivot = list.indexOf(argv[3] as string);
  if (pivot === -1) return ctx.reply.integer(-1);
  list.insert(where === 'after' ? pivot + 1 : pivot, argv[4] as string);
  ctx.db.signalModifiedKey(key);
  ctx.db.notify('l', 'linsert', key);
  ctx.server.dirty++;
  ctx.reply.integer(list.size);
}

function lrem(ctx: CommandContext, argv: string[]): void {
  const limit = getLongLong(argv[2] as string);
  const key = argv[1] as string;
  const db = ctx.db;
  const list = asList(db.lookupWrite(key));
  if (list === undefined) return ctx.reply.integer(0);
  const removed = list.removeValue(argv[3] as string, limit);
  ctx.server.dirty += removed;
  if (removed !== 0) db.notify('l', 'lrem', key);
  if (list.size === 0) {
    db.delete(key);
    db.notify('g', 'del', key);
  } else if (removed !== 0) {
    db.signalModifiedKey(key);
  }
  ctx.reply.integer(removed);
}

function ltrim(ctx: CommandContext, argv: string[]): void {
  let start = getLongLong(argv[2] as string);
  let end = getLongLong(argv[3] as string);
  const key = argv[1] as string;
  const db = ctx.db;
  const list = asList(db.lookupWrite(key));
  if (list === undefined) return ctx.reply.ok();
  const n = list.size;
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  let fromLeft: number;
  let fromRight: number;
  if (start > end || start >= n) {
    fromLeft = n;
    fromRight = 0;
  } else {
    if (end >= n) end = n - 1;
    fromLeft = start;
    fromRight = n - end - 1;
  }
  list.removeLeft(fromLeft);
  list.removeRight(fromRight);
  db.notify('l', 'ltrim', key);
  if (list.size === 0) {
    db.delete(key);
    db.notify('g', 'del', key);
  } else {
    db.signalModifiedKey(key);
  }
  ctx.server.dirty += fromLeft + fromRight;
  ctx.reply.ok();
}

function lpos(ctx: CommandContext, argv: string[]): void {
  const element = argv[2] as string;
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  // RANK -2^63 cannot be negated: Redis then takes every match from the tail, with no COUNT limit.
  let unlimitedFromTail = false;
  for (let j = 3; j < argv.length; j++) {
    const opt = (argv[j] as string).toLowerCase();
    const moreArgs = j + 1 < argv.length;
    if (opt === 'rank' && moreArgs) {
      const text = argv[++j] as string;
      rank = getLongLong(text);
      if (rank === 0) throw new RedisError(ERR_RANK_ZERO);
      unlimitedFromTail = rank < -9223372036854775000 && parseLongLongBig(text) === LLONG_MIN;
    } else if (opt === 'count' && moreArgs) {
      count = getRangeLong(argv[++j] as string, 0, Infinity, 'ERR COUNT can\'t be negative');
    } else if (opt === 'maxlen' && moreArgs) {
      maxlen = getRangeLong(argv[++j] as string, 0, Infinity, 'ERR MAXLEN can\'t be negative');
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  const fromHead = rank > 0;
  if (rank < 0) rank = -rank;
  if (unlimitedFromTail) rank = 1;
  const list = asList(ctx.db.lookupRead(argv[1] as string));
  if (list === undefined) return count !== -1 ? ctx.reply.emptyArray() : ctx.reply.nullBulk();
  const n = list.size;
  const limit = maxlen === 0 ? n : Math.min(n, maxlen);
  let matches = 0;
  if (count === -1) {
    for (let i = 0; i < limit; i++) {
      const index = fromHead ? i : n - 1 - i;
      if (list.get(index) === element && ++matches >= rank) return ctx.reply.integer(index);
    }
    return ctx.reply.nullBulk();
  }
  const found: number[] = [];
  const wanted = count === 0 || unlimitedFromTail ? Infinity : count;
  for (let i = 0; i < limit && found.length < wanted; i++) {
    const index = fromHead ? i : n - 1 - i;
    if (list.get(index) === element && ++matches >= rank) found.push(index);
  }
  ctx.reply.arrayHeader(found.length);
  for (let i = 0; i < found.length; i++) ctx.reply.integer(found[i] as number);
}

function lmoveGeneric(ctx: CommandContext, argv: string[], from: boolean, to: boolean): void {
  const src = argv[1] as string;
  const list = asList(ctx.db.lookupWrite(src));
  if (list === undefined) return ctx.reply.nullBulk();
  moveElement(ctx, src, list, argv[2] as string, from, to);
  ctx.server.dirty++;
}

function lmove(ctx: CommandContext, argv: string[]): void {
  const from = parseWhere(argv[3] as string);
  const to = parseWhere(argv[4] as string);
  lmoveGeneric(ctx, argv, from, to);
}

function rpoplpush(ctx: CommandContext, argv: string[]): void {
  lmoveGeneric(ctx, argv, false, true);
}

function lmpop(ctx: CommandContext, argv: string[]): void {
  const { numkeys, left, count } = parseMpop(argv, 1);
  const db = ctx.db;
  for (let j = 2; j < 2 + numkeys; j++) {
    const key = argv[j] as string;
    const list = asList(db.lookupWrite(key));
    if (list === undefined || list.size === 0) continue;
    const propagation = ctx.server.propagation;
    if (propagation.active) propagation.rewrite(popCommand(key, left, Math.min(count, list.size)));
    return popRangeWithKey(ctx, list, key, left, count);
  }
  ctx.reply.nullArray();
}

export const commands: CommandCode[] = [
  { name: 'lpush', handler: lpush },
  { name: 'rpush', handler: rpush },
  { name: 'lpushx', handler: lpushx },
  { name: 'rpushx', handler: rpushx },
  { name: 'lpop', handler: lpop },
  { name: 'rpop', handler: rpop },
  { name: 'llen', handler: llen },
  { name: 'lrange', handler: lrange },
  { name: 'lindex', handler: lindex },
  { name: 'lset', handler: lset },
  { name: 'linsert', handler: linsert },
  { name: 'lrem', handler: lrem },
  { name: 'ltrim', handler: ltrim },
  { name: 'lpos', handler: lpos },
  { name: 'lmove', handler: lmove },
  { name: 'rpoplpush', handler: rpoplpush },
  { name: 'lmpop', getKeys: (argv) => numkeysKeyPositions(argv, 1), handler: lmpop },
];
