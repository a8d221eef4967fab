import { beforeEach, describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import type { RespValue } from '../helpers/resp.js';

const hasOracle = oracleAvailable();

/** Every combination of the ordering options with a few LIMITs, for one key. */
function combos(key: string, extra: string[] = []): Step[] {
  const steps: Step[] = [];
  const limits = [[], ['LIMIT', '0', '3'], ['LIMIT', '2', '4'], ['LIMIT', '-5', '2'], ['LIMIT', '1', '-1'], ['LIMIT', '100', '5'], ['LIMIT', '3', '0']];
  for (const order of [[], ['ASC'], ['DESC']]) {
    for (const alpha of [[], ['ALPHA']]) {
      for (const limit of limits) steps.push(['SORT', key, ...extra, ...order, ...alpha, ...limit]);
    }
  }
  return steps;
}

/** A deterministic pseudo-random sequence (tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe.skipIf(!hasOracle)('differential: SORT and SORT_RO', () => {
  const servers = differentialPair();
  beforeEach(async () => {
    await servers.run([['FLUSHALL']]);
  });

  // HELLO's reply holds the connection id, which differs between the servers.
  const maskId = (raw: string) => raw.replace(/(\$2\r\nid\r\n:)\d+/, '$1?');

  async function check(steps: Step[]): Promise<void> {
    await servers.same(steps, maskId);
  }

  it('sorts lists numerically and alphabetically with every option', async () => {
    await check([
      ['RPUSH', 'n', '3', '1', '2', '10', '-5', '1.5', '1e3', '-0', '0', '+7', '.5', '10', '3'],
      ...combos('n'),
      ...combos('n', ['BY', 'nosort']),
      ['SORT_RO', 'n'], ['SORT_RO', 'n', 'DESC', 'LIMIT', '1', '3'], ['SORT_RO', 'n', 'ALPHA'],
      ['RPUSH', 'w', 'banana', 'apple', 'Cherry', 'apple', '', 'b', 'a\x00b', 'a\x00a', 'a', '\xff', '\x80', '\xc3\xa9', 'z'],
      ...combos('w', ['ALPHA']),
      ['SORT', 'w', 'ALPHA', 'STORE', 'dst'], ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 'w', 'ALPHA', 'DESC', 'STORE', 'dst'], ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 'w'], ['SORT', 'w', 'LIMIT', '0', '1'], ['SORT', 'w', 'BY', 'nosort', 'DESC'],
    ]);
  });

  it('reads weights as strtod does', async () => {
    await check([
      ['RPUSH', 'f', ' 5', '1', '', '0x10', '0x1.8p1', '0X1P1', '\t\n 7', '0xA.8', 'inf', '-inf', 'Infinity', '-0', '2.5e-308',
        '0x1p-1070', '1\x00abc', '\x00', '123456789012345678901234567890', '9007199254740993', '-1e308', '1e-5'],
      ['SORT', 'f'], ['SORT', 'f', 'DESC'], ['SORT', 'f', 'LIMIT', '3', '4'],
      ['RPUSH', 'bad1', '1', '5 '], ['SORT', 'bad1'],
      ['RPUSH', 'bad2', '1', '   '], ['SORT', 'bad2'],
      ['RPUSH', 'bad3', 'nan', '1'], ['SORT', 'bad3'], ['SORT', 'bad3', 'ALPHA'], ['SORT', 'bad3', 'BY', 'nosort'],
      ['RPUSH', 'bad4', '1e', '2'], ['SORT', 'bad4', 'LIMIT', '0', '1'], ['SORT', 'bad4', 'STORE', 'd'], ['EXISTS', 'd'],
      ['RPUSH', 'bad5', '0x', '1'], ['SORT', 'bad5'],
      ['RPUSH', 'bad6', '0x.p1', '1', '--1', '1..2'], ['SORT', 'bad6'],
    ]);
  });

  it('rejects overflowing and underflowing weights', async () => {
    // Redis never clears errno before strtod, so after an ERANGE it keeps failing on this
    // connection: each case runs on a connection of its own.
    for (const value of ['1e500', '-1e500', '1e-400', '1e-310', '4.9e-324', '0x1p99999', '0x1.00000000000001p-1070']) {
      await check([['DEL', 'r'], ['RPUSH', 'r', '1', value], ['SORT', 'r'], ['SORT', 'r', 'ALPHA']]);
    }
  });

  it('sorts sets and sorted sets', async () => {
    await check([
      ['SADD', 'si', '5', '3', '-1', '10', '100', '-20'],
      ...combos('si'),
      ['SORT', 'si', 'BY', 'nosort'], ['SORT', 'si', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2'],
      ['SADD', 'sh', 'pear', 'apple', 'fig', 'kiwi', 'date', 'lime', 'plum'],
      ...combos('sh', ['ALPHA']),
      { sorted: ['SORT', 'sh', 'BY', 'nosort'] },
      ['SORT', 'sh', 'BY', 'nosort', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'],
      ['SORT', 'sh', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '3', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'],
      ['SORT', 'sh', 'BY', 'nosort', 'STORE', 'd', 'GET', 'x_*'], ['LRANGE', 'd', '0', '-1'],
      ['SORT', 'sh'],
      ['ZADD', 'z', '3', 'c', '1', 'a', '2', 'b', '5', 'e', '4', 'd', '0', 'z'],
      ['OBJECT', 'ENCODING', 'z'],
      ...combos('z', ['ALPHA']),
      ['OBJECT', 'ENCODING', 'z'],
      ...combos('z', ['BY', 'nosort']),
      ['SORT', 'z'],
      ['ZADD', 'zn', '1', '30', '2', '10', '3', '20'],
      ['SORT_RO', 'zn', 'BY', 'nosort', 'LIMIT', '1', '1'], ['OBJECT', 'ENCODING', 'zn'],
      ['SORT', 'zn', 'BY', 'nosort', 'DESC', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'],
      ['SORT', 'zn', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1'],
    ]);
  });

  it('sorts by weights in strings and hash fields, and gets values', async () => {
    await check([
      ['RPUSH', 'ids', '1', '2', '3', '4', '5', '6'],
      ['MSET', 'w_1', '50', 'w_2', '10', 'w_3', '30', 'w_5', '10', 'w_6', 'x', 'n_1', 'one', 'n_2', 'two', 'n_4', 'four'],
      ['HSET', 'h_1', 'f', '3', 'name', 'uno'], ['HSET', 'h_2', 'f', '1'], ['HSET', 'h_3', 'f', '2', 'name', 'tres'],
      ['HSET', 'h_4', 'f', 'zz'], ['HSET', 'h_5', 'g', '1'], ['SET', 'h_6', 'str'],
      ['SORT', 'ids', 'BY', 'w_*'],
      ['SORT', 'ids', 'BY', 'w_*', 'ALPHA'], ['SORT', 'ids', 'BY', 'w_*', 'ALPHA', 'DESC'],
      ['SORT', 'ids', 'BY', 'w_*', 'ALPHA', 'LIMIT', '1', '3'], ['SORT', 'ids', 'BY', 'w_*', 'ALPHA', 'DESC', 'LIMIT', '0', '2'],
      ['SORT', 'ids', 'BY', 'h_*->f'], ['SORT', 'ids', 'BY', 'h_*->f', 'ALPHA'], ['SORT', 'ids', 'BY', 'h_*->f', 'ALPHA', 'DESC', 'LIMIT', '2', '2'],
      ['SORT', 'ids', 'BY', 'h_*->name', 'ALPHA'], ['SORT', 'ids', 'BY', 'h_*->nofield', 'ALPHA'],
      ['SORT', 'ids', 'BY', 'nokey_*'], ['SORT', 'ids', 'BY', 'nokey_*', 'DESC'], ['SORT', 'ids', 'BY', 'nokey_*', 'LIMIT', '1', '2'],
      ['SORT', 'ids', 'BY', 'nokey_*', 'ALPHA', 'LIMIT', '1', '2'],
      ['SORT', 'ids', 'GET', '#'], ['SORT', 'ids', 'GET', 'n_*'], ['SORT', 'ids', 'GET', '#', 'GET', 'n_*', 'GET', 'h_*->name'],
      ['SORT', 'ids', 'GET', 'nostar'], ['SORT', 'ids', 'GET', 'h_*->'], ['SORT', 'ids', 'GET', 'h_*'], ['SORT', 'ids', 'GET', 'n_*->f'],
      ['SORT', 'ids', 'BY', 'nosort', 'GET', 'n_*', 'DESC', 'LIMIT', '1', '3'],
      ['SORT', 'ids', 'BY', 'h_*->f', 'GET', '#', 'GET', 'w_*', 'LIMIT', '0', '3'],
      ['SORT', 'ids', 'BY', 'w_*', 'GET', 'n_*', 'STORE', 'dst'], ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 'ids', 'GET', 'n_*', 'GET', '#', 'STORE', 'dst'], ['LRANGE', 'dst', '0', '-1'],
      // A second BY does not undo the first one's "nosort".
      ['SORT', 'ids', 'BY', 'nosort', 'BY', 'w_*', 'DESC'], ['SORT', 'ids', 'BY', 'w_*', 'BY', 'nosort'],
      ['SORT', 'ids', 'BY', 'h_*->f', 'ALPHA', 'STORE', 'dst'], ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 'ids', 'BY', '#'], ['SORT', 'ids', 'BY', '#*'],
    ]);
  });

  it('breaks ties of ALPHA weights as Redis does, partial sorts included', async () => {
    const rnd = lcg(7);
    const steps: Step[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) {
      ids.push(String(i));
      // Few distinct weights and some missing ones: many ties.
      if (rnd() < 0.8) steps.push(['SET', `w_${i}`, String.fromCharCode(97 + Math.floor(rnd() * 4))]);
    }
    steps.push(['RPUSH', 'big', ...ids]);
    for (const [s, c] of [['0', '10'], ['5', '7'], ['50', '100'], ['290', '20'], ['0', '299'], ['1', '300'], ['299', '1'], ['0', '0'], ['400', '1']]) {
      steps.push(['SORT', 'big', 'BY', 'w_*', 'ALPHA', 'LIMIT', s as string, c as string]);
      steps.push(['SORT', 'big', 'BY', 'w_*', 'ALPHA', 'DESC', 'LIMIT', s as string, c as string]);
      steps.push(['SORT', 'big', 'BY', 'w_*', 'LIMIT', s as string, c as string]);
    }
    steps.push(['SORT', 'big', 'BY', 'w_*', 'ALPHA'], ['SORT', 'big', 'BY', 'w_*', 'ALPHA', 'DESC']);
    for (const n of [3, 6, 7, 8, 20, 40, 41, 42]) {
      steps.push(['DEL', 'small'], ['RPUSH', 'small', ...ids.slice(0, n)]);
      steps.push(['SORT', 'small', 'BY', 'w_*', 'ALPHA', 'LIMIT', '1', '2'], ['SORT', 'small', 'BY', 'w_*', 'ALPHA', 'DESC', 'LIMIT', '0', String(n - 1)]);
    }
    await check(steps);
  });

  it('breaks ties as the pqsort of Redis does when a partition finds everything in order', async () => {
    // Weights already ascending, ties on both sides of a unique middle one: the partition around
    // it swaps nothing, and Redis goes on partitioning each side (no insertion-sort shortcut as
    // in BSD's qsort), which reorders the ties.
    const steps: Step[] = [];
    const ids: string[] = [];
    const weights = 'aaaaaaaaaamzzzzzzzzz';
    for (let i = 0; i < weights.length; i++) {
      ids.push(`e${i}`);
      steps.push(['SET', `ow_e${i}`, weights.charAt(i)]);
    }
    steps.push(['DEL', 'ordered'], ['RPUSH', 'ordered', ...ids]);
    for (const [s, c] of [['0', '5'], ['0', '10'], ['3', '4'], ['11', '5'], ['12', '8']]) {
      steps.push(['SORT', 'ordered', 'BY', 'ow_*', 'ALPHA', 'LIMIT', s as string, c as string]);
      steps.push(['SORT', 'ordered', 'BY', 'ow_*', 'ALPHA', 'DESC', 'LIMIT', s as string, c as string]);
    }
    await check(steps);
  });

  it('stores results, deleting the destination when empty', async () => {
    await check([
      ['RPUSH', 'l', 'b', 'a', 'c'],
      ['SET', 'dst', 'old', 'EX', '100'],
      ['SORT', 'l', 'ALPHA', 'STORE', 'dst'], ['TYPE', 'dst'], ['TTL', 'dst'], ['LRANGE', 'dst', '0', '-1'], ['OBJECT', 'ENCODING', 'dst'],
      ['SORT', 'l', 'ALPHA', 'LIMIT', '5', '1', 'STORE', 'dst'], ['EXISTS', 'dst'],
      ['SORT', 'l', 'ALPHA', 'LIMIT', '5', '1', 'STORE', 'dst'],
      ['SORT', 'nokey', 'STORE', 'dst'],
      ['SADD', 'dst', 'x'], ['SORT', 'nokey', 'STORE', 'dst'], ['EXISTS', 'dst'],
      ['SORT', 'l', 'ALPHA', 'STORE', 'l'], ['LRANGE', 'l', '0', '-1'],
      ['SORT', 'l', 'ALPHA', 'STORE', 'a', 'STORE', 'b'], ['EXISTS', 'a'], ['LRANGE', 'b', '0', '-1'],
      ['SORT', 'l', 'BY', 'nosort', 'DESC', 'STORE', 'd2'], ['LRANGE', 'd2', '0', '-1'],
      ['SORT', 'l', 'ALPHA', 'GET', 'nokey_*', 'STORE', 'd3'], ['LRANGE', 'd3', '0', '-1'],
      ['SORT', 'l', 'ALPHA', 'LIMIT', '0', '0', 'GET', '#', 'STORE', 'd3'], ['EXISTS', 'd3'],
      ['SORT', 'nokey'], ['SORT_RO', 'nokey'], ['SORT', 'nokey', 'BY', 'nosort', 'LIMIT', '2', '3'],
    ]);
  });

  it('answers errors in Redis order', async () => {
    await check([
      ['SORT'], ['SORT_RO'],
      ['SET', 's', 'v'], ['HSET', 'h', 'f', 'v'], ['RPUSH', 'l', '1'],
      ['SORT', 's'], ['SORT_RO', 'h'], ['SORT', 's', 'BY', 'nosort'], ['SORT', 's', 'STORE', 'd'], ['EXISTS', 'd'],
      ['SORT', 's', 'FOO'], ['SORT', 'l', 'FOO'], ['SORT', 'l', 'LIMIT'], ['SORT', 'l', 'LIMIT', '1'], ['SORT', 'l', 'LIMIT', '1', '2', '3'],
      ['SORT', 'l', 'LIMIT', 'a', 'b'], ['SORT', 'l', 'LIMIT', '1', 'b'], ['SORT', 'l', 'LIMIT', '1.5', '1'],
      ['SORT', 'l', 'LIMIT', '9223372036854775808', '1'], ['SORT', 's', 'LIMIT', 'x', '1'],
      ['SORT', 'l', 'LIMIT', '9223372036854775807', '9223372036854775807'], ['SORT', 'l', 'LIMIT', '-9223372036854775808', '-9223372036854775808'],
      ['SORT', 'l', 'LIMIT', '0', '9223372036854775807'], ['SORT', 'l', 'LIMIT', '1', '9223372036854775807'],
      ['SORT', 'l', 'STORE'], ['SORT', 'l', 'BY'], ['SORT', 'l', 'GET'], ['SORT_RO', 'l', 'STORE', 'd'], ['SORT_RO', 'l', 'store'],
      ['sort', 'l', 'desc', 'alpha', 'limit', '0', '1', 'by', 'nosort', 'get', '#'], ['SoRt_Ro', 'l', 'AsC'],
      ['SORT', 'l', 'ALPHA', 'FOO', 'STORE', 'd'], ['EXISTS', 'd'],
    ]);
  });

  it('handles binary keys, patterns and NUL bytes as C strings', async () => {
    await check([
      ['RPUSH', 'k\x00\xff', 'x\x00', 'y', '\xfe'],
      ['SET', 'w\xffx\x00\x00', '3'], ['SET', 'w\xffy\x00', '1'], ['SET', 'w\xff\xfe\x00', '2'],
      ['SORT', 'k\x00\xff', 'BY', 'w\xff*\x00'], ['SORT', 'k\x00\xff', 'BY', 'w\xff*\x00', 'GET', 'w\xff*\x00', 'GET', '#'],
      // Before a NUL no '*': constant pattern, nothing sorted.
      ['SORT', 'k\x00\xff', 'BY', 'w\x00*'], ['SORT', 'k\x00\xff', 'GET', 'w\x00*'], ['SORT', 'k\x00\xff', 'ALPHA', 'GET', '#\x00junk'],
      ['HSET', 'hy', 'f\x00g', '1', 'f', '2'], ['HSET', 'hx\x00', 'f\x00g', '5'],
      ['SORT', 'k\x00\xff', 'ALPHA', 'GET', 'h*->f\x00g'], ['SORT', 'k\x00\xff', 'ALPHA', 'GET', 'h*->\x00g'], ['SORT', 'k\x00\xff', 'ALPHA', 'GET', 'h*->'],
      ['SET', 'hy->', 'arrow'], ['SORT', 'k\x00\xff', 'ALPHA', 'GET', 'h*->'], ['SORT', 'k\x00\xff', 'ALPHA', 'GET', 'h*-'],
      ['SET', 'a->by', 'pre'], ['SORT', 'k\x00\xff', 'ALPHA', 'GET', 'a->b*'],
      ['HSET', 'hy', 'f->g', 'deep'], ['SORT', 'k\x00\xff', 'ALPHA', 'GET', 'h*->f->g'],
      ['SORT', 'k\x00\xff', 'ALPHA', 'GET', '**'], ['SET', 'y*', 'star'], ['SORT', 'k\x00\xff', 'ALPHA', 'GET', '**'],
      ['SORT', 'k\x00\xff', 'ALPHA', 'STORE', 'd\x00'], ['LRANGE', 'd\x00', '0', '-1'],
    ]);
  });

  it('sorts 10k-element lists in full', async () => {
    const rnd = lcg(42);
    const nums: string[] = [];
    const words: string[] = [];
    for (let i = 0; i < 10000; i++) {
      nums.push(String(Math.floor(rnd() * 1e6) - 5e5) + (i % 3 === 0 ? '.5' : ''));
      let w = '';
      const len = 1 + Math.floor(rnd() * 6);
      for (let k = 0; k < len; k++) w += String.fromCharCode(Math.floor(rnd() * 256));
      words.push(w);
    }
    const steps: Step[] = [['RPUSH', 'nums', ...nums], ['RPUSH', 'words', ...words]];
    steps.push(['SORT', 'nums'], ['SORT', 'nums', 'DESC'], ['SORT', 'nums', 'ALPHA'], ['SORT', 'nums', 'LIMIT', '5000', '30']);
    steps.push(['SORT', 'words', 'ALPHA'], ['SORT', 'words', 'ALPHA', 'DESC'], ['SORT', 'words', 'ALPHA', 'STORE', 'd'], ['LRANGE', 'd', '0', '-1']);
    steps.push(['SORT', 'nums', 'STORE', 'd'], ['LLEN', 'd'], ['LRANGE', 'd', '9990', '-1']);
    const mset: string[] = ['MSET'];
    for (let i = 0; i < 10000; i++) mset.push(`wt_${nums[i] as string}`, String(i % 97));
    steps.push(mset, ['SORT', 'nums', 'BY', 'wt_*', 'LIMIT', '100', '50'], ['SORT', 'nums', 'BY', 'wt_*', 'ALPHA', 'LIMIT', '0', '40'], ['SORT', 'nums', 'BY', 'wt_*', 'ALPHA']);
    await check(steps);
  });

  it('runs in MULTI and answers RESP3 nulls', async () => {
    await check([
      ['RPUSH', 'l', '2', '1'],
      ['MULTI'], ['SORT', 'l', 'STORE', 'd'], ['SORT', 'l', 'FOO'], ['SORT_RO', 'd', 'GET', 'x*'], ['EXEC'],
      ['HELLO', '3'], ['SORT', 'l', 'GET', '#', 'GET', 'nokey*'], ['SORT', 'l', 'STORE', 'd'],
    ]);
  });

  it('reports the command metadata and keys of Redis 7.0', async () => {
    await check([
      ['COMMAND', 'INFO', 'sort', 'sort_ro'],
      ['COMMAND', 'GETKEYS', 'SORT', 'a'], ['COMMAND', 'GETKEYS', 'SORT_RO', 'a', 'STORE', 'b'],
      ['COMMAND', 'GETKEYS', 'SORT', 'a', 'STORE', 'b', 'LIMIT', '1', '2', 'STORE', 'c'],
      ['COMMAND', 'GETKEYS', 'SORT', 'a', 'GET', 'store', 'BY', 'store', 'store'],
      ['COMMAND', 'GETKEYS', 'SORT', 'a', 'STORE', 'get', 'x'], ['COMMAND', 'GETKEYS', 'SORT', 'a', 'STORE'],
      ['COMMAND', 'GETKEYS', 'SORT', 'a', 'LIMIT', 'store', 'store', 'store', 'd'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'SORT', 'a', 'STORE', 'b'], ['COMMAND', 'GETKEYSANDFLAGS', 'SORT_RO', 'a'],
      ['COMMAND', 'GETKEYS', 'SORT'],
      ['HELLO', '3'], ['COMMAND', 'INFO', 'sort'],
    ]);
  });

  describe('side effects', () => {
    async function record(port: number, steps: string[][]): Promise<{ replies: string[]; events: string[]; dirty: number[]; stats: string[] }> {
      const cmd = await RawClient.connect(port);
      const sub = await RawClient.connect(port);
      try {
        await cmd.call('FLUSHALL');
        await cmd.call('CONFIG', 'RESETSTAT');
        await cmd.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEAm');
        await sub.call('PSUBSCRIBE', '__key*__:*');
        const replies: string[] = [];
        const dirty: number[] = [];
        const stats: string[] = [];
        for (const step of steps) {
          if (step[0] === 'SLEEP') {
            await new Promise((r) => setTimeout(r, 10));
            continue;
          }
          const before = await changes(cmd);
          replies.push(await cmd.callRaw(...step));
          dirty.push((await changes(cmd)) - before);
          const info = String(await cmd.call('INFO', 'stats'));
          stats.push((info.match(/keyspace_(hits|misses):\d+/g) ?? []).join(' '));
        }
        await cmd.call('PUBLISH', '__keyend__:x', 'end');
        const events: string[] = [];
        for (;;) {
          const msg = (await sub.read()) as RespValue[];
          if (String(msg[2]) === '__keyend__:x') break;
          events.push(`${String(msg[2])} ${String(msg[3])}`);
        }
        await cmd.call('CONFIG', 'SET', 'notify-keyspace-events', '');
        return { replies, events, dirty, stats };
      } finally {
        cmd.close();
        sub.close();
      }
    }

    async function changes(c: RawClient): Promise<number> {
      const info = String(await c.call('INFO', 'persistence'));
      return Number(/rdb_changes_since_last_save:(\d+)/.exec(info)?.[1]);
    }

    it('counts changes, lookups and notifications as Redis', async () => {
      const steps = [
        ['RPUSH', 'l', '3', '1', '2'], ['MSET', 'w_1', '1', 'w_2', '2'], ['HSET', 'h_3', 'f', 'x'],
        ['SORT', 'l', 'STORE', 'd'], ['SORT', 'l', 'STORE', 'd'], ['SORT', 'l', 'LIMIT', '9', '9', 'STORE', 'd'], ['SORT', 'l', 'LIMIT', '9', '9', 'STORE', 'd'],
        ['SORT', 'l', 'BY', 'w_*', 'GET', 'h_*->f', 'GET', '#', 'GET', 'w_*', 'STORE', 'd2'],
        ['SORT', 'l', 'BY', 'w_*', 'GET', 'h_*->f'], ['SORT_RO', 'nokey'], ['SORT', 'nokey', 'STORE', 'd2'],
        ['SET', 'e', 'v', 'PX', '1'],
      ];
      steps.push(['SLEEP'], ['SORT', 'l', 'STORE', 'e'], ['SORT', 'l', 'FOO'], ['SORT', 'l', 'BY', 'nosort', 'GET', 'nostar'], ['SORT', 'l', 'GET', '#']);
      const [a, b] = await Promise.all([record(servers.nodis.port, steps), record(servers.redis.port, steps)]);
      expect(a).toEqual(b);
    });
  });
});
