import type { ReplyWriter } from '../protocol/reply.js';

/**
 * The one interface between the server and the Lua engine that runs scripts. Today's engine
 * (wasm-engine.ts) runs lua-redis-wasm, Redis's own Lua 5.1 in WebAssembly, on the event
 * loop; nothing here says where it runs, so that it can move into a worker thread: every
 * callback of a running script into the server (ScriptHost) is synchronous and carries only
 * strings and bytes, and a run answers with a reply written to a ReplyWriter or a failure.
 *
 * Strings are binary-safe latin1 (one char per byte), as everywhere in nodis.
 */

/** Bytes where they lie: buf[start, end). */
export interface ReplyBytes {
  buf: Buffer;
  start: number;
  end: number;
}

/** The server side of a running script: the engine calls it synchronously, while the script runs. */
export interface ScriptHost {
  /**
   * redis.call and redis.pcall: runs `argv` as the script's client and returns where the reply
   * lies as the server wrote it (RESP, in the protocol redis.setresp last selected: 2 at the
   * start of each run), valid until the next call. An error reply is what the script receives
   * as an error. Never throws.
   */
  call(argv: string[]): ReplyBytes;
  /** redis.setresp(2|3): the protocol of the replies `call` returns from now on. */
  setResp(resp: 2 | 3): void;
  /** redis.log with a valid level (0 debug, 1 verbose, 2 notice, 3 warning). */
  log(level: number, message: string): void;
  /** redis.set_repl with valid flags: where the script's next commands propagate (PROPAGATE_AOF | PROPAGATE_REPL). */
  setRepl(targets: number): void;
  /** redis.acl_check_cmd: whether the caller's user may run `argv`; null when it names no command. */
  aclCheck(argv: string[]): boolean | null;
  /** The value the script returned holds this error reply: counted as Redis counts error replies. */
  errorReplied(message: string): void;
}

/** A script the engine compiled: opaque to the server, which keeps it in its script cache. */
export interface LoadedScript {
  readonly engineData: unknown;
  /** Bytes the engine keeps for it (INFO used_memory_scripts_eval). */
  readonly bytes: number;
  /**
   * The script cannot run for ever (lua-source.ts mayRunForever: no `while` or `repeat`, no
   * cycle of tail calls, no code compiled at run time), so it may run where it cannot be
   * stopped.
   */
  readonly bounded?: boolean;
  /**
   * A numeric `for` of the script starts or ends at a value computed when it runs: a bounded
   * script still runs where it can be stopped when its KEYS or ARGV hold a number such a loop
   * may never leave (lua-source.ts argumentsMayStallLoops).
   */
  readonly computedLoopLimits?: boolean;
}

/** Why a run failed, for the caller to answer as Redis does. */
export interface ScriptFailure {
  /**
   * 'error': the script raised an error (Redis's error table); 'memory': the engine ran out of
   * memory ("Error running script … not enough memory"); 'unavailable': the engine cannot run
   * scripts right now (it is being restarted after running out of memory).
   */
  kind: 'error' | 'memory' | 'unavailable';
  /**
   * The error as Redis's error table holds it, code first: 'ERR user_script:1: …' for a Lua
   * error, or the reply of the command the script called ('WRONGTYPE …').
   */
  message: string;
  /** The line of the script where it stopped (Redis's "on @user_script:N"); 0 when unknown. */
  line: number;
  /** It is the error reply of a command the script called, already counted when that command failed. */
  fromCommand: boolean;
}

export interface ScriptEngine {
  /**
   * Compiles a script as Redis does (luaL_loadbuffer, chunk "@user_script"): `source` is the
   * body after its shebang line (which starts at the shebang's newline). Returns the loaded
   * script, or Lua's compile error ("user_script:1: unexpected symbol near '<eof>'").
   * `classified`, when given, is the part of `source` whose reading says whether the script may
   * run for ever (a function library's code, without the glue around it, which ends).
   */
  load(source: string, classified?: string): LoadedScript | string;
  /**
   * Runs a loaded script with KEYS and ARGV: writes the reply Redis makes of the value it
   * returns, for a client speaking `reply.resp`, to `reply` and returns null; or returns why
   * it failed, having written nothing. `host` serves the script's calls meanwhile.
   */
  run(script: LoadedScript, keys: readonly string[], args: readonly string[], host: ScriptHost, reply: ReplyWriter): ScriptFailure | null;
  /** Bytes the Lua VM uses (INFO used_memory_lua); the last figure known while a script runs. */
  memoryUsed(): number;
  /** SCRIPT FLUSH: the VM starts afresh. Loaded scripts stay runnable. */
  reset(): void;
}
