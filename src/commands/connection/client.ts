import { isValidClientName } from '../../util/client-name.js';
import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { getLongLong, getRangeLong, parseLongLong } from '../../util/parse.js';
import type { AclUserView, ClientConnection, CommandCode } from '../core/context.js';
import { aclOf } from '../../acl/acl.js';
import { onConnection } from '../core/checks.js';
import { replyHelp, subcommandSyntaxError } from '../core/help.js';
import { clientCaching, clientGetredir, clientTracking, clientTrackinginfo } from './client-tracking.js';
import { isSubscribed } from '../../pubsub/registry.js';

const CLIENT_HELP = [
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
];

type ClientType = 'normal' | 'replica' | 'master' | 'pubsub';

/** Redis's getClientTypeByName (case-insensitive; 'slave' is the old name of 'replica'). */
function clientTypeByName(name: string): ClientType | null {
  switch (name.toLowerCase()) {
    case 'normal': return 'normal';
    case 'slave':
    case 'replica': return 'replica';
    case 'master': return 'master';
    case 'pubsub': return 'pubsub';
    default: return null;
  }
}

/**
 * Redis's getClientType: a client that asked for a snapshot (SYNC) is a replica, one with
 * subscriptions a pub/sub one. MONITOR clients count as normal ones, as in Redis.
 */
function clientType(client: ClientConnection): ClientType {
  if (client.replica && !client.monitor) return 'replica';
  return isSubscribed(client) ? 'pubsub' : 'normal';
}

export function validateClientName(name: string): void {
  if (!isValidClientName(name)) throw new RedisError('ERR Client names cannot contain spaces, newlines or special characters.');
}

function clientId(ctx: ClientConnection): void {
  ctx.reply.integer(ctx.id);
}

function clientSetname(ctx: ClientConnection, argv: string[]): void {
  const name = argv[2] as string;
  validateClientName(name);
  ctx.name = name;
  ctx.reply.ok();
}

function clientGetname(ctx: ClientConnection): void {
  if (ctx.name === '') ctx.reply.nullBulk();
  else ctx.reply.bulk(ctx.name);
}

function clientInfo(ctx: ClientConnection, argv: string[]): void {
  ctx.reply.verbatim(ctx.describe(argv) + '\n');
}

function clientList(ctx: ClientConnection, argv: string[]): void {
  let text = '';
  if (argv.length === 4 && (argv[2] as string).toLowerCase() === 'type') {
    const type = clientTypeByName(argv[3] as string);
    if (type === null) throw new RedisError(`ERR Unknown client type '${argv[3] as string}'`);
    for (const client of ctx.server.clients.values()) {
      if (clientType(client) === type) text += describeClient(ctx, client, argv) + '\n';
    }
  } else if (argv.length > 3 && (argv[2] as string).toLowerCase() === 'id') {
    for (let j = 3; j < argv.length; j++) {
      const id = getLongLong(argv[j] as string, 'ERR Invalid client ID');
      const client = ctx.server.clients.get(id);
      if (client !== undefined) text += describeClient(ctx, client, argv) + '\n';
    }
  } else if (argv.length !== 2) {
    throw new RedisError(ERR_SYNTAX);
  } else {
    for (const client of ctx.server.clients.values()) text += describeClient(ctx, client, argv) + '\n';
  }
  ctx.reply.verbatim(text);
}

/** The caller's own line counts the CLIENT LIST it is running, as Redis's does. */
function describeClient(ctx: ClientConnection, client: ClientConnection, argv: string[]): string {
  return client === ctx ? client.describe(argv) : client.describe();
}

interface KillFilter {
  id: number;
  type: ClientType | null;
  addr: string | null;
  laddr: string | null;
  user: AclUserView | null;
  skipme: boolean;
}

function parseKillFilter(ctx: ClientConnection, argv: string[]): KillFilter {
  const filter: KillFilter = { id: 0, type: null, addr: null, laddr: null, user: null, skipme: true };
  for (let i = 2; i < argv.length; i += 2) {
    const opt = (argv[i] as string).toLowerCase();
    const value = argv[i + 1];
    if (value === undefined) throw new RedisError(ERR_SYNTAX);
    if (opt === 'id') {
      filter.id = getRangeLong(value, 1, Infinity, 'ERR client-id should be greater than 0');
    } else if (opt === 'type') {
      filter.type = clientTypeByName(value);
      if (filter.type === null) throw new RedisError(`ERR Unknown client type '${value}'`);
    } else if (opt === 'addr') {
      filter.addr = value;
    } else if (opt === 'laddr') {
      filter.laddr = value;
    } else if (opt === 'user') {
      const user = aclOf(ctx.server).user(value);
      if (user === undefined) throw new RedisError(`ERR No such user '${value}'`);
      filter.user = user;
    } else if (opt === 'skipme') {
      const yesNo = value.toLowerCase();
      if (yesNo === 'yes') filter.skipme = true;
      else if (yesNo === 'no') filter.skipme = false;
      else throw new RedisError(ERR_SYNTAX);
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  return filter;
}

function clientKill(ctx: ClientConnection, argv: string[]): void {
  const oldForm = argv.length === 3;
  const filter: KillFilter = oldForm
    ? { id: 0, type: null, addr: argv[2] as string, laddr: null, user: null, skipme: false }
    : parseKillFilter(ctx, argv);
  const victims: ClientConnection[] = [];
  for (const client of ctx.server.clients.values()) {
    if (filter.addr !== null && client.addr !== filter.addr) continue;
    if (filter.laddr !== null && client.laddr !== filter.laddr) continue;
    if (filter.type !== null && clientType(client) !== filter.type) continue;
    if (filter.id !== 0 && client.id !== filter.id) continue;
    if (filter.user !== null && client.user !== filter.user) continue;
    if (client === ctx && filter.skipme) continue;
    victims.push(client);
  }
  let killedSelf = false;
  for (const client of victims) {
    if (client === ctx) killedSelf = true;
    else client.kill();
  }
  if (oldForm) {
    if (victims.length === 0) throw new RedisError('ERR No such client');
    ctx.reply.ok();
  } else {
    ctx.reply.integer(victims.length);
  }
  // Only once its reply is queued, as Redis flags CLOSE_AFTER_REPLY last.
  if (killedSelf) ctx.closeAfterReply();
}

function clientReply(ctx: ClientConnection, argv: string[]): void {
  const mode = (argv[2] as string).toLowerCase();
  if (mode === 'on') {
    ctx.replyMode = 'on';
    ctx.reply.enabled = true;
    ctx.reply.ok();
  } else if (mode === 'off') {
    ctx.replyMode = 'off';
    ctx.reply.enabled = false;
  } else if (mode === 'skip') {
    // The dispatcher drops the reply of the next command; SKIP while OFF changes nothing.
    if (ctx.replyMode !== 'off') ctx.replyMode = 'skip';
  } else {
    throw new RedisError(ERR_SYNTAX);
  }
}

function clientNoEvict(ctx: ClientConnection, argv: string[]): void {
  const mode = (argv[2] as string).toLowerCase();
  if (mode === 'on') ctx.noEvict = true;
  else if (mode === 'off') ctx.noEvict = false;
  else throw new RedisError(ERR_SYNTAX);
  ctx.reply.ok();
}

function clientPause(ctx: ClientConnection, argv: string[]): void {
  if (argv.length > 4) throw new RedisError(subcommandSyntaxError(argv));
  let mode: 'all' | 'write' = 'all';
  if (argv.length === 4) {
    const m = (argv[3] as string).toLowerCase();
    if (m === 'write') mode = 'write';
    else if (m !== 'all') throw new RedisError('ERR CLIENT PAUSE mode must be WRITE or ALL');
  }
  const timeout = parseLongLong(argv[2] as string);
  if (timeout === null) throw new RedisError('ERR timeout is not an integer or out of range');
  if (timeout < 0) throw new RedisError('ERR timeout is negative');
  const now = Date.now();
  if (timeout > Number.MAX_SAFE_INTEGER - now) throw new RedisError('ERR timeout is out of range');
  ctx.server.pauseClients(timeout > 0 ? now + timeout : 0, mode);
  ctx.reply.ok();
}

function clientUnpause(ctx: ClientConnection): void {
  ctx.server.unpauseClients();
  ctx.reply.ok();
}

function clientUnblock(ctx: ClientConnection, argv: string[]): void {
  if (argv.length > 4) throw new RedisError(subcommandSyntaxError(argv));
  let withError = false;
  if (argv.length === 4) {
    const reason = (argv[3] as string).toLowerCase();
    if (reason === 'error') withError = true;
    else if (reason !== 'timeout') throw new RedisError('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  }
  const id = getLongLong(argv[2] as string);
  ctx.reply.integer(ctx.server.unblockClient(id, withError) ? 1 : 0);
}

function clientSetinfo(ctx: ClientConnection, argv: string[]): void {
  const attr = argv[2] as string;
  const value = argv[3] as string;
  const which = attr.toLowerCase();
  if (which !== 'lib-name' && which !== 'lib-ver') throw new RedisError(`ERR Unrecognized option '${attr}'`);
  // The same rule as a client name (Redis 7.2's validateClientAttr).
  if (!isValidClientName(value)) throw new RedisError(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
  if (which === 'lib-name') ctx.libName = value;
  else ctx.libVer = value;
  ctx.reply.ok();
}

function clientHelp(ctx: ClientConnection, argv: string[]): void {
  replyHelp(ctx, argv, CLIENT_HELP);
}

export const clientCommand: CommandCode = {
  name: 'client',
  subcommands: [
    { name: 'caching', handler: onConnection(clientCaching) },
    { name: 'getname', handler: onConnection(clientGetname) },
    { name: 'getredir', handler: onConnection(clientGetredir) },
    { name: 'help', handler: onConnection(clientHelp) },
    { name: 'id', handler: onConnection(clientId) },
    { name: 'info', handler: onConnection(clientInfo) },
    { name: 'kill', handler: onConnection(clientKill) },
    { name: 'list', handler: onConnection(clientList) },
    { name: 'no-evict', handler: onConnection(clientNoEvict) },
    { name: 'pause', handler: onConnection(clientPause) },
    { name: 'reply', handler: onConnection(clientReply) },
    { name: 'setinfo', handler: onConnection(clientSetinfo) },
    { name: 'setname', handler: onConnection(clientSetname) },
    { name: 'tracking', handler: onConnection(clientTracking) },
    { name: 'trackinginfo', handler: onConnection(clientTrackinginfo) },
    { name: 'unblock', handler: onConnection(clientUnblock) },
    { name: 'unpause', handler: onConnection(clientUnpause) },
  ],
};
