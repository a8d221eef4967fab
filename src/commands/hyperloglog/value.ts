/**
 * Where the HyperLogLog commands read a key's value as bytes and write one back. An HLL is an
 * ordinary string value (GET and SET move it between nodis and Redis), so these are the only
 * places that know how strings are stored.
 */
import { RedisError, WRONGTYPE } from '../../errors.js';
import { HllBuffer, isValidHllHeader } from '../../types/hyperloglog.js';
import { isStringValue, type Value } from '../../types/value.js';
import type { Database } from '../../keyspace/database.js';
import { MutableString } from '../../types/mutable-string.js';

export const ERR_INVALID_HLL = 'INVALIDOBJ Corrupted HLL object detected';
const ERR_NOT_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';

/**
 * Redis's isHLLObjectOrReply: the value as a working copy, or WRONGTYPE (another type, or a
 * string without a valid HLL header).
 */
export function hllOf(value: Value): HllBuffer {
  if (!isStringValue(value)) throw new RedisError(WRONGTYPE);
  const hll = HllBuffer.ofLength(value.length);
  const bytes = hll.bytes;
  const target = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A value written in place (SETRANGE, APPEND, SETBIT) is a MutableString: copied from its bytes.
  if (typeof value === 'string') target.latin1Write(value, 0);
  else value.view().copy(target, 0, 0, value.length);
  if (!isValidHllHeader(hll.view())) throw new RedisError(ERR_NOT_HLL);
  return hll;
}

/**
 * The value to store: a string changed in place, as Redis's HLL is (created with createObject,
 * or unshared by dbUnshareStringValue before each change): OBJECT ENCODING says raw, even for a
 * sparse HLL short enough to be an embstr.
 */
function asValue(hll: HllBuffer): MutableString {
  const view = hll.view();
  const bytes = Buffer.alloc(view.byteLength);
  bytes.set(view);
  return MutableString.fromBuffer(bytes, view.byteLength);
}

/** A new key holding `hll` (announced as a new key, modification signalled). */
export function addHll(db: Database, key: string, hll: HllBuffer): void {
  db.set(key, asValue(hll));
}

/**
 * An existing key's value becomes `hll`, changed in place as far as the key goes: its TTL and
 * access record stay, and nothing is signalled (the caller signals when Redis does).
 */
export function replaceHll(db: Database, key: string, hll: HllBuffer): void {
  db.store(key, asValue(hll));
}
