import { RedisError, ERR_NOAUTH } from '../../errors.js';
import type { ClientConnection, CommandContext } from './context.js';
import type { CommandHandler, ResolvedCommand } from './registry.js';

/**
 * The checks a command passes before it runs (Redis's processCommand and scriptCall), in one
 * place for every caller: a connection, a command queued in MULTI when EXEC runs it, a script's
 * redis.call and the AOF loader. Arity and the command's existence are resolveCommand's.
 */

/** The command must wait (CLIENT PAUSE WRITE) and be tried again later; not an error. */
export const POSTPONE = 1;
/** The command runs. */
export const PASS = 0;

export const ERR_NOT_IN_MULTI = 'ERR Command not allowed inside a transaction';
export const ERR_NOSCRIPT = 'ERR This Redis command is not allowed from script';
export const ERR_OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const ERR_LOADING = 'LOADING Redis is loading the dataset in memory';

/** Commands a RESP2 client may send while subscribed (Redis checks the command, not subcommands). */
const ALLOWED_WHILE_SUBSCRIBED = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);

/** Whether the current client must authenticate before running `resolved`. */
export function needsAuth(ctx: CommandContext, resolved: ResolvedCommand): boolean {
  return !ctx.authenticated && ctx.server.requiresAuth() && !resolved.spec.flags.includes('no_auth');
}

/**
 * Checks `resolved` for `ctx` in Redis's order. Returns PASS, POSTPONE, or the error text to
 * answer instead of running it.
 */
export function checkCommand(ctx: CommandContext, resolved: ResolvedCommand): typeof PASS | typeof POSTPONE | string {
  const flags = resolved.spec.flags;
  const parentFlags = resolved.parent?.flags;
  if (flags.includes('protected') && ctx.caller !== 'loader' && !protectedCommandAllowed(ctx, resolved)) {
    const name = (resolved.parent ?? resolved.spec).name;
    return (
      `ERR ${name.toUpperCase()} command not allowed. If the enable-${name}-command option is set to "local", you can run it from a ` +
      'local connection, otherwise you need to set this option in the configuration file, and then restart the server.'
    );
  }
  if (ctx.caller === 'script') {
    // Redis checks the container's flags too (SCRIPT, CLIENT…).
    if (flags.includes('noscript') || (parentFlags !== undefined && parentFlags.includes('noscript'))) return ERR_NOSCRIPT;
  } else if (needsAuth(ctx, resolved)) {
    return ERR_NOAUTH;
  }
  if (ctx.multi !== null && flags.includes('no_multi')) return ERR_NOT_IN_MULTI;
  // ACL permissions will be checked here (ACL users come with their own issue).
  if (ctx.caller !== 'loader' && ctx.server.overMaxmemory() && deniedWhenOutOfMemory(ctx, resolved)) return ERR_OOM;
  // The AOF cannot be written: writes (and PING, as in Redis) are refused until it can.
  const diskError = ctx.server.diskWriteError;
  if (diskError !== null && ctx.caller !== 'loader' && (isWriteCommand(ctx, resolved) || resolved.spec.name === 'ping')) return diskError;
  const topName = (resolved.parent ?? resolved.spec).name;
  if (ctx.reply.resp === 2 && ctx.channels.size + ctx.patterns.size + ctx.shardChannels.size !== 0 && !ALLOWED_WHILE_SUBSCRIBED.has(topName)) {
    return `ERR Can't execute '${resolved.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`;
  }
  if (ctx.server.loading && ctx.caller !== 'loader' && !flags.includes('loading')) return ERR_LOADING;
  if (ctx.caller === 'client' && ctx.server.writesPaused() && (ctx.server.allCommandsPaused() || heldByWritePause(ctx, resolved))) return POSTPONE;
  return PASS;
}

/** A write command, or EXEC of a transaction holding one (Redis's is_write_command). */
function isWriteCommand(ctx: CommandContext, resolved: ResolvedCommand): boolean {
  if (resolved.spec.flags.includes('write')) return true;
  return resolved.spec.name === 'exec' && resolved.parent === null && ctx.multi !== null && ctx.multi.queue.some((q) => q.resolved.spec.flags.includes('write'));
}

/** Queuing costs memory too: inside MULTI only these escape the OOM check (unless denyoom). */
const NOT_REJECTED_IN_MULTI = new Set(['exec', 'discard', 'quit', 'reset']);

/**
 * denyoom commands, EXEC of a transaction holding one (Redis's is_denyoom_command), and any
 * command to be queued in MULTI.
 */
function deniedWhenOutOfMemory(ctx: CommandContext, resolved: ResolvedCommand): boolean {
  if (resolved.spec.flags.includes('denyoom')) return true;
  if (ctx.multi === null || resolved.parent !== null) return ctx.multi !== null;
  const name = resolved.spec.name;
  if (name === 'exec') return ctx.multi.queue.some((q) => q.resolved.spec.flags.includes('denyoom'));
  return !NOT_REJECTED_IN_MULTI.has(name);
}

/**
 * enable-debug-command / enable-module-command (no, yes or local) for DEBUG and for MODULE's
 * subcommands flagged protected (LOAD, LOADEX, UNLOAD), checked before authentication as Redis does.
 */
function protectedCommandAllowed(ctx: CommandContext, resolved: ResolvedCommand): boolean {
  const option = `enable-${(resolved.parent ?? resolved.spec).name}-command`;
  const config = ctx.server.config;
  if (config.param(option) === undefined) return true;
  const mode = config.format(option);
  if (mode === 'yes') return true;
  if (mode === 'local') return isLocalAddress(ctx.addr);
  return false;
}

/** A peer at 127.0.0.1 or ::1 (Redis's islocalClient; nodis listens on no Unix socket). */
function isLocalAddress(addr: string): boolean {
  return addr.startsWith('127.0.0.1:') || addr.startsWith('[::1]:');
}

/** Whether CLIENT PAUSE WRITE holds this command back (writes, may-replicate, EXEC of writes). */
function heldByWritePause(ctx: CommandContext, resolved: ResolvedCommand): boolean {
  const flags = resolved.spec.flags;
  if (flags.includes('write') || flags.includes('may_replicate')) return true;
  if (resolved.spec.name !== 'exec' || ctx.multi === null) return false;
  return ctx.multi.queue.some((q) => q.resolved.spec.flags.includes('write') || q.resolved.spec.flags.includes('may_replicate'));
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
