/**
 * A seeded generator of stream commands, valid and invalid, over a few keys (streams, and a
 * string and a list for WRONGTYPE): entries with explicit or `<ms>-*` IDs (never `*`, whose
 * IDs are the clock's), trims exact and approximate, deletions, consumer groups and their
 * reads, claims and acknowledgements. Claims use minimum idle times of 0 or far beyond the run,
 * so that what they do does not depend on timing; what replies carry of the clock (delivery
 * and seen times, idle times) is masked by maskStreamTimes.
 */
import { prng } from './collection-fuzz.js';

const STREAMS = ['s1', 's2', 's3'];
const OTHER = ['str', 'list', 'nokey'];
const GROUPS = ['g1', 'g2', 'g\x00bin'];
const CONSUMERS = ['alice', 'bob', 'carol', 'd\xff'];
const FIELDS = ['f', 'g', 'name', '1', '-5', ''];
const VALUES = ['v', '', '0', '127', '128', '-1', '4096', '70000', '9223372036854775807', '01', 'x'.repeat(70), 'y'.repeat(300), 'bin\x00\r\n'];
const ODD_IDS = ['-', '+', 'x', '1-x', '-1', '18446744073709551615-18446744073709551615', '0-0', '(1', '1-', ''];

/** Times and idle times, which differ between servers, as placeholders. */
export function maskStreamTimes(raw: string): string {
  return raw
    .replace(/:1\d{12}\r\n/g, ':<time>\r\n')
    .replace(/(\$4\r\nidle\r\n:)\d+/g, '$1<idle>')
    .replace(/(\*4\r\n\$\d+\r\n[0-9]+-[0-9]+\r\n\$\d+\r\n[^\r]*\r\n:)\d+(\r\n:\d+\r\n)/g, '$1<idle>$2');
}

export class StreamCommandGenerator {
  private readonly rnd: () => number;
  /** A rough clock of IDs per stream so that most XADDs succeed. */
  private readonly lastMs = new Map<string, number>();

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

  private key(): string {
    return this.chance(0.93) ? this.pick(STREAMS) : this.pick(OTHER);
  }

  /** An ID near the stream's recent ones: mostly existing or nearby entries. */
  private id(key: string): string {
    if (this.chance(0.04)) return this.pick(ODD_IDS);
    const last = this.lastMs.get(key) ?? 10;
    const ms = Math.max(0, last - this.int(40));
    return this.chance(0.2) ? String(ms) : `${ms}-${this.int(4)}`;
  }

  private rangeBound(key: string, start: boolean): string {
    if (this.chance(0.25)) return start ? '-' : '+';
    const id = this.id(key);
    return this.chance(0.15) && id !== '-' && id !== '+' ? `(${id}` : id;
  }

  private fields(): string[] {
    const n = this.chance(0.8) ? 1 : 1 + this.int(3);
    const out: string[] = [];
    // Mostly the same field names, so that entries share their node's master fields.
    for (let i = 0; i < n; i++) out.push(this.chance(0.7) ? (i === 0 ? 'f' : 'g') : this.pick(FIELDS), this.pick(VALUES));
    return out;
  }

  private trimArgs(key: string): string[] {
    const approx = this.chance(0.4);
    const op = approx ? '~' : this.chance(0.3) ? '=' : null;
    const args = this.chance(0.5) ? ['MAXLEN', ...(op === null ? [] : [op]), String(this.int(60))] : ['MINID', ...(op === null ? [] : [op]), this.id(key)];
    if (approx && this.chance(0.4)) args.push('LIMIT', String(this.int(30)));
    if (this.chance(0.02)) args.push('LIMIT', '5');
    return args;
  }

  private count(): string[] {
    return this.chance(0.5) ? ['COUNT', this.chance(0.05) ? this.pick(['0', '-1', 'x']) : String(1 + this.int(8))] : [];
  }

  next(): string[] {
    const key = this.key();
    const group = this.pick(GROUPS);
    const consumer = this.pick(CONSUMERS);
    const r = this.rnd();
    if (r < 0.3) {
      const last = (this.lastMs.get(key) ?? 10) + this.int(3);
      this.lastMs.set(key, last);
      const idArg = this.chance(0.15) ? `${last}-*` : this.chance(0.05) ? this.id(key) : `${last}-${this.int(3)}`;
      const opts: string[] = [];
      if (this.chance(0.05)) opts.push('NOMKSTREAM');
      if (this.chance(0.15)) opts.push(...this.trimArgs(key));
      return ['XADD', key, ...opts, idArg, ...this.fields()];
    }
    if (r < 0.36) return ['XDEL', key, ...Array.from({ length: 1 + this.int(3) }, () => this.id(key))];
    if (r < 0.40) return ['XTRIM', key, ...this.trimArgs(key)];
    if (r < 0.47) return [this.chance(0.5) ? 'XRANGE' : 'XREVRANGE', key, this.rangeBound(key, true), this.rangeBound(key, false), ...this.count()];
    if (r < 0.49) return ['XLEN', key];
    if (r < 0.51) {
      const args = ['XSETID', key, this.id(key)];
      if (this.chance(0.3)) args.push('ENTRIESADDED', String(this.int(500)));
      if (this.chance(0.3)) args.push('MAXDELETEDID', this.id(key));
      return args;
    }
    if (r < 0.58) {
      const sub = this.pick(['CREATE', 'CREATE', 'SETID', 'DESTROY', 'CREATECONSUMER', 'DELCONSUMER']);
      if (sub === 'CREATE' || sub === 'SETID') {
        const args = ['XGROUP', sub, key, group, this.chance(0.3) ? '$' : this.chance(0.2) ? '0' : this.id(key)];
        if (sub === 'CREATE' && this.chance(0.3)) args.push('MKSTREAM');
        if (this.chance(0.2)) args.push('ENTRIESREAD', this.pick(['-1', '0', '3', String(this.int(100))]));
        return args;
      }
      if (sub === 'DESTROY') return ['XGROUP', 'DESTROY', key, group];
      return ['XGROUP', sub, key, group, consumer];
    }
    if (r < 0.70) {
      const args = ['XREADGROUP', 'GROUP', group, consumer, ...this.count()];
      if (this.chance(0.15)) args.push('NOACK');
      const keys = this.chance(0.85) ? [key] : [key, this.key()];
      return [...args, 'STREAMS', ...keys, ...keys.map(() => (this.chance(0.75) ? '>' : this.chance(0.5) ? '0' : this.id(key)))];
    }
    if (r < 0.74) {
      const keys = this.chance(0.8) ? [key] : [key, this.key()];
      return ['XREAD', ...this.count(), 'STREAMS', ...keys, ...keys.map(() => (this.chance(0.2) ? '$' : this.chance(0.4) ? '0' : this.id(key)))];
    }
    if (r < 0.80) return ['XACK', key, group, ...Array.from({ length: 1 + this.int(4) }, () => this.id(key))];
    if (r < 0.84) {
      if (this.chance(0.5)) return ['XPENDING', key, group];
      const args = ['XPENDING', key, group];
      if (this.chance(0.2)) args.push('IDLE', this.pick(['0', '100000000']));
      args.push(this.rangeBound(key, true), this.rangeBound(key, false), String(this.int(12)));
      if (this.chance(0.3)) args.push(consumer);
      return args;
    }
    if (r < 0.89) {
      const args = ['XCLAIM', key, group, consumer, this.pick(['0', '0', '100000000']), ...Array.from({ length: 1 + this.int(3) }, () => this.id(key))];
      if (this.chance(0.3)) args.push('TIME', this.pick(['1600000000000', '0']));
      if (this.chance(0.2)) args.push('RETRYCOUNT', String(this.int(9)));
      if (this.chance(0.2)) args.push('FORCE');
      if (this.chance(0.3)) args.push('JUSTID');
      if (this.chance(0.1)) args.push('LASTID', this.id(key));
      return args;
    }
    if (r < 0.92) {
      const args = ['XAUTOCLAIM', key, group, consumer, this.pick(['0', '0', '100000000']), this.rangeBound(key, true)];
      if (this.chance(0.5)) args.push('COUNT', String(1 + this.int(5)));
      if (this.chance(0.3)) args.push('JUSTID');
      return args;
    }
    if (r < 0.96) {
      const what = this.pick(['STREAM', 'STREAM', 'GROUPS', 'CONSUMERS', 'FULL']);
      if (what === 'FULL') return ['XINFO', 'STREAM', key, 'FULL', ...(this.chance(0.5) ? ['COUNT', String(this.int(5))] : [])];
      if (what === 'CONSUMERS') return ['XINFO', 'CONSUMERS', key, group];
      return ['XINFO', what, key];
    }
    if (r < 0.97) return ['DEL', key];
    if (r < 0.98) return ['TYPE', key];
    // Digests of the stream keys (MEMORY USAGE is nodis's own figure, V8's sizes, not Redis's).
    return ['DEBUG', 'DIGEST-VALUE', this.pick(STREAMS)];
  }
}
