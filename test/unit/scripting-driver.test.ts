import { beforeAll, describe, expect, it } from 'vitest';
import { buildDriver, type Driver } from '../../src/scripting/driver.js';
import {
  argumentsMayStallLoops, formatNumberArguments, hasComputedLoopLimits, mayBuildReplyTables, mayRunForever, returnsOneValue, tokenize,
} from '../../src/scripting/lua-source.js';
import { readShebang, SCRIPT_ALLOW_CROSS_SLOT, SCRIPT_ALLOW_OOM, SCRIPT_ALLOW_STALE, SCRIPT_LEGACY, SCRIPT_NO_CLUSTER, SCRIPT_NO_WRITES } from '../../src/scripting/shebang.js';
import { WasmScriptEngine } from '../../src/scripting/wasm-engine.js';
import type { ScriptHost } from '../../src/scripting/engine.js';
import { ReplyWriter } from '../../src/protocol/reply.js';

const oneValue = (source: string): boolean => {
  const tokens = tokenize(source);
  return tokens !== null && returnsOneValue(tokens);
};
const replyTables = (source: string): boolean => mayBuildReplyTables(tokenize(source) ?? []);

describe('which scripts run without the wrapper', () => {
  it('knows a return gives one value: literals, variables, indexing, tables, one-value calls', () => {
    for (const source of [
      "return redis.call('INCR', KEYS[1])",
      'return 1',
      'return',
      'local x = 1 return x',
      'return KEYS[1]',
      'return {1, 2, 3}',
      "return {redis.call('GET', 'a'), 2}",
      'return (f())',
      'return tonumber(ARGV[1]) + 1',
      'if x then return 1 else return 2 end',
      "return cjson.encode({a = 1})",
      "return 'a, b' -- return 1, 2",
      '--[[ return 1, 2 ]] return 3',
      'return [[long, string]]',
      "local t = {} t['return'] = 1 return t",
    ]) {
      expect(oneValue(source), source).toBe(true);
    }
  });

  it('is careful with anything that may give several values', () => {
    for (const source of [
      'return 1, 2',
      'return ...',
      'return f()',
      "return struct.unpack('HH', ARGV[1])",
      'return x:method()',
      'return f{1}',
      "return f'x'",
      'return function() end',
      'local tonumber = function() return 1, 2 end return tonumber(1)',
      'local function helper() return 1, 2 end return 3',
      "local redis = {call = function() return 1, 2 end} return redis.call('x')",
      'return "unfinished',
    ]) {
      expect(oneValue(source), source).toBe(false);
    }
  });

  it('sees scripts that may build a RESP3 reply table', () => {
    expect(replyTables('return {map = {a = 1}}')).toBe(true);
    expect(replyTables('local t = {} t.double = 1.5 return t')).toBe(true);
    expect(replyTables("return {['set'] = {}}")).toBe(true);
    expect(replyTables("return redis.call('SET', 'k', 'v')")).toBe(false);
    expect(replyTables("local double = 2 return double")).toBe(false);
  });

  it('wraps the arguments of redis.call that may be numbers, and only those', () => {
    const rewrite = (source: string): string | null => formatNumberArguments(source, tokenize(source) ?? [], 'N');
    expect(rewrite("return redis.call('INCR', KEYS[1])")).toBe(null);
    expect(rewrite("redis.call('EXPIRE', KEYS[1], 60, ARGV[2])")).toBe(null);
    expect(rewrite("redis.call('SET', 'k', 3.3)")).toBe("redis.call('SET', 'k', N(3.3))");
    expect(rewrite("redis.call('SET', 'k', 100000000000000)")).toBe("redis.call('SET', 'k', N(100000000000000))");
    expect(rewrite('redis.pcall(name, k,\n  a + b)')).toBe('redis.pcall(N(name), N(k),\n  N(a + b))');
    expect(rewrite("redis.call('SET', k, f(x))")).toBe("redis.call('SET', N(k), f(x))");
    expect(rewrite("redis.call('SET', f(x), k)")).toBe("redis.call('SET', N(f(x)), N(k))");
    expect(rewrite("redis.call('HMSET', KEYS[1], unpack(ARGV))")).toBe(null);
    expect(rewrite("redis.call('SET', k, redis.call('GET', j))")).toBe("redis.call('SET', N(k), redis.call('GET', N(j)))");
    expect(rewrite("redis.call('SET', {x = function() return 1 end}, v)")).toBe(null);
    expect(rewrite("local redis = r redis.call('SET', k, 1.5)")).toBe(null);
    expect(rewrite("t.redis.call('SET', k, 1.5)")).toBe(null);
  });

  it('wraps only the scripts that need it, and adds only the shims a script names', () => {
    const raw = buildDriver("return redis.call('INCR', KEYS[1])");
    expect(raw).toEqual({ text: "return redis.call('INCR', KEYS[1])", wrapped: false, marksNulls: false, callLine: 0 });
    const multi = buildDriver('return 1,\n2');
    expect(multi.wrapped).toBe(true);
    expect(multi.callLine).toBe(3);
    expect(multi.text.startsWith('local __nodis_r = (function(...) return 1,\n2\nend)()')).toBe(true);
    const logs = buildDriver("redis.log(redis.LOG_WARNING, 'x')");
    expect(logs.text).toContain('log = function');
    expect(logs.text).not.toContain('set_repl = function');
    expect(logs.marksNulls).toBe(false);
    expect(buildDriver('redis.setresp(3) return 1').marksNulls).toBe(true);
    expect(buildDriver("error('plain')").text).not.toContain('local error');
    expect(buildDriver("error({err = 'x'})").text).toContain('local error');
    expect(buildDriver('return pcall(f)').text).toContain('local pcall');
    // Everything the driver adds is on the script's first line.
    for (const source of ['redis.set_repl(1) redis.log(1, "x") redis.setresp(3) error({}) pcall(f)', 'return 1, 2']) {
      const driver = buildDriver(source);
      expect(driver.text.indexOf('\n')).toBeGreaterThan(driver.text.indexOf(source.split('\n')[0] as string));
    }
  });
});

describe('which scripts may run for ever (they run in the worker, where they can be stopped)', () => {
  const forever = (source: string): boolean => mayRunForever(tokenize(source));

  it('takes numeric loops, loops over pairs, ipairs, next, gmatch and iterators made by functions of the script, and non-tail recursion as ending', () => {
    for (const source of [
      "return redis.call('INCR', KEYS[1])",
      "for i = 1, 10 do redis.call('INCR', KEYS[1]) end",
      'for i = #KEYS, 1, -1 do end',
      'for k, v in pairs(cjson.decode(ARGV[1])) do end',
      'for _, k in ipairs(KEYS) do end',
      'for k, v in next, {a = 1} do end',
      "for w in string.gmatch(ARGV[1], '%a+') do end",
      "for w in ARGV[1]:gmatch('%a+') do end",
      // BullMQ's batches(): an iterator a function of the script makes.
      'local function batches(n, size) local i = 0 return function() local from = i * size + 1 i = i + 1 if from <= n then return from, math.min(from + size - 1, n) end end end ' +
        'for from, to in batches(10, 3) do end',
      // Recursion that is not a tail call ends on Lua's stack limit at worst.
      'local function up(key) local parent = redis.call("HGET", key, "parent") if parent then up(parent) end end up(KEYS[1])',
      'local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(5)',
      // Tail calls that make no cycle.
      'local function g() return 1 end local function f() return g() end return f()',
      "local rcall = redis.call local function get(k) return rcall('GET', k) end return get(KEYS[1])",
      // The words, in comments and strings, are no loops.
      "-- while true do end\nreturn 'repeat'",
      '--[[ while true do end ]] return 1',
      // Wrappers named as the library function they call, and names that are no global's.
      "local function call(...) return redis.call(...) end return call('GET', KEYS[1])",
      'local M = {} function M.encode(v) return cjson.encode(v) end return M.encode({1})',
      'local load = tonumber(ARGV[1]) return load',
      'local t = {load = 1} return t.load',
      'local function it(t) return next, t end for k in it{1, 2} do end return 1',
      // Documented as ending although they may not: an iterator of the script's, branching recursion.
      'local function gen() return function() return 1 end end for _ in gen() do end',
      'local function f(n) if n == 0 then return 0 end f(n - 1) f(n - 1) return 0 end return f(60)',
      // '+inf' passed to a command is no number of the script's; a library's `return redis.call(…)` no cycle.
      "local n = tonumber(ARGV[1]) for i = 1, n do redis.call('ZCOUNT', KEYS[1], '-inf', '+inf') end",
      "redis.register_function('f', function(keys) return redis.call('GET', keys[1]) end)",
    ]) {
      expect(forever(source), source).toBe(false);
    }
  });

  it('sees while and repeat loops, cycles of tail calls, other iterators, infinite limits and code compiled at run time', () => {
    for (const source of [
      'while true do end',
      'local i = 0 while i < 10 do i = i + 1 end',
      'repeat until false',
      'local function f() return f() end return f()',
      'local function f(n) if n > 0 then return f(n - 1) end return 0 end return f(3)',
      'local f, g function f() return g() end function g() return f() end return f()',
      'local t = {} function t.loop() return t.loop() end return t.loop()',
      'local M = {} function M:spin() return self:spin() end return M:spin()',
      "local t = {} t['f'] = function() return 1 end return 1",
      'local t = {f = function() return t.f() end} return t.f()',
      'local f = function() return f() end',
      'for x in function() return 1 end do end',
      'local it = function() return 1 end for x in it do end',
      "return loadstring('while true do end')()",
      "local f = load('return 1') return f()",
      'return "unfinished',
      // Lua ends a comment at a lone \r; in 0xFE-- the comment starts after the number.
      '-- note\rwhile true do end',
      'local m = 0xFE-- mask [[\nwhile true do end\n-- ]]\nreturn m',
      // Tail calls through an index, an alias, a parameter, a call's result, brackets or _G.
      "local S = {} function S.ping(n) return S['pong'](n + 1) end function S.pong(n) return S['ping'](n + 1) end return S.ping(1)",
      'local step local function a(n) return step(n + 1) end step = a return a(1)',
      'local retry local function step(n) return retry(step, n + 1) end retry = function(fn, n) return fn(n) end return step(1)',
      'local function id(x) return x end local function loop(n) return id(loop)(n + 1) end return loop(1)',
      'local function f(n) return (f)(n + 1) end return f(1)',
      "function f(n) return _G['f'](n + 1) end return f(1)",
      // Functions that have no name of their own, or not the one the assignment suggests.
      'a, b = 1, function(n) return b(n + 1) end return b(1)',
      'f, g = function(n) return f(n + 1) end, 2 return f(1)',
      'local t t = {function(n) return t[1](n + 1) end} return t[1](1)',
      "local t = {} rawset(t, 'f', function(n) return t.f(n + 1) end) return t.f(1)",
      'local o = setmetatable({}, {__call = function(self, n) return self(n + 1) end}) return o(1)',
      // Other call forms, and infinite numeric limits.
      'local function f(n) return f(n + 1); end return f(1)',
      'local function f(t) return f{t} end return f{}',
      "local function f(s) return f's' end return f's'",
      'local function outer() local function inner(n) return inner(n + 1) end return inner(1) end return outer()',
      'for _ in select(1, function() return true end) do end',
      'for i = 1, math.huge do end',
      'for i = 1, 1/0 do end',
      // Limits no count can reach, a step of 0 or one computed, and an infinity kept in a variable.
      'for i = 1, 2^1024 do end',
      'for i = 2^53, 2^53 + 2 do end',
      'for i = 1, 10, 0 do end',
      'for i = 1, 10, tonumber(ARGV[1]) do end',
      'local INF = math.huge for i = 1, INF do end',
      // Any global reached through _G.
      "return _G.loadstring('while true do end')()",
      "return rawget(_G, 'loadstring')('while true do end')()",
      // A name that may hold another function by the time of the call.
      'local function g() return 1 end local function loop(g, n) return g(g, n + 1) end return loop(loop, 1)',
      'local function f(n) return n end local function g(n) return f(n + 1) end f = g return g(1)',
      'local function f(n) return n end local function g(n) local f = g return f(n + 1) end return g(1)',
      'local o = {} function o.run(n) return n end local function step(n) return o.run(n + 1) end o.run = step return step(1)',
      'local rcall = redis.call local function loop(rcall, n) return rcall(rcall, n + 1) end return loop(loop, 1)',
      // Counts a counter never reaches (from 2^52 on, adding the step may leave it unchanged), strings, fractional steps.
      'for i = 1, 1e300 do end',
      'for i = 1e16, 1e16 + 1 do end',
      "for i = 1, 'inf' do end",
      'for i = 1e14, 1e14 + 1, 0.001 do end',
      'for i = 0, tonumber(ARGV[1]), 0.5 do end',
      "for i = 1, tonumber(ARGV[1] .. 'e999') do end",
      'for i = 1, tonumber(ARGV[1]) * 1e300 do end',
      // Infinities made outside the loop.
      'local L = 1e999 for i = 1, L do end',
      'local L = 2^1024 for i = 1, L do end',
      'local n = 1/(0) for i = 1, n do end',
      "local n = tonumber('inf') for i = 1, n do end",
      // Recursion through pcall: each level catches the next one's stack overflow.
      'local function f() pcall(f) pcall(f) end f()',
    ]) {
      expect(forever(source), source).toBe(true);
    }
  });

  it('reads long scripts in time linear in their length, without running out of stack', () => {
    const chain = (n: number, closed: boolean): string =>
      Array.from({ length: n }, (_, i) => `local function f${i}(n) return f${i + 1 < n || !closed ? i + 1 : 0}(n) end`).join('\n');
    // 20,000 functions tail-calling the next one; closing the chain makes a cycle.
    expect(forever(chain(20_000, true))).toBe(true);
    expect(forever(chain(20_000, false))).toBe(false);
    expect(forever('local t = {}\n' + 't.f = function(n) return g(n) end\n'.repeat(20_000))).toBe(true);
  });

  it('tells loops whose count depends on values computed when they run, and the arguments that may stall them', () => {
    const computed = (source: string): boolean => hasComputedLoopLimits(tokenize(source));
    expect(computed('for i = 1, tonumber(ARGV[1]) do end')).toBe(true);
    expect(computed('for i = 1, #KEYS do end')).toBe(true);
    expect(computed('for i = 1, 10 do end')).toBe(false);
    expect(computed('for _, k in ipairs(KEYS) do end')).toBe(false);
    expect(forever('for i = 1, tonumber(ARGV[1]) do end')).toBe(false);
    for (const value of ['inf', '-inf', 'INFINITY', ' nan ', 'nan(abc)', '1e999', '9007199254740992', '-9.1e15', '0x20000000000000', '0x1p4', 'inf\0x', '1e999\0', '\t+1.e999\n', '.5e999', '1e+999', '5e15', '9007199254740990']) {
      expect(argumentsMayStallLoops([], [value]), value).toBe(true);
    }
    for (const value of ['', '1', '10', '1000000', '1733568000000', '1733568000000000', 'abc', 'info', 'job:1e999', '0xfffffffffffff', 'x1e999', '1e999x', '+inf:x']) {
      expect(argumentsMayStallLoops([value], [value]), value).toBe(false);
    }
  });
});

describe('shebangs', () => {
  it('reads flags, and answers the errors Redis answers', () => {
    expect(readShebang('return 1')).toEqual({ flags: SCRIPT_LEGACY, length: 0 });
    expect(readShebang('#!lua\nreturn 1')).toEqual({ flags: 0, length: 5 });
    expect(readShebang('#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\n')).toEqual({
      flags: SCRIPT_NO_WRITES | SCRIPT_ALLOW_OOM | SCRIPT_ALLOW_STALE | SCRIPT_NO_CLUSTER | SCRIPT_ALLOW_CROSS_SLOT,
      length: 76,
    });
    expect(readShebang('#!lua flags=\n')).toEqual({ flags: 0, length: 12 });
    expect(readShebang('#!lua "flags=no-writes"\n')).toEqual({ flags: SCRIPT_NO_WRITES, length: 23 });
    expect(readShebang('#!lua')).toBe('Invalid script shebang');
    expect(readShebang("#!lua 'x\n")).toBe('Invalid engine in script shebang');
    expect(readShebang('#!\n')).toBe('Unexpected engine in script shebang: #!');
    expect(readShebang('#!python\n')).toBe('Unexpected engine in script shebang: #!python');
    expect(readShebang('#!lua flags=nope\n')).toBe('Unexpected flag in script shebang: nope');
    expect(readShebang('#!lua flags=no-writes,\n')).toBe('Unexpected flag in script shebang: ');
    expect(readShebang('#!lua other=1\n')).toBe('Unknown lua shebang option: other=1');
  });
});

describe('the engine over lua-redis-wasm', () => {
  let engine: WasmScriptEngine;
  const calls: string[][] = [];
  let resp = 2;
  const host: ScriptHost = {
    call: (argv) => {
      calls.push(argv);
      const nil = resp === 3 ? '_\r\n' : '$-1\r\n';
      const text = argv[0] === 'GET' ? nil : argv[0] === 'BAD' ? '-ERR bad\r\n' : ':7\r\n';
      return { buf: Buffer.from(text, 'latin1'), start: 0, end: text.length };
    },
    setResp: (version) => {
      resp = version;
    },
    log: () => {},
    setRepl: () => {},
    aclCheck: () => true,
    errorReplied: () => {},
  };
  beforeAll(async () => {
    engine = await WasmScriptEngine.create('7.0.15');
  });

  function run(source: string, keys: string[] = [], args: string[] = []): string {
    const loaded = engine.load(source);
    if (typeof loaded === 'string') return `compile: ${loaded}`;
    const reply = new ReplyWriter();
    resp = 2;
    const failure = engine.run(loaded, keys, args, host, reply);
    if (failure !== null) return `failure: ${failure.message} @${failure.line}${failure.fromCommand ? ' (command)' : ''}`;
    let out = '';
    reply.flush({ write: (chunk) => (out += chunk.toString('latin1')) });
    return out;
  }

  it('compiles as Redis does, with its line numbers', () => {
    expect(run('return 1 +')).toBe("compile: user_script:1: unexpected symbol near '<eof>'");
    expect(run('\n\nreturn (1')).toBe("compile: user_script:3: ')' expected near '<eof>'");
    expect((engine.load('return 1') as { engineData: Driver }).engineData.wrapped).toBe(false);
  });

  it('passes KEYS and ARGV binary-safe, and calls the host for redis.call', () => {
    calls.length = 0;
    expect(run("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}", ['k\x00\xff'], ['\r\n'])).toBe('*3\r\n$3\r\nk\x00\xff\r\n$2\r\n\r\n\r\n:7\r\n');
    expect(calls).toEqual([['INCR', 'k\x00\xff']]);
  });

  it('keeps the first of several returned values', () => {
    expect(run('return 1, 2')).toBe(':1\r\n');
    expect(run("return 'a', 'b'")).toBe('$1\r\na\r\n');
  });

  it('tells command errors from Lua errors', () => {
    expect(run("return redis.call('BAD')")).toBe('failure: ERR bad @1 (command)');
    expect(run("\nerror('x')")).toBe('failure: ERR user_script:2: x @2');
    expect(run('return nope')).toBe("failure: ERR user_script:1: Script attempted to access nonexistent global variable 'nope' @1");
    expect(run("error({err = 'MINE here'})")).toBe('failure: MINE here @1');
  });

  it('gives nil for a RESP3 null to a script that selected RESP3', () => {
    expect(run("redis.setresp(3) return redis.call('GET', 'x') == nil")).toBe(':1\r\n');
    expect(run("return redis.call('GET', 'x') == false")).toBe(':1\r\n');
  });

  it('measures the VM and starts it afresh', () => {
    expect(engine.memoryUsed()).toBeGreaterThan(0);
    engine.reset();
    expect(run('return 1')).toBe(':1\r\n');
  });
});
