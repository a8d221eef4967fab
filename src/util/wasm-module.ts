/**
 * Just enough of WebAssembly's binary format to assemble the few small modules nodis builds
 * from their instructions (popcount, LZF): the encodings of numbers, sections and the
 * instructions those modules use, and a module of functions over one memory.
 *
 * Why by hand: each module is a loop or two where JS's bounds-checked byte access costs two
 * to three times native speed; assembling them here keeps them readable next to their JS
 * counterparts with no build step or toolchain.
 */

/** Unsigned LEB128, as WebAssembly encodes sizes, counts and indexes. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer (i32.const's immediate). */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function name(text: string): number[] {
  return [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];
}

export const I32 = 0x7f;
export const I64 = 0x7e;
/** A block with no result. */
export const VOID = 0x40;

/** Instructions, by their text-format names (those the modules here use). */
export const op = {
  block: (type = VOID): number[] => [0x02, type],
  loop: (type = VOID): number[] => [0x03, type],
  if: (type = VOID): number[] => [0x04, type],
  else: [0x05],
  end: [0x0b],
  br: (depth: number): number[] => [0x0c, ...uleb(depth)],
  brIf: (depth: number): number[] => [0x0d, ...uleb(depth)],
  return: [0x0f],
  select: [0x1b],
  get: (local: number): number[] => [0x20, ...uleb(local)],
  set: (local: number): number[] => [0x21, ...uleb(local)],
  tee: (local: number): number[] => [0x22, ...uleb(local)],
  /** Memory access; `align` is log2 of the alignment promised (0 for any address). */
  i32Load: (offset = 0, align = 0): number[] => [0x28, align, ...uleb(offset)],
  i64Load: (offset = 0, align = 0): number[] => [0x29, align, ...uleb(offset)],
  i64Store: (offset = 0, align = 0): number[] => [0x37, align, ...uleb(offset)],
  i32Load8u: (offset = 0): number[] => [0x2d, 0, ...uleb(offset)],
  i32Store: (offset = 0, align = 0): number[] => [0x36, align, ...uleb(offset)],
  i32Store8: (offset = 0): number[] => [0x3a, 0, ...uleb(offset)],
  i32: (value: number): number[] => [0x41, ...sleb(value)],
  /** i64.const of a value that fits in 32 bits. */
  i64: (value: number): number[] => [0x42, ...sleb(value)],
  i32Eqz: [0x45],
  i32Eq: [0x46],
  i32Ne: [0x47],
  i32LtS: [0x48],
  i32LtU: [0x49],
  i32GtS: [0x4a],
  i32GtU: [0x4b],
  i32LeS: [0x4c],
  i32GeS: [0x4e],
  i32GeU: [0x4f],
  i32Ctz: [0x68],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32Or: [0x72],
  i32Xor: [0x73],
  i32Shl: [0x74],
  i32ShrS: [0x75],
  i32ShrU: [0x76],
  i64Popcnt: [0x7b],
  i64Add: [0x7c],
  i64Xor: [0x85],
  i64ShrU: [0x88],
  i32WrapI64: [0xa7],
} as const;

/** Instructions given as nested lists (one per line in the source), flattened. */
export type Code = readonly (number | Code)[];

function flatten(code: Code, out: number[] = []): number[] {
  for (const item of code) {
    if (typeof item === 'number') out.push(item);
    else flatten(item, out);
  }
  return out;
}

export interface WasmFunction {
  /** The name it is exported under. */
  name: string;
  params: number[];
  results: number[];
  /** Its locals beyond the parameters, by type. */
  locals: number[];
  body: Code;
}

/** A module of `functions` (each exported) and one memory of `pages` 64 KB pages, exported as `memory`. */
export function moduleBytes(functions: WasmFunction[], pages: number): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...uleb(f.params.length), ...f.params, ...uleb(f.results.length), ...f.results]);
  const bodies = functions.map((f) => {
    const locals = f.locals.map((type) => [0x01, type]);
    const content = [...uleb(locals.length), ...locals.flat(), ...flatten(f.body), ...op.end];
    return [...uleb(content.length), ...content];
  });
  const exports = [
    ...uleb(functions.length + 1),
    ...name('memory'), 0x02, 0x00,
    ...functions.flatMap((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
  ];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [...uleb(types.length), ...types.flat()]),
    ...section(3, [...uleb(functions.length), ...functions.flatMap((_, i) => uleb(i))]),
    ...section(5, [0x01, 0x00, ...uleb(pages)]),
    ...section(7, exports),
    ...section(10, [...uleb(bodies.length), ...bodies.flat()]),
  ]);
}
