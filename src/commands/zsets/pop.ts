import { parseMpopArgs } from '../args/mpop.js';
import { RedisError, ERR_SYNTAX } from '../../errors.js';
import type { ZSet } from '../../types/zset.js';
import type { SkipNode } from '../../types/skiplist.js';
import { getRangeLong } from '../../util/parse.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { asZSet, deleteIfEmpty, writeZSet } from './common.js';
import { numkeysKeyPositions } from '../args/numkeys.js';

const ERR_NOT_POSITIVE = 'ERR value is out of range, must be positive';

/**
 * Redis's genericZpopCommand over one key known to hold a non-empty set: pops up to `count`
 * members from the low (`max` false) or high end and replies in the shape the caller asks:
 * `emitKey` puts the key first (blocking pops, ZMPOP), `nested` makes each pair an array.
 */
export function popAndReply(ctx: CommandContext, key: string, zset: ZSet, max: boolean, count: number, emitKey: boolean, nested: boolean): void {
  const reply = ctx.reply;
  const n = count > zset.size ? zset.size : count;
  if (!nested && !emitKey) {
    reply.arrayHeader(n * 2);
  } else if (nested && !emitKey) {
    reply.arrayHeader(n);
  } else if (!nested) {
    reply.arrayHeader(n * 2 + 1);
    reply.bulk(key);
  } else {
    reply.arrayHeader(2);
    reply.bulk(key);
    reply.arrayHeader(n);
  }
  for (let i = 0; i < n; i++) {
    // Read afresh each time: a packed set's view is of the set before the delete.
    const zsl = zset.zsl;
    const node = (max ? zsl.tail : zsl.first) as SkipNode;
    zset.delete(node.member);
    if (nested) reply.arrayHeader(2);
    reply.bulk(node.member);
    reply.double(node.score);
  }
  ctx.db.notify('z', max ? 'zpopmax' : 'zpopmin', key);
  if (deleteIfEmpty(ctx, key, zset)) ctx.db.notify('g', 'del', key);
  else ctx.db.signalModifiedKey(key);
  ctx.server.dirty += n;
}

/**
 * The pop that reproduces ZMPOP or a blocking pop (served at once or later): ZPOPMIN/ZPOPMAX
 * key, with the number of members popped unless `count` is -1.
 */
export function zpopCommand(key: string, max: boolean, count: number): string[] {
  const name = max ? 'ZPOPMAX' : 'ZPOPMIN';
  return count === -1 ? [name, key] : [name, key, String(count)];
}

/** The first key of `keys` holding a sorted set, WRONGTYPE stopping the search as in Redis. */
export function firstNonEmpty(ctx: CommandContext, argv: string[], from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const zset = asZSet(ctx.db.lookupWrite(argv[i] as string));
    if (zset !== undefined) return i;
  }
  return -1;
}

function zpopGeneric(ctx: CommandContext, argv: string[], max: boolean): void {
  if (argv.length > 3) throw new RedisError(ERR_SYNTAX);
  let count = -1;
  if (argv.length > 2) count = getRangeLong(argv[2] as string, 0, Infinity, ERR_NOT_POSITIVE);
  const key = argv[1] as string;
  const zset = writeZSet(ctx, key);
  if (zset === undefined || count === 0) {
    ctx.reply.emptyArray();
    return;
  }
  popAndReply(ctx, key, zset, max, count === -1 ? 1 : count, false, ctx.reply.resp > 2 && count !== -1);
}

function zpopmin(ctx: CommandContext, argv: string[]): void {
  zpopGeneric(ctx, argv, false);
}

function zpopmax(ctx: CommandContext, argv: string[]): void {
  zpopGeneric(ctx, argv, true);
}

/** Parses ZMPOP / BZMPOP arguments from the numkeys position. */
export function parseMpop(argv: string[], numkeysIdx: number): { numkeys: number; max: boolean; count: number } {
  const { numkeys, fromFirst, count } = parseMpopArgs(argv, numkeysIdx, 'min', 'max');
  return { numkeys, max: !fromFirst, count };
}

function zmpop(ctx: CommandContext, argv: string[]): void {
  const args = parseMpop(argv, 1);
  const at = firstNonEmpty(ctx, argv, 2, 2 + args.numkeys);
  if (at === -1) {
    ctx.reply.nullArray();
    return;
  }
  const key = argv[at] as string;
  const zset = ctx.db.lookupWrite(key) as ZSet;
  const propagation = ctx.server.propagation;
  if (propagation.active) propagation.rewrite(zpopCommand(key, args.max, Math.min(args.count, zset.size)));
  popAndReply(ctx, key, zset, args.max, args.count, true, true);
}

export const commands: CommandCode[] = [
  { name: 'zpopmin', handler: zpopmin },
  { name: 'zpopmax', handler: zpopmax },
  { name: 'zmpop', handler: zmpop, getKeys: (argv) => numkeysKeyPositions(argv, 1) },
];
