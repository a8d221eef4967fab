import { describe, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';

const hasOracle = oracleAvailable();

const ALL_COMMANDS = [
  'zadd', 'zincrby', 'zrem', 'zcard', 'zscore', 'zmscore', 'zrank', 'zrevrank', 'zcount', 'zlexcount', 'zrange',
  'zrangestore', 'zrangebyscore', 'zrevrangebyscore', 'zrangebylex', 'zrevrangebylex', 'zrevrange', 'zremrangebyrank',
  'zremrangebyscore', 'zremrangebylex', 'zpopmin', 'zpopmax', 'zmpop', 'zrandmember', 'zunion', 'zinter', 'zdiff',
  'zunionstore', 'zinterstore', 'zdiffstore', 'zintercard', 'zscan',
];

describe.skipIf(!hasOracle)('differential: sorted sets', () => {
  const servers = differentialPair();

  async function same(steps: Step[]): Promise<void> {
    // HELLO reports the connection id, which differs between the servers.
    await servers.same(steps, (raw) => raw.replace(/\$2\r\nid\r\n:\d+\r\n/, 'id'));
  }

  it('ZADD options, flags and errors', async () => {
    await same([
      ['ZADD', 'za', '1', 'a', '2', 'b', '3', 'c'],
      ['ZADD', 'za', '1', 'a', '5', 'b'],
      ['ZADD', 'za', 'CH', '1', 'a', '6', 'b', '7', 'd'],
      ['ZADD', 'za', 'NX', '100', 'a', '8', 'e'],
      ['ZADD', 'za', 'XX', '100', 'a', '9', 'f'],
      ['ZADD', 'za', 'XX', 'CH', '101', 'a', '9', 'g'],
      ['ZADD', 'za', 'GT', 'CH', '50', 'a', '200', 'b', '1', 'h'],
      ['ZADD', 'za', 'LT', 'CH', '50', 'a', '300', 'b', '1', 'i'],
      ['ZADD', 'za', 'gt', 'xx', 'ch', '1000', 'a', '0', 'b'],
      ['ZADD', 'za', 'INCR', '5', 'a'],
      ['ZADD', 'za', 'INCR', 'NX', '5', 'a'],
      ['ZADD', 'za', 'INCR', 'XX', '5', 'nosuch'],
      ['ZADD', 'za', 'INCR', 'GT', '-5', 'a'],
      ['ZADD', 'za', 'INCR', 'LT', '-5', 'a'],
      ['ZADD', 'za', 'INCR', 'LT', '5', 'a'],
      ['ZRANGE', 'za', '0', '-1', 'WITHSCORES'],
      ['ZADD', 'za', 'NX', 'XX', '1', 'a'],
      ['ZADD', 'za', 'GT', 'LT', '1', 'a'],
      ['ZADD', 'za', 'GT', 'NX', '1', 'a'],
      ['ZADD', 'za', 'LT', 'NX', '1', 'a'],
      ['ZADD', 'za', 'INCR', '1', 'a', '2', 'b'],
      ['ZADD', 'za', 'NX', 'XX', '1', 'a', '2'],
      ['ZADD', 'za', '1'],
      ['ZADD', 'za', '1', 'a', '2'],
      ['ZADD', 'za', 'NX'],
      ['ZADD', 'za', 'NX', 'XX'],
      ['ZADD', 'za', 'x', 'a'],
      ['ZADD', 'za', '1', 'a', 'nan', 'b'],
      ['ZADD', 'za', 'NX', 'INCR', 'x', 'a'],
      ['ZADD', 'za', '1e400', 'a'],
      ['ZADD', 'za', '1e-400', 'a'],
      ['ZADD', 'za', ' 1', 'a'],
      ['ZADD', 'za', '1 ', 'a'],
      ['ZADD', 'za', '', 'a'],
      ['ZADD', 'za', 'inf', 'pinf', '-inf', 'ninf', '+inf', 'pinf2', 'Infinity', 'pinf3'],
      ['ZADD', 'za', 'INCR', '-inf', 'pinf'],
      ['ZADD', 'za', 'INCR', '1', 'pinf'],
      ['ZINCRBY', 'za', '-inf', 'pinf'],
      ['ZADD', 'za', '0x10', 'hex', '1e3', 'exp', '-0', 'negzero', '1e-310', 'tiny', '.5', 'half', '5.', 'five'],
      ['ZADD', 'za', '1.1', 'onepointone', '0.1', 'pointone', '123456789012345678', 'big', '-1.5e-7', 'small'],
      ['ZRANGE', 'za', '0', '-1', 'WITHSCORES'],
      ['ZSCORE', 'za', 'onepointone'],
      ['ZSCORE', 'za', 'negzero'],
      ['ZADD', 'zanew', 'XX', '1', 'a'],
      ['ZADD', 'zanew', 'XX', 'INCR', '1', 'a'],
      ['EXISTS', 'zanew'],
      ['ZADD', 'zanew', 'GT', '1', 'a'],
      ['ZCARD', 'zanew'],
      ['ZADD', 'zneg', '-0', 'a', 'INCR'], ['ZADD', 'zneg', 'INCR', '-0', 'b'], ['ZSCORE', 'zneg', 'b'],
      ['ZADD', 'zneg2', '-0', 'a', '1', 'x'.repeat(100)], ['ZSCORE', 'zneg2', 'a'],
      ['ZUNIONSTORE', 'zneg3', '1', 'zneg2', 'WEIGHTS', '-1'], ['ZSCORE', 'zneg3', 'a'],
      ['ZUNION', '1', 'zneg', 'WEIGHTS', '-1', 'WITHSCORES'], ['ZUNIONSTORE', 'zneg4', '1', 'zneg', 'WEIGHTS', '-1'],
      ['ZSCORE', 'zneg4', 'a'], ['ZRANGESTORE', 'zneg5', 'zneg3', '0', '-1'], ['ZSCORE', 'zneg5', 'a'],
    ]);
  });

  it('ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK', async () => {
    await same([
      ['ZINCRBY', 'zi', '1.5', 'a'],
      ['ZINCRBY', 'zi', '1.5', 'a'],
      ['ZINCRBY', 'zi', 'x', 'a'],
      ['ZINCRBY', 'zi', 'nan', 'a'],
      ['ZINCRBY', 'zi', 'inf', 'a'],
      ['ZINCRBY', 'zi', '-inf', 'a'],
      ['ZADD', 'zi', '1', 'b', '1', 'c', '1', 'aa', '2', 'd'],
      ['ZRANK', 'zi', 'b'], ['ZRANK', 'zi', 'aa'], ['ZRANK', 'zi', 'a'], ['ZRANK', 'zi', 'nosuch'],
      ['ZREVRANK', 'zi', 'b'], ['ZREVRANK', 'zi', 'a'], ['ZREVRANK', 'zi', 'nosuch'], ['ZRANK', 'nokey', 'a'],
      ['ZRANK', 'zi', 'b', 'WITHSCORE'],
      ['ZSCORE', 'zi', 'a'], ['ZSCORE', 'zi', 'nosuch'], ['ZSCORE', 'nokey', 'a'],
      ['ZMSCORE', 'zi', 'a', 'b', 'nosuch', 'd'], ['ZMSCORE', 'nokey', 'a', 'b'],
      ['ZCARD', 'zi'], ['ZCARD', 'nokey'],
      ['ZREM', 'zi', 'a', 'a', 'nosuch'],
      ['ZREM', 'nokey', 'a'],
      ['ZREM', 'zi', 'b', 'c', 'aa', 'd', 'e'],
      ['EXISTS', 'zi'],
    ]);
  });

  it('ZCOUNT and ZLEXCOUNT with inclusive, exclusive and infinite bounds', async () => {
    await same([
      ['ZADD', 'zc', '-inf', 'm', '1', 'a', '2', 'b', '2', 'c', '3', 'd', '4.5', 'e', 'inf', 'p'],
      ['ZCOUNT', 'zc', '-inf', '+inf'], ['ZCOUNT', 'zc', '(-inf', '(inf'], ['ZCOUNT', 'zc', '2', '2'],
      ['ZCOUNT', 'zc', '(2', '3'], ['ZCOUNT', 'zc', '2', '(3'], ['ZCOUNT', 'zc', '(2', '(2'], ['ZCOUNT', 'zc', '3', '1'],
      ['ZCOUNT', 'zc', '1e400', 'inf'], ['ZCOUNT', 'zc', '', ''], ['ZCOUNT', 'zc', ' 1', '( 5'], ['ZCOUNT', 'zc', '(', '10'],
      ['ZCOUNT', 'zc', 'nan', '1'], ['ZCOUNT', 'zc', '1', 'x'], ['ZCOUNT', 'zc', '((1', '2'], ['ZCOUNT', 'zc', '[1', '2'],
      ['ZCOUNT', 'zc', '1 ', '2'], ['ZCOUNT', 'nokey', 'x', '2'], ['ZCOUNT', 'nokey', '1', '2'],
      ['ZADD', 'zl', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e', '0', '\x00', '0', '\xff', '0', 'bb', '0', ''],
      ['ZLEXCOUNT', 'zl', '-', '+'], ['ZLEXCOUNT', 'zl', '[b', '[d'], ['ZLEXCOUNT', 'zl', '(b', '(d'],
      ['ZLEXCOUNT', 'zl', '+', '-'], ['ZLEXCOUNT', 'zl', '-', '-'], ['ZLEXCOUNT', 'zl', '+', '+'], ['ZLEXCOUNT', 'zl', '[', '+'],
      ['ZLEXCOUNT', 'zl', '(', '+'], ['ZLEXCOUNT', 'zl', '[\xff', '+'], ['ZLEXCOUNT', 'zl', '(\x00', '[\xfe'],
      ['ZLEXCOUNT', 'zl', 'b', 'd'], ['ZLEXCOUNT', 'zl', '[b', 'd'], ['ZLEXCOUNT', 'zl', '--', '+'], ['ZLEXCOUNT', 'zl', '-', '++'],
      ['ZLEXCOUNT', 'zl', '', '+'], ['ZLEXCOUNT', 'nokey', '-', '+'], ['ZLEXCOUNT', 'nokey', 'x', '+'],
      ['ZLEXCOUNT', 'zl', '[d', '[b'], ['ZLEXCOUNT', 'zl', '[b', '(b'],
    ]);
  });

  it('ZRANGE by rank, score and lex, forward and reversed, with LIMIT and WITHSCORES', async () => {
    const steps: Step[] = [
      ['ZADD', 'zr', '1', 'a', '2', 'b', '2', 'c', '3', 'd', '4', 'e', '5', 'f', '5', 'g', '-inf', 'ninf', 'inf', 'pinf'],
      ['ZADD', 'zx', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e', '0', 'f', '0', '\x00bin', '0', '\xffbin'],
    ];
    const rankRanges = [['0', '-1'], ['0', '0'], ['-1', '-1'], ['2', '5'], ['-3', '-1'], ['5', '2'], ['-100', '100'],
      ['100', '200'], ['-100', '-50'], ['0', '9223372036854775807'], ['-9223372036854775808', '2']];
    for (const [a, b] of rankRanges) {
      steps.push(['ZRANGE', 'zr', a as string, b as string], ['ZRANGE', 'zr', a as string, b as string, 'WITHSCORES']);
      steps.push(['ZREVRANGE', 'zr', a as string, b as string, 'withscores'], ['ZRANGE', 'zr', a as string, b as string, 'REV']);
    }
    const scoreRanges = [['-inf', '+inf'], ['2', '4'], ['(2', '4'], ['2', '(4'], ['(2', '(2'], ['5', '1'], ['(-inf', '(inf'],
      ['1e400', '+inf'], ['', ''], ['0x2', '3'], ['nan', '1'], ['1', 'bad']];
    for (const [a, b] of scoreRanges) {
      steps.push(['ZRANGEBYSCORE', 'zr', a as string, b as string, 'WITHSCORES']);
      steps.push(['ZREVRANGEBYSCORE', 'zr', b as string, a as string, 'WITHSCORES']);
      steps.push(['ZRANGE', 'zr', a as string, b as string, 'BYSCORE']);
      steps.push(['ZRANGE', 'zr', b as string, a as string, 'BYSCORE', 'REV', 'WITHSCORES']);
    }
    const limits = [['0', '2'], ['1', '3'], ['2', '-1'], ['-1', '2'], ['0', '0'], ['100', '2'], ['8', '5'], ['0', '-5']];
    for (const [o, c] of limits) {
      steps.push(['ZRANGEBYSCORE', 'zr', '-inf', '+inf', 'LIMIT', o as string, c as string]);
      steps.push(['ZREVRANGEBYSCORE', 'zr', '+inf', '-inf', 'WITHSCORES', 'LIMIT', o as string, c as string]);
      steps.push(['ZRANGE', 'zr', '(1', '5', 'BYSCORE', 'LIMIT', o as string, c as string]);
      steps.push(['ZRANGEBYLEX', 'zx', '-', '+', 'LIMIT', o as string, c as string]);
      steps.push(['ZRANGE', 'zx', '+', '-', 'BYLEX', 'REV', 'LIMIT', o as string, c as string]);
    }
    const lexRanges = [['-', '+'], ['[b', '[e'], ['(b', '(e'], ['[b', '(b'], ['+', '-'], ['[e', '[b'], ['(a', '+'],
      ['-', '(c'], ['[\x00', '[\xff'], ['b', '+'], ['[a', 'x'], ['-x', '+']];
    for (const [a, b] of lexRanges) {
      steps.push(['ZRANGEBYLEX', 'zx', a as string, b as string], ['ZREVRANGEBYLEX', 'zx', b as string, a as string]);
      steps.push(['ZRANGE', 'zx', a as string, b as string, 'BYLEX'], ['ZRANGE', 'zx', b as string, a as string, 'BYLEX', 'REV']);
    }
    steps.push(
      ['ZRANGE', 'zr', '0', '-1', 'LIMIT', '0', '1'],
      ['ZRANGE', 'zr', '0', '-1', 'LIMIT', '0', '-1'],
      ['ZRANGE', 'zr', '0', '-1', 'LIMIT', 'x', '1'],
      ['ZRANGE', 'zr', '0', '-1', 'LIMIT', '0'],
      ['ZRANGE', 'zr', '0', '-1', 'LIMIT'],
      ['ZRANGE', 'zx', '-', '+', 'BYLEX', 'WITHSCORES'],
      ['ZRANGEBYLEX', 'zx', '-', '+', 'WITHSCORES'],
      ['ZRANGE', 'zr', '0', '-1', 'BYSCORE', 'BYLEX'],
      ['ZRANGE', 'zr', '0', '-1', 'REV', 'REV'],
      ['ZRANGE', 'zr', '0', '-1', 'BOGUS'],
      ['ZRANGE', 'zr', 'a', '-1'],
      ['ZRANGE', 'zr', 'a', '-1', 'BYSCORE'],
      ['ZRANGE', 'zr', 'a', '-1', 'BYLEX'],
      ['ZRANGEBYSCORE', 'zr', '0', '10', 'REV'],
      ['ZRANGEBYSCORE', 'zr', '0', '10', 'BYLEX'],
      ['ZREVRANGE', 'zr', '0', '1', 'LIMIT', '0', '1'],
      ['ZREVRANGE', 'zr', '0', '1', 'BYSCORE'],
      ['ZRANGEBYSCORE', 'zr', '0', '10', 'LIMIT', '0', 'x'],
      ['ZRANGE', 'nokey', '0', '-1'], ['ZRANGE', 'nokey', 'x', '-1'], ['ZRANGEBYLEX', 'nokey', '-', '+'],
      ['ZRANGEBYSCORE', 'nokey', '-inf', '+inf', 'WITHSCORES'],
    );
    await same(steps);
  });

  it('ZRANGESTORE and ZREMRANGEBY*', async () => {
    await same([
      ['ZADD', 'zs', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '6', 'f'],
      ['ZRANGESTORE', 'zsd', 'zs', '1', '3'], ['ZRANGE', 'zsd', '0', '-1', 'WITHSCORES'], ['OBJECT', 'ENCODING', 'zsd'],
      ['ZRANGESTORE', 'zsd', 'zs', '(2', '5', 'BYSCORE', 'LIMIT', '1', '2'], ['ZRANGE', 'zsd', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'zsd', 'zs', '[e', '-', 'BYLEX', 'REV'], ['ZRANGE', 'zsd', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'zsd', 'zs', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'zsd', 'zs', '5', '1'], ['EXISTS', 'zsd'],
      ['ZRANGESTORE', 'zsd', 'zs', '5', '1'],
      ['SET', 'zsstr', 'x'], ['ZRANGESTORE', 'zsstr', 'zs', '0', '0'], ['TYPE', 'zsstr'],
      ['ZRANGESTORE', 'zsd', 'zsstr', '0', '0'],
      ['ZRANGESTORE', 'zsd', 'nokey', '0', '-1'],
      ['ZREMRANGEBYRANK', 'zs', '0', '0'], ['ZREMRANGEBYRANK', 'zs', '-1', '-1'], ['ZREMRANGEBYRANK', 'zs', '5', '1'],
      ['ZREMRANGEBYRANK', 'zs', 'x', '1'], ['ZREMRANGEBYRANK', 'nokey', '0', '1'],
      ['ZRANGE', 'zs', '0', '-1', 'WITHSCORES'],
      ['ZREMRANGEBYSCORE', 'zs', '(2', '3'], ['ZREMRANGEBYSCORE', 'zs', 'x', '3'], ['ZREMRANGEBYSCORE', 'zs', '10', '(10'],
      ['ZRANGE', 'zs', '0', '-1', 'WITHSCORES'],
      ['ZADD', 'zs', '0', 'aa', '0', 'ab', '0', 'ac'],
      ['ZREMRANGEBYLEX', 'zs', '[aa', '(ac'], ['ZREMRANGEBYLEX', 'zs', 'aa', 'ac'], ['ZREMRANGEBYLEX', 'nokey', '-', '+'],
      ['ZRANGE', 'zs', '0', '-1', 'WITHSCORES'],
      ['ZREMRANGEBYSCORE', 'zs', '-inf', '+inf'], ['EXISTS', 'zs'],
      ['ZADD', 'zs', '1', 'a'], ['ZREMRANGEBYRANK', 'zs', '0', '-1'], ['EXISTS', 'zs'],
      ['ZADD', 'zs', '1', 'a'], ['ZREMRANGEBYLEX', 'zs', '-', '+'], ['EXISTS', 'zs'],
    ]);
  });

  it('ZPOPMIN, ZPOPMAX, ZMPOP', async () => {
    await same([
      ['ZADD', 'zp', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '5', 'f'],
      ['ZPOPMIN', 'zp'], ['ZPOPMAX', 'zp'], ['ZPOPMIN', 'zp', '2'], ['ZPOPMAX', 'zp', '0'], ['ZPOPMIN', 'zp', '-1'],
      ['ZPOPMIN', 'zp', 'x'], ['ZPOPMIN', 'zp', '1', '2'], ['ZPOPMIN', 'nokey'], ['ZPOPMIN', 'nokey', '5'],
      ['ZPOPMAX', 'zp', '10'], ['EXISTS', 'zp'],
      ['ZADD', 'zp', '1', 'a', '2', 'b', '3', 'c'], ['ZADD', 'zp2', '10', 'x', '20', 'y'],
      ['ZMPOP', '2', 'nokey', 'zp', 'MIN'], ['ZMPOP', '2', 'nokey', 'zp2', 'max', 'COUNT', '5'], ['EXISTS', 'zp2'],
      ['ZMPOP', '1', 'nokey', 'MIN'], ['ZMPOP', '0', 'zp', 'MIN'], ['ZMPOP', 'x', 'zp', 'MIN'], ['ZMPOP', '-1', 'zp', 'MIN'],
      ['ZMPOP', '3', 'zp', 'MIN'], ['ZMPOP', '1', 'zp', 'LEFT'], ['ZMPOP', '1', 'zp', 'MIN', 'COUNT'],
      ['ZMPOP', '1', 'zp', 'MIN', 'COUNT', '0'], ['ZMPOP', '1', 'zp', 'MIN', 'COUNT', '-1'], ['ZMPOP', '1', 'zp', 'MIN', 'COUNT', 'x'],
      ['ZMPOP', '1', 'zp', 'MIN', 'COUNT', '1', 'COUNT', '1'], ['ZMPOP', '1', 'zp', 'MIN', 'BOGUS'],
      ['ZMPOP', '1', 'zp', 'max', 'count', '1'],
      ['SET', 'zpstr', 'x'], ['ZMPOP', '2', 'zpstr', 'zp', 'MIN'], ['ZMPOP', '2', 'nokey', 'zpstr', 'MIN'],
      ['ZMPOP', '2', 'zp', 'zpstr', 'MIN'],
    ]);
  });

  it('ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD, with plain sets as inputs', async () => {
    const steps: Step[] = [
      ['ZADD', 'u1', '1', 'a', '2', 'b', '3', 'c'],
      ['ZADD', 'u2', '10', 'b', '20', 'c', '30', 'd', '-inf', 'e'],
      ['ZADD', 'u3', 'inf', 'c', 'inf', 'e'],
      ['SADD', 'us', 'a', 'd', 'x'],
      ['SADD', 'ui', '1', '2', '3'],
      ['SET', 'ustr', 'v'],
    ];
    for (const op of ['ZUNION', 'ZINTER']) {
      steps.push(
        [op, '2', 'u1', 'u2'], [op, '2', 'u1', 'u2', 'WITHSCORES'], [op, '3', 'u1', 'u2', 'us', 'WITHSCORES'],
        [op, '2', 'u1', 'u2', 'WEIGHTS', '2', '0.5', 'WITHSCORES'], [op, '2', 'u1', 'u2', 'AGGREGATE', 'MIN', 'WITHSCORES'],
        [op, '2', 'u1', 'u2', 'AGGREGATE', 'max', 'withscores', 'weights', '1', '-1'],
        [op, '2', 'u2', 'u3', 'WEIGHTS', '0', '1', 'WITHSCORES'], [op, '2', 'u2', 'u3', 'WEIGHTS', '1', '-1', 'WITHSCORES'],
        [op, '2', 'u3', 'u3', 'WEIGHTS', '0', '1', 'WITHSCORES'], [op, '2', 'u1', 'u1', 'WITHSCORES'],
        [op, '2', 'us', 'ui', 'WITHSCORES'], [op, '1', 'ui', 'WITHSCORES'], [op, '2', 'u1', 'nokey', 'WITHSCORES'],
        [op, '0', 'u1'], [op, '-1', 'u1'], [op, 'x', 'u1'], [op, '3', 'u1', 'u2'], [op, '2', 'u1', 'ustr'],
        [op, '2', 'u1', 'u2', 'WEIGHTS', '1'], [op, '2', 'u1', 'u2', 'WEIGHTS', '1', 'x'], [op, '2', 'u1', 'u2', 'AGGREGATE', 'AVG'],
        [op, '2', 'u1', 'u2', 'AGGREGATE'], [op, '2', 'u1', 'u2', 'BOGUS'], [op, '2', 'ustr', 'u1', 'BOGUS'],
        [op, '2', 'u1', 'u2', 'WEIGHTS', 'nan', '1'],
      );
    }
    steps.push(
      ['ZDIFF', '2', 'u1', 'u2'], ['ZDIFF', '2', 'u1', 'u2', 'WITHSCORES'], ['ZDIFF', '3', 'u2', 'u1', 'us', 'WITHSCORES'],
      ['ZDIFF', '2', 'u1', 'u1'], ['ZDIFF', '1', 'us', 'WITHSCORES'], ['ZDIFF', '2', 'nokey', 'u1'],
      ['ZDIFF', '2', 'u1', 'u2', 'WEIGHTS', '1', '1'], ['ZDIFF', '2', 'u1', 'u2', 'AGGREGATE', 'SUM'], ['ZDIFF', '0', 'u1'],
      ['ZUNIONSTORE', 'ud', '3', 'u1', 'u2', 'us'], ['ZRANGE', 'ud', '0', '-1', 'WITHSCORES'], ['OBJECT', 'ENCODING', 'ud'],
      ['ZINTERSTORE', 'ud', '2', 'u1', 'u2', 'WEIGHTS', '1', '2', 'AGGREGATE', 'MAX'], ['ZRANGE', 'ud', '0', '-1', 'WITHSCORES'],
      ['ZDIFFSTORE', 'ud', '2', 'u2', 'u1'], ['ZRANGE', 'ud', '0', '-1', 'WITHSCORES'],
      ['ZUNIONSTORE', 'ud', '2', 'u1', 'u2', 'WITHSCORES'],
      ['ZINTERSTORE', 'ud', '2', 'u1', 'us'], ['EXISTS', 'ud'], ['ZINTERSTORE', 'ud', '2', 'u1', 'us'],
      ['ZUNIONSTORE', 'ustr', '1', 'u1'], ['TYPE', 'ustr'], ['SET', 'ustr', 'v'],
      ['ZUNIONSTORE', 'ud', '0', 'u1'], ['ZINTERSTORE', 'ud', '2', 'u1'], ['ZDIFFSTORE', 'ud', '1', 'ustr'],
      ['ZINTERCARD', '2', 'u1', 'u2'], ['ZINTERCARD', '2', 'u1', 'u2', 'LIMIT', '1'], ['ZINTERCARD', '2', 'u1', 'u2', 'LIMIT', '0'],
      ['ZINTERCARD', '2', 'u1', 'u2', 'LIMIT', '-1'], ['ZINTERCARD', '2', 'u1', 'u2', 'LIMIT', 'x'], ['ZINTERCARD', '2', 'u1', 'u2', 'LIMIT'],
      ['ZINTERCARD', '2', 'u1', 'us'], ['ZINTERCARD', '0', 'u1'], ['ZINTERCARD', '2', 'u1'], ['ZINTERCARD', '1', 'ustr'],
      ['ZINTERCARD', '2', 'u1', 'u2', 'WITHSCORES'], ['ZINTERCARD', '2', 'u1', 'u2', 'WEIGHTS', '1', '1'],
    );
    await same(steps);
  });

  it('ZRANDMEMBER (deterministic cases) and ZSCAN of small sets', async () => {
    await same([
      ['ZADD', 'zq', '1.5', 'only'],
      ['ZRANDMEMBER', 'zq'], ['ZRANDMEMBER', 'zq', '1'], ['ZRANDMEMBER', 'zq', '5', 'WITHSCORES'],
      ['ZRANDMEMBER', 'zq', '-3', 'WITHSCORES'], ['ZRANDMEMBER', 'zq', '0'], ['ZRANDMEMBER', 'zq', '0', 'WITHSCORES'],
      ['ZRANDMEMBER', 'zq', 'x'], ['ZRANDMEMBER', 'zq', '1', 'BOGUS'], ['ZRANDMEMBER', 'zq', '1', 'WITHSCORES', 'x'],
      ['ZRANDMEMBER', 'zq', '-9223372036854775808'], ['ZRANDMEMBER', 'zq', '-9223372036854775807', 'WITHSCORES'],
      ['ZRANDMEMBER', 'zq', '9223372036854775807', 'WITHSCORES'],
      ['ZRANDMEMBER', 'nokey'], ['ZRANDMEMBER', 'nokey', '3'], ['ZRANDMEMBER', 'nokey', 'x'],
      ['ZADD', 'zsc', '1', 'a', '2.5', 'b', 'inf', 'c', '-0', 'd', '1e20', 'e', '0.1', 'f'],
      { sorted: ['ZRANDMEMBER', 'zsc', '6'] }, { sorted: ['ZRANDMEMBER', 'zsc', '100'] },
      ['ZSCAN', 'zsc', '0'], ['ZSCAN', 'zsc', '0', 'MATCH', '[a-c]'], ['ZSCAN', 'zsc', '0', 'COUNT', '1'],
      ['ZSCAN', 'zsc', '0', 'COUNT', '0'], ['ZSCAN', 'zsc', '0', 'COUNT', 'x'], ['ZSCAN', 'zsc', '0', 'MATCH'],
      ['ZSCAN', 'zsc', '0', 'TYPE', 'zset'], ['ZSCAN', 'zsc', 'x'], ['ZSCAN', 'nokey', '0'],
      ['ZSCAN', 'nokey', 'x'], ['ZSCAN', 'nokey', '0', 'COUNT', '0'],
    ]);
  });

  it('BZPOPMIN, BZPOPMAX, BZMPOP served at once, timing out, in MULTI, and their errors', async () => {
    await same([
      ['ZADD', 'bz1', '1', 'a', '2', 'b', '3', 'c'], ['SET', 'bzstr', 'x'],
      ['BZPOPMIN', 'bznokey', 'bz1', '0'], ['BZPOPMAX', 'bz1', '0.5'], ['BZMPOP', '0', '2', 'bznokey', 'bz1', 'MIN', 'COUNT', '5'],
      ['EXISTS', 'bz1'],
      ['BZPOPMIN', 'bznokey', '0.01'], ['BZPOPMAX', 'bznokey', '0.01'], ['BZMPOP', '0.01', '1', 'bznokey', 'MAX'],
      ['BZPOPMIN', 'bzstr', '0'], ['BZPOPMIN', 'bznokey', 'bzstr', '0'], ['BZMPOP', '0', '1', 'bzstr', 'MIN'],
      ['BZPOPMIN', 'bz1', 'x'], ['BZPOPMIN', 'bz1', '-1'], ['BZPOPMIN', 'bz1', 'inf'], ['BZMPOP', 'x', '1', 'bz1', 'MIN'],
      ['BZMPOP', '0', '0', 'bz1', 'MIN'], ['BZMPOP', '0', '1', 'bz1', 'LEFT'], ['BZMPOP', '0', '1', 'bz1', 'MIN', 'COUNT', '0'],
      ['BZMPOP', '0', '2', 'bz1', 'MIN'],
      ['BZPOPMIN', 'bz1'], ['BZMPOP', '0', '1', 'bz1'],
      ['MULTI'], ['BZPOPMIN', 'bznokey', '0'], ['BZMPOP', '0', '1', 'bznokey', 'MIN'], ['EXEC'],
      ['HELLO', '3'], ['ZADD', 'bz1', '1', 'a', '2', 'b'], ['BZPOPMIN', 'bz1', '0'], ['BZMPOP', '0', '1', 'bz1', 'MIN'],
      ['BZPOPMIN', 'bznokey', '0.01'],
    ]);
  });

  it('answers WRONGTYPE and arity errors as Redis does', async () => {
    const steps: Step[] = [['SET', 'wt', 'str']];
    const wrongType: string[][] = [
      ['ZADD', 'wt', '1', 'a'], ['ZADD', 'wt', 'x', 'a'], ['ZINCRBY', 'wt', '1', 'a'], ['ZREM', 'wt', 'a'], ['ZCARD', 'wt'],
      ['ZSCORE', 'wt', 'a'], ['ZMSCORE', 'wt', 'a'], ['ZRANK', 'wt', 'a'], ['ZREVRANK', 'wt', 'a'], ['ZCOUNT', 'wt', '0', '1'],
      ['ZCOUNT', 'wt', 'x', '1'], ['ZLEXCOUNT', 'wt', '-', '+'], ['ZRANGE', 'wt', '0', '1'], ['ZRANGE', 'wt', 'x', '1'],
      ['ZRANGESTORE', 'd', 'wt', '0', '1'], ['ZRANGEBYSCORE', 'wt', '0', '1'], ['ZREVRANGEBYSCORE', 'wt', '0', '1'],
      ['ZRANGEBYLEX', 'wt', '-', '+'], ['ZREVRANGEBYLEX', 'wt', '+', '-'], ['ZREVRANGE', 'wt', '0', '1'],
      ['ZREMRANGEBYRANK', 'wt', '0', '1'], ['ZREMRANGEBYSCORE', 'wt', '0', '1'], ['ZREMRANGEBYLEX', 'wt', '-', '+'],
      ['ZPOPMIN', 'wt'], ['ZPOPMAX', 'wt', '0'], ['ZPOPMAX', 'wt', 'x'], ['ZMPOP', '1', 'wt', 'MIN'], ['ZRANDMEMBER', 'wt'],
      ['ZRANDMEMBER', 'wt', '0'], ['ZUNION', '1', 'wt'], ['ZINTER', '1', 'wt'], ['ZDIFF', '1', 'wt'],
      ['ZUNIONSTORE', 'd', '1', 'wt'], ['ZINTERSTORE', 'd', '1', 'wt'], ['ZDIFFSTORE', 'd', '1', 'wt'],
      ['ZINTERCARD', '1', 'wt'], ['ZSCAN', 'wt', '0'],
    ];
    steps.push(...wrongType);
    for (const name of ALL_COMMANDS) steps.push([name], [name, 'k']);
    steps.push(['ZCARD', 'k', 'x'], ['ZSCORE', 'k', 'a', 'b'], ['ZRANK', 'k', 'a', 'b', 'c'], ['ZINCRBY', 'k', '1', 'a', 'b'],
      ['ZCOUNT', 'k', '1', '2', '3'], ['ZREMRANGEBYRANK', 'k', '0', '1', '2']);
    await same(steps);
  });

  it('replies in RESP3 as Redis does', async () => {
    await same([
      ['HELLO', '3'],
      ['ZADD', 'z3', '1.1', 'a', '2', 'b', 'inf', 'c', '-inf', 'd'],
      ['ZSCORE', 'z3', 'a'], ['ZSCORE', 'z3', 'c'], ['ZSCORE', 'z3', 'nosuch'], ['ZMSCORE', 'z3', 'a', 'nosuch', 'd'],
      ['ZINCRBY', 'z3', '1', 'b'], ['ZADD', 'z3', 'INCR', '1', 'b'], ['ZADD', 'z3', 'XX', 'INCR', '1', 'nosuch'],
      ['ZRANK', 'z3', 'nosuch'], ['ZRANK', 'nokey', 'a'],
      ['ZRANGE', 'z3', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'z3', '0', '-1'], ['ZREVRANGEBYSCORE', 'z3', '+inf', '-inf', 'WITHSCORES'],
      ['ZUNION', '1', 'z3', 'WITHSCORES'], ['ZINTER', '1', 'z3'], ['ZDIFF', '1', 'z3', 'WITHSCORES'],
      ['ZRANDMEMBER', 'nokey'], ['ZRANDMEMBER', 'nokey', '1'], ['ZSCAN', 'z3', '0'],
      ['ZPOPMIN', 'z3'], ['ZPOPMIN', 'z3', '1'], ['ZPOPMAX', 'z3', '0'], ['ZPOPMAX', 'nokey'],
      ['ZMPOP', '1', 'z3', 'MAX'], ['ZMPOP', '1', 'nokey', 'MAX'],
      ['ZADD', 'z3one', '7', 'x'], ['ZRANDMEMBER', 'z3one', '2', 'WITHSCORES'], ['ZRANDMEMBER', 'z3one', '-2', 'WITHSCORES'],
    ]);
  });

  it('keeps the listpack encoding within the limits and switches to skiplist as Redis does', async () => {
    const many: string[] = [];
    for (let i = 0; i < 200; i++) many.push('1', `m${i % 100}`);
    const over: string[] = [];
    for (let i = 0; i < 129; i++) over.push(String(i), `o${i}`);
    await same([
      ['ZADD', 'ze1', ...many], ['OBJECT', 'ENCODING', 'ze1'],
      ['ZADD', 'ze2', ...over], ['OBJECT', 'ENCODING', 'ze2'], ['ZREM', 'ze2', 'o1', 'o2'], ['OBJECT', 'ENCODING', 'ze2'],
      ['ZADD', 'ze3', '1', 'x'.repeat(64)], ['OBJECT', 'ENCODING', 'ze3'],
      ['ZADD', 'ze3', '1', 'y'.repeat(65)], ['OBJECT', 'ENCODING', 'ze3'], ['ZREM', 'ze3', 'y'.repeat(65)], ['OBJECT', 'ENCODING', 'ze3'],
      ['ZUNIONSTORE', 'ze4', '1', 'ze3'], ['OBJECT', 'ENCODING', 'ze4'],
      ['ZRANGESTORE', 'ze5', 'ze2', '0', '5'], ['OBJECT', 'ENCODING', 'ze5'],
      ['ZRANGESTORE', 'ze5', 'ze2', '0', '-1'], ['OBJECT', 'ENCODING', 'ze5'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '2'],
      ['ZADD', 'ze6', '1', 'a', '2', 'b'], ['OBJECT', 'ENCODING', 'ze6'], ['ZADD', 'ze6', '3', 'c'], ['OBJECT', 'ENCODING', 'ze6'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '0'],
      ['ZADD', 'ze7', '1', 'a'], ['OBJECT', 'ENCODING', 'ze7'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
      ['CONFIG', 'SET', 'zset-max-listpack-value', '3'],
      ['ZADD', 'ze8', '1', 'abc'], ['OBJECT', 'ENCODING', 'ze8'], ['ZADD', 'ze8', '1', 'abcd'], ['OBJECT', 'ENCODING', 'ze8'],
      ['CONFIG', 'SET', 'zset-max-listpack-value', '64'],
    ]);
  });

  it('agrees on 10k-member sets, in full', async () => {
    const args: string[] = [];
    const args2: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      // Many equal scores so that member order decides, binary members included.
      args.push(String((i * 7919) % 101), `m${i}\x00\xff${String.fromCharCode(i % 256)}`);
      if (i % 3 === 0) args2.push(String(i / 7), `m${i}\x00\xff${String.fromCharCode(i % 256)}`);
    }
    await same([
      ['ZADD', 'zbig', ...args], ['ZADD', 'zbig2', ...args2], ['ZCARD', 'zbig'], ['OBJECT', 'ENCODING', 'zbig'],
      ['ZRANGE', 'zbig', '0', '-1', 'WITHSCORES'], ['ZREVRANGE', 'zbig', '0', '-1'],
      ['ZRANGEBYSCORE', 'zbig', '(10', '50', 'WITHSCORES', 'LIMIT', '100', '1000'],
      ['ZREVRANGEBYSCORE', 'zbig', '90', '(10', 'LIMIT', '5', '3000'],
      ['ZRANK', 'zbig', 'm5000\x00\xff\x88'], ['ZREVRANK', 'zbig', 'm5000\x00\xff\x88'], ['ZCOUNT', 'zbig', '(3', '70'],
      ['ZUNION', '2', 'zbig', 'zbig2', 'WITHSCORES'], ['ZINTER', '2', 'zbig', 'zbig2', 'WEIGHTS', '2', '3', 'WITHSCORES'],
      ['ZDIFF', '2', 'zbig', 'zbig2'], ['ZINTERCARD', '2', 'zbig', 'zbig2'],
      ['ZUNIONSTORE', 'zbig3', '2', 'zbig', 'zbig2', 'AGGREGATE', 'MAX'], ['ZRANGE', 'zbig3', '0', '-1', 'WITHSCORES'],
      ['ZREMRANGEBYSCORE', 'zbig', '10', '20'], ['ZREMRANGEBYRANK', 'zbig', '100', '2000'], ['ZPOPMIN', 'zbig', '50'],
      ['ZPOPMAX', 'zbig', '50'], ['ZRANGE', 'zbig', '0', '-1', 'WITHSCORES'],
      ['ZADD', 'zbiglex', ...args.map((a, i) => (i % 2 === 0 ? '0' : a))],
      ['ZRANGEBYLEX', 'zbiglex', '[m1', '(m5'], ['ZLEXCOUNT', 'zbiglex', '(m2', '+'], ['ZREMRANGEBYLEX', 'zbiglex', '-', '[m3'],
      ['ZRANGE', 'zbiglex', '0', '-1'],
    ]);
  });
});
