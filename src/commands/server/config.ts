import { ConfigSetError } from '../../config/config.js';
import { rewriteConfigFile } from '../../config/file.js';
import { aclOf } from '../../acl/acl.js';
import type { ConfigParam } from '../../config/schema.js';
import { strerror } from '../../config/values.js';
import { ERR_SYNTAX, RedisError } from '../../errors.js';
import { globMatch } from '../../util/glob.js';
import type { CommandCode, CommandContext, ServerStats } from '../core/context.js';
import { allowProtectedAction } from '../core/checks.js';
import { helpSubcommand } from '../core/help.js';

function configGet(ctx: CommandContext, argv: string[]): void {
  const config = ctx.server.config;
  const found: Array<[string, ConfigParam]> = [];
  const seen = new Set<string>();
  for (let i = 2; i < argv.length; i++) {
    const pattern = argv[i] as string;
    if (!/[[*?]/.test(pattern)) {
      // An exact name answers under the spelling asked for, hidden parameters included.
      const key = pattern.toLowerCase();
      const param = config.param(key);
      if (param !== undefined && !seen.has(key)) {
        seen.add(key);
        found.push([pattern, param]);
      }
      continue;
    }
    for (const param of config.params()) {
      if (param.hidden) continue;
      for (const name of [param.name, ...(param.aliases ?? [])]) {
        if (seen.has(name) || !globMatch(pattern, name, true)) continue;
        seen.add(name);
        found.push([name, param]);
      }
    }
  }
  const reply = ctx.reply;
  reply.mapHeader(found.length);
  for (const [name, param] of found) {
    reply.bulk(name);
    reply.bulk(config.format(param.name));
  }
}

function configSet(ctx: CommandContext, argv: string[]): void | Promise<void> {
  if (argv.length % 2 !== 0) throw new RedisError(ERR_SYNTAX);
  const config = ctx.server.config;
  const pairs: Array<[string, string]> = [];
  // Redis finds duplicates by the name as written: a parameter and its alias may both be set.
  const chosen: string[] = [];
  let unknown: string | null = null;
  let refused: RedisError | null = null;
  // As in Redis: an unknown name is reported before anything else; otherwise the first
  // immutable, protected or duplicate parameter stops the scan.
  for (let i = 2; i < argv.length && refused === null; i += 2) {
    const name = argv[i] as string;
    const param = config.param(name);
    if (param === undefined) {
      unknown ??= name;
      continue;
    }
    if (unknown !== null) continue;
    if (!param.mutable || (param.protected && !allowProtectedAction(ctx, 'enable-protected-configs'))) {
      const why = param.mutable ? "can't set protected config" : "can't set immutable config";
      refused = new RedisError(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`);
    } else if (chosen.includes(name.toLowerCase())) {
      refused = new RedisError(`ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`);
    }
    chosen.push(name.toLowerCase());
    pairs.push([name, argv[i + 1] as string]);
  }
  if (unknown !== null) throw new RedisError(`ERR Unknown option or number of arguments for CONFIG SET - '${unknown}'`);
  if (refused !== null) throw refused;
  const listening = pairs.find(([name]) => LISTENING_PARAMS.has((config.param(name) as ConfigParam).name));
  if (listening === undefined) {
    try {
      config.setMany(pairs);
    } catch (err) {
      throw configSetFailure(err);
    }
    ctx.reply.ok();
    return;
  }
  // Node binds asynchronously: the reply waits until the new address listens or has failed.
  // A transaction must not wait in the middle of EXEC: other clients would run meanwhile.
  if (ctx.inMulti) {
    const name = (config.param(listening[0]) as ConfigParam).name;
    throw new RedisError(`ERR CONFIG SET failed (possibly related to argument '${name}') - can't change the listening address inside a transaction`);
  }
  return ctx.server.configSetListening(pairs).then(
    () => ctx.reply.ok(),
    (err: unknown) => {
      throw configSetFailure(err);
    },
  );
}

/** Parameters whose change opens new listening sockets. */
const LISTENING_PARAMS = new Set(['port', 'bind', 'tls-port', 'metrics-port']);

function configSetFailure(err: unknown): unknown {
  if (!(err instanceof ConfigSetError)) return err;
  return new RedisError(`ERR CONFIG SET failed (possibly related to argument '${err.param}') - ${err.message}`);
}

/** Zeroes the counters INFO reports (Redis's resetServerStats); the start time stays. */
export function resetServerStats(stats: ServerStats): void {
  const record = stats as unknown as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (key === 'startTime') continue;
    if (typeof value === 'number') record[key] = 0;
    else if (value instanceof Map) value.clear();
  }
}

function configResetStat(ctx: CommandContext): void {
  resetServerStats(ctx.server.stats);
  ctx.server.commands.resetStats();
  ctx.reply.ok();
}

function configRewrite(ctx: CommandContext): void {
  const path = ctx.server.configFile;
  if (path === null || path === undefined) throw new RedisError('ERR The server is running without a config file');
  try {
    rewriteConfigFile(ctx.server.config, path, new Map([['user', aclOf(ctx.server).configLines()]]));
  } catch (err) {
    ctx.server.log.warn(`CONFIG REWRITE failed: ${strerror(err)}`);
    throw new RedisError(`ERR Rewriting config file: ${strerror(err)}`);
  }
  ctx.server.log.warn('CONFIG REWRITE executed with success.');
  ctx.reply.ok();
}

const HELP = [
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
];

export const commands: CommandCode[] = [
  {
    name: 'config',
    subcommands: [
      { name: 'get', handler: configGet },
      { name: 'set', handler: configSet },
      { name: 'resetstat', handler: configResetStat },
      { name: 'rewrite', handler: configRewrite },
      helpSubcommand(HELP),
    ],
  },
];
