/**
 * Population count of long byte runs with the CPU's own instruction: a WebAssembly function
 * whose loop is one `i64.popcnt` per 8 bytes, which V8 compiles to POPCNT where the CPU has it.
 * It counts about six times faster than table lookups in JS (1 MB: ~60 µs against ~360 µs,
 * the copy into its memory included), which is what BITCOUNT of a large bitmap spends its time on.
 *
 * The module is assembled here from its instructions (it is small enough to read); bytes are
 * copied into its memory a chunk at a time, so it never needs more than one 64 KB page.
 */

/** Bytes copied and counted per call (one WebAssembly page). */
export const POPCOUNT_CHUNK = 65536;

/** Unsigned LEB128, as WebAssembly encodes sizes and counts. */
function leb128(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function section(id: number, content: number[]): number[] {
  return [id, ...leb128(content.length), ...content];
}

function name(text: string): number[] {
  return [...leb128(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
}

const I32 = 0x7f;
const I64 = 0x7e;

/**
 * count(p, end): the set bits of memory [p, end), end - p a multiple of 8.
 *   (local acc i64)
 *   block loop
 *     br_if 1 (p >= end)
 *     acc += popcnt(i64.load p); p += 8
 *     br 0
 *   end end
 *   return (i32) acc
 */
const COUNT_BODY = [
  0x01, 0x01, I64, // one local: acc
  0x02, 0x40, 0x03, 0x40, // block, loop
  0x20, 0x00, 0x20, 0x01, 0x4f, 0x0d, 0x01, // local.get p, local.get end, i32.ge_u, br_if 1
  0x20, 0x02, 0x20, 0x00, 0x29, 0x03, 0x00, 0x7b, 0x7c, 0x21, 0x02, // acc += i64.popcnt(i64.load align=8 p)
  0x20, 0x00, 0x41, 0x08, 0x6a, 0x21, 0x00, // p += 8
  0x0c, 0x00, 0x0b, 0x0b, // br 0, end loop, end block
  0x20, 0x02, 0xa7, 0x0b, // i32.wrap_i64 acc, end
];

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [0x01, 0x60, 0x02, I32, I32, 0x01, I32]), // type 0: (i32, i32) -> i32
    ...section(3, [0x01, 0x00]), // function 0 has type 0
    ...section(5, [0x01, 0x00, 0x01]), // one memory of one page
    ...section(7, [0x02, ...name('memory'), 0x02, 0x00, ...name('count'), 0x00, 0x00]),
    ...section(10, [0x01, ...leb128(COUNT_BODY.length), ...COUNT_BODY]),
  ]);
}

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
  const exports = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes())).exports as unknown as PopcountExports;
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
