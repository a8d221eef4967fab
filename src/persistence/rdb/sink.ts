import { RDB_14BITLEN, RDB_32BITLEN, RDB_64BITLEN } from './constants.js';

const INITIAL_CAPACITY = 64 * 1024;
/** A sink that grew past this for one huge value gives the memory back once emptied. */
const KEEP_CAPACITY = 8 * 1024 * 1024;
/** A chunk smaller than this is copied out rather than handed over with the buffer it is in. */
const SMALL_CHUNK = 16 * 1024;
/** Below this length a string is copied char by char: cheaper than a call into C++. */
const SHORT_STRING = 24;

/**
 * A growing output buffer: bytes are appended at `pos` and the buffer doubles when full, so
 * serializing allocates nothing per value. take() hands out what was written and starts over
 * in the same memory.
 */
export class ByteSink {
  buf: Buffer;
  pos = 0;

  constructor(capacity = INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let capacity = this.buf.length * 2;
    while (capacity < this.pos + n) capacity *= 2;
    const next = Buffer.allocUnsafe(capacity);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = b;
  }

  /** An RDB length: 6, 14, 32 or 64 bits depending on its size (rdbSaveLen). */
  len(n: number): void {
    this.ensure(9);
    const buf = this.buf;
    if (n < 1 << 6) {
      buf[this.pos++] = n;
    } else if (n < 1 << 14) {
      buf[this.pos++] = (n >> 8) | (RDB_14BITLEN << 6);
      buf[this.pos++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      buf[this.pos++] = RDB_32BITLEN;
      buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      buf[this.pos++] = RDB_64BITLEN;
      buf.writeUInt32BE(Math.floor(n / 0x100000000), this.pos);
      buf.writeUInt32BE(n >>> 0, this.pos + 4);
      this.pos += 8;
    }
  }

  u16le(n: number): void {
    this.ensure(2);
    this.buf[this.pos++] = n & 0xff;
    this.buf[this.pos++] = (n >>> 8) & 0xff;
  }

  u32le(n: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(n >>> 0, this.pos);
    this.pos += 4;
  }

  /** A signed 64-bit little-endian integer given as a number (exact within 2^53). */
  i64le(n: number): void {
    this.ensure(8);
    const hi = Math.floor(n / 0x100000000);
    this.buf.writeUInt32LE(n - hi * 0x100000000, this.pos);
    this.buf.writeInt32LE(hi, this.pos + 4);
    this.pos += 8;
  }

  f64le(d: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(d, this.pos);
    this.pos += 8;
  }

  /** The bytes of a latin1 string (one byte per char). */
  latin1(s: string): void {
    const n = s.length;
    this.ensure(n);
    if (n < SHORT_STRING) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      this.pos += this.buf.latin1Write(s, this.pos, n);
    }
  }

  bytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    if (n < SHORT_STRING * 2) {
      // A view for set() costs more than copying a few bytes.
      const buf = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) buf[p++] = src[i];
    } else {
      this.buf.set(src.subarray(start, end), this.pos);
    }
    this.pos += n;
  }

  /**
   * What was written since the last take, now the caller's; the sink starts over. A small
   * chunk is copied out; a large one is handed over as it is and the sink takes fresh memory,
   * which saves copying the bulk of a file once more.
   */
  take(): Buffer {
    const n = this.pos;
    if (n < SMALL_CHUNK) {
      const out = Buffer.allocUnsafe(n);
      this.buf.copy(out, 0, 0, n);
      this.clear();
      return out;
    }
    const out = this.buf.subarray(0, n);
    this.buf = Buffer.allocUnsafe(Math.min(this.buf.length, KEEP_CAPACITY));
    this.pos = 0;
    return out;
  }

  /**
   * What was written since the last take, copied into `scratch` (or into new memory when it
   * does not fit); the sink starts over in its own memory. A writer that reuses the same
   * scratch buffer for each chunk allocates nothing per chunk: allocating a megabyte per
   * chunk, as take() does, makes V8 run full collections for the external memory.
   */
  takeInto(scratch: Buffer): Buffer {
    const n = this.pos;
    const out = scratch.length >= n ? scratch.subarray(0, n) : Buffer.allocUnsafe(n);
    this.buf.copy(out, 0, 0, n);
    this.clear();
    return out;
  }

  /** Forgets what was written (and a huge buffer with it). */
  clear(): void {
    this.pos = 0;
    if (this.buf.length > KEEP_CAPACITY) this.buf = Buffer.allocUnsafe(INITIAL_CAPACITY);
  }
}
