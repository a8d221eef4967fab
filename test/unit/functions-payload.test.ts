import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../src/persistence/rdb/crc64.js';
import { ByteSource } from '../../src/persistence/rdb/source.js';
import { createFunctionsPayload, readFunctionRecord, readFunctionsPayload } from '../../src/persistence/rdb/functions.js';
import { readLibraryMetadata } from '../../src/scripting/functions.js';

const CODE = "#!lua name=s\nredis.register_function('s', function() return 1 end)";
/** FUNCTION DUMP of CODE by redis-server 7.0.15: FUNCTION2, the code, RDB version 10, CRC64. */
const REDIS_PAYLOAD = Buffer.concat([
  Buffer.from([0xf5, 0x40, 0x42]),
  Buffer.from(CODE, 'latin1'),
  Buffer.from([0x0a, 0x00, 0xa0, 0xf4, 0xe2, 0x89, 0x52, 0x56, 0xe8, 0xcc]),
]);

describe('FUNCTION DUMP payloads', () => {
  it("writes Redis's bytes and reads them back", () => {
    expect(createFunctionsPayload([CODE], true)).toEqual(REDIS_PAYLOAD);
    expect(readFunctionsPayload(REDIS_PAYLOAD)).toEqual([CODE]);
  });

  it('compresses long codes and reads them back', () => {
    const long = `#!lua name=long\n${"redis.register_function('f', function() return 'aaaaaaaaaaaaaaaaaaaa' end)\n".repeat(20)}`;
    const payload = createFunctionsPayload([long, CODE], true);
    expect(payload.length).toBeLessThan(long.length);
    expect(readFunctionsPayload(payload)).toEqual([long, CODE]);
    expect(readFunctionsPayload(createFunctionsPayload([], true))).toEqual([]);
  });

  it('refuses a wrong checksum, a newer version, a record that is no function and a truncated one', () => {
    const bad = Buffer.from(REDIS_PAYLOAD);
    bad[5] ^= 1;
    expect(readFunctionsPayload(bad)).toBeNull();
    expect(readFunctionsPayload(Buffer.from('abc'))).toBeNull();
    const newer = Buffer.from(REDIS_PAYLOAD);
    newer[newer.length - 10] = 99;
    expect(readFunctionsPayload(newer)).toBeNull();
    const notFunction = Buffer.from(REDIS_PAYLOAD);
    notFunction[0] = 0;
    expect(readFunctionsPayload(fixCrc(notFunction))).toBe('given type is not a function');
    const truncated = Buffer.concat([Buffer.from([0xf5, 0x40, 0x42, 0x23]), REDIS_PAYLOAD.subarray(REDIS_PAYLOAD.length - 10)]);
    expect(readFunctionsPayload(fixCrc(truncated))).toBe('failed loading the given functions payload');
  });

  it("reads the FUNCTION records of Redis 7.0's release candidates", () => {
    // name, engine, no description, code.
    const record = Buffer.from('\x01f\x03LUA\x00\x09return 1;', 'latin1');
    expect(readFunctionRecord(new ByteSource(record, 0, record.length), 246)).toBe('#!LUA name=f\nreturn 1;');
  });
});

describe('library metadata', () => {
  it("reads the shebang as Redis's functionExtractLibMetaData", () => {
    expect(readLibraryMetadata(CODE)).toEqual({ engine: 'lua', name: 's', code: CODE.slice(CODE.indexOf('\n')) });
    expect(readLibraryMetadata('lua')).toBe('Missing library metadata');
    expect(readLibraryMetadata('#!lua name=x')).toBe('Invalid library metadata');
    expect(readLibraryMetadata('#!lua\n')).toBe('Library name was not given');
    expect(readLibraryMetadata('#!lua NAME=a name=b\n')).toBe('Invalid metadata value, name argument was given multiple times');
    expect(readLibraryMetadata('#!lua x=1\n')).toBe('Invalid metadata value given: x=1');
  });
});

/** The payload with its CRC64 recomputed (to reach the checks after it). */
function fixCrc(payload: Buffer): Buffer {
  const out = Buffer.from(payload);
  new Crc64().update(out, 0, out.length - 8).writeLE(out, out.length - 8);
  return out;
}
