import { RedisError } from '../../errors.js';
import { WatchRegistry } from '../../keyspace/watch.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { call, replyError } from '../core/dispatch.js';
import { recheckPermissions } from '../core/checks.js';

// Declared with the command context (core must not import a command group); local-client.ts imports them from here.
export type { MultiState, QueuedCommand } from '../core/context.js';

function multi(ctx: CommandContext): void {
  if (ctx.multi !== null) throw new RedisError('ERR MULTI calls can not be nested');
  ctx.multi = { queue: [], aborted: false, queuedBytes: 0 };
  ctx.reply.ok();
}

function discard(ctx: CommandContext): void {
  if (ctx.multi === null) throw new RedisError('ERR DISCARD without MULTI');
  ctx.multi = null;
  ctx.server.watches.unwatchAll(ctx);
  ctx.reply.ok();
}

function exec(ctx: CommandContext): void {
  const state = ctx.multi;
  if (state === null) throw new RedisError('ERR EXEC without MULTI');
  ctx.multi = null;
  if (state.aborted) {
    ctx.server.watches.unwatchAll(ctx);
    throw new RedisError('EXECABORT Transaction discarded because of previous errors.');
  }
  if (ctx.watchDirty || WatchRegistry.anyExpired(ctx, Date.now())) {
    ctx.server.watches.unwatchAll(ctx);
    ctx.reply.nullArray();
    return;
  }
  // Keys touched by the transaction itself must not dirty it.
  ctx.server.watches.unwatchAll(ctx);
  ctx.reply.arrayHeader(state.queue.length);
  ctx.inMulti = true;
  ctx.executing = state;
  try {
    for (const { resolved, argv } of state.queue) {
      ctx.commandName = resolved.fullName;
      const refused = recheckPermissions(ctx, resolved, argv, state);
      if (refused !== null) replyError(ctx, refused);
      else call(ctx, resolved, argv);
    }
  } finally {
    ctx.inMulti = false;
    ctx.executing = null;
    ctx.commandName = 'exec';
  }
}

function watch(ctx: CommandContext, argv: string[]): void {
  if (ctx.multi !== null) throw new RedisError('ERR WATCH inside MULTI is not allowed');
  for (let i = 1; i < argv.length; i++) ctx.server.watches.watch(ctx, ctx.db, argv[i] as string);
  ctx.reply.ok();
}

function unwatch(ctx: CommandContext): void {
  ctx.server.watches.unwatchAll(ctx);
  ctx.reply.ok();
}

export const commands: CommandCode[] = [
  { name: 'multi', handler: multi },
  { name: 'exec', handler: exec },
  { name: 'discard', handler: discard },
  { name: 'watch', handler: watch },
  { name: 'unwatch', handler: unwatch },
];
