import { RedisError } from '../../errors.js';
import { globMatch } from '../../util/glob.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { PROPAGATE_REPL } from '../core/propagate.js';

/** Subscriptions that count for the RESP2 "subscribed" mode and the counts in replies. */
function subscriptionCount(ctx: CommandContext): number {
  return ctx.channels.size + ctx.patterns.size;
}

/** A (un)subscribe confirmation: a push, sent even under CLIENT REPLY OFF/SKIP, in RESP2 too. */
function confirm(ctx: CommandContext, kind: string, name: string | null, count: number): void {
  const r = ctx.reply;
  const enabled = r.beginPush();
  r.pushHeader(3);
  r.bulk(kind);
  if (name === null) r.nullBulk();
  else r.bulk(name);
  r.integer(count);
  r.endPush(enabled);
}

function subscribe(ctx: CommandContext, argv: string[]): void {
  for (let i = 1; i < argv.length; i++) {
    const channel = argv[i] as string;
    ctx.server.pubsub.subscribe(ctx, channel);
    confirm(ctx, 'subscribe', channel, subscriptionCount(ctx));
  }
}

function unsubscribe(ctx: CommandContext, argv: string[]): void {
  const pubsub = ctx.server.pubsub;
  if (argv.length === 1) {
    if (ctx.channels.size === 0) return confirm(ctx, 'unsubscribe', null, subscriptionCount(ctx));
    for (const channel of [...ctx.channels]) {
      pubsub.unsubscribe(ctx, channel);
      confirm(ctx, 'unsubscribe', channel, subscriptionCount(ctx));
    }
    return;
  }
  for (let i = 1; i < argv.length; i++) {
    const channel = argv[i] as string;
    pubsub.unsubscribe(ctx, channel);
    confirm(ctx, 'unsubscribe', channel, subscriptionCount(ctx));
  }
}

function psubscribe(ctx: CommandContext, argv: string[]): void {
  for (let i = 1; i < argv.length; i++) {
    const pattern = argv[i] as string;
    ctx.server.pubsub.psubscribe(ctx, pattern);
    confirm(ctx, 'psubscribe', pattern, subscriptionCount(ctx));
  }
}

function punsubscribe(ctx: CommandContext, argv: string[]): void {
  const pubsub = ctx.server.pubsub;
  if (argv.length === 1) {
    if (ctx.patterns.size === 0) return confirm(ctx, 'punsubscribe', null, subscriptionCount(ctx));
    for (const pattern of [...ctx.patterns]) {
      pubsub.punsubscribe(ctx, pattern);
      confirm(ctx, 'punsubscribe', pattern, subscriptionCount(ctx));
    }
    return;
  }
  for (let i = 1; i < argv.length; i++) {
    const pattern = argv[i] as string;
    pubsub.punsubscribe(ctx, pattern);
    confirm(ctx, 'punsubscribe', pattern, subscriptionCount(ctx));
  }
}

function ssubscribe(ctx: CommandContext, argv: string[]): void {
  for (let i = 1; i < argv.length; i++) {
    const channel = argv[i] as string;
    ctx.server.pubsub.subscribe(ctx, channel, true);
    confirm(ctx, 'ssubscribe', channel, ctx.shardChannels.size);
  }
}

function sunsubscribe(ctx: CommandContext, argv: string[]): void {
  const pubsub = ctx.server.pubsub;
  const channels = argv.length === 1 ? [...ctx.shardChannels] : argv.slice(1);
  if (channels.length === 0) return confirm(ctx, 'sunsubscribe', null, ctx.shardChannels.size);
  for (const channel of channels) {
    pubsub.unsubscribe(ctx, channel, true);
    confirm(ctx, 'sunsubscribe', channel, ctx.shardChannels.size);
  }
}

// Messages reach the subscribers of replicas too: PUBLISH and SPUBLISH are propagated to
// replicas (not to the AOF) although they change no data.
function publish(ctx: CommandContext, argv: string[]): void {
  ctx.reply.integer(ctx.server.pubsub.publish(argv[1] as string, argv[2] as string));
  ctx.server.propagation.force(PROPAGATE_REPL);
}

function spublish(ctx: CommandContext, argv: string[]): void {
  ctx.reply.integer(ctx.server.pubsub.spublish(argv[1] as string, argv[2] as string));
  ctx.server.propagation.force(PROPAGATE_REPL);
}

function listChannels(ctx: CommandContext, argv: string[], map: Map<string, Set<unknown>>): void {
  const pattern = argv.length > 2 ? (argv[2] as string) : null;
  const names: string[] = [];
  for (const name of map.keys()) if (pattern === null || globMatch(pattern, name)) names.push(name);
  ctx.reply.bulkArray(names);
}

function numsub(ctx: CommandContext, argv: string[], map: Map<string, Set<unknown>>): void {
  ctx.reply.mapHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const name = argv[i] as string;
    ctx.reply.bulk(name);
    ctx.reply.integer(map.get(name)?.size ?? 0);
  }
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  '    Return the currently active shard level channels matching a <pattern> (default: \'*\').',
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

export const commands: CommandCode[] = [
  { name: 'subscribe', handler: subscribe },
  { name: 'unsubscribe', handler: unsubscribe },
  { name: 'psubscribe', handler: psubscribe },
  { name: 'punsubscribe', handler: punsubscribe },
  { name: 'ssubscribe', handler: ssubscribe },
  { name: 'sunsubscribe', handler: sunsubscribe },
  { name: 'publish', handler: publish },
  { name: 'spublish', handler: spublish },
  {
    name: 'pubsub',
    subcommands: [
      { name: 'channels', handler: (ctx, argv) => listChannels(ctx, argv, ctx.server.pubsub.channels) },
      { name: 'numsub', handler: (ctx, argv) => numsub(ctx, argv, ctx.server.pubsub.channels) },
      { name: 'numpat', handler: (ctx) => ctx.reply.integer(ctx.server.pubsub.patterns.size) },
      { name: 'shardchannels', handler: (ctx, argv) => listChannels(ctx, argv, ctx.server.pubsub.shardChannels) },
      { name: 'shardnumsub', handler: (ctx, argv) => numsub(ctx, argv, ctx.server.pubsub.shardChannels) },
      {
        name: 'help',
        handler: (ctx) => {
          ctx.reply.arrayHeader(PUBSUB_HELP.length);
          for (const line of PUBSUB_HELP) ctx.reply.simple(line);
        },
      },
    ],
  },
];

export { RedisError };
