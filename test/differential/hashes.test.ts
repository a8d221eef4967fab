import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';
import { ClientPair, sortedItems, sortedPairs } from '../helpers/pair.js';

const hasOracle = oracleAvailable();
const BIN = 'k\x00\xff\r\n';

describe.skipIf(!hasOracle)('differential: hashes', () => {
  const servers = differentialPair();

  const { same } = servers;

  it('reads and writes small hashes in insertion order', async () => {
    await same([
      ['HSET', 'h1', 'a', '1', 'b', '2', 'c', '3'],
      ['HSET', 'h1', 'b', '20', 'd', '4'],
      ['HSETNX', 'h1', 'a', 'x'],
      ['HSETNX', 'h1', 'e', '5'],
      ['HMSET', 'h1', 'f', '6', 'a', '10'],
      ['HGET', 'h1', 'a'], ['HGET', 'h1', 'nope'], ['HGET', 'nokey', 'a'],
      ['HMGET', 'h1', 'a', 'nope', 'f'], ['HMGET', 'nokey', 'a', 'b'],
      ['HGETALL', 'h1'], ['HKEYS', 'h1'], ['HVALS', 'h1'], ['HLEN', 'h1'],
      ['HGETALL', 'nokey'], ['HKEYS', 'nokey'], ['HVALS', 'nokey'], ['HLEN', 'nokey'],
      ['HEXISTS', 'h1', 'a'], ['HEXISTS', 'h1', 'zz'], ['HEXISTS', 'nokey', 'a'],
      ['HSTRLEN', 'h1', 'a'], ['HSTRLEN', 'h1', 'zz'], ['HSTRLEN', 'nokey', 'a'],
      ['HDEL', 'h1', 'b', 'zz', 'b', 'c'], ['HGETALL', 'h1'],
      ['HDEL', 'nokey', 'a'],
      ['HDEL', 'h1', 'a', 'd', 'e', 'f'], ['EXISTS', 'h1'], ['HGETALL', 'h1'],
      ['HSET', BIN, '\x00', '\xff\x00', 'f\r\n', ''], ['HGETALL', BIN], ['HGET', BIN, '\x00'], ['HSTRLEN', BIN, '\x00'],
      ['HSET', 'hnum', 'n', '12345'], ['HSTRLEN', 'hnum', 'n'], ['TYPE', 'hnum'],
    ]);
  });

  it('answers errors as Redis does', async () => {
    await same([
      ['SET', 'str', 'x'],
      ['HSET', 'str', 'a', '1'], ['HSETNX', 'str', 'a', '1'], ['HGET', 'str', 'a'], ['HMGET', 'str', 'a'],
      ['HMSET', 'str', 'a', '1'], ['HGETALL', 'str'], ['HKEYS', 'str'], ['HVALS', 'str'], ['HLEN', 'str'],
      ['HEXISTS', 'str', 'a'], ['HDEL', 'str', 'a'], ['HINCRBY', 'str', 'a', '1'], ['HINCRBYFLOAT', 'str', 'a', '1'],
      ['HSTRLEN', 'str', 'a'], ['HRANDFIELD', 'str'], ['HRANDFIELD', 'str', '2'], ['HSCAN', 'str', '0'],
      ['HSET', 'h2', 'a'], ['HSET', 'h2', 'a', '1', 'b'], ['HMSET', 'h2', 'a', '1', 'b'], ['HSET', 'h2'],
      ['HSETNX', 'h2', 'a'], ['HGET', 'h2'], ['HMGET', 'h2'], ['HGETALL'], ['HKEYS', 'a', 'b'], ['HVALS'],
      ['HLEN'], ['HEXISTS', 'h2'], ['HDEL', 'h2'], ['HINCRBY', 'h2', 'a'], ['HINCRBYFLOAT', 'h2', 'a'],
      ['HSTRLEN', 'h2'], ['HRANDFIELD'], ['HSCAN', 'h2'], ['EXISTS', 'h2'],
    ]);
  });

  it('increments integers and floats exactly', async () => {
    await same([
      ['HINCRBY', 'hi', 'a', '5'], ['HINCRBY', 'hi', 'a', '-15'], ['HGET', 'hi', 'a'],
      ['HINCRBY', 'hi', 'big', '9223372036854775806'], ['HINCRBY', 'hi', 'big', '1'], ['HINCRBY', 'hi', 'big', '1'],
      ['HINCRBY', 'hi', 'neg', '-9223372036854775808'], ['HINCRBY', 'hi', 'neg', '-1'], ['HINCRBY', 'hi', 'neg', '9223372036854775807'],
      ['HINCRBY', 'hi', 'a', '9223372036854775808'], ['HINCRBY', 'hi', 'a', '1.5'], ['HINCRBY', 'hi', 'a', ' 1'], ['HINCRBY', 'hi', 'a', ''],
      ['HSET', 'hi', 's', 'abc', 'sp', ' 1', 'z', '01', 'f', '1.5', 'long', '123456789012345678901'],
      ['HINCRBY', 'hi', 's', '1'], ['HINCRBY', 'hi', 'sp', '1'], ['HINCRBY', 'hi', 'z', '1'], ['HINCRBY', 'hi', 'f', '1'],
      ['HINCRBY', 'hi', 'long', '1'], ['HINCRBY', 'hi', 'x', '123456789012345678'], ['HINCRBY', 'hi', 'x', '-123456789012345679'],
      ['HINCRBYFLOAT', 'hf', 'a', '0.1'], ['HINCRBYFLOAT', 'hf', 'a', '0.2'], ['HINCRBYFLOAT', 'hf', 'a', '-0.3'],
      ['HINCRBYFLOAT', 'hf', 'b', '10.5'], ['HINCRBYFLOAT', 'hf', 'b', '0.1'], ['HINCRBYFLOAT', 'hf', 'c', '1e20'],
      ['HINCRBYFLOAT', 'hf', 'c', '3.0e3'], ['HINCRBYFLOAT', 'hf', 'd', '1e400'], ['HINCRBYFLOAT', 'hf', 'e', '0x1.8p1'],
      ['HINCRBYFLOAT', 'hf', 'e', '-5e-20'], ['HINCRBYFLOAT', 'hf', 'g', '.5'], ['HINCRBYFLOAT', 'hf', 'g', '5.'],
      ['HINCRBYFLOAT', 'hf', 'a', 'nan'], ['HINCRBYFLOAT', 'hf', 'a', 'inf'], ['HINCRBYFLOAT', 'hf', 'a', '-infinity'],
      ['HINCRBYFLOAT', 'hf', 'a', 'abc'], ['HINCRBYFLOAT', 'hf', 'a', ' 1'], ['HINCRBYFLOAT', 'hf', 'a', '1e5000'],
      ['HINCRBYFLOAT', 'hf', 'a', ''], ['HINCRBYFLOAT', 'hf', 'a', '1\x00junk'],
      ['HSET', 'hf', 's', 'abc', 'i', 'inf', 'n', '7'],
      ['HINCRBYFLOAT', 'hf', 's', '1'], ['HINCRBYFLOAT', 'hf', 'i', '1'], ['HINCRBYFLOAT', 'hf', 'n', '1.25'],
      ['HINCRBYFLOAT', 'hf', 'big', '1e4932'], ['HINCRBYFLOAT', 'hf', 'big', '1e4932'],
      { sorted: ['HGETALL', 'hf'] }, ['HGETALL', 'hi'], ['OBJECT', 'ENCODING', 'hf'], ['HGET', 'hf', 'b'], ['HGET', 'hf', 'e'],
    ]);
  });

  it('HRANDFIELD: arguments, whole-hash counts and single-field hashes', async () => {
    await same([
      ['HSET', 'hr', 'a', '1', 'b', '2', 'c', '3'],
      ['HRANDFIELD', 'hr', '3'], ['HRANDFIELD', 'hr', '10', 'WITHVALUES'], ['HRANDFIELD', 'hr', '0'], ['HRANDFIELD', 'hr', '0', 'withvalues'],
      ['HRANDFIELD', 'nokey'], ['HRANDFIELD', 'nokey', '5'], ['HRANDFIELD', 'nokey', '-5', 'WITHVALUES'],
      ['HRANDFIELD', 'hr', 'abc'], ['HRANDFIELD', 'hr', '1', 'WITHVALUE'], ['HRANDFIELD', 'hr', '1', 'WITHVALUES', 'x'],
      ['HRANDFIELD', 'hr', '-9223372036854775808'], ['HRANDFIELD', 'hr', '9223372036854775808'],
      ['HRANDFIELD', 'hr', '-4611686018427387904', 'WITHVALUES'], ['HRANDFIELD', 'hr', '4611686018427387904', 'WITHVALUES'],
      ['HRANDFIELD', 'hr', '4611686018427387903', 'WITHVALUES'], ['HRANDFIELD', 'nokey', 'abc'],
      ['HSET', 'h1f', 'only', 'v'],
      ['HRANDFIELD', 'h1f'], ['HRANDFIELD', 'h1f', '-4'], ['HRANDFIELD', 'h1f', '-3', 'WITHVALUES'], ['HRANDFIELD', 'h1f', '1', 'WITHVALUES'],
    ]);
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port);
    try {
      const fields = Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`]).flat();
      await pair.call('HSET', 'hrr', ...fields);
      for (const [count, withValues] of [[5, false], [150, true], [299, false], [-700, true], [-3, false], [1, true]] as const) {
        const args = ['HRANDFIELD', 'hrr', String(count), ...(withValues ? ['WITHVALUES'] : [])];
        const [a, b] = await pair.decoded(...args);
        for (const reply of [a, b]) {
          const items = reply as string[];
          const n = Math.abs(count);
          expect(items.length).toBe(withValues ? n * 2 : n);
          const fieldsOut = withValues ? items.filter((_, i) => i % 2 === 0) : items;
          if (withValues) for (let i = 0; i < items.length; i += 2) expect(items[i + 1]).toBe(`v${(items[i] as string).slice(1)}`);
          for (const f of fieldsOut) expect(f).toMatch(/^f\d+$/);
          if (count > 0) expect(new Set(fieldsOut).size).toBe(n);
        }
      }
    } finally {
      pair.close();
    }
  });

  it('HSCAN: options, small hashes in one call, large hashes in full', async () => {
    await same([
      ['HSET', 'hs', 'a1', '1', 'b1', '2', 'a2', '3', BIN, '4'],
      ['HSCAN', 'hs', '0'], ['HSCAN', 'hs', '0', 'COUNT', '1'], ['HSCAN', 'hs', '0', 'MATCH', 'a*'], ['HSCAN', 'hs', '0', 'match', '*', 'count', '100'],
      ['HSCAN', 'hs', '0', 'MATCH', 'k*'], ['HSCAN', 'hs', '0', 'COUNT', '0'], ['HSCAN', 'hs', '0', 'COUNT', '-1'], ['HSCAN', 'hs', '0', 'COUNT', 'x'],
      ['HSCAN', 'hs', '0', 'MATCH'], ['HSCAN', 'hs', '0', 'TYPE', 'string'], ['HSCAN', 'hs', '0', 'NOVALUES'], ['HSCAN', 'hs', 'abc'], ['HSCAN', 'hs', '-1'],
      ['HSCAN', 'hs', '18446744073709551616'], ['HSCAN', 'nokey', '0'], ['HSCAN', 'nokey', '0', 'COUNT', '0'], ['HSCAN', 'nokey', 'abc'],
    ]);
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port);
    try {
      const fields = Array.from({ length: 2000 }, (_, i) => [`f${i}`, `v${i}`]).flat();
      await pair.call('HSET', 'hsbig', ...fields);
      for (const [client, label] of [[pair.nodis, 'nodis'], [pair.redis, 'redis']] as const) {
        const seen = new Map<string, string>();
        let cursor = '0';
        let calls = 0;
        do {
          const reply = (await client.call('HSCAN', 'hsbig', cursor, 'MATCH', 'f1*', 'COUNT', '50')) as [string, string[]];
          cursor = reply[0];
          for (let i = 0; i < reply[1].length; i += 2) seen.set(reply[1][i] as string, reply[1][i + 1] as string);
          calls++;
        } while (cursor !== '0' && calls < 10000);
        expect(seen.size, label).toBe(1111);
        for (const [f, v] of seen) expect(v).toBe(`v${f.slice(1)}`);
        expect(calls, label).toBeGreaterThan(1);
      }
    } finally {
      pair.close();
    }
  });

  it('changes encoding at the default limits as Redis 7.0 does', async () => {
    const steps: Step[] = [
      ['HSET', 'he1', 'f', 'x'.repeat(64)], ['OBJECT', 'ENCODING', 'he1'],
      ['HSET', 'he1', 'g', 'x'.repeat(65)], ['OBJECT', 'ENCODING', 'he1'], ['HDEL', 'he1', 'g'], ['OBJECT', 'ENCODING', 'he1'],
      ['HSET', 'he2', 'f'.repeat(65), '1'], ['OBJECT', 'ENCODING', 'he2'],
      ['HSETNX', 'he3', 'f', 'x'.repeat(65)], ['OBJECT', 'ENCODING', 'he3'],
      ['HINCRBYFLOAT', 'he4', 'f'.repeat(70), '1'], ['OBJECT', 'ENCODING', 'he4'],
      ['HINCRBY', 'he5', 'f'.repeat(70), '1'], ['OBJECT', 'ENCODING', 'he5'],
      ['HINCRBYFLOAT', 'he5b', 'f', '1e100'], ['OBJECT', 'ENCODING', 'he5b'],
    ];
    const grow: string[] = [];
    for (let i = 0; i < 511; i++) grow.push(`f${i}`, String(i));
    steps.push(['HSET', 'he6', ...grow], ['OBJECT', 'ENCODING', 'he6'], ['HSET', 'he6', 'last', '1'], ['OBJECT', 'ENCODING', 'he6'],
      ['HSET', 'he6', 'over', '1'], ['OBJECT', 'ENCODING', 'he6'], ['HDEL', 'he6', 'over', 'last', 'f1', 'f2'], ['OBJECT', 'ENCODING', 'he6']);
    await same(steps);
  });

  it('follows CONFIG SET of the limits', async (t) => {
    const probe = await servers.nodis.raw();
    if ((await probe.callRaw('CONFIG', 'GET', 'hash-max-listpack-entries')).startsWith('-ERR unknown command')) t.skip();
    await same([
      ['CONFIG', 'GET', 'hash-max-listpack-entries'], ['CONFIG', 'GET', 'hash-max-listpack-value'], ['CONFIG', 'GET', 'hash-max-ziplist-entries'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '3'], ['CONFIG', 'SET', 'hash-max-listpack-value', '4'],
      ['HSET', 'hc7', 'a', '1', 'b', '2', 'c', '3'], ['OBJECT', 'ENCODING', 'hc7'], ['HSET', 'hc7', 'd', '4'], ['OBJECT', 'ENCODING', 'hc7'],
      ['HSET', 'hc8', 'a', '12345'], ['OBJECT', 'ENCODING', 'hc8'], ['HSET', 'hc9', 'abcd', '1234'], ['OBJECT', 'ENCODING', 'hc9'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '0'], ['HSET', 'hc10', 'a', '1'], ['OBJECT', 'ENCODING', 'hc10'],
      ['CONFIG', 'SET', 'hash-max-ziplist-entries', '512'], ['CONFIG', 'GET', 'hash-max-listpack-entries'],
      ['CONFIG', 'SET', 'hash-max-listpack-value', '64'],
      ['HSET', 'hc11', 'a', '1'], ['OBJECT', 'ENCODING', 'hc11'], ['OBJECT', 'ENCODING', 'hc7'],
    ]);
  });

  it('compares 10k-field hashes in full', async () => {
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port);
    try {
      const fields: string[] = [];
      for (let i = 0; i < 12000; i++) fields.push(`field:${i}:\x00\xff`, `value-${i * 7919}`);
      const [a, b] = await pair.call('HSET', 'hbig', ...fields);
      expect(a).toBe(b);
      await pair.call('HDEL', 'hbig', ...Array.from({ length: 1000 }, (_, i) => `field:${i * 3}:\x00\xff`));
      for (const cmd of ['HLEN', 'HGET', 'HSTRLEN']) {
        const [x, y] = await pair.call(cmd, 'hbig', 'field:4:\x00\xff');
        expect(x).toBe(y);
      }
      const [all1, all2] = await pair.decoded('HGETALL', 'hbig');
      expect(sortedPairs(all1)).toEqual(sortedPairs(all2));
      expect(sortedPairs(all1).length).toBe(11000);
      for (const cmd of ['HKEYS', 'HVALS']) {
        const [x, y] = await pair.decoded(cmd, 'hbig');
        expect(sortedItems(x)).toEqual(sortedItems(y));
      }
      const [e1, e2] = await pair.call('OBJECT', 'ENCODING', 'hbig');
      expect(e1).toBe(e2);
      const [r1, r2] = await pair.decoded('HRANDFIELD', 'hbig', '20000', 'WITHVALUES');
      expect(sortedPairs(r1)).toEqual(sortedPairs(r2));
      const [d1, d2] = await pair.decoded('HRANDFIELD', 'hbig', '10999');
      for (const d of [d1, d2]) expect(new Set(d as string[]).size).toBe(10999);
    } finally {
      pair.close();
    }
  });

  it('speaks RESP3: maps, pairs and nulls', async () => {
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port, true);
    try {
      await pair.call('HSET', 'h3', 'a', '1', 'b', '2');
      await pair.call('HSET', 'h3one', 'a', '1');
      for (const args of [
        ['HGETALL', 'h3'], ['HGETALL', 'nokey'], ['HRANDFIELD', 'h3', '5', 'WITHVALUES'], ['HRANDFIELD', 'h3one', '-2', 'WITHVALUES'],
        ['HRANDFIELD', 'h3one', '1', 'WITHVALUES'], ['HRANDFIELD', 'nokey'], ['HRANDFIELD', 'nokey', '3', 'WITHVALUES'], ['HGET', 'h3', 'x'],
        ['HMGET', 'h3', 'a', 'x'], ['HSCAN', 'h3', '0'], ['HINCRBYFLOAT', 'h3', 'a', '1.5'], ['HKEYS', 'nokey'],
      ]) {
        const [a, b] = await pair.call(...args);
        expect(a, args.join(' ')).toBe(b);
      }
    } finally {
      pair.close();
    }
  });
});

describe.skipIf(!hasOracle)('differential: hashes with small listpack limits', () => {
  const servers = differentialPair({ nodis: { 'hash-max-listpack-entries': 3, 'hash-max-listpack-value': 4 }, redis: ['--hash-max-listpack-entries', '3', '--hash-max-listpack-value', '4'] });

  it('converts past the configured limits, never back', async () => {
    await servers.same([
      ['HSET', 'a', 'x', '1', 'y', '2', 'z', '3'], ['OBJECT', 'ENCODING', 'a'], ['HGETALL', 'a'],
      ['HSET', 'a', 'w', '4'], ['OBJECT', 'ENCODING', 'a'], ['HDEL', 'a', 'w', 'x'], ['OBJECT', 'ENCODING', 'a'],
      ['HSET', 'b', 'abcd', '1234'], ['OBJECT', 'ENCODING', 'b'], ['HSET', 'b', 'f', '12345'], ['OBJECT', 'ENCODING', 'b'],
      ['HSET', 'c', 'abcde', '1'], ['OBJECT', 'ENCODING', 'c'],
      ['HINCRBY', 'd', 'f', '99999'], ['OBJECT', 'ENCODING', 'd'],
      ['HINCRBYFLOAT', 'e', 'f', '1.5'], ['HINCRBYFLOAT', 'e', 'f', '0.25'], ['OBJECT', 'ENCODING', 'e'],
      ['HSETNX', 'g', 'f', '1'], ['HSETNX', 'g', 'h', '2'], ['HSETNX', 'g', 'i', '3'], ['OBJECT', 'ENCODING', 'g'],
      ['HSETNX', 'g', 'j', '4'], ['OBJECT', 'ENCODING', 'g'],
    ]);
  });
});
