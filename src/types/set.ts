import { isIntEncodable, type CollectionValue } from './value.js';

/**
 * The large form of a set: the members in an array (O(1) random access for SPOP/SRANDMEMBER)
 * and a map from member to its slot. A removed slot is filled by the last member, whose index
 * is rewritten in place, which keeps its position in the map's iteration order (SSCAN walks the
 * map with a live iterator).
 */
interface SetTable {
  index: Map<string, number>;
  members: string[];
}

/** Redis caps intsets at 1G entries whatever set-max-intset-entries says. */
const INTSET_HARD_LIMIT = 1 << 30;

/**
 * Numeric order of two canonical 64-bit integer texts (what isIntEncodable accepts), without
 * parsing: sign first, then length, then the digits.
 */
export function compareIntText(a: string, b: string): number {
  const negA = a.charCodeAt(0) === 45;
  const negB = b.charCodeAt(0) === 45;
  if (negA !== negB) return negA ? -1 : 1;
  let c: number;
  if (a.length !== b.length) c = a.length - b.length;
  else c = a < b ? -1 : a > b ? 1 : 0;
  return negA ? 0 - c : c; // 0 - c: equal texts compare as +0, not -0
}

/**
 * A set of binary-safe (latin1) members. While every member is an integer and there are at
 * most set-max-intset-entries of them it is an "intset": the members sorted by numeric value,
 * which is also the order Redis replies in. Otherwise it is a table, for good (Redis 7.0 has no
 * listpack sets).
 */
export class SetValue implements CollectionValue {
  /** Intset form, sorted numerically; null once converted. */
  private ints: string[] | null = [];
  private table: SetTable | null = null;

  /**
   * A set in the table form holding `members`, which becomes its storage (the caller gives the
   * array up); null when a member repeats. For a large set built in one go (loading one from a
   * file): one map probe per member and no array growing as it fills.
   */
  static fromDistinctMembers(members: string[]): SetValue | null {
    const index = new Map<string, number>();
    for (let i = 0; i < members.length; i++) {
      index.set(members[i] as string, i);
      // A repeated member leaves the size as it was.
      if (index.size === i) return null;
    }
    const set = new SetValue();
    set.ints = null;
    set.table = { index, members };
    return set;
  }

  get type(): 'set' {
    return 'set';
  }

  encoding(): string {
    return this.ints !== null ? 'intset' : 'hashtable';
  }

  get size(): number {
    return this.ints !== null ? this.ints.length : (this.table as SetTable).members.length;
  }

  isCompact(): boolean {
    return this.ints !== null;
  }

  /** Position of `member` in the sorted intset, or -(insertion point) - 1. */
  private search(member: string): number {
    const ints = this.ints as string[];
    let lo = 0;
    let hi = ints.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareIntText(ints[mid] as string, member);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  has(member: string): boolean {
    if (this.ints !== null) return isIntEncodable(member) && this.search(member) >= 0;
    return (this.table as SetTable).index.has(member);
  }

  /** The member at position i (0 <= i < size): numeric order while an intset. */
  memberAt(i: number): string {
    return (this.ints !== null ? this.ints[i] : (this.table as SetTable).members[i]) as string;
  }

  /** Adds a member; true when it is new. `maxIntset` is set-max-intset-entries. */
  add(member: string, maxIntset: number): boolean {
    const ints = this.ints;
    if (ints !== null) {
      if (isIntEncodable(member)) {
        const at = this.search(member);
        if (at >= 0) return false;
        ints.splice(-at - 1, 0, member);
        if (ints.length > Math.min(maxIntset, INTSET_HARD_LIMIT)) this.convert();
        return true;
      }
      this.convert();
    }
    const table = this.table as SetTable;
    if (table.index.has(member)) return false;
    table.index.set(member, table.members.length);
    table.members.push(member);
    return true;
  }

  /** Removes a member; true if it was there. */
  delete(member: string): boolean {
    const ints = this.ints;
    if (ints !== null) {
      if (!isIntEncodable(member)) return false;
      const at = this.search(member);
      if (at < 0) return false;
      ints.splice(at, 1);
      return true;
    }
    const table = this.table as SetTable;
    const i = table.index.get(member);
    if (i === undefined) return false;
    table.index.delete(member);
    const last = table.members.pop() as string;
    if (i !== table.members.length) {
      table.members[i] = last;
      table.index.set(last, i);
    }
    return true;
  }

  /** Removes and returns the member at position i. */
  deleteAt(i: number): string {
    const member = this.memberAt(i);
    if (this.ints !== null) this.ints.splice(i, 1);
    else this.delete(member);
    return member;
  }

  /** A live iterator over the members of the table form (SSCAN). Only for the table form. */
  scanMembers(): Iterator<string> {
    return (this.table as SetTable).index.keys();
  }

  /**
   * Rebuilds the set from scratch, choosing the encoding anew: what Redis does when SPOP with
   * a count copies the few remaining members into a new set (a table may become an intset).
   */
  rebuild(maxIntset: number): void {
    const n = this.size;
    const members = new Array<string>(n);
    for (let i = 0; i < n; i++) members[i] = this.memberAt(i);
    this.ints = [];
    this.table = null;
    for (let i = 0; i < n; i++) this.add(members[i] as string, maxIntset);
  }

  private convert(): void {
    const ints = this.ints as string[];
    const index = new Map<string, number>();
    for (let i = 0; i < ints.length; i++) index.set(ints[i] as string, i);
    this.table = { index, members: ints };
    this.ints = null;
  }

  clone(): SetValue {
    const copy = new SetValue();
    if (this.ints !== null) {
      copy.ints = this.ints.slice();
    } else {
      const t = this.table as SetTable;
      copy.ints = null;
      copy.table = { index: new Map(t.index), members: t.members.slice() };
    }
    return copy;
  }
}
