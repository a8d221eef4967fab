import type { Socket } from 'node:net';
import { ProtocolError } from '../errors.js';
import { RespParser } from '../protocol/parser.js';
import { ReplyWriter } from '../protocol/reply.js';
import type { CommandContext } from '../commands/core/context.js';
import type { Database } from '../keyspace/database.js';
import { beginBatch, endBatch, processCommand } from '../commands/core/dispatch.js';
import type { NodisServer } from './server.js';
import type { Waiter } from './blocking.js';
import type { MultiState } from '../commands/transactions/index.js';
import type { WatchedKey } from '../keyspace/watch.js';
import type { TrackingState } from '../pubsub/tracking.js';
import { coarseNow } from '../keyspace/access.js';

/** client-query-buffer-limit's lowest accepted value. */
const MIN_QUERY_BUFFER_LIMIT = 1024 * 1024;

/** One connection: its parser, its output buffer and the per-client state commands see. */
export class Client implements CommandContext {
  readonly parser = new RespParser();
  readonly reply = new ReplyWriter();
  db: Database;
  name = '';
  libName = '';
  libVer = '';
  user = 'default';
  authenticated: boolean;
  replyMode: 'on' | 'off' | 'skip' = 'on';
  noEvict = false;
  commandName = '';
  /** Last command run, for CLIENT LIST cmd=. */
  lastCommand = 'NULL';
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  readonly addr: string;
  readonly laddr: string;
  monitor = false;
  /** Set when the connection must close once pending replies are written. */
  closing = false;
  closed = false;
  /** Commands waiting in the parser while the client is paused or blocked. */
  private waiting = false;
  /** What a blocking command waits for; no input is processed meanwhile. */
  blocked: Waiter | null = null;
  /** A command answering asynchronously has not answered yet; no input is processed meanwhile. */
  held = false;
  inMulti = false;
  multi: MultiState | null = null;
  watchDirty = false;
  readonly watchedKeys: WatchedKey[] = [];
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();
  /** CLIENT TRACKING mode; null while off. */
  tracking: TrackingState | null = null;
  /** When pending output first passed the soft limit (ms), 0 while under it. */
  private softLimitSince = 0;
  /** A command that could not run yet (CLIENT PAUSE WRITE), run first when resumed. */
  private postponed: string[] | null = null;

  constructor(
    readonly id: number,
    readonly server: NodisServer,
    private readonly socket: Socket,
  ) {
    this.db = server.databases[0] as Database;
    this.authenticated = !server.requiresAuth();
    this.parser.authenticated = this.authenticated;
    this.parser.maxBulkLen = server.config.getNumber('proto-max-bulk-len');
    this.addr = formatAddress(socket.remoteAddress, socket.remotePort);
    this.laddr = formatAddress(socket.localAddress, socket.localPort);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.onClose());
    socket.on('close', () => this.onClose());
  }

  private onData(chunk: Buffer): void {
    this.server.stats.netInputBytes += chunk.length;
    this.lastInteraction = coarseNow();
    this.parser.feed(chunk);
    // The limit's smallest setting is 1mb: below that no lookup is needed.
    if (this.parser.pending > MIN_QUERY_BUFFER_LIMIT && this.parser.pending > this.server.config.getNumber('client-query-buffer-limit')) {
      this.server.log.warn({ client: this.describe() }, 'Closing client that reached max query buffer length');
      this.kill();
      return;
    }
    this.processInput();
  }

  /** Runs every complete command in the input, then writes all their replies at once. */
  processInput(): void {
    this.waiting = false;
    beginBatch();
    while (!this.closing && !this.closed) {
      if (this.blocked !== null || this.held || this.server.isPausedFor(this)) {
        this.waiting = true;
        break;
      }
      let argv: string[] | null = this.postponed;
      this.postponed = null;
      if (argv === null) {
        try {
          argv = this.parser.next();
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          this.protocolError(err.message);
          break;
        }
        if (argv === null) break;
      }
      if (!processCommand(this, argv)) {
        this.postponed = argv;
        this.waiting = true;
        break;
      }
      this.lastCommand = this.commandName;
      if (this.server.blocking.hasReady) this.server.blocking.handleReady();
    }
    endBatch();
    this.flush();
    this.server.flushPending();
  }

  holdUntil(done: Promise<void>): void {
    this.held = true;
    const release = (): void => {
      this.held = false;
      // CLIENT REPLY SKIP covered the held command's reply; it ends with it.
      this.reply.enabled = this.replyMode !== 'off';
      this.flush();
      this.resume();
    };
    done.then(release, (err: unknown) => {
      release();
      throw err;
    });
  }

  /** Resumes reading after a pause ended or a blocking command was answered. */
  resume(): void {
    if (this.waiting) this.processInput();
  }

  private protocolError(message: string): void {
    this.server.stats.totalErrorReplies++;
    this.server.log.debug({ client: this.addr }, `Protocol error (${message}) from client`);
    this.reply.enabled = true;
    this.reply.error(`ERR Protocol error: ${message}`);
    this.closing = true;
  }

  flush(): void {
    if (this.closed) return;
    // Checked before the socket takes the bytes, as Redis counts its reply list.
    if (this.server.outputLimitsActive && this.overOutputLimits()) return;
    const n = this.reply.flush(this.socket);
    this.server.stats.netOutputBytes += n;
    if (this.closing) {
      this.closed = true;
      this.socket.end();
      this.server.clientClosed(this);
    }
  }

  closeAfterReply(): void {
    this.closing = true;
  }

  authenticate(user: string): void {
    this.user = user;
    this.authenticated = true;
    this.parser.authenticated = true;
  }

  select(index: number): void {
    this.db = this.server.databases[index] as Database;
  }

  startMonitor(): void {
    this.monitor = true;
    this.server.monitors.add(this);
  }

  /** Pub/Sub: this client received a message; it is written at the end of the current batch. */
  markForFlush(): void {
    this.server.pendingFlush.add(this);
    if (this.server.outputLimitsActive) this.overOutputLimits();
  }

  /**
   * client-output-buffer-limit (Redis's checkClientOutputBufferLimits): past the hard limit, or
   * past the soft one for longer than its seconds, the connection is closed; true when it was.
   */
  private overOutputLimits(): boolean {
    if (this.closed) return true;
    const subscribed = this.channels.size + this.patterns.size + this.shardChannels.size !== 0;
    const limit = subscribed ? this.server.outputLimits.pubsub : this.server.outputLimits.normal;
    if (limit.hard === 0 && limit.soft === 0) return false;
    const used = this.reply.pending + this.socket.writableLength;
    let over = limit.hard !== 0 && used >= limit.hard;
    if (limit.soft !== 0 && used >= limit.soft) {
      const now = Date.now();
      if (this.softLimitSince === 0) this.softLimitSince = now;
      else if (now - this.softLimitSince > limit.softSeconds * 1000) over = true;
    } else {
      this.softLimitSince = 0;
    }
    if (!over) return false;
    this.server.log.warn(`Client ${this.describe()} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    this.reply.discardTo(this.reply.mark() - this.reply.pending);
    this.kill();
    return true;
  }

  reset(): void {
    this.multi = null;
    this.server.watches.unwatchAll(this);
    this.server.pubsub.removeAll(this);
    this.server.tracking.disable(this);
    this.select(0);
    this.name = '';
    this.replyMode = 'on';
    this.reply.enabled = true;
    this.reply.resp = 2;
    this.noEvict = false;
    if (this.monitor) {
      this.monitor = false;
      this.server.monitors.delete(this);
    }
    this.authenticated = !this.server.requiresAuth();
    this.parser.authenticated = this.authenticated;
  }

  describe(): string {
    const now = Date.now();
    const age = Math.floor((now - this.createdAt) / 1000);
    // lastInteraction comes from the cron's clock, which may be a tick ahead of or behind now.
    const idle = Math.max(0, Math.floor((now - this.lastInteraction) / 1000));
    const flags = this.flagLetters();
    const qbuf = this.parser.pending;
    const omem = this.reply.pending + this.socket.writableLength;
    return (
      `id=${this.id} addr=${this.addr} laddr=${this.laddr} fd=${this.fd()} name=${this.name} age=${age} idle=${idle} ` +
      `flags=${flags} db=${this.db.id} sub=${this.channels.size} psub=${this.patterns.size} ssub=${this.shardChannels.size} ` +
      `multi=${this.multi === null ? -1 : this.multi.queue.length} qbuf=${qbuf} qbuf-free=0 argv-mem=0 ` +
      `multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=${omem} tot-mem=${qbuf + omem} events=r cmd=${this.commandName === '' ? this.lastCommand : this.commandName} ` +
      `user=${this.user} redir=${this.tracking === null ? -1 : this.tracking.redirect} resp=${this.reply.resp}`
    );
  }

  /** CLIENT LIST flags=, in Redis's order. */
  private flagLetters(): string {
    let f = this.monitor ? 'O' : '';
    if (this.channels.size + this.patterns.size + this.shardChannels.size !== 0) f += 'P';
    if (this.multi !== null) f += 'x';
    if (this.blocked !== null) f += 'b';
    const t = this.tracking;
    if (t !== null) f += 't' + (t.brokenRedirect ? 'R' : '') + (t.bcast ? 'B' : '');
    if (this.watchDirty) f += 'd';
    if (this.noEvict) f += 'e';
    return f === '' ? 'N' : f;
  }

  private fd(): number {
    const handle = (this.socket as unknown as { _handle?: { fd?: number } })._handle;
    return handle?.fd ?? -1;
  }

  kill(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.server.clientClosed(this);
  }

  private onClose(): void {
    if (!this.closed) {
      this.closed = true;
      this.server.clientClosed(this);
    }
  }
}

function formatAddress(host: string | undefined, port: number | undefined): string {
  if (host === undefined) return '?:0';
  const bare = host.startsWith('::ffff:') ? host.slice(7) : host;
  // Redis brackets IPv6 addresses (anetFormatAddr), which CLIENT KILL ADDR matches against.
  return bare.includes(':') ? `[${bare}]:${port ?? 0}` : `${bare}:${port ?? 0}`;
}
