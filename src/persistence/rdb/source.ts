import { RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_INT8, RDB_ENC_LZF, RdbError } from './constants.js';
import type { Crc64 } from './crc64.js';
import { lzfDecompress } from './lzf.js';
import { MAX_TEXT_LENGTH } from '../../types/mutable-string.js';
import { SHORT_LATIN1_MAX, shortLatin1 } from '../../protocol/short-string.js';

/** LZF turns 3 bytes into at most 264: a larger claimed length is a lie. */
const LZF_MAX_RATIO = 88;
/** A decompression buffer bigger than this is not kept between strings. */
const KEEP_SCRATCH = 8 * 1024 * 1024;

let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Reads `length` bytes of the input from `position` into `into` at `at`; returns how many it
 * read (0 at the end of the input). A file read with fs.readSync, for instance.
 */
export type ReadAt = (into: Buffer, at: number, length: number, position: number) => number;

/** The window a source read from a file starts with (it grows to fit a larger value). */
const WINDOW_SIZE = 1 << 20;

/**
 * Reads RDB primitives from an input, checking every length against what is left, so that
 * corrupt input fails with an RdbError instead of reading past the end or allocating what a
 * garbage length asks for.
 *
 * The input is either a buffer held whole (buf[pos, end)), or a file read a window at a time
 * (fromFile): need(n) makes sure n bytes are in buf from pos, moving what is left of the window
 * to its start and reading more. Reading a large file into one buffer first would fault in as
 * much fresh memory as the file is large, which costs more than the reads.
 */
export class ByteSource {
  /** Set by lengthOrEncoding(): whether the last length was a special string encoding. */
  private encoded = false;
  /** Offset in the input of buf[0]. */
  private base = 0;
  /** Where the input ends (as an offset in the input). */
  private readonly inputEnd: number;
  /** The CRC of the bytes read, fed up to crcPos (see updateChecksum), when one is kept. */
  private crc: Crc64 | null = null;
  private crcPos = 0;
  /** Where the bytes of the last blobBytes() are. */
  blobBuf: Buffer = scratch;
  blobStart = 0;

  constructor(
    public buf: Buffer,
    public pos: number,
    public end: number,
    private readonly readAt: ReadAt | null = null,
    inputEnd = end,
  ) {
    this.inputEnd = inputEnd;
  }

  /**
   * A source reading the `size` bytes of a file through `readAt`, a window of `windowSize`
   * bytes at a time (larger when a value needs it).
   */
  static fromFile(readAt: ReadAt, size: number, windowSize = WINDOW_SIZE): ByteSource {
    return new ByteSource(Buffer.allocUnsafe(Math.max(1, Math.min(windowSize, size))), 0, 0, readAt, size);
  }

  /** Offset in the input of the next byte to read. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes left in the input. */
  get remaining(): number {
    return this.inputEnd - this.base - this.pos;
  }

  /** Keeps a CRC of the bytes read from here on (updated by updateChecksum). */
  startChecksum(crc: Crc64): void {
    this.crc = crc;
    this.crcPos = this.pos;
  }

  /** Feeds the bytes read since the last call to the CRC; returns it. */
  updateChecksum(): Crc64 | null {
    const crc = this.crc;
    if (crc !== null && this.crcPos < this.pos) {
      crc.update(this.buf, this.crcPos, this.pos);
      this.crcPos = this.pos;
    }
    return crc;
  }

  truncated(): never {
    throw new RdbError('Unexpected EOF reading RDB file');
  }

  need(n: number): void {
    if (n > this.end - this.pos) this.fill(n);
  }

  /** Brings the next n bytes into the window (from the file), or throws if the input ends first. */
  private fill(n: number): void {
    const readAt = this.readAt;
    if (readAt === null || n > this.remaining) this.truncated();
    // What goes out of the window is checksummed first.
    this.updateChecksum();
    const kept = this.end - this.pos;
    let buf = this.buf;
    if (n > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(n, buf.length * 2));
      buf.copy(bigger, 0, this.pos, this.end);
      buf = bigger;
      this.buf = bigger;
    } else {
      buf.copyWithin(0, this.pos, this.end);
    }
    this.base += this.pos;
    this.pos = 0;
    this.crcPos = 0;
    this.end = kept;
    while (this.end < n) {
      const want = Math.min(buf.length - this.end, this.inputEnd - this.base - this.end);
      const got = readAt(buf, this.end, want, this.base + this.end);
      if (got <= 0) this.truncated();
      this.end += got;
    }
  }

  u8(): number {
    if (this.pos >= this.end) this.fill(1);
    return this.buf[this.pos++];
  }

  i32le(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A signed 64-bit little-endian integer (millisecond times), as a number. */
  i64le(): number {
    this.need(8);
    const v = this.buf.readUInt32LE(this.pos) + this.buf.readInt32LE(this.pos + 4) * 0x100000000;
    this.pos += 8;
    return v;
  }

  f64le(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** An RDB length, or with the special-encoding bits set, the encoding number (see `encoded`). */
  private lengthOrEncoding(): number {
    const b = this.u8();
    const kind = b >> 6;
    this.encoded = false;
    if (kind === 3) {
      this.encoded = true;
      return b & 0x3f;
    }
    if (kind === 0) return b & 0x3f;
    if (kind === 1) return ((b & 0x3f) << 8) | this.u8();
    if (b === 0x80) {
      this.need(4);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (b === 0x81) {
      this.need(8);
      // Beyond 2^53 the value is inexact, but then it is far beyond any buffer too.
      const v = this.buf.readUInt32BE(this.pos) * 0x100000000 + this.buf.readUInt32BE(this.pos + 4);
      this.pos += 8;
      return v;
    }
    throw new RdbError(`Unknown length encoding ${kind} in rdbLoadLen()`);
  }

  /** A plain length (opcode arguments); a string encoding here is corrupt. */
  len(): number {
    const n = this.lengthOrEncoding();
    if (this.encoded) throw new RdbError(`Unexpected string encoding ${n} where a length was expected`);
    return n;
  }

  /**
   * The element count of a collection, each element taking at least `minBytes`: a count the
   * remaining bytes cannot hold is rejected before anything is allocated for it.
   */
  count(minBytes: number): number {
    const n = this.len();
    if (n * minBytes > this.remaining) this.truncated();
    return n;
  }

  /** An RDB string object as a latin1 string (integers as their decimal text). */
  string(): string {
    const n = this.lengthOrEncoding();
    if (this.encoded) {
      if (n === RDB_ENC_LZF) {
        const size = this.lzf();
        return scratchText(size);
      }
      return String(this.encodedInt(n));
    }
    return this.text(n);
  }

  /** The next n bytes as a latin1 string. */
  private text(n: number): string {
    this.need(n);
    const s = n <= SHORT_LATIN1_MAX ? shortLatin1(this.buf, this.pos, n) : this.buf.latin1Slice(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /**
   * A string value (RDB_TYPE_STRING): as string() reads it, but one longer than a JS string can
   * be (see MAX_TEXT_LENGTH) as a Buffer of its own, its exact size.
   */
  stringValue(): string | Buffer {
    const n = this.lengthOrEncoding();
    if (this.encoded) {
      if (n !== RDB_ENC_LZF) return String(this.encodedInt(n));
      const [compressedLength, size] = this.lzfLengths();
      if (size <= MAX_TEXT_LENGTH) return scratchText(this.lzfOfLengths(compressedLength, size));
      const out = Buffer.allocUnsafe(size);
      this.lzfInto(compressedLength, out, size);
      return out;
    }
    if (n <= MAX_TEXT_LENGTH) return this.text(n);
    return this.ownedBlobOfLength(n);
  }

  /** The next `n` bytes, copied into a Buffer of their own. */
  private ownedBlobOfLength(n: number): Buffer {
    this.need(n);
    const out = Buffer.allocUnsafe(n);
    this.buf.copy(out, 0, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * An RDB string object as bytes (a listpack, an intset…). The buffer returned may be shared:
   * it is valid until the next read from this source.
   */
  blob(): Buffer {
    const n = this.blobBytes();
    return this.blobBuf.subarray(this.blobStart, this.blobStart + n);
  }

  /**
   * Reads an RDB string object as blob() does, but leaves its bytes where they are, at
   * blobBuf[blobStart, blobStart + length) until the next read from this source, and returns
   * its length: a quicklist node read this way costs no Buffer object (a keyspace of small
   * lists reads one per key).
   */
  blobBytes(): number {
    const n = this.lengthOrEncoding();
    if (this.encoded) {
      this.blobBuf = scratch;
      this.blobStart = 0;
      if (n === RDB_ENC_LZF) {
        const size = this.lzf();
        // lzf() may have replaced the scratch buffer.
        this.blobBuf = scratch;
        return size;
      }
      const text = String(this.encodedInt(n));
      return scratch.latin1Write(text, 0);
    }
    this.need(n);
    this.blobBuf = this.buf;
    this.blobStart = this.pos;
    this.pos += n;
    return n;
  }

  /**
   * An RDB string object as bytes of the caller's own, in a buffer of its size that `allocate`
   * gives: an LZF string is decompressed straight into it, a plain one copied once from the
   * input. (blob() then a copy would go through the scratch buffer: a second copy.)
   */
  ownedBlob(allocate: (size: number) => Buffer): Buffer {
    const n = this.lengthOrEncoding();
    if (this.encoded) {
      if (n === RDB_ENC_LZF) {
        const [compressedLength, length] = this.lzfLengths();
        const out = allocate(length);
        this.lzfInto(compressedLength, out, length);
        return out;
      }
      const text = String(this.encodedInt(n));
      const out = allocate(text.length);
      out.latin1Write(text, 0);
      return out;
    }
    this.need(n);
    const out = allocate(n);
    this.buf.copy(out, 0, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private encodedInt(encoding: number): number {
    switch (encoding) {
      case RDB_ENC_INT8:
        this.need(1);
        return this.buf.readInt8(this.pos++);
      case RDB_ENC_INT16: {
        this.need(2);
        const v = this.buf.readInt16LE(this.pos);
        this.pos += 2;
        return v;
      }
      case RDB_ENC_INT32:
        return this.i32le();
      default:
        throw new RdbError(`Unknown RDB string encoding type ${encoding}`);
    }
  }

  /** Decompresses an LZF string into the scratch buffer; returns its length. */
  private lzf(): number {
    const [compressedLength, length] = this.lzfLengths();
    return this.lzfOfLengths(compressedLength, length);
  }

  /** lzf() once the lengths are read. */
  private lzfOfLengths(compressedLength: number, length: number): number {
    if (scratch.length < length || scratch.length > KEEP_SCRATCH) {
      scratch = Buffer.allocUnsafe(Math.max(length, 64 * 1024));
    }
    this.lzfInto(compressedLength, scratch, length);
    return length;
  }

  /** The compressed and decompressed lengths of an LZF string, checked against what is left. */
  private lzfLengths(): [number, number] {
    const compressedLength = this.len();
    const length = this.len();
    if (compressedLength > this.remaining) this.truncated();
    if (length > compressedLength * LZF_MAX_RATIO) throw new RdbError('Invalid LZF compressed string');
    return [compressedLength, length];
  }

  /** Decompresses the next compressedLength bytes into into[0, length), which they must fill exactly. */
  private lzfInto(compressedLength: number, into: Buffer, length: number): void {
    this.need(compressedLength);
    const produced = lzfDecompress(this.buf, this.pos, this.pos + compressedLength, into, 0, length);
    // Like lzf_decompress, an empty output is what a zero-length target always gets.
    if (produced !== length && !(length === 0 && produced === -1)) throw new RdbError('Invalid LZF compressed string');
    this.pos += compressedLength;
  }
}

function scratchText(size: number): string {
  return scratch.latin1Slice(0, size);
}
