import { describe, expect, it } from 'vitest';
import { accessRecord, defaultAccessPolicy, idleTimeMs, lfuDecayed, lruClock, LRU_CLOCK_MAX, newAccessRecord } from '../../src/keyspace/access.js';

describe('access records', () => {
  it('LRU: idle time from the seconds clock, across its 24-bit wrap-around', () => {
    const now = 1_700_000_000_000;
    expect(idleTimeMs(lruClock(now - 5000), now)).toBe(5000);
    expect(idleTimeMs(lruClock(now), now)).toBe(0);
    const clock = lruClock(now);
    // A record "ahead" of the clock is one taken before the clock wrapped.
    expect(idleTimeMs((clock + 10) & LRU_CLOCK_MAX, now)).toBe((LRU_CLOCK_MAX - 10) * 1000);
  });

  it('LFU: a new key starts at 5, the first hit always counts, later ones less and less', () => {
    const policy = { ...defaultAccessPolicy(), lfu: true };
    const now = 1_700_000_000_000;
    const fresh = newAccessRecord(policy, now);
    expect(lfuDecayed(fresh, policy, now)).toBe(5);
    const once = accessRecord(fresh, policy, now);
    expect(lfuDecayed(once, policy, now)).toBe(6);
    let record = once;
    for (let i = 0; i < 100_000; i++) record = accessRecord(record, policy, now);
    const counter = lfuDecayed(record, policy, now);
    expect(counter).toBeGreaterThan(6);
    expect(counter).toBeLessThanOrEqual(255);
  });

  it('LFU: the counter decays by one per lfu-decay-time minutes', () => {
    const policy = { ...defaultAccessPolicy(), lfu: true };
    const then = 1_700_000_000_000;
    const record = newAccessRecord(policy, then);
    expect(lfuDecayed(record, policy, then + 3 * 60_000)).toBe(2);
    expect(lfuDecayed(record, policy, then + 60 * 60_000)).toBe(0);
    expect(lfuDecayed(record, { ...policy, lfuDecayTime: 0 }, then + 60 * 60_000)).toBe(5);
    expect(lfuDecayed(record, { ...policy, lfuDecayTime: 2 }, then + 4 * 60_000 + 1)).toBe(3);
  });
});
