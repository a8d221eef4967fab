import { describe, expect, it } from 'vitest';
import { Database, type KeyspaceHooks, type KeyspaceStats } from '../../src/keyspace/database.js';
import { datasetDigest, valueDigest } from '../../src/keyspace/digest.js';
import { HashValue } from '../../src/types/hash.js';
import { List } from '../../src/types/list.js';
import { SetValue } from '../../src/types/set.js';
import { ZSet } from '../../src/types/zset.js';

const hooks: KeyspaceHooks = { keyModified() {}, keyExpired() {}, valueOverwritten() {}, keyEvicted() {}, notify() {}, loading: false };
const stats = (): KeyspaceStats => ({ hits: 0, misses: 0, expiredKeys: 0, expiredStalePerc: 0, expiredTimeCapReached: 0, evictedKeys: 0, evictionExceededUs: 0, evictionExceededSince: 0 });
const databases = (count: number): Database[] => Array.from({ length: count }, (_, i) => new Database(i, hooks, stats()));

const ZSET_LIMITS = { maxEntries: 128, maxValue: 64 };

function zset(pairs: [number, string][]): ZSet {
  const z = new ZSet();
  for (const [score, member] of pairs) z.set(member, score, ZSET_LIMITS);
  return z;
}

function set(members: string[]): SetValue {
  const s = new SetValue();
  for (const m of members) s.add(m, 512);
  return s;
}

function hash(pairs: [string, string][]): HashValue {
  const h = new HashValue();
  for (const [f, v] of pairs) h.set(f, v, 128, 64);
  return h;
}

const hex = (b: Buffer): string => b.toString('hex');
const ZEROS = '0'.repeat(40);

// Expected digests are real Redis 7.0.15's DEBUG DIGEST / DIGEST-VALUE for the same data.
describe('dataset digest', () => {
  it('is all zeros for an empty dataset and for missing keys', () => {
    const dbs = databases(16);
    expect(hex(datasetDigest(dbs))).toBe(ZEROS);
    expect(hex(valueDigest(dbs[0] as Database, 'nokey'))).toBe(ZEROS);
  });

  it('matches Redis for every type, a TTL and a second database', () => {
    const dbs = databases(16);
    const db0 = dbs[0] as Database;
    const db3 = dbs[3] as Database;
    db0.dict.set('z', zset([[-0, 'a'], [1.5, 'b']]));
    db0.dict.set('s', 'hello');
    db0.dict.set('n', '12345');
    db0.dict.set('l', List.from(['a', 'b', 'c']));
    db0.dict.set('st', set(['1', '2', '3']));
    db0.dict.set('h', hash([['f', 'v'], ['g', 'w']]));
    db3.dict.set('x', 'y');
    db3.expires.set('x', Date.now() + 1_000_000);

    expect(['z', 's', 'n', 'l', 'st', 'h', 'nokey'].map((k) => hex(valueDigest(db0, k)))).toEqual([
      '988b315f65b457937e4b91a1ad9f0a73e83dedc3',
      '36b23a1456b2dce2c3ed252c456761301dba8060',
      'e1cf90774e995ae03de66e8109dc5cb9d9c2dc83',
      '8bf72d812571eea9b927f3c11beb0c4165a6ff89',
      '2a462a3f51a1db89738ebbeef0c47ce1bbc85246',
      'd127864ed50239662bf61bafc9bda63c17da5b37',
      ZEROS,
    ]);
    expect(hex(valueDigest(db3, 'x'))).toBe('bb67146283c35b8da65d36f614b8206b0909634f');
    expect(hex(datasetDigest(dbs))).toBe('7b0a67f41a4cd538c706669d2c9a493e2c708806');
  });

  it('matches Redis for large encodings, -0 in a skiplist and binary keys', () => {
    const dbs = databases(16);
    const db0 = dbs[0] as Database;
    const zneg = zset(Array.from({ length: 128 }, (_, i): [number, string] => [i, `m${i}`]));
    zneg.set('neg', -0, ZSET_LIMITS);
    expect(zneg.encoding()).toBe('skiplist');
    db0.dict.set('zneg', zneg);
    const big = set(Array.from({ length: 600 }, (_, i) => String(i)));
    expect(big.encoding()).toBe('hashtable');
    db0.dict.set('big', big);
    db0.dict.set('\x00\xff', '\x80');
    db0.dict.set('ll', List.from(['a', '', '1']));
    db0.dict.set('hh', hash([['1', '2']]));
    db0.expires.set('hh', Date.now() + 1_000_000);

    expect(['zneg', 'big', '\x00\xff', 'll', 'hh'].map((k) => hex(valueDigest(db0, k)))).toEqual([
      'a2e5b1bbb85729b5ee36413a1791bad77db89bea',
      '04d81c0962ffde34acf89d01fe2057bd59abc03f',
      '411926556667ef443619332da04793e870c1e02f',
      'a50cd5dc02db5de5853eb4c844dbbecb74e451a5',
      'adb30f39c73234fb5ecf3d5d9927bf7245c53ce9',
    ]);
    expect(hex(datasetDigest(dbs))).toBe('57409f93fdabf48fdbef49e367be919db104c26c');
  });

  it('does not depend on the order keys, members or fields were added, but on list order', () => {
    const a = databases(2);
    const b = databases(2);
    (a[1] as Database).dict.set('k1', set(['x', 'y', 'z']));
    (a[1] as Database).dict.set('k2', hash([['f', '1'], ['g', '2']]));
    (b[1] as Database).dict.set('k2', hash([['g', '2'], ['f', '1']]));
    (b[1] as Database).dict.set('k1', set(['z', 'y', 'x']));
    expect(hex(datasetDigest(a))).toBe(hex(datasetDigest(b)));
    (a[0] as Database).dict.set('l', List.from(['1', '2']));
    (b[0] as Database).dict.set('l', List.from(['2', '1']));
    expect(hex(datasetDigest(a))).not.toBe(hex(datasetDigest(b)));
  });
});
