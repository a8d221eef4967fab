import { RedisError, ERR_NOT_INTEGER } from '../../errors.js';
import { parseLongLong, parseLongLongBig } from '../../util/parse.js';

/**
 * Expire-time arguments (EX/PX/EXAT/PXAT of SET and GETEX, SETEX, PSETEX, the EXPIRE family)
 * turned into an absolute time in ms, with Redis's validation and 64-bit overflow checks.
 */

const LLONG_MAX = 9223372036854775807n;
const LLONG_MIN = -9223372036854775808n;
const LLONG_MAX_DIV_1000 = 9223372036854775n;
const LLONG_MIN_DIV_1000 = -9223372036854775n;
/** Below this every product and sum stays exact as a number and far from the 64-bit limits. */
const SAFE = 2 ** 52;

export type ExpireUnit = 'seconds' | 'milliseconds';

/** Redis's addReplyErrorExpireTime; `command` is the command's full name ('set', 'getex'…). */
export function errInvalidExpireTime(command: string): string {
  return `ERR invalid expire time in '${command}' command`;
}

/**
 * SET/GETEX/SETEX/PSETEX rules (getExpireMillisecondsOrReply): the time must be > 0, seconds
 * must not overflow once in ms, and a relative time (EX/PX, `relative`) is added to `now`
 * without overflowing. Returns the absolute expiry time in ms.
 */
export function parseSetExpireTime(text: string, unit: ExpireUnit, relative: boolean, now: number, command: string): number {
  const value = parseLongLong(text);
  if (value === null) throw new RedisError(ERR_NOT_INTEGER);
  if (value <= 0) throw new RedisError(errInvalidExpireTime(command));
  if (value < SAFE) {
    const ms = unit === 'seconds' ? value * 1000 : value;
    if (ms < SAFE) return relative ? ms + now : ms;
  }
  let ms = parseLongLongBig(text) as bigint;
  if (unit === 'seconds') {
    if (ms > LLONG_MAX_DIV_1000) throw new RedisError(errInvalidExpireTime(command));
    ms *= 1000n;
  }
  if (relative) {
    // Redis adds in signed 64 bits and takes a wrapped (non-positive) result as the overflow.
    ms += BigInt(now);
    if (ms > LLONG_MAX) throw new RedisError(errInvalidExpireTime(command));
  }
  return Number(ms);
}

/**
 * EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT rules (expireGenericCommand): negative times are allowed,
 * only overflow of the unit conversion or of `basetime` + time is an error. `basetime` is now
 * for the relative forms and 0 for the absolute ones. Returns the absolute time in ms (it may
 * be in the past).
 */
export function parseExpireCommandTime(text: string, unit: ExpireUnit, basetime: number, command: string): number {
  const value = parseLongLong(text);
  if (value === null) throw new RedisError(ERR_NOT_INTEGER);
  if (value < SAFE && value > -SAFE) {
    const ms = unit === 'seconds' ? value * 1000 : value;
    if (ms < SAFE && ms > -SAFE) return ms + basetime;
  }
  let ms = parseLongLongBig(text) as bigint;
  if (unit === 'seconds') {
    if (ms > LLONG_MAX_DIV_1000 || ms < LLONG_MIN_DIV_1000) throw new RedisError(errInvalidExpireTime(command));
    ms *= 1000n;
  }
  const base = BigInt(basetime);
  if (ms > LLONG_MAX - base) throw new RedisError(errInvalidExpireTime(command));
  ms += base;
  // Unreachable for a non-negative basetime; kept so the result is always a valid long long.
  if (ms < LLONG_MIN) throw new RedisError(errInvalidExpireTime(command));
  return Number(ms);
}
