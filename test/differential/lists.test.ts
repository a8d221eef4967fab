import { beforeEach, describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, mismatches, type Step } from '../helpers/differential.js';
import { ClientPair } from '../helpers/pair.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

describe.skipIf(!hasOracle)('differential: lists', () => {
  const servers = differentialPair();
  beforeEach(async () => {
    await servers.run([['FLUSHALL']]);
  });

  async function check(steps: Step[]): Promise<void> {
    await servers.same(steps);
  }

  it('pushes, pops and lengths', async () => {
    await check([
      ['LPUSH', 'l', 'a', 'b', 'c'],
      ['RPUSH', 'l', 'd', 'e'],
      ['LLEN', 'l'],
      ['LRANGE', 'l', '0', '-1'],
      ['LPUSHX', 'l', 'x'],
      ['RPUSHX', 'l', 'y', 'z'],
      ['LPUSHX', 'none', 'x'],
      ['RPUSHX', 'none', 'x'],
      ['EXISTS', 'none'],
      ['LPOP', 'l'],
      ['RPOP', 'l'],
      ['LPOP', 'l', '2'],
      ['RPOP', 'l', '2'],
      ['LPOP', 'l', '0'],
      ['RPOP', 'l', '0'],
      ['LPOP', 'l', '-1'],
      ['LPOP', 'l', 'abc'],
      ['LPOP', 'l', '1.5'],
      ['LPOP', 'l', '9223372036854775808'],
      ['LPOP', 'l', '1', '2'],
      ['LPOP', 'missing'],
      ['LPOP', 'missing', '1'],
      ['LPOP', 'missing', '0'],
      ['RPOP', 'missing', '-1'],
      ['RPOP', 'l', '100'],
      ['EXISTS', 'l'],
      ['TYPE', 'l'],
      ['LLEN', 'l'],
      ['RPUSH', 'n', '1', '2', '3'],
      ['OBJECT', 'ENCODING', 'n'],
      ['RPOP', 'n', '9223372036854775807'],
      ['EXISTS', 'n'],
      ['LPUSH', 'l'],
      ['LPUSHX', 'l'],
      ['LLEN'],
      ['LLEN', 'a', 'b'],
      ['LPOP'],
    ]);
  });

  it('answers LRANGE, LINDEX and LSET with every kind of index', async () => {
    const steps: Step[] = [['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e', 'f']];
    const idx = ['0', '1', '5', '6', '7', '-1', '-6', '-7', '-100', '100', '9223372036854775807', '-9223372036854775808'];
    for (const a of idx) {
      steps.push(['LINDEX', 'l', a]);
      for (const b of idx) steps.push(['LRANGE', 'l', a, b]);
    }
    steps.push(
      ['LRANGE', 'l', 'x', '1'], ['LRANGE', 'l', '1', 'x'], ['LRANGE', 'missing', '0', '-1'], ['LRANGE', 'missing', 'x', '1'],
      ['LINDEX', 'l', 'x'], ['LINDEX', 'missing', 'x'], ['LINDEX', 'missing', '0'],
      ['LSET', 'l', '0', 'A'], ['LSET', 'l', '-1', 'F'], ['LSET', 'l', '6', 'x'], ['LSET', 'l', '-7', 'x'],
      ['LSET', 'l', 'x', 'y'], ['LSET', 'missing', 'x', 'y'], ['LSET', 'missing', '0', 'y'],
      ['LRANGE', 'l', '0', '-1'],
      ['LSET', 'l', '0'], ['LINDEX', 'l'], ['LRANGE', 'l', '0'],
    );
    await check(steps);
  });

  it('inserts, removes and trims', async () => {
    await check([
      ['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'd', 'a'],
      ['LINSERT', 'l', 'BEFORE', 'a', 'x'],
      ['LINSERT', 'l', 'after', 'a', 'y'],
      ['LINSERT', 'l', 'after', 'd', 'z'],
      ['LINSERT', 'l', 'before', 'nope', 'z'],
      ['LINSERT', 'l', 'middle', 'a', 'z'],
      ['LINSERT', 'missing', 'before', 'a', 'z'],
      ['LINSERT', 'missing', 'middle', 'a', 'z'],
      ['LRANGE', 'l', '0', '-1'],
      ['LREM', 'l', '1', 'a'],
      ['LRANGE', 'l', '0', '-1'],
      ['LREM', 'l', '-2', 'a'],
      ['LRANGE', 'l', '0', '-1'],
      ['LREM', 'l', '0', 'a'],
      ['LREM', 'l', '0', 'nope'],
      ['LREM', 'l', 'x', 'a'],
      ['LREM', 'missing', '0', 'a'],
      ['LREM', 'missing', 'x', 'a'],
      ['LRANGE', 'l', '0', '-1'],
      ['LREM', 'l', '-9223372036854775808', 'z'],
      ['RPUSH', 'r', 'a', 'a', 'a'],
      ['LREM', 'r', '0', 'a'],
      ['EXISTS', 'r'],
      ['RPUSH', 't', '1', '2', '3', '4', '5', '6', '7', '8'],
      ['LTRIM', 't', '1', '-2'],
      ['LRANGE', 't', '0', '-1'],
      ['LTRIM', 't', '-100', '100'],
      ['LRANGE', 't', '0', '-1'],
      ['LTRIM', 't', '2', '2'],
      ['LRANGE', 't', '0', '-1'],
      ['LTRIM', 't', 'x', '2'],
      ['LTRIM', 't', '0', 'x'],
      ['LTRIM', 'missing', '0', '1'],
      ['LTRIM', 'missing', 'x', '1'],
      ['LTRIM', 't', '5', '1'],
      ['EXISTS', 't'],
      ['RPUSH', 't', '1', '2', '3'],
      ['LTRIM', 't', '-1', '0'],
      ['EXISTS', 't'],
      ['RPUSH', 't', '1', '2', '3'],
      ['LTRIM', 't', '3', '10'],
      ['EXISTS', 't'],
      ['LINSERT', 'l', 'before', 'a'],
      ['LREM', 'l', '0'],
      ['LTRIM', 'l', '0'],
    ]);
  });

  it('finds elements with LPOS and its options', async () => {
    const steps: Step[] = [['RPUSH', 'l', 'a', 'b', 'c', 'a', 'b', 'a', 'c', 'a']];
    const ranks = [[], ['RANK', '1'], ['RANK', '2'], ['RANK', '-1'], ['RANK', '-3'], ['RANK', '5'], ['RANK', '-5'],
      ['RANK', '9223372036854775807'], ['RANK', '-9223372036854775807'], ['RANK', '-9223372036854775808']];
    const counts = [[], ['COUNT', '0'], ['COUNT', '1'], ['COUNT', '2'], ['COUNT', '10']];
    const maxlens = [[], ['MAXLEN', '0'], ['MAXLEN', '1'], ['MAXLEN', '4'], ['MAXLEN', '100']];
    for (const r of ranks) for (const c of counts) for (const m of maxlens) steps.push(['LPOS', 'l', 'a', ...r, ...c, ...m]);
    steps.push(
      ['LPOS', 'l', 'nope'], ['LPOS', 'l', 'nope', 'COUNT', '0'], ['LPOS', 'missing', 'a'], ['LPOS', 'missing', 'a', 'COUNT', '1'],
      ['LPOS', 'l', 'a', 'RANK', '0'], ['LPOS', 'l', 'a', 'RANK', 'x'], ['LPOS', 'l', 'a', 'COUNT', '-1'],
      ['LPOS', 'l', 'a', 'COUNT', 'x'], ['LPOS', 'l', 'a', 'MAXLEN', '-1'], ['LPOS', 'l', 'a', 'MAXLEN', 'x'],
      ['LPOS', 'l', 'a', 'RANK'], ['LPOS', 'l', 'a', 'BOGUS', '1'], ['LPOS', 'l', 'a', 'count', '2', 'rank', '-2'],
      ['LPOS', 'missing', 'a', 'RANK', '0'], ['LPOS', 'l'],
    );
    await check(steps);
  });

  it('moves elements with LMOVE and RPOPLPUSH', async () => {
    await check([
      ['RPUSH', 's', 'a', 'b', 'c'],
      ['LMOVE', 's', 'd', 'LEFT', 'RIGHT'],
      ['LMOVE', 's', 'd', 'right', 'left'],
      ['LRANGE', 'd', '0', '-1'],
      ['LMOVE', 's', 's', 'LEFT', 'RIGHT'],
      ['LRANGE', 's', '0', '-1'],
      ['LMOVE', 's', 'd', 'LEFT', 'LEFT'],
      ['EXISTS', 's'],
      ['LMOVE', 's', 'd', 'LEFT', 'LEFT'],
      ['LMOVE', 's', 'd', 'UP', 'LEFT'],
      ['LMOVE', 'd', 'e', 'LEFT', 'UP'],
      ['RPOPLPUSH', 'd', 'e'],
      ['RPOPLPUSH', 'd', 'd'],
      ['RPOPLPUSH', 'missing', 'e'],
      ['LRANGE', 'd', '0', '-1'],
      ['LRANGE', 'e', '0', '-1'],
      ['SET', 'str', 'v'],
      ['LMOVE', 'd', 'str', 'LEFT', 'LEFT'],
      ['LRANGE', 'd', '0', '-1'],
      ['RPOPLPUSH', 'd', 'str'],
      ['LMOVE', 'str', 'd', 'LEFT', 'LEFT'],
      ['LMOVE', 'missing', 'str', 'LEFT', 'LEFT'],
      ['LMOVE', 's', 'd', 'LEFT'],
      ['RPOPLPUSH', 's'],
    ]);
  });

  it('pops from several keys with LMPOP', async () => {
    await check([
      ['RPUSH', 'b', '1', '2', '3', '4', '5'],
      ['LMPOP', '2', 'a', 'b', 'LEFT'],
      ['LMPOP', '2', 'a', 'b', 'RIGHT', 'COUNT', '2'],
      ['LMPOP', '2', 'a', 'b', 'right', 'count', '10'],
      ['EXISTS', 'b'],
      ['LMPOP', '2', 'a', 'b', 'LEFT'],
      ['LMPOP', '0', 'a', 'LEFT'],
      ['LMPOP', '-1', 'a', 'LEFT'],
      ['LMPOP', 'x', 'a', 'LEFT'],
      ['LMPOP', '3', 'a', 'b', 'LEFT'],
      ['LMPOP', '1', 'a', 'MIDDLE'],
      ['LMPOP', '1', 'a', 'LEFT', 'COUNT'],
      ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '0'],
      ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '-1'],
      ['LMPOP', '1', 'a', 'LEFT', 'COUNT', 'x'],
      ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '1', 'COUNT', '1'],
      ['LMPOP', '1', 'a', 'LEFT', 'BOGUS'],
      ['SET', 'str', 'v'],
      ['RPUSH', 'c', 'x'],
      ['LMPOP', '2', 'str', 'c', 'LEFT'],
      ['LMPOP', '2', 'c', 'str', 'LEFT'],
      ['LMPOP', '2', 'c', 'str', 'LEFT'],
      ['LMPOP', '1', 'a'],
      ['LMPOP', '1'],
    ]);
  });

  it('answers the blocking commands at once when they can (or must)', async () => {
    await check([
      ['RPUSH', 'a', '1', '2', '3'],
      ['RPUSH', 'b', 'x'],
      ['BLPOP', 'missing', 'a', '0'],
      ['BRPOP', 'missing', 'a', '0.5'],
      ['BLPOP', 'b', 'a', '1'],
      ['EXISTS', 'b'],
      ['BLMPOP', '0', '2', 'missing', 'a', 'LEFT'],
      ['RPUSH', 'a', '4', '5', '6'],
      ['BLMPOP', '1', '2', 'missing', 'a', 'RIGHT', 'COUNT', '2'],
      ['BLMOVE', 'a', 'c', 'LEFT', 'RIGHT', '0'],
      ['RPUSH', 'a', '7'],
      ['BRPOPLPUSH', 'a', 'c', '0'],
      ['LRANGE', 'c', '0', '-1'],
      ['EXISTS', 'a'],
      ['SET', 'str', 'v'],
      ['BLPOP', 'missing', 'str', 'c', '0'],
      ['BLPOP', 'c', 'str', '0'],
      ['BRPOP', 'str', '0'],
      ['BLMOVE', 'str', 'c', 'LEFT', 'RIGHT', '0'],
      ['BLMOVE', 'c', 'str', 'LEFT', 'RIGHT', '0'],
      ['BRPOPLPUSH', 'c', 'str', '0'],
      ['BLMPOP', '0', '1', 'str', 'LEFT'],
      // Timeout errors.
      ['RPUSH', 'c', '8', '9'],
      ['BLPOP', 'c', '-1'],
      ['BLPOP', 'c', 'x'],
      ['BLPOP', 'c', ''],
      ['BLPOP', 'c', ' 1'],
      ['BLPOP', 'c', 'nan'],
      ['BLPOP', 'c', 'inf'],
      ['BLPOP', 'c', '-inf'],
      ['BLPOP', 'c', '1e400'],
      ['BLPOP', 'c', '1e5000'],
      ['BLPOP', 'c', '9223372036854775807'],
      ['BLPOP', 'c', '-0.0001'],
      ['BLPOP', 'missing', '-0.002'],
      ['BRPOP', 'missing', 'abc'],
      ['BLMOVE', 'missing', 'c', 'LEFT', 'RIGHT', '-1'],
      ['BLMOVE', 'missing', 'c', 'UP', 'RIGHT', '-1'],
      ['BLMOVE', 'missing', 'c', 'LEFT', 'UP', 'x'],
      ['BRPOPLPUSH', 'missing', 'c', '-1'],
      ['BLMPOP', '-1', '1', 'missing', 'LEFT'],
      ['BLMPOP', 'x', '1', 'missing', 'LEFT'],
      ['BLMPOP', '0', '0', 'missing', 'LEFT'],
      ['BLMPOP', '0', '1', 'missing', 'UP'],
      ['BLMPOP', '0', '2', 'missing', 'LEFT'],
      ['BLMPOP', '0', '1', 'missing', 'LEFT', 'COUNT', '0'],
      ['BLMPOP', '-1', '1', 'missing', 'LEFT', 'COUNT', '0'],
      ['BLPOP', 'c'],
      ['BLMOVE', 'a', 'b', 'LEFT', 'RIGHT'],
      ['BRPOPLPUSH', 'a', 'b'],
      ['BLMPOP', '0', '1', 'a'],
    ]);
  });

  it('answers WRONGTYPE for every list command on a string', async () => {
    const steps: Step[] = [['SET', 's', 'v']];
    for (const cmd of [
      ['LPUSH', 's', 'x'], ['RPUSH', 's', 'x'], ['LPUSHX', 's', 'x'], ['RPUSHX', 's', 'x'], ['LPOP', 's'], ['RPOP', 's', '2'],
      ['LPOP', 's', '0'], ['LLEN', 's'], ['LRANGE', 's', '0', '-1'], ['LINDEX', 's', '0'], ['LINDEX', 's', 'x'],
      ['LSET', 's', '0', 'x'], ['LSET', 's', 'x', 'x'], ['LINSERT', 's', 'before', 'a', 'b'], ['LREM', 's', '0', 'x'],
      ['LTRIM', 's', '0', '1'], ['LPOS', 's', 'x'], ['LPOS', 's', 'x', 'COUNT', '0'], ['LMOVE', 's', 'd', 'LEFT', 'LEFT'],
      ['RPOPLPUSH', 's', 'd'], ['LMPOP', '1', 's', 'LEFT'],
    ]) steps.push(cmd);
    steps.push(['GET', 's']);
    await check(steps);
  });

  it('keeps binary elements and keys intact', async () => {
    const bin = '\x00\xff\r\n\x80bin';
    await check([
      ['RPUSH', `k${bin}`, bin, 'plain', `${bin}2`, '', bin],
      ['LRANGE', `k${bin}`, '0', '-1'],
      ['LPOS', `k${bin}`, bin, 'COUNT', '0'],
      ['LREM', `k${bin}`, '-1', bin],
      ['LINSERT', `k${bin}`, 'BEFORE', '', bin],
      ['LSET', `k${bin}`, '1', '\xfe\x00'],
      ['LMOVE', `k${bin}`, `d${bin}`, 'LEFT', 'RIGHT'],
      ['LMPOP', '2', 'none', `k${bin}`, 'RIGHT', 'COUNT', '2'],
      ['LRANGE', `k${bin}`, '0', '-1'],
      ['LRANGE', `d${bin}`, '0', '-1'],
      ['LPUSH', 'big', 'x'.repeat(100_000), ''],
      ['LINDEX', 'big', '1'],
      ['LPOS', 'big', ''],
    ]);
  });

  it('compares 10k-element lists in full after mixed operations', async () => {
    const values: string[] = [];
    for (let i = 0; i < 10_000; i++) values.push(i % 7 === 0 ? 'dup' : `v${i}`);
    const steps: Step[] = [
      ['RPUSH', 'big', ...values],
      ['LPUSH', 'big', ...values.slice(0, 500)],
      ['LRANGE', 'big', '0', '-1'],
      ['LREM', 'big', '100', 'dup'],
      ['LREM', 'big', '-100', 'dup'],
      ['LINSERT', 'big', 'BEFORE', 'v5000', 'mid'],
      ['LINSERT', 'big', 'AFTER', 'v9999', 'end'],
      ['LSET', 'big', '-5000', 'set'],
      ['LPOS', 'big', 'dup', 'RANK', '-3', 'COUNT', '50'],
      ['LPOS', 'big', 'dup', 'COUNT', '0', 'MAXLEN', '3000'],
      ['LPOP', 'big', '123'],
      ['RPOP', 'big', '321'],
      ['LTRIM', 'big', '100', '-100'],
      ['LRANGE', 'big', '0', '-1'],
      ['LREM', 'big', '0', 'dup'],
      ['LRANGE', 'big', '0', '-1'],
      ['LLEN', 'big'],
      ['LMPOP', '1', 'big', 'RIGHT', 'COUNT', '5000'],
      ['LRANGE', 'big', '2000', '2100'],
      ['LLEN', 'big'],
    ];
    await check(steps);
  });

  it('counts changes and keyspace stats as Redis does', async () => {
    const changes = (raw: string): number => Number(/rdb_changes_since_last_save:(\d+)/.exec(raw)?.[1]);
    const hitsMisses = (raw: string): number[] => [Number(/keyspace_hits:(\d+)/.exec(raw)?.[1]), Number(/keyspace_misses:(\d+)/.exec(raw)?.[1])];
    const steps: Step[] = [['RPUSH', 'l', 'a', 'b', 'c', 'a'], ['INFO', 'persistence']];
    for (const cmd of [
      ['LPOP', 'l'], ['RPOP', 'l', '2'], ['RPUSH', 'l', 'x', 'y', 'z', 'x'], ['LREM', 'l', '0', 'x'], ['LINSERT', 'l', 'BEFORE', 'y', 'w'],
      ['LSET', 'l', '0', 'q'], ['LTRIM', 'l', '1', '-1'], ['LMOVE', 'l', 'm', 'LEFT', 'LEFT'], ['LMPOP', '1', 'l', 'LEFT', 'COUNT', '5'],
      ['RPUSH', 'l', '1', '2', '3'], ['BLPOP', 'l', '0'], ['BLMPOP', '0', '1', 'l', 'LEFT', 'COUNT', '5'], ['LREM', 'm', '0', 'nope'],
      ['LTRIM', 'm', '0', '-1'], ['LPUSHX', 'none', 'a'], ['LINSERT', 'm', 'BEFORE', 'nope', 'x'],
    ]) {
      steps.push(cmd, ['INFO', 'persistence']);
    }
    const results = await servers.run(steps);
    expect(mismatches(results.filter((r) => (r.step as string[])[0] !== 'INFO'))).toEqual([]);
    const deltas = (side: 'nodis' | 'redis'): number[] => {
      const marks = results.filter((r) => (r.step as string[])[0] === 'INFO').map((r) => changes(r[side]));
      return marks.slice(1).map((m, i) => m - (marks[i] as number));
    };
    expect(deltas('nodis')).toEqual(deltas('redis'));

    const reads = await servers.run([
      ['INFO', 'stats'], ['RPUSH', 'r', 'a'], ['LLEN', 'r'], ['LLEN', 'none'], ['LRANGE', 'none', '0', '1'], ['LINDEX', 'r', '0'],
      ['LPOS', 'none', 'a'], ['LPOP', 'none'], ['LMOVE', 'none', 'x', 'LEFT', 'LEFT'], ['BLPOP', 'r', 'none', '0'], ['INFO', 'stats'],
    ]);
    const diff = (side: 'nodis' | 'redis'): number[] => {
      const before = hitsMisses(reads[0]![side]);
      const after = hitsMisses(reads[reads.length - 1]![side]);
      return [(after[0] as number) - (before[0] as number), (after[1] as number) - (before[1] as number)];
    };
    expect(diff('nodis')).toEqual(diff('redis'));
  });

  it('emits the keyspace notifications Redis does', async () => {
    const script: string[][] = [
      ['RPUSH', 'l', 'a', 'b', 'c', 'd'], ['LPUSH', 'l', 'z'], ['LPUSHX', 'l', 'y'], ['RPUSHX', 'none', 'y'], ['LPOP', 'l'], ['RPOP', 'l', '2'],
      ['LINSERT', 'l', 'BEFORE', 'a', 'x'], ['LINSERT', 'l', 'BEFORE', 'nope', 'x'], ['LSET', 'l', '0', 'q'], ['LREM', 'l', '0', 'nope'],
      ['LREM', 'l', '1', 'a'], ['LTRIM', 'l', '0', '-1'], ['LMOVE', 'l', 'm', 'LEFT', 'RIGHT'], ['RPOPLPUSH', 'l', 'm'],
      ['LMPOP', '1', 'm', 'LEFT', 'COUNT', '5'], ['RPUSH', 'l', '1', '2'], ['BLPOP', 'l', '0'], ['BLMOVE', 'l', 'l', 'LEFT', 'RIGHT', '0'],
      ['BRPOPLPUSH', 'l', 'n', '0'], ['BLMPOP', '0', '1', 'n', 'RIGHT'], ['RPUSH', 't', '1', '2', '3'], ['LTRIM', 't', '5', '10'],
      ['RPUSH', 'r', 'x'], ['LREM', 'r', '0', 'x'], ['RPUSH', 's', 'x'], ['LSET', 's', '5', 'x'], ['PING'],
    ];
    const collect = async (port: number): Promise<string[]> => {
      const sub = await RawClient.connect(port);
      const cmd = await RawClient.connect(port);
      try {
        await cmd.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
        await sub.call('PSUBSCRIBE', '__key*__:*');
        for (const c of script) await cmd.callRaw(...c);
        await cmd.call('PUBLISH', 'end', 'x');
        await sub.call('SUBSCRIBE', 'end');
        await cmd.call('PUBLISH', 'end', 'x');
        const messages: string[] = [];
        for (;;) {
          const m = JSON.stringify(await sub.read());
          if (m.includes('"message","end"')) break;
          messages.push(m);
        }
        await cmd.call('CONFIG', 'SET', 'notify-keyspace-events', '');
        return messages;
      } finally {
        sub.close();
        cmd.close();
      }
    };
    const [a, b] = await Promise.all([collect(servers.nodis.port), collect(servers.redis.port)]);
    expect(a).toEqual(b);
  });

  it('answers the RESP3 null shapes', async () => {
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port, true);
    try {
      for (const cmd of [
        ['LPOP', 'none'], ['LPOP', 'none', '1'], ['RPOP', 'none', '0'], ['LINDEX', 'none', '0'], ['LPOS', 'none', 'x'],
        ['LPOS', 'none', 'x', 'COUNT', '1'], ['LMOVE', 'none', 'd', 'LEFT', 'LEFT'], ['RPOPLPUSH', 'none', 'd'], ['LMPOP', '1', 'none', 'LEFT'],
        ['RPUSH', 'l', 'a'], ['LINDEX', 'l', '5'], ['LPOS', 'l', 'x'], ['LPOP', 'l', '5'],
      ]) {
        const [a, b] = await pair.call(...cmd);
        expect(a, cmd.join(' ')).toBe(b);
      }
    } finally {
      pair.close();
    }
  });
});
