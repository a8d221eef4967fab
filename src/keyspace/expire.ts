import type { Database, KeyspaceStats } from './database.js';

/** Keys checked per database per loop, as Redis's ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP. */
const KEYS_PER_LOOP = 20;
/** Keep looping while more than this share of the checked keys had expired. */
const ACCEPTABLE_STALE = 0.1;
/** Share of each timer tick the cycle may use, as Redis's ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC. */
const TIME_PERC = 25;

/**
 * The active expiry cycle, run from the server timer: walks each database's keys with a TTL
 * from where it stopped last time, deletes the expired ones, and goes on while many were
 * expired, within a time budget so clients never stall.
 */
export function activeExpireCycle(databases: Database[], stats: KeyspaceStats, hz: number): void {
  const started = performance.now();
  const budgetMs = (1000 / hz) * (TIME_PERC / 100);
  let checkedTotal = 0;
  let expiredTotal = 0;
  // Like Redis's current_db, a cycle cut short by the time limit resumes at the database it was
  // in, so that keys expiring in one database do not starve the others.
  const first = (nextDb.get(databases) ?? 0) % databases.length;
  for (let n = 0; n < databases.length; n++) {
    const index = (first + n) % databases.length;
    const db = databases[index] as Database;
    nextDb.set(databases, (index + 1) % databases.length);
    if (db.expires.size === 0) {
      db.avgTtl = 0;
      continue;
    }
    for (;;) {
      const now = Date.now();
      let checked = 0;
      let expired = 0;
      let ttlSum = 0;
      let ttlCount = 0;
      const perLoop = Math.min(KEYS_PER_LOOP, db.expires.size);
      while (checked < perLoop) {
        const entry = nextExpireEntry(db);
        if (entry === undefined) break;
        checked++;
        const [key, at] = entry;
        if (at <= now) {
          if (db.expireIfNeeded(key, now)) expired++;
        } else {
          ttlSum += at - now;
          ttlCount++;
        }
      }
      checkedTotal += checked;
      expiredTotal += expired;
      if (ttlCount > 0) {
        // Redis's integer running average, seeded with the first sample.
        const avg = Math.trunc(ttlSum / ttlCount);
        if (db.avgTtl === 0) db.avgTtl = avg;
        db.avgTtl = Math.trunc(db.avgTtl / 50) * 49 + Math.trunc(avg / 50);
      }
      if (performance.now() - started > budgetMs) {
        stats.expiredTimeCapReached++;
        return finish();
      }
      if (checked === 0 || expired <= checked * ACCEPTABLE_STALE) break;
    }
  }
  return finish();

  function finish(): void {
    const current = checkedTotal === 0 ? 0 : expiredTotal / checkedTotal;
    stats.expiredStalePerc = current * 0.05 + stats.expiredStalePerc * 0.95;
  }
}

/** Where the next cycle starts, per server (its databases array). */
const nextDb = new WeakMap<Database[], number>();

/** The next entry of the database's expires, wrapping around; the cursor is a live Map iterator. */
function nextExpireEntry(db: Database): [string, number] | undefined {
  if (db.expireCursor === null) db.expireCursor = db.expires.entries();
  let step = db.expireCursor.next();
  if (step.done) {
    db.expireCursor = db.expires.entries();
    step = db.expireCursor.next();
    if (step.done) return undefined;
  }
  return step.value;
}
