import { isIntEncodable, type CollectionValue } from './value.js';
import {
  arrayBytes, grownCapacity, mapBytes, mapCapacityFor, mapEntryAdded, mapEntryRemoved, objectBytes, pushedCapacity, stringBytes, type MapTable, type SizeAccount,
} from './heap-size.js';

/** The SetValue object: ints, table, bytes, account. */
const SET_OBJECT_BYTES = objectBytes(4);
/** The table object: index, members, slots, tableCapacity, tableRemoved. */
const TABLE_OBJECT_BYTES = objectBytes(5);

/**
 * The large form of a set: the members in an array (O(1) random access for SPOP/SRANDMEMBER)
 * and a map from member to its slot. A removed slot is filled by the last member, whose index
 * is rewritten in place, which keeps its position in the map's iteration order (SSCAN walks the
 * map with a live iterator).
 */
interface SetTable extends MapTable {
  index: Map<string, number>;
  members: string[];
  /** The capacity V8 gave `members` (it grows by push). */
  slots: number;
  /** (MapTable: how V8 sizes `index`'s table.) */
}

/** The table form's own bytes (its strings apart). */
function tableBytes(table: SetTable): number {
  return TABLE_OBJECT_BYTES + mapBytes(table.tableCapacity) + arrayBytes(table.slots);
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
 *
 * The set keeps its size in V8's heap (`bytes`: its objects, arrays, Map and strings) as it
 * changes, and tells its database's running total (`account`) of each change. The intset's
 * array grows by splice, as by push (pushedCapacity).
 */
export class SetValue implements CollectionValue {
  /** Intset form, sorted numerically; null once converted. */
  private ints: string[] | null = [];
  private table: SetTable | null = null;
  bytes = SET_OBJECT_BYTES + arrayBytes(0);
  account: SizeAccount | null = null;

  recountBytes(): number {
    let bytes = SET_OBJECT_BYTES + (this.ints !== null ? arrayBytes(pushedCapacity(this.ints.length)) : tableBytes(this.table as SetTable));
    for (let i = 0; i < this.size; i++) bytes += stringBytes(this.memberAt(i).length);
    return bytes;
  }

  /** The set's size changed by `delta` bytes. */
  private resized(delta: number): void {
    this.bytes += delta;
    if (this.account !== null) this.account.bytes += delta;
  }

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
    set.table = { index, members, slots: members.length, tableCapacity: mapCapacityFor(index.size), tableRemoved: 0 };
    set.bytes = set.recountBytes();
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
        const n = ints.length;
        this.resized(arrayBytes(pushedCapacity(n)) - arrayBytes(pushedCapacity(n - 1)) + stringBytes(member.length));
        if (n > Math.min(maxIntset, INTSET_HARD_LIMIT)) this.convert();
        return true;
      }
      this.convert();
    }
    const table = this.table as SetTable;
    if (table.index.has(member)) return false;
    table.index.set(member, table.members.length);
    table.members.push(member);
    let delta = mapEntryAdded(table, table.index.size) + stringBytes(member.length);
    const length = table.members.length;
    if (length > table.slots) {
      const slots = grownCapacity(length);
      delta += arrayBytes(slots) - arrayBytes(table.slots);
      table.slots = slots;
    }
    this.resized(delta);
    return true;
  }

  /** Removes a member; true if it was there. */
  delete(member: string): boolean {
    const ints = this.ints;
    if (ints !== null) {
      if (!isIntEncodable(member)) return false;
      const at = this.search(member);
      if (at < 0) return false;
      const n = ints.length;
      this.resized(arrayBytes(pushedCapacity(n - 1)) - arrayBytes(pushedCapacity(n)) - stringBytes((ints[at] as string).length));
      ints.splice(at, 1);
      return true;
    }
    const table = this.table as SetTable;
    const i = table.index.get(member);
    if (i === undefined) return false;
    table.index.delete(member);
    // The array keeps its capacity as it shrinks by pop (measured: V8 does not trim it).
    this.resized(mapEntryRemoved(table, table.index.size) - stringBytes((table.members[i] as string).length));
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
    const ints = this.ints;
    if (ints !== null) {
      const n = ints.length;
      this.resized(arrayBytes(pushedCapacity(n - 1)) - arrayBytes(pushedCapacity(n)) - stringBytes(member.length));
      ints.splice(i, 1);
    } else {
      this.delete(member);
    }
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
    this.resized(SET_OBJECT_BYTES + arrayBytes(0) - this.bytes);
    this.ints = [];
    this.table = null;
    for (let i = 0; i < n; i++) this.add(members[i] as string, maxIntset);
  }

  private convert(): void {
    const ints = this.ints as string[];
    const index = new Map<string, number>();
    for (let i = 0; i < ints.length; i++) index.set(ints[i] as string, i);
    // The intset's array becomes the members' array, with the capacity it had.
    const slots = pushedCapacity(ints.length);
    const table: SetTable = { index, members: ints, slots, tableCapacity: mapCapacityFor(ints.length), tableRemoved: 0 };
    this.resized(tableBytes(table) - arrayBytes(slots));
    this.table = table;
    this.ints = null;
  }

  clone(): SetValue {
    const copy = new SetValue();
    if (this.ints !== null) {
      copy.ints = this.ints.slice();
      copy.bytes = this.bytes;
    } else {
      const t = this.table as SetTable;
      copy.ints = null;
      const table: SetTable = { index: new Map(t.index), members: t.members.slice(), slots: t.members.length, tableCapacity: mapCapacityFor(t.index.size), tableRemoved: 0 };
      copy.table = table;
      copy.bytes = this.bytes - tableBytes(t) + tableBytes(table);
    }
    return copy;
  }
}
