import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { ClientPair, parse } from '../helpers/pair.js';
import { CommandGenerator, type FuzzStep } from '../helpers/collection-fuzz.js';
import type { RespValue } from '../helpers/resp.js';

const hasOracle = oracleAvailable();

/** Replies' structure with member text blanked out: same shape = same kinds, lengths, nesting, integers, errors. */
function shape(v: RespValue): string {
  if (v === null) return 'nil';
  if (typeof v === 'string') return 's';
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `i${String(v)}`;
  if (Array.isArray(v)) return `[${v.map(shape).join(',')}]`;
  if ('error' in v) return `E${v.error}`;
  if ('double' in v) return 'd';
  if ('map' in v) return `%[${v.map.map(([a, b]) => `${shape(a)}:${shape(b)}`).join(',')}]`;
  if ('set' in v) return `~[${v.set.map(shape).join(',')}]`;
  if ('push' in v) return `>[${v.push.map(shape).join(',')}]`;
  return 'verbatim';
}

/** Every member-like leaf of a reply, in order (scores as their text). */
function leaves(v: RespValue, out: string[] = []): string[] {
  if (v === null || typeof v === 'boolean' || typeof v === 'bigint') return out;
  if (typeof v === 'string') out.push(v);
  else if (typeof v === 'number') out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) leaves(x, out);
  else if ('double' in v) out.push(v.double);
  else if ('map' in v) for (const [a, b] of v.map) leaves(b, leaves(a, out));
  else if ('set' in v) for (const x of v.set) leaves(x, out);
  return out;
}

/** A collection reply in a canonical order: its leaves (or leaf pairs) sorted, tagged with the reply's shape family. */
function canonical(raw: string, pairs: boolean): string {
  const v = parse(raw);
  if (v === null || typeof v !== 'object' || 'error' in v) return raw;
  const items = leaves(v);
  const groups: string[] = [];
  const step = pairs ? 2 : 1;
  for (let i = 0; i < items.length; i += step) groups.push(JSON.stringify(items.slice(i, i + step)));
  groups.sort();
  return `${raw[0]}${groups.length}:${groups.join(',')}`;
}

const COMPACT = new Set(['listpack', 'intset', 'quicklist', 'ziplist']);

interface Divergence {
  index: number;
  argv: string[];
  why: string;
  nodis: string;
  redis: string;
}

class FuzzRunner {
  readonly divergences: Divergence[] = [];
  private index = 0;
  constructor(private readonly pair: ClientPair) {}

  private fail(step: FuzzStep, why: string, nodis: string, redis: string): void {
    this.divergences.push({ index: this.index, argv: step.argv, why, nodis, redis });
  }

  async run(step: FuzzStep): Promise<void> {
    this.index++;
    const check = step.check;
    if (check.kind === 'exact') {
      const [a, b] = await this.pair.call(...step.argv);
      if (a !== b) this.fail(step, 'reply', a, b);
      return;
    }
    if (check.kind === 'multiset') {
      const [a, b] = await this.pair.call(...step.argv);
      if (canonical(a, check.pairs) !== canonical(b, check.pairs)) this.fail(step, 'multiset', a, b);
      return;
    }
    if (check.kind === 'lex') {
      const [ea, eb] = await this.pair.call('OBJECT', 'ENCODING', check.key);
      if (ea !== eb) return this.fail(step, 'encoding before', ea, eb);
      if (parse(eb) === 'skiplist') {
        const [, lo] = await this.pair.call('ZRANGE', check.key, '0', '0', 'WITHSCORES');
        const [, hi] = await this.pair.call('ZRANGE', check.key, '-1', '-1', 'WITHSCORES');
        if (leaves(parse(lo))[1] !== leaves(parse(hi))[1]) return;
      }
      const [a, b] = await this.pair.call(...step.argv);
      if (a !== b) this.fail(step, 'reply', a, b);
      return;
    }
    if (check.kind === 'byEncoding' || check.kind === 'scan') {
      const [ea, eb] = await this.pair.call('OBJECT', 'ENCODING', check.key);
      if (ea !== eb) {
        this.fail(step, 'encoding before', ea, eb);
        return;
      }
      const encoding = parse(eb);
      const ordered = typeof encoding !== 'string' || COMPACT.has(encoding);
      if (check.kind === 'scan' && !ordered && step.argv[2] === '0') return this.fullScan(step, check.pairs);
      const [a, b] = await this.pair.call(...step.argv);
      // A cursor in the middle of a hash table means different places on the two servers.
      if (check.kind === 'scan' && !ordered && !a.startsWith('-') && !b.startsWith('-')) return;
      const same = ordered ? a === b : canonical(a, check.pairs) === canonical(b, check.pairs);
      if (!same) this.fail(step, ordered ? `reply (${String(encoding)})` : 'multiset', a, b);
      return;
    }
    if (check.kind === 'pop') {
      const [ma, mb] = await this.pair.call('SMEMBERS', check.key);
      if (canonical(ma, false) !== canonical(mb, false)) this.fail(step, 'members before pop', ma, mb);
      const [a, b] = await this.pair.call(...step.argv);
      this.compareRandom(step, a, b, mb, false, true);
      const [ca, cb] = await this.pair.call('SCARD', check.key);
      if (ca !== cb) this.fail(step, 'card after pop', ca, cb);
      const [oa, ob] = await this.pair.call('OBJECT', 'ENCODING', check.key);
      if (oa !== ob) this.fail(step, 'encoding after pop', oa, ob);
      // The popped members differ, so the sides would drift apart.
      if (!b.startsWith('-')) await this.pair.call('DEL', check.key);
      return;
    }
    const [a, b] = await this.pair.call(...step.argv);
    const contentsCmd = check.type === 'hash' ? ['HGETALL', check.key] : check.type === 'set' ? ['SMEMBERS', check.key] : ['ZRANGE', check.key, '0', '-1', 'WITHSCORES'];
    const [, contents] = await this.pair.call(...contentsCmd);
    // A step cut short may have lost its WITHVALUES/WITHSCORES.
    const pairs = check.pairs && step.argv.length === 4;
    this.compareRandom(step, a, b, contents, pairs, check.distinct, check.type !== 'set');
  }

  /** MULTI, the commands, EXEC: every reply compared exactly. */
  async transaction(commands: string[][]): Promise<void> {
    for (const argv of [['MULTI'], ...commands, ['EXEC']]) {
      const [a, b] = await this.pair.call(...argv);
      if (a !== b) this.fail({ argv, check: { kind: 'exact' } }, 'in a transaction', a, b);
    }
  }

  /** Random replies agree in shape, and every member (with its value or score) belongs to the collection. */
  private compareRandom(step: FuzzStep, a: string, b: string, contentsRaw: string, pairs: boolean, distinct: boolean, keyed = false): void {
    const va = parse(a);
    const vb = parse(b);
    if (shape(va) !== shape(vb)) {
      this.fail(step, 'shape', a, b);
      return;
    }
    const contents = parse(contentsRaw);
    if (contents === null || typeof contents !== 'object' || 'error' in contents) return;
    const all = leaves(contents);
    const values = new Map<string, string>();
    if (keyed) for (let i = 0; i < all.length; i += 2) values.set(all[i] as string, all[i + 1] as string);
    else for (const m of all) values.set(m, m);
    for (const [side, v, raw] of [['nodis', va, a], ['redis', vb, b]] as const) {
      if (v === null || (typeof v === 'object' && !Array.isArray(v) && 'error' in v)) continue;
      const got = leaves(v);
      const seen = new Set<string>();
      const step2 = pairs ? 2 : 1;
      for (let i = 0; i < got.length; i += step2) {
        const m = got[i] as string;
        if (!values.has(m) || (pairs && values.get(m) !== got[i + 1])) {
          this.fail(step, `${side}: ${JSON.stringify(m)} is not in the collection`, a, b);
          return;
        }
        if (distinct && seen.has(m)) {
          this.fail(step, `${side}: ${JSON.stringify(m)} repeated`, a, b);
          return;
        }
        seen.add(m);
      }
      void raw;
    }
  }

  /** Iterates a hash-table-encoded key to the end on both sides and compares what was returned. */
  private async fullScan(step: FuzzStep, pairs: boolean): Promise<void> {
    const [cmd, key] = step.argv as [string, string];
    const options = step.argv.slice(3);
    const collect = async (client: ClientPair['nodis']): Promise<string> => {
      let cursor = '0';
      const found = new Set<string>();
      for (let rounds = 0; rounds < 10_000; rounds++) {
        const reply = parse(await client.callRaw(cmd, key, cursor, ...options));
        if (!Array.isArray(reply)) return JSON.stringify(reply);
        cursor = reply[0] as string;
        const items = leaves(reply[1] as RespValue);
        const stride = pairs ? 2 : 1;
        for (let i = 0; i < items.length; i += stride) found.add(JSON.stringify(items.slice(i, i + stride)));
        if (cursor === '0') break;
      }
      return [...found].sort().join(',');
    };
    const [a, b] = await Promise.all([collect(this.pair.nodis), collect(this.pair.redis)]);
    if (a !== b) this.fail(step, 'full scan', a, b);
  }
}

function report(divergences: Divergence[]): string[] {
  return divergences.slice(0, 15).map((d) => `#${d.index} ${JSON.stringify(d.argv)} (${d.why})\n   nodis: ${JSON.stringify(d.nodis)}\n   redis: ${JSON.stringify(d.redis)}`);
}

const SMALL_LIMITS: Array<[string, string]> = [
  ['hash-max-listpack-entries', '4'], ['hash-max-listpack-value', '8'], ['set-max-intset-entries', '6'],
  ['zset-max-listpack-entries', '5'], ['zset-max-listpack-value', '8'], ['list-max-listpack-size', '3'],
];

const STEPS = Number(process.env.NODIS_FUZZ_STEPS ?? 3000);

describe.skipIf(!hasOracle)('differential: generated commands on hashes, lists, sets and sorted sets', () => {
  const servers = differentialPair();

  async function fuzz(seed: number, resp3: boolean, limits: Array<[string, string]>): Promise<string[]> {
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port, resp3);
    try {
      await pair.call('FLUSHALL');
      const defaults: Array<[string, string]> = [];
      for (const [name, value] of limits) {
        const [, old] = await pair.call('CONFIG', 'GET', name);
        defaults.push([name, leaves(parse(old))[1] as string]);
        await pair.call('CONFIG', 'SET', name, value);
      }
      const runner = new FuzzRunner(pair);
      const gen = new CommandGenerator(seed);
      try {
        for (let i = 0; i < STEPS && runner.divergences.length < 15; i++) {
          if (i % 50 === 49) {
            await runner.transaction(gen.transaction());
            continue;
          }
          const step = gen.next();
          try {
            await runner.run(step);
          } catch (err) {
            throw new Error(`step #${i + 1} ${JSON.stringify(step.argv)}: ${String(err)}\n${report(runner.divergences).join('\n')}`);
          }
        }
      } finally {
        for (const [name, value] of defaults) await pair.call('CONFIG', 'SET', name, value);
      }
      return report(runner.divergences);
    } finally {
      pair.close();
    }
  }

  it('agrees with default encoding limits (RESP2)', async () => {
    expect(await fuzz(Number(process.env.NODIS_FUZZ_SEED ?? 1), false, [])).toEqual([]);
  });

  it('agrees with small encoding limits, so conversions happen often (RESP2)', async () => {
    expect(await fuzz(Number(process.env.NODIS_FUZZ_SEED ?? 2), false, SMALL_LIMITS)).toEqual([]);
  });

  it('agrees in RESP3', async () => {
    expect(await fuzz(Number(process.env.NODIS_FUZZ_SEED ?? 3), true, SMALL_LIMITS)).toEqual([]);
  });
});
