import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fill, fillAndFree, infoNumber, type BigKind } from '../helpers/memory.js';

describe('freeing a large value gives its memory back in used_memory, as in Redis', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.stop());

  const cases: Array<[BigKind, number, string[]]> = [
    ['list', 200_000, ['UNLINK', 'big']],
    ['set', 200_000, ['UNLINK', 'big']],
    ['hash', 200_000, ['UNLINK', 'big']],
    ['zset', 200_000, ['UNLINK', 'big']],
    ['zset', 200_000, ['DEL', 'big']],
    ['string', 16 << 20, ['UNLINK', 'big']],
    ['keys', 200_000, ['FLUSHALL', 'ASYNC']],
    ['keys', 200_000, ['FLUSHDB', 'ASYNC']],
    ['keys', 200_000, ['FLUSHALL']],
  ];
  for (const [kind, count, free] of cases) {
    it(`${free.join(' ')} of ${kind === 'keys' ? `${count} keys` : `a ${kind} of ${count}`}`, async () => {
      const { before, peak, after } = await fillAndFree(server.port, kind, count, free);
      const growth = peak - before;
      expect(growth).toBeGreaterThan(4 << 20);
      expect(after, `used_memory ${before} -> ${peak} -> ${after}`).toBeLessThanOrEqual(peak - growth / 2);
    });
  }

  it('UNLINK counts a value that is costly to free in lazyfreed_objects, DEL does not', async () => {
    const c = await server.raw();
    const lazyfreed = (): Promise<number> => infoNumber(c, 'memory', 'lazyfreed_objects');
    const start = await lazyfreed();
    await fill(c, 'list', 'big', 100_000);
    expect(await c.call('UNLINK', 'big')).toBe(1);
    expect(await lazyfreed()).toBe(start + 1);
    await fill(c, 'set', 'big', 100_000);
    expect(await c.call('DEL', 'big')).toBe(1);
    expect(await lazyfreed()).toBe(start + 1);
    expect(await c.call('SADD', 'small', 'a', 'b', 'c')).toBe(3);
    expect(await c.call('UNLINK', 'small')).toBe(1);
    expect(await lazyfreed()).toBe(start + 1);
    expect(await c.call('CONFIG', 'SET', 'lazyfree-lazy-user-del', 'yes')).toBe('OK');
    await fill(c, 'hash', 'big', 100_000);
    expect(await c.call('DEL', 'big')).toBe(1);
    expect(await c.call('CONFIG', 'SET', 'lazyfree-lazy-user-del', 'no')).toBe('OK');
    expect(await lazyfreed()).toBe(start + 2);
    expect(await c.call('CONFIG', 'RESETSTAT')).toBe('OK');
    expect(await lazyfreed()).toBe(0);
  });
});
