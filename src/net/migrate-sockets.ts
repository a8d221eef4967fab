/**
 * MIGRATE's connections to target instances (Redis's migrate_cached_sockets in cluster.c): one
 * per "host:port" as MIGRATE names them (so "127.0.0.1:6379" and "127.0.0.1:06379" are two),
 * at most 64, a random one closed to make room, each closed after more than 10 seconds unused.
 *
 * Redis connects and talks to the target with blocking calls, each bounded by MIGRATE's
 * timeout; here the same steps are asynchronous and MIGRATEs to one target take turns (`use`).
 * What a blocking connect tells Redis is kept: a connection attempt that fails at once (no such
 * host, a port the resolver refuses) is a failure to connect, while one the target refuses
 * after it started (ECONNREFUSED comes back asynchronously, even on the loopback) looks
 * connected to Redis, whose first write then fails: such a connection is cached broken, and its
 * exchanges fail while writing.
 */
import net from 'node:net';
import { atoi } from '../util/parse.js';
import type { MigrateConnection, MigrateExchange, MigrateFailure, MigrateTarget, MigrateTargets } from '../commands/core/context.js';

/** Redis's MIGRATE_SOCKET_CACHE_ITEMS. */
const MAX_CACHED = 64;
/** Redis's MIGRATE_SOCKET_CACHE_TTL: closed when unused for more than this many seconds. */
const IDLE_SECONDS = 10;
/** Redis's connSyncReadLine reads into 1024 bytes, one of them for the terminating NUL. */
const MAX_LINE = 1023;
/** setTimeout's longest delay; longer timeouts wait this long. */
const MAX_TIMER_MS = 0x7fffffff;
/** Redis writes MIGRATE's commands 64 KB at a time, each write bounded by the timeout. */
const WRITE_CHUNK = 64 * 1024;
const NEWLINE = 10;
const CR = 13;

/**
 * Errors of a connect that Redis's non-blocking connect gets at once, so that MIGRATE answers
 * it could not connect (resolver failures come as ENOTFOUND or EAI_…).
 */
const IMMEDIATE_CONNECT_ERRORS = new Set(['ENOTFOUND', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EACCES', 'EPERM', 'EAFNOSUPPORT', 'EINVAL', 'ENOENT']);

function errorCode(err: unknown): string {
  if (err instanceof AggregateError) {
    // Several addresses tried (autoSelectFamily): failing at once means every one did.
    const codes = err.errors.map(errorCode);
    return codes.every((c) => isImmediateConnectError(c)) ? (codes[0] ?? '') : (codes.find((c) => !isImmediateConnectError(c)) ?? '');
  }
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function isImmediateConnectError(code: string): boolean {
  return IMMEDIATE_CONNECT_ERRORS.has(code) || code.startsWith('EAI_') || code.startsWith('ERR_');
}

/** One cached connection; `socket` is null for a connection refused after it started. */
class CachedConnection implements MigrateConnection {
  selectedDb: string | null = null;
  /** Unix time (s) of the last MIGRATE that took it (Redis's last_use_time). */
  lastUse = Math.floor(Date.now() / 1000);
  /** Bytes received and not yet read as reply lines. */
  private input: Buffer = Buffer.alloc(0);
  /** The connection failed or the target closed it: every later exchange fails. */
  private broken: boolean;
  /** The running exchange's reaction to new input or to the connection failing. */
  private onEvent: (() => void) | null = null;

  constructor(private readonly socket: net.Socket | null) {
    this.broken = socket === null;
    if (socket === null) return;
    socket.setNoDelay(true);
    // Between MIGRATEs nothing is read, as Redis reads only while it waits for replies: what
    // the target sends stays in the kernel's buffers.
    socket.pause();
    socket.on('data', (chunk: Buffer) => {
      this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
      this.onEvent?.();
    });
    const fail = (): void => {
      this.broken = true;
      this.onEvent?.();
    };
    socket.on('error', fail);
    socket.on('end', fail);
    socket.on('close', fail);
  }

  exchange(request: Buffer, count: number, timeoutMs: number): Promise<MigrateExchange> {
    const socket = this.socket;
    return new Promise((resolve) => {
      const lines: string[] = [];
      let writing = true;
      let done = false;
      const finish = (failure: MigrateFailure | null): void => {
        if (done) return;
        done = true;
        this.onEvent = null;
        if (socket !== null && !socket.destroyed) {
          socket.setTimeout(0);
          socket.removeListener('timeout', onTimeout);
          socket.pause();
        }
        resolve({ lines, failure });
      };
      const onTimeout = (): void => finish({ writing, timedOut: true });
      // Reads what complete lines the input holds; stops when enough, or when the connection failed.
      const advance = (): void => {
        while (lines.length < count) {
          const line = this.takeLine();
          if (line === undefined) break;
          // An empty line reads as 0 bytes, which Redis's caller takes for a failed read.
          if (line === null) return finish({ writing: false, timedOut: false });
          lines.push(line);
        }
        // Nothing to read (no AUTH, no SELECT, every key expired meanwhile): done once written.
        if (lines.length === count && (count !== 0 || !writing)) finish(null);
        else if (this.broken) finish({ writing, timedOut: false });
      };
      if (socket === null || this.broken || socket.destroyed) {
        finish({ writing: true, timedOut: false });
        return;
      }
      this.onEvent = advance;
      socket.setTimeout(Math.min(timeoutMs, MAX_TIMER_MS));
      socket.on('timeout', onTimeout);
      // In 64 KB writes, each one handed to the kernel before the next, as Redis writes: the
      // timeout bounds each of them (any activity restarts the socket's timer), not the whole.
      let written = 0;
      const writeNext = (): void => {
        const end = Math.min(request.length, written + WRITE_CHUNK);
        const chunk = request.subarray(written, end);
        written = end;
        socket.write(chunk, (err) => {
          if (done) return;
          if (err) return finish({ writing: true, timedOut: false });
          if (written < request.length) return writeNext();
          writing = false;
          advance();
        });
      };
      writeNext();
      socket.resume();
      // Lines the target sent before (a reply no MIGRATE read) come first, as in Redis.
      advance();
    });
  }

  /**
   * The next reply line as Redis's connSyncReadLine gives it: undefined when the input holds no
   * complete one yet, null for an empty line (a read of 0 bytes).
   */
  private takeLine(): string | null | undefined {
    const input = this.input;
    const end = input.indexOf(NEWLINE);
    if (end === -1 || end >= MAX_LINE) {
      if (input.length < MAX_LINE) return undefined;
      // A line too long for the buffer: what fits is one line, the rest the next ones.
      this.input = input.subarray(MAX_LINE);
      return input.toString('latin1', 0, MAX_LINE);
    }
    this.input = input.subarray(end + 1);
    if (end === 0) return null;
    return input.toString('latin1', 0, end > 0 && input[end - 1] === CR ? end - 1 : end);
  }

  close(): void {
    this.broken = true;
    this.socket?.destroy();
  }
}

/** The cache of one server; closed with it. */
export class MigrateSocketCache implements MigrateTargets {
  private readonly connections = new Map<string, CachedConnection>();
  /** Per target name, the end of the last MIGRATE queued for it. */
  private readonly turns = new Map<string, Promise<void>>();
  private sweepTimer: NodeJS.Timeout | null = null;
  /** The server stopped: no connection is opened any more. */
  private stopped = false;

  use<T>(host: string, port: string, work: (target: MigrateTarget) => Promise<T>): Promise<T> {
    const name = `${host}:${port}`;
    const target: MigrateTarget = {
      connect: (timeoutMs) => this.connect(name, host, port, timeoutMs),
      close: () => this.close(name),
    };
    const previous = this.turns.get(name) ?? Promise.resolve();
    const run = previous.then(() => work(target));
    const settled = run.then(
      () => {},
      () => {},
    );
    this.turns.set(name, settled);
    // Forgotten before the caller hears the outcome, so the sweep can see the connection is free.
    return run.finally(() => {
      if (this.turns.get(name) === settled) this.turns.delete(name);
    });
  }

  private async connect(name: string, host: string, portText: string, timeoutMs: number): Promise<MigrateConnection | null> {
    const cached = this.connections.get(name);
    if (cached !== undefined) {
      cached.lastUse = Math.floor(Date.now() / 1000);
      return cached;
    }
    if (this.connections.size >= MAX_CACHED) {
      // Too many: one at random goes, as in Redis.
      const names = [...this.connections.keys()];
      this.close(names[Math.floor(Math.random() * names.length)] as string);
    }
    const socket = this.stopped ? null : await openSocket(host, portText, timeoutMs);
    if (socket === null) return null;
    if (this.stopped) {
      if (socket !== 'refused') socket.destroy();
      return null;
    }
    const connection = new CachedConnection(socket === 'refused' ? null : socket);
    this.connections.set(name, connection);
    this.armSweep();
    return connection;
  }

  private close(name: string): void {
    const connection = this.connections.get(name);
    if (connection === undefined) return;
    connection.close();
    this.connections.delete(name);
    if (this.connections.size === 0) this.stopSweep();
  }

  /**
   * Redis's migrateCloseTimedoutSockets, which its cron runs once a second. A connection a
   * MIGRATE is using or waiting for stays: Redis, blocked in that MIGRATE, would not sweep.
   */
  private sweep(): void {
    const now = Math.floor(Date.now() / 1000);
    for (const [name, connection] of this.connections) {
      if (!this.turns.has(name) && now - connection.lastUse > IDLE_SECONDS) this.close(name);
    }
  }

  private armSweep(): void {
    if (this.sweepTimer !== null) return;
    this.sweepTimer = setInterval(() => this.sweep(), 1000);
    this.sweepTimer.unref();
  }

  private stopSweep(): void {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  /** The server stops: every connection is closed (a MIGRATE using one fails reading). */
  closeAll(): void {
    this.stopped = true;
    for (const name of [...this.connections.keys()]) this.close(name);
    this.stopSweep();
  }

  /** How many connections are cached (tests). */
  get size(): number {
    return this.connections.size;
  }
}

/**
 * Connects as Redis's connBlockingConnect does: the socket, 'refused' when the attempt started
 * and then failed (the target refused or reset it), null when it could not start or did not
 * complete within `timeoutMs`. The port is C's atoi of the argument, which the resolver takes
 * modulo 65536; a negative one is no service at all.
 */
function openSocket(host: string, portText: string, timeoutMs: number): Promise<net.Socket | 'refused' | null> {
  const port = atoi(portText);
  // Node would take an empty host for localhost; the resolver finds nothing there.
  if (port < 0 || host === '') return Promise.resolve(null);
  return new Promise((resolve) => {
    let socket: net.Socket;
    try {
      socket = net.connect({ host, port: port & 0xffff });
    } catch {
      resolve(null);
      return;
    }
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, Math.min(timeoutMs, MAX_TIMER_MS));
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(isImmediateConnectError(errorCode(err)) ? null : 'refused');
    });
  });
}
