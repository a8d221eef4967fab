import { ensureRoomForMembers } from '../../types/table-limit.js';
import { RedisError, WRONGTYPE, ERR_OVERFLOW, ERR_SYNTAX, errWrongArity } from '../../errors.js';
import { HashValue } from '../../types/hash.js';
import { CachedNumber } from '../../config/config.js';
import type { Value } from '../../types/value.js';
import { parseScanCursor, scanStep } from '../../keyspace/scan.js';
import { globMatch } from '../../util/glob.js';
import { getLongLong, parseLongLong, parseLongLongBig } from '../../util/parse.js';
import { addLongDouble, formatLongDoubleHuman, parseLongDouble, type LongDouble } from '../../util/long-double.js';
import { parseCollectionScanArgs, replyScan } from '../args/scan.js';
import { parseRandomCount, pickDistinct } from '../args/random-count.js';
import type { CommandCode, CommandContext } from '../core/context.js';

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

function asHash(value: Value | undefined): HashValue | undefined {
  if (value === undefined || value instanceof HashValue) return value;
  throw new RedisError(WRONGTYPE);
}

function readHash(ctx: CommandContext, key: string): HashValue | undefined {
  return asHash(ctx.db.lookupRead(key));
}

/** Redis's hashTypeLookupWriteOrCreate: the hash at key, created empty (and stored) if missing. */
function writeHash(ctx: CommandContext, key: string): HashValue {
  const found = asHash(ctx.db.lookupWrite(key));
  if (found !== undefined) return found;
  const created = new HashValue();
  ctx.db.set(key, created);
  return created;
}

const HASH_MAX_ENTRIES = new CachedNumber('hash-max-listpack-entries');
const HASH_MAX_VALUE = new CachedNumber('hash-max-listpack-value');

function maxEntries(ctx: CommandContext): number {
  return HASH_MAX_ENTRIES.of(ctx.server.config);
}

function maxValue(ctx: CommandContext): number {
  return HASH_MAX_VALUE.of(ctx.server.config);
}

/** HSET and HMSET: same work, different reply. */
function hset(ctx: CommandContext, argv: string[]): void {
  if (argv.length % 2 === 1) throw new RedisError(errWrongArity(ctx.commandName));
  const key = argv[1] as string;
  // Checked before the key is made: a refused HSET leaves no empty hash behind.
  const found = asHash(ctx.db.lookupWrite(key));
  ensureRoomForMembers(found, argv, 2, 2);
  let hash = found;
  if (hash === undefined) {
    hash = new HashValue();
    ctx.db.set(key, hash);
  }
  const entries = maxEntries(ctx);
  const valueLimit = maxValue(ctx);
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) {
    if (hash.set(argv[i] as string, argv[i + 1] as string, entries, valueLimit)) created++;
  }
  if ((argv[0] as string).charCodeAt(1) === 115 || (argv[0] as string).charCodeAt(1) === 83) ctx.reply.integer(created);
  else ctx.reply.ok();
  ctx.db.signalModifiedKey(key);
  ctx.db.notify('h', 'hset', key);
  ctx.server.dirty += (argv.length - 2) / 2;
}

function hsetnx(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const hash = writeHash(ctx, key);
  const field = argv[2] as string;
  if (hash.has(field)) return ctx.reply.integer(0);
  hash.set(field, argv[3] as string, maxEntries(ctx), maxValue(ctx));
  ctx.reply.integer(1);
  ctx.db.signalModifiedKey(key);
  ctx.db.notify('h', 'hset', key);
  ctx.server.dirty++;
}

function hget(ctx: CommandContext, argv: string[]): void {
  const value = readHash(ctx, argv[1] as string)?.get(argv[2] as string);
  if (value === undefined) ctx.reply.nullBulk();
  else ctx.reply.bulk(value);
}

function hmget(ctx: CommandContext, argv: string[]): void {
  const hash = readHash(ctx, argv[1] as string);
  ctx.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const value = hash?.get(argv[i] as string);
    if (value === undefined) ctx.reply.nullBulk();
    else ctx.reply.bulk(value);
  }
}

function hgetall(ctx: CommandContext, argv: string[]): void {
  const hash = readHash(ctx, argv[1] as string);
  if (hash === undefined) return ctx.reply.mapHeader(0);
  const reply = ctx.reply;
  reply.mapHeader(hash.size);
  hash.forEachPair((field, value) => {
    reply.bulk(field);
    reply.bulk(value);
  });
}

function hkeys(ctx: CommandContext, argv: string[]): void {
  const hash = readHash(ctx, argv[1] as string);
  if (hash === undefined) return ctx.reply.emptyArray();
  const reply = ctx.reply;
  reply.arrayHeader(hash.size);
  hash.forEachPair((field) => reply.bulk(field));
}

function hvals(ctx: CommandContext, argv: string[]): void {
  const hash = readHash(ctx, argv[1] as string);
  if (hash === undefined) return ctx.reply.emptyArray();
  const reply = ctx.reply;
  reply.arrayHeader(hash.size);
  hash.forEachPair((_field, value) => reply.bulk(value));
}

function hlen(ctx: CommandContext, argv: string[]): void {
  ctx.reply.integer(readHash(ctx, argv[1] as string)?.size ?? 0);
}

function hexists(ctx: CommandContext, argv: string[]): void {
  const hash = readHash(ctx, argv[1] as string);
  ctx.reply.integer(hash !== undefined && hash.has(argv[2] as string) ? 1 : 0);
}

function hstrlen(ctx: CommandContext, argv: string[]): void {
  ctx.reply.integer(readHash(ctx, argv[1] as string)?.get(argv[2] as string)?.length ?? 0);
}

function hdel(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const hash = asHash(ctx.db.lookupWrite(key));
  if (hash === undefined) return ctx.reply.integer(0);
  let deleted = 0;
  let removed = false;
  for (let i = 2; i < argv.length; i++) {
    if (hash.delete(argv[i] as string)) {
      deleted++;
      if (hash.size === 0) {
        ctx.db.delete(key);
        removed = true;
        break;
      }
    }
  }
  if (deleted > 0) {
    if (!removed) ctx.db.signalModifiedKey(key);
    ctx.db.notify('h', 'hdel', key);
    if (removed) ctx.db.notify('g', 'del', key);
    ctx.server.dirty += deleted;
  }
  ctx.reply.integer(deleted);
}

function hincrby(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const field = argv[2] as string;
  const incrText = argv[3] as string;
  getLongLong(incrText);
  const hash = writeHash(ctx, key);
  const old = hash.get(field);
  let result: string;
  if (old === undefined || (old.length < 16 && incrText.length < 16)) {
    // Both below 10^15 in magnitude: the sum is exact as a double.
    const current = old === undefined ? 0 : parseLongLong(old);
    if (current === null) throw new RedisError('ERR hash value is not an integer');
    if (old === undefined && incrText.length >= 16) result = String(parseLongLongBig(incrText));
    else result = String(current + (parseLongLong(incrText) as number));
  } else {
    const current = parseLongLongBig(old);
    if (current === null) throw new RedisError('ERR hash value is not an integer');
    const sum = current + (parseLongLongBig(incrText) as bigint);
    if (sum > LLONG_MAX || sum < LLONG_MIN) throw new RedisError(ERR_OVERFLOW);
    result = sum.toString();
  }
  hash.set(field, result, maxEntries(ctx), maxValue(ctx));
  ctx.reply.raw(':' + result + '\r\n');
  ctx.db.signalModifiedKey(key);
  ctx.db.notify('h', 'hincrby', key);
  ctx.server.dirty++;
}

function hincrbyfloat(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const field = argv[2] as string;
  const incr = parseLongDouble(argv[3] as string);
  if (incr === null) throw new RedisError('ERR value is not a valid float');
  if (incr.infinite) throw new RedisError('ERR value is NaN or Infinity');
  const hash = writeHash(ctx, key);
  const old = hash.get(field);
  let sum: LongDouble | null = incr;
  if (old !== undefined) {
    const current = parseLongDouble(old);
    if (current === null) throw new RedisError('ERR hash value is not a float');
    sum = addLongDouble(current, incr);
  }
  if (sum === null || sum.infinite) throw new RedisError('ERR increment would produce NaN or Infinity');
  const text = formatLongDoubleHuman(sum);
  hash.set(field, text, maxEntries(ctx), maxValue(ctx));
  ctx.reply.bulk(text);
  ctx.db.signalModifiedKey(key);
  ctx.db.notify('h', 'hincrbyfloat', key);
  ctx.server.dirty++;
  // The result as text, so that no replica has to repeat the long double arithmetic.
  const propagation = ctx.server.propagation;
  if (propagation.active) propagation.rewrite(['HSET', key, field, text]);
}

function hrandfield(ctx: CommandContext, argv: string[]): void {
  if (argv.length === 2) {
    const hash = readHash(ctx, argv[1] as string);
    if (hash === undefined) return ctx.reply.nullBulk();
    return ctx.reply.bulk(hash.randomField());
  }
  const count = parseRandomCount(argv[2] as string);
  let withValues = false;
  if (argv.length > 4 || (argv.length === 4 && (argv[3] as string).toLowerCase() !== 'withvalues')) {
    throw new RedisError(ERR_SYNTAX);
  }
  if (argv.length === 4) {
    withValues = true;
    // Redis refuses counts whose doubled reply length could overflow a long.
    if (count.big < -(LLONG_MAX / 2n) || count.big > LLONG_MAX / 2n) throw new RedisError('ERR value is out of range');
  }
  const hash = readHash(ctx, argv[1] as string);
  if (hash === undefined || count.value === 0) return ctx.reply.emptyArray();
  const reply = ctx.reply;
  const pairs = withValues && reply.resp === 3;
  const size = hash.size;
  if (count.value < 0 || count.value === 1) {
    const n = Math.abs(count.value);
    reply.arrayHeader(withValues && !pairs ? n * 2 : n);
    for (let k = 0; k < n; k++) {
      const field = hash.randomField();
      if (pairs) reply.arrayHeader(2);
      reply.bulk(field);
      if (withValues) reply.bulk(hash.get(field) as string);
    }
    return;
  }
  if (count.value >= size) {
    reply.arrayHeader(withValues && !pairs ? size * 2 : size);
    hash.forEachPair((field, value) => {
      if (pairs) reply.arrayHeader(2);
      reply.bulk(field);
      if (withValues) reply.bulk(value);
    });
    return;
  }
  const n = count.value;
  reply.arrayHeader(withValues && !pairs ? n * 2 : n);
  if (n * 3 > size) {
    // Many of them: positions (Redis copies the hash and removes fields at random then).
    const chosen = pickDistinct(size, n);
    for (let k = 0; k < n; k++) {
      const i = chosen[k] as number;
      if (pairs) reply.arrayHeader(2);
      reply.bulk(hash.fieldAt(i));
      if (withValues) reply.bulk(hash.valueAt(i));
    }
    return;
  }
  // A few: draws, skipping repeats (a table's draw index has no positions while fields it lost
  // are still in it).
  const seen = new Set<string>();
  while (seen.size < n) {
    const field = hash.randomField();
    if (seen.has(field)) continue;
    seen.add(field);
    if (pairs) reply.arrayHeader(2);
    reply.bulk(field);
    if (withValues) reply.bulk(hash.get(field) as string);
  }
}

let scanTarget: HashValue | null = null;
let scanPattern: string | null = null;
let scanItems: string[] = [];

function visitScannedField(field: string): void {
  if (scanPattern !== null && !globMatch(scanPattern, field)) return;
  const value = (scanTarget as HashValue).get(field);
  if (value !== undefined) scanItems.push(field, value);
}

function hscan(ctx: CommandContext, argv: string[]): void {
  const cursor = parseScanCursor(argv[2] as string);
  const hash = readHash(ctx, argv[1] as string);
  if (hash === undefined) return replyScan(ctx.reply, '0', []);
  const { count, pattern } = parseCollectionScanArgs(argv, 3);
  const items: string[] = [];
  let next = '0';
  if (hash.isCompact()) {
    // Like a listpack in Redis: everything at once, whatever COUNT says.
    hash.forEachPair((field, value) => {
      if (pattern === null || globMatch(pattern, field)) items.push(field, value);
    });
  } else {
    scanTarget = hash;
    scanPattern = pattern;
    scanItems = items;
    try {
      next = scanStep(cursor, hash, startFieldScan, count, visitScannedField);
    } finally {
      scanTarget = null;
      scanItems = [];
    }
  }
  replyScan(ctx.reply, next, items);
}

function startFieldScan(this: void): Iterator<string> {
  return (scanTarget as HashValue).scanFields();
}

export const commands: CommandCode[] = [
  { name: 'hset', handler: hset },
  { name: 'hsetnx', handler: hsetnx },
  { name: 'hget', handler: hget },
  { name: 'hmget', handler: hmget },
  { name: 'hmset', handler: hset },
  { name: 'hgetall', handler: hgetall },
  { name: 'hkeys', handler: hkeys },
  { name: 'hvals', handler: hvals },
  { name: 'hlen', handler: hlen },
  { name: 'hexists', handler: hexists },
  { name: 'hdel', handler: hdel },
  { name: 'hincrby', handler: hincrby },
  { name: 'hincrbyfloat', handler: hincrbyfloat },
  { name: 'hstrlen', handler: hstrlen },
  { name: 'hrandfield', handler: hrandfield },
  { name: 'hscan', handler: hscan },
];
