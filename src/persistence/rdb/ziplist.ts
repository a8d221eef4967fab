import { RdbError } from './constants.js';
import { int64Text } from './listpack.js';

/*
 * Ziplist (ziplist.c), what Redis before 7.0 stored small lists, hashes and sorted sets in:
 *   <zlbytes: u32 LE> <zltail: u32 LE, offset of the last entry> <zllen: u16 LE, 65535 = unknown>
 *   <entry>* <0xFF>
 * and each entry is <prevlen> <encoding> <data>: prevlen is one byte below 254, else 0xFE and a
 * u32 LE. Encodings: 00pppppp, 01pppppp qqqqqqqq (big-endian) and 10______ + u32 BE are strings
 * of that length; 0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24, 0xFE int8 (little-endian);
 * 0xF1..0xFD the values 0..12.
 */

const HEADER_SIZE = 10;
const COUNT_UNKNOWN = 65535;

function corrupt(): never {
  throw new RdbError('Ziplist integrity check failed.');
}

/**
 * Reads the ziplist in buf[start, end) and appends its entries to `out` as latin1 strings
 * (integers as decimal text); returns how many. Lengths, prevlens, the tail offset and the
 * count are all checked against the blob.
 */
export function readZiplist(buf: Buffer, start: number, end: number, out: string[]): number {
  if (end - start < HEADER_SIZE + 1) corrupt();
  if (buf.readUInt32LE(start) !== end - start) corrupt();
  const tail = buf.readUInt32LE(start + 4);
  const declared = buf.readUInt16LE(start + 8);
  const last = end - 1;
  if (buf[last] !== 0xff) corrupt();
  let p = start + HEADER_SIZE;
  let previousSize = 0;
  let lastEntry = -1;
  let count = 0;
  while (p < last) {
    const entryStart = p;
    let prevlen: number;
    if (buf[p] < 254) {
      prevlen = buf[p];
      p += 1;
    } else {
      if (buf[p] !== 254 || p + 5 > last) corrupt();
      prevlen = buf.readUInt32LE(p + 1);
      p += 5;
    }
    if (prevlen !== previousSize) corrupt();
    if (p >= last) corrupt();
    const b = buf[p];
    let dataEnd: number;
    if (b < 0xc0) {
      let n: number;
      let dataStart: number;
      if (b < 0x40) {
        n = b & 0x3f;
        dataStart = p + 1;
      } else if (b < 0x80) {
        if (p + 2 > last) corrupt();
        n = ((b & 0x3f) << 8) | buf[p + 1];
        dataStart = p + 2;
      } else {
        if (p + 5 > last) corrupt();
        n = buf.readUInt32BE(p + 1);
        dataStart = p + 5;
      }
      dataEnd = dataStart + n;
      if (dataEnd > last) corrupt();
      out.push(buf.latin1Slice(dataStart, dataEnd));
    } else {
      let size: number;
      switch (b) {
        case 0xc0: size = 2; break;
        case 0xd0: size = 4; break;
        case 0xe0: size = 8; break;
        case 0xf0: size = 3; break;
        case 0xfe: size = 1; break;
        default:
          if (b >= 0xf1 && b <= 0xfd) size = 0;
          else corrupt();
      }
      dataEnd = p + 1 + size;
      if (dataEnd > last) corrupt();
      const d = p + 1;
      let text: string;
      switch (size) {
        case 0: text = String((b & 0x0f) - 1); break;
        case 1: text = String(buf.readInt8(d)); break;
        case 2: text = String(buf.readInt16LE(d)); break;
        case 3: text = String(buf.readIntLE(d, 3)); break;
        case 4: text = String(buf.readInt32LE(d)); break;
        default: text = int64Text(buf, d);
      }
      out.push(text);
    }
    lastEntry = entryStart;
    previousSize = dataEnd - entryStart;
    p = dataEnd;
    count++;
  }
  if (p !== last) corrupt();
  if (tail !== (lastEntry === -1 ? HEADER_SIZE : lastEntry - start)) corrupt();
  if (declared !== COUNT_UNKNOWN && declared !== count) corrupt();
  return count;
}
