import { describe, expect, it } from 'vitest';
import { protectedModeDenies } from '../../src/net/server.js';

describe('protected mode (Redis 7.0 rule)', () => {
  it('refuses non-loopback clients only when on and the default user has no password', () => {
    for (const addr of ['192.0.2.1', '::ffff:192.0.2.1', '2001:db8::1', '10.0.0.1', '::ffff:10.1.2.3']) {
      expect(protectedModeDenies(true, false, addr)).toBe(true);
      expect(protectedModeDenies(false, false, addr)).toBe(false);
      expect(protectedModeDenies(true, true, addr)).toBe(false);
    }
  });

  it('accepts 127.0.0.1 and ::1 only, as Redis 7.0\'s islocalClient, whatever the bind', () => {
    for (const addr of ['127.0.0.1', '::1', '::ffff:127.0.0.1', undefined]) {
      expect(protectedModeDenies(true, false, addr)).toBe(false);
    }
    for (const addr of ['127.0.0.2', '127.255.0.9', '::ffff:127.0.0.2']) {
      expect(protectedModeDenies(true, false, addr)).toBe(true);
    }
  });
});
