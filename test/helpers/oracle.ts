import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForServer } from './ports.js';

/**
 * Real redis-server, the oracle for differential tests. In CI a missing redis-server is an
 * error; on a developer's machine without it the differential tests are skipped, saying why.
 */
export function oracleAvailable(): boolean {
  const found = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  const ok = found.status === 0;
  if (!ok && process.env.CI) throw new Error('redis-server is not installed: CI must install redis-server (Debian package) for the differential tests');
  if (!ok) console.warn('redis-server not found: skipping differential tests (apt-get install redis-server)');
  return ok;
}

export interface Oracle {
  port: number;
  /** Its working directory (--dir): where an AOF or RDB it writes goes. */
  dir: string;
  stop(): Promise<void>;
}

/** Starts a real redis-server on an ephemeral port, no persistence, extra args as `--name value`. */
export async function startOracle(extraArgs: string[] = []): Promise<Oracle> {
  const dir = mkdtempSync(join(tmpdir(), 'nodis-oracle-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs],
      { stdio: 'ignore' },
    );
    const ready = await waitForServer(port, 5000, child);
    if (ready !== null) {
      ready.close();
      return {
        port,
        dir,
        async stop() {
          child.kill('SIGKILL');
          await new Promise((r) => child.once('exit', r));
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGKILL');
    if (attempt >= 3) throw new Error('could not start redis-server');
  }
}
