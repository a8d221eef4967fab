/**
 * The shape every stored value has. A string value is a plain latin1 string (one char per
 * byte, binary-safe), with no wrapper: that is the cheapest form V8 offers per key.
 * Collections are objects that carry their type and report their encoding.
 */
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
   * Estimated bytes of the payload, as Redis's objectComputeSize would count them (MEMORY
   * USAGE); large collections may extrapolate from `samples` elements (0 = all).
   */
  memoryUsage?(samples: number): number;
}

export type Value = string | CollectionValue;

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

/** OBJECT ENCODING of a string value. */
export function stringEncoding(s: string): 'int' | 'embstr' | 'raw' {
  if (isIntEncodable(s)) return 'int';
  return s.length <= 44 ? 'embstr' : 'raw';
}
