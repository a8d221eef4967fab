/**
 * Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP): the
 * command side of the machinery in net/blocking.ts.
 *
 * How a command blocks a client:
 *   1. Parse the timeout with `parseTimeout(argv[i])`: an absolute deadline in ms, 0 = forever
 *      (Redis's errors "timeout is not a float or out of range" / "timeout is negative").
 *   2. Try to serve at once, in Redis's order (WRONGTYPE is only ever answered here).
 *   3. If nothing can be served and `ctx.inMulti` is set (MULTI/EXEC, scripts), answer as a
 *      timeout would (`ctx.reply.nullArray()`) and return.
 *   4. Otherwise call `ctx.server.blockForKeys(ctx, argv, keys, type, deadline, serve)` and write
 *      no reply. The client reads no further input until it is served, times out (the machinery
 *      answers a null array: *-1 in RESP2, _ in RESP3), is unblocked by CLIENT UNBLOCK, or
 *      disconnects (nothing of it is left behind).
 *
 * `serve(ctx, key, value, argv)` runs later, after some command made `key` (of the client's
 * database) hold a non-empty value whose type is `type`; `argv` is the blocked command's. It
 * pops, writes the reply, emits notifications, deletes the key when emptied and counts dirty,
 * exactly as the blocked command would have done at once (Redis 7.0's serveClientBlockedOn*).
 * It may throw a RedisError, which becomes the client's reply. The client is unblocked before
 * `serve` runs, whatever it does; clients waiting on a key are served in the order they
 * blocked, as long as the key still holds a non-empty value of their type. A key that is
 * deleted, emptied or turned into another type wakes nobody.
 *
 * How a key becomes ready: every change the keyspace signals (db.set, db.delete,
 * db.signalModifiedKey — which any write already calls) marks a key that clients wait on as
 * ready, and ready keys are served after each command (after EXEC as a whole). SWAPDB, which
 * exchanges whole dicts without those signals, has the server mark every key waited on in
 * either database that now holds data (its `swapped` keyspace hook).
 *
 * BlockedType and ServeBlocked are declared in context.ts, with the rest the server offers commands.
 */
import { RedisError } from '../../errors.js';
import { parseLongDouble, type LongDouble } from '../../util/long-double.js';

const ERR_TIMEOUT_NOT_FLOAT = 'ERR timeout is not a float or out of range';
const ERR_TIMEOUT_NEGATIVE = 'ERR timeout is negative';
const TWO_POW_63 = 1n << 63n;

/**
 * (long long)ceill(x * 1000.0) as Redis computes it in long double: the exact product rounded
 * to a 64-bit significand (to nearest, ties to even), then rounded up to whole ms. x86 turns a
 * result that does not fit 64 bits (and infinity) into LLONG_MIN, which reads as negative.
 */
function longDoubleMillis(x: LongDouble): bigint {
  if (x.infinite) return -TWO_POW_63;
  let m = x.m * 1000n;
  let e = x.e;
  const bits = m.toString(2).length;
  if (m !== 0n && bits > 64) {
    const shift = BigInt(bits - 64);
    const half = 1n << (shift - 1n);
    const rest = m & ((1n << shift) - 1n);
    m >>= shift;
    if (rest > half || (rest === half && (m & 1n) === 1n)) m += 1n;
    e += bits - 64;
  }
  let ms: bigint;
  let fraction = false;
  if (e >= 0) {
    ms = e > 80 ? TWO_POW_63 : m << BigInt(e);
  } else if (-e > 80) {
    ms = 0n;
    fraction = m !== 0n;
  } else {
    ms = m >> BigInt(-e);
    fraction = (m & ((1n << BigInt(-e)) - 1n)) !== 0n;
  }
  // ceill: a positive fraction rounds up, a negative one towards zero.
  if (fraction && !x.negative) ms += 1n;
  if (ms >= TWO_POW_63) return -TWO_POW_63;
  return x.negative ? -ms : ms;
}

/**
 * A blocking command's timeout in seconds (a long double): the absolute deadline in ms since
 * the epoch, or 0 to wait forever. As in Redis the ms are rounded up (0.0001 waits 1 ms, while
 * -0.0001 and even -0.001, whose long double is a hair above -0.001, wait forever), and a value
 * whose ms do not fit a 64-bit integer (inf, 1e300) is negative.
 */
export function parseTimeout(text: string, now: number = Date.now()): number {
  const seconds = parseLongDouble(text);
  if (seconds === null) throw new RedisError(ERR_TIMEOUT_NOT_FLOAT);
  const ms = longDoubleMillis(seconds);
  if (ms < 0n) throw new RedisError(ERR_TIMEOUT_NEGATIVE);
  return ms === 0n ? 0 : now + Number(ms);
}
