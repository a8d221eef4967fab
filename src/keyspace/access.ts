import type { Config } from '../config/config.js';

/**
 * Access tracking for OBJECT IDLETIME / OBJECT FREQ and approximated LRU/LFU eviction. Each
 * key's record is one small integer, the same 24 bits Redis keeps in an object's `lru` field:
 * under an LRU policy the LRU clock (seconds) of the last access; under an LFU policy the
 * minutes clock of the last decrement in the high 16 bits and a logarithmic counter in the low 8.
 * Small integers stay V8 Smis, so the side map costs no allocation per access. Switching the
 * policy at runtime reinterprets old records, as Redis does.
 */
export interface AccessPolicy {
  lfu: boolean;
  /** An LRU maxmemory-policy (allkeys-lru, volatile-lru): RDB files then save idle times. */
  lru: boolean;
  /** lfu-log-factor: how many hits it takes to saturate the counter. */
  lfuLogFactor: number;
  /** lfu-decay-time: minutes per decrement of an idle key's counter (0: never decays). */
  lfuDecayTime: number;
}

export const LRU_CLOCK_MAX = (1 << 24) - 1;
const LRU_CLOCK_RESOLUTION = 1000;
/** A new key's LFU counter, so that it is not evicted before it had a chance to be used. */
export const LFU_INIT_VAL = 5;

export function defaultAccessPolicy(): AccessPolicy {
  return { lfu: false, lru: false, lfuLogFactor: 10, lfuDecayTime: 1 };
}

export function lruClock(now: number = Date.now()): number {
  return Math.floor(now / LRU_CLOCK_RESOLUTION) & LRU_CLOCK_MAX;
}

/**
 * Redis's server.lruclock: the LRU clock as of the server's last cron tick, so that a key access
 * reads no system clock (a clock read costs about as much as the rest of a GET here). -1 while no
 * server ticks; the clock is then read at each access.
 */
let cachedLruClock = -1;

/** Called by the server cron (hz times a second; the clock has a resolution of one second). */
export function tickLruClock(now: number = Date.now()): void {
  cachedLruClock = lruClock(now);
  cachedNow = now;
}

export function stopLruClock(): void {
  cachedLruClock = -1;
}

/** Date.now() as of the last cron tick (Redis's server.mstime), for times kept at a coarse grain. */
let cachedNow = 0;

/** Milliseconds since the epoch, as of the last cron tick while a server ticks. */
export function coarseNow(): number {
  return cachedLruClock >= 0 ? cachedNow : Date.now();
}

/** The LRU clock as key accesses and OBJECT IDLETIME see it. */
export function currentLruClock(): number {
  return cachedLruClock >= 0 ? cachedLruClock : lruClock();
}

function lfuTimeInMinutes(now: number): number {
  return Math.floor(now / 60000) & 65535;
}

/** Minutes since `ldt`, with wrap-around of the 16-bit minutes clock. */
function lfuTimeElapsed(ldt: number, now: number): number {
  const current = lfuTimeInMinutes(now);
  return current >= ldt ? current - ldt : 65535 - ldt + current;
}

/** The counter after decay for the time elapsed since its last decrement (Redis's LFUDecrAndReturn). */
export function lfuDecayed(record: number, policy: AccessPolicy, now: number = Date.now()): number {
  const ldt = record >>> 8;
  const counter = record & 255;
  const periods = policy.lfuDecayTime > 0 ? Math.floor(lfuTimeElapsed(ldt, now) / policy.lfuDecayTime) : 0;
  if (periods === 0) return counter;
  return periods > counter ? 0 : counter - periods;
}

/** Logarithmic increment: the higher the counter, the less likely a hit raises it. */
function lfuLogIncr(counter: number, policy: AccessPolicy): number {
  if (counter === 255) return 255;
  const base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
  return Math.random() < 1 / (base * policy.lfuLogFactor + 1) ? counter + 1 : counter;
}

/** The record of a key just accessed, given its previous record (undefined for a new key). */
export function accessRecord(previous: number | undefined, policy: AccessPolicy, now?: number): number {
  if (!policy.lfu) return now === undefined ? currentLruClock() : lruClock(now);
  const at = now ?? Date.now();
  if (previous === undefined) return (lfuTimeInMinutes(at) << 8) | LFU_INIT_VAL;
  return (lfuTimeInMinutes(at) << 8) | lfuLogIncr(lfuDecayed(previous, policy, at), policy);
}

/** The record of a key created now (a fresh object in Redis). */
export function newAccessRecord(policy: AccessPolicy, now?: number): number {
  if (policy.lfu) return (lfuTimeInMinutes(now ?? Date.now()) << 8) | LFU_INIT_VAL;
  return now === undefined ? currentLruClock() : lruClock(now);
}

/** Milliseconds since the access recorded in an LRU record (Redis's estimateObjectIdleTime). */
export function idleTimeMs(record: number, now?: number): number {
  const clock = now === undefined ? currentLruClock() : lruClock(now);
  if (clock >= record) return (clock - record) * LRU_CLOCK_RESOLUTION;
  return (clock + (LRU_CLOCK_MAX - record)) * LRU_CLOCK_RESOLUTION;
}

/**
 * The record of a key loaded from an RDB file with the LFU counter or LRU idle time saved beside
 * it (-1 when absent), as Redis's objectSetLRUOrLFU: the counter under an LFU policy, the idle
 * time under any other; a fresh record when the file has not the one the policy uses.
 */
export function loadedAccessRecord(policy: AccessPolicy, idleSeconds: number, lfuFreq: number, now?: number): number {
  if (policy.lfu) return lfuFreq >= 0 ? (lfuTimeInMinutes(now ?? Date.now()) << 8) | (lfuFreq & 255) : newAccessRecord(policy, now);
  if (idleSeconds < 0) return newAccessRecord(policy, now);
  // The clock wraps: an access before its start is counted back from its end.
  const clock = now === undefined ? currentLruClock() : lruClock(now);
  const at = clock - Math.floor((idleSeconds * 1000) / LRU_CLOCK_RESOLUTION);
  return at < 0 ? at + LRU_CLOCK_MAX : at;
}

/**
 * What an RDB file keeps of a key's access record (rdbSaveKeyValuePair): its idle time in
 * seconds under an LRU policy, its decayed LFU counter under an LFU policy, nothing otherwise.
 */
export function savedAccessFields(policy: AccessPolicy, record: number | undefined, now: number = Date.now()): { idleSeconds?: number; lfuFreq?: number } | null {
  if (policy.lfu) return { lfuFreq: record === undefined ? LFU_INIT_VAL : lfuDecayed(record, policy, now) };
  if (policy.lru) return { idleSeconds: record === undefined ? 0 : Math.floor(idleTimeMs(record, now) / 1000) };
  return null;
}

/**
 * Gives the databases one policy kept in step with maxmemory-policy, lfu-log-factor and
 * lfu-decay-time.
 */
export function bindAccessPolicy(config: Config, databases: ReadonlyArray<{ access: AccessPolicy }>): void {
  const policy = defaultAccessPolicy();
  for (const db of databases) db.access = policy;
  const apply = (): void => {
    const name = config.getString('maxmemory-policy');
    policy.lfu = name.endsWith('-lfu');
    policy.lru = name.endsWith('-lru');
    policy.lfuLogFactor = config.getNumber('lfu-log-factor');
    policy.lfuDecayTime = config.getNumber('lfu-decay-time');
  };
  apply();
  config.onChange('maxmemory-policy', apply);
  config.onChange('lfu-log-factor', apply);
  config.onChange('lfu-decay-time', apply);
}
