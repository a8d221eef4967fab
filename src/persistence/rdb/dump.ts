import type { Value } from '../../types/value.js';
import { DEFAULT_ENCODING_LIMITS, RDB_VERSION, RdbError, isObjectType, type EncodingLimits } from './constants.js';
import { Crc64 } from './crc64.js';
import { decodeValue } from './decode.js';
import { ValueEncoder, rdbTypeOf, type ValueEncoderOptions } from './value-encoder.js';
import { ByteSource } from './source.js';
import { ByteSink } from './sink.js';

/*
 * DUMP payloads (cluster.c createDumpPayload / verifyDumpPayload): the value's RDB type byte and
 * body, then the RDB version as 2 bytes little-endian, then the CRC64 of everything before as 8
 * bytes little-endian. The CRC is always there, whatever rdbchecksum says.
 */

const FOOTER_SIZE = 10;

/** Serializes a value as DUMP does. An encoder can be passed to reuse its buffers. */
export function createDumpPayload(value: Value, options: ValueEncoderOptions | ValueEncoder = {}): Buffer {
  const encoder = options instanceof ValueEncoder ? options : new ValueEncoder(options);
  const sink = new ByteSink(256);
  sink.byte(rdbTypeOf(value));
  encoder.writeValue(sink, value);
  sink.u16le(RDB_VERSION);
  sink.ensure(8);
  const crc = new Crc64().update(sink.buf, 0, sink.pos);
  crc.writeLE(sink.buf, sink.pos);
  sink.pos += 8;
  return sink.take();
}

/**
 * Whether a payload's footer is acceptable: an RDB version this server reads and, unless
 * `checkCrc` is false (skip-checksum-validation), the right CRC. RESTORE answers "ERR DUMP
 * payload version or checksum are wrong" when it is not.
 */
export function verifyDumpPayload(payload: Buffer, checkCrc = true): boolean {
  if (payload.length < FOOTER_SIZE) return false;
  const footer = payload.length - FOOTER_SIZE;
  const version = payload[footer] | (payload[footer + 1] << 8);
  if (version > RDB_VERSION) return false;
  if (!checkCrc) return true;
  return new Crc64().update(payload, 0, payload.length - 8).equalsLE(payload, payload.length - 8);
}

/**
 * The value in a payload that passed verifyDumpPayload, encoded as Redis would load it under
 * `limits`; null for an empty collection. Throws RdbError when the body is malformed (RESTORE:
 * "ERR Bad data format").
 */
export function decodeDumpPayload(payload: Buffer, limits: Partial<EncodingLimits> = {}): Value | null {
  if (payload.length < FOOTER_SIZE) throw new RdbError('DUMP payload too short');
  const src = new ByteSource(payload, 0, payload.length - FOOTER_SIZE);
  const type = src.u8();
  if (!isObjectType(type)) throw new RdbError(`Unknown RDB encoding type ${type}`);
  return decodeValue(src, type, { ...DEFAULT_ENCODING_LIMITS, ...limits });
}
