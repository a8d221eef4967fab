import { RedisError } from '../../errors.js';
import { createFunctionsPayload, readFunctionsPayload } from '../../persistence/rdb/index.js';
import {
  FUNCTION_FLAG_NAMES,
  FunctionLibraries,
  compileLibrary,
  functionChunk,
  functionsOf,
  type FunctionInfo,
  type Library,
} from '../../scripting/functions.js';
import { ERR_BUSY_EVAL, requireEngine, scriptingOf } from '../../scripting/scripting.js';
import { SCRIPT_ALLOW_OOM, SCRIPT_NO_WRITES } from '../../scripting/shebang.js';
import { globMatch } from '../../util/glob.js';
import { getLongLong } from '../../util/parse.js';
import { LAZYFREE_THRESHOLD } from '../../server/memory.js';
import { numkeysKeyPositions } from '../args/numkeys.js';
import { CMD_DENYOOM, CMD_MAY_REPLICATE, CMD_PAUSED_BY_WRITE_PAUSE, CMD_WRITE } from '../core/command-data.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { helpSubcommand } from '../core/help.js';
import '../../scripting/function-store.js';

/** Redis 7.0's functions: FUNCTION LOAD/DELETE/FLUSH/LIST/STATS/DUMP/RESTORE/KILL/HELP, FCALL and FCALL_RO. */

function functionLoad(ctx: CommandContext, argv: string[]): void {
  let replace = false;
  let at = 2;
  while (at < argv.length - 1) {
    const option = argv[at++] as string;
    if (option.toLowerCase() === 'replace') {
      replace = true;
      continue;
    }
    throw new RedisError(`ERR Unknown option given: ${option}`);
  }
  if (at >= argv.length) throw new RedisError('ERR Function code is missing');
  const libraries = functionsOf(ctx.server);
  const library = compileLibrary(requireEngine(), ctx.server, argv[at] as string, replace ? null : libraries);
  libraries.add(library, replace);
  ctx.server.dirty++;
  ctx.reply.bulk(library.name);
}

function functionDelete(ctx: CommandContext, argv: string[]): void {
  if (!functionsOf(ctx.server).delete(argv[2] as string)) throw new RedisError('ERR Library not found');
  ctx.server.dirty++;
  ctx.reply.ok();
}

function functionFlush(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 3) throw new RedisError(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try FUNCTION HELP.`);
  const mode = argv.length === 3 ? (argv[2] as string).toLowerCase() : null;
  if (mode !== null && mode !== 'sync' && mode !== 'async') throw new RedisError('ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
  // Both modes free at once (V8 collects them), but ASYNC, or no mode with
  // lazyfree-lazy-user-flush, counts them as lazily freed as Redis's freeFunctionsAsync does:
  // every function, when there are more than LAZYFREE_THRESHOLD.
  const async = mode === null ? ctx.server.config.getBool('lazyfree-lazy-user-flush') : mode === 'async';
  const functions = functionsOf(ctx.server).functionCount;
  if (async && functions > LAZYFREE_THRESHOLD) ctx.server.stats.lazyfreedObjects += functions;
  functionsOf(ctx.server).clear();
  ctx.server.dirty++;
  ctx.reply.ok();
}

function replyFlags(ctx: CommandContext, fn: FunctionInfo): void {
  const names = FUNCTION_FLAG_NAMES.filter(([, bit]) => (fn.flags & bit) !== 0);
  ctx.reply.setHeader(names.length);
  for (const [name] of names) ctx.reply.simple(name);
}

function functionList(ctx: CommandContext, argv: string[]): void {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i] as string;
    const lower = arg.toLowerCase();
    if (!withCode && lower === 'withcode') {
      withCode = true;
      continue;
    }
    if (pattern === null && lower === 'libraryname') {
      if (i >= argv.length - 1) throw new RedisError('ERR library name argument was not given');
      pattern = argv[++i] as string;
      continue;
    }
    throw new RedisError(`ERR Unknown argument ${arg}`);
  }
  const listed: Library[] = [];
  for (const library of functionsOf(ctx.server).libraries.values()) {
    if (pattern === null || globMatch(pattern, library.name, true)) listed.push(library);
  }
  const reply = ctx.reply;
  reply.arrayHeader(listed.length);
  for (const library of listed) {
    reply.mapHeader(withCode ? 4 : 3);
    reply.bulk('library_name');
    reply.bulk(library.name);
    reply.bulk('engine');
    reply.bulk(library.engine);
    reply.bulk('functions');
    reply.arrayHeader(library.functions.length);
    for (const fn of library.functions) {
      reply.mapHeader(3);
      reply.bulk('name');
      reply.bulk(fn.name);
      reply.bulk('description');
      if (fn.description === null) reply.nullBulk();
      else reply.bulk(fn.description);
      reply.bulk('flags');
      replyFlags(ctx, fn);
    }
    if (withCode) {
      reply.bulk('library_code');
      reply.bulk(library.code);
    }
  }
}

function functionStats(ctx: CommandContext): void {
  // Served while a script runs past busy-reply-threshold (FUNCTION STATS may run then), but
  // for an EVAL script, which Redis answers BUSY for.
  const running = scriptingOf(ctx.server).running();
  if (running !== null && !running.isFunction) throw new RedisError(ERR_BUSY_EVAL);
  const libraries = functionsOf(ctx.server);
  const reply = ctx.reply;
  reply.mapHeader(2);
  reply.bulk('running_script');
  if (running === null) {
    reply.nullBulk();
  } else {
    reply.mapHeader(3);
    reply.bulk('name');
    reply.bulk(running.name);
    reply.bulk('command');
    reply.arrayHeader(running.argv.length);
    for (const arg of running.argv) reply.bulk(arg);
    reply.bulk('duration_ms');
    reply.integer(running.durationMs);
  }
  reply.bulk('engines');
  reply.mapHeader(1);
  reply.bulk('LUA');
  reply.mapHeader(2);
  reply.bulk('libraries_count');
  reply.integer(libraries.libraries.size);
  reply.bulk('functions_count');
  reply.integer(libraries.functionCount);
}

function functionDump(ctx: CommandContext): void {
  const codes = [...functionsOf(ctx.server).libraries.values()].map((library) => library.code);
  ctx.reply.bulkBuffer(createFunctionsPayload(codes, ctx.server.config.getBool('rdbcompression')));
}

function functionRestore(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 4) throw new RedisError(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try FUNCTION HELP.`);
  let policy = 'append';
  if (argv.length === 4) {
    policy = (argv[3] as string).toLowerCase();
    if (policy !== 'append' && policy !== 'replace' && policy !== 'flush') {
      throw new RedisError('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
    }
  }
  const codes = readFunctionsPayload(Buffer.from(argv[2] as string, 'latin1'));
  if (codes === null) throw new RedisError('ERR DUMP payload version or checksum are wrong');
  if (typeof codes === 'string') throw new RedisError(`ERR ${codes}`);
  const restored = new FunctionLibraries();
  const engine = requireEngine();
  for (const code of codes) restored.add(compileLibrary(engine, ctx.server, code, restored), false);
  const current = functionsOf(ctx.server);
  if (policy === 'flush') current.swap(restored);
  else current.join(restored, policy === 'replace');
  ctx.server.dirty++;
  ctx.reply.ok();
}

function functionKill(ctx: CommandContext): void {
  scriptingOf(ctx.server).kill(true);
  ctx.reply.ok();
}

const FUNCTION_HELP = [
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
];

/** Redis's fcallGetCommandFlags: FCALL is checked as the command its function's flags make it. */
function fcallCommandFlags(ctx: CommandContext, argv: readonly string[], bits: number): number {
  const fn = functionsOf(ctx.server).findFunction(argv[1] as string);
  if (fn === undefined) return bits;
  const flags = fn.flags;
  let out = bits & ~(CMD_DENYOOM | CMD_WRITE | CMD_MAY_REPLICATE | CMD_PAUSED_BY_WRITE_PAUSE);
  if ((flags & (SCRIPT_ALLOW_OOM | SCRIPT_NO_WRITES)) === 0) out |= CMD_DENYOOM;
  if ((flags & SCRIPT_NO_WRITES) === 0) out |= CMD_WRITE | CMD_PAUSED_BY_WRITE_PAUSE;
  return out;
}

/** FCALL and FCALL_RO (Redis's fcallCommandGeneric). */
function fcallGeneric(readOnly: boolean): (ctx: CommandContext, argv: string[]) => void | Promise<void> {
  return (ctx, argv) => {
    const server = ctx.server;
    // Fed to monitors before the commands the function runs.
    if (server.hasMonitors()) server.feedMonitors(ctx, argv);
    // Only the function's commands propagate, never FCALL itself.
    server.propagation.prevent();
    const fn = functionsOf(server).findFunction(argv[1] as string);
    if (fn === undefined) throw new RedisError('ERR Function not found');
    let numkeys: number;
    try {
      numkeys = getLongLong(argv[2] as string);
    } catch {
      throw new RedisError('ERR Bad number of keys provided');
    }
    if (numkeys > argv.length - 3) throw new RedisError("ERR Number of keys can't be greater than number of args");
    if (numkeys < 0) throw new RedisError("ERR Number of keys can't be negative");
    // A function past busy-reply-threshold answers when it ends: the promise carries its reply.
    return scriptingOf(server).runScript(ctx, {
      name: fn.name,
      script: functionChunk(requireEngine(), fn),
      flags: fn.flags,
      readOnlyCommand: readOnly,
      keys: argv.slice(3, 3 + numkeys),
      args: argv.slice(3 + numkeys),
      isFunction: true,
      argv,
    });
  };
}

const fcallKeys = (argv: string[]): number[] => numkeysKeyPositions(argv, 2);

export const functionCommands: CommandCode[] = [
  { name: 'fcall', handler: fcallGeneric(false), getKeys: fcallKeys, commandFlags: fcallCommandFlags },
  { name: 'fcall_ro', handler: fcallGeneric(true), getKeys: fcallKeys, commandFlags: fcallCommandFlags },
  {
    name: 'function',
    subcommands: [
      { name: 'load', handler: functionLoad },
      { name: 'delete', handler: functionDelete },
      { name: 'flush', handler: functionFlush },
      { name: 'list', handler: functionList },
      { name: 'stats', handler: functionStats },
      { name: 'dump', handler: functionDump },
      { name: 'restore', handler: functionRestore },
      { name: 'kill', handler: functionKill },
      helpSubcommand(FUNCTION_HELP),
    ],
  },
];
