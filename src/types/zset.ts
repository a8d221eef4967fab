import { errTooManyElements, maxTableEntries } from './table-limit.js';
import type { CollectionValue } from './value.js';
import { MAP_INITIAL_CAPACITY, mapBytes, mapCapacityFor, mapEntryAdded, mapEntryRemoved, objectBytes, packedReplaced, stringBytes, tableResized, type MapTable, type SizeAccount } from './heap-size.js';
import { detached, entryAt, entryEnd, entryIs, firstEntry, packEntry, packParts, varintAt, varintWidth } from './packed.js';
import {
  SkipList, SkipListBuilder, SkipNode, lexGteMin, lexLteMax, scoreGteMin, scoreLteMax, scoreRangeEmpty, type LexRange, type ScoreRange,
} from './skiplist.js';

/** The ZSet object: data, account. */
const ZSET_OBJECT_BYTES = objectBytes(3);
/** The large form's object: owner, dict, zsl, bytes, tableCapacity, tableRemoved. */
const SKIP_FORM_BYTES = objectBytes(6);
/**
 * How many members a set being built by insertNew (a result set, a load) keeps packed before
 * it turns into a skiplist: each packed insertion copies the string, and the caller decides
 * the final encoding (fitEncoding, setCompact) once the set is built.
 */
const BUILD_PACKED_MAX = 128;

/** Limits under which Redis keeps a sorted set as a listpack (zset-max-listpack-*). */
export interface ZSetLimits {
  maxEntries: number;
  maxValue: number;
}

/**
 * What readers walk, in (score, member) order: the skiplist of a large set, or a view of a
 * packed one (nodes built from the string, linked by next and backward, read-only).
 */
export interface SortedView {
  readonly first: SkipNode | null;
  readonly tail: SkipNode | null;
  readonly length: number;
  /** The node at 1-based `rank`, or null. */
  byRank(rank: number): SkipNode | null;
  /** 1-based rank of (score, member), 0 if absent. */
  rankOf(score: number, member: string): number;
  firstInScoreRange(range: ScoreRange): SkipNode | null;
  lastInScoreRange(range: ScoreRange): SkipNode | null;
  mayHoldLexRange(range: LexRange): boolean;
}

/**
 * A score as packed: the shortest text that reads back as the same double. -0 stays -0 here;
 * where Redis's listpack turns it into 0 (ZADD, a result set packed), the caller does.
 */
function scoreText(score: number): string {
  return score === 0 && 1 / score < 0 ? '-0' : String(score);
}

/** Powers of ten a double holds exactly. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * The score packed in the entry at `pos`. Decimal text of at most 15 digits and no exponent is
 * read in place: its digits make an exact integer and dividing by an exact power of ten rounds
 * once, to the same double Number() gives (Clinger's fast path). Anything else goes to Number().
 */
function scoreAt(s: string, pos: number): number {
  const length = s.charCodeAt(pos);
  const start = pos + 1;
  const end = start + length;
  if (length <= 16) {
    let i = start;
    const negative = s.charCodeAt(i) === 45;
    if (negative) i++;
    let n = 0;
    let digits = 0;
    let point = -1;
    for (; i < end; i++) {
      const c = s.charCodeAt(i);
      if (c === 46 && point === -1) {
        point = i;
        continue;
      }
      const d = c - 48;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
      digits++;
    }
    if (i === end && digits !== 0 && digits <= 15 && point !== end - 1) {
      if (point !== -1) n /= EXACT_POWERS_OF_TEN[end - 1 - point] as number;
      return negative ? -n : n;
    }
  }
  return Number(s.slice(pos + varintWidth(varintAt(s, pos)), pos + varintWidth(varintAt(s, pos)) + varintAt(s, pos)));
}

/** A read-only walk over a packed set's members (see SortedView). */
class PackedView implements SortedView {
  readonly nodes: SkipNode[];

  constructor(packed: string) {
    const n = varintAt(packed, 0);
    const nodes = new Array<SkipNode>(n);
    let pos = firstEntry(packed);
    let prev: SkipNode | null = null;
    for (let i = 0; i < n; i++) {
      const member = entryAt(packed, pos);
      pos = entryEnd(packed, pos);
      const node = new SkipNode(member, scoreAt(packed, pos));
      pos = entryEnd(packed, pos);
      node.backward = prev;
      if (prev !== null) prev.next = node;
      nodes[i] = node;
      prev = node;
    }
    this.nodes = nodes;
  }

  get first(): SkipNode | null {
    return this.nodes[0] ?? null;
  }

  get tail(): SkipNode | null {
    return this.nodes[this.nodes.length - 1] ?? null;
  }

  get length(): number {
    return this.nodes.length;
  }

  byRank(rank: number): SkipNode | null {
    return rank >= 1 ? this.nodes[rank - 1] ?? null : null;
  }

  rankOf(score: number, member: string): number {
    const nodes = this.nodes;
    for (let i = 0; i < nodes.length; i++) {
      const x = nodes[i] as SkipNode;
      if (x.member === member) return x.score === score ? i + 1 : 0;
    }
    return 0;
  }

  firstInScoreRange(range: ScoreRange): SkipNode | null {
    if (scoreRangeEmpty(range)) return null;
    for (const x of this.nodes) if (scoreGteMin(x.score, range)) return scoreLteMax(x.score, range) ? x : null;
    return null;
  }

  lastInScoreRange(range: ScoreRange): SkipNode | null {
    if (scoreRangeEmpty(range)) return null;
    const nodes = this.nodes;
    for (let i = nodes.length - 1; i >= 0; i--) {
      const x = nodes[i] as SkipNode;
      if (scoreLteMax(x.score, range)) return scoreGteMin(x.score, range) ? x : null;
    }
    return null;
  }

  mayHoldLexRange(range: LexRange): boolean {
    return SkipList.prototype.mayHoldLexRange.call(this, range);
  }
}

/*
 * The last view built, and of which packed string: commands that walk a small set several
 * times (ZRANDMEMBER with a count, ZRANGE's rank lookups) build it once. A packed string never
 * changes (a change makes a new one), so the same string means the same members.
 */
let viewedPacked = '';
let lastView = new PackedView('\0');

function viewOf(packed: string): PackedView {
  if (packed !== viewedPacked) {
    lastView = new PackedView(packed);
    viewedPacked = packed;
  }
  return lastView;
}

/** Packs `nodes` but those of indexes from..to (inclusive; none when from > to). */
function packNodes(nodes: readonly SkipNode[], from = 1, to = 0): string {
  const parts: string[] = [''];
  let count = 0;
  for (let i = 0; i < nodes.length; i++) {
    if (i >= from && i <= to) continue;
    const x = nodes[i] as SkipNode;
    parts.push(packEntry(x.member), packEntry(scoreText(x.score)));
    count++;
  }
  return packParts(count, parts);
}

/**
 * The large form: the skiplist gives order and ranks, the map gives a member's node (and so its
 * score) in O(1). It keeps its own bytes (its objects, the nodes, the Map, the members' strings:
 * a member's string is shared by its node and the Map, counted once) and tells its owner's
 * account of each change.
 */
class SkipForm implements MapTable {
  readonly dict: Map<string, SkipNode>;
  readonly zsl: SkipList;
  bytes: number;
  /** How V8 sizes `dict`'s table (MapTable). */
  tableCapacity = MAP_INITIAL_CAPACITY;
  tableRemoved = 0;

  /**
   * An empty form, or one made of a list and a map built elsewhere (their members' strings
   * taking `memberBytes`).
   */
  constructor(
    private readonly owner: ZSet,
    zsl = new SkipList(),
    dict = new Map<string, SkipNode>(),
    memberBytes = 0,
  ) {
    this.zsl = zsl;
    this.dict = dict;
    if (dict.size !== 0) this.tableCapacity = mapCapacityFor(dict.size);
    this.bytes = SKIP_FORM_BYTES + mapBytes(this.tableCapacity) + zsl.bytes + memberBytes;
  }

  recountBytes(): number {
    let bytes = SKIP_FORM_BYTES + mapBytes(this.tableCapacity) + this.zsl.recountBytes();
    for (const member of this.dict.keys()) bytes += stringBytes(member.length);
    return bytes;
  }

  resized(delta: number): void {
    tableResized(this, this.owner.account, delta);
  }

  /** A member was added to the dict and the skiplist, whose bytes were `listBytes` before. */
  private added(member: string, listBytes: number): void {
    this.resized(mapEntryAdded(this, this.dict.size) + stringBytes(member.length) + this.zsl.bytes - listBytes);
  }

  set(member: string, score: number): boolean {
    const node = this.dict.get(member);
    if (node === undefined) {
      if (this.dict.size >= maxTableEntries) throw errTooManyElements();
      const listBytes = this.zsl.bytes;
      this.dict.set(member, this.zsl.insert(score, member));
      this.added(member, listBytes);
      return true;
    }
    if (node.score !== score) {
      const listBytes = this.zsl.bytes;
      const moved = this.zsl.updateNode(node, score);
      if (moved !== node) this.dict.set(member, moved);
      // A moved member gets a node of a new random level; one updated in place may have gained
      // or lost its boxed double.
      this.resized(this.zsl.bytes - listBytes);
    }
    return false;
  }

  insertNew(member: string, score: number): boolean {
    const listBytes = this.zsl.bytes;
    const size = this.dict.size;
    if (size >= maxTableEntries && !this.dict.has(member)) throw errTooManyElements();
    const node = this.zsl.insert(score, member);
    this.dict.set(member, node);
    if (this.dict.size === size) {
      // Already there: undo the skiplist's half.
      this.zsl.deleteNode(node);
      return false;
    }
    this.added(member, listBytes);
    return true;
  }

  delete(member: string): boolean {
    const node = this.dict.get(member);
    if (node === undefined) return false;
    const listBytes = this.zsl.bytes;
    this.dict.delete(member);
    this.zsl.deleteNode(node);
    this.resized(mapEntryRemoved(this, this.dict.size) - stringBytes(member.length) + this.zsl.bytes - listBytes);
    return true;
  }

  /**
   * Runs a removal of nodes from the skiplist, given the callback that drops each one's member
   * from the dict, and counts what went. (The callback is made per call: as a field, a closure
   * costs each sorted set a few hundred bytes of V8's heap.)
   */
  removeRange(remove: (drop: (node: SkipNode) => void) => number): number {
    const listBytes = this.zsl.bytes;
    let delta = 0;
    const removed = remove((node) => {
      this.dict.delete(node.member);
      delta += mapEntryRemoved(this, this.dict.size) - stringBytes(node.member.length);
    });
    this.resized(delta + this.zsl.bytes - listBytes);
    return removed;
  }
}

/**
 * A sorted set. Like Redis, a small one (zset-max-listpack-entries members of at most
 * zset-max-listpack-value bytes) is packed: one latin1 string of member and score entries in
 * (score, member) order, scores as text (packed.ts), searched linearly as Redis searches its
 * listpack; a set that outgrows the limits becomes a skiplist with a member map for good.
 *
 * The set keeps its size in V8's heap (`bytes`) and tells its database's running total
 * (`account`) of each change. The packed form's size is its string's, read off its length.
 */
export class ZSet implements CollectionValue {
  /** The packed string, or the large form. */
  private data: string | SkipForm = '\0';
  account: SizeAccount | null = null;
  access = -1;

  get type(): 'zset' {
    return 'zset';
  }

  get bytes(): number {
    const data = this.data;
    return ZSET_OBJECT_BYTES + (typeof data === 'string' ? stringBytes(data.length) : data.bytes);
  }

  recountBytes(): number {
    const data = this.data;
    return ZSET_OBJECT_BYTES + (typeof data === 'string' ? stringBytes(data.length) : data.recountBytes());
  }

  /** Whether the set is packed (what Redis calls a listpack). */
  get compact(): boolean {
    return typeof this.data === 'string';
  }

  get size(): number {
    const data = this.data;
    return typeof data === 'string' ? varintAt(data, 0) : data.dict.size;
  }

  encoding(): string {
    return typeof this.data === 'string' ? 'listpack' : 'skiplist';
  }

  /** The members in order: the skiplist, or a view of the packed string valid until the next change. */
  get zsl(): SortedView {
    const data = this.data;
    return typeof data === 'string' ? viewOf(data) : data.zsl;
  }

  /** Calls `fn` for each member: in the member map's order when large, in score order when packed. */
  forEachMember(fn: (member: string, score: number) => void): void {
    const data = this.data;
    if (typeof data === 'string') {
      for (const x of viewOf(data).nodes) fn(x.member, x.score);
    } else {
      for (const [member, node] of data.dict) fn(member, node.score);
    }
  }

  /** The member map of the large form (ZSCAN's live iterator); only for the large form. */
  get dict(): Map<string, SkipNode> {
    return (this.data as SkipForm).dict;
  }

  /** Replaces the packed string, telling the account how its size changed. */
  private repack(packed: string): void {
    packedReplaced(this.account, this.data as string, packed);
    this.data = packed;
  }

  /**
   * Position of `member`'s entry in the packed string, or -1. Written out in place rather than
   * with packed.ts's helpers: this is ZSCORE's and ZADD's loop (measured several times faster).
   * A score's entry is always shorter than 128 chars: its length is one char.
   */
  private static find(packed: string, member: string): number {
    const n = varintAt(packed, 0);
    const memberLength = member.length;
    let pos = firstEntry(packed);
    for (let i = 0; i < n; i++) {
      let length = packed.charCodeAt(pos);
      let start = pos + 1;
      if (length >= 0x80) {
        length = varintAt(packed, pos);
        start = pos + varintWidth(length);
      }
      if (length === memberLength) {
        let j = 0;
        while (j < length && packed.charCodeAt(start + j) === member.charCodeAt(j)) j++;
        if (j === length) return pos;
      }
      pos = start + length;
      pos += 1 + packed.charCodeAt(pos);
    }
    return -1;
  }

  /**
   * Where (member, score) goes in `packed`, the entry from `skip` to `skipEnd` (a member being
   * moved) left out of the comparisons.
   */
  private static insertionPoint(packed: string, member: string, score: number, skip: number, skipEnd: number): number {
    const end = packed.length;
    let pos = firstEntry(packed);
    while (pos < end) {
      if (pos === skip) {
        pos = skipEnd;
        continue;
      }
      const scorePos = entryEnd(packed, pos);
      const s = scoreAt(packed, scorePos);
      if (s > score || (s === score && entryAt(packed, pos) > member)) break;
      pos = scorePos + 1 + packed.charCodeAt(scorePos);
    }
    return pos;
  }

  /** `packed` with (member, score) inserted in order; `count` is its number of entries. */
  private static packedWith(packed: string, count: number, member: string, score: number): string {
    const at = ZSet.insertionPoint(packed, member, score, -1, -1);
    return packParts(count + 1, ['', packed.slice(firstEntry(packed), at), packEntry(member), packEntry(scoreText(score)), packed.slice(at)]);
  }

  /** `packed` without the entry of a member at `pos` and its score. */
  private static packedWithout(packed: string, pos: number): string {
    const end = entryEnd(packed, entryEnd(packed, pos));
    return packParts(varintAt(packed, 0) - 1, ['', packed.slice(firstEntry(packed), pos), packed.slice(end)]);
  }

  /** `packed` with the member at `pos` given a new score (and moved to its place), in one copy. */
  private static packedRescored(packed: string, pos: number, member: string, score: number): string {
    const end = entryEnd(packed, entryEnd(packed, pos));
    const at = ZSet.insertionPoint(packed, member, score, pos, end);
    const entry = packEntry(member) + packEntry(scoreText(score));
    if (at <= pos) return [packed.slice(0, at), entry, packed.slice(at, pos), packed.slice(end)].join('');
    return [packed.slice(0, pos), packed.slice(end, at), entry, packed.slice(at)].join('');
  }

  has(member: string): boolean {
    return this.score(member) !== undefined;
  }

  score(member: string): number | undefined {
    const data = this.data;
    if (typeof data !== 'string') return data.dict.get(member)?.score;
    const pos = ZSet.find(data, member);
    return pos === -1 ? undefined : scoreAt(data, entryEnd(data, pos));
  }

  /** Adds or updates a member; true when it was new. Applies the encoding limits. */
  set(member: string, score: number, limits: ZSetLimits): boolean {
    const data = this.data;
    if (typeof data !== 'string') return data.set(member, score);
    const pos = ZSet.find(data, member);
    if (pos !== -1) {
      if (scoreAt(data, entryEnd(data, pos)) === score) return false;
      // A listpack keeps scores as text, where -0 reads back as 0.
      if (score === 0) score = 0;
      this.repack(ZSet.packedRescored(data, pos, member, score));
      return false;
    }
    const count = varintAt(data, 0);
    if (count + 1 > limits.maxEntries || member.length > limits.maxValue) {
      this.toSkiplist().set(member, score);
      return true;
    }
    this.repack(ZSet.packedWith(data, count, member, score === 0 ? 0 : score));
    return true;
  }

  /**
   * Adds a member, skipping the limits (building a result set, loading one), unless it is
   * already there: false then. The caller sets the encoding when done (fitEncoding, setCompact).
   * `own`: the member is a string of its own (read from a file), not possibly a view into
   * another set's packed string, so the skiplist keeps it without a copy.
   */
  insertNew(member: string, score: number, own = false): boolean {
    const data = this.data;
    if (typeof data !== 'string') return data.insertNew(own ? member : detached(member), score);
    if (ZSet.find(data, member) !== -1) return false;
    const count = varintAt(data, 0);
    if (count >= BUILD_PACKED_MAX) return this.toSkiplist().insertNew(own ? member : detached(member), score);
    this.repack(ZSet.packedWith(data, count, member, score));
    return true;
  }

  delete(member: string): boolean {
    const data = this.data;
    if (typeof data !== 'string') return data.delete(member);
    const pos = ZSet.find(data, member);
    if (pos === -1) return false;
    this.repack(ZSet.packedWithout(data, pos));
    return true;
  }

  /** 0-based rank from the lowest (or the highest when `reverse`), or -1 if absent. */
  rank(member: string, reverse: boolean): number {
    const data = this.data;
    if (typeof data === 'string') {
      const n = varintAt(data, 0);
      let pos = firstEntry(data);
      for (let i = 0; i < n; i++) {
        if (entryIs(data, pos, member)) return reverse ? n - 1 - i : i;
        pos = entryEnd(data, entryEnd(data, pos));
      }
      return -1;
    }
    const node = data.dict.get(member);
    if (node === undefined) return -1;
    const rank = data.zsl.rankOf(node.score, member);
    return reverse ? data.zsl.length - rank : rank - 1;
  }

  /** The node at 0-based index from the lowest. */
  nodeAt(index: number): SkipNode | null {
    return this.zsl.byRank(index + 1);
  }

  countInScoreRange(range: ScoreRange): number {
    const zsl = this.zsl;
    const first = zsl.firstInScoreRange(range);
    if (first === null) return 0;
    const last = zsl.lastInScoreRange(range) as SkipNode;
    return zsl.rankOf(last.score, last.member) - zsl.rankOf(first.score, first.member) + 1;
  }

  /*
   * Lex ranges are only meaningful when every member has the same score. Otherwise Redis's
   * answers depend on its encoding: a listpack is scanned in order from one end, a skiplist is
   * walked top-down. The packed form follows the listpack's scans so replies match Redis's.
   */

  /** First node in the lex range (Redis's zzlFirstInLexRange / zslFirstInLexRange). */
  firstInLexRange(range: LexRange): SkipNode | null {
    const data = this.data;
    if (typeof data !== 'string') return data.zsl.firstInLexRange(range);
    const view = viewOf(data);
    if (!view.mayHoldLexRange(range)) return null;
    for (const x of view.nodes) {
      if (lexGteMin(x.member, range)) return lexLteMax(x.member, range) ? x : null;
    }
    return null;
  }

  /** Last node in the lex range, scanning back from the tail when packed. */
  lastInLexRange(range: LexRange): SkipNode | null {
    const data = this.data;
    if (typeof data !== 'string') return data.zsl.lastInLexRange(range);
    const view = viewOf(data);
    if (!view.mayHoldLexRange(range)) return null;
    for (let x = view.tail; x !== null; x = x.backward) {
      if (lexLteMax(x.member, range)) return lexGteMin(x.member, range) ? x : null;
    }
    return null;
  }

  countInLexRange(range: LexRange): number {
    const first = this.firstInLexRange(range);
    if (first === null) return 0;
    const data = this.data;
    if (typeof data === 'string') {
      let count = 0;
      for (let x: SkipNode | null = first; x !== null && lexLteMax(x.member, range); x = x.next) count++;
      return count;
    }
    // Redis's arithmetic on ranks, which with mixed scores may even go below zero.
    const zsl = data.zsl;
    const length = zsl.length;
    let count = length - (zsl.rankOf(first.score, first.member) - 1);
    const last = zsl.lastInLexRange(range);
    if (last !== null) count -= length - zsl.rankOf(last.score, last.member);
    return count;
  }

  /** Removes the packed nodes of indexes from..to (inclusive); returns how many. */
  private removePacked(nodes: readonly SkipNode[], from: number, to: number): number {
    if (from > to) return 0;
    this.repack(packNodes(nodes, from, to));
    return to - from + 1;
  }

  /** Removes 0-based ranks start..end inclusive (already clamped). */
  deleteRangeByRank(start: number, end: number): number {
    const data = this.data;
    if (typeof data === 'string') return this.removePacked(viewOf(data).nodes, start, end);
    return data.removeRange((drop) => data.zsl.deleteRangeByRank(start + 1, end + 1, drop));
  }

  deleteRangeByScore(range: ScoreRange): number {
    const data = this.data;
    if (typeof data !== 'string') return data.removeRange((drop) => data.zsl.deleteRangeByScore(range, drop));
    const nodes = viewOf(data).nodes;
    let from = 0;
    while (from < nodes.length && !scoreGteMin((nodes[from] as SkipNode).score, range)) from++;
    let to = from;
    while (to < nodes.length && scoreLteMax((nodes[to] as SkipNode).score, range)) to++;
    return this.removePacked(nodes, from, to - 1);
  }

  deleteRangeByLex(range: LexRange): number {
    const data = this.data;
    if (typeof data !== 'string') return data.removeRange((drop) => data.zsl.deleteRangeByLex(range, drop));
    const first = this.firstInLexRange(range);
    if (first === null) return 0;
    const nodes = viewOf(data).nodes;
    const from = nodes.indexOf(first);
    let to = from;
    while (to < nodes.length && lexLteMax((nodes[to] as SkipNode).member, range)) to++;
    return this.removePacked(nodes, from, to - 1);
  }

  /** Turns a packed set into the large form (it stays so); returns that form. */
  toSkiplist(): SkipForm {
    const data = this.data;
    if (typeof data !== 'string') return data;
    const form = new SkipForm(this);
    // The form reports its growth to the owner's account as it fills: the whole change is
    // reported once below instead.
    const account = this.account;
    this.account = null;
    // Members of 13 chars or more read from the packed string are views of it: copied.
    for (const x of viewOf(data).nodes) form.insertNew(detached(x.member), x.score);
    this.account = account;
    const delta = form.bytes - stringBytes(data.length);
    this.data = form;
    if (account !== null) account.bytes += delta;
    return form;
  }

  /**
   * Packs a large set (whatever its size: the caller judged the limits); with `zeroSign`
   * false, -0 scores become 0 as they do in a listpack Redis builds (an already packed set too).
   */
  private toPacked(zeroSign = true): void {
    const data = this.data;
    if (typeof data === 'string') {
      if (!zeroSign && data.includes('-0')) this.repack(packNodes(viewOf(data).nodes.map((x) => new SkipNode(x.member, x.score === 0 ? 0 : x.score))));
      return;
    }
    const nodes: SkipNode[] = [];
    for (let x = data.zsl.first; x !== null; x = x.next) nodes.push(zeroSign || x.score !== 0 ? x : new SkipNode(x.member, 0));
    const packed = packNodes(nodes);
    const delta = stringBytes(packed.length) - data.bytes;
    this.data = packed;
    if (this.account !== null) this.account.bytes += delta;
  }

  /** A large set made by a ZSetLoader: the form it built becomes the set's. */
  static loaded(build: (owner: ZSet) => SkipForm): ZSet {
    const zset = new ZSet();
    zset.data = build(zset);
    return zset;
  }

  /** Sets the encoding: packed (listpack, every score kept as it is) or skiplist, converting as needed. */
  setCompact(compact: boolean): void {
    if (compact) this.toPacked();
    else this.toSkiplist();
  }

  /**
   * The encoding Redis gives a freshly built result set (ZUNIONSTORE, ZRANGESTORE…): a
   * listpack when it fits the limits.
   */
  fitEncoding(limits: ZSetLimits): void {
    let fits = this.size <= limits.maxEntries;
    if (fits) this.forEachMember((member) => {
      if (member.length > limits.maxValue) fits = false;
    });
    // A listpack keeps scores as text, where -0 reads back as 0.
    if (fits) this.toPacked(false);
    else this.toSkiplist();
  }

  clone(): ZSet {
    const copy = new ZSet();
    const data = this.data;
    if (typeof data === 'string') {
      // A copy of its own, as Redis's: shared, one string would be counted for both keys.
      copy.data = detached(data);
      return copy;
    }
    const form = copy.toSkiplist();
    for (let x = data.zsl.first; x !== null; x = x.next) form.insertNew(x.member, x.score);
    return copy;
  }
}

/**
 * Loads a large sorted set from members given from the highest (score, member) to the lowest,
 * as Redis saves a skiplist-encoded set in an RDB file: then each member is prepended to the
 * skiplist (SkipListBuilder), in O(its level) and with no search, which makes loading a
 * million members markedly cheaper than inserting them one by one. The first member out of
 * that order (a file written otherwise) turns the members so far into a set, and the rest are
 * inserted into it. The set is always a skiplist (the caller loads this way only what is too
 * large to be packed).
 */
export class ZSetLoader {
  private builder: SkipListBuilder | null = new SkipListBuilder();
  private readonly dict = new Map<string, SkipNode>();
  private memberBytes = 0;
  private lastScore = Infinity;
  private lastMember: string | null = null;
  /** The set once members stopped coming in order. */
  private zset: ZSet | null = null;

  /**
   * Adds a member, a string of its own (not a view into a packed string); false if it is
   * already there (the set is then not to be used).
   */
  add(member: string, score: number): boolean {
    const builder = this.builder;
    if (builder !== null) {
      const last = this.lastMember;
      if (last === null || score < this.lastScore || (score === this.lastScore && member < last)) {
        const dict = this.dict;
        const size = dict.size;
        dict.set(member, builder.prepend(score, member));
        if (dict.size === size) return false;
        this.memberBytes += stringBytes(member.length);
        this.lastScore = score;
        this.lastMember = member;
        return true;
      }
      this.zset = this.built();
    }
    return (this.zset as ZSet).insertNew(member, score, true);
  }

  /** The set; the loader must not be used after. */
  finish(): ZSet {
    return this.zset ?? this.built();
  }

  private built(): ZSet {
    const list = (this.builder as SkipListBuilder).finish();
    this.builder = null;
    return ZSet.loaded((owner) => new SkipForm(owner, list, this.dict, this.memberBytes));
  }
}
