import { performance } from 'node:perf_hooks';
import { RedisError, errWrongArity } from '../../errors.js';
import { checkCommand, connectionOf, DROPPED, PASS, POSTPONE } from './checks.js';
import type { CommandContext, CommandHandler, CommandLookup, CommandStat, ResolvedCommand, ServerStats } from './context.js';
import { LatencyHistogram } from '../../server/latency-histogram.js';
import { redactedArgv } from '../../server/slowlog.js';
import { findKeys } from './keyspecs.js';
import { PROPAGATE_ALL } from './propagate.js';
import { ERR_TABLE_LIMIT, isTableLimitError } from '../../types/table-limit.js';
import { CMD_FAST, CMD_HIDDEN_FROM_MONITOR, CMD_SKIP_SLOWLOG, CMD_TRACKS_KEYS, CMD_WRITE } from './command-data.js';

const MAX_ERR_ARG = 128;

/** An argument as Redis's "%.Ns" prints it: at most `max` chars, and only up to a 0 byte. */
function printed(arg: string, max: number): string {
  const nul = arg.indexOf('\0');
  return (nul === -1 ? arg : arg.slice(0, nul)).slice(0, max);
}

/** Redis's text for an unknown command, args quoted and cut at 128 chars in all. */
function unknownCommandError(argv: readonly string[]): string {
  let args = '';
  for (let i = 1; i < argv.length && args.length < MAX_ERR_ARG; i++) {
    args += `'${printed(argv[i] as string, MAX_ERR_ARG - args.length)}' `;
  }
  return `ERR unknown command '${printed(argv[0] as string, MAX_ERR_ARG)}', with args beginning with: ${args}`;
}

/** A command found but not run (wrong arity): Redis counts the rejection in its rejected_calls. */
export class CommandRejection extends RedisError {
  constructor(
    message: string,
    readonly resolved: ResolvedCommand,
  ) {
    super(message);
  }
}

/**
 * Finds the command argv names, or answers why there is none: the resolved command, or a
 * RedisError carrying Redis's rejection text (a CommandRejection, with the command, when it
 * exists, for its stats).
 */
export function resolveCommand(table: CommandLookup, argv: readonly string[]): ResolvedCommand | RedisError {
  const top = table.lookup(argv[0] as string);
  if (top === undefined) return new RedisError(unknownCommandError(argv));
  if (top.subcommands !== null && argv.length >= 2) {
    const sub = top.subcommands.get(argv[1] as string) ?? top.subcommands.get((argv[1] as string).toLowerCase());
    if (sub === undefined) {
      return new RedisError(
        `ERR unknown subcommand '${printed(argv[1] as string, MAX_ERR_ARG)}'. Try ${(argv[0] as string).toUpperCase()} HELP.`,
      );
    }
    if (!arityOk(sub.spec.arity, argv.length)) return new CommandRejection(errWrongArity(sub.fullName), sub);
    return sub;
  }
  if (!arityOk(top.spec.arity, argv.length)) return new CommandRejection(errWrongArity(top.fullName), top);
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
  void runCall(ctx, resolved, argv, true);
}

/**
 * call() for EXEC's queued commands: a command that answers later (a script past
 * busy-reply-threshold) returns its answer's promise, which EXEC waits for before running the
 * next one, rather than holding the client (which would let EXEC run the rest at once).
 */
export function callQueued(ctx: CommandContext, resolved: ResolvedCommand, argv: string[]): Promise<void> | undefined {
  return runCall(ctx, resolved, argv, false);
}

function runCall(ctx: CommandContext, resolved: ResolvedCommand, argv: string[], holdClient: boolean): Promise<void> | undefined {
  let answering: Promise<void> | undefined;
  const stats = ctx.server.stats;
  const handler = resolved.spec.handler as CommandHandler;
  // Within a batch a command starts where the previous one ended: one clock read per command.
  const started = batchClock !== 0 ? batchClock : performance.now();
  // While nobody subscribes to the propagation stream this flag is all it costs.
  const propagating = ctx.server.propagation.active;
  if (propagating) ctx.server.propagation.enterCall(ctx.server.dirty);
  try {
    const pending = handler(ctx, argv);
    if (pending !== undefined) answering = answerLater(ctx, resolved, pending, holdClient);
  } catch (err) {
    if (!(err instanceof RedisError) && !isTableLimitError(err)) {
      if (propagating) exitPropagation(ctx, resolved, argv);
      throw err;
    }
    resolved.stat.failedCalls++;
    replyError(ctx, err instanceof RedisError ? err.message : ERR_TABLE_LIMIT);
  }
  const stat = resolved.stat;
  const ended = performance.now();
  if (inBatch) batchClock = ended;
  const usec = (ended - started) * 1000;
  stat.calls++;
  stat.usec += usec;
  // A command that blocked its client has its latency recorded once it is served (Redis's call()).
  const blocked = ctx.blocked;
  if (blocked !== null) {
    blocked.stat = stat;
    blocked.callUs = usec;
  } else if (ctx.server.latency.trackingEnabled) {
    recordCommandLatency(stat, usec);
  }
  // One comparison per command; only a slow one goes on to the slow log and latency monitor.
  if (usec >= ctx.server.slowlog.gateUs) noteSlowCommand(ctx, resolved, argv, usec);
  stats.totalCommandsProcessed++;
  const bits = resolved.flagBits;
  if (ctx.tracking !== null && !ctx.tracking.bcast && (bits & CMD_TRACKS_KEYS) !== 0) rememberTrackedKeys(ctx, resolved, argv);
  if (ctx.server.hasMonitors() && (bits & CMD_HIDDEN_FROM_MONITOR) === 0) {
    ctx.server.feedMonitors(ctx, argv);
  }
  if (propagating) exitPropagation(ctx, resolved, argv);
  return answering;
}

/** Hands the command that ran to the propagation stream (see propagate.ts). */
function exitPropagation(ctx: CommandContext, resolved: ResolvedCommand, argv: string[]): void {
  const topName = resolved.topName;
  ctx.server.propagation.exitCall(ctx.db.id, argv, ctx.server.dirty, topName, resolved.parent === null && topName === 'exec');
}

/** Records one call's duration in its command's latency histogram (latency-tracking). */
export function recordCommandLatency(stat: CommandStat, usec: number): void {
  const histogram = stat.histogram ?? (stat.histogram = new LatencyHistogram());
  histogram.record(Math.round(usec * 1000));
}

/**
 * A command that answers asynchronously: the client runs nothing else until it has answered
 * (its pipelined commands keep their order), while other clients are served. Its time in
 * commandstats is the synchronous part; a rejection counts as a failed call, as a thrown
 * error does. Without `holdClient` (EXEC's queued commands) the caller waits on the promise
 * returned instead; EXEC relies on other clients getting BUSY meanwhile (a busy script), which
 * keeps the transaction atomic: no other asynchronous command may be queued in MULTI.
 */
function answerLater(ctx: CommandContext, resolved: ResolvedCommand, pending: Promise<void>, holdClient: boolean): Promise<void> | undefined {
  const answered = pending.catch((err: unknown) => {
    if (!(err instanceof RedisError)) throw err;
    resolved.stat.failedCalls++;
    replyError(ctx, err.message);
  });
  if (!holdClient) return answered;
  connectionOf(ctx).holdUntil(answered);
  return undefined;
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
  tracking.current = ctx;
  call(ctx, resolved, argv);
  tracking.afterCommand();
  // Redis trims the table to tracking-table-max-keys before the next command of any client;
  // only a tracking client's reads grow it, so trimming right after them is the same.
  tracking.limit();
  // CLIENT CACHING YES/NO holds for the next command only (or a whole transaction).
  if (ctx.tracking !== null && ctx.multi === null && topName !== 'client') ctx.tracking.caching = false;
}

/**
 * Redis's resetClient for a refused command: it too spends CLIENT CACHING YES/NO (outside a
 * transaction), unless it names a CLIENT subcommand (refused for its arity, say).
 */
function spendCachingOnRejection(ctx: CommandContext, resolved: ResolvedCommand | null, argv: readonly string[] | undefined): void {
  const state = ctx.tracking;
  if (state === null || !state.caching || ctx.multi !== null) return;
  let client: boolean;
  if (resolved !== null) {
    // CLIENT alone is refused as the container, not a subcommand: it spends the flag.
    client = resolved.parent !== null && resolved.parent.name === 'client';
  } else {
    const top = argv !== undefined && argv.length >= 2 ? ctx.server.commands.lookup(argv[0] as string) : undefined;
    const sub = argv?.[1] as string;
    client = top !== undefined && top.spec.name === 'client' && (top.subcommands?.has(sub.toLowerCase()) ?? false);
  }
  if (!client) state.caching = false;
}

/** What Redis counts per argument of a queued command beside its bytes (a robj pointer). */
const POINTER_SIZE = 8;

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
  if (ctx.tracking !== null) spendCachingOnRejection(ctx, resolved, argv);
}

/**
 * Redis's processCommand: resolve, check, then run one command from a client.
 * Returns false when the command could not run yet (writes paused) and must be retried later.
 */
export function processCommand(ctx: CommandContext, argv: string[]): boolean {
  const resolved = resolveCommand(ctx.server.commands, argv);
  if (resolved instanceof RedisError) {
    rejectCommand(ctx, resolved instanceof CommandRejection ? resolved.resolved : null, resolved.message, argv);
    return true;
  }
  ctx.commandName = resolved.fullName;
  const flagsOf = resolved.spec.commandFlags;
  const bits = flagsOf === undefined ? resolved.flagBits : flagsOf(ctx, argv, resolved.flagBits);
  const verdict = checkCommand(ctx, resolved, argv, bits);
  if (verdict === POSTPONE) return false;
  if (verdict === DROPPED) return true;
  if (verdict !== PASS) {
    rejectCommand(ctx, resolved, verdict);
    return true;
  }
  const topName = resolved.topName;
  if (ctx.multi !== null && !NOT_QUEUED.has(topName)) {
    ctx.multi.queue.push({ resolved, argv });
    let bytes = POINTER_SIZE * argv.length;
    for (const arg of argv) bytes += arg.length;
    ctx.multi.queuedBytes += bytes;
    ctx.reply.queued();
    return true;
  }
  const conn = ctx.connection;
  if (conn === null) {
    call(ctx, resolved, argv);
    return true;
  }
  // CLIENT REPLY SKIP drops the reply of this one command, which may itself ask to skip the next.
  const skipReply = conn.replyMode === 'skip';
  if (skipReply) {
    conn.replyMode = 'on';
    ctx.reply.enabled = false;
  }
  if (ctx.tracking === null) call(ctx, resolved, argv);
  else callTracking(ctx, resolved, argv, topName);
  // A command answering later keeps its reply off until it has answered (the client restores it then).
  if (skipReply && !conn.held) ctx.reply.enabled = conn.replyMode !== 'off';
  return true;
}

/**
 * Called by the dispatcher only for a command that passed the gate: feeds the slow log and the
 * latency monitor as Redis's call() does (commands flagged skip_slowlog are left out of both).
 */
export function noteSlowCommand(ctx: CommandContext, resolved: ResolvedCommand, argv: readonly string[], durationUs: number): void {
  if ((resolved.flagBits & CMD_SKIP_SLOWLOG) !== 0) return;
  const server = ctx.server;
  const event = (resolved.flagBits & CMD_FAST) !== 0 ? 'fast-command' : 'command';
  server.latency.addSampleIfNeeded(event, Math.floor(durationUs / 1000));
  server.slowlog.push(redactedArgv(resolved.topName, argv), Math.floor(durationUs), ctx.addr, ctx.name);
}

export const ERR_UNKNOWN_FROM_SCRIPT = 'ERR Unknown Redis command called from script';
export const ERR_ARITY_FROM_SCRIPT = 'ERR Wrong number of args calling Redis command from script';

/**
 * The command a script calls, or the error text a script gets instead (Redis's lookupCommand and
 * scriptVerifyCommandArity): an unknown subcommand is an unknown command there, and a container
 * called alone (CONFIG) is checked for its own arity.
 */
function lookupScriptCommand(table: CommandLookup, argv: readonly string[]): ResolvedCommand | RedisError {
  const top = table.lookup(argv[0] as string);
  if (top === undefined) return new RedisError(ERR_UNKNOWN_FROM_SCRIPT);
  let command = top;
  if (top.subcommands !== null && argv.length >= 2) {
    const sub = top.subcommands.get(argv[1] as string) ?? top.subcommands.get((argv[1] as string).toLowerCase());
    if (sub === undefined) return new RedisError(ERR_UNKNOWN_FROM_SCRIPT);
    command = sub;
  }
  if (!arityOk(command.spec.arity, argv.length)) return new CommandRejection(ERR_ARITY_FROM_SCRIPT, command);
  return command;
}

/**
 * Redis's scriptCall: runs one command of a script (redis.call / redis.pcall) as `ctx`, the
 * script's socket-less client, whose scriptRun is set; the reply, or the error, goes to
 * ctx.reply like any command's. The same checks and `call` as every caller's, with what a
 * script adds: its own texts for unknown commands and wrong arities, the script's rules
 * (checks.ts), the write it makes, where its commands propagate (redis.set_repl), and the keys
 * a tracking caller is said to have read.
 */
export function scriptCall(ctx: CommandContext, argv: string[]): void {
  const resolved = lookupScriptCommand(ctx.server.commands, argv);
  if (resolved instanceof RedisError) {
    reject(ctx, resolved instanceof CommandRejection ? resolved.resolved : null, resolved.message);
    return;
  }
  ctx.commandName = resolved.fullName;
  const flagsOf = resolved.spec.commandFlags;
  const bits = flagsOf === undefined ? resolved.flagBits : flagsOf(ctx, argv, resolved.flagBits);
  const verdict = checkCommand(ctx, resolved, argv, bits);
  if (verdict !== PASS) {
    reject(ctx, resolved, verdict as string);
    return;
  }
  const run = ctx.scriptRun;
  const server = ctx.server;
  // The command starts now, not where the previous command of the batch ended: the script ran
  // Lua in between (its duration would count in the command's statistics and slow log).
  batchClock = 0;
  if (run === null) {
    call(ctx, resolved, argv);
    return;
  }
  if ((bits & CMD_WRITE) !== 0) run.writeDirty = true;
  const propagation = server.propagation;
  propagation.targetMask = run.replTargets;
  try {
    call(ctx, resolved, argv);
  } finally {
    propagation.targetMask = PROPAGATE_ALL;
  }
  // Redis's call(): a read command of a script remembers the keys the script declared for a
  // caller that tracks keys (not in BCAST mode), whatever keys the command itself read.
  const caller = run.caller;
  if ((bits & CMD_TRACKS_KEYS) !== 0 && caller.tracking !== null && !caller.tracking.bcast && run.keys.length !== 0) {
    server.tracking.rememberKeys(caller, caller.tracking, run.keys);
  }
}
