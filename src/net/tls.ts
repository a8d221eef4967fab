import { constants as cryptoConstants } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type net from 'node:net';
import tls from 'node:tls';
import type { Config } from '../config/config.js';
import type { Logger } from '../log.js';
import type { Client } from './client.js';
import { ALERT, alertForVerifyError, fatalAlertRecord } from './tls-alert.js';
import { listenOnTls, openListeners, type Listener, type ListenerHost, type OpenedListeners } from './listeners.js';

/**
 * TLS as Redis 7.0 configures it (tls.c's tlsConfigure), on Node's tls module: the server's
 * certificate and key, the CA clients' certificates are checked against, protocols, ciphers and
 * session caching, all read from the tls-* parameters.
 */

/** The parameters whose CONFIG SET rebuilds the TLS context (Redis's applyTlsCfg). */
export const TLS_CONTEXT_PARAMS = [
  'tls-cert-file', 'tls-key-file', 'tls-key-file-pass', 'tls-client-cert-file', 'tls-client-key-file',
  'tls-client-key-file-pass', 'tls-dh-params-file', 'tls-ca-cert-file', 'tls-ca-cert-dir', 'tls-protocols',
  'tls-ciphers', 'tls-ciphersuites', 'tls-prefer-server-ciphers', 'tls-session-caching', 'tls-session-cache-size',
  'tls-session-cache-timeout', 'tls-replication', 'tls-cluster',
];

/** Redis's texts when the context cannot be built (the reason goes to the log). */
export const ERR_TLS_STARTUP = 'Failed to configure TLS. Check logs for more info.';
export const ERR_TLS_UPDATE = 'Unable to update TLS configuration. Check server logs.';

/** Why a TLS context could not be built: logged as Redis logs it, never sent to a client. */
export class TlsConfigError extends Error {}

/** The TLS port could not be listened on at start-up (the CLI names the port and "tls", as Redis). */
export class TlsListenError extends Error {
  constructor(
    readonly port: number,
    readonly code: string,
  ) {
    super(`Failed listening on port ${port} (tls), aborting: ${code}`);
  }
}

type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
const VERSIONS: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
/** OpenSSL's switch that turns each version off, in the order of VERSIONS. */
const VERSION_OFF: readonly number[] = [
  cryptoConstants.SSL_OP_NO_TLSv1, cryptoConstants.SSL_OP_NO_TLSv1_1, cryptoConstants.SSL_OP_NO_TLSv1_2, cryptoConstants.SSL_OP_NO_TLSv1_3,
];

export interface TlsProtocols {
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
  /** SSL_OP_NO_* of the versions between the two that were not listed. */
  disabled: number;
}

/**
 * tls-protocols ("TLSv1.2 TLSv1.3", any case, one space between names) as Node's lowest and
 * highest version plus OpenSSL's switches for the versions between that were left out: Redis
 * enables exactly the listed versions, so a list with a gap ("TLSv1.1 TLSv1.3") must not take
 * TLSv1.2. Empty means Redis's default, TLSv1.2 and TLSv1.3. Redis splits at every space, so
 * an empty name (two spaces, or one at either end) is invalid as well.
 */
export function parseTlsProtocols(text: string): TlsProtocols {
  if (text === '') return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', disabled: 0 };
  const chosen = new Set(text.split(' ').map((token) => {
    const index = VERSIONS.findIndex((v) => v.toLowerCase() === token.toLowerCase());
    if (index === -1) throw new TlsConfigError("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.");
    return index;
  }));
  const lowest = Math.min(...chosen);
  const highest = Math.max(...chosen);
  let disabled = 0;
  for (let i = lowest + 1; i < highest; i++) if (!chosen.has(i)) disabled |= VERSION_OFF[i] as number;
  return { minVersion: VERSIONS[lowest] as TlsVersion, maxVersion: VERSIONS[highest] as TlsVersion, disabled };
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TlsConfigError(`Failed to load ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Every certificate file of tls-ca-cert-dir (OpenSSL's hashed names or any other name). */
function readCaDir(dir: string): Buffer[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new TlsConfigError(`Failed to configure CA certificate(s) file/directory: ${(err as Error).message}`);
  }
  const found: Buffer[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile()) continue;
      const content = readFileSync(path);
      if (content.includes('-----BEGIN CERTIFICATE-----')) found.push(content);
    } catch {
      // An unreadable entry is skipped, as OpenSSL skips a hashed name it cannot load.
    }
  }
  return found;
}

/** The TLS 1.2 ciphers (first) and the TLS 1.3 suites of Node's default list. */
const DEFAULT_CIPHER_HALVES = ((): [string, string] => {
  const names = tls.DEFAULT_CIPHERS.split(':').filter((name) => name !== '');
  return [names.filter((name) => !name.startsWith('TLS_')).join(':'), names.filter((name) => name.startsWith('TLS_')).join(':')];
})();

/**
 * Node's one cipher list from tls-ciphers (TLS 1.2 and older) and tls-ciphersuites (TLS 1.3), or
 * null for Node's default. Node sorts the list's names by their TLS_ prefix, and a list with no
 * name of one kind turns that kind's versions off; Redis sets each list on its own and leaves the
 * other at its default, so an empty half is filled with the default one.
 */
export function tlsCipherList(ciphers: string, suites: string): string | null {
  if (ciphers === '' && suites === '') return null;
  return [suites === '' ? DEFAULT_CIPHER_HALVES[1] : suites, ciphers === '' ? DEFAULT_CIPHER_HALVES[0] : ciphers].join(':');
}

/**
 * The options of Node's TLS server (and of setSecureContext) from the tls-* parameters, or a
 * TlsConfigError saying why not (Redis's tlsConfigure). Clients' certificates are always
 * requested and checked after the handshake against tls-auth-clients, which Redis reads per
 * connection: it may change without rebuilding the context.
 */
export function tlsServerOptions(config: Config): tls.TlsOptions {
  const certFile = config.getString('tls-cert-file');
  const keyFile = config.getString('tls-key-file');
  const caFile = config.getString('tls-ca-cert-file');
  const caDir = config.getString('tls-ca-cert-dir');
  if (certFile === '') throw new TlsConfigError('No tls-cert-file configured!');
  if (keyFile === '') throw new TlsConfigError('No tls-key-file configured!');
  if (config.format('tls-auth-clients') !== 'no' && caFile === '' && caDir === '') {
    throw new TlsConfigError('Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!');
  }
  const { minVersion, maxVersion, disabled } = parseTlsProtocols(config.getString('tls-protocols'));
  const ca: Buffer[] = [];
  if (caFile !== '') ca.push(readPem(caFile, 'CA certificate(s) file'));
  if (caDir !== '') ca.push(...readCaDir(caDir));
  const cipherList = tlsCipherList(config.getString('tls-ciphers'), config.getString('tls-ciphersuites'));
  const options: tls.TlsOptions = {
    cert: readPem(certFile, 'certificate'),
    key: readPem(keyFile, 'private key'),
    ca: ca.length > 0 ? ca : undefined,
    minVersion,
    maxVersion,
    honorCipherOrder: config.getBool('tls-prefer-server-ciphers'),
    requestCert: true,
    rejectUnauthorized: false,
    // Session tickets stay on whatever tls-session-caching says, as in Redis (which never sets
    // SSL_OP_NO_TICKET); that parameter turns off the session-ID cache (TlsSessionCache) only.
    secureOptions: disabled,
    // OpenSSL's session lifetime: session IDs and tickets alike.
    sessionTimeout: config.getNumber('tls-session-cache-timeout'),
    sessionIdContext: 'redis',
  };
  const passphrase = config.getString('tls-key-file-pass');
  if (passphrase !== '') options.passphrase = passphrase;
  if (cipherList !== null) options.ciphers = cipherList;
  const dhFile = config.getString('tls-dh-params-file');
  if (dhFile !== '') options.dhparam = readPem(dhFile, 'DH params file');
  try {
    // Built once here so that a bad key, passphrase, cipher list or CA fails now, not at a client's handshake.
    tls.createSecureContext(options);
  } catch (err) {
    throw new TlsConfigError(`Failed to configure TLS: ${(err as Error).message}`);
  }
  return options;
}

/**
 * Why a client that finished the handshake may not stay, by tls-auth-clients, as the alert
 * OpenSSL would have refused it with in the handshake; null when it may stay. `yes` wants a
 * certificate the CA vouches for, `optional` checks one only if it was sent, `no` takes anyone.
 */
export function clientRefusalAlert(mode: string, socket: tls.TLSSocket): number | null {
  if (mode === 'no' || socket.authorized) return null;
  const presented = socket.getPeerCertificate();
  if (presented === null || Object.keys(presented).length === 0) {
    if (mode === 'optional') return null;
    // What OpenSSL answers a missing certificate with (SSL_VERIFY_FAIL_IF_NO_PEER_CERT).
    return socket.getProtocol() === 'TLSv1.3' ? ALERT.certificateRequired : ALERT.handshakeFailure;
  }
  // Node gives the verification error's name as a string (typed as an Error).
  return alertForVerifyError(socket.authorizationError === undefined || socket.authorizationError === null ? undefined : String(socket.authorizationError));
}

/** Logs why TLS could not be configured, as Redis does before its short error. */
export function logTlsError(log: Logger, err: unknown): void {
  log.warn((err as Error).message);
}

/** What the TLS side needs of the server: whether a connection may start, its client, and the log. */
export interface TlsHost {
  readonly config: Config;
  readonly log: Logger;
  /** maxclients and shutdown, checked before the handshake as Redis does. */
  admitsConnection(): boolean;
  /**
   * A connection starts its handshake: its client is made now, on the TCP socket (Redis's
   * createClient at accept), listed by CLIENT LIST, counted, and killable meanwhile.
   */
  clientInHandshake(raw: net.Socket): Client;
  /** The handshake is done and the client's certificate accepted: the client goes on over `socket`. */
  handshakeDone(client: Client, socket: tls.TLSSocket): void;
}

/**
 * The server's cache of TLS sessions by session ID (OpenSSL's, which Redis sizes): Node turns
 * OpenSSL's own cache off and asks its 'newSession' and 'resumeSession' listeners instead. Kept
 * only with tls-session-caching yes, at most tls-session-cache-size sessions (0: no bound; the
 * oldest goes first, as OpenSSL's), each for tls-session-cache-timeout seconds. Emptied when
 * the context is rebuilt, as Redis's new context starts with an empty cache. Session tickets
 * need no cache.
 */
export class TlsSessionCache {
  private readonly sessions = new Map<string, { data: Buffer; expiresAt: number }>();

  constructor(private readonly config: Config) {}

  get size(): number {
    return this.sessions.size;
  }

  store(id: Buffer, data: Buffer, now = Date.now()): void {
    if (!this.config.getBool('tls-session-caching')) return;
    const key = id.toString('hex');
    this.sessions.delete(key);
    // Expired sessions go from the front (insertion order is expiry order while the timeout
    // stays): with no size limit they would otherwise stay until looked up, as OpenSSL's flush does.
    for (const [oldKey, entry] of this.sessions) {
      if (entry.expiresAt > now) break;
      this.sessions.delete(oldKey);
    }
    const limit = this.config.getNumber('tls-session-cache-size');
    if (limit > 0) {
      for (const oldest of this.sessions.keys()) {
        if (this.sessions.size < limit) break;
        this.sessions.delete(oldest);
      }
    }
    this.sessions.set(key, { data, expiresAt: now + this.config.getNumber('tls-session-cache-timeout') * 1000 });
  }

  lookup(id: Buffer, now = Date.now()): Buffer | null {
    if (!this.config.getBool('tls-session-caching')) return null;
    const key = id.toString('hex');
    const entry = this.sessions.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt <= now) {
      this.sessions.delete(key);
      return null;
    }
    return entry.data;
  }

  clear(): void {
    this.sessions.clear();
  }
}

/** A connection in its handshake: its TCP socket, its client, and whether the server closed it. */
interface HandshakeEntry {
  readonly raw: net.Socket;
  readonly client: Client;
  rawClosed: boolean;
  closedByServer: boolean;
}

/**
 * What Redis logs of a failed handshake (OpenSSL 3's ERR_error_string_n): `error:<code>:<library>::<reason>`.
 * Node's message of an OpenSSL error holds the same parts, with the function and source file
 * besides; a peer gone before the handshake ended is OpenSSL's unexpected EOF to Redis.
 */
export function openSslReason(err: Error): string {
  const parts = /error:([0-9A-Fa-f]{8}):([^:]*):[^:]*:([^:\n]*)/.exec(err.message);
  if (parts !== null) return `error:${parts[1] as string}:${parts[2] as string}::${parts[3] as string}`;
  if ((err as NodeJS.ErrnoException).code === 'ECONNRESET') return UNEXPECTED_EOF;
  return err.message;
}

/** OpenSSL 3's texts for the failures Redis logs most (Redis 7.0 on Debian's OpenSSL 3). */
const UNEXPECTED_EOF = 'error:0A000126:SSL routines::unexpected eof while reading';
const NO_CERTIFICATE = 'error:0A0000C7:SSL routines::peer did not return a certificate';
const VERIFY_FAILED = 'error:0A000086:SSL routines::certificate verify failed';

/** A TCP connection by its two ends: the same for the raw socket and the TLS socket over it. */
function connectionKey(socket: net.Socket): string {
  return `${socket.localAddress}|${socket.localPort}|${socket.remoteAddress}|${socket.remotePort}`;
}

/**
 * The TLS listeners at tls-port, on the addresses of bind, beside the plain ones. Their context
 * is rebuilt by a CONFIG SET of any TLS parameter (the same file path included: the files are
 * read again), and handed to the listening servers without a restart.
 */
export class TlsEndpoint {
  readonly listeners: Listener[] = [];
  port = 0;
  private options: tls.TlsOptions | null = null;
  /** Connections admitted and still in their handshake (their TCP sockets and clients), by connectionKey. */
  private readonly inHandshake = new Map<string, HandshakeEntry>();
  /** The same, by TCP socket, kept after the close: what a failed handshake is told by (see handshakeFailed). */
  private readonly handshakesByRaw = new WeakMap<net.Socket, HandshakeEntry>();
  /** SERVER_TRAFFIC_SECRET_0 of TLS 1.3 connections in their handshake: what a refusal's alert is sealed with. */
  private readonly trafficSecrets = new WeakMap<tls.TLSSocket, Buffer>();
  private readonly onKeylog = (line: Buffer, socket: tls.TLSSocket): void => {
    const text = line.toString('latin1');
    if (!text.startsWith('SERVER_TRAFFIC_SECRET_0 ')) return;
    const secret = text.trim().split(' ')[2];
    if (secret !== undefined) this.trafficSecrets.set(socket, Buffer.from(secret, 'hex'));
  };

  readonly sessions: TlsSessionCache;
  /** The listening servers whose session events go to `sessions`. */
  private readonly sessionServers = new WeakSet<tls.Server>();

  constructor(private readonly host: TlsHost) {
    this.sessions = new TlsSessionCache(host.config);
    for (const name of TLS_CONTEXT_PARAMS) host.config.onChange(name, () => this.reload());
    host.config.onChange('tls-auth-clients', () => {
      for (const l of this.listeners) this.applyClientAuth(l.server as tls.Server);
    });
  }

  /**
   * tls-auth-clients on the listening server; Node reads these fields at each connection it
   * accepts, so a change applies to the next client. Node's server never refuses a certificate
   * in the handshake itself (it reports the verification once the handshake is done), so every
   * refusal, a missing certificate included, is made by admit() with the alert OpenSSL would
   * have sent. The key log (Node's 'keylog') gives the TLS 1.3 secret that alert is sealed with;
   * it is asked for only while certificates are checked.
   */
  private applyClientAuth(server: tls.Server): void {
    const mode = this.host.config.format('tls-auth-clients');
    const knobs = server as unknown as { requestCert: boolean; rejectUnauthorized: boolean };
    knobs.requestCert = mode !== 'no';
    knobs.rejectUnauthorized = false;
    server.off('keylog', this.onKeylog);
    if (mode !== 'no') server.on('keylog', this.onKeylog);
  }

  /** Sessions a listening server makes go to the cache, and resumptions are looked up there. */
  private keepSessions(server: tls.Server): void {
    if (this.sessionServers.has(server)) return;
    this.sessionServers.add(server);
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      this.sessions.store(id, data);
      done();
    });
    server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      done(null, this.sessions.lookup(id));
    });
  }

  /** Builds the context from the parameters as they are (throws TlsConfigError). */
  configure(): void {
    this.options = tlsServerOptions(this.host.config);
  }

  get listening(): boolean {
    return this.listeners.length > 0;
  }

  /** Listens at `port` on the addresses of `bind`, keeping the listeners already there. */
  open(port: number, bind: string): Promise<OpenedListeners> {
    const options = this.options;
    if (options === null) throw new TlsConfigError('TLS is not configured');
    const listenerHost: ListenerHost = {
      listen: (address, at) => listenOnTls(address, at, options, {
        admitConnection: (raw) => this.startHandshake(raw),
        onSocket: (socket) => this.admit(socket),
        onHandshakeError: (err, socket) => this.handshakeFailed(err, socket),
      }),
      log: this.host.log,
    };
    return openListeners(port, bind, this.listeners, listenerHost);
  }

  /** Takes the listeners `open` gave as the current ones, closing those left out. */
  adopt(opened: OpenedListeners): void {
    for (const l of this.listeners) if (!opened.listeners.includes(l)) l.server.close();
    for (const l of opened.listeners) {
      this.applyClientAuth(l.server as tls.Server);
      this.keepSessions(l.server as tls.Server);
    }
    this.listeners.splice(0, this.listeners.length, ...opened.listeners);
    this.port = opened.port;
  }

  async close(): Promise<void> {
    const closing = this.listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())));
    this.listeners.length = 0;
    this.port = 0;
    await Promise.all(closing);
  }

  private startHandshake(raw: net.Socket): boolean {
    if (!this.host.admitsConnection()) return false;
    const key = connectionKey(raw);
    const entry: HandshakeEntry = { raw, client: this.host.clientInHandshake(raw), rawClosed: false, closedByServer: false };
    this.inHandshake.set(key, entry);
    this.handshakesByRaw.set(raw, entry);
    // Ahead of the client's own listener: a client closed before its socket's close event was
    // closed by the server (CLIENT KILL, timeout), not by the peer.
    raw.prependOnceListener('close', () => {
      entry.rawClosed = true;
      entry.closedByServer = entry.client.closed;
      if (this.inHandshake.get(key) === entry) this.inHandshake.delete(key);
    });
    return true;
  }

  private admit(socket: tls.TLSSocket): void {
    const key = connectionKey(socket);
    const entry = this.inHandshake.get(key);
    this.inHandshake.delete(key);
    const secret = this.trafficSecrets.get(socket);
    this.trafficSecrets.delete(socket);
    // Killed (CLIENT KILL, timeout) in the very turn its handshake ended: nothing left to serve.
    if (entry === undefined || entry.client.closed) {
      socket.destroy();
      return;
    }
    const alert = clientRefusalAlert(this.host.config.format('tls-auth-clients'), socket);
    if (alert === null) {
      this.host.handshakeDone(entry.client, socket);
      return;
    }
    // Redis's client is freed with the failed handshake; OpenSSL's reason is logged as a warning.
    entry.client.release();
    this.host.log.warn(`Error accepting a client connection: ${alert === ALERT.handshakeFailure || alert === ALERT.certificateRequired ? NO_CERTIFICATE : VERIFY_FAILED}`);
    this.refuse(socket, entry.raw, fatalAlertRecord(alert, socket.getProtocol(), socket.getCipher()?.standardName, secret));
  }

  /**
   * A handshake failed (garbage, a peer gone, a protocol refused): its client goes with the TCP
   * socket's close. Redis logs the failure as a warning, unless the server closed the
   * connection itself (CLIENT KILL, timeout), which Node reports as a failure too.
   */
  private handshakeFailed(err: Error, socket: tls.TLSSocket): void {
    // Node keeps the TCP socket under the TLS one as _parent.
    const raw = (socket as unknown as { _parent?: net.Socket })._parent;
    const entry = raw === undefined ? undefined : this.handshakesByRaw.get(raw);
    // Before its socket's close event, a closed client can only have been closed by the server.
    if (entry !== undefined && (entry.rawClosed ? entry.closedByServer : entry.client.closed)) return;
    this.host.log.warn(`Error accepting a client connection: ${openSslReason(err)}`);
  }

  /**
   * Sends the alert on the TCP socket under the TLS one (ahead of the handshake flight Node has
   * not sent yet, see tls-alert.ts), then closes the connection; without an alert, just closes.
   */
  private refuse(socket: tls.TLSSocket, raw: net.Socket | undefined, alert: Buffer | null): void {
    socket.on('error', () => socket.destroy());
    if (alert === null || raw === undefined || raw.destroyed) {
      socket.destroy();
      return;
    }
    raw.on('error', () => socket.destroy());
    raw.write(alert, () => socket.destroy());
  }

  /** Redis's applyTlsCfg: only while TLS listens; a context that cannot be built changes nothing. */
  private reload(): void {
    if (!this.listening) return;
    let options: tls.TlsOptions;
    try {
      options = tlsServerOptions(this.host.config);
    } catch (err) {
      logTlsError(this.host.log, err);
      throw new Error(ERR_TLS_UPDATE);
    }
    this.options = options;
    this.sessions.clear();
    for (const l of this.listeners) (l.server as tls.Server).setSecureContext(options);
  }
}
