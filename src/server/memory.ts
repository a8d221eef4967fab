import v8 from 'node:v8';
import { FIRST_CHUNK_BYTES } from '../protocol/reply.js';
import { stringBytes } from '../types/heap-size.js';
import { isIntEncodable, valueBytes, type Value } from '../types/value.js';
import type { MutableString } from '../types/mutable-string.js';
import { IntegerString } from '../types/integer-string.js';
import type { Database } from '../keyspace/database.js';
import { Stream } from '../types/stream/index.js';
import { List } from '../types/list.js';

/*
 * The memory figures: what the server takes, counted, never measured. INFO used_memory,
 * MEMORY STATS and maxmemory all read MemoryMeter.used, which adds up
 * - what the server took when it started (the V8 heap and memory outside it, measured once);
 * - each database's running total of its keys in V8's heap (keyspace/database.ts: the names,
 *   the values as they change, the maps' tables), so the whole dataset is O(databases) to read;
 * - a fixed cost per connected client;
 * - the AOF buffer, and memory held outside the heap by whoever registers it (addExternal:
 *   a WebAssembly engine's memory, Buffers kept as data).
 * MEMORY USAGE gives one key's part of that total (keyUsage). Measuring the heap instead
 * would count garbage (V8 frees lazily: up to as much again as the live data, and young
 * garbage of every command) and could not say what one key takes.
 */

const ROBJ = 16;

/**
 * jemalloc's size class for an allocation of n bytes: 8, then multiples of 16 up to 128, then
 * four classes per doubling (CLIENT LIST's memory figures, Redis-shaped estimates).
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

/** What Redis would allocate for a string value, robj included (int, embstr or raw encoding). */
function redisStringSize(s: string | MutableString | IntegerString): number {
  // A string changed in place is raw (sds), as Redis's after SETBIT/APPEND; INCR's is int.
  if (s instanceof IntegerString) return ROBJ;
  if (typeof s !== 'string') return ROBJ + sdsSize(s.length);
  if (isIntEncodable(s)) return ROBJ;
  if (s.length <= 44) return mallocSize(ROBJ + 3 + s.length + 1);
  return ROBJ + sdsSize(s.length);
}

/** Redis's bytes per element of a collection, by encoding: a rough guide. */
const REDIS_PER_ELEMENT: Record<string, number> = {
  listpack: 12, intset: 8, quicklist: 16, hashtable: 72, skiplist: 104, linkedlist: 40,
};

/**
 * Roughly what Redis would allocate for a value: only where nodis shows a figure in Redis's
 * terms (DEBUG OBJECT's serializedlength and ql_uncompressed_size, the lazy-free effort). Not
 * nodis's memory: that is valueBytes.
 */
export function redisValueSize(value: Value): number {
  if (typeof value === 'string' || value.type === 'string') return redisStringSize(value);
  // Streams hold Redis's own listpacks: their figure is Redis's (objectComputeSize, every node).
  if (value instanceof Stream) return ROBJ + value.memoryUsage(value.nodeCount);
  const per = REDIS_PER_ELEMENT[value.encoding()] ?? 64;
  return ROBJ + mallocSize(64 + value.size * per);
}

/**
 * MEMORY USAGE: what used_memory counts for the key: its name and value in V8's heap, and its
 * share of its database's tables (the dict's, its record slots', and the expires entry's if
 * it has one: tables' bytes over their entries). Summed over every key, that is the dataset
 * part of used_memory.
 */
export function keyUsage(db: Database, key: string, value: Value): number {
  const hasExpire = db.expires.size !== 0 && db.expires.has(key);
  // A plain string's access record takes a slot of the dict; an object holds its own.
  const hasRecordSlot = typeof value === 'string' && db.dict.hasStringRecord(key);
  return Math.round(stringBytes(key.length) + valueBytes(value) + db.tableShare(hasExpire, hasRecordSlot));
}

/** Redis's LAZYFREE_THRESHOLD: values that take more allocations than this to free are freed lazily. */
export const LAZYFREE_THRESHOLD = 64;

/**
 * Redis's lazyfreeGetFreeEffort: the allocations freeing a value takes, which decides whether
 * UNLINK hands it to the lazy-free thread (INFO lazyfreed_objects). A list counts its quicklist
 * nodes (kept as Redis splits them); a set,
 * hash or sorted set in its table encoding counts its elements; anything else is one block.
 */
export function lazyfreeEffort(value: Value): number {
  if (typeof value === 'string' || value.type === 'string') return 1;
  if (value instanceof Stream) return value.freeEffort();
  const encoding = value.encoding();
  if (value instanceof List) return value.nodeCount;
  if (encoding === 'hashtable' || encoding === 'skiplist') return value.size;
  return 1;
}

/** The V8 heap in use plus the memory held outside it: a few µs (process.memoryUsage() reads the RSS too). */
export function heapAndExternal(): number {
  const heap = v8.getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
}

/** What the process used when this module loaded: what a snapshot file records beside the dataset. */
const PROCESS_STARTUP = heapAndExternal();

/** Bytes the keys of `databases` take (each database's running total). */
export function datasetBytes(databases: readonly Database[]): number {
  let total = 0;
  for (const db of databases) total += db.usage.bytes;
  return total;
}

/** The used memory a snapshot file records (RDB aux used-mem), without a server at hand. */
export function snapshotUsedMemory(databases: readonly Database[]): number {
  return PROCESS_STARTUP + datasetBytes(databases);
}

/**
 * What a connected client takes in V8's heap: its socket (net.Socket and its stream state),
 * the Client object, its parser and reply writer; measured with 2000 idle connections (heap and
 * external after full collections, per connection: 68.2 KB with a 64 KB output chunk).
 */
export const CLIENT_BASE_BYTES = 2800;
/**
 * ... and while its reply writer holds its output chunk (protocol/reply.ts, outside the heap):
 * from its first command until the cron finds it idle. Not counted: what its query and output
 * buffers hold beyond that while it is busy.
 */
export const CLIENT_BYTES = FIRST_CHUNK_BYTES + CLIENT_BASE_BYTES;

/** What the meter reads of the server. */
export interface MemoryHost {
  readonly databases: readonly Database[];
  readonly clients: { readonly size: number };
  /** The AOF buffer: counted, but left out when checked against maxmemory. */
  memoryNotCountedForEviction(): number;
}

/**
 * maxmemory and the used memory it is checked against (see the top of this file): `used` is
 * O(databases + registered sources) to read, and follows each change of the dataset at once,
 * an eviction's included, as Redis's zmalloc_used_memory() does. Each connection counts twice
 * over: its cost in V8 (CLIENT_BASE_BYTES, and its output chunk while it holds one) and its
 * buffers as Redis counts them (`clients`).
 */
export class MemoryMeter {
  /** maxmemory in bytes; 0: no limit. */
  limit = 0;
  /**
   * Memory was found over the limit when the running top-level command started (Redis's
   * pre_command_oom_state): a script's writes are refused on it rather than evicting.
   */
  preCommandOom = false;
  /**
   * What the clients' buffers take as Redis counts them (INFO mem_clients_normal), kept by
   * net/clients-memory.ts: part of `used`, as Redis's zmalloc_used_memory includes them.
   */
  clients = 0;
  /** What the clients' reply writers hold of output chunks (protocol/reply.ts). */
  replyChunkBytes = 0;
  /** What the server took when it started: INFO used_memory_startup. */
  readonly startup = heapAndExternal();
  private readonly externals = new Set<() => number>();

  constructor(private readonly host: MemoryHost) {}

  /** Bytes in use: the startup figure, the dataset, the clients, the AOF buffer and registered memory. */
  get used(): number {
    let used = this.startup + datasetBytes(this.host.databases) + this.host.clients.size * CLIENT_BASE_BYTES + this.replyChunkBytes + this.clients + this.host.memoryNotCountedForEviction();
    for (const external of this.externals) used += external();
    return used;
  }

  /** The dataset part of `used`. */
  get dataset(): number {
    return datasetBytes(this.host.databases);
  }

  /**
   * Counts memory a feature holds outside the dataset, typically outside V8's heap (a
   * WebAssembly instance's memory: `() => memory.buffer.byteLength`), from now on until the
   * function returned is called. `bytes` is called whenever memory is read: it must be cheap.
   */
  addExternal(bytes: () => number): () => void {
    this.externals.add(bytes);
    return () => this.externals.delete(bytes);
  }

  /** The clients' buffers grew (or shrank, delta < 0). */
  clientsChanged(delta: number): void {
    this.clients += delta;
  }

  /** maxmemory changed (0: no limit). */
  setLimit(limit: number): void {
    this.limit = limit;
    if (limit === 0) this.preCommandOom = false;
  }
}
