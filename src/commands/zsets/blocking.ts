import { parseTimeout } from '../core/blocking.js';
import type { CollectionValue } from '../../types/value.js';
import type { ZSet } from '../../types/zset.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { asZSet } from './common.js';
import { parseMpop, popAndReply, zpopCommand } from './pop.js';
import { numkeysKeyPositions } from '../args/numkeys.js';

/**
 * BZPOPMIN / BZPOPMAX key [key …] timeout. Serves the first non-empty set at once, like
 * ZPOPMIN with the key in front; otherwise blocks.
 */
function bzpopGeneric(ctx: CommandContext, argv: string[], max: boolean): void {
  const deadline = parseTimeout(argv[argv.length - 1] as string);
  const last = argv.length - 1;
  for (let i = 1; i < last; i++) {
    const key = argv[i] as string;
    const zset = asZSet(ctx.db.lookupWrite(key));
    if (zset === undefined || zset.size === 0) continue;
    const propagation = ctx.server.propagation;
    if (propagation.active) propagation.rewrite(zpopCommand(key, max, -1));
    popAndReply(ctx, key, zset, max, 1, true, false);
    return;
  }
  if (ctx.inMulti) {
    ctx.reply.nullArray();
    return;
  }
  ctx.server.blockForKeys(ctx, argv, argv.slice(1, last), 'zset', deadline, max ? serveBzpopmax : serveBzpopmin);
}

function serveBzpopmin(ctx: CommandContext, key: string, value: CollectionValue): void {
  const propagation = ctx.server.propagation;
  if (propagation.active) propagation.also(ctx.db.id, zpopCommand(key, false, -1));
  popAndReply(ctx, key, value as ZSet, false, 1, true, false);
}

function serveBzpopmax(ctx: CommandContext, key: string, value: CollectionValue): void {
  const propagation = ctx.server.propagation;
  if (propagation.active) propagation.also(ctx.db.id, zpopCommand(key, true, -1));
  popAndReply(ctx, key, value as ZSet, true, 1, true, false);
}

function bzpopmin(ctx: CommandContext, argv: string[]): void {
  bzpopGeneric(ctx, argv, false);
}

function bzpopmax(ctx: CommandContext, argv: string[]): void {
  bzpopGeneric(ctx, argv, true);
}

/** BZMPOP timeout numkeys key [key …] MIN|MAX [COUNT count] */
function bzmpop(ctx: CommandContext, argv: string[]): void {
  // Redis reads the timeout last, after numkeys, MIN|MAX and COUNT.
  const args = parseMpop(argv, 2);
  const deadline = parseTimeout(argv[1] as string);
  const end = 3 + args.numkeys;
  for (let i = 3; i < end; i++) {
    const key = argv[i] as string;
    const zset = asZSet(ctx.db.lookupWrite(key));
    if (zset === undefined || zset.size === 0) continue;
    const propagation = ctx.server.propagation;
    if (propagation.active) propagation.rewrite(zpopCommand(key, args.max, Math.min(args.count, zset.size)));
    popAndReply(ctx, key, zset, args.max, args.count, true, true);
    return;
  }
  if (ctx.inMulti) {
    ctx.reply.nullArray();
    return;
  }
  ctx.server.blockForKeys(ctx, argv, argv.slice(3, end), 'zset', deadline, serveBzmpop);
}

function serveBzmpop(ctx: CommandContext, key: string, value: CollectionValue, argv: string[]): void {
  const args = parseMpop(argv, 2);
  const propagation = ctx.server.propagation;
  if (propagation.active) propagation.also(ctx.db.id, zpopCommand(key, args.max, Math.min(args.count, value.size)));
  popAndReply(ctx, key, value as ZSet, args.max, args.count, true, true);
}

export const commands: CommandCode[] = [
  { name: 'bzpopmin', handler: bzpopmin },
  { name: 'bzpopmax', handler: bzpopmax },
  { name: 'bzmpop', handler: bzmpop, getKeys: (argv) => numkeysKeyPositions(argv, 2) },
];
