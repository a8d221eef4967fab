import type { CollectionValue } from './value.js';
import { MAP_INITIAL_CAPACITY, mapBytes, mapEntryAdded, mapEntryRemoved, objectBytes, stringBytes, type MapTable, type SizeAccount } from './heap-size.js';
import { SkipList, lexGteMin, lexLteMax, type LexRange, type ScoreRange, type SkipNode } from './skiplist.js';

/** The ZSet object: type, dict, zsl, compact, bytes, account, tableCapacity, tableRemoved. */
const ZSET_OBJECT_BYTES = objectBytes(8);

/** Limits under which Redis keeps a sorted set as a listpack (zset-max-listpack-*). */
export interface ZSetLimits {
  maxEntries: number;
  maxValue: number;
}

/**
 * A sorted set: the skiplist gives order and ranks, the map gives a member's node (and so its
 * score) in O(1).
 * Redis stores small sets as a listpack; here the structure is always the same and only the
 * reported encoding follows Redis's rules (a set turns into a skiplist once it outgrows the
 * limits and stays one, as in Redis).
 *
 * The set keeps its size in V8's heap (`bytes`: its objects, the skiplist's nodes, the Map,
 * the members' strings) as it changes, and tells its database's running total (`account`) of
 * each change. A member's string is shared by its node and the Map: counted once.
 */
export class ZSet implements CollectionValue, MapTable {
  readonly type = 'zset' as const;
  readonly dict = new Map<string, SkipNode>();
  readonly zsl = new SkipList();
  /** Whether Redis would hold this set as a listpack. */
  compact = true;
  bytes = ZSET_OBJECT_BYTES + mapBytes(MAP_INITIAL_CAPACITY) + this.zsl.bytes;
  account: SizeAccount | null = null;
  /** How V8 sizes `dict`'s table (MapTable). */
  tableCapacity = MAP_INITIAL_CAPACITY;
  tableRemoved = 0;

  recountBytes(): number {
    let bytes = ZSET_OBJECT_BYTES + mapBytes(this.tableCapacity) + this.zsl.recountBytes();
    for (const member of this.dict.keys()) bytes += stringBytes(member.length);
    return bytes;
  }

  /** The set's size changed by `delta` bytes. */
  private resized(delta: number): void {
    this.bytes += delta;
    if (this.account !== null) this.account.bytes += delta;
  }

  /** A member was added to the dict and the skiplist, whose bytes were `listBytes` before. */
  private added(member: string, listBytes: number): void {
    this.resized(mapEntryAdded(this, this.dict.size) + stringBytes(member.length) + this.zsl.bytes - listBytes);
  }

  get size(): number {
    return this.dict.size;
  }

  encoding(): string {
    return this.compact ? 'listpack' : 'skiplist';
  }

  score(member: string): number | undefined {
    return this.dict.get(member)?.score;
  }

  /** Adds or updates a member; true when it was new. Applies the encoding limits. */
  set(member: string, score: number, limits: ZSetLimits): boolean {
    const node = this.dict.get(member);
    if (node === undefined) {
      if (this.compact && (this.dict.size + 1 > limits.maxEntries || member.length > limits.maxValue)) {
        this.compact = false;
      }
      // A listpack keeps scores as text, where -0 reads back as 0.
      if (this.compact && score === 0) score = 0;
      const listBytes = this.zsl.bytes;
      this.dict.set(member, this.zsl.insert(score, member));
      this.added(member, listBytes);
      return true;
    }
    if (node.score !== score) {
      if (this.compact && score === 0) score = 0;
      const listBytes = this.zsl.bytes;
      const moved = this.zsl.updateNode(node, score);
      if (moved !== node) {
        this.dict.set(member, moved);
        // A moved member gets a node of a new random level.
        this.resized(this.zsl.bytes - listBytes);
      }
    }
    return false;
  }

  /** Appends a member known to be absent, skipping the limits (building a result set). */
  insertNew(member: string, score: number): void {
    const listBytes = this.zsl.bytes;
    this.dict.set(member, this.zsl.insert(score, member));
    this.added(member, listBytes);
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

  /** 0-based rank from the lowest (or the highest when `reverse`), or -1 if absent. */
  rank(member: string, reverse: boolean): number {
    const node = this.dict.get(member);
    if (node === undefined) return -1;
    const rank = this.zsl.rankOf(node.score, member);
    return reverse ? this.zsl.length - rank : rank - 1;
  }

  /** The node at 0-based index from the lowest. */
  nodeAt(index: number): SkipNode | null {
    return this.zsl.byRank(index + 1);
  }

  countInScoreRange(range: ScoreRange): number {
    const first = this.zsl.firstInScoreRange(range);
    if (first === null) return 0;
    const last = this.zsl.lastInScoreRange(range) as SkipNode;
    return this.zsl.rankOf(last.score, last.member) - this.zsl.rankOf(first.score, first.member) + 1;
  }

  /*
   * Lex ranges are only meaningful when every member has the same score. Otherwise Redis's
   * answers depend on its encoding: a listpack is scanned in order from one end, a skiplist is
   * walked top-down. The compact form follows the listpack's scans so replies match Redis's.
   */

  /** First node in the lex range (Redis's zzlFirstInLexRange / zslFirstInLexRange). */
  firstInLexRange(range: LexRange): SkipNode | null {
    if (!this.compact) return this.zsl.firstInLexRange(range);
    if (!this.zsl.mayHoldLexRange(range)) return null;
    for (let x = this.zsl.first; x !== null; x = x.next) {
      if (lexGteMin(x.member, range)) return lexLteMax(x.member, range) ? x : null;
    }
    return null;
  }

  /** Last node in the lex range, scanning back from the tail when compact. */
  lastInLexRange(range: LexRange): SkipNode | null {
    if (!this.compact) return this.zsl.lastInLexRange(range);
    if (!this.zsl.mayHoldLexRange(range)) return null;
    for (let x = this.zsl.tail; x !== null; x = x.backward) {
      if (lexLteMax(x.member, range)) return lexGteMin(x.member, range) ? x : null;
    }
    return null;
  }

  countInLexRange(range: LexRange): number {
    const first = this.firstInLexRange(range);
    if (first === null) return 0;
    if (this.compact) {
      let count = 0;
      for (let x: SkipNode | null = first; x !== null && lexLteMax(x.member, range); x = x.next) count++;
      return count;
    }
    // Redis's arithmetic on ranks, which with mixed scores may even go below zero.
    const length = this.zsl.length;
    let count = length - (this.zsl.rankOf(first.score, first.member) - 1);
    const last = this.zsl.lastInLexRange(range);
    if (last !== null) count -= length - this.zsl.rankOf(last.score, last.member);
    return count;
  }

  /**
   * Runs a removal of nodes from the skiplist, given the callback that drops each one's member
   * from the dict, and counts what went. (The callback is made per call: as a field, a closure
   * costs each sorted set a few hundred bytes of V8's heap.)
   */
  private removeRange(remove: (drop: (node: SkipNode) => void) => number): number {
    const listBytes = this.zsl.bytes;
    let delta = 0;
    const removed = remove((node) => {
      this.dict.delete(node.member);
      delta += mapEntryRemoved(this, this.dict.size) - stringBytes(node.member.length);
    });
    this.resized(delta + this.zsl.bytes - listBytes);
    return removed;
  }

  /** Removes 0-based ranks start..end inclusive (already clamped). */
  deleteRangeByRank(start: number, end: number): number {
    return this.removeRange((drop) => this.zsl.deleteRangeByRank(start + 1, end + 1, drop));
  }

  deleteRangeByScore(range: ScoreRange): number {
    return this.removeRange((drop) => this.zsl.deleteRangeByScore(range, drop));
  }

  deleteRangeByLex(range: LexRange): number {
    if (!this.compact) return this.removeRange((drop) => this.zsl.deleteRangeByLex(range, drop));
    let x = this.firstInLexRange(range);
    let count = 0;
    while (x !== null && lexLteMax(x.member, range)) {
      const next = x.next;
      this.delete(x.member);
      count++;
      x = next;
    }
    return count;
  }

  /**
   * The encoding Redis gives a freshly built result set (ZUNIONSTORE, ZRANGESTORE…): a
   * listpack when it fits the limits.
   */
  fitEncoding(limits: ZSetLimits): void {
    if (this.dict.size > limits.maxEntries) {
      this.compact = false;
      return;
    }
    for (const member of this.dict.keys()) {
      if (member.length > limits.maxValue) {
        this.compact = false;
        return;
      }
    }
    this.compact = true;
    // A listpack keeps scores as text, where -0 reads back as 0.
    for (let x = this.zsl.first; x !== null; x = x.next) {
      if (Object.is(x.score, -0)) this.zsl.updateNode(x, 0);
    }
  }

  clone(): ZSet {
    const copy = new ZSet();
    for (let x = this.zsl.first; x !== null; x = x.next) copy.insertNew(x.member, x.score);
    copy.compact = this.compact;
    return copy;
  }
}
