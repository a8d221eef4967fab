/**
 * The shape every stored value has. A string value is a plain latin1 string (one char per
 * byte, binary-safe), with no wrapper: that is the cheapest form V8 offers per key.
 * Collections are objects that carry their type and report their encoding.
 */
import { stringBytes, type SizeAccount } from './heap-size.js';
import type { IntegerString } from './integer-string.js';
import type { MutableString } from './mutable-string.js';

export type ValueType = 'string' | 'list' | 'set' | 'zset' | 'hash' | 'stream';

export interface CollectionValue {
  readonly type: Exclude<ValueType, 'string'>;
  /** What OBJECT ENCODING reports (listpack, hashtable, quicklist, intset, skiplist). */
  encoding(): string;
  /** Number of elements; a collection that reaches 0 is deleted by the command that emptied it. */
  readonly size: number;
  /** A deep copy (COPY, snapshots). */
  clone(): CollectionValue;
  /**
   * What the value takes in V8's heap, its strings included (heap-size.ts), kept as it changes:
   * O(1) to read, never computed by walking the elements.
   */
  readonly bytes: number;
  /**
   * The running total the value reports each change of `bytes` to while it is in the keyspace
   * (its database's), else null. Set by the database as the value enters and leaves it.
   */
  account: SizeAccount | null;
  /**
   * The access record (LRU clock or LFU record, keyspace/access.ts) of the key holding the
   * value, -1 for none; kept here, where it costs a field (a plain string's takes a slot of the
   * dict, types/dict.ts). Set by the database.
   */
  access: number;
  /**
   * `bytes` computed afresh from the value's elements and the capacities it follows, in O(n):
   * equal to `bytes` unless a change was not counted (for tests).
   */
  recountBytes(): number;
}

/**
 * A string value is a plain string, a MutableString (mutable-string.ts) while it is being
 * changed in place, or an IntegerString (integer-string.ts) that INCR made: all have type
 * 'string' (`isStringValue` tells any).
 */
export type Value = string | MutableString | IntegerString | CollectionValue;

/** What a value takes in V8's heap: a string's own bytes, a collection's or mutable string's `bytes`. */
export function valueBytes(value: Value): number {
  return typeof value === 'string' ? stringBytes(value.length) : value.bytes;
}

/** Whether a value is a string, plain or mutable. */
export function isStringValue(value: Value): value is string | MutableString | IntegerString {
  return typeof value === 'string' || value.type === 'string';
}

/**
 * The value with a mutable string as a plain one (a copy, O(n)): for readers that go through
 * the whole value anyway (RDB, AOF rewrite, DEBUG DIGEST), so they know one string form.
 */
export function plainValue(value: Value): string | CollectionValue {
  return typeof value === 'string' || value.type !== 'string' ? value : value.toString();
}

export function typeOf(value: Value): ValueType {
  return typeof value === 'string' ? 'string' : value.type;
}

const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;

/** Whether Redis would store this string as an integer (canonical decimal of a 64-bit long). */
export function isIntEncodable(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    if (n === 1) return false;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n === 1;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  if (n < 19) return true;
  const big = BigInt(s);
  return big >= LONG_MIN && big <= LONG_MAX;
}

/**
 * OBJECT ENCODING of a string value (one changed in place is 'raw', as Redis's sds after
 * SETBIT/APPEND; INCR's result 'int').
 */
export function stringEncoding(s: string | MutableString | IntegerString): 'int' | 'embstr' | 'raw' {
  if (typeof s !== 'string') return s.encoding();
  if (isIntEncodable(s)) return 'int';
  return s.length <= 44 ? 'embstr' : 'raw';
}
