/**
 * Datasets for the RDB tests, described as plain data: built into nodis values, sent to a real
 * Redis as commands, and compared through one normalized model whichever side they come from.
 */
import type { Value } from '../../src/types/value.js';
import { List } from '../../src/types/list.js';
import { SetValue } from '../../src/types/set.js';
import { HashValue } from '../../src/types/hash.js';
import { ZSet } from '../../src/types/zset.js';
import { formatDouble17g } from '../../src/util/format.js';
import type { EncodingLimits } from '../../src/persistence/rdb/constants.js';
import type { RawClient } from './raw-client.js';

export type ValueSpec =
  | { type: 'string'; value: string }
  | { type: 'list'; items: string[] }
  | { type: 'set'; members: string[] }
  | { type: 'hash'; pairs: Array<[string, string]> }
  | { type: 'zset'; entries: Array<[string, number]> };

export interface KeySpec {
  db: number;
  key: string;
  value: ValueSpec;
  /** Absolute expiry in ms. */
  expireAt?: number;
}

/** The value nodis holds after the same writes under `limits`. */
export function buildValue(spec: ValueSpec, limits: EncodingLimits): Value {
  switch (spec.type) {
    case 'string':
      return spec.value;
    case 'list':
      return List.from(spec.items);
    case 'set': {
      const set = new SetValue();
      for (const m of spec.members) set.add(m, limits.setMaxIntsetEntries);
      return set;
    }
    case 'hash': {
      const hash = new HashValue();
      for (const [f, v] of spec.pairs) hash.set(f, v, limits.hashMaxListpackEntries, limits.hashMaxListpackValue);
      return hash;
    }
    case 'zset': {
      const zset = new ZSet();
      const zl = { maxEntries: limits.zsetMaxListpackEntries, maxValue: limits.zsetMaxListpackValue };
      for (const [m, s] of spec.entries) zset.set(m, s, zl);
      return zset;
    }
  }
}

/** A comparable form: type, contents in a canonical order, zset scores as Redis prints them. */
export type Model = { type: string; data: unknown };

export function modelOf(value: Value): Model {
  if (typeof value === 'string') return { type: 'string', data: value };
  switch (value.type) {
    case 'list':
      return { type: 'list', data: (value as List).toArray() };
    case 'set': {
      const set = value as SetValue;
      const members = Array.from(set.members());
      return { type: 'set', data: members.sort() };
    }
    case 'hash': {
      const hash = value as HashValue;
      const pairs: Array<[string, string]> = [];
      hash.forEachPair((field, fieldValue) => pairs.push([field, fieldValue]));
      return { type: 'hash', data: pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
    }
    case 'zset': {
      const out: Array<[string, string]> = [];
      for (let x = (value as ZSet).zsl.first; x !== null; x = x.next) out.push([x.member, formatDouble17g(x.score)]);
      return { type: 'zset', data: out };
    }
    default:
      return { type: value.type, data: null };
  }
}

/** The commands that create `spec` in a real Redis (the selected db is the caller's business). */
export function commandsFor(spec: KeySpec): string[][] {
  const { key, value } = spec;
  const out: string[][] = [];
  const chunked = (head: string[], args: string[], per: number): void => {
    for (let i = 0; i < args.length; i += per) out.push([...head, ...args.slice(i, i + per)]);
  };
  switch (value.type) {
    case 'string':
      out.push(['SET', key, value.value]);
      break;
    case 'list':
      chunked(['RPUSH', key], value.items, 1000);
      break;
    case 'set':
      chunked(['SADD', key], value.members, 1000);
      break;
    case 'hash':
      chunked(['HSET', key], value.pairs.flat(), 1000);
      break;
    case 'zset':
      chunked(['ZADD', key], value.entries.flatMap(([m, s]) => [formatDouble17g(s), m]), 1000);
      break;
  }
  if (spec.expireAt !== undefined) out.push(['PEXPIREAT', key, String(spec.expireAt)]);
  return out;
}

/** Sends commands pipelined and checks none failed. */
export async function runAll(client: RawClient, commands: string[][]): Promise<void> {
  for (let i = 0; i < commands.length; i += 200) {
    const batch = commands.slice(i, i + 200);
    for (const c of batch) client.send(...c);
    for (const c of batch) {
      const reply = await client.read();
      if (reply !== null && typeof reply === 'object' && 'error' in reply) throw new Error(`${c[0]} failed: ${reply.error}`);
    }
  }
}

function pairsOf(flat: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as string, flat[i + 1] as string]);
  return out;
}

/** The model of a key as a real Redis reports it (in the selected db). */
export async function modelFromRedis(client: RawClient, key: string): Promise<Model> {
  const type = (await client.call('TYPE', key)) as string;
  switch (type) {
    case 'string':
      return { type, data: await client.call('GET', key) };
    case 'list':
      return { type, data: await client.call('LRANGE', key, '0', '-1') };
    case 'set':
      return { type, data: ((await client.call('SMEMBERS', key)) as string[]).sort() };
    case 'hash':
      return { type, data: pairsOf((await client.call('HGETALL', key)) as string[]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) };
    case 'zset':
      return { type, data: pairsOf((await client.call('ZRANGE', key, '0', '-1', 'WITHSCORES')) as string[]) };
    default:
      return { type, data: null };
  }
}

/** A small deterministic generator, so datasets are the same on every run. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

/** Every byte value once, and the bytes that trip text protocols. */
export const BINARY = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');

/**
 * One key of every type in each of its encodings under `limits` (which should be small, see
 * SMALL_LIMITS), with integers of every width, long compressible and incompressible strings,
 * binary keys and values, TTLs, and several databases.
 */
export function richDataset(limits: EncodingLimits, expireBase: number): KeySpec[] {
  const rnd = prng(42);
  const noise = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(Math.floor(rnd() * 256))).join('');
  const ints = ['0', '1', '-1', '12', '127', '128', '-128', '-129', '255', '4095', '4096', '-4096', '-4097', '32767', '32768', '-32768', '-32769',
    '8388607', '8388608', '-8388608', '-8388609', '2147483647', '2147483648', '-2147483648', '-2147483649', '9007199254740993',
    '9223372036854775807', '-9223372036854775808'];
  const notInts = ['007', '-0', '+1', ' 1', '1.5', '1e3', '9223372036854775808', ''];
  const specs: KeySpec[] = [];
  const add = (db: number, key: string, value: ValueSpec, expireAt?: number): void => {
    specs.push({ db, key, value, ...(expireAt === undefined ? {} : { expireAt }) });
  };
  // Strings.
  ints.forEach((v, i) => add(0, `int:${i}`, { type: 'string', value: v }));
  notInts.forEach((v, i) => add(0, `notint:${i}`, { type: 'string', value: v }));
  add(0, 'str:short', { type: 'string', value: 'hello world' });
  add(0, 'str:20', { type: 'string', value: 'a'.repeat(20) });
  add(0, 'str:21', { type: 'string', value: 'a'.repeat(21) });
  add(0, 'str:compressible', { type: 'string', value: 'abcdefgh'.repeat(600) });
  add(0, 'str:noise', { type: 'string', value: noise(300) });
  add(0, 'str:binary', { type: 'string', value: BINARY });
  add(0, `bin:${BINARY}`, { type: 'string', value: 'binary key' });
  add(0, 'str:big', { type: 'string', value: noise(20000) + 'x'.repeat(20000) });
  add(0, 'str:ttl', { type: 'string', value: 'expiring' }, expireBase + 123456);
  add(0, '', { type: 'string', value: 'empty key name' });
  // Lists: small, with every integer width, elements of each listpack string size, many nodes.
  add(0, 'list:small', { type: 'list', items: ['a', '1', '-100', 'x'.repeat(20)] });
  add(0, 'list:ints', { type: 'list', items: [...ints, ...notInts] });
  add(0, 'list:sizes', { type: 'list', items: ['s'.repeat(63), 'm'.repeat(64), 'l'.repeat(4095), 'h'.repeat(4096), 'e'.repeat(16383), noise(70)] });
  add(0, 'list:long', { type: 'list', items: Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? String(i * 7919 - 10000) : `item-${i}-${'z'.repeat(i % 50)}`)) });
  add(0, 'list:binary', { type: 'list', items: [BINARY, '\r\n', '\x00'] }, expireBase + 999999);
  // Sets: intsets of each width, too many integers, strings.
  add(0, 'set:int16', { type: 'set', members: ['1', '-5', '300', '32767'] });
  add(0, 'set:int32', { type: 'set', members: ['1', '70000', '-2147483648'] });
  add(0, 'set:int64', { type: 'set', members: ['1', '9223372036854775807', '-9223372036854775808', '4294967296'] });
  add(0, 'set:manyints', { type: 'set', members: Array.from({ length: limits.setMaxIntsetEntries + 5 }, (_, i) => String(i * 3)) });
  add(0, 'set:strings', { type: 'set', members: ['a', 'b', '12', BINARY, 'x'.repeat(100)] });
  add(0, 'set:big', { type: 'set', members: Array.from({ length: 700 }, (_, i) => `member-${i}`) }, expireBase + 5000);
  // Hashes: listpack (int-like fields and values), too long a value, too many fields.
  add(0, 'hash:small', { type: 'hash', pairs: [['f', 'v'], ['n', '123'], ['-7', '9223372036854775807'], ['bin', '\x00\xff']] });
  add(0, 'hash:longvalue', { type: 'hash', pairs: [['f', 'v'], ['long', 'L'.repeat(limits.hashMaxListpackValue + 1)]] });
  add(0, 'hash:many', { type: 'hash', pairs: Array.from({ length: limits.hashMaxListpackEntries + 10 }, (_, i): [string, string] => [`field${i}`, i % 2 === 0 ? String(i) : `value${i}`]) });
  add(0, 'hash:compressible', { type: 'hash', pairs: Array.from({ length: Math.min(limits.hashMaxListpackEntries, 6) }, (_, i): [string, string] => [`f${i}`, 'same'.repeat(3)]) });
  // Sorted sets: scores of every kind, too long a member, too many members.
  const scores = [0, -0, 1, -1, 1.5, -2.25, 1e-300, 123456789012, 2 ** 53 + 2, 4611686018427387904, 4611686018427387904 * 2, 1e300, Infinity, -Infinity, 0.1];
  add(0, 'zset:small', { type: 'zset', entries: scores.slice(0, limits.zsetMaxListpackEntries).map((s, i): [string, number] => [`m${i}`, s]) });
  add(0, 'zset:scores', { type: 'zset', entries: scores.map((s, i): [string, number] => [i % 2 === 0 ? String(i) : `member${i}`, s]) });
  add(0, 'zset:longmember', { type: 'zset', entries: [['a', 1], ['M'.repeat(limits.zsetMaxListpackValue + 1), 2]] });
  add(0, 'zset:big', { type: 'zset', entries: Array.from({ length: 500 }, (_, i): [string, number] => [`z${i}`, (i * 37) % 101 / 7]) });
  add(0, 'zset:samescore', { type: 'zset', entries: ['c', 'a', 'b', BINARY].map((m): [string, number] => [m, 5]) });
  // Exactly at the limits (still compact) and one past.
  for (const over of [0, 1]) {
    const tag = over === 0 ? 'atlimit' : 'overlimit';
    add(0, `set:${tag}`, { type: 'set', members: Array.from({ length: limits.setMaxIntsetEntries + over }, (_, i) => String(-i)) });
    add(0, `hash:${tag}`, { type: 'hash', pairs: Array.from({ length: limits.hashMaxListpackEntries + over }, (_, i): [string, string] => [`f${i}`, 'v'.repeat(limits.hashMaxListpackValue)]) });
    add(0, `hash:${tag}:value`, { type: 'hash', pairs: [['f', 'v'.repeat(limits.hashMaxListpackValue + over)]] });
    add(0, `zset:${tag}`, { type: 'zset', entries: Array.from({ length: limits.zsetMaxListpackEntries + over }, (_, i): [string, number] => [`m${i}`, i]) });
    add(0, `zset:${tag}:member`, { type: 'zset', entries: [['m'.repeat(limits.zsetMaxListpackValue + over), 1]] });
  }
  // Other databases.
  add(1, 'db1:string', { type: 'string', value: 'in db 1' });
  add(1, 'db1:list', { type: 'list', items: ['x', 'y'] }, expireBase + 777);
  add(7, 'db7:hash', { type: 'hash', pairs: [['a', '1']] });
  add(15, 'db15:zset', { type: 'zset', entries: [['only', 3.5]] });
  return specs;
}

/** Limits small enough that richDataset meets both encodings of every type. */
export const SMALL_LIMITS: EncodingLimits = {
  hashMaxListpackEntries: 8,
  hashMaxListpackValue: 16,
  zsetMaxListpackEntries: 16,
  zsetMaxListpackValue: 16,
  setMaxIntsetEntries: 8,
};

/** The redis-server arguments that set `limits` (and a list node size). */
export function limitArgs(limits: EncodingLimits, listMaxListpackSize: number): string[] {
  return [
    '--hash-max-listpack-entries', String(limits.hashMaxListpackEntries),
    '--hash-max-listpack-value', String(limits.hashMaxListpackValue),
    '--zset-max-listpack-entries', String(limits.zsetMaxListpackEntries),
    '--zset-max-listpack-value', String(limits.zsetMaxListpackValue),
    '--set-max-intset-entries', String(limits.setMaxIntsetEntries),
    '--list-max-listpack-size', String(listMaxListpackSize),
  ];
}
