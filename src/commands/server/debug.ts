import { RedisError, ERR_NO_SUCH_KEY } from '../../errors.js';
import { isStringValue, stringEncoding, type Value } from '../../types/value.js';
import { createDumpPayload } from '../../persistence/rdb/dump.js';

/** A DUMP payload's bytes around the value: its type byte, then the RDB version (2) and CRC64 (8). */
const DUMP_FRAMING_BYTES = 11;
import { List, listMaxListpackSize } from '../../types/list.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { replyHelp, subcommandSyntaxError } from '../core/help.js';
import { saveSnapshotNow } from './persistence.js';
import { loadRdbFile } from '../../persistence/load.js';
import { datasetDigest, valueDigest } from '../../keyspace/digest.js';
import { atoi } from '../../util/parse.js';
import { isSharedInteger } from '../keys/object.js';
import { ERR_LOADING } from '../core/checks.js';

/** C's atof/strtod prefix: the longest leading number, 0 when there is none. */
function atof(text: string): number {
  const match = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(text);
  return match === null ? 0 : Number(match[0]);
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the whole server, as Redis's DEBUG SLEEP does. */
function sleepBlocking(ms: number): void {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
}

/** A stable fake address for DEBUG OBJECT's "Value at:". */
function fakeAddress(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return '0x7f' + h.toString(16).padStart(10, '0');
}

/**
 * The bytes the value takes in an RDB file (Redis's rdbSavedObjectLen): its DUMP payload less
 * the type byte before and the version and CRC after, written as SAVE would (rdbcompression).
 */
function serializedLength(ctx: CommandContext, value: Value): number {
  const config = ctx.server.config;
  const payload = createDumpPayload(value, { compression: config.getBool('rdbcompression'), listMaxListpackSize: config.getNumber('list-max-listpack-size') });
  return payload.length - DUMP_FRAMING_BYTES;
}

function debugObject(ctx: CommandContext, key: string): void {
  const value = ctx.db.lookup(key);
  if (value === undefined) throw new RedisError(ERR_NO_SUCH_KEY);
  const encoding = isStringValue(value) ? stringEncoding(value) : value.encoding();
  const shared = isSharedInteger(ctx, value);
  const lru = Math.floor(Date.now() / 1000) & 0xffffff;
  let line =
    `Value at:${fakeAddress(key)} refcount:${shared ? 2147483647 : 1} encoding:${encoding} ` +
    `serializedlength:${serializedLength(ctx, value)} lru:${lru} lru_seconds_idle:0`;
  if (value instanceof List) {
    const nodes = value.nodeCount;
    line +=
      ` ql_nodes:${nodes} ql_avg_node:${(nodes === 0 ? 0 : value.size / nodes).toFixed(2)} ql_listpack_max:${listMaxListpackSize()}` +
      ` ql_compressed:0 ql_uncompressed_size:${value.packedSize}`;
  }
  ctx.reply.simple(line);
}

const DEBUG_HELP = [
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'OBJECT <key>',
  '    Show low level info about `key` and associated value.',
  'PROTOCOL <type>',
  '    Reply with a test value of the specified type. <type> can be: string,',
  '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,',
  '    true, false.',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory. Valid <option> values:',
  '    * MERGE: conflicting keys will be loaded from RDB.',
  '    * NOFLUSH: the existing database will not be removed before load, but',
  '      conflicting keys will generate an exception and kill the server.',
  '    * NOSAVE: the database will be loaded from an existing RDB file.',
  '    Examples:',
  '    * DEBUG RELOAD: verify that the server is able to persist, flush and reload',
  '      the database.',
  '    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an',
  '      existing RDB file.',
  '    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB',
  '      file to the database.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not accessed (otherwise the Redis',
  '    behavior). Setting it to 1 reenables back the default.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
];

const PROTOCOL_TYPES = 'string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false';

/**
 * DEBUG PROTOCOL <type>: one sample reply of each RESP type, for testing clients (redis-cli -3,
 * client libraries' RESP3 parsers). The samples are Redis's, so clients' outputs compare.
 */
function debugProtocol(ctx: CommandContext, type: string): void {
  const r = ctx.reply;
  switch (type.toLowerCase()) {
    case 'string':
      return r.bulk('Hello World');
    case 'integer':
      return r.integer(12345);
    case 'double':
      return r.double(3.141);
    case 'bignum':
      return r.bigNumber('1234567999999999999999999999999999999');
    case 'null':
      return r.nullBulk();
    case 'array':
    case 'set':
      if (type.toLowerCase() === 'set') r.setHeader(3);
      else r.arrayHeader(3);
      for (let j = 0; j < 3; j++) r.integer(j);
      return;
    case 'map':
      r.mapHeader(3);
      for (let j = 0; j < 3; j++) {
        r.integer(j);
        r.bool(j === 1);
      }
      return;
    case 'attrib':
      // An attribute is not a reply of its own: RESP3 clients get it before a real reply.
      if (r.resp === 3) {
        r.raw('|1\r\n');
        r.bulk('key-popularity');
        r.arrayHeader(2);
        r.bulk('key:123');
        r.integer(90);
      }
      return r.bulk('Some real reply following the attribute');
    case 'push': {
      if (r.resp === 2) throw new RedisError('ERR RESP2 is not supported by this command');
      const enabled = r.beginPush();
      r.pushHeader(2);
      r.bulk('server-cpu-usage');
      r.integer(42);
      r.endPush(enabled);
      // A push is out of band: a real reply follows, so a client waiting for one gets it.
      return r.bulk('Some real reply following the push reply');
    }
    case 'verbatim':
      return r.verbatim('This is a verbatim\nstring');
    case 'true':
      return r.bool(true);
    case 'false':
      return r.bool(false);
    default:
      throw new RedisError(`ERR Wrong protocol type name. Please use one of the following: ${PROTOCOL_TYPES}`);
  }
}

/** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the dataset, load the file back. */
function debugReload(ctx: CommandContext, argv: string[]): void {
  let merge = false;
  let flush = true;
  let save = true;
  for (let j = 2; j < argv.length; j++) {
    const opt = (argv[j] as string).toLowerCase();
    if (opt === 'merge') merge = true;
    else if (opt === 'noflush') flush = false;
    else if (opt === 'nosave') save = false;
    else throw new RedisError('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
  }
  const server = ctx.server;
  // DEBUG runs while a dataset loads (it has the loading flag), but a reload then would save
  // and reload the part loaded so far, and replace dump.rdb with it (Redis would): refused.
  if (server.loading) throw new RedisError(ERR_LOADING);
  if (save) saveSnapshotNow(server);
  if (flush) {
    server.flushed(null);
    for (const db of server.databases) db.clear();
  }
  try {
    if (loadRdbFile(server, merge) === null) throw new Error('No such file or directory');
  } catch (err) {
    server.log.warn(`Error loading the RDB dump: ${(err as Error).message}`);
    throw new RedisError('ERR Error trying to load the RDB dump');
  }
  server.log.warn('DB reloaded by DEBUG RELOAD');
  ctx.reply.ok();
}

function debug(ctx: CommandContext, argv: string[]): void {
  const sub = (argv[1] as string).toLowerCase();
  const argc = argv.length;
  if (sub === 'help' && argc === 2) {
    replyHelp(ctx, argv, DEBUG_HELP);
  } else if (sub === 'sleep' && argc === 3) {
    sleepBlocking(atof(argv[2] as string) * 1000);
    ctx.reply.ok();
  } else if (sub === 'set-active-expire' && argc === 3) {
    ctx.server.activeExpireEnabled = atoi(argv[2] as string) !== 0;
    ctx.reply.ok();
  } else if (sub === 'digest' && argc === 2) {
    ctx.reply.simple(datasetDigest(ctx.server.databases).toString('hex'));
  } else if (sub === 'digest-value') {
    ctx.reply.arrayHeader(argc - 2);
    for (let i = 2; i < argc; i++) ctx.reply.simple(valueDigest(ctx.db, argv[i] as string).toString('hex'));
  } else if (sub === 'object' && argc === 3) {
    debugObject(ctx, argv[2] as string);
  } else if (sub === 'protocol' && argc === 3) {
    debugProtocol(ctx, argv[2] as string);
  } else if (sub === 'reload') {
    debugReload(ctx, argv);
  } else {
    throw new RedisError(subcommandSyntaxError(argv));
  }
}

export const commands: CommandCode[] = [
  { name: 'debug', handler: debug },
];
