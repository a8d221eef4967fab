import { describe, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { blocked, call, expectSameScenario, read, send, type Action } from '../helpers/scenario.js';

const hasOracle = oracleAvailable();

describe.skipIf(!hasOracle)('differential: XREAD and XREADGROUP with BLOCK, several clients', () => {
  const servers = differentialPair();

  const same = (clients: number, actions: Action[]): Promise<void> => expectSameScenario(servers, clients, actions);

  it('XREAD: $ waits for what comes next, explicit IDs for what is after them, first blocked first served', async () => {
    await same(5, [
      call(0, 'XADD', 's', '1-1', 'a', '1'),
      send(1, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'), blocked(1),
      send(2, 'XREAD', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 's', '0'),
      send(3, 'XREAD', 'BLOCK', '0', 'STREAMS', 'nokey', 's', '0', '5-0'), blocked(2),
      send(4, 'XREAD', 'BLOCK', '0', 'STREAMS', 'other', 's', '$', '$'), blocked(3),
      read(2),
      call(0, 'XADD', 's', '2-1', 'b', '2'), call(0, 'XADD', 's', '2-2', 'b', '3'), read(1), read(4), blocked(1),
      call(0, 'XADD', 's', '4-0', 'c', '4'), blocked(1),
      call(0, 'XADD', 's', '5-0', 'c', '5'), blocked(1),
      call(0, 'XADD', 'nokey', '1-1', 'c', '6'), read(3), blocked(0),
    ]);
  });

  it('XREAD on several streams is served by the first that gets entries; XADD in MULTI wakes after EXEC', async () => {
    await same(4, [
      send(1, 'XREAD', 'BLOCK', '0', 'STREAMS', 'a', 'b', '$', '$'),
      send(2, 'XREAD', 'BLOCK', '0', 'STREAMS', 'b', 'a', '0', '0'), blocked(2),
      call(0, 'MULTI'), call(0, 'XADD', 'b', '1-1', 'x', '1'), call(0, 'XADD', 'a', '1-1', 'y', '1'), call(0, 'XADD', 'b', '1-2', 'x', '2'),
      call(0, 'EXEC'), read(1), read(2), blocked(0),
      send(3, 'XREAD', 'BLOCK', '0', 'STREAMS', 'a', '$'), blocked(1),
      call(0, 'MULTI'), call(0, 'XADD', 'a', '2-0', 'z', '1'), call(0, 'DEL', 'a'), call(0, 'EXEC'), blocked(1),
      call(0, 'XADD', 'a', '3-0', 'z', '2'), read(3),
    ]);
  });

  it('XREADGROUP >: consumers of a group share what comes, one after the other, with COUNT and NOACK', async () => {
    await same(5, [
      call(0, 'XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'),
      send(1, 'XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 's', '>'), blocked(1),
      send(2, 'XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 's', '>'), blocked(2),
      send(3, 'XREADGROUP', 'GROUP', 'g', 'c3', 'NOACK', 'BLOCK', '0', 'STREAMS', 's', '>'), blocked(3),
      call(0, 'XADD', 's', '1-1', 'a', '1'), read(1), blocked(2),
      // c2 takes one entry (COUNT 1), c3 the next.
      call(0, 'MULTI'), call(0, 'XADD', 's', '2-1', 'a', '2'), call(0, 'XADD', 's', '2-2', 'a', '3'), call(0, 'EXEC'), read(2), read(3), blocked(0),
      call(0, 'XADD', 's', '3-1', 'a', '4'),
      call(0, 'XPENDING', 's', 'g'), call(0, 'XINFO', 'GROUPS', 's'),
      send(4, 'XREADGROUP', 'GROUP', 'g', 'c4', 'BLOCK', '0', 'STREAMS', 's', '0'), read(4),
      send(4, 'XREADGROUP', 'GROUP', 'g', 'c4', 'BLOCK', '0', 'STREAMS', 's', '>'), read(4),
      send(4, 'XREADGROUP', 'GROUP', 'g', 'c4', 'BLOCK', '0', 'STREAMS', 's', '>'), blocked(1),
      // Moving the group back serves no one until the next XADD (Redis looks only then).
      call(0, 'XGROUP', 'SETID', 's', 'g', '0'), blocked(1),
      call(0, 'XDEL', 's', '1-1'), call(0, 'XTRIM', 's', 'MAXLEN', '3'), call(0, 'XSETID', 's', '9-0'), blocked(1),
      call(0, 'XADD', 's', '10-0', 'a', '5'), read(4), blocked(0),
      call(0, 'XPENDING', 's', 'g'), call(0, 'XINFO', 'GROUPS', 's'),
    ]);
  });

  it('a destroyed group answers -NOGROUP, a deleted or retyped stream -UNBLOCKED (XREAD keeps waiting)', async () => {
    await same(6, [
      call(0, 'XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'), call(0, 'XGROUP', 'CREATE', 's', 'h', '$'),
      send(1, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'),
      send(2, 'XREADGROUP', 'GROUP', 'h', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'),
      send(3, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'), blocked(3),
      call(0, 'XGROUP', 'DESTROY', 's', 'g'), read(1), blocked(2),
      call(0, 'DEL', 's'), read(2), blocked(1),
      call(0, 'XADD', 's', '1-1', 'a', '1'), read(3), blocked(0),
      call(0, 'XGROUP', 'CREATE', 's', 'g', '$'),
      send(4, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'),
      send(5, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'), blocked(2),
      call(0, 'SET', 's', 'now a string'), read(4), blocked(1),
      // Entries after the `$` of the stream it saw: none yet (1-1 again), then one.
      call(0, 'DEL', 's'), call(0, 'XADD', 's', '1-1', 'b', '2'), blocked(1), call(0, 'XADD', 's', '2-1', 'b', '3'), read(5), blocked(0),
      call(0, 'XGROUP', 'CREATE', 's', 'g', '$'),
      send(1, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'), blocked(1),
      call(0, 'FLUSHALL'), read(1), blocked(0),
      call(0, 'XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'),
      send(2, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'),
      send(3, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'), blocked(2),
      // Another stream renamed over it: its group is not there (-NOGROUP), its entries serve XREAD.
      call(0, 'XADD', 't', '5-5', 'k', 'v'), call(0, 'RENAME', 't', 's'), read(2), read(3), blocked(0),
      // A stream that expires (found by the active expiry cycle).
      call(0, 'XGROUP', 'CREATE', 's', 'g', '$'),
      send(4, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'), blocked(1),
      call(0, 'PEXPIRE', 's', '20'), blocked(0), read(4),
    ]);
  });

  it('a stream renamed, restored or swapped in serves its XREAD clients', async () => {
    await same(4, [
      call(0, 'XADD', 'src', '5-0', 'a', '1'), call(0, 'XADD', 'dst', '1-0', 'b', '1'),
      send(1, 'XREAD', 'BLOCK', '0', 'STREAMS', 'dst', '$'),
      send(2, 'XREAD', 'BLOCK', '0', 'STREAMS', 'fresh', '3-0'), blocked(2),
      call(0, 'RENAME', 'src', 'dst'), read(1), blocked(1),
      call(0, 'SELECT', '1'), call(0, 'XADD', 'fresh', '4-0', 'c', '1'), call(0, 'SWAPDB', '0', '1'), read(2), blocked(0),
      call(0, 'SELECT', '0'),
      send(3, 'XREAD', 'BLOCK', '0', 'STREAMS', 'copy', '0'), blocked(1),
      call(0, 'COPY', 'fresh', 'copy'), read(3), blocked(0),
    ]);
  });

  it('times out, is unblocked by CLIENT UNBLOCK, and answers at once inside MULTI', async () => {
    await same(4, [
      send(1, 'XREAD', 'BLOCK', '30', 'STREAMS', 's', '$'), blocked(1), read(1),
      { resp3: 2 },
      send(2, 'XREAD', 'BLOCK', '30', 'STREAMS', 's', '$'), read(2),
      // Served in RESP3: a map of one stream.
      send(2, 'XREAD', 'BLOCK', '0', 'STREAMS', 'r3', '$'), blocked(1), call(0, 'XADD', 'r3', '1-1', 'k', 'v'), read(2),
      call(0, 'XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'),
      send(3, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'), blocked(1),
      { unblock: 3 }, read(3),
      send(3, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'), blocked(1),
      { unblock: 3, how: 'ERROR' }, read(3), blocked(0),
      call(1, 'MULTI'), call(1, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'), call(1, 'XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'),
      call(1, 'EXEC'),
      send(2, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'), blocked(1),
      call(0, 'XADD', 's', '1-1', 'a', '1'), read(2),
      send(1, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'), blocked(1), { close: 1 }, blocked(0),
      call(0, 'XINFO', 'GROUPS', 's'),
    ]);
  });
  it('an XADD run by EVAL or by a library function serves blocked XREAD and XREADGROUP clients', async () => {
    const lib = "#!lua name=xlib\nredis.register_function('xadd2', function(keys, args) redis.call('XADD', keys[1], args[1], 'f', 'v1'); return redis.call('XADD', keys[2], args[2], 'f', 'v2') end)";
    await same(5, [
      call(0, 'FUNCTION', 'LOAD', 'REPLACE', lib),
      call(0, 'XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'),
      send(1, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'),
      send(2, 'XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 's', '>'), blocked(2),
      call(0, 'EVAL', "redis.call('XADD', KEYS[1], '1-1', 'a', '1'); return redis.call('XADD', KEYS[1], '1-2', 'a', '2')", '1', 's'),
      read(1), read(2), blocked(0),
      send(1, 'XREAD', 'BLOCK', '0', 'STREAMS', 't', 's', '$', '$'),
      send(2, 'XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 's', '>'),
      send(3, 'XREADGROUP', 'GROUP', 'g', 'c3', 'BLOCK', '0', 'STREAMS', 's', '>'), blocked(3),
      call(0, 'FCALL', 'xadd2', '2', 's', 't', '2-1', '5-1'), read(1), read(2), blocked(1),
      call(0, 'FCALL', 'xadd2', '2', 't', 's', '6-1', '3-1'), read(3), blocked(0),
      send(4, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'), blocked(1),
      // A script that adds and then deletes the stream leaves nothing to serve.
      call(0, 'EVAL', "redis.call('XADD', KEYS[1], '9-1', 'a', '1'); return redis.call('DEL', KEYS[1])", '1', 's'), blocked(1),
      call(0, 'XADD', 's', '10-1', 'b', '1'), read(4), blocked(0),
      call(0, 'XPENDING', 's', 'g'), call(0, 'XINFO', 'GROUPS', 't'), call(0, 'FUNCTION', 'DELETE', 'xlib'),
    ]);
  });

  it('XREAD and XREADGROUP with BLOCK inside a script answer as Redis does, without blocking', async () => {
    await same(2, [
      call(0, 'XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'),
      call(0, 'EVAL', "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')", '1', 's'),
      call(0, 'EVAL', "return redis.call('XREAD', 'BLOCK', '100', 'STREAMS', KEYS[1], '0')", '1', 's'),
      call(0, 'EVAL', "return redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', KEYS[1], '>')", '1', 's'),
      call(0, 'EVAL', "return redis.pcall('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')", '1', 's'),
      call(0, 'EVAL', "return redis.pcall('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', KEYS[1], '>')", '1', 's'),
      call(0, 'EVAL', "return type(redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$'))", '1', 's'),
      call(0, 'XADD', 's', '1-1', 'a', '1'),
      call(0, 'EVAL', "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '0')", '1', 's'),
      call(0, 'EVAL', "return redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', KEYS[1], '>')", '1', 's'),
      call(0, 'EVAL', "return redis.call('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', KEYS[1], '>')", '1', 's'),
      call(0, 'EVAL_RO', "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')", '1', 's'),
      call(0, 'XPENDING', 's', 'g'), blocked(0),
      send(1, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'), blocked(1),
      call(0, 'EVAL', "return redis.call('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')", '1', 's'), blocked(1),
      call(0, 'XADD', 's', '2-1', 'a', '2'), read(1),
    ]);
  });

  it('XREADGROUP BLOCK on several streams: served by the first that gets entries, in MULTI one client per stream', async () => {
    await same(5, [
      call(0, 'XGROUP', 'CREATE', 'a', 'g', '$', 'MKSTREAM'), call(0, 'XGROUP', 'CREATE', 'b', 'g', '$', 'MKSTREAM'),
      send(1, 'XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 'a', 'b', '>', '>'), blocked(1),
      call(0, 'XADD', 'b', '1-1', 'x', '1'), read(1), blocked(0),
      send(1, 'XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 'a', 'b', '>', '>'),
      send(2, 'XREADGROUP', 'GROUP', 'g', 'c2', 'BLOCK', '0', 'STREAMS', 'b', 'a', '>', '>'), blocked(2),
      call(0, 'MULTI'), call(0, 'XADD', 'b', '2-1', 'x', '2'), call(0, 'XADD', 'a', '2-1', 'y', '1'), call(0, 'XADD', 'b', '2-2', 'x', '3'),
      call(0, 'EXEC'), read(1), read(2), blocked(0),
      call(0, 'XINFO', 'GROUPS', 'a'), call(0, 'XINFO', 'GROUPS', 'b'),
      call(0, 'XPENDING', 'a', 'g'), call(0, 'XPENDING', 'b', 'g'),
      // A stream with no such group among them: -NOGROUP at once, not a wait.
      call(0, 'XADD', 'nog', '1-1', 'k', 'v'),
      send(3, 'XREADGROUP', 'GROUP', 'g', 'c3', 'BLOCK', '0', 'STREAMS', 'a', 'nog', '>', '>'), read(3),
      // Timeout: a nil reply, and no consumer c4 in the group.
      send(4, 'XREADGROUP', 'GROUP', 'g', 'c4', 'BLOCK', '50', 'STREAMS', 'a', 'b', '>', '>'), blocked(1), read(4), blocked(0),
      call(0, 'XINFO', 'GROUPS', 'a'),
      { resp3: 4 },
      send(4, 'XREADGROUP', 'GROUP', 'g', 'c4', 'BLOCK', '30', 'STREAMS', 'a', '>'), read(4),
    ]);
  });

  it('CLIENT UNBLOCK of a blocked XREAD: TIMEOUT answers nil, ERROR -UNBLOCKED', async () => {
    await same(3, [
      send(1, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'), blocked(1),
      { unblock: 1 }, read(1), blocked(0),
      send(1, 'XREAD', 'COUNT', '2', 'BLOCK', '0', 'STREAMS', 's', 't', '0', '0'), blocked(1),
      { unblock: 1, how: 'TIMEOUT' }, read(1),
      send(2, 'XREAD', 'BLOCK', '5000', 'STREAMS', 's', '$'), blocked(1),
      { unblock: 2, how: 'ERROR' }, read(2), blocked(0),
      { unblock: 2, how: 'ERROR' },
      { resp3: 1 },
      send(1, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'), blocked(1), { unblock: 1 }, read(1),
      call(0, 'XADD', 's', '1-1', 'a', '1'), blocked(0),
    ]);
  });
});
