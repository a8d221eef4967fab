/**
 * INCR keeps its result as an IntegerString that the next increment changes in place: what a
 * write must do besides changing the value (WATCH, client-side caching, notifications, the
 * access record, used_memory) must still happen when nothing is stored anew.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { Database } from '../../src/keyspace/database.js';
import { IntegerString } from '../../src/types/integer-string.js';

const servers: TestServer[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function server(options: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer(options);
  servers.push(s);
  return s;
}

function db0(s: TestServer): Database {
  return s.running.server.databases[0] as Database;
}

function usedMemory(info: unknown): number {
  return Number(/^used_memory:(\d+)/m.exec(String(info))?.[1]);
}

describe('counters changed in place', () => {
  it('keeps the same value object from one INCR to the next, with the access record in it', async () => {
    const s = await server();
    const c = await s.raw();
    await c.call('SET', 'k', '5');
    expect(db0(s).dict.hasStringRecord('k')).toBe(true);
    expect(await c.call('INCR', 'k')).toBe(6);
    const counter = db0(s).dict.get('k');
    expect(counter).toBeInstanceOf(IntegerString);
    // The plain string's record moved into the counter.
    expect(db0(s).dict.hasStringRecord('k')).toBe(false);
    expect((counter as IntegerString).access).toBeGreaterThanOrEqual(0);
    expect(await c.call('INCRBY', 'k', '10')).toBe(16);
    expect(await c.call('DECR', 'k')).toBe(15);
    expect(db0(s).dict.get('k')).toBe(counter);
    expect(await c.call('OBJECT', 'IDLETIME', 'k')).toBe(0);
    // A counter past 2^53 is kept as its text.
    expect(await c.callRaw('INCRBY', 'k', '9007199254740990')).toBe(':9007199254741005\r\n');
    expect(db0(s).dict.get('k')).toBe('9007199254741005');
  });

  it('dirties a WATCH, invalidates tracked reads and notifies incrby on each in-place change', async () => {
    const s = await server({ 'notify-keyspace-events': 'KEA' });
    const sub = await s.raw();
    await sub.call('SUBSCRIBE', '__keyevent@0__:incrby');
    const writer = await s.raw();
    expect(await writer.call('INCR', 'n')).toBe(1);
    expect(await sub.read()).toEqual(['message', '__keyevent@0__:incrby', 'n']);
    expect(await writer.call('INCR', 'n')).toBe(2);
    expect(await sub.read()).toEqual(['message', '__keyevent@0__:incrby', 'n']);

    const watcher = await s.raw();
    await watcher.call('WATCH', 'n');
    await writer.call('INCR', 'n');
    await watcher.call('MULTI');
    await watcher.call('GET', 'n');
    expect(await watcher.call('EXEC')).toBeNull();

    const cache = await s.raw();
    await cache.call('HELLO', '3');
    await cache.call('CLIENT', 'TRACKING', 'ON');
    expect(await cache.call('GET', 'n')).toBe('3');
    await writer.call('INCRBY', 'n', '5');
    expect(await cache.readRaw()).toBe('>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nn\r\n');
    expect(await cache.call('GET', 'n')).toBe('8');
  });

  it('gives an LFU counter the increments of a plain string', async () => {
    const s = await server({ 'maxmemory-policy': 'allkeys-lfu' });
    const c = await s.raw();
    await c.call('INCR', 'n');
    expect(await c.call('OBJECT', 'FREQ', 'n')).toBe(5);
    // A counter at LFU_INIT_VAL always goes up on a hit.
    await c.call('INCR', 'n');
    expect(await c.call('OBJECT', 'FREQ', 'n')).toBe(6);
  });

  it('counts counters in used_memory as they come and go, in place changes included', async () => {
    const s = await server();
    const c = await s.raw();
    const before = usedMemory(await c.call('INFO', 'memory'));
    // Small integers, then past 2^31 (a number V8 boxes), then back.
    for (let i = 0; i < 500; i++) await c.call('INCRBY', `c:${i}`, String(i * 1000003));
    for (let i = 0; i < 500; i += 2) await c.call('INCRBY', `c:${i}`, String(2 ** 40));
    for (let i = 0; i < 500; i += 4) await c.call('DECRBY', `c:${i}`, String(2 ** 40));
    const db = db0(s);
    // What the same counters stored afresh would be counted.
    const fresh = new Database(9, s.running.server, s.running.server.stats);
    for (const [key, value] of db.dict) fresh.set(key, new IntegerString((value as IntegerString).integer));
    expect(db.usage.bytes).toBe(fresh.usage.bytes);
    expect(usedMemory(await c.call('INFO', 'memory'))).toBeGreaterThan(before);
    for (let i = 0; i < 500; i++) await c.call('DEL', `c:${i}`);
    expect(db.usage.bytes).toBe(0);
  });
});
