/**
 * Small collections packed into one latin1 string, as Redis packs them into a listpack: a count,
 * then each entry as its length and its bytes. A length (and the count) is a varint of 7 bits
 * per char, lowest first, the high bit saying another char follows: one char below 128. A
 * string is V8's most compact container (16 bytes of header, then one byte per char), where an
 * array costs a slot per entry and a header of its own besides each entry's string (measured:
 * a sorted set of 5 members takes 168 bytes as a flat array of members and scores, 56 as one
 * string).
 *
 * The string is rebuilt on each change (O(total length), like a listpack's memmove) with
 * Array.prototype.join, which gives a flat string: concatenation would give a rope of cons
 * strings, several times larger until it is flattened.
 */

/** Chars the varint of `n` takes. */
export function varintWidth(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** The varint at `pos` of `s`. */
export function varintAt(s: string, pos: number): number {
  let c = s.charCodeAt(pos);
  if (c < 0x80) return c;
  let n = c & 0x7f;
  let shift = 7;
  for (;;) {
    c = s.charCodeAt(++pos);
    n += (c & 0x7f) * 2 ** shift;
    if (c < 0x80) return n;
    shift += 7;
  }
}

/** The varint of `n` as chars. */
export function varint(n: number): string {
  if (n < 0x80) return String.fromCharCode(n);
  let out = '';
  while (n >= 0x80) {
    out += String.fromCharCode(0x80 | (n & 0x7f));
    n = Math.floor(n / 0x80);
  }
  return out + String.fromCharCode(n);
}

/** An entry as packed: its length, then its chars. */
export function packEntry(s: string): string {
  return varint(s.length) + s;
}

/** Position of the first entry of packed `s` (after the count). */
export function firstEntry(s: string): number {
  return varintWidth(varintAt(s, 0));
}

/** Position just past the entry at `pos`. */
export function entryEnd(s: string, pos: number): number {
  const c = s.charCodeAt(pos);
  if (c < 0x80) return pos + 1 + c;
  const length = varintAt(s, pos);
  return pos + varintWidth(length) + length;
}

/**
 * Whether the entry at `pos` is `value`, compared in place char by char (String.prototype.
 * startsWith with a position is several times slower on such short strings: measured).
 */
export function entryIs(s: string, pos: number, value: string): boolean {
  let length = s.charCodeAt(pos);
  let start = pos + 1;
  if (length >= 0x80) {
    length = varintAt(s, pos);
    start = pos + varintWidth(length);
  }
  if (length !== value.length) return false;
  for (let j = 0; j < length; j++) if (s.charCodeAt(start + j) !== value.charCodeAt(j)) return false;
  return true;
}

/**
 * The entry at `pos` as a string of its own. Slices of 13 chars or more are views into the
 * packed string in V8 (sliced strings), which would keep it alive: what is kept beyond the
 * command (moved into a large form, stored in another key) goes through `detached`.
 */
export function entryAt(s: string, pos: number): string {
  const length = varintAt(s, pos);
  const start = pos + varintWidth(length);
  return s.slice(start, start + length);
}

const scratch = Buffer.allocUnsafe(1024);

/** Shortest slices V8 makes views of (SlicedString::kMinLength): shorter ones are copies. */
const SLICE_MIN_LENGTH = 13;

/** A copy of `s` that shares no storage with the packed string it may have been sliced from. */
export function detached(s: string): string {
  const n = s.length;
  if (n < SLICE_MIN_LENGTH) return s;
  const buf = n <= scratch.length ? scratch : Buffer.allocUnsafe(n);
  buf.latin1Write(s, 0, n);
  return buf.latin1Slice(0, n);
}

/**
 * A fresh copy of `s`, whatever its length: numbers turned to text come from V8's number-string
 * cache, shared by every caller, where a value's strings must be its own to be counted as such.
 */
export function copied(s: string): string {
  const n = s.length;
  const buf = n <= scratch.length ? scratch : Buffer.allocUnsafe(n);
  buf.latin1Write(s, 0, n);
  return buf.latin1Slice(0, n);
}

/** Below this length an item is copied char by char: cheaper than a call into C++. */
const SHORT_ITEM = 24;

/** Writes the varint of `n` at `p` of `buf`; returns the position after it. */
export function writeVarint(buf: Buffer, p: number, n: number): number {
  while (n >= 0x80) {
    buf[p++] = 0x80 | (n & 0x7f);
    n = Math.floor(n / 0x80);
  }
  buf[p++] = n;
  return p;
}

/**
 * The packed string of `count` and then every string of `items` as an entry, written in one pass
 * (a collection read from a file): packing entry by entry rebuilds the string at each one.
 */
export function packItems(count: number, items: readonly string[]): string {
  // A varint of a length below 2^35 takes at most 5 chars.
  let size = 5;
  for (let i = 0; i < items.length; i++) size += 5 + (items[i] as string).length;
  const buf = size <= scratch.length ? scratch : Buffer.allocUnsafe(size);
  let p = writeVarint(buf, 0, count);
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as string;
    const n = item.length;
    p = writeVarint(buf, p, n);
    if (n < SHORT_ITEM) {
      for (let j = 0; j < n; j++) buf[p++] = item.charCodeAt(j);
    } else {
      p += buf.latin1Write(item, p, n);
    }
  }
  return buf.latin1Slice(0, p);
}

/** A packed string of `count` entries whose packed forms are `parts` (flat: see above). */
export function packParts(count: number, parts: string[]): string {
  parts[0] = varint(count);
  return parts.join('');
}
