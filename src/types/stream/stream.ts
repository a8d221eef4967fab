/**
 * A stream (Redis's t_stream.c): entries with increasing IDs, packed in nodes (node.ts) that
 * are kept in an array in ID order — Redis keeps them in a radix tree keyed by master ID; here
 * a binary search over the array finds the node of an ID in O(log n), appending goes to the
 * tail node, and trimming removes nodes from the head (an offset, compacted now and then).
 *
 * Besides the entries: the last ID given out, the first entry's ID, the greatest ID deleted,
 * the count of all entries ever added, and the consumer groups.
 */
import type { CollectionValue } from '../value.js';
import type { SizeAccount } from '../heap-size.js';
import {
  MAX_ID, MIN_ID, addToU64, compareIds, idFromNumbers, isSmallId, msNumber, nextId, type StreamId,
} from './id.js';
import { LP_EOF, decodeElement, element, readInt, skipElement } from './listpack.js';
import { FLAG_DELETED, LISTPACK_MAX_SIZE, StreamNode } from './node.js';
import { StreamIterator } from './iterator.js';
import { ENTRIES_READ_INVALID, type ConsumerGroup, type Counter } from './groups.js';
import { radixNodeCount } from './radix.js';

/** How XADD/XTRIM trim (streamAddTrimArgs). */
export interface TrimSpec {
  strategy: 'maxlen' | 'minid';
  maxlen: number;
  minid: StreamId;
  /** `~`: only whole nodes are removed. */
  approx: boolean;
  /** At most this many entries removed; 0 = no limit. */
  limit: number;
}

/** The Stream object and its nodes array, about. */
const STREAM_OBJECT_BYTES = 200;
/** A node's object and its listpack Buffer's own object, about. */
const NODE_OBJECT_BYTES = 200;

/** Node size limits (stream-node-max-bytes, stream-node-max-entries). */
export interface NodeLimits {
  maxBytes: number;
  maxEntries: number;
}

/** Below this many dead slots at the head of the node array, it is not compacted. */
const COMPACT_MIN = 64;

export class Stream implements CollectionValue {
  /** Nodes in master ID order, from index `head` on. */
  nodes: StreamNode[] = [];
  head = 0;
  length = 0;
  lastId: StreamId = MIN_ID;
  /** The first entry not deleted; 0-0 when empty. */
  firstId: StreamId = MIN_ID;
  /** The greatest ID ever deleted (tombstone), 0-0 if none. */
  maxDeletedId: StreamId = MIN_ID;
  entriesAdded: Counter = 0;
  /** Consumer groups by name; null until the first is created. */
  groups: Map<string, ConsumerGroup> | null = null;
  /** The nodes' listpack bytes, kept as nodes are added, grow and go. */
  private listpackBytes = 0;
  /** What the stream last reported to its database's total (see syncBytes). */
  private reportedBytes = STREAM_OBJECT_BYTES;
  private sizeAccount: SizeAccount | null = null;
  access = -1;

  get type(): 'stream' {
    return 'stream';
  }

  encoding(): string {
    return 'stream';
  }

  get size(): number {
    return this.length;
  }

  /**
   * The stream's size as last reported (syncBytes): the stream commands change a stream in
   * many places (its nodes, PELs, consumers), so its figure is brought up to date once a
   * command that touched it is done, rather than at each change.
   */
  get bytes(): number {
    return this.reportedBytes;
  }

  get account(): SizeAccount | null {
    return this.sizeAccount;
  }

  /** The database the stream enters reads `bytes` next: up to date then. */
  set account(account: SizeAccount | null) {
    this.sizeAccount = account;
    if (account !== null) this.reportedBytes = this.currentBytes();
  }

  /** Reports the change of the stream's size since the last report to its database. */
  syncBytes(): void {
    const now = this.currentBytes();
    const delta = now - this.reportedBytes;
    if (delta === 0) return;
    this.reportedBytes = now;
    if (this.sizeAccount !== null) this.sizeAccount.bytes += delta;
  }

  recountBytes(): number {
    let listpacks = 0;
    for (let i = this.head; i < this.nodes.length; i++) listpacks += (this.nodes[i] as StreamNode).bytes;
    return this.sizeFrom(listpacks);
  }

  /** O(groups): the listpacks' bytes are kept, the groups' counted. */
  private currentBytes(): number {
    return this.sizeFrom(this.listpackBytes);
  }

  /**
   * Estimated bytes the stream holds in V8: its listpacks, about 200 bytes of objects per node,
   * and per group, pending entry and consumer their objects and map entries.
   */
  private sizeFrom(listpacks: number): number {
    let bytes = STREAM_OBJECT_BYTES + listpacks + (this.nodes.length - this.head) * NODE_OBJECT_BYTES;
    if (this.groups !== null) {
      for (const group of this.groups.values()) bytes += 200 + group.pel.size * 150 + group.consumers.size * 200;
    }
    return bytes;
  }

  /** Number of nodes (XINFO STREAM radix-tree-keys). */
  get nodeCount(): number {
    return this.nodes.length - this.head;
  }

  nodeAt(i: number): StreamNode {
    return this.nodes[this.head + i] as StreamNode;
  }

  get tail(): StreamNode | null {
    return this.nodes.length > this.head ? (this.nodes[this.nodes.length - 1] as StreamNode) : null;
  }

  /** The ID an XADD with `*` gets at time `now` (streamNextID); null when the last ID is the largest. */
  nextAutoId(now: number): StreamId | null {
    const last = this.lastId;
    if (isSmallId(last) && now > msNumber(last)) return idFromNumbers(now, 0);
    return nextId(last);
  }

  /**
   * Appends an entry (streamAppendItem): fields and values are argv[fieldPos…], numFields
   * pairs, `entryBytes` their total length. The caller checked that `id` is above lastId.
   */
  append(id: StreamId, argv: readonly string[], fieldPos: number, numFields: number, entryBytes: number, limits: NodeLimits): void {
    let node = this.tail;
    // The buffer of the tail that fills up: the new tail reuses it (tails grow in the same steps).
    let spare: Buffer | null = null;
    if (node !== null) {
      let maxBytes = limits.maxBytes;
      if (maxBytes === 0 || maxBytes > LISTPACK_MAX_SIZE) maxBytes = LISTPACK_MAX_SIZE;
      if (node.bytes + entryBytes >= maxBytes || (limits.maxEntries !== 0 && node.live + node.deleted >= limits.maxEntries)) {
        spare = node.shrink();
        node = null;
      }
    }
    let sameFields: boolean;
    let before = 0;
    if (node === null) {
      node = StreamNode.create(id, argv, fieldPos, numFields, limits.maxBytes, entryBytes, spare);
      this.nodes.push(node);
      sameFields = true;
    } else {
      before = node.bytes;
      node.setLive(node.live + 1);
      sameFields = node.sameFieldsAsMaster(argv, fieldPos, numFields);
    }
    node.appendEntry(id, argv, fieldPos, numFields, sameFields, entryBytes);
    this.listpackBytes += node.bytes - before;
    this.length++;
    this.entriesAdded = typeof this.entriesAdded === 'number' ? this.entriesAdded + 1 : this.entriesAdded + 1n;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** Adds a node read from a file (its listpack checked); nodes come in ID order. */
  appendNode(node: StreamNode): void {
    this.nodes.push(node);
    this.listpackBytes += node.bytes;
  }

  /** Index (absolute) of the last node whose master ID is <= id, or head - 1 if none. */
  private nodeIndexAtOrBefore(id: StreamId): number {
    const nodes = this.nodes;
    let lo = this.head;
    let hi = nodes.length - 1;
    if (hi < lo) return lo - 1;
    // Reads at the end of the stream are the common case.
    if (compareIds(nodes[hi] as StreamNode, id) <= 0) return hi;
    if (compareIds(nodes[lo] as StreamNode, id) > 0) return lo - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (compareIds(nodes[mid] as StreamNode, id) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  iterator(start: StreamId | null, end: StreamId | null, reverse: boolean): StreamIterator {
    return new StreamIterator(this, start ?? MIN_ID, end ?? MAX_ID, reverse, this.startNode(start, end, reverse));
  }

  /** Where an iteration starts, as streamIteratorStart's raxSeek. */
  private startNode(start: StreamId | null, end: StreamId | null, reverse: boolean): number {
    if (!reverse) {
      if (start === null || (start.msHi | start.msLo | start.seqHi | start.seqLo) === 0) return this.head;
      const i = this.nodeIndexAtOrBefore(start);
      return i < this.head ? this.head : i;
    }
    if (end === null || (end.msHi | end.msLo | end.seqHi | end.seqLo) === 0) return this.nodes.length - 1;
    return this.nodeIndexAtOrBefore(end);
  }

  /** Whether an entry (not deleted) has this ID (streamEntryExists). */
  has(id: StreamId): boolean {
    return this.iterator(id, id, false).next();
  }

  /** Deletes an entry (streamDeleteItem): true if it existed. Updates nothing but the length. */
  deleteEntry(id: StreamId): boolean {
    const it = this.iterator(id, id, false);
    if (!it.next()) return false;
    const index = it.nodeIndex;
    const node = this.nodes[index] as StreamNode;
    node.flagDeleted(it.flagsPos);
    if (node.live === 1) this.removeNodeAt(index);
    else {
      const before = node.bytes;
      node.setLive(node.live - 1);
      node.setDeleted(node.deleted + 1);
      this.listpackBytes += node.bytes - before;
    }
    this.length--;
    return true;
  }

  private removeNodeAt(index: number): void {
    this.listpackBytes -= (this.nodes[index] as StreamNode).bytes;
    if (index === this.head) {
      this.nodes[index] = undefined as unknown as StreamNode;
      this.head++;
      if (this.head === this.nodes.length) {
        this.nodes = [];
        this.head = 0;
      } else if (this.head >= COMPACT_MIN && this.head * 2 >= this.nodes.length) {
        this.nodes = this.nodes.slice(this.head);
        this.head = 0;
      }
    } else {
      this.nodes.splice(index, 1);
    }
  }

  /** The first or last entry's ID (streamGetEdgeID); MAX_ID / MIN_ID when there is none. */
  edgeId(first: boolean, skipTombstones: boolean): StreamId {
    const it = this.iterator(null, null, !first);
    it.skipTombstones = skipTombstones;
    if (it.next()) return it.id;
    return first ? MAX_ID : MIN_ID;
  }

  /** The last entry not deleted (streamLastValidID); MIN_ID when empty. */
  lastValidId(): StreamId {
    const it = this.iterator(null, null, true);
    return it.next() ? it.id : MIN_ID;
  }

  /** Removes entries from the head as XADD/XTRIM ask (streamTrim); the number removed. */
  trim(spec: TrimSpec): number {
    const strategy = spec.strategy;
    const maxlen = spec.maxlen;
    const limit = spec.limit;
    let deleted = 0;
    while (this.head < this.nodes.length) {
      if (strategy === 'maxlen' && this.length <= maxlen) break;
      const node = this.nodes[this.head] as StreamNode;
      const entries = node.live;
      if (limit !== 0 && deleted + entries > limit) break;
      let removeNode: boolean;
      if (strategy === 'maxlen') {
        removeNode = this.length - entries >= maxlen;
      } else {
        // The node's last entry, deleted or not.
        const it = new StreamIterator(this, MIN_ID, MAX_ID, true, this.head);
        it.skipTombstones = false;
        it.singleNode = true;
        removeNode = it.next() && compareIds(it.id, spec.minid) < 0;
      }
      if (removeNode) {
        this.removeNodeAt(this.head);
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (spec.approx) break;
      // Flag entries deleted from the start of the node.
      const lp = node.lp;
      let p = node.entriesPos;
      let flagged = 0;
      while (lp[p] !== LP_EOF) {
        let stop: boolean;
        if (strategy === 'maxlen') {
          stop = this.length <= maxlen;
        } else {
          const id = entryIdAt(node, p);
          stop = compareIds(id, spec.minid) >= 0;
        }
        if (stop) break;
        const flags = readInt(lp, p);
        const next = StreamNode.entryEnd(lp, p, node.masterFieldCount);
        if ((flags & FLAG_DELETED) === 0) {
          node.flagDeleted(p);
          flagged++;
          this.length--;
        }
        p = next;
      }
      deleted += flagged;
      if (flagged !== 0) {
        const before = node.bytes;
        node.setLive(entries - flagged);
        node.setDeleted(node.deleted + flagged);
        this.listpackBytes += node.bytes - before;
      }
      break;
    }
    if (this.length === 0) this.firstId = MIN_ID;
    else if (deleted !== 0) this.firstId = this.edgeId(true, true);
    return deleted;
  }

  /** rax->numnodes of the node tree (XINFO STREAM radix-tree-nodes). */
  radixNodes(): number {
    return radixNodeCount(this.nodeCount, (i) => this.nodeAt(i));
  }

  /**
   * Redis's streamEstimateDistanceFromFirstEverEntry: the logical read counter of `id`, or
   * ENTRIES_READ_INVALID when it cannot be known.
   */
  estimateDistance(id: StreamId): Counter {
    const added = this.entriesAdded;
    if (added === 0) return 0;
    const cmpLast = compareIds(id, this.lastId);
    if (this.length === 0 && cmpLast < 1) return added;
    if (cmpLast === 0) return added;
    if (cmpLast > 0) return ENTRIES_READ_INVALID;
    const cmpFirst = compareIds(id, this.firstId);
    const maxDeleted = this.maxDeletedId;
    if ((maxDeleted.msHi | maxDeleted.msLo | maxDeleted.seqHi | maxDeleted.seqLo) === 0 || compareIds(maxDeleted, this.firstId) < 0) {
      if (cmpFirst < 0) return counterSub(added, this.length);
      if (cmpFirst === 0) return counterSub(added, this.length - 1);
    }
    return ENTRIES_READ_INVALID;
  }

  /** Redis's streamRangeHasTombstones (the caller checked start < lastId). */
  rangeHasTombstones(start: StreamId | null, end: StreamId | null): boolean {
    const maxDeleted = this.maxDeletedId;
    if (this.length === 0 || (maxDeleted.msHi | maxDeleted.msLo | maxDeleted.seqHi | maxDeleted.seqLo) === 0) return false;
    if (compareIds(this.firstId, maxDeleted) > 0) return false;
    return compareIds(start ?? MIN_ID, maxDeleted) <= 0 && compareIds(maxDeleted, end ?? MAX_ID) <= 0;
  }

  /** A group's lag (streamReplyWithCGLag), or null when it cannot be known. */
  groupLag(group: ConsumerGroup): Counter | null {
    const added = this.entriesAdded;
    if (added === 0) return 0;
    if (group.entriesRead !== ENTRIES_READ_INVALID && !this.rangeHasTombstones(group.lastId, null)) {
      return counterSub(added, group.entriesRead);
    }
    const read = this.estimateDistance(group.lastId);
    return read === ENTRIES_READ_INVALID ? null : counterSub(added, read);
  }

  clone(): Stream {
    const copy = new Stream();
    for (let i = this.head; i < this.nodes.length; i++) copy.nodes.push((this.nodes[i] as StreamNode).clone());
    copy.length = this.length;
    copy.lastId = this.lastId;
    copy.firstId = this.firstId;
    copy.maxDeletedId = this.maxDeletedId;
    copy.entriesAdded = this.entriesAdded;
    copy.listpackBytes = this.listpackBytes;
    if (this.groups !== null) {
      copy.groups = new Map();
      for (const [name, group] of this.groups) copy.groups.set(name, group.clone());
    }
    return copy;
  }

  /**
   * Redis's lazyfreeGetFreeEffort: one allocation per radix tree node, and per group one plus
   * its PEL, the first group's standing for all.
   */
  freeEffort(): number {
    let effort = this.radixNodes();
    if (this.groups !== null && this.groups.size !== 0) {
      const first = this.groupsInOrder()[0] as [string, ConsumerGroup];
      effort += this.groups.size * (1 + first[1].pel.size);
    }
    return effort;
  }

  /** The groups by name in byte order, as Redis's rax of groups lists them. */
  groupsInOrder(): [string, ConsumerGroup][] {
    if (this.groups === null) return [];
    return [...this.groups].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /**
   * MEMORY USAGE's figure for the value as Redis's objectComputeSize counts it (the robj aside):
   * the stream struct, its radix tree, the first `samples` listpacks' allocations averaged over
   * all but the last, the last one's, and the groups' PELs and consumers.
   */
  memoryUsage(samples: number): number {
    const STREAM_STRUCT = 80;
    let size = STREAM_STRUCT + raxUsage(this.nodeCount, this.radixNodes());
    const n = this.nodeCount;
    let sampled = 0;
    let lpSize = 0;
    while (sampled < samples && sampled < n) lpSize += this.nodeAt(sampled++).allocated;
    if (n <= sampled) {
      size += lpSize;
    } else {
      if (sampled !== 0) lpSize = Math.floor(lpSize / sampled);
      size += lpSize * (n - 1) + this.nodeAt(n - 1).allocated;
    }
    if (this.groups !== null) {
      const CG_STRUCT = 40;
      const NACK_STRUCT = 24;
      const CONSUMER_STRUCT = 24;
      for (const group of this.groups.values()) {
        size += CG_STRUCT + pelUsage(group.pel.keys()) + NACK_STRUCT * group.pel.size;
        for (const consumer of group.consumers.values()) {
          size += CONSUMER_STRUCT + consumer.name.length + pelUsage(consumer.pel.keys());
        }
      }
    }
    return size;
  }
}

/** streamRadixTreeMemoryUsage: 16 bytes a key, a 4-byte node header and 30 words a node. */
function raxUsage(keys: number, nodes: number): number {
  return keys * 16 + nodes * 4 + nodes * 8 * 30;
}

function pelUsage(keys: string[]): number {
  const ids = keys.map(keyToId);
  return raxUsage(ids.length, radixNodeCount(ids.length, (i) => ids[i] as StreamId));
}

function keyToId(key: string): StreamId {
  const w = (at: number): number =>
    ((key.charCodeAt(at) << 24) | (key.charCodeAt(at + 1) << 16) | (key.charCodeAt(at + 2) << 8) | key.charCodeAt(at + 3)) >>> 0;
  return { msHi: w(0), msLo: w(4), seqHi: w(8), seqLo: w(12) };
}

/** a - b for counters (b a small number). */
export function counterSub(a: Counter, b: Counter): Counter {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const d = BigInt.asIntN(64, BigInt(a) - BigInt(b));
  return d >= -9007199254740991n && d <= 9007199254740991n ? Number(d) : d;
}

/** The ID of the entry whose flags element is at p. */
function entryIdAt(node: StreamNode, p: number): StreamId {
  const lp = node.lp;
  p = skipElement(lp, p);
  p = decodeElement(lp, p);
  const [msHi, msLo] = addToU64(node.msHi, node.msLo, element.int);
  decodeElement(lp, p);
  const [seqHi, seqLo] = addToU64(node.seqHi, node.seqLo, element.int);
  return { msHi, msLo, seqHi, seqLo };
}

