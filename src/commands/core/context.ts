import type { Config } from '../../config/config.js';
import type { Database, KeyspaceStats } from '../../keyspace/database.js';
import type { ReplyWriter } from '../../protocol/reply.js';
import type { Logger } from '../../log.js';
import type { CommandData, CommandFlag, KeySpec } from './command-data.js';
import type { CollectionValue, Value } from '../../types/value.js';
import type { Watcher, WatchRegistry } from '../../keyspace/watch.js';
import type { PubSub, Subscriber } from '../../pubsub/registry.js';
import type { Tracking, TrackingClient } from '../../pubsub/tracking.js';
import type { LatencyMonitor } from '../../server/latency.js';
import type { SlowLog } from '../../server/slowlog.js';
import type { LatencyHistogram } from '../../server/latency-histogram.js';
import type { Propagation } from './propagate.js';
import type { PersistedServer, SaveStatus } from '../../persistence/index.js';
import type { MemoryMeter } from '../../server/memory.js';
import type { EvictResult } from '../../keyspace/evict.js';

/**
 * What every command handler sees of whoever runs the command: a connection, or a caller
 * without a socket (a script, the AOF loader). Handlers never see the socket or the
 * connection class; the few commands about the connection itself use `connection`.
 */
export interface CommandContext extends Watcher, Subscriber, TrackingClient {
  readonly id: number;
  readonly server: ServerContext;
  readonly reply: ReplyWriter;
  /** The selected database. */
  db: Database;
  /** Selects database `index`; the caller has validated it. */
  select(index: number): void;
  /** The ACL user the commands run as. */
  user: AclUserView;
  authenticated: boolean;
  /**
   * Running inside MULTI/EXEC or a script: blocking commands must not block and answer as if
   * timed out at once (Redis's CLIENT_DENY_BLOCKING).
   */
  inMulti: boolean;
  /** The open MULTI transaction, or null. */
  multi: MultiState | null;
  /**
   * The transaction EXEC is running (multi is null by then): the client still shows it as
   * Redis does (CLIENT LIST flags=x, multi=, multi-mem=, cmd=exec) until EXEC returns.
   */
  executing?: MultiState | null;
  /** The full name of the command being run ('get', 'config|get'). */
  commandName: string;
  /** CLIENT SETNAME; empty when unnamed (slow log entries, log lines). */
  name: string;
  /** ip:port of the peer, '' for a caller without a socket. */
  readonly addr: string;
  /** Connected through the Unix socket (Redis's CLIENT_UNIX_SOCKET): a local peer. */
  readonly viaUnixSocket?: boolean;
  /** Who runs the commands: a connection, or code (see core/checks.ts for what each may run). */
  readonly caller: CallerKind;
  /** Set while a blocking command waits (BLPOP…); the dispatcher notes the call in it. Never for a socket-less caller. */
  readonly blocked: BlockedCall | null;
  /** The connection, for the commands about the connection itself; null for a socket-less caller. */
  readonly connection: ClientConnection | null;
  /** The script whose redis.call runs the command (a script's socket-less client), else null. */
  readonly scriptRun: ScriptRun | null;
}

/**
 * The script a socket-less caller runs commands for (Redis's scriptRunCtx): what the checks of
 * its commands (core/checks.ts), their propagation and client-side caching need of it.
 */
export interface ScriptRun {
  /** EVAL_RO / EVALSHA_RO, or a script flagged no-writes: write and may_replicate commands are refused. */
  readonly readOnly: boolean;
  /** The script's allow-oom flag: its commands are never refused for memory. */
  readonly allowOom: boolean;
  /** A write command already ran: the later ones are no longer refused for memory or disk errors. */
  writeDirty: boolean;
  /** Where the script's commands propagate (redis.set_repl): PROPAGATE_AOF | PROPAGATE_REPL bits. */
  replTargets: number;
  /** The client that called the script: a tracking one is told of the keys the script declared. */
  readonly caller: CommandContext;
  /** The keys the script declared (numkeys). */
  readonly keys: readonly string[];
}

/** An ACL user as the checks before a command see it (acl/ has the rest). */
export interface AclUserView {
  readonly name: string;
  /**
   * The user's root selector allows every command, key and channel (+@all ~* &*): no
   * permission check runs for it, which keeps the hot path free of ACL work.
   */
  readonly unrestricted: boolean;
}

/** Why ACL refused a command (Redis's ACL_DENIED_*), and the argument (key, channel) at fault. */
export interface AclDenial {
  reason: 'command' | 'key' | 'channel';
  pos: number;
}

/** Where a refused command was run (ACL LOG's context). */
export type AclLogContext = 'toplevel' | 'multi' | 'lua';

/** The ACL as the execution core uses it (acl/acl.ts). */
export interface AccessControl {
  /** The user new connections run as. */
  readonly defaultUser: AclUserView;
  /** Whether clients that have not authenticated must (the default user has a password or is off). */
  authRequired(): boolean;
  /** Whether a new connection starts authenticated as the default user. */
  defaultAuthenticated(): boolean;
  /** Redis's ACLCheckAllUserCommandPerm: null when `user` may run argv, else why not. */
  check(user: AclUserView, resolved: ResolvedCommand, argv: readonly string[]): AclDenial | null;
  /**
   * Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess for reads: one selector allows argv and
   * may read every key (SORT's BY and GET read keys no argument names).
   */
  mayReadAnyKey(user: AclUserView, resolved: ResolvedCommand, argv: readonly string[]): boolean;
  /** Redis's addACLLogEntry for a refused command; `client` is whoever ran it (a script's caller). */
  logDenial(client: CommandContext, denial: AclDenial, context: AclLogContext, resolved: ResolvedCommand, argv: readonly string[]): void;
}

/** Who runs a socket-less caller's commands when nobody asked (the AOF loader): everything is allowed, as Redis's user-less clients. */
export const SUPERUSER: AclUserView = { name: 'default', unrestricted: true };

/** 'client': a socket; 'script': EVAL/FCALL; 'loader': AOF loading, replication stream. */
export type CallerKind = 'client' | 'script' | 'loader';

/** What the connection commands (CLIENT, HELLO, AUTH, QUIT, RESET, MONITOR) see of a connection. */
export interface ClientConnection extends CommandContext {
  /** CLIENT SETINFO lib-name / lib-ver. */
  libName: string;
  libVer: string;
  /** AUTH or HELLO AUTH succeeded as `user`: also lifts the limits on unauthenticated requests. */
  authenticate(user: AclUserView): void;
  /** Answer this reply, then close the connection (QUIT). */
  closeAfterReply(): void;
  /**
   * A bulk transfer too big to hold in memory (a snapshot for SYNC): writes the replies added so
   * far, then `preamble` and `chunks` as they come, each once the socket has taken those before,
   * and closes the connection once all is written. The preamble goes to the socket as the chunks
   * do, not through the reply buffer (Redis writes a replica's `+FULLRESYNC` and `$<length>`
   * straight to the connection). Resolves to true once the socket has taken the last chunk,
   * false if the connection closed before.
   */
  sendAndClose(preamble: string, chunks: AsyncIterable<Uint8Array>): Promise<boolean>;
  /**
   * Writes `text` straight to the socket, outside the reply buffer, as Redis's connWrite writes
   * a replica's `+FULLRESYNC` (nothing else is pending then: SYNC checks).
   */
  writeDirect(text: string): void;
  /** Replies not written to the socket yet, by us or by the kernel (Redis's clientHasPendingReplies). */
  hasPendingOutput(): boolean;
  /**
   * Redis's CLIENT_SLAVE: the client asked for a snapshot (SYNC, PSYNC). CLIENT LIST shows it
   * with flag S and type replica, from the request to the end of the transfer.
   */
  replica: boolean;
  /** CLIENT REPLY ON|OFF|SKIP */
  replyMode: 'on' | 'off' | 'skip';
  /** CLIENT NO-EVICT */
  noEvict: boolean;
  /** Turns this client into a MONITOR. */
  startMonitor(): void;
  /** Whether this client is a MONITOR (a second MONITOR is ignored). */
  readonly monitor: boolean;
  /** Puts the connection back to the state of a new one (RESET). */
  reset(): void;
  /**
   * One line of CLIENT LIST / CLIENT INFO; `runningArgv` when the client describes itself from
   * the command it runs (its bytes and arguments count as held, as in Redis).
   */
  describe(runningArgv?: readonly string[]): string;
  /** Closes the connection now (CLIENT KILL). */
  kill(): void;
  /** The connection is closed (killed, evicted, or closed by the peer). */
  readonly closed: boolean;
  /**
   * Drops again what the server keeps for this client (subscriptions, tracking, watches…) if it
   * has closed: an EXEC that waited for a busy script runs the rest of its transaction even for a
   * client that closed meanwhile (Redis frees such a client only after EXEC).
   */
  forgetIfClosed(): void;
  readonly laddr: string;
  readonly createdAt: number;
  /**
   * A command of this client answers asynchronously (see CommandHandler): its reply and the
   * client's later commands wait until `done` settles; other clients are served meanwhile.
   */
  holdUntil(done: Promise<void>): void;
  /** A command of this client is still to answer (holdUntil). */
  readonly held: boolean;
  lastInteraction: number;
}

/**
 * What the dispatcher keeps of a command that blocked its client: as in Redis, its latency is
 * recorded when it is served or unblocked, not when it blocks (nor when it times out).
 */
export interface BlockedCall {
  /** The blocked command's statistics, once its handler has returned. */
  stat: CommandStat | null;
  /** How long the handler ran before blocking, in µs. */
  callUs: number;
}

// ---- commands: declared here, beside the context they run in, so that the table, the checks,
// the dispatcher and the command groups all depend on this file and it on none of them ----

/**
 * Runs a command and writes its reply. A handler that cannot answer at once (CONFIG SET of the
 * listening port waits for the new socket to listen) returns a promise that writes the reply
 * when it resolves, or rejects with a RedisError: the client's later commands wait meanwhile.
 */
export type CommandHandler = (ctx: CommandContext, argv: string[]) => void | Promise<void>;

/**
 * The code half of a command, declared in its group's folder: the name binds it to its entry
 * in the folder's commands.json (arity, flags, key specs, ACL categories, tips, docs).
 */
export interface CommandCode {
  /** Lower case; subcommands are named by their own word ('get' under 'config'). */
  name: string;
  /** Container commands (CONFIG, CLIENT, OBJECT…) may have no handler of their own. */
  handler?: CommandHandler;
  /** For commands whose keys move (movablekeys) and key specs cannot find: the argv positions of the keys. */
  getKeys?: (argv: string[]) => number[];
  /** Like getKeys, with each key's flags when they differ per key (COMMAND GETKEYSANDFLAGS). */
  getKeysAndFlags?: (argv: readonly string[]) => { pos: number; flags: string[] }[];
  /**
   * Redis's getCommandFlags: the command's CMD_… bits (command-data.ts) for these arguments,
   * when they depend on them (EVAL of a script whose shebang declares flags); `bits` are the
   * bits of its spec. The checks before the command runs use what this returns.
   */
  commandFlags?: (ctx: CommandContext, argv: readonly string[], bits: number) => number;
  subcommands?: CommandCode[];
}

/** A command as the server runs it: its code joined to its data. */
export interface CommandSpec extends CommandCode {
  arity: number;
  /** Every flag, including those COMMAND INFO hides (may_replicate, protected…). */
  flags: readonly CommandFlag[];
  keySpecs: readonly KeySpec[];
  /** The ACL categories as a bitmask (see categories.ts). */
  aclCategories: number;
  /** What COMMAND INFO and COMMAND DOCS report. */
  data: CommandData;
  subcommands?: CommandSpec[];
}

/** A command ready to run: its spec, the name Redis reports it by, its statistics. Built once per command. */
export interface ResolvedCommand {
  spec: CommandSpec;
  /** 'get' or 'config|get' (commandstats, arity errors). */
  fullName: string;
  parent: CommandSpec | null;
  /** The top-level command's name: 'get', or 'config' for CONFIG GET. */
  topName: string;
  /** The CMD_… bits of command-data.ts, from the spec's flags and its container's. */
  flagBits: number;
  stat: CommandStat;
  /** A container command (CONFIG, CLIENT…) looks its subcommands up here. */
  subcommands: Map<string, ResolvedCommand> | null;
  /** A number per command and subcommand, from 0: its bit in ACL users' command bitmaps. */
  id: number;
}

export interface CommandStat {
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
  /** Durations of the calls (LATENCY HISTOGRAM, INFO latencystats); made on the first one. */
  histogram: LatencyHistogram | null;
}

/** The command table as the server and the commands use it (registry.ts's CommandTable). */
export interface CommandLookup {
  /** A top-level command by the name a client sent, in any case. */
  lookup(name: string): ResolvedCommand | undefined;
  /** Finds a subcommand by name ('config', 'get'), or a top-level command. */
  find(name: string, sub?: string): ResolvedCommand | undefined;
  /** Finds a command by the full name COMMAND INFO and LATENCY HISTOGRAM take ('get', 'config|get'). */
  findByFullName(name: string): ResolvedCommand | undefined;
  /** Every top-level command. */
  all(): IterableIterator<ResolvedCommand>;
  /** How many top-level commands there are (COMMAND COUNT). */
  readonly size: number;
  /** Every command and subcommand by full name ('get', 'config|get'): INFO commandstats. */
  readonly stats: Map<string, CommandStat>;
  /** CONFIG RESETSTAT: every command's statistics back to nothing. */
  resetStats(): void;
}

/** The clients' memory and maxmemory-clients (net/clients-memory.ts), as commands see them. */
export interface ClientsMemoryView {
  /** maxmemory-clients in bytes; 0 when no client is to be evicted. */
  readonly limit: number;
  /** Redis's evictClients: disconnects the clients using the most memory while the clients' total is at or over the limit. */
  evict(): void;
  /** The largest input and output buffers the cron saw in the last seconds (INFO client_recent_max_*). */
  recentMaxBuffers(): { input: number; output: number };
}

/** A command queued between MULTI and EXEC. */
export interface QueuedCommand {
  resolved: ResolvedCommand;
  argv: string[];
}

/** A client's open transaction. */
export interface MultiState {
  queue: QueuedCommand[];
  /** A command was rejected while queuing: EXEC answers EXECABORT (Redis's CLIENT_DIRTY_EXEC). */
  aborted: boolean;
  /**
   * The queued arguments' lengths plus a pointer each (Redis's argv_len_sums): CLIENT LIST
   * multi-mem and the client's memory, kept as commands are queued so reading it costs nothing.
   */
  queuedBytes: number;
}

/** The value type a blocked client waits for. */
export type BlockedType = 'list' | 'zset' | 'stream';

/** Serves a client blocked on `key` now that it holds a non-empty value of the awaited type. */
export type ServeBlocked = (ctx: CommandContext, key: string, value: CollectionValue, argv: string[]) => void;

/**
 * A client blocked on streams (XREAD, XREADGROUP with BLOCK). Unlike a list, a stream may be
 * there and still not serve it (nothing after the ID it waits for), and a read by a group is
 * answered with an error once the stream or the group is gone; so it is asked. It is asked
 * when Redis would look at it again (serveClientsBlockedOnStreamKey): after an XADD to the key
 * or an XGROUP DESTROY (signalStreamReady), and when the key stops holding the stream it held
 * (deleted, overwritten, renamed away, flushed, swapped) or comes to hold another.
 */
export interface StreamWaiter {
  /** Whether the client is to be answered now, `value` being what `key` holds (undefined: nothing). */
  ready(key: string, value: Value | undefined): boolean;
  /** Answers it, once unblocked: the entries, or an error thrown as a RedisError. */
  serve(ctx: CommandContext, key: string): void;
}

export interface ServerStats extends KeyspaceStats {
  startTime: number;
  totalCommandsProcessed: number;
  totalConnectionsReceived: number;
  rejectedConnections: number;
  netInputBytes: number;
  netOutputBytes: number;
  totalErrorReplies: number;
  /** Per error prefix (ERR, WRONGTYPE…). */
  errorStats: Map<string, number>;
  /** Times a protocol error closed a connection etc. */
  unexpectedErrorReplies: number;
  /** Keys and values handed to the lazy free (UNLINK of a large value, FLUSH… ASYNC): INFO lazyfreed_objects. */
  lazyfreedObjects: number;
  /** Clients disconnected by maxmemory-clients: INFO evicted_clients. */
  evictedClients: number;
}

/**
 * What went wrong in a MIGRATE exchange with its target (Redis's socket errors): a write still
 * under way (`writing`) or a read, and whether it was the timeout or the connection failing.
 */
export interface MigrateFailure {
  writing: boolean;
  timedOut: boolean;
}

/** The reply lines a MIGRATE exchange read, and why it stopped short, if it did. */
export interface MigrateExchange {
  lines: string[];
  failure: MigrateFailure | null;
}

/** A connection MIGRATE keeps open to a target instance (Redis's migrateCachedSocket). */
export interface MigrateConnection {
  /**
   * The database selected on the target by the last MIGRATE that succeeded, as its decimal
   * text; null when unknown (new connection, or the target answered an error): SELECT is sent
   * when the wanted database differs.
   */
  selectedDb: string | null;
  /**
   * Writes `request`, then reads `lines` reply lines as Redis's connSyncReadLine reads them (up
   * to a newline, the \r before it dropped, at most 1023 bytes each; an empty one is a read
   * error). Each wait may last `timeoutMs` without the target doing anything. Resolves with
   * the lines read, and the failure that stopped it short, if any.
   */
  exchange(request: Buffer, lines: number, timeoutMs: number): Promise<MigrateExchange>;
}

/** The connection to one target (host and port as MIGRATE names them). */
export interface MigrateTarget {
  /**
   * Redis's migrateGetSocket: the cached connection, or a new one; null when it cannot be
   * opened within `timeoutMs` (MIGRATE answers "IOERR error or timeout connecting to the
   * client"). A connection attempt the target refuses after it started gives a connection
   * whose exchanges fail while writing, as a refused non-blocking connect gives Redis.
   */
  connect(timeoutMs: number): Promise<MigrateConnection | null>;
  /** Redis's migrateCloseSocket: closes and forgets the cached connection, if any. */
  close(): void;
}

/** MIGRATE's cache of connections to target instances (Redis's migrate_cached_sockets). */
export interface MigrateTargets {
  /**
   * Runs `work` with the target host:port once no other MIGRATE is using it: Redis, which
   * blocks during a MIGRATE, never has two on one connection at once.
   */
  use<T>(host: string, port: string, work: (target: MigrateTarget) => Promise<T>): Promise<T>;
}

/** What command handlers see of the server as a whole. */
export interface ServerContext extends PersistedServer {
  readonly config: Config;
  readonly databases: Database[];
  readonly stats: ServerStats;
  readonly commands: CommandLookup;
  readonly log: Logger;
  readonly runId: string;
  /** The TCP port actually listened on. */
  readonly port: number;
  /** Absolute path of the config file the server was started with (CONFIG REWRITE), if any. */
  readonly configFile?: string | null;
  /** Changes since the last save (INFO rdb_changes_since_last_save, save points). */
  dirty: number;
  /**
   * Set while a script runs past busy-reply-threshold with the event loop serving other
   * clients: the BUSY error they get (commands without allow_busy are refused with it).
   */
  busyScriptError: string | null;
  /** Unix time (seconds) of the last successful save. */
  lastSave: number;
  /** How background saves went (INFO persistence); see persistence/. */
  readonly saveStatus: SaveStatus;
  /** Every connected client, by id. */
  readonly clients: ReadonlyMap<number, ClientConnection>;
  /** Whether clients must authenticate (the default user has a password or is off). */
  requiresAuth(): boolean;
  /** ACL users and the permission check (acl/acl.ts). */
  readonly acl: AccessControl;
  /** The next client id (CLIENT ID), for connections and socket-less callers alike. */
  allocateClientId(): number;
  /** maxmemory, the memory estimate checked against it and the OOM state of the running command (core/checks.ts). */
  readonly meter: MemoryMeter;
  /**
   * Redis's performEvictions: evicts by maxmemory-policy while memory is over maxmemory;
   * EVICT_FAIL (keyspace/evict.ts) when it stays over with nothing left to evict.
   */
  performEvictions(): EvictResult;
  /** Memory eviction leaves out (the AOF buffer): INFO mem_not_counted_for_evict. */
  memoryNotCountedForEviction(): number;
  /** The clients' memory and maxmemory-clients: disconnecting the clients that use the most. */
  readonly clientsMemory: ClientsMemoryView;
  /** A dataset is being loaded: commands without the loading flag answer LOADING. */
  readonly loading: boolean;
  /** Stops the server (the final save, if any, is the caller's: persistence/finalSave). Resolves when closed. */
  shutdown(): Promise<void>;
  /** CLIENT PAUSE: until (ms since epoch), 'all' or 'write'. */
  pauseClients(until: number, mode: 'all' | 'write'): void;
  unpauseClients(): void;
  /** Feeds a command to MONITOR clients. */
  feedMonitors(ctx: CommandContext, argv: readonly string[]): void;
  /** Whether MONITOR clients exist (checked before building their line). */
  hasMonitors(): boolean;
  /** A CLIENT PAUSE is in force: write commands wait. */
  writesPaused(): boolean;
  /** CLIENT PAUSE ALL is in force: every command waits. */
  allCommandsPaused(): boolean;
  /** CLIENT UNBLOCK: wakes a client blocked by a blocking command; false if it was not blocked. */
  unblockClient(id: number, withError: boolean): boolean;
  /** Clients blocked in a blocking command (INFO blocked_clients). */
  blockedClientCount(): number;
  /**
   * Blocks `ctx` on `keys` (of its database) until one holds a non-empty value of `type`, then
   * runs `serve`; deadline in ms since the epoch, 0 = forever. See commands/core/blocking.ts.
   */
  blockForKeys(ctx: CommandContext, argv: string[], keys: readonly string[], type: BlockedType, deadline: number, serve: ServeBlocked): void;
  /** Blocks `ctx` on streams (XREAD, XREADGROUP): `waiter` says when and how it is answered. */
  blockForStreams(ctx: CommandContext, argv: string[], keys: readonly string[], deadline: number, waiter: StreamWaiter): void;
  /** Redis's signalKeyAsReady for a stream: clients blocked on it look at it again after the command. */
  signalStreamReady(db: Database, key: string): void;
  /** WATCHed keys of every client. */
  readonly watches: WatchRegistry;
  /** Channels and patterns. */
  readonly pubsub: PubSub;
  /** Client-side caching: tracked keys, BCAST prefixes, invalidation messages. */
  readonly tracking: Tracking;
  /** SLOWLOG, and the gate the dispatcher checks each command's duration against. */
  readonly slowlog: SlowLog;
  /** LATENCY events. */
  readonly latency: LatencyMonitor;
  /** The propagation stream: every change to the dataset as commands (AOF, replicas). See propagate.ts. */
  readonly propagation: Propagation;
  /** DEBUG SET-ACTIVE-EXPIRE: whether the timer runs the active expiry cycle. */
  activeExpireEnabled: boolean;
  /**
   * FLUSHDB (`db`) / FLUSHALL (null) is about to empty databases that still hold their keys
   * (Redis's signalFlushedDb): WATCH and client-side caching invalidate what they track there.
   */
  flushed(db: Database | null): void;
  /** SWAPDB exchanged the contents of two databases: WATCH and blocked clients look again. */
  swapped(a: Database, b: Database): void;
  /**
   * CONFIG SET of pairs that name port or bind (names already checked): resolves once the
   * new addresses listen and every value is stored; rejects with a ConfigSetError, leaving
   * every value as it was, when they cannot be listened on.
   */
  configSetListening(pairs: ReadonlyArray<readonly [string, string]>): Promise<void>;
  /** MIGRATE's connections to target instances, kept between calls. */
  readonly migrateTargets: MigrateTargets;
}
