/**
 * EVAL, EVALSHA, EVAL_RO and SCRIPT against Redis 7.0, raw replies byte for byte: the scripts
 * of Redis's EVAL documentation, every Lua <-> RESP conversion in RESP2 and RESP3, errors
 * (compile, runtime, globals, read-only tables, commands a script may not call), shebang flags
 * and read-only scripts, and scripts as libraries use them (a BullMQ-like job move, a sliding
 * window rate limiter, Redlock's release).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, maskClientId, type Step } from '../helpers/differential.js';

const hasOracle = oracleAvailable();

const sha1 = (text: string): string => createHash('sha1').update(text, 'latin1').digest('hex');

/** EVAL of `script` with `keys` and `args`. */
const evalStep = (script: string, keys: string[] = [], args: string[] = []): string[] => ['EVAL', script, String(keys.length), ...keys, ...args];

describe.skipIf(!hasOracle)('differential: scripting', () => {
  const servers = differentialPair();

  async function same(steps: Step[]): Promise<void> {
    await servers.same([['FLUSHALL'], ['SCRIPT', 'FLUSH'], ...steps], maskClientId);
  }

  /** The steps once in RESP2, then again after HELLO 3. */
  async function bothProtocols(steps: Step[]): Promise<void> {
    await same(steps);
    await same([['HELLO', '3'], ...steps]);
  }

  it("runs the scripts of Redis's EVAL documentation", async () => {
    await same([
      evalStep("return 'Hello, scripting!'"),
      evalStep('return ARGV[1]', [], ['Hello']),
      evalStep('return { KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3] }', ['key1', 'key2'], ['arg1', 'arg2', 'arg3']),
      evalStep("return redis.call('SET', KEYS[1], ARGV[1])", ['foo'], ['bar']),
      evalStep("return redis.call('GET', KEYS[1])", ['foo']),
      evalStep("return {1,2,3,'ciao',{1,2}}"),
      evalStep("return redis.call('ECHO', 'Echo,', 'echo... ', 'eco... ', 'o...')"),
      evalStep("return redis.pcall('ECHO', 'Echo,', 'echo... ', 'eco... ', 'o...')"),
      evalStep(
        "local reply = redis.pcall('ECHO', unpack(ARGV))\nif reply['err'] ~= nil then\n  reply['err'] = 'ERR Something is wrong, but no worries!'\nend\nreturn reply",
        [],
        ['Echo,', 'echo... ', 'eco... ', 'o...'],
      ),
      evalStep("return redis.error_reply('My very special error')"),
      evalStep("return { err = 'My very special table error' }"),
      evalStep("return redis.status_reply('TIRED')"),
      evalStep("return { ok = 'TIRED' }"),
      evalStep("my_global_variable = 'some value'"),
      evalStep('return my_global_variable'),
      evalStep("local my_local_variable = 'some value'\nreturn my_local_variable"),
      evalStep('return redis.REDIS_VERSION'),
      evalStep('return redis.REDIS_VERSION_NUM'),
      evalStep("return redis.sha1hex('')"),
      evalStep("redis.log(redis.LOG_WARNING, 'Something is terribly wrong')"),
      evalStep('return redis.setresp(3)'),
      evalStep("local t = redis.call('TIME') return #t"),
      evalStep("return cjson.encode({ ['foo'] = 'bar' })"),
      evalStep('return cjson.decode(ARGV[1])["foo"]', [], ['{"foo":"bar"}']),
      evalStep("local encoded = cmsgpack.pack({'foo', 'bar', 'baz'}) return encoded"),
      evalStep("return cmsgpack.unpack(ARGV[1])", [], ['\x93\xa3foo\xa3bar\xa3baz']),
      evalStep("return struct.pack('HH', 1, 2)"),
      evalStep("return {struct.unpack('HH', ARGV[1])}", [], ['\x01\x00\x02\x00']),
      evalStep("return struct.unpack('HH', ARGV[1])", [], ['\x01\x00\x02\x00']),
      evalStep('return bit.tobit(1)'),
      evalStep('return bit.bor(1,2,4,8,16,32,64,128)'),
      evalStep('return bit.tohex(65535, -4)'),
      evalStep('return 10/3'),
      evalStep('return tostring(10/3)'),
      evalStep("return {1, 2, 3.3333, 'somestring', 4}"),
      evalStep('return 1, 2'),
      evalStep('return'),
      evalStep('return ...'),
    ]);
  });

  it('caches scripts: SCRIPT LOAD, EXISTS, EVALSHA in any case, FLUSH', async () => {
    const sha = 'b08126ee8a5b5d40a87b3b4dd8b6edc18b71fe8c';
    await same([
      ['SCRIPT', 'LOAD', "return 'Immabe a cached script'"],
      ['EVALSHA', sha, '0'],
      ['EVALSHA', sha.toUpperCase(), '0'],
      ['EVALSHA_RO', sha, '0'],
      ['SCRIPT', 'EXISTS', sha, sha.toUpperCase(), 'ffffffffffffffffffffffffffffffffffffffff', 'short'],
      ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
      ['EVALSHA', 'short', '0'],
      ['EVALSHA', 'short', 'notanumber'],
      ['EVALSHA', sha, 'notanumber'],
      evalStep("return 'Immabe a cached script'"),
      ['SCRIPT', 'FLUSH'],
      ['SCRIPT', 'EXISTS', sha],
      ['EVALSHA', sha, '0'],
      evalStep('return 1'),
      ['SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'],
      ['SCRIPT', 'FLUSH', 'ASYNC'],
      ['SCRIPT', 'FLUSH', 'SYNC'],
      ['SCRIPT', 'FLUSH', 'LAZY'],
      ['SCRIPT', 'FLUSH', 'SYNC', 'ASYNC'],
      ['SCRIPT', 'LOAD', 'return 1 +'],
      ['SCRIPT', 'LOAD', '#!lua flags=bogus\nreturn 1'],
      ['SCRIPT', 'EXISTS'],
      ['SCRIPT', 'KILL'],
      ['SCRIPT', 'DEBUG', 'no'],
      ['SCRIPT', 'DEBUG', 'maybe'],
      ['SCRIPT', 'HELP'],
      ['SCRIPT', 'NOPE'],
      ['SCRIPT'],
    ]);
  });

  it('checks numkeys as Redis does', async () => {
    await same([
      ['EVAL', 'return 1'],
      ['EVAL', 'return 1', 'x'],
      ['EVAL', 'return 1', '-1'],
      ['EVAL', 'return 1', '1'],
      ['EVAL', 'return 1', '2', 'a'],
      ['EVAL', 'return {KEYS[1], ARGV[1]}', '1', 'a', 'b'],
      ['EVAL', 'return #KEYS + #ARGV * 10', '0', 'a', 'b', 'c'],
      ['EVAL', 'return KEYS', '3', 'k\x00\xff', '', 'k3'],
      ['EVAL', 'return ARGV', '0', 'a\r\nb', '\x00'],
    ]);
  });

  it('converts Lua values to replies, in RESP2 and RESP3', async () => {
    await bothProtocols([
      evalStep('return nil'),
      evalStep('return true'),
      evalStep('return false'),
      evalStep('return 42'),
      evalStep('return -3.99'),
      evalStep('return 3.99'),
      evalStep('return 1e300'),
      evalStep('return -1e300'),
      evalStep('return 2^53 + 1'),
      evalStep("return 'bulk \\0 binary'"),
      evalStep('return {}'),
      evalStep("return {1, 'two', {3, {4}}, true, false}"),
      evalStep('return {1, 2, nil, 4}'),
      evalStep("local t = {} t[1] = 'a' t[3] = 'c' return t"),
      evalStep("return {a = 1, b = 2}"),
      evalStep("return {ok = 'fine'}"),
      evalStep("return {ok = 'line\\r\\nbreak'}"),
      evalStep("return {ok = 'a\\0b'}"),
      evalStep("return {err = 'CODE message'}"),
      evalStep("return {err = 'message without code'}"),
      evalStep("return {err = 'trailing\\n'}"),
      evalStep("return {err = ''}"),
      evalStep("return {err = 'x', ok = 'y'}"),
      evalStep("return {1, {err = 'NESTED error'}, {ok = 'nested status'}}"),
      evalStep('return {double = 1.5}'),
      evalStep('return {double = 3}'),
      evalStep('return {double = -1/0}'),
      evalStep("return {map = {a = 1}}"),
      evalStep("return {map = {}}"),
      evalStep("return {map = {k = {1, 2}}}"),
      evalStep("return {set = {a = true}}"),
      evalStep("return {set = {}}"),
      evalStep("return {big_number = '12345678901234567890'}"),
      evalStep("return {verbatim_string = {format = 'txt', string = 'hello'}}"),
      evalStep("return {verbatim_string = {format = 'markdown', string = 'hello'}}"),
      evalStep("return {1, {double = 0.5}, {map = {x = 'y'}}}"),
      evalStep("return redis.error_reply('WRONGTYPE custom')"),
      evalStep("return redis.error_reply('no code here')"),
      evalStep("return redis.error_reply('-PREFIXED dash')"),
      evalStep("return redis.error_reply('single')"),
      evalStep("return redis.error_reply('two\\r\\n')"),
      evalStep('return redis.error_reply(5)'),
      evalStep('return redis.error_reply()'),
      evalStep('return redis.status_reply(5)'),
      evalStep("return redis.status_reply('OK', 'extra')"),
      evalStep('return function() end'),
      evalStep('redis.setresp(3) return true'),
      evalStep('redis.setresp(3) return false'),
      evalStep('redis.setresp(3) return {true, false, nil, 1}'),
      evalStep('redis.setresp(3) return nil'),
      evalStep('redis.setresp(2) return false'),
      evalStep('redis.setresp(3) redis.setresp(2) return true'),
    ]);
  });

  it("converts commands' replies to Lua values, with redis.setresp(2) and (3)", async () => {
    await bothProtocols([
      ['HSET', 'h', 'f', 'v', 'g', 'w'],
      ['ZADD', 'z', '1.5', 'm', '2', 'n'],
      ['SADD', 's', 'a'],
      ['SET', 'str', 'value'],
      evalStep("return redis.call('HGETALL', 'h')"),
      evalStep("local r = redis.call('HGETALL', 'h') return type(r)"),
      evalStep("redis.setresp(3) return redis.call('HGETALL', 'h')"),
      evalStep("redis.setresp(3) local r = redis.call('HGETALL', 'h') return {type(r.map), r.map.f}"),
      evalStep("redis.setresp(3) return redis.call('HGETALL', 'nokey')"),
      evalStep("return redis.call('ZSCORE', 'z', 'm')"),
      evalStep("redis.setresp(3) return redis.call('ZSCORE', 'z', 'm')"),
      evalStep("redis.setresp(3) return redis.call('ZSCORE', 'z', 'm').double * 2"),
      evalStep("redis.setresp(3) return redis.call('ZRANGE', 'z', '0', '-1', 'WITHSCORES')"),
      evalStep("return redis.call('SMEMBERS', 's')"),
      evalStep("redis.setresp(3) return redis.call('SMEMBERS', 's')"),
      evalStep("redis.setresp(3) local r = redis.call('SMEMBERS', 's') return r.set.a"),
      evalStep("return redis.call('GET', 'nokey')"),
      evalStep("return redis.call('GET', 'nokey') == false"),
      evalStep("redis.setresp(3) return redis.call('GET', 'nokey')"),
      evalStep("redis.setresp(3) return redis.call('GET', 'nokey') == nil"),
      evalStep("redis.setresp(3) return {1, redis.call('GET', 'nokey'), 3}"),
      evalStep("redis.setresp(3) return redis.call('MGET', 'str', 'nokey', 'str')"),
      evalStep("return redis.call('MGET', 'str', 'nokey', 'str')"),
      evalStep("return redis.call('SET', 'k', 'v')"),
      evalStep("return redis.call('SET', 'k', 'v').ok"),
      evalStep("return redis.call('INCR', 'counter')"),
      evalStep("return redis.call('INCRBYFLOAT', 'f', '1.5')"),
      evalStep("return redis.call('LPOS', 'nolist', 'x')"),
      evalStep("redis.setresp(3) return redis.call('LPOS', 'nolist', 'x')"),
      evalStep("return redis.pcall('INCR', 'h')"),
      evalStep("local r = redis.pcall('INCR', 'h') return r.err"),
      evalStep("return redis.call('EXISTS', 'h', 's', 'nokey')"),
      evalStep("return redis.call('PING')"),
      evalStep("redis.setresp(3) return redis.call('PING')"),
      evalStep("return redis.call('TYPE', 'h')"),
      evalStep("return redis.call('SET', KEYS[1], 42) and redis.call('GET', KEYS[1])", ['num']),
      evalStep("return redis.call('SET', KEYS[1], -7) and redis.call('GET', KEYS[1])", ['num']),
      evalStep("return redis.call('SET', KEYS[1], '\\0\\255') and redis.call('GET', KEYS[1])", ['bin']),
    ]);
  });

  it('passes numbers to commands as Redis does ("%.17g"), not as Lua prints them', async () => {
    const steps: Step[] = [];
    for (const expr of ['3.3', '0.1', '-0.5', '1e20', '1234567890123456', '2^53', '2^63', '1/3', '100', '-7', '1/0', '-1/0', 'tonumber(ARGV[1]) * 1000', '0x10']) {
      steps.push(evalStep(`redis.call('SET', KEYS[1], ${expr}) return redis.call('GET', KEYS[1])`, ['n'], ['1700000000123.456']));
    }
    steps.push(evalStep("local now = tonumber(ARGV[1]) redis.call('ZADD', KEYS[1], now, now) return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')", ['z'], ['1700000000123456']));
    steps.push(evalStep("local t = {3.5, 'x'} return redis.call('RPUSH', KEYS[1], t[1], t[2], 1.25)", ['l']));
    steps.push(['LRANGE', 'l', '0', '-1']);
    steps.push(evalStep("return redis.pcall('INCRBYFLOAT', KEYS[1], 0.1 + 0.2)", ['f']));
    steps.push(evalStep("return {pcall(redis.call, 'SET', KEYS[1], 2.5), redis.call('GET', KEYS[1])}", ['p']));
    await same(steps);
  });

  it('answers errors as Redis does', async () => {
    await same([
      evalStep('return 1 +'),
      evalStep('local x = '),
      evalStep('if true then'),
      evalStep('return "unfinished'),
      evalStep('x = = 2'),
      evalStep('\n\nreturn (1'),
      evalStep('return a'),
      evalStep('local t = {} return t.x.y'),
      evalStep('return nil + 1'),
      evalStep("return 'a' + 1"),
      evalStep('local f f()'),
      evalStep('return #nil'),
      evalStep('a = 5'),
      evalStep('redis = nil'),
      evalStep('redis.call = nil'),
      evalStep('string.foo = 1'),
      evalStep('_G.x = 1'),
      evalStep("rawset(_G, 'x', 1)"),
      evalStep('cjson.encode = nil'),
      evalStep('return os'),
      evalStep('return print'),
      evalStep('return type(loadstring)'),
      evalStep('return type(getfenv)'),
      evalStep('return type(newproxy)'),
      evalStep("return redis.call('NOSUCHCOMMAND')"),
      evalStep("return redis.pcall('NOSUCHCOMMAND')"),
      evalStep("return redis.call('GET')"),
      evalStep("return redis.pcall('GET')"),
      evalStep("return redis.call('GET', 'a', 'b')"),
      evalStep("return redis.call('CONFIG')"),
      evalStep("return redis.call('CONFIG', 'NOSUCH')"),
      evalStep('return redis.call()'),
      evalStep('return redis.pcall()'),
      evalStep("return redis.call('SET', 'k', {})"),
      evalStep("return redis.call('SET', 'k', nil)"),
      evalStep("return redis.call('SET', 'k', true)"),
      evalStep("return redis.call('EVAL', 'return 1', '0')"),
      evalStep("return redis.call('MULTI')"),
      evalStep("return redis.call('BLPOP', 'l', '0')"),
      evalStep("return redis.call('SUBSCRIBE', 'c')"),
      evalStep("return redis.call('CLIENT', 'LIST')"),
      evalStep("return redis.call('SCRIPT', 'FLUSH')"),
      evalStep("return redis.call('DEBUG', 'SLEEP', '0')"),
      evalStep("redis.call('SET', 'w', 'x') return redis.call('INCR', 'w')"),
      evalStep("redis.call('SET', 'w', 'x')\nlocal ok = 1\nreturn redis.call('LPUSH', 'w', 'y')"),
      evalStep("return redis.pcall('LPUSH', 'w', 'y')"),
      evalStep("error('plain')"),
      evalStep("error('WRONGTYPE looks like a code')"),
      evalStep("error('no position', 0)"),
      evalStep("error('level two', 2)"),
      evalStep("\n\nerror('line three')"),
      evalStep("error({err = 'MYERR table error'})"),
      evalStep("error(redis.error_reply('RAISED from error_reply'))"),
      evalStep('error()'),
      evalStep('error(5)'),
      evalStep("local function f() error('deep') end\nlocal function g() f() end\ng()"),
      evalStep("assert(false, 'assertion')"),
      evalStep("assert(nil)"),
      evalStep("return string.rep()"),
      evalStep("local ok, e = pcall(redis.call, 'NOSUCH') return {tostring(ok), e}"),
      evalStep("local ok, e = pcall(function() return undefined_global end) return {tostring(ok), e}"),
      evalStep("local ok, e = pcall(function() error({err = 'T table'}) end) return {tostring(ok), e}"),
      evalStep("local ok, e = pcall(function() error('s string') end) return {tostring(ok), e}"),
      evalStep("local ok, e = pcall(error) return {tostring(ok), tostring(e)}"),
      evalStep("local ok, e = pcall(redis.call, 'SET', 'k', {}) return {tostring(ok), e}"),
      evalStep("local ok, e = pcall(function() a_global = 1 end) return {tostring(ok), e}"),
      evalStep("local r = redis.pcall('NOSUCH') return r"),
      evalStep("local r = redis.pcall('NOSUCH') return {type(r), r.err}"),
      evalStep('redis.setresp(4)'),
      evalStep('redis.setresp()'),
      evalStep("redis.setresp('x')"),
      evalStep('return redis.sha1hex()'),
      evalStep("return redis.sha1hex('a', 'b')"),
      evalStep('return redis.sha1hex(123)'),
      evalStep('redis.set_repl(99)'),
      evalStep('redis.set_repl()'),
      evalStep('redis.set_repl(-1)'),
      evalStep("redis.log(99, 'x')"),
      evalStep("redis.log('a', 'x')"),
      evalStep('redis.log(1)'),
      evalStep("return redis.acl_check_cmd('get', 'x')"),
      evalStep("return redis.acl_check_cmd('nosuch')"),
      evalStep('return redis.acl_check_cmd()'),
      evalStep('return {redis.breakpoint(), redis.debug("x"), redis.replicate_commands()}'),
      evalStep('return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}'),
      evalStep('return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}'),
    ]);
  });

  it('reads shebang flags and refuses writes in read-only scripts', async () => {
    await same([
      ['SET', 'x', '1'],
      evalStep('#!lua\nreturn 1'),
      evalStep('#!lua\nreturn a'),
      evalStep('#!lua\n\nreturn 1 +'),
      evalStep('#!lua flags=no-writes\nreturn redis.call("GET", "x")'),
      evalStep('#!lua flags=no-writes\nreturn redis.call("SET", "x", "2")'),
      evalStep('#!lua flags=no-writes\nreturn redis.pcall("SET", "x", "2")'),
      evalStep('#!lua flags=no-writes\nreturn redis.call("PUBLISH", "c", "m")'),
      evalStep('#!lua flags=allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn redis.call("GET", "x")'),
      evalStep('#!lua flags=no-writes,allow-oom\nreturn 2'),
      evalStep('#!lua flags=\nreturn 3'),
      evalStep('#!lua flags=no-writes,\nreturn 4'),
      evalStep('#!lua flags=bad\nreturn 1'),
      evalStep('#!lua foo=bar\nreturn 1'),
      evalStep('#!python\nreturn 1'),
      evalStep('#!lua'),
      evalStep('#!\nreturn 1'),
      evalStep('#! lua\nreturn 1'),
      evalStep('#!lua "flags=no-writes"\nreturn 5'),
      evalStep('#!lua flags=no-writes flags=allow-oom\nreturn 6'),
      evalStep('#!lua \'unbalanced\nreturn 7'),
      evalStep('# comment\nreturn 8'),
      ['EVAL_RO', '#!lua\nreturn redis.call("SET", "x", "3")', '0'],
      ['EVAL_RO', '#!lua flags=no-writes\nreturn redis.call("GET", "x")', '0'],
      ['EVAL_RO', 'return redis.call("SET", "x", "4")', '0'],
      ['EVAL_RO', 'return redis.pcall("SET", "x", "4")', '0'],
      ['EVAL_RO', 'return redis.call("GET", "x")', '0'],
      ['EVAL_RO', 'return redis.call("PUBLISH", "c", "m")', '0'],
      ['EVAL_RO', 'return redis.call("SPUBLISH", "c", "m")', '0'],
      ['SCRIPT', 'LOAD', 'return redis.call("SET", "x", "5")'],
      ['EVALSHA_RO', sha1('return redis.call("SET", "x", "5")'), '0'],
      ['SCRIPT', 'LOAD', '#!lua\nreturn redis.call("SET", "x", "6")'],
      ['EVALSHA_RO', sha1('#!lua\nreturn redis.call("SET", "x", "6")'), '0'],
      ['GET', 'x'],
    ]);
  });

  it('refuses writes over maxmemory as Redis does: at the first write of a script, unless allow-oom', async () => {
    await same([
      ['SET', 'x', '1'],
      ['CONFIG', 'SET', 'maxmemory', '1'],
      evalStep("return redis.call('GET', 'x')"),
      evalStep("return redis.call('SET', 'y', '1')"),
      evalStep("return redis.pcall('SET', 'y', '1')"),
      evalStep("redis.call('DEL', 'x') return redis.call('SET', 'y', '1')"),
      evalStep('#!lua\nreturn redis.call("GET", "y")'),
      evalStep('#!lua flags=allow-oom\nreturn redis.call("SET", "z", "1")'),
      evalStep('#!lua flags=no-writes\nreturn redis.call("GET", "z")'),
      ['EVAL_RO', 'return redis.call("GET", "z")', '0'],
      ['SCRIPT', 'LOAD', 'return redis.call("SET", "w", "1")'],
      ['CONFIG', 'SET', 'maxmemory', '0'],
      ['GET', 'y'],
    ]);
  });

  it('runs scripts inside MULTI and sees WATCH fail when a script writes a watched key', async () => {
    await same([
      ['MULTI'],
      evalStep("return redis.call('INCR', 'c')"),
      evalStep("return redis.call('INCR', 'c')"),
      ['EVAL', 'return 1'],
      ['EXEC'],
      ['MULTI'],
      evalStep("return redis.call('INCR', 'c')"),
      ['EXEC'],
      ['WATCH', 'c'],
      evalStep("return redis.call('INCR', 'c')"),
      ['MULTI'],
      ['GET', 'c'],
      ['EXEC'],
      ['WATCH', 'c'],
      evalStep("return redis.call('GET', 'c')"),
      ['MULTI'],
      ['GET', 'c'],
      ['EXEC'],
    ]);
  });

  it('runs a BullMQ-like move-to-active script', async () => {
    // A job queue in the style of BullMQ's moveToActive: the next waiting job moves to the
    // active list under a lock with a TTL, its hash is stamped, a rate limiter may hold it back.
    const moveToActive = `
local waitKey, activeKey, jobPrefix, limiterKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local token, lockDuration, timestamp, maxJobs = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
if maxJobs then
  local jobCounter = tonumber(redis.call("GET", limiterKey))
  if jobCounter ~= nil and jobCounter >= maxJobs then
    return {0, 0, redis.call("PTTL", limiterKey) > 0}
  end
end
local jobId = redis.call("RPOPLPUSH", waitKey, activeKey)
if not jobId then
  return {0, 0, 0}
end
local jobKey = jobPrefix .. jobId
redis.call("SET", jobKey .. ":lock", token, "PX", lockDuration)
redis.call("HSET", jobKey, "processedOn", timestamp)
local attempts = redis.call("HINCRBY", jobKey, "attemptsMade", 1)
if maxJobs then
  local count = redis.call("INCR", limiterKey)
  if count == 1 then redis.call("PEXPIRE", limiterKey, 1000) end
end
return {redis.call("HGETALL", jobKey), jobId, attempts}
`;
    const keys = ['q:wait', 'q:active', 'q:job:', 'q:limiter'];
    await same([
      ['LPUSH', 'q:wait', '1', '2', '3'],
      ['HSET', 'q:job:1', 'name', 'first', 'data', '{"x":1}'],
      ['HSET', 'q:job:2', 'name', 'second', 'data', '{"x":2}'],
      evalStep(moveToActive, keys, ['tok-a', '30000', '1700000000000', '2']),
      evalStep(moveToActive, keys, ['tok-b', '30000', '1700000000001', '2']),
      evalStep(moveToActive, keys, ['tok-c', '30000', '1700000000002', '2']),
      ['LRANGE', 'q:wait', '0', '-1'],
      ['LRANGE', 'q:active', '0', '-1'],
      ['GET', 'q:job:1:lock'],
      ['DEL', 'q:limiter'],
      evalStep(moveToActive, keys, ['tok-d', '30000', '1700000000003', '']),
      evalStep(moveToActive, keys, ['tok-e', '30000', '1700000000004', '']),
      ['HGETALL', 'q:job:3'],
    ]);
  });

  it('runs a sliding-window rate limiter', async () => {
    const limiter = `
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, 0, now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  return {1, limit - count - 1}
end
return {0, 0}
`;
    const steps: Step[] = [];
    for (let i = 0; i < 6; i++) steps.push(evalStep(limiter, ['rl:user'], [String(1000 + i * 100), '1000', '3', `req-${i}`]));
    steps.push(evalStep(limiter, ['rl:user'], ['2500', '1000', '3', 'late']));
    steps.push(['ZRANGE', 'rl:user', '0', '-1', 'WITHSCORES']);
    await same(steps);
  });

  it("runs Redlock's release script", async () => {
    const release = 'if redis.call("get",KEYS[1]) == ARGV[1] then\n    return redis.call("del",KEYS[1])\nelse\n    return 0\nend';
    await same([
      ['SET', 'resource', 'my-random-value', 'NX', 'PX', '30000'],
      evalStep(release, ['resource'], ['someone-else']),
      ['EXISTS', 'resource'],
      evalStep(release, ['resource'], ['my-random-value']),
      ['EXISTS', 'resource'],
      evalStep(release, ['resource'], ['my-random-value']),
    ]);
  });

  it('gives the same results through ioredis defineCommand', async () => {
    const results: unknown[][] = [];
    for (const port of [servers.nodis.port, servers.redis.port]) {
      const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
      try {
        await client.flushall();
        await client.script('FLUSH');
        client.defineCommand('incrCapped', {
          numberOfKeys: 1,
          lua: "local v = redis.call('INCRBY', KEYS[1], ARGV[1]) if v > tonumber(ARGV[2]) then redis.call('SET', KEYS[1], ARGV[2]) return tonumber(ARGV[2]) end return v",
        });
        client.defineCommand('echoAll', { lua: 'return {KEYS, ARGV}' });
        client.defineCommand('fails', { numberOfKeys: 0, lua: "return redis.call('INCR', 'notanumber')" });
        await client.set('notanumber', 'abc');
        const out: unknown[] = [];
        const commands = client as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
        out.push(await commands.incrCapped!('cap', 4, 10));
        out.push(await commands.incrCapped!('cap', 4, 10));
        out.push(await commands.incrCapped!('cap', 4, 10));
        out.push(await commands.echoAll!(2, 'k1', 'k2', 'a1'));
        out.push(await commands.fails!().catch((err: Error) => err.message));
        // Pipelined, after the cache is flushed: ioredis falls back from EVALSHA to EVAL.
        await client.script('FLUSH');
        const pipeline = client.pipeline() as unknown as Record<string, (...args: unknown[]) => unknown> & { exec(): Promise<unknown> };
        pipeline.incrCapped!('cap2', 3, 100);
        pipeline.incrCapped!('cap2', 3, 100);
        out.push(await pipeline.exec());
        results.push(out);
      } finally {
        client.disconnect();
      }
    }
    expect(results[0]).toEqual(results[1]);
  });
});
