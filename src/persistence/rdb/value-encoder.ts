/**
 * The body of one value as Redis 7.0's rdbSaveObject writes it (DUMP payloads and RDB files
 * share it), at once or in pieces.
 */
import { formatDouble17g } from '../../util/format.js';
import { isStringValue, type Value } from '../../types/value.js';
import { largeStringBytes, type StringValue } from '../../types/mutable-string.js';
import { listMaxListpackSize, type List } from '../../types/list.js';
import type { SetValue } from '../../types/set.js';
import type { HashValue } from '../../types/hash.js';
import type { ZSet } from '../../types/zset.js';
import type { Stream } from '../../types/stream/index.js';
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_INT8,
  RDB_ENC_LZF,
  RDB_ENCVAL,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RdbError,
} from './constants.js';
import { writeIntsetHeader } from './intset.js';
import { ListpackBuilder, listpackEntrySize } from './listpack.js';
import { stringAsInt } from '../../types/stream/listpack.js';
import { LzfCompression, lzfCompress } from './lzf.js';
import { lzfCompressInModule, lzfModuleMemory, lzfOutputAt, MAX_INPUT_BYTES } from './lzf-wasm.js';
import { ByteSink } from './sink.js';
import { firstEntry } from '../../types/packed.js';
import { streamPieces } from './stream.js';

export interface ValueEncoderOptions {
  /** rdbcompression: LZF-compress strings longer than 20 bytes when that saves 4 bytes or more. */
  compression?: boolean;
  /**
   * list-max-listpack-size: how big a quicklist node may grow (-1..-5: 4 to 64 KB; a positive
   * number: that many elements, within 8 KB).
   */
  listMaxListpackSize?: number;
  /** A list element this long or longer gets a node of its own, unpacked (Redis: 1 GB). */
  listPackedThreshold?: number;
  /**
   * How much of a large value one piece holds when it is written in pieces (valuePieces): at
   * most this many elements (default 512) and about this many bytes (default 64 KB). Tests
   * make them tiny; the bytes written are the same whatever they are.
   */
  pieceElements?: number;
  pieceBytes?: number;
}

/** Redis's packed_threshold: a list element this long or longer gets a plain node (1 GB). */
const DEFAULT_PACKED_THRESHOLD = 1 << 30;
/** quicklist's size classes for a negative list-max-listpack-size. */
const NODE_SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
/** What a count-limited node may not exceed in bytes anyway (SIZE_SAFETY_LIMIT). */
const NODE_SAFETY_LIMIT = 8192;
/** quicklist's estimate of an entry's overhead when deciding whether it fits a node. */
const NODE_ENTRY_OVERHEAD = 8;
/** lpBytes of an empty listpack: its 6-byte header and terminator. */
const EMPTY_LISTPACK_BYTES = 7;
const FILL_MAX = (1 << 15) - 1;
/** Redis's double2ll accepts integral doubles within ±LLONG_MAX/2. */
const DOUBLE_AS_INT_LIMIT = 4611686018427387904;

/** Whether a quicklist node of `nodeBytes` and `nodeCount` entries takes one more of `size` bytes. */
function nodeAllowsInsert(nodeBytes: number, nodeCount: number, size: number, fill: number): boolean {
  const newSize = nodeBytes + size + NODE_ENTRY_OVERHEAD;
  if (fill < 0 && newSize <= (NODE_SIZE_LIMITS[-fill - 1] as number)) return true;
  if (newSize > NODE_SAFETY_LIMIT) return false;
  return nodeCount < fill;
}

/** The RDB type byte a value is saved under, following its in-memory encoding as Redis does. */
export function rdbTypeOf(value: Value): number {
  if (isStringValue(value)) return RDB_TYPE_STRING;
  switch (value.type) {
    case 'list':
      return RDB_TYPE_LIST_QUICKLIST_2;
    case 'set':
      return (value as SetValue).isCompact() ? RDB_TYPE_SET_INTSET : RDB_TYPE_SET;
    case 'zset':
      return (value as ZSet).compact ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2;
    case 'hash':
      return (value as HashValue).isCompact() ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH;
    case 'stream':
      return RDB_TYPE_STREAM_LISTPACKS_2;
    default:
      throw new RdbError(`values of type ${(value as { type: string }).type} cannot be saved yet`);
  }
}

/**
 * The encoding of one value in pieces (ValueEncoder.valuePieces): each next() writes one more
 * piece; `done` once the value is complete.
 */
export type ValuePieces = Generator<void, void, void>;

/** Below this length a string to compress is copied char by char: cheaper than a call into C++. */
const SHORT_COPY = 64;

/** Defaults of ValueEncoderOptions.pieceElements and pieceBytes. */
const PIECE_ELEMENTS = 512;
const PIECE_BYTES = 64 * 1024;

/**
 * Serializes values the way Redis 7.0's rdbSaveObject does. It owns scratch buffers (the bytes
 * of a long string before compression, the listpacks of a collection) that it reuses from one
 * value to the next.
 *
 * A value can be written at once (writeValue) or in pieces (valuePieces), for a background save
 * that must not hold the event loop for the whole of a large collection. Both are one code: a
 * collection is always written by the generators below, and writeValue runs them to the end.
 * Counts written up front (a collection's length, a listpack's size, an LZF header) are known
 * before the elements they count are written, so stopping between pieces changes nothing in
 * the bytes; the value must not change until the last piece is written.
 */
export class ValueEncoder {
  private readonly compression: boolean;
  private readonly fill: number;
  private readonly packedThreshold: number;
  private readonly pieceElements: number;
  private readonly pieceBytes: number;
  /** Listpacks and intsets are assembled here before being written as strings. */
  private readonly packs = new ByteSink(4096);
  private readonly listpack = new ListpackBuilder(this.packs);
  /** The bytes of a string about to be compressed. */
  private raw = Buffer.allocUnsafe(1024);
  private compressed = Buffer.allocUnsafe(1024);
  /** Where each node of a list starts (see listPieces), and the node planNodes has open. */
  private readonly nodeFirsts: number[] = [];
  private nodeOpen = false;
  private nodeBytes = 0;
  private nodeCount = 0;

  constructor(options: ValueEncoderOptions = {}) {
    this.compression = options.compression ?? true;
    const fill = Math.trunc(options.listMaxListpackSize ?? -2);
    this.fill = fill > FILL_MAX ? FILL_MAX : fill < -5 ? -5 : fill;
    this.packedThreshold = options.listPackedThreshold ?? DEFAULT_PACKED_THRESHOLD;
    this.pieceElements = Math.max(1, options.pieceElements ?? PIECE_ELEMENTS);
    this.pieceBytes = Math.max(1, options.pieceBytes ?? PIECE_BYTES);
  }

  /** A string as rdbSaveRawString writes it: an integer, LZF-compressed, or verbatim. */
  writeString(sink: ByteSink, s: string): void {
    const n = s.length;
    if (n <= 11 && n > 0) {
      const c = s.charCodeAt(0);
      if ((c >= 48 && c <= 57) || c === 45) {
        const v = stringAsInt(s);
        if (typeof v === 'number' && v >= -2147483648 && v <= 2147483647) {
          writeEncodedInt(sink, v);
          return;
        }
      }
    }
    if (this.compression && n > 20) {
      if (this.raw.length < n) this.raw = Buffer.allocUnsafe(Math.max(n, this.raw.length * 2));
      const raw = this.raw;
      if (n < SHORT_COPY) {
        // A small list's node, say: copying the chars costs less than a call into C++.
        for (let i = 0; i < n; i++) raw[i] = s.charCodeAt(i);
      } else {
        raw.latin1Write(s, 0, n);
      }
      if (this.tryCompressed(sink, this.raw, 0, n)) return;
      sink.len(n);
      sink.bytes(this.raw, 0, n);
      return;
    }
    sink.len(n);
    sink.latin1(s);
  }

  /** A binary blob (listpack, intset) as a string: compressed when that pays. */
  writeBlob(sink: ByteSink, src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (this.compression && n > 20 && this.tryCompressed(sink, src, start, n)) return;
    sink.len(n);
    sink.bytes(src, start, end);
  }

  /** Writes the LZF form of src[start, start + n) if it saves at least 4 bytes. */
  private tryCompressed(sink: ByteSink, src: Buffer, start: number, n: number): boolean {
    const limit = n - 4;
    if (n <= MAX_INPUT_BYTES) {
      // Compressed in the WebAssembly module's memory, and copied from there once, into the sink.
      const size = lzfCompressInModule(src, start, n, limit);
      if (size === 0) return false;
      writeLzfHeader(sink, size, n);
      const at = lzfOutputAt(n);
      sink.bytes(lzfModuleMemory(), at, at + size);
      return true;
    }
    if (this.compressed.length < limit) this.compressed = Buffer.allocUnsafe(Math.max(limit, this.compressed.length * 2));
    const size = lzfCompress(src, start, n, this.compressed, 0, limit);
    if (size === 0) return false;
    writeLzfHeader(sink, size, n);
    sink.bytes(this.compressed, 0, size);
    return true;
  }

  /** The value's body, after its type byte (rdbSaveObject). */
  writeValue(sink: ByteSink, value: Value): void {
    if (isStringValue(value)) {
      // A large mutable string's bytes as they are (it is no integer: longer than 11 bytes).
      const large = typeof value === 'string' ? null : largeStringBytes(value);
      if (large !== null) this.writeBlob(sink, large, 0, large.length);
      else this.writeString(sink, typeof value === 'string' ? value : value.toString());
      return;
    }
    if (this.writeSmallList(sink, value)) return;
    const pieces = this.valuePieces(sink, value);
    while (pieces.next().done !== true) {
      // every piece at once
    }
  }

  /**
   * The value's body as writeValue writes it, in pieces: each next() writes the next one to
   * `sink`, at most pieceElements elements or about pieceBytes bytes (a quicklist node, an
   * element or a stretch of a long string may make a piece longer). Between two pieces the
   * caller may take what the sink holds, but the value must not change, and this encoder must
   * encode nothing else until the last piece is written: its scratch buffers hold the rest.
   */
  valuePieces(sink: ByteSink, value: Value): ValuePieces {
    if (typeof value === 'string') return this.stringPieces(sink, value);
    // A string changed in place is written from a copy: it may change between pieces.
    if (value.type === 'string') {
      const large = largeStringBytes(value as StringValue);
      // (A Buffer copy: a value longer than a JS string has no text.)
      return large !== null ? this.blobPieces(sink, Buffer.from(large), 0, large.length) : this.stringPieces(sink, value.toString());
    }
    switch (value.type) {
      case 'list':
        return this.listPieces(sink, value as List);
      case 'set':
        return this.setPieces(sink, value as SetValue);
      case 'zset':
        return this.zsetPieces(sink, value as ZSet);
      case 'hash':
        return this.hashPieces(sink, value as HashValue);
      case 'stream':
        return streamPieces(this, sink, value as Stream);
      default:
        throw new RdbError(`values of type ${(value as { type: string }).type} cannot be saved yet`);
    }
  }

  /**
   * Writes `value` at once if it is a list of one listpack node that listNodePieces would write
   * as one piece (most lists in a keyspace of many lists), as it would write it; false, having
   * written nothing, for anything else. This skips the generators, which cost more than
   * writing so small a value.
   */
  writeSmallList(sink: ByteSink, value: Value): boolean {
    if (typeof value === 'string' || value.type !== 'list') return false;
    const list = value as List;
    if (list.nodeCount !== 1 || list.size > this.pieceElements) return false;
    if (this.fill !== listMaxListpackSize() || this.packedThreshold < DEFAULT_PACKED_THRESHOLD) return false;
    const node = list.nodeAt(0);
    if (typeof node !== 'string' || node.length > this.pieceBytes) return false;
    sink.len(1);
    sink.len(QUICKLIST_NODE_CONTAINER_PACKED);
    this.writeString(sink, node);
    return true;
  }

  /** A string as writeString writes it; a long one in pieces of pieceBytes, with buffers of its own. */
  private *stringPieces(sink: ByteSink, s: string): ValuePieces {
    const n = s.length;
    // Up to 11 bytes a string may be an integer: writeString knows how.
    if (n <= this.pieceBytes || n <= 11) {
      this.writeString(sink, s);
      return;
    }
    const step = this.pieceBytes;
    if (!this.compression || n <= 20) {
      sink.len(n);
      for (let at = 0; at < n; at += step) {
        sink.latin1(s.slice(at, at + step));
        yield;
      }
      return;
    }
    const raw = Buffer.allocUnsafe(n);
    for (let at = 0; at < n; at += step) {
      raw.latin1Write(s.slice(at, at + step), at);
      yield;
    }
    yield* this.blobPieces(sink, raw, 0, n);
  }

  /** A blob as writeBlob writes it; a long one compressed and copied in pieces of pieceBytes. */
  private *blobPieces(sink: ByteSink, src: Buffer, start: number, end: number): ValuePieces {
    const n = end - start;
    if (n <= this.pieceBytes) {
      this.writeBlob(sink, src, start, end);
      return;
    }
    if (this.compression && n > 20) {
      // A buffer and a hash table of its own: other values are compressed between the pieces.
      const out = Buffer.allocUnsafe(n - 4);
      const lzf = new LzfCompression(src, start, n, out, 0, n - 4);
      while (!lzf.step(this.pieceBytes)) yield;
      const size = lzf.result as number;
      if (size !== 0) {
        writeLzfHeader(sink, size, n);
        yield* this.copyPieces(sink, out, 0, size);
        return;
      }
    }
    sink.len(n);
    yield* this.copyPieces(sink, src, start, end);
  }

  private *copyPieces(sink: ByteSink, src: Buffer, start: number, end: number): ValuePieces {
    for (let at = start; at < end; at += this.pieceBytes) {
      sink.bytes(src, at, Math.min(end, at + this.pieceBytes));
      yield;
    }
  }

  /**
   * A quicklist of listpack nodes, split as RPUSHing the elements in order would split it. The
   * node count comes first: a first pass finds where each node starts from the elements' sizes
   * alone (planNodes), then each node is built in the scratch buffer (buildNode) and written,
   * compressed, before the next, so that the scratch memory stays the size of one node. The
   * two passes are functions of their own, called piece after piece, so that each is optimized
   * early on its own (a generator's second loop would run unoptimized the first time).
   */
  private *listPieces(sink: ByteSink, list: List): ValuePieces {
    // Nodes split under the fill asked for are written as they are: a packed node's bytes are
    // already the listpack to write, and an open one is packed as one node.
    if (this.fill === listMaxListpackSize() && this.packedThreshold >= DEFAULT_PACKED_THRESHOLD) {
      yield* this.listNodePieces(sink, list);
      return;
    }
    const firsts = this.nodeFirsts;
    firsts.length = 0;
    this.nodeOpen = false;
    const n = list.size;
    const step = this.pieceElements;
    for (let from = 0; from < n; from += step) {
      this.planNodes(list, from, Math.min(n, from + step));
      yield;
    }
    const nodes = firsts.length;
    sink.len(nodes);
    const packs = this.packs;
    // A piece holds as many nodes as make pieceElements elements or pieceBytes of input.
    let input = 0;
    let left = step;
    for (let k = 0; k < nodes; k++) {
      const first = firsts[k] as number;
      if (first < 0) {
        sink.len(QUICKLIST_NODE_CONTAINER_PLAIN);
        const element = list.get(-1 - first);
        if (element.length <= this.pieceBytes) this.writeString(sink, element);
        else yield* this.stringPieces(sink, element);
        input += element.length;
        left--;
      } else {
        const next = k + 1 < nodes ? (firsts[k + 1] as number) : n;
        const end = next < 0 ? -1 - next : next;
        this.buildNode(list, first, end);
        sink.len(QUICKLIST_NODE_CONTAINER_PACKED);
        if (packs.pos <= this.pieceBytes) this.writeBlob(sink, packs.buf, 0, packs.pos);
        else yield* this.blobPieces(sink, packs.buf, 0, packs.pos);
        input += packs.pos;
        left -= end - first;
      }
      if ((input >= this.pieceBytes || left <= 0) && k + 1 < nodes) {
        yield;
        input = 0;
        left = step;
      }
    }
    packs.clear();
  }

  private *listNodePieces(sink: ByteSink, list: List): ValuePieces {
    const nodes = list.nodeCount;
    sink.len(nodes);
    let input = 0;
    let left = this.pieceElements;
    // A list of more elements than a piece holds takes more than one piece, as an element by
    // element encoding would, even when its nodes are few.
    if (list.size > left) yield;
    for (let k = 0; k < nodes; k++) {
      const node = list.nodeAt(k);
      sink.len(QUICKLIST_NODE_CONTAINER_PACKED);
      if (typeof node === 'string') {
        if (node.length <= this.pieceBytes) this.writeString(sink, node);
        else yield* this.stringPieces(sink, node);
        input += node.length;
      } else {
        const lp = this.listpack;
        const packs = this.packs;
        packs.clear();
        lp.begin();
        for (let i = 0; i < node.length; i++) lp.appendString(node[i] as string);
        lp.end();
        if (packs.pos <= this.pieceBytes) this.writeBlob(sink, packs.buf, 0, packs.pos);
        else yield* this.blobPieces(sink, packs.buf, 0, packs.pos);
        input += packs.pos;
        packs.clear();
      }
      if (typeof node === 'string') left -= node.charCodeAt(4) | (node.charCodeAt(5) << 8);
      else left -= node.length;
      if ((input >= this.pieceBytes || left <= 0) && k + 1 < nodes) {
        yield;
        input = 0;
        left = this.pieceElements;
      }
    }
  }

  /**
   * The first pass of listPieces over elements [from, to): appends to nodeFirsts the first
   * element of each node that starts there, or -1 - i for element i alone in a plain node.
   */
  private planNodes(list: List, from: number, to: number): void {
    const firsts = this.nodeFirsts;
    const fill = this.fill;
    const threshold = this.packedThreshold;
    let open = this.nodeOpen;
    let nodeBytes = this.nodeBytes;
    let nodeCount = this.nodeCount;
    for (let i = from; i < to; i++) {
      const element = list.get(i);
      const size = element.length;
      if (size >= threshold) {
        firsts.push(-1 - i);
        open = false;
      } else {
        if (!open || !nodeAllowsInsert(nodeBytes, nodeCount, size, fill)) {
          firsts.push(i);
          nodeBytes = EMPTY_LISTPACK_BYTES;
          nodeCount = 0;
          open = true;
        }
        nodeBytes += listpackEntrySize(element);
        nodeCount++;
      }
    }
    this.nodeOpen = open;
    this.nodeBytes = nodeBytes;
    this.nodeCount = nodeCount;
  }

  /** Builds the listpack of elements [first, end) in the scratch buffer, from its start. */
  private buildNode(list: List, first: number, end: number): void {
    const lp = this.listpack;
    this.packs.clear();
    lp.begin();
    for (let i = first; i < end; i++) lp.appendString(list.get(i));
    lp.end();
  }

  private *setPieces(sink: ByteSink, set: SetValue): ValuePieces {
    const n = set.size;
    const step = this.pieceElements;
    const packed = set.packedIntset();
    if (packed !== null) {
      // The packed intset is Redis's intset but for the header, with the width Redis would
      // have (widened as larger members came, never narrowed): its bytes are copied as they are.
      const packs = this.packs;
      packs.clear();
      const width = packed.charCodeAt(0) as 2 | 4 | 8;
      writeIntsetHeader(packs, width, n);
      for (let from = 0; from < n; from += step) {
        packs.latin1(packed.slice(1 + from * width, 1 + Math.min(n, from + step) * width));
        if (from + step < n) yield;
      }
      if (packs.pos <= this.pieceBytes) this.writeBlob(sink, packs.buf, 0, packs.pos);
      else yield* this.blobPieces(sink, packs.buf, 0, packs.pos);
      packs.clear();
      return;
    }
    sink.len(n);
    let left = step;
    let mark = sink.pos;
    for (const member of set.members()) {
      if (member.length <= this.pieceBytes) this.writeString(sink, member);
      else yield* this.stringPieces(sink, member);
      if (--left === 0 || sink.pos - mark >= this.pieceBytes) {
        yield;
        left = step;
        mark = sink.pos;
      }
    }
  }

  private *hashPieces(sink: ByteSink, hash: HashValue): ValuePieces {
    const n = hash.size;
    const step = this.pieceElements;
    let left = step;
    if (hash.isCompact()) {
      const packs = this.packs;
      const lp = this.listpack;
      packs.clear();
      lp.begin();
      let mark = packs.pos;
      // The packed string's entries, copied as they are: no string made for any of them.
      const packed = hash.packedForm() as string;
      let pos = firstEntry(packed);
      for (let i = 0; i < n; i++) {
        pos = lp.appendPackedEntry(packed, lp.appendPackedEntry(packed, pos));
        if (--left === 0 || packs.pos - mark >= this.pieceBytes) {
          yield;
          left = step;
          mark = packs.pos;
        }
      }
      lp.end();
      if (packs.pos <= this.pieceBytes) this.writeBlob(sink, packs.buf, 0, packs.pos);
      else yield* this.blobPieces(sink, packs.buf, 0, packs.pos);
      packs.clear();
      return;
    }
    sink.len(n);
    let mark = sink.pos;
    for (const [field, fieldValue] of hash.pairs()) {
      if (field.length <= this.pieceBytes) this.writeString(sink, field);
      else yield* this.stringPieces(sink, field);
      if (fieldValue.length <= this.pieceBytes) this.writeString(sink, fieldValue);
      else yield* this.stringPieces(sink, fieldValue);
      if (--left === 0 || sink.pos - mark >= this.pieceBytes) {
        yield;
        left = step;
        mark = sink.pos;
      }
    }
  }

  private *zsetPieces(sink: ByteSink, zset: ZSet): ValuePieces {
    const step = this.pieceElements;
    let left = step;
    if (zset.compact) {
      const packs = this.packs;
      const lp = this.listpack;
      packs.clear();
      lp.begin();
      let mark = packs.pos;
      for (let x = zset.zsl.first; x !== null; x = x.next) {
        lp.appendString(x.member);
        // Like zzlInsertAt: an integral score within ±2^62 as an integer, else "%.17g" text.
        const score = x.score;
        if (Number.isInteger(score) && score >= -DOUBLE_AS_INT_LIMIT && score <= DOUBLE_AS_INT_LIMIT) {
          if (Number.isSafeInteger(score)) lp.appendInteger(score === 0 ? 0 : score);
          else lp.appendBigInt(BigInt(score));
        } else {
          lp.appendString(formatDouble17g(score));
        }
        if (--left === 0 || packs.pos - mark >= this.pieceBytes) {
          yield;
          left = step;
          mark = packs.pos;
        }
      }
      lp.end();
      if (packs.pos <= this.pieceBytes) this.writeBlob(sink, packs.buf, 0, packs.pos);
      else yield* this.blobPieces(sink, packs.buf, 0, packs.pos);
      packs.clear();
      return;
    }
    // Highest first, as Redis saves a skiplist (loading then always inserts at the head).
    sink.len(zset.size);
    let mark = sink.pos;
    for (let x = zset.zsl.tail; x !== null; x = x.backward) {
      const member = x.member;
      if (member.length <= this.pieceBytes) this.writeString(sink, member);
      else yield* this.stringPieces(sink, member);
      sink.f64le(x.score);
      if (--left === 0 || sink.pos - mark >= this.pieceBytes) {
        yield;
        left = step;
        mark = sink.pos;
      }
    }
  }
}

/** The header of an LZF-compressed string: its compressed and original lengths. */
function writeLzfHeader(sink: ByteSink, compressedSize: number, size: number): void {
  sink.byte((RDB_ENCVAL << 6) | RDB_ENC_LZF);
  sink.len(compressedSize);
  sink.len(size);
}

/** An integer within 32 bits as an RDB "encoded" string (rdbEncodeInteger). */
function writeEncodedInt(sink: ByteSink, v: number): void {
  sink.ensure(5);
  const buf = sink.buf;
  let p = sink.pos;
  if (v >= -128 && v <= 127) {
    buf[p++] = (RDB_ENCVAL << 6) | RDB_ENC_INT8;
    buf[p++] = v & 0xff;
  } else if (v >= -32768 && v <= 32767) {
    buf[p++] = (RDB_ENCVAL << 6) | RDB_ENC_INT16;
    buf.writeInt16LE(v, p);
    p += 2;
  } else {
    buf[p++] = (RDB_ENCVAL << 6) | RDB_ENC_INT32;
    buf.writeInt32LE(v, p);
    p += 4;
  }
  sink.pos = p;
}
