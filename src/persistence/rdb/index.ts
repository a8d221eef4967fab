/** The RDB format (Redis 7.0, version 10): writing, reading, DUMP payloads. */
export { RDB_VERSION, RdbError, DEFAULT_ENCODING_LIMITS, type EncodingLimits } from './constants.js';
export { Crc64, crc64 } from './crc64.js';
export { lzfCompress, lzfDecompress } from './lzf.js';
export { ByteSource, type ReadAt } from './source.js';
export { RdbWriter, encodeRdb, type KeyMetadata, type RdbHeaderFields, type RdbSourceDatabase, type RdbWriterOptions } from './encode.js';
export { ValueEncoder, rdbTypeOf, type ValueEncoderOptions, type ValuePieces } from './value-encoder.js';
export { RdbReader, readRdb, type RdbContents, type RdbEntry, type RdbKeyRecord, type RdbReaderOptions, type RdbRecord } from './decode.js';
export { createDumpPayload, decodeDumpPayload, verifyDumpPayload } from './dump.js';
export { createFunctionsPayload, readFunctionRecord, readFunctionsPayload, writeFunctionRecords } from './functions.js';
