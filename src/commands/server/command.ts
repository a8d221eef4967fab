import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { globMatch } from '../../util/glob.js';
import type { ReplyWriter } from '../../protocol/reply.js';
import { categoryBit } from '../core/categories.js';
import { VISIBLE_FLAGS, type CommandArgument, type CommandData, type KeySpec } from '../core/command-data.js';
import type { CommandCode, CommandContext, CommandLookup, ResolvedCommand } from '../core/context.js';
import { helpSubcommand } from '../core/help.js';
import { commandHasKeys, findKeys } from '../core/keyspecs.js';

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

/** A set of simple strings (flags, categories): RESP3 sets, RESP2 arrays. */
function replySimpleSet(reply: ReplyWriter, items: readonly string[]): void {
  reply.setHeader(items.length);
  for (const item of items) reply.simple(item);
}

/** Writes a map of integers, in the order given ({ lastkey, keystep, limit }…). */
function replyIntegerMap(reply: ReplyWriter, fields: Readonly<Record<string, number>>): void {
  const names = Object.keys(fields);
  reply.mapHeader(names.length);
  for (const name of names) {
    reply.bulk(name);
    reply.integer(fields[name] as number);
  }
}

function replyKeySpec(reply: ReplyWriter, spec: KeySpec): void {
  reply.mapHeader(spec.notes === undefined ? 3 : 4);
  if (spec.notes !== undefined) {
    reply.bulk('notes');
    reply.bulk(spec.notes);
  }
  reply.bulk('flags');
  replySimpleSet(reply, spec.flags);
  reply.bulk('begin_search');
  reply.mapHeader(2);
  reply.bulk('type');
  reply.bulk(spec.begin_search.type);
  reply.bulk('spec');
  const begin = spec.begin_search;
  if (begin.type === 'keyword') {
    reply.mapHeader(2);
    reply.bulk('keyword');
    reply.bulk(begin.spec.keyword);
    reply.bulk('startfrom');
    reply.integer(begin.spec.startfrom);
  } else {
    replyIntegerMap(reply, begin.type === 'index' ? { index: begin.spec.index } : {});
  }
  reply.bulk('find_keys');
  reply.mapHeader(2);
  reply.bulk('type');
  reply.bulk(spec.find_keys.type);
  reply.bulk('spec');
  const find = spec.find_keys;
  if (find.type === 'range') {
    replyIntegerMap(reply, { lastkey: find.spec.lastkey, keystep: find.spec.keystep, limit: find.spec.limit });
  } else if (find.type === 'keynum') {
    replyIntegerMap(reply, { keynumidx: find.spec.keynumidx, firstkey: find.spec.firstkey, keystep: find.spec.keystep });
  } else {
    replyIntegerMap(reply, {});
  }
}

/** One COMMAND INFO entry (Redis 7.0: ten fields). */
function replyCommandInfo(reply: ReplyWriter, resolved: ResolvedCommand): void {
  const data: CommandData = resolved.spec.data;
  reply.arrayHeader(10);
  reply.bulk(resolved.fullName);
  reply.integer(data.arity);
  // Redis keeps a few flags out of COMMAND INFO (may_replicate, protected, sentinel).
  replySimpleSet(reply, data.flags.filter((flag) => VISIBLE_FLAGS.includes(flag)));
  reply.integer(data.first_key);
  reply.integer(data.last_key);
  reply.integer(data.key_step);
  replySimpleSet(reply, data.acl_categories);
  const tips = data.tips ?? [];
  reply.setHeader(tips.length);
  for (const tip of tips) reply.bulk(tip);
  const keySpecs = data.key_specs ?? [];
  reply.setHeader(keySpecs.length);
  for (const keySpec of keySpecs) replyKeySpec(reply, keySpec);
  const subs = resolved.subcommands;
  // Redis: an array of subcommands, but an empty set when there are none.
  if (subs === null) {
    reply.setHeader(0);
  } else {
    reply.arrayHeader(subs.size);
    for (const sub of subs.values()) replyCommandInfo(reply, sub);
  }
}

function replyArguments(reply: ReplyWriter, args: readonly CommandArgument[]): void {
  reply.arrayHeader(args.length);
  for (const arg of args) {
    const fields =
      2 + (arg.key_spec_index !== undefined ? 1 : 0) + (arg.token !== undefined ? 1 : 0) + (arg.summary !== undefined ? 1 : 0) +
      (arg.since !== undefined ? 1 : 0) + (arg.deprecated_since !== undefined ? 1 : 0) + (arg.flags !== undefined ? 1 : 0) +
      (arg.arguments !== undefined ? 1 : 0);
    reply.mapHeader(fields);
    reply.bulk('name');
    reply.bulk(arg.name);
    reply.bulk('type');
    reply.bulk(arg.type);
    if (arg.key_spec_index !== undefined) {
      reply.bulk('key_spec_index');
      reply.integer(arg.key_spec_index);
    }
    for (const field of ['token', 'summary', 'since', 'deprecated_since'] as const) {
      const value = arg[field];
      if (value === undefined) continue;
      reply.bulk(field);
      reply.bulk(value);
    }
    if (arg.flags !== undefined) {
      reply.bulk('flags');
      replySimpleSet(reply, arg.flags);
    }
    if (arg.arguments !== undefined) {
      reply.bulk('arguments');
      replyArguments(reply, arg.arguments);
    }
  }
}

/** One COMMAND DOCS entry: the map of a command's documentation fields, in Redis's order. */
function replyCommandDocs(reply: ReplyWriter, resolved: ResolvedCommand): void {
  const data: CommandData = resolved.spec.data;
  const subs = resolved.subcommands;
  const texts = [
    ['summary', data.summary], ['since', data.since], ['group', data.group], ['complexity', data.complexity],
  ] as const;
  const fields =
    texts.filter(([, value]) => value !== undefined).length + (data.doc_flags !== undefined ? 1 : 0) +
    (data.deprecated_since !== undefined ? 1 : 0) + (data.replaced_by !== undefined ? 1 : 0) +
    (data.history !== undefined ? 1 : 0) + (data.arguments !== undefined ? 1 : 0) + (subs !== null ? 1 : 0);
  reply.mapHeader(fields);
  for (const [name, value] of texts) {
    if (value === undefined) continue;
    reply.bulk(name);
    reply.bulk(value);
  }
  if (data.doc_flags !== undefined) {
    reply.bulk('doc_flags');
    replySimpleSet(reply, data.doc_flags);
  }
  if (data.deprecated_since !== undefined) {
    reply.bulk('deprecated_since');
    reply.bulk(data.deprecated_since);
  }
  if (data.replaced_by !== undefined) {
    reply.bulk('replaced_by');
    reply.bulk(data.replaced_by);
  }
  if (data.history !== undefined) {
    reply.bulk('history');
    reply.setHeader(data.history.length);
    for (const [version, change] of data.history) {
      reply.arrayHeader(2);
      reply.bulk(version);
      reply.bulk(change);
    }
  }
  if (data.arguments !== undefined) {
    reply.bulk('arguments');
    replyArguments(reply, data.arguments);
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
function everyCommand(table: CommandLookup): ResolvedCommand[] {
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
      all = bit === 0 ? [] : all.filter((r) => (r.spec.aclCategories & bit) !== 0);
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

export const commands: CommandCode[] = [
  {
    name: 'command',
    handler: command,
    subcommands: [
      { name: 'count', handler: commandCount },
      { name: 'docs', handler: commandDocs },
      { name: 'getkeys', handler: commandGetkeys },
      { name: 'getkeysandflags', handler: commandGetkeysandflags },
      helpSubcommand(COMMAND_HELP),
      { name: 'info', handler: commandInfo },
      { name: 'list', handler: commandList },
    ],
  },
];
