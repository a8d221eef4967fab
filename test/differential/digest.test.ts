import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, mismatches, runBoth, type Step } from '../helpers/differential.js';
import { prng } from '../helpers/collection-fuzz.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));
/** n score/member pairs, flat as ZADD takes them. */
const zpairs = (n: number, f: (i: number) => [string, string]): string[] => Array.from({ length: n }, (_, i) => f(i)).flat();

/** Scores whose %.17g text is easy to get wrong: signed zero, infinities, extremes, 17 digits, exact ties. */
const SCORES = [
  '1.5', '-0', '0', 'inf', '-inf', '+inf', '1e-300', '-1e-300', '0.1', '0.30000000000000004', '3.3333333333333335',
  '12345678901234567', '12345678901234568', '1e17', '123456789012345.5', '1.7976931348623157e308', '5e-324',
  '2.2250738585072014e-308', '0.0001', '0.00001', '-2.5', '100', '1e16', '9007199254740993',
  // Halfway between two 17-digit decimals: C rounds these to even.
  '0.100009918212890625', '0.100002288818359375', '1.07288360595703125e-05',
];

/** Builds, in the selected database, one key of every type and encoding, with `tag` in every key name. */
function everyTypeSteps(tag: string): Step[] {
  const k = (name: string): string => `${name}:${tag}`;
  const scorePairs = SCORES.flatMap((s, i) => [s, `m${i}`]);
  return [
    // Strings: int, embstr, raw, empty, binary, integer-like texts that are not ints.
    ['SET', k('str'), 'hello'],
    ['SET', k('int'), '12345'],
    ['SET', k('negint'), '-9223372036854775808'],
    ['SET', k('bigint'), '9223372036854775808'],
    ['SET', k('lead0'), '007'],
    ['SET', k('minus0'), '-0'],
    ['SET', k('float'), '1.5'],
    ['SET', k('empty'), ''],
    ['SET', k('raw'), 'r'.repeat(100)],
    ['SET', k('bin'), 'a\x00b\xff\r\n\x80'],
    ['SET', k('counter'), '10'],
    ['INCRBY', k('counter'), '-25'],
    ['APPEND', k('appended'), '123'],
    ['SETRANGE', k('ranged'), '3', 'xyz'],
    // Lists, small and large, with integer-like and binary elements.
    ['RPUSH', k('list'), 'a', '1', '-0', '', 'x\x00y', '\xff'],
    ['LPUSH', k('list'), 'head'],
    ['RPUSH', k('biglist'), ...range(1000, (i) => (i % 3 === 0 ? String(i) : `elem-${i}`))],
    ['RPUSH', k('hugeelem'), 'h'.repeat(10000), 'small'],
    // Sets: intset, intset grown to a hashtable, hashtable of strings, binary members.
    ['SADD', k('intset'), '3', '1', '-2', '9223372036854775807', '-9223372036854775808'],
    ['SADD', k('bigintset'), ...range(600, (i) => String(i * 7 - 1000))],
    ['SADD', k('mixedset'), '1', '2', '3'],
    ['SADD', k('mixedset'), 'x'],
    ['SADD', k('strset'), 'a', 'b', '', 'x\x00y', '\xff\xfe', '01', '1.0'],
    ['SADD', k('bigstrset'), ...range(300, (i) => `member-${i}`)],
    // Sorted sets: listpack, skiplist by count and by member length, -0 in each.
    ['ZADD', k('zset'), ...scorePairs],
    ['ZADD', k('zsmall'), '1', 'a', '1', 'b', '2', '10', '-1', '-5', '0', 'x\x00y'],
    ['ZADD', k('zbig'), ...scorePairs, ...zpairs(200, (i) => (i % 2 === 0 ? [String(i / 3), `z${i}`] : [String(-i), String(i)]))],
    ['ZADD', k('zlongmember'), '1.5', 'l'.repeat(100), '-0', 'short'],
    ['ZADD', k('zconverted'), '-0', 'was-listpack', '2.5', 'b'],
    ['ZADD', k('zconverted'), ...zpairs(200, (i) => [String(i), `c${i}`])],
    ['ZINCRBY', k('zset'), '0.1', 'm0'],
    // Hashes: listpack, hashtable by count and by value length, integer and binary fields.
    ['HSET', k('hash'), 'f', 'v', '1', '2', '', 'empty', 'x\x00y', '\xff', 'num', '-0'],
    ['HSET', k('bighash'), ...range(300, (i) => (i % 2 === 0 ? `field-${i >> 1}` : String(i)))],
    ['HSET', k('longval'), 'f', 'v'.repeat(100), 'g', '1'],
    ['HINCRBY', k('hash'), 'counter', '5'],
    ['HINCRBYFLOAT', k('hash'), 'fl', '0.1'],
    // Binary key names.
    ['SET', `\x00\xff${tag}\r\n`, 'binary key'],
    ['SADD', `\x01${tag}`, 'z'],
    // TTLs on every type: only their presence counts.
    ['SET', k('ttlstr'), 'v', 'EX', '100000'],
    ['RPUSH', k('ttllist'), 'a', 'b'],
    ['PEXPIRE', k('ttllist'), '99999999'],
    ['SADD', k('ttlset'), '1', 'x'],
    ['EXPIREAT', k('ttlset'), '4000000000'],
    ['ZADD', k('ttlzset'), '1', 'a'],
    ['EXPIRE', k('ttlzset'), '100000'],
    ['HSET', k('ttlhash'), 'f', 'v'],
    ['PEXPIREAT', k('ttlhash'), '4000000000000'],
    ['SET', k('persisted'), 'v', 'EX', '100000'],
    ['PERSIST', k('persisted')],
  ];
}

/** Every key everyTypeSteps creates for `tag`, plus ones that do not exist. */
function everyTypeKeys(tag: string): string[] {
  const names = [
    'str', 'int', 'negint', 'bigint', 'lead0', 'minus0', 'float', 'empty', 'raw', 'bin', 'counter', 'appended', 'ranged',
    'list', 'biglist', 'hugeelem', 'intset', 'bigintset', 'mixedset', 'strset', 'bigstrset', 'zset', 'zsmall', 'zbig',
    'zlongmember', 'zconverted', 'hash', 'bighash', 'longval', 'ttlstr', 'ttllist', 'ttlset', 'ttlzset', 'ttlhash', 'persisted',
    'missing',
  ];
  return [...names.map((n) => `${n}:${tag}`), `\x00\xff${tag}\r\n`, `\x01${tag}`, 'nosuchkey'];
}

describe.skipIf(!hasOracle)('differential: DEBUG DIGEST and DEBUG DIGEST-VALUE', () => {
  const servers = differentialPair({ redis: ['--enable-debug-command', 'yes'] });

  it('an empty dataset, missing keys and argument errors', async () => {
    await servers.same([
      ['FLUSHALL'],
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'DIGEST-VALUE'],
      ['DEBUG', 'DIGEST-VALUE', 'nokey', 'other'],
      ['DEBUG', 'digest', 'extra'],
      ['DEBUG', 'Digest-Value', 'nokey'],
      ['SET', 'k', 'v'],
      ['DEL', 'k'],
      // A database emptied by DEL adds nothing.
      ['DEBUG', 'DIGEST'],
      ['SELECT', '2'],
      ['SET', 'k', 'v'],
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'DIGEST-VALUE', 'k', 'nokey', 'k'],
      ['FLUSHALL'],
      ['DEBUG', 'DIGEST'],
      ['SELECT', '0'],
    ]);
  });

  it('DEBUG HELP lists DIGEST and DIGEST-VALUE with Redis text', async () => {
    const a = await RawClient.connect(servers.nodis.port);
    const b = await RawClient.connect(servers.redis.port);
    try {
      const ours = (await a.call('DEBUG', 'HELP')) as string[];
      const theirs = (await b.call('DEBUG', 'HELP')) as string[];
      for (const [name, lines] of [
        ['DIGEST', 2],
        ['DIGEST-VALUE <key> [<key> ...]', 2],
        ['PROTOCOL <type>', 4],
      ] as const) {
        const i = theirs.indexOf(name);
        expect(i).toBeGreaterThan(0);
        expect(ours.slice(ours.indexOf(name), ours.indexOf(name) + lines)).toEqual(theirs.slice(i, i + lines));
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('every type and encoding, in several databases: digests and encodings match', async () => {
    const steps: Step[] = [['FLUSHALL']];
    const dbs = ['0', '1', '9', '15'];
    for (const db of dbs) {
      steps.push(['SELECT', db], ...everyTypeSteps('t'), ...everyTypeSteps(`db${db}`));
    }
    // Database 1 gets one key fewer, so databases differ by more than their number.
    steps.push(['SELECT', '1'], ['DEL', 'str:t']);
    const results = await servers.run(steps);
    expect(mismatches(results)).toEqual([]);

    const checks: Step[] = [['DEBUG', 'DIGEST']];
    for (const db of dbs) {
      const keys = [...everyTypeKeys('t'), ...everyTypeKeys(`db${db}`)];
      checks.push(['SELECT', db], ['DEBUG', 'DIGEST-VALUE', ...keys]);
      // The encodings are Redis's, so every encoding's digest path is covered. (A string
      // SETRANGE creates is raw in Redis whatever its length; nodis reports by content.)
      for (const key of keys) if (!key.startsWith('ranged:')) checks.push(['OBJECT', 'ENCODING', key]);
    }
    checks.push(['SELECT', '0']);
    const compared = await servers.run(checks);
    expect(mismatches(compared)).toEqual([]);
    // The datasets are not trivially empty.
    expect(compared[0]?.redis).not.toBe('+0000000000000000000000000000000000000000\r\n');
  });

  it('changes follow: a moved database, swapped databases, a TTL removed, an element changed', async () => {
    await servers.same([
      ['FLUSHALL'],
      ['SELECT', '3'],
      ...everyTypeSteps('m'),
      ['DEBUG', 'DIGEST'],
      ['SWAPDB', '3', '4'],
      ['DEBUG', 'DIGEST'],
      ['SELECT', '4'],
      ['DEBUG', 'DIGEST-VALUE', ...everyTypeKeys('m')],
      ['PERSIST', 'ttlstr:m'],
      ['DEBUG', 'DIGEST-VALUE', 'ttlstr:m'],
      ['DEBUG', 'DIGEST'],
      ['LSET', 'list:m', '0', 'changed'],
      ['ZADD', 'zset:m', '2', 'm0'],
      ['HDEL', 'hash:m', 'f'],
      ['SREM', 'intset:m', '1'],
      ['DEBUG', 'DIGEST-VALUE', 'list:m', 'zset:m', 'hash:m', 'intset:m'],
      ['DEBUG', 'DIGEST'],
      // Scores printed with %.17g, exact ties included.
      ...SCORES.map((_, i): Step => ['ZSCORE', 'zset:m', `m${i}`]),
      ['SELECT', '0'],
    ]);
  });

  it('a seeded random dataset gives the same digests', async () => {
    for (const seed of [7, 1234, 987654]) {
      const commands = randomDataset(seed);
      const a = await RawClient.connect(servers.nodis.port);
      const b = await RawClient.connect(servers.redis.port);
      try {
        for (const client of [a, b]) {
          client.send('FLUSHALL');
          for (const argv of commands) client.send(...argv);
        }
        for (let i = 0; i <= commands.length; i++) {
          const [ra, rb] = await Promise.all([a.readRaw(), b.readRaw()]);
          expect([seed, i, commands[i - 1], ra]).toEqual([seed, i, commands[i - 1], rb]);
        }
      } finally {
        a.close();
        b.close();
      }
      const checks: Step[] = [['DEBUG', 'DIGEST']];
      for (let db = 0; db < RANDOM_DBS; db++) checks.push(['SELECT', String(db)], ['DEBUG', 'DIGEST-VALUE', ...RANDOM_KEYS]);
      checks.push(['SELECT', '0']);
      const results = await runBoth(servers.nodis.port, servers.redis.port, checks);
      expect([seed, mismatches(results)]).toEqual([seed, []]);
    }
  });
});

const RANDOM_DBS = 4;
const RANDOM_KEYS = [...range(40, (i) => `key${i}`), '\x00', '\xff\xfe', 'a b', ''];
const RANDOM_TEXTS = ['a', 'bb', '1', '-1', '0', '-0', '10', '007', '1.5', '', 'x\x00y', '\xff\xfe\r\n', '9223372036854775807', '9223372036854775808', 'long'.repeat(20)];

/**
 * Commands building a dataset from `seed`: every type, sizes on both sides of the encoding
 * limits, scores from SCORES and random doubles, TTLs far in the future, and changes to what
 * was built. Only commands whose effect is the same on both servers (no random pops).
 */
function randomDataset(seed: number): string[][] {
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const text = (): string => (rnd() < 0.4 ? String(int(2000) - 1000) : rnd() < 0.8 ? `t${int(500)}` : pick(RANDOM_TEXTS));
  const score = (): string => {
    const r = rnd();
    if (r < 0.3) return pick(SCORES);
    if (r < 0.6) return String(int(200) - 100);
    return String((rnd() - 0.5) * 10 ** (int(40) - 20));
  };
  const size = (): number => (rnd() < 0.7 ? 1 + int(10) : 100 + int(600));
  const commands: string[][] = [];
  for (let i = 0; i < 400; i++) {
    if (rnd() < 0.05) commands.push(['SELECT', String(int(RANDOM_DBS))]);
    const key = pick(RANDOM_KEYS);
    switch (int(12)) {
      case 0: commands.push(['SET', key, text()]); break;
      case 1: commands.push(['RPUSH', key, ...range(size(), text)]); break;
      case 2: commands.push(['SADD', key, ...range(size(), () => (rnd() < 0.9 ? String(int(100000) - 50000) : text()))]); break;
      case 3: commands.push(['SADD', key, ...range(size(), text)]); break;
      case 4: commands.push(['ZADD', key, ...zpairs(size(), () => [score(), text()])]); break;
      case 5: commands.push(['HSET', key, ...range(size() * 2, text)]); break;
      case 6: commands.push([pick(['EXPIRE', 'PEXPIRE']), key, String(100000 + int(1000000))]); break;
      case 7: commands.push(['PERSIST', key]); break;
      case 8: commands.push(['DEL', key]); break;
      case 9: commands.push(pick([['LREM', key, '0', text()], ['SREM', key, text()], ['ZREM', key, text()], ['HDEL', key, text()]])); break;
      case 10: commands.push(pick([['ZINCRBY', key, score(), text()], ['HINCRBY', key, text(), '3'], ['INCR', key], ['APPEND', key, text()]])); break;
      default: commands.push(pick([['LPUSH', key, text()], ['LSET', key, String(int(5)), text()], ['LTRIM', key, '1', '-2'], ['MOVE', key, String(int(RANDOM_DBS))]])); break;
    }
  }
  return commands;
}
