import { describe, expect, it } from 'vitest';
import { LARGE_FREE_BYTES, fullCollection, uncollected } from '../../src/server/reclaim.js';
import { stringBytes } from '../../src/types/heap-size.js';
import { SetValue } from '../../src/types/set.js';
import type { Value } from '../../src/types/value.js';

function bigSet(n: number): SetValue {
  const set = new SetValue();
  for (let i = 0; i < n; i++) set.add(Buffer.from(`member:${String(i).padStart(9, '0')}`).toString('latin1'), 512);
  return set;
}

/** A big set reported as freed but still held by the returned object (built here, so no frame of the test keeps it). */
function freeBigSet(): { set: SetValue | null; bytes: number } {
  const set = bigSet(20_000);
  uncollected.valueFreed(set);
  return { set, bytes: set.bytes };
}

const nextJob = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** What is still counted once the finalizers of a collection that just ran have been called. */
async function pendingAfterFinalizers(): Promise<number> {
  for (let i = 0; i < 100 && uncollected.pendingBytes() !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return uncollected.pendingBytes();
}

describe('memory freed and not yet collected', () => {
  it('forces no collection when what it would free is itself beyond the pause budget', async () => {
    const gc = fullCollection() as () => void;
    uncollected.collect(gc);
    expect(await pendingAfterFinalizers()).toBe(0);
    // A heap small enough for a forced collection on its own...
    expect(process.memoryUsage().heapUsed).toBeLessThan(40 << 20);
    // ...but 200 MB freed (as by UNLINK of a 10M-element list, mostly outside the heap).
    (() => uncollected.valueFreed({ type: 'list', bytes: 200 << 20 } as unknown as Value))();
    expect(uncollected.pendingBytes()).toBe(200 << 20);
    expect(uncollected.collectIfCheap()).toBeNull();
    await nextJob();
    uncollected.collect(gc);
    expect(await pendingAfterFinalizers()).toBe(0);
  });

  it('counts a large freed value until V8 has collected it, and forces one collection at most', async () => {
    const gc = fullCollection();
    expect(gc).not.toBeNull();
    uncollected.collect(gc as () => void);
    expect(await pendingAfterFinalizers()).toBe(0);
    const holder = freeBigSet();
    const bytes = holder.bytes;
    expect(bytes).toBeGreaterThan(LARGE_FREE_BYTES);
    expect(uncollected.pendingBytes()).toBe(bytes);
    // Still referenced (as an open SSCAN cursor would): it survives a collection, stays
    // counted, and asks for no more collections.
    await nextJob();
    uncollected.collect(gc as () => void);
    expect(uncollected.pendingBytes()).toBe(bytes);
    expect(uncollected.collectIfCheap()).toBeNull();
    holder.set = null;
    await nextJob();
    uncollected.collect(gc as () => void);
    expect(await pendingAfterFinalizers()).toBe(0);
  });

  it('counts a large string until a collection has run', async () => {
    const gc = fullCollection() as () => void;
    const text = Buffer.alloc(LARGE_FREE_BYTES, 'a').toString('latin1');
    uncollected.valueFreed(text);
    uncollected.valueFreed('small');
    expect(uncollected.pendingBytes()).toBe(stringBytes(text.length));
    await nextJob();
    uncollected.collect(gc);
    expect(await pendingAfterFinalizers()).toBe(0);
  });
});
