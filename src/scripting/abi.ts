import type { ReplyWriter } from '../protocol/reply.js';

/**
 * The value format lua-redis-wasm's C side reads and writes (its wasm/include/abi.h): a type
 * byte, a little-endian u32 (a length, or a count of nested values), then the payload. Replies
 * of redis.call go to the VM in it; the value a script returns comes back in it.
 */
export const ABI_NULL = 0x00;
export const ABI_INT = 0x01;
export const ABI_BULK = 0x02;
export const ABI_ARRAY = 0x03;
export const ABI_STATUS = 0x04;
export const ABI_ERROR = 0x05;
/** An error that stopped the script: u32 line (0: it did not compile), then the message. */
export const ABI_SCRIPT_ERROR = 0x06;
export const ABI_BOOL = 0x07;
export const ABI_DOUBLE = 0x08;
export const ABI_MAP = 0x09;
export const ABI_SET = 0x0a;
export const ABI_BIG_NUMBER = 0x0b;
export const ABI_VERBATIM = 0x0c;

/**
 * What a RESP3 null becomes for a script that asked for marked nulls (see respToAbi): a big
 * number no command replies with, which the script's redis.call wrapper turns into nil.
 */
export const NULL_MARKER = '\u0000nodis-null';

const CR = 13;
const TWO_POW_32 = 4294967296;

/** A growable byte buffer, reused from one reply to the next. */
export class AbiWriter {
  buf: Buffer = Buffer.allocUnsafe(4096);
  len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  header(type: number, n: number): void {
    this.ensure(5);
    const buf = this.buf;
    const p = this.len;
    buf[p] = type;
    buf.writeUInt32LE(n, p + 1);
    this.len = p + 5;
  }

  /** A value whose payload is src[start, end) (bulk, status, error, big number). */
  bytes(type: number, src: Buffer, start: number, end: number): void {
    this.header(type, end - start);
    this.append(src, start, end);
  }

  append(src: Buffer, start: number, end: number): void {
    const n = end - start;
    this.ensure(n);
    // A few bytes are copied faster by hand than through Buffer#copy's checks.
    if (n <= 32) {
      const buf = this.buf;
      let p = this.len;
      for (let i = start; i < end; i++) buf[p++] = src[i] as number;
    } else {
      src.copy(this.buf, this.len, start, end);
    }
    this.len += n;
  }

  u32(n: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(n, this.len);
    this.len += 4;
  }

  text(type: number, text: string): void {
    this.header(type, text.length);
    this.ensure(text.length);
    this.len += this.buf.latin1Write(text, this.len);
  }

  integer(n: number): void {
    this.header(ABI_INT, 8);
    const buf = this.buf;
    // Two's complement over two words: floor keeps the high word right for negative numbers.
    const hi = Math.floor(n / TWO_POW_32);
    buf.writeUInt32LE(n - hi * TWO_POW_32, this.len);
    buf.writeInt32LE(hi, this.len + 4);
    this.len += 8;
  }

  bigInteger(n: bigint): void {
    this.header(ABI_INT, 8);
    this.buf.writeBigInt64LE(BigInt.asIntN(64, n), this.len);
    this.len += 8;
  }

  double(d: number): void {
    this.header(ABI_DOUBLE, 8);
    this.buf.writeDoubleLE(d, this.len);
    this.len += 8;
  }

  bool(value: boolean): void {
    this.header(ABI_BOOL, 1);
    this.ensure(1);
    this.buf[this.len++] = value ? 1 : 0;
  }
}

/** Position of the CR ending the line that starts at `pos`. */
function lineEnd(src: Buffer, pos: number): number {
  const end = src.indexOf(CR, pos);
  if (end < 0) throw new Error('truncated reply');
  return end;
}

/** The integer written in src[start, end) (a RESP length or count, which may be -1). */
function smallInt(src: Buffer, start: number, end: number): number {
  let i = start;
  const negative = src[i] === 45; // '-'
  if (negative) i++;
  let n = 0;
  for (; i < end; i++) n = n * 10 + ((src[i] as number) - 48);
  return negative ? -n : n;
}

/** RESP3's double: what strtod reads, with inf and nan spelled as Redis spells them. */
function respDouble(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan' || lower === '-nan') return NaN;
  return Number(text);
}

/**
 * Transcodes the RESP reply at src[pos] (RESP2 or RESP3, as the server wrote it) into `out`,
 * as Redis's redisProtocolToLuaType reads it; returns the position after it. Attributes are
 * skipped. With `markNulls`, a RESP3 null becomes NULL_MARKER instead of a null, which the VM
 * would make false where Redis makes it nil.
 */
export function respToAbi(src: Buffer, pos: number, out: AbiWriter, markNulls: boolean): number {
  const type = src[pos] as number;
  const start = pos + 1;
  const end = lineEnd(src, start);
  const next = end + 2;
  switch (type) {
    case 43: // '+'
      out.bytes(ABI_STATUS, src, start, end);
      return next;
    case 45: // '-'
      out.bytes(ABI_ERROR, src, start, end);
      return next;
    case 58: {
      // ':' An int64 beyond 2^53 goes through BigInt to keep every digit.
      if (end - start <= 15) out.integer(smallInt(src, start, end));
      else out.bigInteger(BigInt(src.latin1Slice(start, end)));
      return next;
    }
    case 36: {
      // '$'
      const len = smallInt(src, start, end);
      if (len < 0) {
        out.header(ABI_NULL, 0);
        return next;
      }
      out.bytes(ABI_BULK, src, next, next + len);
      return next + len + 2;
    }
    case 42: // '*'
    case 126: // '~'
    case 62: {
      // '>' (a push is an array to a script)
      const count = smallInt(src, start, end);
      if (count < 0) {
        out.header(ABI_NULL, 0);
        return next;
      }
      out.header(type === 126 ? ABI_SET : ABI_ARRAY, count);
      let p = next;
      for (let i = 0; i < count; i++) p = respToAbi(src, p, out, markNulls);
      return p;
    }
    case 37: {
      // '%'
      const count = smallInt(src, start, end);
      out.header(ABI_MAP, count);
      let p = next;
      for (let i = 0; i < 2 * count; i++) p = respToAbi(src, p, out, markNulls);
      return p;
    }
    case 95: // '_'
      if (markNulls) out.text(ABI_BIG_NUMBER, NULL_MARKER);
      else out.header(ABI_NULL, 0);
      return next;
    case 35: // '#'
      out.bool(src[start] === 116); // 't'
      return next;
    case 44: // ','
      out.double(respDouble(src.latin1Slice(start, end)));
      return next;
    case 40: // '('
      out.bytes(ABI_BIG_NUMBER, src, start, end);
      return next;
    case 61: {
      // '=' fmt:text; Redis gives the script the 3-letter format and the text apart.
      const len = smallInt(src, start, end);
      out.header(ABI_VERBATIM, len + 3);
      out.u32(3);
      out.append(src, next, next + 3);
      out.append(src, next + 4, next + len);
      return next + len + 2;
    }
    case 124: {
      // '|' attributes: Redis does not show them to scripts; the value after them is the reply.
      const count = smallInt(src, start, end);
      const skipped = new AbiWriter();
      let p = next;
      for (let i = 0; i < 2 * count; i++) p = respToAbi(src, p, skipped, false);
      return respToAbi(src, p, out, markNulls);
    }
    default:
      throw new Error(`unexpected reply type ${String.fromCharCode(type)}`);
  }
}

/** How a script's returned value is written as the client's reply. */
export interface ReturnedValueOptions {
  /** The protocol the script selected (redis.setresp): booleans follow it (Redis's script client resp). */
  scriptResp: 2 | 3;
  /** An error table in the value: counted in the error statistics, unless it came from a command. */
  onError(message: string): void;
}

const INT64_MAX_HIGH = 0x7fffffff;

/** A status or error text as Redis copies it from Lua: a C string (cut at a 0 byte), CR and LF as spaces. */
function cString(heap: Buffer, start: number, end: number): string {
  const nul = heap.indexOf(0, start);
  const text = heap.latin1Slice(start, nul >= 0 && nul < end ? nul : end);
  return text.replace(/[\r\n]/g, ' ');
}

/**
 * Writes the value the script returned (at heap[pos], encoded while redis.setresp(3) was in
 * force, so that booleans and the double/map/set/big_number/verbatim_string tables come back
 * as themselves) to `reply`, as Redis's luaReplyToRedisReply converts it for the client's
 * protocol. Returns the position after it.
 */
export function writeReturnedValue(heap: Buffer, pos: number, reply: ReplyWriter, options: ReturnedValueOptions): number {
  const type = heap[pos] as number;
  const n = heap.readUInt32LE(pos + 1);
  let p = pos + 5;
  switch (type) {
    case ABI_NULL:
      reply.nullBulk();
      return p;
    case ABI_INT: {
      const lo = heap.readUInt32LE(p);
      const hi = heap.readInt32LE(p + 4);
      // (long long) of a double out of range is INT64_MIN on x86, as Redis replies; the VM saturates.
      if (hi === INT64_MAX_HIGH && lo === 0xffffffff) reply.integer(-(2n ** 63n));
      else if (hi >= -0x200000 && hi < 0x200000) reply.integer(hi * TWO_POW_32 + lo);
      else reply.integer(heap.readBigInt64LE(p));
      return p + 8;
    }
    case ABI_BULK:
      reply.bulkBuffer(heap.subarray(p, p + n));
      return p + n;
    case ABI_STATUS:
      reply.simple(cString(heap, p, p + n));
      return p + n;
    case ABI_ERROR: {
      // Redis's addReplyErrorFormatEx("-%s"): trailing CR/LF trimmed, the others made spaces.
      let end = p + n;
      const nul = heap.indexOf(0, p);
      if (nul >= 0 && nul < end) end = nul;
      while (end > p && (heap[end - 1] === 13 || heap[end - 1] === 10)) end--;
      const message = heap.latin1Slice(p, end).replace(/[\r\n]/g, ' ');
      options.onError(message);
      reply.raw('-' + message + '\r\n');
      return p + n;
    }
    case ABI_ARRAY:
      reply.arrayHeader(n);
      for (let i = 0; i < n; i++) p = writeReturnedValue(heap, p, reply, options);
      return p;
    case ABI_BOOL: {
      const value = heap[p] !== 0;
      // A RESP2 script's true is 1 and false a null; a RESP3 script's are booleans (Redis 7.0).
      if (options.scriptResp === 3) reply.bool(value);
      else if (value) reply.integer(1);
      else reply.nullBulk();
      return p + 1;
    }
    case ABI_DOUBLE:
      reply.double(heap.readDoubleLE(p));
      return p + 8;
    case ABI_BIG_NUMBER:
      reply.bigNumber(heap.latin1Slice(p, p + n).replace(/[\r\n]/g, ' '));
      return p + n;
    case ABI_VERBATIM: {
      const formatLength = heap.readUInt32LE(p);
      const format = heap.latin1Slice(p + 4, p + 4 + formatLength);
      // Redis writes exactly three format characters: cut, or padded with spaces.
      const three = (format.split('\u0000')[0] as string).slice(0, 3).padEnd(3, ' ');
      reply.verbatim(heap.latin1Slice(p + 4 + formatLength, p + n), three);
      return p + n;
    }
    case ABI_MAP:
      reply.mapHeader(n);
      for (let i = 0; i < 2 * n; i++) p = writeReturnedValue(heap, p, reply, options);
      return p;
    case ABI_SET:
      reply.setHeader(n);
      for (let i = 0; i < n; i++) p = writeReturnedValue(heap, p, reply, options);
      return p;
    default:
      throw new Error(`unexpected value type ${type} returned by the Lua VM`);
  }
}
