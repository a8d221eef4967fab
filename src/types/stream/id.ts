/**
 * Stream entry IDs: `<ms>-<seq>`, two unsigned 64-bit numbers. A JS number holds integers
 * exactly only up to 2^53, so each half is kept as two 32-bit parts (hi, lo); the common case
 * (a millisecond time, a small sequence) is still done with plain numbers, and only values past
 * 2^53 take the BigInt path.
 */

export interface StreamId {
  readonly msHi: number;
  readonly msLo: number;
  readonly seqHi: number;
  readonly seqLo: number;
}

const TWO_32 = 4294967296;
/** Below this hi part, hi * 2^32 + lo is exact as a number. */
const SAFE_HI = 2097152;
const U64_MASK = (1n << 64n) - 1n;

export const MIN_ID: StreamId = { msHi: 0, msLo: 0, seqHi: 0, seqLo: 0 };
export const MAX_ID: StreamId = { msHi: 0xffffffff, msLo: 0xffffffff, seqHi: 0xffffffff, seqLo: 0xffffffff };

/** An ID from two numbers below 2^53 (times, small sequences). */
export function idFromNumbers(ms: number, seq: number): StreamId {
  const msHi = Math.floor(ms / TWO_32);
  const seqHi = Math.floor(seq / TWO_32);
  return { msHi, msLo: ms - msHi * TWO_32, seqHi, seqLo: seq - seqHi * TWO_32 };
}

export function idFromBigInts(ms: bigint, seq: bigint): StreamId {
  return {
    msHi: Number((ms >> 32n) & 0xffffffffn),
    msLo: Number(ms & 0xffffffffn),
    seqHi: Number((seq >> 32n) & 0xffffffffn),
    seqLo: Number(seq & 0xffffffffn),
  };
}

/** An unsigned 64-bit value given as two 32-bit parts, in decimal. */
export function u64Text(hi: number, lo: number): string {
  if (hi < SAFE_HI) return String(hi * TWO_32 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/** `<ms>-<seq>`, as Redis replies with an ID. */
export function formatId(id: StreamId): string {
  if (id.msHi < SAFE_HI && id.seqHi === 0) return `${id.msHi * TWO_32 + id.msLo}-${id.seqLo}`;
  return u64Text(id.msHi, id.msLo) + '-' + u64Text(id.seqHi, id.seqLo);
}

/** -1, 0 or 1 as a is below, equal to or above b. */
export function compareIds(a: StreamId, b: StreamId): number {
  if (a.msHi !== b.msHi) return a.msHi < b.msHi ? -1 : 1;
  if (a.msLo !== b.msLo) return a.msLo < b.msLo ? -1 : 1;
  if (a.seqHi !== b.seqHi) return a.seqHi < b.seqHi ? -1 : 1;
  if (a.seqLo !== b.seqLo) return a.seqLo < b.seqLo ? -1 : 1;
  return 0;
}

export function idsEqual(a: StreamId, b: StreamId): boolean {
  return a.msLo === b.msLo && a.seqLo === b.seqLo && a.msHi === b.msHi && a.seqHi === b.seqHi;
}

export function isZeroId(id: StreamId): boolean {
  return id.msLo === 0 && id.seqLo === 0 && id.msHi === 0 && id.seqHi === 0;
}

export function isMaxId(id: StreamId): boolean {
  return id.msLo === 0xffffffff && id.seqLo === 0xffffffff && id.msHi === 0xffffffff && id.seqHi === 0xffffffff;
}

/** The next ID (streamIncrID); null past the last possible one. */
export function nextId(id: StreamId): StreamId | null {
  let { msHi, msLo, seqHi, seqLo } = id;
  if (seqLo !== 0xffffffff) return { msHi, msLo, seqHi, seqLo: seqLo + 1 };
  if (seqHi !== 0xffffffff) return { msHi, msLo, seqHi: seqHi + 1, seqLo: 0 };
  if (msLo !== 0xffffffff) msLo++;
  else if (msHi !== 0xffffffff) {
    msHi++;
    msLo = 0;
  } else return null;
  seqHi = 0;
  seqLo = 0;
  return { msHi, msLo, seqHi, seqLo };
}

/** The previous ID (streamDecrID); null before 0-0. */
export function previousId(id: StreamId): StreamId | null {
  let { msHi, msLo, seqHi, seqLo } = id;
  if (seqLo !== 0) return { msHi, msLo, seqHi, seqLo: seqLo - 1 };
  if (seqHi !== 0) return { msHi, msLo, seqHi: seqHi - 1, seqLo: 0xffffffff };
  if (msLo !== 0) msLo--;
  else if (msHi !== 0) {
    msHi--;
    msLo = 0xffffffff;
  } else return null;
  seqHi = 0xffffffff;
  seqLo = 0xffffffff;
  return { msHi, msLo, seqHi, seqLo };
}

/** ms and seq as numbers, when both are below 2^53 (then `id.ms`-style arithmetic is exact). */
export function isSmallId(id: StreamId): boolean {
  return id.msHi < SAFE_HI && id.seqHi < SAFE_HI;
}

export function msNumber(id: StreamId): number {
  return id.msHi * TWO_32 + id.msLo;
}

/**
 * The ID as Redis keys its radix trees: 16 bytes, ms then seq, big-endian, as a latin1 string,
 * so that string order is ID order (PEL keys, RDB node keys).
 */
export function idKey(id: StreamId): string {
  const { msHi, msLo, seqHi, seqLo } = id;
  return String.fromCharCode(
    msHi >>> 24, (msHi >>> 16) & 255, (msHi >>> 8) & 255, msHi & 255,
    msLo >>> 24, (msLo >>> 16) & 255, (msLo >>> 8) & 255, msLo & 255,
    seqHi >>> 24, (seqHi >>> 16) & 255, (seqHi >>> 8) & 255, seqHi & 255,
    seqLo >>> 24, (seqLo >>> 16) & 255, (seqLo >>> 8) & 255, seqLo & 255,
  );
}

function word(s: string, at: number): number {
  return ((s.charCodeAt(at) << 24) | (s.charCodeAt(at + 1) << 16) | (s.charCodeAt(at + 2) << 8) | s.charCodeAt(at + 3)) >>> 0;
}

/** The ID of an idKey. */
export function idFromKey(key: string): StreamId {
  return { msHi: word(key, 0), msLo: word(key, 4), seqHi: word(key, 8), seqLo: word(key, 12) };
}

/** The ID in 16 big-endian bytes at buf[at] (RDB node keys and PEL entries). */
export function readIdBytes(buf: Uint8Array, at: number): StreamId {
  const w = (p: number): number => ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
  return { msHi: w(at), msLo: w(at + 4), seqHi: w(at + 8), seqLo: w(at + 12) };
}

export function writeIdBytes(buf: Uint8Array, at: number, id: StreamId): void {
  putU32BE(buf, at, id.msHi);
  putU32BE(buf, at + 4, id.msLo);
  putU32BE(buf, at + 8, id.seqHi);
  putU32BE(buf, at + 12, id.seqLo);
}

/** A module-level function, not a closure per call: a SAVE writes one ID per stream node. */
function putU32BE(buf: Uint8Array, p: number, v: number): void {
  buf[p] = v >>> 24;
  buf[p + 1] = (v >>> 16) & 255;
  buf[p + 2] = (v >>> 8) & 255;
  buf[p + 3] = v & 255;
}

// ---- parsing (streamGenericParseIDOrReply) ----

function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * Redis's string2ull as a pair of 32-bit parts, or null: first string2ll (canonical decimal of
 * a non-negative 64-bit integer), else strtoull over the whole text, which also takes leading
 * white space, a sign (a '-' wraps around modulo 2^64) and leading zeros.
 */
export function parseU64(s: string): [number, number] | null {
  const n = s.length;
  if (n === 0) return null;
  // Fast path: up to 15 plain digits without a leading zero (or "0") is canonical and exact.
  if (n <= 15) {
    let v = 0;
    let i = 0;
    for (; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === n && (n === 1 || s.charCodeAt(0) !== 48)) {
      const hi = Math.floor(v / TWO_32);
      return [hi, v - hi * TWO_32];
    }
  }
  // string2ll: a canonical negative integer within 64 bits is refused outright.
  if (/^-[1-9][0-9]*$/.test(s) && n <= 20 && BigInt(s) >= -9223372036854775808n) return null;
  // strtoull.
  let i = 0;
  while (i < n && isCSpace(s.charCodeAt(i))) i++;
  let negative = false;
  const sign = s.charCodeAt(i);
  if (sign === 43 || sign === 45) {
    negative = sign === 45;
    i++;
  }
  const start = i;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    i++;
  }
  if (i === start) return null;
  let value = BigInt(s.slice(start));
  if (value > U64_MASK) return null;
  if (negative) value = (-value) & U64_MASK;
  return [Number(value >> 32n), Number(value & 0xffffffffn)];
}

/** What parseStreamId found: the ID, and false for `seqGiven` when the text was `<ms>-*`. */
export interface ParsedId {
  id: StreamId;
  seqGiven: boolean;
}

/**
 * Redis's streamGenericParseIDOrReply: `<ms>-<seq>` or `<ms>` (seq from `missingSeqMax`: 0 or
 * the largest), `-` and `+` unless `strict`, `<ms>-*` when `allowSeqStar`. Null when invalid
 * ("Invalid stream ID specified as stream command argument"). Like Redis the text is read as a
 * C string: a NUL ends it.
 */
export function parseStreamId(text: string, missingSeqMax: boolean, strict: boolean, allowSeqStar: boolean): ParsedId | null {
  if (text.length > 127) return null;
  const nul = text.indexOf('\0');
  const s = nul === -1 ? text : text.slice(0, nul);
  if (s === '-' || s === '+') {
    if (strict) return null;
    return { id: s === '-' ? MIN_ID : MAX_ID, seqGiven: true };
  }
  const dash = s.indexOf('-');
  const ms = parseU64(dash === -1 ? s : s.slice(0, dash));
  if (ms === null) return null;
  if (dash === -1) {
    const seq = missingSeqMax ? 0xffffffff : 0;
    return { id: { msHi: ms[0], msLo: ms[1], seqHi: seq, seqLo: seq }, seqGiven: true };
  }
  const rest = s.slice(dash + 1);
  if (allowSeqStar && rest === '*') return { id: { msHi: ms[0], msLo: ms[1], seqHi: 0, seqLo: 0 }, seqGiven: false };
  const seq = parseU64(rest);
  if (seq === null) return null;
  return { id: { msHi: ms[0], msLo: ms[1], seqHi: seq[0], seqLo: seq[1] }, seqGiven: true };
}

/**
 * An unsigned 64-bit delta added to (or subtracted from) one half of an ID, modulo 2^64, as
 * the listpack delta encoding does. `delta` is a number within ±2^53 or a bigint.
 */
export function addToU64(hi: number, lo: number, delta: number | bigint): [number, number] {
  if (typeof delta === 'number' && hi < SAFE_HI) {
    const v = hi * TWO_32 + lo + delta;
    if (v >= 0 && v < 9007199254740992) {
      const h = Math.floor(v / TWO_32);
      return [h, v - h * TWO_32];
    }
  }
  const v = (((BigInt(hi) << 32n) | BigInt(lo)) + BigInt(delta)) & U64_MASK;
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/**
 * a - b of two unsigned 64-bit values as a signed 64-bit integer (the delta a listpack stores):
 * a number when within ±2^53, else a bigint.
 */
export function subU64(aHi: number, aLo: number, bHi: number, bLo: number): number | bigint {
  if (aHi < SAFE_HI && bHi < SAFE_HI) return aHi * TWO_32 + aLo - (bHi * TWO_32 + bLo);
  const a = (BigInt(aHi) << 32n) | BigInt(aLo);
  const b = (BigInt(bHi) << 32n) | BigInt(bLo);
  const d = BigInt.asIntN(64, a - b);
  return d >= -9007199254740991n && d <= 9007199254740991n ? Number(d) : d;
}
