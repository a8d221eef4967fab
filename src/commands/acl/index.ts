import { randomBytes } from 'node:crypto';
import { RedisError } from '../../errors.js';
import { aclOf, AclError } from '../../acl/acl.js';
import { hasSpaces } from '../../acl/selector.js';
import type { AclUser } from '../../acl/user.js';
import type { Selector } from '../../acl/selector.js';
import { ACL_CATEGORIES, categoryBit } from '../core/categories.js';
import type { CommandCode, CommandContext, ResolvedCommand } from '../core/context.js';
import { resolveCommand } from '../core/dispatch.js';
import { helpSubcommand, subcommandSyntaxError } from '../core/help.js';
import { getLongLong } from '../../util/parse.js';

const ERR_NO_ACLFILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then ' +
  'issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';

const GENPASS_MAX_BITS = 4096;

const HELP = [
  'CAT [<category>]',
  '    List all commands that belong to <category>, or all command categories',
  '    when no category is specified.',
  'DELUSER <username> [<username> ...]',
  '    Delete a list of users.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Returns whether the user can execute the given command without executing the command.',
  'GETUSER <username>',
  "    Get the user's details.",
  'GENPASS [<bits>]',
  '    Generate a secure 256-bit user password. The optional `bits` argument can',
  '    be used to specify a different size.',
  'LIST',
  '    Show users details in config file format.',
  'LOAD',
  '    Reload users from the ACL file.',
  'LOG [<count> | RESET]',
  '    Show the ACL log entries.',
  'SAVE',
  '    Save the current config to the ACL file.',
  'SETUSER <username> <attribute> [<attribute> ...]',
  '    Create or modify a user with the specified attributes.',
  'USERS',
  '    List all the registered usernames.',
  'WHOAMI',
  '    Return the current connection username.',
];

function setuser(ctx: CommandContext, argv: string[]): void {
  const name = argv[2] as string;
  if (hasSpaces(name)) throw new RedisError("ERR Usernames can't contain spaces or null characters");
  try {
    aclOf(ctx.server).setUser(name, argv.slice(3), ctx.connection);
  } catch (err) {
    // Like addReplyErrorSdsSafe: a line break in the rule must not break the reply.
    if (err instanceof AclError) throw new RedisError(`ERR ${err.message.replace(/[\r\n]/g, ' ')}`);
    throw err;
  }
  ctx.reply.ok();
}

function deluser(ctx: CommandContext, argv: string[]): void {
  const names = argv.slice(2);
  if (names.includes('default')) throw new RedisError("ERR The 'default' user cannot be removed");
  ctx.reply.integer(aclOf(ctx.server).deleteUsers(names, ctx.connection));
}

/** GETUSER's commands, keys and channels of one selector. */
function replySelector(ctx: CommandContext, selector: Selector): void {
  const reply = ctx.reply;
  reply.bulk('commands');
  reply.bulk(selector.describeCommands());
  reply.bulk('keys');
  reply.bulk(selector.describeKeys());
  reply.bulk('channels');
  reply.bulk(selector.describeChannels());
}

function getuser(ctx: CommandContext, argv: string[]): void {
  const user: AclUser | undefined = aclOf(ctx.server).user(argv[2] as string);
  const reply = ctx.reply;
  if (user === undefined) {
    reply.nullBulk();
    return;
  }
  reply.mapHeader(6);
  reply.bulk('flags');
  const flags = user.flagNames();
  reply.setHeader(flags.length);
  for (const flag of flags) reply.bulk(flag);
  reply.bulk('passwords');
  reply.arrayHeader(user.passwords.length);
  for (const hash of user.passwords) reply.bulk(hash);
  replySelector(ctx, user.root);
  reply.bulk('selectors');
  reply.arrayHeader(user.selectors.length - 1);
  for (const selector of user.selectors.slice(1)) {
    reply.mapHeader(3);
    replySelector(ctx, selector);
  }
}

function list(ctx: CommandContext): void {
  const users = aclOf(ctx.server).sortedUsers();
  ctx.reply.arrayHeader(users.length);
  for (const user of users) ctx.reply.bulk(`user ${user.name} ${user.describe()}`);
}

function users(ctx: CommandContext): void {
  const all = aclOf(ctx.server).sortedUsers();
  ctx.reply.arrayHeader(all.length);
  for (const user of all) ctx.reply.bulk(user.name);
}

function whoami(ctx: CommandContext): void {
  ctx.reply.bulk(ctx.user.name);
}

function load(ctx: CommandContext): void {
  const acl = aclOf(ctx.server);
  if (acl.aclFile === '') throw new RedisError(ERR_NO_ACLFILE);
  const errors = acl.loadFromFile(ctx.connection);
  if (errors !== null) throw new RedisError(`ERR ${errors}`);
  ctx.reply.ok();
}

function save(ctx: CommandContext): void {
  const acl = aclOf(ctx.server);
  if (acl.aclFile === '') throw new RedisError(ERR_NO_ACLFILE);
  if (!acl.saveToFile()) throw new RedisError('ERR There was an error trying to save the ACLs. Please check the server logs for more information');
  ctx.reply.ok();
}

/** CAT, GENPASS and LOG take at most one argument (their arity says at least none). */
function atMostOneArgument(argv: readonly string[]): void {
  if (argv.length > 3) throw new RedisError(subcommandSyntaxError(argv));
}

function cat(ctx: CommandContext, argv: string[]): void {
  atMostOneArgument(argv);
  const reply = ctx.reply;
  if (argv.length === 2) {
    reply.arrayHeader(ACL_CATEGORIES.length);
    for (const name of ACL_CATEGORIES) reply.bulk(name);
    return;
  }
  const bit = categoryBit(argv[2] as string);
  if (bit === 0) throw new RedisError(`ERR Unknown category '${(argv[2] as string).slice(0, 128)}'`);
  const names: string[] = [];
  const visit = (cmd: ResolvedCommand): void => {
    if ((cmd.spec.aclCategories & bit) !== 0) names.push(cmd.fullName);
    if (cmd.subcommands !== null) for (const sub of cmd.subcommands.values()) visit(sub);
  };
  for (const top of ctx.server.commands.all()) visit(top);
  reply.arrayHeader(names.length);
  for (const name of names) reply.bulk(name);
}

function genpass(ctx: CommandContext, argv: string[]): void {
  atMostOneArgument(argv);
  const bits = argv.length === 3 ? getLongLong(argv[2] as string) : 256;
  if (bits <= 0 || bits > GENPASS_MAX_BITS) {
    throw new RedisError(`ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to ${GENPASS_MAX_BITS}`);
  }
  const chars = Math.floor((bits + 3) / 4);
  ctx.reply.bulk(randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
}

function log(ctx: CommandContext, argv: string[]): void {
  atMostOneArgument(argv);
  const aclLog = aclOf(ctx.server).log;
  let count = 10;
  if (argv.length === 3) {
    if ((argv[2] as string).toLowerCase() === 'reset') {
      aclLog.reset();
      ctx.reply.ok();
      return;
    }
    count = Math.max(0, getLongLong(argv[2] as string));
  }
  const entries = aclLog.entries.slice(0, count);
  const reply = ctx.reply;
  const now = Date.now();
  reply.arrayHeader(entries.length);
  for (const e of entries) {
    reply.mapHeader(7);
    reply.bulk('count');
    reply.integer(e.count);
    reply.bulk('reason');
    reply.bulk(e.reason);
    reply.bulk('context');
    reply.bulk(e.context);
    reply.bulk('object');
    reply.bulk(e.object);
    reply.bulk('username');
    reply.bulk(e.username);
    reply.bulk('age-seconds');
    reply.double((now - e.updatedAt) / 1000);
    reply.bulk('client-info');
    reply.bulk(e.clientInfo);
  }
}

function dryrun(ctx: CommandContext, argv: string[]): void {
  const acl = aclOf(ctx.server);
  const user = acl.user(argv[2] as string);
  if (user === undefined) throw new RedisError(`ERR User '${argv[2] as string}' not found`);
  const command = argv.slice(3);
  const resolved = resolveCommand(ctx.server.commands, command);
  if (resolved instanceof RedisError) {
    // An unknown command or subcommand; a wrong arity has its own text.
    if (!('resolved' in resolved)) throw new RedisError(`ERR Command '${argv[3] as string}' not found`);
    throw new RedisError(`ERR wrong number of arguments for '${(resolved.resolved as ResolvedCommand).fullName}' command`);
  }
  const denial = acl.check(user, resolved, command);
  if (denial === null) {
    ctx.reply.ok();
    return;
  }
  let text: string;
  if (denial.reason === 'command') text = `This user has no permissions to run the '${resolved.fullName}' command`;
  else if (denial.reason === 'key') text = `This user has no permissions to access the '${command[denial.pos] as string}' key`;
  else text = `This user has no permissions to access the '${command[denial.pos] as string}' channel`;
  ctx.reply.bulk(text);
}

export const commands: CommandCode[] = [
  {
    name: 'acl',
    subcommands: [
      { name: 'cat', handler: cat },
      { name: 'deluser', handler: deluser },
      { name: 'dryrun', handler: dryrun },
      { name: 'genpass', handler: genpass },
      { name: 'getuser', handler: getuser },
      helpSubcommand(HELP),
      { name: 'list', handler: list },
      { name: 'load', handler: load },
      { name: 'log', handler: log },
      { name: 'save', handler: save },
      { name: 'setuser', handler: setuser },
      { name: 'users', handler: users },
      { name: 'whoami', handler: whoami },
    ],
  },
];
