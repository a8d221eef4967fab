/**
 * MODULE: nodis runs no Redis modules (they are native shared objects written against Redis's C
 * API), so it answers as a Redis 7.0 that has none loaded and cannot load any: an empty LIST,
 * and LOAD / LOADEX / UNLOAD failing with Redis's own errors. LOAD, LOADEX and UNLOAD are
 * flagged protected: enable-module-command (no by default) refuses them before they run.
 */
import { RedisError } from '../../errors.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { helpSubcommand } from '../core/help.js';

const MODULE_HELP = [
  'LIST',
  '    Return a list of loaded modules.',
  'LOAD <path> [<arg> ...]',
  '    Load a module library from <path>, passing to it any optional arguments.',
  'LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]',
  '    Load a module library from <path>, while passing it module configurations and optional arguments.',
  'UNLOAD <name>',
  '    Unload a module.',
];

const ERR_MODULE_LOAD_FAILED = 'ERR Error loading the extension. Please check the server logs.';

function moduleList(ctx: CommandContext): void {
  ctx.reply.emptyArray();
}

/** Says in the log why, as Redis does when dlopen fails, and answers Redis's error. */
function failToLoad(ctx: CommandContext, path: string): never {
  ctx.server.log.warn(`Module ${path} failed to load: nodis cannot load Redis modules`);
  throw new RedisError(ERR_MODULE_LOAD_FAILED);
}

function moduleLoad(ctx: CommandContext, argv: string[]): void {
  failToLoad(ctx, argv[2] as string);
}

/**
 * LOADEX checks its arguments before loading, as Redis's parseLoadexArguments: CONFIG takes a
 * name and a value, ARGS ends the options, anything else is a syntax error. Every failure
 * answers the same error; the log says which.
 */
function moduleLoadex(ctx: CommandContext, argv: string[]): void {
  for (let i = 3; i < argv.length; i++) {
    const word = (argv[i] as string).toLowerCase();
    if (word === 'config') {
      if (i + 2 >= argv.length) {
        ctx.server.log.info('CONFIG specified without name value pair');
        throw new RedisError(ERR_MODULE_LOAD_FAILED);
      }
      i += 2;
    } else if (word === 'args') {
      break;
    } else {
      ctx.server.log.info('Syntax Error from arguments to loadex around an unknown argument.');
      throw new RedisError(ERR_MODULE_LOAD_FAILED);
    }
  }
  failToLoad(ctx, argv[2] as string);
}

function moduleUnload(): void {
  throw new RedisError('ERR Error unloading module: no such module with that name');
}

export const commands: CommandCode[] = [
  {
    name: 'module',
    subcommands: [
      { name: 'list', handler: moduleList },
      { name: 'load', handler: moduleLoad },
      { name: 'loadex', handler: moduleLoadex },
      { name: 'unload', handler: moduleUnload },
      helpSubcommand(MODULE_HELP),
    ],
  },
];
