/**
 * A string value that INCR, INCRBY, DECR or DECRBY left: the integer itself, Redis's 'int'
 * encoding. A counter incremented again is changed in place — no parse of its text, no new
 * string, no write to the dict — and holds its key's access record (`access`) as the other
 * object values do, where a plain string's is an entry of the database's access map: a
 * counter costs less than a plain string and its access entry.
 *
 * Readers see a string like any other: TYPE string, `length`, `toString()` (the decimal text,
 * made on demand), `view()`, `byteAt()`; the commands that change a string in place make it a
 * MutableString first (keyspace/string-values.ts), as any plain string. Only safe integers
 * (|n| < 2^53) take this form; a counter past them is stored as its text.
 */
import { HEAP_NUMBER_BYTES, objectBytes, type SizeAccount } from './heap-size.js';

/** The object: integer, access, account. */
const OWN_BYTES = objectBytes(3);
/** V8's small integers (Smis) on x64 without pointer compression: 32 bits, signed. */
const SMI_MIN = -(2 ** 31);
const SMI_MAX = 2 ** 31 - 1;

/**
 * What a counter holding `n` takes: the object, and the box V8 puts a number beyond a small
 * integer in. (Once any counter has held such a number, V8 boxes every counter's, small ones
 * included: those are then counted 16 bytes short.)
 */
function counterBytes(n: number): number {
  return n >= SMI_MIN && n <= SMI_MAX ? OWN_BYTES : OWN_BYTES + HEAP_NUMBER_BYTES;
}

export class IntegerString {
  /** The value; always a safe integer. Changed through set(). */
  integer: number;
  /** The access record of the key holding it (see CollectionValue). */
  access = -1;
  /** Where size changes are reported while in the keyspace (see CollectionValue). */
  account: SizeAccount | null = null;

  constructor(integer: number) {
    this.integer = integer;
  }

  // TYPE and size on the prototype: no field per counter.
  get type(): 'string' {
    return 'string';
  }

  get bytes(): number {
    return counterBytes(this.integer);
  }

  /** Changes the value in place (a safe integer), its size change reported. */
  set(n: number): void {
    const old = this.integer;
    this.integer = n;
    if (this.account !== null && (n > SMI_MAX || n < SMI_MIN || old > SMI_MAX || old < SMI_MIN)) {
      this.account.bytes += counterBytes(n) - counterBytes(old);
    }
  }

  /** OBJECT ENCODING, as Redis's integer-encoded string object. */
  encoding(): 'int' {
    return 'int';
  }

  /** The length of the decimal text, without making it. */
  get length(): number {
    let n = this.integer;
    let digits = 1;
    if (n < 0) {
      digits = 2;
      n = -n;
    }
    while (n >= 10) {
      n = Math.floor(n / 10);
      digits++;
    }
    return digits;
  }

  get isLarge(): false {
    return false;
  }

  toString(): string {
    return String(this.integer);
  }

  view(): Buffer {
    return Buffer.from(String(this.integer), 'latin1');
  }

  byteAt(index: number): number {
    return String(this.integer).charCodeAt(index);
  }

  /** Never a Buffer: the text is short. */
  largeBytes(): null {
    return null;
  }

  clone(): IntegerString {
    return new IntegerString(this.integer);
  }

  recountBytes(): number {
    return counterBytes(this.integer);
  }
}
