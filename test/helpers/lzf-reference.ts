/**
 * LZF compression written the plain way, one byte at a time with a fresh hash table per call,
 * as src/persistence/rdb/lzf.ts was before it was tuned: the tests check that the tuned
 * compressor makes the very same bytes (Redis's choices) on any input and any output limit.
 */

const HSIZE = 1 << 16;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

function slotOf(a: number, b: number, c: number): number {
  return (((a << 8) | b) - ((b << 8) | c) * 5) & (HSIZE - 1);
}

/** The compressed length, or 0 when the output would not fit in dstLen bytes. */
export function referenceLzfCompress(src: Uint8Array, dst: Uint8Array, dstLen: number): number {
  const inEnd = src.length;
  if (inEnd === 0 || dstLen === 0) return 0;
  const table = new Int32Array(HSIZE).fill(-1);
  let ip = 0;
  let op = 1;
  let lit = 0;
  while (ip < inEnd - 2) {
    const slot = slotOf(src[ip] as number, src[ip + 1] as number, src[ip + 2] as number);
    const ref = table[slot] as number;
    table[slot] = ip;
    const off = ip - ref - 1;
    if (ref > 0 && off < MAX_OFF && src[ref] === src[ip] && src[ref + 1] === src[ip + 1] && src[ref + 2] === src[ip + 2]) {
      let len = 2;
      let maxlen = inEnd - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      if (op + 3 + 1 >= dstLen && op - (lit === 0 ? 1 : 0) + 3 + 1 >= dstLen) return 0;
      dst[op - lit - 1] = lit - 1;
      if (lit === 0) op--;
      let extended = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (src[ref + len] !== src[ip + len]) {
            extended = true;
            break;
          }
        }
      }
      if (!extended) {
        do len++;
        while (len < maxlen && src[ref + len] === src[ip + len]);
      }
      len -= 2;
      ip++;
      if (len < 7) {
        dst[op++] = (off >> 8) + (len << 5);
      } else {
        dst[op++] = (off >> 8) + (7 << 5);
        dst[op++] = len - 7;
      }
      dst[op++] = off & 0xff;
      lit = 0;
      op++;
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      ip -= 2;
      table[slotOf(src[ip] as number, src[ip + 1] as number, src[ip + 2] as number)] = ip;
      ip++;
      table[slotOf(src[ip] as number, src[ip + 1] as number, src[ip + 2] as number)] = ip;
      ip++;
    } else {
      if (op >= dstLen) return 0;
      lit++;
      dst[op++] = src[ip++] as number;
      if (lit === MAX_LIT) {
        dst[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > dstLen) return 0;
  while (ip < inEnd) {
    lit++;
    dst[op++] = src[ip++] as number;
    if (lit === MAX_LIT) {
      dst[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  dst[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  return op;
}
