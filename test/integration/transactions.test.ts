import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('transactions with several clients', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ requirepass: '' });
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    const c = server.client();
    await c.flushall();
    c.disconnect();
  });

  /** WATCH key on one client, run `meddle` on another, then try a transaction. */
  async function watchedExec(key: string, meddle: (other: ReturnType<TestServer['client']>) => Promise<unknown>): Promise<unknown> {
    const a = server.client();
    const b = server.client();
    try {
      await a.watch(key);
      await meddle(b);
      return await a.multi().set(key, 'from-tx').exec();
    } finally {
      a.disconnect();
      b.disconnect();
    }
  }

  it('another client writing a watched key makes EXEC fail', async () => {
    expect(await watchedExec('w', (b) => b.set('w', 'x'))).toBeNull();
    expect(await watchedExec('w', (b) => b.del('w'))).toBeNull();
    const c = server.client();
    await c.set('w', 'v');
    c.disconnect();
    expect(await watchedExec('w', (b) => b.expire('w', 100))).toBeNull();
    expect(await watchedExec('w', (b) => b.persist('w'))).toBeNull();
    // Commands that change nothing do not touch.
    expect(await watchedExec('w', (b) => b.persist('w'))).toEqual([[null, 'OK']]);
    expect(await watchedExec('nokey', (b) => b.expire('nokey', 100))).toEqual([[null, 'OK']]);
  });

  it('a read, or a write to another key, does not', async () => {
    const c = server.client();
    await c.set('w', 'v');
    expect(await watchedExec('w', (b) => b.get('w'))).toEqual([[null, 'OK']]);
    expect(await watchedExec('w', (b) => b.set('other', '1'))).toEqual([[null, 'OK']]);
    // Deleting a key that does not exist changes nothing.
    expect(await watchedExec('absent', (b) => b.del('absent'))).toEqual([[null, 'OK']]);
    c.disconnect();
  });

  it('a watched key expiring between WATCH and EXEC makes EXEC fail', async () => {
    const c = server.client();
    // The TTL leaves time for the two clients to connect and WATCH on a busy machine: a key
    // already expired when watched would not make EXEC fail (the last case below).
    await c.set('e', 'v', 'PX', 400);
    expect(await watchedExec('e', () => sleep(600))).toBeNull();
    // Removed by another client's access (lazy expiry) before EXEC: still a change.
    await c.set('e', 'v', 'PX', 400);
    expect(await watchedExec('e', async (b) => {
      await sleep(600);
      await b.get('e');
    })).toBeNull();
    // Already expired when watched: its later removal is no change.
    await c.set('e2', 'v', 'PX', 1);
    await sleep(10);
    await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0').catch(() => null);
    expect(await watchedExec('e2', () => sleep(5))).toEqual([[null, 'OK']]);
    await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1').catch(() => null);
    c.disconnect();
  });

  it('FLUSHDB, FLUSHALL and SWAPDB touch watched keys that exist', async () => {
    const c = server.client();
    await c.set('f', 'v');
    expect(await watchedExec('f', (b) => b.flushdb())).toBeNull();
    await c.set('f', 'v');
    expect(await watchedExec('f', (b) => b.flushall())).toBeNull();
    await c.set('f', 'v');
    expect(await watchedExec('f', (b) => b.swapdb(0, 1))).toBeNull();
    expect(await watchedExec('f', (b) => b.swapdb(0, 1))).toBeNull();
    // A flush of an empty database or of another one does not.
    await c.flushall();
    expect(await watchedExec('nothing', (b) => b.flushdb())).toEqual([[null, 'OK']]);
    await c.set('g', 'v');
    expect(await watchedExec('g', async (b) => {
      await b.select(3);
      await b.flushdb();
    })).toEqual([[null, 'OK']]);
    c.disconnect();
  });

  it('RENAME touches both its source and destination', async () => {
    const c = server.client();
    await c.set('src', 'v');
    expect(await watchedExec('src', (b) => b.rename('src', 'dst'))).toBeNull();
    expect(await watchedExec('dst', (b) => b.rename('dst', 'src'))).toBeNull();
    c.disconnect();
  });

  it('EXEC runs atomically: other clients see all or nothing', async () => {
    const a = server.client();
    const b = server.client();
    const tx = a.multi();
    for (let i = 0; i < 500; i++) tx.incr('counter').rpush('log', String(i));
    const done = tx.exec();
    // Interleaved reads see either none or all of the transaction's effects.
    const seen = await Promise.all([b.get('counter'), done.then(() => b.get('counter')), b.llen('log')]);
    expect([null, '500']).toContain(seen[0]);
    expect(seen[1]).toBe('500');
    expect([0, 500]).toContain(seen[2]);
    a.disconnect();
    b.disconnect();
  });

  it('a push inside MULTI wakes a blocked BLPOP client only after EXEC', async () => {
    const blocked = server.client();
    const a = server.client();
    const popped = blocked.blpop('q', 0);
    await sleep(20);
    await a.multi().exec();
    const pipe = a.multi();
    pipe.rpush('q', 'one', 'two');
    pipe.lrange('q', 0, -1);
    pipe.llen('q');
    // Inside the transaction the blocked client has not taken anything yet.
    expect(await pipe.exec()).toEqual([[null, 2], [null, ['one', 'two']], [null, 2]]);
    expect(await popped).toEqual(['q', 'one']);
    expect(await a.lrange('q', 0, -1)).toEqual(['two']);
    blocked.disconnect();
    a.disconnect();
  });

  it('NOAUTH and other rejections of EXEC discard the transaction, as Redis 7.0', async () => {
    const srv = await startTestServer({ requirepass: 'secret' });
    try {
      const raw = await srv.raw();
      expect(await raw.callRaw('MULTI')).toBe('-NOAUTH Authentication required.\r\n');
      expect(await raw.callRaw('SET', 'k', 'v')).toBe('-NOAUTH Authentication required.\r\n');
      expect(await raw.callRaw('EXEC')).toBe('-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n');
      expect(await raw.callRaw('AUTH', 'secret')).toBe('+OK\r\n');
      expect(await raw.callRaw('MULTI')).toBe('+OK\r\n');
      expect(await raw.callRaw('SET', 'k', 'v')).toBe('+QUEUED\r\n');
      expect(await raw.callRaw('AUTH', 'wrong')).toBe('+QUEUED\r\n');
      expect(await raw.callRaw('EXEC')).toBe('*2\r\n+OK\r\n-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      expect(await raw.callRaw('MULTI')).toBe('+OK\r\n');
      expect(await raw.callRaw('SET', 'k', 'v')).toBe('+QUEUED\r\n');
      expect(await raw.callRaw('EXEC', 'x')).toBe("-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n");
      expect(await raw.callRaw('EXEC')).toBe('-ERR EXEC without MULTI\r\n');
      expect(await raw.callRaw('SUBSCRIBE', 'c')).toBe('*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n');
      expect(await raw.callRaw('EXEC')).toBe(
        "-EXECABORT Transaction discarded because of: Can't execute 'exec': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
      );
    } finally {
      await srv.stop();
    }
  });
});
