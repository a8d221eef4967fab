import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { ClientPair } from '../helpers/pair.js';
import { StreamCommandGenerator, maskStreamTimes } from '../helpers/stream-fuzz.js';

const hasOracle = oracleAvailable();

/** Node sizes that make many small nodes, Redis's defaults, and one node per key. */
const NODE_LIMITS: Array<[string, string]> = [['5', '120'], ['100', '4096'], ['0', '0']];

describe.skipIf(!hasOracle)('differential: a seeded fuzz of stream commands', () => {
  const servers = differentialPair({ redis: ['--enable-debug-command', 'yes'] });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`seed ${seed}: every reply is Redis's (times masked), and so is every stream at the end`, async () => {
      const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port, seed % 3 === 0);
      const divergences: string[] = [];
      try {
        const [maxEntries, maxBytes] = NODE_LIMITS[seed % NODE_LIMITS.length] as [string, string];
        await pair.call('FLUSHALL');
        await pair.call('CONFIG', 'SET', 'stream-node-max-entries', maxEntries);
        await pair.call('CONFIG', 'SET', 'stream-node-max-bytes', maxBytes);
        await pair.call('SET', 'str', 'x');
        await pair.call('RPUSH', 'list', 'a');
        const gen = new StreamCommandGenerator(seed);
        for (let i = 0; i < 1500 && divergences.length < 5; i++) {
          const argv = gen.next();
          const [a, b] = await pair.call(...argv);
          if (maskStreamTimes(a) !== maskStreamTimes(b)) divergences.push(`#${i} ${JSON.stringify(argv)}\n  nodis: ${JSON.stringify(a)}\n  redis: ${JSON.stringify(b)}`);
        }
        for (const key of ['s1', 's2', 's3']) {
          const [a, b] = await pair.call('XINFO', 'STREAM', key, 'FULL', 'COUNT', '0');
          if (maskStreamTimes(a) !== maskStreamTimes(b)) divergences.push(`end state of ${key}\n  nodis: ${JSON.stringify(a)}\n  redis: ${JSON.stringify(b)}`);
          const [da, db] = await pair.call('DEBUG', 'DIGEST-VALUE', key);
          if (da !== db) divergences.push(`digest of ${key}`);
        }
      } finally {
        await pair.call('CONFIG', 'SET', 'stream-node-max-entries', '100');
        await pair.call('CONFIG', 'SET', 'stream-node-max-bytes', '4096');
        pair.close();
      }
      expect(divergences).toEqual([]);
    });
  }
});
