/**
 * A seeded generator of hash, list, set and sorted-set commands, valid and invalid, over a
 * small key space where every command can land on a key of another type. Each step says how
 * the two servers' replies are to be compared: byte for byte, as multisets (hash-table order),
 * or by their properties (random members).
 */

/** How a step's replies are compared. */
export type Check =
  | { kind: 'exact' }
  /** An unordered collection reply; `pairs` keeps field/value (member/score) pairs together. */
  | { kind: 'multiset'; pairs: boolean }
  /** Exact when the key has a compact encoding (listpack/intset order is defined), else a multiset. */
  | { kind: 'byEncoding'; key: string; pairs: boolean }
  /** Random members of `key`: same shape, every member belongs, distinct when `distinct`. */
  | { kind: 'random'; key: string; type: CollectionType; pairs: boolean; distinct: boolean }
  /** SPOP: like random, then the key is deleted on both sides to keep them in step. */
  | { kind: 'pop'; key: string }
  /** HSCAN/SSCAN/ZSCAN from cursor 0: one exact call on compact encodings, else a full iteration compared as a set. */
  | { kind: 'scan'; key: string; pairs: boolean }
  /**
   * A lex-range command: exact, but skipped on a skiplist-encoded set whose scores differ, where
   * Redis's answer depends on its random skiplist levels.
   */
  | { kind: 'lex'; key: string };

export type CollectionType = 'hash' | 'list' | 'set' | 'zset';

export interface FuzzStep {
  argv: string[];
  check: Check;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS: Record<CollectionType, string[]> = {
  hash: ['h1', 'h2'],
  list: ['l1', 'l2'],
  set: ['s1', 's2', 's3'],
  zset: ['z1', 'z2', 'z3'],
};
const ALL_KEYS = [...KEYS.hash, ...KEYS.list, ...KEYS.set, ...KEYS.zset, 'str', 'nokey'];

const LONG = 'L'.repeat(70);
const MEMBERS = ['a', 'b', 'c', 'd', 'e', 'f', '1', '2', '3', '10', '-5', '0', '-0', '1.5', '100000', 'x\x00y', '\xff\xfe\r\n', '', LONG,
  '9223372036854775807', '9223372036854775808', 'aa', 'ab'];
const INTS = ['0', '1', '2', '3', '-1', '-2', '-3', '5', '10', '-10', '100', '-100'];
const ODD_INTS = ['9223372036854775807', '-9223372036854775808', '9223372036854775808', 'abc', '1.5', '', ' 1', '+2', '0x10'];
const SCORES = ['0', '1', '2', '3', '1.5', '-1', '-2.5', '5', '1e3', '-0', '10', '+inf', '-inf', 'inf'];
const ODD_SCORES = ['nan', 'abc', '', '0x10', '1e400', '1.5.5', ' 1'];
const TIMEOUTS_ODD = ['-1', 'abc', '-0.5', 'inf', '1e400'];

export class CommandGenerator {
  private readonly rnd: () => number;

  constructor(seed: number) {
    this.rnd = prng(seed);
  }

  private chance(p: number): boolean {
    return this.rnd() < p;
  }
  private int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  key(type: CollectionType): string {
    return this.chance(0.88) ? this.pick(KEYS[type]) : this.pick(ALL_KEYS);
  }
  private member(): string {
    return this.pick(MEMBERS);
  }
  private setMember(): string {
    return this.chance(0.6) ? String(this.int(24) - 3) : this.member();
  }
  private integer(): string {
    if (this.chance(0.08)) return this.pick(ODD_INTS);
    return this.pick(INTS);
  }
  private count(): string {
    if (this.chance(0.06)) return this.pick(ODD_INTS);
    return this.pick(['1', '2', '3', '5', '10', '100', '0', '-1', '-3', '-10']);
  }
  private score(): string {
    if (this.chance(0.05)) return this.pick(ODD_SCORES);
    return this.pick(SCORES);
  }
  private scoreBound(): string {
    if (this.chance(0.05)) return this.pick(['(', '(abc', 'abc', '((1', '(nan', 'nan']);
    const s = this.pick(['0', '1', '2', '3', '1.5', '-1', '5', '10', '+inf', '-inf', 'inf', '-0']);
    return this.chance(0.3) ? `(${s}` : s;
  }
  private lexBound(): string {
    if (this.chance(0.06)) return this.pick(['a', '', '{a', '-a', '+b']);
    if (this.chance(0.2)) return this.pick(['-', '+']);
    return (this.chance(0.5) ? '[' : '(') + this.pick(['a', 'b', 'c', 'aa', 'ab', '', '1', 'x\x00y', 'z']);
  }
  private timeout(): string {
    return this.chance(0.3) ? this.pick(TIMEOUTS_ODD) : '0.01';
  }
  private keys(type: CollectionType, min = 1, max = 3): string[] {
    const n = min + this.int(max - min + 1);
    return Array.from({ length: n }, () => this.key(type));
  }
  private side(): string {
    return this.chance(0.05) ? 'MIDDLE' : this.pick(['LEFT', 'RIGHT', 'left']);
  }
  private numkeys(keys: string[]): string {
    if (this.chance(0.05)) return this.pick(['0', '-1', 'abc', String(keys.length + 1)]);
    return String(keys.length);
  }

  /** The next step: a command, sometimes with its last arguments cut off. */
  next(): FuzzStep {
    const r = this.rnd();
    let step: FuzzStep;
    if (r < 0.02) step = this.generic();
    else if (r < 0.27) step = this.hash();
    else if (r < 0.5) step = this.list();
    else if (r < 0.72) step = this.set();
    else step = this.zset();
    if (step.argv.length > 2 && this.chance(0.03)) {
      step = { argv: step.argv.slice(0, 1 + this.int(step.argv.length - 1)), check: step.check };
    }
    return step;
  }

  /** The next step for one type of collection only. */
  nextOf(type: CollectionType): FuzzStep {
    if (type === 'hash') return this.hash();
    if (type === 'list') return this.list();
    if (type === 'set') return this.set();
    return this.zset();
  }

  private exact(...argv: string[]): FuzzStep {
    return { argv, check: { kind: 'exact' } };
  }

  private lex(key: string, argv: string[]): FuzzStep {
    return { argv, check: { kind: 'lex', key } };
  }

  /** Commands whose replies are compared exactly, to run inside MULTI/EXEC. */
  transaction(): string[][] {
    const out: string[][] = [];
    while (out.length < 2 + this.int(3)) {
      const step = this.next();
      if (step.check.kind === 'exact') out.push(step.argv);
    }
    return out;
  }

  /** A burst that takes a key past the default compact limits (128 entries, 512 integers). */
  private grow(): FuzzStep {
    const type = this.pick(['hash', 'list', 'set', 'zset'] as const);
    const k = this.key(type);
    const n = 100 + this.int(500);
    const base = this.int(1000);
    const argv: string[] = [];
    if (type === 'hash') {
      argv.push('HSET', k);
      for (let i = 0; i < n; i++) argv.push(`f${base + i}`, String(i));
    } else if (type === 'list') {
      argv.push(this.pick(['LPUSH', 'RPUSH']), k);
      for (let i = 0; i < n; i++) argv.push(this.chance(0.1) ? this.member() : String(base + i));
    } else if (type === 'set') {
      argv.push('SADD', k);
      for (let i = 0; i < n; i++) argv.push(String(base + i));
      if (this.chance(0.3)) argv.push(this.member());
    } else {
      argv.push('ZADD', k);
      for (let i = 0; i < n; i++) argv.push(String(this.int(50)), `m${base + i}`);
    }
    return this.exact(...argv);
  }

  private generic(): FuzzStep {
    if (this.chance(0.25)) return this.grow();
    const r = this.int(4);
    if (r === 0) return this.exact('DEL', this.pick(ALL_KEYS));
    if (r === 1) return this.exact('SET', this.pick(ALL_KEYS), this.member());
    if (r === 2) return this.exact('TYPE', this.pick(ALL_KEYS));
    return this.exact('OBJECT', 'ENCODING', this.pick(ALL_KEYS));
  }

  private hash(): FuzzStep {
    const k = this.key('hash');
    const fv = (): string[] => {
      const n = 1 + this.int(4);
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(this.member(), this.chance(0.5) ? this.integer() : this.member());
      return out;
    };
    switch (this.int(17)) {
      case 0: return this.exact('HSET', k, ...fv());
      case 1: return this.exact('HMSET', k, ...fv());
      case 2: return this.exact('HSETNX', k, this.member(), this.member());
      case 3: return this.exact('HDEL', k, ...Array.from({ length: 1 + this.int(3) }, () => this.member()));
      case 4: return this.exact('HGET', k, this.member());
      case 5: return this.exact('HMGET', k, this.member(), this.member(), this.member());
      case 6: return this.exact('HEXISTS', k, this.member());
      case 7: return this.exact('HLEN', k);
      case 8: return this.exact('HSTRLEN', k, this.member());
      case 9: return this.exact('HINCRBY', k, this.member(), this.integer());
      case 10: return this.exact('HINCRBYFLOAT', k, this.member(), this.chance(0.5) ? this.score() : this.integer());
      case 11: return { argv: ['HKEYS', k], check: { kind: 'byEncoding', key: k, pairs: false } };
      case 12: return { argv: ['HVALS', k], check: { kind: 'byEncoding', key: k, pairs: false } };
      case 13: return { argv: ['HGETALL', k], check: { kind: 'byEncoding', key: k, pairs: true } };
      case 14: {
        if (this.chance(0.25)) return { argv: ['HRANDFIELD', k], check: { kind: 'random', key: k, type: 'hash', pairs: false, distinct: true } };
        const c = this.count();
        const withValues = this.chance(0.5);
        const argv = ['HRANDFIELD', k, c];
        if (withValues) argv.push(this.chance(0.05) ? 'WITHSCORES' : 'WITHVALUES');
        return { argv, check: { kind: 'random', key: k, type: 'hash', pairs: withValues, distinct: !c.startsWith('-') } };
      }
      case 15: return { argv: ['HSCAN', k, ...this.scanArgs()], check: { kind: 'scan', key: k, pairs: true } };
      default: return this.exact('HSET', k, this.member(), LONG + this.member());
    }
  }

  private scanArgs(): string[] {
    const argv = [this.chance(0.05) ? this.pick(['abc', '-1', '18446744073709551616', '1']) : '0'];
    if (this.chance(0.3)) argv.push('MATCH', this.pick(['*', 'a*', '[ab]*', '1*', '*\x00*', '?']));
    if (this.chance(0.3)) argv.push('COUNT', this.pick(['1', '2', '10', '1000', '0', '-1', 'abc']));
    if (this.chance(0.02)) argv.push('NOSUCH');
    return argv;
  }

  private list(): FuzzStep {
    const k = this.key('list');
    const els = (): string[] => Array.from({ length: 1 + this.int(4) }, () => this.member());
    switch (this.int(24)) {
      case 0: return this.exact('LPUSH', k, ...els());
      case 1: return this.exact('RPUSH', k, ...els());
      case 2: return this.exact('LPUSHX', k, ...els());
      case 3: return this.exact('RPUSHX', k, ...els());
      case 4: return this.exact(this.pick(['LPOP', 'RPOP']), k, ...(this.chance(0.5) ? [this.count()] : []));
      case 5: return this.exact('LLEN', k);
      case 6: return this.exact('LINDEX', k, this.integer());
      case 7: return this.exact('LSET', k, this.integer(), this.member());
      case 8: return this.exact('LRANGE', k, this.integer(), this.integer());
      case 9: return this.exact('LINSERT', k, this.chance(0.05) ? 'MIDDLE' : this.pick(['BEFORE', 'AFTER']), this.member(), this.member());
      case 10: return this.exact('LREM', k, this.integer(), this.member());
      case 11: return this.exact('LTRIM', k, this.integer(), this.integer());
      case 12: {
        const argv = ['LPOS', k, this.member()];
        if (this.chance(0.4)) argv.push('RANK', this.integer());
        if (this.chance(0.4)) argv.push('COUNT', this.count());
        if (this.chance(0.3)) argv.push('MAXLEN', this.integer());
        return this.exact(...argv);
      }
      case 13: return this.exact('LMOVE', k, this.key('list'), this.side(), this.side());
      case 14: return this.exact('RPOPLPUSH', k, this.key('list'));
      case 15: {
        const keys = this.keys('list');
        const argv = ['LMPOP', this.numkeys(keys), ...keys, this.side()];
        if (this.chance(0.5)) argv.push('COUNT', this.count());
        return this.exact(...argv);
      }
      case 16: return this.exact('LRANGE', k, '0', '-1');
      case 17:
        if (this.chance(0.5)) return this.exact('BLPOP', ...this.keys('list'), this.timeout());
        return this.exact('BRPOP', ...this.keys('list'), this.timeout());
      case 18: return this.exact('BLMOVE', k, this.key('list'), this.side(), this.side(), this.timeout());
      case 19: return this.exact('BRPOPLPUSH', k, this.key('list'), this.timeout());
      case 20: {
        const keys = this.keys('list');
        const argv = ['BLMPOP', this.timeout(), this.numkeys(keys), ...keys, this.side()];
        if (this.chance(0.5)) argv.push('COUNT', this.count());
        return this.exact(...argv);
      }
      default: return this.exact('RPUSH', k, ...els());
    }
  }

  private set(): FuzzStep {
    const k = this.key('set');
    const mems = (): string[] => Array.from({ length: 1 + this.int(5) }, () => this.setMember());
    switch (this.int(19)) {
      case 0: case 1: return this.exact('SADD', k, ...mems());
      case 2: return this.exact('SREM', k, ...mems());
      case 3: return this.exact('SCARD', k);
      case 4: return this.exact('SISMEMBER', k, this.setMember());
      case 5: return this.exact('SMISMEMBER', k, ...mems());
      case 6: return { argv: ['SMEMBERS', k], check: { kind: 'byEncoding', key: k, pairs: false } };
      case 7: return this.exact('SMOVE', k, this.key('set'), this.setMember());
      case 8: return { argv: ['SINTER', ...this.keys('set')], check: { kind: 'multiset', pairs: false } };
      case 9: return { argv: ['SUNION', ...this.keys('set')], check: { kind: 'multiset', pairs: false } };
      case 10: return { argv: ['SDIFF', ...this.keys('set')], check: { kind: 'multiset', pairs: false } };
      case 11: return this.exact(this.pick(['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), this.key('set'), ...this.keys('set'));
      case 12: {
        const keys = this.keys('set');
        const argv = ['SINTERCARD', this.numkeys(keys), ...keys];
        if (this.chance(0.4)) argv.push('LIMIT', this.count());
        return this.exact(...argv);
      }
      case 13: {
        if (this.chance(0.3)) return { argv: ['SRANDMEMBER', k], check: { kind: 'random', key: k, type: 'set', pairs: false, distinct: true } };
        const c = this.count();
        return { argv: ['SRANDMEMBER', k, c], check: { kind: 'random', key: k, type: 'set', pairs: false, distinct: !c.startsWith('-') } };
      }
      case 14: return { argv: ['SPOP', k, ...(this.chance(0.5) ? [this.count()] : [])], check: { kind: 'pop', key: k } };
      case 15: return { argv: ['SSCAN', k, ...this.scanArgs()], check: { kind: 'scan', key: k, pairs: false } };
      case 16: return this.exact('OBJECT', 'ENCODING', k);
      default: return this.exact('SADD', k, ...mems());
    }
  }

  private zset(): FuzzStep {
    const k = this.key('zset');
    const withScores = (argv: string[]): string[] => (this.chance(0.5) ? [...argv, 'WITHSCORES'] : argv);
    const limit = (argv: string[]): string[] => (this.chance(0.3) ? [...argv, 'LIMIT', this.integer(), this.integer()] : argv);
    const weightsAgg = (argv: string[], nkeys: number, aggregate: boolean): string[] => {
      const out = [...argv];
      if (this.chance(0.3)) out.push('WEIGHTS', ...Array.from({ length: nkeys }, () => this.score()));
      if (aggregate && this.chance(0.3)) out.push('AGGREGATE', this.pick(['SUM', 'MIN', 'MAX', 'AVG']));
      return out;
    };
    switch (this.int(36)) {
      case 0: case 1: {
        const argv = ['ZADD', k];
        if (this.chance(0.2)) argv.push(this.pick(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR']));
        if (this.chance(0.1)) argv.push(this.pick(['NX', 'XX', 'GT', 'LT', 'CH']));
        const n = 1 + this.int(4);
        for (let i = 0; i < n; i++) argv.push(this.score(), this.member());
        return this.exact(...argv);
      }
      case 2: return this.exact('ZINCRBY', k, this.score(), this.member());
      case 3: return this.exact('ZREM', k, this.member(), ...(this.chance(0.5) ? [this.member()] : []));
      case 4: return this.exact('ZCARD', k);
      case 5: return this.exact('ZSCORE', k, this.member());
      case 6: return this.exact('ZMSCORE', k, this.member(), this.member());
      case 7: return this.exact(this.pick(['ZRANK', 'ZREVRANK']), k, this.member());
      case 8: return this.exact('ZCOUNT', k, this.scoreBound(), this.scoreBound());
      case 9: return this.lex(k, ['ZLEXCOUNT', k, this.lexBound(), this.lexBound()]);
      case 10: {
        const mode = this.int(3);
        const argv = mode === 0 ? ['ZRANGE', k, this.integer(), this.integer()]
          : mode === 1 ? ['ZRANGE', k, this.scoreBound(), this.scoreBound(), 'BYSCORE']
            : ['ZRANGE', k, this.lexBound(), this.lexBound(), 'BYLEX'];
        if (this.chance(0.3)) argv.push('REV');
        return mode === 2 ? this.lex(k, withScores(limit(argv))) : this.exact(...withScores(limit(argv)));
      }
      case 11: return this.exact(...withScores(['ZRANGE', k, '0', '-1']));
      case 12: return this.exact(...withScores(limit(['ZRANGEBYSCORE', k, this.scoreBound(), this.scoreBound()])));
      case 13: return this.exact(...withScores(limit(['ZREVRANGEBYSCORE', k, this.scoreBound(), this.scoreBound()])));
      case 14: return this.lex(k, limit([this.pick(['ZRANGEBYLEX', 'ZREVRANGEBYLEX']), k, this.lexBound(), this.lexBound()]));
      case 15: return this.exact(...withScores(['ZREVRANGE', k, this.integer(), this.integer()]));
      case 16: {
        const mode = this.int(3);
        const argv = mode === 0 ? ['ZRANGESTORE', this.key('zset'), k, this.integer(), this.integer()]
          : mode === 1 ? ['ZRANGESTORE', this.key('zset'), k, this.scoreBound(), this.scoreBound(), 'BYSCORE']
            : ['ZRANGESTORE', this.key('zset'), k, this.lexBound(), this.lexBound(), 'BYLEX'];
        if (this.chance(0.3)) argv.push('REV');
        return mode === 2 ? this.lex(k, limit(argv)) : this.exact(...limit(argv));
      }
      case 17: return this.exact('ZREMRANGEBYRANK', k, this.integer(), this.integer());
      case 18: return this.exact('ZREMRANGEBYSCORE', k, this.scoreBound(), this.scoreBound());
      case 19: return this.lex(k, ['ZREMRANGEBYLEX', k, this.lexBound(), this.lexBound()]);
      case 20: return this.exact(this.pick(['ZPOPMIN', 'ZPOPMAX']), k, ...(this.chance(0.5) ? [this.count()] : []));
      case 21: {
        const keys = this.keys('zset');
        const argv = ['ZMPOP', this.numkeys(keys), ...keys, this.chance(0.05) ? 'MID' : this.pick(['MIN', 'MAX'])];
        if (this.chance(0.5)) argv.push('COUNT', this.count());
        return this.exact(...argv);
      }
      case 22: {
        if (this.chance(0.25)) return { argv: ['ZRANDMEMBER', k], check: { kind: 'random', key: k, type: 'zset', pairs: false, distinct: true } };
        const c = this.count();
        const ws = this.chance(0.5);
        const argv = ['ZRANDMEMBER', k, c];
        if (ws) argv.push('WITHSCORES');
        return { argv, check: { kind: 'random', key: k, type: 'zset', pairs: ws, distinct: !c.startsWith('-') } };
      }
      case 23: case 24: case 25: {
        const keys = this.keys(this.chance(0.8) ? 'zset' : 'set');
        const name = this.pick(['ZUNION', 'ZINTER', 'ZDIFF']);
        return this.exact(...withScores(weightsAgg([name, this.numkeys(keys), ...keys], keys.length, name !== 'ZDIFF')));
      }
      case 26: {
        const keys = this.keys(this.chance(0.8) ? 'zset' : 'set');
        const name = this.pick(['ZUNIONSTORE', 'ZINTERSTORE', 'ZDIFFSTORE']);
        return this.exact(...weightsAgg([name, this.key('zset'), this.numkeys(keys), ...keys], keys.length, name !== 'ZDIFFSTORE'));
      }
      case 27: {
        const keys = this.keys('zset');
        const argv = ['ZINTERCARD', this.numkeys(keys), ...keys];
        if (this.chance(0.4)) argv.push('LIMIT', this.count());
        return this.exact(...argv);
      }
      case 28: return { argv: ['ZSCAN', k, ...this.scanArgs()], check: { kind: 'scan', key: k, pairs: true } };
      case 29: return this.exact(this.pick(['BZPOPMIN', 'BZPOPMAX']), ...this.keys('zset'), this.timeout());
      case 30: {
        const keys = this.keys('zset');
        const argv = ['BZMPOP', this.timeout(), this.numkeys(keys), ...keys, this.pick(['MIN', 'MAX'])];
        if (this.chance(0.5)) argv.push('COUNT', this.count());
        return this.exact(...argv);
      }
      case 31: return this.exact('OBJECT', 'ENCODING', k);
      default: return this.exact('ZADD', k, this.score(), this.member(), this.score(), this.member());
    }
  }
}
