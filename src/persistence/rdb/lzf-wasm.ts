/**
 * LZF compression and decompression in WebAssembly: the same compressor as lzf.ts's (same
 * hash, same choices, byte for byte the same output), and a decompressor that copies eight
 * bytes at a time, assembled from their instructions. JS's checked byte access makes them the
 * largest part of a SAVE and a load of lists and streams, whose every node is compressed;
 * these loops run them at close to native speed.
 *
 * Memory: the hash table's 65,536 slots first, then the input, then the output (and SLACK
 * bytes past it). It grows to the largest input and output so far, up to MAX_INPUT_BYTES of
 * either (larger ones stay with the JS code, so that one huge string does not keep a huge
 * memory for good).
 */
import { I32, moduleBytes, op, type Code, type WasmFunction } from '../../util/wasm-module.js';

/** Inputs up to this size are compressed here. */
export const MAX_INPUT_BYTES = 1 << 20;

const HSIZE = 1 << 16;
const TABLE_BYTES = HSIZE * 4;
const PAGE = 65536;
/**
 * Room past the output for the few bytes a run's control byte may be written beyond dstLen,
 * and for the decompressor's eight-byte copies, which may write up to 7 bytes past a run's end.
 */
const SLACK = 16;

// Parameters, then locals, by index.
const S = 0; // input address
const IN_END = 1; // input length
const D = 2; // output address
const OUT_END = 3; // output room
const BASE = 4; // the table's generation (see lzf.ts)
const IP = 5;
const OP = 6;
const LIT = 7;
const NEXT3 = 8;
const STOP = 9;
const SLOT = 10;
const REF = 11;
const OFF = 12;
const MAXLEN = 13;
const M = 14;
const CAP = 15;
const DIFF = 16;
const BEFORE = 17;
const A = 18;
const B = 19;
const LEN = 20;
const LOCALS = 16; // IP .. LEN

const g = op.get;
const add1 = (local: number): Code => [g(local), op.i32(1), op.i32Add, op.set(local)];

/** Leaves the table address of the slot of the 24-bit value on the stack (lzf.ts's slotOf). */
const slotAddress: Code = [
  op.tee(SLOT), op.i32(8), op.i32ShrU,
  g(SLOT), op.i32(0xffff), op.i32And, op.i32(5), op.i32Mul, op.i32Sub,
  op.i32(0xffff), op.i32And, op.i32(2), op.i32Shl,
];

/** table[slot of the value on the stack] = base + ip + 1 */
const hashHere: Code = [slotAddress, g(BASE), g(IP), op.i32Add, op.i32(1), op.i32Add, op.i32Store(0, 2)];

/** Closes a full literal run (lit = 32) and opens the next. */
const closeFullRun: Code = [
  g(LIT), op.i32(32), op.i32Eq, op.if(),
  [g(D), g(OP), op.i32Add, g(LIT), op.i32Sub, op.i32(1), op.i32Sub, op.i32(31), op.i32Store8()],
  [op.i32(0), op.set(LIT)],
  add1(OP),
  op.end,
];

/** next3 = (next3 << 8 | input[ip + 2]) & 0xffffff, where ip < stop; `from` holds the bytes before. */
const rollNext3 = (from: number): Code => [
  g(IP), g(STOP), op.i32LtS, op.if(),
  [g(from), op.i32(8), op.i32Shl, g(S), g(IP), op.i32Add, op.i32Load8u(2), op.i32Or, op.i32(0xffffff), op.i32And, op.set(NEXT3)],
  op.end,
];

/** len = how far the match at ip against ref extends (lzf.ts's matchLength and finalLength). */
const matchLength: Code = [
  // cap = 16 < maxlen < 19 ? 19 : maxlen
  [op.i32(19), g(MAXLEN), g(MAXLEN), op.i32(16), op.i32GtS, g(MAXLEN), op.i32(19), op.i32LtS, op.i32And, op.select, op.set(CAP)],
  [op.i32(3), op.set(M)],
  [g(S), g(IP), op.i32Add, op.set(B)],
  op.block(), // found: m is the first differing byte (or cap)
  op.block(), // words done
  op.loop(),
  [g(M), op.i32(4), op.i32Add, g(CAP), op.i32GtS, op.brIf(1)],
  [g(A), g(M), op.i32Add, op.i32Load(), g(B), g(M), op.i32Add, op.i32Load(), op.i32Xor, op.tee(DIFF)],
  op.if(),
  [g(M), g(DIFF), op.i32Ctz, op.i32(3), op.i32ShrU, op.i32Add, op.set(M), op.br(3)],
  op.end,
  [g(M), op.i32(4), op.i32Add, op.set(M), op.br(0)],
  op.end, // loop
  op.end, // words done
  op.loop(),
  [g(M), g(CAP), op.i32GeS, op.brIf(1)],
  [g(A), g(M), op.i32Add, op.i32Load8u(), g(B), g(M), op.i32Add, op.i32Load8u(), op.i32Ne, op.brIf(1)],
  [add1(M), op.br(0)],
  op.end, // loop
  op.end, // found
  // finalLength(m, maxlen)
  g(MAXLEN), op.i32(16), op.i32GtS, op.if(I32),
  [g(M), op.i32(18), op.i32LeS, op.if(I32), g(M), op.else],
  [g(M), g(MAXLEN), op.i32LtS, op.if(I32)],
  [g(M), op.i32(19), g(M), op.i32(19), op.i32GtS, op.select],
  op.else,
  [g(MAXLEN), op.i32(19), g(MAXLEN), op.i32(19), op.i32GtS, op.select],
  op.end, op.end,
  op.else,
  [g(M), g(MAXLEN), op.i32LtS, op.if(I32), g(M), op.else],
  [g(MAXLEN), op.i32(3), g(MAXLEN), op.i32(3), op.i32GtS, op.select],
  op.end,
  op.end,
  op.set(LEN),
];

/**
 * The match branch, inside block $literal (depth 0), loop $main (1), block $done (2). It falls
 * to the literal code (br 0) when there is no match, returns 0 when the output cannot hold it,
 * and goes on with the main loop (br 1) or leaves it (br 2) after it.
 */
const matchBranch: Code = [
  [g(REF), op.i32(0), op.i32LeS, op.brIf(0)],
  [g(OFF), op.i32(8192), op.i32GeS, op.brIf(0)],
  [g(S), g(REF), op.i32Add, op.tee(A), op.i32Load8u(), op.i32(16), op.i32Shl],
  [g(A), op.i32Load8u(1), op.i32(8), op.i32Shl, op.i32Or, g(A), op.i32Load8u(2), op.i32Or],
  [g(NEXT3), op.i32Ne, op.brIf(0)],
  // maxlen = min(inEnd - ip - 2, MAX_REF)
  [g(IN_END), g(IP), op.i32Sub, op.i32(2), op.i32Sub, op.tee(MAXLEN), op.i32(264), op.i32GtS, op.if(), op.i32(264), op.set(MAXLEN), op.end],
  // does it still fit?
  [g(OP), g(LIT), op.i32Eqz, op.i32Sub, op.i32(4), op.i32Add, g(OUT_END), op.i32GeS, op.if(), op.i32(0), op.return, op.end],
  // close the literal run; there was none: reuse its control byte
  [g(D), g(OP), op.i32Add, g(LIT), op.i32Sub, op.i32(1), op.i32Sub, g(LIT), op.i32(1), op.i32Sub, op.i32Store8()],
  [g(OP), g(LIT), op.i32Eqz, op.i32Sub, op.set(OP)],
  matchLength,
  [g(LEN), op.i32(2), op.i32Sub, op.set(LEN)],
  add1(IP),
  g(LEN), op.i32(7), op.i32LtS, op.if(),
  [g(D), g(OP), op.i32Add, g(OFF), op.i32(8), op.i32ShrS, g(LEN), op.i32(5), op.i32Shl, op.i32Add, op.i32Store8()],
  add1(OP),
  op.else,
  [g(D), g(OP), op.i32Add, g(OFF), op.i32(8), op.i32ShrS, op.i32(224), op.i32Add, op.i32Store8()],
  [g(D), g(OP), op.i32Add, g(LEN), op.i32(7), op.i32Sub, op.i32Store8(1)],
  [g(OP), op.i32(2), op.i32Add, op.set(OP)],
  op.end,
  [g(D), g(OP), op.i32Add, g(OFF), op.i32(255), op.i32And, op.i32Store8()],
  [g(OP), op.i32(2), op.i32Add, op.set(OP)], // past the offset byte, and the new run's control byte
  [op.i32(0), op.set(LIT)],
  [g(IP), g(LEN), op.i32Add, op.i32(1), op.i32Add, op.tee(IP), g(IN_END), op.i32(2), op.i32Sub, op.i32GeS, op.brIf(2)],
  // hash the two positions before the one we continue at
  [g(IP), op.i32(2), op.i32Sub, op.set(IP)],
  [g(S), g(IP), op.i32Add, op.tee(A), op.i32Load8u(), op.i32(24), op.i32Shl],
  [g(A), op.i32Load8u(1), op.i32(16), op.i32Shl, op.i32Or, g(A), op.i32Load8u(2), op.i32(8), op.i32Shl, op.i32Or],
  [g(A), op.i32Load8u(3), op.i32Or, op.set(BEFORE)],
  [g(BEFORE), op.i32(8), op.i32ShrU, hashHere, add1(IP)],
  [g(BEFORE), op.i32(0xffffff), op.i32And, hashHere, add1(IP)],
  rollNext3(BEFORE),
  op.br(1),
];

/** The literal branch, inside loop $main (0), block $done (1). */
const literalBranch: Code = [
  [g(OP), g(OUT_END), op.i32GeS, op.if(), op.i32(0), op.return, op.end],
  add1(LIT),
  [g(D), g(OP), op.i32Add, g(NEXT3), op.i32(16), op.i32ShrU, op.i32Store8()],
  add1(OP),
  add1(IP),
  closeFullRun,
  rollNext3(NEXT3),
  op.br(0),
];

/** compress(s, inEnd, d, outEnd, base): the compressed length, or 0 when it does not fit in outEnd. */
const COMPRESS: WasmFunction = {
  name: 'compress',
  params: [I32, I32, I32, I32, I32],
  results: [I32],
  locals: new Array<number>(LOCALS).fill(I32),
  body: [
    [op.i32(1), op.set(OP)], // room for the first literal run's control byte
    [g(IN_END), op.i32(2), op.i32Sub, op.set(STOP)],
    [g(STOP), op.i32(0), op.i32GtS, op.if()],
    [g(S), op.i32Load8u(), op.i32(16), op.i32Shl, g(S), op.i32Load8u(1), op.i32(8), op.i32Shl, op.i32Or, g(S), op.i32Load8u(2), op.i32Or, op.set(NEXT3)],
    op.end,
    op.block(), // $done
    op.loop(), // $main
    [g(IP), g(STOP), op.i32GeS, op.brIf(1)],
    // ref = table[slot] - base - 1; table[slot] = base + ip + 1; off = ip - ref - 1
    [g(NEXT3), slotAddress, op.i32Load(0, 2), g(BASE), op.i32Sub, op.i32(1), op.i32Sub, op.set(REF)],
    [g(NEXT3), hashHere],
    [g(IP), g(REF), op.i32Sub, op.i32(1), op.i32Sub, op.set(OFF)],
    op.block(), // $literal
    matchBranch,
    op.end,
    literalBranch,
    op.end, // $main
    op.end, // $done
    // the last bytes, as literals
    [g(OP), op.i32(3), op.i32Add, g(OUT_END), op.i32GtS, op.if(), op.i32(0), op.return, op.end],
    op.block(), op.loop(),
    [g(IP), g(IN_END), op.i32GeS, op.brIf(1)],
    add1(LIT),
    [g(D), g(OP), op.i32Add, g(S), g(IP), op.i32Add, op.i32Load8u(), op.i32Store8()],
    add1(OP),
    add1(IP),
    closeFullRun,
    op.br(0),
    op.end, op.end,
    [g(D), g(OP), op.i32Add, g(LIT), op.i32Sub, op.i32(1), op.i32Sub, g(LIT), op.i32(1), op.i32Sub, op.i32Store8()],
    [g(OP), g(LIT), op.i32Eqz, op.i32Sub],
  ],
};

// decompress(s, sEnd, d, dEnd)'s parameters and locals.
const DS = 0;
const DS_END = 1;
const DD = 2;
const DD_END = 3;
const DIP = 4;
const DOP = 5;
const CTRL = 6;
const DLEN = 7;
const DREF = 8;
const DI = 9;
const DECOMPRESS_LOCALS = 6; // DIP .. DI

/** Copies dlen bytes from `from` to op eight at a time (up to 7 more written past them). */
const copyWords = (from: number): Code => [
  [op.i32(0), op.set(DI)],
  op.loop(),
  [g(DOP), g(DI), op.i32Add, g(from), g(DI), op.i32Add, op.i64Load(), op.i64Store()],
  [g(DI), op.i32(8), op.i32Add, op.tee(DI), g(DLEN), op.i32LtU, op.brIf(0)],
  op.end,
];

/**
 * decompress(s, sEnd, d, dEnd): the bytes produced at d, or -1 when the input is malformed or
 * would produce more than dEnd - d bytes (lzf.ts's lzfDecompress, which says what -1 means).
 */
const DECOMPRESS: WasmFunction = {
  name: 'decompress',
  params: [I32, I32, I32, I32],
  results: [I32],
  locals: new Array<number>(DECOMPRESS_LOCALS).fill(I32),
  body: [
    [g(DS), op.set(DIP), g(DD), op.set(DOP)],
    op.block(), // $done
    op.loop(), // $main
    [g(DIP), g(DS_END), op.i32GeU, op.brIf(1)],
    [g(DIP), op.i32Load8u(), op.set(CTRL), add1(DIP)],
    g(CTRL), op.i32(32), op.i32LtU, op.if(),
    // A literal run of ctrl + 1 bytes.
    [g(CTRL), op.i32(1), op.i32Add, op.set(DLEN)],
    [g(DOP), g(DLEN), op.i32Add, g(DD_END), op.i32GtU, g(DIP), g(DLEN), op.i32Add, g(DS_END), op.i32GtU, op.i32Or, op.if(), op.i32(-1), op.return, op.end],
    copyWords(DIP),
    [g(DIP), g(DLEN), op.i32Add, op.set(DIP), g(DOP), g(DLEN), op.i32Add, op.set(DOP)],
    op.br(1),
    op.end,
    // A back reference: length (ctrl >> 5) + 2, longer ones with a byte more.
    [g(CTRL), op.i32(5), op.i32ShrU, op.set(DLEN)],
    [g(DIP), g(DS_END), op.i32GeU, op.if(), op.i32(-1), op.return, op.end],
    g(DLEN), op.i32(7), op.i32Eq, op.if(),
    [g(DLEN), g(DIP), op.i32Load8u(), op.i32Add, op.set(DLEN), add1(DIP)],
    [g(DIP), g(DS_END), op.i32GeU, op.if(), op.i32(-1), op.return, op.end],
    op.end,
    // ref = op - ((ctrl & 0x1f) << 8) - 1 - next byte
    [g(DOP), g(CTRL), op.i32(0x1f), op.i32And, op.i32(8), op.i32Shl, op.i32Sub, op.i32(1), op.i32Sub, g(DIP), op.i32Load8u(), op.i32Sub, op.set(DREF), add1(DIP)],
    [g(DLEN), op.i32(2), op.i32Add, op.set(DLEN)],
    [g(DOP), g(DLEN), op.i32Add, g(DD_END), op.i32GtU, g(DREF), g(DD), op.i32LtS, op.i32Or, op.if(), op.i32(-1), op.return, op.end],
    g(DOP), g(DREF), op.i32Sub, op.i32(8), op.i32GeU, op.if(),
    // Eight bytes back or more: each word read is already written.
    copyWords(DREF),
    op.else,
    // Closer: the bytes just written repeat, one at a time.
    [op.i32(0), op.set(DI)],
    op.loop(),
    [g(DOP), g(DI), op.i32Add, g(DREF), g(DI), op.i32Add, op.i32Load8u(), op.i32Store8()],
    [g(DI), op.i32(1), op.i32Add, op.tee(DI), g(DLEN), op.i32LtU, op.brIf(0)],
    op.end,
    op.end,
    [g(DOP), g(DLEN), op.i32Add, op.set(DOP)],
    op.br(0),
    op.end, // $main
    op.end, // $done
    [g(DOP), g(DD), op.i32Sub],
  ],
};

interface LzfExports {
  memory: WebAssembly.Memory;
  compress(s: number, inEnd: number, d: number, outEnd: number, base: number): number;
  decompress(s: number, sEnd: number, d: number, dEnd: number): number;
}

interface LzfModule {
  exports: LzfExports;
  /** A view of the whole memory (made again when it grows). */
  bytes: Uint8Array;
  /** The table's next generation (see lzf.ts's HashTable). */
  generation: number;
}

let instance: LzfModule | null = null;

function load(): LzfModule {
  const module = new WebAssembly.Module(moduleBytes([COMPRESS, DECOMPRESS], TABLE_BYTES / PAGE + 1));
  const exports = new WebAssembly.Instance(module).exports as unknown as LzfExports;
  return { exports, bytes: new Uint8Array(exports.memory.buffer), generation: 0 };
}

/** The module, with memory for an input of srcLen bytes and dstLen of output. */
function ready(srcLen: number, dstLen: number): LzfModule {
  const lzf = (instance ??= load());
  const needed = TABLE_BYTES + srcLen + dstLen + SLACK;
  if (needed > lzf.bytes.length) {
    lzf.exports.memory.grow(Math.ceil((needed - lzf.bytes.length) / PAGE));
    lzf.bytes = new Uint8Array(lzf.exports.memory.buffer);
  }
  if (lzf.generation + srcLen + 1 > 0x7fffffff) {
    lzf.bytes.fill(0, 0, TABLE_BYTES);
    lzf.generation = 0;
  }
  return lzf;
}

/**
 * Compresses src[srcStart, srcStart + srcLen), srcLen up to MAX_INPUT_BYTES, into the module's
 * memory, in at most dstLen bytes; returns the compressed length, or 0 when it would not fit.
 * The output is at lzfModuleMemory()[lzfOutputAt(srcLen)…] until the next call: a writer can
 * copy it from there once, to where it goes.
 */
export function lzfCompressInModule(src: Uint8Array, srcStart: number, srcLen: number, dstLen: number): number {
  if (srcLen <= 0 || dstLen <= 0) return 0;
  // LZF never writes more than this (a control byte per 32 literals): a larger room would only
  // grow the memory.
  const room = Math.min(dstLen, srcLen + (srcLen >> 5) + 16);
  const lzf = ready(srcLen, room);
  lzf.bytes.set(src.subarray(srcStart, srcStart + srcLen), TABLE_BYTES);
  const base = lzf.generation;
  lzf.generation += srcLen + 1;
  return lzf.exports.compress(TABLE_BYTES, srcLen, lzfOutputAt(srcLen), room, base);
}

/** Where lzfCompressInModule wrote the output of an input of srcLen bytes. */
export function lzfOutputAt(srcLen: number): number {
  return TABLE_BYTES + srcLen;
}

/** The module's memory (a view made again when it grows: take it after the call). */
export function lzfModuleMemory(): Uint8Array {
  return (instance ??= load()).bytes;
}

/** lzf.ts's lzfCompress for inputs up to MAX_INPUT_BYTES, into `dst` from dstStart. */
export function lzfCompressWasm(src: Uint8Array, srcStart: number, srcLen: number, dst: Uint8Array, dstStart: number, dstLen: number): number {
  const length = lzfCompressInModule(src, srcStart, srcLen, dstLen);
  const output = lzfOutputAt(srcLen);
  if (length > 0) dst.set(lzfModuleMemory().subarray(output, output + length), dstStart);
  return length;
}

/**
 * lzf.ts's lzfDecompress for outputs up to MAX_INPUT_BYTES: the input is copied into the
 * module's memory, decompressed there, and the output copied to dst.
 */
export function lzfDecompressWasm(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number, dstLen: number): number {
  const srcLen = srcEnd - srcStart;
  const lzf = ready(srcLen, dstLen);
  lzf.bytes.set(src.subarray(srcStart, srcEnd), TABLE_BYTES);
  const output = TABLE_BYTES + srcLen;
  const produced = lzf.exports.decompress(TABLE_BYTES, output, output, output + dstLen);
  if (produced > 0) dst.set(lzf.bytes.subarray(output, output + produced), dstStart);
  return produced;
}
