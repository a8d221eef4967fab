import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mismatches, runBoth, type Step } from '../helpers/differential.js';
import { startNodisProcess, type NodisProcess } from '../helpers/nodis-process.js';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

/** Keys with the characters glob patterns treat specially, case variants and high bytes. */
const KEYS = [
  '', 'a', 'A', 'b', 'B', 'z', 'Z', '_', 'ab', 'aB', 'Ab', 'ba', 'aa', 'abc', 'a-b', ']', '[', '-', '^', '!', '\\', '*', '?',
  '[a]', 'a]', 'a-', '\\a', 'a\\', '\xff', '\x80', '\x7f', '\x00', 'a\xffb', '\xe9t\xe9', 'key', 'kEy', 'k\x00y', 'maxmemory',
];

const TRICKY_PATTERNS = [
  '*', '**', '?', '??', '*?', '?*', '', 'a', 'A', '[a]', '[A]', '[^a]', '[!a]', '[ab]', '[a-b]', '[b-a]', '[a-]', '[-a]', '[]]',
  '[]', '[', '[^', '[^]', 'a[', '[a', '[ab', '[a-', '[a-\xff]', '[\xff-a]', '[\x80-\xff]', '[\x00-\x7f]', '[\\]]', '[\\', '[\\a]',
  '[a\\]', '\\', '\\\\', '\\*', '\\?', '\\[', 'a\\', '*\\', '*[', '*]', '*-*', '[*]', '[?]', '[[]', '[\\-]', '[a-b-c]', '[Z-a]',
  '[z-A]', '[^-]', '[^^]', '[^\\]]', 'a*', '*a', '*a*', 'a*b', '*b*', '?b', '*\xff*', '*[\xff]', '[^\x00-\x7f]*', 'k*y', 'k?y',
  'k[^a-z]y', 'k[\\x00]y', '*[^a-z]*', '[a-z][a-z]', '*[]*', 'a[]b', '[]a]', '[]-a]', 'a[^]', '*[^',
];

/** Patterns drawn (with a fixed seed) from the characters that matter to the matcher. */
const GENERATED_PATTERNS = fc.sample(
  fc.string({ unit: fc.constantFrom('a', 'b', 'A', '*', '?', '[', ']', '^', '-', '\\', '\xff', '\x80', 'z'), minLength: 1, maxLength: 7 }),
  { seed: 7, numRuns: 300 },
);

describe.skipIf(!hasOracle)('differential: glob patterns (KEYS, SCAN, PSUBSCRIBE, CONFIG GET, COMMAND LIST)', () => {
  // nodis runs as a child process: a pattern that made it loop would block an in-process server
  // and this test's timers with it; out of process the test fails on a read timeout instead.
  let nodis: NodisProcess | undefined;
  let redis: Oracle | undefined;
  beforeAll(async () => {
    [nodis, redis] = await Promise.all([startNodisProcess(), startOracle()]);
  });
  afterAll(async () => {
    await Promise.all([nodis?.stop(), redis?.stop()]);
  });

  async function same(steps: Step[]): Promise<void> {
    if (nodis === undefined || redis === undefined) throw new Error('the servers start in beforeAll');
    expect(mismatches(await runBoth(nodis.port, redis.port, steps))).toEqual([]);
  }

  it('answers patterns with many stars at once (CVE-2022-36021, CVE-2024-31228)', async () => {
    const long = 'a'.repeat(50_000);
    await same([
      ['FLUSHALL'], ['SET', 'a'.repeat(40), '1'], ['SET', long, '1'], ['SET', 'a'.repeat(3000) + 'b', '1'],
      { sorted: ['KEYS', 'a*'.repeat(20) + 'b'] },
      { sorted: ['KEYS', 'a*'.repeat(200) + 'c'] },
      { sorted: ['KEYS', '*a'.repeat(500) + '*c'] },
      { sorted: ['KEYS', '*?'.repeat(50_000)] },
      { sorted: ['KEYS', '*a'.repeat(1000)] },
      { sorted: ['KEYS', '*a'.repeat(1001)] },
      { sorted: ['KEYS', '*[a-z]'.repeat(300) + '*[^a-z]'] },
      ['SCAN', '0', 'MATCH', 'a*'.repeat(30) + 'b*c', 'COUNT', '100'],
      ['HSET', 'h', 'a'.repeat(60), 'v'], ['HSCAN', 'h', '0', 'MATCH', 'a*'.repeat(30) + 'b'],
    ]);
  });

  it('delivers to patterns with many stars at once', async () => {
    if (nodis === undefined || redis === undefined) throw new Error('the servers start in beforeAll');
    const replies: string[][] = [];
    for (const port of [nodis.port, redis.port]) {
      const subscriber = await RawClient.connect(port);
      const publisher = await RawClient.connect(port);
      try {
        const got = [await subscriber.callRaw('PSUBSCRIBE', 'a*'.repeat(25) + 'b', '*a'.repeat(1001), '?*'.repeat(40) + '*')];
        got.push(await subscriber.readRaw(), await subscriber.readRaw());
        got.push(await publisher.callRaw('PUBLISH', 'a'.repeat(50), 'm'));
        got.push(await publisher.callRaw('PUBLISH', 'a'.repeat(30), 'm'));
        replies.push(got);
      } finally {
        subscriber.close();
        publisher.close();
      }
    }
    expect(replies[0]).toEqual(replies[1]);
  });

  it('matches tricky patterns as Redis does', async () => {
    const steps: Step[] = [['FLUSHALL'], ...KEYS.map((k): Step => ['SET', k, 'v'])];
    for (const pattern of [...TRICKY_PATTERNS, ...GENERATED_PATTERNS]) steps.push({ sorted: ['KEYS', pattern] });
    await same(steps);
  });

  it('takes a lone * as every element in SCAN MATCH, even the empty one', async () => {
    await same([
      ['FLUSHALL'], ['SET', '', 'v'],
      ['SCAN', '0', 'MATCH', '*'], ['SCAN', '0', 'MATCH', '**'], ['SCAN', '0', 'MATCH', '?*'],
      ['HSET', 'h', '', 'v'], ['HSCAN', 'h', '0', 'MATCH', '*'], ['HSCAN', 'h', '0', 'MATCH', '**'],
      ['SADD', 's', ''], ['SSCAN', 's', '0', 'MATCH', '*'], ['SSCAN', 's', '0', 'MATCH', '**'],
      ['ZADD', 'z', '1', ''], ['ZSCAN', 'z', '0', 'MATCH', '*'], ['ZSCAN', 'z', '0', 'MATCH', '**'],
    ]);
  });

  it('ignores case in CONFIG GET and COMMAND LIST patterns, but not for an escaped character inside []', async () => {
    const steps: Step[] = [];
    // Each pattern can only match maxmemory (or get), names both servers have.
    for (const pattern of [
      'maxmemor?', 'MAXMEMOR?', '[M]axmemor?', '[\\M]axmemor?', '[\\m]axmemor?', '\\Maxmemor?', 'maxmemor[X-Z]', 'maxmemor[y-Z]',
      'maxmemor[Z-y]', 'maxmemor[^a-x]', 'MaxMemor[Y]', 'maxmemor[\\Y]', 'maxmemory[', '[^a-l]axmemor?',
    ]) {
      steps.push(['CONFIG', 'GET', pattern]);
    }
    for (const pattern of ['g[E]t', 'g[\\E]t', 'g[\\e]t', 'G?T', 'ge[S-U]', 'ge[s-U]', '\\Get', '[^a-f]et']) {
      steps.push({ sorted: ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', pattern] });
    }
    await same(steps);
  });
});
