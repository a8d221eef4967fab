import type { CommandContext, ScriptRun, ServerContext } from '../commands/core/context.js';
import { countError } from '../commands/core/dispatch.js';
import { LocalClient } from '../commands/core/local-client.js';
import { PROPAGATE_ALL } from '../commands/core/propagate.js';
import { RedisError } from '../errors.js';
import { setScriptClock } from '../keyspace/database.js';
import type { Logger } from '../log.js';
import { NODIS_VERSION } from '../version.js';
import { ScriptCache, scriptSha, type CachedScript } from './cache.js';
import type { LoadedScript, ReplyBytes, ScriptEngine, ScriptFailure, ScriptHost } from './engine.js';
import { functionErrorText } from './functions.js';
import { argumentsMayStallLoops } from './lua-source.js';
import { Rand48 } from './rand48.js';
import { readShebang, SCRIPT_ALLOW_OOM, SCRIPT_LEGACY, SCRIPT_NO_WRITES } from './shebang.js';
import { WasmScriptEngine, workerScriptOf } from './wasm-engine.js';
import { KILLED_BY_USER, ScriptWorker } from './worker-engine.js';

/**
 * Scripting as the commands use it: the engine (one per process, kept alive between calls),
 * each server's script cache, and the run of one script (Redis's scriptPrepareForRun,
 * luaCallFunction and scriptResetRun), written so that FCALL can run a function through
 * `runScript` the same way.
 */

let engine: ScriptEngine | null = null;
/** Where scripts that could run for ever run (worker-engine.ts); null when it could not start. */
let worker: ScriptWorker | null = null;
let preparing: Promise<void> | null = null;
/** Why the engine could not be created, for the error scripts answer then. */
let unavailable = 'the Lua engine is not loaded';

/** math.random's generator: one for the process, shared by the engine here and the worker's. */
const scriptRandom = new Rand48();

/** Whether startScriptWorker has run (it starts the worker once per process). */
let workerStarted = false;

/**
 * Loads the Lua engine once per process (about 20 ms; later calls wait for the same load). A
 * server that cannot have one still starts: its scripts answer an error saying why. The
 * worker scripts that may run away go to is started later (startScriptWorker).
 */
export function prepareScriptEngine(log: Logger): Promise<void> {
  preparing ??= WasmScriptEngine.create(NODIS_VERSION, scriptRandom).then(
    (created) => {
      engine = created;
    },
    (err: unknown) => {
      unavailable = `the Lua engine could not be loaded: ${(err as Error).message}`;
      log.warn(`Scripting is disabled: ${unavailable}`);
    },
  );
  return preparing;
}

/**
 * Starts the script worker, once per process, when the engine is loaded. It is not started
 * with the engine but once the dataset is loaded: its two threads take a second of CPU or so
 * to start (their engine, their sources), which on a small machine would be taken from the
 * load; and no client's script runs before the load is done (EVAL answers -LOADING, and the
 * scripts an AOF replays run on the event loop, as every script not from a client does).
 */
export function startScriptWorker(log: Logger): void {
  if (workerStarted || engine === null) return;
  workerStarted = true;
  try {
    worker = new ScriptWorker(NODIS_VERSION, scriptRandom.shared);
  } catch (err) {
    log.warn(`Scripts run on the event loop (SCRIPT KILL cannot stop them): ${(err as Error).message}`);
  }
}

/** Whether the process has a script worker (tests: it starts once the dataset is loaded). */
export function hasScriptWorker(): boolean {
  return worker !== null;
}

/** The process's engine, or null while none is loaded. */
export function scriptEngine(): ScriptEngine | null {
  return engine;
}

export function requireEngine(): ScriptEngine {
  if (engine === null) throw new RedisError(`ERR ${unavailable}`);
  return engine;
}

/** A script to run, as EVAL (and later FCALL) hands it over. */
export interface ScriptInvocation {
  /** How errors name it: the SHA1 (EVAL) or, later, the function's name (FCALL). */
  name: string;
  script: LoadedScript;
  /** Shebang flags (SCRIPT_…). */
  flags: number;
  /** Called by EVAL_RO / EVALSHA_RO (FCALL_RO). */
  readOnlyCommand: boolean;
  keys: string[];
  args: string[];
  /**
   * FCALL's functions: errors name the chunk "user_function" (Redis's "@user_function"), not
   * "user_script"; BUSY and the kill commands name FUNCTION KILL rather than SCRIPT KILL.
   */
  isFunction?: boolean;
  /** The caller's command as it sent it (FUNCTION STATS shows it for a running function). */
  argv: readonly string[];
}

/** The run FUNCTION STATS describes (Redis's scriptCurrFunction, scriptGetCaller, scriptRunDuration). */
export interface RunningScript {
  /** The function's name, or the script's SHA1. */
  name: string;
  isFunction: boolean;
  argv: readonly string[];
  durationMs: number;
}

/** What closes the held propagation level: never emitted itself (the script's EVAL prevented its own propagation). */
const RELEASED_UNIT: readonly string[] = ['eval'];

export const ERR_BUSY_EVAL = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
const ERR_BUSY_FUNCTION = 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';

const LOG_LEVELS: Record<string, number> = { debug: 0, verbose: 1, notice: 2, warning: 3 };

const ERR_MISCONF_SCRIPT =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. " +
  "Writable scripts are blocked. Use 'no-writes' flag for read only scripts.";

/** One server's scripting: its cache and its scripts' client. */
export class Scripting {
  readonly cache = new ScriptCache();
  private client: LocalClient | null = null;
  /** The run in progress. */
  private run: ScriptRun | null = null;
  /** Whether the run in progress is a function's (FCALL). */
  private runIsFunction = false;
  /** The invocation of the run in progress, and when it started (performance.now()). */
  private runInvocation: ScriptInvocation | null = null;
  private runStartedAt = 0;
  private readonly host: ScriptHost;

  constructor(private readonly server: ServerContext) {
    const replied: ReplyBytes = { buf: Buffer.alloc(0), start: 0, end: 0 };
    this.host = {
      call: (argv) => {
        const client = this.client as LocalClient;
        client.runFromScript(argv);
        const reply = client.reply;
        replied.buf = reply.pendingBuffer;
        replied.start = reply.pendingStart;
        replied.end = reply.pendingEnd;
        return replied;
      },
      setResp: (resp) => {
        (this.client as LocalClient).reply.resp = resp;
      },
      log: (level, message) => this.log(level, message),
      setRepl: (targets) => {
        if (this.run !== null) this.run.replTargets = targets;
      },
      aclCheck: (argv) => this.callerMayRun(argv),
      errorReplied: (message) => countError(this.server.stats, message),
    };
  }

  /**
   * Redis's luaCreateFunction: the cached script for `body`, compiled and cached if new. Throws
   * a RedisError with Redis's text for a bad shebang or a script that does not compile.
   */
  create(body: string): CachedScript {
    const found = this.cache.byBodyText(body);
    if (found !== undefined) return found;
    const shebang = readShebang(body);
    if (typeof shebang === 'string') throw new RedisError(`ERR ${shebang}`);
    // Lua compiles from the shebang's newline on: line numbers stay the user's.
    const loaded = requireEngine().load(body.slice(shebang.length));
    if (typeof loaded === 'string') throw new RedisError(`ERR Error compiling script (new function): ${loaded}`);
    return this.cache.add(scriptSha(body), body, shebang.flags, loaded);
  }

  /** SCRIPT FLUSH: the cache emptied, the VM started afresh. */
  flush(): void {
    this.cache.clear();
    if (engine !== null) engine.reset();
    if (worker !== null) worker.reset();
  }

  /** INFO's figures: the VM's memory, the cache's, the number of cached scripts. */
  figures(): { vmBytes: number; cacheBytes: number; scripts: number } {
    return { vmBytes: engine === null ? 0 : engine.memoryUsed(), cacheBytes: this.cache.memory, scripts: this.cache.size };
  }

  /**
   * Runs a script for `ctx` and writes its reply (Redis's scriptPrepareForRun, luaCallFunction
   * and scriptResetRun). Throws a RedisError for what is refused before it starts; a failure
   * of the script is answered as Redis answers it.
   */
  runScript(ctx: CommandContext, invocation: ScriptInvocation): void | Promise<void> {
    const vm = requireEngine();
    this.refuseBeforeRun(invocation);
    const flags = invocation.flags;
    const legacy = (flags & SCRIPT_LEGACY) !== 0;
    const client = (this.client ??= new LocalClient(this.server, 'script', SCRIPT_CLIENT_ID));
    const run: ScriptRun = {
      readOnly: invocation.readOnlyCommand || (!legacy && (flags & SCRIPT_NO_WRITES) !== 0),
      allowOom: !legacy && (flags & SCRIPT_ALLOW_OOM) !== 0,
      writeDirty: false,
      replTargets: PROPAGATE_ALL,
      caller: ctx,
      keys: invocation.keys,
    };
    client.select(ctx.db.id);
    client.reply.resp = 2;
    client.scriptRun = run;
    this.run = run;
    this.runIsFunction = invocation.isFunction === true;
    this.runInvocation = invocation;
    this.runStartedAt = performance.now();
    setScriptClock(Date.now());
    let outcome: ScriptFailure | null | Promise<ScriptFailure | null> = null;
    try {
      const script = invocation.script;
      // A script that cannot run away runs here, where it is cheapest; any other in the worker,
      // when its caller can wait for its reply from the event loop: a client's command (EXEC
      // waits for a queued script's answer before running the rest of its transaction).
      const bounded = script.bounded === true && !(script.computedLoopLimits === true && argumentsMayStallLoops(invocation.keys, invocation.args));
      if (bounded || worker === null || ctx.caller !== 'client') {
        outcome = vm.run(script, invocation.keys, invocation.args, this.host, ctx.reply);
      } else {
        const threshold = this.server.config.getNumber('busy-reply-threshold');
        outcome = worker.run(workerScriptOf(script), invocation.keys, invocation.args, this.host, ctx.reply, threshold, () => {
          this.server.busyScriptError = this.runIsFunction ? ERR_BUSY_FUNCTION : ERR_BUSY_EVAL;
          this.holdPropagation();
        });
      }
    } finally {
      if (!(outcome instanceof Promise)) this.endRun(client);
    }
    if (outcome instanceof Promise) {
      // Past busy-reply-threshold: the caller's reply waits for the end of the script.
      return outcome.then((failure) => {
        this.releasePropagation(ctx.db.id);
        this.endRun(client);
        if (failure !== null) this.answerFailure(ctx, invocation.name, failure, invocation.isFunction === true);
      });
    }
    if (outcome !== null) this.answerFailure(ctx, invocation.name, outcome, invocation.isFunction === true);
  }

  /** Whether the run past its threshold holds a propagation level open (see holdPropagation). */
  private propagationHeld = false;

  /**
   * The script goes on past its handler's return: one more propagation level keeps the
   * commands it ran so far and those it will run in one unit (one MULTI/EXEC), emitted when it
   * ends, rather than the handler's return emitting the first part alone. Nothing else that
   * writes runs meanwhile (other clients get BUSY, the cron waits).
   */
  private holdPropagation(): void {
    const propagation = this.server.propagation;
    if (!propagation.active) return;
    propagation.enterCall(this.server.dirty);
    this.propagationHeld = true;
  }

  private releasePropagation(db: number): void {
    if (!this.propagationHeld) return;
    this.propagationHeld = false;
    this.server.propagation.exitCall(db, RELEASED_UNIT, this.server.dirty, 'eval', false);
  }

  private endRun(client: LocalClient): void {
    setScriptClock(0);
    client.scriptRun = null;
    this.run = null;
    this.runInvocation = null;
    this.server.busyScriptError = null;
  }

  /** The script running, or null (other clients' commands are served only once it is past busy-reply-threshold). */
  running(): RunningScript | null {
    const invocation = this.runInvocation;
    if (invocation === null) return null;
    return {
      name: invocation.name,
      isFunction: invocation.isFunction === true,
      argv: invocation.argv,
      durationMs: Math.floor(performance.now() - this.runStartedAt),
    };
  }

  /**
   * Redis's scriptKill: SCRIPT KILL (`byFunctionKill` false) or FUNCTION KILL stops the script
   * running past busy-reply-threshold, unless it has written. Throws Redis's error otherwise.
   */
  kill(byFunctionKill: boolean): void {
    const run = this.run;
    if (run === null || worker === null || !worker.runningAsync) throw new RedisError('NOTBUSY No scripts in execution right now.');
    if (run.writeDirty) {
      throw new RedisError(
        'UNKILLABLE Sorry the script already executed write commands against the dataset. ' +
          'You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.',
      );
    }
    if (byFunctionKill !== this.runIsFunction) throw new RedisError(this.runIsFunction ? ERR_BUSY_FUNCTION : ERR_BUSY_EVAL);
    this.server.log.warn('Lua script killed by user with SCRIPT KILL.');
    worker.kill(KILLED_BY_USER);
  }

  /** Redis's scriptPrepareForRun: what a script with a shebang is refused before it starts. */
  private refuseBeforeRun(invocation: ScriptInvocation): void {
    const flags = invocation.flags;
    if ((flags & SCRIPT_LEGACY) !== 0) return;
    const server = this.server;
    if ((flags & SCRIPT_NO_WRITES) === 0) {
      const save = server.saveStatus;
      if (!save.lastBgsaveOk && save.savePoints.length !== 0 && server.config.getBool('stop-writes-on-bgsave-error')) {
        throw new RedisError(ERR_MISCONF_SCRIPT);
      }
      if (server.diskWriteError !== null) {
        throw new RedisError(
          "MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. " +
            `Writable scripts are blocked. Use 'no-writes' flag for read only scripts. AOF error: ${aofErrorText(server.diskWriteError)}`,
        );
      }
      if (invocation.readOnlyCommand) throw new RedisError('ERR Can not execute a script with write flag using *_ro command.');
    }
    const meter = server.meter;
    if (meter.preCommandOom && meter.limit !== 0 && (flags & (SCRIPT_ALLOW_OOM | SCRIPT_NO_WRITES)) === 0) {
      throw new RedisError("OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'");
    }
  }

  /** Redis's answer to a script that failed (luaCallFunction). */
  private answerFailure(ctx: CommandContext, name: string, failure: ScriptFailure, isFunction: boolean): void {
    if (failure.kind !== 'error') throw new RedisError(`ERR Error running script ${name}, ${failure.message}`);
    const chunk = isFunction ? 'user_function' : 'user_script';
    const text = isFunction ? functionErrorText(failure.message) : failure.message;
    const message = failure.line > 0 ? `${text} script: ${name}, on @${chunk}:${failure.line}.` : text;
    // The error of a command the script called was counted when the command failed.
    if (failure.fromCommand) ctx.reply.error(message);
    else throw new RedisError(message);
  }

  /** Redis's luaLogCommand: the message as it is, at the level asked, if loglevel lets it through. */
  private log(level: number, message: string): void {
    const verbosity = LOG_LEVELS[this.server.config.getString('loglevel')] ?? 2;
    if (level < verbosity) return;
    const log = this.server.log;
    if (level >= 3) log.warn(message);
    else if (level === 2) log.info(message);
    else log.debug(message);
  }

  /**
   * redis.acl_check_cmd: whether the script's caller's user may run `argv` (null when it names
   * no command). The command is found as Redis's lookupCommand finds it: a subcommand must exist
   * too, and the arity is not checked.
   */
  private callerMayRun(argv: readonly string[]): boolean | null {
    const top = this.server.commands.lookup(argv[0] as string);
    if (top === undefined) return null;
    let command = top;
    if (top.subcommands !== null && argv.length >= 2) {
      const sub = top.subcommands.get((argv[1] as string).toLowerCase());
      if (sub === undefined) return null;
      command = sub;
    }
    const user = this.run?.caller.user;
    if (user === undefined || user.unrestricted) return true;
    return this.server.acl.check(user, command, argv) === null;
  }
}

/** The scripts' client takes no id from the clients' sequence (Redis creates its Lua client before any). */
const SCRIPT_CLIENT_ID = Number.MAX_SAFE_INTEGER - 1;

/** The strerror part of an AOF MISCONF message ("MISCONF Errors writing to the AOF file: …"). */
function aofErrorText(diskError: string): string {
  const colon = diskError.indexOf(': ');
  return colon < 0 ? diskError : diskError.slice(colon + 2);
}

const states = new WeakMap<ServerContext, Scripting>();

/** The scripting of a server (made on first use). */
export function scriptingOf(server: ServerContext): Scripting {
  let state = states.get(server);
  if (state === undefined) {
    state = new Scripting(server);
    states.set(server, state);
  }
  return state;
}

export { scriptSha };
