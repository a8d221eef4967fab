import { flushBeforeSlices } from '../util/turn.js';
import { RedisError } from '../errors.js';
import net from 'node:net';
import { isAbsolute, join } from 'node:path';
import { strerror } from '../config/values.js';
import { randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import { Config, ConfigSetError } from '../config/config.js';
import type { Parsed } from '../config/special.js';
import type { BlockedType, CommandContext, ServeBlocked, ServerContext, ServerStats, StreamWaiter } from '../commands/core/context.js';
import { CommandTable } from '../commands/core/registry.js';
import { LatencyMonitor } from '../server/latency.js';
import { SlowLog, redactedArgv } from '../server/slowlog.js';
import { allCommands } from '../commands/index.js';
import { LAZYFREE_THRESHOLD, MemoryMeter, lazyfreeEffort } from '../server/memory.js';
import { heapWarning } from '../server/heap.js';
import { Database, type KeyspaceHooks } from '../keyspace/database.js';
import { activeExpireCycle } from '../keyspace/expire.js';
import { Evictor, type EvictResult } from '../keyspace/evict.js';
import { bindAccessPolicy, stopLruClock, tickLruClock } from '../keyspace/access.js';
import type { Logger } from '../log.js';
import { Client } from './client.js';
import { ClientsMemory } from './clients-memory.js';
import { BlockingState } from './blocking.js';
import { MigrateSocketCache } from './migrate-sockets.js';
import { WatchRegistry } from '../keyspace/watch.js';
import { PubSub, isSubscribed } from '../pubsub/registry.js';
import { Tracking } from '../pubsub/tracking.js';
import { parseOutputBufferLimits, type OutputBufferLimits } from '../config/special.js';
import { NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, classBit, parseNotifyFlags } from '../pubsub/notify.js';
import { Propagation } from '../commands/core/propagate.js';
import { isLocalIp } from '../commands/core/checks.js';
import { LARGE_FREE_BYTES, uncollected } from '../server/reclaim.js';
import type { Value } from '../types/value.js';
import { NO_AOF, NO_RDB, SaveStatus, aofWriter, checkSavePoints, persistenceStopped, rdbWriter } from '../persistence/index.js';
import type { LoaderClient } from '../persistence/aof/server.js';
import type { LoadingProgress } from '../persistence/loading.js';
import { LocalClient } from '../commands/core/local-client.js';
import { Acl } from '../acl/acl.js';

import { UnixSocketListenError, listenOn, listenOnUnixSocket, openListeners, type Listener, type ListenerHost, type OpenedListeners } from './listeners.js';
import { MetricsListenError, closeMetricsListener, listenMetrics } from './metrics.js';
import { ERR_TLS_UPDATE, TlsConfigError, TlsEndpoint, TlsListenError, logTlsError } from './tls.js';
import { setListMaxListpackSize } from '../types/list.js';

export { NODIS_VERSION } from '../version.js';

/** Stats object shared by the keyspace (hits, misses, expiries) and INFO. */
function newStats(): ServerStats {
  return {
    startTime: Date.now(),
    totalCommandsProcessed: 0,
    totalConnectionsReceived: 0,
    rejectedConnections: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    hits: 0,
    misses: 0,
    expiredKeys: 0,
    expiredStalePerc: 0,
    expiredTimeCapReached: 0,
    evictedKeys: 0,
    evictionExceededUs: 0,
    evictionExceededSince: 0,
    totalErrorReplies: 0,
    errorStats: new Map(),
    unexpectedErrorReplies: 0,
    lazyfreedObjects: 0,
    evictedClients: 0,
  };
}

/** The server: listening sockets, clients, databases, the timer ("cron"). */
/** A stream client is answered by its StreamWaiter, never by a serve function. */
const NOT_SERVED: ServeBlocked = () => {
  throw new Error('a client blocked on streams is served by its StreamWaiter');
};

export class NodisServer implements ServerContext, KeyspaceHooks {
  readonly stats = newStats();
  readonly databases: Database[] = [];
  readonly commands = new CommandTable(allCommands());
  readonly runId = randomBytes(20).toString('hex');
  readonly clients = new Map<number, Client>();
  readonly monitors = new Set<Client>();
  dirty = 0;
  busyScriptError: string | null = null;
  /** Set while a dataset loads at start-up (persistence/loading.ts): INFO's loading_* figures. */
  loadingProgress: LoadingProgress | null = null;
  /** Set by the AOF when it cannot write: write commands are refused with this MISCONF error. */
  diskWriteError: string | null = null;
  /** The AOF holds commands not yet written: replies wait (see holdReplies). */
  repliesHeld = false;
  private readonly heldReplies = new Set<Client>();
  /** maxmemory and the used memory it is checked against (server/memory.ts). */
  readonly meter = new MemoryMeter(this);
  /** maxmemory-policy at work (keyspace/evict.ts). */
  readonly evictor: Evictor;
  /** ACL users and permissions. */
  readonly acl: Acl;
  /** The clients' memory (INFO mem_clients_normal, part of used_memory) and maxmemory-clients. */
  readonly clientsMemory: ClientsMemory<Client>;
  /** As in Redis, start-up counts as the last save (LASTSAVE, save points). */
  lastSave = Math.floor(Date.now() / 1000);
  readonly saveStatus: SaveStatus;
  readonly slowlog: SlowLog;
  readonly latency: LatencyMonitor;
  activeExpireEnabled = true;
  port = 0;
  /**
   * What port 0 means for plain TCP. Redis (and nodis-server) read it as "no plain TCP"; the
   * embedding API (startServer) reads it as "any free port" when TLS is off, so that tests can
   * start servers side by side.
   */
  portZeroPicksFreePort = false;
  /** The config file given at startup (CONFIG REWRITE writes it). */
  configFile: string | null = null;
  private readonly listeners: Listener[] = [];
  /** The listener at unixsocket, and its path (null while there is none). */
  private unixListener: { server: net.Server; path: string } | null = null;
  /** The HTTP listeners of the Prometheus endpoint at metrics-port (none while it is 0). */
  private metricsListeners: Listener[] = [];
  /** The TLS listeners at tls-port (none while it is 0). */
  readonly tls: TlsEndpoint;
  /** The CONFIG SET of port/bind in progress (they run one after the other). */
  private listeningChange: Promise<void> = Promise.resolve();
  private nextClientId = 1;
  /** Clients blocked on keys (BLPOP, BZPOPMIN…) and the keys ready to serve them. */
  readonly blocking = new BlockingState();
  readonly watches = new WatchRegistry();
  readonly pubsub = new PubSub();
  readonly tracking = new Tracking((id) => this.clients.get(id));
  readonly propagation = new Propagation();
  /** MIGRATE's connections to target instances. */
  readonly migrateTargets = new MigrateSocketCache();
  /**
   * Clients with output to write at the end of this turn of the loop (replies, Pub/Sub messages),
   * marked by queuedForFlush; one closed since stays listed, unmarked.
   */
  readonly pendingFlush: Client[] = [];
  /** flushPending is running: a nested call leaves the clients marked meanwhile to it. */
  private flushingPending = false;
  /** An end of turn is scheduled (flushBeforeSleep). */
  private flushScheduled = false;
  /** client-output-buffer-limit; `outputLimitsActive` is false when every limit of normal and pubsub clients is 0. */
  outputLimits: OutputBufferLimits = parseOutputBufferLimits('normal 0 0 0 slave 0 0 0 pubsub 0 0 0');
  outputLimitsActive = false;
  /** notify-keyspace-events as bits (0: notifications off). */
  private notifyFlags = 0;
  /** lazyfree-lazy-server-del: a collection a command overwrites is counted as lazily freed when costly. */
  private lazyServerDel = false;
  private cronTimer: NodeJS.Timeout | null = null;
  /** Unregisters this server from the flush that slices of background jobs run first (util/turn.ts). */
  private leaveSliceFlush: (() => void) | null = null;
  /** Where clientsCron goes on from. */
  private clientsCronCursor: Iterator<Client> | null = null;
  private pausedUntil = 0;
  private pauseMode: 'all' | 'write' = 'all';
  private pauseTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  /** Called once the server has stopped (SHUTDOWN or close()). */
  onShutdown: (() => void) | null = null;

  constructor(
    readonly config: Config,
    readonly log: Logger,
  ) {
    for (const [from, to] of config.commandRenames) this.commands.rename(from, to);
    this.tls = new TlsEndpoint({
      config,
      log,
      admitsConnection: () => this.admitsConnection(),
      clientInHandshake: (raw) => this.createClient(raw, null, true),
      handshakeDone: (client, socket) => this.handshakeDone(client, socket),
    });
    const count = config.getNumber('databases');
    for (let i = 0; i < count; i++) this.databases.push(new Database(i, this, this.stats));
    this.slowlog = new SlowLog(config);
    this.latency = new LatencyMonitor(config);
    bindAccessPolicy(config, this.databases);
    config.onChange('hz', () => this.scheduleCron());
    this.acl = new Acl(this);
    // Where list nodes split: one setting for the process, as the lists are built by commands
    // and loaders alike (an embedding process running two servers shares it).
    setListMaxListpackSize(config.getNumber('list-max-listpack-size'));
    config.onChange('list-max-listpack-size', (v) => setListMaxListpackSize(v as number));
    this.evictor = new Evictor(config, this);
    this.clientsMemory = new ClientsMemory<Client>(this.meter, log, this.stats);
    this.setMaxmemory(config.getNumber('maxmemory'));
    this.warnIfHeapTooSmall(config.getNumber('maxmemory'));
    config.onChange('maxmemory', (v) => this.maxmemoryChanged(v as number));
    config.onChange('maxmemory-clients', () => this.configureClientEviction());
    const readNotifyFlags = () => {
      this.notifyFlags = Math.max(0, parseNotifyFlags(config.getString('notify-keyspace-events')));
    };
    readNotifyFlags();
    config.onChange('notify-keyspace-events', readNotifyFlags);
    this.lazyServerDel = config.getBool('lazyfree-lazy-server-del');
    config.onChange('lazyfree-lazy-server-del', () => {
      this.lazyServerDel = config.getBool('lazyfree-lazy-server-del');
    });
    this.propagation.lazyExpire = config.getBool('lazyfree-lazy-expire');
    config.onChange('lazyfree-lazy-expire', () => {
      this.propagation.lazyExpire = config.getBool('lazyfree-lazy-expire');
    });
    const readOutputLimits = () => {
      const limits = parseOutputBufferLimits(config.format('client-output-buffer-limit'));
      this.outputLimits = limits;
      this.outputLimitsActive = limits.normal.hard + limits.normal.soft + limits.pubsub.hard + limits.pubsub.soft !== 0;
    };
    readOutputLimits();
    config.onChange('client-output-buffer-limit', readOutputLimits);
    this.tracking.maxKeys = config.getNumber('tracking-table-max-keys');
    config.onChange('tracking-table-max-keys', (v) => {
      this.tracking.maxKeys = v as number;
      // Redis trims the table before the next command, as long as some client tracks keys.
      if (this.tracking.clients.size !== 0) this.tracking.limit();
    });
    this.saveStatus = new SaveStatus(config);
    // Redis's updateAppendonly: turning AOF on fails when it cannot start, and CONFIG SET
    // then answers the error with every value of the call rolled back.
    config.onChange('appendonly', (on) => {
      const aof = aofWriter();
      if (on !== true) {
        aof?.stop(this);
        return;
      }
      if (aof === null) throw new Error(NO_AOF);
      aof.start(this);
    });
    config.onChange('save', (points) => {
      if (points !== '' && rdbWriter() === null) log.warn(`Save points set, but ${NO_RDB}.`);
    });
    config.onChange('proto-max-bulk-len', (v) => {
      for (const c of this.clients.values()) c.parser.maxBulkLen = v as number;
    });
  }

  /** A dataset is being loaded: clients get -LOADING, nothing expires, no save point fires. */
  get loading(): boolean {
    return this.loadingProgress !== null;
  }

  /** close() or SHUTDOWN has begun: a load still running stops. */
  get stopping(): boolean {
    return this.closing !== null;
  }

  // ---- the AOF's needs (persistence/aof) ----
  loaderClient(): LoaderClient {
    // Redis's AOF client has an id of its own (CLIENT_ID_AOF); it takes none from the sequence.
    const client = new LocalClient(this, 'loader', Number.MAX_SAFE_INTEGER);
    return {
      // Like Redis's fake AOF client (CLIENT_DENY_BLOCKING), a blocking command never blocks.
      run: (argv) => client.run(argv),
      get inTransaction() {
        return client.multi !== null;
      },
      isCommand: (name) => this.commands.lookup(name) !== undefined,
    };
  }

  holdReplies(): void {
    this.repliesHeld = true;
  }

  /** The AOF is written: the replies that waited for it go out. */
  releaseReplies(): void {
    this.repliesHeld = false;
    if (this.heldReplies.size === 0) return;
    const clients = [...this.heldReplies];
    this.heldReplies.clear();
    for (const client of clients) client.flush();
  }

  /** A client's replies wait until releaseReplies (Client.flush while repliesHeld). */
  holdRepliesOf(client: Client): void {
    this.heldReplies.add(client);
  }

  requiresAuth(): boolean {
    return this.acl.authRequired();
  }

  allocateClientId(): number {
    return this.nextClientId++;
  }

  // ---- maxmemory ----
  performEvictions(): EvictResult {
    return this.evictor.perform();
  }

  /** Redis's updateMaxmemory: eviction starts at once, in slices, if memory is over the new limit. */
  private maxmemoryChanged(limit: number): void {
    this.setMaxmemory(limit);
    if (limit === 0) return;
    this.warnIfHeapTooSmall(limit);
    const used = this.meter.used - this.memoryNotCountedForEviction();
    if (limit < used) {
      this.log.warn(
        `WARNING: the new maxmemory value set via CONFIG SET (${limit}) is smaller than the current memory usage (${used}). ` +
          'This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.',
      );
    }
    this.evictor.startSlices();
  }

  /**
   * V8's heap limit is set when the process starts (bin/nodis-server sizes it from maxmemory):
   * a maxmemory it cannot hold is accepted, as Redis accepts any, with a warning.
   */
  private warnIfHeapTooSmall(maxmemory: number): void {
    const warning = heapWarning(maxmemory, v8.getHeapStatistics().heap_size_limit);
    if (warning !== null) this.log.warn(warning);
  }

  private setMaxmemory(limit: number): void {
    this.meter.setLimit(limit);
    // maxmemory-clients may be a percentage of it.
    this.configureClientEviction();
  }

  /** maxmemory-clients (or maxmemory, which a percentage is of) changed. */
  private configureClientEviction(): void {
    this.clientsMemory.configure(this.config.getNumber('maxmemory-clients'), this.config.getNumber('maxmemory'), this.clients.values(), (client) =>
      client.updateMemoryUsage(),
    );
  }

  /** Redis's isSafeToPerformEvictions: not while a dataset loads, nor while clients are paused. */
  evictionAllowed(): boolean {
    // (Redis's isSafeToPerformEvictions: not under a script busy past its threshold either.)
    return !this.loading && this.busyScriptError === null && !(this.pausedUntil !== 0 && this.pausedUntil > Date.now());
  }

  /** Redis's freeMemoryGetNotCountedMemory: the AOF buffer (no replicas here). */
  memoryNotCountedForEviction(): number {
    if (!this.config.getBool('appendonly')) return 0;
    return aofWriter()?.status(this)?.bufferLength ?? 0;
  }

  // ---- keyspace hooks ----
  keyModified(db: Database, key: string): void {
    if (this.blocking.count !== 0) this.blocking.signal(db, key);
    if (this.watches.count !== 0) this.watches.touch(db, key);
    if (this.tracking.active) this.tracking.invalidateKey(key);
  }

  keyEvicted(db: Database, key: string): void {
    this.notify(db, 'e', 'evicted', key);
    if (this.propagation.active) this.propagation.deletion(db.id, key, this.evictor.lazy);
  }

  valueOverwritten(_db: Database, old: Value): void {
    uncollected.valueFreed(old);
    if (this.lazyServerDel && lazyfreeEffort(old) > LAZYFREE_THRESHOLD) this.stats.lazyfreedObjects++;
  }

  keyExpired(db: Database, key: string, value: Value): void {
    // Redis's deleteExpiredKeyAndPropagate frees the value as lazyfree-lazy-expire says: lazily,
    // a value costly to free is counted in lazyfreed_objects (what V8 will collect is followed either way).
    if (typeof value !== 'string' || value.length >= LARGE_FREE_BYTES) {
      uncollected.valueFreed(value);
      if (this.propagation.lazyExpire && lazyfreeEffort(value) > LAZYFREE_THRESHOLD) this.stats.lazyfreedObjects++;
    }
    this.notify(db, 'x', 'expired', key);
    // A stream that expires answers the clients blocked in XREADGROUP on it (Redis's dbGenericDelete).
    if (this.blocking.count !== 0) this.blocking.signal(db, key);
    // Replicas and the AOF never expire keys themselves: they are told (Redis's propagateDeletion).
    if (this.propagation.active) this.propagation.deletion(db.id, key);
    if (this.watches.count !== 0) this.watches.touchExpired(db, key);
    if (this.tracking.active) this.tracking.invalidateKey(key, true, true);
  }

  notify(db: Database, type: string, event: string, key: string): void {
    const flags = this.notifyFlags;
    if (flags === 0 || (flags & classBit(type)) === 0) return;
    // Channel names are built only when someone could be listening.
    if (this.pubsub.channels.size === 0 && this.pubsub.patterns.size === 0) return;
    if (flags & NOTIFY_KEYSPACE) this.pubsub.publish(`__keyspace@${db.id}__:${key}`, event);
    if (flags & NOTIFY_KEYEVENT) this.pubsub.publish(`__keyevent@${db.id}__:${event}`, key);
  }

  /**
   * Why the replies of a turn are written at its end rather than after each client's commands,
   * as Redis writes them in beforeSleep: a write to a client that sleeps waiting for it costs a
   * wake-up of that process, which on a virtual machine is an inter-processor interrupt charged
   * to the writer (SET at -P 16: a fifth of the server's CPU, under sock_def_readable). Replies written one client at a time reach the client
   * just as it has gone back to sleep; written together, the first write wakes it and the
   * others find it awake.
   */
  flushBeforeSleep(client: Client): void {
    if (!client.queuedForFlush) {
      client.queuedForFlush = true;
      this.pendingFlush.push(client);
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.endOfTurn);
  }

  /** The end of the loop's turn (a setImmediate): what Redis does in beforeSleep. */
  private readonly endOfTurn = (): void => {
    this.flushScheduled = false;
    this.flushPending();
    // As Redis before the event loop sleeps: disconnect clients over maxmemory-clients.
    if (this.clientsMemory.limit !== 0) this.clientsMemory.evict();
  };

  /** Writes out the clients with output added during this turn (replies, Pub/Sub messages). */
  flushPending(): void {
    if (this.tracking.broadcastPending) this.tracking.broadcast();
    const list = this.pendingFlush;
    if (list.length === 0 || this.flushingPending) return;
    // A list and a flag rather than a Set: adding and deleting each client every turn made the
    // Set rebuild its table over and over.
    this.flushingPending = true;
    let i = 0;
    try {
      // Each is unmarked before its flush: one marked again meanwhile is appended again, and
      // visited again by this loop, never left out with its flag set.
      for (; i < list.length; i++) {
        const client = list[i] as Client;
        if (!client.queuedForFlush) continue;
        client.queuedForFlush = false;
        client.flush();
      }
    } finally {
      // After a throw, those not visited stay for the next call.
      list.splice(0, Math.min(i + 1, list.length));
      this.flushingPending = false;
    }
  }

  // ---- FLUSHDB / FLUSHALL / SWAPDB hooks ----
  // Called while the flushed databases still hold their keys, so that WATCH can dirty the
  // watched keys that exist there (Redis's touchAllWatchedKeysInDb) in O(watched keys) rather
  // than signalling each of the dataset's keys; client-side caching invalidates everything.
  flushed(db: Database | null): void {
    if (this.watches.count !== 0) {
      for (const d of db === null ? this.databases : [db]) this.watches.touchAllInDb(d);
    }
    // Clients blocked in XREADGROUP on a stream about to go are answered once it has gone.
    if (this.blocking.count !== 0) {
      for (const d of db === null ? this.databases : [db]) this.blocking.signalDatabase(d);
    }
    if (this.tracking.active) this.tracking.invalidateAll();
  }

  swapped(a: Database, b: Database): void {
    if (this.watches.count !== 0) {
      this.watches.touchAllInDb(a, b);
      this.watches.touchAllInDb(b, a);
    }
    if (this.blocking.count !== 0) {
      this.blocking.signalDatabase(a);
      this.blocking.signalDatabase(b);
    }
  }

  // ---- listening ----
  /** Whether `port` (with tls-port) asks for plain TCP: see portZeroPicksFreePort. */
  private wantsPlainTcp(port: number, tlsPort: number): boolean {
    return port !== 0 || (this.portZeroPicksFreePort && tlsPort === 0);
  }

  /**
   * Listens at port, with TLS at tls-port when it is set (a TLS context that cannot be built
   * throws TlsConfigError), and at unixsocket. Port 0 is no plain TCP, as in Redis (unless
   * portZeroPicksFreePort); like Redis, a server left with no listener at all refuses to start.
   */
  async listen(): Promise<void> {
    this.leaveSliceFlush ??= flushBeforeSlices(() => this.flushPending());
    const tlsPort = this.config.getNumber('tls-port');
    if (tlsPort !== 0) {
      this.tls.configure();
      try {
        this.tls.adopt(await this.tls.open(tlsPort, this.config.getString('bind')));
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new TlsListenError(tlsPort, e.code ?? e.message);
      }
    }
    if (this.wantsPlainTcp(this.config.getNumber('port'), tlsPort)) {
      const opened = await openListeners(this.config.getNumber('port'), this.config.getString('bind'), this.listeners, this.listenerHost);
      this.listeners.push(...opened.listeners);
      this.port = opened.port;
      // Port 0 asks for any free port: CONFIG GET port then shows the one in use.
      if (this.config.getNumber('port') !== this.port) this.config.set('port', String(this.port));
    }
    await this.listenUnixSocket();
    if (this.listeners.length === 0 && !this.tls.listening && this.unixListener === null) throw new NotListeningError();
    // After the Redis ports: a failure here is a MetricsListenError, which closes the server.
    await this.listenMetrics();
    this.scheduleCron();
  }

  /** Listens at unixsocket when it is set (immutable: only at start-up, as in Redis). */
  private async listenUnixSocket(): Promise<void> {
    const path = this.config.getString('unixsocket');
    if (path === '') return;
    try {
      // A relative path is taken from dir, where Redis has changed directory to.
      const at = isAbsolute(path) ? path : join(this.config.getString('dir'), path);
      const server = await listenOnUnixSocket(at, this.config.getNumber('unixsocketperm'), (socket) => this.accept(socket, path));
      this.unixListener = { server, path };
    } catch (err) {
      // Redis's anetUnixServer says which step failed: bind, or the chmod to unixsocketperm.
      const step = (err as NodeJS.ErrnoException).syscall === 'chmod' ? 'chmod' : 'bind';
      throw new UnixSocketListenError(`Failed opening Unix socket: ${step}: ${strerror(err)}`);
    }
  }

  /** The path of the Unix socket listened at, or null. */
  get unixSocketPath(): string | null {
    return this.unixListener?.path ?? null;
  }

  /** Opens the metrics endpoint at metrics-port on the bind addresses, at start (CONFIG SET goes through changeListening). */
  private async listenMetrics(): Promise<void> {
    const port = this.config.getNumber('metrics-port');
    if (port === 0) return;
    try {
      this.metricsListeners = (await openListeners(port, this.config.getString('bind'), [], this.metricsHost)).listeners;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new MetricsListenError(port, e.code ?? e.message);
    }
    this.log.info(`Serving metrics on port ${port}`);
  }

  /**
   * CONFIG SET naming port, bind, tls-port or metrics-port (Redis's updatePort/applyBind; the
   * metrics endpoint moves with bind too): the new addresses are tried
   * before any value is stored; if they cannot all be listened on, nothing changes and the
   * promise rejects with Redis's ConfigSetError. Otherwise every value of the call is stored
   * at once and the old listeners are closed. Such calls run one after the other.
   */
  configSetListening(pairs: ReadonlyArray<readonly [string, string]>): Promise<void> {
    const run = this.listeningChange.then(() => this.changeListening(pairs));
    this.listeningChange = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  private async changeListening(pairs: ReadonlyArray<readonly [string, string]>): Promise<void> {
    const config = this.config;
    const next = config.preview(pairs);
    const port = (next.get('port')?.value as number | undefined) ?? config.getNumber('port');
    const bind = next.get('bind')?.text ?? config.format('bind');
    if (this.closing !== null) throw new ConfigSetError(listeningParamOf(pairs, config, next), 'the server is shutting down');
    const tlsPort = (next.get('tls-port')?.value as number | undefined) ?? config.getNumber('tls-port');
    let opened: OpenedListeners;
    try {
      // Port 0 closes plain TCP, as Redis's changeListenPort (unless it picks a free port).
      opened = this.wantsPlainTcp(port, tlsPort) ? await openListeners(port, bind, this.listeners, this.listenerHost) : { listeners: [], port: 0 };
    } catch {
      const name = listeningParamOf(pairs, config, next);
      this.log.warn(`Failed applying new configuration. Possibly related to new ${name} setting. Restoring previous settings.`);
      throw new ConfigSetError(name, name === 'port' ? 'Unable to listen on this port. Check server logs.' : 'Failed to bind to specified addresses.');
    }
    const fresh = opened.listeners.filter((l) => !this.listeners.includes(l));
    // The metrics endpoint follows bind and metrics-port; opened beside the old one, kept only if all succeeds.
    const metricsPort = (next.get('metrics-port')?.value as number | undefined) ?? config.getNumber('metrics-port');
    let metrics: Listener[] = [];
    if (metricsPort !== 0) {
      try {
        metrics = (await openListeners(metricsPort, bind, this.metricsListeners, this.metricsHost)).listeners;
      } catch {
        for (const l of fresh) l.server.close();
        this.log.warn('Failed applying new configuration. Possibly related to new metrics-port setting. Restoring previous settings.');
        throw new ConfigSetError('metrics-port', 'Unable to listen on this port. Check server logs.');
      }
    }
    const freshMetrics = metrics.filter((l) => !this.metricsListeners.includes(l));
    const closeFresh = (): void => {
      for (const l of fresh) l.server.close();
      for (const l of freshMetrics) void closeMetricsListener(l);
    };
    if (this.closing !== null) {
      closeFresh();
      throw new ConfigSetError(listeningParamOf(pairs, config, next), 'the server is shutting down');
    }
    // Port 0 picked a free port: that is the value stored, as at start-up.
    const stored = port === 0 ? pairs.map(([n, v]): readonly [string, string] => (config.param(n)?.name === 'port' ? [n, String(opened.port)] : [n, v])) : pairs;
    const previous = stored.map(([name]): readonly [string, string] => [name, config.format(name)]);
    try {
      config.setMany(stored);
    } catch (err) {
      closeFresh();
      throw err;
    }
    try {
      await this.changeTlsListening(tlsPort, bind);
    } catch (err) {
      config.setMany(previous);
      closeFresh();
      throw err;
    }
    for (const l of this.listeners) if (!opened.listeners.includes(l)) l.server.close();
    this.listeners.splice(0, this.listeners.length, ...opened.listeners);
    for (const l of this.metricsListeners) if (!metrics.includes(l)) void closeMetricsListener(l);
    this.metricsListeners = metrics;
    if (opened.port !== this.port && opened.port !== 0) this.log.info(`Listening on port ${opened.port}`);
    this.port = opened.port;
  }

  /**
   * The TLS side of a CONFIG SET of port, bind or tls-port (Redis's applyTLSPort), once the
   * values are stored: listens at tls-port on bind, or stops listening with TLS at tls-port 0.
   */
  private async changeTlsListening(tlsPort: number, bind: string): Promise<void> {
    if (tlsPort === 0) {
      await this.tls.close();
      return;
    }
    try {
      if (!this.tls.listening) this.tls.configure();
    } catch (err) {
      logTlsError(this.log, err);
      throw new ConfigSetError('tls-port', ERR_TLS_UPDATE);
    }
    try {
      this.tls.adopt(await this.tls.open(tlsPort, bind));
    } catch (err) {
      if (err instanceof TlsConfigError) logTlsError(this.log, err);
      throw new ConfigSetError('tls-port', 'Unable to listen on this port. Check server logs.');
    }
  }

  /** What listeners.ts needs for the metrics endpoint: HTTP listeners serving this server's figures. */
  private get metricsHost(): ListenerHost {
    return { listen: (address, port) => listenMetrics(address, port, this), log: this.log };
  }

  /** What listeners.ts needs: listening sockets that hand their connections to accept(). */
  private get listenerHost(): ListenerHost {
    return { listen: (host, port) => this.listenOn(host, port), log: this.log };
  }

  private listenOn(host: string, port: number): Promise<Listener> {
    return listenOn(host, port, (socket) => this.accept(socket));
  }

  /**
   * Whether a TLS connection may start its handshake (Redis's acceptCommonHandler): not while
   * shutting down, nor with maxclients reached. Redis checks maxclients before the handshake, so
   * it can write nothing (there are no keys yet): the refused TLS client is dropped, and counted
   * as rejected. Connections still in their handshake are clients already (see createClient).
   */
  private admitsConnection(): boolean {
    if (this.closing !== null) return false;
    if (this.clients.size < this.config.getNumber('maxclients')) return true;
    this.stats.rejectedConnections++;
    return false;
  }

  /** A new plain connection; `unixSocket` is the path of the Unix socket it came through, if it did. */
  private accept(socket: net.Socket, unixSocket: string | null = null): void {
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    if (this.clients.size >= this.config.getNumber('maxclients')) {
      this.stats.rejectedConnections++;
      // Closed once the error is written, as Redis does: a refused peer's unread bytes cannot hold it open.
      refuse(socket, '-ERR max number of clients reached\r\n');
      return;
    }
    // A connection through the Unix socket is local (Redis's islocalClient).
    if (unixSocket === null && this.deniedByProtectedMode(socket)) {
      this.stats.rejectedConnections++;
      refuse(socket, `-${PROTECTED_MODE_DENIED}\r\n`);
      return;
    }
    // Redis counts only the connections it accepts (not those refused above) in total_connections_received.
    this.stats.totalConnectionsReceived++;
    this.createClient(socket, unixSocket, false);
  }

  /**
   * The client of a connection, listed from now on. A TLS connection gets its client when its
   * handshake starts (`inHandshake`, on its TCP socket), as Redis creates it at accept: CLIENT
   * LIST, INFO connected_clients, CLIENT KILL and timeout see it meanwhile.
   */
  private createClient(socket: net.Socket, unixSocket: string | null, inHandshake: boolean): Client {
    const client = new Client(this.nextClientId++, this, socket, unixSocket, inHandshake);
    this.clients.set(client.id, client);
    const keepalive = this.config.getNumber('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    return client;
  }

  /**
   * A TLS client's handshake is done. Redis checks protected mode now (its clientAcceptHandler),
   * and only now counts the connection in total_connections_received.
   */
  private handshakeDone(client: Client, socket: net.Socket): void {
    if (this.closing !== null) {
      client.release();
      socket.destroy();
      return;
    }
    if (this.deniedByProtectedMode(socket)) {
      this.stats.rejectedConnections++;
      client.release();
      refuse(socket, `-${PROTECTED_MODE_DENIED}\r\n`);
      return;
    }
    this.stats.totalConnectionsReceived++;
    client.handshakeDone(socket);
  }

  private deniedByProtectedMode(socket: net.Socket): boolean {
    // Redis looks at the default user's nopass flag only (a default user turned off still counts as open).
    return protectedModeDenies(this.config.getBool('protected-mode'), !this.acl.defaultUser.nopass, socket.remoteAddress);
  }

  clientClosed(client: Client): void {
    this.blocking.remove(client);
    this.watches.unwatchAll(client);
    this.pubsub.removeAll(client);
    this.tracking.disable(client);
    client.queuedForFlush = false;
    // Its output chunk stops counting (and what it may still take after this is not counted).
    const reply = client.reply;
    if (reply.onChunk !== null) {
      this.meter.replyChunkBytes -= reply.chunkBytes;
      reply.onChunk = null;
    }
    this.clients.delete(client.id);
    this.monitors.delete(client);
    this.clientsMemory.removed(client);
  }

  // ---- MONITOR ----
  hasMonitors(): boolean {
    return this.monitors.size !== 0;
  }

  feedMonitors(ctx: CommandContext, argv: readonly string[]): void {
    // Microseconds, as Redis's gettimeofday-based "%ld.%06ld".
    const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const secs = Math.floor(nowUs / 1e6);
    const micros = String(nowUs % 1e6).padStart(6, '0');
    // A script's commands show as Redis shows its Lua client's.
    let line = `${secs}.${micros} [${ctx.db.id} ${ctx.caller === 'script' ? 'lua' : ctx.addr}]`;
    for (const arg of redactedArgv((argv[0] as string).toLowerCase(), argv)) line += ' "' + escapeMonitorArg(arg) + '"';
    for (const monitor of this.monitors) {
      if (monitor === ctx) continue;
      monitor.reply.simple(line);
      monitor.flush();
    }
  }

  // ---- CLIENT PAUSE ----
  pauseClients(until: number, mode: 'all' | 'write'): void {
    // A new pause never shortens or weakens one in force, as in Redis.
    const inForce = this.pausedUntil > Date.now();
    if (until > this.pausedUntil) this.pausedUntil = until;
    if (mode === 'all' || !inForce) this.pauseMode = mode;
    this.armPauseTimer();
  }

  private armPauseTimer(): void {
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    const delay = Math.max(0, this.pausedUntil - Date.now());
    // setTimeout cannot wait longer than 2^31-1 ms: wake up then and wait again.
    this.pauseTimer = setTimeout(
      () => (this.pausedUntil <= Date.now() ? this.unpauseClients() : this.armPauseTimer()),
      Math.min(delay, 0x7fffffff),
    );
  }

  unpauseClients(): void {
    this.pausedUntil = 0;
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    for (const client of this.clients.values()) client.resume();
  }

  writesPaused(): boolean {
    // pausedUntil is 0 whenever no pause is in force: no clock read per command.
    return this.pausedUntil !== 0 && this.pausedUntil > Date.now();
  }

  allCommandsPaused(): boolean {
    return this.pausedUntil !== 0 && this.pauseMode === 'all' && this.pausedUntil > Date.now();
  }

  // ---- cross protocol scripting ----
  /** Redis logs a dropped POST / Host: connection at most once a minute, so a flood cannot fill the log. */
  private securityWarningLoggedAt = 0;

  crossProtocolAttack(): void {
    const now = Math.floor(Date.now() / 1000);
    if (Math.abs(now - this.securityWarningLoggedAt) <= 60) return;
    this.securityWarningLoggedAt = now;
    this.log.warn(
      'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. ' +
        'This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.',
    );
  }

  // ---- blocking commands ----
  unblockClient(id: number, withError: boolean): boolean {
    const client = this.clients.get(id);
    return client !== undefined && this.blocking.wake(client, withError, true);
  }

  blockedClientCount(): number {
    return this.blocking.count;
  }

  blockForKeys(ctx: CommandContext, argv: string[], keys: readonly string[], type: BlockedType, deadline: number, serve: ServeBlocked): void {
    const client = this.clients.get(ctx.id);
    // Socket-less callers answer blocking commands at once (LocalClient.inMulti); a safety net.
    if (client === undefined) throw new RedisError('ERR This Redis command is not allowed from script');
    this.blocking.block(client, argv, keys, type, deadline, serve);
  }

  blockForStreams(ctx: CommandContext, argv: string[], keys: readonly string[], deadline: number, waiter: StreamWaiter): void {
    const client = this.clients.get(ctx.id);
    if (client === undefined) throw new RedisError('ERR This Redis command is not allowed from script');
    this.blocking.block(client, argv, keys, 'stream', deadline, NOT_SERVED, waiter);
  }

  signalStreamReady(db: Database, key: string): void {
    if (this.blocking.count !== 0) this.blocking.signalStream(db, key);
  }

  // ---- cron ----
  private scheduleCron(): void {
    if (this.cronTimer !== null) clearInterval(this.cronTimer);
    const hz = Math.min(500, Math.max(1, this.config.getNumber('hz')));
    this.cronTimer = setInterval(() => this.cron(), Math.floor(1000 / hz));
    this.cronTimer.unref();
    tickLruClock();
  }

  private cron(): void {
    const hz = Math.min(500, Math.max(1, this.config.getNumber('hz')));
    tickLruClock();
    // A script busy past busy-reply-threshold is still one atomic command: nothing expires,
    // is evicted or times out under it (Redis runs only whileBlockedCron meanwhile).
    if (this.busyScriptError !== null) return;
    // Nothing expires while a dataset is being loaded (Redis's keyIsExpired): it is done after.
    if (this.activeExpireEnabled && !this.loading) activeExpireCycle(this.databases, this.stats, hz);
    // Keys that expired may answer blocked clients (an expired stream, XREADGROUP), as Redis's beforeSleep does.
    if (this.blocking.hasReady) this.blocking.handleReady();
    this.closeTimedOutClients();
    // Memory measured over the limit with no command to evict before: slices evict now.
    if (this.meter.limit !== 0 && this.meter.used > this.meter.limit) this.evictor.startSlices();
    this.clientsCron(hz);
    if (this.clientsMemory.limit !== 0) this.clientsMemory.evict();
    this.blocking.checkTimeouts();
    if (this.tracking.clients.size !== 0) this.tracking.limit();
    // As Redis, no save point and no AOF rewrite while a dataset loads (it would save half of it).
    if (!this.loading) {
      if (this.saveStatus.savePoints.length !== 0 || this.saveStatus.bgsaveScheduled) checkSavePoints(this, Math.floor(Date.now() / 1000));
      aofWriter()?.cron(this);
    }
    // Memory freed by large deletes goes back now if a full collection is cheap enough (server/reclaim.ts).
    if (uncollected.collectIfCheap() !== null) {
      const { pauseMs, liveBytes } = uncollected.lastCollection as { pauseMs: number; liveBytes: number };
      this.log.debug(`Full GC after large deletes: ${(liveBytes / 1048576).toFixed(1)} MB live heap, ${pauseMs.toFixed(1)} ms`);
    }
    this.flushPending();
  }

  /**
   * Redis's clientsCron: each call visits the next clients in turn, enough of them to see every
   * client once a second (all of them on each call while there are 5 or fewer), so that the
   * work is spread over the calls.
   */
  private clientsCron(hz: number): void {
    const count = this.clients.size;
    let visits = Math.floor(count / hz);
    if (visits < CLIENTS_CRON_MIN_VISITS) visits = Math.min(count, CLIENTS_CRON_MIN_VISITS);
    if (visits === 0) return;
    const now = Date.now();
    const nowSeconds = Math.floor(now / 1000);
    this.clientsMemory.cronStarted(nowSeconds);
    for (let i = 0; i < visits; i++) {
      // A Map's iterator sees clients added since it started and skips those deleted.
      let next = this.clientsCronCursor?.next();
      if (next === undefined || next.done === true) {
        this.clientsCronCursor = this.clients.values();
        next = this.clientsCronCursor.next();
        if (next.done === true) return;
      }
      const client = next.value;
      client.trimIdleQueryBuffer(nowSeconds);
      client.resizeReplyBuffer(now);
      this.clientsMemory.trackBuffers(nowSeconds, client.inputBufferBytes(), client.replyListBytes());
      // Output written since the last figure (a socket's drain event fires only after a full buffer) is given back.
      client.updateMemoryUsage();
    }
  }

  private closeTimedOutClients(): void {
    const timeout = this.config.getNumber('timeout');
    if (timeout <= 0) return;
    const limit = Date.now() - timeout * 1000;
    for (const client of this.clients.values()) {
      // Blocked clients have a timeout of their own; subscribers and monitors only listen.
      if (client.lastInteraction >= limit || client.monitor || client.blocked !== null || client.held) continue;
      if (isSubscribed(client)) continue;
      client.kill();
    }
  }

  // ---- shutdown ----
  shutdown(): Promise<void> {
    return this.close();
  }

  /** Closes listeners and every client. */
  private async stop(): Promise<void> {
    if (this.cronTimer !== null) clearInterval(this.cronTimer);
    this.leaveSliceFlush?.();
    this.leaveSliceFlush = null;
    stopLruClock();
    this.evictor.stop();
    this.setMaxmemory(0);
    this.latency.close();
    if (this.pauseTimer !== null) clearTimeout(this.pauseTimer);
    // What the AOF holds is written before the clients waiting for it go.
    aofWriter()?.close(this);
    this.releaseReplies();
    persistenceStopped(this);
    for (const client of [...this.clients.values()]) client.kill();
    this.migrateTargets.closeAll();
    await Promise.all([
      ...this.listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))),
      ...this.metricsListeners.map((l) => closeMetricsListener(l)),
      this.tls.close(),
      this.closeUnixSocket(),
    ]);
    this.log.warn('nodis is now ready to exit, bye bye...');
    this.onShutdown?.();
  }

  /** Stops listening at the Unix socket and removes its file, as Redis does at exit. */
  private closeUnixSocket(): Promise<void> {
    const unix = this.unixListener;
    if (unix === null) return Promise.resolve();
    this.unixListener = null;
    this.log.info('Removing the unix socket file.');
    // Node removes the file it bound when the listener closes; an error there is of no consequence.
    return new Promise((resolve) => unix.server.close(() => resolve()));
  }

  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closing = this.stop();
    return this.closing;
  }
}

/**
 * The parameter Redis blames when listening fails: the first of port and bind, in the
 * order given, whose value changes (Redis runs their apply functions in that order).
 */
function listeningParamOf(pairs: ReadonlyArray<readonly [string, string]>, config: Config, next: ReadonlyMap<string, Parsed>): string {
  let first: string | null = null;
  for (const [name] of pairs) {
    const canonical = config.param(name)?.name;
    if (canonical !== 'port' && canonical !== 'bind') continue;
    first ??= canonical;
    if ((next.get(canonical) as Parsed).text !== config.format(canonical)) return canonical;
  }
  return first ?? 'port';
}

/** Redis's CLIENTS_CRON_MIN_ITERATIONS. */
const CLIENTS_CRON_MIN_VISITS = 5;

/**
 * Redis 7.0's protected mode: with it on and no password for the default user, only local
 * clients (islocalClient: 127.0.0.1 and ::1) are accepted, whatever the bind addresses.
 */
export function protectedModeDenies(enabled: boolean, hasPassword: boolean, remoteAddress: string | undefined): boolean {
  if (!enabled || hasPassword) return false;
  // No address: the socket is already gone, nothing to refuse.
  return remoteAddress !== undefined && remoteAddress !== '' && !isLocalIp(remoteAddress);
}

function escapeMonitorArg(arg: string): string {
  let out = '';
  for (let i = 0; i < arg.length; i++) {
    const c = arg.charCodeAt(i);
    const ch = arg[i] as string;
    if (ch === '\\' || ch === '"') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (c < 32 || c > 126) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out;
}

/** Redis 7.0's text, its typo included. */
const PROTECTED_MODE_DENIED =
  'DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. ' +
  'In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis ' +
  'you may adopt one of the following solutions: 1) Just disable protected mode sending the command \'CONFIG SET protected-mode no\' ' +
  'from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not ' +
  'publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just ' +
  'disable the protected mode by editing the Redis configuration file, and setting the protected mode option to \'no\', and then ' +
  'restarting the server. 3) If you started the server manually just for testing, restart it with the \'--protected-mode no\' option. ' +
  '4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the ' +
  'server to start accepting connections from the outside.';

/** Neither port, tls-port nor unixsocket gives a listener: Redis exits with this line. */
export class NotListeningError extends Error {
  constructor() {
    super('Configured to not listen anywhere, exiting.');
  }
}

/**
 * Writes `error` to a connection that is not served and closes it. A peer that already reset
 * makes the write fail: the socket is then just destroyed (without a listener the 'error' event
 * would end the process).
 */
function refuse(socket: net.Socket, error: string): void {
  socket.on('error', () => socket.destroy());
  socket.end(error, () => socket.destroy());
}
