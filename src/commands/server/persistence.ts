import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { ERR_OTHER_CHILD, NO_AOF, NO_RDB, RewriteInProgress, backgroundJobRunning, aofWriter, backgroundSave, rdbWriter, snapshotWritten } from '../../persistence/index.js';
import type { CommandCode, CommandContext } from '../core/context.js';

/*
 * SAVE, BGSAVE and BGREWRITEAOF go to the writers registered in persistence/. Without one
 * they answer an error that says so, instead of an OK for a snapshot that is never written.
 */

/**
 * A snapshot now (SAVE, DEBUG RELOAD): written, counted as a save, or a RedisError — Redis
 * answers a bare -ERR when the save fails, and logs why.
 */
export function saveSnapshotNow(server: CommandContext['server']): void {
  const rdb = rdbWriter();
  if (rdb === null) throw new RedisError(`ERR ${NO_RDB}`);
  const dirty = server.dirty;
  try {
    rdb.save(server);
  } catch (err) {
    // The message says what failed ("Failed opening the temp RDB file …", "Write error saving DB on disk: …").
    server.log.warn((err as Error).message);
    throw new RedisError('ERR');
  }
  snapshotWritten(server, dirty, Math.floor(Date.now() / 1000));
}

function save(ctx: CommandContext): void {
  if (rdbWriter() === null) throw new RedisError(`ERR ${NO_RDB}`);
  if (ctx.server.saveStatus.bgsaveStartedAt !== 0) throw new RedisError('ERR Background save already in progress');
  // Counted before the attempt, as Redis's saveCommand does (DEBUG RELOAD's save is not counted).
  ctx.server.saveStatus.saves++;
  saveSnapshotNow(ctx.server);
  ctx.reply.ok();
}

function bgsave(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 2 || (argv.length === 2 && (argv[1] as string).toLowerCase() !== 'schedule')) throw new RedisError(ERR_SYNTAX);
  // Even with SCHEDULE: there is nothing to wait for but the save itself.
  if (ctx.server.saveStatus.bgsaveStartedAt !== 0) throw new RedisError('ERR Background save already in progress');
  // Inside EXEC the save waits for the cron, as Redis's does (server.in_exec).
  if (backgroundJobRunning(ctx.server) || ctx.inMulti) {
    if (argv.length !== 2 && !ctx.inMulti) throw new RedisError(ERR_OTHER_CHILD);
    ctx.server.saveStatus.bgsaveScheduled = true;
    ctx.reply.simple('Background saving scheduled');
    return;
  }
  // A failed attempt is recorded (INFO rdb_last_bgsave_status:err), as a failed fork is in Redis.
  if (!backgroundSave(ctx.server, Math.floor(Date.now() / 1000))) throw new RedisError(rdbWriter() === null ? `ERR ${NO_RDB}` : 'ERR');
  ctx.reply.simple('Background saving started');
}

function bgrewriteaof(ctx: CommandContext): void {
  const aof = aofWriter();
  if (aof === null) throw new RedisError(`ERR ${NO_AOF}`);
  let outcome: 'started' | 'scheduled';
  try {
    // Inside a transaction the rewrite waits for the cron, as in Redis (in_exec).
    outcome = aof.startRewrite(ctx.server, ctx.inMulti);
  } catch (err) {
    if (err instanceof RewriteInProgress) throw new RedisError(`ERR ${err.message}`);
    ctx.server.log.warn(`Can't rewrite the append only file in background: ${(err as Error).message}`);
    throw new RedisError("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.");
  }
  ctx.reply.simple(outcome === 'started' ? 'Background append only file rewriting started' : 'Background append only file rewriting scheduled');
}

export const commands: CommandCode[] = [
  { name: 'save', handler: save },
  { name: 'bgsave', handler: bgsave },
  { name: 'bgrewriteaof', handler: bgrewriteaof },
];
