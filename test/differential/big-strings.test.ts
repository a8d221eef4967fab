/**
 * String values of 512 MB, past V8's longest string (2^29-24 chars), against Redis 7.0: SETBIT
 * at the last bit, SETRANGE at the last byte and APPEND past V8's limit give Redis's replies,
 * GET sends the same bytes, and the values survive DEBUG RELOAD (nodis's RDB is read by
 * redis-check-rdb). Each value allocates 512 MB on each server: two values are used in all.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

/** Redis's proto-max-bulk-len default, and a string value's longest length. */
const MAX_BULK = 512 * 1024 * 1024;

/** GET's bulk reply read off a socket and hashed as it arrives: its length and SHA-1 (no copy of it is kept). */
function hashedGet(port: number, key: string): Promise<{ length: number; sha1: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const hash = createHash('sha1');
    let header = '';
    let length = -1;
    let left = 0;
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (length === -1) {
        header += chunk.latin1Slice(0, Math.min(chunk.length, 64));
        const crlf = header.indexOf('\r\n');
        if (crlf === -1) return;
        if (header[0] !== '$') {
          reject(new Error(`not a bulk reply: ${header}`));
          socket.destroy();
          return;
        }
        length = Number(header.slice(1, crlf));
        left = length + 2;
        chunk = chunk.subarray(crlf + 2);
      }
      const take = Math.min(left, chunk.length);
      // The final CRLF is not part of the value.
      const valueBytes = Math.max(0, Math.min(take, left - 2));
      hash.update(chunk.subarray(0, valueBytes));
      left -= take;
      if (left === 0) {
        socket.destroy();
        resolve({ length, sha1: hash.digest('hex') });
      }
    });
    socket.write(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`);
  });
}

describe.skipIf(!hasOracle)('differential: string values past V8\'s string limit', () => {
  const servers = differentialPair({ redis: ['--enable-debug-command', 'yes'] });
  const tail = 'abcdefghijklmnopqrstuv';

  /** A command that takes seconds on 1 GB of values, on both servers at once: their raw replies. */
  async function slowOnBoth(...args: string[]): Promise<[string, string]> {
    const clients = await Promise.all([RawClient.connect(servers.nodis.port), RawClient.connect(servers.redis.port)]);
    try {
      const replies = clients.map((client) => {
        client.send(...args);
        return client.readRaw(60_000);
      });
      return [await (replies[0] as Promise<string>), await (replies[1] as Promise<string>)];
    } finally {
      for (const client of clients) client.close();
    }
  }

  /** What both servers must answer alike about the two values. */
  const inspectBits: Step[] = [
    ['STRLEN', 'bits'],
    ['GETBIT', 'bits', '4294967295'],
    ['GETBIT', 'bits', '4294967294'],
    ['BITCOUNT', 'bits'],
    ['BITCOUNT', 'bits', '-1', '-1'],
    ['BITPOS', 'bits', '1'],
    ['BITPOS', 'bits', '0', '-1'],
    ['GETRANGE', 'bits', '-3', '-1'],
    ['BITFIELD_RO', 'bits', 'GET', 'u8', '4294967288', 'GET', 'i16', '#268435455'],
    ['OBJECT', 'ENCODING', 'bits'],
  ];
  const inspectText: Step[] = [
    ['STRLEN', 'text'],
    ['GETRANGE', 'text', '536870870', '-1'],
    ['SUBSTR', 'text', '-40', '-1'],
    ['OBJECT', 'ENCODING', 'text'],
  ];

  it('SETBIT, BITFIELD, SETRANGE, APPEND and BITOP reach 512 MB as in Redis, and GET sends the same bytes', async () => {
    await servers.same([
      ['SETBIT', 'bits', '4294967295', '1'],
      ['SETBIT', 'bits', '4294967296', '1'],
      ['BITFIELD', 'bits', 'SET', 'u8', '4294967280', '255', 'INCRBY', 'u8', '4294967280', '1'],
      ['SETRANGE', 'text', '536870880', 'x'],
      // Past 2^29-24 bytes, V8's longest string.
      ['APPEND', 'text', tail],
      ['STRLEN', 'text'],
      ['SETRANGE', 'text', '536870911', 'z'],
      ['APPEND', 'text', 'y'],
      ['SETRANGE', 'text', '536870912', 'y'],
      ['INCRBYFLOAT', 'text', '1'],
      ['INCR', 'text'],
      ['COPY', 'text', 'copied'],
      ['SETRANGE', 'text', '0', 'original'],
      ['RENAME', 'copied', 'renamed'],
      ['STRLEN', 'renamed'],
      ['GETRANGE', 'renamed', '0', '9'],
      ['GETRANGE', 'renamed', '-30', '-1'],
      ['DEL', 'renamed'],
      ['BITOP', 'NOT', 'inverted', 'bits'],
      ['STRLEN', 'inverted'],
      ['BITCOUNT', 'inverted'],
      ['GETRANGE', 'inverted', '-2', '-1'],
      ['DEL', 'inverted'],
      ...inspectBits,
      ...inspectText,
    ]);
    const [nodisGet, redisGet] = await Promise.all([hashedGet(servers.nodis.port, 'text'), hashedGet(servers.redis.port, 'text')]);
    expect(nodisGet.length).toBe(MAX_BULK);
    expect(nodisGet).toEqual(redisGet);
  });

  it('what nodis cannot do with such a value (a bulk argument, text for LCS or a script) is an error, and the server goes on', async () => {
    const raw = await servers.nodis.raw();
    raw.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${MAX_BULK}\r\n`);
    await expect(raw.readRaw()).resolves.toBe('-ERR Protocol error: bulk argument longer than 536870888 bytes\r\n');
    const client = await servers.nodis.raw();
    expect(await client.callRaw('LCS', 'text', 'bits')).toBe('-ERR string value longer than 536870888 bytes cannot be used by this command\r\n');
    // (The script engine's heap is 64 MB: Redis would return the value.)
    expect(await client.callRaw('EVAL', "return #redis.call('GET', KEYS[1])", '1', 'text')).toMatch(/^-ERR .*the reply is too large to hand to the script/);
    expect(await client.callRaw('STRLEN', 'text')).toBe(`:${MAX_BULK}\r\n`);
    // proto-max-bulk-len raised past a Buffer's longest (4 GB): such a value is refused, not a crash.
    expect(await client.callRaw('CONFIG', 'SET', 'proto-max-bulk-len', '8gb')).toBe('+OK\r\n');
    try {
      expect(await client.callRaw('SETRANGE', 'huge', '4294967296', 'x')).toBe('-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n');
      expect(await client.callRaw('SETBIT', 'huge', '34359738368', '1')).toBe('-ERR bit offset is not an integer or out of range\r\n');
      expect(await client.callRaw('BITFIELD', 'huge', 'SET', 'u8', '34359738368', '1')).toBe('-ERR bit offset is not an integer or out of range\r\n');
      expect(await client.callRaw('EXISTS', 'huge')).toBe(':0\r\n');
    } finally {
      await client.callRaw('CONFIG', 'SET', 'proto-max-bulk-len', '512mb');
    }
  });

  it('survives DEBUG RELOAD (a save and a load), in an RDB that redis-check-rdb accepts', async () => {
    // One value is enough here (a bitmap is saved as any string changed in place): half the time.
    await servers.same([['DEL', 'bits']]);
    expect(await slowOnBoth('DEBUG', 'RELOAD')).toEqual(['+OK\r\n', '+OK\r\n']);
    await servers.same(inspectText);
    // DEBUG DIGEST-VALUE covers every byte (it takes seconds in Redis: asked once).
    const [nodisDigest, redisDigest] = await slowOnBoth('DEBUG', 'DIGEST-VALUE', 'text');
    expect(nodisDigest).toMatch(/^\*1\r\n/);
    expect(nodisDigest).toBe(redisDigest);
    const client = await servers.nodis.raw();
    const dir = /\$\d+\r\ndir\r\n\$\d+\r\n(.*)\r\n/.exec(await client.callRaw('CONFIG', 'GET', 'dir'))?.[1] as string;
    const check = spawnSync('redis-check-rdb', [join(dir, 'dump.rdb')], { encoding: 'utf8' });
    expect(check.stdout).toContain('RDB looks OK');
    expect(check.stdout).toContain('1 keys read');
  });
});
