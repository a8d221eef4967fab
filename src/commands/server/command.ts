import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { globMatch } from '../../util/glob.js';
import type { ReplyWriter } from '../../protocol/reply.js';
import { categoryBit, categoryMask, categoryNames, docGroup, metaOf } from '../core/categories.js';
import type { CommandContext } from '../core/context.js';
import { replyHelp } from '../core/help.js';
import { commandHasKeys, findKeys, hasMovableKeys, keySpecsOf, type KeySpec } from '../core/keyspecs.js';
import type { CommandFlag, CommandSpec, CommandTable, ResolvedCommand } from '../core/registry.js';

/**
 * Flags as COMMAND INFO lists them, in Redis's order. Redis 7.0 does not show may_replicate,
 * protected or the sentinel flags there.
 */
const FLAG_ORDER: readonly CommandFlag[] = [
  'write', 'readonly', 'denyoom', 'module', 'admin', 'pubsub', 'noscript', 'blocking', 'loading', 'stale',
  'skip_monitor', 'skip_slowlog', 'asking', 'fast', 'no_auth', 'no_mandatory_keys', 'no_async_loading',
  'no_multi', 'movablekeys', 'allow_busy',
];

const COMMAND_HELP = [
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
];

function commandFlags(resolved: ResolvedCommand): CommandFlag[] {
  const flags = resolved.spec.flags;
  const movable = hasMovableKeys(resolved);
  return FLAG_ORDER.filter((f) => (f === 'movablekeys' ? movable : flags.includes(f)));
}

function replyKeySpec(reply: ReplyWriter, spec: KeySpec): void {
  reply.mapHeader(spec.notes === undefined ? 3 : 4);
  if (spec.notes !== undefined) {
    reply.bulk('notes');
    reply.bulk(spec.notes);
  }
  reply.bulk('flags');
  reply.setHeader(spec.flags.length);
  for (const flag of spec.flags) reply.simple(flag);
  reply.bulk('begin_search');
  reply.mapHeader(2);
  reply.bulk('type');
  reply.bulk(spec.begin.type);
  reply.bulk('spec');
  const begin = spec.begin;
  if (begin.type === 'index') {
    reply.mapHeader(1);
    reply.bulk('index');
    reply.integer(begin.index);
  } else if (begin.type === 'keyword') {
    reply.mapHeader(2);
    reply.bulk('keyword');
    reply.bulk(begin.keyword);
    reply.bulk('startfrom');
    reply.integer(begin.startfrom);
  } else {
    reply.mapHeader(0);
  }
  reply.bulk('find_keys');
  reply.mapHeader(2);
  reply.bulk('type');
  reply.bulk(spec.find.type);
  reply.bulk('spec');
  const find = spec.find;
  if (find.type === 'range') {
    reply.mapHeader(3);
    reply.bulk('lastkey');
    reply.integer(find.lastkey);
    reply.bulk('keystep');
    reply.integer(find.keystep);
    reply.bulk('limit');
    reply.integer(find.limit);
  } else if (find.type === 'keynum') {
    reply.mapHeader(3);
    reply.bulk('keynumidx');
    reply.integer(find.keynumidx);
    reply.bulk('firstkey');
    reply.integer(find.firstkey);
    reply.bulk('keystep');
    reply.integer(find.keystep);
  } else {
    reply.mapHeader(0);
  }
}

/** One COMMAND INFO entry (Redis 7.0: ten fields). */
function replyCommandInfo(reply: ReplyWriter, resolved: ResolvedCommand): void {
  const spec = resolved.spec;
  const meta = metaOf(resolved);
  reply.arrayHeader(10);
  reply.bulk(resolved.fullName);
  reply.integer(spec.arity);
  const flags = commandFlags(resolved);
  reply.setHeader(flags.length);
  for (const flag of flags) reply.simple(flag);
  const keys = spec.keys;
  reply.integer(keys?.first ?? 0);
  reply.integer(keys?.last ?? 0);
  reply.integer(keys?.step ?? 0);
  const categories = categoryNames(categoryMask(resolved));
  reply.setHeader(categories.length);
  for (const category of categories) reply.simple('@' + category);
  const tips = spec.tips ?? meta?.tips ?? [];
  reply.setHeader(tips.length);
  for (const tip of tips) reply.bulk(tip);
  const keySpecs = keySpecsOf(resolved);
  // Redis sends these two as sets in RESP3.
  reply.setHeader(keySpecs.length);
  for (const keySpec of keySpecs) replyKeySpec(reply, keySpec);
  const subs = resolved.subcommands;
  reply.setHeader(subs === null ? 0 : subs.size);
  if (subs !== null) for (const sub of subs.values()) replyCommandInfo(reply, sub);
}

/** One COMMAND DOCS entry: the map of a command's documentation fields. */
function replyCommandDocs(reply: ReplyWriter, resolved: ResolvedCommand): void {
  const spec: CommandSpec = resolved.spec;
  const meta = metaOf(resolved);
  const summary = spec.summary ?? meta?.summary;
  const since = spec.since ?? meta?.since;
  const complexity = spec.complexity ?? meta?.complexity;
  const subs = resolved.subcommands;
  const fields =
    (summary !== undefined ? 1 : 0) + (since !== undefined ? 1 : 0) + 1 + (complexity !== undefined ? 1 : 0) +
    (meta?.docFlags !== undefined ? 1 : 0) + (meta?.deprecatedSince !== undefined ? 1 : 0) +
    (meta?.replacedBy !== undefined ? 1 : 0) + (subs !== null ? 1 : 0);
  reply.mapHeader(fields);
  if (summary !== undefined) {
    reply.bulk('summary');
    reply.bulk(summary);
  }
  if (since !== undefined) {
    reply.bulk('since');
    reply.bulk(since);
  }
  reply.bulk('group');
  reply.bulk(meta?.group ?? docGroup(spec.group));
  if (complexity !== undefined) {
    reply.bulk('complexity');
    reply.bulk(complexity);
  }
  if (meta?.docFlags !== undefined) {
    reply.bulk('doc_flags');
    reply.setHeader(meta.docFlags.length);
    for (const flag of meta.docFlags) reply.simple(flag);
  }
  if (meta?.deprecatedSince !== undefined) {
    reply.bulk('deprecated_since');
    reply.bulk(meta.deprecatedSince);
  }
  if (meta?.replacedBy !== undefined) {
    reply.bulk('replaced_by');
    reply.bulk(meta.replacedBy);
  }
  if (subs !== null) {
    reply.bulk('subcommands');
    reply.mapHeader(subs.size);
    for (const sub of subs.values()) {
      reply.bulk(sub.fullName);
      replyCommandDocs(reply, sub);
    }
  }
}

function command(ctx: CommandContext): void {
  const table = ctx.server.commands;
  ctx.reply.arrayHeader(table.size);
  for (const resolved of table.all()) replyCommandInfo(ctx.reply, resolved);
}

function commandCount(ctx: CommandContext): void {
  ctx.reply.integer(ctx.server.commands.size);
}

function commandInfo(ctx: CommandContext, argv: string[]): void {
  if (argv.length === 2) return command(ctx);
  ctx.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const resolved = ctx.server.commands.findByFullName(argv[i] as string);
    if (resolved === undefined) ctx.reply.nullBulk();
    else replyCommandInfo(ctx.reply, resolved);
  }
}

function commandDocs(ctx: CommandContext, argv: string[]): void {
  const table = ctx.server.commands;
  const found: ResolvedCommand[] = [];
  if (argv.length === 2) {
    for (const resolved of table.all()) found.push(resolved);
  } else {
    for (let i = 2; i < argv.length; i++) {
      const resolved = table.findByFullName(argv[i] as string);
      if (resolved !== undefined) found.push(resolved);
    }
  }
  ctx.reply.mapHeader(found.length);
  for (const resolved of found) {
    ctx.reply.bulk(resolved.fullName);
    replyCommandDocs(ctx.reply, resolved);
  }
}

/** Every command and subcommand, parents first. */
function everyCommand(table: CommandTable): ResolvedCommand[] {
  const out: ResolvedCommand[] = [];
  for (const resolved of table.all()) {
    out.push(resolved);
    if (resolved.subcommands !== null) for (const sub of resolved.subcommands.values()) out.push(sub);
  }
  return out;
}

function commandList(ctx: CommandContext, argv: string[]): void {
  let all = everyCommand(ctx.server.commands);
  if (argv.length === 5 && (argv[2] as string).toLowerCase() === 'filterby') {
    const kind = (argv[3] as string).toLowerCase();
    const value = argv[4] as string;
    if (kind === 'module') {
      all = [];
    } else if (kind === 'aclcat') {
      const bit = categoryBit(value);
      all = bit === 0 ? [] : all.filter((r) => (categoryMask(r) & bit) !== 0);
    } else if (kind === 'pattern') {
      all = all.filter((r) => globMatch(value, r.fullName, true));
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  } else if (argv.length !== 2) {
    throw new RedisError(ERR_SYNTAX);
  }
  ctx.reply.arrayHeader(all.length);
  for (const resolved of all) ctx.reply.bulk(resolved.fullName);
}

function getKeys(ctx: CommandContext, argv: string[], withFlags: boolean): void {
  const target = argv.slice(2);
  const table = ctx.server.commands;
  let resolved = table.lookup(target[0] as string);
  if (resolved !== undefined && resolved.subcommands !== null && target.length >= 2) {
    resolved = resolved.subcommands.get((target[1] as string).toLowerCase());
  }
  if (resolved === undefined) throw new RedisError('ERR Invalid command specified');
  if (!commandHasKeys(resolved)) throw new RedisError('ERR The command has no key arguments');
  const arity = resolved.spec.arity;
  if ((arity > 0 && arity !== target.length) || target.length < -arity) {
    throw new RedisError('ERR Invalid number of arguments specified for command');
  }
  const keys = findKeys(resolved, target);
  if (keys.length === 0) {
    if (resolved.spec.flags.includes('no_mandatory_keys')) return ctx.reply.emptyArray();
    throw new RedisError('ERR Invalid arguments specified for command');
  }
  const reply = ctx.reply;
  reply.arrayHeader(keys.length);
  for (const key of keys) {
    if (withFlags) {
      reply.arrayHeader(2);
      reply.bulk(target[key.pos] as string);
      reply.setHeader(key.flags.length);
      for (const flag of key.flags) reply.simple(flag);
    } else {
      reply.bulk(target[key.pos] as string);
    }
  }
}

function commandGetkeys(ctx: CommandContext, argv: string[]): void {
  getKeys(ctx, argv, false);
}

function commandGetkeysandflags(ctx: CommandContext, argv: string[]): void {
  getKeys(ctx, argv, true);
}

function commandHelp(ctx: CommandContext): void {
  replyHelp(ctx, 'COMMAND', COMMAND_HELP);
}

const FLAGS: CommandFlag[] = ['loading', 'stale'];
const ORDER_TIP = ['nondeterministic_output_order'];

export const commands: CommandSpec[] = [
  {
    name: 'command',
    arity: -1,
    flags: FLAGS,
    group: 'server',
    handler: command,
    tips: ORDER_TIP,
    subcommands: [
      { name: 'count', arity: 2, flags: FLAGS, group: 'server', handler: commandCount },
      { name: 'docs', arity: -2, flags: FLAGS, group: 'server', handler: commandDocs, tips: ORDER_TIP },
      { name: 'getkeys', arity: -4, flags: FLAGS, group: 'server', handler: commandGetkeys },
      { name: 'getkeysandflags', arity: -4, flags: FLAGS, group: 'server', handler: commandGetkeysandflags },
      { name: 'help', arity: 2, flags: FLAGS, group: 'server', handler: commandHelp },
      { name: 'info', arity: -2, flags: FLAGS, group: 'server', handler: commandInfo, tips: ORDER_TIP },
      { name: 'list', arity: -2, flags: FLAGS, group: 'server', handler: commandList, tips: ORDER_TIP },
    ],
  },
];
