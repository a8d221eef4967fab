import v8 from 'node:v8';
import { isIntEncodable, type Value } from '../types/value.js';
import { KEY_ENTRY, databaseHeapBytes, heapBytes, keyHeapBytes, uncollected } from './reclaim.js';
import type { Database, KeyspaceAccounting } from '../keyspace/database.js';

const ROBJ = 16;
export const DICT_ENTRY = 24;

/**
 * jemalloc's size class for an allocation of n bytes: 8, then multiples of 16 up to 128, then
 * four classes per doubling (MEMORY USAGE, CLIENT LIST's memory figures).
 */
export function mallocSize(n: number): number {
  if (n <= 8) return 8;
  if (n <= 128) return Math.ceil(n / 16) * 16;
  // Four classes per doubling above 128 bytes.
  const group = 2 ** Math.floor(Math.log2(n - 1));
  const step = group / 4;
  return Math.ceil(n / step) * step;
}

/** An sds string of len bytes: header (by length) + bytes + terminator. */
function sdsSize(len: number): number {
  const header = len < 32 ? 1 : len < 256 ? 3 : len < 65536 ? 5 : 9;
  return mallocSize(header + len + 1);
}

/** Estimated bytes of a string value, robj included (int, embstr or raw encoding). */
function stringSize(s: string): number {
  if (isIntEncodable(s)) return ROBJ;
  if (s.length <= 44) return mallocSize(ROBJ + 3 + s.length + 1);
  return ROBJ + sdsSize(s.length);
}

/** Per-element guesses for collections that cannot measure themselves. */
const PER_ELEMENT: Record<string, number> = {
  listpack: 12, intset: 8, quicklist: 16, hashtable: 72, skiplist: 104, linkedlist: 40,
};

/** Estimated bytes of a value, robj included. */
export function valueSize(value: Value, samples: number): number {
  if (typeof value === 'string') return stringSize(value);
  if (value.memoryUsage !== undefined) return ROBJ + value.memoryUsage(samples);
  const per = PER_ELEMENT[value.encoding()] ?? 64;
  return ROBJ + mallocSize(64 + value.size * per);
}

/** MEMORY USAGE's figure for a key: its value, its sds name and its dict entry. */
export function keyUsage(key: string, value: Value, samples: number): number {
  return valueSize(value, samples) + sdsSize(key.length) + DICT_ENTRY;
}

/** Redis's LAZYFREE_THRESHOLD: values that take more allocations than this to free are freed lazily. */
export const LAZYFREE_THRESHOLD = 64;

/** listpack bytes per quicklist node for list-max-listpack-size -1 .. -5. */
const QUICKLIST_NODE_BYTES = [4096, 8192, 16384, 32768, 65536];

/**
 * Redis's lazyfreeGetFreeEffort: the allocations freeing a value takes, which decides whether
 * UNLINK hands it to the lazy-free thread (INFO lazyfreed_objects). A list counts its quicklist
 * nodes, estimated from `listFill` (list-max-listpack-size) and its elements' sizes; a set,
 * hash or sorted set in its table encoding counts its elements; anything else is one block.
 */
export function lazyfreeEffort(value: Value, listFill: number): number {
  if (typeof value === 'string') return 1;
  const encoding = value.encoding();
  if (value.type === 'list') {
    if (listFill > 0) return Math.ceil(value.size / listFill);
    const nodeBytes = QUICKLIST_NODE_BYTES[Math.min(4, Math.max(0, -listFill - 1))] as number;
    // A listpack entry is its bytes plus about 2 bytes of header and back-length.
    const entryBytes = value.size === 0 ? 0 : valueSize(value, 16) / value.size;
    return Math.max(1, Math.ceil((value.size * Math.max(3, entryBytes)) / nodeBytes));
  }
  if (encoding === 'hashtable' || encoding === 'skiplist') return value.size;
  return 1;
}

/** Bytes of SharedArrayBuffers alive (the script worker's channels): not data, and not in `external`. */
let sharedBufferBytes = 0;

/** A SharedArrayBuffer of `bytes` was allocated (or, negative, dropped). */
export function noteSharedBuffer(bytes: number): void {
  sharedBufferBytes += bytes;
}

/**
 * The V8 heap in use plus the memory outside it that is not Buffers: what holds data. Buffers
 * hold the clients' input and output, counted apart as Redis counts them (MemoryMeter.clients),
 * and their garbage lingers (see externalNotBuffers).
 */
function heapAndExternalData(): number {
  const m = process.memoryUsage();
  // (Shared buffers are in arrayBuffers but not in external: only the others are taken out.)
  return m.heapUsed + m.external - (m.arrayBuffers - sharedBufferBytes);
}

/** What the process used when this module loaded: the floor of the used_memory estimate. */
export const STARTUP_FLOOR = heapAndExternalData();

/**
 * Bytes the process uses for data: the V8 heap plus memory outside it but for Buffers, less
 * what commands freed and V8 has not collected yet (server/reclaim.ts), as Redis's used_memory
 * drops when a value is freed. The clients' buffers are not in it (MemoryMeter.clients).
 */
export function usedMemory(): number {
  const heap = heapAndExternalData();
  // The estimate never takes the figure below what the server used when it started.
  return Math.max(heap - uncollected.pendingBytes(), Math.min(heap, STARTUP_FLOOR));
}

/**
 * Memory outside V8's heap that is not Buffers (ArrayBuffers): mostly strings over 1 MB, which
 * V8 keeps outside its heap. Buffers hold clients' input and output, not data, and V8 gives a
 * dead Buffer's memory back only when it has swept it, some time after the collection that
 * found it dead (measured: 16 MB of Buffers right after a collection for 7.5 MB of replies to
 * pipelined GETs); Node's own I/O holds a few MB more outside the heap while clients are busy.
 */
function externalNotBuffers(): number {
  const m = process.memoryUsage();
  // Shared buffers are in arrayBuffers but not in external: only the others are taken out.
  return m.external - (m.arrayBuffers - sharedBufferBytes);
}

/** What a command argument costs once stored: V8's string header beside its bytes. */
const ARGUMENT_OVERHEAD = 16;

/**
 * The memory figure maxmemory is checked against, as Redis checks zmalloc_used_memory() before
 * each command. It must be cheap to read per command and follow each eviction at once, while
 * measuring costs tens of µs (process.memoryUsage) and V8 frees lazily: a measurement
 * taken just after an eviction still holds the evicted key, and one taken at any moment holds
 * garbage, young (parsed commands, replies: up to the young generation's size, 4 MB with the
 * server's 2 MB semi-spaces, 32 MB with Node's default) and old (values deleted or
 * overwritten since the last major collection, which can be as much as the live data).
 * Counting garbage as used would evict live keys for it.
 *
 * So the figure is kept as a running estimate, anchored to the heap when garbage is least:
 * - after each major (mark-compact) collection V8 reports, it is set to the heap then in use,
 *   less what was freed too late to be collected by it, plus memory outside the heap but for
 *   Buffers (externalNotBuffers: strings over 1 MB) as its least reading since the previous
 *   major collection;
 * - after a minor collection it is lowered to the heap in use if that is less (it includes
 *   old garbage, so it may only show that the estimate is too high), never raised;
 * - between collections, a command that may use memory (denyoom) adds its arguments' sizes,
 *   the data it most likely stores, a new key adds its dict entries, and a key removed (DEL,
 *   expiry, eviction, FLUSHDB) or a value replaced subtracts its estimated size at once
 *   (reclaim.ts's keyHeapBytes), kept apart until a major collection has freed it
 *   (reclaim.ts's keysFreed);
 * - when maxmemory is set, a full collection is run first if it is cheap (a small heap).
 * Not followed until the next major collection: elements removed from a collection in place
 * (LPOP, SREM…: only lowered at minor collections), values built from other keys (SUNIONSTORE,
 * SORT … STORE, COPY: their arguments are only key names). The clients' query and output
 * buffers are not measured (they are Buffers, outside the heap, and their garbage lingers) but
 * counted as Redis counts them, from each client's figures (`clients`, net/clients-memory.ts).
 * Per command it costs one comparison
 * while used ≤ maxmemory, plus the sum of a denyoom command's argument lengths, and a Map
 * lookup per key set or deleted; nothing at all while maxmemory is 0.
 */
export class MemoryMeter implements KeyspaceAccounting {
  /** maxmemory in bytes; 0: no limit, and nothing is measured or counted. */
  limit = 0;
  /** Estimated bytes in use (see above), the clients' included; meaningful only while limit is set. */
  used = 0;
  /**
   * What the clients' buffers take as Redis counts them (INFO mem_clients_normal), kept by
   * net/clients-memory.ts whether maxmemory is set or not: part of `used`, as Redis's
   * zmalloc_used_memory includes them.
   */
  clients = 0;
  /**
   * Memory was found over the limit when the running top-level command started (Redis's
   * pre_command_oom_state): a script's writes are refused on it rather than evicting.
   */
  preCommandOom = false;
  private readonly onCollection = (major: boolean): void => this.measure(major);
  /** The least reading of memory outside the heap since the last major collection (see measure). */
  private externalSinceMajor = Infinity;

  /** maxmemory changed: measuring and counting start (or stop when 0). */
  setLimit(limit: number): void {
    const wasOn = this.limit !== 0;
    this.limit = limit;
    if (limit === 0) {
      if (wasOn) uncollected.removeCollectionListener(this.onCollection);
      this.preCommandOom = false;
      return;
    }
    if (wasOn) return;
    uncollected.collectNowIfCheap();
    this.externalSinceMajor = Infinity;
    this.measure(true);
    uncollected.addCollectionListener(this.onCollection);
  }

  /** Takes the figure from the heap after a collection (see the class comment). */
  measure(major: boolean): void {
    const heap = v8.getHeapStatistics().used_heap_size;
    const external = externalNotBuffers();
    if (major) {
      // Memory outside the heap as the least reading since the previous major collection,
      // that one included: I/O of busy clients is not counted as data.
      this.used = heap + Math.min(external, this.externalSinceMajor) - uncollected.keysFreedPendingBytes() + this.clients;
      this.externalSinceMajor = external;
      return;
    }
    if (external < this.externalSinceMajor) this.externalSinceMajor = external;
    // After a minor collection the heap as it is: it includes old garbage and keys freed and
    // not collected yet, so it is never below what is live; those keys may also have been
    // young and gone already, so subtracting them could take it below.
    const measured = heap + external + this.clients;
    if (measured < this.used) this.used = measured;
  }

  /** The clients' buffers grew (or shrank, delta < 0). */
  clientsChanged(delta: number): void {
    this.clients += delta;
    this.used += delta;
  }

  /** A command that may use memory is about to run with these arguments. */
  willWrite(argv: readonly string[]): void {
    let bytes = 0;
    for (let i = 1; i < argv.length; i++) bytes += (argv[i] as string).length + ARGUMENT_OVERHEAD;
    this.used += bytes;
  }

  keyAdded(): void {
    this.used += KEY_ENTRY;
  }

  keyRemoved(key: string, value: Value, hadExpire: boolean): void {
    this.freed(keyHeapBytes(key, value, hadExpire));
  }

  valueReplaced(old: Value): void {
    this.freed(heapBytes(old));
  }

  databaseCleared(db: Database): void {
    this.freed(databaseHeapBytes(db));
  }

  private freed(bytes: number): void {
    this.used -= bytes;
    uncollected.keysFreed(bytes);
  }
}
