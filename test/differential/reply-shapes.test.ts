import { describe, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';

const hasOracle = oracleAvailable();

/** Client ids, ports, ages and clocks legitimately differ between the two servers. */
function mask(raw: string): string {
  return raw
    .replace(/(\$2\r\nid\r\n):\d+/g, '$1:<id>')
    .replace(/(\$7\r\nversion\r\n)\$\d+\r\n[^\r]*/g, '$1<version>')
    .replace(/id=\d+ addr=\S+ laddr=\S+ fd=\d+/g, 'id=<id> addr=<addr> laddr=<addr> fd=<fd>')
    .replace(/age=\d+ idle=\d+/g, 'age=<n> idle=<n>')
    .replace(/(qbuf|qbuf-free|argv-mem|multi-mem|rbs|rbp|omem|tot-mem)=\d+/g, '$1=<n>')
    .replace(/^[$=]\d+\r\n(txt:)?id=<id>/, '<len>$1id=<id>')
    // Fewer commands are implemented than Redis has: COMMAND COUNT is compared by its shape.
    .replace(/^:\d{3}\r\n$/, ':<count>\r\n');
}

/**
 * One broad script of every reply kind: bulk, integer, null, array, map, set, double, boolean,
 * verbatim, errors, in each group of commands. Run as it is under RESP2 and RESP3.
 */
function script(): Step[] {
  return [
    // strings
    ['SET', 's', '10'], ['GET', 's'], ['GET', 'nosuch'], ['SET', 's', 'x', 'NX'], ['SET', 's', '11', 'GET'],
    ['INCR', 's'], ['INCRBYFLOAT', 's', '1.5'], ['MGET', 's', 'nosuch'], ['GETEX', 'nosuch'], ['GETDEL', 'nosuch'],
    ['STRLEN', 's'], ['SETRANGE', 's', '0', 'ab'], ['GETRANGE', 's', '0', '-1'], ['APPEND', 's', '\x00\xff'],
    ['MSETNX', 'a1', 'x', 'a2', 'y'], ['LCS', 'a1', 'a2'], ['LCS', 'a1', 'a2', 'IDX', 'WITHMATCHLEN'], ['LCS', 'a1', 'a2', 'LEN'],
    ['INCR', 'a1'], ['SETEX', 's', '-1', 'v'],
    // keys
    ['EXISTS', 's', 'nosuch'], ['TYPE', 's'], ['TYPE', 'nosuch'], ['EXPIRE', 's', '100'], ['TTL', 's'], ['PERSIST', 's'],
    ['TTL', 's'], ['PTTL', 'nosuch'], ['EXPIRETIME', 's'], ['SET', 'e', 'abc'], ['OBJECT', 'ENCODING', 'e'],
    ['OBJECT', 'ENCODING', 'nosuch'], ['DEL', 'e'],
    ['OBJECT', 'REFCOUNT', 's'], ['OBJECT', 'FREQ', 's'], ['RENAME', 'nosuch', 'x'], ['COPY', 's', 'scopy'], ['MOVE', 's', '1'],
    { sorted: ['KEYS', '*'] }, ['SCAN', '0', 'MATCH', 'nomatch*'], ['DEL', 'scopy', 'a1', 'a2'], ['RANDOMKEY'], ['DEL', 's'],
    ['RANDOMKEY'], ['KEYS', '*'], ['TOUCH', 'nosuch'], ['DBSIZE'],
    // hashes
    ['HSET', 'h', 'f1', 'v1', 'f2', '2'], ['HGET', 'h', 'f1'], ['HGET', 'h', 'nosuch'], ['HGETALL', 'h'], ['HGETALL', 'nosuch'],
    ['HMGET', 'h', 'f1', 'nosuch'], ['HKEYS', 'h'], ['HVALS', 'h'], ['HLEN', 'h'], ['HEXISTS', 'h', 'f1'],
    ['HINCRBYFLOAT', 'h', 'f2', '0.5'], ['HRANDFIELD', 'nosuch'], ['HRANDFIELD', 'nosuch', '2'],
    ['HRANDFIELD', 'nosuch', '2', 'WITHVALUES'], ['HSCAN', 'h', '0'], ['HSTRLEN', 'h', 'f1'], ['HGET', 's', 'f'],
    // sets
    ['SADD', 'st', 'a', 'b', 'c'], { sorted: ['SMEMBERS', 'st'] }, ['SMEMBERS', 'nosuch'], ['SISMEMBER', 'st', 'a'],
    ['SMISMEMBER', 'st', 'a', 'z'], ['SINTER', 'st', 'nosuch'], ['SUNION', 'nosuch'], ['SDIFF', 'nosuch', 'st'],
    ['SCARD', 'st'], ['SPOP', 'nosuch'], ['SPOP', 'nosuch', '2'], ['SRANDMEMBER', 'nosuch'], ['SRANDMEMBER', 'nosuch', '3'],
    ['SINTERCARD', '1', 'st'], ['SADD', 'si', '1', '2'], ['SMEMBERS', 'si'], ['SSCAN', 'si', '0'],
    // sorted sets
    ['ZADD', 'z', '1', 'a', '2.5', 'b', '-inf', 'c'], ['ZSCORE', 'z', 'b'], ['ZSCORE', 'z', 'nosuch'], ['ZSCORE', 'z', 'c'],
    ['ZMSCORE', 'z', 'a', 'nosuch'], ['ZRANGE', 'z', '0', '-1'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
    ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'WITHSCORES'], ['ZREVRANGE', 'z', '0', '0', 'WITHSCORES'],
    ['ZINCRBY', 'z', '0.1', 'a'], ['ZADD', 'z', 'INCR', '1', 'a'], ['ZADD', 'z', 'NX', 'INCR', '1', 'a'],
    ['ZRANK', 'z', 'a'], ['ZRANK', 'z', 'nosuch'], ['ZPOPMIN', 'z'], ['ZPOPMAX', 'z', '2'], ['ZPOPMIN', 'nosuch'],
    ['ZADD', 'z', '1', 'a', '2', 'b'], ['ZRANDMEMBER', 'nosuch'], ['ZRANDMEMBER', 'nosuch', '2', 'WITHSCORES'],
    ['ZMPOP', '1', 'z', 'MIN'], ['ZMPOP', '1', 'nosuch', 'MIN'], ['ZUNION', '1', 'z', 'WITHSCORES'],
    ['ZINTER', '2', 'z', 'nosuch', 'WITHSCORES'], ['ZSCAN', 'z', '0'], ['ZCARD', 'z'], ['ZLEXCOUNT', 'z', '-', '+'],
    ['BZPOPMIN', 'z', '0'], ['BZPOPMIN', 'nosuch', '0.01'], ['BZMPOP', '0.01', '1', 'nosuch', 'MAX'],
    // lists
    ['RPUSH', 'l', 'a', 'b', 'c'], ['LRANGE', 'l', '0', '-1'], ['LRANGE', 'nosuch', '0', '-1'], ['LINDEX', 'l', '9'],
    ['LPOP', 'nosuch'], ['LPOP', 'nosuch', '2'], ['LPOP', 'l', '0'], ['LPOS', 'l', 'b'], ['LPOS', 'l', 'z'],
    ['LPOS', 'l', 'b', 'COUNT', '0'], ['LMPOP', '1', 'l', 'LEFT'], ['LMPOP', '1', 'nosuch', 'LEFT'],
    ['BLPOP', 'l', '0'], ['BLPOP', 'nosuch', '0.01'], ['BLMPOP', '0.01', '1', 'nosuch', 'LEFT'], ['LLEN', 'l'],
    ['BRPOPLPUSH', 'nosuch', 'x', '0.01'],
    // errors and wrong types
    ['LPUSH', 'h', 'x'], ['GET', 'h'], ['NOSUCHCMD', 'a'], ['GET'], ['OBJECT', 'NOSUCH'],
    // server and connection
    ['PING'], ['PING', 'x'], ['ECHO', 'e'], ['SELECT', '0'], ['DBSIZE'], ['TIME', 'x'], ['LASTSAVE', 'x'],
    ['ROLE'], ['WAIT', '0', '0'], ['SLOWLOG', 'LEN', 'x'], ['LATENCY', 'LATEST'], ['LATENCY', 'HISTORY', 'command'],
    ['CONFIG', 'GET', 'maxmemory'], ['CONFIG', 'GET', 'nosuch*'], ['CONFIG', 'GET', 'databases'],
    ['MEMORY', 'USAGE', 'nosuch'], ['SWAPDB', '0', '0'], ['FLUSHDB', 'x'],
    ['CLIENT', 'ID', 'x'], ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', 'shapes'], ['CLIENT', 'GETNAME'],
    ['CLIENT', 'INFO'], ['CLIENT', 'LIST', 'ID', '999999'], ['CLIENT', 'NO-EVICT', 'off'], ['CLIENT', 'TRACKINGINFO'],
    ['CLIENT', 'GETREDIR'], ['CLIENT', 'UNBLOCK', '999999'], ['CLIENT', 'KILL', 'ID', '999999'],
    ['COMMAND', 'COUNT'], ['COMMAND', 'INFO', 'get', 'nosuch'], ['COMMAND', 'GETKEYS', 'set', 'k', 'v'],
    { sorted: ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'zrangeby*'] }, ['COMMAND', 'DOCS', 'nosuch'],
    // transactions
    ['MULTI'], ['SET', 'tk', '1'], ['GET', 'tk'], ['ZSCORE', 'z', 'b'], ['HGETALL', 'h'], ['EXEC'],
    ['MULTI'], ['GET', 'tk'], ['NOSUCH'], ['EXEC'], ['EXEC'], ['DISCARD'],
    ['FLUSHALL'],
  ];
}

/** The same script with command names in upper, lower and mixed case. */
function mixedCase(steps: Step[]): Step[] {
  let n = 0;
  const flip = (name: string): string => {
    n++;
    if (n % 3 === 0) return name.toLowerCase();
    if (n % 3 === 1) return name.toUpperCase();
    return [...name].map((c, i) => (i % 2 === 0 ? c.toLowerCase() : c.toUpperCase())).join('');
  };
  return steps.map((step) => {
    if (Array.isArray(step)) return [flip(step[0] as string), ...step.slice(1)];
    if ('sorted' in step) return { sorted: [flip(step.sorted[0] as string), ...step.sorted.slice(1)] };
    return step;
  });
}

describe.skipIf(!hasOracle)('differential: reply shapes in RESP2 and RESP3', () => {
  const servers = differentialPair();

  it('RESP2, command names in any case', async () => {
    await servers.same([['FLUSHALL'], ...mixedCase(script())], mask);
  });

  it('RESP3 after HELLO 3: every reply kind byte for byte', async () => {
    await servers.same([['FLUSHALL'], ['HELLO', '3'], ...script()], mask);
  });

  it('RESP3 subcommands and options in mixed case', async () => {
    await servers.same(
      [
        ['hello', '3'], ['Client', 'SetName', 'mixed'], ['client', 'getname'], ['CONFIG', 'get', 'HZ'],
        ['Object', 'Encoding', 'nosuch'], ['command', 'count'], ['Command', 'Info', 'GET'], ['zadd', 'z', 'nx', 'ch', '1', 'a'],
        ['Zrange', 'z', '0', '-1', 'withscores'], ['Set', 'k', 'v', 'ex', '100', 'get'], ['lpos', 'nosuch', 'a', 'rank', '1'],
        ['scan', '0', 'match', 'z', 'count', '10', 'type', 'zset'], ['HELLO', '2'], ['zrange', 'z', '0', '-1', 'WithScores'],
      ],
      mask,
    );
  });
});
