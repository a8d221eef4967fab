/**
 * The set of keys a background save or an AOF rewrite has already written: up to every key of
 * a database, made at the job's start and dropped at its end.
 *
 * Why not a JS Set: one Set grows by rehashing all its entries at once (past a few hundred
 * thousand that single add holds the loop for tens of milliseconds), and sets spread over
 * many small Sets still leave every table they outgrew behind as garbage. For 1M keys that
 * was 38 MB of old-generation garbage per job, whose collection held a pinging client for
 * 20-50 ms, and 0.5 µs per key. Here the size is known at the start (the keys at that
 * moment), so the keys go into an open-addressed table of that size at half load, held in
 * fixed chunks that are allocated as they are first written and never rehashed. Keys beyond
 * what the table was made for (keys created while the job runs) go to an overflow Set.
 */

/** Slots per chunk: 512 KB of references, an allocation of its own that V8 never moves. */
const CHUNK_BITS = 16;
const CHUNK_SLOTS = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SLOTS - 1;
const MIN_BITS = 10;
/** Past this share of its slots, the table takes no more keys (probes would grow long). */
const MAX_LOAD = 0.75;

type Chunk = Array<string | undefined>;

export class KeySet {
  private readonly chunks: Array<Chunk | undefined>;
  private readonly mask: number;
  private readonly maxInTable: number;
  private inTable = 0;
  private overflow: Set<string> | null = null;
  /**
   * Chunks allocated so far. A walk reads it to look at the clock after each allocation: the
   * first keys of a large database touch every chunk (16 MB for 1M keys to initialise), which
   * would otherwise all fall in the walk's first slice.
   */
  chunksAllocated = 0;

  /** `expected`: how many strings it is likely to hold (more go to the overflow Set). */
  constructor(expected: number) {
    let bits = MIN_BITS;
    while (1 << bits < expected * 2 && bits < 30) bits++;
    const slots = 1 << bits;
    this.mask = slots - 1;
    this.maxInTable = Math.floor(slots * MAX_LOAD);
    this.chunks = new Array<Chunk | undefined>(Math.ceil(slots / CHUNK_SLOTS)).fill(undefined);
  }

  has(s: string): boolean {
    return this.find(s) || (this.overflow !== null && this.overflow.has(s));
  }

  add(s: string): void {
    this.addNew(s);
  }

  /** Adds `s` unless it is there; true when it was not. */
  addNew(s: string): boolean {
    const mask = this.mask;
    let slot = hashOf(s) & mask;
    for (;;) {
      const chunk = this.chunks[slot >>> CHUNK_BITS];
      const held = chunk === undefined ? undefined : chunk[slot & CHUNK_MASK];
      if (held === undefined) break;
      if (held === s) return false;
      slot = (slot + 1) & mask;
    }
    if (this.overflow !== null && this.overflow.has(s)) return false;
    if (this.inTable >= this.maxInTable) {
      (this.overflow ??= new Set<string>()).add(s);
      return true;
    }
    const index = slot >>> CHUNK_BITS;
    // A table smaller than a chunk (a small database) gets a chunk of its own size.
    let chunk = this.chunks[index];
    if (chunk === undefined) {
      chunk = this.chunks[index] = new Array<string | undefined>(Math.min(CHUNK_SLOTS, this.mask + 1)).fill(undefined);
      this.chunksAllocated++;
    }
    chunk[slot & CHUNK_MASK] = s;
    this.inTable++;
    return true;
  }

  get size(): number {
    return this.inTable + (this.overflow?.size ?? 0);
  }

  clear(): void {
    this.chunks.fill(undefined);
    this.inTable = 0;
    this.overflow = null;
  }

  private find(s: string): boolean {
    const mask = this.mask;
    let slot = hashOf(s) & mask;
    for (;;) {
      const chunk = this.chunks[slot >>> CHUNK_BITS];
      if (chunk === undefined) return false;
      const held = chunk[slot & CHUNK_MASK];
      if (held === undefined) return false;
      if (held === s) return true;
      slot = (slot + 1) & mask;
    }
  }
}

/** FNV-1a over every character, then mixed: keys may differ anywhere (a common prefix, a counter at the end). */
function hashOf(s: string): number {
  const n = s.length;
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}
