/**
 * One node of a stream: a listpack of entries that share a master entry (Redis's radix tree
 * node and its listpack, t_stream.c). The layout, as Redis writes it:
 *
 *   master entry:  count | deleted | num-fields | field_1 … field_N | 0
 *   each entry:    flags | ms-delta | seq-delta | [num-fields | field_1 value_1 …] | lp-count
 *                  or, when its fields are the master's (SAMEFIELDS): flags | ms | seq | value_1 … | lp-count
 *
 * IDs are deltas from the node's master ID (the key it is found by); `count` and `deleted`
 * count live entries and entries flagged deleted (tombstones, kept until the node goes);
 * lp-count, the number of elements before it in the entry, lets the node be walked backwards.
 * `live` and `deleted` mirror the two header elements, which are rewritten when they change.
 */
import { subU64, type StreamId } from './id.js';
import {
  LP_COUNT_UNKNOWN, LP_EOF, LP_HEADER_SIZE, decodeElement, element, elementEquals, getCount, intElementSize, readInt,
  setCount, setTotalBytes, skipElement, writeInt, writeString,
} from './listpack.js';

export const FLAG_NONE = 0;
/** The entry was deleted (XDEL, XTRIM inside a node): skipped by readers. */
export const FLAG_DELETED = 1;
/** The entry has the master entry's fields: only its values are stored. */
export const FLAG_SAMEFIELDS = 2;

/** A listpack never grows past this, whatever stream-node-max-bytes says (STREAM_LISTPACK_MAX_SIZE). */
export const LISTPACK_MAX_SIZE = 1 << 30;
/** Redis allocates a new node's listpack at this size at most (STREAM_LISTPACK_MAX_PRE_ALLOCATE). */
const MAX_PREALLOCATE = 4096;
/** Worst case of an integer element (0xF4, 8 bytes, backlen). */
const MAX_INT_ELEMENT = 10;
/** Worst case overhead of a string element beyond its bytes (5 bytes of header, 5 of backlen). */
const MAX_STRING_OVERHEAD = 10;

/**
 * jemalloc's size class for n bytes (as server/memory.ts's mallocSize): what Redis's allocator
 * holds for a listpack of that size, for MEMORY USAGE.
 */
export function jemallocSize(n: number): number {
  if (n <= 8) return 8;
  if (n <= 128) return Math.ceil(n / 16) * 16;
  const group = 2 ** Math.floor(Math.log2(n - 1));
  const step = group / 4;
  return Math.ceil(n / step) * step;
}

export class StreamNode implements StreamId {
  /** The master ID: this node's key. */
  readonly msHi: number;
  readonly msLo: number;
  readonly seqHi: number;
  readonly seqLo: number;
  /** The listpack; may have room beyond `bytes` while it is the tail. */
  lp: Buffer;
  /** The listpack's size (lpBytes). */
  bytes: number;
  /** Entries not deleted (the master's count element). */
  live: number;
  /** Entries flagged deleted (the master's deleted element). */
  deleted: number;
  readonly masterFieldCount: number;
  /** What Redis's allocator would hold for this listpack (zmalloc_size), for MEMORY USAGE. */
  allocated: number;

  constructor(master: StreamId, lp: Buffer, bytes: number, live: number, deleted: number, masterFieldCount: number, allocated: number) {
    this.msHi = master.msHi;
    this.msLo = master.msLo;
    this.seqHi = master.seqHi;
    this.seqLo = master.seqLo;
    this.lp = lp;
    this.bytes = bytes;
    this.live = live;
    this.deleted = deleted;
    this.masterFieldCount = masterFieldCount;
    this.allocated = allocated;
  }

  /**
   * A new node whose master entry has the fields argv[fieldPos], argv[fieldPos + 2]…
   * (numFields of them); its first entry is appended next.
   */
  static create(
    master: StreamId, argv: readonly string[], fieldPos: number, numFields: number, nodeMaxBytes: number, entryBytes: number, spare: Buffer | null,
  ): StreamNode {
    // Room for the master entry and the first entry (appendEntry makes sure of the latter).
    const worst = LP_HEADER_SIZE + 1 + 8 * MAX_INT_ELEMENT + 2 * entryBytes + 3 * numFields * MAX_STRING_OVERHEAD;
    const lp = spare !== null && spare.length >= worst ? spare : Buffer.allocUnsafeSlow(Math.max(64, worst));
    let p = LP_HEADER_SIZE;
    p = writeInt(lp, p, 1);
    p = writeInt(lp, p, 0);
    p = writeInt(lp, p, numFields);
    for (let i = 0; i < numFields; i++) p = writeString(lp, p, argv[fieldPos + i * 2] as string);
    p = writeInt(lp, p, 0);
    lp[p++] = LP_EOF;
    setTotalBytes(lp, p);
    setCount(lp, numFields + 4);
    const prealloc = nodeMaxBytes > 0 && nodeMaxBytes < MAX_PREALLOCATE ? nodeMaxBytes : MAX_PREALLOCATE;
    const allocated = jemallocSize(Math.max(prealloc, LP_HEADER_SIZE + 1, p));
    return new StreamNode(master, lp, p, 1, 0, numFields, allocated);
  }

  /** A node from a listpack whose structure was checked (RDB, RESTORE): `lp` is adopted as it is. */
  static fromListpack(master: StreamId, lp: Buffer): StreamNode {
    const live = readInt(lp, LP_HEADER_SIZE);
    const deletedPos = skipElement(lp, LP_HEADER_SIZE);
    const deleted = readInt(lp, deletedPos);
    const fields = readInt(lp, skipElement(lp, deletedPos));
    return new StreamNode(master, lp, lp.length, live, deleted, fields, jemallocSize(lp.length));
  }

  /** A copy with a listpack of its own, of exactly its size (COPY, snapshots). */
  clone(): StreamNode {
    const lp = Buffer.allocUnsafe(this.bytes);
    this.lp.copy(lp, 0, 0, this.bytes);
    return new StreamNode(this, lp, this.bytes, this.live, this.deleted, this.masterFieldCount, jemallocSize(this.bytes));
  }

  /** The listpack without spare room (what RDB and DUMP write). */
  get listpack(): Buffer {
    return this.lp.length === this.bytes ? this.lp : this.lp.subarray(0, this.bytes);
  }

  /** Position of the count element, then of deleted, num-fields and the first master field. */
  get deletedPos(): number {
    return skipElement(this.lp, LP_HEADER_SIZE);
  }

  get masterFieldsPos(): number {
    return skipElement(this.lp, skipElement(this.lp, this.deletedPos));
  }

  /** Position of the first entry (after the master entry's terminating 0). */
  get entriesPos(): number {
    const lp = this.lp;
    let p = this.masterFieldsPos;
    for (let i = 0; i < this.masterFieldCount; i++) p = skipElement(lp, p);
    return skipElement(lp, p);
  }

  /**
   * Gives back the spare room of a tail that is done growing (lpShrinkToFit): the listpack moves
   * to a buffer of its size, and the one it had is returned for the next tail to reuse (null
   * if it had no spare room).
   */
  shrink(): Buffer | null {
    const fit = jemallocSize(this.bytes);
    if (this.allocated > fit) this.allocated = fit;
    if (this.lp.length === this.bytes) return null;
    const old = this.lp;
    const lp = Buffer.allocUnsafe(this.bytes);
    old.copy(lp, 0, 0, this.bytes);
    this.lp = lp;
    return old;
  }

  private reserve(extra: number): void {
    const need = this.bytes + extra;
    if (need <= this.lp.length) return;
    const lp = Buffer.allocUnsafeSlow(Math.max(need, this.lp.length * 2));
    this.lp.copy(lp, 0, 0, this.bytes);
    this.lp = lp;
  }

  /** Redis grows an allocation to the size class of the bytes it needs, when they pass it. */
  private grewTo(bytes: number): void {
    if (bytes > this.allocated) this.allocated = jemallocSize(bytes);
  }

  /** Replaces the integer element at p with `value` (lpReplaceInteger), moving what follows if its size changes. */
  private replaceInt(p: number, value: number): void {
    const lp = this.lp;
    const oldSize = skipElement(lp, p) - p;
    const newSize = intElementSize(value);
    if (newSize !== oldSize) {
      if (newSize > oldSize) this.reserve(newSize - oldSize);
      const buf = this.lp;
      buf.copyWithin(p + newSize, p + oldSize, this.bytes);
      this.bytes += newSize - oldSize;
      setTotalBytes(buf, this.bytes);
      if (newSize > oldSize) this.grewTo(this.bytes);
    }
    writeInt(this.lp, p, value);
  }

  setLive(n: number): void {
    this.live = n;
    // Up to 127 entries the count is one byte, rewritten in place (every XADD does it).
    if (n <= 127 && this.lp[LP_HEADER_SIZE] < 0x80) this.lp[LP_HEADER_SIZE] = n;
    else this.replaceInt(LP_HEADER_SIZE, n);
  }

  setDeleted(n: number): void {
    this.deleted = n;
    this.replaceInt(this.deletedPos, n);
  }

  /** Whether the fields argv[fieldPos], argv[fieldPos + 2]… are the master entry's, in order. */
  sameFieldsAsMaster(argv: readonly string[], fieldPos: number, numFields: number): boolean {
    if (numFields !== this.masterFieldCount) return false;
    const lp = this.lp;
    let p = this.masterFieldsPos;
    for (let i = 0; i < numFields; i++) {
      const next = decodeElement(lp, p);
      if (!elementEquals(lp, argv[fieldPos + i * 2] as string)) return false;
      p = next;
    }
    return true;
  }

  /**
   * Appends an entry (the node's count already accounts for it). `entryBytes` is the total
   * length of its fields and values; `sameFields` that they are the master's.
   */
  appendEntry(id: StreamId, argv: readonly string[], fieldPos: number, numFields: number, sameFields: boolean, entryBytes: number): void {
    const strings = sameFields ? numFields : numFields * 2;
    this.reserve(4 * MAX_INT_ELEMENT + entryBytes + strings * MAX_STRING_OVERHEAD);
    const lp = this.lp;
    let p = this.bytes - 1; // over the EOF byte
    p = writeInt(lp, p, sameFields ? FLAG_SAMEFIELDS : FLAG_NONE);
    p = writeInt(lp, p, subU64(id.msHi, id.msLo, this.msHi, this.msLo));
    p = writeInt(lp, p, subU64(id.seqHi, id.seqLo, this.seqHi, this.seqLo));
    if (sameFields) {
      for (let i = 0; i < numFields; i++) p = writeString(lp, p, argv[fieldPos + i * 2 + 1] as string);
    } else {
      p = writeInt(lp, p, numFields);
      const end = fieldPos + numFields * 2;
      for (let i = fieldPos; i < end; i++) p = writeString(lp, p, argv[i] as string);
    }
    p = writeInt(lp, p, sameFields ? numFields + 3 : numFields * 2 + 4);
    lp[p++] = LP_EOF;
    this.bytes = p;
    setTotalBytes(lp, p);
    const count = getCount(lp);
    if (count !== LP_COUNT_UNKNOWN) setCount(lp, Math.min(LP_COUNT_UNKNOWN, count + strings + (sameFields ? 4 : 5)));
    this.grewTo(p);
  }

  /** Flags the entry whose flags element is at p as deleted. */
  flagDeleted(p: number): void {
    // Flags are 0..3: one byte, a 7-bit integer, rewritten in place.
    this.lp[p] = readInt(this.lp, p) | FLAG_DELETED;
  }

  /** Where the entry whose flags element is at p ends (the position after its lp-count). */
  static entryEnd(lp: Buffer, p: number, masterFieldCount: number): number {
    const flags = lp[p] as number;
    p = skipElement(lp, p);
    p = skipElement(lp, p);
    p = skipElement(lp, p);
    let skip: number;
    if ((flags & FLAG_SAMEFIELDS) !== 0) {
      skip = masterFieldCount;
    } else {
      skip = readInt(lp, p) * 2;
      p = skipElement(lp, p);
    }
    for (let i = 0; i < skip; i++) p = skipElement(lp, p);
    return skipElement(lp, p);
  }

  /** The master's field names (tests, debugging). */
  masterFields(): string[] {
    const out: string[] = [];
    let p = this.masterFieldsPos;
    for (let i = 0; i < this.masterFieldCount; i++) {
      const next = decodeElement(this.lp, p);
      out.push(element.isInt ? String(element.int) : this.lp.latin1Slice(element.start, element.end));
      p = next;
    }
    return out;
  }
}
