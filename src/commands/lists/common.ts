/** What the list commands, blocking or not, share: type checks, pops with their side effects, moves. */
import { parseMpopArgs } from '../args/mpop.js';
import { RedisError, ERR_SYNTAX, WRONGTYPE } from '../../errors.js';
import { List } from '../../types/list.js';
import type { Value } from '../../types/value.js';
import type { CommandContext } from '../core/context.js';

/** The list stored at a key, undefined when there is none; WRONGTYPE for another type. */
export function asList(value: Value | undefined): List | undefined {
  if (value === undefined || value instanceof List) return value;
  throw new RedisError(WRONGTYPE);
}

/** LEFT/RIGHT (any case): true for LEFT; Redis's syntax error otherwise. */
export function parseWhere(text: string): boolean {
  const lower = text.toLowerCase();
  if (lower === 'left') return true;
  if (lower === 'right') return false;
  throw new RedisError(ERR_SYNTAX);
}

/**
 * Replies with the elements [start, end] (indexes normalized as LRANGE does), head to tail or,
 * `reverse`, tail to head.
 */
export function replyRange(ctx: CommandContext, list: List, start: number, end: number, reverse: boolean): void {
  const n = list.size;
  if (start < 0) start = n + start;
  if (end < 0) end = n + end;
  if (start < 0) start = 0;
  if (start > end || start >= n) return ctx.reply.emptyArray();
  if (end >= n) end = n - 1;
  ctx.reply.arrayHeader(end - start + 1);
  list.writeRange(start, end, reverse, ctx.reply);
}

/**
 * After elements were popped from `key`: the pop event, the key deleted when emptied (then
 * `del`), else the modification signalled. A served BLPOP/BRPOP/BLMOVE (`served`) signals
 * nothing, as in Redis 7.0's serveClientBlockedOnList: the push that woke the client did, and
 * client-side caching keeps that push's client as the key's last writer (BCAST NOLOOP).
 */
export function listPopped(ctx: CommandContext, key: string, left: boolean, list: List, served = false): void {
  const db = ctx.db;
  db.notify('l', left ? 'lpop' : 'rpop', key);
  if (list.size === 0) {
    if (served) db.deleteUnsignalled(key);
    else db.delete(key);
    db.notify('g', 'del', key);
  } else if (!served) {
    db.signalModifiedKey(key);
  }
}

/** Redis's listElementsRemoved: listPopped, and `count` changes counted. */
export function elementsRemoved(ctx: CommandContext, key: string, left: boolean, list: List, count: number): void {
  listPopped(ctx, key, left, list);
  ctx.server.dirty += count;
}

/**
 * Pops one element of the non-empty `list` and replies [key, element] (BLPOP, BRPOP); counts no
 * change. `served`: for a blocked client (see listPopped).
 */
export function popOneWithKey(ctx: CommandContext, list: List, key: string, left: boolean, served = false): void {
  const value = (left ? list.popLeft() : list.popRight()) as string;
  ctx.reply.arrayHeader(2);
  ctx.reply.bulk(key);
  ctx.reply.bulk(value);
  listPopped(ctx, key, left, list, served);
}

/** Pops up to `count` elements and replies [key, [elements]] (LMPOP, BLMPOP). */
export function popRangeWithKey(ctx: CommandContext, list: List, key: string, left: boolean, count: number): void {
  ctx.reply.arrayHeader(2);
  ctx.reply.bulk(key);
  popRange(ctx, list, key, left, count);
}

/** Pops up to `count` elements from one end and replies them as an array (LPOP/RPOP with a count, LMPOP). */
export function popRange(ctx: CommandContext, list: List, key: string, left: boolean, count: number): void {
  const n = Math.min(count, list.size);
  if (left) {
    replyRange(ctx, list, 0, n - 1, false);
    list.removeLeft(n);
  } else {
    replyRange(ctx, list, -n, -1, true);
    list.removeRight(n);
  }
  elementsRemoved(ctx, key, left, list, n);
}

/** Pushes a moved element to `dst` (created if missing) and replies with it (lmoveHandlePush). */
export function pushMoved(ctx: CommandContext, dst: string, dstList: List | undefined, value: string, left: boolean): void {
  const db = ctx.db;
  if (dstList === undefined) {
    dstList = new List();
    db.set(dst, dstList);
  } else {
    db.signalModifiedKey(dst);
  }
  if (left) dstList.pushLeft(value);
  else dstList.pushRight(value);
  db.notify('l', left ? 'lpush' : 'rpush', dst);
  ctx.reply.bulk(value);
}

/**
 * Moves the head or tail of the non-empty list `src` to `dst` (LMOVE, and BLMOVE when served).
 * WRONGTYPE, before anything moves, when `dst` holds another type.
 */
export function moveElement(ctx: CommandContext, srcKey: string, src: List, dstKey: string, from: boolean, to: boolean, served = false): void {
  const db = ctx.db;
  const dst = asList(db.lookupWrite(dstKey));
  const value = (from ? src.popLeft() : src.popRight()) as string;
  pushMoved(ctx, dstKey, dst, value, to);
  listPopped(ctx, srcKey, from, src, served);
}

/**
 * The pop that reproduces a served pop (Redis's replication of BLPOP, BLMPOP, LMPOP):
 * LPOP/RPOP key, with the number of elements popped unless `count` is -1.
 */
export function popCommand(key: string, left: boolean, count: number): string[] {
  const name = left ? 'LPOP' : 'RPOP';
  return count === -1 ? [name, key] : [name, key, String(count)];
}

/** LMPOP/BLMPOP's numkeys, LEFT|RIGHT and COUNT, `numkeysIndex` being where numkeys is. */
export function parseMpop(argv: string[], numkeysIndex: number): { numkeys: number; left: boolean; count: number } {
  const { numkeys, fromFirst, count } = parseMpopArgs(argv, numkeysIndex, 'left', 'right');
  return { numkeys, left: fromFirst, count };
}

