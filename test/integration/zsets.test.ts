import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('sorted sets over ioredis', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('adds, ranks and ranges', async () => {
    const r = server.client();
    expect(await r.zadd('it:z', 3, 'c', 1, 'a', 2, 'b', 2, 'bb')).toBe(4);
    expect(await r.zrange('it:z', 0, -1, 'WITHSCORES')).toEqual(['a', '1', 'b', '2', 'bb', '2', 'c', '3']);
    expect(await r.zrank('it:z', 'bb')).toBe(2);
    expect(await r.zrevrank('it:z', 'bb')).toBe(1);
    expect(await r.zscore('it:z', 'c')).toBe('3');
    expect(await r.zincrby('it:z', 0.1, 'a')).toBe('1.1000000000000001');
    expect(await r.zrangebyscore('it:z', '(1.1', '+inf', 'LIMIT', 1, 2)).toEqual(['bb', 'c']);
    expect(await r.zcard('it:z')).toBe(4);
    expect(await r.zrem('it:z', 'a', 'b', 'bb', 'c')).toBe(4);
    expect(await r.exists('it:z')).toBe(0);
  });

  it('walks a large set with ZSCAN, every member exactly once', async () => {
    const r = server.client();
    const args: Array<string | number> = [];
    for (let i = 0; i < 1000; i++) args.push(i, `m${i}`);
    await r.zadd('it:scan', ...args);
    expect(await r.object('ENCODING', 'it:scan')).toBe('skiplist');
    const seen = new Map<string, string>();
    let cursor = '0';
    let rounds = 0;
    do {
      const [next, items] = await r.zscan('it:scan', cursor, 'COUNT', 50);
      for (let i = 0; i < items.length; i += 2) seen.set(items[i] as string, items[i + 1] as string);
      cursor = next;
      rounds++;
    } while (cursor !== '0');
    expect(rounds).toBeGreaterThan(10);
    expect(seen.size).toBe(1000);
    expect(seen.get('m500')).toBe('500');
  });

  it('returns distinct random members for a positive count', async () => {
    const r = server.client();
    const args: Array<string | number> = [];
    for (let i = 0; i < 300; i++) args.push(i, `r${i}`);
    await r.zadd('it:rand', ...args);
    for (const count of [1, 10, 150, 299, 300, 500]) {
      const members = await r.zrandmember('it:rand', count);
      expect(members.length).toBe(Math.min(count, 300));
      expect(new Set(members).size).toBe(members.length);
    }
    const repeated = await r.zrandmember('it:rand', -1000);
    expect(repeated.length).toBe(1000);
    const withScores = (await r.zrandmember('it:rand', 5, 'WITHSCORES')) as string[];
    for (let i = 0; i < withScores.length; i += 2) expect(`r${withScores[i + 1]}`).toBe(withScores[i]);
  });

  it('wakes a client blocked in BZPOPMIN and BZMPOP when a member arrives', async () => {
    const blocked = server.client();
    const writer = server.client();
    const pending = blocked.bzpopmin('it:b1', 'it:b2', 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writer.zadd('it:b2', 5, 'x', 6, 'y');
    expect(await pending).toEqual(['it:b2', 'x', '5']);
    expect(await writer.zrange('it:b2', 0, -1)).toEqual(['y']);

    const pending2 = blocked.call('BZMPOP', '0', '1', 'it:b3', 'MAX', 'COUNT', '2');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writer.zadd('it:b3', 1, 'p', 2, 'q', 3, 's');
    expect(await pending2).toEqual(['it:b3', [['s', '3'], ['q', '2']]]);

    expect(await blocked.bzpopmax('it:none', 0.05)).toBeNull();
  });
});
