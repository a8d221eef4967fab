import { RedisError, ERR_DB_INDEX, ERR_SYNTAX } from '../../errors.js';
import type { Database } from '../../keyspace/database.js';
import { getLongLong, getRangeLong, parseLongLongBig } from '../../util/parse.js';
import { onConnection } from '../core/checks.js';
import type { ClientConnection, CommandCode, CommandContext } from '../core/context.js';
import { uncollected } from '../../server/reclaim.js';
import { finalSave, saveAfterFlushAll } from '../../persistence/index.js';

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

function dbsize(ctx: CommandContext): void {
  ctx.reply.integer(ctx.db.size);
}

/** FLUSHDB/FLUSHALL [ASYNC|SYNC]: true for async (Redis's getFlushCommandFlags). */
function flushIsAsync(ctx: CommandContext, argv: string[]): boolean {
  if (argv.length === 1) return ctx.server.config.getBool('lazyfree-lazy-user-flush');
  if (argv.length === 2) {
    const mode = (argv[1] as string).toLowerCase();
    if (mode === 'sync') return false;
    if (mode === 'async') return true;
  }
  throw new RedisError(ERR_SYNTAX);
}

/**
 * Empties one database. V8's Map.clear() swaps in a fresh table in O(1) and leaves the old
 * entries to the garbage collector, which reclaims them concurrently: that is Redis's lazy
 * free, so a huge database never blocks the loop, with ASYNC or without. What the keys held
 * is counted as freed at once (server/reclaim.ts), from a sample of them.
 */
function emptyDb(ctx: CommandContext, db: Database, async: boolean): number {
  if (db.size !== 0) uncollected.databaseFreed(db);
  const removed = db.clear();
  if (async) ctx.server.stats.lazyfreedObjects += removed;
  return removed;
}

function flushdb(ctx: CommandContext, argv: string[]): void {
  const async = flushIsAsync(ctx, argv);
  ctx.server.flushed(ctx.db);
  ctx.server.dirty += emptyDb(ctx, ctx.db, async);
  // Propagated even when the database was already empty, as Redis does.
  ctx.server.propagation.force();
  ctx.reply.ok();
}

function flushall(ctx: CommandContext, argv: string[]): void {
  const async = flushIsAsync(ctx, argv);
  const server = ctx.server;
  server.flushed(null);
  let removed = 0;
  for (const db of server.databases) removed += emptyDb(ctx, db, async);
  server.dirty += removed;
  saveAfterFlushAll(server);
  // Propagated even when nothing was removed (and after the save reset the change count).
  server.propagation.force();
  ctx.reply.ok();
}

function swapdb(ctx: CommandContext, argv: string[]): void {
  const id1 = getRangeLong(argv[1] as string, INT_MIN, INT_MAX, 'ERR invalid first DB index');
  const id2 = getRangeLong(argv[2] as string, INT_MIN, INT_MAX, 'ERR invalid second DB index');
  const dbs = ctx.server.databases;
  if (id1 < 0 || id1 >= dbs.length || id2 < 0 || id2 >= dbs.length) throw new RedisError(ERR_DB_INDEX);
  if (id1 !== id2) {
    const a = dbs[id1] as Database;
    const b = dbs[id2] as Database;
    a.swapWith(b);
    ctx.server.swapped(a, b);
  }
  ctx.server.dirty++;
  ctx.reply.ok();
}

function time(ctx: CommandContext): void {
  const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  ctx.reply.arrayHeader(2);
  ctx.reply.bulk(String(Math.floor(nowUs / 1e6)));
  ctx.reply.bulk(String(nowUs % 1e6));
}

function lastsave(ctx: CommandContext): void {
  ctx.reply.integer(ctx.server.lastSave);
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. There are no replicas to wait for, so a
 * shutdown is never in progress for ABORT to cancel. The final save is persistence's
 * finalSave: without an RDB writer, SHUTDOWN SAVE fails as a failed final save does in Redis
 * (unless FORCE), while a plain SHUTDOWN with save points configured stops without a
 * snapshot, saying so in the log.
 */
function shutdown(ctx: CommandContext, argv: string[]): void {
  let nosave = false;
  let save = false;
  let force = false;
  let other = false;
  let abort = false;
  for (let i = 1; i < argv.length; i++) {
    const opt = (argv[i] as string).toLowerCase();
    if (opt === 'nosave') nosave = true;
    else if (opt === 'save') save = true;
    else if (opt === 'now') other = true;
    else if (opt === 'force') force = true;
    else if (opt === 'abort') abort = true;
    else throw new RedisError(ERR_SYNTAX);
  }
  if ((abort && (nosave || save || force || other)) || (nosave && save)) throw new RedisError(ERR_SYNTAX);
  if (abort) throw new RedisError('ERR No shutdown in progress.');
  const server = ctx.server;
  // A script busy past busy-reply-threshold: only SHUTDOWN NOSAVE stops the server.
  if (server.busyScriptError !== null && !nosave) throw new RedisError(server.busyScriptError);
  // finalSave says "User requested shutdown...", as for a signal.
  if (!finalSave(server, nosave ? false : save ? true : undefined, force)) throw new RedisError('ERR Errors trying to SHUTDOWN. Check logs.');
  void server.shutdown();
}

function monitor(ctx: ClientConnection): void {
  // A second MONITOR from a monitor is ignored, without a reply, as in Redis.
  if (ctx.monitor) return;
  ctx.startMonitor();
  ctx.reply.ok();
}

/** WAIT numreplicas timeout: there are no replicas, so the answer is 0 at once. */
function wait(ctx: CommandContext, argv: string[]): void {
  getLongLong(argv[1] as string);
  const timeout = parseLongLongBig(argv[2] as string);
  if (timeout === null) throw new RedisError('ERR timeout is not an integer or out of range');
  if (timeout < 0n) throw new RedisError('ERR timeout is negative');
  ctx.reply.integer(0);
}

function role(ctx: CommandContext): void {
  ctx.reply.arrayHeader(3);
  ctx.reply.bulk('master');
  ctx.reply.integer(0);
  ctx.reply.emptyArray();
}

export const commands: CommandCode[] = [
  { name: 'dbsize', handler: dbsize },
  { name: 'flushdb', handler: flushdb },
  { name: 'flushall', handler: flushall },
  { name: 'swapdb', handler: swapdb },
  { name: 'time', handler: time },
  { name: 'lastsave', handler: lastsave },
  { name: 'shutdown', handler: shutdown },
  { name: 'monitor', handler: onConnection(monitor) },
  { name: 'wait', handler: wait },
  { name: 'role', handler: role },
];

