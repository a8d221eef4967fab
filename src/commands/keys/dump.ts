import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { getLongLong } from '../../util/parse.js';
import { loadedAccessRecord } from '../../keyspace/access.js';
import { createDumpPayload, decodeDumpPayload, verifyDumpPayload } from '../../persistence/rdb/index.js';
import { encodingLimits } from '../../persistence/load.js';
import type { CommandCode, CommandContext } from '../core/context.js';

/*
 * DUMP and RESTORE (Redis's cluster.c): the value in the RDB format with the RDB version and a
 * CRC64 after it, so payloads go between nodis and Redis in both directions.
 */

function dump(ctx: CommandContext, argv: string[]): void {
  const value = ctx.db.lookupRead(argv[1] as string);
  if (value === undefined) return ctx.reply.nullBulk();
  const config = ctx.server.config;
  const payload = createDumpPayload(value, {
    compression: config.getBool('rdbcompression'),
    listMaxListpackSize: config.getNumber('list-max-listpack-size'),
  });
  ctx.reply.bulkBuffer(payload);
}

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]. */
function restore(ctx: CommandContext, argv: string[]): void {
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < argv.length; j++) {
    const opt = (argv[j] as string).toLowerCase();
    const more = argv.length - j - 1;
    if (opt === 'replace') replace = true;
    else if (opt === 'absttl') absttl = true;
    else if (opt === 'idletime' && more >= 1 && freq === -1) {
      idle = getLongLong(argv[++j] as string);
      if (idle < 0) throw new RedisError('ERR Invalid IDLETIME value, must be >= 0');
    } else if (opt === 'freq' && more >= 1 && idle === -1) {
      freq = getLongLong(argv[++j] as string);
      if (freq < 0 || freq > 255) throw new RedisError('ERR Invalid FREQ value, must be >= 0 and <= 255');
    } else throw new RedisError(ERR_SYNTAX);
  }
  const key = argv[1] as string;
  const db = ctx.db;
  if (!replace && db.lookupWrite(key) !== undefined) throw new RedisError('BUSYKEY Target key name already exists.');
  let ttl = getLongLong(argv[2] as string);
  if (ttl < 0) throw new RedisError('ERR Invalid TTL value, must be >= 0');
  const payload = Buffer.from(argv[3] as string, 'latin1');
  if (!verifyDumpPayload(payload)) {
    throw new RedisError('ERR DUMP payload version or checksum are wrong');
  }
  let value;
  try {
    value = decodeDumpPayload(payload, encodingLimits(ctx.server));
  } catch {
    throw new RedisError('ERR Bad data format');
  }
  // An empty collection is not a value Redis loads either.
  if (value === null) throw new RedisError('ERR Bad data format');

  const server = ctx.server;
  const propagation = server.propagation;
  const deleted = replace && db.delete(key);
  const now = Date.now();
  if (ttl !== 0 && !absttl) ttl += now;
  if (ttl !== 0 && ttl <= now) {
    // Already expired: nothing is created, and an old value replaced is a deletion.
    if (deleted) {
      if (propagation.active) propagation.rewrite(['DEL', key]);
      db.notify('g', 'del', key);
      server.dirty++;
    }
    ctx.reply.ok();
    return;
  }
  db.set(key, value);
  if (ttl !== 0) {
    db.setExpire(key, ttl);
    // Propagated with the absolute time, as Redis rewrites it.
    if (!absttl && propagation.active) propagation.rewrite([...argv.slice(0, 2), String(ttl), ...argv.slice(3), 'ABSTTL']);
  }
  // As Redis's objectSetLRUOrLFU, on the clock OBJECT IDLETIME reads (the last cron tick's):
  // the system clock a second ahead of it made IDLETIME 1000 read back as 999.
  if (db.access.lfu ? freq >= 0 : idle >= 0) db.setAccessRecord(key, loadedAccessRecord(db.access, idle, freq));
  db.notify('g', 'restore', key);
  server.dirty++;
  ctx.reply.ok();
}

export const commands: CommandCode[] = [
  { name: 'dump', handler: dump },
  { name: 'restore', handler: restore },
];
