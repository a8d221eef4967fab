import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { fill, infoNumber, settledLazyfreed } from '../helpers/memory.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

/**
 * Values the server itself frees — an expired key, a collection overwritten by SET or RENAME —
 * are freed lazily as lazyfree-lazy-expire and lazyfree-lazy-server-del say, and SCRIPT and
 * FUNCTION FLUSH as ASYNC or lazyfree-lazy-user-flush say; they are counted in
 * lazyfreed_objects as Redis counts them (only values whose free effort passes 64).
 */
describe.skipIf(!hasOracle)('differential: lazyfreed_objects of expiry, overwritten values, SCRIPT and FUNCTION FLUSH', () => {
  const servers = differentialPair();

  async function counts(port: number): Promise<number[]> {
    const c = await RawClient.connect(port);
    try {
      const settled = (expected: number): Promise<number> => settledLazyfreed(c, expected);
      const expireSoon = async (key: string): Promise<void> => {
        expect(await c.call('PEXPIRE', key, '1')).toBe(1);
        await new Promise((r) => setTimeout(r, 20));
        // Expired by this lookup if the active cycle has not done it yet.
        expect(await c.call('EXISTS', key)).toBe(0);
      };
      const seen: number[] = [];
      expect(await c.call('CONFIG', 'RESETSTAT')).toBe('OK');
      // Expiry, not lazy: nothing counted.
      await fill(c, 'list', 'biglist', 100_000);
      await expireSoon('biglist');
      seen.push(await infoNumber(c, 'memory', 'lazyfreed_objects'));
      // Expiry with lazyfree-lazy-expire: a costly value counts, a small one does not.
      expect(await c.call('CONFIG', 'SET', 'lazyfree-lazy-expire', 'yes')).toBe('OK');
      await fill(c, 'list', 'biglist', 100_000);
      await expireSoon('biglist');
      seen.push(await settled(1));
      await fill(c, 'set', 'smallset', 10);
      await expireSoon('smallset');
      await fill(c, 'hash', 'bighash', 1000);
      await expireSoon('bighash');
      seen.push(await settled(2));
      // A list counts its nodes, not its elements: 1000 elements of 1 KB make about 125 nodes of
      // 8 KB (counted), 20 000 short ones about 40 (not counted).
      for (let i = 0; i < 10; i++) expect(await c.call('RPUSH', 'fatlist', ...Array.from({ length: 100 }, (_, j) => `${i * 100 + j}`.padEnd(1000, 'x')))).toBe((i + 1) * 100);
      await expireSoon('fatlist');
      seen.push(await settled(3));
      await fill(c, 'list', 'longlist', 20_000);
      await expireSoon('longlist');
      seen.push(await infoNumber(c, 'memory', 'lazyfreed_objects'));
      expect(await c.call('CONFIG', 'SET', 'lazyfree-lazy-expire', 'no')).toBe('OK');
      // Overwritten, not lazy: nothing counted.
      await fill(c, 'zset', 'bigzset', 1000);
      expect(await c.call('SET', 'bigzset', 'x')).toBe('OK');
      seen.push(await infoNumber(c, 'memory', 'lazyfreed_objects'));
      // Overwritten with lazyfree-lazy-server-del: by SET, and by RENAME onto it.
      expect(await c.call('CONFIG', 'SET', 'lazyfree-lazy-server-del', 'yes')).toBe('OK');
      expect(await c.call('DEL', 'bigzset')).toBe(1);
      await fill(c, 'zset', 'bigzset', 1000);
      expect(await c.call('SET', 'bigzset', 'x')).toBe('OK');
      seen.push(await settled(4));
      await fill(c, 'set', 'bigset', 1000);
      expect(await c.call('SET', 'other', 'y')).toBe('OK');
      expect(await c.call('RENAME', 'other', 'bigset')).toBe('OK');
      seen.push(await settled(5));
      await fill(c, 'set', 'smallset', 10);
      expect(await c.call('SET', 'smallset', 'x')).toBe('OK');
      expect(await c.call('CONFIG', 'SET', 'lazyfree-lazy-server-del', 'no')).toBe('OK');
      seen.push(await infoNumber(c, 'memory', 'lazyfreed_objects'));
      expect(await c.call('FLUSHALL')).toBe('OK');
      return seen;
    } finally {
      c.close();
    }
  }

  it('count the same objects as Redis', async () => {
    const nodis = await counts(servers.nodis.port);
    const redis = await counts(servers.redis.port);
    expect(nodis).toEqual(redis);
    expect(redis).toEqual([0, 1, 2, 3, 3, 3, 4, 5, 5]);
  });

  async function flushCounts(port: number): Promise<number[]> {
    const c = await RawClient.connect(port);
    try {
      const settled = (expected: number): Promise<number> => settledLazyfreed(c, expected);
      const loadScripts = async (n: number): Promise<void> => {
        for (let i = 0; i < n; i++) await c.call('SCRIPT', 'LOAD', `return ${i}`);
      };
      const loadFunctions = async (n: number): Promise<void> => {
        let code = '#!lua name=lib\n';
        for (let i = 0; i < n; i++) code += `redis.register_function('f${i}', function() return ${i} end)\n`;
        expect(await c.call('FUNCTION', 'LOAD', code)).toBe('lib');
      };
      expect(await c.call('CONFIG', 'RESETSTAT')).toBe('OK');
      const seen: number[] = [];
      // More than 64 scripts: counted when flushed ASYNC (or with lazyfree-lazy-user-flush), not SYNC.
      await loadScripts(70);
      expect(await c.call('SCRIPT', 'FLUSH', 'SYNC')).toBe('OK');
      await loadScripts(10);
      expect(await c.call('SCRIPT', 'FLUSH', 'ASYNC')).toBe('OK');
      seen.push(await infoNumber(c, 'memory', 'lazyfreed_objects'));
      await loadScripts(70);
      expect(await c.call('SCRIPT', 'FLUSH', 'ASYNC')).toBe('OK');
      seen.push(await settled(70));
      expect(await c.call('CONFIG', 'SET', 'lazyfree-lazy-user-flush', 'yes')).toBe('OK');
      await loadScripts(65);
      expect(await c.call('SCRIPT', 'FLUSH')).toBe('OK');
      seen.push(await settled(135));
      // Functions, likewise, by their number (not their libraries').
      await loadFunctions(66);
      expect(await c.call('FUNCTION', 'FLUSH')).toBe('OK');
      seen.push(await settled(201));
      expect(await c.call('CONFIG', 'SET', 'lazyfree-lazy-user-flush', 'no')).toBe('OK');
      await loadFunctions(66);
      expect(await c.call('FUNCTION', 'FLUSH')).toBe('OK');
      await loadFunctions(64);
      expect(await c.call('FUNCTION', 'FLUSH', 'ASYNC')).toBe('OK');
      seen.push(await infoNumber(c, 'memory', 'lazyfreed_objects'));
      await loadFunctions(100);
      expect(await c.call('FUNCTION', 'FLUSH', 'ASYNC')).toBe('OK');
      seen.push(await settled(301));
      return seen;
    } finally {
      c.close();
    }
  }

  it('SCRIPT FLUSH and FUNCTION FLUSH count their scripts and functions as Redis does', async () => {
    const nodis = await flushCounts(servers.nodis.port);
    const redis = await flushCounts(servers.redis.port);
    expect(nodis).toEqual(redis);
    expect(redis).toEqual([0, 70, 135, 201, 201, 301]);
  });
});
