import { RedisError } from '../errors.js';

/**
 * SCAN-family cursors. Redis walks its hash table with a reverse-binary cursor; nodis keeps
 * instead a live Map/Set iterator per open scan (JavaScript iterators see deletions and
 * entries added later), keyed by the cursor number handed to the client. A key present for
 * the whole scan is therefore returned at least once. Cursors are bounded in number; an
 * unknown or foreign cursor restarts the scan from the beginning, which keeps that guarantee.
 */
interface OpenScan {
  /** The collection (or a database's dict) the iterator walks. */
  owner: object;
  iterator: Iterator<unknown>;
}

const MAX_OPEN_SCANS = 10_000;
const openScans = new Map<string, OpenScan>();
let nextCursor = 1 + Math.floor(Math.random() * 1_000_000);

const ULONG_MAX = 18446744073709551615n;

/**
 * Redis's parseScanCursorOrReply, which is strtoul over the whole text: an optional sign and
 * decimal digits (none at all reads as 0; a '-' negates modulo 2^64), else "ERR invalid cursor".
 */
export function parseScanCursor(text: string): string {
  if (text === '0') return text;
  const match = /^([+-]?)(\d*)$/.exec(text);
  if (match === null || (match[1] !== '' && match[2] === '')) throw new RedisError('ERR invalid cursor');
  const digits = (match[2] as string).replace(/^0+/, '');
  if (digits.length > 20) throw new RedisError('ERR invalid cursor');
  let value = BigInt(digits === '' ? '0' : digits);
  if (value > ULONG_MAX) throw new RedisError('ERR invalid cursor');
  if (match[1] === '-' && value !== 0n) value = ULONG_MAX + 1n - value;
  // Canonical form so "007" and "7" name the same scan.
  return value.toString();
}

/**
 * Closes the open scans over `owner` (a database's dict being emptied): their iterators would
 * keep every entry it held alive (a Map iterator holds the table it started on, which clear()
 * replaces but leaves whole), however long the clients that opened them stay away. A client
 * coming back with such a cursor starts again from the beginning.
 */
export function forgetScans(owner: object): void {
  for (const [cursor, open] of openScans) if (open.owner === owner) openScans.delete(cursor);
}

/**
 * One step of a scan over `owner`: visits up to `count` entries of the iterator for `cursor`
 * (a fresh one from `start()` for cursor 0 or an unknown cursor) and returns the next cursor,
 * "0" when the walk is complete.
 */
export function scanStep<T>(
  cursor: string,
  owner: object,
  start: () => Iterator<T>,
  count: number,
  visit: (item: T) => void,
): string {
  let open = cursor === '0' ? undefined : openScans.get(cursor);
  if (open !== undefined) openScans.delete(cursor);
  if (open === undefined || open.owner !== owner) open = { owner, iterator: start() };
  const iterator = open.iterator as Iterator<T>;
  for (let i = 0; i < count; i++) {
    const step = iterator.next();
    if (step.done) return '0';
    visit(step.value);
  }
  const next = String(nextCursor++);
  if (openScans.size >= MAX_OPEN_SCANS) {
    const oldest = openScans.keys().next();
    if (!oldest.done) openScans.delete(oldest.value);
  }
  openScans.set(next, open);
  return next;
}
