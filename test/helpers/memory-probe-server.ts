/**
 * A nodis server in a Node process of its own, started by test/helpers/memory-probe.ts with
 * --expose-gc: it tells its port over IPC and answers "measure" with the memory the process
 * really holds after full collections (the V8 heap in use plus what lives outside it: Buffers,
 * external strings, WebAssembly memories), which the memory accounting tests compare with
 * INFO used_memory. Not a test file: run by the tests.
 */
import { startServer } from '../../src/index.js';

export interface ProbeMeasurement {
  heapUsed: number;
  /** Memory V8 knows is held outside its heap (ArrayBuffers included). */
  external: number;
  /** The ArrayBuffer part of `external` (Buffers, WebAssembly memories). */
  arrayBuffers: number;
  rss: number;
}

export type ProbeMessage = { type: 'ready'; port: number } | { type: 'measurement'; id: number; measurement: ProbeMeasurement };

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('memory-probe-server needs --expose-gc');
const collect: () => void = gc;

const running = await startServer({ port: 0, save: '', appendonly: 'no', 'enable-debug-command': 'yes' });

/** Memory once garbage is gone: collections until the heap stops shrinking, finalizers run between. */
async function measure(): Promise<ProbeMeasurement> {
  let last = Infinity;
  for (let i = 0; i < 6; i++) {
    collect();
    // Weak callbacks and finalizers (which give back Buffers' memory) run after the collection.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const now = process.memoryUsage();
    const held = now.heapUsed + now.external;
    if (i >= 2 && held >= last * 0.999) break;
    last = held;
  }
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss };
}

process.on('message', (message: { type: string; id: number }) => {
  if (message.type === 'measure') {
    void measure().then((measurement) => process.send?.({ type: 'measurement', id: message.id, measurement } satisfies ProbeMessage));
  } else if (message.type === 'stop') {
    void running.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', port: running.port } satisfies ProbeMessage);
