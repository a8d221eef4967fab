/**
 * RESTORE of a stream whose node listpacks are damaged (with a valid CRC, so that the node
 * check is what meets the damage): the command answers Redis's error, nothing is stored, and
 * the server goes on serving; an intact payload of many nodes restores whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { crc64 } from '../../src/persistence/rdb/index.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.stop();
});

/** The payload with its CRC64 trailer recomputed over its (changed) bytes. */
function withFreshCrc(payload: Buffer): Buffer {
  const out = Buffer.from(payload);
  out.writeBigUInt64LE(crc64(out, 0, out.length - 8), out.length - 8);
  return out;
}

describe('RESTORE of a stream with damaged nodes', () => {
  it('answers Bad data format for any damaged byte of a node, stores nothing, and keeps serving', async () => {
    const client = server.client();
    // Uncompressed payloads keep the listpacks' bytes as they are, so that each damage hits one.
    await client.config('SET', 'rdbcompression', 'no');
    for (let i = 0; i < 250; i++) await client.xadd('s', `${i + 1}-0`, 'f', i % 4 === 0 ? `v${i}` : String(i), ...(i % 9 === 0 ? ['g', 'x'] : []));
    const payload = await client.dumpBuffer('s');
    expect(payload).not.toBeNull();
    const good = payload as Buffer;
    expect(await client.restore('copy', 0, good)).toBe('OK');
    expect(await client.xlen('copy')).toBe(250);
    expect(await client.xrange('copy', '-', '+')).toEqual(await client.xrange('s', '-', '+'));
    // Damage bytes across the first node's listpack (it starts after the type byte, the node
    // count, the 16-byte master ID with its length, and the listpack's own length).
    let refused = 0;
    for (let offset = 20; offset < 600; offset += 7) {
      const damaged = Buffer.from(good);
      damaged[offset] = (damaged[offset] as number) ^ 0x5a;
      try {
        await client.restore('bad', 0, withFreshCrc(damaged));
        // A change that keeps the node well-formed (a value's byte) restores: it must read back.
        await client.xrange('bad', '-', '+');
        await client.del('bad');
      } catch (err) {
        expect((err as Error).message).toBe('ERR Bad data format');
        expect(await client.exists('bad')).toBe(0);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(10);
    expect(await client.ping()).toBe('PONG');
  });
});
