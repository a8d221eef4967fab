/**
 * Seeded commands for the propagation replay test: every group of writes, with expiry times
 * short enough for keys to expire (lazily and actively) during a run, and long ones that
 * survive it. Which replies come back does not matter here, only what the server's dataset
 * becomes, so invalid commands and other types are mixed in freely.
 */
import { CommandGenerator, prng, type CollectionType } from './collection-fuzz.js';

export type ReplayGroup = 'strings' | 'keys' | 'lists' | 'hashes' | 'sets' | 'zsets' | 'transactions' | 'databases';

const STRING_KEYS = ['k1', 'k2', 'k3', 'k4', 'n1', 'n2', 'f1'];
const COLLECTION_KEYS = ['h1', 'h2', 'l1', 'l2', 's1', 's2', 's3', 'z1', 'z2', 'z3'];
const VALUES = ['a', 'bb', '1', '10', '-3', '2.5', '', 'x\x00y', '\xff\xfe\r\n', 'hello world', '9223372036854775807'];

export class ReplayGenerator {
  private readonly rnd: () => number;
  private readonly collections: CommandGenerator;

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
