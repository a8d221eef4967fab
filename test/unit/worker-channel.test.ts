import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Channel, TURN_ANSWER, TURN_IDLE, TURN_REQUEST } from '../../src/scripting/worker-channel.js';

describe('Channel.waitWhile spinning', () => {
  it('spins only where the other thread has a core of its own', () => {
    const channel = Channel.allocate();
    expect(channel.spinBudget).toBe(availableParallelism() > 1 ? 4000 : 0);
  });

  it('spins less after spinning in vain, down to a small probe', () => {
    const channel = Channel.allocate();
    channel.handOver(TURN_IDLE, 0, 0);
    const budgets: number[] = [];
    for (let i = 0; i < 12; i++) {
      // Nobody changes the turn: each wait spins in vain, then sleeps until its deadline.
      expect(channel.waitWhile(TURN_IDLE, performance.now() + 1)).toBe(TURN_IDLE);
      budgets.push(channel.spinBudget);
    }
    for (let i = 1; i < budgets.length; i++) expect(budgets[i]).toBeLessThanOrEqual(budgets[i - 1] as number);
    expect(budgets[budgets.length - 1]).toBeLessThanOrEqual(64);
  });

  it('still sees every hand-over from another thread', async () => {
    const channel = Channel.allocate();
    channel.handOver(TURN_REQUEST, 0, 0);
    // The other side answers each request at once; this side waits for each answer.
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const control = new Int32Array(workerData, 0, 16);
       for (let i = 0; i < 200; i++) {
         while (Atomics.load(control, 0) !== ${TURN_REQUEST}) Atomics.wait(control, 0, Atomics.load(control, 0), 1000);
         control[2] = i;
         Atomics.store(control, 0, ${TURN_ANSWER});
         Atomics.notify(control, 0);
       }`,
      { eval: true, workerData: channel.shared },
    );
    for (let i = 0; i < 200; i++) {
      expect(channel.waitWhile(TURN_REQUEST, performance.now() + 5000)).toBe(TURN_ANSWER);
      expect(channel.length).toBe(i);
      channel.handOver(TURN_REQUEST, 0, 0);
    }
    await worker.terminate();
  });
});
