import { RedisError, WRONGTYPE } from '../../errors.js';
import type { Value } from '../../types/value.js';
import { ZSet, type ZSetLimits } from '../../types/zset.js';
import type { LexRange, ScoreRange, SkipNode } from '../../types/skiplist.js';
import { parseStrtod } from '../../util/parse.js';
import { CachedNumber } from '../../config/config.js';
import type { CommandContext } from '../core/context.js';

export const ERR_MINMAX_NOT_FLOAT = 'ERR min or max is not a float';
export const ERR_MINMAX_NOT_LEX = 'ERR min or max not valid string range item';

const ZSET_MAX_ENTRIES = new CachedNumber('zset-max-listpack-entries');
const ZSET_MAX_VALUE = new CachedNumber('zset-max-listpack-value');

/** Reused by every write: the encoding limits as configured right now. */
const limits: ZSetLimits = { maxEntries: 128, maxValue: 64 };

export function zsetLimits(ctx: CommandContext): ZSetLimits {
  const config = ctx.server.config;
  limits.maxEntries = ZSET_MAX_ENTRIES.of(config);
  limits.maxValue = ZSET_MAX_VALUE.of(config);
  return limits;
}

/** The sorted set at `value`, undefined when absent; WRONGTYPE for any other type. */
export function asZSet(value: Value | undefined): ZSet | undefined {
  if (value === undefined) return undefined;
  if (value instanceof ZSet) return value;
  throw new RedisError(WRONGTYPE);
}

export function readZSet(ctx: CommandContext, key: string): ZSet | undefined {
  return asZSet(ctx.db.lookupRead(key));
}

export function writeZSet(ctx: CommandContext, key: string): ZSet | undefined {
  return asZSet(ctx.db.lookupWrite(key));
}

/** Deletes a sorted set a command emptied (the caller emits `del` after its own event). */
export function deleteIfEmpty(ctx: CommandContext, key: string, zset: ZSet): boolean {
  if (zset.size !== 0) return false;
  ctx.db.delete(key);
  return true;
}

/** One bound of a score range as zslParseRange reads it: "(" for exclusive, then strtod. */
function parseScoreBound(text: string, exclusive: boolean): number {
  const value = parseStrtod(exclusive ? text.slice(1) : text);
  if (value === null) throw new RedisError(ERR_MINMAX_NOT_FLOAT);
  return value;
}

export function parseScoreRange(min: string, max: string): ScoreRange {
  const minex = min.charCodeAt(0) === 40;
  const maxex = max.charCodeAt(0) === 40;
  return { min: parseScoreBound(min, minex), max: parseScoreBound(max, maxex), minex, maxex };
}

/** "-" / "+" / "[member" / "(member", or null. */
function parseLexBound(text: string, range: LexRange, isMin: boolean): boolean {
  const c = text.charCodeAt(0);
  let value = '';
  let ex = false;
  let inf: -1 | 0 | 1 = 0;
  if (c === 43 || c === 45) {
    if (text.length !== 1) return false;
    inf = c === 43 ? 1 : -1;
    ex = true;
  } else if (c === 40 || c === 91) {
    value = text.slice(1);
    ex = c === 40;
  } else {
    return false;
  }
  if (isMin) {
    range.min = value;
    range.minex = ex;
    range.minInf = inf;
  } else {
    range.max = value;
    range.maxex = ex;
    range.maxInf = inf;
  }
  return true;
}

export function parseLexRange(min: string, max: string): LexRange {
  const range: LexRange = { min: '', max: '', minex: false, maxex: false, minInf: 0, maxInf: 0 };
  if (!parseLexBound(min, range, true) || !parseLexBound(max, range, false)) throw new RedisError(ERR_MINMAX_NOT_LEX);
  return range;
}

/** A member and its score, as RESP2 (flat) or RESP3 (a pair of its own when `nested`). */
export function replyScored(ctx: CommandContext, node: SkipNode, withScores: boolean, nested: boolean): void {
  const reply = ctx.reply;
  if (!withScores) {
    reply.bulk(node.member);
    return;
  }
  if (nested) reply.arrayHeader(2);
  reply.bulk(node.member);
  reply.double(node.score);
}

/** Array header for `count` results, scores in RESP2 doubling the length. */
export function replyScoredHeader(ctx: CommandContext, count: number, withScores: boolean): void {
  ctx.reply.arrayHeader(withScores && ctx.reply.resp === 2 ? count * 2 : count);
}

/** The next node of a walk in either direction. */
export function nextNode(node: SkipNode, reverse: boolean): SkipNode | null {
  return reverse ? node.backward : node.next;
}
