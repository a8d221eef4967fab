/**
 * Bitmaps and bit fields on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
 * BITFIELD_RO, as Redis 7.0's bitops.c answers them. Writes change the key's MutableString in
 * place (keyspace/string-values.ts), so SETBIT on a large bitmap costs O(1).
 */
import { RedisError, WRONGTYPE, ERR_SYNTAX } from '../../errors.js';
import { getLongLong, parseLongLong, parseLongLongBig } from '../../util/parse.js';
import { MAX_VALUE_BYTES, MutableString, stringValueByte, stringValueBytes, type StringValue } from '../../types/mutable-string.js';
import type { Value } from '../../types/value.js';
import { writableString } from '../../keyspace/string-values.js';
import {
  bitpos, bitposLatin1, bytePopcount, getSignedField, getUnsignedField, popcount, popcountLatin1, setField, signedFieldAdd, unsignedFieldAdd,
  OVERFLOW_FAIL, OVERFLOW_SAT, OVERFLOW_WRAP, type FieldResult, type OverflowMode,
} from '../../types/bits.js';
import type { CommandCode, CommandContext } from '../core/context.js';

const ERR_BIT_OFFSET = 'ERR bit offset is not an integer or out of range';
const ERR_BIT_VALUE = 'ERR bit is not an integer or out of range';
const ERR_BITFIELD_TYPE = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';

/** A string value (or none); WRONGTYPE for any other type. */
function asString(value: Value | undefined): StringValue | undefined {
  if (value === undefined || typeof value === 'string' || value.type === 'string') return value as StringValue | undefined;
  throw new RedisError(WRONGTYPE);
}

/**
 * Redis's getBitOffsetFromArgument: a bit offset, or with `bits` > 0 and a leading '#' a field
 * index times `bits`. Bounded by proto-max-bulk-len (in bytes), except for the AOF loader and
 * replication stream (Redis's mustObeyClient).
 */
function bitOffset(ctx: CommandContext, arg: string, bits: number): number {
  const hash = bits > 0 && arg.charCodeAt(0) === 35;
  const text = hash ? arg.slice(1) : arg;
  let offset = parseLongLong(text);
  if (offset === null) throw new RedisError(ERR_BIT_OFFSET);
  if (hash) {
    // C multiplies in 64 bits: a huge index wraps (and is then refused as negative or too far).
    offset = Number.isSafeInteger(offset * bits) ? offset * bits : Number(BigInt.asIntN(64, (parseLongLongBig(text) as bigint) * BigInt(bits)));
  }
  if (offset < 0) throw new RedisError(ERR_BIT_OFFSET);
  const byte = Math.floor(offset / 8);
  if ((ctx.caller !== 'loader' && byte >= ctx.server.config.getNumber('proto-max-bulk-len')) || byte >= MAX_VALUE_BYTES) throw new RedisError(ERR_BIT_OFFSET);
  return offset;
}

function setbit(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const offset = bitOffset(ctx, argv[2] as string, 0);
  const on = getLongLong(argv[3] as string, ERR_BIT_VALUE);
  if (on !== 0 && on !== 1) throw new RedisError(ERR_BIT_VALUE);
  const db = ctx.db;
  const current = asString(db.lookupWrite(key));
  const byteIndex = Math.floor(offset / 8);
  const oldLength = current === undefined ? -1 : current.length;
  const value = writableString(db, key, current, byteIndex + 1);
  const shift = 7 - (offset % 8);
  const byte = value.byteAt(byteIndex);
  const old = (byte >> shift) & 1;
  // Created, grown, or the bit changes: only then is it a change (signalled, counted, propagated).
  if (oldLength !== value.length || old !== on) {
    const buf = value.beginWrite();
    buf[byteIndex] = (byte & ~(1 << shift)) | (on << shift);
    value.endWrite();
    db.signalModifiedKey(key);
    db.notify('$', 'setbit', key);
    ctx.server.dirty++;
  }
  ctx.reply.integer(old);
}

function getbit(ctx: CommandContext, argv: string[]): void {
  const offset = bitOffset(ctx, argv[2] as string, 0);
  const value = asString(ctx.db.lookupRead(argv[1] as string));
  if (value === undefined) return ctx.reply.integer(0);
  const byte = stringValueByte(value, Math.floor(offset / 8));
  ctx.reply.integer((byte >> (7 - (offset % 8))) & 1);
}

/** Reads a BYTE|BIT unit argument: true for BIT. */
function isBitUnit(arg: string): boolean {
  const unit = arg.toLowerCase();
  if (unit === 'bit') return true;
  if (unit === 'byte') return false;
  throw new RedisError(ERR_SYNTAX);
}

/**
 * A start..end range over a string of `length` bytes, as BITCOUNT and BITPOS resolve it:
 * negative indexes from the end, clamped; in bits for BIT, then as bytes with masks for the
 * bits of the first and last byte that fall outside.
 */
interface ByteRange {
  start: number;
  end: number;
  /** Bits of the first byte before the range (set in the mask). */
  firstMask: number;
  /** Bits of the last byte after the range. */
  lastMask: number;
}

function resolveRange(start: number, end: number, length: number, isBit: boolean, out: ByteRange): void {
  const total = isBit ? length * 8 : length;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  out.firstMask = 0;
  out.lastMask = 0;
  if (isBit && start <= end) {
    out.firstMask = ~((1 << (8 - (start % 8))) - 1) & 0xff;
    out.lastMask = (1 << (7 - (end % 8))) - 1;
    start = Math.floor(start / 8);
    end = Math.floor(end / 8);
  }
  out.start = start;
  out.end = end;
}

const range: ByteRange = { start: 0, end: 0, firstMask: 0, lastMask: 0 };

function bitcount(ctx: CommandContext, argv: string[]): void {
  const value = asString(ctx.db.lookupRead(argv[1] as string));
  if (value === undefined) return ctx.reply.integer(0);
  const argc = argv.length;
  const length = value.length;
  if (argc === 4 || argc === 5) {
    const start = getLongLong(argv[2] as string);
    const end = getLongLong(argv[3] as string);
    if (start < 0 && end < 0 && start > end) return ctx.reply.integer(0);
    const isBit = argc === 5 ? isBitUnit(argv[4] as string) : false;
    resolveRange(start, end, length, isBit, range);
  } else if (argc === 2) {
    wholeRange(length);
  } else {
    throw new RedisError(ERR_SYNTAX);
  }
  if (range.start > range.end) return ctx.reply.integer(0);
  // A value held as a string is counted from its chars: no copy of it as a Buffer.
  let count = typeof value === 'string' ? popcountLatin1(value, range.start, range.end + 1) : popcount(value.view(), range.start, range.end + 1);
  // Bits of the edge bytes outside the range were counted: taken off again.
  if (range.firstMask !== 0) count -= bytePopcount(stringValueByte(value, range.start) & range.firstMask);
  if (range.lastMask !== 0) count -= bytePopcount(stringValueByte(value, range.end) & range.lastMask);
  ctx.reply.integer(count);
}

/** The range covers every byte of a value `length` bytes long. */
function wholeRange(length: number): void {
  range.start = 0;
  range.end = length - 1;
  range.firstMask = 0;
  range.lastMask = 0;
}

function bitposCommand(ctx: CommandContext, argv: string[]): void {
  const bitArg = getLongLong(argv[2] as string);
  if (bitArg !== 0 && bitArg !== 1) throw new RedisError('ERR The bit argument must be 1 or 0.');
  const bit: 0 | 1 = bitArg;
  const value = asString(ctx.db.lookupRead(argv[1] as string));
  // A missing key is an endless run of zeros.
  if (value === undefined) return ctx.reply.integer(bit === 1 ? -1 : 0);
  const argc = argv.length;
  const length = value.length;
  let endGiven = false;
  if (argc >= 4 && argc <= 6) {
    const start = getLongLong(argv[3] as string);
    const isBit = argc === 6 ? isBitUnit(argv[5] as string) : false;
    let end: number;
    if (argc >= 5) {
      end = getLongLong(argv[4] as string);
      endGiven = true;
    } else {
      end = isBit ? length * 8 + 7 : length - 1;
    }
    resolveRange(start, end, length, isBit, range);
  } else if (argc === 3) {
    wholeRange(length);
  } else {
    throw new RedisError(ERR_SYNTAX);
  }
  if (range.start > range.end) return ctx.reply.integer(-1);
  let start = range.start;
  const end = range.end;
  let count = end - start + 1;
  const { firstMask, lastMask } = range;
  const edge = new Uint8Array(1);
  let pos = -1;
  // The edge bytes are searched with their outside bits forced to the value not sought.
  const masked = (byte: number, mask: number): number => (bit === 1 ? byte & ~mask : byte | mask) & 0xff;
  found: {
    if (firstMask !== 0) {
      let byte = masked(stringValueByte(value, start), firstMask);
      if (lastMask !== 0 && count === 1) byte = masked(byte, lastMask);
      edge[0] = byte;
      pos = bitpos(edge, 0, 1, bit);
      if (count === 1 || (pos !== -1 && pos !== 8)) break found;
      start++;
      count--;
    }
    const middle = count - (lastMask !== 0 ? 1 : 0);
    if (middle > 0) {
      // A value held as a string is searched from its chars: no copy of it as a Buffer.
      pos = typeof value === 'string' ? bitposLatin1(value, start, start + middle, bit) : bitpos(value.view(), start, start + middle, bit);
      if (count === middle || (pos !== -1 && pos !== middle * 8)) break found;
      start += middle;
      count -= middle;
    }
    edge[0] = masked(stringValueByte(value, end), lastMask);
    pos = bitpos(edge, 0, 1, bit);
  }
  // With an explicit end, the bits past it are not zero padding: no clear bit in the range.
  if (endGiven && bit === 0 && pos === count * 8) return ctx.reply.integer(-1);
  if (pos !== -1) pos += start * 8;
  ctx.reply.integer(pos);
}

const BITOP_AND = 0;
const BITOP_OR = 1;
const BITOP_XOR = 2;
const BITOP_NOT = 3;

function bitop(ctx: CommandContext, argv: string[]): void {
  const name = (argv[1] as string).toLowerCase();
  const op = name === 'and' ? BITOP_AND : name === 'or' ? BITOP_OR : name === 'xor' ? BITOP_XOR : name === 'not' ? BITOP_NOT : -1;
  if (op === -1) throw new RedisError(ERR_SYNTAX);
  if (op === BITOP_NOT && argv.length !== 4) throw new RedisError('ERR BITOP NOT must be called with a single source key.');
  const db = ctx.db;
  const target = argv[2] as string;
  const sources: (Buffer | null)[] = [];
  let maxLength = 0;
  for (let j = 3; j < argv.length; j++) {
    const value = asString(db.lookupRead(argv[j] as string));
    if (value === undefined) {
      sources.push(null);
      continue;
    }
    const bytes = stringValueBytes(value);
    sources.push(bytes);
    if (bytes.length > maxLength) maxLength = bytes.length;
  }
  if (maxLength === 0) {
    if (db.delete(target)) {
      db.notify('g', 'del', target);
      ctx.server.dirty++;
    }
    return ctx.reply.integer(0);
  }
  const result = Buffer.alloc(maxLength);
  const first = sources[0] as Buffer | null;
  if (first !== null) first.copy(result, 0);
  if (op === BITOP_NOT) {
    for (let i = 0; i < maxLength; i++) result[i] = ~(result[i] as number) & 0xff;
  } else {
    for (let s = 1; s < sources.length; s++) {
      const src = sources[s] as Buffer | null;
      const n = src === null ? 0 : src.length;
      if (op === BITOP_AND) {
        for (let i = 0; i < n; i++) result[i] = (result[i] as number) & ((src as Buffer)[i] as number);
        // A shorter source is zero-padded: AND clears the rest.
        result.fill(0, n);
      } else if (op === BITOP_OR) {
        for (let i = 0; i < n; i++) result[i] = (result[i] as number) | ((src as Buffer)[i] as number);
      } else {
        for (let i = 0; i < n; i++) result[i] = (result[i] as number) ^ ((src as Buffer)[i] as number);
      }
    }
  }
  db.set(target, MutableString.fromBuffer(result, maxLength));
  db.notify('$', 'set', target);
  ctx.server.dirty++;
  ctx.reply.integer(maxLength);
}

const OP_GET = 0;
const OP_SET = 1;
const OP_INCRBY = 2;

interface FieldOp {
  opcode: number;
  offset: number;
  bits: number;
  signed: boolean;
  /** SET's value or INCRBY's increment (a signed 64-bit integer). */
  operand: bigint;
  overflow: OverflowMode;
}

/** Redis's getBitfieldTypeFromArgument: i1..i64 or u1..u63. */
function fieldType(arg: string): { signed: boolean; bits: number } {
  const sign = arg.charCodeAt(0);
  if (sign !== 105 && sign !== 117) throw new RedisError(ERR_BITFIELD_TYPE);
  const signed = sign === 105;
  // (Redis reads the digits up to a NUL byte, as C strings end.)
  const nul = arg.indexOf('\0');
  const bits = parseLongLong(arg.slice(1, nul === -1 ? arg.length : nul));
  if (bits === null || bits < 1 || (signed && bits > 64) || (!signed && bits > 63)) throw new RedisError(ERR_BITFIELD_TYPE);
  return { signed, bits };
}

function bitfieldGeneric(ctx: CommandContext, argv: string[], readonlyCommand: boolean): void {
  const ops: FieldOp[] = [];
  let overflow: OverflowMode = OVERFLOW_WRAP;
  let readonly = true;
  let highestWriteBit = 0;
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const sub = (argv[j] as string).toLowerCase();
    let opcode: number;
    if (sub === 'get' && remaining >= 2) opcode = OP_GET;
    else if (sub === 'set' && remaining >= 3) opcode = OP_SET;
    else if (sub === 'incrby' && remaining >= 3) opcode = OP_INCRBY;
    else if (sub === 'overflow' && remaining >= 1) {
      const mode = (argv[++j] as string).toLowerCase();
      if (mode === 'wrap') overflow = OVERFLOW_WRAP;
      else if (mode === 'sat') overflow = OVERFLOW_SAT;
      else if (mode === 'fail') overflow = OVERFLOW_FAIL;
      else throw new RedisError('ERR Invalid OVERFLOW type specified');
      continue;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
    const { signed, bits } = fieldType(argv[j + 1] as string);
    const offset = bitOffset(ctx, argv[j + 2] as string, bits);
    let operand = 0n;
    if (opcode !== OP_GET) {
      readonly = false;
      if (highestWriteBit < offset + bits - 1) highestWriteBit = offset + bits - 1;
      const parsed = parseLongLongBig(argv[j + 3] as string);
      if (parsed === null) throw new RedisError('ERR value is not an integer or out of range');
      operand = parsed;
    }
    ops.push({ opcode, offset, bits, signed, operand, overflow });
    j += opcode === OP_GET ? 2 : 3;
  }

  const db = ctx.db;
  const key = argv[1] as string;
  let value: StringValue | undefined;
  let created = false;
  if (readonly) {
    value = asString(db.lookupRead(key));
  } else {
    if (readonlyCommand) throw new RedisError('ERR BITFIELD_RO only supports the GET subcommand');
    const current = asString(db.lookupWrite(key));
    const oldLength = current === undefined ? -1 : current.length;
    value = writableString(db, key, current, Math.floor(highestWriteBit / 8) + 1);
    created = oldLength !== value.length;
  }

  const reply = ctx.reply;
  reply.arrayHeader(ops.length);
  // Writes go to the bytes beginWrite gives (the string was grown to hold them all), and reads
  // after them must see them: while writing, every read is from those bytes.
  const writing = readonly ? null : (value as MutableString).beginWrite();
  const length = value === undefined ? 0 : value.length;
  const byteAt = writing !== null
    ? (index: number): number => (index < length ? (writing[index] as number) : 0)
    : value === undefined ? (): number => 0 : (index: number): number => stringValueByte(value, index);
  const result: FieldResult = { overflow: false, value: 0n };
  let changes = 0;
  for (const op of ops) {
    if (op.opcode === OP_GET) {
      reply.integer(op.signed ? getSignedField(byteAt, op.offset, op.bits) : getUnsignedField(byteAt, op.offset, op.bits));
      continue;
    }
    const buf = writing as Buffer;
    let old: bigint;
    if (op.signed) {
      old = getSignedField(byteAt, op.offset, op.bits);
      if (op.opcode === OP_INCRBY) signedFieldAdd(old, op.operand, op.bits, op.overflow, result);
      else signedFieldAdd(op.operand, 0n, op.bits, op.overflow, result);
    } else {
      old = getUnsignedField(byteAt, op.offset, op.bits);
      // SET's value is taken as the unsigned 64-bit pattern of the signed argument.
      if (op.opcode === OP_INCRBY) unsignedFieldAdd(old, op.operand, op.bits, op.overflow, result);
      else unsignedFieldAdd(BigInt.asUintN(64, op.operand), 0n, op.bits, op.overflow, result);
    }
    const replied = op.opcode === OP_INCRBY ? result.value : old;
    if (result.overflow && op.overflow === OVERFLOW_FAIL) {
      reply.nullBulk();
      continue;
    }
    reply.integer(replied);
    setField(buf, op.offset, op.bits, result.value);
    if (created || old !== result.value) changes++;
  }
  if (writing !== null) (value as MutableString).endWrite();
  if (changes > 0) {
    db.signalModifiedKey(key);
    db.notify('$', 'setbit', key);
    ctx.server.dirty += changes;
  }
}

function bitfield(ctx: CommandContext, argv: string[]): void {
  bitfieldGeneric(ctx, argv, false);
}

function bitfieldRo(ctx: CommandContext, argv: string[]): void {
  bitfieldGeneric(ctx, argv, true);
}

export const commands: CommandCode[] = [
  { name: 'setbit', handler: setbit },
  { name: 'getbit', handler: getbit },
  { name: 'bitcount', handler: bitcount },
  { name: 'bitpos', handler: bitposCommand },
  { name: 'bitop', handler: bitop },
  { name: 'bitfield', handler: bitfield },
  { name: 'bitfield_ro', handler: bitfieldRo },
];
