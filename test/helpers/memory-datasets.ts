/**
 * The datasets the memory accounting is checked on: about a million keys, or one key of about
 * a million elements, of each type and shape. Each is loaded by `commands` pipelined commands,
 * given as RESP text (ASCII) so that building a million of them takes a fraction of a second.
 */
export interface MemoryDataset {
  name: string;
  /** How many commands load it. */
  commands: number;
  /** Command i as RESP. */
  resp(i: number): string;
}

const pad = (n: number, width = 8): string => String(n).padStart(width, '0');

/** A bulk string of RESP (ASCII text). */
const bulk = (s: string): string => `$${s.length}\r\n${s}\r\n`;

/** A command of RESP from its head (already RESP) and argument count. */
const command = (argc: number, body: string): string => `*${argc}\r\n${body}`;

/** `total` elements of one big key, `perCommand` a command; `element` gives one as RESP and `args` says how many arguments it is. */
function bigKey(name: string, total: number, perCommand: number, head: readonly string[], args: number, element: (j: number) => string): MemoryDataset {
  const headResp = head.map(bulk).join('');
  return {
    name,
    commands: Math.ceil(total / perCommand),
    resp(i) {
      const end = Math.min(total, (i + 1) * perCommand);
      let body = headResp;
      for (let j = i * perCommand; j < end; j++) body += element(j);
      return command(head.length + (end - i * perCommand) * args, body);
    },
  };
}

/** `keys` string keys set by MSET, `perCommand` keys a command. */
function stringKeys(name: string, keys: number, value: (j: number) => string, perCommand = 20): MemoryDataset {
  return bigKey(name, keys, perCommand, ['MSET'], 2, (j) => bulk(`key:${pad(j)}`) + bulk(value(j)));
}

/** One command a key: `args(j)` are its arguments. */
function perKey(name: string, keys: number, args: (j: number) => string[]): MemoryDataset {
  return {
    name,
    commands: keys,
    resp(j) {
      const a = args(j);
      return command(a.length, a.map(bulk).join(''));
    },
  };
}

const KILOBYTE_FILL = 'x'.repeat(1000);

/** A ~1 KB value, distinct per key. */
function kilobyteValue(j: number): string {
  const head = `value:${pad(j)}:`;
  return head + KILOBYTE_FILL.slice(head.length);
}

export const M = 1_000_000;

/** A string value of 16 MB in one argument: the parser reads it into a string V8 keeps outside its heap. */
const BIG_STRING: MemoryDataset = {
  name: 'strings: 1 value of 16 MB (outside the heap)',
  commands: 1,
  resp: () => command(3, bulk('SET') + bulk('bigstring') + bulk('x'.repeat(16 << 20))),
};

/**
 * `scale` multiplies every count (1 = the sizes the issue asks for). Strings of ~1 KB are loaded
 * for a tenth as many keys (100k: 100 MB of values, as much as the other datasets take; a
 * million would be a gigabyte).
 */
export function memoryDatasets(scale = 1): MemoryDataset[] {
  const n = (count: number): number => Math.max(1, Math.round(count * scale));
  // How many, as a name says it: 1M, 100k, 2.5k.
  const big = n(M);
  const many = big >= M ? `${big / M}M` : `${big / 1000}k`;
  const tenth = n(M / 10) >= M ? `${n(M / 10) / M}M` : `${n(M / 10) / 1000}k`;
  return [
    stringKeys(`strings: ${many} keys, 16-byte values`, n(M), (j) => `value:${pad(j, 10)}`),
    stringKeys(`strings: ${many} keys, integer values`, n(M), (j) => String(j * 7 + 1000)),
    stringKeys(`strings: ${tenth} keys, 1 KB values`, n(M / 10), kilobyteValue, 10),
    // INCR's results are kept as integers (types/integer-string.ts), counted as such.
    perKey(`strings: ${many} counters made by INCRBY`, n(M), (j) => ['INCRBY', `key:${pad(j)}`, String(j * 7 + 1000)]),
    BIG_STRING,
    // A string written bit by bit is a MutableString: a Buffer and its spare capacity.
    // (Up to 64 bytes its bytes are a small string, beyond that a Buffer.)
    perKey(`bitmaps: ${tenth} bitmaps of 8 bytes`, n(M / 10), (j) => ['SETBIT', `bitmap:${pad(j)}`, String(56 + (j % 8)), '1']),
    perKey(`bitmaps: ${tenth} bitmaps of 100 bytes`, n(M / 10), (j) => ['SETBIT', `bitmap:${pad(j)}`, String(792 + (j % 8)), '1']),
    perKey('bitmaps: 1 bitmap of 16 MB, set bit by bit', 2000, (j) => ['SETBIT', 'bigbitmap', String(j === 0 ? (16 << 23) - 1 : j * 4099), '1']),
    perKey(`strings: ${many} keys with a TTL`, n(M), (j) => ['SET', `key:${pad(j)}`, `value:${pad(j, 10)}`, 'EX', '100000']),
    perKey(`hashes: ${many} hashes of 5 fields`, n(M), (j) => [
      'HSET', `hash:${pad(j)}`, 'name', `user${j}`, 'email', `user${j}@example.com`, 'age', String(j % 90), 'city', 'Paris', 'visits', String(j % 1000),
    ]),
    bigKey(`hashes: 1 hash of ${many} fields`, n(M), 500, ['HSET', 'bighash'], 2, (j) => bulk(`field:${pad(j)}`) + bulk(`value:${pad(j)}`)),
    perKey(`lists: ${many} lists of 5 elements`, n(M), (j) => ['RPUSH', `list:${pad(j)}`, `a${j}`, `bb${j}`, `ccc${j}`, 'dddd', 'eeeee']),
    bigKey(`lists: 1 list of ${many} elements`, n(M), 1000, ['RPUSH', 'biglist'], 1, (j) => bulk(`element:${pad(j)}`)),
    perKey(`sets: ${many} sets of 5 members`, n(M), (j) => ['SADD', `set:${pad(j)}`, `a${j}`, `bb${j}`, 'ccc', 'dddd', 'eeeee']),
    perKey(`sets: ${many} intsets of 5 members`, n(M), (j) => ['SADD', `iset:${pad(j)}`, String(j), String(j + 1), '7', '42', '1000000']),
    bigKey(`sets: 1 set of ${many} integer members`, n(M), 1000, ['SADD', 'bigintset'], 1, (j) => bulk(String(j * 3))),
    bigKey(`sets: 1 set of ${many} string members`, n(M), 1000, ['SADD', 'bigset'], 1, (j) => bulk(`member:${pad(j)}`)),
    bigKey(`sorted sets: 1 zset of ${many} members`, n(M), 500, ['ZADD', 'bigzset'], 2, (j) => bulk(String(j * 1.5)) + bulk(`member:${pad(j)}`)),
    perKey(`sorted sets: ${many} zsets of 5 members`, n(M), (j) => ['ZADD', `zset:${pad(j)}`, '1', `a${j}`, '2.5', 'b', '3', 'c', String(j), 'd', '-1', 'e']),
  ];
}
