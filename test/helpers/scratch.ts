/**
 * Temporary directories and servers for the tests of one file that exchange files with real
 * Redis (test/differential/aof-redis.test.ts, functions-persistence.test.ts): what a test
 * starts is stopped, and its directories removed, after it (afterEach of the file or describe
 * block that calls scratchServers).
 */
import { rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import { tempDir } from './aof.js';
import { startOracle, type Oracle } from './oracle.js';
import { RawClient } from './raw-client.js';
import { startTestServer, type TestServer } from './server.js';

export interface ScratchServers {
  /**
   * What to stop after the test, in order. A test that stops its servers itself empties it
   * (`cleanups.splice(0)`), or runs it early.
   */
  readonly cleanups: Array<() => Promise<void>>;
  /** A new empty directory, removed after the test. */
  newDir(): string;
  /** nodis on `dir`, with `config` on top. */
  nodisOn(dir: string, config?: Record<string, string>): Promise<TestServer>;
  /** redis-server on `dir`, with `args` after `--dir`, and a client of it. */
  redisOn(dir: string, args?: string[]): Promise<{ oracle: Oracle; client: RawClient }>;
}

export function scratchServers(dirPrefix: string): ScratchServers {
  const dirs: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    cleanups,
    newDir(): string {
      const d = tempDir(dirPrefix);
      dirs.push(d);
      return d;
    },
    async nodisOn(dir: string, config: Record<string, string> = {}): Promise<TestServer> {
      const s = await startTestServer({ dir, ...config });
      cleanups.push(() => s.stop());
      return s;
    },
    async redisOn(dir: string, args: string[] = []): Promise<{ oracle: Oracle; client: RawClient }> {
      const oracle = await startOracle(['--dir', dir, ...args]);
      const client = await RawClient.connect(oracle.port);
      cleanups.push(async () => {
        client.close();
        await oracle.stop();
      });
      return { oracle, client };
    },
  };
}
