import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/**
 * Starts nodis in-process on an ephemeral port, with saving off unless asked, in a directory
 * of its own (removed by stop()) unless `dir` is given: a SAVE or DEBUG RELOAD never leaves a
 * dump.rdb where another test's server would load it.
 */
export async function startTestServer(options: Record<string, string | number | boolean> = {}): Promise<TestServer> {
  const ownDir = options.dir === undefined ? mkdtempSync(join(tmpdir(), 'nodis-test-')) : null;
  // DEBUG (SLEEP, SET-ACTIVE-EXPIRE…) is refused by default as in Redis; tests may use it.
  const running = await startServer({ port: 0, save: '', 'enable-debug-command': 'yes', ...(ownDir === null ? {} : { dir: ownDir }), ...options });
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
      if (ownDir !== null) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}
