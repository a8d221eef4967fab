import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { getLongLong } from '../../util/parse.js';
import { createDumpPayload } from '../../persistence/rdb/index.js';
import type { Database } from '../../keyspace/database.js';
import type { Watcher } from '../../keyspace/watch.js';
import type { Value } from '../../types/value.js';
import { uncollected } from '../../server/reclaim.js';
import { LAZYFREE_THRESHOLD, lazyfreeEffort } from '../../server/memory.js';
import type { CommandCode, CommandContext, MigrateTarget } from '../core/context.js';

/*
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
 * [AUTH2 username password] [KEYS key …] (Redis 7.0's migrateCommand, cluster.c): the keys are
 * sent to the target as RESTORE commands (after AUTH, and SELECT when the connection last
 * selected another database) in one write, the replies read line by line, and every key the
 * target acknowledged is deleted here unless COPY. The deletion is what the AOF and replicas
 * hear: DEL of those keys, nothing when none was deleted. The connections are cached between
 * calls (net/migrate-sockets.ts); a socket error before anything was acknowledged, other than
 * a timeout, is retried once on a new connection, since the cached one may have gone stale.
 *
 * Redis does all this with blocking I/O and so blocks the whole server; nodis cannot block, so
 * the calling client waits for its reply (and runs nothing else) while the others go on.
 * What Redis's blocking guarantees is kept this way: the keys are looked up, serialized and
 * their TTLs read when MIGRATE runs, so the target receives the keys as they were at that
 * instant, and each key is watched (as WATCH does) until the target answers. A key the target
 * acknowledged is deleted only if nothing changed it meanwhile (no write, expiry, FLUSH or
 * SWAPDB touched it, and it still holds the value that was sent): a write that came after the
 * snapshot is never lost by deleting it. Such a key is then both here, with the newer value,
 * and on the target, with the value at the time of the call — the one outcome Redis cannot
 * have; MIGRATE still answers +OK, as the target did store what it was sent. Pausing every
 * writer for the whole transfer (what Redis's blocking amounts to) was the other way; it would
 * stall unrelated clients for up to the timeout, which nodis's asynchronous design avoids.
 *
 * A transaction or a script must not wait in the middle of its commands (other clients would run
 * meanwhile, where a busy script makes them wait with BUSY): MIGRATE there answers
 * what needs no target (argument errors, NOKEY) as Redis does, and an error instead of
 * transferring anything.
 */

const ERR_KEYS_WITH_KEY = 'ERR When using MIGRATE KEYS option, the key argument must be set to the empty string';
const ERR_CONNECTING = 'IOERR error or timeout connecting to the client';
export const ERR_MIGRATE_CANNOT_WAIT = "ERR MIGRATE can't wait for the target instance inside a transaction or a script";

interface MigrateOptions {
  host: string;
  port: string;
  /** The destination database as sent in SELECT (validated: an integer in Redis's canonical form). */
  db: string;
  /** ms; Redis takes 0 or less for 1000. */
  timeout: number;
  copy: boolean;
  replace: boolean;
  username: string | null;
  password: string | null;
  /** argv positions of the keys. */
  firstKey: number;
  keyCount: number;
}

/** One key to transfer, as it was when MIGRATE ran. */
interface Transfer {
  key: string;
  value: Value;
  /** RESTORE's serialized-value. */
  payload: Buffer;
  /** Absolute expiry time in ms, if any: RESTORE's TTL is what is left of it when sent. */
  expireAt: number | undefined;
  /** Dirtied when the key changes before the target acknowledged it (see WatchRegistry). */
  watcher: Watcher;
}

/** Redis's option loop, then the timeout and the database, in its order. */
function parseOptions(argv: readonly string[]): MigrateOptions {
  const options: MigrateOptions = {
    host: argv[1] as string,
    port: argv[2] as string,
    db: argv[4] as string,
    timeout: 0,
    copy: false,
    replace: false,
    username: null,
    password: null,
    firstKey: 3,
    keyCount: 1,
  };
  for (let j = 6; j < argv.length; j++) {
    const opt = (argv[j] as string).toLowerCase();
    const more = argv.length - 1 - j;
    if (opt === 'copy') {
      options.copy = true;
    } else if (opt === 'replace') {
      options.replace = true;
    } else if (opt === 'auth') {
      if (more < 1) throw new RedisError(ERR_SYNTAX);
      options.password = argv[++j] as string;
    } else if (opt === 'auth2') {
      if (more < 2) throw new RedisError(ERR_SYNTAX);
      options.username = argv[++j] as string;
      options.password = argv[++j] as string;
    } else if (opt === 'keys') {
      if ((argv[3] as string).length !== 0) throw new RedisError(ERR_KEYS_WITH_KEY);
      // Every argument left is a key, option words included.
      options.firstKey = j + 1;
      options.keyCount = argv.length - j - 1;
      break;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  const timeout = getLongLong(argv[5] as string);
  getLongLong(options.db);
  options.timeout = timeout <= 0 ? 1000 : timeout;
  return options;
}

function migrate(ctx: CommandContext, argv: string[]): void | Promise<void> {
  const options = parseOptions(argv);
  const db = ctx.db;
  const found: Array<{ key: string; value: Value }> = [];
  for (let j = 0; j < options.keyCount; j++) {
    const key = argv[options.firstKey + j] as string;
    const value = db.lookupRead(key);
    if (value !== undefined) found.push({ key, value });
  }
  // Nothing to move is not an error: the keys may well have expired meanwhile.
  if (found.length === 0) return ctx.reply.simple('NOKEY');
  if (ctx.inMulti) throw new RedisError(ERR_MIGRATE_CANNOT_WAIT);

  const server = ctx.server;
  const encoding = { compression: server.config.getBool('rdbcompression'), listMaxListpackSize: server.config.getNumber('list-max-listpack-size') };
  const transfers: Transfer[] = found.map(({ key, value }) => {
    const watcher: Watcher = { watchDirty: false, watchedKeys: [] };
    server.watches.watch(watcher, db, key);
    return { key, value, payload: createDumpPayload(value, encoding), expireAt: db.getExpire(key), watcher };
  });
  const unwatch = (): void => {
    for (const t of transfers) server.watches.unwatchAll(t.watcher);
  };
  return server.migrateTargets
    .use(options.host, options.port, (target) => transfer(ctx, db, options, transfers, target))
    .then(
      () => {
        unwatch();
        ctx.reply.ok();
      },
      (err: unknown) => {
        unwatch();
        throw err;
      },
    );
}

/**
 * The transfer itself, step for step as Redis's migrateCommand from its try_again label:
 * resolves when the target acknowledged every key, rejects with the RedisError to answer.
 */
async function transfer(ctx: CommandContext, db: Database, options: MigrateOptions, transfers: Transfer[], target: MigrateTarget): Promise<void> {
  let mayRetry = true;
  let items = transfers;
  for (;;) {
    const connection = await target.connect(options.timeout);
    if (connection === null) throw new RedisError(ERR_CONNECTING);
    const selecting = connection.selectedDb !== options.db;
    const request = buildRequest(options, selecting, items, Date.now());
    // Keys that expired since MIGRATE ran are not sent, and not deleted either.
    items = request.sent;
    const preamble = (options.password !== null ? 1 : 0) + (selecting ? 1 : 0);
    const { lines, failure } = await connection.exchange(request.bytes, preamble + items.length, options.timeout);

    // Redis retries once on a new connection after a socket error (the cached one may have
    // gone stale), but not after a timeout.
    const retriable = failure !== null && !failure.timedOut;
    // A failure while writing, or before the AUTH and SELECT replies were read, goes straight
    // to Redis's socket_err: nothing was acknowledged.
    if (failure === null || (!failure.writing && lines.length >= preamble)) {
      const authReply = options.password !== null ? (lines[0] as string) : null;
      const selectReply = selecting ? (lines[preamble - 1] as string) : null;
      const preambleError = authReply?.startsWith('-') === true ? authReply : selectReply?.startsWith('-') === true ? selectReply : null;
      let targetError: string | null = null;
      const moved: Transfer[] = [];
      const answered = lines.length - preamble;
      for (let j = 0; j < answered; j++) {
        const reply = lines[preamble + j] as string;
        if (preambleError !== null || reply.startsWith('-')) {
          if (targetError === null) {
            // The target may not have the database selected that we think.
            connection.selectedDb = null;
            targetError = (preambleError ?? reply).slice(1);
          }
        } else if (!options.copy) {
          moved.push(items[j] as Transfer);
        }
      }
      // A read failed before any RESTORE was answered: retried as a socket error.
      const retryNow = targetError === null && answered === 0 && mayRetry && retriable;
      if (!retryNow) {
        if (failure !== null) target.close();
        if (moved.length !== 0) deleteMoved(ctx, db, moved);
        if (targetError !== null) throw new RedisError(`ERR Target instance replied with error: ${targetError.replace(/[\r\n]/g, ' ')}`);
        if (failure !== null) throw new RedisError('IOERR error or timeout reading to target instance');
        connection.selectedDb = options.db;
        return;
      }
    }
    // Redis's socket_err: the connection goes (closing it also forces SELECT next time).
    target.close();
    if (retriable && mayRetry) {
      mayRetry = false;
      continue;
    }
    throw new RedisError(`IOERR error or timeout ${failure?.writing === true ? 'writing' : 'reading'} to target instance`);
  }
}

/** The commands sent in one write: AUTH, SELECT, then a RESTORE per key that has not expired. */
function buildRequest(options: MigrateOptions, selecting: boolean, items: Transfer[], now: number): { bytes: Buffer; sent: Transfer[] } {
  const chunks: Buffer[] = [];
  if (options.password !== null) {
    if (options.username !== null) pushCommand(chunks, ['AUTH', options.username, options.password]);
    else pushCommand(chunks, ['AUTH', options.password]);
  }
  if (selecting) pushCommand(chunks, ['SELECT', options.db]);
  const sent: Transfer[] = [];
  for (const item of items) {
    let ttl = 0;
    if (item.expireAt !== undefined) {
      ttl = item.expireAt - now;
      if (ttl < 0) continue;
      if (ttl < 1) ttl = 1;
    }
    sent.push(item);
    const args: Array<string | Buffer> = ['RESTORE', item.key, String(ttl), item.payload];
    if (options.replace) args.push('REPLACE');
    pushCommand(chunks, args);
  }
  return { bytes: Buffer.concat(chunks), sent };
}

/** A command in RESP, as a multibulk of bulk strings (strings are latin1: one char, one byte). */
function pushCommand(chunks: Buffer[], args: ReadonlyArray<string | Buffer>): void {
  chunks.push(Buffer.from(`*${args.length}\r\n`, 'latin1'));
  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'latin1') : arg;
    chunks.push(Buffer.from(`$${bytes.length}\r\n`, 'latin1'), bytes, Buffer.from('\r\n', 'latin1'));
  }
}

/**
 * Deletes the keys the target acknowledged, as Redis does as each reply is read (a "del" event
 * and a change each), and propagates them as one DEL. A key changed since MIGRATE ran is kept
 * (see the top of this file). A key named twice in KEYS and acknowledged twice is deleted once
 * and, as in Redis, counted, notified and propagated twice.
 */
function deleteMoved(ctx: CommandContext, db: Database, moved: Transfer[]): void {
  const server = ctx.server;
  const deleted: string[] = [];
  const gone = new Set<string>();
  for (const t of moved) {
    if (gone.has(t.key)) {
      db.signalModifiedKey(t.key);
    } else {
      if (t.watcher.watchDirty || db.dict.get(t.key) !== t.value) continue;
      db.delete(t.key);
      gone.add(t.key);
      freedByServer(ctx, t.value);
    }
    db.notify('g', 'del', t.key);
    server.dirty++;
    deleted.push(t.key);
  }
  if (deleted.length === 0) return;
  // Not part of any command's call any more: a unit of its own, as a served blocked client is.
  const propagation = server.propagation;
  propagation.beginUnit();
  propagation.also(db.id, ['DEL', ...deleted]);
  propagation.endUnit();
}

/** A value deleted by the server (Redis's dbDelete, lazy as lazyfree-lazy-server-del says). */
export function freedByServer(ctx: CommandContext, value: Value): void {
  const server = ctx.server;
  uncollected.valueFreed(value);
  if (!server.config.getBool('lazyfree-lazy-server-del')) return;
  if (lazyfreeEffort(value) > LAZYFREE_THRESHOLD) server.stats.lazyfreedObjects++;
}

const KEY_FLAGS = ['RW', 'access', 'delete'];

/**
 * Redis's migrateGetKeys: the key argument, or every argument after KEYS (none when the key
 * argument is not empty: MIGRATE will refuse that). The words of AUTH and AUTH2 are skipped.
 */
function migrateKeyPositions(argv: readonly string[]): number[] {
  let first = 3;
  let count = 1;
  for (let i = 6; i < argv.length; i++) {
    const word = (argv[i] as string).toLowerCase();
    if (word === 'keys') {
      if ((argv[3] as string).length !== 0) {
        count = 0;
      } else {
        first = i + 1;
        count = argv.length - first;
      }
      break;
    }
    if (word === 'auth') i += 1;
    else if (word === 'auth2') i += 2;
  }
  const positions: number[] = [];
  for (let i = 0; i < count; i++) positions.push(first + i);
  return positions;
}

export const commands: CommandCode[] = [
  {
    name: 'migrate',
    handler: migrate,
    getKeys: migrateKeyPositions,
    getKeysAndFlags: (argv) => migrateKeyPositions(argv).map((pos) => ({ pos, flags: KEY_FLAGS })),
  },
];
