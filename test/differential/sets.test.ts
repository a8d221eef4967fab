import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type DifferentialPair, mismatches } from '../helpers/differential.js';
import { ClientPair, sortedItems } from '../helpers/pair.js';

const hasOracle = oracleAvailable();
const BIN = 's\x00\xff\r\n';

describe.skipIf(!hasOracle)('differential: sets', () => {
  const servers = differentialPair();

  const { same } = servers;

  async function popBoth(key: string, count: number): Promise<void> {
    await popBothOn(servers, key, count);
  }

  it('adds, removes and reads members (intsets in numeric order)', async () => {
    await same([
      ['SADD', 'si', '5', '-3', '100', '5', '0', '-9223372036854775808', '9223372036854775807'],
      ['SMEMBERS', 'si'], ['SCARD', 'si'], ['OBJECT', 'ENCODING', 'si'],
      ['SISMEMBER', 'si', '5'], ['SISMEMBER', 'si', '6'], ['SISMEMBER', 'si', 'abc'], ['SISMEMBER', 'nokey', '1'],
      ['SMISMEMBER', 'si', '5', 'x', '-3', '05'], ['SMISMEMBER', 'nokey', 'a', 'b'],
      ['SREM', 'si', '5', '5', 'x', '100'], ['SMEMBERS', 'si'], ['SREM', 'nokey', 'a'],
      ['SRANDMEMBER', 'si', '100'], ['SRANDMEMBER', 'si', '4'], ['SRANDMEMBER', 'si', '0'],
      ['SREM', 'si', '-3', '0', '-9223372036854775808', '9223372036854775807'], ['EXISTS', 'si'], ['SMEMBERS', 'si'], ['SCARD', 'si'],
      ['SADD', 'ss', 'b', 'a', 'c', 'a', BIN, ''], { sorted: ['SMEMBERS', 'ss'] }, ['SCARD', 'ss'], ['OBJECT', 'ENCODING', 'ss'],
      ['SISMEMBER', 'ss', BIN], ['SISMEMBER', 'ss', ''], ['SMISMEMBER', 'ss', '', 'z', 'a'],
      ['SMEMBERS', 'nokey'], ['SCARD', 'nokey'], ['TYPE', 'ss'],
      ['SADD', 'one', 'x'], ['SRANDMEMBER', 'one'], ['SRANDMEMBER', 'one', '-3'], ['SRANDMEMBER', 'one', '1'], ['SRANDMEMBER', 'nokey'],
      ['SRANDMEMBER', 'nokey', '-3'], ['SPOP', 'one'], ['EXISTS', 'one'], ['SPOP', 'one'], ['SPOP', 'nokey', '3'],
      ['SADD', 'pop', '3', '1', '2'], ['SPOP', 'pop', '0'], ['SPOP', 'pop', '3'], ['EXISTS', 'pop'],
      ['SADD', 'pop', 'x', 'y'], { sorted: ['SPOP', 'pop', '10'] }, ['EXISTS', 'pop'],
    ]);
  });

  it('answers errors as Redis does', async () => {
    await same([
      ['SET', 'str', 'x'], ['SADD', 'st', 'a'],
      ['SADD', 'str', 'a'], ['SREM', 'str', 'a'], ['SCARD', 'str'], ['SISMEMBER', 'str', 'a'], ['SMISMEMBER', 'str', 'a'],
      ['SMEMBERS', 'str'], ['SPOP', 'str'], ['SPOP', 'str', '1'], ['SRANDMEMBER', 'str'], ['SRANDMEMBER', 'str', '2'],
      ['SMOVE', 'str', 'st', 'a'], ['SMOVE', 'st', 'str', 'a'], ['SMOVE', 'nokey', 'str', 'a'], ['SMOVE', 'st', 'str', 'zz'],
      ['SINTER', 'str'], ['SINTER', 'nokey', 'str'], ['SINTER', 'st', 'str'], ['SINTERCARD', '2', 'nokey', 'str'],
      ['SINTERSTORE', 'd', 'nokey', 'str'], ['SINTERSTORE', 'd', 'st', 'str'], ['SUNION', 'st', 'str'], ['SUNIONSTORE', 'd', 'str'],
      ['SDIFF', 'nokey', 'str'], ['SDIFFSTORE', 'd', 'st', 'str'], ['SSCAN', 'str', '0'], ['EXISTS', 'd'],
      ['SADD', 'st'], ['SREM', 'st'], ['SCARD'], ['SISMEMBER', 'st'], ['SMISMEMBER', 'st'], ['SMEMBERS'], ['SPOP'],
      ['SRANDMEMBER'], ['SMOVE', 'a', 'b'], ['SINTER'], ['SINTERCARD', '1'], ['SINTERSTORE', 'd'], ['SUNION'],
      ['SUNIONSTORE', 'd'], ['SDIFF'], ['SDIFFSTORE', 'd'], ['SSCAN', 'st'],
      ['SPOP', 'st', '1', '2'], ['SPOP', 'st', '-1'], ['SPOP', 'st', 'abc'], ['SPOP', 'nokey', '-1'], ['SPOP', 'st', '9223372036854775808'],
      ['SRANDMEMBER', 'st', '1', '2'], ['SRANDMEMBER', 'st', 'abc'], ['SRANDMEMBER', 'st', '-9223372036854775808'],
      ['SRANDMEMBER', 'nokey', '-9223372036854775808'], ['SRANDMEMBER', 'st', '1.5'],
      ['SINTERCARD', '0', 'st'], ['SINTERCARD', '-1', 'st'], ['SINTERCARD', 'abc', 'st'], ['SINTERCARD', '2', 'st'],
      ['SINTERCARD', '1', 'st', 'LIMIT'], ['SINTERCARD', '1', 'st', 'LIMIT', '-1'], ['SINTERCARD', '1', 'st', 'LIMIT', 'x'],
      ['SINTERCARD', '1', 'st', 'FOO', '1'], ['SINTERCARD', '1', 'st', 'limit', '0', 'limit', '1'],
      ['SINTERCARD', '9223372036854775808', 'st'],
    ]);
  });

  it('moves members with every branch of SMOVE', async () => {
    await same([
      ['SADD', 'src', '1', '2', 'a'], ['SADD', 'dst', '2', '3'],
      ['SMOVE', 'src', 'dst', '1'], ['SMOVE', 'src', 'dst', '2'], ['SMOVE', 'src', 'dst', 'zz'], ['SMEMBERS', 'dst'],
      ['SMOVE', 'src', 'src', 'a'], ['SMOVE', 'src', 'src', 'zz'], ['SMOVE', 'nokey', 'dst', 'a'],
      ['SMOVE', 'src', 'fresh', 'a'], ['EXISTS', 'src'], ['SMEMBERS', 'fresh'], ['OBJECT', 'ENCODING', 'fresh'],
      ['SMOVE', 'dst', 'fresh2', '3'], ['OBJECT', 'ENCODING', 'fresh2'], ['SMEMBERS', 'dst'], ['SMEMBERS', 'fresh2'],
    ]);
  });

  it('computes intersections, unions and differences', async () => {
    await same([
      ['SADD', 'A', '1', '2', '3', '4', '5'], ['SADD', 'B', '4', '5', '6', '7'], ['SADD', 'C', '5', '7', '9', 'x'],
      ['SADD', 'D', 'x', 'y', 'z', BIN], ['SET', 'str', 'v'],
      ['SINTER', 'A', 'B'], ['SINTER', 'A'], ['SINTER', 'A', 'nokey'], ['SINTER', 'nokey'], ['SINTER', 'A', 'A'],
      ['SINTER', 'A', 'B', 'C'], ['SINTER', 'C', 'D'],
      ['SINTERCARD', '2', 'A', 'B'], ['SINTERCARD', '3', 'A', 'B', 'C'], ['SINTERCARD', '1', 'A', 'LIMIT', '3'],
      ['SINTERCARD', '1', 'A', 'LIMIT', '0'], ['SINTERCARD', '1', 'A', 'LIMIT', '100'], ['SINTERCARD', '2', 'A', 'nokey'],
      ['SINTERCARD', '1', 'nokey'],
      ['SINTERSTORE', 'I', 'A', 'B'], ['SMEMBERS', 'I'], ['OBJECT', 'ENCODING', 'I'],
      ['SINTERSTORE', 'I', 'A', 'D'], ['EXISTS', 'I'], ['SINTERSTORE', 'I', 'A', 'D'],
      ['SINTERSTORE', 'str', 'A', 'nokey'], ['EXISTS', 'str'],
      ['SUNION', 'A', 'B'], ['SUNION', 'nokey'], ['SUNION', 'nokey', 'A'], { sorted: ['SUNION', 'A', 'C'] },
      ['SUNIONSTORE', 'U', 'A', 'B'], ['SMEMBERS', 'U'], ['OBJECT', 'ENCODING', 'U'],
      ['SUNIONSTORE', 'U2', 'C', 'D'], { sorted: ['SMEMBERS', 'U2'] }, ['OBJECT', 'ENCODING', 'U2'],
      ['SUNIONSTORE', 'U', 'nokey'], ['EXISTS', 'U'],
      ['SDIFF', 'A', 'B'], ['SDIFF', 'A', 'B', 'C'], ['SDIFF', 'A', 'A'], ['SDIFF', 'nokey', 'A'], ['SDIFF', 'A', 'nokey'],
      { sorted: ['SDIFF', 'D', 'C'] }, ['SDIFFSTORE', 'X', 'A', 'B'], ['SMEMBERS', 'X'], ['OBJECT', 'ENCODING', 'X'],
      ['SDIFFSTORE', 'X', 'A', 'A'], ['EXISTS', 'X'],
      ['SET', 'strdst', 'v'], ['EXPIRE', 'A', '1000'], ['SUNIONSTORE', 'A', 'A', 'B'], ['TTL', 'A'], ['SMEMBERS', 'A'],
      ['SDIFFSTORE', 'strdst', 'B', 'nokey'], ['TYPE', 'strdst'], ['SMEMBERS', 'strdst'],
    ]);
  });

  it('SSCAN: options, intsets in one call, large sets in full', async () => {
    await same([
      ['SADD', 'sc', '1', '22', '13', '-1'],
      ['SSCAN', 'sc', '0'], ['SSCAN', 'sc', '0', 'COUNT', '1'], ['SSCAN', 'sc', '0', 'MATCH', '1*'], ['SSCAN', 'sc', '0', 'MATCH', '*'],
      ['SSCAN', 'sc', '0', 'COUNT', '0'], ['SSCAN', 'sc', '0', 'COUNT', 'x'], ['SSCAN', 'sc', '0', 'MATCH'], ['SSCAN', 'sc', '0', 'TYPE', 'set'],
      ['SSCAN', 'sc', 'x'], ['SSCAN', 'nokey', '0'], ['SSCAN', 'nokey', '0', 'COUNT', '0'],
      ['SADD', 'scs', 'a'], ['SSCAN', 'scs', '0'],
    ]);
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port);
    try {
      await pair.call('SADD', 'scbig', ...Array.from({ length: 3000 }, (_, i) => `m${i}`));
      for (const [client, label] of [[pair.nodis, 'nodis'], [pair.redis, 'redis']] as const) {
        const seen = new Set<string>();
        let cursor = '0';
        let calls = 0;
        do {
          const reply = (await client.call('SSCAN', 'scbig', cursor, 'MATCH', 'm2*', 'COUNT', '100')) as [string, string[]];
          cursor = reply[0];
          for (const m of reply[1]) seen.add(m);
          calls++;
        } while (cursor !== '0' && calls < 10000);
        expect(seen.size, label).toBe(1111);
        expect(calls, label).toBeGreaterThan(1);
      }
    } finally {
      pair.close();
    }
  });

  it('changes encoding at the default limits as Redis 7.0 does', async () => {
    const ints = Array.from({ length: 512 }, (_, i) => String(i * 3 - 700));
    await same([
      ['SADD', 'e1', ...ints], ['OBJECT', 'ENCODING', 'e1'], ['SADD', 'e1', '-700'], ['OBJECT', 'ENCODING', 'e1'],
      ['SADD', 'e1', '100000'], ['OBJECT', 'ENCODING', 'e1'], ['SREM', 'e1', '100000', '-700'], ['OBJECT', 'ENCODING', 'e1'],
      ['SADD', 'e2', '1', 'a'], ['OBJECT', 'ENCODING', 'e2'], ['SREM', 'e2', 'a'], ['OBJECT', 'ENCODING', 'e2'],
      ['SADD', 'e3', '-0'], ['OBJECT', 'ENCODING', 'e3'], ['SADD', 'e4', '01'], ['OBJECT', 'ENCODING', 'e4'],
      ['SADD', 'e5', '9223372036854775807', '-9223372036854775808'], ['OBJECT', 'ENCODING', 'e5'],
      ['SADD', 'e6', '9223372036854775808'], ['OBJECT', 'ENCODING', 'e6'], ['SADD', 'e7', '+1'], ['OBJECT', 'ENCODING', 'e7'],
      ['SADD', 'e8', '1.0'], ['OBJECT', 'ENCODING', 'e8'], ['SADD', 'e9', ' 1'], ['OBJECT', 'ENCODING', 'e9'],
      ['SADD', 'e10', 'x'.repeat(100)], ['OBJECT', 'ENCODING', 'e10'],
      ['SADD', 'e11', ...Array.from({ length: 600 }, (_, i) => String(i))], ['OBJECT', 'ENCODING', 'e11'],
      ['SADD', 'e12', ...Array.from({ length: 600 }, (_, i) => String(i))],
    ]);
    // SPOP of most of a table set rebuilds the rest, as an intset again when it can be.
    await popBoth('e11', 590);
    await popBoth('e12', 100);
    await same([
      ['SCARD', 'e11'], ['OBJECT', 'ENCODING', 'e11'], ['SCARD', 'e12'], ['OBJECT', 'ENCODING', 'e12'],
      ['SINTERSTORE', 'e13', 'e12', 'e12'], ['OBJECT', 'ENCODING', 'e13'],
    ]);
  });

  it('follows CONFIG SET of set-max-intset-entries', async (t) => {
    const probe = await servers.nodis.raw();
    if ((await probe.callRaw('CONFIG', 'GET', 'set-max-intset-entries')).startsWith('-ERR unknown command')) t.skip();
    await same([
      ['CONFIG', 'GET', 'set-max-intset-entries'], ['CONFIG', 'SET', 'set-max-intset-entries', '3'],
      ['SADD', 'c1', '1', '2', '3'], ['OBJECT', 'ENCODING', 'c1'], ['SADD', 'c1', '4'], ['OBJECT', 'ENCODING', 'c1'],
      ['SUNIONSTORE', 'c2', 'c1'], ['OBJECT', 'ENCODING', 'c2'], ['SREM', 'c2', '1'], ['SINTERSTORE', 'c3', 'c2'], ['OBJECT', 'ENCODING', 'c3'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '0'], ['SADD', 'c4', '1'], ['OBJECT', 'ENCODING', 'c4'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '512'], ['SADD', 'c5', '1'], ['OBJECT', 'ENCODING', 'c5'],
    ]);
  });

  it('compares 10k-member sets in full', async () => {
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port);
    try {
      const a = Array.from({ length: 12000 }, (_, i) => `m:${i}\x00\xff`);
      const b = Array.from({ length: 12000 }, (_, i) => `m:${i * 2}\x00\xff`);
      const ints = Array.from({ length: 11000 }, (_, i) => String(i * 7 - 5000));
      for (const args of [['SADD', 'LA', ...a], ['SADD', 'LB', ...b], ['SADD', 'LI', ...ints], ['SREM', 'LA', ...a.slice(0, 500)]]) {
        const [x, y] = await pair.call(...args);
        expect(x).toBe(y);
      }
      for (const args of [
        ['SMEMBERS', 'LA'], ['SINTER', 'LA', 'LB'], ['SUNION', 'LA', 'LB', 'LI'], ['SDIFF', 'LA', 'LB'], ['SDIFF', 'LI', 'LA'],
        ['SRANDMEMBER', 'LA', '20000'], ['SPOP', 'LI', '20000'],
      ]) {
        const [x, y] = await pair.decoded(...args);
        expect(sortedItems(x), args.slice(0, 3).join(' ')).toEqual(sortedItems(y));
      }
      for (const args of [
        ['SCARD', 'LA'], ['SINTERCARD', '2', 'LA', 'LB'], ['SINTERCARD', '2', 'LA', 'LB', 'LIMIT', '77'], ['SINTERSTORE', 'LS', 'LA', 'LB'],
        ['SUNIONSTORE', 'LU', 'LA', 'LB'], ['SDIFFSTORE', 'LD', 'LA', 'LB'], ['OBJECT', 'ENCODING', 'LU'], ['EXISTS', 'LI'],
        ['SMISMEMBER', 'LA', 'm:1\x00\xff', 'm:700\x00\xff', 'nope'],
      ]) {
        const [x, y] = await pair.call(...args);
        expect(x, args.slice(0, 3).join(' ')).toBe(y);
      }
      const [r1, r2] = await pair.decoded('SRANDMEMBER', 'LA', '5000');
      for (const r of [r1, r2]) expect(new Set(r as string[]).size).toBe(5000);
      const [p1, p2] = await pair.decoded('SPOP', 'LA', '11000');
      expect((p1 as string[]).length).toBe((p2 as string[]).length);
      const [c1, c2] = await pair.call('SCARD', 'LA');
      expect(c1).toBe(c2);
    } finally {
      pair.close();
    }
  });

  it('speaks RESP3: sets, arrays and nulls', async () => {
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port, true);
    try {
      await pair.call('SADD', 'r3', '3', '1', '2');
      await pair.call('SADD', 'r3one', 'only');
      for (const args of [
        ['SMEMBERS', 'r3'], ['SMEMBERS', 'nokey'], ['SRANDMEMBER', 'r3', '5'], ['SRANDMEMBER', 'r3one', '-2'], ['SRANDMEMBER', 'nokey', '2'],
        ['SRANDMEMBER', 'nokey'], ['SINTER', 'r3', 'r3'], ['SINTER', 'nokey'], ['SUNION', 'r3'], ['SDIFF', 'r3', 'nokey'],
        ['SMISMEMBER', 'r3', '1', '9'], ['SISMEMBER', 'r3', '1'], ['SSCAN', 'r3', '0'], ['SPOP', 'nokey'], ['SPOP', 'nokey', '2'],
        ['SPOP', 'r3', '0'], ['SPOP', 'r3one', '1'], ['SPOP', 'r3', '5'], ['SINTERCARD', '1', 'nokey'],
      ]) {
        const [a, b] = await pair.call(...args);
        expect(a, args.join(' ')).toBe(b);
      }
    } finally {
      pair.close();
    }
  });
});

describe.skipIf(!hasOracle)('differential: sets with a small intset limit', () => {
  const servers = differentialPair({ nodis: { 'set-max-intset-entries': 3 }, redis: ['--set-max-intset-entries', '3'] });

  it('converts past the configured limit and rebuilds after big pops', async () => {
    const first = await servers.run([
      ['SADD', 'a', '3', '1', '2'], ['OBJECT', 'ENCODING', 'a'], ['SMEMBERS', 'a'], ['SADD', 'a', '4'], ['OBJECT', 'ENCODING', 'a'],
      ['SREM', 'a', '4'], ['OBJECT', 'ENCODING', 'a'],
      ['SADD', 'b', '1', '2', '3', '4', '5', '6', '7'], ['SADD', 'c', '1', '2', '3', '4', '5', '6', '7'],
    ]);
    expect(mismatches(first)).toEqual([]);
    await popBothOn(servers, 'b', 5);
    await popBothOn(servers, 'c', 2);
    await servers.same([
      ['OBJECT', 'ENCODING', 'b'], ['SCARD', 'b'], ['OBJECT', 'ENCODING', 'c'],
      ['SINTERSTORE', 'd', 'c'], ['OBJECT', 'ENCODING', 'd'], ['SDIFFSTORE', 'e', 'a', 'nokey'], ['OBJECT', 'ENCODING', 'e'],
      ['SMOVE', 'a', 'f', '1'], ['OBJECT', 'ENCODING', 'f'],
    ]);
  });
});

/** SPOP with a count on both servers: random members, so only the reply's size is compared. */
async function popBothOn(servers: DifferentialPair, key: string, count: number): Promise<void> {
  const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port);
  try {
    const [a, b] = await pair.decoded('SPOP', key, String(count));
    expect((a as string[]).length).toBe(count);
    expect((b as string[]).length).toBe(count);
  } finally {
    pair.close();
  }
}
