import { RdbError } from './constants.js';
import type { ByteSink } from './sink.js';

/*
 * Intset (intset.c): <encoding: u32 LE, 2, 4 or 8 = bytes per member> <length: u32 LE>
 * <members, sorted ascending, little-endian signed integers of that width>.
 */

const TWO_32 = 0x100000000;

/**
 * The width of an intset whose smallest and largest members are `first` and `last`: the
 * smallest that fits both, which is what Redis has unless members were removed (an intset
 * never narrows).
 */
function widthOf(first: number | bigint, last: number | bigint): 2 | 4 | 8 {
  const fits = (v: number | bigint, min: number, max: number): boolean => v >= min && v <= max;
  if (fits(first, -32768, 32767) && fits(last, -32768, 32767)) return 2;
  if (fits(first, -2147483648, 2147483647) && fits(last, -2147483648, 2147483647)) return 4;
  return 8;
}

function intOf(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

/** The width of the intset of `count` members, member(i) giving them in ascending numeric order. */
export function intsetWidth(count: number, member: (i: number) => string): 2 | 4 | 8 {
  return count === 0 ? 2 : widthOf(intOf(member(0)), intOf(member(count - 1)));
}

/** An intset's header: the width of its members and their count (the members follow). */
export function writeIntsetHeader(sink: ByteSink, width: 2 | 4 | 8, count: number): void {
  sink.ensure(8);
  sink.buf.writeUInt32LE(width, sink.pos);
  sink.buf.writeUInt32LE(count, sink.pos + 4);
  sink.pos += 8;
}

/** Members `from` to `to` (excluded) of an intset, member(i) giving them in ascending numeric order. */
export function writeIntsetMembers(sink: ByteSink, width: 2 | 4 | 8, from: number, to: number, member: (i: number) => string): void {
  sink.ensure((to - from) * width);
  const buf = sink.buf;
  let p = sink.pos;
  for (let i = from; i < to; i++) {
    const v = intOf(member(i));
    if (width === 2) buf.writeInt16LE(v as number, p);
    else if (width === 4) buf.writeInt32LE(v as number, p);
    else if (typeof v === 'bigint') buf.writeBigInt64LE(v, p);
    else {
      const hi = Math.floor(v / TWO_32);
      buf.writeUInt32LE(v - hi * TWO_32, p);
      buf.writeInt32LE(hi, p + 4);
    }
    p += width;
  }
  sink.pos = p;
}

/** Writes the intset of `count` members, member(i) giving them in ascending numeric order. */
export function writeIntset(sink: ByteSink, count: number, member: (i: number) => string): void {
  const width = intsetWidth(count, member);
  writeIntsetHeader(sink, width, count);
  writeIntsetMembers(sink, width, 0, count, member);
}

/**
 * Reads the intset in buf[start, end) as decimal texts in ascending order, checking its
 * header against the blob's size and that members strictly ascend (no duplicates).
 */
export function readIntset(buf: Buffer, start: number, end: number): string[] {
  const size = end - start;
  if (size < 8) throw new RdbError('Intset integrity check failed.');
  const width = buf.readUInt32LE(start);
  const count = buf.readUInt32LE(start + 4);
  // An empty intset is corrupt too: Redis never writes one.
  if ((width !== 2 && width !== 4 && width !== 8) || count * width !== size - 8 || count === 0) {
    throw new RdbError('Intset integrity check failed.');
  }
  const out = new Array<string>(count);
  let p = start + 8;
  let previous: number | bigint = -Infinity;
  for (let i = 0; i < count; i++, p += width) {
    let v: number | bigint;
    if (width === 2) v = buf.readInt16LE(p);
    else if (width === 4) v = buf.readInt32LE(p);
    else {
      const hi = buf.readInt32LE(p + 4);
      v = hi >= -0x200000 && hi < 0x200000 ? hi * TWO_32 + buf.readUInt32LE(p) : buf.readBigInt64LE(p);
    }
    if (v <= previous) throw new RdbError('Intset integrity check failed.');
    previous = v;
    out[i] = String(v);
  }
  return out;
}
