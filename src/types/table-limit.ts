/**
 * V8's Map and Set hold at most 2^24 entries (16,777,216): adding one more throws a RangeError
 * ("Map maximum size exceeded"). A database's keys and a large hash's, set's or sorted set's
 * members are such tables, so past that many a write that would add one is refused with an
 * error reply, before anything changes (Redis has no such limit: its dict grows to 2^64).
 * A table built on the way (SUNIONSTORE's result, say) that meets the limit makes the command
 * fail instead of the server (dispatch.ts).
 */
import { RedisError } from '../errors.js';

/** The most entries a keyspace or collection table takes. */
export let maxTableEntries = 2 ** 24;

/** Lowers the limit, so that tests can reach it without 16 million keys; no argument restores it. */
export function setMaxTableEntriesForTests(limit: number = 2 ** 24): void {
  maxTableEntries = limit;
}

export function errTooManyKeys(): RedisError {
  return new RedisError(`ERR max number of keys in a database reached (${maxTableEntries})`);
}

export function errTooManyElements(): RedisError {
  return new RedisError(`ERR max number of elements in a collection reached (${maxTableEntries})`);
}

/** Whether `err` is V8's RangeError for a Map or Set past its size limit. */
export function isTableLimitError(err: unknown): boolean {
  return err instanceof RangeError && / maximum size exceeded$/.test(err.message);
}

/** The error reply for such a RangeError. */
export const ERR_TABLE_LIMIT = `ERR max number of elements in a table reached (${2 ** 24})`;
