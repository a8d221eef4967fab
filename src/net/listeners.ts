import { chmodSync, existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../log.js';
import { strerror } from '../config/values.js';

/** A listening socket and the address it was asked for. */
export interface Listener {
  readonly server: net.Server;
  readonly host: string;
  readonly port: number;
}

export interface OpenedListeners {
  listeners: Listener[];
  port: number;
}

/** What opening listeners needs of the server: a socket listening at an address, and the log. */
export interface ListenerHost {
  listen(host: string, port: number): Promise<Listener>;
  readonly log: Logger;
}

/** Closes a listening socket and waits until its address is free again. */
export function closeListener(listener: Listener): Promise<void> {
  return new Promise((resolve) => {
    listener.server.close(() => resolve());
    // close()'s callback waits for the connections it accepted; the address is free sooner.
    setImmediate(resolve);
  });
}

/**
 * Listens on every address of `bind` ("*" and "-addr" as in Redis) at `port`; all or
 * nothing. A listener of `current` already on an address and port is kept rather than
 * opened again (a second socket on it could not bind). Without SO_REUSEPORT (Node 20), a
 * specific address cannot be bound while a current wildcard listener holds the port, or the
 * reverse: such a clashing current listener is closed first and, if the new addresses still
 * fail, opened again.
 */
export async function openListeners(port: number, bind: string, current: Listener[], host: ListenerHost): Promise<OpenedListeners> {
  const binds = bind.split(/\s+/).filter((b) => b !== '');
  const addresses = binds.length === 0 ? ['0.0.0.0', '::'] : binds;
  const opened: Listener[] = [];
  const retired: Listener[] = [];
  let chosenPort = port;
  try {
    for (const raw of addresses) {
      // A leading '-' means "skip this address if it is not available", as in Redis.
      const optional = raw.startsWith('-');
      const name = optional ? raw.slice(1) : raw;
      const address = name === '*' ? '0.0.0.0' : name;
      const kept = chosenPort === 0 ? undefined : current.find((l) => l.host === address && l.port === chosenPort && !retired.includes(l));
      if (kept !== undefined) {
        opened.push(kept);
        continue;
      }
      try {
        let listener: Listener;
        try {
          listener = await host.listen(address, chosenPort);
        } catch (err) {
          const clashing = current.filter((l) => l.port === chosenPort && chosenPort !== 0 && !opened.includes(l) && !retired.includes(l));
          if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || clashing.length === 0) throw err;
          await Promise.all(clashing.map((l) => closeListener(l)));
          retired.push(...clashing);
          listener = await host.listen(address, chosenPort);
        }
        opened.push(listener);
        chosenPort = listener.port;
      } catch (err) {
        host.log.warn(`Warning: Could not create server TCP listening socket ${name}:${chosenPort}: bind: ${strerror(err)}`);
        if (!optional && !(binds.length === 0 && address === '::')) throw err;
      }
    }
  } catch (err) {
    for (const l of opened) if (!current.includes(l)) l.server.close();
    await reopen(retired, current, host);
    throw err;
  }
  // A retired listener whose address is not in the new set stays closed, as it would have been anyway.
  return { listeners: opened, port: chosenPort };
}

/** Listens again on the addresses of listeners closed by a failed change (best effort, as Redis restores); `current` is updated. */
async function reopen(retired: readonly Listener[], current: Listener[], host: ListenerHost): Promise<void> {
  for (const old of retired) {
    const at = current.indexOf(old);
    try {
      const again = await host.listen(old.host, old.port);
      if (at !== -1) current[at] = again;
      else again.server.close();
    } catch (err) {
      host.log.warn(`Could not listen again on ${old.host}:${old.port}: ${(err as Error).message}`);
      if (at !== -1) current.splice(at, 1);
    }
  }
}

export function listenOn(host: string, port: number, onSocket: (socket: net.Socket) => void): Promise<Listener> {
  return new Promise((resolve, reject) => {
    // Paused: the client switches the socket to reading into the shared buffer first (client.ts).
    const server = net.createServer({ pauseOnConnect: true }, onSocket);
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: host.includes(':') }, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve({ server, host, port: typeof addr === 'object' && addr !== null ? addr.port : port });
    });
  });
}

/** The Unix socket could not be listened on at start-up; the message is Redis's log line. */
export class UnixSocketListenError extends Error {}

/**
 * Listens at the Unix socket `path` (unixsocket), as Redis: a file left there by an earlier run
 * is removed first, and the socket gets the mode `perm` when it is not 0 (unixsocketperm).
 */
export function listenOnUnixSocket(path: string, perm: number, onSocket: (socket: net.Socket) => void): Promise<net.Server> {
  rmSync(path, { force: true });
  // libuv reports a missing directory as EACCES; bind(2), and so Redis, says ENOENT.
  if (!existsSync(dirname(path))) return Promise.reject(Object.assign(new Error(`bind ENOENT ${path}`), { code: 'ENOENT', syscall: 'bind' }));
  return new Promise((resolve, reject) => {
    // Paused: the client switches the socket to reading into the shared buffer first (client.ts).
    const server = net.createServer({ pauseOnConnect: true }, onSocket);
    server.once('error', reject);
    server.listen({ path }, () => {
      server.off('error', reject);
      try {
        if (perm !== 0) chmodSync(path, perm);
      } catch (err) {
        server.close();
        reject(err as Error);
        return;
      }
      resolve(server);
    });
  });
}

/** What a TLS listener asks of its owner, besides the options of its context. */
export interface TlsListenerHooks {
  /** A TCP connection arrived: false refuses it before its handshake starts (it is dropped). */
  admitConnection(raw: net.Socket): boolean;
  /** A connection finished its handshake. */
  onSocket(socket: tls.TLSSocket): void;
  /** A peer failed the handshake (a plain-text client, a peer gone, or a connection the server closed); Node drops it. */
  onHandshakeError(err: Error, socket: tls.TLSSocket): void;
}

/**
 * A TLS listener: a connection reaches `onSocket` once its handshake is done. Node's own
 * handler of new TCP connections (which starts the handshake) runs only for a connection
 * `admitConnection` lets in.
 */
export function listenOnTls(host: string, port: number, options: tls.TlsOptions, hooks: TlsListenerHooks): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const server = tls.createServer(options, (socket) => hooks.onSocket(socket));
    const startHandshake = server.listeners('connection') as ((raw: net.Socket) => void)[];
    server.removeAllListeners('connection');
    server.on('connection', (raw: net.Socket) => {
      if (!hooks.admitConnection(raw)) {
        raw.destroy();
        return;
      }
      for (const start of startHandshake) start.call(server, raw);
    });
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => hooks.onHandshakeError(err, socket));
    server.once('error', reject);
    server.listen({ host, port, ipv6Only: host.includes(':') }, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve({ server, host, port: typeof addr === 'object' && addr !== null ? addr.port : port });
    });
  });
}
