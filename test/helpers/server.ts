import { Redis } from 'ioredis';
import { startServer, type RunningServer } from '../../src/index.js';
import { RawClient } from './raw-client.js';

export interface TestServer {
  port: number;
  running: RunningServer;
  /** An ioredis client; closed by stop(). */
  client(options?: Record<string, unknown>): Redis;
  raw(): Promise<RawClient>;
  stop(): Promise<void>;
}

/** Starts nodis in-process on an ephemeral port, with saving off unless asked. */
export async function startTestServer(options: Record<string, string | number | boolean> = {}): Promise<TestServer> {
  // DEBUG (SLEEP, SET-ACTIVE-EXPIRE…) is refused by default as in Redis; tests may use it.
  const running = await startServer({ port: 0, save: '', 'enable-debug-command': 'yes', ...options });
  const clients: Redis[] = [];
  const raws: RawClient[] = [];
  return {
    port: running.port,
    running,
    client(extra = {}) {
      const c = new Redis({ port: running.port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 0, ...extra });
      clients.push(c);
      return c;
    },
    async raw() {
      const r = await RawClient.connect(running.port);
      raws.push(r);
      return r;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      for (const r of raws) r.close();
      await running.close();
    },
  };
}
