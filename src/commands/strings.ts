import { WRONGTYPE, RedisError } from '../errors.js';
import type { CommandContext } from './context.js';
import type { CommandSpec } from './registry.js';

function get(ctx: CommandContext, argv: string[]): void {
  const value = ctx.db.lookupRead(argv[1] as string);
  if (value === undefined) return ctx.reply.nullBulk();
  if (typeof value !== 'string') throw new RedisError(WRONGTYPE);
  ctx.reply.bulk(value);
}

function set(ctx: CommandContext, argv: string[]): void {
  ctx.db.set(argv[1] as string, argv[2] as string);
  ctx.server.dirty++;
  ctx.reply.ok();
}

export const commands: CommandSpec[] = [
  { name: 'get', arity: 2, flags: ['readonly', 'fast'], keys: { first: 1, last: 1, step: 1 }, group: 'string', handler: get },
  { name: 'set', arity: -3, flags: ['write', 'denyoom'], keys: { first: 1, last: 1, step: 1 }, group: 'string', handler: set },
];
