import type { Logger } from '../log.js';
import type { MemoryMeter } from '../server/memory.js';
import type { ClientsMemoryView } from '../commands/core/context.js';

/**
 * The clients' memory as a whole, Redis 7.0's way (server.c updateClientMemoryUsage,
 * networking.c evictClients): each client's figure (net/client-memory.ts) is taken at cheap
 * points — after a batch of input, after a write, by the cron once a second — and only the
 * change is added to the total, which INFO mem_clients_normal shows and used_memory includes
 * (the meter's `clients`). Nothing here is O(clients) on the way of a command.
 *
 * maxmemory-clients (client eviction): while it is set, the clients that may be evicted (all
 * but those with CLIENT NO-EVICT on) sit in buckets by memory, a power of two each, as in Redis;
 * when the total reaches the limit, clients are disconnected from the largest bucket down,
 * in the order they entered their bucket, until it is under. Redis runs that before each
 * command and before the event loop sleeps; nodis before each command, after each batch of
 * input and in the cron.
 */

/** Redis's CLIENT_MEM_USAGE_BUCKET_MIN_LOG / MAX_LOG: buckets from "under 32 KB" to "4 GB and more". */
const BUCKET_MIN_LOG = 15;
const BUCKET_MAX_LOG = 33;
export const CLIENT_MEMORY_BUCKETS = 1 + BUCKET_MAX_LOG - BUCKET_MIN_LOG;

/** Redis's floor for maxmemory-clients, so that a bad setting cannot cut every connection. */
const MIN_CLIENT_EVICTION_LIMIT = 128 * 1024;

/** The bucket of a client using `bytes`: one per bit length, clamped to Redis's range. */
export function memoryBucketOf(bytes: number): number {
  const bits = bytes < 1 ? 0 : bytes < 2 ** 32 ? 32 - Math.clz32(bytes) : Math.floor(Math.log2(bytes)) + 1;
  return Math.min(BUCKET_MAX_LOG, Math.max(BUCKET_MIN_LOG, bits)) - BUCKET_MIN_LOG;
}

/**
 * Redis's getClientEvictionLimit: maxmemory-clients in bytes, or as a percentage of maxmemory
 * (a negative setting, as config/ stores percentages); 0 when off (or a percentage of no
 * maxmemory); never under 128 KB.
 */
export function clientEvictionLimit(maxmemoryClients: number, maxmemory: number): number {
  let limit: number;
  if (maxmemoryClients < 0 && maxmemory > 0) limit = Math.floor((maxmemory * -maxmemoryClients) / 100);
  else if (maxmemoryClients > 0) limit = maxmemoryClients;
  else return 0;
  return Math.max(limit, MIN_CLIENT_EVICTION_LIMIT);
}

/** What the tracker needs of a connection. */
export interface MeasuredClient {
  /** The figure last counted in the total (Redis's last_memory_usage). */
  memoryUsage: number;
  /** The bucket it sits in, -1 when in none (eviction off, or CLIENT NO-EVICT on). */
  memoryBucket: number;
  readonly noEvict: boolean;
  /** The CLIENT LIST line (the eviction's log line). */
  describe(): string;
  kill(): void;
}

/** Redis's CLIENTS_PEAK_MEM_USAGE_SLOTS: the recent peaks are kept per second for 8 seconds. */
const PEAK_SLOTS = 8;

export class ClientsMemory<C extends MeasuredClient> implements ClientsMemoryView {
  /** The buckets, while maxmemory-clients is set (Redis keeps them for a percentage of no maxmemory too). */
  private buckets: Array<Set<C>> | null = null;
  /**
   * Whether each client's figure must follow every command (Redis's client_mem_usage_buckets):
   * while maxmemory-clients is set. A field, read once per command.
   */
  tracking = false;
  /** maxmemory-clients in bytes, 0 when no client is to be evicted. */
  limit = 0;
  /** The largest input and output buffers seen by the cron, per second (Redis's ClientsPeakMemInput/Output). */
  private readonly peakInput: number[] = new Array<number>(PEAK_SLOTS).fill(0);
  private readonly peakOutput: number[] = new Array<number>(PEAK_SLOTS).fill(0);

  constructor(
    private readonly meter: MemoryMeter,
    private readonly log: Logger,
    private readonly stats: { evictedClients: number },
  ) {}

  /**
   * maxmemory-clients or maxmemory changed (Redis's applyClientMaxMemoryUsage): turning it on
   * measures every client and puts each in its bucket; turning it off forgets the buckets.
   */
  configure(maxmemoryClients: number, maxmemory: number, clients: Iterable<C>, measure: (client: C) => void): void {
    this.limit = clientEvictionLimit(maxmemoryClients, maxmemory);
    if (maxmemoryClients === 0) {
      if (this.buckets === null) return;
      this.buckets = null;
      this.tracking = false;
      for (const client of clients) client.memoryBucket = -1;
      return;
    }
    if (this.buckets !== null) return;
    this.buckets = [];
    this.tracking = true;
    for (let i = 0; i < CLIENT_MEMORY_BUCKETS; i++) this.buckets.push(new Set());
    for (const client of clients) measure(client);
  }

  /**
   * A clients cron call begins (Redis's clientsCron): the next second's slot is cleared, so
   * that it holds only what is seen in that second when it comes.
   */
  cronStarted(nowSeconds: number): void {
    const next = (nowSeconds + 1) % PEAK_SLOTS;
    this.peakInput[next] = 0;
    this.peakOutput[next] = 0;
  }

  /** The cron saw a client's input and output buffers (Redis's clientsCronTrackExpansiveClients). */
  trackBuffers(nowSeconds: number, input: number, output: number): void {
    const slot = nowSeconds % PEAK_SLOTS;
    if (input > (this.peakInput[slot] as number)) this.peakInput[slot] = input;
    if (output > (this.peakOutput[slot] as number)) this.peakOutput[slot] = output;
  }

  recentMaxBuffers(): { input: number; output: number } {
    return { input: Math.max(...this.peakInput), output: Math.max(...this.peakOutput) };
  }

  /** A client's figure is now `bytes`: the total follows, and its bucket if it may be evicted. */
  update(client: C, bytes: number): void {
    const delta = bytes - client.memoryUsage;
    if (delta !== 0) {
      client.memoryUsage = bytes;
      this.meter.clientsChanged(delta);
    }
    const buckets = this.buckets;
    if (buckets === null || client.noEvict) return;
    const bucket = memoryBucketOf(bytes);
    if (bucket === client.memoryBucket) return;
    // Moved to the end of its new bucket, as Redis appends it to the bucket's list.
    if (client.memoryBucket !== -1) (buckets[client.memoryBucket] as Set<C>).delete(client);
    (buckets[bucket] as Set<C>).add(client);
    client.memoryBucket = bucket;
  }

  /** CLIENT NO-EVICT on: the client leaves its bucket (its memory still counts in the total). */
  exempt(client: C): void {
    if (client.memoryBucket === -1) return;
    this.buckets?.[client.memoryBucket]?.delete(client);
    client.memoryBucket = -1;
  }

  /** The client is gone: its memory leaves the total. */
  removed(client: C): void {
    this.exempt(client);
    if (client.memoryUsage !== 0) this.meter.clientsChanged(-client.memoryUsage);
    client.memoryUsage = 0;
  }

  /**
   * Redis's evictClients: while the clients' total is at or over maxmemory-clients, disconnects
   * the clients of the largest bucket, then of the next one down.
   */
  evict(): void {
    const limit = this.limit;
    if (limit === 0 || this.meter.clients < limit) return;
    const buckets = this.buckets as Array<Set<C>>;
    for (let b = CLIENT_MEMORY_BUCKETS - 1; b >= 0; b--) {
      // Deleting from a Set while iterating it is safe: the killed client leaves its bucket.
      for (const client of buckets[b] as Set<C>) {
        this.log.info(`Evicting client: ${client.describe()}`);
        client.kill();
        this.stats.evictedClients++;
        if (this.meter.clients < limit) return;
      }
    }
    this.log.warn('Over client maxmemory after evicting all evictable clients');
  }
}
