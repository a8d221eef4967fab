import { RedisError, WRONGTYPE, ERR_SYNTAX, ERR_NOT_INTEGER, ERR_NOT_FLOAT, ERR_OVERFLOW, errWrongArity } from '../../errors.js';
import { getLongLong, parseLongLong, parseLongLongBig } from '../../util/parse.js';
import { addLongDouble, formatLongDoubleHuman, parseLongDouble, type LongDouble } from '../../util/long-double.js';
import { parseSetExpireTime } from '../args/expire.js';
import { lcs } from './lcs.js';
import { MAX_VALUE_BYTES, type StringValue } from '../../types/mutable-string.js';
import { IntegerString } from '../../types/integer-string.js';
import { isStringValue } from '../../types/value.js';
import { writableString } from '../../keyspace/string-values.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import type { ReplyWriter } from '../../protocol/reply.js';

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;

/** Redis's MAX_LONG_DOUBLE_CHARS: the longest text string2ld reads. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

const ERR_STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
const ERR_NAN_OR_INF = 'ERR increment would produce NaN or Infinity';

// SET/GETEX option flags, as Redis's OBJ_SET_* / OBJ_* bits.
const SET_NX = 1;
const SET_XX = 2;
const SET_GET = 4;
const KEEPTTL = 8;
const PERSIST = 16;
const EX = 32;
const PX = 64;
const EXAT = 128;
const PXAT = 256;
const ANY_EXPIRE = EX | PX | EXAT | PXAT;

/** The time argument of the last parsed EX/PX/EXAT/PXAT (undefined without one); avoids a result object per call. */
let parsedExpire: string | undefined;

/**
 * Redis's parseExtendedStringArgumentsOrReply for SET (`forSet`) and GETEX: which options may
 * combine, and that an expire option needs its argument. Returns the flags.
 */
function parseExtendedArgs(argv: string[], start: number, forSet: boolean): number {
  let flags = 0;
  parsedExpire = undefined;
  for (let j = start; j < argv.length; j++) {
    const opt = (argv[j] as string).toLowerCase();
    const hasNext = j < argv.length - 1;
    if (opt === 'nx' && forSet && !(flags & SET_XX)) {
      flags |= SET_NX;
    } else if (opt === 'xx' && forSet && !(flags & SET_NX)) {
      flags |= SET_XX;
    } else if (opt === 'get' && forSet) {
      flags |= SET_GET;
    } else if (opt === 'keepttl' && forSet && !(flags & (PERSIST | ANY_EXPIRE))) {
      flags |= KEEPTTL;
    } else if (opt === 'persist' && !forSet && !(flags & (KEEPTTL | ANY_EXPIRE))) {
      flags |= PERSIST;
    } else if (hasNext && !(flags & (KEEPTTL | PERSIST)) && expireFlag(opt) !== 0 && !(flags & ANY_EXPIRE & ~expireFlag(opt))) {
      flags |= expireFlag(opt);
      parsedExpire = argv[++j] as string;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  return flags;
}

function expireFlag(opt: string): number {
  switch (opt) {
    case 'ex': return EX;
    case 'px': return PX;
    case 'exat': return EXAT;
    case 'pxat': return PXAT;
    default: return 0;
  }
}

/** The absolute expiry time in ms of an EX/PX/EXAT/PXAT argument, validated as SET does. */
function expireAt(flags: number, arg: string, command: string): number {
  const seconds = (flags & (EX | EXAT)) !== 0;
  return parseSetExpireTime(arg, seconds ? 'seconds' : 'milliseconds', (flags & (EX | PX)) !== 0, Date.now(), command);
}

/** A string value as a bulk reply: a mutable one's bytes are written from its Buffer, uncopied. */
export function replyString(reply: ReplyWriter, value: StringValue): void {
  if (typeof value === 'string') return reply.bulk(value);
  const large = value.largeBytes();
  if (large !== null) reply.bulkBytes(large, 0, value.length);
  else reply.bulk(value.toString());
}

/** Redis's getGenericCommand: replies the value (or null); WRONGTYPE for another type. */
function replyValue(ctx: CommandContext, key: string): void {
  const value = ctx.db.lookupRead(key);
  if (value === undefined) return ctx.reply.nullBulk();
  if (typeof value === 'string') return ctx.reply.bulk(value);
  if (value.type !== 'string') throw new RedisError(WRONGTYPE);
  replyString(ctx.reply, value);
}

/**
 * Redis's setGenericCommand, shared by SET, SETNX, SETEX and PSETEX. `intReply` answers 1/0
 * (SETNX) instead of OK/null.
 */
function setGeneric(ctx: CommandContext, argv: string[], flags: number, key: string, value: string, expire: string | undefined,
  command: string, intReply: boolean): void {
  const db = ctx.db;
  const at = expire === undefined ? 0 : expireAt(flags, expire, command);
  if (flags & SET_GET) {
    replyValue(ctx, key);
  }
  if (flags & (SET_NX | SET_XX)) {
    const found = db.lookupWrite(key) !== undefined;
    if ((flags & SET_NX && found) || (flags & SET_XX && !found)) {
      if (!(flags & SET_GET)) {
        if (intReply) ctx.reply.integer(0);
        else ctx.reply.nullBulk();
      }
      return;
    }
  } else {
    // The lookup Redis does here also expires a stale key first (its 'expired' event comes before 'set').
    if (db.expires.size !== 0) db.expireIfNeeded(key);
    // ... and counts as a use of the old value, whose LFU counter the new one keeps (touch
    // looks the key up once, and does nothing for one that does not exist).
    if (db.access.lfu) db.touch(key);
  }
  db.set(key, value, (flags & KEEPTTL) !== 0);
  ctx.server.dirty++;
  db.notify('$', 'set', key);
  if (expire !== undefined) {
    db.setExpire(key, at);
    db.notify('g', 'expire', key);
  }
  if (!(flags & SET_GET)) {
    if (intReply) ctx.reply.integer(1);
    else ctx.reply.ok();
  }
  const propagation = ctx.server.propagation;
  if (!propagation.active) return;
  // Replicas and the AOF get the absolute time, and never GET (Redis's setGenericCommand).
  if (expire !== undefined) propagation.rewrite(['SET', key, value, 'PXAT', String(at)]);
  else if (flags & SET_GET) propagation.rewrite(withoutGet(argv));
}

/** SET's argv without its GET options (a replica has no one to answer). */
function withoutGet(argv: string[]): string[] {
  const out: string[] = [];
  for (let j = 0; j < argv.length; j++) {
    if (j >= 3 && (argv[j] as string).toLowerCase() === 'get') continue;
    out.push(argv[j] as string);
  }
  return out;
}

function set(ctx: CommandContext, argv: string[]): void {
  const flags = argv.length === 3 ? 0 : parseExtendedArgs(argv, 3, true);
  setGeneric(ctx, argv, flags, argv[1] as string, argv[2] as string, flags === 0 ? undefined : parsedExpire, 'set', false);
}

function setnx(ctx: CommandContext, argv: string[]): void {
  setGeneric(ctx, argv, SET_NX, argv[1] as string, argv[2] as string, undefined, 'setnx', true);
}

function setex(ctx: CommandContext, argv: string[]): void {
  setGeneric(ctx, argv, EX, argv[1] as string, argv[3] as string, argv[2] as string, 'setex', false);
}

function psetex(ctx: CommandContext, argv: string[]): void {
  setGeneric(ctx, argv, PX, argv[1] as string, argv[3] as string, argv[2] as string, 'psetex', false);
}

function get(ctx: CommandContext, argv: string[]): void {
  replyValue(ctx, argv[1] as string);
}

function getex(ctx: CommandContext, argv: string[]): void {
  const flags = argv.length === 2 ? 0 : parseExtendedArgs(argv, 2, false);
  const expire = flags === 0 ? undefined : parsedExpire;
  const key = argv[1] as string;
  const db = ctx.db;
  const value = db.lookupRead(key);
  if (value === undefined) return ctx.reply.nullBulk();
  if (!isStringValue(value)) throw new RedisError(WRONGTYPE);
  const at = expire === undefined ? 0 : expireAt(flags, expire, 'getex');
  replyString(ctx.reply, value);
  // Never propagated as itself: as the DEL/UNLINK, PEXPIREAT or PERSIST it amounts to.
  const propagation = ctx.server.propagation;
  if (flags & (EXAT | PXAT) && at <= Date.now() && !ctx.server.loading) {
    // An absolute time already past deletes the key at once (not while loading, as in Redis).
    db.delete(key);
    db.notify('g', 'del', key);
    ctx.server.dirty++;
    if (propagation.active) propagation.rewrite(propagation.deletionArgv(key));
  } else if (expire !== undefined) {
    db.setExpire(key, at);
    db.signalModifiedKey(key);
    db.notify('g', 'expire', key);
    ctx.server.dirty++;
    if (propagation.active) propagation.rewrite(['PEXPIREAT', key, String(at)]);
  } else if (flags & PERSIST) {
    if (db.removeExpire(key)) {
      db.signalModifiedKey(key);
      db.notify('g', 'persist', key);
      ctx.server.dirty++;
      if (propagation.active) propagation.rewrite(['PERSIST', key]);
    }
  }
}

function getdel(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  replyValue(ctx, key);
  if (ctx.db.delete(key)) {
    ctx.db.notify('g', 'del', key);
    ctx.server.dirty++;
    const propagation = ctx.server.propagation;
    if (propagation.active) propagation.rewrite([ctx.server.config.getBool('lazyfree-lazy-user-del') ? 'UNLINK' : 'DEL', key]);
  }
}

function getset(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  replyValue(ctx, key);
  ctx.db.set(key, argv[2] as string);
  ctx.db.notify('$', 'set', key);
  ctx.server.dirty++;
  const propagation = ctx.server.propagation;
  if (propagation.active) propagation.rewrite(['SET', key, argv[2] as string]);
}

function mget(ctx: CommandContext, argv: string[]): void {
  const reply = ctx.reply;
  const db = ctx.db;
  reply.arrayHeader(argv.length - 1);
  for (let j = 1; j < argv.length; j++) {
    const value = db.lookupRead(argv[j] as string);
    if (typeof value === 'string') reply.bulk(value);
    else if (value !== undefined && value.type === 'string') replyString(reply, value);
    else reply.nullBulk();
  }
}

function msetGeneric(ctx: CommandContext, argv: string[], nx: boolean): void {
  if (argv.length % 2 === 0) throw new RedisError(errWrongArity(nx ? 'msetnx' : 'mset'));
  const db = ctx.db;
  if (nx) {
    for (let j = 1; j < argv.length; j += 2) {
      if (db.lookupWrite(argv[j] as string) !== undefined) return ctx.reply.integer(0);
    }
  }
  for (let j = 1; j < argv.length; j += 2) {
    const key = argv[j] as string;
    if (!nx && db.expires.size !== 0) db.expireIfNeeded(key);
    db.set(key, argv[j + 1] as string);
    db.notify('$', 'set', key);
  }
  ctx.server.dirty += (argv.length - 1) / 2;
  if (nx) ctx.reply.integer(1);
  else ctx.reply.ok();
}

function mset(ctx: CommandContext, argv: string[]): void {
  msetGeneric(ctx, argv, false);
}

function msetnx(ctx: CommandContext, argv: string[]): void {
  msetGeneric(ctx, argv, true);
}

/**
 * Redis's checkStringLength: the resulting string must fit proto-max-bulk-len, except for the
 * AOF loader (Redis's mustObeyClient). A value longer than a JS string is held in a Buffer.
 */
function checkStringLength(ctx: CommandContext, length: number): void {
  // Past a Buffer's longest (4 GB) even the loader is refused: such a value cannot be held.
  if ((ctx.caller !== 'loader' && length > ctx.server.config.getNumber('proto-max-bulk-len')) || length > MAX_VALUE_BYTES) {
    throw new RedisError(ERR_STRING_TOO_LONG);
  }
}

function append(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const suffix = argv[2] as string;
  const db = ctx.db;
  const value = db.lookupWrite(key);
  let length: number;
  if (value === undefined) {
    db.set(key, suffix);
    length = suffix.length;
  } else {
    if (!isStringValue(value)) throw new RedisError(WRONGTYPE);
    length = value.length + suffix.length;
    checkStringLength(ctx, length);
    // Appended in place (Redis's sdscatlen on a raw string): repeated APPENDs cost what they add.
    writableString(db, key, value, 0).append(suffix);
    db.signalModifiedKey(key);
  }
  db.notify('$', 'append', key);
  ctx.server.dirty++;
  ctx.reply.integer(length);
}

function strlen(ctx: CommandContext, argv: string[]): void {
  const value = ctx.db.lookupRead(argv[1] as string);
  if (value === undefined) return ctx.reply.integer(0);
  if (!isStringValue(value)) throw new RedisError(WRONGTYPE);
  ctx.reply.integer(value.length);
}

/** GETRANGE and SUBSTR: inclusive, negative indexes from the end, clamped. */
function getrange(ctx: CommandContext, argv: string[]): void {
  const start = getLongLong(argv[2] as string);
  const end = getLongLong(argv[3] as string);
  const value = ctx.db.lookupRead(argv[1] as string);
  if (value === undefined) return ctx.reply.bulk('');
  if (!isStringValue(value)) throw new RedisError(WRONGTYPE);
  const length = value.length;
  if (start < 0 && end < 0 && start > end) return ctx.reply.bulk('');
  let from = start < 0 ? length + start : start;
  let to = end < 0 ? length + end : end;
  if (from < 0) from = 0;
  if (to < 0) to = 0;
  if (to >= length) to = length - 1;
  if (from > to || length === 0) return ctx.reply.bulk('');
  const large = typeof value === 'string' ? null : value.largeBytes();
  if (large !== null) ctx.reply.bulkBytes(large, from, to + 1);
  else ctx.reply.bulk(value.toString().slice(from, to + 1));
}

function setrange(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const offset = getLongLong(argv[2] as string);
  const patch = argv[3] as string;
  if (offset < 0) throw new RedisError('ERR offset is out of range');
  const db = ctx.db;
  const value = db.lookupWrite(key);
  if (value === undefined) {
    if (patch.length === 0) return ctx.reply.integer(0);
  } else {
    if (!isStringValue(value)) throw new RedisError(WRONGTYPE);
    if (patch.length === 0) return ctx.reply.integer(value.length);
  }
  checkStringLength(ctx, offset + patch.length);
  // Patched in place (a raw string in Redis; see keyspace/string-values.ts).
  const bytes = writableString(db, key, value, offset + patch.length);
  bytes.write(offset, patch);
  const length = bytes.length;
  db.signalModifiedKey(key);
  db.notify('$', 'setrange', key);
  ctx.server.dirty++;
  ctx.reply.integer(length);
}

/** An INCRBY/DECRBY amount: a number when exact, else a bigint. */
function getIncrement(text: string): number | bigint {
  const n = parseLongLong(text);
  if (n === null) throw new RedisError(ERR_NOT_INTEGER);
  return Number.isSafeInteger(n) ? n : (parseLongLongBig(text) as bigint);
}

/**
 * Redis's incrDecrCommand. Numbers are used while everything stays within 2^53, and the result
 * is then kept as an IntegerString, which the next increment changes in place; beyond 2^53 the
 * sum is done in BigInt, checked against the signed 64-bit range and stored as text.
 */
function incrDecr(ctx: CommandContext, key: string, incr: number | bigint): void {
  const db = ctx.db;
  const value = db.lookupWrite(key);
  if (value instanceof IntegerString && typeof incr === 'number') {
    const sum = value.integer + incr;
    if (Number.isSafeInteger(sum)) {
      // In place, as Redis's increment of an unshared integer object: TTL and access record stay.
      value.set(sum);
      db.signalModifiedKey(key);
      db.notify('$', 'incrby', key);
      ctx.server.dirty++;
      ctx.reply.integer(sum);
      return;
    }
  }
  let current = 0;
  let text: string | undefined;
  if (value !== undefined) {
    if (!isStringValue(value)) throw new RedisError(WRONGTYPE);
    // (A string changed in place is long: only a short one could be a number, worth a copy.)
    text = typeof value === 'string' || value instanceof IntegerString ? value.toString() : value.length <= 32 ? value.toString() : 'x';
    const parsed = parseLongLong(text);
    if (parsed === null) throw new RedisError(ERR_NOT_INTEGER);
    current = parsed;
  }
  const sum = typeof incr === 'number' ? current + incr : NaN;
  if (Number.isSafeInteger(sum) && Number.isSafeInteger(current)) {
    const counter = new IntegerString(sum);
    if (value === undefined) {
      db.set(key, counter, true);
    } else {
      // In place of the old value: its TTL and access record stay (Redis's dbReplaceValue).
      db.store(key, counter);
      db.signalModifiedKey(key);
    }
    db.notify('$', 'incrby', key);
    ctx.server.dirty++;
    ctx.reply.integer(sum);
    return;
  }
  const big = (text === undefined ? 0n : (parseLongLongBig(text) as bigint)) + BigInt(incr);
  if (big > LLONG_MAX || big < LLONG_MIN) throw new RedisError(ERR_OVERFLOW);
  if (typeof value === 'string') {
    db.replaceString(key, value, big.toString());
  } else if (value === undefined) {
    db.set(key, big.toString(), true);
  } else {
    db.store(key, big.toString());
    db.signalModifiedKey(key);
  }
  db.notify('$', 'incrby', key);
  ctx.server.dirty++;
  ctx.reply.integer(big);
}

function incr(ctx: CommandContext, argv: string[]): void {
  incrDecr(ctx, argv[1] as string, 1);
}

function decr(ctx: CommandContext, argv: string[]): void {
  incrDecr(ctx, argv[1] as string, -1);
}

function incrby(ctx: CommandContext, argv: string[]): void {
  incrDecr(ctx, argv[1] as string, getIncrement(argv[2] as string));
}

function decrby(ctx: CommandContext, argv: string[]): void {
  const amount = getIncrement(argv[2] as string);
  if (amount === LLONG_MIN) throw new RedisError('ERR decrement would overflow');
  incrDecr(ctx, argv[1] as string, typeof amount === 'number' ? 0 - amount : -amount);
}

const ZERO: LongDouble = { negative: false, m: 0n, e: 0, infinite: false };

/** Computed as Redis does, in x86 long double, and stored as the text it prints. */
function incrbyfloat(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const db = ctx.db;
  const value = db.lookupWrite(key);
  if (value !== undefined && !isStringValue(value)) throw new RedisError(WRONGTYPE);
  // (Redis reads at most MAX_LONG_DOUBLE_CHARS: a longer value, maybe longer than a JS string, is no number.)
  const current = value === undefined ? ZERO : value.length > MAX_LONG_DOUBLE_CHARS ? null
    : parseLongDouble(typeof value === 'string' ? value : value.toString());
  if (current === null) throw new RedisError(ERR_NOT_FLOAT);
  const increment = parseLongDouble(argv[2] as string);
  if (increment === null) throw new RedisError(ERR_NOT_FLOAT);
  const sum = addLongDouble(current, increment);
  if (sum === null || sum.infinite) throw new RedisError(ERR_NAN_OR_INF);
  const text = formatLongDoubleHuman(sum);
  db.set(key, text, true);
  db.notify('$', 'incrbyfloat', key);
  ctx.server.dirty++;
  ctx.reply.bulk(text);
  // The result as text, so that no replica has to repeat the long double arithmetic.
  const propagation = ctx.server.propagation;
  if (propagation.active) propagation.rewrite(['SET', key, text, 'KEEPTTL']);
}

const SET_GET_KEY_FLAGS = ['RW', 'access', 'update'];
const SET_KEY_FLAGS = ['OW', 'update'];

/** SET's key spec has variable flags: with GET the old value is read too (Redis's setGetKeys). */
function setKeysAndFlags(argv: readonly string[]): { pos: number; flags: string[] }[] {
  for (let i = 3; i < argv.length; i++) {
    if ((argv[i] as string).toLowerCase() === 'get') return [{ pos: 1, flags: SET_GET_KEY_FLAGS }];
  }
  return [{ pos: 1, flags: SET_KEY_FLAGS }];
}

export const commands: CommandCode[] = [
  { name: 'get', handler: get },
  { name: 'set', handler: set, getKeysAndFlags: setKeysAndFlags },
  { name: 'getex', handler: getex },
  { name: 'getdel', handler: getdel },
  { name: 'getset', handler: getset },
  { name: 'setnx', handler: setnx },
  { name: 'setex', handler: setex },
  { name: 'psetex', handler: psetex },
  { name: 'mget', handler: mget },
  { name: 'mset', handler: mset },
  { name: 'msetnx', handler: msetnx },
  { name: 'append', handler: append },
  { name: 'strlen', handler: strlen },
  { name: 'getrange', handler: getrange },
  { name: 'substr', handler: getrange },
  { name: 'setrange', handler: setrange },
  { name: 'incr', handler: incr },
  { name: 'decr', handler: decr },
  { name: 'incrby', handler: incrby },
  { name: 'decrby', handler: decrby },
  { name: 'incrbyfloat', handler: incrbyfloat },
  { name: 'lcs', handler: lcs },
];

