import { RedisError, ERR_DB_INDEX, ERR_NO_SUCH_KEY, ERR_SYNTAX } from '../../errors.js';
import type { Database } from '../../keyspace/database.js';
import { parseScanCursor, scanStep } from '../../keyspace/scan.js';
import { randomKey } from '../../keyspace/sample.js';
import { typeOf } from '../../types/value.js';
import { globMatch } from '../../util/glob.js';
import { getInt } from '../../util/parse.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { parseScanArgs, replyScan } from '../args/scan.js';
import { LARGE_FREE_BYTES, uncollected } from '../../server/reclaim.js';
import { LAZYFREE_THRESHOLD, lazyfreeEffort } from '../../server/memory.js';
import { freedByServer } from './migrate.js';

const ERR_SAME_OBJECT = 'ERR source and destination objects are the same';

/**
 * DEL and UNLINK. Deleting only drops the dict's reference, so even a huge collection is
 * released by V8's collector rather than walked here: UNLINK needs no background thread.
 * What a large value held is counted as freed at once (server/reclaim.ts), and, like Redis,
 * UNLINK (or DEL with lazyfree-lazy-user-del) counts a value that is costly to free as lazily
 * freed (INFO lazyfreed_objects).
 */
function deleteKeys(ctx: CommandContext, argv: string[], lazy: boolean): void {
  const db = ctx.db;
  const server = ctx.server;
  let deleted = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i] as string;
    if (db.expires.size !== 0) db.expireIfNeeded(key);
    const value = db.dict.get(key);
    if (value === undefined || !db.delete(key)) continue;
    db.notify('g', 'del', key);
    server.dirty++;
    deleted++;
    if (typeof value === 'string' && value.length < LARGE_FREE_BYTES) continue;
    uncollected.valueFreed(value);
    if (lazy && lazyfreeEffort(value) > LAZYFREE_THRESHOLD) server.stats.lazyfreedObjects++;
  }
  ctx.reply.integer(deleted);
}

function del(ctx: CommandContext, argv: string[]): void {
  deleteKeys(ctx, argv, ctx.server.config.getBool('lazyfree-lazy-user-del'));
}

function unlink(ctx: CommandContext, argv: string[]): void {
  deleteKeys(ctx, argv, true);
}

function exists(ctx: CommandContext, argv: string[]): void {
  const db = ctx.db;
  let count = 0;
  for (let i = 1; i < argv.length; i++) {
    if (db.lookupReadNoTouch(argv[i] as string) !== undefined) count++;
  }
  ctx.reply.integer(count);
}

function touch(ctx: CommandContext, argv: string[]): void {
  const db = ctx.db;
  let count = 0;
  for (let i = 1; i < argv.length; i++) {
    if (db.lookupRead(argv[i] as string) !== undefined) count++;
  }
  ctx.reply.integer(count);
}

function type(ctx: CommandContext, argv: string[]): void {
  const value = ctx.db.lookupReadNoTouch(argv[1] as string);
  ctx.reply.simple(value === undefined ? 'none' : typeOf(value));
}

/** Whether a key's TTL has passed, without deleting it (KEYS only reports, as Redis's keyIsExpired). */
function isExpired(db: Database, key: string, now: number): boolean {
  const at = db.expires.get(key);
  return at !== undefined && at <= now;
}

function keys(ctx: CommandContext, argv: string[]): void {
  const db = ctx.db;
  const pattern = argv[1] as string;
  const all = pattern === '*';
  const checkTtl = db.expires.size !== 0;
  const now = Date.now();
  const found: string[] = [];
  for (const key of db.dict.keys()) {
    if (!all && !globMatch(pattern, key)) continue;
    if (checkTtl && isExpired(db, key, now)) continue;
    found.push(key);
  }
  ctx.reply.bulkArray(found);
}

function scan(ctx: CommandContext, argv: string[]): void {
  const cursor = parseScanCursor(argv[1] as string);
  const { count, pattern, typeName } = parseScanArgs(argv, 2, true);
  const db = ctx.db;
  const dict = db.dict;
  const visited: string[] = [];
  const next = scanStep(cursor, dict, () => dict.keys(), count, (key: string) => {
    visited.push(key);
  });
  // Filters apply to what this step visited, in Redis's order: pattern, type, then expiry
  // (an expired key is deleted here, lazily, as Redis's scan does).
  const now = Date.now();
  let kept = 0;
  for (let i = 0; i < visited.length; i++) {
    const key = visited[i] as string;
    if (pattern !== null && !globMatch(pattern, key)) continue;
    if (typeName !== null) {
      const value = db.lookupReadNoTouch(key);
      if ((value === undefined ? 'none' : typeOf(value)) !== typeName) continue;
    }
    if (db.expires.size !== 0 && db.expireIfNeeded(key, now)) continue;
    visited[kept++] = key;
  }
  visited.length = kept;
  replyScan(ctx.reply, next, visited);
}

function randomkey(ctx: CommandContext): void {
  const db = ctx.db;
  for (;;) {
    if (db.dict.size === 0) return ctx.reply.nullBulk();
    const key = randomKey(db.dict);
    // An expired key found this way is deleted and another one tried, as Redis does.
    if (db.expires.size !== 0 && db.expireIfNeeded(key)) continue;
    return ctx.reply.bulk(key);
  }
}

function renameGeneric(ctx: CommandContext, argv: string[], nx: boolean): void {
  const src = argv[1] as string;
  const dst = argv[2] as string;
  const db = ctx.db;
  const value = db.lookupWrite(src);
  if (value === undefined) throw new RedisError(ERR_NO_SUCH_KEY);
  if (src === dst) {
    if (nx) ctx.reply.integer(0);
    else ctx.reply.ok();
    return;
  }
  const expire = db.getExpire(src);
  // The value object moves, so it keeps its access record, as in Redis.
  const record = db.accessRecordOf(src);
  const overwritten = db.lookupWrite(dst);
  if (overwritten !== undefined) {
    if (nx) return ctx.reply.integer(0);
    db.delete(dst);
    // Redis's dbDelete: lazy as lazyfree-lazy-server-del says.
    if (typeof overwritten !== 'string') freedByServer(ctx, overwritten);
  }
  // The value object leaves its key before it enters the other (a value is in one key at most).
  db.delete(src);
  db.set(dst, value);
  if (expire !== undefined) db.setExpire(dst, expire);
  if (record !== undefined) db.setAccessRecord(dst, record);
  db.notify('g', 'rename_from', src);
  db.notify('g', 'rename_to', dst);
  ctx.server.dirty++;
  if (nx) ctx.reply.integer(1);
  else ctx.reply.ok();
}

function rename(ctx: CommandContext, argv: string[]): void {
  renameGeneric(ctx, argv, false);
}

function renamenx(ctx: CommandContext, argv: string[]): void {
  renameGeneric(ctx, argv, true);
}

/** The database numbered `text` (Redis's selectDb after getIntFromObjectOrReply). */
function targetDb(ctx: CommandContext, text: string): Database {
  const index = getInt(text);
  const target = ctx.server.databases[index];
  if (index < 0 || target === undefined) throw new RedisError(ERR_DB_INDEX);
  return target;
}

function move(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const src = ctx.db;
  const dst = targetDb(ctx, argv[2] as string);
  if (dst === src) throw new RedisError(ERR_SAME_OBJECT);
  const value = src.lookupWrite(key);
  if (value === undefined) return ctx.reply.integer(0);
  const expire = src.getExpire(key);
  if (dst.lookupWrite(key) !== undefined) return ctx.reply.integer(0);
  const record = src.accessRecordOf(key);
  // The value object leaves its key before it enters the other (a value is in one key at most).
  src.delete(key);
  dst.set(key, value);
  if (expire !== undefined) dst.setExpire(key, expire);
  if (record !== undefined) dst.setAccessRecord(key, record);
  src.notify('g', 'move_from', key);
  dst.notify('g', 'move_to', key);
  ctx.server.dirty++;
  ctx.reply.integer(1);
}

function copy(ctx: CommandContext, argv: string[]): void {
  const src = ctx.db;
  let dst = src;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    const opt = (argv[i] as string).toLowerCase();
    if (opt === 'replace') {
      replace = true;
    } else if (opt === 'db' && i + 1 < argv.length) {
      dst = targetDb(ctx, argv[++i] as string);
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  const key = argv[1] as string;
  const newKey = argv[2] as string;
  if (src === dst && key === newKey) throw new RedisError(ERR_SAME_OBJECT);
  const value = src.lookupRead(key);
  if (value === undefined) return ctx.reply.integer(0);
  const expire = src.getExpire(key);
  const exists = dst.lookupWrite(newKey) !== undefined;
  if (exists && !replace) return ctx.reply.integer(0);
  const duplicate = typeof value === 'string' ? value : value.clone();
  if (exists) dst.delete(newKey);
  dst.set(newKey, duplicate);
  if (expire !== undefined) dst.setExpire(newKey, expire);
  dst.notify('g', 'copy_to', newKey);
  ctx.server.dirty++;
  ctx.reply.integer(1);
}

export const commands: CommandCode[] = [
  { name: 'del', handler: del },
  { name: 'unlink', handler: unlink },
  { name: 'exists', handler: exists },
  { name: 'touch', handler: touch },
  { name: 'type', handler: type },
  { name: 'keys', handler: keys },
  { name: 'scan', handler: scan },
  { name: 'randomkey', handler: randomkey },
  { name: 'rename', handler: rename },
  { name: 'renamenx', handler: renamenx },
  { name: 'move', handler: move },
  { name: 'copy', handler: copy },
];
