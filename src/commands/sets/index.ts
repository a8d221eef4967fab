import { ensureRoomForMembers } from '../../types/table-limit.js';
import { RedisError, WRONGTYPE, ERR_SYNTAX } from '../../errors.js';
import { SetValue } from '../../types/set.js';
import { CachedNumber } from '../../config/config.js';
import type { Value } from '../../types/value.js';
import { parseScanCursor, scanStep } from '../../keyspace/scan.js';
import { globMatch } from '../../util/glob.js';
import { getRangeLong } from '../../util/parse.js';
import { parseCollectionScanArgs, replyScan } from '../args/scan.js';
import { parseRandomCount, pickDistinct } from '../args/random-count.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { numkeysKeyPositions } from '../args/numkeys.js';

const ERR_POSITIVE = 'ERR value is out of range, must be positive';

function asSet(value: Value | undefined): SetValue | undefined {
  if (value === undefined || value instanceof SetValue) return value;
  throw new RedisError(WRONGTYPE);
}

function readSet(ctx: CommandContext, key: string): SetValue | undefined {
  return asSet(ctx.db.lookupRead(key));
}

const SET_MAX_INTSET = new CachedNumber('set-max-intset-entries');

function maxIntset(ctx: CommandContext): number {
  return SET_MAX_INTSET.of(ctx.server.config);
}

function replyMembers(ctx: CommandContext, set: SetValue): void {
  ctx.reply.setHeader(set.size);
  for (const member of set.members()) ctx.reply.bulk(member);
}

function sadd(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const found = asSet(ctx.db.lookupWrite(key));
  // Checked before the key is made: a refused SADD leaves no empty set behind.
  ensureRoomForMembers(found, argv, 2, 1);
  let set = found;
  if (set === undefined) {
    set = new SetValue();
    ctx.db.set(key, set);
  }
  const limit = maxIntset(ctx);
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (set.add(argv[i] as string, limit)) added++;
  if (added > 0) {
    ctx.db.signalModifiedKey(key);
    ctx.db.notify('s', 'sadd', key);
  }
  ctx.server.dirty += added;
  ctx.reply.integer(added);
}

function srem(ctx: CommandContext, argv: string[]): void {
  const key = argv[1] as string;
  const set = asSet(ctx.db.lookupWrite(key));
  if (set === undefined) return ctx.reply.integer(0);
  let deleted = 0;
  let removed = false;
  for (let i = 2; i < argv.length; i++) {
    if (set.delete(argv[i] as string)) {
      deleted++;
      if (set.size === 0) {
        ctx.db.delete(key);
        removed = true;
        break;
      }
    }
  }
  if (deleted > 0) {
    if (!removed) ctx.db.signalModifiedKey(key);
    ctx.db.notify('s', 'srem', key);
    if (removed) ctx.db.notify('g', 'del', key);
    ctx.server.dirty += deleted;
  }
  ctx.reply.integer(deleted);
}

function scard(ctx: CommandContext, argv: string[]): void {
  ctx.reply.integer(readSet(ctx, argv[1] as string)?.size ?? 0);
}

function sismember(ctx: CommandContext, argv: string[]): void {
  const set = readSet(ctx, argv[1] as string);
  ctx.reply.integer(set !== undefined && set.has(argv[2] as string) ? 1 : 0);
}

function smismember(ctx: CommandContext, argv: string[]): void {
  const set = readSet(ctx, argv[1] as string);
  ctx.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) ctx.reply.integer(set !== undefined && set.has(argv[i] as string) ? 1 : 0);
}

function smembers(ctx: CommandContext, argv: string[]): void {
  const set = readSet(ctx, argv[1] as string);
  if (set === undefined) return ctx.reply.setHeader(0);
  replyMembers(ctx, set);
}

/** Deletes a set that a pop emptied, or signals its change. */
function afterPop(ctx: CommandContext, key: string, set: SetValue): void {
  if (set.size === 0) {
    ctx.db.delete(key);
    ctx.db.notify('g', 'del', key);
  } else {
    ctx.db.signalModifiedKey(key);
  }
}

function spop(ctx: CommandContext, argv: string[]): void {
  if (argv.length === 3) return spopWithCount(ctx, argv);
  if (argv.length > 3) throw new RedisError(ERR_SYNTAX);
  const key = argv[1] as string;
  const set = asSet(ctx.db.lookupWrite(key));
  if (set === undefined) return ctx.reply.nullBulk();
  const member = set.popRandom();
  ctx.db.notify('s', 'spop', key);
  // A random pop is propagated as the removal of what it popped.
  const propagation = ctx.server.propagation;
  if (propagation.active) propagation.rewrite(['SREM', key, member]);
  ctx.reply.bulk(member);
  afterPop(ctx, key, set);
  ctx.server.dirty++;
}

/** Redis pops one by one while many remain, else keeps the few remaining in a new set. */
const SPOP_MOVE_STRATEGY_MUL = 5;

function spopWithCount(ctx: CommandContext, argv: string[]): void {
  const count = getRangeLong(argv[2] as string, 0, Infinity, ERR_POSITIVE);
  const key = argv[1] as string;
  const set = asSet(ctx.db.lookupWrite(key));
  if (set === undefined || count === 0) return ctx.reply.setHeader(0);
  const size = set.size;
  ctx.db.notify('s', 'spop', key);
  const propagation = ctx.server.propagation;
  if (count >= size) {
    ctx.server.dirty += size;
    replyMembers(ctx, set);
    ctx.db.delete(key);
    ctx.db.notify('g', 'del', key);
    if (propagation.active) propagation.rewrite(['DEL', key]);
    return;
  }
  ctx.server.dirty += count;
  ctx.reply.setHeader(count);
  // Propagated as one SREM per member popped, as Redis's spopWithCountCommand does.
  const propagating = propagation.active;
  if (propagating) propagation.prevent();
  for (let k = 0; k < count; k++) {
    const member = set.popRandom();
    ctx.reply.bulk(member);
    if (propagating) propagation.also(ctx.db.id, ['SREM', key, member]);
  }
  // Redis builds the remainder as a new set then, whose encoding is chosen afresh.
  if ((size - count) * SPOP_MOVE_STRATEGY_MUL <= count) set.rebuild(maxIntset(ctx));
  ctx.db.signalModifiedKey(key);
}

function srandmember(ctx: CommandContext, argv: string[]): void {
  if (argv.length === 3) return srandmemberWithCount(ctx, argv);
  if (argv.length > 3) throw new RedisError(ERR_SYNTAX);
  const set = readSet(ctx, argv[1] as string);
  if (set === undefined) return ctx.reply.nullBulk();
  ctx.reply.bulk(set.randomMember());
}

function srandmemberWithCount(ctx: CommandContext, argv: string[]): void {
  const count = parseRandomCount(argv[2] as string).value;
  const set = readSet(ctx, argv[1] as string);
  if (set === undefined || count === 0) return ctx.reply.emptyArray();
  const size = set.size;
  const reply = ctx.reply;
  if (count < 0 || count === 1) {
    const n = Math.abs(count);
    reply.arrayHeader(n);
    for (let k = 0; k < n; k++) reply.bulk(set.randomMember());
    return;
  }
  if (count >= size) {
    reply.arrayHeader(size);
    for (const member of set.members()) reply.bulk(member);
    return;
  }
  reply.arrayHeader(count);
  if (count * 3 > size) {
    // Many of them: positions (Redis copies the set and removes members at random then).
    const chosen = pickDistinct(size, count);
    const members = set.byPosition();
    for (let k = 0; k < count; k++) reply.bulk(members[chosen[k] as number] as string);
    return;
  }
  // A few: draws, skipping repeats (a set's draw index has no positions while members it lost
  // are still in it).
  const seen = new Set<string>();
  while (seen.size < count) {
    const member = set.randomMember();
    if (seen.has(member)) continue;
    seen.add(member);
    reply.bulk(member);
  }
}

function smove(ctx: CommandContext, argv: string[]): void {
  const srcKey = argv[1] as string;
  const dstKey = argv[2] as string;
  const member = argv[3] as string;
  const srcValue = ctx.db.lookupWrite(srcKey);
  const dstValue = ctx.db.lookupWrite(dstKey);
  if (srcValue === undefined) return ctx.reply.integer(0);
  const src = asSet(srcValue) as SetValue;
  let dst = asSet(dstValue);
  if (src === dst) return ctx.reply.integer(src.has(member) ? 1 : 0);
  if (!src.has(member)) return ctx.reply.integer(0);
  // Room for the member where it goes is checked before it leaves the source.
  if (dst !== undefined) ensureRoomForMembers(dst, argv, 3, 1);
  src.delete(member);
  ctx.db.notify('s', 'srem', srcKey);
  if (src.size === 0) {
    ctx.db.delete(srcKey);
    ctx.db.notify('g', 'del', srcKey);
  } else {
    ctx.db.signalModifiedKey(srcKey);
  }
  if (dst === undefined) {
    dst = new SetValue();
    ctx.db.set(dstKey, dst);
  }
  ctx.server.dirty++;
  if (dst.add(member, maxIntset(ctx))) {
    ctx.server.dirty++;
    ctx.db.signalModifiedKey(dstKey);
    ctx.db.notify('s', 'sadd', dstKey);
  }
  ctx.reply.integer(1);
}

/**
 * The sets named by argv[start..end), in order; a missing key is null. Every key is checked
 * for its type, even after a missing one, as Redis does.
 */
function lookupSets(ctx: CommandContext, argv: string[], start: number, end: number): Array<SetValue | null> {
  const sets = new Array<SetValue | null>(end - start);
  for (let i = start; i < end; i++) sets[i - start] = readSet(ctx, argv[i] as string) ?? null;
  return sets;
}

/**
 * Members of the intersection, walking the smallest set; stops after `limit` (0: no limit).
 * `out` receives them unless only the count is wanted.
 */
function intersect(sets: Array<SetValue | null>, limit: number, out: string[] | null): number {
  for (const s of sets) if (s === null) return 0;
  const ordered = (sets as SetValue[]).slice().sort((a, b) => a.size - b.size);
  const first = ordered[0] as SetValue;
  let found = 0;
  outer: for (const member of first.members()) {
    for (let j = 1; j < ordered.length; j++) {
      const other = ordered[j] as SetValue;
      if (other !== first && !other.has(member)) continue outer;
    }
    found++;
    if (out !== null) out.push(member);
    if (limit > 0 && found >= limit) break;
  }
  return found;
}

/** Stores `result` at dstKey (or deletes dstKey when empty) as the *STORE commands do. */
function storeResult(ctx: CommandContext, dstKey: string, result: SetValue, event: string): void {
  if (result.size > 0) {
    ctx.db.set(dstKey, result);
    ctx.reply.integer(result.size);
    ctx.db.notify('s', event, dstKey);
    ctx.server.dirty++;
    return;
  }
  ctx.reply.integer(0);
  if (ctx.db.delete(dstKey)) {
    ctx.server.dirty++;
    ctx.db.notify('g', 'del', dstKey);
  }
}

function toSet(ctx: CommandContext, members: string[]): SetValue {
  const result = new SetValue();
  const limit = maxIntset(ctx);
  for (let i = 0; i < members.length; i++) result.add(members[i] as string, limit);
  return result;
}

function sinter(ctx: CommandContext, argv: string[]): void {
  const sets = lookupSets(ctx, argv, 1, argv.length);
  const members: string[] = [];
  intersect(sets, 0, members);
  ctx.reply.setHeader(members.length);
  for (let i = 0; i < members.length; i++) ctx.reply.bulk(members[i] as string);
}

function sinterstore(ctx: CommandContext, argv: string[]): void {
  const sets = lookupSets(ctx, argv, 2, argv.length);
  const members: string[] = [];
  intersect(sets, 0, members);
  storeResult(ctx, argv[1] as string, toSet(ctx, members), 'sinterstore');
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit] */
function sintercard(ctx: CommandContext, argv: string[]): void {
  const numkeys = getRangeLong(argv[1] as string, 1, Infinity, 'ERR numkeys should be greater than 0');
  if (numkeys > argv.length - 2) throw new RedisError("ERR Number of keys can't be greater than number of args");
  let limit = 0;
  for (let i = 2 + numkeys; i < argv.length; i++) {
    if ((argv[i] as string).toLowerCase() === 'limit' && i + 1 < argv.length) {
      limit = getRangeLong(argv[++i] as string, 0, Infinity, "ERR LIMIT can't be negative");
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  const sets = lookupSets(ctx, argv, 2, 2 + numkeys);
  ctx.reply.integer(intersect(sets, limit, null));
}

/** SUNION/SDIFF into a new set, built like Redis's (so the encoding comes out the same). */
function unionOrDiff(ctx: CommandContext, sets: Array<SetValue | null>, diff: boolean): SetValue {
  const result = new SetValue();
  const limit = maxIntset(ctx);
  if (!diff) {
    for (const s of sets) {
      if (s === null) continue;
      for (const member of s.members()) result.add(member, limit);
    }
    return result;
  }
  const first = sets[0];
  if (first === null || first === undefined) return result;
  for (let j = 1; j < sets.length; j++) if (sets[j] === first) return result;
  outer: for (const member of first.members()) {
    for (let j = 1; j < sets.length; j++) {
      const other = sets[j];
      if (other !== null && other !== undefined && other.has(member)) continue outer;
    }
    result.add(member, limit);
  }
  return result;
}

function sunion(ctx: CommandContext, argv: string[]): void {
  replyMembers(ctx, unionOrDiff(ctx, lookupSets(ctx, argv, 1, argv.length), false));
}

function sdiff(ctx: CommandContext, argv: string[]): void {
  replyMembers(ctx, unionOrDiff(ctx, lookupSets(ctx, argv, 1, argv.length), true));
}

function sunionstore(ctx: CommandContext, argv: string[]): void {
  const result = unionOrDiff(ctx, lookupSets(ctx, argv, 2, argv.length), false);
  storeResult(ctx, argv[1] as string, result, 'sunionstore');
}

function sdiffstore(ctx: CommandContext, argv: string[]): void {
  const result = unionOrDiff(ctx, lookupSets(ctx, argv, 2, argv.length), true);
  storeResult(ctx, argv[1] as string, result, 'sdiffstore');
}

let scanPattern: string | null = null;
let scanItems: string[] = [];
let scanTarget: SetValue | null = null;

function visitScannedMember(member: string): void {
  if (scanPattern === null || globMatch(scanPattern, member)) scanItems.push(member);
}

function startMemberScan(this: void): Iterator<string> {
  return (scanTarget as SetValue).scanMembers();
}

function sscan(ctx: CommandContext, argv: string[]): void {
  const cursor = parseScanCursor(argv[2] as string);
  const set = readSet(ctx, argv[1] as string);
  if (set === undefined) return replyScan(ctx.reply, '0', []);
  const { count, pattern } = parseCollectionScanArgs(argv, 3);
  const items: string[] = [];
  let next = '0';
  if (set.isCompact()) {
    // Like an intset in Redis: everything at once, whatever COUNT says.
    for (const member of set.members()) {
      if (pattern === null || globMatch(pattern, member)) items.push(member);
    }
  } else {
    scanTarget = set;
    scanPattern = pattern;
    scanItems = items;
    try {
      next = scanStep(cursor, set, startMemberScan, count, visitScannedMember);
    } finally {
      scanTarget = null;
      scanItems = [];
    }
  }
  replyScan(ctx.reply, next, items);
}

export const commands: CommandCode[] = [
  { name: 'sadd', handler: sadd },
  { name: 'srem', handler: srem },
  { name: 'scard', handler: scard },
  { name: 'sismember', handler: sismember },
  { name: 'smismember', handler: smismember },
  { name: 'smembers', handler: smembers },
  { name: 'spop', handler: spop },
  { name: 'srandmember', handler: srandmember },
  { name: 'smove', handler: smove },
  { name: 'sinter', handler: sinter },
  { name: 'sintercard', handler: sintercard, getKeys: (argv) => numkeysKeyPositions(argv, 1) },
  { name: 'sinterstore', handler: sinterstore },
  { name: 'sunion', handler: sunion },
  { name: 'sunionstore', handler: sunionstore },
  { name: 'sdiff', handler: sdiff },
  { name: 'sdiffstore', handler: sdiffstore },
  { name: 'sscan', handler: sscan },
];
