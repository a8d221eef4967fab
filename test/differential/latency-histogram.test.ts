import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import type { RespValue } from '../helpers/resp.js';

const hasOracle = oracleAvailable();

interface CommandHistogram {
  name: string;
  calls: number;
  buckets: [number, number][];
}

/** RESP2 (flat arrays) or RESP3 (maps) LATENCY HISTOGRAM reply → entries in reply order. */
function parseHistograms(reply: RespValue): CommandHistogram[] {
  const pairs = (value: RespValue): [RespValue, RespValue][] => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'map' in value) return value.map;
    const list = value as RespValue[];
    const out: [RespValue, RespValue][] = [];
    for (let i = 0; i < list.length; i += 2) out.push([list[i] as RespValue, list[i + 1] as RespValue]);
    return out;
  };
  return pairs(reply).map(([name, body]) => {
    const fields = pairs(body);
    expect(fields.map(([k]) => k)).toEqual(['calls', 'histogram_usec']);
    const buckets = pairs(fields[1]?.[1] as RespValue).map(([k, v]) => [k as number, v as number] as [number, number]);
    return { name: name as string, calls: fields[0]?.[1] as number, buckets };
  });
}

/**
 * The keys Redis can answer: its HDR iterator stops at 1024 ns and each power of two above,
 * and names the highest value of that HDR bucket in whole µs (1, 2, 4, 8, 16, 33, 66…).
 */
const BUCKET_KEYS = new Set<number>([1073741]);
for (let k = 10; k < 30; k++) BUCKET_KEYS.add(Math.floor((2 ** k + 2 ** (k - 7) - 1) / 1000));

/** What must agree between two servers whose timings differ: names, calls, well-formed buckets. */
function shape(entries: CommandHistogram[]): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const e of entries) {
    expect(e.buckets.length, e.name).toBeGreaterThan(0);
    let lastKey = -1;
    let lastCount = 0;
    for (const [key, count] of e.buckets) {
      expect(BUCKET_KEYS.has(key), `${e.name} bucket ${key}`).toBe(true);
      expect(key).toBeGreaterThan(lastKey);
      expect(count).toBeGreaterThan(lastCount);
      lastKey = key;
      lastCount = count;
    }
    expect(lastCount, `${e.name}: cumulative counts end at calls`).toBe(e.calls);
    // A name asked for twice is answered twice.
    let key = e.name;
    for (let n = 2; key in calls; n++) key = `${e.name}#${n}`;
    calls[key] = e.calls;
  }
  return calls;
}

/** INFO latencystats lines → command name → the percentile labels of its line. */
function latencyStats(info: string): Map<string, string[]> {
  const lines = info.split('\r\n').filter((l) => l !== '' && !l.startsWith('#'));
  const out = new Map<string, string[]>();
  for (const line of lines) {
    const m = /^latency_percentiles_usec_([^:]+):(.*)$/.exec(line);
    expect(m, line).not.toBeNull();
    const values = (m?.[2] as string) === '' ? [] : (m?.[2] as string).split(',');
    const labels: string[] = [];
    for (const v of values) {
      const pm = /^p([0-9.]+)=(\d+\.\d{3})$/.exec(v);
      expect(pm, `${line}: ${v}`).not.toBeNull();
      labels.push(pm?.[1] as string);
    }
    out.set(m?.[1] as string, labels);
  }
  return out;
}

describe.skipIf(!hasOracle)('differential: LATENCY HISTOGRAM and INFO latencystats', () => {
  const servers = differentialPair();

  /** Runs the same commands on a fresh connection to each server; returns both replies of the last. */
  async function onBoth(steps: string[][], resp3 = false): Promise<[RespValue, RespValue]> {
    const run = async (port: number): Promise<RespValue> => {
      const c = await RawClient.connect(port);
      try {
        if (resp3) await c.call('HELLO', '3');
        let last: RespValue = null;
        for (const step of steps) last = await c.call(...step);
        return last;
      } finally {
        c.close();
      }
    };
    return Promise.all([run(servers.nodis.port), run(servers.redis.port)]);
  }

  const script = [
    ['CONFIG', 'RESETSTAT'],
    ['SET', 'lh:a', '1'],
    ['GET', 'lh:a'],
    ['GET', 'lh:a'],
    ['GET', 'lh:a'],
    ['GET'],
    ['NOSUCHCOMMAND'],
    ['INCR', 'lh:a'],
    ['HSET', 'lh:h', 'f', 'v'],
    ['HGET', 'lh:h', 'f'],
    ['INCR', 'lh:h'],
    ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
    ['CONFIG', 'GET', 'maxmemory'],
    ['CONFIG', 'GET', 'maxmemory-policy'],
    ['MULTI'],
    ['GET', 'lh:a'],
    ['EXEC'],
    // Times out: Redis records a blocked command only when it is served or unblocked.
    ['BLPOP', 'lh:nolist', '0.01'],
    ['RPUSH', 'lh:list', 'x'],
    ['BLPOP', 'lh:list', '0'],
  ];

  it('reports the same commands with the same calls, in well-formed cumulative buckets (RESP2 and RESP3)', async () => {
    for (const resp3 of [false, true]) {
      const [mine, theirs] = await onBoth([...script, ['LATENCY', 'HISTOGRAM']], resp3);
      if (resp3) {
        expect(mine).toHaveProperty('map');
        expect(theirs).toHaveProperty('map');
      }
      const a = shape(parseHistograms(mine));
      const b = shape(parseHistograms(theirs));
      expect(a).toEqual(b);
      // GET once more inside EXEC; the timed-out BLPOP is not counted.
      expect(b).toMatchObject({ get: 4, 'config|get': 2, exec: 1, 'config|resetstat': 1, blpop: 1 });
    }
  });

  it('answers named commands: a container names its subcommands, unknown names are skipped, repeats repeat', async () => {
    const args = ['get', 'CONFIG', 'nosuch', 'get|x', 'config|get', 'set', 'get', 'blpop', 'hset|f', 'config|'];
    for (const resp3 of [false, true]) {
      const [mine, theirs] = await onBoth([...script, ['LATENCY', 'HISTOGRAM', ...args]], resp3);
      const names = (r: RespValue): string[] => parseHistograms(r).map((e) => e.name);
      // Redis lists a container's subcommands in its hash table's order: compare them as a set.
      const sorted = (r: RespValue): string[] => [...names(r)].sort();
      expect(sorted(mine)).toEqual(sorted(theirs));
      expect(names(theirs).filter((n) => !n.startsWith('config|'))).toEqual(['get', 'set', 'get', 'blpop']);
      expect(names(mine).filter((n) => !n.startsWith('config|'))).toEqual(['get', 'set', 'get', 'blpop']);
      expect(shape(parseHistograms(mine))).toEqual(shape(parseHistograms(theirs)));
    }
  });

  /** On one server: BLPOP blocks a second connection, then `release` ends the wait; LATENCY HISTOGRAM blpop before and after. */
  async function blockedScenario(port: number, release: (a: RawClient, blockedId: number) => Promise<unknown>): Promise<RespValue[]> {
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    try {
      await a.call('CONFIG', 'RESETSTAT');
      await a.call('DEL', 'lh:q');
      const id = (await b.call('CLIENT', 'ID')) as number;
      const blocked = b.call('BLPOP', 'lh:q', '0');
      // Wait until the server has it blocked before releasing it.
      for (let i = 0; i < 200; i++) {
        const clients = (await a.call('INFO', 'clients')) as string;
        if (/blocked_clients:1/.test(clients)) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      const before = await a.call('LATENCY', 'HISTOGRAM', 'blpop');
      await release(a, id);
      await blocked;
      return [before, await a.call('LATENCY', 'HISTOGRAM', 'blpop')];
    } finally {
      a.close();
      b.close();
    }
  }

  const summary = (r: RespValue[]): Record<string, number>[] => r.map((x) => shape(parseHistograms(x)));

  it('records a blocked command once it is served, not when it blocks', async () => {
    const serve = (a: RawClient): Promise<unknown> => a.call('LPUSH', 'lh:q', 'v');
    const [mine, theirs] = await Promise.all([blockedScenario(servers.nodis.port, serve), blockedScenario(servers.redis.port, serve)]);
    expect(summary(theirs)).toEqual([{}, { blpop: 1 }]);
    expect(summary(mine)).toEqual(summary(theirs));
  });

  it('records a blocked command that CLIENT UNBLOCK ends', async () => {
    for (const how of ['TIMEOUT', 'ERROR']) {
      const unblock = (a: RawClient, id: number): Promise<unknown> => a.call('CLIENT', 'UNBLOCK', String(id), how);
      const [mine, theirs] = await Promise.all([blockedScenario(servers.nodis.port, unblock), blockedScenario(servers.redis.port, unblock)]);
      expect(summary(theirs), how).toEqual([{}, { blpop: 1 }]);
      expect(summary(mine), how).toEqual(summary(theirs));
    }
  });

  it('INFO latencystats: one line per command that ran, with the configured percentiles', async () => {
    const labels = async (extra: string[][]): Promise<[Map<string, string[]>, Map<string, string[]>]> => {
      const [mine, theirs] = await onBoth([...script, ...extra, ['INFO', 'latencystats']]);
      return [latencyStats(mine as string), latencyStats(theirs as string)];
    };
    try {
      const [a, b] = await labels([]);
      expect(b.get('get')).toEqual(['50', '99', '99.9']);
      expect([...a.entries()].sort()).toEqual([...b.entries()].sort());

      const [c, d] = await labels([['CONFIG', 'SET', 'latency-tracking-info-percentiles', '0 100 12.5 99.990']]);
      expect(d.get('get')).toEqual(['0', '100', '12.5', '99.99']);
      expect([...c.entries()].sort()).toEqual([...d.entries()].sort());

      const [e, f] = await labels([['CONFIG', 'SET', 'latency-tracking-info-percentiles', '']]);
      expect(f.get('get')).toEqual([]);
      expect([...e.entries()].sort()).toEqual([...f.entries()].sort());
    } finally {
      await onBoth([['CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9']]);
    }
  });

  it('latency-tracking no stops recording and empties INFO latencystats; CONFIG RESETSTAT forgets the histograms', async () => {
    try {
      await servers.same([
        ['CONFIG', 'RESETSTAT'],
        ['GET', 'lh:a'],
        ['CONFIG', 'SET', 'latency-tracking', 'no'],
        ['CONFIG', 'GET', 'latency-tracking'],
        ['INFO', 'latencystats'],
        ['GET', 'lh:a'],
        ['CONFIG', 'RESETSTAT'],
        ['LATENCY', 'HISTOGRAM'],
        ['SET', 'lh:a', '1'],
        ['LATENCY', 'HISTOGRAM', 'set'],
      ]);
      const [mine, theirs] = await onBoth([
        ['CONFIG', 'SET', 'latency-tracking', 'yes'],
        ['GET', 'lh:a'],
        ['LATENCY', 'HISTOGRAM'],
      ]);
      expect(shape(parseHistograms(theirs))).toEqual({ 'config|set': 1, get: 1 });
      expect(shape(parseHistograms(mine))).toEqual(shape(parseHistograms(theirs)));
    } finally {
      await onBoth([['CONFIG', 'SET', 'latency-tracking', 'yes']]);
    }
  });

  it('LATENCY HISTOGRAM with nothing recorded, and INFO latencystats with nothing recorded', async () => {
    await servers.same([
      ['CONFIG', 'SET', 'latency-tracking', 'no'],
      ['CONFIG', 'RESETSTAT'],
      ['LATENCY', 'HISTOGRAM'],
      ['LATENCY', 'HISTOGRAM', 'get', 'nosuch'],
      ['INFO', 'latencystats'],
      ['CONFIG', 'SET', 'latency-tracking', 'yes'],
    ]);
  });
});
