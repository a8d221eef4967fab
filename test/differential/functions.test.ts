/**
 * FUNCTION and FCALL against Redis 7.0, raw replies byte for byte: loading libraries (shebang
 * and engine errors, both forms of redis.register_function and their errors, what library code
 * may touch at load time), FCALL and FCALL_RO with function flags, LIST/STATS in RESP2 and
 * RESP3, DELETE/FLUSH, DUMP/RESTORE payloads exchanged both ways, KILL and HELP.
 */
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, maskClientId, type Step } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import { createFunctionsPayload } from '../../src/persistence/rdb/index.js';

const hasOracle = oracleAvailable();

const LIB1 =
  "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return {keys[1], args[1]} end)\n" +
  "redis.register_function{function_name='f2', callback=function(k, a) return redis.call('set', k[1], a[1]) end, flags={'no-writes'}, description='desc two'}";
const lib = (name: string, body: string): string => `#!lua name=${name}\n${body}`;
const one = (name: string, fn: string, body: string): string => lib(name, `redis.register_function('${fn}', function(keys, args) ${body} end)`);

describe.skipIf(!hasOracle)('differential: functions', () => {
  const servers = differentialPair();

  async function same(steps: Step[]): Promise<void> {
    await servers.same([['FUNCTION', 'FLUSH'], ['FLUSHALL'], ...steps], maskClientId);
  }

  it('loads libraries and answers the load errors as Redis does', async () => {
    await same([
      ['FUNCTION', 'LOAD', LIB1],
      ['FUNCTION', 'LOAD', LIB1],
      ['FUNCTION', 'LOAD', 'REPLACE', LIB1],
      ['FUNCTION', 'LOAD', 'foo', LIB1],
      ['FUNCTION', 'LOAD', one('lib3', 'f1', 'return 1')],
      ['FUNCTION', 'LOAD', one('lib3', 'F1', 'return 1')],
      ['FUNCTION', 'LOAD', one('lib3', 'f 1', 'return 1')],
      ['FUNCTION', 'LOAD', one('lib-3', 'g', 'return 1')],
      ['FUNCTION', 'LOAD', '#!lua\nx'],
      ['FUNCTION', 'LOAD', '#!js name=a\nx'],
      ['FUNCTION', 'LOAD', 'lua name=a'],
      ['FUNCTION', 'LOAD', '#!lua name=a'],
      ['FUNCTION', 'LOAD', '#!lua name=a foo=b\nx'],
      ['FUNCTION', 'LOAD', '#!lua name=a name=b\nx'],
      ['FUNCTION', 'LOAD', '#!LUA name=upper\nredis.register_function("up", function() return 1 end)'],
      ['FUNCTION', 'LOAD', lib('c1', 'x(')],
      ['FUNCTION', 'LOAD', lib('c1', 'return 1')],
      ['FUNCTION', 'LOAD', lib('c1', "redis.call('ping')")],
      ['FUNCTION', 'LOAD', lib('c1', "redis.register_function('g', function() return 1 end)\nx = 5")],
      ['FUNCTION', 'LOAD', lib('c1', "error('boom')")],
      ['FUNCTION', 'LOAD', lib('c1', "local t = string.format('%d', 1)")],
      ['FUNCTION', 'LOAD', lib('c1', "local t = {}\nfor k, v in pairs(t) do end")],
      ['FUNCTION', 'LOAD', lib('c1', "redis.register_function('g', function() return 1 end)\nreturn KEYS[1]")],
      ['FUNCTION', 'LOAD', lib('c1', "local s = 'x'\nredis.register_function('uses_string', function() return string.upper(s) end)")],
      ['FCALL', 'uses_string', '0'],
      ['FUNCTION', 'LOAD', lib('c2', "redis.register_function('g2', function() return 1 end)\nredis.setresp(3)")],
      ['FUNCTION', 'LOAD', lib('c1', "redis.log(redis.LOG_NOTICE, 'loading') redis.register_function('logged', function() return redis.REDIS_VERSION_NUM > 0 end)")],
      ['FCALL', 'logged', '0'],
    ]);
  });

  it('checks the arguments of redis.register_function', async () => {
    const bodies = [
      "redis.register_function()",
      "redis.register_function('a', function() end, 3)",
      "redis.register_function('a')",
      "redis.register_function({}, function() end)",
      "redis.register_function(5, function() return 5 end)",
      "redis.register_function('a', 'b')",
      "redis.register_function('x')",
      "redis.register_function{function_name='a'}",
      "redis.register_function{callback=function() end}",
      "redis.register_function{function_name=1, callback=function() end}",
      "redis.register_function{function_name='a', callback=1}",
      "redis.register_function{function_name='a', callback=function() end, description=2}",
      "redis.register_function{function_name='a', callback=function() end, flags='no-writes'}",
      "redis.register_function{function_name='a', callback=function() end, flags={'bad'}}",
      "redis.register_function{function_name='a', callback=function() end, other=1}",
      "redis.register_function{[1]='a', callback=function() end}",
      "redis.register_function{FUNCTION_NAME='a', CALLBACK=function() return 'a' end}",
      "redis.register_function('d', function() end) redis.register_function('d', function() end)",
      "redis.register_function{function_name='e', callback=function() return 1 end, flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}",
    ];
    await same(bodies.map((body, i) => ['FUNCTION', 'LOAD', lib(`r${i}`, body)]));
    await same([['FUNCTION', 'LOAD', lib('rr', bodies[18] as string)], ['FUNCTION', 'LIST']]);
  });

  it('calls functions with FCALL and FCALL_RO under their flags', async () => {
    await same([
      ['FUNCTION', 'LOAD', LIB1],
      ['FCALL', 'f1', '1', 'a', 'b'],
      ['FCALL', 'F1', '1', 'a', 'b'],
      ['FCALL', 'f2', '1', 'a', 'b'],
      ['FCALL_RO', 'f1', '0'],
      ['FCALL_RO', 'f2', '1', 'k', 'v'],
      ['FCALL', 'nope', '0'],
      ['FCALL', 'f1', 'x'],
      ['FCALL', 'f1', '5'],
      ['FCALL', 'f1', '-1'],
      ['FCALL'],
      ['FUNCTION', 'LOAD', one('w', 'setit', "return redis.call('set', keys[1], args[1])")],
      ['FCALL', 'setit', '1', 'k', 'v'],
      ['GET', 'k'],
      ['FCALL_RO', 'setit', '1', 'k', 'v'],
      ['FUNCTION', 'LOAD', lib('ro', "redis.register_function{function_name='getit', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}")],
      ['FCALL_RO', 'getit', '1', 'k'],
      ['FCALL', 'getit', '1', 'k'],
      ['FUNCTION', 'LOAD', one('errs', 'boom', 'return undefinedvar')],
      ['FCALL', 'boom', '0'],
      ['FUNCTION', 'LOAD', one('errs2', 'boom2', "return error('xx')")],
      ['FCALL', 'boom2', '0'],
      ['FUNCTION', 'LOAD', one('errs3', 'boom3', "return redis.call('incr', 'k')")],
      ['FCALL', 'boom3', '0'],
      ['FUNCTION', 'LOAD', one('errs4', 'reg', "redis.register_function('z', function() end)")],
      ['FCALL', 'reg', '0'],
      ['FUNCTION', 'LOAD', one('multi', 'many', 'return 1, 2')],
      ['FCALL', 'many', '0'],
      ['FUNCTION', 'LOAD', one('tbl', 'tbl', "return {1, 'two', {err='x'}, {ok='fine'}, 2.5}")],
      ['FCALL', 'tbl', '0'],
      ['MULTI'],
      ['FCALL', 'setit', '1', 'm', '1'],
      ['FCALL_RO', 'getit', '1', 'm'],
      ['EXEC'],
      ['EVAL', "return redis.call('fcall', 'setit', 1, 'k', 'v')", '0'],
      ['EVAL', "return redis.call('function', 'list')", '0'],
      ['FUNCTION', 'LOAD', one('globals', 'glob', 'return KEYS')],
      ['FUNCTION', 'LOAD', one('cjs', 'cjs', "return cjson.encode({a = args[1]})")],
      ['FCALL', 'cjs', '0', 'x'],
      ['FUNCTION', 'LOAD', one('shims', 'shims', "redis.log(redis.LOG_DEBUG, 'x') redis.setresp(3) return {redis.call('hgetall', 'nohash'), redis.pcall('incr', 'm'), redis.error_reply('MY err')}")],
      ['FCALL', 'shims', '0'],
      ['FUNCTION', 'LOAD', one('shims2', 'shims2', "return redis.error_reply('MY err')")],
      ['FCALL', 'shims2', '0'],
      ['FUNCTION', 'LOAD', one('shims3', 'shims3', "local ok, e = pcall(function() error({err='TABLE err'}) end) return e.err")],
      ['FCALL', 'shims3', '0'],
    ]);
  });

  it('follows allow-oom and no-writes when used memory is over maxmemory', async () => {
    await same([
      ['FUNCTION', 'LOAD', one('plain', 'plain_set', "return redis.call('set', keys[1], 'v')")],
      ['FUNCTION', 'LOAD', lib('oom', "redis.register_function{function_name='oom_set', callback=function(keys) return redis.call('set', keys[1], 'v') end, flags={'allow-oom'}}")],
      ['FUNCTION', 'LOAD', lib('ro2', "redis.register_function{function_name='ro_get', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}")],
      ['CONFIG', 'SET', 'maxmemory', '1'],
      ['FCALL', 'plain_set', '1', 'a'],
      ['FCALL', 'oom_set', '1', 'a'],
      ['FCALL', 'ro_get', '1', 'a'],
      ['FCALL_RO', 'ro_get', '1', 'a'],
      ['FUNCTION', 'LOAD', one('more', 'more', 'return 1')],
      ['CONFIG', 'SET', 'maxmemory', '0'],
    ]);
  });

  it('answers LIST and STATS in RESP2 and RESP3', async () => {
    const steps: Step[] = [
      ['FUNCTION', 'LOAD', lib('lista', "redis.register_function{function_name='la', callback=function() return 1 end, flags={'allow-oom', 'no-writes'}, description='A'}")],
      ['FUNCTION', 'LOAD', one('listb', 'lb', 'return 2')],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'lista'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'LISTB', 'WITHCODE'],
      ['FUNCTION', 'LIST', 'withcode', 'libraryname', 'listb'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'nothing*'],
      ['FUNCTION', 'LIST', 'WITHCODE', 'WITHCODE'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME'],
      ['FUNCTION', 'LIST', 'foo'],
      ['FUNCTION', 'STATS'],
      ['FUNCTION', 'DELETE', 'lista'],
      ['FUNCTION', 'LIST'],
      ['FUNCTION', 'DELETE', 'lista'],
      ['FUNCTION', 'STATS'],
    ];
    await same(steps);
    await same([['HELLO', '3'], ...steps]);
  });

  it('counts functions and libraries in INFO as Redis does', async () => {
    for (const c of [await servers.nodis.raw(), await RawClient.connect(servers.redis.port)]) {
      await c.call('FUNCTION', 'FLUSH');
      await c.call('FUNCTION', 'LOAD', LIB1);
      await c.call('FUNCTION', 'LOAD', one('other', 'o', 'return 1'));
      const info = (await c.call('INFO', 'memory')) as string;
      expect(/number_of_functions:(\d+)/.exec(info)?.[1]).toBe('3');
      expect(/number_of_libraries:(\d+)/.exec(info)?.[1]).toBe('2');
      expect(Number(/used_memory_functions:(\d+)/.exec(info)?.[1])).toBeGreaterThan(0);
      c.close();
    }
  });

  it('flushes, kills and helps as Redis does', async () => {
    await same([
      ['FUNCTION', 'LOAD', LIB1],
      ['FUNCTION', 'FLUSH', 'bad'],
      ['FUNCTION', 'FLUSH', 'ASYNC'],
      ['FUNCTION', 'LIST'],
      ['FUNCTION', 'LOAD', LIB1],
      ['FUNCTION', 'FLUSH', 'SYNC'],
      ['FUNCTION', 'FLUSH'],
      ['FUNCTION', 'FLUSH', 'sync', 'x'],
      ['FUNCTION', 'KILL'],
      ['FUNCTION', 'HELP'],
      ['FUNCTION', 'NOPE'],
      ['FUNCTION', 'RESTORE', 'abc'],
      ['FUNCTION', 'RESTORE', 'abc', 'bad'],
      ['FUNCTION', 'RESTORE', 'abc', 'flush', 'x'],
      ['FUNCTION', 'RESTORE'],
      ['COMMAND', 'GETKEYS', 'FCALL', 'f1', '2', 'a', 'b', 'c'],
      ['COMMAND', 'GETKEYS', 'FCALL_RO', 'f1', '0', 'a'],
      ['COMMAND', 'INFO', 'FCALL', 'FCALL_RO', 'FUNCTION|LOAD', 'FUNCTION|RESTORE', 'FUNCTION|KILL'],
      ['COMMAND', 'DOCS', 'FCALL'],
    ]);
  });

  it('restores with the FLUSH, APPEND and REPLACE policies as Redis does', async () => {
    const a = one('pa', 'pa_fn', "return 'a'");
    const a2 = one('pa', 'pa_fn', "return 'a2'");
    const b = one('pb', 'pb_fn', "return 'b'");
    const clash = one('pc', 'pa_fn', "return 'c'");
    const payload = (...codes: string[]): string => createFunctionsPayload(codes, true).toString('latin1');
    await same([
      ['FUNCTION', 'LOAD', a],
      ['FUNCTION', 'RESTORE', payload(b)],
      ['FCALL', 'pb_fn', '0'],
      ['FUNCTION', 'RESTORE', payload(a2)],
      ['FUNCTION', 'RESTORE', payload(a2), 'APPEND'],
      ['FCALL', 'pa_fn', '0'],
      ['FUNCTION', 'RESTORE', payload(a2), 'REPLACE'],
      ['FCALL', 'pa_fn', '0'],
      ['FUNCTION', 'RESTORE', payload(clash)],
      ['FUNCTION', 'RESTORE', payload(clash), 'REPLACE'],
      ['FUNCTION', 'RESTORE', payload(a, a)],
      ['FUNCTION', 'RESTORE', payload('#!lua name=bad\nreturn 1')],
      ['FUNCTION', 'RESTORE', payload(clash), 'FLUSH'],
      ['FCALL', 'pa_fn', '0'],
      ['FCALL', 'pb_fn', '0'],
      ['FUNCTION', 'STATS'],
      ['FUNCTION', 'RESTORE', payload(), 'FLUSH'],
      ['FUNCTION', 'STATS'],
    ]);
  });

  it('dumps the payload Redis dumps, and each restores the other', async () => {
    const code = lib('dumped', "redis.register_function('dumped_fn', function(keys, args) return 'restored ' .. args[1] end)");
    const short = lib('s', "redis.register_function('s', function() return 1 end)");
    await same([['FUNCTION', 'LOAD', code], ['FUNCTION', 'DUMP']]);
    await same([['FUNCTION', 'LOAD', short], ['FUNCTION', 'DUMP']]);
    await same([['CONFIG', 'SET', 'rdbcompression', 'no'], ['FUNCTION', 'LOAD', code], ['FUNCTION', 'DUMP'], ['CONFIG', 'SET', 'rdbcompression', 'yes']]);
    // Both ways: what one dumps, the other restores.
    const nodis = await RawClient.connect(servers.nodis.port);
    const redis = await RawClient.connect(servers.redis.port);
    try {
      for (const [from, to] of [[redis, nodis], [nodis, redis]] as const) {
        for (const c of [from, to]) {
          await c.call('FUNCTION', 'FLUSH');
        }
        await from.call('FUNCTION', 'LOAD', code);
        await from.call('FUNCTION', 'LOAD', short);
        const payload = (await from.call('FUNCTION', 'DUMP')) as string;
        expect(await to.call('FUNCTION', 'RESTORE', Buffer.from(payload, 'latin1'))).toBe('OK');
        expect(await to.call('FCALL', 'dumped_fn', '0', 'x')).toBe('restored x');
        await to.call('FUNCTION', 'FLUSH');
      }
    } finally {
      nodis.close();
      redis.close();
    }
  });
});
