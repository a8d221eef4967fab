/**
 * Consumer groups (Redis's streamCG, streamConsumer, streamNACK): each group has a last
 * delivered ID, a read counter, a pending entries list (PEL) of the entries delivered and not
 * acknowledged, and its consumers, each with the part of the PEL delivered to it. A pending
 * entry is one object shared by the group's PEL and its consumer's, as in Redis.
 */
import { MIN_ID, type StreamId } from './id.js';
import { SortedMap } from './sorted-map.js';

/** A counter Redis keeps as a 64-bit integer: a number, or a bigint past 2^53 (set by XSETID or ENTRIESREAD). */
export type Counter = number | bigint;

/** entries_read's value when the group's position in the stream is unknown (SCG_INVALID_ENTRIES_READ). */
export const ENTRIES_READ_INVALID = -1;

export class PendingEntry {
  constructor(
    /** ms since the epoch of the last delivery. */
    public deliveryTime: number,
    public deliveryCount: number,
    /** The consumer it was last delivered to; null only while a group is being loaded. */
    public consumer: Consumer | null,
  ) {}
}

export class Consumer {
  /** Keyed by idKey, in ID order. */
  readonly pel = new SortedMap<PendingEntry>();

  constructor(
    readonly name: string,
    /** ms since the epoch of the consumer's last activity (XINFO CONSUMERS idle). */
    public seenTime: number,
  ) {}
}

export class ConsumerGroup {
  /** Keyed by idKey, in ID order. */
  readonly pel = new SortedMap<PendingEntry>();
  readonly consumers = new Map<string, Consumer>();
  /** Consumer names in byte order, built when first needed after a change. */
  private sortedNames: string[] | null = null;

  constructor(
    public lastId: StreamId = MIN_ID,
    /** The logical read counter of lastId, or ENTRIES_READ_INVALID. */
    public entriesRead: Counter = ENTRIES_READ_INVALID,
  ) {}

  /** streamCreateConsumer: null if the name is taken. */
  createConsumer(name: string, now: number): Consumer | null {
    if (this.consumers.has(name)) return null;
    const consumer = new Consumer(name, now);
    this.consumers.set(name, consumer);
    this.sortedNames = null;
    return consumer;
  }

  /** streamDelConsumer: its pending entries leave the group's PEL too. */
  deleteConsumer(consumer: Consumer): void {
    for (const [key] of consumer.pel.entries()) this.pel.delete(key);
    this.consumers.delete(consumer.name);
    this.sortedNames = null;
  }

  /** The consumers in name order, as Redis's rax of consumers lists them. */
  consumersInOrder(): Consumer[] {
    this.sortedNames ??= [...this.consumers.keys()].sort(compareBytes);
    return this.sortedNames.map((name) => this.consumers.get(name) as Consumer);
  }

  /** Removes a pending entry from the group and its consumer (XACK). */
  acknowledge(key: string): boolean {
    const entry = this.pel.delete(key);
    if (entry === undefined) return false;
    entry.consumer?.pel.delete(key);
    return true;
  }

  /** A deep copy with the same consumers and pending entries (COPY). */
  clone(): ConsumerGroup {
    const copy = new ConsumerGroup(this.lastId, this.entriesRead);
    const copies = new Map<Consumer, Consumer>();
    for (const consumer of this.consumers.values()) {
      const c = new Consumer(consumer.name, consumer.seenTime);
      copy.consumers.set(c.name, c);
      copies.set(consumer, c);
    }
    for (const [key, entry] of this.pel.entries()) {
      const owner = entry.consumer === null ? null : (copies.get(entry.consumer) ?? null);
      const e = new PendingEntry(entry.deliveryTime, entry.deliveryCount, owner);
      copy.pel.set(key, e);
      owner?.pel.set(key, e);
    }
    return copy;
  }
}

/** Byte order of latin1 strings (rax order). */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
