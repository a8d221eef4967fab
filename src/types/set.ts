import { isIntEncodable, type CollectionValue } from './value.js';
import {
  arrayBytes, grownCapacity, mapBytes, mapCapacityFor, mapEntryAdded, mapEntryRemoved, objectBytes, packedReplaced, pushedCapacity, setBytes, setEntryAdded, setEntryRemoved,
  stringBytes, tableResized, type MapTable, type SizeAccount,
} from './heap-size.js';
import { copied, detached } from './packed.js';

/** The SetValue object: data, account. */
const SET_OBJECT_BYTES = objectBytes(3);
/** The table object: plain, index, members, slots, tableCapacity, tableRemoved, bytes. */
const TABLE_OBJECT_BYTES = objectBytes(7);

/**
 * The large form of a set, in one of two shapes:
 * - plain: a Set of the members, and nothing beside. What a set is until a member is drawn at
 *   random: an index for drawing would cost every member 16 bytes more (a Map's value slot
 *   and an array slot), in sets nothing is ever drawn from.
 * - indexed, from the first SPOP or SRANDMEMBER on: the members in an array (O(1) random
 *   access) and a map from member to its slot. A removed slot is filled by the last member,
 *   whose index is rewritten in place, which keeps its position in the map's iteration order
 *   (SSCAN walks the map with a live iterator). A set stays indexed: whoever draws from a set
 *   usually does so again.
 */
interface SetTable extends MapTable {
  /** The members, in the plain shape; null once indexed. */
  plain: Set<string> | null;
  /** The indexed shape's map from member to slot (an empty one while plain). */
  index: Map<string, number>;
  /** The indexed shape's array (an empty one while plain). */
  members: string[];
  /** The capacity V8 gave `members` (it grows by push). */
  slots: number;
  /** (MapTable: how V8 sizes the table of `plain`, or of `index`.) */
  /** The table form's bytes: its objects, arrays, Set or Map, and strings. */
  bytes: number;
}

/** The table form's own bytes (its strings apart). */
function tableBytes(table: SetTable): number {
  // A plain table's empty index and array are shared ones.
  if (table.plain !== null) return TABLE_OBJECT_BYTES + setBytes(table.tableCapacity);
  return TABLE_OBJECT_BYTES + mapBytes(table.tableCapacity) + arrayBytes(table.slots);
}

/**
 * The plain shape's empty index and array, shared by every plain table (never written to: a
 * table becoming indexed gets its own).
 */
const EMPTY_INDEX = new Map<string, number>();
const EMPTY_MEMBERS: string[] = [];

/** A plain table of `members`, with its bytes (`strings`: its members' strings). */
function plainTable(members: Set<string>, strings: number): SetTable {
  const table: SetTable = {
    plain: members, index: EMPTY_INDEX, members: EMPTY_MEMBERS, slots: 0, tableCapacity: mapCapacityFor(members.size), tableRemoved: 0, bytes: 0,
  };
  table.bytes = tableBytes(table) + strings;
  return table;
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

/*
 * The intset form, packed as Redis packs it: one latin1 string whose first char is the width
 * of every member in bytes (2, 4 or 8: the smallest that holds the largest member, widened for
 * good as larger members come, as Redis's intset is upgraded), then the members in ascending
 * order, each its two's complement in `width` chars, lowest byte first. Fixed widths allow a
 * binary search and O(1) access by position. A 64-bit member is handled as two 32-bit halves:
 * `hi` signed, `lo` unsigned, compared in that order.
 */

/** The halves of the member last parsed or read (one operation at a time uses them). */
let memberHi = 0;
let memberLo = 0;

const TWO_32 = 4294967296;

/** Parses an integer member (isIntEncodable) into memberHi / memberLo. */
function parseMember(member: string): void {
  const n = Number(member);
  if (Number.isSafeInteger(n)) {
    const hi = Math.floor(n / TWO_32);
    memberHi = hi;
    memberLo = n - hi * TWO_32;
  } else {
    const b = BigInt(member);
    memberHi = Number(BigInt.asIntN(32, b >> 32n));
    memberLo = Number(BigInt.asUintN(32, b));
  }
}

/** The width the parsed member needs. */
function widthOfParsed(): number {
  if (memberHi === 0 ? memberLo < 0x80000000 : memberHi === -1 && memberLo >= 0x80000000) {
    const v = memberLo | 0;
    return v >= -32768 && v <= 32767 ? 2 : 4;
  }
  return 8;
}

/** Reads the member at position i of packed `s` (width `w`) into memberHi / memberLo. */
function readAt(s: string, w: number, i: number): void {
  const p = 1 + i * w;
  if (w === 2) {
    const v = ((s.charCodeAt(p) | (s.charCodeAt(p + 1) << 8)) << 16) >> 16;
    memberHi = v < 0 ? -1 : 0;
    memberLo = v >>> 0;
    return;
  }
  memberLo = (s.charCodeAt(p) | (s.charCodeAt(p + 1) << 8) | (s.charCodeAt(p + 2) << 16) | (s.charCodeAt(p + 3) << 24)) >>> 0;
  if (w === 4) memberHi = memberLo >= 0x80000000 ? -1 : 0;
  else memberHi = s.charCodeAt(p + 4) | (s.charCodeAt(p + 5) << 8) | (s.charCodeAt(p + 6) << 16) | (s.charCodeAt(p + 7) << 24);
}

/** The chars of (hi, lo) at width w. */
function packInt(hi: number, lo: number, w: number): string {
  const c = String.fromCharCode;
  if (w === 2) return c(lo & 0xff, (lo >>> 8) & 0xff);
  const low = c(lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24);
  return w === 4 ? low : low + c(hi & 0xff, (hi >>> 8) & 0xff, (hi >>> 16) & 0xff, (hi >>> 24) & 0xff);
}

/** The text of (memberHi, memberLo): what the member was added as. */
function memberText(): string {
  if (memberHi >= -0x200000 && memberHi < 0x200000) return String(memberHi * TWO_32 + memberLo);
  return ((BigInt(memberHi) << 32n) + BigInt(memberLo)).toString();
}

/** Position of the parsed member in packed `s`, or -(insertion point) - 1. */
function searchParsed(s: string): number {
  const w = s.charCodeAt(0);
  const hi = memberHi;
  const lo = memberLo;
  let low = 0;
  let high = (s.length - 1) / w - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    readAt(s, w, mid);
    if (memberHi === hi && memberLo === lo) {
      memberHi = hi;
      return mid;
    }
    if (memberHi < hi || (memberHi === hi && memberLo < lo)) low = mid + 1;
    else high = mid - 1;
  }
  memberHi = hi;
  memberLo = lo;
  return -low - 1;
}

/** An empty intset: width 2, no members (a one-char string: V8's shared ones cost nothing). */
const EMPTY_INTSET = '\x02';

/**
 * A set of binary-safe (latin1) members. While every member is an integer and there are at
 * most set-max-intset-entries of them it is an "intset", packed (above): sorted by numeric
 * value, which is also the order Redis replies in. Otherwise it is a table, for good (Redis 7.0
 * has no listpack sets).
 *
 * The set keeps its size in V8's heap (`bytes`: its object and the packed string, or the
 * table's objects, arrays, Map and strings) as it changes, and tells its database's running
 * total (`account`) of each change. A packed set's size is read off its string's length.
 */
export class SetValue implements CollectionValue {
  /** The packed intset, or the table form. */
  private data: string | SetTable = EMPTY_INTSET;
  account: SizeAccount | null = null;
  access = -1;

  get bytes(): number {
    const data = this.data;
    return SET_OBJECT_BYTES + (typeof data === 'string' ? stringBytes(data.length) : data.bytes);
  }

  recountBytes(): number {
    const data = this.data;
    if (typeof data === 'string') return SET_OBJECT_BYTES + stringBytes(data.length);
    let bytes = SET_OBJECT_BYTES + tableBytes(data);
    for (const member of data.plain ?? data.members) bytes += stringBytes(member.length);
    return bytes;
  }

  /** Replaces the packed string, telling the account how its size changed. */
  private repack(packed: string): void {
    packedReplaced(this.account, this.data as string, packed);
    this.data = packed;
  }

  /**
   * A set in the table form holding `members` (the caller gives the array up); null when a
   * member repeats. For a large set built in one go (loading one from a file).
   */
  static fromDistinctMembers(members: string[]): SetValue | null {
    const plain = new Set<string>();
    let strings = 0;
    for (let i = 0; i < members.length; i++) {
      const member = members[i] as string;
      plain.add(member);
      // A repeated member leaves the size as it was.
      if (plain.size === i) return null;
      strings += stringBytes(member.length);
    }
    const set = new SetValue();
    set.data = plainTable(plain, strings);
    return set;
  }

  /**
   * An intset from its packed form (packedIntset): a Redis intset's width and contents, already
   * checked (ascending, no repeats). Loading one this way keeps the width it was saved with,
   * as Redis does.
   */
  static fromPackedIntset(packed: string): SetValue {
    const set = new SetValue();
    set.data = packed;
    return set;
  }

  get type(): 'set' {
    return 'set';
  }

  encoding(): string {
    return typeof this.data === 'string' ? 'intset' : 'hashtable';
  }

  get size(): number {
    const data = this.data;
    if (typeof data === 'string') return (data.length - 1) / data.charCodeAt(0);
    return data.plain !== null ? data.plain.size : data.members.length;
  }

  isCompact(): boolean {
    return typeof this.data === 'string';
  }

  has(member: string): boolean {
    const data = this.data;
    if (typeof data !== 'string') return data.plain !== null ? data.plain.has(member) : data.index.has(member);
    if (!isIntEncodable(member)) return false;
    parseMember(member);
    return searchParsed(data) >= 0;
  }

  /**
   * The members, to walk (nothing may change the set meanwhile): an intset's in numeric order,
   * which is also the order Redis replies in.
   */
  members(): Iterable<string> {
    const data = this.data;
    if (typeof data !== 'string') return data.plain ?? data.members;
    return this.byPosition();
  }

  /**
   * The members by position, for draws that pick positions (SRANDMEMBER with a count): the
   * table's own array (which makes the table indexed; not to be changed), or an intset's
   * members decoded.
   */
  byPosition(): readonly string[] {
    const data = this.data;
    if (typeof data !== 'string') return this.indexed(data).members;
    const n = this.size;
    const members = new Array<string>(n);
    for (let i = 0; i < n; i++) members[i] = this.memberAt(i);
    return members;
  }

  /** A member drawn at random (the set is not empty). */
  randomMember(): string {
    const data = this.data;
    const i = Math.floor(Math.random() * this.size);
    if (typeof data === 'string') return this.memberAt(i);
    return this.indexed(data).members[i] as string;
  }

  /** Removes and returns a member drawn at random (the set is not empty). */
  popRandom(): string {
    const i = Math.floor(Math.random() * this.size);
    const data = this.data;
    if (typeof data === 'string') {
      const member = this.memberAt(i);
      this.removePacked(data, i);
      return member;
    }
    const member = this.indexed(data).members[i] as string;
    this.delete(member);
    return member;
  }

  /** The member at position i (0 <= i < size) of an intset: numeric order. */
  private memberAt(i: number): string {
    const data = this.data as string;
    readAt(data, data.charCodeAt(0), i);
    return memberText();
  }

  /** Adds a member; true when it is new. `maxIntset` is set-max-intset-entries. */
  add(member: string, maxIntset: number): boolean {
    let data = this.data;
    if (typeof data === 'string') {
      if (isIntEncodable(member)) {
        parseMember(member);
        const needed = widthOfParsed();
        if (needed > data.charCodeAt(0)) {
          // Widened for good, as Redis upgrades an intset: a larger member cannot be there yet.
          this.repack(widenedIntset(data, needed, memberHi, memberLo));
        } else {
          const at = searchParsed(data);
          if (at >= 0) return false;
          const w = data.charCodeAt(0);
          const p = 1 + (-at - 1) * w;
          this.repack([data.slice(0, p), packInt(memberHi, memberLo, w), data.slice(p)].join(''));
        }
        if (this.size > Math.min(maxIntset, INTSET_HARD_LIMIT)) this.convert();
        return true;
      }
      data = this.convert();
    }
    const table = data;
    const plain = table.plain;
    if (plain !== null) {
      const size = plain.size;
      plain.add(member);
      if (plain.size === size) return false;
      tableResized(table, this.account, setEntryAdded(table, size + 1) + stringBytes(member.length));
      return true;
    }
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
    tableResized(table, this.account, delta);
    return true;
  }

  /** Removes a member; true if it was there. */
  delete(member: string): boolean {
    const data = this.data;
    if (typeof data === 'string') {
      if (!isIntEncodable(member)) return false;
      parseMember(member);
      const at = searchParsed(data);
      if (at < 0) return false;
      this.removePacked(data, at);
      return true;
    }
    const table = data;
    const plain = table.plain;
    if (plain !== null) {
      if (!plain.delete(member)) return false;
      tableResized(table, this.account, setEntryRemoved(table, plain.size) - stringBytes(member.length));
      return true;
    }
    const i = table.index.get(member);
    if (i === undefined) return false;
    table.index.delete(member);
    // The array keeps its capacity as it shrinks by pop (measured: V8 does not trim it).
    tableResized(table, this.account, mapEntryRemoved(table, table.index.size) - stringBytes((table.members[i] as string).length));
    const last = table.members.pop() as string;
    if (i !== table.members.length) {
      table.members[i] = last;
      table.index.set(last, i);
    }
    return true;
  }

  /** Removes the packed member at position i. */
  private removePacked(packed: string, i: number): void {
    const w = packed.charCodeAt(0);
    const p = 1 + i * w;
    this.repack([packed.slice(0, p), packed.slice(p + w)].join(''));
  }

  /**
   * The packed intset, or null for the table form: its first char is the members' width in
   * bytes, the rest their little-endian two's complement, ascending, which is what Redis's
   * intset holds after its header (RDB and DUMP write it from here).
   */
  packedIntset(): string | null {
    const data = this.data;
    return typeof data === 'string' ? data : null;
  }

  /**
   * A live iterator over the members of the table form (SSCAN). Only for the table form. A
   * plain table indexed meanwhile leaves the iterator on its old Set, which still holds every
   * member that was there throughout (what SSCAN promises).
   */
  scanMembers(): Iterator<string> {
    const table = this.data as SetTable;
    return table.plain !== null ? table.plain.keys() : table.index.keys();
  }

  /**
   * Rebuilds the set from scratch, choosing the encoding anew: what Redis does when SPOP with
   * a count copies the few remaining members into a new set (a table may become an intset).
   */
  rebuild(maxIntset: number): void {
    const members = Array.from(this.members());
    const delta = SET_OBJECT_BYTES - this.bytes;
    this.data = EMPTY_INTSET;
    if (this.account !== null) this.account.bytes += delta;
    for (let i = 0; i < members.length; i++) this.add(members[i] as string, maxIntset);
  }

  /** Turns the intset into the table form (plain), for good; returns the table. */
  private convert(): SetTable {
    const packed = this.data as string;
    const n = this.size;
    const plain = new Set<string>();
    let strings = 0;
    for (let i = 0; i < n; i++) {
      // Copied: the text of a number may be V8's cached one, shared with whoever made it too.
      const member = copied(this.memberAt(i));
      plain.add(member);
      strings += stringBytes(member.length);
    }
    const table = plainTable(plain, strings);
    this.data = table;
    if (this.account !== null) this.account.bytes += table.bytes - stringBytes(packed.length);
    return table;
  }

  /** Makes a plain table indexed (for good); returns it. */
  private indexed(table: SetTable): SetTable {
    const plain = table.plain;
    if (plain === null) return table;
    const before = tableBytes(table);
    const index = new Map<string, number>();
    const members: string[] = [];
    for (const member of plain) {
      index.set(member, members.length);
      members.push(member);
    }
    table.plain = null;
    table.index = index;
    table.members = members;
    table.slots = pushedCapacity(members.length);
    table.tableCapacity = mapCapacityFor(index.size);
    table.tableRemoved = 0;
    tableResized(table, this.account, tableBytes(table) - before);
    return table;
  }

  clone(): SetValue {
    const copy = new SetValue();
    const data = this.data;
    if (typeof data === 'string') {
      // A copy of its own: shared, one string would be counted for both keys.
      copy.data = detached(data);
    } else if (data.plain !== null) {
      copy.data = plainTable(new Set(data.plain), data.bytes - tableBytes(data));
    } else {
      const table: SetTable = {
        plain: null, index: new Map(data.index), members: data.members.slice(), slots: data.members.length, tableCapacity: mapCapacityFor(data.index.size), tableRemoved: 0, bytes: 0,
      };
      table.bytes = data.bytes - tableBytes(data) + tableBytes(table);
      copy.data = table;
    }
    return copy;
  }
}

/**
 * `packed` at width `w` (larger than its own) with (hi, lo) added: a member that needs the
 * wider width is beyond every one there, first when negative, else last.
 */
function widenedIntset(packed: string, w: number, hi: number, lo: number): string {
  const old = packed.charCodeAt(0);
  const n = (packed.length - 1) / old;
  const parts: string[] = [String.fromCharCode(w)];
  const first = hi < 0;
  if (first) parts.push(packInt(hi, lo, w));
  for (let i = 0; i < n; i++) {
    readAt(packed, old, i);
    parts.push(packInt(memberHi, memberLo, w));
  }
  if (!first) parts.push(packInt(hi, lo, w));
  memberHi = hi;
  memberLo = lo;
  return parts.join('');
}
