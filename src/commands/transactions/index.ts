import { RedisError } from '../../errors.js';
import { WatchRegistry } from '../../keyspace/watch.js';
import type { CommandCode, CommandContext, MultiState, QueuedCommand } from '../core/context.js';
import { callQueued, replyError } from '../core/dispatch.js';
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

function exec(ctx: CommandContext): void | Promise<void> {
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
  let later: Promise<void> | undefined;
  try {
    const queue = state.queue;
    for (let i = 0; i < queue.length; i++) {
      const pending = runQueued(ctx, state, i);
      if (pending !== undefined) {
        later = finishLater(ctx, state, i + 1, pending);
        return later;
      }
    }
  } finally {
    if (later === undefined) endExec(ctx);
  }
}

/** Runs the `index`th queued command; the promise of its answer when it answers later. */
function runQueued(ctx: CommandContext, state: MultiState, index: number): Promise<void> | undefined {
  const { resolved, argv } = state.queue[index] as QueuedCommand;
  ctx.commandName = resolved.fullName;
  const refused = recheckPermissions(ctx, resolved, argv, state);
  if (refused !== null) {
    replyError(ctx, refused);
    return undefined;
  }
  return callQueued(ctx, resolved, argv);
}

/**
 * A queued script runs past busy-reply-threshold: the rest of the transaction runs once it has
 * answered, other clients getting BUSY meanwhile as for a script outside a transaction. One
 * propagation level is held open meanwhile, so that the whole transaction still propagates as
 * one unit (as the script's own hold does for it, scripting.ts).
 */
async function finishLater(ctx: CommandContext, state: MultiState, next: number, pending: Promise<void>): Promise<void> {
  const propagation = ctx.server.propagation;
  const held = propagation.active;
  if (held) propagation.enterCall(ctx.server.dirty);
  try {
    await pending;
    for (let i = next; i < state.queue.length; i++) {
      const more = runQueued(ctx, state, i);
      if (more !== undefined) await more;
    }
  } finally {
    endExec(ctx);
    if (held) propagation.exitCall(ctx.db.id, EXEC_ARGV, ctx.server.dirty, 'exec', true);
    ctx.connection?.forgetIfClosed();
  }
}

const EXEC_ARGV: readonly string[] = ['exec'];

function endExec(ctx: CommandContext): void {
  ctx.inMulti = false;
  ctx.executing = null;
  ctx.commandName = 'exec';
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
