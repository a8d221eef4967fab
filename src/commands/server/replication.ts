/*
 * The replication handshake, as far as nodis serves it: a snapshot for a client that asks for
 * nothing else (REPLCONF rdb-only 1, then SYNC or PSYNC: `redis-cli --rdb`). nodis is not a
 * master a replica can follow, so a SYNC without rdb-only is refused rather than answered with
 * a snapshot and then nothing (a replica would serve stale data without knowing it).
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { RedisError, ERR_NOT_INTEGER, ERR_SYNTAX } from '../../errors.js';
import { backgroundJobRunning, rdbWriter } from '../../persistence/index.js';
import { nextKeyChangeListenerRelease } from '../../keyspace/database.js';
import { getLongLong, parseLongLong } from '../../util/parse.js';
import { connectionOf } from '../core/checks.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { replicationId } from './info.js';
import { replicaLinkOf } from './replicas.js';

/** Redis's NET_HOST_STR_LEN: an announced address must be shorter. */
const NET_HOST_STR_LEN = 256;

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
        // Kept in a C int, as Redis keeps it.
        replicaLinkOf(ctx).listeningPort = getLongLong(value) | 0;
        break;
      case 'ip-address':
        if (Buffer.byteLength(value, 'latin1') >= NET_HOST_STR_LEN) {
          throw new RedisError(`ERR REPLCONF ip-address provided by replica instance is too long: ${Buffer.byteLength(value, 'latin1')} bytes`);
        }
        replicaLinkOf(ctx).announcedIp = value;
        break;
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

/** The bytes read from the snapshot file at a time: each is written before the next is read. */
const SNAPSHOT_CHUNK_BYTES = 64 * 1024;

/**
 * The dataset as an RDB file, written in the background as BGSAVE writes it (into `dir`; the
 * caller removes it): once a BGSAVE or an AOF rewrite running has ended, as Redis waits for its
 * child before forking another.
 */
async function writeSnapshot(ctx: CommandContext, started: () => void): Promise<string> {
  const rdb = rdbWriter();
  if (rdb === null || rdb.snapshotTo === undefined) throw new RedisError('ERR this server cannot write RDB snapshots');
  const server = ctx.server;
  // Checked and started in one step, with no await between: SYNCs waiting for the same job wake
  // together, and only the first may start (another would take its place on the keyspace's hook).
  while (backgroundJobRunning(server)) await nextKeyChangeListenerRelease(server.databases);
  const path = join(server.config.getString('dir'), `sync-${process.pid}-${++snapshotSequence}.rdb`);
  server.log.info('Starting BGSAVE for SYNC with target: disk');
  started();
  try {
    await rdb.snapshotTo(server, path);
  } catch (err) {
    await unlink(path).catch(() => {});
    throw err;
  }
  return path;
}

/** The first `size` bytes of an open file, a chunk at a time (each a buffer of its own: the socket keeps it until written). */
async function* fileChunks(file: FileHandle, size: number): AsyncGenerator<Buffer> {
  let position = 0;
  while (position < size) {
    const chunk = Buffer.allocUnsafe(Math.min(SNAPSHOT_CHUNK_BYTES, size - position));
    let filled = 0;
    while (filled < chunk.length) {
      const { bytesRead } = await file.read(chunk, filled, chunk.length - filled, position + filled);
      if (bytesRead === 0) throw new Error('the snapshot file ended early');
      filled += bytesRead;
    }
    position += filled;
    yield chunk;
  }
}

/** How often a replica waiting for its snapshot is sent a newline (Redis's replicationCron period). */
const REPLICA_KEEPALIVE_MS = 1000;

/**
 * SYNC and PSYNC after REPLCONF rdb-only 1: the snapshot as a bulk transfer, its length first,
 * its bytes streamed from the file as the socket takes them; then the connection closes.
 */
async function fullSync(ctx: CommandContext, psyncOffset: string | null): Promise<void> {
  const connection = connectionOf(ctx);
  const fullResync = psyncOffset !== null;
  // The snapshot must be all that follows: Redis refuses a SYNC pipelined behind commands whose
  // replies are not written yet (REPLCONF's +OK among them), as it does before anything else here.
  if (connection.hasPendingOutput()) throw new RedisError('ERR SYNC and PSYNC are invalid with pending output');
  // PSYNC's offset must be an integer, though a full resync never uses it (Redis checks it next).
  if (psyncOffset !== null && parseLongLong(psyncOffset) === null) {
    ctx.server.log.warn(`Replica ${ctx.addr} asks for synchronization but with a wrong offset`);
    throw new RedisError(ERR_NOT_INTEGER);
  }
  if (!rdbOnly.has(ctx)) throw new RedisError(ERR_NOT_A_MASTER);
  // A replica from the request on, as Redis marks it before its BGSAVE starts.
  connection.replica = true;
  const link = replicaLinkOf(connection);
  link.state = 'wait_bgsave';
  // While the snapshot is prepared, a newline each second tells the replica the link is alive
  // (Redis's replicationCron does it for replicas before their transfer; they skip newlines).
  const keepalive = setInterval(() => {
    if (link.state === 'wait_bgsave') connection.writeDirect('\n');
  }, REPLICA_KEEPALIVE_MS);
  keepalive.unref();
  let path: string;
  try {
    // PSYNC's answer goes out as the snapshot starts, as Redis sends it when its BGSAVE starts.
    path = await writeSnapshot(ctx, () => {
      if (fullResync) connection.writeDirect(`+FULLRESYNC ${replicationId(ctx.server)} 0\r\n`);
    });
  } catch (err) {
    // No snapshot to send: the client, answered with the error, is no replica any more.
    connection.replica = false;
    link.state = null;
    throw err;
  } finally {
    clearInterval(keepalive);
  }
  link.state = 'send_bulk';
  let file: FileHandle | null = null;
  try {
    file = await open(path, 'r');
    const { size } = await file.stat();
    let sent: boolean;
    try {
      sent = await connection.sendAndClose(`$${size}\r\n`, fileChunks(file, size));
    } catch (err) {
      // The length was promised: the transfer cannot end otherwise than cut short.
      connection.kill();
      ctx.server.log.warn(`SYNC failed. Can't read the snapshot for replica ${ctx.addr}: ${(err as Error).message}`);
      return;
    }
    if (sent) ctx.server.log.info(`Synchronization with replica ${ctx.addr} succeeded`);
  } finally {
    await file?.close();
    await unlink(path).catch(() => {});
  }
}

function sync(ctx: CommandContext): Promise<void> {
  return fullSync(ctx, null);
}

/** PSYNC replicationid offset */
function psync(ctx: CommandContext, argv: string[]): Promise<void> {
  return fullSync(ctx, argv[2] as string);
}

export const commands: CommandCode[] = [
  { name: 'replconf', handler: replconf },
  { name: 'sync', handler: sync },
  { name: 'psync', handler: psync },
];
