/**
 * A map from strings to values kept in string order (which for the 16-byte ID keys of id.ts is
 * ID order): Redis's radix trees of pending entries. Sorted chunks of at most CHUNK keys, found
 * by binary search on each chunk's first key, so that an insertion or removal anywhere costs a
 * search and a short splice, and the common case (new IDs at the end) appends.
 */

const CHUNK = 128;

interface Chunk<V> {
  keys: string[];
  values: V[];
}

/** A position in the map: chunk and index within it. */
interface Cursor {
  chunk: number;
  index: number;
}

export class SortedMap<V> {
  private chunks: Chunk<V>[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The chunk that holds `key` or would: the last whose first key is <= key (0 if none). */
  private chunkFor(key: string): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    // Appends are the common case: look at the last chunk first.
    if (hi >= 0 && (chunks[hi] as Chunk<V>).keys[0] as string <= key) return hi;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (((chunks[mid] as Chunk<V>).keys[0] as string) <= key) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Index of the first key >= key within a chunk's keys. */
  private static lowerBound(keys: readonly string[], key: string): number {
    let lo = 0;
    let hi = keys.length;
    if (hi > 0 && (keys[hi - 1] as string) < key) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((keys[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(key: string): V | undefined {
    if (this.count === 0) return undefined;
    const chunk = this.chunks[this.chunkFor(key)] as Chunk<V>;
    const i = SortedMap.lowerBound(chunk.keys, key);
    return chunk.keys[i] === key ? chunk.values[i] : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Sets `key`; true when it was not there before. */
  set(key: string, value: V): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push({ keys: [key], values: [value] });
      this.count = 1;
      return true;
    }
    const c = this.chunkFor(key);
    const chunk = this.chunks[c] as Chunk<V>;
    const keys = chunk.keys;
    const i = SortedMap.lowerBound(keys, key);
    if (keys[i] === key) {
      chunk.values[i] = value;
      return false;
    }
    if (i === keys.length) {
      keys.push(key);
      chunk.values.push(value);
    } else {
      keys.splice(i, 0, key);
      chunk.values.splice(i, 0, value);
    }
    this.count++;
    if (keys.length > CHUNK) this.split(c);
    return true;
  }

  /** Inserts only if absent (raxTryInsert); true when inserted. */
  add(key: string, value: V): boolean {
    if (this.get(key) !== undefined) return false;
    return this.set(key, value);
  }

  private split(c: number): void {
    const chunk = this.chunks[c] as Chunk<V>;
    // Keys appended in order fill a chunk and move on: split at the end then, else in halves.
    const at = c === this.chunks.length - 1 ? CHUNK : chunk.keys.length >> 1;
    const right: Chunk<V> = { keys: chunk.keys.splice(at), values: chunk.values.splice(at) };
    this.chunks.splice(c + 1, 0, right);
  }

  /** Removes `key`; the value it had, or undefined. */
  delete(key: string): V | undefined {
    if (this.count === 0) return undefined;
    const c = this.chunkFor(key);
    const chunk = this.chunks[c] as Chunk<V>;
    const i = SortedMap.lowerBound(chunk.keys, key);
    if (chunk.keys[i] !== key) return undefined;
    const value = chunk.values[i] as V;
    if (i === 0 && chunk.keys.length === 1) {
      this.chunks.splice(c, 1);
    } else {
      chunk.keys.splice(i, 1);
      chunk.values.splice(i, 1);
      // Merge a small chunk into its neighbour so that chunks stay reasonably full.
      if (chunk.keys.length < CHUNK >> 2 && c + 1 < this.chunks.length) {
        const next = this.chunks[c + 1] as Chunk<V>;
        if (chunk.keys.length + next.keys.length <= CHUNK) {
          chunk.keys.push(...next.keys);
          chunk.values.push(...next.values);
          this.chunks.splice(c + 1, 1);
        }
      }
    }
    this.count--;
    return value;
  }

  private cursorFrom(key: string): Cursor | null {
    if (this.count === 0) return null;
    let c = this.chunkFor(key);
    let i = SortedMap.lowerBound((this.chunks[c] as Chunk<V>).keys, key);
    if (i === (this.chunks[c] as Chunk<V>).keys.length) {
      c++;
      i = 0;
      if (c === this.chunks.length) return null;
    }
    return { chunk: c, index: i };
  }

  /** The first key >= `key`, or undefined. */
  ceilingKey(key: string): string | undefined {
    const cursor = this.cursorFrom(key);
    return cursor === null ? undefined : (this.chunks[cursor.chunk] as Chunk<V>).keys[cursor.index];
  }

  firstKey(): string | undefined {
    return this.chunks.length === 0 ? undefined : (this.chunks[0] as Chunk<V>).keys[0];
  }

  lastKey(): string | undefined {
    if (this.chunks.length === 0) return undefined;
    const keys = (this.chunks[this.chunks.length - 1] as Chunk<V>).keys;
    return keys[keys.length - 1];
  }

  /**
   * Entries from the first key >= `from` on, in order, while `visit` returns true. The map must
   * not change during the walk (callers that delete collect first, or restart from a key).
   */
  walkFrom(from: string, visit: (key: string, value: V) => boolean): void {
    const cursor = this.cursorFrom(from);
    if (cursor === null) return;
    for (let c = cursor.chunk, i = cursor.index; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c] as Chunk<V>;
      for (; i < chunk.keys.length; i++) if (!visit(chunk.keys[i] as string, chunk.values[i] as V)) return;
    }
  }

  /** Every entry in order. */
  *entries(): IterableIterator<[string, V]> {
    for (const chunk of this.chunks) {
      for (let i = 0; i < chunk.keys.length; i++) yield [chunk.keys[i] as string, chunk.values[i] as V];
    }
  }

  /** Every key in order (RDB, radix node counts). */
  keys(): string[] {
    const out: string[] = [];
    for (const chunk of this.chunks) for (const key of chunk.keys) out.push(key);
    return out;
  }
}
