import { ByteSink } from '../../src/persistence/rdb/sink.js';
import { Crc64 } from '../../src/persistence/rdb/crc64.js';

/**
 * Blobs in the encodings Redis 7.0 reads but no longer writes, laid out by hand from the format
 * descriptions, to test the RDB reader on them.
 */

/** A ziplist as ziplist.c lays it out, for the reader's tests (Redis 7.0 no longer writes them). */
export function buildZiplist(items: Array<string | number>): Buffer {
  const entries: Buffer[] = [];
  let prev = 0;
  for (const item of items) {
    const prevlen = prev < 254 ? Buffer.from([prev]) : Buffer.concat([Buffer.from([254]), u32le(prev)]);
    let body: Buffer;
    if (typeof item === 'number') {
      if (item >= 0 && item <= 12) body = Buffer.from([0xf1 + item]);
      else if (item >= -128 && item <= 127) body = Buffer.from([0xfe, item & 0xff]);
      else if (item >= -32768 && item <= 32767) body = Buffer.concat([Buffer.from([0xc0]), i16le(item)]);
      else if (item >= -8388608 && item <= 8388607) body = Buffer.concat([Buffer.from([0xf0]), Buffer.from([item & 0xff, (item >> 8) & 0xff, (item >> 16) & 0xff])]);
      else if (item >= -2147483648 && item <= 2147483647) body = Buffer.concat([Buffer.from([0xd0]), i32le(item)]);
      else {
        const b = Buffer.alloc(8);
        b.writeBigInt64LE(BigInt(item));
        body = Buffer.concat([Buffer.from([0xe0]), b]);
      }
    } else {
      const data = Buffer.from(item, 'latin1');
      const n = data.length;
      let header: Buffer;
      if (n < 64) header = Buffer.from([n]);
      else if (n < 16384) header = Buffer.from([0x40 | (n >> 8), n & 0xff]);
      else {
        header = Buffer.alloc(5);
        header[0] = 0x80;
        header.writeUInt32BE(n, 1);
      }
      body = Buffer.concat([header, data]);
    }
    const entry = Buffer.concat([prevlen, body]);
    entries.push(entry);
    prev = entry.length;
  }
  const payload = Buffer.concat(entries);
  const total = 10 + payload.length + 1;
  const header = Buffer.alloc(10);
  header.writeUInt32LE(total, 0);
  header.writeUInt32LE(entries.length === 0 ? 10 : 10 + payload.length - (entries[entries.length - 1] as Buffer).length, 4);
  header.writeUInt16LE(Math.min(entries.length, 65535), 8);
  return Buffer.concat([header, payload, Buffer.from([0xff])]);
}

export function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
function i16le(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16LE(n);
  return b;
}
function i32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}


function latin1(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** A whole RDB file of the given version around `body`, with its CRC64 from version 5 on. */
export function rdbFile(version: number, ...body: Buffer[]): Buffer {
  const head = Buffer.concat([latin1(`REDIS${String(version).padStart(4, '0')}`), ...body, Buffer.from([0xff])]);
  if (version < 5) return head;
  const crc = Buffer.alloc(8);
  new Crc64().update(head).writeLE(crc, 0);
  return Buffer.concat([head, crc]);
}

/** An RDB string (length-prefixed, never encoded). */
export function str(s: string): Buffer {
  const sink = new ByteSink(16);
  sink.len(s.length);
  sink.latin1(s);
  return sink.take();
}

/** An RDB length. */
export function len(n: number): Buffer {
  const sink = new ByteSink(16);
  sink.len(n);
  return sink.take();
}

/**
 * An RDB version 6 file in the encodings older Redis versions wrote (zipmap, ziplist hashes,
 * lists and sorted sets, quicklist v1, text scores, EXPIRETIME in seconds), for the reader's tests
 * and for comparing what Redis 7.0 loads from it.
 */
export function oldFormatsRdb(): Buffer {
  const zipmap = latin1('\x02\x01a\x01\x00x\x01b\x03\x01yyy!\xff');
  const textScores = Buffer.concat([len(3), str('one'), Buffer.from([1]), latin1('1'), str('inf'), Buffer.from([254]), str('half'), Buffer.from([3]), latin1('0.5')]);
  const expire = Buffer.alloc(5);
  expire[0] = 0xfd; // EXPIRETIME, in seconds
  expire.writeInt32LE(2000000000, 1);
  const file = rdbFile(
    6,
    Buffer.from([0xfe, 0]),
    Buffer.from([9]), str('zipmap'), str(zipmap.toString('latin1')),
    Buffer.from([10]), str('ziplist'), str(buildZiplist(['a', 5, -300, 'b'.repeat(70), 4294967296]).toString('latin1')),
    Buffer.from([12]), str('zsetzl'), str(buildZiplist(['m3', '-inf', 'm1', 2, 'm2', '2.5']).toString('latin1')),
    Buffer.from([13]), str('hashzl'), str(buildZiplist(['f', 'v', 'n', 12]).toString('latin1')),
    Buffer.from([14]), str('qlv1'), len(2), str(buildZiplist(['x', 1]).toString('latin1')), str(buildZiplist([2, 'y']).toString('latin1')),
    expire, Buffer.from([3]), str('oldzset'), textScores,
    Buffer.from([1]), str('plainlist'), len(2), str('p'), Buffer.from([0xc0, 7]),
    Buffer.from([0xfe, 3]),
    Buffer.from([4]), str('plainhash'), len(1), str('k'), str('v'),
  );
  return file;
}
