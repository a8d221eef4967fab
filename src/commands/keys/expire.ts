import { RedisError } from '../../errors.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { parseExpireCommandTime, type ExpireUnit } from '../args/expire.js';

const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;

/** EXPIRE's NX|XX|GT|LT options from argv[3] on (Redis's parseExtendedExpireArgumentsOrReply). */
function parseExpireFlags(argv: string[]): number {
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i] as string;
    switch (opt.toLowerCase()) {
      case 'nx': flags |= NX; break;
      case 'xx': flags |= XX; break;
      case 'gt': flags |= GT; break;
      case 'lt': flags |= LT; break;
      default: throw new RedisError(`ERR Unsupported option ${opt}`);
    }
  }
  if ((flags & NX) !== 0 && (flags & (XX | GT | LT)) !== 0) {
    throw new RedisError('ERR NX and XX, GT or LT options at the same time are not compatible');
  }
  if ((flags & (GT | LT)) === (GT | LT)) throw new RedisError('ERR GT and LT options at the same time are not compatible');
  return flags;
}

/** Whether the options forbid replacing `current` (undefined: no TTL, an infinite one) by `when`. */
function refusedByFlags(flags: number, current: number | undefined, when: number): boolean {
  if ((flags & NX) !== 0 && current !== undefined) return true;
  if ((flags & XX) !== 0 && current === undefined) return true;
  if ((flags & GT) !== 0 && (current === undefined || when <= current)) return true;
  if ((flags & LT) !== 0 && current !== undefined && when >= current) return true;
  return false;
}

/**
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT. `relative` adds the current time. A time already past
 * deletes the key (notified as `del`, as Redis propagates it as a DEL), except while loading.
 */
function expireGeneric(ctx: CommandContext, argv: string[], unit: ExpireUnit, relative: boolean): void {
  const flags = parseExpireFlags(argv);
  const now = Date.now();
  const when = parseExpireCommandTime(argv[2] as string, unit, relative ? now : 0, ctx.commandName);
  const key = argv[1] as string;
  const db = ctx.db;
  if (db.lookupWrite(key) === undefined) return ctx.reply.integer(0);
  if (flags !== 0 && refusedByFlags(flags, db.getExpire(key), when)) return ctx.reply.integer(0);
  const propagation = ctx.server.propagation;
  // While loading, a time already past is set like any other and the key expires once loading
  // is done (Redis's checkAlreadyExpired): a later command of the AOF may still use the key.
  if (when <= now && !ctx.server.loading) {
    db.delete(key);
    ctx.server.dirty++;
    db.notify('g', 'del', key);
    if (propagation.active) propagation.rewrite(propagation.deletionArgv(key));
    return ctx.reply.integer(1);
  }
  db.setExpire(key, when);
  ctx.reply.integer(1);
  db.signalModifiedKey(key);
  db.notify('g', 'expire', key);
  ctx.server.dirty++;
  // Propagated as PEXPIREAT with the absolute time (and the same NX|XX|GT|LT options), which
  // PEXPIREAT itself already is.
  if (propagation.active && !(unit === 'milliseconds' && !relative)) {
    const rewritten = argv.slice();
    rewritten[0] = 'PEXPIREAT';
    rewritten[2] = String(when);
    propagation.rewrite(rewritten);
  }
}

function expire(ctx: CommandContext, argv: string[]): void {
  expireGeneric(ctx, argv, 'seconds', true);
}

function pexpire(ctx: CommandContext, argv: string[]): void {
  expireGeneric(ctx, argv, 'milliseconds', true);
}

function expireat(ctx: CommandContext, argv: string[]): void {
  expireGeneric(ctx, argv, 'seconds', false);
}

function pexpireat(ctx: CommandContext, argv: string[]): void {
  expireGeneric(ctx, argv, 'milliseconds', false);
}

/** TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for no key, -1 for no TTL. */
function ttlGeneric(ctx: CommandContext, argv: string[], inMs: boolean, absolute: boolean): void {
  const key = argv[1] as string;
  const db = ctx.db;
  if (db.lookupReadNoTouch(key) === undefined) return ctx.reply.integer(-2);
  const at = db.getExpire(key);
  if (at === undefined) return ctx.reply.integer(-1);
  let ttl = absolute ? at : at - Date.now();
  if (ttl < 0) ttl = 0;
  // Seconds are rounded to the nearest, as Redis's (ttl+500)/1000.
  ctx.reply.integer(inMs ? ttl : Math.floor((ttl + 500) / 1000));
}

function ttl(ctx: CommandContext, argv: string[]): void {
  ttlGeneric(ctx, argv, false, false);
}

function pttl(ctx: CommandContext, argv: string[]): void {
  ttlGeneric(ctx, argv, true, false);
}

function expiretime(ctx: CommandContext, argv: string[]): void {
  ttlGeneric(ctx, argv, false, true);
}

function pexpiretime(ctx: CommandContext, argv: string[]): void {
  ttlGeneric(ctx, argv, true, true);
}

function persist(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const db = ctx.db;
  if (db.lookupWrite(key) === undefined || !db.removeExpire(key)) return ctx.reply.integer(0);
  db.signalModifiedKey(key);
  db.notify('g', 'persist', key);
  ctx.server.dirty++;
  ctx.reply.integer(1);
}

export const commands: CommandCode[] = [
  { name: 'expire', handler: expire },
  { name: 'pexpire', handler: pexpire },
  { name: 'expireat', handler: expireat },
  { name: 'pexpireat', handler: pexpireat },
  { name: 'ttl', handler: ttl },
  { name: 'pttl', handler: pttl },
  { name: 'expiretime', handler: expiretime },
  { name: 'pexpiretime', handler: pexpiretime },
  { name: 'persist', handler: persist },
];
