/**
 * The RDB codec against Redis 7.0: the files Redis saves read back as what the server holds;
 * the files we write pass redis-check-rdb and load into Redis (with deep payload sanitization)
 * as the same keys, values, TTLs and encodings; DUMP payloads are byte for byte Redis's where
 * Redis's are deterministic, and each side RESTOREs the other's; files from Redis's own test
 * suite in older formats read as Redis loads them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { RawClient } from '../helpers/raw-client.js';
import { oldFormatsRdb } from '../helpers/rdb-blobs.js';
import {
  buildValue,
  commandsFor,
  limitArgs,
  modelFromRedis,
  modelOf,
  prng,
  richDataset,
  runAll,
  SMALL_LIMITS,
  type KeySpec,
} from '../helpers/rdb-dataset.js';
import {
  DEFAULT_ENCODING_LIMITS,
  RdbWriter,
  createDumpPayload,
  decodeDumpPayload,
  encodeRdb,
  readRdb,
  type EncodingLimits,
  type RdbContents,
  type RdbSourceDatabase,
} from '../../src/persistence/rdb/index.js';
import type { Value } from '../../src/types/value.js';
import { List } from '../../src/types/list.js';

const hasOracle = oracleAvailable();
const LIST_FILL = 4;
/** Elements this long or longer get plain quicklist nodes in the list built for them. */
const PLAIN_THRESHOLD = 100;
const PLAIN_LIST = ['a', 'P'.repeat(200), 'b', 'c', 'Q'.repeat(300)];

type Collection = Exclude<Value, string>;

/**
 * Checks that a server holds exactly what an RDB file read by us holds: the same keys in each of
 * the 16 databases, the same values, expiry times and encodings.
 */
async function expectServerHolds(client: RawClient, contents: RdbContents, what: string): Promise<void> {
  const now = Date.now();
  for (let db = 0; db < 16; db++) {
    await client.call('SELECT', String(db));
    const entries = [...(contents.databases.get(db) ?? new Map())].filter(([, e]) => e.expireAt === -1 || e.expireAt > now);
    const keys = ((await client.call('KEYS', '*')) as string[]).sort();
    expect(keys, `${what}: keys of db ${db}`).toEqual(entries.map(([k]) => k).sort());
    for (const [key, entry] of entries) {
      expect(await modelFromRedis(client, key), `${what}: ${db}/${JSON.stringify(key.slice(0, 40))}`).toEqual(modelOf(entry.value));
      expect(await client.call('PEXPIRETIME', key), `${what}: expiry of ${key.slice(0, 40)}`).toBe(entry.expireAt);
      const encoding = typeof entry.value === 'string' ? null : (entry.value as Collection).encoding();
      if (encoding !== null) expect(await client.call('OBJECT', 'ENCODING', key), `${what}: encoding of ${key.slice(0, 40)}`).toBe(encoding);
    }
  }
}

function databasesOf(specs: KeySpec[], limits: EncodingLimits): RdbSourceDatabase[] {
  const dbs = new Map<number, { id: number; dict: Map<string, Value>; expires: Map<string, number> }>();
  for (const spec of specs) {
    let db = dbs.get(spec.db);
    if (db === undefined) dbs.set(spec.db, (db = { id: spec.db, dict: new Map(), expires: new Map() }));
    db.dict.set(spec.key, buildValue(spec.value, limits));
    if (spec.expireAt !== undefined) db.expires.set(spec.key, spec.expireAt);
  }
  return [...dbs.values()].sort((a, b) => a.id - b.id);
}

function checkRdb(file: string): string {
  const run = spawnSync('redis-check-rdb', [file], { encoding: 'utf8' });
  expect(run.status, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toContain('RDB looks OK');
  return run.stdout;
}

/** Starts a Redis that loads `file` at startup. */
async function startLoading(file: string, dir: string, extraArgs: string[] = []): Promise<Oracle> {
  return startOracle([...extraArgs, '--dir', dir, '--dbfilename', file]);
}

describe.skipIf(!hasOracle)('RDB files and DUMP payloads against Redis 7.0', () => {
  const expireBase = Date.now() + 30 * 86400_000;
  const specs = richDataset(SMALL_LIMITS, expireBase);
  const serverArgs = [...limitArgs(SMALL_LIMITS, LIST_FILL), '--enable-debug-command', 'yes'];
  let source: Oracle;
  let client: RawClient;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'nodis-rdb-'));
    source = await startOracle(serverArgs);
    client = await RawClient.connect(source.port);
    for (const spec of specs) {
      await client.call('SELECT', String(spec.db));
      await runAll(client, commandsFor(spec));
    }
    // A list with plain (unpacked) nodes: Redis makes them for elements at its threshold.
    await client.call('SELECT', '0');
    expect(await client.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', String(PLAIN_THRESHOLD))).toBe('OK');
    await client.call('RPUSH', 'list:plain', ...PLAIN_LIST);
    expect(await client.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', String(2 ** 30))).toBe('OK');
    expect(await client.call('SAVE')).toBe('OK');
  });

  afterAll(async () => {
    client?.close();
    await source?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('reads the dump.rdb Redis saves as what the server holds, in the encodings a load gives', async () => {
    const file = readFileSync(join(source.dir, 'dump.rdb'));
    const contents = readRdb(file, { limits: SMALL_LIMITS, databases: 16 });
    expect(contents.version).toBe(10);
    expect(contents.aux.get('redis-ver')).toBe('7.0.15');
    expect(contents.end).toBe(file.length);
    expect([...contents.databases.keys()]).toEqual([0, 1, 7, 15]);
    expect(contents.databases.get(0)?.size).toBe(specs.filter((s) => s.db === 0).length + 1);
    // What a fresh load gives: DEBUG RELOAD saves and loads again.
    expect(await client.call('DEBUG', 'RELOAD')).toBe('OK');
    await expectServerHolds(client, contents, 'Redis-written file');
    // The file really holds every encoding (Redis writes what it has in memory).
    const encodings = new Set<string>();
    for (const db of contents.databases.values()) {
      for (const e of db.values()) if (typeof e.value !== 'string') encodings.add(`${e.value.type}:${(e.value as Collection).encoding()}`);
    }
    expect([...encodings].sort()).toEqual(['hash:hashtable', 'hash:listpack', 'list:quicklist', 'set:hashtable', 'set:intset', 'zset:listpack', 'zset:skiplist']);
    expect(contents.databases.get(0)?.get('list:plain')?.value).toBeDefined();
  });

  it('reads what Redis saves without compression and without checksum', async () => {
    // rdbchecksum cannot change at run time: a server of its own.
    const plain = await startOracle([...serverArgs, '--rdbchecksum', 'no', '--rdbcompression', 'no']);
    const c = await RawClient.connect(plain.port);
    try {
      for (const spec of specs) {
        await c.call('SELECT', String(spec.db));
        await runAll(c, commandsFor(spec));
      }
      expect(await c.call('SAVE')).toBe('OK');
      const file = readFileSync(join(plain.dir, 'dump.rdb'));
      expect(file.readBigUInt64LE(file.length - 8)).toBe(0n);
      expect(file.includes(Buffer.from('abcdefgh'.repeat(600), 'latin1'))).toBe(true);
      expect(await c.call('DEBUG', 'RELOAD')).toBe('OK');
      await expectServerHolds(c, readRdb(file, { limits: SMALL_LIMITS }), 'uncompressed file');
    } finally {
      c.close();
      await plain.stop();
    }
  });

  it('makes the DUMP payloads Redis makes, and each side RESTOREs the other', async () => {
    const encoder = { listMaxListpackSize: LIST_FILL };
    let compared = 0;
    const all: KeySpec[] = [...specs, { db: 0, key: 'list:plain', value: { type: 'list', items: PLAIN_LIST } }];
    for (const spec of all) {
      await client.call('SELECT', String(spec.db));
      const value = buildValue(spec.value, SMALL_LIMITS);
      const ours = createDumpPayload(value, spec.key === 'list:plain' ? { ...encoder, listPackedThreshold: PLAIN_THRESHOLD } : encoder);
      const theirs = Buffer.from((await client.call('DUMP', spec.key)) as string, 'latin1');
      // Hash tables iterate in an order of their own; everything else is deterministic.
      const deterministic = typeof value === 'string' || !['set:hashtable', 'hash:hashtable'].includes(`${value.type}:${value.encoding()}`);
      if (deterministic) {
        expect(ours.toString('hex'), `DUMP ${spec.key.slice(0, 40)}`).toBe(theirs.toString('hex'));
        compared++;
      }
      expect(modelOf(decodeDumpPayload(theirs, SMALL_LIMITS) as Value), `their DUMP of ${spec.key.slice(0, 40)}`).toEqual(modelOf(value));
      expect(await client.call('RESTORE', 'restored', '0', ours.toString('latin1'), 'REPLACE')).toBe('OK');
      expect(await modelFromRedis(client, 'restored'), `RESTORE of ${spec.key.slice(0, 40)}`).toEqual(modelOf(value));
      if (typeof value !== 'string') expect(await client.call('OBJECT', 'ENCODING', 'restored')).toBe(value.encoding());
      await client.call('DEL', 'restored');
    }
    expect(compared).toBeGreaterThan(all.length * 0.8);
  });

  it('compresses strings and splits lists into nodes exactly as Redis does', async () => {
    const rnd = prng(7);
    const text = (length: number, alphabet: number): string =>
      Array.from({ length }, () => String.fromCharCode(97 + Math.floor(rnd() * alphabet))).join('');
    await client.call('SELECT', '0');
    // Strings of every compressibility, from barely over 20 bytes to several KB.
    const strings = Array.from({ length: 150 }, (_, i) => text(21 + Math.floor(rnd() * (i < 50 ? 100 : 5000)), 1 + Math.floor(rnd() * 24)));
    for (const [i, s] of strings.entries()) client.send('SET', `lzf:${i}`, s);
    for (const [i] of strings.entries()) client.send('DUMP', `lzf:${i}`);
    for (const _ of strings) await client.read();
    for (const [i, s] of strings.entries()) {
      const theirs = (await client.read()) as string;
      expect(createDumpPayload(s).toString('hex'), `string ${i} of ${s.length} bytes`).toBe(Buffer.from(theirs, 'latin1').toString('hex'));
    }
    // Lists under size-limited and count-limited nodes.
    for (const fill of [-2, -1, 3, 100]) {
      await client.call('CONFIG', 'SET', 'list-max-listpack-size', String(fill));
      for (let n = 0; n < 6; n++) {
        const items = Array.from({ length: Math.floor(rnd() * 1500) + 1 }, (_, i) =>
          rnd() < 0.3 ? String(Math.floor(rnd() * 2 ** 40) - 2 ** 39) : text(Math.floor(rnd() * 120), 3) + i);
        await client.call('DEL', 'lzf:list');
        await runAll(client, commandsFor({ db: 0, key: 'lzf:list', value: { type: 'list', items } }));
        const theirs = Buffer.from((await client.call('DUMP', 'lzf:list')) as string, 'latin1');
        const ours = createDumpPayload(List.from(items), { listMaxListpackSize: fill });
        expect(ours.toString('hex'), `list of ${items.length} with fill ${fill}`).toBe(theirs.toString('hex'));
      }
    }
    await client.call('CONFIG', 'SET', 'list-max-listpack-size', String(LIST_FILL));
    await client.call('DEL', 'lzf:list', ...strings.map((_, i) => `lzf:${i}`));
  });

  it('writes files redis-check-rdb accepts and Redis loads as the same dataset', async () => {
    const databases = databasesOf([...specs, { db: 0, key: 'list:plain', value: { type: 'list', items: PLAIN_LIST } }], SMALL_LIMITS);
    for (const options of [{ compression: true, checksum: true }, { compression: false, checksum: false }]) {
      const name = `ours-${options.compression}.rdb`;
      writeFileSync(join(scratch, name), encodeRdb(databases, { ...options, listMaxListpackSize: LIST_FILL, listPackedThreshold: PLAIN_THRESHOLD }));
      const report = checkRdb(join(scratch, name));
      expect(report).toContain(options.checksum ? 'Checksum OK' : 'RDB file was saved with checksum disabled');
      const loaded = await startLoading(name, scratch, [...limitArgs(SMALL_LIMITS, LIST_FILL), '--sanitize-dump-payload', 'yes']);
      const c = await RawClient.connect(loaded.port);
      try {
        // Compare against our own reading of the file, itself checked against the datasets.
        const contents = readRdb(readFileSync(join(scratch, name)), { limits: SMALL_LIMITS });
        for (const db of databases) {
          for (const [key, value] of db.dict) {
            const entry = contents.databases.get(db.id)?.get(key);
            expect(modelOf(entry?.value as Value)).toEqual(modelOf(value));
            expect(entry?.expireAt).toBe(db.expires.get(key) ?? -1);
          }
        }
        await expectServerHolds(c, contents, `our file (${JSON.stringify(options)})`);
      } finally {
        c.close();
        await loaded.stop();
      }
    }
  });

  it('writes the LRU idle time and LFU counter Redis restores', async () => {
    const writer = new RdbWriter();
    writer.header();
    writer.selectDb(0, 2, 0);
    writer.key('idle', 'a', { idleSeconds: 5000, lfuFreq: 7 });
    writer.key('busy', 'b', { idleSeconds: 0, lfuFreq: 200 });
    writeFileSync(join(scratch, 'access.rdb'), Buffer.concat([writer.flush(), writer.end()]));
    checkRdb(join(scratch, 'access.rdb'));
    for (const policy of ['allkeys-lru', 'allkeys-lfu']) {
      const loaded = await startLoading('access.rdb', scratch, ['--maxmemory-policy', policy]);
      const c = await RawClient.connect(loaded.port);
      try {
        if (policy === 'allkeys-lru') {
          const idle = (await c.call('OBJECT', 'IDLETIME', 'idle')) as number;
          expect(idle).toBeGreaterThanOrEqual(5000);
          expect(idle).toBeLessThan(5100);
          expect(await c.call('OBJECT', 'IDLETIME', 'busy')).toBeLessThan(100);
        } else {
          expect(await c.call('OBJECT', 'FREQ', 'idle')).toBe(7);
          expect(await c.call('OBJECT', 'FREQ', 'busy')).toBe(200);
        }
      } finally {
        c.close();
        await loaded.stop();
      }
    }
  });

  it('reads a file in older formats (zipmap, ziplists, quicklist v1, text scores) as Redis 7.0 loads it', async () => {
    const name = 'old-formats.rdb';
    const file = oldFormatsRdb();
    writeFileSync(join(scratch, name), file);
    const contents = readRdb(file, { limits: DEFAULT_ENCODING_LIMITS });
    const loaded = await startLoading(name, scratch);
    const c = await RawClient.connect(loaded.port);
    try {
      await expectServerHolds(c, contents, name);
    } finally {
      c.close();
      await loaded.stop();
    }
  });
});
