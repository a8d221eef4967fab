/**
 * Population count of long byte runs with the CPU's own instruction: a WebAssembly function
 * whose loop is one `i64.popcnt` per 8 bytes, which V8 compiles to POPCNT where the CPU has it.
 * It counts about six times faster than table lookups in JS (1 MB: ~60 µs against ~360 µs,
 * the copy into its memory included), which is what BITCOUNT of a large bitmap spends its time on.
 *
 * The module is assembled from its instructions (wasm-module.ts); bytes are
 * copied into its memory a chunk at a time, so it never needs more than one 64 KB page.
 */

import { I32, I64, moduleBytes, op, type WasmFunction } from './wasm-module.js';

/** Bytes copied and counted per call (one WebAssembly page). */
export const POPCOUNT_CHUNK = 65536;

const P = 0;
const END = 1;
const ACC = 2;

/** count(p, end): the set bits of memory [p, end), end - p a multiple of 8. */
const COUNT: WasmFunction = {
  name: 'count',
  params: [I32, I32],
  results: [I32],
  locals: [I64],
  body: [
    op.block(), op.loop(),
    [op.get(P), op.get(END), op.i32GeU, op.brIf(1)],
    [op.get(ACC), op.get(P), op.i64Load(0, 3), op.i64Popcnt, op.i64Add, op.set(ACC)],
    [op.get(P), op.i32(8), op.i32Add, op.set(P)],
    op.br(0), op.end, op.end,
    [op.get(ACC), op.i32WrapI64],
  ],
};

interface PopcountExports {
  memory: WebAssembly.Memory;
  count(p: number, end: number): number;
}

interface PopcountModule {
  /** The module's memory (one page; it never grows, so the view stays valid). */
  bytes: Buffer;
  count: (p: number, end: number) => number;
}

let instance: PopcountModule | null = null;

function load(): PopcountModule {
  const exports = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes([COUNT], 1))).exports as unknown as PopcountExports;
  return { bytes: Buffer.from(exports.memory.buffer, 0, POPCOUNT_CHUNK), count: exports.count };
}

/**
 * Set bits in the first `length` bytes of `source` from `start`, `length` a multiple of 8 and
 * at most POPCOUNT_CHUNK.
 */
export function popcountChunk(source: Uint8Array, start: number, length: number): number {
  const module = (instance ??= load());
  module.bytes.set(source.subarray(start, start + length), 0);
  return module.count(0, length);
}

/**
 * The same for a value held as a JS string (one char per byte): its chars are written into the
 * module's memory as bytes, with no Buffer of the whole value made.
 */
export function popcountLatin1Chunk(source: string, start: number, length: number): number {
  const module = (instance ??= load());
  module.bytes.write(source.slice(start, start + length), 0, length, 'latin1');
  return module.count(0, length);
}
