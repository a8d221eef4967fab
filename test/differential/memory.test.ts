import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { fill, fillAndFree, settledLazyfreed, type BigKind } from '../helpers/memory.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

/**
 * Memory figures cannot be compared byte for byte, but their behaviour can: on both servers,
 * freeing a large value brings used_memory down by at least half of what it took, within a
 * few seconds; and both count the same lazily freed objects.
 */
describe.skipIf(!hasOracle)('differential: memory given back by UNLINK and FLUSH… ASYNC', () => {
  const servers = differentialPair();

  const cases: Array<[BigKind, number, string[]]> = [
    ['list', 200_000, ['UNLINK', 'big']],
    ['set', 200_000, ['UNLINK', 'big']],
    ['hash', 200_000, ['UNLINK', 'big']],
    ['zset', 200_000, ['UNLINK', 'big']],
    ['string', 16 << 20, ['UNLINK', 'big']],
    ['keys', 200_000, ['FLUSHALL', 'ASYNC']],
    ['keys', 200_000, ['FLUSHDB', 'ASYNC']],
  ];
  for (const [kind, count, free] of cases) {
    it(`${free.join(' ')} of ${kind === 'keys' ? `${count} keys` : `a ${kind} of ${count}`}`, async () => {
      for (const [name, port] of [['nodis', servers.nodis.port], ['redis', servers.redis.port]] as const) {
        const { before, peak, after } = await fillAndFree(port, kind, count, free);
        const growth = peak - before;
        expect(growth, name).toBeGreaterThan(1 << 20);
        expect(after, `${name}: used_memory ${before} -> ${peak} -> ${after}`).toBeLessThanOrEqual(peak - growth / 2);
      }
    });
  }

  it('count the same lazily freed objects', async () => {
    const deltas: number[][] = [];
    for (const port of [servers.nodis.port, servers.redis.port]) {
      const c = await RawClient.connect(port);
      try {
        const settled = (expected: number): Promise<number> => settledLazyfreed(c, expected);
        expect(await c.call('CONFIG', 'RESETSTAT')).toBe('OK');
        const seen: number[] = [];
        await fill(c, 'list', 'biglist', 100_000);
        await c.call('UNLINK', 'biglist');
        seen.push(await settled(1));
        await fill(c, 'zset', 'bigzset', 1000);
        await c.call('UNLINK', 'bigzset');
        seen.push(await settled(2));
        await fill(c, 'set', 'smallset', 50);
        await c.call('UNLINK', 'smallset');
        await fill(c, 'hash', 'bighash', 1000);
        await c.call('DEL', 'bighash');
        await fill(c, 'keys', 'k', 500);
        await c.call('FLUSHALL', 'ASYNC');
        seen.push(await settled(502));
        deltas.push(seen);
      } finally {
        c.close();
      }
    }
    expect(deltas[0]).toEqual(deltas[1]);
  });
});
