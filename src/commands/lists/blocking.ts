/**
 * BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH: served at once when a list has elements, else the
 * client blocks (commands/core/blocking.ts). The serve functions are Redis 7.0's
 * serveClientBlockedOnList: a served BLPOP or BLMOVE counts no dirty change and signals no
 * change of its source key (the push that woke it did both), a served BLMPOP counts its pops and
 * signals them.
 *
 * Propagation: none of these is ever emitted as itself. Served at once they are rewritten to
 * the plain command that did the same (LPOP/RPOP key, LPOP/RPOP key count, LMOVE, RPOPLPUSH);
 * served later, the serve function emits that command (the blocked command was emitted as
 * nothing, having changed nothing).
 */
import type { CommandCode, CommandContext } from '../core/context.js';
import type { CollectionValue } from '../../types/value.js';
import type { List } from '../../types/list.js';
import { parseTimeout } from '../core/blocking.js';
import { asList, moveElement, parseMpop, parseWhere, popCommand, popOneWithKey, popRangeWithKey } from './common.js';
import { numkeysKeyPositions } from '../args/numkeys.js';

/** BLPOP/BRPOP/BLMPOP (Redis's blockingPopGenericCommand); `count` -1 for the single-pop forms. */
function blockingPop(
  ctx: CommandContext, argv: string[], firstKey: number, numkeys: number, left: boolean, count: number,
  deadline: number, serve: (ctx: CommandContext, key: string, value: CollectionValue, argv: string[]) => void,
): void {
  const db = ctx.db;
  for (let j = firstKey; j < firstKey + numkeys; j++) {
    const key = argv[j] as string;
    const list = asList(db.lookupWrite(key));
    if (list === undefined || list.size === 0) continue;
    const propagation = ctx.server.propagation;
    if (propagation.active) propagation.rewrite(popCommand(key, left, count === -1 ? -1 : Math.min(count, list.size)));
    if (count !== -1) return popRangeWithKey(ctx, list, key, left, count);
    popOneWithKey(ctx, list, key, left);
    ctx.server.dirty++;
    return;
  }
  if (ctx.inMulti) return ctx.reply.nullArray();
  ctx.server.blockForKeys(ctx, argv, argv.slice(firstKey, firstKey + numkeys), 'list', deadline, serve);
}

function serveBlpop(ctx: CommandContext, key: string, value: CollectionValue): void {
  const propagation = ctx.server.propagation;
  if (propagation.active) propagation.also(ctx.db.id, popCommand(key, true, -1));
  popOneWithKey(ctx, value as List, key, true, true);
}

function serveBrpop(ctx: CommandContext, key: string, value: CollectionValue): void {
  const propagation = ctx.server.propagation;
  if (propagation.active) propagation.also(ctx.db.id, popCommand(key, false, -1));
  popOneWithKey(ctx, value as List, key, false, true);
}

function blpop(ctx: CommandContext, argv: string[]): void {
  const deadline = parseTimeout(argv[argv.length - 1] as string);
  blockingPop(ctx, argv, 1, argv.length - 2, true, -1, deadline, serveBlpop);
}

function brpop(ctx: CommandContext, argv: string[]): void {
  const deadline = parseTimeout(argv[argv.length - 1] as string);
  blockingPop(ctx, argv, 1, argv.length - 2, false, -1, deadline, serveBrpop);
}

function serveBlmpop(ctx: CommandContext, key: string, value: CollectionValue, argv: string[]): void {
  const { left, count } = parseMpop(argv, 2);
  const propagation = ctx.server.propagation;
  if (propagation.active) propagation.also(ctx.db.id, popCommand(key, left, Math.min(count, value.size)));
  popRangeWithKey(ctx, value as List, key, left, count);
}

function blmpop(ctx: CommandContext, argv: string[]): void {
  const { numkeys, left, count } = parseMpop(argv, 2);
  const deadline = parseTimeout(argv[1] as string);
  blockingPop(ctx, argv, 3, numkeys, left, count, deadline, serveBlmpop);
}

/** BLMOVE/BRPOPLPUSH once the source has elements; WRONGTYPE when the destination has another type. */
function serveMove(ctx: CommandContext, key: string, value: CollectionValue, argv: string[]): void {
  const blmove = argv.length === 6;
  const from = blmove ? parseWhere(argv[3] as string) : false;
  const to = blmove ? parseWhere(argv[4] as string) : true;
  moveElement(ctx, key, value as List, argv[2] as string, from, to, true);
  const propagation = ctx.server.propagation;
  if (!propagation.active) return;
  const dst = argv[2] as string;
  propagation.also(ctx.db.id, blmove ? ['LMOVE', key, dst, from ? 'left' : 'right', to ? 'left' : 'right'] : ['RPOPLPUSH', key, dst]);
}

function blmoveGeneric(ctx: CommandContext, argv: string[], from: boolean, to: boolean, deadline: number): void {
  const src = argv[1] as string;
  const list = asList(ctx.db.lookupWrite(src));
  if (list !== undefined) {
    moveElement(ctx, src, list, argv[2] as string, from, to);
    ctx.server.dirty++;
    const propagation = ctx.server.propagation;
    if (propagation.active) {
      propagation.rewrite(argv.length === 6 ? ['LMOVE', src, argv[2] as string, argv[3] as string, argv[4] as string] : ['RPOPLPUSH', src, argv[2] as string]);
    }
    return;
  }
  // Redis answers a null bulk here but a null array when a blocked BLMOVE times out.
  if (ctx.inMulti) return ctx.reply.nullBulk();
  ctx.server.blockForKeys(ctx, argv, [src], 'list', deadline, serveMove);
}

function blmove(ctx: CommandContext, argv: string[]): void {
  const from = parseWhere(argv[3] as string);
  const to = parseWhere(argv[4] as string);
  const deadline = parseTimeout(argv[5] as string);
  blmoveGeneric(ctx, argv, from, to, deadline);
}

function brpoplpush(ctx: CommandContext, argv: string[]): void {
  const deadline = parseTimeout(argv[3] as string);
  blmoveGeneric(ctx, argv, false, true, deadline);
}

export const commands: CommandCode[] = [
  { name: 'blpop', handler: blpop },
  { name: 'brpop', handler: brpop },
  { name: 'blmove', handler: blmove },
  { name: 'brpoplpush', handler: brpoplpush },
  { name: 'blmpop', getKeys: (argv) => numkeysKeyPositions(argv, 2), handler: blmpop },
];
