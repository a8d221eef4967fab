import { createHash } from 'node:crypto';
import { load, type LuaWasmModule, type RedisProps } from 'lua-redis-wasm';
import type { ReplyWriter } from '../protocol/reply.js';
import { ABI_BULK, ABI_ERROR, ABI_INT, ABI_SCRIPT_ERROR, AbiWriter, respToAbi, writeReturnedValue, type ReturnedValueOptions } from './abi.js';
import { ACL_CHECK_COMMAND, COMPILE_CHUNK, MARK, RANDOM_COMMAND, RANDOM_SEED_COMMAND, SET_REPL_COMMAND, buildDriver, type Driver } from './driver.js';
import type { LoadedScript, ReplyBytes, ScriptEngine, ScriptFailure, ScriptHost } from './engine.js';
import { hasComputedLoopLimits, mayRunForever, tokenize } from './lua-source.js';
import { RAND48_MAX, Rand48 } from './rand48.js';
import type { WorkerScript } from './worker-engine.js';

/**
 * The ScriptEngine over lua-redis-wasm 1.5.0: Redis's own Lua 5.1 (with its read-only globals,
 * cjson, cmsgpack, struct and bit) compiled to WebAssembly, driven here through its raw
 * exports rather than its JS wrapper, which hashes every script in JS and allocates a few
 * buffers per value on every call. Scripts run on the event loop: a script that never ends
 * runs until the engine's fuel (instruction budget, set to its maximum, about 4.3e9 Lua
 * instructions, a few seconds) runs out; BUSY and SCRIPT KILL need the engine in a worker.
 *
 * The VM's 64 MiB heap is fixed: a script that allocates more aborts the WebAssembly instance,
 * which is then dropped and a new one created (asynchronously; scripts answer an error until
 * it is ready).
 */

/** What this module uses of the package's internals (checked when a VM is created). */
interface WasmExports {
  HEAPU8: Uint8Array;
  _eval_with_args(retPtr: number, scriptPtr: number, scriptLength: number, argsPtr: number, argsLength: number, keyCount: number): void;
  _alloc(size: number): number;
  _free_mem(ptr: number): void;
  _reset(): number;
}

/** The package's host callbacks, which its WebAssembly imports call through (swapped for ours). */
interface HostCallbacks {
  call: (a: number, b: number, c?: number) => bigint | undefined;
  pcall: (a: number, b: number, c?: number) => bigint | undefined;
  log: (level: number, ptr: number, length: number) => void;
  setresp: (version: number) => void;
  sha1hex: (a: number, b: number, c?: number) => bigint | undefined;
}

/** The engine's largest instruction budget (a u32): a runaway script stops after a few seconds. */
const MAX_FUEL = 0xffffffff;

/** A fixed reply, as a host's call returns it. */
const fixed = (text: string): ReplyBytes => ({ buf: Buffer.from(text, 'latin1'), start: 0, end: text.length });
const ERR_NO_ARGUMENTS = fixed('-ERR Please specify at least one argument for this redis lib call\r\n');
const ERR_ACL_UNKNOWN = fixed('-ERR Invalid command passed to redis.acl_check_cmd()\r\n');
/** What redis.call gets instead of a reply larger than the VM's heap (as from the worker engine). */
const ERR_REPLY_TOO_LARGE = fixed('-ERR the reply is too large to hand to the script\r\n');
const OK_REPLY = fixed('+OK\r\n');
const TRUE_REPLY = fixed('#t\r\n');
const FALSE_REPLY = fixed('#f\r\n');
/** What the engine answers for a value it cannot encode (a function…); Redis replies null for it. */
const UNSUPPORTED_RETURN = 'ERR unsupported Lua return type';
const MEMORY_CHUNK = "return collectgarbage('count')";

/** What the script worker needs to run a script this engine loaded: its driver chunk. */
export function workerScriptOf(script: LoadedScript): WorkerScript {
  const driver = script.engineData as Driver;
  return { chunk: driver.text, wrapped: driver.wrapped, marksNulls: driver.marksNulls, callLine: driver.callLine };
}

/** One WebAssembly instance of the engine. */
class Vm {
  readonly heap: Buffer;
  private scratchPtr = 0;
  private scratchSize = 0;

  constructor(readonly exports: WasmExports) {
    const bytes = exports.HEAPU8;
    // The heap has a fixed size (the package builds it without memory growth): one view serves.
    this.heap = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A region of at least `size` bytes inside the VM, reused from run to run. */
  scratch(size: number): number {
    if (size > this.scratchSize) {
      if (this.scratchPtr !== 0) this.exports._free_mem(this.scratchPtr);
      const want = Math.max(size, 4096, this.scratchSize * 2);
      this.scratchPtr = this.exports._alloc(want);
      this.scratchSize = this.scratchPtr === 0 ? 0 : want;
    }
    return this.scratchPtr;
  }
}

function redisProps(version: string): RedisProps {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  return {
    REDIS_VERSION: { value: version },
    REDIS_VERSION_NUM: { value: (major << 16) | (minor << 8) | patch },
    REPL_NONE: { value: 0 },
    REPL_AOF: { value: 1 },
    REPL_SLAVE: { value: 2 },
    REPL_REPLICA: { value: 2 },
    REPL_ALL: { value: 3 },
    replicate_commands: { returns: true },
    // No debugger: redis.breakpoint() is false and redis.debug() does nothing, as in Redis outside a session.
    breakpoint: { returns: false },
    debug: { returns: null },
    // Reached only by a script that names them in a way the driver does not see (driver.ts shims them).
    set_repl: { returns: null },
    acl_check_cmd: { returns: true },
  };
}

/** Loads one VM: the package's loader, then its callbacks replaced by `engine`'s. */
async function createVm(engine: WasmScriptEngine, version: string): Promise<Vm> {
  const module: LuaWasmModule = await load({ limits: { maxFuel: MAX_FUEL }, profile: 'redis-7.0', redisProps: redisProps(version) });
  const internals = module as unknown as { exports: WasmExports; handlers: HostCallbacks };
  const exports = internals.exports;
  const handlers = internals.handlers;
  if (
    typeof exports?._eval_with_args !== 'function' || exports._eval_with_args.length !== 6 || typeof exports._alloc !== 'function' ||
    typeof exports._free_mem !== 'function' || typeof exports._reset !== 'function' || !(exports.HEAPU8 instanceof Uint8Array) ||
    typeof handlers?.call !== 'function'
  ) {
    throw new Error('lua-redis-wasm: unexpected internals (this code is written against version 1.5.0)');
  }
  // Wires the package's callbacks and initialises Lua; ours replace them below.
  module.create({ redisCall: () => null, redisPcall: () => null, log: () => {} });
  const vm = new Vm(exports);
  handlers.call = (a, b, c) => engine.onCall(vm, true, a, b, c);
  handlers.pcall = (a, b, c) => engine.onCall(vm, false, a, b, c);
  handlers.log = (level, ptr, length) => engine.onLog(vm, level, ptr, length);
  handlers.setresp = (version) => engine.onSetResp(version);
  handlers.sha1hex = (a, b, c) => engine.onSha1hex(vm, a, b, c);
  return vm;
}

/** Answers a host callback with `ptr`/`length`: through the return slot, or packed in a bigint. */
function returnPtrLength(heap: Buffer, sret: boolean, retPtr: number, ptr: number, length: number): bigint | undefined {
  if (!sret) return (BigInt(length) << 32n) | BigInt(ptr >>> 0);
  heap.writeUInt32LE(ptr >>> 0, retPtr);
  heap.writeUInt32LE(length >>> 0, retPtr + 4);
  return undefined;
}

/** A host that refuses everything: what compile-only runs and figures get. */
const NO_HOST: ScriptHost = {
  call: () => ERR_NO_ARGUMENTS,
  setResp: () => {},
  log: () => {},
  setRepl: () => {},
  aclCheck: () => null,
  errorReplied: () => {},
};

export class WasmScriptEngine implements ScriptEngine {
  private vm: Vm | null = null;
  /** A new VM being created after the last one was dropped. */
  private replacing: Promise<void> | null = null;
  private readonly writer = new AbiWriter();
  // ---- the run in progress ----
  private host: ScriptHost = NO_HOST;
  private running = false;
  private marksNulls = false;
  /** redis.setresp's last two values: the driver's own setresp(3) comes last, the script's before it. */
  private lastResp: 2 | 3 = 2;
  private respBefore: 2 | 3 = 2;
  /** The error reply redis.call last raised: a script stopping on it stopped on a command's error. */
  private lastRaised: string | null = null;
  /** That error came from a command (counted when it failed), not from redis.call's own checks. */
  private lastRaisedByCommand = false;
  /** The driver of the run in progress. */
  private driver: Driver | null = null;
  /** Error replies redis.pcall returned: already counted if the script returns them. */
  private readonly pcallErrors = new Set<string>();
  private memory = 0;
  /** The host of the value being written (writeReturnedValue's error counting). */
  private returnedHost: ScriptHost = NO_HOST;
  /** Options of writeReturnedValue, one object for every run. */
  private readonly returned: ReturnedValueOptions = {
    scriptResp: 2,
    onError: (message) => {
      // An error reply redis.pcall returned was counted when its command failed.
      if (!this.pcallErrors.has(message)) this.returnedHost.errorReplied(message);
    },
  };

  /** math.random's draw as a reply (an integer), rewritten at each draw. */
  private readonly drawn: ReplyBytes = { buf: Buffer.alloc(16), start: 0, end: 0 };

  private constructor(
    private readonly version: string,
    private readonly random: Rand48,
  ) {}

  /**
   * Creates the engine and its first VM; `version` is what redis.REDIS_VERSION says, `random`
   * the generator of math.random (the process's, shared with the script worker's engine).
   */
  static async create(version: string, random: Rand48 = new Rand48()): Promise<WasmScriptEngine> {
    const engine = new WasmScriptEngine(version, random);
    engine.vm = await createVm(engine, version);
    return engine;
  }

  load(source: string, classified: string = source): LoadedScript | string {
    const vm = this.vm;
    // While a VM is being replaced the script is taken unchecked: a compile error then shows
    // when it runs (readFailure, line 0).
    const outcome = vm === null ? null : this.evaluate(vm, COMPILE_CHUNK, [], [source], NO_HOST);
    if (outcome !== null && typeof outcome !== 'number') return outcome.message;
    if (vm !== null && outcome !== null) {
      const heap = vm.heap;
      const compileError = heap[outcome] === ABI_BULK ? heap.latin1Slice(outcome + 5, outcome + 5 + heap.readUInt32LE(outcome + 1)) : null;
      vm.exports._free_mem(outcome);
      if (compileError !== null) return compileError;
    }
    const driver = buildDriver(source);
    // A V8 one-byte string: its header and its characters.
    const tokens = tokenize(classified);
    return { engineData: driver, bytes: 16 + driver.text.length, bounded: !mayRunForever(tokens), computedLoopLimits: hasComputedLoopLimits(tokens) };
  }

  run(script: LoadedScript, keys: readonly string[], args: readonly string[], host: ScriptHost, reply: ReplyWriter): ScriptFailure | null {
    const vm = this.vm;
    if (vm === null) {
      this.replaceVm();
      return { kind: 'unavailable', message: 'the Lua VM is restarting after running out of memory', line: 0, fromCommand: false };
    }
    const driver = script.engineData as Driver;
    this.marksNulls = driver.marksNulls;
    this.driver = driver;
    const outcome = this.evaluate(vm, driver.text, keys, args, host);
    if (typeof outcome !== 'number') return outcome;
    const heap = vm.heap;
    try {
      const type = heap[outcome] as number;
      if (type === ABI_SCRIPT_ERROR) return this.readFailure(heap, outcome + 5, heap.readUInt32LE(outcome + 1));
      // (The engine's length of that text counts its terminating 0.)
      if (type === ABI_ERROR && heap.latin1Slice(outcome + 5, outcome + 5 + heap.readUInt32LE(outcome + 1)).startsWith(UNSUPPORTED_RETURN)) {
        reply.nullBulk();
        return null;
      }
      // A wrapped script's own protocol is the one before the driver's final setresp(3).
      this.returned.scriptResp = driver.wrapped ? this.respBefore : this.lastResp;
      this.returnedHost = host;
      writeReturnedValue(heap, outcome, reply, this.returned);
      return null;
    } finally {
      vm.exports._free_mem(outcome);
      this.returnedHost = NO_HOST;
      if (this.pcallErrors.size !== 0) this.pcallErrors.clear();
    }
  }

  memoryUsed(): number {
    const vm = this.vm;
    if (vm === null || this.running) return this.memory;
    const outcome = this.evaluate(vm, MEMORY_CHUNK, [], [], NO_HOST);
    if (typeof outcome !== 'number') return this.memory;
    const heap = vm.heap;
    // Redis's lua_gc(LUA_GCCOUNT): whole KB, in bytes.
    if (heap[outcome] === ABI_INT) this.memory = heap.readUInt32LE(outcome + 5) * 1024;
    vm.exports._free_mem(outcome);
    return this.memory;
  }

  reset(): void {
    if (this.vm === null || this.running) return;
    this.vm.exports._reset();
  }

  /**
   * Runs `chunk` in the VM with KEYS and ARGV; returns where the result lies in the heap (to be
   * freed by the caller), or the failure when the VM itself failed (and was dropped).
   */
  private evaluate(vm: Vm, chunk: string, keys: readonly string[], args: readonly string[], host: ScriptHost): number | ScriptFailure {
    let argsLength = 4;
    for (let i = 0; i < keys.length; i++) argsLength += 4 + (keys[i] as string).length;
    for (let i = 0; i < args.length; i++) argsLength += 4 + (args[i] as string).length;
    const base = vm.scratch(8 + chunk.length + argsLength);
    if (base === 0) return { kind: 'memory', message: 'not enough memory', line: 0, fromCommand: false };
    const heap = vm.heap;
    const chunkPtr = base + 8;
    if (chunk.length !== 0) heap.latin1Write(chunk, chunkPtr);
    const argsPtr = chunkPtr + chunk.length;
    heap.writeUInt32LE(keys.length + args.length, argsPtr);
    let p = argsPtr + 4;
    p = writeStrings(heap, p, keys);
    writeStrings(heap, p, args);
    this.host = host;
    this.running = true;
    this.lastResp = 2;
    this.respBefore = 2;
    this.lastRaised = null;
    this.lastRaisedByCommand = false;
    try {
      vm.exports._eval_with_args(base, chunkPtr, chunk.length, argsPtr, argsLength, keys.length);
    } catch (err) {
      return this.dropVm(vm, err);
    } finally {
      this.running = false;
      this.host = NO_HOST;
    }
    const resultPtr = heap.readUInt32LE(base);
    if (resultPtr === 0) return { kind: 'memory', message: 'not enough memory', line: 0, fromCommand: false };
    return resultPtr;
  }

  /**
   * The VM threw into JS (its heap is exhausted: "Aborted(OOM)"): its state cannot be trusted,
   * so it is dropped and a new one created. Until then scripts answer an error.
   */
  private dropVm(vm: Vm, err: unknown): ScriptFailure {
    if (this.vm === vm) {
      this.vm = null;
      this.replaceVm();
    }
    const message = err instanceof Error ? err.message : String(err);
    const memory = /OOM|memory/i.test(message);
    return { kind: 'memory', message: memory ? 'not enough memory' : message, line: 0, fromCommand: false };
  }

  /** Starts creating a VM, unless one is being created (a failed attempt is retried by the next run). */
  private replaceVm(): void {
    this.replacing ??= createVm(this, this.version).then(
      (fresh) => {
        this.vm = fresh;
        this.replacing = null;
      },
      () => {
        this.replacing = null;
      },
    );
  }

  /** Resolves once a VM is ready (after one was dropped); for tests. */
  async ready(): Promise<void> {
    await this.replacing;
  }

  /** The error that stopped a script (an ABI_SCRIPT_ERROR payload: u32 line, then the message). */
  private readFailure(heap: Buffer, p: number, length: number): ScriptFailure {
    const engineLine = heap.readUInt32LE(p);
    const text = heap.latin1Slice(p + 4, p + length);
    // Line 0: the driver itself did not compile (a script that compiled alone, but whose shims
    // pushed it over one of Lua's limits, such as 200 locals).
    if (engineLine === 0) return failure(`ERR Error compiling script (new function): ${text}`, 0, false);
    const marked = text.indexOf(MARK);
    if (marked >= 0) {
      const prefix = text.slice(0, marked);
      const kind = text[marked + MARK.length];
      const payload = text.slice(marked + MARK.length + 1);
      const position = /^user_script:(\d+): $/.exec(prefix);
      const line = position !== null ? Number(position[1]) : engineLine;
      if (kind === 'T') return failure(payload, line, false);
      if (kind === 'L') return failure(`ERR ${prefix}${payload}`, line, false);
      return failure(`ERR ${payload}`, line, false);
    }
    const coded = text.indexOf('__RLUA_E__:');
    if (coded >= 0) {
      const rest = text.slice(coded + 11);
      if (rest === 'command-arg-type') return failure('ERR Lua redis lib command arguments must be strings or integers', engineLine, false);
      if (rest.startsWith('global-read:')) {
        return failure(`ERR ${text.slice(0, coded)}Script attempted to access nonexistent global variable '${rest.slice(12)}'`, engineLine, false);
      }
    }
    if (text === this.lastRaised) return failure(text, engineLine, this.lastRaisedByCommand);
    // An error value that is no string: nil (`error()`) as the likeliest, which Redis shows as
    // 'ERR nil' (a table raised without the driver's error shim comes here too).
    if (text.startsWith('ERR script execution failed')) return failure('ERR nil', engineLine, false);
    // error(message, 2) from the script's top level: Redis's caller is C, and Lua adds no position.
    const callSite = this.driver === null ? null : `user_script:${this.driver.callLine}: `;
    if (callSite !== null && text.startsWith(callSite)) return failure(`ERR ${text.slice(callSite.length)}`, engineLine, false);
    return failure(`ERR ${text}`, engineLine, false);
  }

  // ---- callbacks from the VM, while a script runs ----

  /** redis.call (`raise`) or redis.pcall: the command runs, its reply goes back into the VM. */
  onCall(vm: Vm, raise: boolean, a: number, b: number, c: number | undefined): bigint | undefined {
    const sret = c !== undefined;
    const ptr = sret ? b : a;
    const length = sret ? (c as number) : b;
    const heap = vm.heap;
    const argv = readStrings(heap, ptr, length);
    let reply: ReplyBytes;
    try {
      reply = this.serve(argv);
    } catch (err) {
      // A bug in a command must not unwind through the VM (its state would be lost).
      reply = fixed(`-ERR ${String((err as Error).message ?? err).replace(/[\r\n]/g, ' ')}\r\n`);
    }
    // (Allocating room for it would abort the VM, and with it the script's state.)
    if (reply.end - reply.start > heap.length) reply = ERR_REPLY_TOO_LARGE;
    const src = reply.buf;
    if (src[reply.start] === 45 /* '-' */) {
      const message = src.latin1Slice(reply.start + 1, src.indexOf(13, reply.start));
      if (raise) {
        this.lastRaised = message;
        this.lastRaisedByCommand = argv.length !== 0;
      } else if (argv.length !== 0) {
        this.pcallErrors.add(message);
      }
    }
    const writer = this.writer;
    writer.len = 0;
    respToAbi(src, reply.start, writer, this.marksNulls && this.lastResp === 3);
    const size = writer.len;
    const out = vm.exports._alloc(size);
    if (out === 0) return returnPtrLength(heap, sret, a, 0, 0);
    const bytes = writer.buf;
    // A reply of a few bytes is copied faster by hand than through Buffer#copy's checks.
    if (size <= 64) for (let i = 0; i < size; i++) heap[out + i] = bytes[i] as number;
    else bytes.copy(heap, out, 0, size);
    return returnPtrLength(heap, sret, a, out, size);
  }

  private serve(argv: string[]): ReplyBytes {
    if (argv.length === 0) return ERR_NO_ARGUMENTS;
    const name = argv[0] as string;
    if (name.charCodeAt(0) === 0) {
      if (name === SET_REPL_COMMAND) {
        this.host.setRepl(Number(argv[1]));
        return OK_REPLY;
      }
      if (name === RANDOM_COMMAND) {
        const drawn = this.drawn;
        drawn.end = drawn.buf.latin1Write(`:${this.random.next() % RAND48_MAX}\r\n`, 0);
        return drawn;
      }
      if (name === RANDOM_SEED_COMMAND) {
        // luaL_checkint's int: the shim truncated it and brought it into the int32 range.
        this.random.seed(Number(argv[1]) | 0);
        return OK_REPLY;
      }
      if (name === ACL_CHECK_COMMAND) {
        const allowed = this.host.aclCheck(argv.slice(1));
        return allowed === null ? ERR_ACL_UNKNOWN : allowed ? TRUE_REPLY : FALSE_REPLY;
      }
    }
    return this.host.call(argv);
  }

  onLog(vm: Vm, level: number, ptr: number, length: number): void {
    if (level >= 0 && level <= 3) this.host.log(level, vm.heap.latin1Slice(ptr, ptr + length));
  }

  onSetResp(version: number): void {
    const resp = version === 3 ? 3 : 2;
    this.respBefore = this.lastResp;
    this.lastResp = resp;
    this.host.setResp(resp);
  }

  onSha1hex(vm: Vm, a: number, b: number, c: number | undefined): bigint | undefined {
    const sret = c !== undefined;
    const ptr = sret ? b : a;
    const length = sret ? (c as number) : b;
    const heap = vm.heap;
    const hex = Buffer.from(createHash('sha1').update(heap.subarray(ptr, ptr + length)).digest('hex'), 'latin1');
    const out = vm.exports._alloc(hex.length);
    if (out === 0) return returnPtrLength(heap, sret, a, 0, 0);
    hex.copy(heap, out);
    return returnPtrLength(heap, sret, a, out, hex.length);
  }
}

function failure(message: string, line: number, fromCommand: boolean): ScriptFailure {
  return { kind: 'error', message, line, fromCommand };
}

function writeStrings(heap: Buffer, p: number, values: readonly string[]): number {
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string;
    heap.writeUInt32LE(value.length, p);
    p += 4;
    if (value.length !== 0) heap.latin1Write(value, p);
    p += value.length;
  }
  return p;
}

/** The argument array the VM passes a callback: u32 count, then u32 length and bytes of each. */
function readStrings(heap: Buffer, ptr: number, length: number): string[] {
  if (length < 4) return [];
  const count = heap.readUInt32LE(ptr);
  const out = new Array<string>(count);
  let p = ptr + 4;
  for (let i = 0; i < count; i++) {
    const n = heap.readUInt32LE(p);
    p += 4;
    out[i] = heap.latin1Slice(p, p + n);
    p += n;
  }
  return out;
}
