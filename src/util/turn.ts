/**
 * Replies are written at the end of the event loop's turn (net/server.ts flushBeforeSleep), in a
 * setImmediate queued after whatever else the turn has queued. A job that works in slices from
 * setImmediate (a background save, an AOF rewrite, eviction) calls beforeSlice() first, so that
 * the replies of the commands already run go out before its milliseconds of work rather than
 * after them: otherwise a client read just before a slice waits for that slice, and for the next
 * one when the slice queues it first (a pinging client saw 25–60 ms during BGREWRITEAOF where it
 * saw 8 ms when replies went out at once).
 */
const flushers = new Set<() => void>();

/** Registers a server's flushPending; returns what unregisters it. */
export function flushBeforeSlices(flush: () => void): () => void {
  flushers.add(flush);
  return () => flushers.delete(flush);
}

/** Writes the replies waiting for the end of the turn, in every server of the process. */
export function beforeSlice(): void {
  for (const flush of flushers) flush();
}
