/**
 * How large V8's heap must be for the dataset. Node's default heap limit is a quarter of the
 * machine's (or container's) memory and at most about 4 GB, whatever maxmemory says; a dataset
 * past it ends the process ("JavaScript heap out of memory"). bin/nodis-server sizes the old
 * generation (node's --max-old-space-size) from maxmemory, or from the memory there is when
 * maxmemory is 0, and starts the server in a child process with it (src/launch.ts): V8 takes
 * its heap limit only at start-up (v8.setFlagsFromString changes the flag, not the limit).
 */
import { readFileSync } from 'node:fs';

const MB = 1024 * 1024;

/**
 * Heap per byte of maxmemory. used_memory is V8's live heap, and it may go past maxmemory for
 * a moment: each Map of keys (the dict and the access clock) is one hash table that V8 grows
 * or rebuilds all at once, the new table allocated while the old one is live, when deletions
 * and insertions (eviction under a write load) have filled it. Measured with allkeys-lru and
 * three times maxmemory written (Node 20): 1 KB values live with 1.25× maxmemory of old space
 * (1.5× for fewer full collections); 100-byte values ran out of heap at 1.5× (the two tables
 * of 1.3M keys rebuilt while 311 MB were live for 256 MB of used_memory), and lived at 1.75×
 * and 2×; 10-byte values lived at 2×.
 */
export const HEAP_PER_MAXMEMORY_BYTE = 2;
/** Beside that, for what is not data: the server's own heap at start, replies being built. */
export const HEAP_BASE_BYTES = 64 * MB;
/**
 * With no maxmemory the dataset may take the memory there is: the heap gets this share of it,
 * the rest left to what the process holds outside V8's heap (Node itself, socket buffers,
 * strings over 1 MB) and to the heap's own pages beyond the objects in them.
 */
export const MEMORY_SHARE_WITHOUT_MAXMEMORY = 0.75;

/** The heap (bytes) a dataset of used_memory = maxmemory needs. */
export function heapNeededFor(maxmemory: number): number {
  return HEAP_PER_MAXMEMORY_BYTE * maxmemory + HEAP_BASE_BYTES;
}

/** A user's own --max-old-space-size (node's flags or NODE_OPTIONS) is never overridden. */
const OLD_SPACE_FLAG = /(?:^|\s)--max[-_]old[-_]space[-_]size(?:[=\s]|$)/;

export interface HeapInputs {
  /** maxmemory in bytes; 0: none. */
  maxmemory: number;
  /** os.totalmem(). */
  totalMemory: number;
  /** The container's (cgroup's) memory limit in bytes, or null when there is none. */
  cgroupLimit: number | null;
  /** process.env.NODE_OPTIONS. */
  nodeOptions: string | undefined;
  /** process.execArgv: node's own flags. */
  execArgv: readonly string[];
  /** This process's heap limit (v8.getHeapStatistics().heap_size_limit): Node's default unless a flag changed it. */
  heapLimit: number;
}

export interface HeapPlan {
  /** The --max-old-space-size to start the server with (MB), or null: this process's heap will do. */
  oldSpaceMb: number | null;
  /** Why, for the start-up log. */
  reason: string;
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / MB)} MB`;
}

/** Decides the server's old-space size (see the constants above for the figures). */
export function planHeap(inputs: HeapInputs): HeapPlan {
  if (inputs.execArgv.some((arg) => OLD_SPACE_FLAG.test(arg))) return { oldSpaceMb: null, reason: 'set by node --max-old-space-size' };
  if (OLD_SPACE_FLAG.test(inputs.nodeOptions ?? '')) return { oldSpaceMb: null, reason: 'set by --max-old-space-size in NODE_OPTIONS' };
  let wanted: number;
  let reason: string;
  if (inputs.maxmemory > 0) {
    wanted = heapNeededFor(inputs.maxmemory);
    reason = `twice maxmemory (${megabytes(inputs.maxmemory)}) plus ${megabytes(HEAP_BASE_BYTES)}`;
  } else {
    // A cgroup limit at or above the machine's memory (cgroup v1 says "no limit" with a huge one) is none.
    const inContainer = inputs.cgroupLimit !== null && inputs.cgroupLimit < inputs.totalMemory;
    const memory = inContainer ? (inputs.cgroupLimit as number) : inputs.totalMemory;
    wanted = memory * MEMORY_SHARE_WITHOUT_MAXMEMORY;
    reason = `${MEMORY_SHARE_WITHOUT_MAXMEMORY * 100}% of the ${inContainer ? "container's memory limit" : "machine's memory"} (${megabytes(memory)}), maxmemory being 0`;
  }
  // A larger default is kept: there is no cost to a limit the heap does not reach.
  if (wanted <= inputs.heapLimit) return { oldSpaceMb: null, reason: `Node's default, enough for ${reason}` };
  return { oldSpaceMb: Math.ceil(wanted / MB), reason };
}

/** Reads a file, or null when it cannot be read. */
function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/** A memory.max / memory.limit_in_bytes value: "max" or a number of bytes so large it means none. */
function parseLimit(text: string): number | null {
  const value = text.trim();
  if (!/^\d+$/.test(value)) return null;
  const bytes = Number(value);
  // cgroup v1's "no limit" is the largest page-aligned 63-bit number.
  return bytes >= 2 ** 62 ? null : bytes;
}

/**
 * The memory limit of the cgroup this process is in, or null when there is none: cgroup v2's
 * memory.max, else cgroup v1's memory.limit_in_bytes, at the process's own cgroup path (from
 * /proc/self/cgroup) or, inside a container whose cgroup namespace shows another path, at the
 * root of the hierarchy.
 */
export function cgroupMemoryLimit(read: (path: string) => string | null = readOrNull): number | null {
  const membership = read('/proc/self/cgroup') ?? '';
  let v2Path = '';
  let v1Path = '';
  for (const line of membership.split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (path === undefined || path === '/') continue;
    if (controllers === '') v2Path = path;
    else if ((controllers as string).split(',').includes('memory')) v1Path = path;
  }
  const candidates = [
    ...(v2Path !== '' ? [`/sys/fs/cgroup${v2Path}/memory.max`] : []),
    '/sys/fs/cgroup/memory.max',
    ...(v1Path !== '' ? [`/sys/fs/cgroup/memory${v1Path}/memory.limit_in_bytes`] : []),
    '/sys/fs/cgroup/memory/memory.limit_in_bytes',
  ];
  for (const file of candidates) {
    const text = read(file);
    if (text !== null) return parseLimit(text);
  }
  return null;
}

/** A warning for the log when maxmemory needs more heap than V8 was given, or null. */
export function heapWarning(maxmemory: number, heapLimit: number): string | null {
  if (maxmemory === 0 || heapNeededFor(maxmemory) <= heapLimit) return null;
  return (
    `WARNING: maxmemory (${maxmemory} bytes) needs about ${megabytes(heapNeededFor(maxmemory))} of V8 heap ` +
    `and this process has ${megabytes(heapLimit)}: the dataset may end the process before it reaches maxmemory. ` +
    'Restart nodis-server with the new maxmemory (it sizes the heap from it), or give node a larger --max-old-space-size.'
  );
}
