import { RedisError } from '../../errors.js';
import { currentLruClock, idleTimeMs, lfuDecayed, LFU_INIT_VAL } from '../../keyspace/access.js';
import { IntegerString } from '../../types/integer-string.js';
import { isIntEncodable, stringEncoding, type Value } from '../../types/value.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { helpSubcommand } from '../core/help.js';

const SWITCHING_NOTE =
  'Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.';
const ERR_LFU_SELECTED = `ERR An LFU maxmemory policy is selected, idle time not tracked. ${SWITCHING_NOTE}`;
const ERR_LFU_NOT_SELECTED = `ERR An LFU maxmemory policy is not selected, access frequency not tracked. ${SWITCHING_NOTE}`;

/** Redis shares the objects of the integers 0..9999 (OBJ_SHARED_INTEGERS). */
const SHARED_INTEGERS = 10000;
/** The refcount Redis reports for a shared object (OBJ_SHARED_REFCOUNT = INT_MAX). */
const SHARED_REFCOUNT = 2147483647;

/**
 * OBJECT looks keys up without touching them or notifying a miss, but counts hits and misses
 * (Redis's LOOKUP_NOTOUCH | LOOKUP_NONOTIFY).
 */
function lookup(ctx: CommandContext, argv: string[]): Value | undefined {
  const value = ctx.db.lookup(argv[2] as string);
  const stats = ctx.server.stats;
  if (value === undefined) {
    stats.misses++;
    ctx.reply.nullBulk();
  } else {
    stats.hits++;
  }
  return value;
}

function encoding(ctx: CommandContext, argv: string[]): void {
  const value = lookup(ctx, argv);
  if (value === undefined) return;
  ctx.reply.bulk(typeof value === 'string' ? stringEncoding(value) : value.encoding());
}

/**
 * Values have no reference counts here; what Redis would report is derived instead: small
 * integers are shared objects unless an LRU/LFU maxmemory policy forbids sharing them.
 */
function refcount(ctx: CommandContext, argv: string[]): void {
  const value = lookup(ctx, argv);
  if (value === undefined) return;
  ctx.reply.integer(isSharedInteger(ctx, value) ? SHARED_REFCOUNT : 1);
}

/** Whether Redis would hold this value as one of its shared integers (0..9999, unless an LRU/LFU maxmemory policy keeps them apart). */
export function isSharedInteger(ctx: CommandContext, value: Value): boolean {
  if (value instanceof IntegerString) {
    if (value.integer < 0 || value.integer >= SHARED_INTEGERS) return false;
  } else if (typeof value !== 'string' || !isIntEncodable(value) || value.length > 4 || value.charCodeAt(0) === 45 || Number(value) >= SHARED_INTEGERS) {
    return false;
  }
  const config = ctx.server.config;
  if (config.getNumber('maxmemory') === 0) return true;
  const policy = config.getString('maxmemory-policy');
  return !(policy.endsWith('-lru') || policy.endsWith('-lfu'));
}

function idletime(ctx: CommandContext, argv: string[]): void {
  const value = lookup(ctx, argv);
  if (value === undefined) return;
  const db = ctx.db;
  if (db.access.lfu) throw new RedisError(ERR_LFU_SELECTED);
  const record = db.accessRecordOf(argv[2] as string) ?? currentLruClock();
  ctx.reply.integer(Math.floor(idleTimeMs(record) / 1000));
}

function freq(ctx: CommandContext, argv: string[]): void {
  const value = lookup(ctx, argv);
  if (value === undefined) return;
  const db = ctx.db;
  if (!db.access.lfu) throw new RedisError(ERR_LFU_NOT_SELECTED);
  const record = db.accessRecordOf(argv[2] as string);
  ctx.reply.integer(record === undefined ? LFU_INIT_VAL : lfuDecayed(record, db.access));
}

const OBJECT_HELP = [
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
];

export const commands: CommandCode[] = [
  {
    name: 'object',
    subcommands: [
      { name: 'encoding', handler: encoding },
      { name: 'freq', handler: freq },
      helpSubcommand(OBJECT_HELP),
      { name: 'idletime', handler: idletime },
      { name: 'refcount', handler: refcount },
    ],
  },
];
