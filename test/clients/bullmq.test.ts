/**
 * BullMQ through its own API (Queue, Worker, QueueEvents, FlowProducer), on nodis and on real
 * Redis: each scenario's outcome must be the same on both. Intervals and delays are shortened
 * through BullMQ's options so that the whole file takes seconds.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FlowProducer, Queue, QueueEvents, Worker, type Job, type Processor, type WorkerOptions } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { libraryServers, until, type Target } from '../helpers/libraries.js';
import { oracleAvailable } from '../helpers/oracle.js';

const hasOracle = oracleAvailable();
const WORKER_SCRIPT = fileURLToPath(new URL('./fixtures/bullmq-worker.mjs', import.meta.url));

/** What a scenario opened, closed after each test (workers first: they hold blocking connections). */
let opened: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const thing of opened.reverse()) await thing.close().catch(() => {});
  opened = [];
});

let queueCounter = 0;
function connection(target: Target) {
  return { host: target.host, port: target.port, maxRetriesPerRequest: null };
}

/** A queue of a fresh name, its QueueEvents (ready) and a way to start workers on it. */
async function setup(target: Target, label: string) {
  const name = `${label}-${++queueCounter}`;
  const queue = new Queue(name, { connection: connection(target) });
  const events = new QueueEvents(name, { connection: connection(target) });
  opened.push(queue, events);
  await events.waitUntilReady();
  await queue.waitUntilReady();
  const worker = (processor: Processor, options: Partial<WorkerOptions> = {}) => {
    const w = new Worker(name, processor, { connection: connection(target), ...options });
    w.on('error', () => {});
    opened.unshift(w);
    return w;
  };
  return { name, queue, events, worker };
}

describe.skipIf(!hasOracle)('BullMQ against nodis and Redis', { timeout: 120_000 }, () => {
  const servers = libraryServers();

  it('adds jobs, a worker processes them, QueueEvents reports completion with the return values', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const { queue, events, worker } = await setup(target, 'basic');
      const completed: string[] = [];
      events.on('completed', ({ jobId, returnvalue }) => completed.push(`${jobId}=${JSON.stringify(returnvalue)}`));
      const jobs = await queue.addBulk([1, 2, 3].map((n) => ({ name: 'square', data: { n } })));
      worker(async (job: Job<{ n: number }>) => ({ square: job.data.n * job.data.n }));
      const results = await Promise.all(jobs.map((j) => j.waitUntilFinished(events)));
      await until(() => completed.length === 3, 'three completed events');
      const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active');
      const first = await queue.getJob(jobs[0]!.id!);
      return { results, completed: completed.sort(), counts, first: { state: await first!.getState(), returnvalue: first!.returnvalue, progress: first!.progress } };
    });
    expect(nodis.results).toEqual([{ square: 1 }, { square: 4 }, { square: 9 }]);
    expect(nodis).toEqual(redis);
  });

  it('retries a failing job with backoff until it succeeds, and fails one for good after its attempts', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const { queue, events, worker } = await setup(target, 'retries');
      const failedEvents: string[] = [];
      events.on('failed', ({ jobId, failedReason }) => failedEvents.push(`${jobId}:${failedReason}`));
      const flaky = await queue.add('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delay: 20 } });
      const doomed = await queue.add('doomed', {}, { attempts: 2, backoff: { type: 'exponential', delay: 10 } });
      worker(async (job) => {
        if (job.name === 'flaky' && job.attemptsMade < 2) throw new Error(`flaky attempt ${job.attemptsMade + 1}`);
        if (job.name === 'doomed') throw new Error('always fails');
        return 'ok';
      });
      const flakyResult = await flaky.waitUntilFinished(events);
      const doomedError = await doomed.waitUntilFinished(events).then(
        () => 'completed',
        (e: Error) => e.message,
      );
      await until(() => failedEvents.length === 1, 'the failed event');
      const f = (await queue.getJob(flaky.id!))!;
      const d = (await queue.getJob(doomed.id!))!;
      return {
        flakyResult,
        doomedError,
        failedEvents,
        flaky: { state: await f.getState(), attemptsMade: f.attemptsMade, stacktraceLines: f.stacktrace?.length },
        doomed: { state: await d.getState(), attemptsMade: d.attemptsMade, failedReason: d.failedReason },
        failedIds: (await queue.getFailed()).map((j) => j.id),
      };
    });
    expect(nodis.flaky).toEqual({ state: 'completed', attemptsMade: 3, stacktraceLines: 2 });
    expect(nodis.doomed).toEqual({ state: 'failed', attemptsMade: 2, failedReason: 'always fails' });
    expect(nodis).toEqual(redis);
  });

  it('holds a delayed job until its time, then processes it', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const { queue, events, worker } = await setup(target, 'delayed');
      const job = await queue.add('later', { v: 1 }, { delay: 150 });
      const before = await job.getState();
      const delayedCount = await queue.getDelayedCount();
      worker(async () => 'done');
      const result = await job.waitUntilFinished(events);
      return { before, delayedCount, result, after: await job.getState() };
    });
    expect(nodis).toEqual({ before: 'delayed', delayedCount: 1, result: 'done', after: 'completed' });
    expect(nodis).toEqual(redis);
  });

  it('processes waiting jobs by priority (lower number first), plain jobs before prioritized ones', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const { queue, events, worker } = await setup(target, 'priority');
      const jobs = [
        await queue.add('p5', {}, { priority: 5 }),
        await queue.add('p1', {}, { priority: 1 }),
        await queue.add('plain', {}),
        await queue.add('p3', {}, { priority: 3 }),
        await queue.add('p1b', {}, { priority: 1 }),
      ];
      const prioritized = await queue.getPrioritizedCount();
      const order: string[] = [];
      worker(async (job) => void order.push(job.name), { concurrency: 1 });
      await Promise.all(jobs.map((j) => j.waitUntilFinished(events)));
      return { prioritized, order };
    });
    expect(nodis.order).toEqual(['plain', 'p1', 'p1b', 'p3', 'p5']);
    expect(nodis).toEqual(redis);
  });

  it('runs a repeatable job (job scheduler) the number of times it is limited to', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const { queue, worker } = await setup(target, 'repeat');
      await queue.upsertJobScheduler('tick', { every: 50, limit: 3 }, { name: 'tick', data: { t: true } });
      const schedulers = (await queue.getJobSchedulers()).map((s) => ({ key: s.key, every: s.every }));
      const runs: string[] = [];
      worker(async (job) => void runs.push(job.name));
      await until(() => runs.length >= 3, 'three runs of the repeatable job');
      await queue.removeJobScheduler('tick');
      return { schedulers, runs: runs.slice(0, 3), left: (await queue.getJobSchedulers()).length };
    });
    expect(nodis).toEqual({ schedulers: [{ key: 'tick', every: 50 }], runs: ['tick', 'tick', 'tick'], left: 0 });
    expect(nodis).toEqual(redis);
  });

  it('a rate-limited worker still processes every job; the queue sets, reports and removes a limit', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const { queue, events, worker } = await setup(target, 'limited');
      const jobs = await queue.addBulk([1, 2, 3, 4, 5].map((n) => ({ name: 'limited', data: { n } })));
      worker(async (job: Job<{ n: number }>) => job.data.n, { limiter: { max: 2, duration: 100 } });
      const results = await Promise.all(jobs.map((j) => j.waitUntilFinished(events)));
      // Past the limit, the queue's limiter key holds a TTL until its window ends.
      await queue.rateLimit(60_000);
      const limitedFor = await queue.getRateLimitTtl();
      await queue.removeRateLimitKey();
      return { results: results.sort(), completed: await queue.getCompletedCount(), limited: limitedFor > 0, afterReset: await queue.getRateLimitTtl() };
    });
    expect(nodis).toMatchObject({ results: [1, 2, 3, 4, 5], completed: 5, limited: true });
    expect(nodis).toEqual(redis);
  });

  it('recovers a job whose worker process was killed: it stalls, goes back to wait and another worker completes it', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const { name, queue, events, worker } = await setup(target, 'stalled');
      const stalled: string[] = [];
      events.on('stalled', ({ jobId }) => stalled.push(jobId));
      const job = await queue.add('long', { v: 1 });
      const child = spawn(process.execPath, [WORKER_SCRIPT, String(target.port), name], { stdio: ['ignore', 'pipe', 'inherit'] });
      opened.push({ close: async () => void child.kill('SIGKILL') }); // should the test fail before it kills it
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => out.includes(`started ${job.id}`), 'the child worker to take the job');
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const stateAfterKill = await job.getState();
      worker(async () => 'recovered', { lockDuration: 1000, stalledInterval: 250 });
      const result = await job.waitUntilFinished(events);
      await until(() => stalled.length > 0, 'the stalled event');
      const done = (await queue.getJob(job.id!))!;
      return { stateAfterKill, result, stalled, state: await done.getState(), stalledCounter: done.stalledCounter };
    });
    expect(nodis).toMatchObject({ stateAfterKill: 'active', result: 'recovered', stalled: ['1'], state: 'completed' });
    expect(nodis).toEqual(redis);
  });

  it('runs a flow: the children first, then the parent, which reads their results', async () => {
    const { nodis, redis } = await servers.both(async (target) => {
      const { name, events, worker } = await setup(target, 'flow');
      const flows = new FlowProducer({ connection: connection(target) });
      opened.push(flows);
      const order: string[] = [];
      worker(async (job) => {
        order.push(job.name);
        if (job.name === 'parent') {
          const values = await job.getChildrenValues<number>();
          return Object.values(values).sort((a, b) => a - b);
        }
        return (job.data as { n: number }).n * 10;
      });
      const tree = await flows.add({
        name: 'parent',
        queueName: name,
        children: [
          { name: 'child', queueName: name, data: { n: 1 } },
          { name: 'child', queueName: name, data: { n: 2 } },
        ],
      });
      const parentState = await tree.job.getState();
      const result = await tree.job.waitUntilFinished(events);
      return { parentState, result, order, dependencies: await tree.job.getDependenciesCount() };
    });
    expect(nodis).toMatchObject({ parentState: 'waiting-children', result: [10, 20], order: ['child', 'child', 'parent'] });
    expect(nodis).toEqual(redis);
  });
});
