/**
 * Walking a stream's entries (Redis's streamIterator), over its nodes (node.ts) as stream.ts
 * keeps them.
 */
import { addToU64, compareIds, type StreamId } from './id.js';
import { LP_EOF, decodeElement, element, previousElement, readInt, skipElement } from './listpack.js';
import { FLAG_DELETED, FLAG_SAMEFIELDS, StreamNode } from './node.js';

/** What the iterator reads of a stream: its nodes in ID order, from index `head` on. */
export interface NodeSequence {
  readonly nodes: readonly StreamNode[];
  readonly head: number;
}

const EMPTY = Buffer.alloc(0);

/** Below this hi part, a 64-bit half of an ID is exact as a number. */
const SAFE_HI = 2097152;
const TWO_32 = 4294967296;

/** A half of a bound as a number for comparing small IDs: past 2^53 it is above any of them. */
function boundPart(hi: number, lo: number): number {
  return hi < SAFE_HI ? hi * TWO_32 + lo : Infinity;
}

/**
 * Walks entries between two IDs, forward or backward (streamIterator). After next() returns
 * true, the iterator describes the entry: its ID (`id`, or the parts: `ms` and `seq` as
 * numbers when `small`, always `msHi`… as 32-bit halves), `flags`, `numFields`; its fields and
 * values are read with nextField() and nextValue(), which return the position of the element
 * in `lp` (see listpack.ts decodeElement / elementText). The stream must not change while it
 * is walked. Nothing is allocated per entry.
 */
export class StreamIterator implements StreamId {
  skipTombstones = true;
  /** Stop at the end of the first node (trimming looks at one node's last entry). */
  singleNode = false;
  /** Absolute index of the current node in stream.nodes. */
  nodeIndex: number;
  private node: StreamNode | null = null;
  lp: Buffer = EMPTY;
  /** Forward: where the next entry starts. Backward: where the current entry starts. */
  private p = 0;
  private masterFieldsPos = 0;
  // The current entry.
  msHi = 0;
  msLo = 0;
  seqHi = 0;
  seqLo = 0;
  /** Whether ms and seq are below 2^53, and then their values. */
  small = true;
  ms = 0;
  seq = 0;
  flags = 0;
  numFields = 0;
  flagsPos = 0;
  private fieldCursor = 0;
  private masterCursor = 0;
  /** Forward: values of the entry handed out not read yet; -1 once `p` is past the entry. */
  private valuesLeft = -1;
  // The bounds, as numbers for small IDs (see boundPart).
  private readonly startMs: number;
  private readonly startSeq: number;
  private readonly endMs: number;
  private readonly endSeq: number;

  constructor(
    private readonly stream: NodeSequence,
    private readonly start: StreamId,
    private readonly end: StreamId,
    private readonly reverse: boolean,
    firstNode: number,
  ) {
    this.nodeIndex = firstNode;
    this.startMs = boundPart(start.msHi, start.msLo);
    this.startSeq = boundPart(start.seqHi, start.seqLo);
    this.endMs = boundPart(end.msHi, end.msLo);
    this.endSeq = boundPart(end.seqHi, end.seqLo);
  }

  /** The current entry's ID, as a value of its own. */
  get id(): StreamId {
    return { msHi: this.msHi, msLo: this.msLo, seqHi: this.seqHi, seqLo: this.seqLo };
  }

  private loadNode(): boolean {
    const stream = this.stream;
    if (this.nodeIndex < stream.head || this.nodeIndex >= stream.nodes.length) return false;
    const node = stream.nodes[this.nodeIndex] as StreamNode;
    this.node = node;
    this.lp = node.lp;
    this.masterFieldsPos = node.masterFieldsPos;
    // Forward: the first entry. Backward: the EOF, from which next() steps back to the last entry.
    this.p = this.reverse ? node.bytes - 1 : node.entriesPos;
    return true;
  }

  private back(p: number, count: number): number {
    const lp = this.lp;
    for (let i = 0; i < count; i++) p = previousElement(lp, p);
    return p;
  }

  private leaveNode(): void {
    this.node = null;
    if (this.singleNode) this.nodeIndex = -1;
    else this.nodeIndex += this.reverse ? -1 : 1;
  }

  /** The current entry's ID against a bound, as compareIds: -1, 0 or 1 for below, equal, above. */
  private compareTo(bound: StreamId, boundMs: number, boundSeq: number): number {
    if (this.small) {
      const ms = this.ms;
      if (ms !== boundMs) return ms < boundMs ? -1 : 1;
      const seq = this.seq;
      return seq === boundSeq ? 0 : seq < boundSeq ? -1 : 1;
    }
    return compareIds(this, bound);
  }

  /** Moves to the next entry in range; false when there is none. */
  next(): boolean {
    if (this.valuesLeft !== -1) {
      // Past the entry handed out last: right after its last value if it was read to the end.
      const lp = this.lp;
      this.p = this.valuesLeft === 0 ? skipElement(lp, this.fieldCursor) : StreamNode.entryEnd(lp, this.flagsPos, (this.node as StreamNode).masterFieldCount);
      this.valuesLeft = -1;
    }
    for (;;) {
      if (this.node === null && !this.loadNode()) return false;
      if (this.reverse) {
        // Step back over the previous entry's lp-count (or the master's terminating 0).
        const q = previousElement(this.lp, this.p);
        const count = readInt(this.lp, q);
        if (count === 0) {
          this.leaveNode();
          continue;
        }
        this.p = this.back(q, count);
      }
      const lp = this.lp;
      if (!this.reverse && lp[this.p] === LP_EOF) {
        this.leaveNode();
        continue;
      }
      const node = this.node as StreamNode;
      const at = this.p;
      const flags = lp[at] as number;
      let p = at + 2; // flags are 0..3: one byte and its backlen
      p = decodeElement(lp, p);
      const msDelta = element.int;
      p = decodeElement(lp, p);
      const seqDelta = element.int;
      // Exact as numbers while everything stays below 2^53 (master below 2^52, deltas within
      // ±2^52) and nothing wraps around 2^64 (a negative sum: an entry near the largest ID).
      let done = false;
      if (
        typeof msDelta === 'number' && typeof seqDelta === 'number' && node.msHi < 1048576 && node.seqHi < 1048576 &&
        msDelta < 4503599627370496 && msDelta > -4503599627370496 && seqDelta < 4503599627370496 && seqDelta > -4503599627370496
      ) {
        const ms = node.msHi * TWO_32 + node.msLo + msDelta;
        const seq = node.seqHi * TWO_32 + node.seqLo + seqDelta;
        if (ms >= 0 && seq >= 0) {
          this.small = true;
          this.ms = ms;
          this.seq = seq;
          const msHi = Math.floor(ms / TWO_32);
          this.msHi = msHi;
          this.msLo = ms - msHi * TWO_32;
          const seqHi = Math.floor(seq / TWO_32);
          this.seqHi = seqHi;
          this.seqLo = seq - seqHi * TWO_32;
          done = true;
        }
      }
      if (!done) {
        const [msHi, msLo] = addToU64(node.msHi, node.msLo, msDelta);
        const [seqHi, seqLo] = addToU64(node.seqHi, node.seqLo, seqDelta);
        this.msHi = msHi;
        this.msLo = msLo;
        this.seqHi = seqHi;
        this.seqLo = seqLo;
        this.small = msHi < SAFE_HI && seqHi < SAFE_HI;
        this.ms = msHi * TWO_32 + msLo;
        this.seq = seqHi * TWO_32 + seqLo;
      }
      let numFields: number;
      if ((flags & FLAG_SAMEFIELDS) !== 0) {
        numFields = node.masterFieldCount;
      } else {
        numFields = readInt(lp, p);
        p = skipElement(lp, p);
      }
      const live = !this.skipTombstones || (flags & FLAG_DELETED) === 0;
      if (!this.reverse) {
        if (live && this.compareTo(this.start, this.startMs, this.startSeq) >= 0) {
          if (this.compareTo(this.end, this.endMs, this.endSeq) > 0) return false;
          this.setEntry(flags, numFields, at, p);
          this.valuesLeft = numFields;
          return true;
        }
        this.p = StreamNode.entryEnd(lp, at, node.masterFieldCount);
      } else if (live && this.compareTo(this.end, this.endMs, this.endSeq) <= 0) {
        if (this.compareTo(this.start, this.startMs, this.startSeq) < 0) return false;
        this.setEntry(flags, numFields, at, p);
        return true;
      }
    }
  }

  private setEntry(flags: number, numFields: number, flagsPos: number, fieldsPos: number): void {
    this.flags = flags;
    this.numFields = numFields;
    this.flagsPos = flagsPos;
    this.fieldCursor = fieldsPos;
    this.masterCursor = this.masterFieldsPos;
  }

  /** Position of the current entry's next field name (the master's, for SAMEFIELDS entries). */
  nextField(): number {
    if ((this.flags & FLAG_SAMEFIELDS) !== 0) {
      const p = this.masterCursor;
      this.masterCursor = skipElement(this.lp, p);
      return p;
    }
    const p = this.fieldCursor;
    this.fieldCursor = skipElement(this.lp, p);
    return p;
  }

  /** Position of the current entry's next value (after its field: call nextField first). */
  nextValue(): number {
    const p = this.fieldCursor;
    this.fieldCursor = skipElement(this.lp, p);
    if (this.valuesLeft > 0) this.valuesLeft--;
    return p;
  }
}
