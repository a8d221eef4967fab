import { errTooManyElements, maxTableEntries } from './table-limit.js';
import { isIntEncodable, type CollectionValue } from './value.js';
import { mapCapacityFor, objectBytes, packedReplaced, setBytes, setEntryAdded, setEntryRemoved, stringBytes, tableResized, type MapTable, type SizeAccount } from './heap-size.js';
import { DrawIndex } from './draw-index.js';
import { copied, detached } from './packed.js';

/** The SetValue object: data, account. */
const SET_OBJECT_BYTES = objectBytes(3);
/** The table object: members, draws, tableCapacity, tableRemoved, bytes. */
const TABLE_OBJECT_BYTES = objectBytes(5);

/**
 * The large form of a set: a Set of the members, and, from the first SPOP or SRANDMEMBER on, a
 * DrawIndex beside it for drawing members at random (8 bytes a member: what a set that is
 * never drawn from does not pay).
 */
interface SetTable extends MapTable {
  members: Set<string>;
  draws: DrawIndex | null;
  /** (MapTable: how V8 sizes the table of `members`.) */
  /** The table form's bytes: its objects, Set, draw index and strings. */
  bytes: number;
}

/** The table form's own bytes (its strings and draw index apart). */
function tableBytes(table: SetTable): number {
  return TABLE_OBJECT_BYTES + setBytes(table.tableCapacity);
}

/** A table of `members`, with its bytes (`strings`: its members' strings). */
function newTable(members: Set<string>, strings: number): SetTable {
  const table: SetTable = { members, draws: null, tableCapacity: mapCapacityFor(members.size), tableRemoved: 0, bytes: 0 };
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
    // The draw index keeps its own tally (its stale strings cannot be told from the table).
    let bytes = SET_OBJECT_BYTES + tableBytes(data) + (data.draws?.bytes ?? 0);
    for (const member of data.members) bytes += stringBytes(member.length);
    return bytes;
  }

  /** Replaces the packed string, telling the account how its size changed. */
  private repack(packed: string): void {
    packedReplaced(this.account, this.data as string, packed);
    this.data = packed;
  }

  /**
   * A set in the table form holding `members`; null when a member repeats. For a large set
   * built in one go (loading one from a file).
   */
  static fromDistinctMembers(members: readonly string[]): SetValue | null {
    const table = new Set<string>();
    let strings = 0;
    for (let i = 0; i < members.length; i++) {
      const member = members[i] as string;
      table.add(member);
      // A repeated member leaves the size as it was.
      if (table.size === i) return null;
      strings += stringBytes(member.length);
    }
    const set = new SetValue();
    set.data = newTable(table, strings);
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
    return typeof data === 'string' ? (data.length - 1) / data.charCodeAt(0) : data.members.size;
  }

  isCompact(): boolean {
    return typeof this.data === 'string';
  }

  has(member: string): boolean {
    const data = this.data;
    if (typeof data !== 'string') return data.members.has(member);
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
    return typeof data === 'string' ? this.byPosition() : data.members;
  }

  /**
   * The members by position, for draws that pick positions (SRANDMEMBER with a count): the
   * table's draw index (made if need be; not to be changed), or an intset's members decoded.
   */
  byPosition(): readonly string[] {
    const data = this.data;
    if (typeof data !== 'string') {
      const draws = this.drawsOf(data);
      const before = draws.bytes;
      const keys = draws.compacted();
      tableResized(data, this.account, draws.bytes - before);
      return keys;
    }
    const n = this.size;
    const members = new Array<string>(n);
    for (let i = 0; i < n; i++) members[i] = this.memberAt(i);
    return members;
  }

  /** A member drawn at random (the set is not empty). */
  randomMember(): string {
    const data = this.data;
    if (typeof data === 'string') return this.memberAt(Math.floor(Math.random() * this.size));
    const draws = this.drawsOf(data);
    const before = draws.bytes;
    const member = draws.keys[draws.draw()] as string;
    tableResized(data, this.account, draws.bytes - before);
    return member;
  }

  /** Removes and returns a member drawn at random (the set is not empty). */
  popRandom(): string {
    const data = this.data;
    if (typeof data === 'string') {
      const i = Math.floor(Math.random() * this.size);
      const member = this.memberAt(i);
      this.removePacked(data, i);
      return member;
    }
    const draws = this.drawsOf(data);
    const before = draws.bytes;
    const i = draws.draw();
    const member = draws.keys[i] as string;
    draws.takeAt(i);
    data.members.delete(member);
    tableResized(data, this.account, draws.bytes - before + setEntryRemoved(data, data.members.size) - stringBytes(member.length));
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
    const members = table.members;
    const size = members.size;
    if (size >= maxTableEntries && !members.has(member)) throw errTooManyElements();
    members.add(member);
    if (members.size === size) return false;
    let delta = setEntryAdded(table, size + 1) + stringBytes(member.length);
    const draws = table.draws;
    if (draws !== null) {
      const before = draws.bytes;
      draws.added(member);
      delta += draws.bytes - before;
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
    if (!table.members.delete(member)) return false;
    let delta = setEntryRemoved(table, table.members.size) - stringBytes(member.length);
    const draws = table.draws;
    if (draws !== null) {
      const before = draws.bytes;
      draws.removed(member);
      delta += draws.bytes - before;
      if (draws.tooBig(table.members.size)) {
        table.draws = null;
        delta -= draws.bytes;
      }
    }
    tableResized(table, this.account, delta);
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

  /** A live iterator over the members of the table form (SSCAN). Only for the table form. */
  scanMembers(): Iterator<string> {
    return (this.data as SetTable).members.keys();
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

  /** Turns the intset into the table form, for good; returns the table. */
  private convert(): SetTable {
    const packed = this.data as string;
    const n = this.size;
    const members = new Set<string>();
    let strings = 0;
    for (let i = 0; i < n; i++) {
      // Copied: the text of a number may be V8's cached one, shared with whoever made it too.
      const member = copied(this.memberAt(i));
      members.add(member);
      strings += stringBytes(member.length);
    }
    const table = newTable(members, strings);
    this.data = table;
    if (this.account !== null) this.account.bytes += table.bytes - stringBytes(packed.length);
    return table;
  }

  /** The table's draw index, made on the first draw. */
  private drawsOf(table: SetTable): DrawIndex {
    let draws = table.draws;
    if (draws === null) {
      draws = table.draws = new DrawIndex(table.members);
      tableResized(table, this.account, draws.bytes);
    }
    return draws;
  }

  clone(): SetValue {
    const copy = new SetValue();
    const data = this.data;
    // A copy of its own: shared, one string would be counted for both keys. A table's copy has
    // no draw index until it is drawn from.
    if (typeof data === 'string') copy.data = detached(data);
    else copy.data = newTable(new Set(data.members), data.bytes - tableBytes(data) - (data.draws?.bytes ?? 0));
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
