import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { getLongLong } from '../../util/parse.js';
import type { CommandContext } from '../core/context.js';
import { isStringValue } from '../../types/value.js';
import { stringValueText } from '../../types/mutable-string.js';

/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common subsequence
 * by Redis's dynamic programming table, walked back from the end so that the matched ranges
 * come out in the same order (and ties resolve the same way) as Redis's.
 */
export function lcs(ctx: CommandContext, argv: string[]): void {
  const db = ctx.db;
  const va = db.lookupRead(argv[1] as string);
  const vb = db.lookupRead(argv[2] as string);
  if ((va !== undefined && !isStringValue(va)) || (vb !== undefined && !isStringValue(vb))) {
    throw new RedisError('ERR The specified keys must contain string values');
  }
  const a = va === undefined ? '' : stringValueText(va);
  const b = vb === undefined ? '' : stringValueText(vb);
  let getIdx = false;
  let getLen = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = (argv[j] as string).toLowerCase();
    const moreArgs = argv.length - 1 - j;
    if (opt === 'idx') {
      getIdx = true;
    } else if (opt === 'len') {
      getLen = true;
    } else if (opt === 'withmatchlen') {
      withMatchLen = true;
    } else if (opt === 'minmatchlen' && moreArgs > 0) {
      minMatchLen = getLongLong(argv[j + 1] as string);
      if (minMatchLen < 0) minMatchLen = 0;
      j++;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  if (getIdx && getLen) throw new RedisError('ERR If you want both the length and indexes, please just use IDX.');

  const alen = a.length;
  const blen = b.length;
  const width = blen + 1;
  const cells = (alen + 1) * width;
  if (cells * 4 > ctx.server.config.getNumber('proto-max-bulk-len')) {
    throw new RedisError('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');
  }
  let table: Uint32Array;
  try {
    table = new Uint32Array(cells);
  } catch {
    throw new RedisError('ERR Insufficient memory, failed allocating transient memory for LCS');
  }
  // table[i * width + j] = LCS length of a[0..i) and b[0..j); row and column 0 stay 0.
  for (let i = 1; i <= alen; i++) {
    const ca = a.charCodeAt(i - 1);
    const row = i * width;
    const prev = row - width;
    for (let j = 1; j <= blen; j++) {
      if (ca === b.charCodeAt(j - 1)) {
        table[row + j] = (table[prev + j - 1] as number) + 1;
      } else {
        const up = table[prev + j] as number;
        const left = table[row + j - 1] as number;
        table[row + j] = up > left ? up : left;
      }
    }
  }
  const total = table[alen * width + blen] as number;
  const reply = ctx.reply;
  if (getLen) return reply.integer(total);

  // Walk back: the subsequence is built from its end, ranges are emitted as they close.
  const result: number[] = getIdx ? [] : new Array<number>(total);
  let idx = total;
  const ranges: number[] = [];
  let aStart = alen; // alen = no range open
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      if (!getIdx) result[idx - 1] = a.charCodeAt(i - 1);
      if (aStart === alen) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const up = table[(i - 1) * width + j] as number;
      const left = table[i * width + j - 1] as number;
      if (up > left) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minMatchLen === 0 || matchLen >= minMatchLen) ranges.push(aStart, aEnd, bStart, bEnd, matchLen);
      aStart = alen;
    }
  }

  if (!getIdx) {
    let text = '';
    for (let k = 0; k < result.length; k += 8192) {
      text += String.fromCharCode(...result.slice(k, k + 8192));
    }
    return reply.bulk(text);
  }
  reply.mapHeader(2);
  reply.bulk('matches');
  reply.arrayHeader(ranges.length / 5);
  for (let k = 0; k < ranges.length; k += 5) {
    reply.arrayHeader(withMatchLen ? 3 : 2);
    reply.arrayHeader(2);
    reply.integer(ranges[k] as number);
    reply.integer(ranges[k + 1] as number);
    reply.arrayHeader(2);
    reply.integer(ranges[k + 2] as number);
    reply.integer(ranges[k + 3] as number);
    if (withMatchLen) reply.integer(ranges[k + 4] as number);
  }
  reply.bulk('len');
  reply.integer(total);
}
