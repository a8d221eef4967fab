/**
 * Client-library tests: the same scenario, driven through a library's own API, runs against a
 * nodis started by the test and against real redis-server (the reference); the outcomes must
 * be equal. Real Redis is required as for the differential tests (oracleAvailable).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { startOracle, type Oracle } from './oracle.js';
import { startTestServer, type TestServer } from './server.js';

export type Target = { kind: 'nodis' | 'redis'; host: string; port: number };

export interface ServerPair {
  nodis(): Target;
  redis(): Target;
  /** Runs `scenario` against nodis, then against Redis (one after the other, not to share the CPU), and returns both outcomes. */
  both<T>(scenario: (target: Target) => Promise<T>): Promise<{ nodis: T; redis: T }>;
}

/** Starts nodis in-process and a real redis-server for the tests of one file (beforeAll/afterAll). */
export function libraryServers(nodisOptions: Record<string, string | number | boolean> = {}): ServerPair {
  let nodis: TestServer | undefined;
  let redis: Oracle | undefined;
  beforeAll(async () => {
    [nodis, redis] = await Promise.all([startTestServer(nodisOptions), startOracle()]);
  });
  afterAll(async () => {
    await Promise.all([nodis?.stop(), redis?.stop()]);
  });
  const nodisTarget = (): Target => ({ kind: 'nodis', host: '127.0.0.1', port: nodis!.port });
  const redisTarget = (): Target => ({ kind: 'redis', host: '127.0.0.1', port: redis!.port });
  return {
    nodis: nodisTarget,
    redis: redisTarget,
    async both(scenario) {
      const onNodis = await scenario(nodisTarget());
      const onRedis = await scenario(redisTarget());
      return { nodis: onNodis, redis: onRedis };
    },
  };
}

/**
 * Whether an external runtime (python3 with a module, ruby with a gem, php with an extension)
 * can run a library test: `probe` is a command that exits 0 when it can. In CI (which installs
 * them) a missing one is an error; elsewhere the test is skipped, saying what to install.
 */
export function runtimeAvailable(what: string, probe: [string, ...string[]], install: string): boolean {
  const [command, ...args] = probe;
  const result = spawnSync(command, args, { encoding: 'utf8' });
  const ok = result.status === 0;
  if (!ok && process.env.CI) throw new Error(`${what} is not available: CI must install it (${install})`);
  if (!ok) console.warn(`${what} not available: skipping the tests that need it (${install})`);
  return ok;
}

/** Polls `condition` (bounded); for outcomes a library reaches in its own time. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs a scenario script of another language and parses the JSON it prints as its outcome. */
export function runScenarioScript(command: string, args: string[], what: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${what} exited with ${code}:\n${err}`));
      else resolve(JSON.parse(out) as unknown);
    });
  });
}

/** Debian's interpreter when present: Debian's client packages are installed for it, and a pyenv/rbenv one on PATH may hide it. */
export function debianInterpreter(name: string): string {
  return existsSync(`/usr/bin/${name}`) ? `/usr/bin/${name}` : name;
}
