import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForServer } from './ports.js';

const BIN = fileURLToPath(new URL('../../bin/nodis-server', import.meta.url));

export interface NodisProcess {
  port: number;
  /** Kills the process (SIGKILL: it may be stuck in a loop) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Runs bin/nodis-server as a child process, saving off. For tests of commands that could block
 * the event loop: an in-process server stuck in a loop would also stop the test's own timers,
 * so the test would hang instead of failing on its timeout. Also for tests of memory figures,
 * which an in-process server shares with the test. `nodeArgs` go to node itself (the flags
 * bin/nodis-server's #! line gives it, --max-semi-space-size=2, are not given by default).
 */
export async function startNodisProcess(extraArgs: string[] = [], nodeArgs: string[] = []): Promise<NodisProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'nodis-process-'));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, [...nodeArgs, BIN, '--port', String(port), '--save', '', '--dir', dir, ...extraArgs], {
      stdio: 'ignore',
    });
    const ready = await waitForServer(port, 10_000, child);
    if (ready !== null) {
      ready.close();
      return {
        port,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGKILL');
            await exited;
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    child.kill('SIGKILL');
    if (attempt >= 3) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error('could not start bin/nodis-server');
    }
  }
}
