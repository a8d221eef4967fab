import { RdbError } from './constants.js';

/*
 * Zipmap (zipmap.c), the hash encoding of Redis before 2.6:
 *   <zmlen: u8, the pair count when below 254> (<len> field <len> <free: u8> value <free bytes>)*
 *   <0xFF>
 * where <len> is one byte below 254, or 254 and a u32 (little-endian on the machines that wrote
 * them).
 */

function corrupt(): never {
  throw new RdbError('Zipmap integrity check failed.');
}

/** Reads the zipmap in buf[start, end) as [field, value, field, value, …]. */
export function readZipmap(buf: Buffer, start: number, end: number): string[] {
  if (end - start < 2) corrupt();
  const declared = buf[start];
  const last = end - 1;
  if (buf[last] !== 0xff) corrupt();
  const out: string[] = [];
  let p = start + 1;
  const readLength = (): number => {
    if (p >= last) corrupt();
    const b = buf[p];
    if (b < 254) {
      p += 1;
      return b;
    }
    if (b !== 254 || p + 5 > last) corrupt();
    const n = buf.readUInt32LE(p + 1);
    p += 5;
    return n;
  };
  while (p < last) {
    const fieldLength = readLength();
    if (fieldLength > last - p) corrupt();
    const field = buf.latin1Slice(p, p + fieldLength);
    p += fieldLength;
    const valueLength = readLength();
    if (p >= last) corrupt();
    const free = buf[p++];
    if (valueLength + free > last - p) corrupt();
    out.push(field, buf.latin1Slice(p, p + valueLength));
    p += valueLength + free;
  }
  if (p !== last) corrupt();
  if (declared < 254 && declared !== out.length / 2) corrupt();
  return out;
}
