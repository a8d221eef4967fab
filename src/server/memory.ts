import { isIntEncodable, type Value } from '../types/value.js';
import { uncollected } from './reclaim.js';

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

/** What the process used when this module loaded: the floor of the used_memory estimate. */
const STARTUP_FLOOR = process.memoryUsage().heapUsed + process.memoryUsage().external;

/**
 * Bytes the process uses for data: the V8 heap plus buffers outside it, less what commands
 * freed and V8 has not collected yet (server/reclaim.ts), as Redis's used_memory drops when
 * a value is freed.
 */
export function usedMemory(): number {
  const m = process.memoryUsage();
  const heap = m.heapUsed + m.external;
  // The estimate never takes the figure below what the server used when it started.
  return Math.max(heap - uncollected.pendingBytes(), Math.min(heap, STARTUP_FLOOR));
}
