/**
 * A string value that is being changed in place (SETBIT, BITFIELD, SETRANGE, APPEND): its
 * bytes in a growable Buffer, so that changing one bit of a 16 MB bitmap does not copy it.
 * Ordinary strings stay plain latin1 JS strings (value.ts): this form is taken only by a
 * value that a command changes in place, and keeps it until the value is replaced. Its TYPE is 'string' and its OBJECT ENCODING 'raw', as Redis's
 * sds strings that SETBIT and APPEND leave behind; readers get its bytes with `view()` (no copy)
 * or `toString()` (a latin1 string, O(n)).
 *
 * The API other value types built on strings use (HyperLogLog): `stringValueBytes` to read any
 * string value's bytes, `isStringValue` to check a value is a string in either form, and
 * keyspace/string-values.ts's `writableString` to get a key's value in this form to change
 * (then db.signalModifiedKey, the notification and server.dirty, as for any write).
 */
import { objectBytes, type SizeAccount } from './heap-size.js';

/**
 * What a Buffer costs beyond its bytes: the Uint8Array and ArrayBuffer objects and the backing
 * store's bookkeeping (measured on Node 20 x64 as for heap-size.ts).
 */
const BUFFER_OVERHEAD_BYTES = 200;
/** The MutableString object itself: type, buf, length, account, bytes. */
const OWN_BYTES = objectBytes(5);

/** Growth past this is by this much at a time, below it by doubling (as Redis's sdsMakeRoomFor). */
const GROWTH_STEP = 1 << 20;

export class MutableString {
  readonly type = 'string' as const;
  /** The bytes; those at `length` and beyond are zero (growth relies on it). */
  buf: Buffer;
  length: number;
  /** Where changes of `bytes` are reported while the value is in the keyspace (see CollectionValue). */
  account: SizeAccount | null = null;
  /** What the value takes: this object, the Buffer and its capacity. */
  bytes: number;

  constructor(buf: Buffer, length: number) {
    this.buf = buf;
    this.length = length;
    this.bytes = OWN_BYTES + BUFFER_OVERHEAD_BYTES + buf.length;
  }

  /** A mutable copy of a string's bytes (latin1), with room for `capacity` bytes. */
  static fromString(s: string, capacity: number = s.length): MutableString {
    const buf = Buffer.alloc(Math.max(capacity, s.length));
    buf.latin1Write(s, 0);
    return new MutableString(buf, s.length);
  }

  /** OBJECT ENCODING: Redis's sds string that SETBIT, SETRANGE and APPEND leave is 'raw'. */
  encoding(): 'raw' {
    return 'raw';
  }

  /** The bytes, as a view of the Buffer (valid until the value next grows). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  toString(): string {
    return this.buf.latin1Slice(0, this.length);
  }

  /** Grows the value to at least `length` bytes, the new ones zero (sdsgrowzero). */
  growTo(length: number): void {
    if (length <= this.length) return;
    if (length > this.buf.length) {
      const capacity = length < GROWTH_STEP ? length * 2 : length + GROWTH_STEP;
      const grown = Buffer.alloc(capacity);
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
      this.resized();
    }
    this.length = length;
  }

  /** Appends bytes (a latin1 string), growing the capacity as needed. */
  append(suffix: string): void {
    const at = this.length;
    this.growTo(at + suffix.length);
    this.buf.latin1Write(suffix, at);
  }

  /** Writes bytes (a latin1 string) at `offset`, growing the value as needed. */
  write(offset: number, patch: string): void {
    this.growTo(offset + patch.length);
    this.buf.latin1Write(patch, offset);
  }

  /** A copy (COPY, snapshots), with no spare capacity. */
  clone(): MutableString {
    const buf = Buffer.alloc(this.length);
    this.buf.copy(buf, 0, 0, this.length);
    return new MutableString(buf, this.length);
  }

  /** `bytes` computed afresh (for tests). */
  recountBytes(): number {
    return OWN_BYTES + BUFFER_OVERHEAD_BYTES + this.buf.length;
  }

  private resized(): void {
    const bytes = this.recountBytes();
    if (this.account !== null) this.account.bytes += bytes - this.bytes;
    this.bytes = bytes;
  }
}

/** A string value in either form. */
export type StringValue = string | MutableString;

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
  return typeof value === 'string' ? value.charCodeAt(index) : (value.buf[index] as number);
}
