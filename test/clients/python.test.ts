/**
 * Python clients, each in a Python process the test spawns (test/clients/fixtures/python):
 * redis-py (pipelines, transactions, scripts, locks, streams, pub/sub), RQ (enqueue, a worker
 * process, the failed and finished job registries) and Celery (a task round trip through the
 * Redis broker and result backend with a worker process), on nodis and on real Redis.
 * Debian's python3-redis, python3-rq and python3-celery provide them (CI installs them).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { debianInterpreter, libraryServers, runScenarioScript, runtimeAvailable, type Target } from '../helpers/libraries.js';
import { oracleAvailable } from '../helpers/oracle.js';

const hasOracle = oracleAvailable();
const PYTHON = debianInterpreter('python3');
const hasPython =
  hasOracle &&
  runtimeAvailable('python3 with redis, rq and celery', [PYTHON, '-c', 'import redis, rq, celery'], 'apt-get install python3-redis python3-rq python3-celery');
const SCENARIOS = fileURLToPath(new URL('./fixtures/python/scenarios.py', import.meta.url));

function runScenario(name: string, target: Target): Promise<unknown> {
  return runScenarioScript(PYTHON, [SCENARIOS, name, String(target.port)], `${name} on ${target.kind}`);
}

describe.skipIf(!hasPython)('Python clients against nodis and Redis', { timeout: 120_000 }, () => {
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
