/**
 * V8's Map and Set tables hold at most 2^24 slots, live entries and deleted ones together (a
 * deleted entry keeps its slot until the table is rebuilt): a table of 2^24 slots that fills
 * up rebuilds itself in place only while at least half its slots are deleted ones, and else
 * throws a RangeError ("Map maximum size exceeded"), with fewer than 2^24 live entries. With
 * at most 2^23 live entries that never happens. A large hash's, set's or sorted set's members
 * are such a table, so past 2^23 a write that would add one is refused with an error reply,
 * before anything changes (Redis has no such limit: its dict grows to 2^64). A database's keys
 * go on into further Maps instead (types/key-table.ts). A table built on the way (SUNIONSTORE's
 * result, say) that meets V8's limit makes the command fail instead of the server (dispatch.ts).
 */
import { RedisError } from '../errors.js';

/** The most entries a collection table, or one Map of a database's keys, takes. */
export const MAX_TABLE_ENTRIES = 2 ** 23;
export let maxTableEntries = MAX_TABLE_ENTRIES;

/** Lowers the limit, so that tests can reach it without 8 million keys; no argument restores it. */
export function setMaxTableEntriesForTests(limit: number = MAX_TABLE_ENTRIES): void {
  maxTableEntries = limit;
}

/** What ensureRoomForMembers needs of a collection. */
export interface MemberTable {
  readonly size: number;
  has(member: string): boolean;
}

/**
 * Throws errTooManyElements() unless `table` (undefined: a key not made yet) can take every
 * one of items[from], items[from + step]… that it lacks, each counted once: a command adding
 * several members checks them all before it adds any (or makes the key). Below the limit this
 * is one comparison.
 */
export function ensureRoomForMembers(table: MemberTable | undefined, items: readonly string[], from: number, step: number): void {
  const size = table === undefined ? 0 : table.size;
  if (size + Math.ceil((items.length - from) / step) <= maxTableEntries) return;
  const fresh = new Set<string>();
  for (let i = from; i < items.length; i += step) {
    const member = items[i] as string;
    if (table === undefined || !table.has(member)) fresh.add(member);
    // Stops as soon as it is too many (this Set too has V8's limit).
    if (size + fresh.size > maxTableEntries) throw errTooManyElements();
  }
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
