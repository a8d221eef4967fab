/**
 * The commands that rebuild one key in an AOF base (Redis's rewriteAppendOnlyFileRio): SET;
 * RPUSH, SADD, ZADD, HMSET with at most 64 elements each; then PEXPIREAT for a TTL.
 *
 * They are written as RESP straight into a ByteSink, as Redis writes commands to its AOF: no
 * argument arrays and no intermediate strings, which for a million elements would be garbage
 * enough to make the young generation's collections long.
 *
 * A large key is written in pieces (keyPieces): a few commands, or a stretch of a long string,
 * per piece. Its value must not change until the last piece is written.
 */
import { HashValue } from '../../types/hash.js';
import { List } from '../../types/list.js';
import { SetValue } from '../../types/set.js';
import { Stream } from '../../types/stream/index.js';
import { isStringValue, type Value } from '../../types/value.js';
import { largeStringBytes, MAX_TEXT_LENGTH, type StringValue } from '../../types/mutable-string.js';
import { ZSet } from '../../types/zset.js';
import { formatDouble17g, writeDecimal } from '../../util/format.js';
import { ByteSink } from '../rdb/sink.js';
import { streamCommandPieces } from './stream-commands.js';

/** Elements per RPUSH/SADD/ZADD/HMSET of a rewritten collection (AOF_REWRITE_ITEMS_PER_CMD). */
export const ITEMS_PER_COMMAND = 64;
/** Commands of a large collection per piece (512 elements). */
const COMMANDS_PER_PIECE = 8;
/** For a sorted set, 128 elements: formatting a score as %.17g takes a few microseconds. */
const ZADD_COMMANDS_PER_PIECE = 2;
/** A string value longer than this is written in pieces of this size. */
export const STRING_PIECE = 64 * 1024;

const CR = 13;
const LF = 10;

/** A non-negative integer in decimal. */
function decimal(out: ByteSink, n: number): void {
  out.ensure(20);
  out.pos = writeDecimal(out.buf, out.pos, n);
}

function crlf(out: ByteSink): void {
  out.ensure(2);
  out.buf[out.pos++] = CR;
  out.buf[out.pos++] = LF;
}

/** `*n\r\n`: a command of n arguments follows. */
function arrayHeader(out: ByteSink, n: number): void {
  out.byte(42);
  decimal(out, n);
  crlf(out);
}

/** `$len\r\n` (the bytes of the argument and `\r\n` follow). */
function bulkHeader(out: ByteSink, length: number): void {
  out.byte(36);
  decimal(out, length);
  crlf(out);
}

/** One argument of a command. */
export function bulk(out: ByteSink, s: string): void {
  bulkHeader(out, s.length);
  out.latin1(s);
  crlf(out);
}

/** A whole command. */
export function command(out: ByteSink, ...argv: string[]): void {
  commandOf(out, argv);
}

/** Below this length an argument is copied char by char: cheaper than a call into C++. */
const SHORT_ARGUMENT = 24;

/** The decimal digits of 0 <= n < 2^31 at `p` (integer division); the position after them. */
function int32Decimal(buf: Buffer, p: number, n: number): number {
  const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  const end = p + digits;
  let at = end;
  for (let v = n | 0; at > p; v = (v / 10) | 0) buf[--at] = 48 + (v % 10);
  return end;
}

/** int32Decimal, with the one- and two-digit numbers of argument counts and lengths inline. */
function smallDecimal(buf: Buffer, p: number, n: number): number {
  if (n < 10) {
    buf[p] = 48 + n;
    return p + 1;
  }
  if (n < 100) {
    const tens = (n / 10) | 0;
    buf[p] = 48 + tens;
    buf[p + 1] = 48 + n - tens * 10;
    return p + 2;
  }
  return int32Decimal(buf, p, n);
}

/**
 * A whole command, from its argument array: what the AOF appends for each propagated command,
 * so written with one check for room and no call per byte. Positions are computed rather than
 * incremented per byte: about a fifth faster for a SET (measured, 57 ns against 74).
 */
export function commandOf(out: ByteSink, argv: readonly string[]): void {
  const n = argv.length;
  // '*' or '$', up to 10 digits and CRLF before each part, CRLF after each argument.
  let room = 13;
  for (let i = 0; i < n; i++) room += (argv[i] as string).length + 15;
  out.ensure(room);
  const buf = out.buf;
  let p = out.pos;
  buf[p] = 42;
  p = smallDecimal(buf, p + 1, n);
  buf[p] = CR;
  buf[p + 1] = LF;
  p += 2;
  for (let i = 0; i < n; i++) {
    const arg = argv[i] as string;
    const length = arg.length;
    buf[p] = 36;
    p = smallDecimal(buf, p + 1, length);
    buf[p] = CR;
    buf[p + 1] = LF;
    p += 2;
    if (length < SHORT_ARGUMENT) {
      for (let j = 0; j < length; j++) buf[p + j] = arg.charCodeAt(j);
      p += length;
    } else {
      p += buf.latin1Write(arg, p, length);
    }
    buf[p] = CR;
    buf[p + 1] = LF;
    p += 2;
  }
  out.pos = p;
}

/** Whether a key is worth writing in pieces rather than at once. */
export function isLarge(value: Value): boolean {
  return isStringValue(value) ? value.length > STRING_PIECE : value.size > ITEMS_PER_COMMAND * COMMANDS_PER_PIECE;
}

/** The commands that rebuild one key (its value, then its TTL if it has one), at once. */
export function writeKey(out: ByteSink, key: string, value: Value, expireAt: number | undefined): void {
  if (typeof value === 'string' && value.length <= STRING_PIECE) {
    command(out, 'SET', key, value);
    if (expireAt !== undefined) command(out, 'PEXPIREAT', key, String(expireAt));
    return;
  }
  const pieces = keyPieces(out, key, value, expireAt);
  while (pieces.next().done !== true) {
    // every piece at once
  }
}

/** writeKey in pieces: each next() writes up to COMMANDS_PER_PIECE commands, or STRING_PIECE bytes of a string. */
export function* keyPieces(out: ByteSink, key: string, value: Value, expireAt: number | undefined): Generator<void, void, void> {
  // A string changed in place is written from a copy: the value may change between pieces.
  if (typeof value !== 'string' && value.type === 'string') {
    const large = largeStringBytes(value as StringValue);
    if (large === null) return yield* keyPieces(out, key, value.toString(), expireAt);
    yield* bytesPieces(out, key, Buffer.from(large));
  } else if (typeof value === 'string') {
    const n = value.length;
    arrayHeader(out, 3);
    bulk(out, 'SET');
    bulk(out, key);
    bulkHeader(out, n);
    for (let at = 0; at < n; at += STRING_PIECE) {
      out.latin1(value.slice(at, at + STRING_PIECE));
      if (at + STRING_PIECE < n) yield;
    }
    crlf(out);
  } else if (value instanceof List) {
    yield* indexedPieces(out, key, 'RPUSH', value.size, 1, (i) => bulk(out, value.get(i)));
  } else if (value instanceof SetValue) {
    yield* iteratedPieces(out, key, 'SADD', value.size, 1, value.members(), (member) => bulk(out, member));
  } else if (value instanceof HashValue) {
    yield* iteratedPieces(out, key, 'HMSET', value.size, 2, value.pairs(), ([field, fieldValue]) => {
      bulk(out, field);
      bulk(out, fieldValue);
    });
  } else if (value instanceof ZSet) {
    // The member map's order, as Redis walks a skiplist-encoded set's dict; a packed set's
    // order (taken at once: the pieces are written between other commands).
    let left = value.size;
    let inCommand = 0;
    let commands = 0;
    const members: Iterable<[string, { score: number }]> = value.compact ? packedMembers(value) : value.dict;
    for (const [member, node] of members) {
      if (inCommand === 0) {
        const items = Math.min(left, ITEMS_PER_COMMAND);
        arrayHeader(out, 2 + items * 2);
        bulk(out, 'ZADD');
        bulk(out, key);
        inCommand = items;
      }
      bulk(out, formatDouble17g(node.score));
      bulk(out, member);
      left--;
      if (--inCommand === 0 && ++commands === ZADD_COMMANDS_PER_PIECE && left > 0) {
        commands = 0;
        yield;
      }
    }
  } else if (value instanceof Stream) {
    yield* streamCommandPieces(out, key, value);
  } else {
    throw new Error(`cannot rewrite a value of type ${value.type}`);
  }
  if (expireAt !== undefined) command(out, 'PEXPIREAT', key, String(expireAt));
}

/**
 * SET of a string's bytes; one longer than a JS string can be (which no loader could read as one
 * argument) as SET of its first MAX_TEXT_LENGTH bytes then APPENDs of the rest, as long each.
 */
function* bytesPieces(out: ByteSink, key: string, bytes: Buffer): Generator<void, void, void> {
  const n = bytes.length;
  for (let start = 0; start < n; start += MAX_TEXT_LENGTH) {
    const end = Math.min(n, start + MAX_TEXT_LENGTH);
    arrayHeader(out, 3);
    bulk(out, start === 0 ? 'SET' : 'APPEND');
    bulk(out, key);
    bulkHeader(out, end - start);
    for (let at = start; at < end; at += STRING_PIECE) {
      out.bytes(bytes, at, Math.min(end, at + STRING_PIECE));
      if (at + STRING_PIECE < n) yield;
    }
    crlf(out);
  }
}

/** `name key item…` for elements 0..n-1 of an indexed collection, 64 elements (of argsPerItem arguments) a command. */
function* indexedPieces(
  out: ByteSink,
  key: string,
  name: string,
  n: number,
  argsPerItem: number,
  writeItem: (i: number) => void,
): Generator<void, void, void> {
  let commands = 0;
  for (let i = 0; i < n; i += ITEMS_PER_COMMAND) {
    const end = Math.min(n, i + ITEMS_PER_COMMAND);
    arrayHeader(out, 2 + (end - i) * argsPerItem);
    bulk(out, name);
    bulk(out, key);
    for (let j = i; j < end; j++) writeItem(j);
    if (++commands === COMMANDS_PER_PIECE && end < n) {
      commands = 0;
      yield;
    }
  }
}

/** `name key item…` for the n items of `items`, 64 a command, as indexedPieces. */
function* iteratedPieces<T>(
  out: ByteSink,
  key: string,
  name: string,
  n: number,
  argsPerItem: number,
  items: Iterable<T>,
  writeItem: (item: T) => void,
): Generator<void, void, void> {
  let left = n;
  let inCommand = 0;
  let commands = 0;
  for (const item of items) {
    if (inCommand === 0) {
      inCommand = Math.min(left, ITEMS_PER_COMMAND);
      arrayHeader(out, 2 + inCommand * argsPerItem);
      bulk(out, name);
      bulk(out, key);
    }
    writeItem(item);
    left--;
    if (--inCommand === 0 && ++commands === COMMANDS_PER_PIECE && left > 0) {
      commands = 0;
      yield;
    }
  }
}

/** The members of a packed sorted set and their scores, in order. */
function packedMembers(zset: ZSet): Array<[string, { score: number }]> {
  const members: Array<[string, { score: number }]> = [];
  zset.forEachMember((member, score) => members.push([member, { score }]));
  return members;
}
