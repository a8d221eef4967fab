/**
 * DUMP and RESTORE against Redis 7.0: the same replies (payloads byte for byte where Redis's
 * encoding is deterministic, and every error), each side RESTOREs the other's payloads, and
 * RESTORE is propagated as Redis propagates it (relative TTL rewritten to an absolute ABSTTL).
 */
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step, type StepResult } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import { crc64 } from '../../src/persistence/rdb/crc64.js';

const hasOracle = oracleAvailable();

const DATASET: string[][] = [
  ['SET', 'str', 'hello'],
  ['SET', 'int', '-12345'],
  ['SET', 'long', 'abc'.repeat(100)],
  ['SET', 'bin\x00\xff', '\x00\xff\r\n'],
  ['RPUSH', 'list', 'a', '1', 'b', '2'],
  ['SADD', 'intset', '5', '-3', '100000'],
  ['HSET', 'hash', 'f', 'v', 'n', '42'],
  ['ZADD', 'zset', '1', 'a', '2.5', 'b', '-3', 'c'],
];

/**
 * A stream's DUMP payload of type 19 (RDB_TYPE_STREAM_LISTPACKS_2, what Redis 7.0 writes) rewritten
 * as type 15 (RDB_TYPE_STREAM_LISTPACKS, what Redis 5.0 to 6.2 wrote): the same nodes, length, last
 * ID, groups, PELs and consumers, without the first ID, the max deleted ID, the entries added and
 * each group's entries read. The payload must be uncompressed (rdbcompression no).
 */
function asStreamListpacks1(payload: Buffer): Buffer {
  const body = payload.subarray(0, payload.length - 10);
  const version = payload.subarray(payload.length - 10, payload.length - 8);
  if (body[0] !== 19) throw new Error(`not a type 19 stream payload: type ${body[0]}`);
  const out: Buffer[] = [Buffer.from([15])];
  let at = 1;
  const raw = (n: number, keep = true): void => {
    if (at + n > body.length) throw new Error('payload too short');
    if (keep) out.push(body.subarray(at, at + n));
    at += n;
  };
  /** rdbLoadLen: 6 bits, 14 bits, or a 32 or 64-bit big-endian length after 0x80 / 0x81. */
  const len = (keep = true): number => {
    const first = body[at] as number;
    const start = at;
    let value: number;
    if (first >> 6 === 0) {
      value = first & 0x3f;
      at += 1;
    } else if (first >> 6 === 1) {
      value = ((first & 0x3f) << 8) | (body[at + 1] as number);
      at += 2;
    } else if (first === 0x80) {
      value = body.readUInt32BE(at + 1);
      at += 5;
    } else if (first === 0x81) {
      value = Number(body.readBigUInt64BE(at + 1));
      at += 9;
    } else {
      throw new Error(`not a length at ${at}: ${first}`);
    }
    if (keep) out.push(body.subarray(start, at));
    return value;
  };
  /** A string: a length then its bytes (integer-encoded strings are 0xc0 to 0xc2 and 1, 2 or 4 bytes). */
  const str = (): void => {
    const first = body[at] as number;
    if (first >= 0xc0 && first <= 0xc2) return raw(1 + [1, 2, 4][first - 0xc0]!);
    if (first === 0xc3) throw new Error('LZF-compressed string');
    raw(len());
  };
  const nodes = len();
  for (let i = 0; i < nodes; i++) {
    str(); // the node's master ID
    str(); // its listpack
  }
  for (let i = 0; i < 3; i++) len(); // length, last ID
  for (let i = 0; i < 5; i++) len(false); // first ID, max deleted ID, entries added
  const groups = len();
  for (let g = 0; g < groups; g++) {
    str(); // name
    len(); // last delivered ID
    len();
    len(false); // entries read
    const pel = len();
    for (let i = 0; i < pel; i++) {
      raw(16 + 8); // ID, delivery time
      len(); // delivery count
    }
    const consumers = len();
    for (let c = 0; c < consumers; c++) {
      str(); // name
      raw(8); // seen time
      raw(16 * len()); // its pending IDs
    }
  }
  if (at !== body.length) throw new Error(`${body.length - at} bytes left over`);
  const withVersion = Buffer.concat([...out, version]);
  const crc = Buffer.alloc(8);
  crc.writeBigUInt64LE(crc64(withVersion));
  return Buffer.concat([withVersion, crc]);
}

describe.skipIf(!hasOracle)('DUMP and RESTORE against Redis 7.0', () => {
  const pair = differentialPair({ redis: ['--enable-debug-command', 'yes'] });

  it('DUMP payloads are byte-equal; RESTORE options and errors answer the same', async () => {
    const steps: Step[] = [
      ...DATASET,
      ...DATASET.map((s) => ['DUMP', s[1] as string]),
      ['DUMP', 'nosuch'],
      ['RESTORE', 'str', '0', 'x'],
      ['RESTORE', 'new', '0', 'x'],
      ['RESTORE', 'new', '-1', 'x'],
      ['RESTORE', 'new', 'abc', 'x'],
      ['RESTORE', 'new', '0', 'x', 'BOGUS'],
      ['RESTORE', 'new', '0', 'x', 'IDLETIME', '-1'],
      ['RESTORE', 'new', '0', 'x', 'FREQ', '256'],
      ['RESTORE', 'new', '0', 'x', 'IDLETIME', '1', 'FREQ', '1'],
      ['RESTORE', 'new', '0', 'x', 'IDLETIME'],
      // A good footer around a bad body.
      ['RESTORE', 'new', '0', '\x00\xc3\x0a\x00\x9b\x13\x0c\xc3\xdd\xe1\x37\x07'],
      ['EXISTS', 'new'],
    ];
    await pair.same(steps);
  });

  it('an intset keeps the width its largest member once needed, in DUMP as in Redis', async () => {
    await pair.same([
      ['FLUSHALL'],
      ['SADD', 'narrow', '1', '2', '-3'], ['DUMP', 'narrow'],
      ['SADD', 'widened', '1', '100000', '-5'], ['SREM', 'widened', '100000'], ['DUMP', 'widened'],
      ['SADD', 'wide', '7', '-9223372036854775808', '9223372036854775807'], ['SREM', 'wide', '-9223372036854775808', '9223372036854775807'], ['DUMP', 'wide'],
      ['SMEMBERS', 'wide'], ['OBJECT', 'ENCODING', 'wide'],
      // Loading keeps the width saved.
      ['DEBUG', 'RELOAD'], ['DUMP', 'narrow'], ['DUMP', 'widened'], ['DUMP', 'wide'], ['SISMEMBER', 'wide', '7'], ['SADD', 'wide', '8'], ['SMEMBERS', 'wide'],
    ]);
  });

  it('each side RESTOREs the other\'s payloads, with REPLACE, ABSTTL, IDLETIME, and a TTL in the past', async () => {
    const n = await RawClient.connect(pair.nodis.port);
    const r = await RawClient.connect(pair.redis.port);
    try {
      for (const s of DATASET) {
        await n.call(...s);
        await r.call(...s);
      }
      for (const s of DATASET) {
        const key = s[1] as string;
        const fromRedis = (await r.call('DUMP', key)) as string;
        const fromNodis = (await n.call('DUMP', key)) as string;
        expect(await n.call('RESTORE', `r:${key}`, '0', fromRedis)).toBe('OK');
        expect(await r.call('RESTORE', `n:${key}`, '0', fromNodis)).toBe('OK');
        expect(await n.call('DEBUG', 'DIGEST-VALUE', key, `r:${key}`)).toEqual(await r.call('DEBUG', 'DIGEST-VALUE', `n:${key}`, key));
      }
      const payload = (await r.call('DUMP', 'hash')) as string;
      const steps: Step[] = [
        ['RESTORE', 'hash', '0', payload],
        ['RESTORE', 'hash', '100000', payload, 'REPLACE'],
        ['PTTL', 'hash'],
        ['RESTORE', 'abs', String(Date.now() + 10_000_000), payload, 'ABSTTL', 'IDLETIME', '1000'],
        ['OBJECT', 'IDLETIME', 'abs'],
        ['RESTORE', 'past', '1', payload, 'ABSTTL'],
        ['EXISTS', 'past'],
        ['RESTORE', 'hash', '1', payload, 'ABSTTL', 'REPLACE'],
        ['EXISTS', 'hash'],
        ['RESTORE', 'bad', '0', payload.slice(0, -1) + String.fromCharCode(payload.charCodeAt(payload.length - 1) ^ 1)],
      ];
      const results = await pair.run(steps);
      for (const res of results) {
        // PTTL and IDLETIME may be a tick apart.
        const name = (res.step as string[])[0];
        if (name === 'PTTL') expect(Math.abs(Number(res.nodis.slice(1)) - Number(res.redis.slice(1)))).toBeLessThan(5000);
        // Each server's clock may tick once between the RESTORE and the read: 1000 or 1001.
        else if (name === 'OBJECT') expect([':1000\r\n', ':1001\r\n']).toContain(res.nodis);
        else expect(res.nodis).toBe(res.redis);
      }
    } finally {
      n.close();
      r.close();
    }
  });

  it('a bad payload: without REPLACE the key is looked up first (an expired one goes), with REPLACE it is left alone', async () => {
    // Redis 7.0's restoreCommand checks BUSYKEY with lookupKeyWrite before it verifies the
    // payload, so an expired key is removed (and counted, and notified) even when the payload
    // is then refused; REPLACE looks nothing up before the payload is good.
    const bad = 'not a payload';
    await pair.same([['DEBUG', 'SET-ACTIVE-EXPIRE', '0'], ['FLUSHALL'], ['CONFIG', 'RESETSTAT'], ['SET', 'gone', 'v', 'PX', '1'], ['SET', 'kept', 'v', 'PX', '1']]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const results = await pair.run([
      ['RESTORE', 'kept', '0', bad, 'REPLACE'],
      ['DBSIZE'],
      ['RESTORE', 'gone', '0', bad],
      ['DBSIZE'],
      ['RESTORE', 'live', '0', bad],
    ]);
    expect(results.filter((r) => r.nodis !== r.redis)).toEqual([]);
    expect(results.map((r) => r.redis)).toEqual([
      '-ERR DUMP payload version or checksum are wrong\r\n',
      ':2\r\n',
      '-ERR DUMP payload version or checksum are wrong\r\n',
      ':1\r\n',
      '-ERR DUMP payload version or checksum are wrong\r\n',
    ]);
    // Read before the active cycle is back on: it would expire "kept" too.
    const stats = await pair.run([['INFO', 'stats'], ['DEBUG', 'SET-ACTIVE-EXPIRE', '1']]);
    const expiredKeys = (info: string): string | undefined => /expired_keys:(\d+)/.exec(info)?.[1];
    expect([expiredKeys((stats[0] as StepResult).nodis), expiredKeys((stats[0] as StepResult).redis)]).toEqual(['1', '1']);
  });

  it('RESTORE with a relative TTL is propagated with the absolute time and ABSTTL', async () => {
    const seen: string[][] = [];
    const unsubscribe = pair.nodis.running.server.propagation.subscribe((_db, argv) => seen.push([...argv]));
    const n = await RawClient.connect(pair.nodis.port);
    try {
      await n.call('SET', 'src', 'v');
      const payload = (await n.call('DUMP', 'src')) as string;
      const before = Date.now();
      expect(await n.call('RESTORE', 'dst', '5000', payload)).toBe('OK');
      expect(await n.call('RESTORE', 'src', '1', payload, 'ABSTTL', 'REPLACE')).toBe('OK');
      const restore = seen.find((a) => a[0]?.toUpperCase() === 'RESTORE');
      expect(restore?.slice(0, 2)).toEqual(['RESTORE', 'dst']);
      expect(Number(restore?.[2])).toBeGreaterThanOrEqual(before + 5000);
      expect(restore?.[3]).toBe(payload);
      expect(restore?.[4]).toBe('ABSTTL');
      // A replaced key restored already expired is a deletion.
      expect(seen.at(-1)).toEqual(['DEL', 'src']);
    } finally {
      n.close();
      if (typeof unsubscribe === 'function') unsubscribe();
    }
  });

  it('a stream node whose backlen has a redundant high bit is taken, sanitized or not, and read both ways as in Redis', async () => {
    // The payload as Redis writes it (uncompressed: the listpack's bytes are in it as they are).
    const oracle = await RawClient.connect(pair.redis.port);
    let payload: Buffer;
    try {
      expect(await oracle.call('CONFIG', 'SET', 'rdbcompression', 'no')).toBe('OK');
      const long = 'x'.repeat(199) + '\0';
      for (const id of ['1-1', '1-2', '2-1']) await oracle.call('XADD', 'src', id, 'f', long, 'g', 'ab\0');
      payload = Buffer.from((await oracle.callRaw('DUMP', 'src')).split('\r\n')[1] as string, 'latin1');
      expect(await oracle.call('CONFIG', 'SET', 'rdbcompression', 'yes')).toBe('OK');
      expect(await oracle.call('DEL', 'src')).toBe(1);
    } finally {
      oracle.close();
    }
    /** The payload with the byte at `offset` past the first `seq` set to `to`, its CRC made right again. */
    const patched = (seq: number[], offset: number, to: number): string => {
      const buf = Buffer.from(payload);
      const at = buf.indexOf(Buffer.from(seq));
      expect(at).toBeGreaterThan(0);
      buf[at + offset] = to;
      buf.writeBigUInt64LE(crc64(buf, 0, buf.length - 8), buf.length - 8);
      return buf.toString('latin1');
    };
    const variants = [
      // 'x', 0, then the backlen of 202 (0x01 0xca) with its first byte flagged.
      patched([0x78, 0x00, 0x01, 0xca], 2, 0x81),
      // 'b', 0, then the backlen of 4 flagged.
      patched([0x62, 0x00, 0x04], 2, 0x84),
      // The last byte of a two-byte backlen unflagged: corrupt for both.
      patched([0x78, 0x00, 0x01, 0xca], 3, 0x4a),
    ];
    const steps: Step[] = [];
    for (const sanitize of ['yes', 'no']) {
      steps.push(['CONFIG', 'SET', 'sanitize-dump-payload', sanitize]);
      for (const [i, variant] of variants.entries()) {
        // Unsanitized, Redis takes the corrupt one and may crash reading it.
        if (sanitize === 'no' && i === 2) continue;
        steps.push(['DEL', 't'], ['RESTORE', 't', '0', variant], ['XRANGE', 't', '-', '+'], ['XREVRANGE', 't', '+', '-'], ['XREVRANGE', 't', '+', '-', 'COUNT', '2']);
      }
    }
    // Loaded from an RDB file: the node is kept as it was.
    steps.push(['DEL', 't'], ['RESTORE', 't', '0', variants[0] as string], ['DEBUG', 'RELOAD'], ['XREVRANGE', 't', '+', '-'], ['XADD', 't', '3-1', 'f', 'v'], ['XREVRANGE', 't', '+', '-']);
    steps.push(['CONFIG', 'SET', 'sanitize-dump-payload', 'no'], ['FLUSHALL']);
    await pair.same(steps);
  });

  it('listpacks of hashes, sorted sets and lists whose backlen has a redundant high bit are taken as in Redis', async () => {
    const oracle = await RawClient.connect(pair.redis.port);
    const payloads = new Map<string, Buffer>();
    try {
      expect(await oracle.call('CONFIG', 'SET', 'rdbcompression', 'no')).toBe('OK');
      const long = 'x'.repeat(199) + '\0';
      await oracle.call('HSET', 'h', 'f', 'ab\0', 'g', 'v');
      await oracle.call('ZADD', 'z', '1', 'ab\0', '2', 'b');
      await oracle.call('RPUSH', 'l', 'a', 'ab\0', long, 'b');
      for (const key of ['h', 'z', 'l']) payloads.set(key, Buffer.from((await oracle.callRaw('DUMP', key)).split('\r\n')[1] as string, 'latin1'));
      expect(await oracle.call('CONFIG', 'SET', 'rdbcompression', 'yes')).toBe('OK');
      expect(await oracle.call('DEL', 'h', 'z', 'l')).toBe(3);
    } finally {
      oracle.close();
    }
    const patched = (key: string, seq: number[], offset: number, to: number): string => {
      const buf = Buffer.from(payloads.get(key) as Buffer);
      const at = buf.indexOf(Buffer.from(seq));
      expect(at).toBeGreaterThan(0);
      buf[at + offset] = to;
      buf.writeBigUInt64LE(crc64(buf, 0, buf.length - 8), buf.length - 8);
      return buf.toString('latin1');
    };
    const steps: Step[] = [];
    for (const sanitize of ['yes', 'no']) {
      steps.push(
        ['CONFIG', 'SET', 'sanitize-dump-payload', sanitize],
        ['DEL', 'h', 'z', 'l', 'l2'],
        // 'b', 0, then the backlen of 4 flagged.
        ['RESTORE', 'h', '0', patched('h', [0x62, 0x00, 0x04], 2, 0x84)],
        ['HGETALL', 'h'],
        ['RESTORE', 'z', '0', patched('z', [0x62, 0x00, 0x04], 2, 0x84)],
        ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
        ['RESTORE', 'l', '0', patched('l', [0x62, 0x00, 0x04], 2, 0x84)],
        ['LRANGE', 'l', '0', '-1'], ['LINDEX', 'l', '-3'], ['LRANGE', 'l', '-3', '-2'],
        // 'x', 0, then the backlen of 202 (0x01 0xca) with its first byte flagged.
        ['RESTORE', 'l2', '0', patched('l', [0x78, 0x00, 0x01, 0xca], 2, 0x81)],
        ['LINDEX', 'l2', '-2'], ['LINDEX', 'l2', '1'], ['RPUSH', 'l2', 'c'], ['LRANGE', 'l2', '-4', '-1'],
      );
    }
    steps.push(['DEBUG', 'RELOAD'], ['LRANGE', 'l', '0', '-1'], ['LRANGE', 'l2', '-4', '-1']);
    steps.push(['CONFIG', 'SET', 'sanitize-dump-payload', 'no'], ['FLUSHALL']);
    await pair.same(steps);
  });

  it('RESTORE of streams in the RDB type 15 of Redis 5.0 to 6.2 (groups, PELs, consumers, deleted entries) as in Redis', async () => {
    const oracle = await RawClient.connect(pair.redis.port);
    const payloads = new Map<string, Buffer>();
    try {
      expect(await oracle.call('CONFIG', 'SET', 'rdbcompression', 'no')).toBe('OK');
      const build: string[][] = [
        // A stream with a group, its PEL and a consumer.
        ['XADD', 'one', '1-1', 'f', '1'], ['XADD', 'one', '2-1', 'f', '2', 'g', 'x'], ['XADD', 'one', '3-1', 'f', '3'],
        ['XGROUP', 'CREATE', 'one', 'grp', '0'], ['XREADGROUP', 'GROUP', 'grp', 'alice', 'COUNT', '2', 'STREAMS', 'one', '>'],
        // Deleted entries (the first among them) and two groups, one of them ahead of some entries.
        ...Array.from({ length: 6 }, (_, i) => ['XADD', 'two', `${i + 1}-1`, 'n', String(i * 10), 'other', `v${i}`]),
        ['XDEL', 'two', '1-1', '3-1'],
        ['XGROUP', 'CREATE', 'two', 'g1', '0'], ['XGROUP', 'CREATE', 'two', 'g2', '4-1'],
        ['XREADGROUP', 'GROUP', 'g1', 'c1', 'COUNT', '1', 'STREAMS', 'two', '>'],
        ['XREADGROUP', 'GROUP', 'g1', 'c2', 'COUNT', '1', 'STREAMS', 'two', '>'],
        ['XREADGROUP', 'GROUP', 'g2', 'c1', 'STREAMS', 'two', '>'], ['XACK', 'two', 'g2', '5-1'],
        ['XGROUP', 'CREATECONSUMER', 'two', 'g2', 'idle'],
        // Trimmed from the front, with a group past everything.
        ...Array.from({ length: 5 }, (_, i) => ['XADD', 'three', `${i + 1}-${i}`, 'k', 'v']),
        ['XTRIM', 'three', 'MAXLEN', '2'], ['XGROUP', 'CREATE', 'three', 'g', '$'],
      ];
      for (const argv of build) await oracle.call(...argv);
      for (const key of ['one', 'two', 'three']) payloads.set(key, Buffer.from((await oracle.callRaw('DUMP', key)).split('\r\n')[1] as string, 'latin1'));
      expect(await oracle.call('CONFIG', 'SET', 'rdbcompression', 'yes')).toBe('OK');
      expect(await oracle.call('DEL', 'one', 'two', 'three')).toBe(3);
    } finally {
      oracle.close();
    }
    // Times the payloads carry are compared as they are; those of deliveries after the RESTOREs
    // (and idle times) are a few ms apart on the two servers.
    const restoredAt = Date.now();
    const mask = (raw: string): string =>
      raw
        .replace(/(\$4\r\nidle\r\n:)\d+/g, '$1<idle>')
        .replace(/:(1\d{12})\r\n/g, (m, ms: string) => (Number(ms) >= restoredAt ? ':<later>\r\n' : m));
    const steps: Step[] = [];
    for (const [key, payload] of payloads) {
      const old = asStreamListpacks1(payload);
      expect(old[0]).toBe(15);
      steps.push(
        ['RESTORE', key, '0', old.toString('latin1')],
        ['XINFO', 'STREAM', key, 'FULL'], ['XINFO', 'STREAM', key], ['XRANGE', key, '-', '+'], ['XREVRANGE', key, '+', '-', 'COUNT', '2'],
        ['XINFO', 'GROUPS', key], ['XINFO', 'CONSUMERS', key, key === 'two' ? 'g2' : key === 'one' ? 'grp' : 'g'], ['XPENDING', key, key === 'two' ? 'g1' : 'grp'],
        // What a type 19 payload of it says now, and what it does next.
        ['DUMP', key],
        ['XADD', key, '9-1', 'new', 'entry'], ['XINFO', 'GROUPS', key], ['XINFO', 'STREAM', key],
        ['XDEL', key, '9-1'], ['XINFO', 'STREAM', key, 'FULL'],
      );
    }
    steps.push(
      ['XREADGROUP', 'GROUP', 'g1', 'c3', 'STREAMS', 'two', '>'], ['XREADGROUP', 'GROUP', 'g2', 'c3', 'STREAMS', 'two', '0'], ['XINFO', 'GROUPS', 'two'],
      ['DEBUG', 'RELOAD'], ['XINFO', 'STREAM', 'two', 'FULL'], ['XINFO', 'GROUPS', 'one'],
      ['CONFIG', 'SET', 'sanitize-dump-payload', 'yes'],
    );
    for (const [key, payload] of payloads) steps.push(['RESTORE', key, '0', asStreamListpacks1(payload).toString('latin1'), 'REPLACE'], ['XINFO', 'STREAM', key, 'FULL']);
    steps.push(['CONFIG', 'SET', 'sanitize-dump-payload', 'no'], ['FLUSHALL']);
    await pair.same(steps, mask);
  });
});
