/**
 * What FLUSHALL, SAVE, BGSAVE and DEBUG RELOAD do to the save counters and to dump.rdb, against
 * Redis 7.0: with save points configured FLUSHALL saves the emptied dataset at once (a restart
 * must not bring back what was flushed) and resets the change count; rdb_saves counts SAVE and
 * BGSAVE attempts only; FLUSHALL counts the keys it removed as changes, nothing more.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { readRdb } from '../../src/persistence/rdb/index.js';

const hasOracle = oracleAvailable();

function field(info: unknown, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\r$`, 'm').exec(String(info))?.[1];
}

interface Side {
  client: RawClient;
  dir: string;
}

async function counters(c: RawClient): Promise<[string | undefined, string | undefined]> {
  const info = await c.call('INFO', 'persistence');
  return [field(info, 'rdb_changes_since_last_save'), field(info, 'rdb_saves')];
}

function keysInDump(dir: string): number {
  const contents = readRdb(readFileSync(join(dir, 'dump.rdb')));
  let n = 0;
  for (const db of contents.databases.values()) n += db.size;
  return n;
}

async function bgsaveDone(c: RawClient): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (field(await c.call('INFO', 'persistence'), 'rdb_bgsave_in_progress') === '0') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('BGSAVE did not finish');
}

describe.skipIf(!hasOracle)('save counters and FLUSHALL against Redis 7.0', () => {
  let oracle: Oracle;
  let nodis: TestServer;
  let sides: Side[];

  beforeAll(async () => {
    oracle = await startOracle(['--save', '3600 1', '--enable-debug-command', 'yes']);
    nodis = await startTestServer({ save: '3600 1' });
    sides = [
      { client: await RawClient.connect(oracle.port), dir: oracle.dir },
      { client: await nodis.raw(), dir: nodis.running.server.config.getString('dir') },
    ];
  });
  afterAll(async () => {
    sides[0]?.client.close();
    await nodis?.stop();
    await oracle?.stop();
  });

  /** Runs one step on both servers and returns [redis, nodis] of what `observe` gives. */
  async function both<T>(step: (side: Side) => Promise<T>): Promise<[T, T]> {
    const [r, n] = [await step(sides[0] as Side), await step(sides[1] as Side)];
    return [r, n];
  }

  it('counts changes and saves, and FLUSHALL saves the empty dataset while save points are set', async () => {
    const [rSaved, nSaved] = await both(async ({ client }) => {
      await client.call('SET', 'a', '1');
      await client.call('MSET', 'b', '2', 'c', '3');
      const before = await counters(client);
      await client.call('SAVE');
      return [before, await counters(client)];
    });
    expect(nSaved).toEqual(rSaved);
    expect(rSaved).toEqual([
      ['3', '0'],
      ['0', '1'],
    ]);

    const [rFlushed, nFlushed] = await both(async ({ client, dir }) => {
      await client.call('SET', 'x', '1');
      await client.call('SELECT', '5');
      await client.call('SET', 'y', '1');
      await client.call('SELECT', '0');
      expect(keysInDump(dir)).toBe(3);
      const reply = await client.call('FLUSHALL');
      return [reply, await counters(client), keysInDump(dir)];
    });
    expect(nFlushed).toEqual(rFlushed);
    expect(rFlushed).toEqual(['OK', ['0', '1'], 0]);
  });

  it('without save points FLUSHALL leaves dump.rdb alone and counts the keys it removed', async () => {
    const [r, n] = await both(async ({ client, dir }) => {
      await client.call('CONFIG', 'SET', 'save', '');
      await client.call('SET', 'k', 'v');
      await client.call('SAVE');
      await client.call('MSET', 'a', '1', 'b', '2');
      const flush = await client.call('FLUSHALL');
      const afterFlush = await counters(client);
      await client.call('FLUSHALL');
      const afterEmptyFlush = await counters(client);
      return [flush, afterFlush, afterEmptyFlush, keysInDump(dir)];
    });
    expect(n).toEqual(r);
    expect(r).toEqual(['OK', ['5', '2'], ['5', '2'], 1]);
  });

  it('DEBUG RELOAD is not counted in rdb_saves; BGSAVE is', async () => {
    const [r, n] = await both(async ({ client }) => {
      await client.call('SET', 'k', 'v');
      await client.call('DEBUG', 'RELOAD');
      const afterReload = await counters(client);
      await client.call('BGSAVE');
      await bgsaveDone(client);
      return [afterReload, await counters(client)];
    });
    expect(n).toEqual(r);
    expect(r).toEqual([
      ['0', '2'],
      ['0', '3'],
    ]);
  });
});
