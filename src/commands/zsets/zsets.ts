import { ensureRoomForMembers } from '../../types/table-limit.js';
import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { scanStep, parseScanCursor } from '../../keyspace/scan.js';
import { ZSet } from '../../types/zset.js';
import type { SkipNode } from '../../types/skiplist.js';
import { formatDouble17g } from '../../util/format.js';
import { globMatch } from '../../util/glob.js';
import { getDouble, getLongLong, parseLongLongBig } from '../../util/parse.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import {
  parseLexRange, parseScoreRange, readZSet, replyScored, replyScoredHeader, writeZSet, zsetLimits,
} from './common.js';

const ZADD_NX = 1;
const ZADD_XX = 2;
const ZADD_GT = 4;
const ZADD_LT = 8;
const ZADD_CH = 16;
const ZADD_INCR = 32;

const ERR_NAN = 'ERR resulting score is not a number (NaN)';

/**
 * The scores of the ZADD being run (nothing else runs meanwhile), kept for the next call up to
 * SCORE_SCRATCH_KEPT scores: a larger ZADD reads into an array of its own, which goes with it,
 * so one huge ZADD does not hold its size in memory for good.
 */
let scoreScratch = new Float64Array(16);
const SCORE_SCRATCH_KEPT = 1024;

/** Room for `elements` scores: the kept scratch (grown if need be, up to its cap) or a new array. */
function scoreArray(elements: number): Float64Array {
  if (elements <= scoreScratch.length) return scoreScratch;
  if (elements > SCORE_SCRATCH_KEPT) return new Float64Array(elements);
  scoreScratch = new Float64Array(Math.min(SCORE_SCRATCH_KEPT, Math.max(elements, scoreScratch.length * 2)));
  return scoreScratch;
}

/** For tests: how many scores the kept scratch holds. */
export function keptScoreCapacity(): number {
  return scoreScratch.length;
}

/** ZADD and ZINCRBY: Redis's zaddGenericCommand. */
function zaddGeneric(ctx: CommandContext, argv: string[], flags: number): void {
  const key = argv[1] as string;
  let scoreIdx = 2;
  for (; scoreIdx < argv.length; scoreIdx++) {
    const opt = (argv[scoreIdx] as string).toLowerCase();
    if (opt === 'nx') flags |= ZADD_NX;
    else if (opt === 'xx') flags |= ZADD_XX;
    else if (opt === 'ch') flags |= ZADD_CH;
    else if (opt === 'incr') flags |= ZADD_INCR;
    else if (opt === 'gt') flags |= ZADD_GT;
    else if (opt === 'lt') flags |= ZADD_LT;
    else break;
  }
  const nx = (flags & ZADD_NX) !== 0;
  const xx = (flags & ZADD_XX) !== 0;
  const gt = (flags & ZADD_GT) !== 0;
  const lt = (flags & ZADD_LT) !== 0;
  const incr = (flags & ZADD_INCR) !== 0;
  const elementArgs = argv.length - scoreIdx;
  if (elementArgs % 2 !== 0 || elementArgs === 0) throw new RedisError(ERR_SYNTAX);
  const elements = elementArgs / 2;
  if (nx && xx) throw new RedisError('ERR XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    throw new RedisError('ERR GT, LT, and/or NX options at the same time are not compatible');
  }
  if (incr && elements > 1) throw new RedisError('ERR INCR option supports a single increment-element pair');

  // Every score is read before anything changes, as Redis does.
  const scores = scoreArray(elements);
  for (let i = 0; i < elements; i++) scores[i] = getDouble(argv[scoreIdx + i * 2] as string);

  const db = ctx.db;
  let zset = writeZSet(ctx, key);
  // Checked before the key is made: a refused ZADD leaves no empty sorted set behind.
  if (!xx) ensureRoomForMembers(zset, argv, scoreIdx + 1, 2);
  if (zset === undefined) {
    if (xx) {
      if (incr) ctx.reply.nullBulk();
      else ctx.reply.integer(0);
      return;
    }
    zset = new ZSet();
    db.set(key, zset);
  }
  const limits = zsetLimits(ctx);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let newScore = 0;
  for (let i = 0; i < elements; i++) {
    const member = argv[scoreIdx + i * 2 + 1] as string;
    let score = scores[i] as number;
    const current = zset.score(member);
    if (current !== undefined) {
      if (nx) continue;
      if (incr) {
        score += current;
        if (Number.isNaN(score)) {
          finishZadd(ctx, key, added, updated, incr);
          throw new RedisError(ERR_NAN);
        }
      }
      if ((gt && score <= current) || (lt && score >= current)) continue;
      newScore = score;
      processed++;
      if (score !== current) {
        zset.set(member, score, limits);
        updated++;
      }
    } else {
      if (xx) continue;
      zset.set(member, score, limits);
      newScore = score;
      added++;
      processed++;
    }
  }
  finishZadd(ctx, key, added, updated, incr);
  if (incr) {
    if (processed !== 0) ctx.reply.double(newScore);
    else ctx.reply.nullBulk();
  } else {
    ctx.reply.integer((flags & ZADD_CH) !== 0 ? added + updated : added);
  }
}

function finishZadd(ctx: CommandContext, key: string, added: number, updated: number, incr: boolean): void {
  if (added === 0 && updated === 0) return;
  ctx.db.signalModifiedKey(key);
  ctx.db.notify('z', incr ? 'zincr' : 'zadd', key);
  ctx.server.dirty += added + updated;
}

/** ZADD; GEOADD runs it on the arguments it turns into scores. */
export function zadd(ctx: CommandContext, argv: string[]): void {
  zaddGeneric(ctx, argv, 0);
}

function zincrby(ctx: CommandContext, argv: string[]): void {
  // ZINCRBY key increment member is ZADD key INCR increment member.
  zaddGeneric(ctx, argv, ZADD_INCR);
}

function zrem(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const zset = writeZSet(ctx, key);
  if (zset === undefined) {
    ctx.reply.integer(0);
    return;
  }
  let deleted = 0;
  let keyRemoved = false;
  for (let i = 2; i < argv.length; i++) {
    if (zset.delete(argv[i] as string)) {
      deleted++;
      if (zset.size === 0) {
        ctx.db.delete(key);
        keyRemoved = true;
        break;
      }
    }
  }
  if (deleted !== 0) {
    ctx.db.notify('z', 'zrem', key);
    if (keyRemoved) ctx.db.notify('g', 'del', key);
    else ctx.db.signalModifiedKey(key);
    ctx.server.dirty += deleted;
  }
  ctx.reply.integer(deleted);
}

function zcard(ctx: CommandContext, argv: string[]): void {
  const zset = readZSet(ctx, argv[1] as string);
  ctx.reply.integer(zset === undefined ? 0 : zset.size);
}

function zscore(ctx: CommandContext, argv: string[]): void {
  const zset = readZSet(ctx, argv[1] as string);
  const score = zset?.score(argv[2] as string);
  if (score === undefined) ctx.reply.nullBulk();
  else ctx.reply.double(score);
}

function zmscore(ctx: CommandContext, argv: string[]): void {
  const zset = readZSet(ctx, argv[1] as string);
  ctx.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = zset?.score(argv[i] as string);
    if (score === undefined) ctx.reply.nullBulk();
    else ctx.reply.double(score);
  }
}

function rankGeneric(ctx: CommandContext, argv: string[], reverse: boolean): void {
  const zset = readZSet(ctx, argv[1] as string);
  const rank = zset === undefined ? -1 : zset.rank(argv[2] as string, reverse);
  if (rank < 0) ctx.reply.nullBulk();
  else ctx.reply.integer(rank);
}

function zrank(ctx: CommandContext, argv: string[]): void {
  rankGeneric(ctx, argv, false);
}

function zrevrank(ctx: CommandContext, argv: string[]): void {
  rankGeneric(ctx, argv, true);
}

function zcount(ctx: CommandContext, argv: string[]): void {
  const range = parseScoreRange(argv[2] as string, argv[3] as string);
  const zset = readZSet(ctx, argv[1] as string);
  ctx.reply.integer(zset === undefined ? 0 : zset.countInScoreRange(range));
}

function zlexcount(ctx: CommandContext, argv: string[]): void {
  const range = parseLexRange(argv[2] as string, argv[3] as string);
  const zset = readZSet(ctx, argv[1] as string);
  ctx.reply.integer(zset === undefined ? 0 : zset.countInLexRange(range));
}

// ---- ZRANDMEMBER ----

const LONG_MAX = 9223372036854775807n;

function zrandmember(ctx: CommandContext, argv: string[]): void {
  if (argv.length >= 3) {
    const big = parseLongLongBig(argv[2] as string);
    if (big === null) throw new RedisError('ERR value is not an integer or out of range');
    if (big < -LONG_MAX) {
      throw new RedisError('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807');
    }
    let withScores = false;
    if (argv.length > 4 || (argv.length === 4 && (argv[3] as string).toLowerCase() !== 'withscores')) {
      throw new RedisError(ERR_SYNTAX);
    } else if (argv.length === 4) {
      withScores = true;
      if (big < -LONG_MAX / 2n || big > LONG_MAX / 2n) throw new RedisError('ERR value is out of range');
    }
    randWithCount(ctx, argv[1] as string, big, withScores);
    return;
  }
  const zset = readZSet(ctx, argv[1] as string);
  if (zset === undefined) {
    ctx.reply.nullBulk();
    return;
  }
  ctx.reply.bulk((zset.nodeAt(Math.floor(Math.random() * zset.size)) as SkipNode).member);
}

function randWithCount(ctx: CommandContext, key: string, big: bigint, withScores: boolean): void {
  const zset = readZSet(ctx, key);
  if (zset === undefined || big === 0n) {
    ctx.reply.emptyArray();
    return;
  }
  const size = zset.size;
  const nested = withScores && ctx.reply.resp > 2;
  if (big < 0n) {
    // Repeats allowed: each pick is independent.
    const count = Number(-big);
    replyScoredHeader(ctx, count, withScores);
    for (let i = 0; i < count; i++) {
      replyScored(ctx, zset.nodeAt(Math.floor(Math.random() * size)) as SkipNode, withScores, nested);
    }
    return;
  }
  const count = big >= BigInt(size) ? size : Number(big);
  replyScoredHeader(ctx, count, withScores);
  if (count === size) {
    for (let x = zset.zsl.first; x !== null; x = x.next) replyScored(ctx, x, withScores, nested);
    return;
  }
  if (count * 3 > size) {
    // Most of the set: shuffle the ranks and take the first `count`.
    const nodes: SkipNode[] = [];
    for (let x = zset.zsl.first; x !== null; x = x.next) nodes.push(x);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const picked = nodes[j] as SkipNode;
      nodes[j] = nodes[i] as SkipNode;
      nodes[i] = picked;
      replyScored(ctx, picked, withScores, nested);
    }
    return;
  }
  const seen = new Set<number>();
  while (seen.size < count) {
    const rank = Math.floor(Math.random() * size);
    if (seen.has(rank)) continue;
    seen.add(rank);
    replyScored(ctx, zset.nodeAt(rank) as SkipNode, withScores, nested);
  }
}

// ---- ZSCAN ----

function zscan(ctx: CommandContext, argv: string[]): void {
  const cursor = parseScanCursor(argv[2] as string);
  const zset = readZSet(ctx, argv[1] as string);
  if (zset === undefined) {
    ctx.reply.arrayHeader(2);
    ctx.reply.bulk('0');
    ctx.reply.emptyArray();
    return;
  }
  let count = 10;
  let pattern: string | null = null;
  for (let j = 3; j < argv.length; j++) {
    const opt = (argv[j] as string).toLowerCase();
    const moreArgs = argv.length - 1 - j;
    if (opt === 'count' && moreArgs >= 1) {
      count = getLongLong(argv[j + 1] as string);
      if (count < 1) throw new RedisError(ERR_SYNTAX);
      j++;
    } else if (opt === 'match' && moreArgs >= 1) {
      pattern = argv[j + 1] as string;
      // "*" matches everything: skip the matching, as Redis does.
      if (pattern === '*') pattern = null;
      j++;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  const found: Array<[string, number]> = [];
  let next = '0';
  if (zset.compact) {
    for (let x = zset.zsl.first; x !== null; x = x.next) {
      if (pattern === null || globMatch(pattern, x.member)) found.push([x.member, x.score]);
    }
  } else {
    const dict = zset.dict;
    next = scanStep(cursor, dict, () => dict.entries(), count, (entry: [string, SkipNode]) => {
      if (pattern === null || globMatch(pattern, entry[0])) found.push([entry[0], entry[1].score]);
    });
  }
  const reply = ctx.reply;
  reply.arrayHeader(2);
  reply.bulk(next);
  reply.arrayHeader(found.length * 2);
  for (const [member, score] of found) {
    reply.bulk(member);
    // Redis's d2string: %.17g, which prints integral scores as integers too.
    reply.bulk(formatDouble17g(score));
  }
}

export const commands: CommandCode[] = [
  { name: 'zadd', handler: zadd },
  { name: 'zincrby', handler: zincrby },
  { name: 'zrem', handler: zrem },
  { name: 'zcard', handler: zcard },
  { name: 'zscore', handler: zscore },
  { name: 'zmscore', handler: zmscore },
  { name: 'zrank', handler: zrank },
  { name: 'zrevrank', handler: zrevrank },
  { name: 'zcount', handler: zcount },
  { name: 'zlexcount', handler: zlexcount },
  { name: 'zrandmember', handler: zrandmember },
  { name: 'zscan', handler: zscan },
];
