import { RedisError, ERR_SYNTAX, WRONGTYPE } from '../../errors.js';
import type { Value } from '../../types/value.js';
import { ZSet } from '../../types/zset.js';
import { getDouble, getLongLong, getRangeLong } from '../../util/parse.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { zsetLimits } from './common.js';
import { numkeysKeyPositions } from '../args/numkeys.js';

/** What ZUNION and friends need of a plain set (src/types/set.ts): its members score 1. */
interface PlainSet {
  readonly type: 'set';
  readonly size: number;
  has(member: string): boolean;
  members(): Iterable<string>;
}

type Source = ZSet | PlainSet | null;

const enum SetOp { Union, Inter, Diff }
const enum Aggregate { Sum, Min, Max }

function sourceSize(src: Source): number {
  return src === null ? 0 : src.size;
}

function scoreIn(src: Source, member: string): number | undefined {
  if (src === null) return undefined;
  if (src instanceof ZSet) return src.score(member);
  return src.has(member) ? 1 : undefined;
}

function aggregate(target: number, value: number, how: Aggregate): number {
  if (how === Aggregate.Sum) {
    const sum = target + value;
    // inf + -inf: Redis settles on 0 rather than store a NaN.
    return Number.isNaN(sum) ? 0 : sum;
  }
  if (how === Aggregate.Min) return value < target ? value : target;
  return value > target ? value : target;
}

/** Calls visit(member, score) for each element of a source (scores of plain sets are 1). */
function forEachElement(src: Source, visit: (member: string, score: number) => boolean | void): void {
  if (src === null) return;
  if (src instanceof ZSet) {
    for (let x = src.zsl.first; x !== null; x = x.next) {
      if (visit(x.member, x.score) === false) return;
    }
    return;
  }
  for (const member of src.members()) {
    if (visit(member, 1) === false) return;
  }
}

interface Sourced {
  src: Source;
  weight: number;
}

/** Redis's zunionInterDiffGenericCommand. `dstKey` for the *STORE forms. */
function zsetOp(ctx: CommandContext, argv: string[], numkeysIdx: number, dstKey: string | null, op: SetOp, cardinalityOnly: boolean): void {
  const setnum = getLongLong(argv[numkeysIdx] as string);
  if (setnum < 1) throw new RedisError(`ERR at least 1 input key is needed for '${ctx.commandName}' command`);
  if (setnum > argv.length - (numkeysIdx + 1)) throw new RedisError(ERR_SYNTAX);
  const db = ctx.db;
  const sources: Sourced[] = new Array<Sourced>(setnum);
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const key = argv[j] as string;
    // Redis 7.0 reads the sources as reads even for the STORE forms (keyspace misses, keymiss events).
    const value: Value | undefined = db.lookupRead(key);
    let src: Source = null;
    if (value !== undefined) {
      if (value instanceof ZSet) src = value;
      else if (typeof value !== 'string' && value.type === 'set') src = value as unknown as PlainSet;
      else throw new RedisError(WRONGTYPE);
    }
    sources[i] = { src, weight: 1 };
  }
  let how = Aggregate.Sum;
  let withScores = false;
  let limit = 0;
  let remaining = argv.length - j;
  while (remaining > 0) {
    const opt = (argv[j] as string).toLowerCase();
    if (op !== SetOp.Diff && !cardinalityOnly && remaining >= setnum + 1 && opt === 'weights') {
      j++;
      remaining--;
      for (let i = 0; i < setnum; i++, j++, remaining--) {
        (sources[i] as Sourced).weight = getDouble(argv[j] as string, 'ERR weight value is not a float');
      }
    } else if (op !== SetOp.Diff && !cardinalityOnly && remaining >= 2 && opt === 'aggregate') {
      j++;
      remaining--;
      const name = (argv[j] as string).toLowerCase();
      if (name === 'sum') how = Aggregate.Sum;
      else if (name === 'min') how = Aggregate.Min;
      else if (name === 'max') how = Aggregate.Max;
      else throw new RedisError(ERR_SYNTAX);
      j++;
      remaining--;
    } else if (remaining >= 1 && dstKey === null && !cardinalityOnly && opt === 'withscores') {
      j++;
      remaining--;
      withScores = true;
    } else if (cardinalityOnly && remaining >= 2 && opt === 'limit') {
      j++;
      remaining--;
      limit = getRangeLong(argv[j] as string, 0, Infinity, "ERR LIMIT can't be negative");
      j++;
      remaining--;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  // Smallest first: intersections probe the others from it. Diff keeps the first key first.
  if (op !== SetOp.Diff) sources.sort((a, b) => sourceSize(a.src) - sourceSize(b.src));

  const result = new ZSet();
  let cardinality = 0;
  const first = sources[0] as Sourced;
  if (op === SetOp.Inter) {
    if (sourceSize(first.src) !== 0) {
      forEachElement(first.src, (member, raw) => {
        let score = first.weight * raw;
        if (Number.isNaN(score)) score = 0;
        let k = 1;
        for (; k < setnum; k++) {
          const other = sources[k] as Sourced;
          let value: number | undefined;
          if (other.src === first.src) value = raw;
          else value = scoreIn(other.src, member);
          if (value === undefined) break;
          score = aggregate(score, value * other.weight, how);
        }
        if (k !== setnum) return true;
        if (cardinalityOnly) {
          cardinality++;
          return limit === 0 || cardinality < limit;
        }
        result.insertNew(member, score);
        return true;
      });
    }
  } else if (op === SetOp.Union) {
    const acc = new Map<string, number>();
    for (const { src, weight } of sources) {
      forEachElement(src, (member, raw) => {
        let score = weight * raw;
        if (Number.isNaN(score)) score = 0;
        const existing = acc.get(member);
        acc.set(member, existing === undefined ? score : aggregate(existing, score, how));
      });
    }
    for (const [member, score] of acc) result.insertNew(member, score);
  } else {
    forEachElement(first.src, (member, score) => {
      for (let k = 1; k < setnum; k++) {
        const other = (sources[k] as Sourced).src;
        if (other === first.src || scoreIn(other, member) !== undefined) return;
      }
      result.insertNew(member, score);
    });
  }

  const reply = ctx.reply;
  if (dstKey !== null) {
    if (result.size !== 0) {
      result.fitEncoding(zsetLimits(ctx));
      db.set(dstKey, result);
      reply.integer(result.size);
      db.notify('z', op === SetOp.Union ? 'zunionstore' : op === SetOp.Inter ? 'zinterstore' : 'zdiffstore', dstKey);
      ctx.server.dirty++;
    } else {
      reply.integer(0);
      if (db.delete(dstKey)) {
        db.notify('g', 'del', dstKey);
        ctx.server.dirty++;
      }
    }
    return;
  }
  if (cardinalityOnly) {
    reply.integer(cardinality);
    return;
  }
  const nested = withScores && reply.resp > 2;
  reply.arrayHeader(withScores && !nested ? result.size * 2 : result.size);
  for (let x = result.zsl.first; x !== null; x = x.next) {
    if (nested) reply.arrayHeader(2);
    reply.bulk(x.member);
    if (withScores) reply.double(x.score);
  }
}

function zunionstore(ctx: CommandContext, argv: string[]): void {
  zsetOp(ctx, argv, 2, argv[1] as string, SetOp.Union, false);
}

function zinterstore(ctx: CommandContext, argv: string[]): void {
  zsetOp(ctx, argv, 2, argv[1] as string, SetOp.Inter, false);
}

function zdiffstore(ctx: CommandContext, argv: string[]): void {
  zsetOp(ctx, argv, 2, argv[1] as string, SetOp.Diff, false);
}

function zunion(ctx: CommandContext, argv: string[]): void {
  zsetOp(ctx, argv, 1, null, SetOp.Union, false);
}

function zinter(ctx: CommandContext, argv: string[]): void {
  zsetOp(ctx, argv, 1, null, SetOp.Inter, false);
}

function zdiff(ctx: CommandContext, argv: string[]): void {
  zsetOp(ctx, argv, 1, null, SetOp.Diff, false);
}

function zintercard(ctx: CommandContext, argv: string[]): void {
  zsetOp(ctx, argv, 1, null, SetOp.Inter, true);
}

const storeKeys = (argv: string[]): number[] => numkeysKeyPositions(argv, 2, 1);
const readKeys = (argv: string[]): number[] => numkeysKeyPositions(argv, 1);

export const commands: CommandCode[] = [
  { name: 'zunionstore', handler: zunionstore, getKeys: storeKeys },
  { name: 'zinterstore', handler: zinterstore, getKeys: storeKeys },
  { name: 'zdiffstore', handler: zdiffstore, getKeys: storeKeys },
  { name: 'zunion', handler: zunion, getKeys: readKeys },
  { name: 'zinter', handler: zinter, getKeys: readKeys },
  { name: 'zdiff', handler: zdiff, getKeys: readKeys },
  { name: 'zintercard', handler: zintercard, getKeys: readKeys },
];
