/*
 * The replication handshake, as far as nodis serves it: a snapshot for a client that asks for
 * nothing else (REPLCONF rdb-only 1, then SYNC or PSYNC: `redis-cli --rdb`). nodis is not a
 * master a replica can follow, so a SYNC without rdb-only is refused rather than answered with
 * a snapshot and then nothing (a replica would serve stale data without knowing it).
 */
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { rdbWriter } from '../../persistence/index.js';
import { getLongLong } from '../../util/parse.js';
import { connectionOf } from '../core/checks.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { replicationId } from './info.js';

const ERR_NOT_A_MASTER =
  'ERR nodis does not replicate: a replica cannot follow it. Only a snapshot is served, after REPLCONF rdb-only 1 (as redis-cli --rdb asks)';

/** Clients that sent REPLCONF rdb-only 1. */
const rdbOnly = new WeakSet<CommandContext>();
let snapshotSequence = 0;

/** REPLCONF <option> <value> …: the options of Redis 7.0's handshake. */
function replconf(ctx: CommandContext, argv: string[]): void {
  if (argv.length % 2 === 0) throw new RedisError(ERR_SYNTAX);
  for (let i = 1; i < argv.length; i += 2) {
    const option = (argv[i] as string).toLowerCase();
    const value = argv[i + 1] as string;
    switch (option) {
      case 'listening-port':
        getLongLong(value);
        break;
      case 'ip-address':
      case 'capa':
        break;
      case 'rdb-only': {
        const flag = getLongLong(value);
        if (flag !== 0 && flag !== 1) throw new RedisError('ERR value is out of range, value must between 0 and 1');
        if (flag === 1) rdbOnly.add(ctx);
        else rdbOnly.delete(ctx);
        break;
      }
      case 'ack':
      case 'getack':
        // From a client that is not a replica of ours (none is), Redis answers nothing at all.
        return;
      default:
        throw new RedisError(`ERR Unrecognized REPLCONF option: ${argv[i] as string}`);
    }
  }
  ctx.reply.ok();
}

/**
 * The dataset as an RDB file, written in the background as BGSAVE writes it (into `dir`, then
 * read back and removed): it waits for a BGSAVE or an AOF rewrite running to end first.
 */
async function snapshotBytes(ctx: CommandContext): Promise<Buffer> {
  const rdb = rdbWriter();
  if (rdb === null || rdb.snapshotTo === undefined) throw new RedisError('ERR this server cannot write RDB snapshots');
  const server = ctx.server;
  while (server.databases.some((db) => db.changeListener !== null)) await new Promise((r) => setTimeout(r, 10));
  const path = join(server.config.getString('dir'), `sync-${process.pid}-${++snapshotSequence}.rdb`);
  server.log.info('Starting BGSAVE for SYNC with target: disk');
  try {
    await rdb.snapshotTo(server, path);
    return await readFile(path);
  } finally {
    await unlink(path).catch(() => {});
  }
}

/** SYNC and PSYNC after REPLCONF rdb-only 1: the snapshot as a bulk transfer, then the connection closes. */
async function fullSync(ctx: CommandContext, fullResync: boolean): Promise<void> {
  if (!rdbOnly.has(ctx)) throw new RedisError(ERR_NOT_A_MASTER);
  const connection = connectionOf(ctx);
  const payload = await snapshotBytes(ctx);
  if (fullResync) ctx.reply.raw(`+FULLRESYNC ${replicationId(ctx.server)} 0\r\n`);
  ctx.reply.raw(`$${payload.length}\r\n`);
  ctx.reply.rawBuffer(payload);
  ctx.server.log.info(`Synchronization with replica ${ctx.addr} succeeded`);
  connection.closeAfterReply();
}

function sync(ctx: CommandContext): Promise<void> {
  return fullSync(ctx, false);
}

function psync(ctx: CommandContext): Promise<void> {
  return fullSync(ctx, true);
}

export const commands: CommandCode[] = [
  { name: 'replconf', handler: replconf },
  { name: 'sync', handler: sync },
  { name: 'psync', handler: psync },
];
