/**
 * The number of nodes Redis's radix tree (rax.c) has for a set of 16-byte keys, without
 * building one: XINFO STREAM's radix-tree-nodes, and MEMORY USAGE's estimate of a stream and
 * of its pending entries lists.
 *
 * A rax stays fully compressed (insertions split compressed nodes, removals merge chains back),
 * so its shape depends only on its keys. Seen as the compacted trie of the keys (branching
 * positions and keys, with edges between them), the rax has: its root; when the root is not a
 * branching position, one node at the end of the root's compressed chain; one node per
 * compacted edge (the node the edge leads to); and, for each edge longer than one byte, one
 * more node: the compressed node holding the chain that starts below the branching node.
 */
import type { StreamId } from './id.js';

const KEY_BYTES = 16;

/** Bytes two IDs share as 16-byte big-endian keys. */
function commonPrefix(a: StreamId, b: StreamId): number {
  if (a.msHi !== b.msHi) return Math.clz32(a.msHi ^ b.msHi) >> 3;
  if (a.msLo !== b.msLo) return 4 + (Math.clz32(a.msLo ^ b.msLo) >> 3);
  if (a.seqHi !== b.seqHi) return 8 + (Math.clz32(a.seqHi ^ b.seqHi) >> 3);
  return 12 + (Math.clz32(a.seqLo ^ b.seqLo) >> 3);
}

/**
 * rax->numnodes for the distinct keys `keyAt(0..n-1)`, given in increasing order.
 */
export function radixNodeCount(n: number, keyAt: (i: number) => StreamId): number {
  if (n === 0) return 1;
  let edges = 0;
  let singleByteEdges = 0;
  const finalize = (parent: number, child: number): void => {
    edges++;
    if (child - parent === 1) singleByteEdges++;
  };
  // Depths of the nodes on the rightmost path of the compacted trie, top first; a leaf is 16.
  const path: number[] = [KEY_BYTES];
  let previous = keyAt(0);
  for (let i = 1; i < n; i++) {
    const key = keyAt(i);
    const shared = commonPrefix(previous, key);
    previous = key;
    let popped = -1;
    while (path.length > 0 && (path[path.length - 1] as number) > shared) {
      const depth = path.pop() as number;
      if (popped !== -1) finalize(depth, popped);
      popped = depth;
    }
    finalize(shared, popped);
    if (path.length === 0 || (path[path.length - 1] as number) !== shared) path.push(shared);
    path.push(KEY_BYTES);
  }
  for (let i = path.length - 1; i > 0; i--) finalize(path[i - 1] as number, path[i] as number);
  const rootBranches = (path[0] as number) === 0 && n > 1;
  return 1 + (rootBranches ? 0 : 1) + edges + (edges - singleByteEdges);
}
