import { formatNumberArguments, mayBuildReplyTables, parenthesizeRandomTailCalls, returnsOneValue, tokenize, type Token } from './lua-source.js';

/**
 * The Lua text lua-redis-wasm runs for a script, around the script's own source.
 *
 * The engine compiles and runs one chunk per call and keeps no state between calls (its globals
 * are read-only, as Redis's are), so what Redis does in C around a script is done here in Lua,
 * in the same chunk, on the script's first line so that its line numbers stay the user's:
 *
 *   local __nodis_r = (function(...) <shims> <source>
 *   end)() redis.setresp(3) return __nodis_r
 *
 * - The script runs as a function whose first result only is kept: Redis calls the script for
 *   one result (`return 1, 2` is 1; the engine alone would return the last value).
 * - redis.setresp(3) before returning makes the engine hand back booleans and the
 *   double/map/set/big_number/verbatim_string tables as themselves whatever the script's
 *   protocol, as Redis converts them in both; booleans then follow the script's own protocol
 *   (abi.ts writeReturnedValue).
 * - Shims, only for the names the source mentions (a script without them costs nothing more):
 *   redis.error_reply, status_reply, log, sha1hex, setresp, set_repl and acl_check_cmd behave
 *   as Redis 7.0's (arguments checked the same way, error texts, log arguments joined), through
 *   a local `redis` that reads through to the real table and refuses writes like it; `error`
 *   raises error tables ({err=…}) as Redis does (in scripts that raise tables); `pcall` turns
 *   errors into what Redis's pcall returns; and a script that selects RESP3 gets nil for a
 *   RESP3 null.
 *
 * A script that needs none of this (lua-source.ts) runs as it is. Either way, the arguments of
 * redis.call/pcall that may be numbers go through a function formatting numbers as Redis does
 * ("%.17g"; the engine would use Lua's "%.14g").
 *
 * Errors raised by shims carry a marker (MARK, then a kind letter, then the text), raised one
 * level up so that Lua prefixes the position of the user's call: the engine would otherwise
 * report the shim's line (1). readFailure in wasm-engine.ts reads them back.
 */

/** Starts an error raised by a shim; the letter after it says how to read the rest. */
export const MARK = '\u0000nodis:';
/** The rest is the error as Redis's error table holds it ('ERR Invalid debug level.'). */
export const MARK_TABLE = 'T';
/** The rest is a Lua error raised at level 1: Redis shows it as 'ERR ' + position + text. */
export const MARK_LEVEL1 = 'L';
/** The rest is a Lua error raised at level 0 (no position): 'ERR ' + text. */
export const MARK_LEVEL0 = '0';
/** The rest is tostring() of an error value that is not a string (nil, a boolean): 'ERR ' + text. */
export const MARK_VALUE = 'N';

/** The commands the shims send to the host (argv[0]); no Redis command has such a name. */
export const SET_REPL_COMMAND = '\u0000nodis:set_repl';
export const ACL_CHECK_COMMAND = '\u0000nodis:acl_check_cmd';
/** math.random's draw (the integer reply lrand48() % INT32_MAX) and math.randomseed(seed): rand48.ts. */
export const RANDOM_COMMAND = '\u0000nodis:random';
export const RANDOM_SEED_COMMAND = '\u0000nodis:randomseed';

/** A Lua string literal holding `text` (latin1), escaped so that it stays on one line. */
export function luaString(text: string): string {
  let out = "'";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 39 || c === 92) out += '\\' + text[i];
    else if (c < 32 || c > 126) out += '\\' + c;
    else out += text[i];
  }
  return out + "'";
}

const M = '__nodis_M';
/** Raises a table-style error from a shim at the user's call site. */
const raiseTable = (message: string): string => `__nodis_E(${M} .. 'T' .. ${luaString(message)}, 2)`;
/** C's (int) cast of a Lua number. */
const TRUNCATE = 'local function __nodis_int(v) if v >= 0 then return math.floor(v) end return math.ceil(v) end';

const REDIS_MEMBERS: Record<string, string> = {
  error_reply:
    "error_reply = function(...) local e = ... if select('#', ...) ~= 1 or type(e) ~= 'string' then return {err = 'ERR wrong number or type of arguments'} end " +
    "local z = e:find('\\0', 1, true) if z then e = e:sub(1, z - 1) end if e:sub(1, 1) ~= '-' then e = '-' .. e end " +
    "local sp = e:find(' ', 1, true) local c, m if sp then c = e:sub(2, sp - 1) m = e:sub(sp + 1) else c = 'ERR' m = e:sub(2) end " +
    "m = m:gsub('^[\\r\\n]+', ''):gsub('[\\r\\n]+$', '') return {err = c .. ' ' .. m} end",
  status_reply:
    "status_reply = function(...) local s = ... if select('#', ...) ~= 1 or type(s) ~= 'string' then return {err = 'ERR wrong number or type of arguments'} end return {ok = s} end",
  log:
    "log = function(...) local n = select('#', ...) if n < 2 then " + raiseTable('ERR redis.log() requires two arguments or more.') + ' end ' +
    'local l = tonumber((...)) if l == nil then ' + raiseTable('ERR First argument must be a number (log level).') + ' end ' +
    'l = __nodis_int(l) if l < 0 or l > 3 then ' + raiseTable('ERR Invalid debug level.') + ' end ' +
    "local s = '' for i = 2, n do local v = select(i, ...) local t = type(v) if t == 'string' or t == 'number' then if i ~= 2 then s = s .. ' ' end s = s .. v end end " +
    'return __nodis_R.log(l, s) end',
  sha1hex:
    "sha1hex = function(...) if select('#', ...) ~= 1 then " + raiseTable('ERR wrong number of arguments') + ' end return __nodis_R.sha1hex(...) end',
  setresp:
    "setresp = function(...) if select('#', ...) ~= 1 then " + raiseTable('ERR redis.setresp() requires one argument.') + ' end ' +
    'local v = __nodis_int(tonumber((...)) or 0) if v ~= 2 and v ~= 3 then ' + raiseTable('ERR RESP version must be 2 or 3.') + ' end ' +
    'return __nodis_R.setresp(v) end',
  set_repl:
    "set_repl = function(...) if select('#', ...) ~= 1 then " + raiseTable('ERR redis.set_repl() requires two arguments.') + ' end ' +
    'local v = __nodis_int(tonumber((...)) or 0) if v < 0 or v > 3 then ' +
    raiseTable('ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.') + ' end ' +
    `__nodis_R.pcall(${luaString(SET_REPL_COMMAND)}, v) end`,
  acl_check_cmd:
    "acl_check_cmd = function(...) local n = select('#', ...) if n == 0 then " + raiseTable('ERR Please specify at least one argument for this redis lib call') + ' end ' +
    "for i = 1, n do local t = type((select(i, ...))) if t ~= 'string' and t ~= 'number' then " +
    raiseTable('ERR Lua redis lib command arguments must be strings or integers') + ' end end ' +
    `local r = __nodis_R.pcall(${luaString(ACL_CHECK_COMMAND)}, ...) if type(r) == 'table' then __nodis_E(${M} .. 'T' .. r.err, 2) end return r end`,
};

/**
 * redis.call and redis.pcall of a script that may select RESP3: replies come with RESP3 nulls
 * marked (abi.ts NULL_MARKER), made nil here as Redis makes them. The call goes through the
 * engine's pcall so that its errors are raised from here at the user's call site.
 */
const NULL_CALLS =
  `local __nodis_NULL = ${luaString('\u0000nodis-null')} ` +
  'local function __nodis_fix(v) if type(v) ~= \'table\' then return v end if v.big_number == __nodis_NULL then return nil end ' +
  "for k, x in pairs(v) do if type(x) == 'table' then v[k] = __nodis_fix(x) end end return v end " +
  // Raised 3 levels up: past this function and redis.call's own (or the tail call that replaced it).
  'local function __nodis_call(raise, ...) local ok, r = __nodis_P(__nodis_R.pcall, ...) if not ok then ' +
  `__nodis_E(${M} .. 'T' .. 'ERR Lua redis lib command arguments must be strings or integers', 3) end ` +
  `if raise and type(r) == 'table' and r.err ~= nil then __nodis_E(${M} .. 'T' .. r.err, 3) end return __nodis_fix(r) end `;
const NULL_CALL_MEMBERS = 'call = function(...) return __nodis_call(true, ...) end, pcall = function(...) return __nodis_call(false, ...) end';

/**
 * math.random and math.randomseed as Redis 7.0's (script_lua.c): Lua's own, with the draws
 * taken from Redis's lrand48 (rand.c), one sequence for the process that only randomseed
 * resets; the engine's use libc's rand(). The draw is taken before the arguments are checked,
 * as Redis does. Arguments are luaL_checkint's: numbers or numeric strings, truncated to an
 * int. Each is made for the name its argument errors give: 'random'/'randomseed' as
 * `math.random(…)` calls them, '?' as pcall calls them (Lua names a function pcall runs '?').
 * Not matched, for want of the debug information Lua's C functions read: the name of another
 * variable they are called through (`local r = math.random; r(0)` names 'r' in Redis), and
 * the line of such a call made as a tail call (`return r(0)`).
 */
const MATH_FUNCTIONS =
  'local __nodis_floor = math.floor local __nodis_math = math ' +
  'local function __nodis_checkint(v, i, n, name) local x = tonumber(v) if x == nil then ' +
  "local t = 'no value' if i <= n then t = type(v) end " +
  `__nodis_E(${M} .. 'L' .. 'bad argument #' .. i .. " to '" .. name .. "' (number expected, got " .. t .. ')', 3) end ` +
  'if x >= 0 then x = __nodis_floor(x) else x = -__nodis_floor(-x) end ' +
  'if x >= 2147483648 or x < -2147483648 then x = (x + 2147483648) % 4294967296 - 2147483648 end return x end ' +
  'local function __nodis_mkrandom(name) ' +
  `return function(...) local r = __nodis_R.pcall(${luaString(RANDOM_COMMAND)}) / 2147483647 local n = select('#', ...) ` +
  'if n == 0 then return r end ' +
  'if n == 1 then local u = __nodis_checkint((...), 1, n, name) if u < 1 then ' +
  `__nodis_E(${M} .. 'L' .. "bad argument #1 to '" .. name .. "' (interval is empty)", 2) end return __nodis_floor(r * u) + 1 end ` +
  'if n == 2 then local l, u = ... l = __nodis_checkint(l, 1, n, name) u = __nodis_checkint(u, 2, n, name) if l > u then ' +
  `__nodis_E(${M} .. 'L' .. "bad argument #2 to '" .. name .. "' (interval is empty)", 2) end return __nodis_floor(r * (u - l + 1)) + l end ` +
  `__nodis_E(${M} .. 'L' .. 'wrong number of arguments', 2) end end ` +
  'local function __nodis_mkrandomseed(name) ' +
  "return function(...) local s = __nodis_checkint((...), 1, select('#', ...), name) " +
  `__nodis_R.pcall(${luaString(RANDOM_SEED_COMMAND)}, s) end end ` +
  "local __nodis_random, __nodis_randomseed = __nodis_mkrandom('random'), __nodis_mkrandomseed('randomseed') ";

const READONLY_NEWINDEX = `__newindex = function() __nodis_E(${M} .. 'L' .. 'Attempt to modify a readonly table', 2) end`;

/**
 * The script's `math`: a table of its own with every function of the engine's, random and
 * randomseed replaced, so that pairs, next and rawget see them all as in Redis; adding a field
 * is refused as Redis refuses it (its math is read-only). A field that exists can only be
 * refused through an empty proxy, which pairs would see empty: that is what a script gets that
 * assigns to a field of math itself (MATH_PROXY), which fails in Redis anyway.
 */
const MATH_TABLE =
  'local math = {} for k, v in pairs(__nodis_math) do math[k] = v end ' +
  'math.random, math.randomseed = __nodis_random, __nodis_randomseed ' +
  `setmetatable(math, {${READONLY_NEWINDEX}}) `;

const MATH_PROXY =
  'local math = setmetatable({}, {__index = setmetatable({random = __nodis_random, randomseed = __nodis_randomseed}, {__index = __nodis_math}), ' +
  `${READONLY_NEWINDEX}}) `;

/** pcall of a script that has the math shim: it calls random and randomseed by their '?' names. */
const MATH_PCALL =
  "local __nodis_qrandom, __nodis_qrandomseed = __nodis_mkrandom('?'), __nodis_mkrandomseed('?') " +
  'local pcall = function(...) local f = ... ' +
  'if f == __nodis_random then return __nodis_unmark(__nodis_P(__nodis_qrandom, select(2, ...))) end ' +
  'if f == __nodis_randomseed then return __nodis_unmark(__nodis_P(__nodis_qrandomseed, select(2, ...))) end ' +
  'return __nodis_unmark(__nodis_P(...)) end';

/**
 * Whether the script assigns to a field of `math` itself (`math.x = …`, `math[…] = …`) or may
 * through rawset, or cannot be read: it gets the read-only proxy (MATH_PROXY).
 */
function mayWriteMath(tokens: readonly Token[] | null, words: Set<string>): boolean {
  if (tokens === null || words.has('rawset')) return true;
  for (let i = 0; i + 1 < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'name' || t.text !== 'math') continue;
    const next = tokens[i + 1] as Token;
    if (next.text === '[') return true;
    if (next.text === '.' && i + 3 < tokens.length && (tokens[i + 3] as Token).text === '=') return true;
  }
  return false;
}

const ERROR_SHIM =
  'local error = function(e, l) local t = type(e) ' +
  "if t == 'table' then local m = e.err if type(m) == 'string' or type(m) == 'number' then __nodis_E(__nodis_M .. 'T' .. m, 2) end " +
  "__nodis_last = e __nodis_E(__nodis_M .. 'N' .. tostring(e), 2) end " +
  "if t ~= 'string' and t ~= 'number' then __nodis_last = e __nodis_E(__nodis_M .. 'N' .. tostring(e), 2) end " +
  "l = l or 1 if l == 1 then __nodis_E(__nodis_M .. 'L' .. e, 2) end if type(l) == 'number' and l <= 0 then __nodis_E(__nodis_M .. '0' .. e, 2) end " +
  "if type(l) == 'number' then return __nodis_E(e, l + 1) end return __nodis_E(e, l) end";

const UNMARK =
  'local function __nodis_unmark(ok, ...) if ok then return ok, ... end local e = ... ' +
  "if type(e) ~= 'string' then return false, e end local s, f = e:find(__nodis_M, 1, true) " +
  "if s then local k = e:sub(f + 1, f + 1) local v = e:sub(f + 2) if k == 'T' or k == '0' then return false, v end " +
  "if k == 'L' then return false, e:sub(1, s - 1) .. v end return false, __nodis_last end " +
  "s = e:find('__RLUA_E__:', 1, true) if s then local v = e:sub(s + 11) " +
  "if v == 'command-arg-type' then return false, 'ERR Lua redis lib command arguments must be strings or integers' end " +
  "if v:sub(1, 12) == 'global-read:' then return false, e:sub(1, s - 1) .. \"Script attempted to access nonexistent global variable '\" .. v:sub(13) .. \"'\" end end " +
  'return false, e end ';
const PCALL_SHIM = UNMARK + 'local pcall = function(...) return __nodis_unmark(__nodis_P(...)) end';

/** What the engine runs for one script. */
export interface Driver {
  /** The whole chunk (latin1). */
  text: string;
  /**
   * The source is wrapped as above; when false the chunk is the source alone (every return of
   * it gives one value, it builds no RESP3 reply table and needs no shim), which the engine
   * compiles and runs in about half the time.
   */
  wrapped: boolean;
  /** redis.call marks RESP3 nulls for this script (its shims turn them into nil). */
  marksNulls: boolean;
  /**
   * The line of the chunk where the script's function is called (after the script's last
   * line): an error raised at level 2 from the script's top level points there, where Redis's
   * points nowhere (its caller is C).
   */
  callLine: number;
}

const PREFIX = 'local __nodis_r = (function(...) ';
const SUFFIX = '\nend)() redis.setresp(3) return __nodis_r';

/** What redis.call/pcall arguments that may be numbers go through (lua-source.ts formatNumberArguments). */
const NUMBER_SHIM =
  "local __nodis_F = string.format local function __nodis_N(v) if type(v) == 'number' then return __nodis_F('%.17g', v) end return v end ";

/** The chunk the engine runs for a script's source (its body after the shebang line). */
export function buildDriver(source: string): Driver {
  let callLine = 2;
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) callLine++;
  const originalTokens = tokenize(source);
  const untailed = originalTokens === null ? null : parenthesizeRandomTailCalls(source, originalTokens);
  const user = untailed ?? source;
  const tokens = untailed === null ? originalTokens : tokenize(untailed);
  const withNumbers = tokens === null ? null : formatNumberArguments(user, tokens, '__nodis_N');
  const numbers = withNumbers === null ? '' : NUMBER_SHIM;
  const body = withNumbers ?? user;
  const words = new Set(source.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []);
  const members = Object.keys(REDIS_MEMBERS).filter((name) => words.has(name));
  const marksNulls = words.has('setresp');
  // Only scripts raising tables ({err=…}, redis.error_reply(…)) need `error` changed: a string
  // raised through a shim could lose its position when the user tail-calls it (`return error(…)`).
  const shimError = /\berror\s*\(\s*(\{|redis\s*\.)/.test(source);
  const shimPcall = words.has('pcall');
  const shimMath = words.has('random') || words.has('randomseed');
  if (members.length === 0 && !shimError && !shimPcall && !shimMath) {
    if (tokens !== null && returnsOneValue(tokens) && !mayBuildReplyTables(tokens)) return { text: numbers + body, wrapped: false, marksNulls: false, callLine: 0 };
    return { text: PREFIX + numbers + body + SUFFIX, wrapped: true, marksNulls: false, callLine };
  }
  const parts = [`local ${M} = ${luaString(MARK)} local __nodis_E = error local __nodis_P = pcall local __nodis_R = redis local __nodis_last`];
  if (members.length !== 0) {
    parts.push(TRUNCATE);
    if (marksNulls) parts.push(NULL_CALLS);
    const fields = members.map((name) => REDIS_MEMBERS[name] as string);
    if (marksNulls) fields.push(NULL_CALL_MEMBERS);
    parts.push(
      `local redis = setmetatable({}, {__index = setmetatable({${fields.join(', ')}}, {__index = __nodis_R}), ` +
        `__newindex = function() __nodis_E(${M} .. 'L' .. 'Attempt to modify a readonly table', 2) end})`,
    );
  }
  if (shimMath) parts.push(MATH_FUNCTIONS, mayWriteMath(tokens, words) ? MATH_PROXY : MATH_TABLE);
  if (shimError) parts.push(ERROR_SHIM);
  if (shimPcall) parts.push(shimMath ? UNMARK + MATH_PCALL : PCALL_SHIM);
  return { text: PREFIX + numbers + parts.join(' ') + ' ' + body + SUFFIX, wrapped: true, marksNulls, callLine };
}

/** The chunk that only compiles a source (ARGV[1]), as Redis does when a script is created. */
export const COMPILE_CHUNK = "local f, e = loadstring(ARGV[1], '@user_script') if f then return nil end return e";
