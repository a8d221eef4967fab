import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/config.js';
import { TlsSessionCache } from '../../src/net/tls.js';

describe('TlsSessionCache', () => {
  const config = (caching: string, size: number, timeout: number): Config => {
    const c = new Config();
    c.set('tls-session-caching', caching);
    c.set('tls-session-cache-size', String(size));
    c.set('tls-session-cache-timeout', String(timeout));
    return c;
  };
  const id = (n: number): Buffer => Buffer.from([n]);

  it('keeps at most tls-session-cache-size sessions, the oldest going first, 0 meaning no bound', () => {
    const cache = new TlsSessionCache(config('yes', 2, 300));
    for (let i = 0; i < 5; i++) cache.store(id(i), Buffer.from(`s${i}`));
    expect(cache.size).toBe(2);
    expect(cache.lookup(id(2))).toBeNull();
    expect(cache.lookup(id(4))?.toString()).toBe('s4');
    const unbounded = new TlsSessionCache(config('yes', 0, 300));
    for (let i = 0; i < 100; i++) unbounded.store(id(i), Buffer.from('s'));
    expect(unbounded.size).toBe(100);
  });

  it('forgets a session after tls-session-cache-timeout, and keeps none with caching off', () => {
    const cache = new TlsSessionCache(config('yes', 10, 5));
    cache.store(id(1), Buffer.from('s'), 1000);
    expect(cache.lookup(id(1), 5999)?.toString()).toBe('s');
    expect(cache.lookup(id(1), 6000)).toBeNull();
    const off = new TlsSessionCache(config('no', 10, 5));
    off.store(id(1), Buffer.from('s'));
    expect(off.size).toBe(0);
    expect(off.lookup(id(1))).toBeNull();
  });

  it('drops expired sessions as new ones come, with no size bound', () => {
    const cache = new TlsSessionCache(config('yes', 0, 5));
    for (let i = 0; i < 50; i++) cache.store(id(i), Buffer.from('s'), 1000 + i);
    expect(cache.size).toBe(50);
    // 6 s later every one of them has expired: storing one more leaves only it.
    cache.store(id(200), Buffer.from('t'), 7000);
    expect(cache.size).toBe(1);
    expect(cache.lookup(id(200), 7001)?.toString()).toBe('t');
  });
});
