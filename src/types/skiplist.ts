/**
 * The ordered half of a sorted set: a skiplist whose links carry spans (how many level-0 steps
 * each link jumps), so rank lookups and index ranges cost O(log n). Elements are ordered by
 * score, then by member; members are latin1 strings, whose char-code order is byte order.
 */
export const SKIPLIST_MAX_LEVEL = 32;
const SKIPLIST_P = 0.25;

export class SkipNode {
  /** Next node at each level; length is the node's level. */
  readonly forward: Array<SkipNode | null>;
  /** Level-0 steps taken by forward[i]. */
  readonly span: number[];
  backward: SkipNode | null = null;

  constructor(
    readonly member: string,
    public score: number,
    level: number,
  ) {
    const forward: Array<SkipNode | null> = new Array<SkipNode | null>(level);
    const span: number[] = new Array<number>(level);
    for (let i = 0; i < level; i++) {
      forward[i] = null;
      span[i] = 0;
    }
    this.forward = forward;
    this.span = span;
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

export class SkipList {
  /** A sentinel whose level grows with the list (small sets do not pay for 32 levels). */
  readonly header = new SkipNode('', 0, 1);
  tail: SkipNode | null = null;
  length = 0;
  level = 1;
  /** Scratch arrays for insert/delete, shared by every list: one operation runs at a time. */
  private static readonly update: SkipNode[] = new Array<SkipNode>(SKIPLIST_MAX_LEVEL);
  private static readonly rank: number[] = new Array<number>(SKIPLIST_MAX_LEVEL).fill(0);

  get first(): SkipNode | null {
    return this.header.forward[0] ?? null;
  }

  /** Inserts a member the caller knows is absent. */
  insert(score: number, member: string): SkipNode {
    const update = SkipList.update;
    const rank = SkipList.rank;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : (rank[i + 1] as number);
      let next = x.forward[i] as SkipNode | null;
      while (next !== null && before(next, score, member)) {
        rank[i] = (rank[i] as number) + (x.span[i] as number);
        x = next;
        next = x.forward[i] as SkipNode | null;
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      const header = this.header;
      for (let i = this.level; i < level; i++) {
        header.forward.push(null);
        header.span.push(this.length);
        rank[i] = 0;
        update[i] = header;
      }
      this.level = level;
    }
    const node = new SkipNode(member, score, level);
    for (let i = 0; i < level; i++) {
      const prev = update[i] as SkipNode;
      node.forward[i] = prev.forward[i] as SkipNode | null;
      prev.forward[i] = node;
      const stepped = (rank[0] as number) - (rank[i] as number);
      node.span[i] = (prev.span[i] as number) - stepped;
      prev.span[i] = stepped + 1;
    }
    for (let i = level; i < this.level; i++) (update[i] as SkipNode).span[i]++;
    node.backward = update[0] === this.header ? null : (update[0] as SkipNode);
    const next = node.forward[0] as SkipNode | null;
    if (next !== null) next.backward = node;
    else this.tail = node;
    this.length++;
    return node;
  }

  /** Unlinks x given the predecessors at each level. */
  private unlink(x: SkipNode, update: SkipNode[]): void {
    for (let i = 0; i < this.level; i++) {
      const prev = update[i] as SkipNode;
      if (prev.forward[i] === x) {
        prev.span[i] = (prev.span[i] as number) + (x.span[i] as number) - 1;
        prev.forward[i] = x.forward[i] as SkipNode | null;
      } else {
        prev.span[i] = (prev.span[i] as number) - 1;
      }
    }
    const next = x.forward[0] as SkipNode | null;
    if (next !== null) next.backward = x.backward;
    else this.tail = x.backward;
    const header = this.header;
    while (this.level > 1 && header.forward[this.level - 1] === null) {
      header.forward.pop();
      header.span.pop();
      this.level--;
    }
    this.length--;
  }

  /** Removes (score, member); false if absent. */
  delete(score: number, member: string): boolean {
    const update = SkipList.update;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i] as SkipNode | null;
      while (next !== null && before(next, score, member)) {
        x = next;
        next = x.forward[i] as SkipNode | null;
      }
      update[i] = x;
    }
    const found = x.forward[0] as SkipNode | null;
    if (found === null || found.score !== score || found.member !== member) return false;
    this.unlink(found, update);
    return true;
  }

  /**
   * Changes a member's score. When the node stays between its neighbours it is updated in
   * place (the common ZINCRBY case); otherwise it is moved.
   */
  updateScore(score: number, member: string, newScore: number): SkipNode {
    const update = SkipList.update;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i] as SkipNode | null;
      while (next !== null && before(next, score, member)) {
        x = next;
        next = x.forward[i] as SkipNode | null;
      }
      update[i] = x;
    }
    const node = x.forward[0] as SkipNode;
    const prev = node.backward;
    const next = node.forward[0] as SkipNode | null;
    if ((prev === null || prev.score < newScore || (prev.score === newScore && prev.member < member)) &&
      (next === null || next.score > newScore || (next.score === newScore && next.member > member))) {
      node.score = newScore;
      return node;
    }
    this.unlink(node, update);
    return this.insert(newScore, member);
  }

  /** 1-based rank of (score, member), 0 if absent. */
  rankOf(score: number, member: string): number {
    let rank = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i] as SkipNode | null;
      while (next !== null && (next.score < score || (next.score === score && next.member <= member))) {
        rank += x.span[i] as number;
        x = next;
        next = x.forward[i] as SkipNode | null;
      }
      if (x !== this.header && x.member === member) return rank;
    }
    return 0;
  }

  /** The node at 1-based `rank`, or null. */
  byRank(rank: number): SkipNode | null {
    if (rank < 1 || rank > this.length) return null;
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i] as SkipNode | null;
      while (next !== null && traversed + (x.span[i] as number) <= rank) {
        traversed += x.span[i] as number;
        x = next;
        next = x.forward[i] as SkipNode | null;
      }
      if (traversed === rank) return x;
    }
    return null;
  }

  /** First node whose score is within range, or null. */
  firstInScoreRange(range: ScoreRange): SkipNode | null {
    if (scoreRangeEmpty(range)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i] as SkipNode | null;
      while (next !== null && !scoreGteMin(next.score, range)) {
        x = next;
        next = x.forward[i] as SkipNode | null;
      }
    }
    const found = x.forward[0] as SkipNode | null;
    return found !== null && scoreLteMax(found.score, range) ? found : null;
  }

  /** Last node whose score is within range, or null. */
  lastInScoreRange(range: ScoreRange): SkipNode | null {
    if (scoreRangeEmpty(range)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i] as SkipNode | null;
      while (next !== null && scoreLteMax(next.score, range)) {
        x = next;
        next = x.forward[i] as SkipNode | null;
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
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i] as SkipNode | null;
      while (next !== null && !lexGteMin(next.member, range)) {
        x = next;
        next = x.forward[i] as SkipNode | null;
      }
    }
    const found = x.forward[0] as SkipNode | null;
    return found !== null && lexLteMax(found.member, range) ? found : null;
  }

  lastInLexRange(range: LexRange): SkipNode | null {
    if (!this.mayHoldLexRange(range)) return null;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i] as SkipNode | null;
      while (next !== null && lexLteMax(next.member, range)) {
        x = next;
        next = x.forward[i] as SkipNode | null;
      }
    }
    return x !== this.header && lexGteMin(x.member, range) ? x : null;
  }

  /**
   * Removes the nodes of 1-based ranks start..end (inclusive), calling `removed` for each
   * (the owner drops it from its member map). Returns how many went.
   */
  deleteRangeByRank(start: number, end: number, removed: (node: SkipNode) => void): number {
    const update = SkipList.update;
    let traversed = 0;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i] as SkipNode | null;
      while (next !== null && traversed + (x.span[i] as number) < start) {
        traversed += x.span[i] as number;
        x = next;
        next = x.forward[i] as SkipNode | null;
      }
      update[i] = x;
    }
    traversed++;
    let node = x.forward[0] as SkipNode | null;
    let count = 0;
    while (node !== null && traversed <= end) {
      const next = node.forward[0] as SkipNode | null;
      this.unlink(node, update);
      removed(node);
      count++;
      traversed++;
      node = next;
    }
    return count;
  }

  /** Removes every node whose score is within range. */
  deleteRangeByScore(range: ScoreRange, removed: (node: SkipNode) => void): number {
    const update = SkipList.update;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i] as SkipNode | null;
      while (next !== null && !scoreGteMin(next.score, range)) {
        x = next;
        next = x.forward[i] as SkipNode | null;
      }
      update[i] = x;
    }
    let node = x.forward[0] as SkipNode | null;
    let count = 0;
    while (node !== null && scoreLteMax(node.score, range)) {
      const next = node.forward[0] as SkipNode | null;
      this.unlink(node, update);
      removed(node);
      count++;
      node = next;
    }
    return count;
  }

  /** Removes every node whose member is within range. */
  deleteRangeByLex(range: LexRange, removed: (node: SkipNode) => void): number {
    const update = SkipList.update;
    let x = this.header;
    for (let i = this.level - 1; i >= 0; i--) {
      let next = x.forward[i] as SkipNode | null;
      while (next !== null && !lexGteMin(next.member, range)) {
        x = next;
        next = x.forward[i] as SkipNode | null;
      }
      update[i] = x;
    }
    let node = x.forward[0] as SkipNode | null;
    let count = 0;
    while (node !== null && lexLteMax(node.member, range)) {
      const next = node.forward[0] as SkipNode | null;
      this.unlink(node, update);
      removed(node);
      count++;
      node = next;
    }
    return count;
  }

  *[Symbol.iterator](): IterableIterator<SkipNode> {
    for (let x = this.first; x !== null; x = x.forward[0] as SkipNode | null) yield x;
  }
}
