import { describe, expect, it } from 'vitest';
import { CLIENT_MEMORY_BUCKETS, ClientsMemory, clientEvictionLimit, memoryBucketOf, type MeasuredClient } from '../../src/net/clients-memory.js';
import { MemoryMeter } from '../../src/server/memory.js';
import { silentLogger } from '../../src/log.js';

class FakeClient implements MeasuredClient {
  memoryUsage = 0;
  memoryBucket = -1;
  noEvict = false;
  killed = false;
  constructor(
    readonly name: string,
    private readonly tracker: ClientsMemory<FakeClient>,
  ) {}
  describe(): string {
    return `name=${this.name}`;
  }
  kill(): void {
    this.killed = true;
    this.tracker.removed(this);
  }
}

function setUp(maxmemoryClients: number, maxmemory = 0) {
  const meter = new MemoryMeter({ databases: [], clients: { size: 0 }, memoryNotCountedForEviction: () => 0 });
  const stats = { evictedClients: 0 };
  const tracker = new ClientsMemory<FakeClient>(meter, silentLogger(), stats);
  const clients: FakeClient[] = [];
  tracker.configure(maxmemoryClients, maxmemory, clients, () => {});
  const add = (name: string, bytes: number): FakeClient => {
    const c = new FakeClient(name, tracker);
    clients.push(c);
    tracker.update(c, bytes);
    return c;
  };
  return { meter, stats, tracker, clients, add };
}

describe("the clients' memory and maxmemory-clients", () => {
  it("buckets clients by memory as Redis does: under 32 KB, then one per power of two, up to 4 GB and more", () => {
    expect(CLIENT_MEMORY_BUCKETS).toBe(19);
    expect([0, 1, 32767, 32768, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 40].map(memoryBucketOf)).toEqual([0, 0, 0, 1, 1, 2, 17, 18, 18]);
  });

  it('reads maxmemory-clients as bytes, or a percentage (stored negative) of maxmemory; never under 128 KB', () => {
    expect(clientEvictionLimit(0, 1 << 30)).toBe(0);
    expect(clientEvictionLimit(-10, 0)).toBe(0);
    expect(clientEvictionLimit(-10, 1000 * 1024 * 1024)).toBe(100 * 1024 * 1024);
    expect(clientEvictionLimit(5_000_000, 0)).toBe(5_000_000);
    expect(clientEvictionLimit(1000, 0)).toBe(128 * 1024);
    expect(clientEvictionLimit(-1, 1024 * 1024)).toBe(128 * 1024);
  });

  it('keeps the total from the changes of each client, whether eviction is on or not, in used too', () => {
    const { meter, tracker, add } = setUp(0);
    const base = meter.used;
    const a = add('a', 40_000);
    const b = add('b', 20_000);
    expect(meter.clients).toBe(60_000);
    expect(meter.used).toBe(base + 60_000);
    tracker.update(a, 10_000);
    expect(meter.clients).toBe(30_000);
    tracker.removed(b);
    expect(meter.clients).toBe(10_000);
    expect(meter.used).toBe(base + 10_000);
    // No buckets while maxmemory-clients is 0.
    expect(a.memoryBucket).toBe(-1);
    expect(tracker.tracking).toBe(false);
  });

  it('evicts from the largest bucket down, in the order clients entered it, until under the limit; NO-EVICT clients stay', () => {
    const { meter, stats, tracker, add } = setUp(1024 * 1024);
    const small = add('small', 20_000);
    const exempt = add('exempt', 600_000);
    tracker.exempt(exempt);
    exempt.noEvict = true;
    const first = add('first', 300_000);
    const second = add('second', 300_000);
    const medium = add('medium', 100_000);
    expect(meter.clients).toBe(1_320_000);
    tracker.evict();
    // first and second share the largest bucket; first entered it first and its going is enough.
    expect([small, exempt, first, second, medium].map((c) => c.killed)).toEqual([false, false, true, false, false]);
    expect(stats.evictedClients).toBe(1);
    // Over again: second (largest bucket), then medium, then small; exempt is never taken.
    tracker.update(exempt, 1_100_000);
    tracker.evict();
    expect([small, exempt, second, medium].map((c) => c.killed)).toEqual([true, false, true, true]);
    expect(stats.evictedClients).toBe(4);
    expect(meter.clients).toBe(1_100_000);
  });

  it('a client moving up a bucket goes to its end', () => {
    const { tracker, add } = setUp(256 * 1024);
    const a = add('a', 40_000);
    const b = add('b', 40_000);
    // a grows within its bucket then out of it and back: it now comes after b.
    tracker.update(a, 70_000);
    tracker.update(a, 40_000);
    const big = add('big', 200_000);
    big.noEvict = true;
    tracker.exempt(big);
    tracker.evict();
    expect([a.killed, b.killed]).toEqual([false, true]);
  });

  it('turning maxmemory-clients off forgets the buckets; on again, measures every client', () => {
    const { tracker, clients, add } = setUp(1024 * 1024);
    const a = add('a', 40_000);
    expect(a.memoryBucket).toBe(1);
    tracker.configure(0, 0, clients, () => {});
    expect(a.memoryBucket).toBe(-1);
    expect(tracker.limit).toBe(0);
    const measured: string[] = [];
    tracker.configure(-50, 4 * 1024 * 1024, clients, (c) => {
      measured.push(c.name);
      tracker.update(c, c.memoryUsage);
    });
    expect(measured).toEqual(['a']);
    expect(a.memoryBucket).toBe(1);
    expect(tracker.limit).toBe(2 * 1024 * 1024);
  });
});
