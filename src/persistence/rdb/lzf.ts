/**
 * LZF, the compression Redis applies to long strings in RDB files (lzf_c.c / lzf_d.c, built
 * with HLOG 16 and VERY_FAST). The compressed stream is a sequence of
 *   000LLLLL + L+1 literal bytes                      (1..32 literals)
 *   LLLooooo oooooooo                                  (back reference of L+2 = 3..8 bytes)
 *   111ooooo LLLLLLLL oooooooo                         (back reference of L+9 bytes)
 * where the offset o+1 counts back from the current output position (1..8192).
 *
 * The compressor makes the same choices as Redis's (same hash of three bytes, same table size,
 * same match extension, the same two positions hashed after a match, and the same "does it
 * still fit" checks), so that a value DUMPed here is byte for byte what Redis DUMPs. Redis does
 * not clear its hash table between calls (stale slots are only ever used after their bytes
 * are compared), so it may, rarely, find a different match than a clean table would; ours is
 * always clean.
 */

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * Hash slots hold `generation + position + 1`: a slot below the current call's generation is
 * empty, so the table needs no clearing between calls (a 256 KB fill per string would cost
 * more than compressing a short one).
 */
const table = new Int32Array(HSIZE);
let generation = 0;

/** The slot of the three bytes a, b, c (lzf's IDX(NEXT(FRST)) reduced to what it depends on). */
function slotOf(a: number, b: number, c: number): number {
  return (((a << 8) | b) - ((b << 8) | c) * 5) & (HSIZE - 1);
}

/**
 * Compresses src[srcStart, srcStart + srcLen) into dst from dstStart, using at most dstLen
 * bytes. Returns the compressed length, or 0 when the result would not fit in dstLen (Redis
 * asks for at least 4 bytes saved by passing dstLen = srcLen - 4). `dst` must have room for
 * dstLen bytes from dstStart.
 */
export function lzfCompress(src: Uint8Array, srcStart: number, srcLen: number, dst: Uint8Array, dstStart: number, dstLen: number): number {
  if (srcLen === 0 || dstLen === 0) return 0;
  if (generation + srcLen + 1 > 0x7fffffff) {
    table.fill(0);
    generation = 0;
  }
  const base = generation;
  generation += srcLen + 1;

  const s = srcStart;
  const d = dstStart;
  const inEnd = srcLen;
  const outEnd = dstLen;
  let ip = 0;
  let op = 1; // room for the first literal run's control byte
  let lit = 0;

  while (ip < inEnd - 2) {
    const b0 = src[s + ip];
    const b1 = src[s + ip + 1];
    const b2 = src[s + ip + 2];
    const slot = slotOf(b0, b1, b2);
    const stored = table[slot];
    table[slot] = base + ip + 1;
    const ref = stored > base ? stored - base - 1 : -1;
    const off = ip - ref - 1;
    // ref > 0: like lzf, a match never starts at the very first byte.
    if (ref > 0 && off < MAX_OFF && src[s + ref + 2] === b2 && src[s + ref] === b0 && src[s + ref + 1] === b1) {
      let len = 2;
      let maxlen = inEnd - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;

      if (op + 3 + 1 >= outEnd && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return 0;

      dst[d + op - lit - 1] = lit - 1; // close the literal run
      if (lit === 0) op--; // there was none: reuse its control byte

      // Extend the match: lzf first compares 16 bytes unchecked when at least 17 remain.
      let extended = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (src[s + ref + len] !== src[s + ip + len]) {
            extended = true;
            break;
          }
        }
      }
      if (!extended) {
        do len++;
        while (len < maxlen && src[s + ref + len] === src[s + ip + len]);
      }

      len -= 2; // now the number of bytes - 2
      ip++;

      if (len < 7) {
        dst[d + op++] = (off >> 8) + (len << 5);
      } else {
        dst[d + op++] = (off >> 8) + (7 << 5);
        dst[d + op++] = len - 7;
      }
      dst[d + op++] = off & 0xff;

      lit = 0;
      op++; // start a new literal run

      ip += len + 1;
      if (ip >= inEnd - 2) break;

      // VERY_FAST: hash the two positions before the one we continue at.
      ip -= 2;
      table[slotOf(src[s + ip], src[s + ip + 1], src[s + ip + 2])] = base + ip + 1;
      ip++;
      table[slotOf(src[s + ip], src[s + ip + 1], src[s + ip + 2])] = base + ip + 1;
      ip++;
    } else {
      if (op >= outEnd) return 0;
      lit++;
      dst[d + op++] = src[s + ip++];
      if (lit === MAX_LIT) {
        dst[d + op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }

  if (op + 3 > outEnd) return 0; // at most 3 bytes can be missing here

  while (ip < inEnd) {
    lit++;
    dst[d + op++] = src[s + ip++];
    if (lit === MAX_LIT) {
      dst[d + op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }

  dst[d + op - lit - 1] = lit - 1; // close the last run
  if (lit === 0) op--;
  return op;
}

/**
 * Decompresses src[srcStart, srcEnd) into dst[dstStart, dstStart + dstLen). Returns the number
 * of bytes produced, or -1 when the input is malformed or would produce more than dstLen
 * bytes (a back reference before the start of the output, a run cut short).
 */
export function lzfDecompress(src: Uint8Array, srcStart: number, srcEnd: number, dst: Uint8Array, dstStart: number, dstLen: number): number {
  let ip = srcStart;
  let op = dstStart;
  const outEnd = dstStart + dstLen;
  while (ip < srcEnd) {
    let ctrl = src[ip++];
    if (ctrl < MAX_LIT) {
      ctrl++;
      if (op + ctrl > outEnd || ip + ctrl > srcEnd) return -1;
      if (ctrl > 8) {
        dst.set(src.subarray(ip, ip + ctrl), op);
        op += ctrl;
        ip += ctrl;
      } else {
        for (let i = 0; i < ctrl; i++) dst[op++] = src[ip++];
      }
    } else {
      let len = ctrl >> 5;
      if (ip >= srcEnd) return -1;
      if (len === 7) {
        len += src[ip++];
        if (ip >= srcEnd) return -1;
      }
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - src[ip++];
      len += 2;
      if (op + len > outEnd || ref < dstStart) return -1;
      if (op - ref >= len && len > 8) {
        dst.copyWithin(op, ref, ref + len);
        op += len;
      } else {
        // Overlapping copies repeat the bytes just written, one at a time.
        for (let i = 0; i < len; i++) dst[op + i] = dst[ref + i];
        op += len;
      }
    }
  }
  return op - dstStart;
}
