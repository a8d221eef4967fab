import { beforeEach, describe, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

const LIMITS: Array<[string, string, string]> = [
  // name, its ziplist alias, Redis 7.0's default
  ['hash-max-listpack-entries', 'hash-max-ziplist-entries', '128'],
  ['hash-max-listpack-value', 'hash-max-ziplist-value', '64'],
  ['zset-max-listpack-entries', 'zset-max-ziplist-entries', '128'],
  ['zset-max-listpack-value', 'zset-max-ziplist-value', '64'],
  ['list-max-listpack-size', 'list-max-ziplist-size', '-2'],
];

describe.skipIf(!hasOracle)('differential: collection details', () => {
  const servers = differentialPair();
  beforeEach(async () => {
    for (const port of [servers.nodis.port, servers.redis.port]) {
      const c = await RawClient.connect(port);
      await c.call('FLUSHALL');
      for (const [name, , value] of LIMITS) await c.call('CONFIG', 'SET', name, value);
      await c.call('CONFIG', 'SET', 'set-max-intset-entries', '512');
      c.close();
    }
  });

  async function same(steps: Step[]): Promise<void> {
    await servers.same(steps, (raw) => raw.replace(/\$2\r\nid\r\n:\d+\r\n/, 'id'));
  }

  it('reads and sets every encoding limit under both names', async () => {
    const steps: Step[] = [];
    for (const [name, alias] of LIMITS) {
      steps.push(['CONFIG', 'GET', name], ['CONFIG', 'GET', alias], ['CONFIG', 'SET', alias, '7'], ['CONFIG', 'GET', name],
        ['CONFIG', 'SET', name, '9'], ['CONFIG', 'GET', alias], ['CONFIG', 'SET', alias, 'abc'], ['CONFIG', 'SET', name, '-1']);
    }
    steps.push({ sorted: ['CONFIG', 'GET', '*max-ziplist*'] }, { sorted: ['CONFIG', 'GET', '*max-listpack*'] },
      ['CONFIG', 'GET', 'set-max-intset-entries'], ['CONFIG', 'SET', 'set-max-intset-entries', '-1'], ['CONFIG', 'GET', 'set-max-intset-entries']);
    await same(steps);
  });

  it('changes OBJECT ENCODING as each limit is set, under either name', async () => {
    await same([
      ['CONFIG', 'SET', 'hash-max-ziplist-entries', '2'], ['HSET', 'h1', 'a', '1', 'b', '2'], ['OBJECT', 'ENCODING', 'h1'],
      ['HSET', 'h1', 'c', '3'], ['OBJECT', 'ENCODING', 'h1'], ['CONFIG', 'SET', 'hash-max-ziplist-entries', '100'], ['OBJECT', 'ENCODING', 'h1'],
      ['CONFIG', 'SET', 'hash-max-ziplist-value', '3'], ['HSET', 'h2', 'abc', '123'], ['OBJECT', 'ENCODING', 'h2'],
      ['HSET', 'h2', 'abcd', '1'], ['OBJECT', 'ENCODING', 'h2'], ['HSET', 'h3', 'a', '1234'], ['OBJECT', 'ENCODING', 'h3'],
      ['CONFIG', 'SET', 'zset-max-ziplist-entries', '2'], ['ZADD', 'z1', '1', 'a', '2', 'b'], ['OBJECT', 'ENCODING', 'z1'],
      ['ZADD', 'z1', '3', 'c'], ['OBJECT', 'ENCODING', 'z1'], ['ZREM', 'z1', 'a', 'b'], ['OBJECT', 'ENCODING', 'z1'],
      ['ZUNIONSTORE', 'z2', '1', 'z1'], ['OBJECT', 'ENCODING', 'z2'],
      ['CONFIG', 'SET', 'zset-max-ziplist-value', '2'], ['ZADD', 'z3', '1', 'ab'], ['OBJECT', 'ENCODING', 'z3'],
      ['ZADD', 'z4', '1', 'abc'], ['OBJECT', 'ENCODING', 'z4'], ['ZRANGESTORE', 'z5', 'z4', '0', '-1'], ['OBJECT', 'ENCODING', 'z5'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '0'], ['ZADD', 'z6', '1', 'a'], ['OBJECT', 'ENCODING', 'z6'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '2'], ['SADD', 's1', '1', '2'], ['OBJECT', 'ENCODING', 's1'],
      ['SADD', 's1', '3'], ['OBJECT', 'ENCODING', 's1'],
      ['CONFIG', 'SET', 'list-max-ziplist-size', '1'], ['RPUSH', 'l1', 'a', 'b', 'c'], ['OBJECT', 'ENCODING', 'l1'],
      ['CONFIG', 'SET', 'list-max-listpack-size', '-5'], ['RPUSH', 'l2', 'a'], ['OBJECT', 'ENCODING', 'l2'],
      ['CONFIG', 'SET', 'list-compress-depth', '1'], ['RPUSH', 'l3', 'a', 'b', 'c', 'd'], ['OBJECT', 'ENCODING', 'l3'], ['LRANGE', 'l3', '0', '-1'],
      ['CONFIG', 'SET', 'list-compress-depth', '0'],
    ]);
  });

  it('answers lex ranges over members of different scores as a listpack does', async () => {
    const steps: Step[] = [['ZADD', 'm', '1', 'b', '2', 'a', '3', 'd', '4', 'c', '5', 'e']];
    const bounds = ['-', '+', '[a', '(a', '[b', '(b', '[c', '(c', '[d', '[e', '(e', '[z', '[', '(bb'];
    for (const min of bounds) {
      for (const max of bounds) {
        steps.push(['ZLEXCOUNT', 'm', min, max], ['ZRANGEBYLEX', 'm', min, max], ['ZREVRANGEBYLEX', 'm', max, min],
          ['ZRANGEBYLEX', 'm', min, max, 'LIMIT', '1', '2'], ['ZRANGE', 'm', max, min, 'BYLEX', 'REV', 'LIMIT', '0', '1']);
      }
    }
    for (const [min, max] of [['[b', '[b'], ['[c', '[d'], ['(a', '[c'], ['-', '[a'], ['[d', '+']]) {
      steps.push(['DEL', 'n'], ['ZADD', 'n', '1', 'b', '2', 'a', '3', 'd', '4', 'c', '5', 'e'],
        ['ZRANGESTORE', 'o', 'n', min as string, max as string, 'BYLEX'], ['ZRANGE', 'o', '0', '-1', 'WITHSCORES'],
        ['ZREMRANGEBYLEX', 'n', min as string, max as string], ['ZRANGE', 'n', '0', '-1']);
    }
    await same(steps);
  });

  it('stores -0 as a listpack would, up to the point ZRANGESTORE\'s result outgrows it', async () => {
    const steps: Step[] = [
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '3'], ['ZADD', 's', '-0', 'a', '1', 'b', '2', 'c', '3', 'd', '-0', 'e'],
      ['ZRANGESTORE', 'r1', 's', '0', '-1'], ['ZRANGE', 'r1', '0', '-1', 'WITHSCORES'], ['OBJECT', 'ENCODING', 'r1'],
      ['ZRANGESTORE', 'r2', 's', '-inf', '+inf', 'BYSCORE'], ['ZRANGE', 'r2', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'r3', 's', '+inf', '-inf', 'BYSCORE', 'REV'], ['ZRANGE', 'r3', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'r4', 's', '0', '1'], ['ZRANGE', 'r4', '0', '-1', 'WITHSCORES'], ['OBJECT', 'ENCODING', 'r4'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'], ['CONFIG', 'SET', 'zset-max-listpack-value', '3'],
      ['ZRANGESTORE', 'r5', 's', '0', '-1'], ['ZRANGE', 'r5', '0', '-1', 'WITHSCORES'],
      ['ZADD', 't', '-0', 'a', '-0', 'longer', '-0', 'z'], ['ZRANGESTORE', 'r6', 't', '0', '-1'], ['ZRANGE', 'r6', '0', '-1', 'WITHSCORES'],
      ['ZUNIONSTORE', 'r7', '1', 't', 'WEIGHTS', '-1'], ['ZRANGE', 'r7', '0', '-1', 'WITHSCORES'],
      ['ZUNION', '1', 't', 'WEIGHTS', '-1', 'WITHSCORES'], ['ZINTERSTORE', 'r8', '1', 's'], ['ZRANGE', 'r8', '0', '-1', 'WITHSCORES'],
      ['CONFIG', 'SET', 'zset-max-listpack-value', '64'], ['CONFIG', 'SET', 'zset-max-listpack-entries', '3'],
    ];
    const ranges = [['0', '-1'], ['0', '1'], ['-inf', '+inf', 'BYSCORE'], ['-inf', '+inf', 'BYSCORE', 'LIMIT', '0', '2'], ['-', '+', 'BYLEX'],
      ['-', '+', 'BYLEX', 'LIMIT', '0', '1'], ['+inf', '-inf', 'BYSCORE', 'REV'], ['-1', '0', 'REV'], ['0', '-1', 'REV']];
    steps.push(['DEL', 'u'], ['ZADD', 'u', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5', 'f'], ['ZADD', 'u', '-0', 'a'], ['ZRANGE', 'u', '0', '0', 'WITHSCORES']);
    for (const range of ranges) steps.push(['ZRANGESTORE', 'r', 'u', ...range], ['ZRANGE', 'r', '0', '-1', 'WITHSCORES'], ['OBJECT', 'ENCODING', 'r']);
    await same(steps);
  });

  it('reads the timeout of BZMPOP and BLMPOP after their other arguments', async () => {
    await same([
      ['BZMPOP', 'inf', '1', 'z', 'MIN', 'COUNT', '0'], ['BZMPOP', 'abc', '1', 'z', 'MID'], ['BZMPOP', '-1', '0', 'z', 'MIN'],
      ['BZMPOP', 'inf', '1', 'z', 'MIN'], ['BZMPOP', 'nan', '1', 'z', 'MIN'],
      ['BLMPOP', 'inf', '1', 'l', 'LEFT', 'COUNT', '0'], ['BLMPOP', 'abc', '1', 'l', 'MIDDLE'], ['BLMPOP', '-1', '0', 'l', 'LEFT'],
      ['BLMOVE', 'a', 'b', 'UP', 'LEFT', 'abc'], ['BLMOVE', 'a', 'b', 'LEFT', 'LEFT', 'abc'], ['BZPOPMIN', 'z', '-1'], ['BLPOP', 'l', 'inf'],
      ['SET', 'str', 'x'], ['BZMPOP', '-1', '1', 'str', 'MIN'], ['BLPOP', 'str', '-1'], ['BLPOP', 'str', '0.01'], ['BZPOPMAX', 'str', '0.01'],
      ['BLMOVE', 'str', 'b', 'LEFT', 'LEFT', '0.01'], ['RPUSH', 'src', 'x'], ['BLMOVE', 'src', 'str', 'LEFT', 'LEFT', '0.01'], ['LLEN', 'src'],
    ]);
  });
});
