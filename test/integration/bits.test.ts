/**
 * Bit writes as the rest of the server sees them: WATCH and client-side caching are told of
 * changes (and not of writes that change nothing), the value changed in place survives SAVE
 * and DEBUG RELOAD, COPY makes an independent value, MEMORY USAGE follows its growth, and a
 * large bitmap stays one Buffer changed in place.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { RawClient } from '../helpers/raw-client.js';
import type { Database } from '../../src/keyspace/database.js';
import { MutableString } from '../../src/types/mutable-string.js';

const INVALIDATE = (key: string): string => `>2\r\n$10\r\ninvalidate\r\n*1\r\n$${key.length}\r\n${key}\r\n`;

describe('bitmaps in the keyspace', () => {
  let server: TestServer;
  let c: RawClient;
  let other: RawClient;
  beforeAll(async () => {
    server = await startTestServer();
    c = await server.raw();
    other = await server.raw();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    await c.call('FLUSHALL');
  });

  function db0(): Database {
    return server.running.server.databases[0] as Database;
  }

  it('WATCH is dirtied by a bit write that changes the value, not by one that changes nothing', async () => {
    await c.call('SETBIT', 'b', '3', '1');
    await c.call('WATCH', 'b');
    await other.call('SETBIT', 'b', '3', '1');
    await other.call('BITFIELD', 'b', 'SET', 'u4', '0', '1');
    await c.call('MULTI');
    await c.call('GET', 'b');
    expect(await c.call('EXEC')).toEqual(['\x10']);

    for (const write of [['SETBIT', 'b', '3', '0'], ['BITFIELD', 'b', 'INCRBY', 'u4', '0', '1'], ['SETRANGE', 'b', '0', 'x'], ['APPEND', 'b', 'y'], ['BITOP', 'NOT', 'b', 'b']]) {
      await c.call('WATCH', 'b');
      await other.call(...write);
      await c.call('MULTI');
      await c.call('GET', 'b');
      expect(await c.call('EXEC'), write.join(' ')).toBeNull();
    }
  });

  it('client-side caching: a tracked bitmap is invalidated by bit writes', async () => {
    const cache = await server.raw();
    await cache.call('HELLO', '3');
    await cache.call('CLIENT', 'TRACKING', 'ON');
    await c.call('SETBIT', 'b', '100', '1');
    await cache.call('GETBIT', 'b', '100');
    await other.call('SETBIT', 'b', '100', '1');
    await other.call('SETBIT', 'b', '1', '1');
    expect(await cache.readRaw()).toBe(INVALIDATE('b'));
    await cache.call('BITCOUNT', 'b');
    await other.call('BITFIELD', 'b', 'SET', 'u8', '0', '9');
    expect(await cache.readRaw()).toBe(INVALIDATE('b'));
    await cache.call('GET', 'b');
    await other.call('APPEND', 'b', 'z');
    expect(await cache.readRaw()).toBe(INVALIDATE('b'));
    cache.close();
  });

  it('a large bitmap is one Buffer changed in place, and GET, SAVE, DEBUG RELOAD and COPY see its bytes', async () => {
    await c.call('SETBIT', 'bm', String(8 * 1024 * 1024 - 1), '1');
    const value = db0().dict.get('bm');
    expect(value).toBeInstanceOf(MutableString);
    const buffer = (value as MutableString).largeBytes();
    expect(buffer).not.toBeNull();
    for (let i = 0; i < 100; i++) await c.call('SETBIT', 'bm', String(i * 8191), '1');
    // Changed in place: the same object and Buffer.
    expect(db0().dict.get('bm')).toBe(value);
    expect((value as MutableString).largeBytes()).toBe(buffer);
    expect(await c.call('BITCOUNT', 'bm')).toBe(101);
    expect(await c.call('STRLEN', 'bm')).toBe(1024 * 1024);
    expect(await c.call('OBJECT', 'ENCODING', 'bm')).toBe('raw');
    const bytes = (await c.call('GET', 'bm')) as string;
    expect(bytes.length).toBe(1024 * 1024);
    expect(bytes.charCodeAt(8191 >> 3)).toBe(1 << (7 - (8191 & 7)));

    expect(await c.call('COPY', 'bm', 'copy')).toBe(1);
    await c.call('SETBIT', 'copy', '0', '0');
    await c.call('SETBIT', 'bm', '7', '1');
    expect(await c.call('GETBIT', 'copy', '7')).toBe(0);
    expect(await c.call('GETBIT', 'bm', '7')).toBe(1);

    const digest = await c.call('DEBUG', 'DIGEST');
    expect(await c.call('SAVE')).toBe('OK');
    expect(await c.call('DEBUG', 'RELOAD')).toBe('OK');
    expect(await c.call('DEBUG', 'DIGEST')).toBe(digest);
    expect(await c.call('GET', 'bm')).toBe(String.fromCharCode(bytes.charCodeAt(0) | 1) + bytes.slice(1));
    expect(await c.call('BITCOUNT', 'bm')).toBe(102);
    // Reloaded as a plain string; the next bit write makes it mutable again.
    expect(typeof db0().dict.get('bm')).toBe('string');
    await c.call('SETBIT', 'bm', '9', '1');
    expect(db0().dict.get('bm')).toBeInstanceOf(MutableString);
    expect(await c.call('BITCOUNT', 'bm')).toBe(103);

    const dump = await c.call('DUMP', 'bm');
    expect(await c.call('RESTORE', 'restored', '0', dump as string)).toBe('OK');
    expect(await c.call('BITCOUNT', 'restored')).toBe(103);
  });

  it('MEMORY USAGE and used_memory follow a bitmap as it grows', async () => {
    await c.call('SETBIT', 'grow', '8', '1');
    const small = (await c.call('MEMORY', 'USAGE', 'grow')) as number;
    await c.call('SETBIT', 'grow', String(8 * 200_000), '1');
    const large = (await c.call('MEMORY', 'USAGE', 'grow')) as number;
    expect(large - small).toBeGreaterThan(200_000);
    expect(large - small).toBeLessThan(2 * 200_000 + 1000);
    const value = db0().dict.get('grow') as MutableString;
    expect(value.bytes).toBe(value.recountBytes());
    await c.call('DEL', 'grow');
    expect(db0().usage.bytes).toBe(0);
  });
});
