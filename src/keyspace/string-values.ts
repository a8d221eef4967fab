/**
 * Changing a string value in place (SETBIT, BITFIELD, SETRANGE, APPEND; HyperLogLog can use
 * the same call): `writableString` makes the key's value a MutableString (types/mutable-string.ts)
 * and returns it, so that each change costs what it touches rather than a copy of the value.
 * As in Redis, where these commands leave an sds string ('raw'), the value keeps that form
 * until it is replaced (SET) or reloaded.
 */
import { MutableString, type StringValue } from '../types/mutable-string.js';
import type { Database } from './database.js';

/**
 * The key's string value as its MutableString, zero-padded to at least `minLength` bytes:
 * `current` is what db.lookupWrite found (the caller has checked it is a string). A plain
 * string (or INCR's IntegerString) is converted and stored in its place (unsignalled: its content is the same); a
 * missing key is added (Redis's dbAdd: the 'new' event, no modification signal). Changes to
 * the result are changes to the key: the caller signals them (db.signalModifiedKey), notifies
 * and counts dirty. Growth is counted in used_memory as it happens.
 */
export function writableString(db: Database, key: string, current: StringValue | undefined, minLength: number): MutableString {
  if (current instanceof MutableString) {
    current.growTo(minLength);
    return current;
  }
  const text = current === undefined ? '' : typeof current === 'string' ? current : current.toString();
  const value = MutableString.fromString(text, Math.max(minLength, text.length));
  value.growTo(minLength);
  if (current === undefined) db.add(key, value);
  else db.store(key, value);
  return value;
}
