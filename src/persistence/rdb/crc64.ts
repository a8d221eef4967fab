/**
 * CRC-64 as Redis computes it for RDB files and DUMP payloads: the Jones polynomial
 * (0xad93d23594c935a9), reflected input and output, initial value 0, no final xor. Test vector:
 * crc64("123456789") = 0xe9c6d914c4b8d9ca.
 *
 * JavaScript has no fast 64-bit integers, so the register is kept as two 32-bit halves, and the
 * bytes are consumed eight at a time through eight tables ("slicing by 8"); long runs go through
 * the same loop in WebAssembly.
 */
import { I32, I64, moduleBytes, op, type Code, type WasmFunction } from '../../util/wasm-module.js';


/** The reflected polynomial, as high and low 32-bit halves (0x95ac9329ac4bc9b5). */
const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

/** Table k, entry i at [k * 256 + i]: the register after feeding byte i then k zero bytes. */
const TABLE_LO = new Uint32Array(8 * 256);
const TABLE_HI = new Uint32Array(8 * 256);

for (let i = 0; i < 256; i++) {
  let lo = i;
  let hi = 0;
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry !== 0) {
      lo = (lo ^ POLY_LO) >>> 0;
      hi = (hi ^ POLY_HI) >>> 0;
    }
  }
  TABLE_LO[i] = lo;
  TABLE_HI[i] = hi;
}
for (let k = 1; k < 8; k++) {
  for (let i = 0; i < 256; i++) {
    const prevLo = TABLE_LO[(k - 1) * 256 + i] as number;
    const prevHi = TABLE_HI[(k - 1) * 256 + i] as number;
    const index = prevLo & 0xff;
    TABLE_LO[k * 256 + i] = ((TABLE_LO[index] as number) ^ ((prevLo >>> 8) | (prevHi << 24))) >>> 0;
    TABLE_HI[k * 256 + i] = ((TABLE_HI[index] as number) ^ (prevHi >>> 8)) >>> 0;
  }
}

/**
 * The same slicing by 8 in WebAssembly, with the register as one 64-bit integer: half the table
 * loads of the JS loop, and about three times its speed. Memory: the eight tables (16 KB), the
 * register, then the bytes to feed, copied in up to CHUNK at a time.
 */
const REGISTER_AT = 8 * 256 * 8;
const DATA_AT = 32768;
const CHUNK = 65536;
/** Shorter runs stay in JS: copying them in and the call would cost more than they save. */
const WASM_FROM_BYTES = 256;

// update(p, end)'s parameters and locals.
const P = 0;
const END = 1;
const CRC = 2;
const LO = 3;
const HI = 4;

/** The table loads for one 32-bit half: its bytes index tables first, first - 1, … (see update). */
function fourLookups(half: number, firstTable: number): Code {
  const tableAt = (k: number): number => k * 256 * 8;
  return [
    [op.get(half), op.i32(0xff), op.i32And, op.i32(3), op.i32Shl, op.i64Load(tableAt(firstTable), 3)],
    [op.get(half), op.i32(5), op.i32ShrU, op.i32(0x7f8), op.i32And, op.i64Load(tableAt(firstTable - 1), 3), op.i64Xor],
    [op.get(half), op.i32(13), op.i32ShrU, op.i32(0x7f8), op.i32And, op.i64Load(tableAt(firstTable - 2), 3), op.i64Xor],
    [op.get(half), op.i32(21), op.i32ShrU, op.i32(0x7f8), op.i32And, op.i64Load(tableAt(firstTable - 3), 3), op.i64Xor],
  ];
}

/** update(p, end): feeds memory [p, end) to the register at REGISTER_AT. */
const UPDATE: WasmFunction = {
  name: 'update',
  params: [I32, I32],
  results: [],
  locals: [I64, I32, I32],
  body: [
    [op.i32(REGISTER_AT), op.i64Load(0, 3), op.set(CRC)],
    op.block(), op.loop(),
    [op.get(P), op.i32(8), op.i32Add, op.get(END), op.i32GtU, op.brIf(1)],
    [op.get(CRC), op.get(P), op.i64Load(), op.i64Xor, op.tee(CRC), op.i32WrapI64, op.set(LO)],
    [op.get(CRC), op.i64(32), op.i64ShrU, op.i32WrapI64, op.set(HI)],
    fourLookups(LO, 7),
    fourLookups(HI, 3),
    op.i64Xor,
    op.set(CRC),
    [op.get(P), op.i32(8), op.i32Add, op.set(P), op.br(0)],
    op.end, op.end,
    op.block(), op.loop(),
    [op.get(P), op.get(END), op.i32GeU, op.brIf(1)],
    [op.get(CRC), op.i32WrapI64, op.get(P), op.i32Load8u(), op.i32Xor, op.i32(0xff), op.i32And, op.i32(3), op.i32Shl, op.i64Load(0, 3)],
    [op.get(CRC), op.i64(8), op.i64ShrU, op.i64Xor, op.set(CRC)],
    [op.get(P), op.i32(1), op.i32Add, op.set(P), op.br(0)],
    op.end, op.end,
    [op.i32(REGISTER_AT), op.get(CRC), op.i64Store(0, 3)],
  ],
};

interface CrcExports {
  memory: WebAssembly.Memory;
  update(p: number, end: number): void;
}

interface CrcModule {
  update: (p: number, end: number) => void;
  bytes: Uint8Array;
  /** The register as two 32-bit words, low first (the platform is little-endian, as V8's targets are). */
  register: Uint32Array;
}

let wasm: CrcModule | null = null;

function loadWasm(): CrcModule {
  const exports = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes([UPDATE], 2))).exports as unknown as CrcExports;
  const words = new Uint32Array(exports.memory.buffer, 0, 8 * 256 * 2);
  for (let i = 0; i < 8 * 256; i++) {
    words[2 * i] = TABLE_LO[i] as number;
    words[2 * i + 1] = TABLE_HI[i] as number;
  }
  return { update: exports.update, bytes: new Uint8Array(exports.memory.buffer), register: new Uint32Array(exports.memory.buffer, REGISTER_AT, 2) };
}

/** A running CRC-64; feed it with update() and read it with value() or writeLE(). */
export class Crc64 {
  private lo = 0;
  private hi = 0;

  /** Continues from a previous value (a bigint as value() returns). */
  constructor(initial: bigint = 0n) {
    this.lo = Number(initial & 0xffffffffn);
    this.hi = Number((initial >> 32n) & 0xffffffffn);
  }

  update(data: Uint8Array, start = 0, end = data.length): this {
    if (end - start >= WASM_FROM_BYTES) return this.updateWasm(data, start, end);
    let lo = this.lo;
    let hi = this.hi;
    const tlo = TABLE_LO;
    const thi = TABLE_HI;
    let p = start;
    const fastEnd = end - 7;
    // Eight bytes as two little-endian words: one load each instead of four.
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    while (p < fastEnd) {
      const a = (lo ^ view.getUint32(p, true)) >>> 0;
      const b = (hi ^ view.getUint32(p + 4, true)) >>> 0;
      const i7 = 7 * 256 + (a & 0xff);
      const i6 = 6 * 256 + ((a >>> 8) & 0xff);
      const i5 = 5 * 256 + ((a >>> 16) & 0xff);
      const i4 = 4 * 256 + (a >>> 24);
      const i3 = 3 * 256 + (b & 0xff);
      const i2 = 2 * 256 + ((b >>> 8) & 0xff);
      const i1 = 256 + ((b >>> 16) & 0xff);
      const i0 = b >>> 24;
      lo = tlo[i7] ^ tlo[i6] ^ tlo[i5] ^ tlo[i4] ^ tlo[i3] ^ tlo[i2] ^ tlo[i1] ^ tlo[i0];
      hi = thi[i7] ^ thi[i6] ^ thi[i5] ^ thi[i4] ^ thi[i3] ^ thi[i2] ^ thi[i1] ^ thi[i0];
      p += 8;
    }
    for (; p < end; p++) {
      const index = (lo ^ data[p]) & 0xff;
      lo = tlo[index] ^ ((lo >>> 8) | (hi << 24));
      hi = thi[index] ^ (hi >>> 8);
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  private updateWasm(data: Uint8Array, start: number, end: number): this {
    const crc = (wasm ??= loadWasm());
    crc.register[0] = this.lo;
    crc.register[1] = this.hi;
    for (let p = start; p < end; p += CHUNK) {
      const n = Math.min(CHUNK, end - p);
      crc.bytes.set(data.subarray(p, p + n), DATA_AT);
      crc.update(DATA_AT, DATA_AT + n);
    }
    this.lo = crc.register[0] as number;
    this.hi = crc.register[1] as number;
    return this;
  }

  value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** Writes the CRC as 8 little-endian bytes, as Redis stores it. */
  writeLE(target: Uint8Array, offset: number): void {
    const lo = this.lo;
    const hi = this.hi;
    target[offset] = lo & 0xff;
    target[offset + 1] = (lo >>> 8) & 0xff;
    target[offset + 2] = (lo >>> 16) & 0xff;
    target[offset + 3] = lo >>> 24;
    target[offset + 4] = hi & 0xff;
    target[offset + 5] = (hi >>> 8) & 0xff;
    target[offset + 6] = (hi >>> 16) & 0xff;
    target[offset + 7] = hi >>> 24;
  }

  /** Whether the 8 little-endian bytes at `offset` hold this CRC. */
  equalsLE(source: Uint8Array, offset: number): boolean {
    const lo = (source[offset] | (source[offset + 1] << 8) | (source[offset + 2] << 16) | (source[offset + 3] << 24)) >>> 0;
    const hi = (source[offset + 4] | (source[offset + 5] << 8) | (source[offset + 6] << 16) | (source[offset + 7] << 24)) >>> 0;
    return lo === this.lo && hi === this.hi;
  }
}

/** The CRC-64 of data[start, end). */
export function crc64(data: Uint8Array, start = 0, end = data.length): bigint {
  return new Crc64().update(data, start, end).value();
}
