import { RedisError, ERR_NOAUTH, errWrongArity } from '../../errors.js';
import type { CommandContext, ServerStats } from './context.js';
import type { CommandHandler, CommandSpec, CommandTable, ResolvedCommand } from './registry.js';
import { redactedArgv } from '../../server/slowlog.js';
import { findKeys } from './keyspecs.js';

const MAX_ERR_ARG = 128;

/** Redis's text for an unknown command, args quoted and cut at 128 chars in all. */
function unknownCommandError(argv: readonly string[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < MAX_ERR_ARG; i++) {
    args += `'${(argv[i] as string).slice(0, MAX_ERR_ARG - args.length)}' `;
  }
  return `ERR unknown command '${(argv[0] as string).slice(0, MAX_ERR_ARG)}', with args beginning with: ${args}`;
}

/**
 * Finds the command argv names, or answers why there is none: the resolved command, or a
 * RedisError carrying Redis's rejection text (with the command when it exists, for its stats).
 */
export function resolveCommand(table: CommandTable, argv: readonly string[]): ResolvedCommand | RedisError {
  const top = table.lookup(argv[0] as string);
  if (top === undefined) return new RedisError(unknownCommandError(argv));
  if (top.subcommands !== null && argv.length >= 2) {
    const sub = top.subcommands.get(argv[1] as string) ?? top.subcommands.get((argv[1] as string).toLowerCase());
    if (sub === undefined) {
      return new RedisError(
        `ERR unknown subcommand '${(argv[1] as string).slice(0, MAX_ERR_ARG)}'. Try ${(argv[0] as string).toUpperCase()} HELP.`,
      );
    }
    if (!arityOk(sub.spec.arity, argv.length)) return new RedisError(errWrongArity(sub.fullName));
    return sub;
  }
  if (!arityOk(top.spec.arity, argv.length)) return new RedisError(errWrongArity(top.fullName));
  return top;
}

function arityOk(arity: number, argc: number): boolean {
  return arity > 0 ? argc === arity : argc >= -arity;
}

/** Counts an error reply as Redis does (INFO errorstats, total_error_replies). */
export function countError(stats: ServerStats, message: string): void {
  stats.totalErrorReplies++;
  const space = message.indexOf(' ');
  const prefix = space === -1 ? message : message.slice(0, space);
  stats.errorStats.set(prefix, (stats.errorStats.get(prefix) ?? 0) + 1);
}

/** Writes an error reply and counts it. */
export function replyError(ctx: CommandContext, message: string): void {
  countError(ctx.server.stats, message);
  ctx.reply.error(message);
}

/** Whether the current client must authenticate before running `spec`. */
export function needsAuth(ctx: CommandContext, spec: CommandSpec): boolean {
  return !ctx.authenticated && ctx.server.requiresAuth() && !spec.flags.includes('no_auth');
}

/** Rejects a command before it runs (counted as rejected_calls). */
export function reject(ctx: CommandContext, resolved: ResolvedCommand | null, message: string): void {
  if (resolved !== null) resolved.stat.rejectedCalls++;
  replyError(ctx, message);
}

/**
 * When the previous command of the batch being run ended (performance.now()), 0 when none did.
 * A clock read costs about 100 ns on some VMs, a sizeable part of a pipelined GET.
 */
let batchClock = 0;
let inBatch = false;

/** A client's input is about to be run command after command (nothing asynchronous in between). */
export function beginBatch(): void {
  inBatch = true;
  batchClock = 0;
}

export function endBatch(): void {
  inBatch = false;
  batchClock = 0;
}

/**
 * Runs a resolved command: the handler, its errors as replies, its statistics.
 * Checks that come before it (auth, MULTI, pub/sub context) are the caller's.
 */
export function call(ctx: CommandContext, resolved: ResolvedCommand, argv: string[]): void {
  const stats = ctx.server.stats;
  const handler = resolved.spec.handler as CommandHandler;
  // Within a batch a command starts where the previous one ended: one clock read per command.
  const started = batchClock !== 0 ? batchClock : performance.now();
  try {
    const pending = handler(ctx, argv);
    if (pending !== undefined) answerLater(ctx, resolved, pending);
  } catch (err) {
    if (!(err instanceof RedisError)) throw err;
    resolved.stat.failedCalls++;
    replyError(ctx, err.message);
  }
  const stat = resolved.stat;
  const ended = performance.now();
  if (inBatch) batchClock = ended;
  const usec = (ended - started) * 1000;
  stat.calls++;
  stat.usec += usec;
  // One comparison per command; only a slow one goes on to the slow log and latency monitor.
  if (usec >= ctx.server.slowlog.gateUs) noteSlowCommand(ctx, resolved, argv, usec);
  stats.totalCommandsProcessed++;
  const flags = resolved.spec.flags;
  if (ctx.tracking !== null && !ctx.tracking.bcast && flags.includes('readonly') && !flags.includes('pubsub')) rememberTrackedKeys(ctx, resolved, argv);
  if (ctx.server.hasMonitors() && !flags.includes('skip_monitor') && !flags.includes('admin')) {
    ctx.server.feedMonitors(ctx, argv);
  }
}

/**
 * A command that answers asynchronously: the client runs nothing else until it has answered
 * (its pipelined commands keep their order), while other clients are served. Its time in
 * commandstats is the synchronous part; a rejection counts as a failed call, as a thrown
 * error does.
 */
function answerLater(ctx: CommandContext, resolved: ResolvedCommand, pending: Promise<void>): void {
  ctx.holdUntil(
    pending.catch((err: unknown) => {
      if (!(err instanceof RedisError)) throw err;
      resolved.stat.failedCalls++;
      replyError(ctx, err.message);
    }),
  );
}

/** Client-side caching: the keys a read-only command of a tracking client was served (even on error, as Redis). */
function rememberTrackedKeys(ctx: CommandContext, resolved: ResolvedCommand, argv: string[]): void {
  const found = findKeys(resolved, argv);
  if (found.length === 0) return;
  const keys: string[] = [];
  for (const k of found) keys.push(argv[k.pos] as string);
  ctx.server.tracking.rememberKeys(ctx, ctx.tracking as NonNullable<CommandContext['tracking']>, keys);
}

/** Runs a top-level command of a tracking client: its own invalidations follow its reply. */
function callTracking(ctx: CommandContext, resolved: ResolvedCommand, argv: string[], topName: string): void {
  const tracking = ctx.server.tracking;
  tracking.limit(ctx.server.config.getNumber('tracking-table-max-keys'));
  tracking.current = ctx;
  call(ctx, resolved, argv);
  tracking.afterCommand();
  // CLIENT CACHING YES/NO holds for the next command only (or a whole transaction).
  if (ctx.tracking !== null && ctx.multi === null && topName !== 'client') ctx.tracking.caching = false;
}

/** Commands a RESP2 client may send while subscribed (Redis checks the command, not subcommands). */
const ALLOWED_WHILE_SUBSCRIBED = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);
/** Commands that run at once inside MULTI instead of being queued. */
const NOT_QUEUED = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** A rejection while queuing a transaction makes its EXEC fail (Redis's flagTransaction). */
function rejectCommand(ctx: CommandContext, resolved: ResolvedCommand | null, message: string, argv?: readonly string[]): void {
  if (ctx.multi !== null) ctx.multi.aborted = true;
  // A rejected EXEC discards the transaction and says why (Redis's execCommandAbort).
  const isExec = resolved !== null ? resolved.spec.name === 'exec' && resolved.parent === null : (argv?.[0] as string).toLowerCase() === 'exec';
  if (isExec && !message.startsWith('ERR unknown')) {
    ctx.multi = null;
    ctx.server.watches.unwatchAll(ctx);
    message = `EXECABORT Transaction discarded because of: ${message.startsWith('ERR ') ? message.slice(4) : message}`;
  }
  reject(ctx, resolved, message);
}

/** Whether CLIENT PAUSE WRITE holds this command back (writes, may-replicate, EXEC of writes). */
function heldByWritePause(ctx: CommandContext, resolved: ResolvedCommand): boolean {
  const flags = resolved.spec.flags;
  if (flags.includes('write') || flags.includes('may_replicate')) return true;
  if (resolved.spec.name !== 'exec' || ctx.multi === null) return false;
  return ctx.multi.queue.some((q) => q.resolved.spec.flags.includes('write') || q.resolved.spec.flags.includes('may_replicate'));
}

/**
 * Redis's processCommand: resolve, check, then run one command from a client.
 * Returns false when the command could not run yet (writes paused) and must be retried later.
 */
export function processCommand(ctx: CommandContext, argv: string[]): boolean {
  const resolved = resolveCommand(ctx.server.commands, argv);
  if (resolved instanceof RedisError) {
    rejectCommand(ctx, null, resolved.message, argv);
    return true;
  }
  const spec = resolved.spec;
  ctx.commandName = resolved.fullName;
  if (needsAuth(ctx, spec)) {
    rejectCommand(ctx, resolved, ERR_NOAUTH);
    return true;
  }
  if (ctx.multi !== null && spec.flags.includes('no_multi')) {
    rejectCommand(ctx, resolved, 'ERR Command not allowed inside a transaction');
    return true;
  }
  const topName = (resolved.parent ?? spec).name;
  if (ctx.reply.resp === 2 && ctx.channels.size + ctx.patterns.size + ctx.shardChannels.size !== 0 && !ALLOWED_WHILE_SUBSCRIBED.has(topName)) {
    rejectCommand(
      ctx,
      resolved,
      `ERR Can't execute '${resolved.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
    );
    return true;
  }
  if (ctx.server.writesPaused() && heldByWritePause(ctx, resolved)) return false;
  if (ctx.multi !== null && !NOT_QUEUED.has(topName)) {
    ctx.multi.queue.push({ resolved, argv });
    ctx.reply.queued();
    return true;
  }
  // CLIENT REPLY SKIP drops the reply of this one command, which may itself ask to skip the next.
  const skipReply = ctx.replyMode === 'skip';
  if (skipReply) {
    ctx.replyMode = 'on';
    ctx.reply.enabled = false;
  }
  if (ctx.tracking === null) call(ctx, resolved, argv);
  else callTracking(ctx, resolved, argv, topName);
  // A command answering later keeps its reply off until it has answered (the client restores it then).
  if (skipReply && !ctx.held) ctx.reply.enabled = ctx.replyMode !== 'off';
  return true;
}

/**
 * Called by the dispatcher only for a command that passed the gate: feeds the slow log and the
 * latency monitor as Redis's call() does (commands flagged skip_slowlog are left out of both).
 */
export function noteSlowCommand(ctx: CommandContext, resolved: ResolvedCommand, argv: readonly string[], durationUs: number): void {
  const spec = resolved.parent ?? resolved.spec;
  if (spec.flags.includes('skip_slowlog') || resolved.spec.flags.includes('skip_slowlog')) return;
  const server = ctx.server;
  const event = resolved.spec.flags.includes('fast') ? 'fast-command' : 'command';
  server.latency.addSampleIfNeeded(event, Math.floor(durationUs / 1000));
  server.slowlog.push(redactedArgv(spec.name, argv), Math.floor(durationUs), ctx.addr, ctx.name);
}
