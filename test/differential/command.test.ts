import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mismatches, runBoth, type Step } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import type { RespValue } from '../helpers/resp.js';

const hasOracle = oracleAvailable();

type Info = RespValue[];

/** Every COMMAND INFO entry by full name, subcommands included. */
async function commandTable(port: number): Promise<Map<string, Info>> {
  const client = await RawClient.connect(port);
  try {
    const all = (await client.call('COMMAND')) as Info[];
    const byName = new Map<string, Info>();
    const add = (entry: Info): void => {
      byName.set(entry[0] as string, entry);
      for (const sub of entry[9] as Info[]) add(sub);
    };
    for (const entry of all) add(entry);
    return byName;
  } finally {
    client.close();
  }
}

/** Key specs without Redis's free-text notes. */
function keySpecs(entry: Info): RespValue {
  return (entry[8] as RespValue[][]).map((spec) => {
    const out: RespValue[] = [];
    for (let i = 0; i < spec.length; i += 2) if (spec[i] !== 'notes') out.push(spec[i] as RespValue, spec[i + 1] as RespValue);
    return out;
  });
}

describe.skipIf(!hasOracle)('differential: COMMAND', () => {
  let nodis: TestServer;
  let redis: Oracle;
  let ours: Map<string, Info>;
  let theirs: Map<string, Info>;
  beforeAll(async () => {
    [nodis, redis] = await Promise.all([startTestServer(), startOracle()]);
    [ours, theirs] = await Promise.all([commandTable(nodis.port), commandTable(redis.port)]);
  });
  afterAll(async () => {
    await Promise.all([nodis?.stop(), redis?.stop()]);
  });

  async function expectSame(steps: Step[]): Promise<void> {
    // HELLO's client id legitimately differs.
    const mask = (raw: string): string => raw.replace(/(\$2\r\nid\r\n):\d+/g, '$1:<id>');
    expect(mismatches(await runBoth(nodis.port, redis.port, steps, mask))).toEqual([]);
  }

  it('describes every command Redis also has as Redis does (arity, flags, keys, categories, tips)', () => {
    const fields = ['arity', 'flags', 'first key', 'last key', 'step', 'categories', 'tips'];
    const diffs: string[] = [];
    for (const [name, mine] of ours) {
      const real = theirs.get(name);
      if (real === undefined) continue;
      for (let i = 1; i <= 7; i++) {
        const a = JSON.stringify(mine[i]);
        const b = JSON.stringify(real[i]);
        if (a !== b) diffs.push(`${name} ${fields[i - 1]}: nodis ${a}, redis ${b}`);
      }
    }
    expect(diffs).toEqual([]);
  });

  it('gives Redis key specs (without their notes)', () => {
    const diffs: string[] = [];
    for (const [name, mine] of ours) {
      const real = theirs.get(name);
      if (real === undefined) continue;
      if (JSON.stringify(keySpecs(mine)) !== JSON.stringify(keySpecs(real))) diffs.push(name);
    }
    expect(diffs).toEqual([]);
  });

  it('only has commands Redis 7.0 has, but for CLIENT SETINFO', () => {
    const extra = [...ours.keys()].filter((name) => !theirs.has(name));
    expect(extra).toEqual(['client|setinfo']);
  });

  it('answers COMMAND INFO, COUNT, LIST and HELP errors and shapes as Redis does', async () => {
    await expectSame([
      ['COMMAND', 'INFO', 'nosuch', 'get', 'GET', 'client|list', 'CLIENT|LIST', 'client|nosuch', 'get|x', 'a|b|c'],
      ['COMMAND', 'INFO', 'ping', 'echo', 'select', 'command|info'],
      ['COMMAND', 'COUNT', 'x'], ['COMMAND', 'HELP'], ['COMMAND', 'nosuch'],
      ['COMMAND', 'LIST', 'FILTERBY'], ['COMMAND', 'LIST', 'FILTERBY', 'foo', 'bar'], ['COMMAND', 'LIST', 'x'],
      ['COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'], ['COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nosuch'],
      { sorted: ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'comm*'] },
      { sorted: ['COMMAND', 'LIST', 'FILTERBY', 'pattern', 'COMMAND|*'] },
      ['HELLO', '3'], ['COMMAND', 'INFO', 'get', 'nosuch'], ['HELLO', '2'],
    ]);
  });

  it('answers COMMAND GETKEYS and GETKEYSANDFLAGS as Redis does', async () => {
    await expectSame([
      ['COMMAND', 'GETKEYS'], ['COMMAND', 'GETKEYS', 'get'], ['COMMAND', 'GETKEYS', 'nosuch', 'a'],
      ['COMMAND', 'GETKEYS', 'ping', 'x'], ['COMMAND', 'GETKEYS', 'get', 'a', 'b'], ['COMMAND', 'GETKEYS', 'client', 'list'],
      ['COMMAND', 'GETKEYS', 'command', 'info'], ['COMMAND', 'GETKEYS', 'client', 'nosuch'],
      ['COMMAND', 'GETKEYS', 'get', 'k\x00\xff'], ['COMMAND', 'GETKEYS', 'GET', 'a'], ['COMMAND', 'GETKEYS', 'set', 'a', 'b'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b'], ['COMMAND', 'GETKEYSANDFLAGS', 'set', 'a', 'b', 'GET'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'get', 'a'],
    ]);
  });

  it('answers COMMAND DOCS with Redis fields for each command', async () => {
    const client = await RawClient.connect(nodis.port);
    try {
      const docs = (await client.call('COMMAND', 'DOCS', 'get', 'nosuch', 'client|kill')) as RespValue[];
      expect(docs[0]).toBe('get');
      expect((docs[1] as RespValue[]).filter((_, i) => i % 2 === 0)).toEqual(['summary', 'since', 'group', 'complexity']);
      expect(docs[2]).toBe('client|kill');
      expect(docs).toHaveLength(4);
      const client2 = (await client.call('COMMAND', 'DOCS', 'client')) as RespValue[];
      const fields = client2[1] as RespValue[];
      expect(fields[fields.length - 2]).toBe('subcommands');
      const all = (await client.call('COMMAND', 'DOCS')) as RespValue[];
      expect(all.length / 2).toBe(await client.call('COMMAND', 'COUNT'));
    } finally {
      client.close();
    }
  });
});
