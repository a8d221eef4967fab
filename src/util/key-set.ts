/**
 * A set of strings that may grow to millions without stalling the event loop. A JS Set grows
 * by rehashing all its entries at once: past a few hundred thousand that single add holds the
 * loop for tens of milliseconds (measured on Node 20: 60 to 120 ms at 256K and 512K entries).
 * Here the strings are spread by a hash over enough small Sets that none grows past a few
 * thousand entries, so each rehash is short. For the keys a background save or an AOF rewrite
 * has already written.
 */

/** Entries per shard the shard count is chosen for. */
const ENTRIES_PER_SHARD = 4096;
const MAX_SHARDS = 1 << 16;

export class KeySet {
  private readonly shards: Set<string>[];
  private readonly mask: number;

  /** `expected`: how many strings it is likely to hold (it may hold more, with longer rehashes). */
  constructor(expected: number) {
    let n = 1;
    while (n * ENTRIES_PER_SHARD < expected && n < MAX_SHARDS) n <<= 1;
    this.shards = Array.from({ length: n }, () => new Set<string>());
    this.mask = n - 1;
  }

  private shardOf(s: string): Set<string> {
    if (this.mask === 0) return this.shards[0] as Set<string>;
    // FNV-1a over every character: keys may differ anywhere, and a save copies them whole anyway.
    const n = s.length;
    let h = 0x811c9dc5;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return this.shards[(h ^ (h >>> 15)) & this.mask] as Set<string>;
  }

  has(s: string): boolean {
    return this.shardOf(s).has(s);
  }

  add(s: string): void {
    this.shardOf(s).add(s);
  }

  /** Adds `s` unless it is there; true when it was not. */
  addNew(s: string): boolean {
    const shard = this.shardOf(s);
    if (shard.has(s)) return false;
    shard.add(s);
    return true;
  }

  get size(): number {
    let n = 0;
    for (const shard of this.shards) n += shard.size;
    return n;
  }

  clear(): void {
    for (const shard of this.shards) shard.clear();
  }
}
