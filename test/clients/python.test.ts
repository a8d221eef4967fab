/**
 * Python clients, each in a Python process the test spawns (test/clients/fixtures/python):
 * redis-py (pipelines, transactions, scripts, locks, streams, pub/sub), RQ (enqueue, a worker
 * process, the failed and finished job registries) and Celery (a task round trip through the
 * Redis broker and result backend with a worker process), on nodis and on real Redis.
 * Debian's python3-redis, python3-rq and python3-celery provide them (CI installs them).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { libraryServers, runtimeAvailable, type Target } from '../helpers/libraries.js';
import { oracleAvailable } from '../helpers/oracle.js';

const hasOracle = oracleAvailable();
// Debian's packages install for Debian's interpreter, which a pyenv or venv python3 on PATH may hide.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasPython =
  hasOracle &&
  runtimeAvailable('python3 with redis, rq and celery', [PYTHON, '-c', 'import redis, rq, celery'], 'apt-get install python3-redis python3-rq python3-celery');
const SCENARIOS = fileURLToPath(new URL('./fixtures/python/scenarios.py', import.meta.url));

function runScenario(name: string, target: Target): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCENARIOS, name, String(target.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${name} on ${target.kind} exited ${code}:\n${err}`));
      else resolve(JSON.parse(out) as unknown);
    });
  });
}

describe.skipIf(!hasPython)('Python clients against nodis and Redis', () => {
  const servers = libraryServers();

  it('redis-py: pipelines, WATCH transactions, scripts, locks, consumer groups and pub/sub', async () => {
    const { nodis, redis } = await servers.both((target) => runScenario('redis-py', target));
    expect(nodis).toMatchObject({ n: '10', script: [20, 50], lock: [true, false, true, true, true], xack: 1 });
    expect(nodis).toEqual(redis);
  });

  it('RQ: a worker process runs the queued jobs; the failing one lands in the failed job registry', async () => {
    const { nodis, redis } = await servers.both((target) => runScenario('rq', target));
    expect(nodis).toEqual({ worker_exit: 0, ok: ['finished', 5], bad: ['failed', true], failed_registry: [true], finished_registry: [true], queued_left: 0 });
    expect(nodis).toEqual(redis);
  });

  it('Celery: a task goes through the Redis broker to a worker process and its result comes back through the backend', async () => {
    const { nodis, redis } = await servers.both((target) => runScenario('celery', target));
    expect(nodis).toEqual({ result: 42, state: 'SUCCESS', chained: 10 });
    expect(nodis).toEqual(redis);
  });
});
