/**
 * The ordered half of a sorted set: a skiplist whose links carry spans (how many level-0 steps
 * each link jumps), so rank lookups and index ranges cost O(log n). Elements are ordered by
 * score, then by member; members are latin1 strings, whose char-code order is byte order.
 */
import { HEAP_NUMBER_BYTES, arrayBytes, objectBytes } from './heap-size.js';

export const SKIPLIST_MAX_LEVEL = 32;
const SKIPLIST_P = 0.25;

/** Links above level 3: for level i, [2i-8] is the next node and [2i-7] the span. */
type Links = Array<SkipNode | null | number>;

/*
 * Three nodes in four have level 1: such a node is one small object whose level-0 link is a
 * plain field (a level-0 span is always 1). Taller nodes hold levels 1-3 in fields too, so a
 * search reads no separate array until level 4, and only nodes above level 4 carry one.
 */
export class SkipNode {
  backward: SkipNode | null = null;
  /** The next node at level 0. */
  next: SkipNode | null = null;

  constructor(
    readonly member: string,
    public score: number,
  ) {}
}

/** What the shared scratch array holds between operations: a node of no list. */
const NO_NODE = new SkipNode('', 0);

/** A node of level 2 or more: next node and span of levels 1-3, then the rest in `up`. */
class TallNode extends SkipNode {
  n1: SkipNode | null = null;
  s1 = 0;
  n2: SkipNode | null = null;
  s2 = 0;
  n3: SkipNode | null = null;
  s3 = 0;
  up: Links | null;

  constructor(member: string, score: number, level: number) {
    super(member, score);
    if (level > 4) {
      // Holey, like the header's: link reads then see one elements kind.
      const up: Links = new Array<SkipNode | null | number>(2 * level - 8);
      for (let i = 0; i < up.length; i += 2) {
        up[i] = null;
        up[i + 1] = 0;
      }
      this.up = up;
    } else {
      this.up = null;
    }
  }
}

/*
 * Node sizes in V8's heap: a SkipNode's 4 fields, a TallNode's 11, a level above 4 its `up`
 * array, and the score: a small integer is kept in the field, any other number is a boxed
 * double of its own (measured; V8's field representations could box integers too, in a
 * process whose first nodes all had fractional scores).
 */
const SHORT_NODE_BYTES = objectBytes(4);
const TALL_NODE_BYTES = objectBytes(11);

/** What a score takes beside its node: nothing for a small integer (a Smi), else a boxed double. */
export function scoreBytes(score: number): number {
  return (score | 0) === score && !Object.is(score, -0) ? 0 : HEAP_NUMBER_BYTES;
}

/** Bytes of a node (its member apart). */
export function nodeBytes(node: SkipNode): number {
  const score = scoreBytes(node.score);
  if (!(node instanceof TallNode)) return SHORT_NODE_BYTES + score;
  return node.up === null ? TALL_NODE_BYTES + score : TALL_NODE_BYTES + score + arrayBytes(node.up.length);
}

/** The next node of x at level i (i below x's level). */
function fwd(x: SkipNode, i: number): SkipNode | null {
  switch (i) {
    case 0: return x.next;
    case 1: return (x as TallNode).n1;
    case 2: return (x as TallNode).n2;
    case 3: return (x as TallNode).n3;
    default: return ((x as TallNode).up as Links)[2 * i - 8] as SkipNode | null;
  }
}

/** Level-0 steps taken by x's link at level i. */
function spanAt(x: SkipNode, i: number): number {
  switch (i) {
    case 0: return 1;
    case 1: return (x as TallNode).s1;
    case 2: return (x as TallNode).s2;
    case 3: return (x as TallNode).s3;
    default: return ((x as TallNode).up as Links)[2 * i - 7] as number;
  }
}

/** Sets x's link at level i >= 1. */
function setLink(x: TallNode, i: number, next: SkipNode | null, span: number): void {
  switch (i) {
    case 1: x.n1 = next; x.s1 = span; return;
    case 2: x.n2 = next; x.s2 = span; return;
    case 3: x.n3 = next; x.s3 = span; return;
    default: {
      const up = x.up as Links;
      up[2 * i - 8] = next;
      up[2 * i - 7] = span;
    }
  }
}

/** Sets the span of x's link at level i >= 1. */
function setSpan(x: TallNode, i: number, span: number): void {
  switch (i) {
    case 1: x.s1 = span; return;
    case 2: x.s2 = span; return;
    case 3: x.s3 = span; return;
    default: ((x.up as Links)[2 * i - 7] = span);
  }
}

/** A score interval; `minex`/`maxex` make a bound exclusive ("(1.5"). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** -1 for "-" (below every member), 1 for "+" (above every member), 0 for a real bound. */
export type LexInfinity = -1 | 0 | 1;

/** A member interval as ZRANGEBYLEX takes it: "[a", "(a", "-", "+". */
export interface LexRange {
  min: string;
  max: string;
  minex: boolean;
  maxex: boolean;
  minInf: LexInfinity;
  maxInf: LexInfinity;
}

export function scoreGteMin(score: number, range: ScoreRange): boolean {
  return range.minex ? score > range.min : score >= range.min;
}

export function scoreLteMax(score: number, range: ScoreRange): boolean {
  return range.maxex ? score < range.max : score <= range.max;
}

export function lexGteMin(member: string, range: LexRange): boolean {
  if (range.minInf !== 0) return range.minInf < 0;
  return range.minex ? member > range.min : member >= range.min;
}

export function lexLteMax(member: string, range: LexRange): boolean {
  if (range.maxInf !== 0) return range.maxInf > 0;
  return range.maxex ? member < range.max : member <= range.max;
}

/** Whether a score range can hold anything at all. */
export function scoreRangeEmpty(range: ScoreRange): boolean {
  return range.min > range.max || (range.min === range.max && (range.minex || range.maxex));
}

/** Whether a lex range can hold anything at all. */
export function lexRangeEmpty(range: LexRange): boolean {
  if (range.minInf > 0 || range.maxInf < 0) return true;
  if (range.minInf < 0 || range.maxInf > 0) return false;
  return range.min > range.max || (range.min === range.max && (range.minex || range.maxex));
}

function randomLevel(): number {
  let level = 1;
  while (level < SKIPLIST_MAX_LEVEL && Math.random() < SKIPLIST_P) level++;
  return level;
}

/** Whether (score, member) sorts before the node. */
function before(node: SkipNode, score: number, member: string): boolean {
  return node.score < score || (node.score === score && node.member < member);
}

/** An empty list: the SkipList object (5 fields), its header node and the header's empty `up`. */
const EMPTY_SKIPLIST_BYTES = objectBytes(5) + TALL_NODE_BYTES + arrayBytes(0);

export class SkipList {
  /** A sentinel whose level grows with the list (small sets do not pay for 32 levels). */
  private readonly header = new TallNode('', 0, 1);
  tail: SkipNode | null = null;
  length = 0;
  level = 1;
  /**
   * Bytes of the list and its nodes in V8's heap, members apart (the owner counts those), kept
   * as nodes come and go. The header's links above level 4, a few hundred bytes at most, are
   * not counted.
   */
  bytes = EMPTY_SKIPLIST_BYTES;
  /**
   * Scratch arrays for insert/delete, shared by every list: one operation runs at a time. Each
   * operation clears the nodes it left in `update` (release()): through their backward links
   * they would keep the whole list alive after its key is deleted.
   */
  private static readonly update: SkipNode[] = new Array<SkipNode>(SKIPLIST_MAX_LEVEL).fill(NO_NODE);
  private static readonly rank: number[] = new Array<number>(SKIPLIST_MAX_LEVEL).fill(0);

  constructor() {
    this.header.up = new Array<SkipNode | null | number>(0);
  }

  /**
   * The list a SkipListBuilder made: its nodes are linked already; the header takes the first
   * node of each level, whose span is that node's rank.
   */
  static built(from: SkipListBuilder): SkipList {
    const list = new SkipList();
    const header = list.header;
    const total = from.length;
    for (let i = 0; i < from.level; i++) {
      const first = from.firsts[i] as SkipNode;
      const span = total - (from.firstIndex[i] as number);
      if (i === 0) header.next = first;
      else if (i < 4) setLink(header, i, first, span);
      else (header.up as Links).push(first, span);
    }
    list.level = from.level;
    list.tail = from.tail;
    list.length = total;
    list.bytes += from.nodeBytes;
    return list;
  }

  /** `bytes` computed afresh from the nodes (for tests). */
  recountBytes(): number {
    let bytes = EMPTY_SKIPLIST_BYTES;
    for (let x = this.header.next; x !== null; x = x.next) bytes += nodeBytes(x);
    return bytes;
  }

  get first(): SkipNode | null {
    return this.header.next;
  }

  /** Forgets the nodes an operation left in the shared `update` array (see there). */
  private static release(levels: number): void {
    const update = SkipList.update;
    for (let i = 0; i < levels; i++) update[i] = NO_NODE;
  }

  /** Fills `update` with the last node before (score, member) at each level. */
  private findUpdate(score: number, member: string): SkipNode {
    const update = SkipList.update;
    let x: SkipNode = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = fwd(x, i);
      while (next !== null && before(next, score, member)) {
        x = next;
        next = fwd(x, i);
      }
      update[i] = x;
    }
    return x;
  }

  /** Inserts a member the caller knows is absent. */
  insert(score: number, member: string): SkipNode {
    const update = SkipList.update;
    const rank = SkipList.rank;
    let x: SkipNode = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : (rank[i + 1] as number);
      let next = fwd(x, i);
      while (next !== null && before(next, score, member)) {
        rank[i] = (rank[i] as number) + spanAt(x, i);
        x = next;
        next = fwd(x, i);
      }
      update[i] = x;
    }
    const header = this.header;
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        if (i >= 4) (header.up as Links).push(null, this.length);
        else setLink(header, i, null, this.length);
        rank[i] = 0;
        update[i] = header;
      }
      this.level = level;
    }
    const node = level > 1 ? new TallNode(member, score, level) : new SkipNode(member, score);
    this.bytes += nodeBytes(node);
    const prev0 = update[0] as SkipNode;
    node.next = prev0.next;
    prev0.next = node;
    const rank0 = rank[0] as number;
    for (let i = 1; i < level; i++) {
      const prev = update[i] as TallNode;
      const stepped = rank0 - (rank[i] as number);
      setLink(node as TallNode, i, fwd(prev, i), spanAt(prev, i) - stepped);
      setLink(prev, i, node, stepped + 1);
    }
    for (let i = level; i < this.level; i++) {
      const prev = update[i] as TallNode;
      setSpan(prev, i, spanAt(prev, i) + 1);
    }
    node.backward = prev0 === header ? null : prev0;
    const next = node.next;
    if (next !== null) next.backward = node;
    else this.tail = node;
    this.length++;
    SkipList.release(this.level);
    return node;
  }

  /** Unlinks x given the predecessors at each level. */
  private unlink(x: SkipNode, update: SkipNode[]): void {
    this.bytes -= nodeBytes(x);
    (update[0] as SkipNode).next = x.next;
    for (let i = 1; i < this.level; i++) {
      const prev = update[i] as TallNode;
      if (fwd(prev, i) === x) setLink(prev, i, fwd(x, i), spanAt(prev, i) + spanAt(x, i) - 1);
      else setSpan(prev, i, spanAt(prev, i) - 1);
    }
    const next = x.next;
    if (next !== null) next.backward = x.backward;
    else this.tail = x.backward;
    const header = this.header;
    while (this.level > 1 && fwd(header, this.level - 1) === null) {
      if (this.level > 4) (header.up as Links).length -= 2;
      this.level--;
    }
    this.length--;
  }

  /** Removes (score, member); false if absent. */
  delete(score: number, member: string): boolean {
    const levels = this.level;
    const found = this.findUpdate(score, member).next;
    const present = found !== null && found.score === score && found.member === member;
    if (present) this.unlink(found, SkipList.update);
    SkipList.release(levels);
    return present;
  }

  /** Removes a node of this list. */
  deleteNode(node: SkipNode): void {
    const levels = this.level;
    this.findUpdate(node.score, node.member);
    this.unlink(node, SkipList.update);
    SkipList.release(levels);
  }

  /**
   * Gives a node of this list a new score. When it stays between its neighbours it is updated
   * in place (the common ZINCRBY case, with no search); otherwise it is moved and the new node
   * returned.
   */
  updateNode(node: SkipNode, newScore: number): SkipNode {
    const member = node.member;
    const prev = node.backward;
    const next = node.next;
    if ((prev === null || prev.score < newScore || (prev.score === newScore && prev.member < member)) &&
      (next === null || next.score > newScore || (next.score === newScore && next.member > member))) {
      this.bytes += scoreBytes(newScore) - scoreBytes(node.score);
      node.score = newScore;
      return node;
    }
    this.deleteNode(node);
    return this.insert(newScore, member);
  }

  /** Changes the score of (score, member), which must be present. */
  updateScore(score: number, member: string, newScore: number): SkipNode {
    const node = this.findUpdate(score, member).next as SkipNode;
    SkipList.release(this.level);
    return this.updateNode(node, newScore);
  }

  /** 1-based rank of (score, member), 0 if absent. */
  rankOf(score: number, member: string): number {
    let rank = 0;
    let x: SkipNode = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = fwd(x, i);
      while (next !== null && (next.score < score || (next.score === score && next.member <= member))) {
        rank += spanAt(x, i);
        x = next;
        next = fwd(x, i);
      }
      if (x !== this.header && x.member === member) return rank;
    }
    return 0;
  }

  /** The node at 1-based `rank`, or null. */
  byRank(rank: number): SkipNode | null {
    if (rank < 1 || rank > this.length) return null;
    let traversed = 0;
    let x: SkipNode = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = fwd(x, i);
      while (next !== null && traversed + spanAt(x, i) <= rank) {
        traversed += spanAt(x, i);
        x = next;
        next = fwd(x, i);
      }
      if (traversed === rank) return x;
    }
    return null;
  }

  /** First node whose score is within range, or null. */
  firstInScoreRange(range: ScoreRange): SkipNode | null {
    if (scoreRangeEmpty(range)) return null;
    let x: SkipNode = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = fwd(x, i);
      while (next !== null && !scoreGteMin(next.score, range)) {
        x = next;
        next = fwd(x, i);
      }
    }
    const found = x.next;
    return found !== null && scoreLteMax(found.score, range) ? found : null;
  }

  /** Last node whose score is within range, or null. */
  lastInScoreRange(range: ScoreRange): SkipNode | null {
    if (scoreRangeEmpty(range)) return null;
    let x: SkipNode = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = fwd(x, i);
      while (next !== null && scoreLteMax(next.score, range)) {
        x = next;
        next = fwd(x, i);
      }
    }
    return x !== this.header && scoreGteMin(x.score, range) ? x : null;
  }

  /**
   * Whether the range can hold anything, judged as Redis does from the two ends only: with
   * members of different scores the lex order is not the list's order, and Redis's answers
   * then follow from these checks and the walks below.
   */
  mayHoldLexRange(range: LexRange): boolean {
    if (lexRangeEmpty(range)) return false;
    const first = this.first;
    const tail = this.tail;
    return first !== null && tail !== null && lexGteMin(tail.member, range) && lexLteMax(first.member, range);
  }

  firstInLexRange(range: LexRange): SkipNode | null {
    if (!this.mayHoldLexRange(range)) return null;
    let x: SkipNode = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = fwd(x, i);
      while (next !== null && !lexGteMin(next.member, range)) {
        x = next;
        next = fwd(x, i);
      }
    }
    const found = x.next;
    return found !== null && lexLteMax(found.member, range) ? found : null;
  }

  lastInLexRange(range: LexRange): SkipNode | null {
    if (!this.mayHoldLexRange(range)) return null;
    let x: SkipNode = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = fwd(x, i);
      while (next !== null && lexLteMax(next.member, range)) {
        x = next;
        next = fwd(x, i);
      }
    }
    return x !== this.header && lexGteMin(x.member, range) ? x : null;
  }

  /**
   * Removes the nodes of 1-based ranks start..end (inclusive), calling `removed` for each
   * (the owner drops it from its member map). Returns how many went.
   */
  deleteRangeByRank(start: number, end: number, removed: (node: SkipNode) => void): number {
    const levels = this.level;
    const update = SkipList.update;
    let traversed = 0;
    let x: SkipNode = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = fwd(x, i);
      while (next !== null && traversed + spanAt(x, i) < start) {
        traversed += spanAt(x, i);
        x = next;
        next = fwd(x, i);
      }
      update[i] = x;
    }
    traversed++;
    let node = x.next;
    let count = 0;
    while (node !== null && traversed <= end) {
      const next = node.next;
      this.unlink(node, update);
      removed(node);
      count++;
      traversed++;
      node = next;
    }
    SkipList.release(levels);
    return count;
  }

  /** Removes every node whose score is within range. */
  deleteRangeByScore(range: ScoreRange, removed: (node: SkipNode) => void): number {
    const levels = this.level;
    const update = SkipList.update;
    let x: SkipNode = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = fwd(x, i);
      while (next !== null && !scoreGteMin(next.score, range)) {
        x = next;
        next = fwd(x, i);
      }
      update[i] = x;
    }
    let node = x.next;
    let count = 0;
    while (node !== null && scoreLteMax(node.score, range)) {
      const next = node.next;
      this.unlink(node, update);
      removed(node);
      count++;
      node = next;
    }
    SkipList.release(levels);
    return count;
  }

  /** Removes every node whose member is within range. */
  deleteRangeByLex(range: LexRange, removed: (node: SkipNode) => void): number {
    const levels = this.level;
    const update = SkipList.update;
    let x: SkipNode = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = fwd(x, i);
      while (next !== null && !lexGteMin(next.member, range)) {
        x = next;
        next = fwd(x, i);
      }
      update[i] = x;
    }
    let node = x.next;
    let count = 0;
    while (node !== null && lexLteMax(node.member, range)) {
      const next = node.next;
      this.unlink(node, update);
      removed(node);
      count++;
      node = next;
    }
    SkipList.release(levels);
    return count;
  }

  *[Symbol.iterator](): IterableIterator<SkipNode> {
    for (let x = this.first; x !== null; x = x.next) yield x;
  }
}

/**
 * Builds a list from its elements given from the highest to the lowest, as an RDB file holds
 * a large sorted set (Redis saves them so, to make loading cheap): each element becomes the new
 * first node in O(its level), with no search and none of the header's spans to move, which
 * are set once at the end. The caller makes sure each element sorts before the one given
 * before it.
 *
 * Spans are counted from the end: a node's index is how many were added before it (its
 * distance from the tail), so a link from a node at index k to one at index j spans k - j
 * (ranks are taken from the front), and a link to nothing spans k, the nodes after it, as
 * insert() leaves it.
 */
export class SkipListBuilder {
  /** At each level, the first node so far (null: none yet) and its index. */
  readonly firsts: (SkipNode | null)[] = new Array<SkipNode | null>(SKIPLIST_MAX_LEVEL).fill(null);
  readonly firstIndex: number[] = new Array<number>(SKIPLIST_MAX_LEVEL).fill(0);
  level = 1;
  length = 0;
  tail: SkipNode | null = null;
  /** Bytes of the nodes added (SkipList.bytes without the list's own). */
  nodeBytes = 0;

  /** Adds (score, member), which sorts before every element added so far; returns its node. */
  prepend(score: number, member: string): SkipNode {
    const level = randomLevel();
    const index = this.length;
    const firsts = this.firsts;
    const firstIndex = this.firstIndex;
    const node = level > 1 ? new TallNode(member, score, level) : new SkipNode(member, score);
    this.nodeBytes += nodeBytes(node);
    const next = firsts[0] as SkipNode | null;
    node.next = next;
    if (next !== null) next.backward = node;
    else this.tail = node;
    firsts[0] = node;
    for (let i = 1; i < level; i++) {
      setLink(node as TallNode, i, firsts[i] as SkipNode | null, index - (firstIndex[i] as number));
      firsts[i] = node;
      firstIndex[i] = index;
    }
    if (level > this.level) this.level = level;
    this.length = index + 1;
    return node;
  }

  /** The list, once every element was added; the builder must not be used after. */
  finish(): SkipList {
    return SkipList.built(this);
  }
}
