/**
 * Bull (BullMQ's predecessor, still widely used) and bee-queue through their own APIs, on
 * nodis and on real Redis: jobs added, processed, retried, delayed, and their results read back.
 */
import BeeQueue from 'bee-queue';
import Bull from 'bull';
import { afterEach, describe, expect, it } from 'vitest';
import { libraryServers, type Target } from '../helpers/libraries.js';
import { oracleAvailable } from '../helpers/oracle.js';

const hasOracle = oracleAvailable();

let opened: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  for (const q of opened.reverse()) await q.close().catch(() => {});
  opened = [];
});
let counter = 0;

describe.skipIf(!hasOracle)('Bull and bee-queue against nodis and Redis', { timeout: 120_000 }, () => {
  const servers = libraryServers();

  it('Bull: processes jobs, retries a failing one with backoff, runs a delayed job, and reports the failed one', async () => {
    const { nodis, redis } = await servers.both(async (target: Target) => {
      const queue = new Bull(`bull-${++counter}`, { redis: { host: target.host, port: target.port } });
      opened.push(queue);
      queue.on('error', () => {});
      const order: string[] = [];
      void queue.process(async (job: Bull.Job<{ n: number; failUntil?: number }>) => {
        order.push(`${job.name === '__default__' ? 'job' : job.name}:${job.data.n}`);
        if (job.data.failUntil !== undefined && job.attemptsMade < job.data.failUntil) throw new Error(`attempt ${job.attemptsMade + 1} failed`);
        return job.data.n * 2;
      });
      const plain = await queue.add({ n: 1 });
      const flaky = await queue.add({ n: 2, failUntil: 2 }, { attempts: 3, backoff: { type: 'fixed', delay: 20 } });
      const doomed = await queue.add({ n: 3, failUntil: 9 }, { attempts: 2 });
      const delayed = await queue.add({ n: 4 }, { delay: 100 });
      const results = [await plain.finished(), await flaky.finished(), await doomed.finished().catch((e: Error) => e.message), await delayed.finished()];
      const counts = await queue.getJobCounts();
      const flakyJob = (await queue.getJob(flaky.id))!;
      return { results, counts, flakyAttempts: flakyJob.attemptsMade, doomedState: await (await queue.getJob(doomed.id))!.getState(), runs: order.length };
    });
    expect(nodis).toMatchObject({ results: [2, 4, 'attempt 2 failed', 8], flakyAttempts: 2, doomedState: 'failed', runs: 7 });
    expect(nodis).toEqual(redis);
  });

  it('bee-queue: saves jobs, a worker processes them with retries, the results come back through events', async () => {
    const { nodis, redis } = await servers.both(async (target: Target) => {
      const queue = new BeeQueue(`bee-${++counter}`, { redis: { host: target.host, port: target.port }, activateDelayedJobs: true, removeOnSuccess: false });
      opened.push(queue);
      queue.on('error', () => {});
      await queue.ready();
      let calls = 0;
      queue.process(async (job: BeeQueue.Job<{ n: number; fail?: boolean }>) => {
        calls++;
        if (job.data.fail === true && job.options.retries > 0) throw new Error('try again');
        return job.data.n + 100;
      });
      const finished = <T,>(job: BeeQueue.Job<T>) =>
        new Promise((resolve) => {
          job.on('succeeded', (result) => resolve(result));
          job.on('failed', (err: Error) => resolve(`failed: ${err.message}`));
        });
      // Each job's listeners go on before it is saved: a job can be done before the next save returns.
      const job = (data: { n: number; fail?: boolean }) => queue.createJob(data);
      const jobs = [job({ n: 1 }), job({ n: 2, fail: true }).retries(1), job({ n: 3 }).delayUntil(Date.now() + 100)];
      const outcomes = jobs.map((job) => finished(job));
      for (const job of jobs) await job.save();
      const results = await Promise.all(outcomes);
      const health = await queue.checkHealth();
      return { results, calls, succeeded: health.succeeded, waiting: health.waiting, delayed: health.delayed };
    });
    expect(nodis).toMatchObject({ results: [101, 102, 103], calls: 4, succeeded: 3, waiting: 0, delayed: 0 });
    expect(nodis).toEqual(redis);
  });
});
