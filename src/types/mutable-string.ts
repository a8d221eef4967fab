/**
 * A string value that is being changed in place (SETBIT, BITFIELD, SETRANGE, APPEND): its
 * bytes in a growable Buffer, so that changing one bit of a 16 MB bitmap does not copy it
 * (up to SMALL_MAX bytes, in a small string copied on each change, which costs less).
 * Ordinary strings stay plain latin1 JS strings (value.ts): this form is taken only by a
 * value that a command changes in place, and keeps it until the value is replaced. Its TYPE
 * is 'string' and its OBJECT ENCODING 'raw', as Redis's sds strings that SETBIT and APPEND
 * leave behind; readers get its bytes with `view()` (no copy when large), `byteAt()` or
 * `toString()` (a latin1 string, O(n)); writers change them between `beginWrite()` and
 * `endWrite()`.
 *
 * The API other value types built on strings use (HyperLogLog): `stringValueBytes` to read any
 * string value's bytes, `isStringValue` to check a value is a string in either form, and
 * keyspace/string-values.ts's `writableString` to get a key's value in this form to change
 * (then db.signalModifiedKey, the notification and server.dirty, as for any write).
 */
import { constants } from 'node:buffer';
import { RedisError } from '../errors.js';
import { objectBytes, stringBytes, type SizeAccount } from './heap-size.js';
import type { IntegerString } from './integer-string.js';

/**
 * What a Buffer costs beyond its bytes: the Uint8Array and ArrayBuffer objects and the backing
 * store's bookkeeping (measured on Node 20 x64 as for heap-size.ts).
 */
const BUFFER_OVERHEAD_BYTES = 200;
/** The MutableString object itself: type, large, small, length, account, access, bytes. */
const OWN_BYTES = objectBytes(7);

/**
 * Up to this length the bytes are kept as a flat latin1 string (a change copies them: a few
 * dozen bytes), beyond it in a Buffer, whose own cost (BUFFER_OVERHEAD_BYTES) would be most of
 * a small value's: a small bitmap or appended string stays about as compact as a plain one.
 */
export const SMALL_MAX = 64;

/**
 * V8's longest string (2^29-24 chars): a string value may be longer (up to proto-max-bulk-len),
 * but only as a MutableString's Buffer, so readers of a value that may be this long take its
 * bytes (`view()`), never its text.
 */
export const MAX_TEXT_LENGTH: number = constants.MAX_STRING_LENGTH;

/** What asking for the text of a value longer than MAX_TEXT_LENGTH answers (an error reply, not a crash). */
export const ERR_TOO_LONG_FOR_TEXT = `ERR string value longer than ${constants.MAX_STRING_LENGTH} bytes cannot be used by this command`;

/** Growth past this is by this much at a time, below it by doubling (as Redis's sdsMakeRoomFor). */
const GROWTH_STEP = 1 << 20;

/**
 * The longest value a Buffer can hold (4 GB on Node 20): past it a write is refused, where Redis
 * would grow on (only with proto-max-bulk-len raised above 4 GB).
 */
export const MAX_VALUE_BYTES: number = constants.MAX_LENGTH;

/** Where a small value's bytes are changed between beginWrite and endWrite (one value at a time). */
const scratch = Buffer.alloc(SMALL_MAX);

export class MutableString {
  readonly type = 'string' as const;
  /** A large value's bytes (those at `length` and beyond are zero: growth relies on it); null while small. */
  private large: Buffer | null;
  /** A small value's bytes, flat; '' once large. */
  private small: string;
  length: number;
  /** Where changes of `bytes` are reported while the value is in the keyspace (see CollectionValue). */
  account: SizeAccount | null = null;
  /** The access record of the key holding it (see CollectionValue). */
  access = -1;
  /** What the value takes: this object and its string, or its Buffer and the Buffer's capacity. */
  bytes: number;

  private constructor(large: Buffer | null, small: string, length: number) {
    this.large = large;
    this.small = small;
    this.length = length;
    this.bytes = 0;
    this.bytes = this.recountBytes();
  }

  /** A mutable value holding `length` bytes of `buf` (taken over, not copied; zero past `length`). */
  static fromBuffer(buf: Buffer, length: number): MutableString {
    if (length <= SMALL_MAX) return new MutableString(null, buf.latin1Slice(0, length), length);
    return new MutableString(buf, '', length);
  }

  /** A mutable copy of a string's bytes (latin1), with room for `capacity` bytes once large. */
  static fromString(s: string, capacity: number = s.length): MutableString {
    if (Math.max(capacity, s.length) <= SMALL_MAX) return new MutableString(null, flat(s), s.length);
    const buf = Buffer.alloc(Math.max(capacity, s.length));
    buf.latin1Write(s, 0);
    return new MutableString(buf, '', s.length);
  }

  /** OBJECT ENCODING: Redis's sds string that SETBIT, SETRANGE and APPEND leave is 'raw'. */
  encoding(): 'raw' {
    return 'raw';
  }

  /** Whether the bytes are in a Buffer (see SMALL_MAX). */
  get isLarge(): boolean {
    return this.large !== null;
  }

  /** The bytes: a large value's as a view of its Buffer (valid until it next grows), a small one's copied. */
  view(): Buffer {
    return this.large !== null ? this.large.subarray(0, this.length) : Buffer.from(this.small, 'latin1');
  }

  /** The bytes as a latin1 string; a RedisError for a value longer than a JS string can be. */
  toString(): string {
    if (this.length > MAX_TEXT_LENGTH) throw new RedisError(ERR_TOO_LONG_FOR_TEXT);
    return this.large !== null ? this.large.latin1Slice(0, this.length) : this.small;
  }

  /** The byte at `index` (below `length`). */
  byteAt(index: number): number {
    return this.large !== null ? (this.large[index] as number) : this.small.charCodeAt(index);
  }

  /** The Buffer holding a large value's bytes [0, length); null for a small value. */
  largeBytes(): Buffer | null {
    return this.large;
  }

  /**
   * The bytes to change in place, [0, length): a large value's own Buffer, or for a small one a
   * scratch copy that endWrite() stores back. Nothing else may use a MutableString in between.
   */
  beginWrite(): Buffer {
    if (this.large !== null) return this.large;
    scratch.latin1Write(this.small, 0);
    return scratch;
  }

  /** Ends the change begun by beginWrite(). */
  endWrite(): void {
    if (this.large === null) this.small = scratch.latin1Slice(0, this.length);
  }

  /** Grows the value to at least `length` bytes, the new ones zero (sdsgrowzero). */
  growTo(length: number): void {
    if (length <= this.length) return;
    const large = this.large;
    if (large === null && length <= SMALL_MAX) {
      this.small = flat(this.small + '\0'.repeat(length - this.length));
    } else if (large === null || length > large.length) {
      if (length > MAX_VALUE_BYTES) throw new RedisError(`ERR string value longer than ${MAX_VALUE_BYTES} bytes is not supported`);
      const capacity = Math.min(MAX_VALUE_BYTES, length < GROWTH_STEP ? length * 2 : length + GROWTH_STEP);
      const grown = Buffer.alloc(capacity);
      if (large === null) grown.latin1Write(this.small, 0);
      else large.copy(grown, 0, 0, this.length);
      this.large = grown;
      this.small = '';
    }
    this.length = length;
    this.resized();
  }

  /** Appends bytes (a latin1 string), growing the capacity as needed. */
  append(suffix: string): void {
    this.write(this.length, suffix);
  }

  /** Writes bytes (a latin1 string) at `offset`, growing the value as needed. */
  write(offset: number, patch: string): void {
    this.growTo(offset + patch.length);
    const bytes = this.beginWrite();
    bytes.latin1Write(patch, offset);
    this.endWrite();
  }

  /** A copy (COPY, snapshots), with no spare capacity. */
  clone(): MutableString {
    if (this.large === null) return new MutableString(null, this.small, this.length);
    const buf = Buffer.alloc(this.length);
    this.large.copy(buf, 0, 0, this.length);
    return new MutableString(buf, '', this.length);
  }

  /** `bytes` computed afresh (for tests). */
  recountBytes(): number {
    return this.large !== null ? OWN_BYTES + BUFFER_OVERHEAD_BYTES + this.large.length : OWN_BYTES + stringBytes(this.length);
  }

  private resized(): void {
    const bytes = this.recountBytes();
    if (this.account !== null) this.account.bytes += bytes - this.bytes;
    this.bytes = bytes;
  }
}

/** A string as one flat sequence of chars (a concatenation would keep its parts alive and uncounted). */
function flat(s: string): string {
  if (s.length <= 1) return s;
  const bytes = Buffer.from(s, 'latin1');
  return bytes.latin1Slice(0, bytes.length);
}

/** A string value in any form. */
export type StringValue = string | MutableString | IntegerString;

/** A string value as a latin1 JS string (a mutable one is copied: O(n)). */
export function stringValueText(value: StringValue): string {
  return typeof value === 'string' ? value : value.toString();
}

/** A string value's bytes: a mutable one's without a copy, a plain one's decoded (O(n)). */
export function stringValueBytes(value: StringValue): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : value.view();
}

/** The byte at `index` of a string value (0 past its end). */
export function stringValueByte(value: StringValue, index: number): number {
  if (index >= value.length) return 0;
  return typeof value === 'string' ? value.charCodeAt(index) : value.byteAt(index);
}

/** A large mutable string's bytes (a view: valid until it next changes); null for any other string value. */
export function largeStringBytes(value: StringValue): Buffer | null {
  return typeof value === 'string' || !(value instanceof MutableString) || !value.isLarge ? null : value.view();
}
