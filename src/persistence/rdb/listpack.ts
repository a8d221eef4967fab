import { RdbError } from './constants.js';
import { SHORT_LATIN1_MAX, shortLatin1 } from '../../protocol/short-string.js';
import type { ByteSink } from './sink.js';
import { backlenSize, intElementSize, stringAsInt, writeBacklen } from '../../types/stream/listpack.js';
import { varintAt, varintWidth, writeVarint } from '../../types/packed.js';
import { writeDecimal } from '../../util/format.js';

/*
 * Listpack (listpack.c), the blob Redis 7.0 stores small hashes and sorted sets and each
 * quicklist node in:
 *   <total bytes: u32 LE> <count: u16 LE, 65535 = unknown> <entry>* <0xFF>
 * and each entry is <encoding + data> <backlen>, backlen being the size of the first part
 * written backwards in 7-bit groups (1 to 5 bytes). Encodings:
 *   0xxxxxxx            7-bit unsigned int        10xxxxxx + data    string < 64 bytes
 *   110xxxxx yyyyyyyy   13-bit signed int         1110xxxx yyyyyyyy  string < 4096 bytes
 *   0xF1/F2/F3/F4       16/24/32/64-bit int LE    0xF0 + u32 LE      longer string
 * A string that is the canonical decimal of a 64-bit integer is always stored as an integer.
 */

const HEADER_SIZE = 6;
const COUNT_UNKNOWN = 65535;
const EOF_BYTE = 0xff;

const TWO_32 = 0x100000000;

/** The bytes ListpackBuilder.appendString adds for `s`, backlen included. */
export function listpackEntrySize(s: string): number {
  const n = s.length;
  if (n > 0 && n <= 20) {
    const c = s.charCodeAt(0);
    if (c === 45 || (c >= 48 && c <= 57)) {
      const value = stringAsInt(s);
      if (value !== null) return intElementSize(value);
    }
  }
  const entrySize = (n < 64 ? 1 : n < 4096 ? 2 : 5) + n;
  return entrySize + backlenSize(entrySize);
}

/** Below this length a string's chars are copied one by one: cheaper than a call into C++. */
const SHORT_STRING = 24;

/**
 * Builds one listpack at the end of a ByteSink: begin(), append…, end(). `bytes` is the size the
 * listpack has so far, its terminator included, as lpBytes reports it (the quicklist node
 * limits look at it).
 */
export class ListpackBuilder {
  private start = 0;
  /** Number of entries appended since begin(). */
  count = 0;

  constructor(private readonly sink: ByteSink) {}

  begin(): void {
    this.sink.ensure(HEADER_SIZE);
    this.start = this.sink.pos;
    this.sink.pos += HEADER_SIZE;
    this.count = 0;
  }

  get bytes(): number {
    return this.sink.pos - this.start + 1;
  }

  /** Offset of this listpack in the sink. */
  get offset(): number {
    return this.start;
  }

  /** Appends a string, as an integer when it is the canonical decimal of one (lpAppend). */
  appendString(s: string): void {
    const n = s.length;
    if (n > 0 && n <= 20) {
      const c = s.charCodeAt(0);
      if (c === 45 || (c >= 48 && c <= 57)) {
        const value = stringAsInt(s);
        if (value !== null) {
          if (typeof value === 'number') this.appendInteger(value);
          else this.appendBigInt(value);
          return;
        }
      }
    }
    const sink = this.sink;
    if (n < 64) {
      // The common case, in one go: a one-byte header, the chars, a one-byte backlen (1 + n <= 127).
      sink.ensure(n + 2);
      const buf = sink.buf;
      let p = sink.pos;
      buf[p++] = 0x80 | n;
      if (n < SHORT_STRING) {
        for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
      } else {
        p += buf.latin1Write(s, p, n);
      }
      buf[p++] = n + 1;
      sink.pos = p;
      this.count++;
      return;
    }
    const headerSize = n < 4096 ? 2 : 5;
    const entrySize = headerSize + n;
    const backSize = backlenSize(entrySize);
    sink.ensure(entrySize + backSize);
    const buf = sink.buf;
    let p = sink.pos;
    if (n < 4096) {
      buf[p++] = 0xe0 | (n >> 8);
      buf[p++] = n & 0xff;
    } else {
      buf[p++] = 0xf0;
      buf.writeUInt32LE(n, p);
      p += 4;
    }
    sink.pos = p;
    sink.latin1(s);
    sink.pos = writeBacklen(sink.buf, sink.pos, entrySize);
    this.count++;
  }

  /**
   * Appends the entry at `pos` of packed string `s` (src/types/packed.ts) as appendString would
   * append its text, without making that text a string of its own (saving a million small
   * hashes made ten strings each); returns the position after the entry.
   */
  appendPackedEntry(s: string, pos: number): number {
    let n = s.charCodeAt(pos);
    let start = pos + 1;
    if (n >= 0x80) {
      n = varintAt(s, pos);
      start = pos + varintWidth(n);
    }
    const end = start + n;
    if (n >= 64) {
      this.appendString(s.slice(start, end));
      return end;
    }
    const c = s.charCodeAt(start);
    if (c === 45 || (c >= 48 && c <= 57)) {
      // 16 chars or more may be an integer beyond 2^53: appendString tells.
      if (n > 15) {
        this.appendString(s.slice(start, end));
        return end;
      }
      const value = shortIntAt(s, start, n);
      if (value !== null) {
        this.appendInteger(value);
        return end;
      }
    }
    this.appendShortText(s, start, n);
    return end;
  }

  /** Appends chars [start, start + n) of `s` as a string entry, n < 64 (appendString's common case). */
  private appendShortText(s: string, start: number, n: number): void {
    const sink = this.sink;
    sink.ensure(n + 2);
    const buf = sink.buf;
    let p = sink.pos;
    buf[p++] = 0x80 | n;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(start + i);
    buf[p++] = n + 1;
    sink.pos = p;
    this.count++;
  }

  /** Appends an integer (exact, so within ±2^53). */
  appendInteger(v: number): void {
    const sink = this.sink;
    sink.ensure(10);
    const buf = sink.buf;
    let p = sink.pos;
    let size: number;
    if (v >= 0 && v <= 127) {
      buf[p++] = v;
      size = 1;
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? (1 << 13) + v : v;
      buf[p++] = 0xc0 | (u >> 8);
      buf[p++] = u & 0xff;
      size = 2;
    } else if (v >= -32768 && v <= 32767) {
      buf[p++] = 0xf1;
      buf.writeInt16LE(v, p);
      p += 2;
      size = 3;
    } else if (v >= -8388608 && v <= 8388607) {
      buf[p++] = 0xf2;
      buf.writeIntLE(v, p, 3);
      p += 3;
      size = 4;
    } else if (v >= -2147483648 && v <= 2147483647) {
      buf[p++] = 0xf3;
      buf.writeInt32LE(v, p);
      p += 4;
      size = 5;
    } else {
      buf[p++] = 0xf4;
      const hi = Math.floor(v / TWO_32);
      buf.writeUInt32LE(v - hi * TWO_32, p);
      buf.writeInt32LE(hi, p + 4);
      p += 8;
      size = 9;
    }
    buf[p++] = size; // backlen: one byte for every integer entry
    sink.pos = p;
    this.count++;
  }

  /** Appends an integer beyond ±2^53 (always the 64-bit form). */
  appendBigInt(v: bigint): void {
    const sink = this.sink;
    sink.ensure(10);
    sink.buf[sink.pos] = 0xf4;
    sink.buf.writeBigInt64LE(v, sink.pos + 1);
    sink.buf[sink.pos + 9] = 9;
    sink.pos += 10;
    this.count++;
  }

  /** Terminates the listpack and fills in its header. */
  end(): void {
    this.sink.byte(EOF_BYTE);
    const buf = this.sink.buf;
    buf.writeUInt32LE(this.sink.pos - this.start, this.start);
    buf.writeUInt16LE(Math.min(this.count, COUNT_UNKNOWN), this.start + 4);
  }
}

/**
 * The integer that chars [start, start + n) of `s` are the canonical decimal text of (as
 * stringAsInt reads one; n <= 15, so always within ±2^53), or null when they are not one.
 */
function shortIntAt(s: string, start: number, n: number): number | null {
  let i = start;
  const end = start + n;
  const negative = s.charCodeAt(i) === 45;
  if (negative) {
    if (n === 1) return null;
    i++;
  }
  if (s.charCodeAt(i) === 48) return n === 1 ? 0 : null;
  let value = 0;
  for (; i < end; i++) {
    const digit = s.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return null;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

function corrupt(): never {
  throw new RdbError('Listpack integrity check failed.');
}

/** A 64-bit little-endian signed integer as its decimal text. */
export function int64Text(buf: Buffer, p: number): string {
  const hi = buf.readInt32LE(p + 4);
  if (hi >= -0x200000 && hi < 0x200000) return String(hi * TWO_32 + buf.readUInt32LE(p));
  return buf.readBigInt64LE(p).toString();
}

/** The entry count a listpack's header declares, or -1 when it says unknown (65535). */
export function listpackDeclaredCount(buf: Buffer, start: number, end: number): number {
  if (end - start < HEADER_SIZE + 1) corrupt();
  const declared = buf.readUInt16LE(start + 4);
  return declared === COUNT_UNKNOWN ? -1 : declared;
}

/**
 * Reads the listpack in buf[start, end), checking every length against the blob, and stores
 * its entries as latin1 strings (integers as their decimal text) in `out` from index `at` (by
 * default appended). Returns how many it read. Throws RdbError when the blob is not a
 * well-formed listpack.
 */
export function readListpack(buf: Buffer, start: number, end: number, out: string[], at = out.length): number {
  const declared = checkedHeader(buf, start, end);
  const last = end - 1; // the terminator
  let p = start + HEADER_SIZE;
  let count = 0;
  while (p < last) {
    const b = buf[p];
    if (b >= 0x80 && b < 0xc0) {
      // A string under 64 bytes, the common entry: its backlen is one byte, 1 + n.
      const n = b & 0x3f;
      const back = p + 1 + n;
      if (back >= last || (buf[back] !== n + 1 && !backlenSays(buf, back, n + 1))) corrupt();
      out[at + count] = n <= SHORT_LATIN1_MAX ? shortLatin1(buf, p + 1, n) : buf.latin1Slice(p + 1, back);
      p = back + 1;
      count++;
      continue;
    }
    p = readEntry(buf, p, last);
    out[at + count] = entryText(buf);
    count++;
  }
  if (p !== last) corrupt();
  if (declared !== COUNT_UNKNOWN && declared !== count) corrupt();
  return count;
}

/** Where packListpack writes: grown to the largest listpack met, up to PACK_SCRATCH_MAX. */
let packScratch = Buffer.allocUnsafe(4096);
const PACK_SCRATCH_MAX = 1 << 20;

/** Room for the count's varint (at most 5 chars) before the entries. */
const COUNT_ROOM = 5;

/** Writes the decimal text of integer `v` (within ±2^53) at `p` as a packed entry; returns the position after it. */
function writeIntegerEntry(out: Buffer, p: number, v: number): number {
  const lengthAt = p++;
  if (v < 0) {
    out[p++] = 45; // '-'
    v = -v;
  }
  p = writeDecimal(out, p, v);
  out[lengthAt] = p - lengthAt - 1; // at most 17 chars: a one-char varint
  return p;
}

/** Copies buf[from, from + n) at `p` of `out` as a packed entry; returns the position after it. */
function writeBytesEntry(out: Buffer, p: number, buf: Buffer, from: number, n: number): number {
  p = writeVarint(out, p, n);
  if (n < SHORT_STRING) {
    for (let i = 0; i < n; i++) out[p + i] = buf[from + i] as number;
  } else {
    buf.copy(out, p, from, from + n);
  }
  return p + n;
}

/**
 * The listpack in buf[start, end) in the packed form of src/types/packed.ts (its count, then
 * each entry as a varint length and its chars, integers as their decimal text), checked as
 * readListpack checks it. One string for the whole listpack, where readListpack makes one per
 * entry that packing then copies again: loading a million small hashes spent a third of its
 * time on those strings and their garbage. The count written is of items of `entriesPerItem`
 * entries (2 for a hash's field and value); null when the entries do not make whole items.
 */
export function packListpack(buf: Buffer, start: number, end: number, entriesPerItem: number): string | null {
  const declared = checkedHeader(buf, start, end);
  // An entry's text takes at most three times its listpack bytes (a 64-bit integer: 10 bytes, 21 chars).
  const room = COUNT_ROOM + 3 * (end - start);
  let out = packScratch;
  if (out.length < room) {
    // Kept for the next one up to a size; a larger listpack (a few huge values) has its own.
    out = Buffer.allocUnsafe(Math.max(room, out.length * 2));
    if (out.length <= PACK_SCRATCH_MAX) packScratch = out;
  }
  let q = COUNT_ROOM;
  const last = end - 1; // the terminator
  let p = start + HEADER_SIZE;
  let count = 0;
  while (p < last) {
    const b = buf[p] as number;
    if (b >= 0x80 && b < 0xc0) {
      const n = b & 0x3f;
      const back = p + 1 + n;
      if (back >= last || (buf[back] !== n + 1 && !backlenSays(buf, back, n + 1))) corrupt();
      q = writeBytesEntry(out, q, buf, p + 1, n);
      p = back + 1;
      count++;
      continue;
    }
    p = readEntry(buf, p, last);
    if (entryKind === EntryKind.Text) {
      q = writeBytesEntry(out, q, buf, entryStart, entryLength);
    } else if (entryKind === EntryKind.Integer) {
      q = writeIntegerEntry(out, q, entryInteger);
    } else {
      const text = int64Text(buf, entryStart);
      q = writeVarint(out, q, text.length);
      q += out.latin1Write(text, q, text.length);
    }
    count++;
  }
  if (p !== last) corrupt();
  if (declared !== COUNT_UNKNOWN && declared !== count) corrupt();
  if (count % entriesPerItem !== 0) return null;
  const items = count / entriesPerItem;
  const from = COUNT_ROOM - varintWidth(items);
  writeVarint(out, from, items);
  return out.latin1Slice(from, q);
}

/**
 * Checks the listpack in buf[start, end) as readListpack does, every length against the blob,
 * without decoding its entries, and returns how many it holds: a list adopts its quicklist
 * nodes as they are. Throws RdbError when the blob is not a well-formed listpack.
 */
export function checkListpack(buf: Buffer, start: number, end: number): number {
  const declared = checkedHeader(buf, start, end);
  const last = end - 1; // the terminator
  let p = start + HEADER_SIZE;
  let count = 0;
  while (p < last) {
    const b = buf[p];
    if (b >= 0x80 && b < 0xc0) {
      // A string under 64 bytes, the common entry: its backlen is one byte, 1 + n.
      const n = b & 0x3f;
      const back = p + 1 + n;
      if (back >= last || (buf[back] !== n + 1 && !backlenSays(buf, back, n + 1))) corrupt();
      p = back + 1;
      count++;
      continue;
    }
    p = readEntry(buf, p, last);
    count++;
  }
  if (p !== last) corrupt();
  if (declared !== COUNT_UNKNOWN && declared !== count) corrupt();
  return count;
}

/** What readEntry found: text (its bytes), an integer, or a 64-bit integer (its 8 bytes). */
const enum EntryKind { Text, Integer, Int64 }

/** The last entry readEntry read (one at a time): its kind, where its bytes are and how many, or its value. */
let entryKind = EntryKind.Text;
let entryStart = 0;
let entryLength = 0;
let entryInteger = 0;

/**
 * Reads the entry at `p` of `buf` (a listpack whose terminator is at `last`), every length
 * checked against the blob and its backlen against its size, into entryKind and the fields
 * after it; returns the position of the next entry. Throws RdbError when it is malformed. (The
 * loops over entries handle a string under 64 bytes, the common entry, themselves.)
 */
function readEntry(buf: Buffer, p: number, last: number): number {
  const b = buf[p] as number;
  let entrySize: number;
  entryKind = EntryKind.Integer;
  if (b < 0x80) {
    entryInteger = b;
    entrySize = 1;
  } else if (b < 0xc0) {
    const n = b & 0x3f;
    entryKind = EntryKind.Text;
    entryStart = p + 1;
    entryLength = n;
    entrySize = 1 + n;
    if (p + entrySize > last) corrupt();
  } else if (b < 0xe0) {
    if (p + 2 > last) corrupt();
    const v = ((b & 0x1f) << 8) | (buf[p + 1] as number);
    entryInteger = v >= 4096 ? v - 8192 : v;
    entrySize = 2;
  } else if (b < 0xf0) {
    if (p + 2 > last) corrupt();
    const n = ((b & 0x0f) << 8) | (buf[p + 1] as number);
    entryKind = EntryKind.Text;
    entryStart = p + 2;
    entryLength = n;
    entrySize = 2 + n;
    if (p + entrySize > last) corrupt();
  } else {
    switch (b) {
      case 0xf0: {
        if (p + 5 > last) corrupt();
        const n = buf.readUInt32LE(p + 1);
        entryKind = EntryKind.Text;
        entryStart = p + 5;
        entryLength = n;
        entrySize = 5 + n;
        if (entrySize > last - p) corrupt();
        break;
      }
      case 0xf1:
        if (p + 3 > last) corrupt();
        entryInteger = buf.readInt16LE(p + 1);
        entrySize = 3;
        break;
      case 0xf2:
        if (p + 4 > last) corrupt();
        entryInteger = buf.readIntLE(p + 1, 3);
        entrySize = 4;
        break;
      case 0xf3:
        if (p + 5 > last) corrupt();
        entryInteger = buf.readInt32LE(p + 1);
        entrySize = 5;
        break;
      case 0xf4:
        if (p + 9 > last) corrupt();
        entryKind = EntryKind.Int64;
        entryStart = p + 1;
        entrySize = 9;
        break;
      default:
        corrupt();
    }
  }
  return p + entrySize + checkedBacklen(buf, p, entrySize, last);
}

/** The entry readEntry last read, as a latin1 string (an integer as its decimal text). */
function entryText(buf: Buffer): string {
  if (entryKind === EntryKind.Integer) return String(entryInteger);
  if (entryKind === EntryKind.Int64) return int64Text(buf, entryStart);
  const n = entryLength;
  return n <= SHORT_LATIN1_MAX ? shortLatin1(buf, entryStart, n) : buf.latin1Slice(entryStart, entryStart + n);
}

/**
 * The size of the backlen after the entry at buf[p] of `entrySize` bytes, once checked: it must
 * fit before `last` and say the size of what precedes it.
 */
function checkedBacklen(buf: Buffer, p: number, entrySize: number, last: number): number {
  const backSize = backlenSize(entrySize);
  if (p + entrySize + backSize > last) corrupt();
  const end = p + entrySize + backSize - 1;
  if ((backSize !== 1 || buf[end] !== entrySize) && !backlenSays(buf, end, entrySize)) corrupt();
  return backSize;
}

/**
 * Whether the backlen whose last byte is at `last` says `size`, read as Redis's lpValidateNext
 * reads it: backwards, 7 bits a byte while the high bit is set, 5 bytes at most. Where it ends
 * follows from the entry's size alone; a redundant high bit on its first byte carries the
 * reading on into the bytes before, which Redis accepts as long as they add nothing (the
 * readers here, and a list's node read backwards, place entries by the size too). The first
 * entry starts after the 6-byte header: 4 bytes back from its backlen stay within the blob.
 */
function backlenSays(buf: Buffer, last: number, size: number): boolean {
  let at = last;
  let value = buf[at] & 127;
  let scale = 128;
  for (let bytes = 1; (buf[at] & 128) !== 0; bytes++) {
    if (bytes === 5) return false;
    at--;
    value += (buf[at] & 127) * scale;
    scale *= 128;
  }
  return value === size;
}

/** The count the header of the listpack in buf[start, end) declares, once its size and terminator are checked. */
function checkedHeader(buf: Buffer, start: number, end: number): number {
  if (end - start < HEADER_SIZE + 1) corrupt();
  if (buf.readUInt32LE(start) !== end - start) corrupt();
  if (buf[end - 1] !== EOF_BYTE) corrupt();
  return buf.readUInt16LE(start + 4);
}
