/**
 * The running memory totals (keyspace/database.ts `usage`, each collection's `bytes`) never
 * drift: after thousands of random commands of every family, each database's total equals a
 * recount from scratch of its keys and values, each collection's `bytes` equals its own
 * recount, and every collection in the keyspace reports to its database's total.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { CommandGenerator, prng } from '../helpers/collection-fuzz.js';
import type { RawClient } from '../helpers/raw-client.js';
import type { Database } from '../../src/keyspace/database.js';
import { stringBytes } from '../../src/types/heap-size.js';
import { valueBytes } from '../../src/types/value.js';
import { List } from '../../src/types/list.js';

const KEYS = ['h1', 'h2', 'l1', 'l2', 's1', 's2', 's3', 'z1', 'z2', 'z3', 'str', 'nokey', 'k1', 'k2'];

/** Keyspace-wide commands the collection generator does not make: moves, copies, expiry, strings, stores. */
function keyspaceStep(rnd: () => number): string[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
  const key = (): string => pick(KEYS);
  switch (Math.floor(rnd() * 22)) {
    case 0: return ['RENAME', key(), key()];
    case 1: return ['MOVE', key(), pick(['1', '2'])];
    case 2: return ['COPY', key(), key(), ...(rnd() < 0.5 ? ['REPLACE'] : []), ...(rnd() < 0.3 ? ['DB', '1'] : [])];
    case 3: return ['EXPIRE', key(), pick(['100', '1000', '0'])];
    case 4: return ['PEXPIRE', key(), '1'];
    case 5: return ['PERSIST', key()];
    case 6: return ['SWAPDB', '0', pick(['1', '2'])];
    case 7: return ['SET', key(), pick(['v', 'value', 'x'.repeat(100), '12345']), ...(rnd() < 0.5 ? ['EX', '100'] : []), ...(rnd() < 0.2 ? ['KEEPTTL'] : [])];
    case 8: return ['APPEND', key(), pick(['a', 'abc', 'y'.repeat(50)])];
    case 9: return ['SETRANGE', key(), String(Math.floor(rnd() * 40)), 'zz'];
    case 10: return ['INCRBY', key(), '7'];
    case 11: return ['GETDEL', key()];
    case 12: return ['SUNIONSTORE', key(), key(), key()];
    case 13: return ['ZUNIONSTORE', key(), '2', key(), key()];
    case 14: return ['SORT', key(), 'ALPHA', 'STORE', key()];
    case 15: return ['LMOVE', key(), key(), 'LEFT', 'RIGHT'];
    case 16: return ['SMOVE', key(), key(), pick(['1', 'a', '2'])];
    case 17: return ['GETEX', key(), 'PX', '1'];
    case 18: return ['SELECT', pick(['0', '0', '1'])];
    case 19: return ['UNLINK', key(), key()];
    case 20: return ['FLUSHDB'];
    default: return ['SETEX', key(), '100', pick(['a', 'bb', 'ccc'])];
  }
}

/** Recounts `db` from scratch and compares with its running total; returns what differs. */
function audit(db: Database): string[] {
  const problems: string[] = [];
  // The dict's tables and its record slots (the slots are the keys' part of the dataset, not overhead).
  let total = db.dict.bytes + db.expiresTableBytes();
  for (const [key, value] of db.dict) {
    total += stringBytes(key.length) + valueBytes(value);
    if (typeof value === 'string') continue;
    if (value.account !== db.usage) problems.push(`db${db.id} ${key}: reports to another total`);
    const recount = value.recountBytes();
    if (recount !== value.bytes) problems.push(`db${db.id} ${key} (${value.type} ${value.encoding()}): bytes ${value.bytes}, recount ${recount}`);
  }
  if (total !== db.usage.bytes) problems.push(`db${db.id}: usage ${db.usage.bytes}, recount ${total}`);
  return problems;
}

describe('memory accounting never drifts', () => {
  let server: TestServer;
  let client: RawClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = await server.raw();
  });
  afterAll(async () => server?.stop());

  it('the databases and values keep totals equal to a recount, through random commands of every kind', async () => {
    const generator = new CommandGenerator(20260101);
    const rnd = prng(7);
    const databases = server.running.server.databases;
    const problems: string[] = [];
    for (let round = 0; round < 40 && problems.length === 0; round++) {
      for (let i = 0; i < 150; i++) {
        const argv = rnd() < 0.2 ? keyspaceStep(rnd) : generator.next().argv;
        client.send(...argv);
      }
      for (let i = 0; i < 150; i++) await client.read();
      // Reloading from an RDB and restoring from DUMP build values through the loader's paths.
      if (round % 10 === 9) {
        expect(await client.call('DEBUG', 'RELOAD')).toBe('OK');
        const dump = await client.call('DUMP', 'z1');
        if (typeof dump === 'string') expect(await client.call('RESTORE', 'z1', '0', dump, 'REPLACE')).toBe('OK');
      }
      for (const db of databases) problems.push(...audit(db));
    }
    expect(problems).toEqual([]);
  });

  it('strings written in place (bits, ranges, appends) keep the totals equal to a recount', async () => {
    const rnd = prng(14);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
    const key = (): string => pick(['b1', 'b2', 'b3', 'l1']);
    const databases = server.running.server.databases;
    const problems: string[] = [];
    expect(await client.call('FLUSHALL')).toBe('OK');
    for (let round = 0; round < 20 && problems.length === 0; round++) {
      for (let i = 0; i < 100; i++) {
        const offset = String(Math.floor(rnd() * (rnd() < 0.5 ? 100 : 40_000)));
        const argv = pick([
          ['SETBIT', key(), offset, pick(['0', '1'])],
          ['BITFIELD', key(), 'SET', 'u16', offset, '513', 'INCRBY', 'i7', offset, '3'],
          ['BITOP', pick(['OR', 'NOT']), key(), key()],
          ['SETRANGE', key(), offset, 'abc'],
          ['APPEND', key(), 'x'.repeat(Math.floor(rnd() * 300))],
          ['SET', key(), 'plain'],
          ['RPUSH', 'l1', 'a'],
          ['COPY', key(), key(), 'REPLACE'],
          ['RENAME', key(), key()],
          ['MOVE', key(), '1'],
          ['DEL', key()],
        ]);
        client.send(...argv);
      }
      for (let i = 0; i < 100; i++) await client.read();
      if (round % 5 === 4) expect(await client.call('DEBUG', 'RELOAD')).toBe('OK');
      for (const db of databases) problems.push(...audit(db));
    }
    expect(problems).toEqual([]);
  });

  it('streams report their sizes after each command, several streams in one command included', async () => {
    expect(await client.call('SELECT', '0')).toBe('OK');
    const db = server.running.server.databases[0] as Database;
    const streams = ['st1', 'st2', 'st3'];
    for (const key of streams) await client.call('XGROUP', 'CREATE', key, 'g', '$', 'MKSTREAM');
    for (let round = 0; round < 30; round++) {
      // Each command after the first touches every stream at once (MULTI/EXEC, XREADGROUP, XREAD).
      for (const key of streams) client.send('XADD', key, '*', 'field', 'v'.repeat(round), 'other', String(round));
      client.send('MULTI');
      for (const key of streams) client.send('XADD', key, 'MAXLEN', '~', '5', '*', 'f', 'x');
      client.send('EXEC');
      client.send('XREADGROUP', 'GROUP', 'g', `consumer${round % 3}`, 'COUNT', '2', 'STREAMS', ...streams, ...streams.map(() => '>'));
      client.send('XREAD', 'COUNT', '1', 'STREAMS', ...streams, ...streams.map(() => '0'));
      for (let i = 0; i < streams.length * 2 + 4; i++) await client.read();
      expect(audit(db)).toEqual([]);
    }
  });

  it('an emptied database counts nothing, and values it held no longer report to it', async () => {
    expect(await client.call('SELECT', '0')).toBe('OK');
    expect(await client.call('RPUSH', 'kept', 'a', 'b')).toBe(2);
    const db = server.running.server.databases[0] as Database;
    const list = db.dict.get('kept');
    expect(await client.call('FLUSHALL')).toBe('OK');
    expect(db.usage.bytes).toBe(0);
    expect(db.dict.bytes + db.expiresTableBytes()).toBe(0);
    // A value deleted with its database changes no total if something still changes it.
    expect(list).toBeInstanceOf(List);
    (list as List).pushRight('more');
    expect(db.usage.bytes).toBe(0);
  });
});
