import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startTestServer, type TestServer } from '../helpers/server.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true; fails after a generous bound (no timing assertion). */
async function eventually(probe: () => Promise<boolean>, boundMs = 20000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(10);
  }
}

describe('generic key commands', () => {
  let server: TestServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startTestServer();
    redis = server.client();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('expires keys with a short PEXPIRE, lazily and actively', async () => {
    await redis.flushall();
    await redis.set('lazy', 'v');
    await redis.set('active', 'v');
    expect(await redis.pexpire('lazy', 30)).toBe(1);
    expect(await redis.pexpire('active', 30)).toBe(1);
    const pttl = await redis.pttl('lazy');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(30);
    await eventually(async () => (await redis.get('lazy')) === null);
    expect(await redis.exists('lazy')).toBe(0);
    expect(await redis.ttl('lazy')).toBe(-2);
    // Nobody touches 'active': the cron's active cycle must remove it.
    await eventually(async () => (await redis.dbsize()) === 0);
  });

  it('keeps the TTL through RENAME, MOVE and COPY, and PERSIST removes it', async () => {
    await redis.flushall();
    await redis.set('a', 'v');
    await redis.expire('a', 1000);
    await redis.rename('a', 'b');
    expect(await redis.ttl('b')).toBe(1000);
    expect(await redis.copy('b', 'c')).toBe(1);
    expect(await redis.ttl('c')).toBe(1000);
    expect(await redis.move('c', 5)).toBe(1);
    const other = server.client({ db: 5 });
    expect(await other.ttl('c')).toBe(1000);
    expect(await redis.persist('b')).toBe(1);
    expect(await redis.ttl('b')).toBe(-1);
    await other.flushdb();
  });

  it('a key whose expiry passes while renamed still expires', async () => {
    await redis.flushall();
    await redis.set('src', 'v');
    await redis.pexpire('src', 40);
    await redis.rename('src', 'dst');
    await eventually(async () => (await redis.exists('dst')) === 0);
    expect(await redis.keys('*')).toEqual([]);
  });

  it('KEYS and SCAN skip keys that have expired', async () => {
    await redis.flushall();
    await redis.set('stays', 'v');
    for (let i = 0; i < 20; i++) await redis.set(`gone:${i}`, 'v', 'PX', 20);
    await sleep(40);
    expect(await redis.keys('*')).toEqual(['stays']);
    const [, found] = await redis.scan('0', 'COUNT', '1000');
    expect(found).toEqual(['stays']);
  });

  it('SCAN returns every key present throughout while keys come and go', async () => {
    await redis.flushall();
    const stable = new Set<string>();
    for (let i = 0; i < 2000; i++) stable.add(`stable:${i}`);
    const pipeline = redis.pipeline();
    for (const key of stable) pipeline.set(key, 'v');
    await pipeline.exec();
    const seen = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', '50');
      for (const key of keys) seen.add(key);
      cursor = next;
      // Churn between steps: add new keys, delete some of the ones added before.
      const churn = redis.pipeline();
      for (let j = 0; j < 30; j++) churn.set(`churn:${round}:${j}`, 'v');
      if (round > 0) for (let j = 0; j < 30; j += 2) churn.del(`churn:${round - 1}:${j}`);
      await churn.exec();
      round++;
    } while (cursor !== '0' && round < 10000);
    expect(cursor).toBe('0');
    for (const key of stable) expect(seen.has(key)).toBe(true);
  });

  it('SCAN with MATCH and TYPE filters', async () => {
    await redis.flushall();
    for (let i = 0; i < 100; i++) await redis.set(`user:${i}`, 'v');
    for (let i = 0; i < 10; i++) await redis.set(`item:${i}`, 'v');
    await redis.sadd('user:set', 'x');
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = (await redis.call('SCAN', cursor, 'MATCH', 'user:*', 'TYPE', 'string', 'COUNT', '7')) as [string, string[]];
      for (const k of keys) found.add(k);
      cursor = next;
    } while (cursor !== '0');
    expect(found.size).toBe(100);
    expect(found.has('user:set')).toBe(false);
  });

  it('RANDOMKEY covers the keyspace and never returns an expired key', async () => {
    await redis.flushall();
    for (let i = 0; i < 500; i++) await redis.set(`k:${i}`, 'v');
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add((await redis.randomkey()) as string);
    expect(seen.size).toBeGreaterThan(20);
    for (const key of seen) expect(key.startsWith('k:')).toBe(true);
    await redis.flushall();
    for (let i = 0; i < 300; i++) await redis.set(`short:${i}`, 'v', 'PX', 10);
    await redis.set('long', 'v');
    await sleep(30);
    expect(await redis.randomkey()).toBe('long');
    await redis.del('long');
    await eventually(async () => (await redis.randomkey()) === null);
  });

  it('OBJECT IDLETIME grows for an untouched key and resets on access', async () => {
    await redis.flushall();
    await redis.set('idle', 'v');
    await eventually(async () => (await redis.object('IDLETIME', 'idle')) as number >= 2, 10000);
    // TYPE, EXISTS, TTL and OBJECT do not count as accesses.
    await redis.type('idle');
    await redis.exists('idle');
    await redis.ttl('idle');
    expect(await redis.object('IDLETIME', 'idle')).toBeGreaterThanOrEqual(2);
    await redis.get('idle');
    expect(await redis.object('IDLETIME', 'idle')).toBeLessThan(2);
  });

  it('UNLINK of a huge collection answers and frees the key', async () => {
    await redis.flushall();
    for (let batch = 0; batch < 20; batch++) {
      const members: string[] = [];
      for (let i = 0; i < 10000; i++) members.push(`m:${batch}:${i}`);
      await redis.sadd('huge', ...members);
    }
    expect(await redis.scard('huge')).toBe(200000);
    expect(await redis.unlink('huge')).toBe(1);
    expect(await redis.exists('huge')).toBe(0);
  });
});

describe('active expiry at scale', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('removes 100k keys expiring at once without any access', async () => {
    const redis = server.client();
    const total = 100000;
    await redis.set('keeper', 'v');
    // Hold the active cycle while writing, so that all the keys are due together.
    await redis.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    // Raw RESP in one write: a client library would take longer than the test itself.
    const raw = await server.raw();
    const parts: string[] = [];
    for (let i = 0; i < total; i++) {
      const key = `exp:${i}`;
      parts.push(`*5\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$1\r\nv\r\n$2\r\nPX\r\n$2\r\n50\r\n`);
    }
    raw.write(parts.join(''));
    raw.send('DBSIZE');
    await eventually(async () => raw.rest().endsWith(`:${total + 1}\r\n`), 60000);
    await sleep(60);
    await redis.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    await eventually(async () => (await redis.dbsize()) === 1, 60000);
    expect(await redis.get('keeper')).toBe('v');
  }, 90000);
});
