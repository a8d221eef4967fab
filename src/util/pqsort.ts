/**
 * Partial quicksort: sorts `a` so that the positions lo..hi (inclusive) hold what a full sort
 * would put there, leaving the rest in some order. It is the Bentley–McIlroy quicksort
 * ("Engineering a Sort Function") that Redis uses for SORT … BY … LIMIT, step for step: the
 * same pivot choice (median of three, ninther above 40 elements), the same three-way
 * partition (Redis's pqsort.c, unlike BSD's qsort it comes from, has no fall back to insertion
 * sort when a partition swapped nothing). Following
 * the very same steps matters because the comparator may call distinct elements equal (ALPHA
 * with BY), and which of them lands in the range then depends on the algorithm.
 */
export function partialSort<T>(a: T[], cmp: (x: T, y: T) => number, lo: number, hi: number): void {
  sortPart(a, 0, a.length, cmp, lo, hi);
}

function swap<T>(a: T[], i: number, j: number): void {
  const t = a[i] as T;
  a[i] = a[j] as T;
  a[j] = t;
}

/** Swaps the n elements from i with the n elements from j, pairwise in order. */
function swapBlocks<T>(a: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(a, i + k, j + k);
}

function median3<T>(a: T[], i: number, j: number, k: number, cmp: (x: T, y: T) => number): number {
  const ai = a[i] as T;
  const aj = a[j] as T;
  const ak = a[k] as T;
  if (cmp(ai, aj) < 0) {
    if (cmp(aj, ak) < 0) return j;
    return cmp(ai, ak) < 0 ? k : i;
  }
  if (cmp(aj, ak) > 0) return j;
  return cmp(ai, ak) < 0 ? i : k;
}

function insertionSort<T>(a: T[], base: number, n: number, cmp: (x: T, y: T) => number): void {
  for (let m = base + 1; m < base + n; m++) {
    for (let l = m; l > base && cmp(a[l - 1] as T, a[l] as T) > 0; l--) swap(a, l, l - 1);
  }
}

/** Sorts the n elements from `base`, skipping any part that lies wholly outside lo..hi. */
function sortPart<T>(a: T[], base: number, n: number, cmp: (x: T, y: T) => number, lo: number, hi: number): void {
  for (;;) {
    if (n < 7) {
      insertionSort(a, base, n, cmp);
      return;
    }
    let pm = base + (n >>> 1);
    if (n > 7) {
      let pl = base;
      let pn = base + n - 1;
      if (n > 40) {
        const d = Math.floor(n / 8);
        pl = median3(a, pl, pl + d, pl + 2 * d, cmp);
        pm = median3(a, pm - d, pm, pm + d, cmp);
        pn = median3(a, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = median3(a, pl, pm, pn, cmp);
    }
    swap(a, base, pm);
    const pivot = base;
    let pa = base + 1;
    let pb = pa;
    let pc = base + n - 1;
    let pd = pc;
    for (;;) {
      let c: number;
      // Elements equal to the pivot gather at both ends, to be moved to the middle after.
      while (pb <= pc && (c = cmp(a[pb] as T, a[pivot] as T)) <= 0) {
        if (c === 0) {
          swap(a, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (c = cmp(a[pc] as T, a[pivot] as T)) >= 0) {
        if (c === 0) {
          swap(a, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(a, pb, pc);
      pb++;
      pc--;
    }
    const end = base + n;
    let r = Math.min(pa - base, pb - pa);
    swapBlocks(a, base, pb - r, r);
    r = Math.min(pd - pc, end - pd - 1);
    swapBlocks(a, pb, end - r, r);
    const left = pb - pa;
    if (left > 1 && overlaps(base, base + left - 1, lo, hi)) sortPart(a, base, left, cmp, lo, hi);
    const right = pd - pc;
    if (right <= 1) return;
    base = end - right;
    n = right;
    if (!overlaps(base, base + n - 1, lo, hi)) return;
  }
}

/**
 * Whether a part first..last matters for the range lo..hi. Like Redis, a part is skipped only
 * when both ends of the range fall on the same side of it (an empty range, hi < lo, still
 * sorts the part it points into).
 */
function overlaps(first: number, last: number, lo: number, hi: number): boolean {
  return !((lo < first && hi < first) || (lo > last && hi > last));
}
