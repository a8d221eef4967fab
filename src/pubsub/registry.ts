import { globMatch } from '../util/glob.js';
import { PushFrame, type ReplyWriter } from '../protocol/reply.js';

/** A client as Pub/Sub sees it. */
export interface Subscriber {
  readonly reply: ReplyWriter;
  readonly channels: Set<string>;
  readonly patterns: Set<string>;
  readonly shardChannels: Set<string>;
  /** Asks for this client's output to be written at the end of the current batch. */
  markForFlush(): void;
}

/**
 * Whether the client subscribes to any channel, pattern or shard channel (Redis's CLIENT_PUBSUB
 * flag): in RESP2 it may then send only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET.
 */
export function isSubscribed(sub: Pick<Subscriber, 'channels' | 'patterns' | 'shardChannels'>): boolean {
  return sub.channels.size + sub.patterns.size + sub.shardChannels.size !== 0;
}

/**
 * Channel and pattern subscriptions, and message delivery. Messages are encoded straight into
 * each receiver's output buffer (as RESP3 pushes or RESP2 arrays) and flushed once per batch.
 */
export class PubSub {
  readonly channels = new Map<string, Set<Subscriber>>();
  readonly patterns = new Map<string, Set<Subscriber>>();
  readonly shardChannels = new Map<string, Set<Subscriber>>();

  /** Adds a subscription; false if it already existed. */
  subscribe(sub: Subscriber, channel: string, shard = false): boolean {
    const own = shard ? sub.shardChannels : sub.channels;
    if (own.has(channel)) return false;
    own.add(channel);
    addTo(shard ? this.shardChannels : this.channels, channel, sub);
    return true;
  }

  unsubscribe(sub: Subscriber, channel: string, shard = false): boolean {
    const own = shard ? sub.shardChannels : sub.channels;
    if (!own.delete(channel)) return false;
    removeFrom(shard ? this.shardChannels : this.channels, channel, sub);
    return true;
  }

  psubscribe(sub: Subscriber, pattern: string): boolean {
    if (sub.patterns.has(pattern)) return false;
    sub.patterns.add(pattern);
    addTo(this.patterns, pattern, sub);
    return true;
  }

  punsubscribe(sub: Subscriber, pattern: string): boolean {
    if (!sub.patterns.delete(pattern)) return false;
    removeFrom(this.patterns, pattern, sub);
    return true;
  }

  /** Removes every subscription of a client (disconnect, RESET). */
  removeAll(sub: Subscriber): void {
    for (const c of sub.channels) removeFrom(this.channels, c, sub);
    for (const p of sub.patterns) removeFrom(this.patterns, p, sub);
    for (const c of sub.shardChannels) removeFrom(this.shardChannels, c, sub);
    sub.channels.clear();
    sub.patterns.clear();
    sub.shardChannels.clear();
  }

  /** Delivers a message; returns the number of receivers (pattern matches count each). */
  publish(channel: string, message: string): number {
    let receivers = deliver(this.channels.get(channel), 'message', null, channel, message);
    if (this.patterns.size !== 0) {
      for (const [pattern, psubs] of this.patterns) {
        if (globMatch(pattern, channel)) receivers += deliver(psubs, 'pmessage', pattern, channel, message);
      }
    }
    return receivers;
  }

  /** SPUBLISH: shard channels, no patterns. */
  spublish(channel: string, message: string): number {
    return deliver(this.shardChannels.get(channel), 'smessage', null, channel, message);
  }
}

/** The message being delivered, encoded once for its receivers. */
const frame = new PushFrame();

/** Encodes one message into each subscriber's output (with the pattern for pmessage); returns how many. */
function deliver(subs: Set<Subscriber> | undefined, kind: string, pattern: string | null, channel: string, message: string): number {
  if (subs === undefined || subs.size === 0) return 0;
  if (subs.size === 1) {
    // One receiver: encoded in place, without the copy.
    for (const sub of subs) {
      const r = sub.reply;
      const enabled = r.beginPush();
      r.pushHeader(pattern === null ? 3 : 4);
      r.bulk(kind);
      if (pattern !== null) r.bulk(pattern);
      r.bulk(channel);
      r.bulk(message);
      r.endPush(enabled);
      sub.markForFlush();
    }
    return 1;
  }
  frame.encode(kind, pattern, channel, message);
  // Counted before: a receiver closed for its output limit leaves the set during the loop, and
  // Redis (which closes it asynchronously) counts it.
  const receivers = subs.size;
  for (const sub of subs) {
    sub.reply.pushFrame(frame);
    sub.markForFlush();
  }
  return receivers;
}

function addTo(map: Map<string, Set<Subscriber>>, name: string, sub: Subscriber): void {
  let set = map.get(name);
  if (set === undefined) {
    set = new Set();
    map.set(name, set);
  }
  set.add(sub);
}

function removeFrom(map: Map<string, Set<Subscriber>>, name: string, sub: Subscriber): void {
  const set = map.get(name);
  if (set === undefined) return;
  set.delete(sub);
  if (set.size === 0) map.delete(name);
}
