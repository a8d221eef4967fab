import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { blocked, call, expectSameScenario, read, send, type Action } from '../helpers/scenario.js';

const hasOracle = oracleAvailable();

describe.skipIf(!hasOracle)('differential: blocking commands with several clients', () => {
  const servers = differentialPair();

  const same = (clients: number, actions: Action[]): Promise<void> => expectSameScenario(servers, clients, actions);

  it('serves clients first come, first served across several keys and both types', async () => {
    await same(6, [
      send(1, 'BLPOP', 'a', 'b', '0'), blocked(1),
      send(2, 'BLPOP', 'b', 'a', '0'), blocked(2),
      send(3, 'BRPOP', 'a', '0'), blocked(3),
      send(4, 'BZPOPMIN', 'z', '0'), blocked(4),
      send(5, 'BZMPOP', '0', '2', 'z', 'y', 'MAX', 'COUNT', '2'), blocked(5),
      { info: true },
      call(0, 'RPUSH', 'b', 'x1', 'x2', 'x3'), read(1), read(2), blocked(3),
      call(0, 'LRANGE', 'b', '0', '-1'),
      call(0, 'RPUSH', 'a', 'y1', 'y2'), read(3), blocked(2),
      call(0, 'ZADD', 'y', '1', 'm1', '2', 'm2', '3', 'm3'), read(5), blocked(1),
      call(0, 'ZADD', 'z', '5', 'q', '6', 'r'), read(4), blocked(0),
      call(0, 'ZRANGE', 'z', '0', '-1', 'WITHSCORES'), call(0, 'ZRANGE', 'y', '0', '-1'), call(0, 'LRANGE', 'a', '0', '-1'),
    ]);
  });

  it('wakes clients only after EXEC, with what the transaction left', async () => {
    await same(4, [
      send(1, 'BLPOP', 'l', '0'), send(2, 'BZPOPMIN', 'zl', '0'), blocked(2),
      call(0, 'MULTI'), call(0, 'RPUSH', 'l', 'a', 'b'), call(0, 'RPOP', 'l'), call(0, 'ZADD', 'zl', '1', 'x'), call(0, 'ZREM', 'zl', 'x'),
      call(0, 'EXEC'), read(1), blocked(1),
      call(0, 'MULTI'), call(0, 'ZADD', 'zl', '1', 'x'), call(0, 'DEL', 'zl'), call(0, 'SET', 'zl', 's'), call(0, 'EXEC'), blocked(1),
      call(0, 'DEL', 'zl'), call(0, 'ZADD', 'zl', '2', 'y', '3', 'z'), read(2), blocked(0),
      call(3, 'MULTI'), call(3, 'BLPOP', 'none', '0'), call(3, 'BZPOPMAX', 'none', '0'), call(3, 'BLMOVE', 'none', 'x', 'LEFT', 'LEFT', '0'),
      call(3, 'BZMPOP', '0', '1', 'none', 'MIN'), call(3, 'BLMPOP', '0', '1', 'none', 'LEFT'), call(3, 'BRPOPLPUSH', 'none', 'x', '0'),
      call(3, 'EXEC'), blocked(0),
    ]);
  });

  it('does not wake a client with a key of another type; serves it when its type comes back', async () => {
    await same(3, [
      send(1, 'BLPOP', 'k', '0'), send(2, 'BZPOPMIN', 'k', '0'), blocked(2),
      call(0, 'SET', 'k', 'str'), call(0, 'HSET', 'k2', 'f', 'v'), call(0, 'RENAME', 'k2', 'k'), blocked(2),
      call(0, 'DEL', 'k'), call(0, 'SADD', 'k', 'm'), blocked(2), call(0, 'DEL', 'k'),
      call(0, 'ZADD', 'k', '1', 'm'), read(2), blocked(1), call(0, 'EXISTS', 'k'),
      call(0, 'ZADD', 'k', '1', 'm'), call(0, 'RENAME', 'k', 'kz'), call(0, 'RPUSH', 'kl', 'e'), call(0, 'RENAME', 'kl', 'k'),
      read(1), blocked(0), call(0, 'EXISTS', 'k', 'kl', 'kz'),
    ]);
  });

  it('chains BLMOVE through several waiting clients, and BZMPOP through stores', async () => {
    await same(6, [
      send(1, 'BLMOVE', 's1', 's2', 'LEFT', 'RIGHT', '0'), send(2, 'BLMOVE', 's2', 's3', 'LEFT', 'LEFT', '0'),
      send(3, 'BRPOPLPUSH', 's3', 's4', '0'), send(4, 'BLMPOP', '0', '1', 's4', 'RIGHT', 'COUNT', '5'), blocked(4),
      call(0, 'RPUSH', 's1', 'v', 'w'), read(1), read(2), read(3), read(4), blocked(0),
      call(0, 'LRANGE', 's1', '0', '-1'), call(0, 'LRANGE', 's2', '0', '-1'), call(0, 'EXISTS', 's3', 's4'),
      send(1, 'BZMPOP', '0', '1', 'zd', 'MIN', 'COUNT', '2'), send(2, 'BZPOPMAX', 'zd', '0'), send(5, 'BZPOPMIN', 'zd', '0'), blocked(3),
      call(0, 'ZADD', 'zs', '1', 'a', '2', 'b', '3', 'c', '4', 'd'), call(0, 'ZUNIONSTORE', 'zd', '1', 'zs'),
      read(1), read(2), read(5), blocked(0), call(0, 'ZRANGE', 'zd', '0', '-1', 'WITHSCORES'),
      send(1, 'BZPOPMIN', 'zr', '0'), blocked(1), call(0, 'ZRANGESTORE', 'zr', 'zs', '2', '3'), read(1),
      send(2, 'BLPOP', 'lm', '0'), blocked(1), call(0, 'RPUSH', 'lsrc', 'e'), call(0, 'LMOVE', 'lsrc', 'lm', 'LEFT', 'LEFT'), read(2),
    ]);
  });

  it('times out after fractional seconds, in RESP2 and RESP3', async () => {
    const t0 = Date.now();
    await same(5, [
      { resp3: 4 },
      send(1, 'BLPOP', 't', '0.05'), send(2, 'BZPOPMIN', 't2', '0.1'), send(3, 'BLMOVE', 'x', 'y', 'LEFT', 'LEFT', '0.02'),
      send(4, 'BZMPOP', '0.05', '1', 't3', 'MIN'),
      read(1), read(2), read(3), read(4), blocked(0),
      send(4, 'BLMPOP', '0.01', '1', 't', 'LEFT'), read(4), send(4, 'BRPOPLPUSH', 't', 'u', '0.01'), read(4),
    ]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
  });

  it('leaves nothing behind when blocked clients disconnect', async () => {
    await same(4, [
      send(1, 'BLPOP', 'd', '0'), send(2, 'BZPOPMIN', 'dz', '0'), send(3, 'BLMOVE', 'd', 'e', 'LEFT', 'LEFT', '10'), blocked(3),
      { close: 1 }, { close: 2 }, blocked(1), { close: 3 }, blocked(0), { info: true },
      call(0, 'RPUSH', 'd', 'a'), call(0, 'ZADD', 'dz', '1', 'a'), call(0, 'LLEN', 'd'), call(0, 'ZCARD', 'dz'), call(0, 'EXISTS', 'e'),
    ]);
  });

  it('is unblocked by CLIENT UNBLOCK as a timeout or with an error', async () => {
    await same(4, [
      { resp3: 3 },
      send(1, 'BZMPOP', '0', '1', 'u', 'MIN'), send(2, 'BLMOVE', 'u1', 'u2', 'LEFT', 'LEFT', '0'), send(3, 'BLPOP', 'u3', '0'), blocked(3),
      { unblock: 1 }, read(1), { unblock: 2, how: 'ERROR' }, read(2), { unblock: 3, how: 'TIMEOUT' }, read(3), blocked(0),
      { unblock: 1 }, { unblock: 0, how: 'ERROR' }, { info: true },
      call(0, 'RPUSH', 'u1', 'x'), call(0, 'LLEN', 'u1'),
    ]);
  });
});
