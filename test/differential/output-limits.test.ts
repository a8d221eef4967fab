/**
 * client-output-buffer-limit is checked, as in Redis 7.0, against what the reply list takes
 * (CLIENT LIST omem): a reply that fits in the 16 KB static reply buffer does not count, one
 * that spills over counts the whole block it spills into.
 */
import { describe, expect, it } from 'vitest';
import { differentialPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';

describe('client-output-buffer-limit against the reply list', () => {
  const pair = differentialPair();

  it('a reply within the reply buffer is served under a lower hard limit; one that spills into a block past it closes the client', async () => {
    const outcome = async (port: number): Promise<string[]> => {
      const admin = await RawClient.connect(port);
      const out: string[] = [];
      try {
        await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 10kb 0 0');
        for (const size of [9000, 12_000, 16_000, 16_500, 30_000]) await admin.call('SET', `v${size}`, 'x'.repeat(size));
        for (const size of [9000, 12_000, 16_000, 16_500, 30_000]) {
          const c = await RawClient.connect(port);
          try {
            const reply = await c.callRaw('GET', `v${size}`);
            out.push(`${size}: ${reply.length} bytes`);
          } catch {
            out.push(`${size}: closed`);
          }
          c.close();
        }
        // Several replies of one pipeline that together pass the buffer: the part past it counts.
        const c = await RawClient.connect(port);
        c.write('*2\r\n$3\r\nGET\r\n$5\r\nv9000\r\n'.repeat(3));
        try {
          for (let i = 0; i < 3; i++) await c.readRaw();
          out.push('pipeline: served');
        } catch {
          out.push('pipeline: closed');
        }
        c.close();
      } finally {
        await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'normal 0 0 0');
        admin.close();
      }
      return out;
    };
    const [mine, theirs] = await Promise.all([outcome(pair.nodis.port), outcome(pair.redis.port)]);
    expect(mine).toEqual(theirs);
    expect(theirs.slice(0, 2)).toEqual(['9000: 9009 bytes', '12000: 12010 bytes']);
    expect(theirs[4]).toBe('30000: closed');
  });

  it('PUBLISH counts every receiver, those its message closes for their pubsub limit included', async () => {
    const outcome = async (port: number): Promise<string[]> => {
      const admin = await RawClient.connect(port);
      const subscribers = await Promise.all([0, 1, 2].map(() => RawClient.connect(port)));
      const out: string[] = [];
      try {
        await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 10kb 0 0');
        for (const s of subscribers) await s.call('SUBSCRIBE', 'news');
        // Within the 16 KB reply buffer: kept; spilling past it: each receiver closed.
        out.push(String(await admin.call('PUBLISH', 'news', 'x'.repeat(1000))));
        out.push(String(await admin.call('PUBLISH', 'news', 'y'.repeat(30_000))));
        out.push(String(await admin.call('PUBLISH', 'news', 'z')));
      } finally {
        await admin.call('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
        admin.close();
        for (const s of subscribers) s.close();
      }
      return out;
    };
    const [mine, theirs] = await Promise.all([outcome(pair.nodis.port), outcome(pair.redis.port)]);
    expect(theirs).toEqual(['3', '3', '0']);
    expect(mine).toEqual(theirs);
  });
});
