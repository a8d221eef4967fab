/**
 * Seeded commands for the propagation replay test: every group of writes, with expiry times
 * short enough for keys to expire (lazily and actively) during a run, and long ones that
 * survive it. Which replies come back does not matter here, only what the server's dataset
 * becomes, so invalid commands and other types are mixed in freely.
 */
import { CommandGenerator, prng, type CollectionType } from './collection-fuzz.js';

export type ReplayGroup = 'strings' | 'keys' | 'lists' | 'hashes' | 'sets' | 'zsets' | 'streams' | 'transactions' | 'databases';

const STRING_KEYS = ['k1', 'k2', 'k3', 'k4', 'n1', 'n2', 'f1'];
const COLLECTION_KEYS = ['h1', 'h2', 'l1', 'l2', 's1', 's2', 's3', 'z1', 'z2', 'z3'];
/** x1 and x2 get IDs of a counter of this generator's (so existing IDs can be named), x3 generated ones. */
const STREAM_KEYS = ['x1', 'x2', 'x3'];
const GROUPS = ['g1', 'g2'];
const CONSUMERS = ['c1', 'c2', 'c3'];
const VALUES = ['a', 'bb', '1', '10', '-3', '2.5', '', 'x\x00y', '\xff\xfe\r\n', 'hello world', '9223372036854775807'];

export class ReplayGenerator {
  private readonly rnd: () => number;
  private readonly collections: CommandGenerator;
  /** The ms part of the last ID given to an XADD of x1 or x2. */
  private streamMs = 1;

  constructor(seed: number) {
    this.rnd = prng(seed);
    this.collections = new CommandGenerator(seed ^ 0x5eed);
  }

  chance(p: number): boolean {
    return this.rnd() < p;
  }
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** A time to live in ms: mostly short (expires during the run), else long (outlives it). */
  private ttlMs(): number {
    return this.chance(0.5) ? 1 + this.int(60) : 100_000 + this.int(10_000_000);
  }

  private stringKey(): string {
    return this.chance(0.9) ? this.pick(STRING_KEYS) : this.pick(COLLECTION_KEYS);
  }

  private anyKey(): string {
    return this.chance(0.5) ? this.pick(STRING_KEYS) : this.pick(COLLECTION_KEYS);
  }

  private value(): string {
    return this.chance(0.3) ? String(this.int(100) - 20) : this.pick(VALUES);
  }

  /** An expiry option of SET/GETEX: EX, PX, EXAT or PXAT, sometimes already past. */
  private expireOption(): string[] {
    const ms = this.ttlMs();
    const now = Date.now();
    switch (this.int(5)) {
      case 0: return ['EX', String(Math.max(1, Math.round(ms / 1000)))];
      case 1: return ['PX', String(ms)];
      case 2: return ['EXAT', String(Math.floor((now + ms) / 1000) + 1)];
      case 3: return ['PXAT', String(now + ms)];
      default: return this.chance(0.5) ? ['PXAT', String(now - 1 - this.int(1000))] : ['EXAT', String(Math.floor(now / 1000) - 1)];
    }
  }

  /** EXPIRE and friends on `key`: relative or absolute, future or past, with an option now and then. */
  expireCommand(key: string): string[] {
    const ms = this.ttlMs();
    const now = Date.now();
    const past = this.chance(0.08);
    let argv: string[];
    switch (this.int(5)) {
      case 0: argv = ['EXPIRE', key, past ? '-1' : String(Math.max(1, Math.round(ms / 1000)))]; break;
      case 1: argv = ['PEXPIRE', key, past ? '0' : String(ms)]; break;
      case 2: argv = ['EXPIREAT', key, String(Math.floor((past ? now - 5000 : now + ms) / 1000))]; break;
      case 3: argv = ['PEXPIREAT', key, String(past ? now - 10 : now + ms)]; break;
      default: return ['PERSIST', key];
    }
    if (this.chance(0.15)) argv.push(this.pick(['NX', 'XX', 'GT', 'LT']));
    return argv;
  }

  strings(): string[] {
    const k = this.stringKey();
    switch (this.int(24)) {
      case 0: case 1: case 2: {
        const argv = ['SET', k, this.value()];
        if (this.chance(0.3)) argv.push(this.pick(['NX', 'XX']));
        if (this.chance(0.3)) argv.push('GET');
        if (this.chance(0.4)) argv.push(...this.expireOption());
        else if (this.chance(0.2)) argv.push('KEEPTTL');
        return argv;
      }
      case 3: return ['SETNX', k, this.value()];
      case 4: return ['SETEX', k, String(Math.max(1, Math.round(this.ttlMs() / 1000))), this.value()];
      case 5: return ['PSETEX', k, String(this.ttlMs()), this.value()];
      case 6: case 7: return ['GET', k];
      case 8: {
        const r = this.int(3);
        if (r === 0) return ['GETEX', k];
        if (r === 1) return ['GETEX', k, 'PERSIST'];
        return ['GETEX', k, ...this.expireOption()];
      }
      case 9: return ['GETDEL', k];
      case 10: return ['GETSET', k, this.value()];
      case 11: return ['MSET', k, this.value(), this.stringKey(), this.value()];
      case 12: return ['MSETNX', k, this.value(), this.stringKey(), this.value()];
      case 13: return ['APPEND', k, this.value()];
      case 14: return ['SETRANGE', k, String(this.int(12)), this.value()];
      case 15: return ['INCR', k];
      case 16: return ['DECRBY', k, String(this.int(20) - 10)];
      case 17: return ['INCRBY', k, this.pick(['1', '-7', '1000', '9223372036854775807'])];
      case 18: case 19: return ['INCRBYFLOAT', k, this.pick(['0.1', '-2.5', '1e3', '3', '1.0000000000000001', '5.0e-3'])];
      case 20: return this.expireCommand(k);
      case 21: return ['DEL', k];
      case 22: return ['STRLEN', k];
      default: return ['GETRANGE', k, '0', '-1'];
    }
  }

  keys(): string[] {
    const k = this.anyKey();
    switch (this.int(26)) {
      case 0: return ['DEL', k, this.anyKey()];
      case 1: return ['UNLINK', k];
      case 2: return ['EXISTS', k, this.anyKey()];
      case 3: return ['TYPE', k];
      case 4: case 5: return ['RENAME', k, this.anyKey()];
      case 6: return ['RENAMENX', k, this.anyKey()];
      case 7: case 8: {
        const argv = ['COPY', k, this.anyKey()];
        if (this.chance(0.4)) argv.push('DB', String(this.int(3)));
        if (this.chance(0.4)) argv.push('REPLACE');
        return argv;
      }
      case 9: return ['MOVE', k, String(this.int(3))];
      case 10: case 11: case 12: case 13: return this.expireCommand(k);
      case 14: return ['TTL', k];
      case 15: return ['PEXPIRETIME', k];
      case 16: {
        const src = this.pick(['l1', 'l2', 's1', 's2', 'z1']);
        const argv = ['SORT', src];
        if (this.chance(0.3)) argv.push('BY', this.pick(['nosort', 'k*', 'h1->*']));
        if (this.chance(0.3)) argv.push('LIMIT', '0', String(1 + this.int(5)));
        if (this.chance(0.3)) argv.push('GET', this.pick(['#', 'k*', 'h2->*']));
        if (this.chance(0.5)) argv.push('ALPHA');
        if (this.chance(0.3)) argv.push('DESC');
        argv.push('STORE', this.pick(['l2', 'sorted', 'k1']));
        return argv;
      }
      case 17: return ['RANDOMKEY'];
      case 18: return ['SCAN', '0', 'COUNT', String(1 + this.int(20))];
      case 19: return ['TOUCH', k];
      case 20: return ['SELECT', String(this.int(3))];
      case 21: return ['SET', this.pick(STRING_KEYS), this.value(), ...(this.chance(0.3) ? this.expireOption() : [])];
      case 22: return ['RPUSH', this.pick(['l1', 'l2']), this.value(), this.value()];
      case 23: return ['SADD', this.pick(['s1', 's2']), this.value(), String(this.int(10))];
      case 24: return ['ZADD', this.pick(['z1', 'z2']), String(this.int(10)), this.value()];
      default: return ['HSET', this.pick(['h1', 'h2']), this.value(), this.value()];
    }
  }

  /** A command of one collection type, or now and then an expiry change on one of its keys. */
  collection(type: CollectionType): string[] {
    if (this.chance(0.1)) return this.expireCommand(this.collections.key(type));
    return this.collections.nextOf(type).argv;
  }

  /** An ID of x1 or x2 that was likely given to an entry (or now and then one past them all). */
  private streamId(): string {
    if (this.chance(0.05)) return this.pick(['0', '0-0', `${this.streamMs + 5}-0`]);
    return `${1 + this.int(this.streamMs)}-${this.int(3)}`;
  }

  private streamIds(): string[] {
    return Array.from({ length: 1 + this.int(3) }, () => this.streamId());
  }

  /** MAXLEN or MINID, exact or approximate (the approximate ones are propagated exact), LIMIT now and then. */
  private trimOption(): string[] {
    const approximate = this.chance(0.6);
    const argv = this.chance(0.6) ? ['MAXLEN', approximate ? '~' : this.pick(['=', '=', '']), String(this.int(40))] : ['MINID', approximate ? '~' : '=', this.streamId()];
    if (approximate && this.chance(0.3)) argv.push('LIMIT', String(this.int(120)));
    return argv.filter((a) => a !== '');
  }

  streams(): string[] {
    if (this.chance(0.05)) return this.expireCommand(this.pick(STREAM_KEYS));
    const key = this.chance(0.97) ? this.pick(STREAM_KEYS) : this.anyKey();
    const generated = key === 'x3';
    const group = this.pick(GROUPS);
    const consumer = this.pick(CONSUMERS);
    const ids = (): string[] => (generated ? ['0-1', `${Date.now()}-0`] : this.streamIds());
    switch (this.int(30)) {
      case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: {
        const argv = ['XADD', key];
        if (this.chance(0.05)) argv.push('NOMKSTREAM');
        if (this.chance(0.15)) argv.push(...this.trimOption());
        if (generated) {
          argv.push('*');
        } else {
          if (this.chance(0.7)) this.streamMs += 1;
          argv.push(this.chance(0.5) ? `${this.streamMs}-*` : `${this.streamMs}-${this.int(3)}`);
        }
        for (let i = 1 + this.int(3); i > 0; i--) argv.push(this.pick(['f', 'g', 'n']), this.value());
        return argv;
      }
      case 8: case 9: return ['XDEL', key, ...ids()];
      case 10: return ['XTRIM', key, ...this.trimOption()];
      case 11: case 12: {
        const argv = ['XGROUP', 'CREATE', key, group, this.pick(['$', '0', generated ? '0' : this.streamId()])];
        if (this.chance(0.4)) argv.push('MKSTREAM');
        if (this.chance(0.2)) argv.push('ENTRIESREAD', String(this.int(20) - 1));
        return argv;
      }
      case 13: {
        const argv = ['XGROUP', 'SETID', key, group, this.pick(['$', '0', generated ? '$' : this.streamId()])];
        if (this.chance(0.3)) argv.push('ENTRIESREAD', String(this.int(20) - 1));
        return argv;
      }
      case 14: return this.chance(0.3) ? ['XGROUP', 'DESTROY', key, group] : ['XGROUP', this.pick(['CREATECONSUMER', 'DELCONSUMER']), key, group, consumer];
      case 15: case 16: case 17: case 18: case 19: {
        const argv = ['XREADGROUP', 'GROUP', group, consumer];
        if (this.chance(0.6)) argv.push('COUNT', String(1 + this.int(5)));
        if (this.chance(0.15)) argv.push('NOACK');
        // Only `>`: a read of a consumer's history updates delivery times and counts, or creates the
        // consumer, and Redis 7.0 propagates none of it (its own replicas differ from their master).
        if (this.chance(0.2)) return [...argv, 'STREAMS', key, this.pick(STREAM_KEYS), '>', '>'];
        return [...argv, 'STREAMS', key, '>'];
      }
      case 20: case 21: case 22: return ['XACK', key, group, ...ids()];
      case 23: case 24: {
        const argv = ['XCLAIM', key, group, consumer, this.pick(['0', '0', '5']), ...ids()];
        const since = this.int(10);
        if (since < 2) argv.push('IDLE', String(this.int(100_000)));
        else if (since < 4) argv.push('TIME', String(Date.now() - this.int(100_000)));
        if (this.chance(0.2)) argv.push('RETRYCOUNT', String(this.int(10)));
        if (this.chance(0.2)) argv.push('FORCE');
        if (this.chance(0.3)) argv.push('JUSTID');
        if (this.chance(0.1)) argv.push('LASTID', generated ? `${Date.now()}-0` : this.streamId());
        return argv;
      }
      case 25: case 26: {
        const argv = ['XAUTOCLAIM', key, group, consumer, this.pick(['0', '0', '5']), this.chance(0.7) ? '0' : generated ? '0-1' : this.streamId()];
        if (this.chance(0.5)) argv.push('COUNT', String(1 + this.int(5)));
        if (this.chance(0.3)) argv.push('JUSTID');
        return argv;
      }
      case 27: return ['XSETID', key, generated ? `${Date.now() + 1000}-0` : `${this.streamMs}-${this.int(9)}`];
      case 28: return this.chance(0.3) ? ['DEL', key] : ['XLEN', key];
      default: return ['XPENDING', key, group, '-', '+', '10'];
    }
  }

  /** Any command of any group (inside transactions). */
  any(): string[] {
    switch (this.int(6)) {
      case 0: return this.strings();
      case 1: return this.keys();
      case 2: return this.collection('list');
      case 3: return this.collection('hash');
      case 4: return this.collection('set');
      default: return this.collection('zset');
    }
  }

  databases(): string[] {
    switch (this.int(30)) {
      case 0: case 1: case 2: return ['SELECT', String(this.pick([0, 1, 2, 15]))];
      case 3: return ['SWAPDB', String(this.int(3)), String(this.pick([0, 1, 2, 15]))];
      case 4: return this.chance(0.3) ? ['FLUSHDB', ...(this.chance(0.3) ? [this.pick(['ASYNC', 'SYNC'])] : [])] : ['DBSIZE'];
      case 5: return this.chance(0.1) ? ['FLUSHALL'] : ['DBSIZE'];
      case 6: case 7: return ['MOVE', this.anyKey(), String(this.pick([0, 1, 2, 15]))];
      case 8: return ['COPY', this.anyKey(), this.anyKey(), 'DB', String(this.pick([0, 1, 2, 15])), 'REPLACE'];
      default: return this.chance(0.5) ? this.strings() : this.any();
    }
  }
}
