/**
 * Streams in RDB files and DUMP payloads, as Redis 7.0 writes them (RDB_TYPE_STREAM_LISTPACKS_2,
 * rdbSaveObject / rdbLoadObject):
 *
 *   node count, then per node: its master ID (16 bytes, big-endian, as a string) and its listpack
 *   (a string, LZF-compressed when that pays); the length; the last ID, the first ID and the
 *   greatest deleted ID (ms and seq each as an RDB length, 64 bits when needed); entries added;
 *   the group count, then per group: its name, last ID, entries read (-1 as 2^64 - 1), its PEL
 *   (count; per entry the raw 16-byte ID, the delivery time as 8 bytes LE, the delivery count),
 *   its consumers (count; per consumer its name, seen time, and its PEL as raw IDs only).
 *
 * RDB_TYPE_STREAM_LISTPACKS (5.0 to 6.2) lacks the first and deleted IDs, entries added and
 * entries read, which are derived on load as Redis does.
 */
import {
  ConsumerGroup, ENTRIES_READ_INVALID, PendingEntry, Stream, StreamNode, compareIds, readIdBytes, writeIdBytes, type Counter, type StreamId,
} from '../../types/stream/index.js';
import { canonicalStreamListpack, isValidStreamListpack, streamListpackNeedsRewrite } from '../../types/stream/validate.js';
import { RDB_64BITLEN, RDB_TYPE_STREAM_LISTPACKS_2, RdbError } from './constants.js';
import type { ByteSink } from './sink.js';
import type { ByteSource } from './source.js';

/** The part of the value encoder a stream is written with: strings and blobs as rdbSaveRawString writes them. */
export interface StringWriter {
  writeString(sink: ByteSink, s: string): void;
  writeBlob(sink: ByteSink, src: Buffer, start: number, end: number): void;
}

const TWO_32 = 4294967296;
const ID_BYTES = 16;
/** Bytes of listpacks per piece of a stream written in pieces. */
const PIECE_BYTES = 64 * 1024;

/** An unsigned 64-bit RDB length given as two 32-bit halves (rdbSaveLen). */
function writeLen64(sink: ByteSink, hi: number, lo: number): void {
  if (hi === 0) {
    sink.len(lo);
    return;
  }
  sink.ensure(9);
  const buf = sink.buf;
  buf[sink.pos++] = RDB_64BITLEN;
  buf.writeUInt32BE(hi, sink.pos);
  buf.writeUInt32BE(lo, sink.pos + 4);
  sink.pos += 8;
}

/** A 64-bit counter as rdbSaveLen writes it: a negative one as its two's complement. */
function writeCounter(sink: ByteSink, value: Counter): void {
  if (typeof value === 'number' && value >= 0) {
    writeLen64(sink, Math.floor(value / TWO_32), value % TWO_32);
    return;
  }
  const u = BigInt.asUintN(64, BigInt(value));
  writeLen64(sink, Number(u >> 32n), Number(u & 0xffffffffn));
}

function writeId(sink: ByteSink, id: StreamId): void {
  writeLen64(sink, id.msHi, id.msLo);
  writeLen64(sink, id.seqHi, id.seqLo);
}

function writeRawId(sink: ByteSink, key: string): void {
  // An idKey is the 16 bytes themselves, one per char.
  sink.latin1(key);
}

/** rdbSaveMillisecondTime: 8 bytes, little-endian. */
function writeTime(sink: ByteSink, ms: number): void {
  sink.i64le(ms);
}

/** The body of a stream (after its type byte), in pieces: one per PIECE_BYTES of listpacks. */
export function* streamPieces(encoder: StringWriter, sink: ByteSink, stream: Stream): Generator<void, void, void> {
  const nodes = stream.nodeCount;
  sink.len(nodes);
  for (let next = 0; next < nodes; ) {
    next = writeNodes(encoder, sink, stream, next);
    if (next < nodes) yield;
  }
  yield* streamTail(encoder, sink, stream);
}

/** Scratch for a node's key (its master ID, big-endian). */
const nodeKey = Buffer.allocUnsafe(ID_BYTES);

/**
 * Writes nodes from `from` until about PIECE_BYTES of listpacks are written; returns the index
 * of the next node. Kept apart from the generators around it: this loop is what a large
 * stream's save runs, and a small plain function is optimized sooner and more cheaply.
 */
function writeNodes(encoder: StringWriter, sink: ByteSink, stream: Stream, from: number): number {
  const nodes = stream.nodeCount;
  let written = 0;
  let i = from;
  while (i < nodes && written < PIECE_BYTES) {
    const node = stream.nodeAt(i++);
    writeIdBytes(nodeKey, 0, node);
    // Sixteen bytes: neither an integer nor long enough to compress, written as they are.
    sink.len(ID_BYTES);
    sink.bytes(nodeKey, 0, ID_BYTES);
    encoder.writeBlob(sink, node.lp, 0, node.bytes);
    written += node.bytes;
  }
  return i;
}

/** What follows the nodes: length, IDs, counters, and the consumer groups. */
function* streamTail(encoder: StringWriter, sink: ByteSink, stream: Stream): Generator<void, void, void> {
  sink.len(stream.length);
  writeId(sink, stream.lastId);
  writeId(sink, stream.firstId);
  writeId(sink, stream.maxDeletedId);
  writeCounter(sink, stream.entriesAdded);
  const groups = stream.groupsInOrder();
  sink.len(groups.length);
  for (const [name, group] of groups) {
    encoder.writeString(sink, name);
    writeId(sink, group.lastId);
    writeCounter(sink, group.entriesRead);
    sink.len(group.pel.size);
    for (const [entryKey, entry] of group.pel.entries()) {
      writeRawId(sink, entryKey);
      writeTime(sink, entry.deliveryTime);
      sink.len(entry.deliveryCount);
    }
    const consumers = group.consumersInOrder();
    sink.len(consumers.length);
    for (const consumer of consumers) {
      encoder.writeString(sink, consumer.name);
      writeTime(sink, consumer.seenTime);
      sink.len(consumer.pel.size);
      for (const [entryKey] of consumer.pel.entries()) writeRawId(sink, entryKey);
    }
    if (group.pel.size > 4096) yield;
  }
}

// ---- loading ----

/** An RDB length of up to 64 bits, exactly, as two 32-bit halves (rdbLoadLen). */
function readLen64(src: ByteSource): [number, number] {
  const b = src.u8();
  const kind = b >> 6;
  // A string's special-encoding bits where a length is expected: rdbLoadLen takes the six low bits.
  if (kind === 0 || kind === 3) return [0, b & 0x3f];
  if (kind === 1) return [0, ((b & 0x3f) << 8) | src.u8()];
  if (b === 0x80) {
    src.need(4);
    const v = src.buf.readUInt32BE(src.pos);
    src.pos += 4;
    return [0, v];
  }
  if (b === RDB_64BITLEN) {
    src.need(8);
    const hi = src.buf.readUInt32BE(src.pos);
    const lo = src.buf.readUInt32BE(src.pos + 4);
    src.pos += 8;
    return [hi, lo];
  }
  throw new RdbError(`Unknown length encoding ${kind} in rdbLoadLen()`);
}

function readId(src: ByteSource): StreamId {
  const [msHi, msLo] = readLen64(src);
  const [seqHi, seqLo] = readLen64(src);
  return { msHi, msLo, seqHi, seqLo };
}

/** A saved counter: a number when exact, a bigint beyond; `signed` reads it as a long long (entries read). */
function readCounter(src: ByteSource, signed: boolean): Counter {
  const [hi, lo] = readLen64(src);
  if (hi < 0x200000) return hi * TWO_32 + lo;
  let v = (BigInt(hi) << 32n) | BigInt(lo);
  if (signed) v = BigInt.asIntN(64, v);
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** A count that must fit the remaining bytes, `minBytes` each. */
function readCount(src: ByteSource, minBytes: number): number {
  const [hi, lo] = readLen64(src);
  const n = hi * TWO_32 + lo;
  if (n * minBytes > src.remaining) src.truncated();
  return n;
}

function readRawId(src: ByteSource): string {
  src.need(ID_BYTES);
  const key = src.buf.latin1Slice(src.pos, src.pos + ID_BYTES);
  src.pos += ID_BYTES;
  return key;
}

/** Bytes of a slab the listpacks of a loaded stream are carved from. */
const SLAB_BYTES = 64 * 1024;

/**
 * Buffers for the listpacks of one stream being loaded, carved from slabs of up to SLAB_BYTES:
 * one ArrayBuffer per node (ten thousand for a million entries) costs more in allocation and
 * garbage collection than the decompression. A slab is sized for the nodes left to load (as
 * large as the last one), so a small stream takes no more than it needs; slabs are not shared
 * between streams, so deleting one frees its memory. A slab lives while any of its nodes does:
 * nodes trimmed from the head free slabs in order, and a node that grows (the tail, on XADD)
 * moves to a buffer of its own.
 */
class ListpackSlab {
  /** Nodes still to load, this one included (set before each allocation). */
  nodesLeft = 0;
  private slab: Buffer | null = null;
  private used = 0;

  readonly allocate = (size: number): Buffer => {
    let slab = this.slab;
    if (slab === null || this.used + size > slab.length) {
      if (size * 4 > SLAB_BYTES) return Buffer.allocUnsafeSlow(size);
      slab = Buffer.allocUnsafeSlow(Math.min(SLAB_BYTES, size * this.nodesLeft));
      this.slab = slab;
      this.used = 0;
    }
    const lp = slab.subarray(this.used, this.used + size);
    this.used += size;
    return lp;
  };
}

/** A stream value (rdbLoadObject for RDB_TYPE_STREAM_LISTPACKS and _2), checked throughout. */
export function decodeStream(src: ByteSource, type: number): Stream {
  const v2 = type === RDB_TYPE_STREAM_LISTPACKS_2;
  const stream = new Stream();
  const nodes = readCount(src, 2);
  const loaded: StreamNode[] = [];
  const slab = new ListpackSlab();
  for (let i = 0; i < nodes; i++) {
    const key = src.blob();
    if (key.length !== ID_BYTES) throw new RdbError('Stream node key entry is not the size of a stream ID');
    const master = readIdBytes(key, 0);
    slab.nodesLeft = nodes - i;
    const lp = src.ownedBlob(slab.allocate);
    if (!isValidStreamListpack(lp)) throw new RdbError('Stream listpack integrity check failed.');
    // Integers written as strings (only a crafted file has them) are rewritten as XADD writes them.
    loaded.push(StreamNode.fromListpack(master, streamListpackNeedsRewrite() ? canonicalStreamListpack(lp) : lp));
  }
  // Redis keeps nodes in a radix tree: in ID order whatever the file's order, and unique.
  for (let i = 1; i < loaded.length; i++) {
    if (compareIds(loaded[i - 1] as StreamNode, loaded[i] as StreamNode) >= 0) {
      loaded.sort(compareIds);
      break;
    }
  }
  for (let i = 0; i < loaded.length; i++) {
    if (i > 0 && compareIds(loaded[i - 1] as StreamNode, loaded[i] as StreamNode) === 0) throw new RdbError('Listpack re-added with existing key');
    stream.appendNode(loaded[i] as StreamNode);
  }
  const length = readCounter(src, false);
  stream.length = Number(length);
  stream.lastId = readId(src);
  if (v2) {
    stream.firstId = readId(src);
    stream.maxDeletedId = readId(src);
    stream.entriesAdded = readCounter(src, false);
  } else {
    stream.entriesAdded = stream.length;
    stream.firstId = stream.edgeId(true, true);
  }
  if (stream.length !== 0 && stream.nodeCount === 0) throw new RdbError('Stream length inconsistent with rax entries');
  const groups = readCount(src, 3);
  for (let g = 0; g < groups; g++) {
    const name = src.string();
    const lastId = readId(src);
    const entriesRead = v2 ? readCounter(src, true) : stream.estimateDistance(lastId);
    stream.groups ??= new Map();
    if (stream.groups.has(name)) throw new RdbError(`Duplicated consumer group name ${name}`);
    const group = new ConsumerGroup(lastId, entriesRead === ENTRIES_READ_INVALID ? ENTRIES_READ_INVALID : entriesRead);
    stream.groups.set(name, group);
    const pelSize = readCount(src, ID_BYTES + 9);
    for (let i = 0; i < pelSize; i++) {
      const entryKey = readRawId(src);
      const deliveryTime = src.i64le();
      const deliveryCount = Number(readCounter(src, false));
      if (!group.pel.add(entryKey, new PendingEntry(deliveryTime, deliveryCount, null))) {
        throw new RdbError('Duplicated global PEL entry loading stream consumer group');
      }
    }
    const consumers = readCount(src, 10);
    for (let c = 0; c < consumers; c++) {
      const consumerName = src.string();
      const consumer = group.createConsumer(consumerName, 0);
      if (consumer === null) throw new RdbError('Duplicate stream consumer detected.');
      consumer.seenTime = src.i64le();
      const owned = readCount(src, ID_BYTES);
      for (let i = 0; i < owned; i++) {
        const entryKey = readRawId(src);
        const entry = group.pel.get(entryKey);
        if (entry === undefined) throw new RdbError('Consumer entry not found in group global PEL');
        entry.consumer = consumer;
        if (!consumer.pel.add(entryKey, entry)) throw new RdbError('Duplicated consumer PEL entry  loading a stream consumer group');
      }
    }
    for (const [, entry] of group.pel.entries()) {
      if (entry.consumer === null) throw new RdbError('Stream CG PEL entry without consumer');
    }
  }
  return stream;
}
