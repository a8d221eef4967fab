import { RedisError, ERR_NOAUTH } from '../../errors.js';
import type { AclDenial, ClientConnection, CommandContext, CommandHandler, MultiState, ResolvedCommand } from './context.js';
import {
  CMD_ALLOW_BUSY, CMD_DENYOOM, CMD_LOADING, CMD_MAY_REPLICATE, CMD_NO_AUTH, CMD_NO_MULTI, CMD_NOSCRIPT, CMD_PAUSED_BY_WRITE_PAUSE, CMD_PROTECTED,
  CMD_WRITE,
} from './command-data.js';
import { isSubscribed } from '../../pubsub/registry.js';
import { EVICT_FAIL } from '../../keyspace/evict.js';

/**
 * The checks a command passes before it runs (Redis's processCommand and scriptCall), in one
 * place for every caller: a connection, a script's redis.call and the AOF loader. A command sent
 * inside MULTI is checked when it is queued; when EXEC runs it, Redis 7.0 checks again only its
 * ACL permissions (the rules may have changed meanwhile: recheckPermissions). Arity and the
 * command's existence are resolveCommand's.
 */

/** The command must wait (CLIENT PAUSE WRITE) and be tried again later; not an error. */
export const POSTPONE = 1;
/** The command runs. */
export const PASS = 0;
/** The client was disconnected before its command could run (maxmemory-clients): nothing is answered. */
export const DROPPED = 2;

export const ERR_NOT_IN_MULTI = 'ERR Command not allowed inside a transaction';
export const ERR_NOSCRIPT = 'ERR This Redis command is not allowed from script';
export const ERR_WRITE_IN_READ_ONLY_SCRIPT = 'ERR Write commands are not allowed from read-only scripts.';
export const ERR_OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const ERR_LOADING = 'LOADING Redis is loading the dataset in memory';

/** Commands a RESP2 client may send while subscribed (Redis checks the command, not subcommands). */
const ALLOWED_WHILE_SUBSCRIBED = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);

/** Whether the current client must authenticate before running `resolved`. */
export function needsAuth(ctx: CommandContext, resolved: ResolvedCommand): boolean {
  return !ctx.authenticated && (resolved.flagBits & CMD_NO_AUTH) === 0 && ctx.server.requiresAuth();
}

/**
 * Checks `resolved` for `ctx` in Redis's order. Returns PASS, POSTPONE, or the error text to
 * answer instead of running it. `bits` are the command's CMD_… bits for these arguments (its
 * spec's, or what its commandFlags hook made of them).
 */
export function checkCommand(
  ctx: CommandContext, resolved: ResolvedCommand, argv: readonly string[], bits: number = resolved.flagBits,
): typeof PASS | typeof POSTPONE | typeof DROPPED | string {
  if (ctx.caller === 'script') return checkScriptCommand(ctx, resolved, argv, bits);
  if ((bits & CMD_PROTECTED) !== 0 && ctx.caller !== 'loader' && !protectedCommandAllowed(ctx, resolved)) {
    const name = resolved.topName;
    return (
      `ERR ${name.toUpperCase()} command not allowed. If the enable-${name}-command option is set to "local", you can run it from a ` +
      'local connection, otherwise you need to set this option in the configuration file, and then restart the server.'
    );
  }
  if (needsAuth(ctx, resolved)) return ERR_NOAUTH;
  if (ctx.multi !== null && (bits & CMD_NO_MULTI) !== 0) return ERR_NOT_IN_MULTI;
  // A user with every permission (the default user as shipped) is never checked: one property read.
  if (!ctx.user.unrestricted) {
    const denial = ctx.server.acl.check(ctx.user, resolved, argv);
    if (denial !== null) {
      ctx.server.acl.logDenial(ctx, denial, ctx.multi !== null ? 'multi' : 'toplevel', resolved, argv);
      return noPermissionError(denial, resolved);
    }
  }
  // Redis's evictClients before key eviction, once the last command's output counts: this
  // client itself may be the one to go, and then its command is not run.
  if (ctx.server.clientsMemory.limit !== 0 && ctx.caller === 'client') {
    ctx.server.clientsMemory.evict();
    if ((ctx.connection as ClientConnection).closed) return DROPPED;
  }
  // With no maxmemory (the default) this one comparison is all the memory check costs.
  if (ctx.server.meter.limit !== 0 && ctx.caller !== 'loader' && outOfMemory(ctx, resolved, bits)) return ERR_OOM;
  // The last background save failed, or the AOF cannot be written: writes (and PING, as in
  // Redis) are refused until a save succeeds or the AOF can be written again.
  const diskError = diskWriteError(ctx);
  if (diskError !== null && ctx.caller !== 'loader' && (isWriteCommand(ctx, resolved, bits) || resolved.spec.name === 'ping')) return diskError;
  if (ctx.reply.resp === 2 && isSubscribed(ctx) && !ALLOWED_WHILE_SUBSCRIBED.has(resolved.topName)) {
    return `ERR Can't execute '${resolved.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
  }
  if (ctx.server.loading && ctx.caller !== 'loader' && (bits & CMD_LOADING) === 0) return ERR_LOADING;
  // Redis's isInsideYieldingLongCommand: a script runs past busy-reply-threshold.
  const busy = ctx.server.busyScriptError;
  if (busy !== null && ctx.caller === 'client' && (bits & CMD_ALLOW_BUSY) === 0) return busy;
  if (ctx.caller === 'client' && ctx.server.writesPaused() && (ctx.server.allCommandsPaused() || heldByWritePause(ctx, resolved, bits))) return POSTPONE;
  return PASS;
}

/**
 * Redis's scriptCall checks of a command a script calls (its existence and arity are the
 * caller's, with their own texts): noscript commands, writes from a read-only script, and,
 * until the script has written something, writes refused for disk errors and denyoom commands
 * refused when memory was over maxmemory as the script started (allow-oom lifts that).
 * Authentication, MULTI, pauses and loading are the calling client's business, checked when
 * it sent EVAL.
 */
function checkScriptCommand(ctx: CommandContext, resolved: ResolvedCommand, argv: readonly string[], bits: number): typeof PASS | string {
  if ((bits & CMD_NOSCRIPT) !== 0) return ERR_NOSCRIPT;
  const run = ctx.scriptRun;
  // The script's commands run as the user who called the script (Redis's scriptVerifyACL).
  const user = run !== null ? run.caller.user : ctx.user;
  if (!user.unrestricted) {
    const denial = ctx.server.acl.check(user, resolved, argv);
    if (denial !== null) {
      ctx.server.acl.logDenial(run !== null ? run.caller : ctx, denial, 'lua', resolved, argv);
      return `ERR The user executing the script ${scriptDenialText(denial)}`;
    }
  }
  const meter = ctx.server.meter;
  if (run !== null) {
    if (run.readOnly && (bits & (CMD_WRITE | CMD_MAY_REPLICATE)) !== 0) return ERR_WRITE_IN_READ_ONLY_SCRIPT;
    if (run.writeDirty) return PASS;
    if ((bits & CMD_WRITE) !== 0) {
      const diskError = diskWriteError(ctx);
      if (diskError !== null) return diskError;
    }
  }
  if ((run === null || !run.allowOom) && meter.limit !== 0 && meter.preCommandOom && (bits & CMD_DENYOOM) !== 0) return ERR_OOM;
  // Unreachable from a script (EVAL is refused while loading), kept for any socket-less caller.
  if (ctx.server.loading && (bits & CMD_LOADING) === 0) return ERR_LOADING;
  return PASS;
}

/** Redis's processCommand texts for a refused command. */
function noPermissionError(denial: AclDenial, resolved: ResolvedCommand): string {
  if (denial.reason === 'command') return `NOPERM this user has no permissions to run the '${resolved.fullName}' command`;
  if (denial.reason === 'key') return 'NOPERM this user has no permissions to access one of the keys used as arguments';
  return 'NOPERM this user has no permissions to access one of the channels used as arguments';
}

/** Redis's getAclErrorMessage, said of the user executing a script. */
function scriptDenialText(denial: AclDenial): string {
  if (denial.reason === 'command') return "can't run this command or subcommand";
  if (denial.reason === 'key') return "can't access at least one of the keys mentioned in the command arguments";
  return "can't publish to the channel mentioned in the command";
}

/**
 * Redis's execCommand check of each queued command: the rules may have changed since it was
 * queued. Returns the error the command answers instead of running, or null.
 */
export function recheckPermissions(ctx: CommandContext, resolved: ResolvedCommand, argv: readonly string[], transaction: MultiState): string | null {
  if (ctx.user.unrestricted) return null;
  const denial = ctx.server.acl.check(ctx.user, resolved, argv);
  if (denial === null) return null;
  // The log shows the client as Redis's does here: still in its transaction, running EXEC.
  const running = ctx.commandName;
  ctx.multi = transaction;
  ctx.commandName = 'exec';
  try {
    ctx.server.acl.logDenial(ctx, denial, 'multi', resolved, argv);
  } finally {
    ctx.multi = null;
    ctx.commandName = running;
  }
  const reason =
    denial.reason === 'command'
      ? 'no permission to execute the command or subcommand'
      : denial.reason === 'key'
        ? 'no permission to touch the specified keys'
        : 'no permission to access one of the channels used as arguments';
  return (
    'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. ' +
    `This command is no longer allowed for the following reason: ${reason}`
  );
}

export const ERR_MISCONF_RDB =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, " +
  'because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). ' +
  'Please check the Redis logs for details about the RDB error.';

/**
 * Why writes are refused, or null (Redis's writeCommandsDeniedByDiskError): a failed background
 * save with stop-writes-on-bgsave-error and save points configured (without save points a failed
 * BGSAVE refuses nothing), else a failed AOF write or fsync.
 */
function diskWriteError(ctx: CommandContext): string | null {
  const server = ctx.server;
  const save = server.saveStatus;
  if (!save.lastBgsaveOk && save.savePoints.length !== 0 && server.config.getBool('stop-writes-on-bgsave-error')) return ERR_MISCONF_RDB;
  return server.diskWriteError;
}

/**
 * Redis's maxmemory handling in processCommand: a command from a client first evicts what
 * maxmemory-policy allows if memory is over the limit (every command, reads included), and is
 * refused if memory stays over and it may use more; the state found is kept for the command
 * (Redis's pre_command_oom_state): a script's commands evict nothing and are refused on the
 * state found when the script started (checkScriptCommand). The AOF loader is never refused.
 */
function outOfMemory(ctx: CommandContext, resolved: ResolvedCommand, bits: number): boolean {
  const meter = ctx.server.meter;
  // Under the limit, with no period over it to close (INFO current_eviction_exceeded_time), nothing to do.
  const oom =
    (meter.used > meter.limit || ctx.server.stats.evictionExceededSince !== 0) && ctx.server.performEvictions() === EVICT_FAIL;
  meter.preCommandOom = oom;
  return oom && deniedWhenOutOfMemory(ctx, resolved, bits);
}

/** A write command, or EXEC of a transaction holding one (Redis's is_write_command). */
function isWriteCommand(ctx: CommandContext, resolved: ResolvedCommand, bits: number): boolean {
  if ((bits & CMD_WRITE) !== 0) return true;
  return resolved.spec.name === 'exec' && resolved.parent === null && ctx.multi !== null && ctx.multi.queue.some((q) => (q.resolved.flagBits & CMD_WRITE) !== 0);
}

/** Queuing costs memory too: inside MULTI only these escape the OOM check (unless denyoom). */
const NOT_REJECTED_IN_MULTI = new Set(['exec', 'discard', 'quit', 'reset']);

/**
 * denyoom commands, EXEC of a transaction holding one (Redis's is_denyoom_command), and any
 * command to be queued in MULTI.
 */
function deniedWhenOutOfMemory(ctx: CommandContext, resolved: ResolvedCommand, bits: number): boolean {
  if ((bits & CMD_DENYOOM) !== 0) return true;
  if (ctx.multi === null || resolved.parent !== null) return ctx.multi !== null;
  const name = resolved.spec.name;
  if (name === 'exec') return ctx.multi.queue.some((q) => (q.resolved.flagBits & CMD_DENYOOM) !== 0);
  return !NOT_REJECTED_IN_MULTI.has(name);
}

/**
 * enable-debug-command / enable-module-command (no, yes or local) for DEBUG and for MODULE's
 * subcommands flagged protected (LOAD, LOADEX, UNLOAD), checked before authentication as Redis does.
 */
function protectedCommandAllowed(ctx: CommandContext, resolved: ResolvedCommand): boolean {
  const option = `enable-${resolved.topName}-command`;
  if (ctx.server.config.param(option) === undefined) return true;
  return allowProtectedAction(ctx, option);
}

/**
 * Redis's allowProtectedAction: an enable-…-command or enable-protected-configs option set to
 * yes, or to local with the command from a local peer.
 */
export function allowProtectedAction(ctx: CommandContext, option: string): boolean {
  const mode = ctx.server.config.format(option);
  // Redis's islocalClient: the Unix socket, or a loopback IP.
  return mode === 'yes' || (mode === 'local' && (ctx.viaUnixSocket === true || isLocalIp(peerIp(ctx.addr))));
}

/**
 * Redis's islocalClient for a TCP peer: exactly 127.0.0.1 or ::1, not the rest of 127.0.0.0/8.
 * Node shows 127.0.0.1 as ::ffff:127.0.0.1 on a dual-stack socket.
 * A caller without a socket ('') is not local: Redis reads its address as "?".
 */
export function isLocalIp(ip: string): boolean {
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
}

/** The IP of a peer's `ip:port` or `[ipv6]:port` (as CLIENT LIST shows it); '' stays ''. */
function peerIp(addr: string): string {
  if (addr.startsWith('[')) return addr.slice(1, addr.lastIndexOf(']'));
  const colon = addr.lastIndexOf(':');
  return colon < 0 ? addr : addr.slice(0, colon);
}

/** Whether CLIENT PAUSE WRITE holds this command back (writes, may-replicate, EXEC of writes). */
function heldByWritePause(ctx: CommandContext, resolved: ResolvedCommand, bits: number): boolean {
  if ((bits & CMD_PAUSED_BY_WRITE_PAUSE) !== 0) return true;
  if (resolved.spec.name !== 'exec' || ctx.multi === null) return false;
  return ctx.multi.queue.some((q) => (q.resolved.flagBits & CMD_PAUSED_BY_WRITE_PAUSE) !== 0);
}

/** The connection of a command about the connection itself (CLIENT, HELLO, AUTH…). */
export function connectionOf(ctx: CommandContext): ClientConnection {
  // These commands are flagged noscript, so a socket-less caller never gets here; a safety net.
  if (ctx.connection === null) throw new RedisError(ERR_NOSCRIPT);
  return ctx.connection;
}

/** A handler that needs the connection, as a handler of the command table. */
export function onConnection(handler: (conn: ClientConnection, argv: string[]) => void): CommandHandler {
  return (ctx, argv) => handler(connectionOf(ctx), argv);
}
