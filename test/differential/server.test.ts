import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

/** INFO text → section title → field names in order. */
function fieldNames(text: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of text.split('\r\n')) {
    if (line.startsWith('# ')) {
      current = [];
      sections.set(line.slice(2), current);
    } else if (line !== '' && current !== null) {
      current.push(line.slice(0, line.indexOf(':')));
    }
  }
  return sections;
}

describe.skipIf(!hasOracle)('differential: server commands', () => {
  const servers = differentialPair();

  it('DBSIZE, FLUSHDB, FLUSHALL: replies and errors', async () => {
    await servers.same([
      ['FLUSHALL'],
      ['DBSIZE'],
      ['SET', 'k\x00\xff', 'v'],
      ['SET', 'k2', 'v'],
      ['DBSIZE'],
      ['DBSIZE', 'x'],
      ['FLUSHDB', 'x'],
      ['FLUSHDB', 'ASYNC', 'SYNC'],
      ['FLUSHALL', 'foo'],
      ['FLUSHALL', 'async', 'async'],
      ['DBSIZE'],
      ['FLUSHDB', 'async'],
      ['DBSIZE'],
      ['SET', 'k', 'v'],
      ['FLUSHDB', 'SYNC'],
      ['DBSIZE'],
      ['SELECT', '3'],
      ['SET', 'k', 'v'],
      ['SELECT', '0'],
      ['FLUSHDB'],
      ['SELECT', '3'],
      ['DBSIZE'],
      ['FLUSHALL', 'ASYNC'],
      ['DBSIZE'],
      ['SELECT', '0'],
    ]);
  });

  it('SWAPDB: replies and errors', async () => {
    await servers.same([
      ['FLUSHALL'],
      ['SET', 'a', '1'],
      ['SWAPDB', 'a', 'b'],
      ['SWAPDB', '0', 'b'],
      ['SWAPDB', '0', '16'],
      ['SWAPDB', '-1', '0'],
      ['SWAPDB', '0', '-1'],
      ['SWAPDB', '0', '99999999999999999999'],
      ['SWAPDB', '2147483648', '0'],
      ['SWAPDB', '0', '1.5'],
      ['SWAPDB', '0'],
      ['SWAPDB', '0', '1', '2'],
      ['SWAPDB', '1', '1'],
      ['SWAPDB', '0', '1'],
      ['GET', 'a'],
      ['DBSIZE'],
      ['SELECT', '1'],
      ['GET', 'a'],
      ['SWAPDB', '1', '0'],
      ['GET', 'a'],
      ['SELECT', '0'],
      ['GET', 'a'],
    ]);
  });

  it('SLOWLOG, LATENCY, MEMORY: deterministic replies and errors', async () => {
    await servers.same([
      ['SLOWLOG', 'RESET'],
      ['SLOWLOG', 'LEN'],
      ['SLOWLOG', 'GET'],
      ['SLOWLOG', 'GET', '-1'],
      ['SLOWLOG', 'GET', '-2'],
      ['SLOWLOG', 'GET', 'a'],
      ['SLOWLOG', 'GET', '1', '2'],
      ['SLOWLOG', 'LEN', 'x'],
      ['SLOWLOG', 'foo'],
      ['SLOWLOG'],
      ['SLOWLOG', 'HELP'],
      ['slowlog', 'help', 'x'],
      ['LATENCY', 'HELP'],
      ['LATENCY', 'LATEST'],
      ['LATENCY', 'HISTORY', 'command'],
      ['LATENCY', 'HISTORY'],
      ['LATENCY', 'RESET'],
      ['LATENCY', 'RESET', 'command', 'other'],
      ['LATENCY', 'DOCTOR'],
      ['LATENCY', 'GRAPH', 'command'],
      ['LATENCY', 'nope'],
      ['MEMORY', 'HELP'],
      ['MEMORY', 'USAGE', 'nokey'],
      ['SET', 'k', 'v'],
      ['MEMORY', 'USAGE', 'k', 'SAMPLES'],
      ['MEMORY', 'USAGE', 'k', 'SAMPLES', 'x'],
      ['MEMORY', 'USAGE', 'k', 'SAMPLES', '-1'],
      ['MEMORY', 'USAGE', 'k', 'foo', '1'],
      ['MEMORY', 'USAGE'],
      ['MEMORY', 'PURGE'],
      ['MEMORY', 'DOCTOR'],
      ['MEMORY', 'nope'],
    ]);
  });

  it('WAIT, ROLE, SHUTDOWN errors, arity errors', async () => {
    await servers.same([
      ['WAIT', '0', '0'],
      ['WAIT', '0', '100'],
      ['WAIT', 'a', '0'],
      ['WAIT', '0', 'a'],
      ['WAIT', '0', '-1'],
      ['WAIT', '-1', '0'],
      ['WAIT', '0', '9223372036854775807'],
      ['WAIT', '0', '9223372036854775808'],
      ['WAIT', '0'],
      ['ROLE'],
      ['ROLE', 'x'],
      ['TIME', 'x'],
      ['LASTSAVE', 'x'],
      ['MONITOR', 'x'],
      ['DEBUG'],
      ['SHUTDOWN', 'foo'],
      ['SHUTDOWN', 'SAVE', 'NOSAVE'],
      ['SHUTDOWN', 'ABORT'],
      ['SHUTDOWN', 'ABORT', 'NOW'],
      ['SHUTDOWN', 'NOSAVE', 'ABORT'],
      ['SAVE', 'x'],
      ['BGSAVE', 'x'],
      ['BGSAVE', 'SCHEDULE', 'x'],
      ['BGREWRITEAOF', 'x'],
      ['MULTI'],
      ['SAVE'],
      ['DISCARD'],
      ['INFO', 'nosuchsection'],
      ['PING'],
    ]);
  });

  it('INFO lists the same sections for default, all, everything and several sections', async () => {
    const a = await RawClient.connect(servers.nodis.port);
    const b = await RawClient.connect(servers.redis.port);
    try {
      for (const args of [[], ['default'], ['all'], ['everything'], ['commandstats', 'SERVER'], ['keyspace', 'cpu', 'server', 'nosuch']]) {
        const mine = [...fieldNames((await a.call('INFO', ...args)) as string).keys()];
        const theirs = [...fieldNames((await b.call('INFO', ...args)) as string).keys()];
        expect(mine, `INFO ${args.join(' ')}`).toEqual(theirs);
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('INFO has Redis field names in each section', async () => {
    const a = await RawClient.connect(servers.nodis.port);
    const b = await RawClient.connect(servers.redis.port);
    const missing: string[] = [];
    const extra: string[] = [];
    try {
      await a.call('SET', 'k', 'v');
      await b.call('SET', 'k', 'v');
      for (const section of ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'keyspace']) {
        const mine = fieldNames((await a.call('INFO', section)) as string);
        const theirs = fieldNames((await b.call('INFO', section)) as string);
        const title = [...theirs.keys()][0] as string;
        const have = new Set(mine.get(title) ?? []);
        const want = theirs.get(title) ?? [];
        for (const name of want) if (!have.has(name)) missing.push(`${section}.${name}`);
        for (const name of have) if (!want.includes(name)) extra.push(`${section}.${name}`);
        expect([...have], section).toEqual(want);
      }
    } finally {
      a.close();
      b.close();
    }
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  });

  it('a wrong number of arguments counts as a rejected call of the command (INFO commandstats)', async () => {
    const stats = async (port: number): Promise<string[]> => {
      const c = await RawClient.connect(port);
      try {
        await c.call('CONFIG', 'RESETSTAT');
        for (const cmd of [['GET'], ['CONFIG'], ['CONFIG', 'GET'], ['CONFIG', 'nosuch'], ['EXEC', 'x'], ['NOSUCH']]) await c.call(...cmd);
        const info = (await c.call('INFO', 'commandstats')) as string;
        // Redis lists commands in its hash table's order.
        return info.split('\r\n').filter((l) => l.startsWith('cmdstat_')).map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, '')).sort();
      } finally {
        c.close();
      }
    };
    const [mine, theirs] = await Promise.all([stats(servers.nodis.port), stats(servers.redis.port)]);
    expect(theirs).toContain('cmdstat_config|get:calls=0,rejected_calls=1,failed_calls=0');
    expect(mine).toEqual(theirs);
  });

  it('MEMORY STATS has the same keys', async () => {
    const a = await RawClient.connect(servers.nodis.port);
    const b = await RawClient.connect(servers.redis.port);
    try {
      await a.call('SET', 'k', 'v');
      await b.call('SET', 'k', 'v');
      const keys = (reply: unknown): string[] => (reply as unknown[]).filter((_, i) => i % 2 === 0) as string[];
      expect(keys(await a.call('MEMORY', 'STATS'))).toEqual(keys(await b.call('MEMORY', 'STATS')));
    } finally {
      a.close();
      b.close();
    }
  });
});
