import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { keyUsage } from '../../server/memory.js';
import { getLongLong } from '../../util/parse.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { memoryOverhead, peakMemory, sampleMemory } from './info.js';
import { helpSubcommand } from '../core/help.js';
import { fullCollection, uncollected } from '../../server/reclaim.js';
import { scriptingOf } from '../../scripting/scripting.js';

/*
 * MEMORY USAGE reports what used_memory counts for the key in V8's heap (server/memory.ts's
 * keyUsage), kept as the value changes: exact for the model, whatever SAMPLES says (Redis
 * samples large values; nodis has no need to). The figures are not Redis's: the structures
 * differ (a V8 string, Map entry or object costs what it costs).
 */

function usage(ctx: CommandContext, argv: string[]): void {
  for (let j = 3; j < argv.length; j++) {
    if ((argv[j] as string).toLowerCase() === 'samples' && j + 1 < argv.length) {
      if (getLongLong(argv[j + 1] as string) < 0) throw new RedisError(ERR_SYNTAX);
      j++;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  const key = argv[2] as string;
  // Like Redis's dictFind: no expiry check, no keyspace hit or miss.
  const value = ctx.db.dict.get(key);
  if (value === undefined) {
    ctx.reply.nullBulk();
    return;
  }
  ctx.reply.integer(keyUsage(ctx.db, key, value));
}

function stats(ctx: CommandContext): void {
  const server = ctx.server;
  const used = sampleMemory(server);
  const peak = peakMemory(server);
  const mem = process.memoryUsage();
  const overheadData = memoryOverhead(server, used);
  const { startup, dbs, total: overhead } = overheadData;
  let keys = 0;
  for (const { db } of dbs) keys += db.size;
  const dataset = Math.max(0, used - overhead);
  const r = ctx.reply;
  r.mapHeader(27 + dbs.length);
  r.bulk('peak.allocated');
  r.integer(peak);
  r.bulk('total.allocated');
  r.integer(used);
  r.bulk('startup.allocated');
  r.integer(startup);
  const parts: Array<[string, number]> = [
    ['replication.backlog', 0], ['clients.slaves', 0], ['clients.normal', overheadData.clientsNormal], ['cluster.links', 0],
    ['aof.buffer', overheadData.aofBuffer], ['lua.caches', scriptingOf(ctx.server).cache.memory], ['functions.caches', 0],
  ];
  for (const [name, bytes] of parts) {
    r.bulk(name);
    r.integer(bytes);
  }
  for (const { db, main, expires } of dbs) {
    r.bulk(`db.${db.id}`);
    r.mapHeader(3);
    r.bulk('overhead.hashtable.main');
    r.integer(main);
    r.bulk('overhead.hashtable.expires');
    r.integer(expires);
    r.bulk('overhead.hashtable.slot-to-keys');
    r.integer(0);
  }
  r.bulk('overhead.total');
  r.integer(overhead);
  r.bulk('keys.count');
  r.integer(keys);
  r.bulk('keys.bytes-per-key');
  r.integer(keys === 0 ? 0 : Math.floor((used - startup) / keys));
  r.bulk('dataset.bytes');
  r.integer(dataset);
  r.bulk('dataset.percentage');
  r.double(used === startup ? 0 : (dataset * 100) / (used - startup));
  r.bulk('peak.percentage');
  r.double((used * 100) / peak);
  r.bulk('allocator.allocated');
  r.integer(used);
  r.bulk('allocator.active');
  r.integer(mem.heapTotal + mem.external);
  r.bulk('allocator.resident');
  r.integer(mem.rss);
  r.bulk('allocator-fragmentation.ratio');
  r.double((mem.heapTotal + mem.external) / used);
  r.bulk('allocator-fragmentation.bytes');
  r.integer(mem.heapTotal + mem.external - used);
  r.bulk('allocator-rss.ratio');
  r.double(mem.rss / (mem.heapTotal + mem.external));
  r.bulk('allocator-rss.bytes');
  r.integer(mem.rss - mem.heapTotal - mem.external);
  r.bulk('rss-overhead.ratio');
  r.double(1);
  r.bulk('rss-overhead.bytes');
  r.integer(0);
  r.bulk('fragmentation');
  r.double(mem.rss / used);
  r.bulk('fragmentation.bytes');
  r.integer(mem.rss - used);
}

const EMPTY_DOCTOR =
  'Hi Sam, this instance is empty or is using very little memory, my issues detector can\'t be used in these ' +
  'conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back ' +
  'to our programming as soon as I finished rebooting.\n';
const HEALTHY_DOCTOR = 'Hi Sam, I can\'t find any memory issue in your instance. I can only account for what occurs on this base.\n';

function doctor(ctx: CommandContext): void {
  // Redis's detector needs at least 5 MB of data; a V8 heap is never that small, so count the dataset instead.
  const empty = ctx.server.meter.dataset < 5 * 1024 * 1024;
  ctx.reply.verbatim(empty ? EMPTY_DOCTOR : HEALTHY_DOCTOR);
}

/** Like Redis asking jemalloc to release dirty pages: a full collection (it stops the loop while it marks the live heap). */
function purge(ctx: CommandContext): void {
  const gc = fullCollection();
  if (gc !== null) uncollected.collect(gc);
  ctx.reply.ok();
}

const MEMORY_HELP = [
  'DOCTOR',
  '    Return memory problems reports.',
  'MALLOC-STATS',
  '    Return internal statistics report from the memory allocator.',
  'PURGE',
  '    Attempt to purge dirty pages for reclamation by the allocator.',
  'STATS',
  '    Return information about the memory usage of the server.',
  'USAGE <key> [SAMPLES <count>]',
  '    Return memory in bytes used by <key> and its value. Nested values are',
  '    sampled up to <count> times (default: 5, 0 means sample all).',
];

export const commands: CommandCode[] = [
  {
    name: 'memory',
    subcommands: [
      { name: 'usage', handler: usage },
      { name: 'stats', handler: stats },
      { name: 'doctor', handler: doctor },
      { name: 'malloc-stats', handler: (ctx) => ctx.reply.verbatim('Stats not supported for the current allocator') },
      { name: 'purge', handler: purge },
      helpSubcommand(MEMORY_HELP),
    ],
  },
];
