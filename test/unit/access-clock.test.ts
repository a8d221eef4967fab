import { afterEach, describe, expect, it } from 'vitest';
import { accessRecord, currentLruClock, defaultAccessPolicy, idleTimeMs, lruClock, newAccessRecord, stopLruClock, tickLruClock } from '../../src/keyspace/access.js';

describe('cached LRU clock', () => {
  afterEach(() => stopLruClock());

  it('records accesses at the clock of the last tick, as Redis reads server.lruclock', () => {
    const policy = defaultAccessPolicy();
    const then = Date.now() - 7000;
    tickLruClock(then);
    expect(currentLruClock()).toBe(lruClock(then));
    expect(newAccessRecord(policy)).toBe(lruClock(then));
    expect(accessRecord(undefined, policy)).toBe(lruClock(then));
    // Idle time is measured on the same clock: an access just recorded is never idle.
    expect(idleTimeMs(newAccessRecord(policy))).toBe(0);
    tickLruClock(then + 3000);
    expect(idleTimeMs(lruClock(then))).toBe(3000);
  });

  it('reads the system clock when no server ticks', () => {
    stopLruClock();
    const before = lruClock();
    const clock = currentLruClock();
    expect(clock === before || clock === before + 1).toBe(true);
  });

  it('gives LFU records a real time, not the LRU clock', () => {
    const policy = { ...defaultAccessPolicy(), lfu: true };
    tickLruClock(0);
    expect(newAccessRecord(policy, 120_000) >>> 8).toBe(2);
    expect(newAccessRecord(policy) >>> 8).toBe(Math.floor(Date.now() / 60000) & 65535);
  });
});
