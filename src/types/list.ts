import type { CollectionValue } from './value.js';
import { arrayBytes, objectBytes, stringBytes, type SizeAccount } from './heap-size.js';
import { backlenSize, decodeElement, element, intElementSize, LP_COUNT_UNKNOWN, LP_EOF, LP_HEADER_SIZE, previousElement, skipElement, stringAsInt, writeString as writePackedElement } from './stream/listpack.js';

/** The List object: type, store, length, bytes, account. */
const LIST_OBJECT_BYTES = objectBytes(6);
/** An open node: items, head, count, packedBytes. */
const OPEN_NODE_BYTES = objectBytes(4);
const MIN_CAPACITY = 4;
/** lpBytes of an empty listpack: its header and terminator. */
const EMPTY_PACKED_BYTES = LP_HEADER_SIZE + 1;
/** quicklist's size classes for a negative list-max-listpack-size. */
const NODE_SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
/** What a count-limited node may not exceed in bytes anyway (SIZE_SAFETY_LIMIT). */
const NODE_SAFETY_LIMIT = 8192;
/** quicklist's estimate of an entry's overhead when deciding whether it fits a node. */
const NODE_ENTRY_OVERHEAD = 8;
const FILL_MAX = (1 << 15) - 1;
/**
 * A list of one node at most this big (as a listpack) is kept packed between commands, even
 * though its ends are where the next push or pop goes: re-packing so few bytes costs little,
 * and most lists in a keyspace of many lists are that small.
 */
const SMALL_LIST_PACKED_BYTES = 512;

let nodeFill = -2;

/**
 * list-max-listpack-size, which decides where nodes split from now on (nodes already made keep
 * their size, as in Redis): -1..-5 for 4..64 KB per node, a positive number for that many
 * elements within 8 KB.
 */
export function setListMaxListpackSize(fill: number): void {
  const f = Math.trunc(fill);
  nodeFill = f > FILL_MAX ? FILL_MAX : f < -5 ? -5 : f === 0 ? 1 : f;
}

export function listMaxListpackSize(): number {
  return nodeFill;
}

/**
 * Whether a node of `packedBytes` and `count` entries takes one more element of `length` bytes
 * (_quicklistNodeAllowInsert: the element's own length stands for its entry's size, the
 * overhead for the rest).
 */
function nodeAllowsInsert(packedBytes: number, count: number, length: number): boolean {
  const newSize = packedBytes + length + NODE_ENTRY_OVERHEAD;
  if (nodeFill < 0) return newSize <= (NODE_SIZE_LIMITS[-nodeFill - 1] as number);
  if (newSize > NODE_SAFETY_LIMIT) return false;
  return count < nodeFill;
}

/** The bytes `s` takes as a listpack entry, backlen included. */
export function packedEntrySize(s: string): number {
  const n = s.length;
  if (n > 0 && n <= 20) {
    const c = s.charCodeAt(0);
    if (c === 45 || (c >= 48 && c <= 57)) {
      const v = stringAsInt(s);
      if (v !== null) return intElementSize(v);
    }
  }
  const encoded = (n < 64 ? 1 : n < 4096 ? 2 : 5) + n;
  return encoded + backlenSize(encoded);
}

/**
 * A node being pushed to or popped from: its elements as strings in a ring buffer (capacity a
 * power of two), and the size they would take packed, which decides when the node is full.
 */
class OpenNode {
  items: (string | undefined)[];
  head = 0;
  count = 0;
  packedBytes = EMPTY_PACKED_BYTES;
  constructor(capacity: number) {
    this.items = new Array<string | undefined>(capacity);
  }
}

/**
 * A node: a listpack (Redis's byte layout, latin1 chars, its count in the header) or an open
 * node. Packed nodes are what RDB files hold, so they are saved and loaded as they are.
 */
type ListNode = string | OpenNode;

/** Where listpacks are assembled and read (a string's chars are copied here to be decoded). */
let scratch = Buffer.allocUnsafe(16384);

function scratchFor(bytes: number): Buffer {
  if (scratch.length < bytes) scratch = Buffer.allocUnsafe(Math.max(bytes, scratch.length * 2));
  return scratch;
}

/** Elements [from, to) of `items` as a listpack string. */
function pack(items: readonly string[], from: number, to: number): string {
  let bytes = EMPTY_PACKED_BYTES;
  for (let i = from; i < to; i++) {
    const s = items[i] as string;
    // An upper bound for the entry's size: written as a string.
    bytes += s.length + 10;
  }
  const buf = scratchFor(bytes);
  let p = LP_HEADER_SIZE;
  for (let i = from; i < to; i++) p = writePackedElement(buf, p, items[i] as string);
  buf[p++] = LP_EOF;
  buf.writeUInt32LE(p, 0);
  const count = Math.min(to - from, LP_COUNT_UNKNOWN);
  buf[4] = count & 0xff;
  buf[5] = count >>> 8;
  return buf.latin1Slice(0, p);
}

function packedCount(node: string): number {
  return node.charCodeAt(4) | (node.charCodeAt(5) << 8);
}

/** The elements of a packed node, decoded: fresh strings (slices of the node would keep it alive). */
function unpack(node: string, out: string[] = new Array<string>(packedCount(node))): string[] {
  const buf = scratchFor(node.length);
  buf.latin1Write(node, 0);
  const end = node.length - 1;
  let p = LP_HEADER_SIZE;
  let i = 0;
  while (p < end) {
    p = decodeElement(buf, p);
    out[i++] = element.isInt ? String(element.int) : buf.latin1Slice(element.start, element.end);
  }
  return out;
}

/** The last packed node read by index, decoded: reading a range decodes each node once. */
let decodedNode: string | null = null;
let decodedItems: string[] = [];

function decoded(node: string): string[] {
  if (decodedNode !== node) {
    decodedItems = unpack(node);
    decodedNode = node;
  }
  return decodedItems;
}

/**
 * The nodes of the list last read by index, the node read and where it starts, to step on from
 * there. Every change to a list forgets it.
 */
let cursorNodes: ListNode[] | null = null;
let cursorNode = 0;
let cursorStart = 0;

function openNodeBytes(node: OpenNode): number {
  let bytes = OPEN_NODE_BYTES + arrayBytes(node.items.length);
  const items = node.items;
  const mask = items.length - 1;
  for (let i = 0; i < node.count; i++) bytes += stringBytes((items[(node.head + i) & mask] as string).length);
  return bytes;
}

function nodeBytes(node: ListNode): number {
  return typeof node === 'string' ? stringBytes(node.length) : openNodeBytes(node);
}

function nodeCount(node: ListNode): number {
  return typeof node === 'string' ? packedCount(node) : node.count;
}

function nodeItems(node: ListNode): string[] {
  if (typeof node === 'string') return unpack(node);
  const out = new Array<string>(node.count);
  const mask = node.items.length - 1;
  for (let i = 0; i < node.count; i++) out[i] = node.items[(node.head + i) & mask] as string;
  return out;
}

function openNodeOf(items: readonly string[], from: number, to: number): OpenNode {
  let cap = MIN_CAPACITY;
  while (cap < to - from) cap *= 2;
  const node = new OpenNode(cap);
  let packedBytes = EMPTY_PACKED_BYTES;
  for (let i = from; i < to; i++) {
    const s = items[i] as string;
    node.items[i - from] = s;
    packedBytes += packedEntrySize(s);
  }
  node.count = to - from;
  node.packedBytes = packedBytes;
  return node;
}

/**
 * Splits `items` into nodes as pushing them in order would (each node as full as the fill
 * allows): the indexes where nodes start, and the total length as the last.
 */
function nodeStarts(items: readonly string[]): number[] {
  const starts: number[] = [];
  let bytes = EMPTY_PACKED_BYTES;
  let count = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as string;
    if (i === 0 || !nodeAllowsInsert(bytes, count, item.length)) {
      starts.push(i);
      bytes = EMPTY_PACKED_BYTES;
      count = 0;
    }
    bytes += packedEntrySize(item);
    count++;
  }
  starts.push(items.length);
  return starts;
}

/**
 * A list value: Redis's quicklist. The elements are in nodes of up to list-max-listpack-size
 * (8 KB by default), each a listpack held as one latin1 string, as Redis's nodes are, so a
 * million elements cost about their own bytes and RDB files carry the nodes as they are. The
 * nodes at the two ends, where pushes and pops go, are opened (their elements as strings in a
 * ring buffer) when touched, and packed again once they are no longer at an end; a packed node
 * read by index is decoded once for a run of reads. A list of one small node is kept as that
 * listpack alone (`store` is then the string), which is most of a keyspace of many lists.
 *
 * Redis 7.0 reports every list as a quicklist (the listpack encoding of small lists arrived
 * in 7.2), whatever list-max-listpack-size says.
 *
 * The list keeps its size in V8's heap (`bytes`: this object, the node array, the nodes) as it
 * changes, and tells its database's running total (`account`) of each change.
 */
/** Where a range of elements is written (a reply): a string, bytes of a node, or an integer. */
export interface ElementWriter {
  bulk(value: string): void;
  bulkBytes(src: Buffer, start: number, end: number): void;
  bulkInteger(n: number | bigint): void;
}

/** The element just decoded from `buf` (into `element`), written out. */
function writeDecoded(buf: Buffer, out: ElementWriter): void {
  if (element.isInt) out.bulkInteger(element.int);
  else out.bulkBytes(buf, element.start, element.end);
}

/**
 * Elements [from, to] of a node (offsets within it), head to tail or, `reverse`, tail to head.
 * A packed node is walked in place: no string is made for its elements.
 */
function writeNodeRange(node: ListNode, from: number, to: number, reverse: boolean, out: ElementWriter): void {
  if (typeof node !== 'string') {
    const items = node.items;
    const mask = items.length - 1;
    if (reverse) for (let i = to; i >= from; i--) out.bulk(items[(node.head + i) & mask] as string);
    else for (let i = from; i <= to; i++) out.bulk(items[(node.head + i) & mask] as string);
    return;
  }
  const buf = scratchFor(node.length);
  buf.latin1Write(node, 0);
  if (reverse) {
    // From the end byte back over the elements after `to`, then element by element.
    let p = node.length - 1;
    for (let i = packedCount(node) - 1; i > to; i--) p = previousElement(buf, p);
    for (let i = to; i >= from; i--) {
      p = previousElement(buf, p);
      decodeElement(buf, p);
      writeDecoded(buf, out);
    }
    return;
  }
  let p = LP_HEADER_SIZE;
  for (let i = 0; i < from; i++) p = skipElement(buf, p);
  for (let i = from; i <= to; i++) {
    p = decodeElement(buf, p);
    writeDecoded(buf, out);
  }
}

export class List implements CollectionValue {
  readonly type = 'list' as const;
  /** The one packed node of a small list, or the nodes, head to tail. */
  private store: string | ListNode[];
  private length = 0;
  bytes: number;
  account: SizeAccount | null = null;
  access = -1;

  /** An empty list (`_capacity` is a hint it does not need), or the listpack `packed` alone (fromPacked). */
  constructor(_capacity = 0, packed: string | null = null, packedLength = 0) {
    if (packed === null) {
      this.store = new Array<ListNode>(0);
      this.bytes = LIST_OBJECT_BYTES + arrayBytes(0);
    } else {
      this.store = packed;
      this.length = packedLength;
      this.bytes = LIST_OBJECT_BYTES + stringBytes(packed.length);
    }
  }

  static from(values: Iterable<string>): List {
    const array = Array.isArray(values) ? (values as string[]) : [...values];
    const list = new List();
    list.rebuild(array);
    list.recounted();
    return list;
  }

  /** A list of the first `length` items of `items` (loading one from a file). */
  static adopt(items: (string | undefined)[], length = items.length): List {
    if (items.length !== length) items.length = length;
    return List.from(items as string[]);
  }

  /**
   * A list of the listpacks `nodes` (well-formed, none empty, each with its count in its
   * header), or of the one listpack `nodes`, holding `length` elements in all: loading a
   * quicklist adopts its nodes undecoded. A list of one node is made without a node array,
   * as most lists in a keyspace of many lists are.
   */
  static fromPacked(nodes: string | string[], length: number): List {
    if (typeof nodes === 'string') return new List(0, nodes, length);
    if (nodes.length === 1) return new List(0, nodes[0] as string, length);
    const list = new List();
    list.store = nodes;
    list.length = length;
    list.bytes = list.recountBytes();
    return list;
  }

  recountBytes(): number {
    const store = this.store;
    if (typeof store === 'string') return LIST_OBJECT_BYTES + stringBytes(store.length);
    let bytes = LIST_OBJECT_BYTES + arrayBytes(store.length);
    for (let k = 0; k < store.length; k++) bytes += nodeBytes(store[k] as ListNode);
    return bytes;
  }

  /** The list's size changed by `delta` bytes. */
  private resized(delta: number): void {
    this.bytes += delta;
    if (this.account !== null) this.account.bytes += delta;
  }

  /** The size is now what the nodes add up to (after a change measured by recounting). */
  private recounted(): void {
    this.resized(this.recountBytes() - this.bytes);
  }

  get size(): number {
    return this.length;
  }

  encoding(): string {
    return 'quicklist';
  }

  /** How many nodes the list has (DEBUG, tests). */
  get nodeCount(): number {
    return typeof this.store === 'string' ? 1 : this.store.length;
  }

  /** The bytes the nodes take as listpacks (DEBUG OBJECT's ql_uncompressed_size). */
  get packedSize(): number {
    const store = this.store;
    if (typeof store === 'string') return store.length;
    let bytes = 0;
    for (let k = 0; k < store.length; k++) {
      const node = store[k] as ListNode;
      bytes += typeof node === 'string' ? node.length : node.packedBytes;
    }
    return bytes;
  }

  /**
   * Node k (within [0, nodeCount)) for saving: a listpack string as it is, or the elements of
   * an open node, to be packed by the caller.
   */
  nodeAt(k: number): string | string[] {
    const store = this.store;
    if (typeof store === 'string') return store;
    const node = store[k] as ListNode;
    return typeof node === 'string' ? node : nodeItems(node);
  }

  clone(): List {
    // Packed nodes are immutable strings: the copy shares them, and counts them as its own.
    const copy = new List();
    const store = this.store;
    if (typeof store === 'string') copy.store = store;
    else {
      const nodes = new Array<ListNode>(store.length);
      for (let k = 0; k < store.length; k++) {
        const node = store[k] as ListNode;
        nodes[k] = typeof node === 'string' ? node : openNodeOf(nodeItems(node), 0, node.count);
      }
      copy.store = nodes;
    }
    copy.length = this.length;
    copy.bytes = copy.recountBytes();
    return copy;
  }

  /** The nodes as an array (a small list's single listpack becomes one node of it). */
  private nodes(): ListNode[] {
    const store = this.store;
    if (typeof store !== 'string') return store;
    const nodes = new Array<ListNode>(1);
    nodes[0] = store;
    this.store = nodes;
    this.resized(arrayBytes(1));
    return nodes;
  }

  /** After a change: a list of one small node goes back to being that listpack alone. */
  private settle(): void {
    const store = this.store;
    if (typeof store === 'string' || store.length !== 1) return;
    const node = store[0] as ListNode;
    if (typeof node === 'string') {
      this.store = node;
      this.resized(-arrayBytes(1));
    } else if (node.packedBytes <= SMALL_LIST_PACKED_BYTES && node.count < LP_COUNT_UNKNOWN) {
      const packed = pack(nodeItems(node), 0, node.count);
      this.resized(stringBytes(packed.length) - openNodeBytes(node) - arrayBytes(1));
      this.store = packed;
    }
  }

  /** Node k opened for a change at its ends (a packed node is decoded into a ring buffer). */
  private open(nodes: ListNode[], k: number): OpenNode {
    const node = nodes[k] as ListNode;
    if (typeof node !== 'string') return node;
    const items = unpack(node);
    const opened = openNodeOf(items, 0, items.length);
    nodes[k] = opened;
    this.resized(openNodeBytes(opened) - stringBytes(node.length));
    return opened;
  }

  /** Node k, no longer at an end, packed (unless it holds too many elements for a listpack's count). */
  private close(nodes: ListNode[], k: number): void {
    const node = nodes[k] as ListNode;
    if (typeof node === 'string' || node.count >= LP_COUNT_UNKNOWN) return;
    const packed = pack(nodeItems(node), 0, node.count);
    this.resized(stringBytes(packed.length) - openNodeBytes(node));
    nodes[k] = packed;
  }

  /** Replaces the node array with `next` (sized exactly). */
  private replaceNodes(next: ListNode[]): void {
    const store = this.store;
    this.resized(arrayBytes(next.length) - (typeof store === 'string' ? 0 : arrayBytes(store.length)));
    this.store = next;
  }

  /** The element at `index` (0 = head); the caller keeps the index within [0, size). */
  get(index: number): string {
    const store = this.store;
    if (typeof store === 'string') return decoded(store)[index] as string;
    let k: number;
    let start: number;
    if (cursorNodes === store) {
      k = cursorNode;
      start = cursorStart;
    } else if (index < this.length >>> 1) {
      k = 0;
      start = 0;
    } else {
      k = store.length - 1;
      start = this.length - nodeCount(store[k] as ListNode);
    }
    while (index < start) {
      k--;
      start -= nodeCount(store[k] as ListNode);
    }
    let node = store[k] as ListNode;
    let count = nodeCount(node);
    while (index >= start + count) {
      start += count;
      k++;
      node = store[k] as ListNode;
      count = nodeCount(node);
    }
    cursorNodes = store;
    cursorNode = k;
    cursorStart = start;
    const offset = index - start;
    if (typeof node === 'string') return decoded(node)[offset] as string;
    return node.items[(node.head + offset) & (node.items.length - 1)] as string;
  }

  /**
   * Writes the elements [first, last] (within [0, size), first <= last) to `out`, head to tail
   * or, `reverse`, tail to head: LRANGE and the pops with a count walk each node once.
   */
  writeRange(first: number, last: number, reverse: boolean, out: ElementWriter): void {
    const store = this.store;
    if (typeof store === 'string') return writeNodeRange(store, first, last, reverse, out);
    // The node holding `first`, found from the nearer end.
    let k: number;
    let start: number;
    if (first < this.length >>> 1) {
      k = 0;
      start = 0;
      while (first >= start + nodeCount(store[k] as ListNode)) start += nodeCount(store[k++] as ListNode);
    } else {
      k = store.length - 1;
      start = this.length - nodeCount(store[k] as ListNode);
      while (first < start) start -= nodeCount(store[--k] as ListNode);
    }
    if (!reverse) {
      for (;;) {
        const node = store[k] as ListNode;
        const count = nodeCount(node);
        const to = Math.min(last - start, count - 1);
        writeNodeRange(node, Math.max(first - start, 0), to, false, out);
        if (start + count > last) return;
        start += count;
        k++;
      }
    }
    // Reverse: from the node holding `last` back to the one holding `first`.
    const firstNode = k;
    while (last >= start + nodeCount(store[k] as ListNode)) start += nodeCount(store[k++] as ListNode);
    for (;;) {
      const node = store[k] as ListNode;
      const from = k === firstNode ? first - start : 0;
      writeNodeRange(node, from, Math.min(last - start, nodeCount(node) - 1), true, out);
      if (k === firstNode) return;
      k--;
      start -= nodeCount(store[k] as ListNode);
    }
  }

  /** Replaces the element at `index`, within [0, size). */
  set(index: number, value: string): void {
    this.editNode(index, (items, offset) => {
      items[offset] = value;
    });
  }

  pushRight(value: string): void {
    cursorNodes = null;
    const nodes = this.nodes();
    const size = packedEntrySize(value);
    const last = nodes.length - 1;
    let node: OpenNode;
    if (last >= 0 && nodeAllowsInsert(this.packedBytesOf(nodes[last] as ListNode), nodeCount(nodes[last] as ListNode), value.length)) {
      node = this.open(nodes, last);
    } else {
      node = new OpenNode(MIN_CAPACITY);
      const next = new Array<ListNode>(nodes.length + 1);
      for (let k = 0; k < nodes.length; k++) next[k] = nodes[k] as ListNode;
      next[nodes.length] = node;
      this.replaceNodes(next);
      this.resized(OPEN_NODE_BYTES + arrayBytes(MIN_CAPACITY));
      if (last > 0) this.close(next, last);
    }
    if (node.count === node.items.length) this.grow(node);
    node.items[(node.head + node.count) & (node.items.length - 1)] = value;
    node.count++;
    node.packedBytes += size;
    this.length++;
    this.resized(stringBytes(value.length));
    this.settle();
  }

  pushLeft(value: string): void {
    cursorNodes = null;
    const nodes = this.nodes();
    const size = packedEntrySize(value);
    let node: OpenNode;
    if (nodes.length > 0 && nodeAllowsInsert(this.packedBytesOf(nodes[0] as ListNode), nodeCount(nodes[0] as ListNode), value.length)) {
      node = this.open(nodes, 0);
    } else {
      node = new OpenNode(MIN_CAPACITY);
      const next = new Array<ListNode>(nodes.length + 1);
      next[0] = node;
      for (let k = 0; k < nodes.length; k++) next[k + 1] = nodes[k] as ListNode;
      this.replaceNodes(next);
      this.resized(OPEN_NODE_BYTES + arrayBytes(MIN_CAPACITY));
      if (nodes.length > 1) this.close(next, 1);
    }
    if (node.count === node.items.length) this.grow(node);
    node.head = (node.head - 1) & (node.items.length - 1);
    node.items[node.head] = value;
    node.count++;
    node.packedBytes += size;
    this.length++;
    this.resized(stringBytes(value.length));
    this.settle();
  }

  private packedBytesOf(node: ListNode): number {
    return typeof node === 'string' ? node.length : node.packedBytes;
  }

  /** Doubles an open node's ring buffer. */
  private grow(node: OpenNode): void {
    const cap = node.items.length;
    const next = new Array<string | undefined>(cap * 2);
    for (let i = 0; i < node.count; i++) next[i] = node.items[(node.head + i) & (cap - 1)];
    node.items = next;
    node.head = 0;
    this.resized(arrayBytes(cap * 2) - arrayBytes(cap));
  }

  /** Removes node k, which has just been emptied. */
  private dropNode(nodes: ListNode[], k: number): void {
    const node = nodes[k] as ListNode;
    this.resized(-nodeBytes(node));
    const next = new Array<ListNode>(nodes.length - 1);
    for (let j = 0, w = 0; j < nodes.length; j++) if (j !== k) next[w++] = nodes[j] as ListNode;
    this.replaceNodes(next);
  }

  /** Removes and returns the head element; undefined when empty. */
  popLeft(): string | undefined {
    if (this.length === 0) return undefined;
    cursorNodes = null;
    const nodes = this.nodes();
    const node = this.open(nodes, 0);
    const mask = node.items.length - 1;
    const value = node.items[node.head] as string;
    node.items[node.head] = undefined;
    node.head = (node.head + 1) & mask;
    node.count--;
    node.packedBytes -= packedEntrySize(value);
    this.length--;
    this.resized(-stringBytes(value.length));
    if (node.count === 0) this.dropNode(nodes, 0);
    this.settle();
    return value;
  }

  /** Removes and returns the tail element; undefined when empty. */
  popRight(): string | undefined {
    if (this.length === 0) return undefined;
    cursorNodes = null;
    const nodes = this.nodes();
    const last = nodes.length - 1;
    const node = this.open(nodes, last);
    const slot = (node.head + node.count - 1) & (node.items.length - 1);
    const value = node.items[slot] as string;
    node.items[slot] = undefined;
    node.count--;
    node.packedBytes -= packedEntrySize(value);
    this.length--;
    this.resized(-stringBytes(value.length));
    if (node.count === 0) this.dropNode(nodes, last);
    this.settle();
    return value;
  }

  /** Removes `n` elements from the head (n within [0, size]): whole nodes at once, then pops. */
  removeLeft(n: number): void {
    const dropped = this.dropWholeNodes(n, true);
    for (let i = dropped; i < n; i++) this.popLeft();
  }

  /** Removes `n` elements from the tail (n within [0, size]): whole nodes at once, then pops. */
  removeRight(n: number): void {
    const dropped = this.dropWholeNodes(n, false);
    for (let i = dropped; i < n; i++) this.popRight();
  }

  /**
   * Removes the nodes at the head (`left`) or the tail that hold no more than `n` elements in
   * all, without decoding them (LTRIM of a long list); returns how many elements went.
   */
  private dropWholeNodes(n: number, left: boolean): number {
    if (n === 0 || typeof this.store === 'string') return 0;
    cursorNodes = null;
    const nodes = this.store;
    let drop = 0;
    let removed = 0;
    let bytes = 0;
    while (drop < nodes.length) {
      const node = nodes[left ? drop : nodes.length - 1 - drop] as ListNode;
      const count = nodeCount(node);
      if (removed + count > n) break;
      removed += count;
      bytes += nodeBytes(node);
      drop++;
    }
    if (drop === 0) return 0;
    const next = new Array<ListNode>(nodes.length - drop);
    const from = left ? drop : 0;
    for (let k = 0; k < next.length; k++) next[k] = nodes[from + k] as ListNode;
    this.resized(-bytes);
    this.replaceNodes(next);
    this.length -= removed;
    this.settle();
    return removed;
  }

  /** Inserts `value` so that it ends up at `index`, within [0, size]. */
  insert(index: number, value: string): void {
    if (index === 0) return this.pushLeft(value);
    if (index === this.length) return this.pushRight(value);
    // Into the node holding the element now at `index`, before it.
    this.editNode(index, (items, offset) => {
      items.splice(offset, 0, value);
    });
  }

  /** Removes the element at `index`, within [0, size). */
  removeAt(index: number): void {
    if (index === 0) {
      this.popLeft();
      return;
    }
    if (index === this.length - 1) {
      this.popRight();
      return;
    }
    this.editNode(index, (items, offset) => {
      items.splice(offset, 1);
    });
  }

  /** Index of the first element equal to `value` at or after `from`, or -1. */
  indexOf(value: string, from = 0): number {
    for (let i = from; i < this.length; i++) if (this.get(i) === value) return i;
    return -1;
  }

  /**
   * Removes elements equal to `value` as LREM does: up to `limit` of them from the head
   * (limit > 0), from the tail (limit < 0), or all of them (limit 0). Returns how many went.
   */
  removeValue(value: string, limit: number): number {
    const items = this.toArray();
    const n = items.length;
    let want = limit === 0 ? Infinity : Math.abs(limit);
    const remove = new Uint8Array(n);
    let found = 0;
    if (limit >= 0) {
      for (let i = 0; i < n && want > 0; i++) {
        if (items[i] === value) {
          remove[i] = 1;
          found++;
          want--;
        }
      }
    } else {
      for (let i = n - 1; i >= 0 && want > 0; i--) {
        if (items[i] === value) {
          remove[i] = 1;
          found++;
          want--;
        }
      }
    }
    if (found === 0) return 0;
    const kept = new Array<string>(n - found);
    for (let i = 0, w = 0; i < n; i++) if (remove[i] === 0) kept[w++] = items[i] as string;
    this.rebuildAfterChange(kept);
    return found;
  }

  /** The elements head to tail, as a new array. */
  toArray(): string[] {
    const store = this.store;
    if (typeof store === 'string') return unpack(store);
    const out = new Array<string>(this.length);
    let at = 0;
    for (let k = 0; k < store.length; k++) {
      const node = store[k] as ListNode;
      if (typeof node === 'string') {
        const items = decoded(node);
        for (let i = 0; i < items.length; i++) out[at++] = items[i] as string;
      } else {
        const mask = node.items.length - 1;
        for (let i = 0; i < node.count; i++) out[at++] = node.items[(node.head + i) & mask] as string;
      }
    }
    return out;
  }

  /**
   * After a change in the middle (LSET, LINSERT, LREM): the list rebuilt from its elements, in
   * nodes as full as the fill allows. Like Redis's listpack edits, it costs the size of what
   * changed hands; here that is the whole list, which these commands are O(N) in anyway.
   */
  private rebuildAfterChange(items: string[]): void {
    this.rebuild(items);
    this.recounted();
  }

  /** Makes the list hold `items`, packed into nodes; `bytes` is left to the caller to fix. */
  private rebuild(items: string[]): void {
    cursorNodes = null;
    this.length = items.length;
    if (items.length === 0) {
      this.store = new Array<ListNode>(0);
      return;
    }
    const starts = nodeStarts(items);
    const count = starts.length - 1;
    const nodes = new Array<ListNode>(count);
    for (let k = 0; k < count; k++) {
      const from = starts[k] as number;
      const to = starts[k + 1] as number;
      nodes[k] = to - from >= LP_COUNT_UNKNOWN ? openNodeOf(items, from, to) : pack(items, from, to);
    }
    this.store = count === 1 && typeof nodes[0] === 'string' ? nodes[0] : nodes;
  }

  /**
   * Edits the node holding element `index` (within [0, size)): `edit` changes its elements,
   * given the index's offset in them, and the node is packed again, split in two or more if it
   * outgrew the fill, or dropped if emptied. LSET, LINSERT and a removal by index cost the
   * size of one node, as Redis's listpack edits do.
   */
  private editNode(index: number, edit: (items: string[], offset: number) => void): void {
    cursorNodes = null;
    const nodes = this.nodes();
    let k = 0;
    let start = 0;
    let count = nodeCount(nodes[0] as ListNode);
    while (index >= start + count) {
      start += count;
      k++;
      count = nodeCount(nodes[k] as ListNode);
    }
    const node = nodes[k] as ListNode;
    const items = nodeItems(node);
    edit(items, index - start);
    this.length += items.length - count;
    this.resized(-nodeBytes(node));
    if (items.length === 0) {
      const next = new Array<ListNode>(nodes.length - 1);
      for (let j = 0, w = 0; j < nodes.length; j++) if (j !== k) next[w++] = nodes[j] as ListNode;
      this.replaceNodes(next);
    } else {
      const starts = nodeStarts(items);
      const pieces = starts.length - 1;
      const fresh = new Array<ListNode>(pieces);
      for (let j = 0; j < pieces; j++) {
        const from = starts[j] as number;
        const to = starts[j + 1] as number;
        const piece = to - from >= LP_COUNT_UNKNOWN ? openNodeOf(items, from, to) : pack(items, from, to);
        fresh[j] = piece;
        this.resized(nodeBytes(piece));
      }
      if (pieces === 1) {
        nodes[k] = fresh[0] as ListNode;
      } else {
        const next = new Array<ListNode>(nodes.length - 1 + pieces);
        let w = 0;
        for (let j = 0; j < k; j++) next[w++] = nodes[j] as ListNode;
        for (let j = 0; j < pieces; j++) next[w++] = fresh[j] as ListNode;
        for (let j = k + 1; j < nodes.length; j++) next[w++] = nodes[j] as ListNode;
        this.replaceNodes(next);
      }
    }
    this.settle();
  }
}
