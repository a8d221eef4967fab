import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';

function infoField(text: string, field: string): number {
  const match = new RegExp(`^${field}:([\\d.]+)`, 'm').exec(text);
  if (match === null) throw new Error(`no ${field} in INFO`);
  return Number(match[1]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('idle clients and the timeout parameter', () => {
  let server: TestServer;
  afterEach(async () => {
    await server?.stop();
  });

  it('closes clients idle past timeout, but not blocked, subscribed or monitoring ones', async () => {
    server = await startTestServer({ timeout: 1 });
    const idle = await server.raw();
    const subscriber = await server.raw();
    const blocked = await server.raw();
    const monitor = await server.raw();
    const busy = await server.raw();
    expect(await idle.callRaw('PING')).toBe('+PONG\r\n');
    await subscriber.callRaw('SUBSCRIBE', 'ch');
    await monitor.callRaw('MONITOR');
    blocked.send('BLPOP', 'list', '0');
    // The busy client talks more often than the timeout: it stays.
    const deadline = Date.now() + 6000;
    while (!idle.closed && Date.now() < deadline) {
      await sleep(200);
      expect(await busy.callRaw('PING')).toBe('+PONG\r\n');
    }
    expect(idle.closed).toBe(true);
    // Long enough after the idle one went for the timer to have seen the others idle too.
    for (let i = 0; i < 8; i++) {
      await sleep(200);
      expect(await busy.callRaw('PING')).toBe('+PONG\r\n');
    }
    expect(subscriber.closed || blocked.closed || monitor.closed).toBe(false);
    expect(await subscriber.call('PING')).toEqual(['pong', '']);
    expect(await busy.callRaw('RPUSH', 'list', 'x')).toBe(':1\r\n');
    expect(await blocked.read()).toEqual(['list', 'x']);
  });

  it('timeout 0 never closes idle clients', async () => {
    server = await startTestServer({ timeout: 0 });
    const idle = await server.raw();
    await sleep(1300);
    expect(await idle.callRaw('PING')).toBe('+PONG\r\n');
  });
});

describe('active expiry', () => {
  let server: TestServer;
  afterEach(async () => {
    await server?.stop();
  });

  it('removes 100k keys expiring at once while a pipelining client keeps getting replies', async () => {
    server = await startTestServer({ hz: 100, 'enable-debug-command': 'yes' });
    const loader = await server.raw();
    const keys = 100_000;
    // Loaded with the active cycle off, so that all of them are expired when it starts again.
    expect(await loader.callRaw('DEBUG', 'SET-ACTIVE-EXPIRE', '0')).toBe('+OK\r\n');
    let pipeline = '';
    for (let i = 0; i < keys; i++) pipeline += `*5\r\n$3\r\nSET\r\n$${String(i).length + 2}\r\nk:${i}\r\n$1\r\nv\r\n$2\r\nPX\r\n$3\r\n100\r\n`;
    loader.write(pipeline);
    for (let i = 0; i < keys; i++) await loader.readRaw();
    expect(await loader.callRaw('DBSIZE')).toBe(`:${keys}\r\n`);
    await sleep(150);
    await loader.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');

    const worker = await server.raw();
    const admin = await server.raw();
    let sent = 0;
    let maxStale = 0;
    let dbsize = keys;
    const deadline = Date.now() + 60_000;
    while (dbsize > 0 && Date.now() < deadline) {
      // A batch of pipelined commands: every reply must come back while the cycle runs.
      let batch = '';
      for (let i = 0; i < 500; i++) batch += '*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n';
      worker.write(batch);
      for (let i = 0; i < 500; i++) expect(await worker.readRaw()).toBe(`:${++sent}\r\n`);
      const info = String(await admin.call('INFO', 'stats'));
      maxStale = Math.max(maxStale, infoField(info, 'expired_stale_perc'));
      dbsize = Number(await admin.call('DBSIZE')) - 1; // the counter key stays
    }
    expect(dbsize).toBe(0);
    const info = String(await admin.call('INFO', 'stats'));
    expect(infoField(info, 'expired_keys')).toBe(keys);
    expect(maxStale).toBeGreaterThan(0);
    // At hz 100 the cycle may use 2.5 ms per tick: 100k deletions need more than one tick.
    expect(infoField(info, 'expired_time_cap_reached_count')).toBeGreaterThan(0);
    expect(await admin.call('GET', 'k:0')).toBe(null);
  });

  it('reaches keys in every database and resets avg_ttl when no key has a TTL left', async () => {
    server = await startTestServer({ hz: 50 });
    const client = await server.raw();
    for (const db of ['0', '5', '15']) {
      await client.call('SELECT', db);
      for (let i = 0; i < 200; i++) await client.call('SET', `e${i}`, 'v', 'PX', '50');
      await client.call('SET', 'long', 'v', 'EX', '1000');
    }
    const deadline = Date.now() + 10_000;
    let keyspace = '';
    while (Date.now() < deadline) {
      keyspace = String(await client.call('INFO', 'keyspace'));
      if (/db0:keys=1,.*\r\ndb5:keys=1,.*\r\ndb15:keys=1,/s.test(keyspace)) break;
      await sleep(50);
    }
    expect(keyspace).toMatch(/db0:keys=1,expires=1,avg_ttl=\d+\r\ndb5:keys=1,expires=1,avg_ttl=\d+\r\ndb15:keys=1,expires=1,avg_ttl=\d+/);
    await client.call('PERSIST', 'long');
    await sleep(300);
    expect(String(await client.call('INFO', 'keyspace'))).toContain('db15:keys=1,expires=0,avg_ttl=0');
    const info = String(await client.call('INFO', 'stats'));
    expect(infoField(info, 'expired_keys')).toBe(600);
  });
});

describe('RawClient', () => {
  it('reads a reply bigger than many socket chunks', async () => {
    const server = await startTestServer();
    try {
      const client: RawClient = await server.raw();
      await client.call('SET', 'big', 'x'.repeat(5_000_000));
      const raw = await client.callRaw('GET', 'big');
      expect(raw.length).toBe(5_000_000 + '$5000000\r\n\r\n'.length);
    } finally {
      await server.stop();
    }
  });
});
