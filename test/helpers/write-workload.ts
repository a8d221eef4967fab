/**
 * A stream of numbered writes for durability tests, with a model of what the dataset holds
 * after any prefix of it. A client pipelines the stream and records which writes were
 * acknowledged (and when); after the server is killed and restarted, `matchingPrefixes` says
 * which prefixes of the stream the restarted dataset is exactly: a write half-applied, one out
 * of order, or a transaction applied in part matches none.
 */
import type { RawClient } from './raw-client.js';
import type { RespValue } from './resp.js';

export interface WorkloadOp {
  /** The commands sent (a transaction is MULTI … EXEC). */
  readonly commands: string[][];
}

const STRING_KEYS = 50;
const HASH_FIELDS = 40;
const SET_MEMBERS = 60;
const ZSET_MEMBERS = 30;

/** Write number `i`: strings, counters, lists, hashes, sets, sorted sets, deletes and MULTI/EXEC. */
export function workloadOp(i: number): WorkloadOp {
  switch (i % 9) {
    case 0: return { commands: [['SET', `s:${i % STRING_KEYS}`, `v${i}`]] };
    case 1: return { commands: [['INCR', 'counter']] };
    case 2: return { commands: [['RPUSH', 'list', String(i)]] };
    case 3: return { commands: [['HSET', 'hash', `f${i % HASH_FIELDS}`, String(i)]] };
    case 4: return { commands: [['SADD', 'set', `m${i % SET_MEMBERS}`]] };
    case 5: return { commands: [['ZADD', 'zset', String(i), `z${i % ZSET_MEMBERS}`]] };
    case 6: return { commands: [['DEL', `s:${(i * 7) % STRING_KEYS}`]] };
    case 7: return { commands: [['HDEL', 'hash', `f${(i * 11) % HASH_FIELDS}`]] };
    default:
      return {
        commands: [['MULTI'], ['INCR', 'tx:a'], ['RPUSH', 'tx:log', String(i)], ['HSET', 'tx:h', 'last', String(i)], ['INCRBY', 'tx:b', '2'], ['EXEC']],
      };
  }
}

/** The dataset's keys the workload touches, in a canonical form that compares as a string. */
type Canonical = string;

class Model {
  strings = new Map<string, string>();
  counter = 0;
  list: string[] = [];
  hash = new Map<string, string>();
  set = new Set<string>();
  zset = new Map<string, number>();
  txA = 0;
  txB = 0;
  txLog: string[] = [];
  txLast: string | null = null;

  apply(i: number): void {
    for (const argv of workloadOp(i).commands) {
      const [name, key, ...rest] = argv as [string, string, ...string[]];
      switch (name) {
        case 'SET': this.strings.set(key, rest[0] as string); break;
        case 'DEL': this.strings.delete(key); break;
        case 'INCR': if (key === 'counter') this.counter++; else this.txA++; break;
        case 'INCRBY': this.txB += Number(rest[0]); break;
        case 'RPUSH': (key === 'list' ? this.list : this.txLog).push(rest[0] as string); break;
        case 'HSET': if (key === 'hash') this.hash.set(rest[0] as string, rest[1] as string); else this.txLast = rest[1] as string; break;
        case 'HDEL': this.hash.delete(rest[0] as string); break;
        case 'SADD': this.set.add(rest[0] as string); break;
        case 'ZADD': this.zset.set(rest[1] as string, Number(rest[0])); break;
        default: break; // MULTI, EXEC
      }
    }
  }

  canonical(): Canonical {
    return canonicalOf({
      strings: [...this.strings].sort(([a], [b]) => (a < b ? -1 : 1)),
      counter: this.counter === 0 ? null : String(this.counter),
      list: this.list,
      hash: [...this.hash].sort(([a], [b]) => (a < b ? -1 : 1)),
      set: [...this.set].sort(),
      zset: [...this.zset].map(([m, s]) => [m, String(s)] as [string, string]).sort(([a], [b]) => (a < b ? -1 : 1)),
      txA: this.txA === 0 ? null : String(this.txA),
      txB: this.txB === 0 ? null : String(this.txB),
      txLog: this.txLog,
      txLast: this.txLast,
    });
  }
}

interface State {
  strings: Array<[string, string]>;
  counter: string | null;
  list: string[];
  hash: Array<[string, string]>;
  set: string[];
  zset: Array<[string, string]>;
  txA: string | null;
  txB: string | null;
  txLog: string[];
  txLast: string | null;
}

function canonicalOf(state: State): Canonical {
  return JSON.stringify(state);
}

function pairs(flat: RespValue): Array<[string, string]> {
  const items = flat as string[];
  const out: Array<[string, string]> = [];
  for (let j = 0; j < items.length; j += 2) out.push([items[j] as string, items[j + 1] as string]);
  return out.sort(([a], [b]) => (a < b ? -1 : 1));
}

/** What the server holds of the workload's keys, in the model's canonical form (client on db 0). */
export async function readWorkloadState(c: RawClient): Promise<{ canonical: Canonical; counter: number }> {
  const stringKeys = Array.from({ length: STRING_KEYS }, (_, k) => `s:${k}`);
  const values = (await c.call('MGET', ...stringKeys)) as Array<string | null>;
  const strings: Array<[string, string]> = [];
  stringKeys.forEach((k, j) => {
    const v = values[j];
    if (v !== null && v !== undefined) strings.push([k, v]);
  });
  strings.sort(([a], [b]) => (a < b ? -1 : 1));
  const counter = (await c.call('GET', 'counter')) as string | null;
  const state: State = {
    strings,
    counter,
    list: (await c.call('LRANGE', 'list', '0', '-1')) as string[],
    hash: pairs(await c.call('HGETALL', 'hash')),
    set: ((await c.call('SMEMBERS', 'set')) as string[]).sort(),
    zset: pairs(await c.call('ZRANGE', 'zset', '0', '-1', 'WITHSCORES')),
    txA: (await c.call('GET', 'tx:a')) as string | null,
    txB: (await c.call('GET', 'tx:b')) as string | null,
    txLog: (await c.call('LRANGE', 'tx:log', '0', '-1')) as string[],
    txLast: (await c.call('HGET', 'tx:h', 'last')) as string | null,
  };
  return { canonical: canonicalOf(state), counter: counter === null ? 0 : Number(counter) };
}

/**
 * The prefix lengths m (0 ≤ m ≤ sent) whose model equals `state`. The counter narrows the
 * search (m is among the few prefixes with that many INCR counter), so it stays cheap for long
 * streams.
 */
export function matchingPrefixes(state: { canonical: Canonical; counter: number }, sent: number): number[] {
  const model = new Model();
  const matches: number[] = [];
  for (let m = 0; m <= sent; m++) {
    if (m > 0) model.apply(m - 1);
    if (model.counter === state.counter && model.canonical() === state.canonical) matches.push(m);
    if (model.counter > state.counter) break;
  }
  return matches;
}

/** Replies each write takes (a transaction: MULTI's, one per queued command, EXEC's). */
export function repliesOf(i: number): number {
  return workloadOp(i).commands.length;
}

export interface StreamResult {
  /** Writes sent (the last ones may not have been received by the server). */
  sent: number;
  /** Writes whose every reply arrived, in order: writes 0 … acknowledged-1. */
  acknowledged: number;
  /** When (Date.now()) each acknowledged write's last reply arrived. */
  ackTimes: number[];
}

/**
 * Pipelines the workload on `c` with up to `window` writes in flight, checking every reply,
 * until `stop(acknowledged, elapsedMs)` says so; then calls `kill` at once, with writes still
 * in flight, and stops reading.
 */
export async function streamUntilKilled(
  c: RawClient,
  options: { window: number; stop: (acknowledged: number, elapsedMs: number) => boolean; kill: () => void },
): Promise<StreamResult> {
  const started = Date.now();
  const ackTimes: number[] = [];
  let sent = 0;
  let acknowledged = 0;
  let repliesPending = 0;
  for (;;) {
    while (sent - acknowledged < options.window) {
      for (const argv of workloadOp(sent).commands) c.send(...argv);
      sent++;
    }
    if (repliesPending === 0) repliesPending = repliesOf(acknowledged);
    const reply = await c.read(10_000);
    if (reply !== null && typeof reply === 'object' && 'error' in reply) {
      throw new Error(`write ${acknowledged} (${JSON.stringify(workloadOp(acknowledged).commands)}) failed: ${reply.error}`);
    }
    if (--repliesPending === 0) {
      acknowledged++;
      ackTimes.push(Date.now());
      if (options.stop(acknowledged, Date.now() - started)) {
        options.kill();
        return { sent, acknowledged, ackTimes };
      }
    }
  }
}
