import { RedisError, ERR_DB_INDEX, ERR_SYNTAX } from '../../errors.js';
import { getInt, parseLongLong } from '../../util/parse.js';
import { NODIS_VERSION } from '../../version.js';
import type { ClientConnection, CommandCode, CommandContext } from '../core/context.js';
import { onConnection } from '../core/checks.js';
import { clientCommand, validateClientName } from './client.js';
import { isSubscribed } from '../../pubsub/registry.js';
import { aclOf } from '../../acl/acl.js';

const ERR_WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
const ERR_AUTH_NOPASS =
  'ERR AUTH <password> called without any password configured for the default user. ' +
  'Are you sure your configuration is correct?';
const ERR_HELLO_NOAUTH =
  'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> ' +
  'option can be used to authenticate the client and select the RESP protocol version at the same time';

function ping(ctx: CommandContext, argv: string[]): void {
  if (argv.length > 2) throw new RedisError(`ERR wrong number of arguments for 'ping' command`);
  // A subscribed RESP2 client gets PING's answer in the shape of a message.
  if (ctx.reply.resp === 2 && isSubscribed(ctx)) {
    ctx.reply.arrayHeader(2);
    ctx.reply.bulk('pong');
    ctx.reply.bulk(argv.length === 2 ? (argv[1] as string) : '');
    return;
  }
  if (argv.length === 2) ctx.reply.bulk(argv[1] as string);
  else ctx.reply.pong();
}

function echo(ctx: CommandContext, argv: string[]): void {
  ctx.reply.bulk(argv[1] as string);
}

function quit(ctx: ClientConnection): void {
  ctx.reply.ok();
  ctx.closeAfterReply();
}

function reset(ctx: ClientConnection): void {
  ctx.reset();
  ctx.reply.simple('RESET');
}

function select(ctx: CommandContext, argv: string[]): void {
  const index = getInt(argv[1] as string);
  if (index < 0 || index >= ctx.server.databases.length) throw new RedisError(ERR_DB_INDEX);
  ctx.select(index);
  ctx.reply.ok();
}

function auth(ctx: ClientConnection, argv: string[]): void {
  if (argv.length > 3) throw new RedisError(ERR_SYNTAX);
  const acl = aclOf(ctx.server);
  let user = 'default';
  let password = argv[1] as string;
  if (argv.length === 2) {
    if (acl.defaultUser.nopass) throw new RedisError(ERR_AUTH_NOPASS);
  } else {
    user = argv[1] as string;
    password = argv[2] as string;
  }
  if (!acl.authenticate(ctx, user, password, argv[0] as string)) throw new RedisError(ERR_WRONGPASS);
  ctx.reply.ok();
}

function hello(ctx: ClientConnection, argv: string[]): void {
  let version = 0;
  let next = 1;
  if (argv.length >= 2) {
    const parsed = parseLongLong(argv[next++] as string);
    if (parsed === null) throw new RedisError('ERR Protocol version is not an integer or out of range');
    if (parsed < 2 || parsed > 3) throw new RedisError('NOPROTO unsupported protocol version');
    version = parsed;
  }
  // Redis 7.0 applies AUTH and SETNAME as it reads them: an error further on keeps what came before.
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = (argv[j] as string).toLowerCase();
    if (opt === 'auth' && more >= 2) {
      if (!aclOf(ctx.server).authenticate(ctx, argv[j + 1] as string, argv[j + 2] as string, argv[0] as string)) {
        throw new RedisError(ERR_WRONGPASS);
      }
      j += 2;
    } else if (opt === 'setname' && more >= 1) {
      const name = argv[j + 1] as string;
      validateClientName(name);
      ctx.name = name;
      j++;
    } else {
      throw new RedisError(`ERR Syntax error in HELLO option '${argv[j] as string}'`);
    }
  }
  if (!ctx.authenticated) throw new RedisError(ERR_HELLO_NOAUTH);
  if (version !== 0) ctx.reply.resp = version as 2 | 3;
  const reply = ctx.reply;
  reply.mapHeader(7);
  reply.bulk('server');
  reply.bulk('redis');
  reply.bulk('version');
  reply.bulk(NODIS_VERSION);
  reply.bulk('proto');
  reply.integer(reply.resp);
  reply.bulk('id');
  reply.integer(ctx.id);
  reply.bulk('mode');
  reply.bulk('standalone');
  reply.bulk('role');
  reply.bulk('master');
  reply.bulk('modules');
  reply.emptyArray();
}

export const commands: CommandCode[] = [
  { name: 'ping', handler: ping },
  { name: 'echo', handler: echo },
  { name: 'quit', handler: onConnection(quit) },
  { name: 'reset', handler: onConnection(reset) },
  { name: 'select', handler: select },
  { name: 'auth', handler: onConnection(auth) },
  { name: 'hello', handler: onConnection(hello) },
  clientCommand,
];
