import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { ProtocolError } from '../errors.js';
import { RespParser } from '../protocol/parser.js';
import { REPLY_CHUNK_BYTES, ReplyWriter } from '../protocol/reply.js';
import type { AclUserView, ClientConnection, MultiState, ServerContext } from '../commands/core/context.js';
import type { Database } from '../keyspace/database.js';
import { beginBatch, countError, endBatch, processCommand } from '../commands/core/dispatch.js';
import type { BlockingState, Waiter } from './blocking.js';
import type { OutputBufferLimits } from '../config/special.js';
import type { WatchedKey } from '../keyspace/watch.js';
import type { TrackingState } from '../pubsub/tracking.js';
import { isSubscribed } from '../pubsub/registry.js';
import { coarseNow } from '../keyspace/access.js';
import { readIntoSharedBuffer, sharedReadBuffer } from './shared-read-buffer.js';
import {
  EMPTY_QUERY_BUFFER_ROOM, OutputBufferModel, ReplyBufferModel, argvBytes, argvSlots, clientInputMemory, clientMemoryFigures, clientTotalMemory, queryBufferCapacity, type ClientMemoryState,
} from './client-memory.js';
import type { ClientsMemory } from './clients-memory.js';

/** client-query-buffer-limit's lowest accepted value. */
const MIN_QUERY_BUFFER_LIMIT = 1024 * 1024;

/**
 * What a connection uses of the server (net/server.ts's NodisServer) beyond what commands see
 * of it: declared here so that this file does not import the server, which imports it.
 */
export interface ClientHost extends ServerContext {
  /** Clients blocked on keys, and the keys made ready for them. */
  readonly blocking: BlockingState;
  /** The MONITOR clients. */
  readonly monitors: Set<Client>;
  /** Clients with output to write at the end of this turn of the loop (replies, Pub/Sub receivers). */
  readonly pendingFlush: Client[];
  /** client-output-buffer-limit; `outputLimitsActive` is false when every limit of normal and pubsub clients is 0. */
  readonly outputLimits: OutputBufferLimits;
  readonly outputLimitsActive: boolean;
  /** The connection closed: the server forgets it (blocked waits, WATCH, subscriptions, tracking). */
  clientClosed(client: Client): void;
  /** A request looked like HTTP (POST, Host:): logged as Redis's possible cross-protocol attack. */
  crossProtocolAttack(): void;
  /** Writes the output of the clients in pendingFlush. */
  flushPending(): void;
  /**
   * Adds the client to pendingFlush, written once the loop has read every connection ready in
   * this turn (Redis's beforeSleep), then disconnects clients over maxmemory-clients.
   */
  flushBeforeSleep(client: Client): void;
  /** The clients' memory: the total used_memory includes, and maxmemory-clients (all of it, where commands see a part). */
  readonly clientsMemory: ClientsMemory<Client>;
  /** The AOF holds commands not yet written: replies wait until they are. */
  readonly repliesHeld: boolean;
  /** A client's replies wait until the AOF has written what they acknowledge. */
  holdRepliesOf(client: Client): void;
}

/** After this long without input, a client's output chunk is given back (see resizeReplyBuffer). */
const IDLE_CHUNK_MS = 2000;

/** One connection: its parser, its output buffer and the per-client state commands see. */
export class Client implements ClientConnection {
  readonly caller = 'client';
  readonly connection: ClientConnection = this;
  readonly scriptRun = null;
  readonly parser = new RespParser();
  readonly reply = new ReplyWriter();
  db: Database;
  name = '';
  libName = '';
  libVer = '';
  /** The ACL user the connection runs as (the default user until AUTH). */
  user: AclUserView;
  authenticated: boolean;
  replyMode: 'on' | 'off' | 'skip' = 'on';
  private noEvictOn = false;
  /** The memory figure last counted in the clients' total (net/clients-memory.ts). */
  memoryUsage = 0;
  /** The maxmemory-clients bucket this client sits in; -1 for none. */
  memoryBucket = -1;
  /** What the memory figure is computed from, refilled each time rather than allocated. */
  private readonly memoryState: ClientMemoryState = {
    queryBuffer: 0, queryBufferCapacity: 0, argvBytes: 0, argvCount: 0, argvSlots: 0, multiCommands: 0, multiBytes: 0,
    watchedKeys: 0, channels: 0, patterns: 0, shardChannels: 0, outputBytes: 0, replyBufferSize: 0,
  };
  /** The size Redis's reply buffer would have for this client's replies (CLIENT LIST rbs=, rbp=, tot-mem). */
  private readonly replyBuffer = new ReplyBufferModel();
  /** Where Redis would hold this client's unsent output (CLIENT LIST obl, oll, omem). */
  private readonly outputBuffer = new OutputBufferModel();
  /** Bytes of output handed to the socket so far. */
  private outputHanded = 0;
  commandName = '';
  /** Last command run, for CLIENT LIST cmd=. */
  lastCommand = 'NULL';
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  readonly addr: string;
  readonly viaUnixSocket: boolean;
  readonly laddr: string;
  monitor = false;
  /**
   * Redis's CLIENT_CLOSE_AFTER_REPLY: no more input is processed nor replies added, and the
   * connection closes once what is pending has been written. With nothing pending (replies off)
   * the connection stays open, inert, until the peer or CLIENT KILL closes it, as in Redis.
   */
  closing = false;
  closed = false;
  /** In the server's pendingFlush: its output is written at the end of this turn. */
  queuedForFlush = false;
  replica = false;
  /** Commands waiting in the parser while the client is paused or blocked. */
  private waiting = false;
  /** What a blocking command waits for; no input is processed meanwhile. */
  blocked: Waiter | null = null;
  /** A command answering asynchronously has not answered yet; no input is processed meanwhile. */
  held = false;
  inMulti = false;
  multi: MultiState | null = null;
  executing: MultiState | null = null;
  watchDirty = false;
  readonly watchedKeys: WatchedKey[] = [];
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();
  /** CLIENT TRACKING mode; null while off. */
  tracking: TrackingState | null = null;
  /** When pending output first passed the soft limit (ms), 0 while under it. */
  private softLimitSince = 0;
  /** A command that could not run yet (CLIENT PAUSE), run first when resumed. */
  private postponed: string[] | null = null;
  /**
   * The query buffer Redis would hold, for its figures: 'empty' before the first read (sdsempty's
   * few bytes of room: CLIENT LIST qbuf-free=4), 'trimmed' by the cron after the client stayed
   * idle (no spare room until the next read), else 'in use'.
   */
  queryBufferState: 'empty' | 'in use' | 'trimmed' = 'empty';

  constructor(
    readonly id: number,
    readonly server: ClientHost,
    /** The connection's socket: for TLS, the TCP socket until the handshake is done (see handshakeDone). */
    private socket: Socket,
    /** The path of the Unix socket this client came through, null for TCP (CLIENT LIST flag U). */
    private readonly unixSocket: string | null = null,
    /**
     * A TLS connection still in its handshake: Redis makes its client when it accepts the TCP
     * connection, so it is listed, counted and may be killed meanwhile. Its bytes are TLS's own
     * until handshakeDone: only its end is watched.
     */
    inHandshake = false,
  ) {
    this.viaUnixSocket = unixSocket !== null;
    // Replies go to a socket, which takes a chain of chunks: a large batch needs no copying.
    this.reply.chained = true;
    // Its output chunk counts in used_memory while it holds one (server/memory.ts).
    const meter = server.meter;
    this.reply.onChunk = (bytes) => {
      meter.replyChunkBytes += bytes;
    };
    this.db = server.databases[0] as Database;
    this.user = server.acl.defaultUser;
    this.authenticated = server.acl.defaultAuthenticated();
    this.parser.authenticated = this.authenticated;
    this.parser.maxBulkLen = server.config.getNumber('proto-max-bulk-len');
    // Redis shows a Unix socket's path as both ends, with port 0.
    this.addr = unixSocket === null ? formatAddress(socket.remoteAddress, socket.remotePort) : `${unixSocket}:0`;
    this.laddr = unixSocket === null ? formatAddress(socket.localAddress, socket.localPort) : `${unixSocket}:0`;
    socket.setNoDelay(true);
    if (inHandshake) socket.on('close', () => this.onClose());
    else this.serve(socket);
    this.updateMemoryUsage();
  }

  /** Reads commands from `socket` and writes replies to it. */
  private serve(socket: Socket): void {
    const onData = (chunk: Buffer): void => this.onData(chunk);
    // A TLS socket decrypts into buffers of its own.
    const shared =
      !(socket instanceof TLSSocket) &&
      readIntoSharedBuffer(socket, (chunk) => {
        try {
          this.onData(chunk);
        } finally {
          // The next read overwrites the shared buffer: what the parser keeps of it is copied,
          // also when a command failed unexpectedly (a process that survives it reads on).
          this.parser.detach(sharedReadBuffer.buffer);
        }
      });
    if (!shared) socket.on('data', onData);
    // Plain connections are accepted paused (see listeners.ts) so that none is read before this.
    if (socket.isPaused()) socket.resume();
    socket.on('error', () => this.onClose());
    socket.on('close', () => this.onClose());
    // A big reply written out: its memory is given back (Redis measures after each write).
    socket.on('drain', () => this.updateMemoryUsage());
  }

  /**
   * The TLS handshake is done: the client goes on over the TLS socket, with the id, age and
   * idle time it had since the TCP connection was accepted (Redis's client is the same one).
   */
  handshakeDone(socket: Socket): void {
    this.socket = socket;
    this.serve(socket);
  }

  /**
   * The client leaves the server's lists while its connection is closed by someone else (a TLS
   * connection refused after its handshake: an alert or Redis's DENIED error is written first).
   */
  release(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.clientClosed(this);
  }

  /** CLIENT NO-EVICT: a client with it on is never disconnected by maxmemory-clients. */
  get noEvict(): boolean {
    return this.noEvictOn;
  }

  set noEvict(on: boolean) {
    if (on === this.noEvictOn) return;
    this.noEvictOn = on;
    if (on) this.server.clientsMemory.exempt(this);
    else this.updateMemoryUsage();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.server.stats.netInputBytes += chunk.length;
    this.lastInteraction = coarseNow();
    this.queryBufferState = 'in use';
    this.parser.feed(chunk);
    // The limit's smallest setting is 1mb: below that no lookup is needed.
    if (this.parser.pending > MIN_QUERY_BUFFER_LIMIT && this.parser.pending > this.server.config.getNumber('client-query-buffer-limit')) {
      this.server.log.warn({ client: this.describe() }, 'Closing client that reached max query buffer length');
      this.kill();
      return;
    }
    this.processInput();
  }

  /**
   * Runs every complete command in the input; their replies are written together with the other
   * clients' at the end of the loop's turn (flushBeforeSleep).
   */
  processInput(): void {
    this.waiting = false;
    // Its output chunk is taken before its commands run, so that what they report of memory
    // (INFO, MEMORY STATS) counts it as every later call will.
    this.reply.takeChunk();
    beginBatch();
    while (!this.closing && !this.closed) {
      // A paused client still reads its next command (a malformed one is refused at once, as
      // in Redis); processCommand holds that command back.
      if (this.blocked !== null || this.held) {
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
        if (isCrossProtocolRequest(argv[0] as string)) {
          this.server.crossProtocolAttack();
          this.kill();
          break;
        }
      }
      if (!processCommand(this, argv)) {
        this.postponed = argv;
        this.waiting = true;
        break;
      }
      this.lastCommand = this.commandName;
      // With maxmemory-clients set, the output a command added counts before the next one runs
      // (Redis measures the client after each command, then evicts before the next).
      if (this.server.clientsMemory.tracking) this.updateMemoryUsage(true);
      // Keys a busy script made ready are served once it ends (after its caller's reply).
      if (this.server.blocking.hasReady && this.server.busyScriptError === null) this.server.blocking.handleReady();
    }
    endBatch();
    // Once the connection is to close, nothing more is added to what goes out (Redis drops
    // replies after CLIENT_CLOSE_AFTER_REPLY), Pub/Sub messages included.
    if (this.closing) this.reply.enabled = false;
    // Past one output chunk the batch goes out now: the chunks it took go back to the pool they
    // are shared from before the next client's batch needs them, and beside so large a write a
    // wake-up of the client costs little.
    if (this.reply.pending > REPLY_CHUNK_BYTES) this.flush();
    this.server.flushBeforeSleep(this);
  }

  holdUntil(done: Promise<void>): void {
    this.held = true;
    const release = (): void => {
      this.held = false;
      // CLIENT REPLY SKIP covered the held command's reply; it ends with it.
      this.reply.enabled = this.replyMode !== 'off';
      this.flush();
      // Clients blocked on keys the held command (a script busy past its threshold) made ready.
      if (this.server.blocking.hasReady) this.server.blocking.handleReady();
      // What the command did when it answered (MIGRATE's deletions) may have notified subscribers.
      this.server.flushPending();
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

  /**
   * Answers `-ERR Protocol error: …` and closes once it is written. Under CLIENT REPLY OFF or
   * SKIP the error is counted but not sent, and with nothing else to write the connection is
   * not closed either: it ignores its input from then on (Redis 7.0 does the same).
   */
  private protocolError(message: string): void {
    const error = `ERR Protocol error: ${message}`;
    countError(this.server.stats, error);
    this.server.log.debug({ client: this.addr }, `Protocol error (${message}) from client`);
    // Not a push: CLIENT REPLY OFF, or SKIP given for the command that failed to parse, silences it.
    if (this.replyMode === 'on') this.reply.error(error);
    this.closing = true;
  }

  /**
   * Writes what the replies added, and takes the client's memory figure (after each batch of
   * input, and after output added by others: Pub/Sub, MONITOR, replies that waited).
   */
  flush(): void {
    if (this.closed) return;
    // The AOF has commands of this turn of the loop still to write: replies follow them.
    if (this.server.repliesHeld) {
      this.server.holdRepliesOf(this);
      this.updateMemoryUsage();
      return;
    }
    // Checked before the socket takes the bytes, as Redis counts its reply list.
    if (this.server.outputLimitsActive && this.overOutputLimits()) return;
    const n = this.reply.flush(this.socket);
    this.outputHanded += n;
    this.server.stats.netOutputBytes += n;
    this.replyBuffer.wrote(n);
    if (this.closing && (n !== 0 || this.socket.writableLength !== 0)) {
      this.closeWhenWritten();
      return;
    }
    this.updateMemoryUsage();
  }

  /** The query buffer's allocation and the arguments held (INFO client_recent_max_input_buffer). */
  inputBufferBytes(): number {
    const state = this.fillMemoryState(this.parser.pending, null);
    return clientInputMemory(state);
  }

  /**
   * Where Redis would hold the output not written yet (CLIENT LIST obl, oll, omem), brought up
   * to date: what was handed to the socket or is still encoded, less what the socket wrote.
   */
  private outputModel(): OutputBufferModel {
    const model = this.outputBuffer;
    const pending = this.reply.pending;
    model.follow(this.outputHanded + pending, pending + this.socketUnsent(), this.replyBuffer.size);
    return model;
  }

  /**
   * Bytes handed to the socket that the kernel has not taken yet. The socket counts a write in
   * writableLength until all of it went out; the part the kernel took already is known to
   * libuv's write queue, so the write in flight counts for what is left of it.
   */
  private socketUnsent(): number {
    const queued = this.socket.writableLength;
    if (queued === 0) return 0;
    const internals = this.socket as unknown as { _writableState?: { writing?: boolean; writelen?: number }; _handle?: { writeQueueSize?: number } };
    const state = internals._writableState;
    const left = internals._handle?.writeQueueSize;
    if (state?.writing !== true || typeof state.writelen !== 'number' || typeof left !== 'number' || left > state.writelen) return queued;
    return queued - state.writelen + left;
  }

  /** CLIENT LIST omem=: what Redis's reply list would take (INFO client_recent_max_output_buffer). */
  replyListBytes(): number {
    return this.outputModel().memory;
  }

  /**
   * Takes this client's memory figure (CLIENT LIST tot-mem) into the clients' total. `midBatch`:
   * between two commands of a read, when the query buffer still holds the part already run.
   */
  updateMemoryUsage(midBatch = false): void {
    // A closed client's memory has left the total (ClientsMemory.removed) and must not come back.
    if (this.closed) return;
    const state = this.fillMemoryState(midBatch ? this.parser.pending + this.parser.parsedBytes : this.parser.pending, null);
    this.server.clientsMemory.update(this, clientTotalMemory(state));
  }

  /**
   * The state the memory figures are computed from, the query buffer holding `queryBuffer`
   * bytes. `runningArgv`: the command running, whose arguments are held (else those of a
   * blocked or postponed command, or of the one partly read).
   */
  private fillMemoryState(queryBuffer: number, runningArgv: readonly string[] | null): ClientMemoryState {
    const parser = this.parser;
    const state = this.memoryState;
    // Redis keeps the argv of a command that runs, waits on keys or waits for a pause to end.
    const heldArgv = runningArgv ?? this.blocked?.argv ?? this.postponed;
    state.queryBuffer = queryBuffer;
    state.queryBufferCapacity = this.queryBufferState === 'empty' ? EMPTY_QUERY_BUFFER_ROOM : queryBufferCapacity(queryBuffer, this.queryBufferState === 'trimmed', parser.bigArgCapacity);
    state.argvBytes = heldArgv === null ? parser.partialArgBytes : argvBytes(heldArgv);
    state.argvCount = heldArgv === null ? parser.partialArgCount : heldArgv.length;
    state.argvSlots = heldArgv === null ? argvSlots(parser.partialArgTotal, state.argvCount) : heldArgv.length;
    const multi = this.multi ?? this.executing;
    state.multiCommands = multi === null ? 0 : multi.queue.length;
    state.multiBytes = multi === null ? 0 : multi.queuedBytes;
    state.watchedKeys = this.watchedKeys.length;
    state.channels = this.channels.size;
    state.patterns = this.patterns.size;
    state.shardChannels = this.shardChannels.size;
    state.outputBytes = this.outputModel().memory;
    state.replyBufferSize = this.replyBuffer.size;
    return state;
  }

  /**
   * Closes the connection once the socket has written everything, as Redis frees a client after
   * its last reply: the descriptor is closed, not just our side shut down, so input the peer
   * goes on sending is refused (RST) rather than read.
   */
  private closeWhenWritten(): void {
    this.closed = true;
    const socket = this.socket;
    socket.end(() => socket.destroy());
    this.server.clientClosed(this);
  }

  closeAfterReply(): void {
    this.closing = true;
  }

  writeDirect(text: string): void {
    if (this.closed) return;
    this.server.stats.netOutputBytes += Buffer.byteLength(text, 'latin1');
    this.socket.write(text, 'latin1');
  }

  hasPendingOutput(): boolean {
    return this.reply.pending !== 0 || this.socketUnsent() !== 0;
  }

  async sendAndClose(preamble: string, chunks: AsyncIterable<Uint8Array>): Promise<boolean> {
    this.flush();
    // Replies held for the AOF's write of this turn go out first: they are flushed before the loop sleeps.
    while (this.reply.pending !== 0 && !this.closed) {
      await new Promise((resolve) => setImmediate(resolve));
      this.flush();
    }
    if (this.closed) return false;
    // Nothing more is added to what goes out meanwhile (as closeAfterReply).
    this.closing = true;
    this.reply.enabled = false;
    const socket = this.socket;
    // The last write's callback says when the socket took the last byte: 'drain' comes only
    // after a write that was refused, which a short last chunk may not be.
    let lastWritten: Promise<void> = Promise.resolve();
    const send = (data: Uint8Array): boolean => {
      let accepted = true;
      lastWritten = new Promise<void>((resolve) => {
        accepted = socket.write(data, () => resolve());
      });
      return accepted;
    };
    const head = Buffer.from(preamble, 'latin1');
    this.server.stats.netOutputBytes += head.length;
    if (!send(head)) await this.drained();
    for await (const chunk of chunks) {
      if (this.closed) return false;
      this.server.stats.netOutputBytes += chunk.length;
      if (!send(chunk)) await this.drained();
    }
    // Redis keeps the client (listed, waiting to write) until the socket took the last byte.
    if (!this.closed && socket.writableLength !== 0) await this.writtenOrClosed(lastWritten);
    if (this.closed) return false;
    this.closeWhenWritten();
    return true;
  }

  /** Resolves once `written` has, or the socket closed. */
  private writtenOrClosed(written: Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('close', done);
      void written.then(done);
    });
  }

  /** Resolves once the socket has written what it holds, or closed. */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  authenticate(user: AclUserView): void {
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
    // A flag rather than Set#add each time: a subscriber is marked once per message it gets.
    if (!this.queuedForFlush) {
      this.queuedForFlush = true;
      this.server.pendingFlush.push(this);
    }
    if (this.server.outputLimitsActive) this.overOutputLimits();
  }

  /**
   * client-output-buffer-limit (Redis's checkClientOutputBufferLimits): past the hard limit, or
   * past the soft one for longer than its seconds, the connection is closed; true when it was.
   */
  private overOutputLimits(): boolean {
    if (this.closed) return true;
    const subscribed = isSubscribed(this);
    const limit = subscribed ? this.server.outputLimits.pubsub : this.server.outputLimits.normal;
    if (limit.hard === 0 && limit.soft === 0) return false;
    // As Redis, what the reply list takes: output within the static reply buffer is not counted.
    const used = this.outputModel().memory;
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
    this.reply.dropPending();
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
    // CLIENT NO-EVICT outlives RESET, as in Redis 7.0 (clearClientConnectionState leaves it).
    if (this.monitor) {
      this.monitor = false;
      this.server.monitors.delete(this);
    }
    // Redis's clientSetDefaultAuth.
    this.user = this.server.acl.defaultUser;
    this.authenticated = this.server.acl.defaultAuthenticated();
    this.parser.authenticated = this.authenticated;
  }

  /**
   * The CLIENT LIST line. `runningArgv` is given when the client describes itself from the
   * command it is running (CLIENT INFO, CLIENT LIST): as in Redis, that command's bytes and
   * arguments are still held then.
   */
  describe(runningArgv?: readonly string[]): string {
    const now = Date.now();
    const age = Math.floor((now - this.createdAt) / 1000);
    // lastInteraction comes from the cron's clock, which may be a tick ahead of or behind now.
    const idle = Math.max(0, Math.floor((now - this.lastInteraction) / 1000));
    const flags = this.flagLetters();
    const multi = this.multi ?? this.executing;
    const parser = this.parser;
    // Inside EXEC, Redis's argv_len_sum is still EXEC's own: the queued command's arguments are not counted.
    const held = runningArgv === undefined ? null : this.executing !== null ? EXEC_ARGV : runningArgv;
    const state = this.fillMemoryState(parser.pending + (runningArgv === undefined ? 0 : parser.parsedBytes), held);
    const qbuf = state.queryBuffer;
    const argvMem = state.argvBytes;
    const omem = state.outputBytes;
    const output = this.outputBuffer;
    const memory = clientMemoryFigures(state);
    return (
      `id=${this.id} addr=${this.addr} laddr=${this.laddr} fd=${this.fd()} name=${this.name} age=${age} idle=${idle} ` +
      `flags=${flags} db=${this.db.id} sub=${this.channels.size} psub=${this.patterns.size} ssub=${this.shardChannels.size} ` +
      `multi=${multi === null ? -1 : multi.queue.length} qbuf=${qbuf} qbuf-free=${memory.qbufFree} argv-mem=${argvMem} ` +
      `multi-mem=${memory.multiMem} rbs=${this.replyBuffer.size} rbp=${this.replyBuffer.peak} obl=${output.bufferUsed} oll=${output.blocks} omem=${omem} tot-mem=${memory.totMem} ` +
      // Redis watches for writability while output waits for the socket.
      `events=${this.socketUnsent() !== 0 ? 'rw' : 'r'} ` +
      `cmd=${this.executing !== null ? 'exec' : this.commandName === '' ? this.lastCommand : this.commandName} ` +
      `user=${this.user.name} redir=${this.tracking === null ? -1 : this.tracking.redirect} resp=${this.reply.resp}`
    );
  }

  /**
   * Redis's clientsCronResizeQueryBuffer, for the figures only: a client idle for more than 2
   * seconds has its query buffer trimmed to what it holds, so CLIENT LIST shows no free room.
   * Redis leaves a buffer wasting 4 KB or less as it is.
   */
  /** Redis's clientsCronResizeOutputBuffer, for the figures (see ReplyBufferModel). */
  resizeReplyBuffer(nowMs: number): void {
    this.replyBuffer.resize(nowMs, this.outputModel().bufferUsed);
    // An idle connection gives its output chunk back until its next reply.
    if (nowMs - this.lastInteraction > IDLE_CHUNK_MS && !this.closed) this.reply.releaseChunk(this.socket);
  }

  trimIdleQueryBuffer(nowSeconds: number): void {
    if (this.queryBufferState !== 'in use' || nowSeconds - Math.floor(this.lastInteraction / 1000) <= 2) return;
    const held = this.parser.pending;
    if (queryBufferCapacity(held, false, this.parser.bigArgCapacity) - held > 4096) this.queryBufferState = 'trimmed';
  }

  /** CLIENT LIST flags=, in Redis's order. */
  private flagLetters(): string {
    let f = this.monitor ? 'O' : this.replica ? 'S' : '';
    if (isSubscribed(this)) f += 'P';
    if (this.multi !== null || this.executing !== null) f += 'x';
    if (this.blocked !== null) f += 'b';
    const t = this.tracking;
    if (t !== null) f += 't' + (t.brokenRedirect ? 'R' : '') + (t.bcast ? 'B' : '');
    if (this.watchDirty) f += 'd';
    // A replica's transfer ends with the connection closed, but Redis closes it otherwise than
    // after a reply (CLIENT_CLOSE_AFTER_REPLY): no c while the snapshot goes out.
    if (this.closing && !this.replica) f += 'c';
    if (this.unixSocket !== null) f += 'U';
    if (this.noEvict) f += 'e';
    return f === '' ? 'N' : f;
  }

  private fd(): number {
    const handle = (this.socket as unknown as { _handle?: { fd?: number } })._handle;
    return handle?.fd ?? -1;
  }

  forgetIfClosed(): void {
    if (this.closed) this.server.clientClosed(this);
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

/** What CLIENT INFO counts as the arguments held while EXEC runs a queued command. */
const EXEC_ARGV: readonly string[] = ['exec'];

/**
 * A request whose first word is POST or Host: is a browser driven to the port (cross protocol
 * scripting): Redis drops such a connection before looking the command up. Tested on every
 * command, so without a string made: `| 32` folds only the case of these letters.
 */
function isCrossProtocolRequest(name: string): boolean {
  const n = name.length;
  if (n !== 4 && !(n === 5 && name.charCodeAt(4) === 58)) return false; // ':'
  const c0 = name.charCodeAt(0) | 32;
  if (c0 !== 112 && c0 !== 104) return false; // 'p', 'h'
  if ((name.charCodeAt(1) | 32) !== 111 || (name.charCodeAt(2) | 32) !== 115 || (name.charCodeAt(3) | 32) !== 116) return false; // 'ost'
  return (c0 === 112) === (n === 4);
}

function formatAddress(host: string | undefined, port: number | undefined): string {
  if (host === undefined) return '?:0';
  const bare = host.startsWith('::ffff:') ? host.slice(7) : host;
  // Redis brackets IPv6 addresses (anetFormatAddr), which CLIENT KILL ADDR matches against.
  return bare.includes(':') ? `[${bare}]:${port ?? 0}` : `${bare}:${port ?? 0}`;
}
