/**
 * LZF, the compression Redis applies to long strings in RDB files (lzf_c.c / lzf_d.c, built
 * with HLOG 16 and VERY_FAST). The compressed stream is a sequence of
 *   000LLLLL + L+1 literal bytes                      (1..32 literals)
 *   LLLooooo oooooooo                                  (back reference of L+2 = 3..8 bytes)
 *   111ooooo LLLLLLLL oooooooo                         (back reference of L+9 bytes)
 * where the offset o+1 counts back from the current output position (1..8192).
 *
 * The compressor makes the same choices as Redis's (same hash of three bytes, same table size,
 * same match extension, the same two positions hashed after a match, and the same "does it
 * still fit" checks), so that a value DUMPed here is byte for byte what Redis DUMPs. Redis does
 * not clear its hash table between calls (stale slots are only ever used after their bytes
 * are compared), so it may, rarely, find a different match than a clean table would; ours is
 * always clean.
 */

import { lzfCompressWasm, lzfDecompressWasm, MAX_INPUT_BYTES } from './lzf-wasm.js';

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * Hash slots hold `generation + position + 1`: a slot below the current call's generation is
 * empty, so the table needs no clearing between calls (a 256 KB fill per string would cost
 * more than compressing a short one).
 */
interface HashTable {
  readonly slots: Int32Array;
  generation: number;
}

/** The table of one-shot calls, shared: each call is over before the next one starts. */
const shared: HashTable = { slots: new Int32Array(HSIZE), generation: 0 };

/**
 * The slot of the three bytes next3 = a << 16 | b << 8 | c (lzf's IDX(NEXT(FRST)) reduced to
 * what it depends on: (ab - bc * 5) mod HSIZE).
 */
function slotOf(next3: number): number {
  return ((next3 >>> 8) - (next3 & 0xffff) * 5) & (HSIZE - 1);
}

/**
 * Where a compression stands: input and output positions and the length of the literal run
 * being written. The compressor's choices depend only on these, the bytes and the hash table,
 * so a compression stopped between two steps and resumed makes the same output as one run.
 */
interface LzfProgress {
  ip: number;
  op: number;
  lit: number;
}

/** What compressStep returns: the compressed length when done, or one of these. */
const LZF_DOES_NOT_FIT = 0;
const LZF_MORE = -1;

/**
 * How far a match at `ip` against `ref` (ref < ip) extends, as lzf_c.c's loop finds it: bytes
 * 0..2 are known equal; lzf compares 16 more unconditionally when maxlen > 16 (which may take
 * it a byte or two past maxlen, never past the input), then goes on while below maxlen. The
 * first differing byte is found four bytes at a time.
 */
function matchLength(view: DataView, src: Uint8Array, s: number, ref: number, ip: number, maxlen: number): number {
  // Both comparisons run every time, so that V8 has seen them whatever the input so far: one
  // seen only near the end of some input would undo the optimized compressor there.
  const over16 = maxlen > 16;
  const under19 = maxlen < 19;
  const cap = over16 && under19 ? 19 : maxlen;
  // m: the first index from 3 on where the bytes differ, or cap.
  let m = 3;
  const a = s + ref;
  const b = s + ip;
  while (m + 4 <= cap) {
    const diff = view.getUint32(a + m, true) ^ view.getUint32(b + m, true);
    if (diff !== 0) {
      m += (31 - Math.clz32(diff & -diff)) >>> 3;
      return finalLength(m, maxlen);
    }
    m += 4;
  }
  while (m < cap && src[a + m] === src[b + m]) m++;
  return finalLength(m < cap ? m : cap, maxlen);
}

/** lzf's match length given the first differing byte m (see matchLength). */
function finalLength(m: number, maxlen: number): number {
  // Every comparison up front, as in matchLength (why: there).
  const over16 = maxlen > 16;
  const short = m <= 18;
  const within = m < maxlen;
  const mOver19 = m > 19;
  const maxOver19 = maxlen > 19;
  const maxOver3 = maxlen > 3;
  if (over16) {
    if (short) return m;
    if (within) return mOver19 ? m : 19;
    return maxOver19 ? maxlen : 19;
  }
  if (within) return m;
  return maxOver3 ? maxlen : 3;
}

/**
 * Runs the compressor until the input position reaches `ipLimit` (or the end). Returns the
 * compressed length when the input is done, LZF_DOES_NOT_FIT, or LZF_MORE.
 *
 * The three bytes hashed at each position are kept in `next3` (b0 << 16 | b1 << 8 | b2) and
 * rolled forward by one byte per literal, as lzf's hval is.
 */
function compressStep(
  table: Int32Array,
  base: number,
  at: LzfProgress,
  src: Uint8Array,
  s: number,
  inEnd: number,
  dst: Uint8Array,
  d: number,
  outEnd: number,
  ipLimit: number,
): number {
  let ip = at.ip;
  let op = at.op;
  let lit = at.lit;
  const stop = Math.min(inEnd - 2, ipLimit);
  const view = viewOf(src);
  let next3 = ip < stop ? (src[s + ip] << 16) | (src[s + ip + 1] << 8) | src[s + ip + 2] : 0;

  while (ip < stop) {
    const slot = slotOf(next3);
    const stored = table[slot];
    table[slot] = base + ip + 1;
    const ref = stored - base - 1;
    const off = ip - ref - 1;
    // ref > 0: like lzf, a match never starts at the very first byte (nor at an empty slot's -1).
    if (ref > 0 && off < MAX_OFF && view.getUint32(s + ref) >>> 8 === next3) {
      let maxlen = inEnd - ip - 2;
      if (maxlen > MAX_REF) maxlen = MAX_REF;

      if (op + 3 + 1 >= outEnd && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return LZF_DOES_NOT_FIT;

      dst[d + op - lit - 1] = lit - 1; // close the literal run
      if (lit === 0) op--; // there was none: reuse its control byte

      let len = matchLength(view, src, s, ref, ip, maxlen);

      len -= 2; // now the number of bytes - 2
      ip++;

      if (len < 7) {
        dst[d + op++] = (off >> 8) + (len << 5);
      } else {
        dst[d + op++] = (off >> 8) + (7 << 5);
        dst[d + op++] = len - 7;
      }
      dst[d + op++] = off & 0xff;

      lit = 0;
      op++; // start a new literal run

      ip += len + 1;
      if (ip >= inEnd - 2) break;

      // VERY_FAST: hash the two positions before the one we continue at.
      ip -= 2;
      const before = (src[s + ip] << 24) | (src[s + ip + 1] << 16) | (src[s + ip + 2] << 8) | src[s + ip + 3];
      table[slotOf(before >>> 8)] = base + ip + 1;
      ip++;
      table[slotOf(before & 0xffffff)] = base + ip + 1;
      ip++;
      if (ip < stop) next3 = ((before << 8) | src[s + ip + 2]) & 0xffffff;
    } else {
      if (op >= outEnd) return LZF_DOES_NOT_FIT;
      lit++;
      dst[d + op++] = next3 >>> 16;
      ip++;
      if (lit === MAX_LIT) {
        dst[d + op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
      if (ip < stop) next3 = ((next3 << 8) | src[s + ip + 2]) & 0xffffff;
    }
  }

  if (ip < inEnd - 2) {
    at.ip = ip;
    at.op = op;
    at.lit = lit;
    return LZF_MORE;
  }

  if (op + 3 > outEnd) return LZF_DOES_NOT_FIT; // at most 3 bytes can be missing here

  while (ip < inEnd) {
    lit++;
    dst[d + op++] = src[s + ip++];
    if (lit === MAX_LIT) {
      dst[d + op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }

  dst[d + op - lit - 1] = lit - 1; // close the last run
  if (lit === 0) op--;
  return op;
}

/**
 * A DataView of the last few byte arrays compressed from or decompressed into: the same
 * scratch buffers come back call after call, and a view per call (a million small list nodes
 * in a save) is garbage. Keyed by the array itself, whose memory never moves. Only arrays up
 * to VIEWED_BYTES are kept (a view of a large one costs nothing next to its work, and keeping
 * it would keep the array).
 */
const views: { array: Uint8Array | null; view: DataView }[] = [];
const VIEWS_KEPT = 4;
const VIEWED_BYTES = 1 << 20;
let nextView = 0;

/** The array of the last view given, which is most often the next one asked for. */
let lastArray: Uint8Array | null = null;
let lastView: DataView | null = null;

function viewOf(array: Uint8Array): DataView {
  if (array === lastArray) return lastView as DataView;
  if (array.byteLength > VIEWED_BYTES) return new DataView(array.buffer, array.byteOffset, array.byteLength);
  let view: DataView | null = null;
  for (let i = 0; i < views.length; i++) {
    const entry = views[i] as { array: Uint8Array | null; view: DataView };
    if (entry.array === array) view = entry.view;
  }
  if (view === null) {
    view = new DataView(array.buffer, array.byteOffset, array.byteLength);
    if (views.length < VIEWS_KEPT) views.push({ array, view });
    else {
      const entry = views[nextView] as { array: Uint8Array | null; view: DataView };
      entry.array = array;
      entry.view = view;
      nextView = (nextView + 1) % VIEWS_KEPT;
    }
  }
  lastArray = array;
  lastView = view;
  return view;
}

/** The progress of one-shot calls, reused. */
const oneShot: LzfProgress = { ip: 0, op: 1, lit: 0 };

/** Reserves `srcLen + 1` generations of `table` for one compression; returns its base. */
function reserve(table: HashTable, srcLen: number): number {
  if (table.generation + srcLen + 1 > 0x7fffffff) {
    table.slots.fill(0);
    table.generation = 0;
  }
  const base = table.generation;
  table.generation += srcLen + 1;
  return base;
}

/**
 * Compresses src[srcStart, srcStart + srcLen) into dst from dstStart, using at most dstLen
 * bytes. Returns the compressed length, or 0 when the result would not fit in dstLen (Redis
 * asks for at least 4 bytes saved by passing dstLen = srcLen - 4). `dst` must have room for
 * dstLen bytes from dstStart.
 */
export function lzfCompress(src: Uint8Array, srcStart: number, srcLen: number, dst: Uint8Array, dstStart: number, dstLen: number): number {
  if (srcLen === 0 || dstLen === 0) return 0;
  if (srcLen <= MAX_INPUT_BYTES) return lzfCompressWasm(src, srcStart, srcLen, dst, dstStart, dstLen);
  return lzfCompressJs(src, srcStart, srcLen, dst, dstStart, dstLen);
}

/** lzfCompress in JS, whatever the input's size (inputs too large for lzf-wasm.ts's memory, and tests). */
export function lzfCompressJs(src: Uint8Array, srcStart: number, srcLen: number, dst: Uint8Array, dstStart: number, dstLen: number): number {
  if (srcLen === 0 || dstLen === 0) return 0;
  const base = reserve(shared, srcLen);
  const at = oneShot;
  at.ip = 0;
  at.op = 1; // room for the first literal run's control byte
  at.lit = 0;
  return compressStep(shared.slots, base, at, src, srcStart, srcLen, dst, dstStart, dstLen, srcLen);
}

/**
 * One compression done a step at a time (a large string saved by a background save, between
 * which the event loop runs): the same output as lzfCompress. It has a hash table of its own,
 * since other compressions may run between its steps. src and dst must stay as they are
 * until it is done.
 */
export class LzfCompression {
  private readonly table: HashTable = { slots: new Int32Array(HSIZE), generation: 0 };
  private readonly base: number;
  private readonly at: LzfProgress = { ip: 0, op: 1, lit: 0 };
  /** The compressed length once done (0: it did not fit), or null while not done. */
  result: number | null = null;

  constructor(
    private readonly src: Uint8Array,
    private readonly srcStart: number,
    private readonly srcLen: number,
    private readonly dst: Uint8Array,
    private readonly dstStart: number,
    private readonly dstLen: number,
  ) {
    this.base = reserve(this.table, srcLen);
    if (srcLen === 0 || dstLen === 0) this.result = 0;
  }

  /** Compresses about `inputBytes` more bytes of the input; true once done (see `result`). */
  step(inputBytes: number): boolean {
    if (this.result !== null) return true;
    const r = compressStep(
      this.table.slots,
      this.base,
      this.at,
      this.src,
      this.srcStart,
      this.srcLen,
      this.dst,
      this.dstStart,
      this.dstLen,
      this.at.ip + Math.max(1, inputBytes),
    );
    if (r === LZF_MORE) return false;
    this.result = r;
    return true;
  }
}

/**
 * Outputs from this size are decompressed in WebAssembly: below it, the copies in and out and
 * the call cost more than the loop saves.
 */
const WASM_DECOMPRESS_FROM = 256;

/**
 * Decompresses src[srcStart, srcEnd) into dst[dstStart, dstStart + dstLen). Returns the number
 * of bytes produced, or -1 when the input is malformed or would produce more than dstLen
 * bytes (a back reference before the start of the output, a run cut short).
 */
export function lzfDecompress(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number, dstLen: number): number {
  // Both bounded: the module's memory grows to hold input and output (and never shrinks), and
  // the input of a crafted payload may be far longer than what it claims to decompress to.
  if (dstLen >= WASM_DECOMPRESS_FROM && dstLen <= MAX_INPUT_BYTES && srcEnd - srcStart <= MAX_INPUT_BYTES) {
    return lzfDecompressWasm(src, srcStart, srcEnd, dst, dstStart, dstLen);
  }
  return lzfDecompressJs(src, srcStart, srcEnd, dst, dstStart, dstLen);
}

/** lzfDecompress in JS, whatever the output's size (short ones, those too large for lzf-wasm.ts's memory, and tests). */
export function lzfDecompressJs(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number, dstLen: number): number {
  let ip = srcStart;
  let op = dstStart;
  const outEnd = dstStart + dstLen;
  const view = viewOf(dst);
  while (ip < srcEnd) {
    let ctrl = src[ip++];
    if (ctrl < MAX_LIT) {
      ctrl++;
      if (op + ctrl > outEnd || ip + ctrl > srcEnd) return -1;
      // At most 32 bytes: a loop costs less than a subarray and a set().
      for (let i = 0; i < ctrl; i++) dst[op++] = src[ip++];
    } else {
      let len = ctrl >> 5;
      if (ip >= srcEnd) return -1;
      if (len === 7) {
        len += src[ip++];
        if (ip >= srcEnd) return -1;
      }
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - src[ip++];
      len += 2;
      if (op + len > outEnd || ref < dstStart) return -1;
      const distance = op - ref;
      if (len > 64 && distance >= len) {
        dst.copyWithin(op, ref, ref + len);
      } else if (distance >= 4) {
        // Short copies, the most common, cost less as a loop than as a call into copyWithin:
        // four bytes at a time, each word read from bytes already written.
        let i = 0;
        for (; i + 4 <= len; i += 4) view.setUint32(op + i, view.getUint32(ref + i, true), true);
        for (; i < len; i++) dst[op + i] = dst[ref + i];
      } else {
        // Overlapping copies repeat the bytes just written, one at a time.
        for (let i = 0; i < len; i++) dst[op + i] = dst[ref + i];
      }
      op += len;
    }
  }
  return op - dstStart;
}
