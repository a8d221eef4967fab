/**
 * The listpack encoding (Redis's listpack.c) as the stream nodes use it: every node is a real
 * listpack, byte for byte what Redis 7.0 would hold, so that its size (which decides when a
 * node is full) is Redis's, and RDB files and DUMP payloads carry the node as it is.
 *
 *   <total bytes: u32 LE> <count: u16 LE, 65535 = unknown> <element>* <0xFF>
 *
 * Each element is <encoding + data> <backlen>, backlen being the size of the first part in
 * 7-bit groups written backwards (1 to 5 bytes). Encodings:
 *   0xxxxxxx            7-bit unsigned int        10xxxxxx + data    string < 64 bytes
 *   110xxxxx yyyyyyyy   13-bit signed int         1110xxxx yyyyyyyy  string < 4096 bytes
 *   0xF1/F2/F3/F4       16/24/32/64-bit int LE    0xF0 + u32 LE      longer string
 * A string that is the canonical decimal of a signed 64-bit integer is stored as that integer.
 *
 * Types may not import persistence, so this is the stream's own small copy of the format.
 */

export const LP_HEADER_SIZE = 6;
export const LP_EOF = 0xff;
export const LP_COUNT_UNKNOWN = 65535;

const TWO_32 = 4294967296;
const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

/** Bytes of the backlen after an element whose encoding + data take `l` bytes. */
export function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Bytes an integer takes, encoding and backlen included. */
export function intElementSize(v: number | bigint): number {
  if (typeof v === 'bigint') return 10;
  if (v >= 0 && v <= 127) return 2;
  if (v >= -4096 && v <= 4095) return 3;
  if (v >= -32768 && v <= 32767) return 4;
  if (v >= -8388608 && v <= 8388607) return 5;
  if (v >= -2147483648 && v <= 2147483647) return 6;
  return 10;
}

/**
 * The integer a string stands for in a listpack (lpStringToInt64, string2ll: canonical decimal,
 * no sign but '-', no leading zeros or spaces, within 64 bits, "0" but not "-0"), or null: a
 * number when exact, a bigint past 2^53. The RDB writer uses it too.
 */
export function stringAsInt(s: string): number | bigint | null {
  const n = s.length;
  if (n === 0 || n > 20) return null;
  let i = 0;
  const negative = s.charCodeAt(0) === 45;
  if (negative) {
    if (n === 1) return null;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n === 1 ? 0 : null;
  if (n <= 16) {
    // At most 16 characters: 15 digits and a sign, or 16 digits (< 2^53.2, checked below).
    // The loop also rejects any other first character.
    let value = 0;
    for (; i < n; i++) {
      const digit = s.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return null;
      value = value * 10 + digit;
    }
    if (value <= Number.MAX_SAFE_INTEGER) return negative ? -value : value;
    // A 16-digit number past 2^53 lost precision: redo it exactly.
  } else {
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) return null;
    }
  }
  const big = BigInt(s);
  if (big < INT64_MIN || big > INT64_MAX) return null;
  return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
}

/** Writes the backlen of an element of `l` bytes at p; returns the position after it. */
export function writeBacklen(buf: Uint8Array, p: number, l: number): number {
  if (l <= 127) {
    buf[p] = l;
    return p + 1;
  }
  const size = backlenSize(l);
  // Most significant group first, without the continuation bit; the others carry it.
  for (let i = size - 1; i >= 0; i--) {
    const group = Math.floor(l / 2 ** (7 * i)) & 127;
    buf[p++] = i === size - 1 ? group : group | 128;
  }
  return p;
}

/** Writes an integer element at p (room for it checked by the caller); returns the end. */
export function writeInt(buf: Buffer, p: number, v: number | bigint): number {
  if (typeof v === 'bigint') {
    buf[p] = 0xf4;
    buf.writeBigInt64LE(v, p + 1);
    buf[p + 9] = 9;
    return p + 10;
  }
  if (v >= 0 && v <= 127) {
    buf[p] = v;
    buf[p + 1] = 1;
    return p + 2;
  }
  if (v >= -4096 && v <= 4095) {
    const u = v < 0 ? 8192 + v : v;
    buf[p] = 0xc0 | (u >> 8);
    buf[p + 1] = u & 0xff;
    buf[p + 2] = 2;
    return p + 3;
  }
  if (v >= -32768 && v <= 32767) {
    buf[p] = 0xf1;
    buf.writeInt16LE(v, p + 1);
    buf[p + 3] = 3;
    return p + 4;
  }
  if (v >= -8388608 && v <= 8388607) {
    buf[p] = 0xf2;
    buf.writeIntLE(v, p + 1, 3);
    buf[p + 4] = 4;
    return p + 5;
  }
  if (v >= -2147483648 && v <= 2147483647) {
    buf[p] = 0xf3;
    buf.writeInt32LE(v, p + 1);
    buf[p + 5] = 5;
    return p + 6;
  }
  buf[p] = 0xf4;
  const hi = Math.floor(v / TWO_32);
  buf.writeUInt32LE(v - hi * TWO_32, p + 1);
  buf.writeInt32LE(hi, p + 5);
  buf[p + 9] = 9;
  return p + 10;
}

/** Writes a string element at p (as an integer when it is one); returns the end. */
export function writeString(buf: Buffer, p: number, s: string): number {
  const n = s.length;
  if (n <= 20) {
    const c = s.charCodeAt(0);
    if (c === 45 || (c >= 48 && c <= 57)) {
      const v = stringAsInt(s);
      if (v !== null) return writeInt(buf, p, v);
    }
  }
  const start = p;
  if (n < 64) {
    buf[p++] = 0x80 | n;
  } else if (n < 4096) {
    buf[p++] = 0xe0 | (n >> 8);
    buf[p++] = n & 0xff;
  } else {
    buf[p++] = 0xf0;
    buf.writeUInt32LE(n, p);
    p += 4;
  }
  if (n < 24) {
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
  } else {
    p += buf.latin1Write(s, p, n);
  }
  return writeBacklen(buf, p, p - start);
}

/**
 * What the last decodeElement found: a string in lp[start, end), or an integer (`isInt`) in
 * `int`. Module state, to return it without allocating.
 */
export const element = {
  isInt: false,
  int: 0 as number | bigint,
  start: 0,
  end: 0,
};

/** The encoding + data size of the element at p. */
function encodedSize(lp: Uint8Array, p: number): number {
  const b = lp[p];
  if (b < 0x80) return 1;
  if (b < 0xc0) return 1 + (b & 0x3f);
  if (b < 0xe0) return 2;
  if (b < 0xf0) return 2 + (((b & 0x0f) << 8) | lp[p + 1]);
  switch (b) {
    case 0xf0:
      return 5 + (lp[p + 1] | (lp[p + 2] << 8) | (lp[p + 3] << 16)) + lp[p + 4] * 16777216;
    case 0xf1:
      return 3;
    case 0xf2:
      return 4;
    case 0xf3:
      return 5;
    default:
      return 9;
  }
}

/** The position of the element after the one at p. */
export function skipElement(lp: Uint8Array, p: number): number {
  const b = lp[p];
  // Small integers and short strings: the common case, one byte of backlen.
  if (b < 0x80) return p + 2;
  const l = encodedSize(lp, p);
  return p + l + backlenSize(l);
}

/** The position of the element before the one at p (p may be the EOF byte's position). */
export function previousElement(lp: Uint8Array, p: number): number {
  // The backlen ends just before p; read it backwards.
  let q = p - 1;
  let l = lp[q] & 127;
  if ((lp[q] & 128) === 0) return q - l;
  let shift = 7;
  do {
    q--;
    l += (lp[q] & 127) * 2 ** shift;
    shift += 7;
  } while ((lp[q] & 128) !== 0);
  // Where the backlen starts follows from l, not from where the reading stopped: a backlen may
  // carry a redundant high bit into the element's bytes (validate.ts backlenSays), as Redis's lpPrev reads it.
  return p - backlenSize(l) - l;
}

/** Decodes the element at p into `element`; returns the position after it. */
export function decodeElement(lp: Buffer, p: number): number {
  const b = lp[p];
  if (b < 0x80) {
    element.isInt = true;
    element.int = b;
    return p + 2;
  }
  if (b < 0xc0) {
    const n = b & 0x3f;
    element.isInt = false;
    element.start = p + 1;
    element.end = p + 1 + n;
    return p + 1 + n + backlenSize(1 + n);
  }
  if (b < 0xe0) {
    let v = ((b & 0x1f) << 8) | lp[p + 1];
    if (v >= 4096) v -= 8192;
    element.isInt = true;
    element.int = v;
    return p + 3;
  }
  if (b < 0xf0) {
    const n = ((b & 0x0f) << 8) | lp[p + 1];
    element.isInt = false;
    element.start = p + 2;
    element.end = p + 2 + n;
    return p + 2 + n + backlenSize(2 + n);
  }
  element.isInt = true;
  switch (b) {
    case 0xf0: {
      const n = lp.readUInt32LE(p + 1);
      element.isInt = false;
      element.start = p + 5;
      element.end = p + 5 + n;
      return p + 5 + n + backlenSize(5 + n);
    }
    case 0xf1:
      element.int = lp.readInt16LE(p + 1);
      return p + 4;
    case 0xf2:
      element.int = lp.readIntLE(p + 1, 3);
      return p + 5;
    case 0xf3:
      element.int = lp.readInt32LE(p + 1);
      return p + 6;
    default: {
      const hi = lp.readInt32LE(p + 5);
      element.int = hi >= -0x200000 && hi < 0x200000 ? hi * TWO_32 + lp.readUInt32LE(p + 1) : lp.readBigInt64LE(p + 1);
      return p + 10;
    }
  }
}

/** The integer at p (an element known to hold one: counts, flags, deltas). */
export function readInt(lp: Buffer, p: number): number {
  const b = lp[p];
  if (b < 0x80) return b;
  decodeElement(lp, p);
  if (!element.isInt) return Number(lp.latin1Slice(element.start, element.end));
  return Number(element.int);
}

/** The element at p as a latin1 string (integers as their decimal text). */
export function elementText(lp: Buffer, p: number): string {
  decodeElement(lp, p);
  return element.isInt ? String(element.int) : lp.latin1Slice(element.start, element.end);
}

/** Whether the string element at p (already decoded into `element`) equals s. */
export function elementEquals(lp: Buffer, s: string): boolean {
  if (element.isInt) return String(element.int) === s;
  const n = element.end - element.start;
  if (n !== s.length) return false;
  const start = element.start;
  for (let i = 0; i < n; i++) if (lp[start + i] !== s.charCodeAt(i)) return false;
  return true;
}

export function setTotalBytes(lp: Buffer, bytes: number): void {
  lp[0] = bytes & 0xff;
  lp[1] = (bytes >>> 8) & 0xff;
  lp[2] = (bytes >>> 16) & 0xff;
  lp[3] = bytes >>> 24;
}

export function getCount(lp: Buffer): number {
  return lp[4] | (lp[5] << 8);
}

export function setCount(lp: Buffer, count: number): void {
  lp[4] = count & 0xff;
  lp[5] = (count >> 8) & 0xff;
}
