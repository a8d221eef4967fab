/**
 * Whether bytes from a file or a DUMP payload are a stream node's listpack that is safe to use:
 * a well-formed listpack (every element within bounds, its backlen matching) holding a master
 * entry and count + deleted entries of the shape node.ts describes (Redis's
 * streamValidateListpackIntegrity with deep checking, which nodis always does).
 */
import { LP_EOF, LP_HEADER_SIZE, backlenSize, decodeElement, element } from './listpack.js';
import { FLAG_SAMEFIELDS } from './node.js';

/** The size of the element at p (encoding + data + backlen), or -1 if it is not whole within [p, end). */
function checkedElementSize(lp: Buffer, p: number, end: number): number {
  if (p >= end) return -1;
  const b = lp[p] as number;
  let headerBytes: number;
  let l: number;
  if (b < 0x80) {
    l = 1;
    headerBytes = 1;
  } else if (b < 0xc0) {
    l = 1 + (b & 0x3f);
    headerBytes = 1;
  } else if (b < 0xe0) {
    l = 2;
    headerBytes = 2;
  } else if (b < 0xf0) {
    headerBytes = 2;
    if (p + 2 > end) return -1;
    l = 2 + (((b & 0x0f) << 8) | (lp[p + 1] as number));
  } else {
    switch (b) {
      case 0xf0:
        headerBytes = 5;
        if (p + 5 > end) return -1;
        l = 5 + lp.readUInt32LE(p + 1);
        break;
      case 0xf1:
        l = 3;
        headerBytes = 3;
        break;
      case 0xf2:
        l = 4;
        headerBytes = 4;
        break;
      case 0xf3:
        l = 5;
        headerBytes = 5;
        break;
      case 0xf4:
        l = 9;
        headerBytes = 9;
        break;
      default:
        return -1;
    }
  }
  if (p + headerBytes > end) return -1;
  const back = backlenSize(l);
  if (p + l + back > end) return -1;
  // The backlen, read backwards from its last byte, must say l.
  let q = p + l + back - 1;
  let value = (lp[q] as number) & 127;
  let shift = 7;
  while (((lp[q] as number) & 128) !== 0) {
    if (--q < p + l) return -1;
    value += ((lp[q] as number) & 127) * 2 ** shift;
    shift += 7;
  }
  if (q !== p + l || value !== l) return -1;
  return l + back;
}

/** The integer at p if it is one (lpGetIntegerIfValid: strings that are integers count too), else null. */
function integerAt(lp: Buffer, p: number): number | null {
  decodeElement(lp, p);
  if (element.isInt) return typeof element.int === 'number' ? element.int : Number(element.int);
  const text = lp.latin1Slice(element.start, element.end);
  return /^-?(0|[1-9][0-9]{0,17})$/.test(text) ? Number(text) : null;
}

export function isValidStreamListpack(lp: Buffer): boolean {
  const size = lp.length;
  if (size < LP_HEADER_SIZE + 1 || lp.readUInt32LE(0) !== size || lp[size - 1] !== LP_EOF) return false;
  const end = size - 1;
  let p = LP_HEADER_SIZE;
  // Steps over one element, checking it; -1 once something is wrong.
  const next = (at: number): number => {
    if (at < 0) return -1;
    const n = checkedElementSize(lp, at, end);
    return n < 0 ? -1 : at + n;
  };
  const int = (at: number): number | null => (at < 0 || checkedElementSize(lp, at, end) < 0 ? null : integerAt(lp, at));
  const count = int(p);
  p = next(p);
  const deleted = int(p);
  p = next(p);
  const masterFields = int(p);
  p = next(p);
  if (count === null || deleted === null || masterFields === null || count < 0 || deleted < 0 || masterFields < 0) return false;
  for (let j = 0; j < masterFields; j++) p = next(p);
  if (int(p) !== 0) return false;
  p = next(p);
  let entries = count + deleted;
  while (entries-- > 0) {
    const flags = int(p);
    if (flags === null) return false;
    p = next(p);
    if (int(p) === null) return false;
    p = next(p);
    if (int(p) === null) return false;
    p = next(p);
    let fields = masterFields;
    let extra = 3;
    if ((flags & FLAG_SAMEFIELDS) === 0) {
      const own = int(p);
      if (own === null || own < 0) return false;
      fields = own;
      p = next(p);
      for (let j = 0; j < fields; j++) p = next(p);
      extra += fields + 1;
    }
    for (let j = 0; j < fields; j++) p = next(p);
    if (int(p) !== fields + extra) return false;
    p = next(p);
    if (p < 0) return false;
  }
  return p === end;
}
