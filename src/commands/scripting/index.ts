import { RedisError } from '../../errors.js';
import { scriptingOf } from '../../scripting/scripting.js';
import type { CachedScript } from '../../scripting/cache.js';
import { readShebang, SCRIPT_ALLOW_OOM, SCRIPT_LEGACY, SCRIPT_NO_WRITES } from '../../scripting/shebang.js';
import { getLongLong } from '../../util/parse.js';
import { LAZYFREE_THRESHOLD } from '../../server/memory.js';
import { numkeysKeyPositions } from '../args/numkeys.js';
import { CMD_DENYOOM, CMD_MAY_REPLICATE, CMD_PAUSED_BY_WRITE_PAUSE, CMD_WRITE } from '../core/command-data.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { helpSubcommand } from '../core/help.js';
import { functionCommands } from './functions.js';

const ERR_NOSCRIPT = 'NOSCRIPT No matching script. Please use EVAL.';

/** The cached script EVAL (a body) or EVALSHA (a SHA1) names, without compiling anything. */
function findScript(ctx: CommandContext, argv: readonly string[], bySha: boolean): CachedScript | undefined {
  const cache = scriptingOf(ctx.server).cache;
  return bySha ? cache.bySha1(argv[1] as string) : cache.byBodyText(argv[1] as string);
}

/**
 * Redis's evalGetCommandFlags: a script with a shebang declares what it does, and EVAL is
 * checked as the command that does it (write, denyoom unless allow-oom or no-writes); a legacy
 * script, or one not known yet by EVALSHA, keeps EVAL's own flags.
 */
function evalCommandFlags(bySha: boolean): (ctx: CommandContext, argv: readonly string[], bits: number) => number {
  return (ctx, argv, bits) => {
    if (bySha && (argv[1] as string).length !== 40) return bits;
    let flags: number;
    const found = findScript(ctx, argv, bySha);
    if (found !== undefined) {
      flags = found.flags;
    } else {
      if (bySha) return bits;
      const shebang = readShebang(argv[1] as string);
      if (typeof shebang === 'string') return bits;
      flags = shebang.flags;
    }
    if ((flags & SCRIPT_LEGACY) !== 0) return bits;
    // Redis's scriptFlagsToCmdFlags (allow-stale changes nothing here: nodis is no replica).
    let out = bits & ~(CMD_DENYOOM | CMD_WRITE | CMD_MAY_REPLICATE | CMD_PAUSED_BY_WRITE_PAUSE);
    if ((flags & (SCRIPT_ALLOW_OOM | SCRIPT_NO_WRITES)) === 0) out |= CMD_DENYOOM;
    if ((flags & SCRIPT_NO_WRITES) === 0) out |= CMD_WRITE | CMD_PAUSED_BY_WRITE_PAUSE;
    return out;
  };
}

/** EVAL, EVALSHA and their _RO forms (Redis's evalGenericCommand). */
function evalGeneric(bySha: boolean, readOnly: boolean): (ctx: CommandContext, argv: string[]) => void | Promise<void> {
  return (ctx, argv) => {
    const server = ctx.server;
    // EVAL is skip_monitor so that MONITOR shows it before the commands it runs.
    if (server.hasMonitors()) server.feedMonitors(ctx, argv);
    // Only the script's commands propagate, never EVAL itself.
    server.propagation.prevent();
    if (bySha && (argv[1] as string).length !== 40) throw new RedisError(ERR_NOSCRIPT);
    const numkeys = getLongLong(argv[2] as string);
    if (numkeys > argv.length - 3) throw new RedisError("ERR Number of keys can't be greater than number of args");
    if (numkeys < 0) throw new RedisError("ERR Number of keys can't be negative");
    const scripting = scriptingOf(server);
    let script: CachedScript | undefined;
    if (bySha) {
      script = scripting.cache.bySha1(argv[1] as string);
      if (script === undefined) throw new RedisError(ERR_NOSCRIPT);
    } else {
      script = scripting.create(argv[1] as string);
    }
    return scripting.runScript(ctx, {
      name: script.sha,
      script: script.loaded,
      flags: script.flags,
      readOnlyCommand: readOnly,
      keys: argv.slice(3, 3 + numkeys),
      args: argv.slice(3 + numkeys),
      argv,
    });
  };
}

const evalKeys = (argv: string[]): number[] => numkeysKeyPositions(argv, 2);

function scriptLoad(ctx: CommandContext, argv: string[]): void {
  ctx.reply.bulk(scriptingOf(ctx.server).create(argv[2] as string).sha);
}

function scriptExists(ctx: CommandContext, argv: string[]): void {
  const cache = scriptingOf(ctx.server).cache;
  ctx.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) ctx.reply.integer(cache.bySha1(argv[i] as string) === undefined ? 0 : 1);
}

function scriptFlush(ctx: CommandContext, argv: string[]): void {
  const mode = argv.length === 3 ? (argv[2] as string).toLowerCase() : null;
  if (argv.length > 3 || (mode !== null && mode !== 'sync' && mode !== 'async')) {
    throw new RedisError('ERR SCRIPT FLUSH only support SYNC|ASYNC option');
  }
  // Both modes free the cache at once (V8 collects it), but ASYNC, or no mode with
  // lazyfree-lazy-user-flush, counts it as lazily freed as Redis's freeLuaScriptsAsync does:
  // every script, when there are more than LAZYFREE_THRESHOLD.
  const async = mode === null ? ctx.server.config.getBool('lazyfree-lazy-user-flush') : mode === 'async';
  const scripts = scriptingOf(ctx.server).cache.size;
  if (async && scripts > LAZYFREE_THRESHOLD) ctx.server.stats.lazyfreedObjects += scripts;
  scriptingOf(ctx.server).flush();
  ctx.reply.ok();
}

function scriptKill(ctx: CommandContext): void {
  scriptingOf(ctx.server).kill(false);
  ctx.reply.ok();
}

/**
 * SCRIPT DEBUG: Redis's checks and its answer to NO; YES and SYNC would start the Lua debugger
 * (LDB), which nodis does not have: they are refused rather than answered OK and then ignored.
 */
function scriptDebug(ctx: CommandContext, argv: string[]): void {
  if (ctx.reply.pending !== 0) throw new RedisError('ERR SCRIPT DEBUG must be called outside a pipeline');
  const mode = (argv[2] as string).toLowerCase();
  if (mode === 'no') {
    ctx.reply.ok();
    return;
  }
  if (mode === 'yes' || mode === 'sync') throw new RedisError('ERR SCRIPT DEBUG is not supported: this server has no Lua debugger');
  throw new RedisError('ERR Use SCRIPT DEBUG YES/SYNC/NO');
}

const SCRIPT_HELP = [
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
];

export const commands: CommandCode[] = [
  { name: 'eval', handler: evalGeneric(false, false), getKeys: evalKeys, commandFlags: evalCommandFlags(false) },
  { name: 'evalsha', handler: evalGeneric(true, false), getKeys: evalKeys, commandFlags: evalCommandFlags(true) },
  { name: 'eval_ro', handler: evalGeneric(false, true), getKeys: evalKeys, commandFlags: evalCommandFlags(false) },
  { name: 'evalsha_ro', handler: evalGeneric(true, true), getKeys: evalKeys, commandFlags: evalCommandFlags(true) },
  {
    name: 'script',
    subcommands: [
      { name: 'load', handler: scriptLoad },
      { name: 'exists', handler: scriptExists },
      { name: 'flush', handler: scriptFlush },
      { name: 'kill', handler: scriptKill },
      { name: 'debug', handler: scriptDebug },
      helpSubcommand(SCRIPT_HELP),
    ],
  },
  ...functionCommands,
];
