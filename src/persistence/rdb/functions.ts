import { RDB_OPCODE_FUNCTION, RDB_OPCODE_FUNCTION2, RDB_VERSION, RdbError } from './constants.js';
import { Crc64 } from './crc64.js';
import { ByteSink } from './sink.js';
import { ByteSource } from './source.js';
import { ValueEncoder } from './value-encoder.js';

/*
 * Functions in the RDB format (Redis 7.0 rdbSaveFunctions / rdbFunctionLoad): each library is
 * the FUNCTION2 opcode (245) and its whole code (shebang included) as an RDB string. FUNCTION
 * DUMP's payload is that, then the RDB version (2 bytes, little-endian) and the CRC64 of
 * everything before (8 bytes, little-endian), as a key's DUMP payload.
 */

const FOOTER_SIZE = 10;

/** The libraries' records as an RDB file holds them, before its databases. */
export function writeFunctionRecords(sink: ByteSink, codes: Iterable<string>, encoder: ValueEncoder): void {
  for (const code of codes) {
    sink.byte(RDB_OPCODE_FUNCTION2);
    encoder.writeString(sink, code);
  }
}

/**
 * The library code of a FUNCTION2 record (after its opcode), or of a FUNCTION record as Redis
 * 7.0's release candidates wrote them (name, engine, optional description, code without its
 * shebang), given the shebang Redis 7.0 gives it. Throws RdbError when truncated.
 */
export function readFunctionRecord(src: ByteSource, type: number): string {
  if (type === RDB_OPCODE_FUNCTION2) return src.string();
  const name = src.string();
  const engine = src.string();
  if (src.len() !== 0) src.string();
  const blob = src.string();
  return `#!${engine} name=${name}\n${blob}`;
}

/** FUNCTION DUMP's payload for these library codes. */
export function createFunctionsPayload(codes: Iterable<string>, compression: boolean): Buffer {
  const sink = new ByteSink(256);
  writeFunctionRecords(sink, codes, new ValueEncoder({ compression }));
  sink.u16le(RDB_VERSION);
  sink.ensure(8);
  new Crc64().update(sink.buf, 0, sink.pos).writeLE(sink.buf, sink.pos);
  sink.pos += 8;
  return sink.take();
}

/**
 * The library codes of a FUNCTION RESTORE payload, or Redis's error text: null when its version
 * or checksum is wrong ("DUMP payload version or checksum are wrong"), else a string for a
 * record that is not a function, or the codes.
 */
export function readFunctionsPayload(payload: Buffer): string[] | string | null {
  if (payload.length < FOOTER_SIZE) return null;
  const footer = payload.length - FOOTER_SIZE;
  const version = (payload[footer] as number) | ((payload[footer + 1] as number) << 8);
  if (version > RDB_VERSION) return null;
  if (!new Crc64().update(payload, 0, payload.length - 8).equalsLE(payload, payload.length - 8)) return null;
  const src = new ByteSource(payload, 0, footer);
  const codes: string[] = [];
  try {
    while (src.pos < footer) {
      const type = src.u8();
      if (type !== RDB_OPCODE_FUNCTION && type !== RDB_OPCODE_FUNCTION2) return 'given type is not a function';
      codes.push(readFunctionRecord(src, type));
    }
  } catch (err) {
    if (err instanceof RdbError) return 'failed loading the given functions payload';
    throw err;
  }
  return codes;
}
