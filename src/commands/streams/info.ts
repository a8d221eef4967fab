/** XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP (Redis 7.0's fields). */
import { RedisError } from '../../errors.js';
import type { ReplyWriter } from '../../protocol/reply.js';
import { ENTRIES_READ_INVALID, MAX_ID, MIN_ID, formatId, idFromKey, type ConsumerGroup, type Counter, type Stream } from '../../types/stream/index.js';
import { getLongLong } from '../../util/parse.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { helpSubcommand, subcommandSyntaxError } from '../core/help.js';
import { asStream, replyRange, replyRawRange } from './common.js';
import { cText } from './read.js';

const XINFO_HELP = [
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
];

function counter(reply: ReplyWriter, value: Counter): void {
  reply.integer(value);
}

/**
 * A group's place in the stream, the three fields XINFO GROUPS and XINFO STREAM FULL give in
 * this order: last-delivered-id, entries-read (null while unknown) and lag (null when unknown).
 */
function replyGroupPosition(reply: ReplyWriter, stream: Stream, group: ConsumerGroup): void {
  reply.bulk('last-delivered-id');
  reply.bulk(formatId(group.lastId));
  reply.bulk('entries-read');
  if (group.entriesRead === ENTRIES_READ_INVALID) reply.nullBulk();
  else counter(reply, group.entriesRead);
  reply.bulk('lag');
  const lag = stream.groupLag(group);
  if (lag === null) reply.nullBulk();
  else counter(reply, lag);
}

/** The stream at argv[2] (lookupKeyReadOrReply with "no such key"). */
function lookupStream(ctx: CommandContext, argv: string[]): Stream {
  const value = ctx.db.lookupRead(argv[2] as string);
  if (value === undefined) throw new RedisError('ERR no such key');
  return asStream(value) as Stream;
}

function xinfoStream(ctx: CommandContext, argv: string[]): void {
  const stream = lookupStream(ctx, argv);
  const options = argv.length - 3;
  let full = true;
  let count = 10;
  if (options === 0) {
    full = false;
  } else {
    if (options !== 1 && options !== 3) throw new RedisError(subcommandSyntaxError(argv));
    if ((argv[3] as string).toLowerCase() !== 'full') throw new RedisError(subcommandSyntaxError(argv));
    if (options === 3) {
      if ((argv[4] as string).toLowerCase() !== 'count') throw new RedisError(subcommandSyntaxError(argv));
      count = getLongLong(argv[5] as string);
      if (count < 0) count = 10;
    }
  }
  const reply = ctx.reply;
  reply.mapHeader(full ? 9 : 10);
  reply.bulk('length');
  reply.integer(stream.length);
  reply.bulk('radix-tree-keys');
  reply.integer(stream.nodeCount);
  reply.bulk('radix-tree-nodes');
  reply.integer(stream.radixNodes());
  reply.bulk('last-generated-id');
  reply.bulk(formatId(stream.lastId));
  reply.bulk('max-deleted-entry-id');
  reply.bulk(formatId(stream.maxDeletedId));
  reply.bulk('entries-added');
  counter(reply, stream.entriesAdded);
  reply.bulk('recorded-first-entry-id');
  reply.bulk(formatId(stream.firstId));
  if (!full) {
    reply.bulk('groups');
    reply.integer(stream.groups === null ? 0 : stream.groups.size);
    reply.bulk('first-entry');
    if (replyRawRange(reply, stream, MIN_ID, MAX_ID, 1, false) === 0) reply.nullBulk();
    reply.bulk('last-entry');
    if (replyRawRange(reply, stream, MIN_ID, MAX_ID, 1, true) === 0) reply.nullBulk();
    return;
  }
  reply.bulk('entries');
  replyRange(reply, stream, null, null, count, false);
  reply.bulk('groups');
  const groups = stream.groupsInOrder();
  reply.arrayHeader(groups.length);
  for (const [name, group] of groups) {
    reply.mapHeader(7);
    reply.bulk('name');
    reply.bulk(name);
    replyGroupPosition(reply, stream, group);
    reply.bulk('pel-count');
    reply.integer(group.pel.size);
    reply.bulk('pending');
    let mark = reply.deferredMark();
    let sent = 0;
    for (const [entryKey, entry] of group.pel.entries()) {
      if (count !== 0 && sent >= count) break;
      reply.arrayHeader(4);
      reply.bulk(formatId(idFromKey(entryKey)));
      reply.bulk(entry.consumer?.name ?? '');
      reply.integer(entry.deliveryTime);
      reply.integer(entry.deliveryCount);
      sent++;
    }
    reply.deferredArray(mark, sent);
    reply.bulk('consumers');
    const consumers = group.consumersInOrder();
    reply.arrayHeader(consumers.length);
    for (const consumer of consumers) {
      reply.mapHeader(4);
      reply.bulk('name');
      reply.bulk(consumer.name);
      reply.bulk('seen-time');
      reply.integer(consumer.seenTime);
      reply.bulk('pel-count');
      reply.integer(consumer.pel.size);
      reply.bulk('pending');
      mark = reply.deferredMark();
      sent = 0;
      for (const [entryKey, entry] of consumer.pel.entries()) {
        if (count !== 0 && sent >= count) break;
        reply.arrayHeader(3);
        reply.bulk(formatId(idFromKey(entryKey)));
        reply.integer(entry.deliveryTime);
        reply.integer(entry.deliveryCount);
        sent++;
      }
      reply.deferredArray(mark, sent);
    }
  }
}

function xinfoGroups(ctx: CommandContext, argv: string[]): void {
  const stream = lookupStream(ctx, argv);
  const reply = ctx.reply;
  const groups = stream.groupsInOrder();
  reply.arrayHeader(groups.length);
  for (const [name, group] of groups) {
    reply.mapHeader(6);
    reply.bulk('name');
    reply.bulk(name);
    reply.bulk('consumers');
    reply.integer(group.consumers.size);
    reply.bulk('pending');
    reply.integer(group.pel.size);
    replyGroupPosition(reply, stream, group);
  }
}

function xinfoConsumers(ctx: CommandContext, argv: string[]): void {
  const stream = lookupStream(ctx, argv);
  const groupName = argv[3] as string;
  const group = stream.groups?.get(groupName);
  if (group === undefined) {
    throw new RedisError(`NOGROUP No such consumer group '${cText(groupName)}' for key name '${cText(argv[2] as string)}'`);
  }
  const reply = ctx.reply;
  const consumers = group.consumersInOrder();
  const now = Date.now();
  reply.arrayHeader(consumers.length);
  for (const consumer of consumers) {
    reply.mapHeader(3);
    reply.bulk('name');
    reply.bulk(consumer.name);
    reply.bulk('pending');
    reply.integer(consumer.pel.size);
    reply.bulk('idle');
    reply.integer(Math.max(0, now - consumer.seenTime));
  }
}

export const commands: CommandCode[] = [
  {
    name: 'xinfo',
    subcommands: [
      { name: 'consumers', handler: xinfoConsumers },
      { name: 'groups', handler: xinfoGroups },
      helpSubcommand(XINFO_HELP),
      { name: 'stream', handler: xinfoStream },
    ],
  },
];
