import { isIntEncodable, type CollectionValue } from './value.js';
import {
  arrayBytes, grownCapacity, mapBytes, mapCapacityFor, mapEntryAdded, mapEntryRemoved, objectBytes, packedReplaced, stringBytes, tableResized, type MapTable, type SizeAccount,
} from './heap-size.js';
import { copied, detached } from './packed.js';

/** The SetValue object: data, account. */
const SET_OBJECT_BYTES = objectBytes(3);
/** The table object: index, members, slots, tableCapacity, tableRemoved, bytes. */
const TABLE_OBJECT_BYTES = objectBytes(6);

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
  /** The table form's bytes: its objects, array, Map and strings. */
  bytes: number;
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
    for (const member of data.members) bytes += stringBytes(member.length);
    return bytes;
  }

  /** Replaces the packed string, telling the account how its size changed. */
  private repack(packed: string): void {
    packedReplaced(this.account, this.data as string, packed);
    this.data = packed;
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
    const table: SetTable = { index, members, slots: members.length, tableCapacity: mapCapacityFor(index.size), tableRemoved: 0, bytes: 0 };
    set.data = table;
    table.bytes = set.recountBytes() - SET_OBJECT_BYTES;
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
    return typeof data === 'string' ? (data.length - 1) / data.charCodeAt(0) : data.members.length;
  }

  isCompact(): boolean {
    return typeof this.data === 'string';
  }

  has(member: string): boolean {
    const data = this.data;
    if (typeof data !== 'string') return data.index.has(member);
    if (!isIntEncodable(member)) return false;
    parseMember(member);
    return searchParsed(data) >= 0;
  }

  /** The member at position i (0 <= i < size): numeric order while an intset. */
  memberAt(i: number): string {
    const data = this.data;
    if (typeof data !== 'string') return data.members[i] as string;
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

  /** Removes and returns the member at position i. */
  deleteAt(i: number): string {
    const member = this.memberAt(i);
    const data = this.data;
    if (typeof data === 'string') this.removePacked(data, i);
    else this.delete(member);
    return member;
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

  /** A live iterator over the members of the table form (SSCAN). Only for the table form. */
  scanMembers(): Iterator<string> {
    return (this.data as SetTable).index.keys();
  }

  /**
   * Rebuilds the set from scratch, choosing the encoding anew: what Redis does when SPOP with
   * a count copies the few remaining members into a new set (a table may become an intset).
   */
  rebuild(maxIntset: number): void {
    const n = this.size;
    const members = new Array<string>(n);
    for (let i = 0; i < n; i++) members[i] = this.memberAt(i);
    const delta = SET_OBJECT_BYTES - this.bytes;
    this.data = EMPTY_INTSET;
    if (this.account !== null) this.account.bytes += delta;
    for (let i = 0; i < n; i++) this.add(members[i] as string, maxIntset);
  }

  /** Turns the intset into the table form, for good; returns the table. */
  private convert(): SetTable {
    const packed = this.data as string;
    const n = this.size;
    const members = new Array<string>(n);
    const index = new Map<string, number>();
    let strings = 0;
    for (let i = 0; i < n; i++) {
      // Copied: the text of a number may be V8's cached one, shared with whoever made it too.
      const member = copied(this.memberAt(i));
      members[i] = member;
      index.set(member, i);
      strings += stringBytes(member.length);
    }
    const table: SetTable = { index, members, slots: n, tableCapacity: mapCapacityFor(n), tableRemoved: 0, bytes: 0 };
    table.bytes = tableBytes(table) + strings;
    this.data = table;
    if (this.account !== null) this.account.bytes += table.bytes - stringBytes(packed.length);
    return table;
  }

  clone(): SetValue {
    const copy = new SetValue();
    const data = this.data;
    if (typeof data === 'string') {
      // A copy of its own: shared, one string would be counted for both keys.
      copy.data = detached(data);
    } else {
      const table: SetTable = {
        index: new Map(data.index), members: data.members.slice(), slots: data.members.length, tableCapacity: mapCapacityFor(data.index.size), tableRemoved: 0, bytes: 0,
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
