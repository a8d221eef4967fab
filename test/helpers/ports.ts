import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { RawClient } from './raw-client.js';

/** A TCP port free on 127.0.0.1 right now (the OS picks it; another process may still take it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}

/**
 * Connects to a server starting on `port` until it answers PING (or, with a password set, asks
 * for one) and returns that connection; null when `timeoutMs` passes or `child` exits first.
 */
export async function waitForServer(port: number, timeoutMs: number, child?: ChildProcess): Promise<RawClient | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child !== undefined && child.exitCode !== null) return null;
    try {
      const c = await RawClient.connect(port);
      const pong = await c.callRaw('PING');
      if (pong === '+PONG\r\n' || pong.startsWith('-NOAUTH')) return c;
      c.close();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}
