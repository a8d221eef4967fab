import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { ZSet } from '../../types/zset.js';
import { detached } from '../../types/packed.js';
import {
  lexGteMin, lexLteMax, scoreGteMin, scoreLteMax, type LexRange, type ScoreRange, type SkipNode,
} from '../../types/skiplist.js';
import { getLongLong } from '../../util/parse.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import {
  nextNode, parseLexRange, parseScoreRange, readZSet, replyScored, replyScoredHeader, writeZSet, zsetLimits,
} from './common.js';

const enum RangeType { Auto, Rank, Score, Lex }
const enum Direction { Auto, Forward, Reverse }

/** The nodes of 0-based ranks start..end (Redis's index rules), in the walk's direction. */
function nodesByRank(zset: ZSet, start: number, end: number, reverse: boolean): SkipNode[] {
  const llen = zset.size;
  if (start < 0) start = llen + start;
  if (end < 0) end = llen + end;
  if (start < 0) start = 0;
  const out: SkipNode[] = [];
  if (start > end || start >= llen) return out;
  if (end >= llen) end = llen - 1;
  let n = end - start + 1;
  let node = reverse ? zset.nodeAt(llen - 1 - start) : zset.nodeAt(start);
  while (n-- > 0 && node !== null) {
    out.push(node);
    node = nextNode(node, reverse);
  }
  return out;
}

/** Whether a walk over a score (or else lex) range may go on past `node`. */
function stillInRange(node: SkipNode, reverse: boolean, score: ScoreRange | null, lex: LexRange | null): boolean {
  if (score !== null) return reverse ? scoreGteMin(node.score, score) : scoreLteMax(node.score, score);
  const range = lex as LexRange;
  return reverse ? lexGteMin(node.member, range) : lexLteMax(node.member, range);
}

/**
 * The window of a score or lex range (exactly one of them given): skips `offset` nodes, then
 * takes up to `limit` (negative: no limit) while in range. A negative offset skips everything,
 * as Redis's `while (ln && offset--)` does.
 */
function nodesInRange(zset: ZSet, score: ScoreRange | null, lex: LexRange | null, reverse: boolean, offset: number, limit: number): SkipNode[] {
  const out: SkipNode[] = [];
  if ((offset > 0 && offset >= zset.size) || offset < 0) return out;
  const zsl = zset.zsl;
  let node: SkipNode | null;
  if (score !== null) node = reverse ? zsl.lastInScoreRange(score) : zsl.firstInScoreRange(score);
  else node = reverse ? zset.lastInLexRange(lex as LexRange) : zset.firstInLexRange(lex as LexRange);
  while (node !== null && offset-- > 0) node = nextNode(node, reverse);
  while (node !== null && limit-- !== 0) {
    if (!stillInRange(node, reverse, score, lex)) break;
    out.push(node);
    node = nextNode(node, reverse);
  }
  return out;
}

/** Writes the result of ZRANGESTORE: the new set, or deletes the destination when empty. */
function storeResult(ctx: CommandContext, dst: string, nodes: SkipNode[], knownLength: boolean): void {
  const db = ctx.db;
  if (nodes.length !== 0) {
    // Redis adds the members one by one to a new listpack (a skiplist from the start when a
    // rank range is known to be too long), which turns into a skiplist when it outgrows the
    // limits: a -0 added to the listpack reads back as 0, one added after stays -0.
    const limits = zsetLimits(ctx);
    const zset = new ZSet();
    if (knownLength && nodes.length > limits.maxEntries) zset.setCompact(false);
    // Members read from a packed set may be views of its string: copied (packed.ts).
    for (const node of nodes) zset.set(detached(node.member), node.score, limits);
    db.set(dst, zset);
    ctx.reply.integer(nodes.length);
    db.notify('z', 'zrangestore', dst);
    ctx.server.dirty++;
    return;
  }
  ctx.reply.integer(0);
  if (db.delete(dst)) {
    db.notify('g', 'del', dst);
    ctx.server.dirty++;
  }
}

/** Redis's zrangeGenericCommand: every ZRANGE flavour, replying or storing. */
function zrangeGeneric(ctx: CommandContext, argv: string[], keyIdx: number, store: boolean, rangeType: RangeType, direction: Direction): void {
  const key = argv[keyIdx] as string;
  let minIdx = keyIdx + 1;
  let maxIdx = keyIdx + 2;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  for (let j = keyIdx + 3; j < argv.length; j++) {
    const leftArgs = argv.length - j - 1;
    const opt = (argv[j] as string).toLowerCase();
    if (!store && opt === 'withscores') {
      withScores = true;
    } else if (opt === 'limit' && leftArgs >= 2) {
      offset = getLongLong(argv[j + 1] as string);
      limit = getLongLong(argv[j + 2] as string);
      j += 2;
    } else if (direction === Direction.Auto && opt === 'rev') {
      direction = Direction.Reverse;
    } else if (rangeType === RangeType.Auto && opt === 'bylex') {
      rangeType = RangeType.Lex;
    } else if (rangeType === RangeType.Auto && opt === 'byscore') {
      rangeType = RangeType.Score;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  if (rangeType === RangeType.Auto) rangeType = RangeType.Rank;
  const reverse = direction === Direction.Reverse;
  // Redis only notices LIMIT when its count is not -1.
  if (limit !== -1 && rangeType === RangeType.Rank) {
    throw new RedisError('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
  }
  if (withScores && rangeType === RangeType.Lex) {
    throw new RedisError('ERR syntax error, WITHSCORES not supported in combination with BYLEX');
  }
  if (reverse && rangeType !== RangeType.Rank) {
    const tmp = maxIdx;
    maxIdx = minIdx;
    minIdx = tmp;
  }
  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (rangeType === RangeType.Rank) {
    start = getLongLong(argv[minIdx] as string);
    end = getLongLong(argv[maxIdx] as string);
  } else if (rangeType === RangeType.Score) {
    scoreRange = parseScoreRange(argv[minIdx] as string, argv[maxIdx] as string);
  } else {
    lexRange = parseLexRange(argv[minIdx] as string, argv[maxIdx] as string);
  }

  const zset = readZSet(ctx, key);
  let nodes: SkipNode[];
  if (zset === undefined) nodes = [];
  else if (rangeType === RangeType.Rank) nodes = nodesByRank(zset, start, end, reverse);
  else nodes = nodesInRange(zset, scoreRange, lexRange, reverse, offset, limit);

  if (store) {
    storeResult(ctx, argv[1] as string, nodes, rangeType === RangeType.Rank);
    return;
  }
  const nested = withScores && ctx.reply.resp > 2;
  replyScoredHeader(ctx, nodes.length, withScores);
  for (let i = 0; i < nodes.length; i++) replyScored(ctx, nodes[i] as SkipNode, withScores, nested);
}

function zrange(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 1, false, RangeType.Auto, Direction.Auto);
}

function zrangestore(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 2, true, RangeType.Auto, Direction.Auto);
}

function zrevrange(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 1, false, RangeType.Rank, Direction.Reverse);
}

function zrangebyscore(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 1, false, RangeType.Score, Direction.Forward);
}

function zrevrangebyscore(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 1, false, RangeType.Score, Direction.Reverse);
}

function zrangebylex(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 1, false, RangeType.Lex, Direction.Forward);
}

function zrevrangebylex(ctx: CommandContext, argv: string[]): void {
  zrangeGeneric(ctx, argv, 1, false, RangeType.Lex, Direction.Reverse);
}

// ---- ZREMRANGEBY* ----

const REMRANGE_EVENTS = ['', 'zremrangebyrank', 'zremrangebyscore', 'zremrangebylex'];

function zremrangeGeneric(ctx: CommandContext, argv: string[], rangeType: RangeType): void {
  const key = argv[1] as string;
  let start = 0;
  let end = 0;
  let scoreRange: ScoreRange | null = null;
  let lexRange: LexRange | null = null;
  if (rangeType === RangeType.Rank) {
    start = getLongLong(argv[2] as string);
    end = getLongLong(argv[3] as string);
  } else if (rangeType === RangeType.Score) {
    scoreRange = parseScoreRange(argv[2] as string, argv[3] as string);
  } else {
    lexRange = parseLexRange(argv[2] as string, argv[3] as string);
  }
  const zset = writeZSet(ctx, key);
  if (zset === undefined) {
    ctx.reply.integer(0);
    return;
  }
  let deleted: number;
  if (rangeType === RangeType.Rank) {
    const llen = zset.size;
    if (start < 0) start = llen + start;
    if (end < 0) end = llen + end;
    if (start < 0) start = 0;
    if (start > end || start >= llen) {
      ctx.reply.integer(0);
      return;
    }
    if (end >= llen) end = llen - 1;
    deleted = zset.deleteRangeByRank(start, end);
  } else if (scoreRange !== null) {
    deleted = zset.deleteRangeByScore(scoreRange);
  } else {
    deleted = zset.deleteRangeByLex(lexRange as LexRange);
  }
  if (deleted !== 0) {
    const db = ctx.db;
    db.notify('z', REMRANGE_EVENTS[rangeType] as string, key);
    if (zset.size === 0) {
      db.delete(key);
      db.notify('g', 'del', key);
    } else {
      db.signalModifiedKey(key);
    }
  }
  ctx.server.dirty += deleted;
  ctx.reply.integer(deleted);
}

function zremrangebyrank(ctx: CommandContext, argv: string[]): void {
  zremrangeGeneric(ctx, argv, RangeType.Rank);
}

function zremrangebyscore(ctx: CommandContext, argv: string[]): void {
  zremrangeGeneric(ctx, argv, RangeType.Score);
}

function zremrangebylex(ctx: CommandContext, argv: string[]): void {
  zremrangeGeneric(ctx, argv, RangeType.Lex);
}

export const commands: CommandCode[] = [
  { name: 'zrange', handler: zrange },
  { name: 'zrangestore', handler: zrangestore },
  { name: 'zrevrange', handler: zrevrange },
  { name: 'zrangebyscore', handler: zrangebyscore },
  { name: 'zrevrangebyscore', handler: zrevrangebyscore },
  { name: 'zrangebylex', handler: zrangebylex },
  { name: 'zrevrangebylex', handler: zrevrangebylex },
  { name: 'zremrangebyrank', handler: zremrangebyrank },
  { name: 'zremrangebyscore', handler: zremrangebyscore },
  { name: 'zremrangebylex', handler: zremrangebylex },
];
