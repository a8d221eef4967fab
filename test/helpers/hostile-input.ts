/**
 * Seeded generators of hostile input for the fuzz suite: random and mutated RESP, protocol
 * frames with huge or negative lengths, random commands built from the server's own command
 * table, and mutated DUMP / FUNCTION DUMP payloads. The same seed gives the same input.
 */
import { crc64 } from '../../src/persistence/rdb/crc64.js';
import { encodeCommand } from './resp.js';

export type Random = () => number;

export function pick<T>(rnd: Random, items: readonly T[]): T {
  return items[Math.floor(rnd() * items.length)] as T;
}

export function int(rnd: Random, min: number, max: number): number {
  return min + Math.floor(rnd() * (max - min + 1));
}

export function randomBytes(rnd: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

/** Frames that state impossible, huge or negative sizes, or break the framing half-way. */
export const HOSTILE_FRAMES: readonly string[] = [
  '*-1\r\n', '*0\r\n', '*-5\r\n', '*2147483648\r\n', '*9223372036854775808\r\n', '*1048577\r\n', '*1048576\r\n',
  '*1\r\n$-1\r\n', '*1\r\n$-5\r\n', '*1\r\n$536870913\r\n', '*1\r\n$9999999999999999999999\r\n', '*1\r\n$1x\r\n',
  '*1\r\n$\r\n', '*\r\n', '*x\r\n', '*1\r\n+PING\r\n', '*1\r\n:1\r\n', '$4\r\nPING\r\n',
  '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\nshort',
  '*2\r\n$4\r\nECHO\r\n$3\r\nabcdef\r\n', '*2\r\n$4\r\nECHO\r\n$3\r\nabc', '*1\r\n$4\r\nPING',
  '\r\n\r\n\r\n', '\x00\x00\x00\x00\r\n', 'PING\x00PONG\r\n', '"unbalanced\r\n', "'also unbalanced\r\n",
  'SET k "a\\xZZ"\r\n', '*1\r\n$4\r\nPING\r\n*-1\r\n*1\r\n$4\r\nPING\r\n', '*2\r\n*1\r\n$1\r\na\r\n',
  `${'x'.repeat(70 * 1024)}`, `*1\r\n$${'9'.repeat(40)}\r\n`, `*${'9'.repeat(40)}\r\n`, '*1000000\r\n$1\r\na\r\n$1\r\nb\r\n',
  'GET\t\tk\r\n', '  \r\n', '*1\r\n$3\r\nget\r\n', '*2\r\n$3\r\nGET\r\n$0\r\n\r\n',
];

const WORDS = [
  'EX', 'PX', 'EXAT', 'PXAT', 'NX', 'XX', 'GT', 'LT', 'KEEPTTL', 'GET', 'WITHSCORES', 'LIMIT', 'COUNT', 'MATCH', 'TYPE',
  'BYSCORE', 'BYLEX', 'REV', 'LEFT', 'RIGHT', 'BEFORE', 'AFTER', 'STORE', 'BLOCK', 'STREAMS', 'GROUP', 'MKSTREAM',
  'MAXLEN', 'MINID', 'IDLE', 'FORCE', 'JUSTID', 'REPLACE', 'ABSTTL', 'FREQ', 'WEIGHTS', 'AGGREGATE', 'SUM', 'MIN', 'MAX',
  'ALPHA', 'ASC', 'DESC', 'BY', 'ID', 'RANK', 'MAXLEN', 'WITHVALUES', 'LEN', 'IDX', 'MINMATCHLEN', 'WITHMATCHLEN',
  'LOAD', 'FLUSH', 'ASYNC', 'SYNC', 'FULL', 'HELP', 'ENCODING', 'FREQ', 'REFCOUNT', 'USAGE', 'SAMPLES', 'NOW',
  'TRACKING', 'ON', 'OFF', 'BCAST', 'PREFIX', 'SETNAME', 'GETNAME', 'INFO', 'LIST', 'ID', 'NO-EVICT', 'CACHING',
];
const VALUES = [
  '0', '1', '-1', '2', '3', '10', '-10', '100', '1000', '0.5', '-0.5', '1e3', 'inf', '-inf', '+inf', 'nan', '(1', '[a', '(a',
  '-', '+', '*', '$', '>', '0-0', '0-1', '1-1', '99999999999999-0', '18446744073709551615-18446744073709551615', '',
  '9223372036854775807', '-9223372036854775808', '9223372036854775808', '4294967296', '-4294967297', '0x10', ' 1',
  'abc', 'a*b?c[d-f]', '*', '\x00', '\xff\xfe', 'x'.repeat(100), 'y'.repeat(3000), '\r\n', 'é', 'a\x00b',
  "return redis.call('get', KEYS[1])", 'return {1,2,{3,"x"}}', "redis.call('set', KEYS[1], ARGV[1]) return 1",
  'return redis.call("lpush", KEYS[1], unpack(ARGV))', '#!lua name=fz\nredis.register_function("f", function() return 1 end)',
];
const KEYS = ['k0', 'k1', 'k2', 'k3', '{k}0', 'big', 'list', 'hash', 'set', 'zset', 'stream'];

/** What the fuzz knows of one command: its name, subcommand, arity and whether it blocks. */
export interface FuzzCommand {
  name: string[];
  arity: number;
  blocking: boolean;
}

/** A random argument: a key of the small shared pool, a number, an option word or an odd value. */
export function randomArgument(rnd: Random): string {
  const r = rnd();
  if (r < 0.35) return pick(rnd, KEYS);
  if (r < 0.6) return pick(rnd, VALUES);
  if (r < 0.8) return pick(rnd, WORDS);
  if (r < 0.95) return String(int(rnd, -5, 50));
  return randomBytes(rnd, int(rnd, 0, 20)).toString('latin1');
}

/**
 * A command of the table with random arguments, about as many as its arity asks (sometimes
 * fewer or more). A blocking command gets a short timeout as its last argument most of the time.
 */
export function randomCommand(rnd: Random, table: readonly FuzzCommand[]): string[] {
  const command = pick(rnd, table);
  const minArgs = Math.abs(command.arity) - command.name.length;
  let count = command.arity > 0 ? minArgs : minArgs + int(rnd, 0, 6);
  if (rnd() < 0.1) count = Math.max(0, count + int(rnd, -2, 2));
  const argv = [...command.name];
  for (let i = 0; i < count; i++) argv.push(randomArgument(rnd));
  if (command.blocking && argv.length > command.name.length && rnd() < 0.9) argv[argv.length - 1] = '0.01';
  return argv;
}

/** A well-formed command's bytes with a few bytes flipped, dropped, repeated or inserted. */
export function mutate(rnd: Random, input: Buffer, edits = int(rnd, 1, 4)): Buffer {
  let out = Buffer.from(input);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = int(rnd, 0, out.length - 1);
    switch (int(rnd, 0, 5)) {
      case 0:
        out[at] = Math.floor(rnd() * 256);
        break;
      case 1:
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
        break;
      case 2:
        out = Buffer.concat([out.subarray(0, at), randomBytes(rnd, int(rnd, 1, 8)), out.subarray(at)]);
        break;
      case 3:
        out = out.subarray(0, at);
        break;
      case 4: {
        const end = Math.min(out.length, at + int(rnd, 1, 16));
        out = Buffer.concat([out.subarray(0, end), out.subarray(at, end), out.subarray(end)]);
        break;
      }
      default:
        // A digit changed: a length field becomes wrong, huge or negative.
        out[at] = pick(rnd, [0x2d, 0x30, 0x39, 0x31]);
    }
  }
  return out;
}

/** Random bytes, or a mutated command, or a hostile frame: one connection's worth of input. */
export function randomRespInput(rnd: Random, table: readonly FuzzCommand[]): Buffer {
  const r = rnd();
  if (r < 0.25) return randomBytes(rnd, int(rnd, 1, 200));
  if (r < 0.4) return Buffer.from(pick(rnd, HOSTILE_FRAMES), 'latin1');
  const commands = Array.from({ length: int(rnd, 1, 4) }, () => encodeCommand(randomCommand(rnd, table)));
  return mutate(rnd, Buffer.concat(commands));
}

/**
 * A DUMP or FUNCTION DUMP payload with bytes changed; most of the time the RDB version and CRC64
 * trailer are made valid again, so that the decoder behind them, not the checksum, meets the damage.
 */
export function mutatePayload(rnd: Random, payload: Buffer): Buffer {
  const body = payload.subarray(0, payload.length - 10);
  const mutated = mutate(rnd, body, int(rnd, 1, 3));
  if (rnd() < 0.2) return Buffer.concat([mutated, payload.subarray(payload.length - 10)]);
  const trailer = Buffer.alloc(10);
  payload.copy(trailer, 0, payload.length - 10, payload.length - 8);
  const withVersion = Buffer.concat([mutated, trailer.subarray(0, 2)]);
  trailer.writeBigUInt64LE(crc64(withVersion), 2);
  return Buffer.concat([withVersion, trailer.subarray(2)]);
}
