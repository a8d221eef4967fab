import type { ServerContext } from '../commands/core/context.js';
import { RedisError } from '../errors.js';
import { splitArgs } from '../protocol/parser.js';
import { ReplyWriter } from '../protocol/reply.js';
import { MARK, luaString } from './driver.js';
import { tokenize, type Token } from './lua-source.js';
import type { LoadedScript, ReplyBytes, ScriptEngine, ScriptHost } from './engine.js';
import { SCRIPT_ALLOW_CROSS_SLOT, SCRIPT_ALLOW_OOM, SCRIPT_ALLOW_STALE, SCRIPT_NO_CLUSTER, SCRIPT_NO_WRITES } from './shebang.js';

/**
 * Redis 7.0's functions (functions.c, function_lua.c) over an engine that keeps no state between
 * runs: a library is its source, read once at FUNCTION LOAD by running it in a glue chunk that
 * collects what it registers (a Lua-side redis.register_function), and run again at every FCALL
 * in a glue chunk that, once the library has registered its functions, calls the one asked for
 * with KEYS and ARGV. Each (library, function) chunk is compiled into the engine's form once and
 * kept with the library.
 *
 * Redis runs a library's code at load time with globals that hold only its load-time `redis`
 * table; the engine has no setfenv, so the load glue shadows that table (redis.call and the rest
 * are refused as Redis refuses them) and the standard globals (LOAD_HIDDEN_GLOBALS).
 *
 * The glue sits on the library's first line (the shebang's, which Redis compiles as an empty
 * line), so line numbers in errors stay the user's.
 */

/** Function flags as Redis names them (script.c scripts_flags_def), in its order. */
export const FUNCTION_FLAG_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['no-writes', SCRIPT_NO_WRITES],
  ['allow-oom', SCRIPT_ALLOW_OOM],
  ['allow-stale', SCRIPT_ALLOW_STALE],
  ['no-cluster', SCRIPT_NO_CLUSTER],
  ['allow-cross-slot-keys', SCRIPT_ALLOW_CROSS_SLOT],
];

export interface FunctionInfo {
  readonly name: string;
  readonly description: string | null;
  /** SCRIPT_… bits. */
  readonly flags: number;
  readonly library: Library;
}

export interface Library {
  readonly name: string;
  /** The engine as the shebang names it, upper-case ("LUA"). */
  readonly engine: string;
  /** The whole payload of FUNCTION LOAD, shebang included (what DUMP, RDB and LIST WITHCODE hold). */
  readonly code: string;
  /** In registration order. */
  readonly functions: FunctionInfo[];
  /** The FCALL chunk of each function, compiled on first use. */
  readonly chunks: Map<string, LoadedScript>;
}

const ERR_NAME =
  'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';

/** Redis's functionsVerifyName. */
function validName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}

/** Redis's functionExtractLibMetaData: engine, name and code (from the shebang's newline on), or an error. */
export function readLibraryMetadata(payload: string): { engine: string; name: string; code: string } | string {
  if (!payload.startsWith('#!')) return 'Missing library metadata';
  const end = payload.indexOf('\n');
  if (end < 0) return 'Invalid library metadata';
  let line = payload.slice(0, end);
  const zero = line.indexOf('\0');
  if (zero >= 0) line = line.slice(0, zero);
  const parts = splitArgs(line);
  if (parts === null || parts.length === 0) return 'Invalid library metadata';
  const engine = (parts[0] as string).slice(2);
  let name: string | null = null;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== null) return 'Invalid metadata value, name argument was given multiple times';
      name = part.slice(5);
      continue;
    }
    return `Invalid metadata value given: ${part}`;
  }
  if (name === null) return 'Library name was not given';
  return { engine, name, code: payload.slice(end) };
}

/** What the load glue and the register_function shim raise their errors with. */
const raise = (text: string): string => `__fnE(__fnM .. 'T' .. ${luaString('ERR ' + text)}, 2)`;
const nonexistent = `__fnE(__fnM .. 'L' .. "Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)`;
const readonly = `__fnE(__fnM .. 'L' .. 'Attempt to modify a readonly table', 2)`;

/** Lua-side function flags: name -> bit. */
const FLAG_TABLE = '{' + FUNCTION_FLAG_NAMES.map(([name, bit]) => `[${luaString(name)}] = ${bit}`).join(', ') + '}';

/**
 * The glue before the library's code at FUNCTION LOAD (one line): the library sees only what
 * Redis's load-time `redis` table holds (register_function, log and the version fields), and its
 * registrations are checked as Redis checks them.
 */
function loadPrefix(): string {
  return (
    `local __fnM = ${luaString(MARK)} local __fnE = error local __fnR = redis ` +
    'local __fnRegistering = true local __fnReg = {} local __fnOut = {} local __fnConcat = table.concat ' +
    `local __fnFlagBits = ${FLAG_TABLE} ` +
    "local __fnLoadApi = {register_function = true, log = true, LOG_DEBUG = true, LOG_VERBOSE = true, LOG_NOTICE = true, LOG_WARNING = true, REDIS_VERSION = true, REDIS_VERSION_NUM = true} " +
    'local function __fnRegister(...) ' +
    "local n = select('#', ...) " +
    `if n < 1 or n > 2 then ${raise('wrong number of arguments to redis.register_function')} end ` +
    'local name, cb, desc, flags = nil, nil, nil, 0 ' +
    'if n == 1 then local t = ... ' +
    `if type(t) ~= 'table' then ${raise('calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')} end ` +
    'for k, v in pairs(t) do ' +
    `if type(k) ~= 'string' and type(k) ~= 'number' then ${raise('named argument key given to redis.register_function is not a string')} end ` +
    'local lk = tostring(k):lower() ' +
    `if lk == 'function_name' then if type(v) ~= 'string' and type(v) ~= 'number' then ${raise('function_name argument given to redis.register_function must be a string')} end name = tostring(v) ` +
    `elseif lk == 'description' then if type(v) ~= 'string' and type(v) ~= 'number' then ${raise('description argument given to redis.register_function must be a string')} end desc = tostring(v) ` +
    `elseif lk == 'callback' then if type(v) ~= 'function' then ${raise('callback argument given to redis.register_function must be a function')} end cb = v ` +
    `elseif lk == 'flags' then if type(v) ~= 'table' then ${raise('flags argument to redis.register_function must be a table representing function flags')} end ` +
    `local seen = {} for _, f in pairs(v) do local b = type(f) == 'string' and __fnFlagBits[f] or nil if b == nil then ${raise('unknown flag given')} end ` +
    'if not seen[b] then seen[b] = true flags = flags + b end end ' +
    `else ${raise('unknown argument given to redis.register_function')} end end ` +
    `if name == nil then ${raise('redis.register_function must get a function name argument')} end ` +
    `if cb == nil then ${raise('redis.register_function must get a callback argument')} end ` +
    'else local a, b = ... ' +
    `if type(a) ~= 'string' and type(a) ~= 'number' then ${raise('first argument to redis.register_function must be a string')} end ` +
    `if type(b) ~= 'function' then ${raise('second argument to redis.register_function must be a function')} end ` +
    'name = tostring(a) cb = b end ' +
    `if not string.find(name, '^[A-Za-z0-9_]+$') then ${raise(ERR_NAME)} end ` +
    `if __fnReg[name] ~= nil then ${raise('Function already exists in the library')} end ` +
    "__fnReg[name] = cb __fnOut[#__fnOut + 1] = name .. '\\0' .. flags .. '\\0' .. (desc == nil and '-' or ('+' .. desc)) end " +
    // redis.register_function exists only while the library registers (Redis's load-time table).
    "local redis = setmetatable({}, {__index = function(_, k) if k == 'register_function' then if __fnRegistering then return __fnRegister end return nil end " +
    `if __fnRegistering and not __fnLoadApi[k] then ${nonexistent} end return __fnR[k] end, ` +
    `__newindex = function() ${readonly} end}) ` +
    'local function __fnDeny(name) local raise = function() ' +
    `__fnE(__fnM .. 'L' .. "Script attempted to access nonexistent global variable '" .. name .. "'", 2) end ` +
    'return setmetatable({}, {__index = raise, __newindex = raise, __call = raise}) end ' +
    LOAD_HIDDEN_GLOBALS.map((name) => `local ${name} = __fnDeny('${name}')`).join(' ') +
    ' local __fnLib = function() '
  );
}

/**
 * The globals Redis's load-time environment does not have, shadowed while a library loads: a
 * use of one (a call, an index) raises Redis's "nonexistent global variable" error at the line
 * of the use. (A mere read that is never used passes, where Redis raises at once.)
 */
const LOAD_HIDDEN_GLOBALS = [
  'string', 'math', 'table', 'error', 'pcall', 'xpcall', 'tostring', 'tonumber', 'type', 'pairs', 'ipairs', 'next',
  'select', 'unpack', 'assert', 'setmetatable', 'getmetatable', 'rawget', 'rawset', 'rawequal', 'loadstring',
  'cjson', 'cmsgpack', 'struct', 'bit', 'os', 'coroutine', 'gcinfo', 'collectgarbage', 'print', '_G', 'KEYS', 'ARGV',
];

/** After the library's code: the load run returns what was registered (names, flags, descriptions). */
const LOAD_SUFFIX =
  "\nend __fnLib() __fnRegistering = false return __fnConcat(__fnOut, '\\1')";

/**
 * The glue of an FCALL run, kept short (the engine compiles it with the library at every call,
 * at about a microsecond a statement): the library's registrations were checked at load, so
 * redis.register_function only has to keep the callback of the function `name`. The script's
 * `redis` reads through an empty table (writes to it are refused as Redis refuses them) to one
 * holding register_function, which the suffix removes once the library's code has run, and on
 * to the engine's own.
 */
function callPrefix(name: string, code: string): string {
  // A library that registers its functions only as register_function('name', callback) gets
  // the register function without the table form's loop (a few microseconds less to compile).
  const register = registersByName(code)
    ? `register_function=function(n,c) if n==${luaString(name)} then __fF=c end end`
    : 'register_function=function(n,c) if c==nil then ' +
      "for k,v in pairs(n) do k=string.lower(tostring(k)) if k=='function_name' then n=v elseif k=='callback' then c=v end end end " +
      `if tostring(n)==${luaString(name)} then __fF=c end end`;
  return (
    `local __fR,__fE,__fF=redis,error local __fA=setmetatable({${register}},{__index=__fR}) ` +
    `local redis=setmetatable({},{__index=__fA,__newindex=function() __fE(${luaString(MARK)}..'L'..'Attempt to modify a readonly table',2) end}) ` +
    'local __fL=function() '
  );
}

/** Whether every mention of register_function in `code` is a call whose first argument is a string literal. */
function registersByName(code: string): boolean {
  const tokens = tokenize(code);
  if (tokens === null) return false;
  for (let i = 0; i < tokens.length; i++) {
    if ((tokens[i] as Token).text !== 'register_function') continue;
    if (tokens[i + 1]?.text !== '(' || tokens[i + 2]?.kind !== 'string') return false;
  }
  return true;
}

/** After the library's code: the FCALL run calls the function with KEYS and ARGV. */
const CALL_SUFFIX = '\nend __fL() __fA.register_function=nil return __fF(KEYS,ARGV)';

/** A host for the load run: redis.log works, nothing else reaches it. */
function loadHost(server: ServerContext): ScriptHost {
  const refused: ReplyBytes = { buf: Buffer.from('-ERR not allowed\r\n', 'latin1'), start: 0, end: 18 };
  return {
    call: () => refused,
    setResp: () => {},
    log: (level, message) => {
      if (level >= 3) server.log.warn(message);
      else if (level === 2) server.log.info(message);
      else server.log.debug(message);
    },
    setRepl: () => {},
    aclCheck: () => null,
    errorReplied: () => {},
  };
}

/** Redis's error positions name the chunk "@user_function"; the engine's are "@user_script". */
export function functionErrorText(message: string): string {
  return message.replace(/^(\w+ )?user_script:/, (_m, code: string | undefined) => `${code ?? ''}user_function:`);
}

/**
 * Redis's functionsCreateWithLibraryCtx up to the engine's create: the library `payload`
 * describes, its code run once to see what it registers (not run when `refuseExisting` holds a
 * library of that name). Throws a RedisError with Redis's text.
 */
export function compileLibrary(engine: ScriptEngine, server: ServerContext, payload: string, refuseExisting: FunctionLibraries | null = null): Library {
  const meta = readLibraryMetadata(payload);
  if (typeof meta === 'string') throw new RedisError(`ERR ${meta}`);
  if (!validName(meta.name)) throw new RedisError(`ERR ${ERR_NAME}`);
  if (meta.engine.toLowerCase() !== 'lua') throw new RedisError(`ERR Engine '${meta.engine}' not found`);
  // Redis refuses a library that exists (without REPLACE) before running its code.
  if (refuseExisting !== null && refuseExisting.libraries.has(meta.name)) throw new RedisError(`ERR Library '${meta.name}' already exists`);
  // The code alone first: its compile errors are Redis's, positions and all.
  const alone = engine.load(meta.code);
  if (typeof alone === 'string') throw new RedisError(`ERR Error compiling function: ${functionErrorText(alone)}`);
  const loadChunk = engine.load(loadPrefix() + meta.code + LOAD_SUFFIX);
  if (typeof loadChunk === 'string') throw new RedisError(`ERR Error compiling function: ${functionErrorText(loadChunk)}`);
  const reply = new ReplyWriter();
  const failure = engine.run(loadChunk, [], [], loadHost(server), reply);
  if (failure !== null) {
    if (failure.kind !== 'error') throw new RedisError(`ERR Error registering functions: ${failure.message}`);
    throw new RedisError(`ERR Error registering functions: ${functionErrorText(failure.message)}`);
  }
  const registered = readBulk(reply.pendingBuffer, reply.pendingStart, reply.pendingEnd);
  const library: Library = { name: meta.name, engine: 'LUA', code: payload, functions: [], chunks: new Map() };
  if (registered.length !== 0) {
    for (const entry of registered.split('\u0001')) {
      const first = entry.indexOf('\0');
      const second = entry.indexOf('\0', first + 1);
      const description = entry[second + 1] === '+' ? entry.slice(second + 2) : null;
      library.functions.push({ name: entry.slice(0, first), flags: Number(entry.slice(first + 1, second)), description, library });
    }
  }
  if (library.functions.length === 0) throw new RedisError('ERR No functions registered');
  return library;
}

/** The FCALL chunk of one function of a library (compiled once, then kept). */
export function functionChunk(engine: ScriptEngine, fn: FunctionInfo): LoadedScript {
  const library = fn.library;
  let chunk = library.chunks.get(fn.name);
  if (chunk === undefined) {
    const meta = readLibraryMetadata(library.code);
    if (typeof meta === 'string') throw new RedisError(`ERR ${meta}`);
    const loaded = engine.load(callPrefix(fn.name, meta.code) + meta.code + CALL_SUFFIX, meta.code);
    if (typeof loaded === 'string') throw new RedisError(`ERR Error compiling function: ${functionErrorText(loaded)}`);
    chunk = loaded;
    library.chunks.set(fn.name, chunk);
  }
  return chunk;
}

/** The text of a RESP bulk reply (the load run's). */
function readBulk(buf: Buffer, start: number, end: number): string {
  if (buf[start] !== 36 /* '$' */) return '';
  const crlf = buf.indexOf(13, start);
  const length = Number(buf.latin1Slice(start + 1, crlf));
  if (length < 0) return '';
  return buf.latin1Slice(crlf + 2, Math.min(end, crlf + 2 + length));
}

/**
 * The libraries of a server (Redis's functionsLibCtx): by name (case-sensitive), and every
 * function by name (case-insensitive, as Redis's functions dict).
 */
export class FunctionLibraries {
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, FunctionInfo>();

  get functionCount(): number {
    return this.functions.size;
  }

  findFunction(name: string): FunctionInfo | undefined {
    return this.functions.get(name.toLowerCase());
  }

  /**
   * Adds a compiled library (Redis's functionsCreateWithLibraryCtx after create): refused when it
   * exists (unless `replace`) or one of its functions exists in another library.
   */
  add(library: Library, replace: boolean): void {
    const old = this.libraries.get(library.name);
    if (old !== undefined && !replace) throw new RedisError(`ERR Library '${library.name}' already exists`);
    for (const fn of library.functions) {
      const existing = this.functions.get(fn.name.toLowerCase());
      if (existing !== undefined && existing.library !== old) throw new RedisError(`ERR Function ${fn.name} already exists`);
    }
    if (old !== undefined) this.unlink(old);
    this.link(library);
  }

  delete(name: string): boolean {
    const library = this.libraries.get(name);
    if (library === undefined) return false;
    this.unlink(library);
    return true;
  }

  clear(): void {
    this.libraries.clear();
    this.functions.clear();
  }

  /**
   * Redis's libraryJoin: the libraries of `from` added to these; on a library that exists, an
   * error (or, with `replace`, the old one replaced); on a function that exists, an error. All
   * or nothing.
   */
  join(from: FunctionLibraries, replace: boolean): void {
    const replaced: Library[] = [];
    for (const library of from.libraries.values()) {
      const old = this.libraries.get(library.name);
      if (old === undefined) continue;
      if (!replace) throw new RedisError(`ERR Library ${library.name} already exists`);
      replaced.push(old);
    }
    for (const old of replaced) this.unlink(old);
    for (const fn of from.functions.values()) {
      if (this.functions.has(fn.name.toLowerCase())) {
        for (const old of replaced) this.link(old);
        throw new RedisError(`ERR Function ${fn.name} already exists`);
      }
    }
    for (const library of from.libraries.values()) this.link(library);
  }

  /** Takes everything `from` holds, in place of what these held (RESTORE FLUSH). */
  swap(from: FunctionLibraries): void {
    this.clear();
    for (const library of from.libraries.values()) this.link(library);
  }

  /** Bytes the libraries take (INFO used_memory_functions): their code and names, roughly as Redis counts. */
  memory(): number {
    let bytes = 0;
    for (const library of this.libraries.values()) {
      bytes += 64 + library.code.length + library.name.length;
      for (const fn of library.functions) bytes += 96 + fn.name.length + (fn.description?.length ?? 0);
    }
    return bytes;
  }

  private link(library: Library): void {
    this.libraries.set(library.name, library);
    for (const fn of library.functions) this.functions.set(fn.name.toLowerCase(), fn);
  }

  private unlink(library: Library): void {
    this.libraries.delete(library.name);
    for (const fn of library.functions) {
      if (this.functions.get(fn.name.toLowerCase())?.library === library) this.functions.delete(fn.name.toLowerCase());
    }
  }
}

const librariesByServer = new WeakMap<ServerContext, FunctionLibraries>();

/** The function libraries of a server (made on first use). */
export function functionsOf(server: ServerContext): FunctionLibraries {
  let libraries = librariesByServer.get(server);
  if (libraries === undefined) {
    libraries = new FunctionLibraries();
    librariesByServer.set(server, libraries);
  }
  return libraries;
}
