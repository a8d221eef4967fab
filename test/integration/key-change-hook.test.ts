/**
 * The hook a point-in-time snapshot hangs off: told before any value is modified or deleted,
 * while the old value can still be read. One test per kind of change.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { RawClient } from '../helpers/raw-client.js';
import { setKeyChangeListener, type Database } from '../../src/keyspace/database.js';
import { List } from '../../src/types/list.js';
import type { Value } from '../../src/types/value.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A value as the listener saw it, copied (the original is about to change). */
function copyOf(value: Value | undefined): unknown {
  if (value === undefined || typeof value === 'string') return value ?? null;
  if (value.type === 'string') return value.toString();
  if (value instanceof List) return value.toArray();
  return `${value.type}(${value.size})`;
}

interface Seen {
  db: number;
  key: string | null;
  /** The key's value (or, for a whole database, its keys) when the listener was told. */
  before: unknown;
  expireAt: number | null;
}

describe('the before-change hook of the keyspace', () => {
  let server: TestServer;
  let client: RawClient;
  let seen: Seen[];

  beforeEach(async () => {
    server = await startTestServer();
    client = await server.raw();
    seen = [];
    setKeyChangeListener(server.running.server.databases, {
      beforeKeyChange(db: Database, key: string) {
        seen.push({ db: db.id, key, before: copyOf(db.dict.get(key)), expireAt: db.expires.get(key) ?? null });
      },
      beforeDatabaseChange(db: Database) {
        seen.push({ db: db.id, key: null, before: [...db.dict.keys()].sort(), expireAt: null });
      },
    });
  });

  afterEach(async () => {
    setKeyChangeListener(server.running.server.databases, null);
    await server.stop();
  });

  const of = (key: string): Seen[] => seen.filter((s) => s.key === key);

  it('a write (lookup for writing, in-place change, creation) is announced with the old value', async () => {
    await client.call('RPUSH', 'list', 'a');
    expect(of('list')[0]?.before).toBeNull();
    seen = [];
    await client.call('LPUSH', 'list', 'b');
    expect(of('list').length).toBeGreaterThan(0);
    expect(of('list').every((s) => JSON.stringify(s.before) === JSON.stringify(['a']))).toBe(true);
    seen = [];
    await client.call('SET', 'str', 'old');
    await client.call('APPEND', 'str', '+');
    expect(of('str').map((s) => s.before)).toEqual([null, 'old', 'old']);
  });

  it('a deletion is announced while the key still holds its value', async () => {
    await client.call('SET', 'gone', 'v');
    seen = [];
    expect(await client.call('DEL', 'gone', 'missing')).toBe(1);
    expect(of('gone').map((s) => s.before)).toEqual(['v']);
    expect(of('missing')).toEqual([]);
  });

  it('an expiry change is announced with the old expiry', async () => {
    await client.call('SET', 'ttl', 'v', 'EX', '100');
    const at = server.running.server.databases[0]?.expires.get('ttl');
    seen = [];
    await client.call('PERSIST', 'ttl');
    expect(of('ttl').some((s) => s.expireAt === at)).toBe(true);
    seen = [];
    await client.call('EXPIRE', 'ttl', '50');
    expect(of('ttl').every((s) => s.expireAt === null)).toBe(true);
    expect(of('ttl').length).toBeGreaterThan(0);
  });

  it('FLUSHDB and FLUSHALL announce each database they empty, keys still in it', async () => {
    await client.call('SET', 'a', '1');
    await client.call('SELECT', '3');
    await client.call('SET', 'b', '1');
    seen = [];
    await client.call('FLUSHDB');
    expect(seen).toEqual([{ db: 3, key: null, before: ['b'], expireAt: null }]);
    seen = [];
    await client.call('FLUSHALL');
    const whole = seen.filter((s) => s.key === null);
    expect(whole.length).toBe(server.running.server.databases.length);
    expect(whole.find((s) => s.db === 0)?.before).toEqual(['a']);
  });

  it('SWAPDB announces both databases with their contents before the exchange', async () => {
    await client.call('SET', 'in0', '1');
    await client.call('SELECT', '1');
    await client.call('SET', 'in1', '1');
    seen = [];
    await client.call('SWAPDB', '0', '1');
    expect(seen).toEqual([
      { db: 0, key: null, before: ['in0'], expireAt: null },
      { db: 1, key: null, before: ['in1'], expireAt: null },
    ]);
  });

  it('RENAME announces the source and the destination before either changes', async () => {
    await client.call('SET', 'from', 'v1');
    await client.call('SET', 'to', 'v2');
    seen = [];
    await client.call('RENAME', 'from', 'to');
    expect(of('from').map((s) => s.before)).toContain('v1');
    expect(of('to').map((s) => s.before)).toContain('v2');
    expect(of('from').every((s) => s.before === 'v1')).toBe(true);
  });

  it('a blocked client served later announces the key before popping from it', async () => {
    const blocked = await server.raw();
    blocked.send('BLPOP', 'queue', '0');
    while (server.running.server.blockedClientCount() === 0) await sleep(1);
    seen = [];
    await client.call('RPUSH', 'queue', 'x', 'y');
    expect(await blocked.read()).toEqual(['queue', 'x']);
    // The push's own announcement saw no list; the service's saw both elements still there.
    expect(of('queue').map((s) => s.before)).toContainEqual(['x', 'y']);
    expect(of('queue')[0]?.before).toBeNull();
  });

  it('lazy expiry announces the key before deleting it', async () => {
    await client.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await client.call('SET', 'lazy', 'v', 'PX', '1');
    await sleep(10);
    seen = [];
    expect(await client.call('GET', 'lazy')).toBeNull();
    expect(of('lazy').map((s) => s.before)).toEqual(['v']);
  });

  it('active expiry announces the key before deleting it', async () => {
    await client.call('SET', 'active', 'v', 'PX', '1');
    seen = [];
    const db = server.running.server.databases[0] as Database;
    const deadline = Date.now() + 5000;
    while (db.dict.has('active') && Date.now() < deadline) await sleep(20);
    expect(db.dict.has('active')).toBe(false);
    expect(of('active').map((s) => s.before)).toEqual(['v']);
  });

  it('costs nothing and tells nobody once removed', async () => {
    setKeyChangeListener(server.running.server.databases, null);
    await client.call('SET', 'quiet', 'v');
    await client.call('FLUSHALL');
    expect(seen).toEqual([]);
  });
});
