import { RedisError, ERR_SYNTAX, WRONGTYPE } from '../../errors.js';
import type { Database } from '../../keyspace/database.js';
import { detached } from '../../types/packed.js';
import type { HashValue } from '../../types/hash.js';
import { List } from '../../types/list.js';
import type { SetValue } from '../../types/set.js';
import type { ZSet } from '../../types/zset.js';
import { getLongLong } from '../../util/parse.js';
import { partialSort } from '../../util/pqsort.js';
import { strtodChecked } from '../../util/strtod.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { isStringValue } from '../../types/value.js';
import { stringValueText } from '../../types/mutable-string.js';

const ERR_SCORES = 'ERR One or more scores can\'t be converted into double';

/** One element being sorted, with what it sorts by. */
interface SortItem {
  obj: string;
  /** Numeric sort: the weight. */
  score: number;
  /** ALPHA: the text compared; null when a BY key is missing (it sorts first). */
  key: string | null;
}

/** The options of one SORT, in the order Redis parses them. */
interface SortOptions {
  desc: boolean;
  alpha: boolean;
  limitStart: number;
  limitCount: number;
  /** BY pattern, or null. */
  sortBy: string | null;
  /** BY a pattern without '*': keep the natural order. */
  dontSort: boolean;
  store: string | null;
  gets: string[];
}

// How the comparator sorts; set before each sort (the comparator is one shared function).
let sortDesc = false;
let sortAlpha = false;

/** The part of a latin1 string a C string function sees: up to the first NUL byte. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul === -1 ? s : s.slice(0, nul);
}

/** Redis's strchr on a C string. */
function cIndexOf(s: string, ch: string, from = 0): number {
  const at = s.indexOf(ch, from);
  if (at === -1) return -1;
  const nul = s.indexOf('\0');
  return nul !== -1 && nul < at ? -1 : at;
}

/**
 * Numeric order by weight, equal weights by the elements' bytes; ALPHA order by the compared
 * texts, missing ones first. Texts are compared by their bytes: without STORE Redis uses
 * strcoll, which in the C and C.UTF-8 locales is strcmp (they were cut at NUL beforehand).
 */
function compareItems(a: SortItem, b: SortItem): number {
  let c: number;
  if (!sortAlpha) {
    if (a.score > b.score) c = 1;
    else if (a.score < b.score) c = -1;
    else c = a.obj < b.obj ? -1 : a.obj > b.obj ? 1 : 0;
  } else {
    const ka = a.key;
    const kb = b.key;
    if (ka === null || kb === null) c = ka === kb ? 0 : ka === null ? -1 : 1;
    else c = ka < kb ? -1 : ka > kb ? 1 : 0;
  }
  return sortDesc ? -c : c;
}

/**
 * Whether the user running SORT may read every key (Redis's user_has_full_key_access): BY with a
 * pattern and GET read keys that no argument names. A script's commands run as its caller.
 */
function mayReadAnyKey(ctx: CommandContext, argv: readonly string[]): boolean {
  const user = ctx.scriptRun !== null ? ctx.scriptRun.caller.user : ctx.user;
  if (user.unrestricted) return true;
  const resolved = ctx.server.commands.find(argv[0] as string);
  return resolved === undefined || ctx.server.acl.mayReadAnyKey(user, resolved, argv);
}

function parseOptions(argv: string[], readonly: boolean, fullKeyAccess: boolean): SortOptions {
  const opts: SortOptions = {
    desc: false, alpha: false, limitStart: 0, limitCount: -1, sortBy: null, dontSort: false, store: null, gets: [],
  };
  const argc = argv.length;
  for (let j = 2; j < argc; j++) {
    const arg = (argv[j] as string).toLowerCase();
    const left = argc - j - 1;
    if (arg === 'asc') {
      opts.desc = false;
    } else if (arg === 'desc') {
      opts.desc = true;
    } else if (arg === 'alpha') {
      opts.alpha = true;
    } else if (arg === 'limit' && left >= 2) {
      opts.limitStart = getLongLong(argv[j + 1] as string);
      opts.limitCount = getLongLong(argv[j + 2] as string);
      j += 2;
    } else if (!readonly && arg === 'store' && left >= 1) {
      opts.store = argv[++j] as string;
    } else if (arg === 'by' && left >= 1) {
      const pattern = argv[++j] as string;
      opts.sortBy = pattern;
      // Never cleared again: a later BY with '*' still does not sort, as in Redis.
      if (cIndexOf(pattern, '*') === -1) opts.dontSort = true;
      else if (!fullKeyAccess) throw new RedisError('ERR BY option of SORT denied due to insufficient ACL permissions.');
    } else if (arg === 'get' && left >= 1) {
      if (!fullKeyAccess) throw new RedisError('ERR GET option of SORT denied due to insufficient ACL permissions.');
      opts.gets.push(argv[++j] as string);
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  return opts;
}

/**
 * Redis's lookupKeyByPattern: '#' is the element itself; otherwise the first '*' is replaced
 * by the element and the key read, or with "->field" after the '*' a field of a hash. Like
 * Redis, the '*', "->" and "#" are looked for as in C strings (up to a NUL byte), while the
 * key and field take the whole pattern.
 */
function lookupByPattern(db: Database, pattern: string, subst: string): string | null {
  if (pattern.charCodeAt(0) === 35 && (pattern.length === 1 || pattern.charCodeAt(1) === 0)) return subst;
  const star = cIndexOf(pattern, '*');
  if (star === -1) return null;
  const arrow = cIndexOf(pattern, '->', star + 1);
  let keyEnd = pattern.length;
  let field: string | null = null;
  if (arrow !== -1 && arrow + 2 < pattern.length && pattern.charCodeAt(arrow + 2) !== 0) {
    field = pattern.slice(arrow + 2);
    keyEnd = arrow;
  }
  const key = pattern.slice(0, star) + subst + pattern.slice(star + 1, keyEnd);
  const value = db.lookupRead(key);
  if (value === undefined) return null;
  if (field === null) return isStringValue(value) ? stringValueText(value) : null;
  if (typeof value === 'string' || value.type !== 'hash') return null;
  return (value as HashValue).get(field) ?? null;
}

function newItem(obj: string): SortItem {
  return { obj, score: 0, key: null };
}

/** The elements of a list: all of them, or the n from `start` (counted from the tail if desc). */
function loadList(list: List, vector: SortItem[], from: number, n: number, desc: boolean): void {
  if (desc) for (let i = 0; i < n; i++) vector.push(newItem(list.get(from - i)));
  else for (let i = 0; i < n; i++) vector.push(newItem(list.get(from + i)));
}

/** n members of a sorted set in score order from 0-based rank `from` (downwards if desc). */
function loadZSetRange(zset: ZSet, vector: SortItem[], from: number, n: number, desc: boolean): void {
  let node = zset.nodeAt(from);
  for (let i = 0; i < n && node !== null; i++) {
    vector.push(newItem(node.member));
    node = desc ? node.backward : node.next;
  }
}

function sortGeneric(ctx: CommandContext, argv: string[], readonly: boolean): void {
  const opts = parseOptions(argv, readonly, mayReadAnyKey(ctx, argv));
  const db = ctx.db;
  const found = db.lookupRead(argv[1] as string);
  if (found !== undefined && (typeof found === 'string' || (found.type !== 'list' && found.type !== 'set' && found.type !== 'zset'))) {
    throw new RedisError(WRONGTYPE);
  }
  const sortval = found ?? new List();
  const { desc, store, gets } = opts;
  let { alpha, sortBy, dontSort } = opts;

  // A set has no order of its own: when it would be stored unsorted, Redis sorts it so that
  // the stored list is the same on replicas and in the AOF.
  if (dontSort && sortval.type === 'set' && store !== null) {
    dontSort = false;
    alpha = true;
    sortBy = null;
  }
  // Redis converts a listpack sorted set to a skiplist to sort it, for good.
  if (found !== undefined && sortval.type === 'zset') (sortval as ZSet).setCompact(false);

  let vectorlen = sortval.size;
  let start = Math.min(Math.max(opts.limitStart, 0), vectorlen);
  const count = Math.min(Math.max(opts.limitCount, -1), vectorlen);
  let end = count < 0 ? vectorlen - 1 : start + count - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;

  // Lists and sorted sets already have an order: unsorted, only the range asked for is read.
  const ordered = sortval.type === 'list' || sortval.type === 'zset';
  if (ordered && dontSort && (start !== 0 || end !== vectorlen - 1)) vectorlen = end - start + 1;

  const vector: SortItem[] = [];
  if (sortval.type === 'list') {
    const list = sortval as List;
    if (!dontSort) {
      loadList(list, vector, 0, vectorlen, false);
    } else if (end >= start) {
      loadList(list, vector, desc ? list.size - start - 1 : start, vectorlen, desc);
      end -= start;
      start = 0;
    }
  } else if (sortval.type === 'set') {
    const set = sortval as SetValue;
    for (const member of set.members()) vector.push(newItem(member));
  } else {
    const zset = sortval as ZSet;
    if (dontSort) {
      loadZSetRange(zset, vector, desc ? zset.size - start - 1 : start, vectorlen, desc);
      end -= start;
      start = 0;
    } else {
      loadZSetRange(zset, vector, 0, vectorlen, false);
    }
  }

  let conversionError = false;
  if (!dontSort) {
    const binary = store !== null;
    for (let j = 0; j < vector.length; j++) {
      const item = vector[j] as SortItem;
      const byval = sortBy !== null ? lookupByPattern(db, sortBy, item.obj) : item.obj;
      if (byval === null) continue;
      if (alpha) {
        item.key = binary ? byval : cString(byval);
      } else {
        const score = strtodChecked(byval);
        if (score === null) conversionError = true;
        else item.score = score;
      }
    }
    sortDesc = desc;
    sortAlpha = alpha;
    if (sortBy !== null && (start !== 0 || end !== vector.length - 1)) partialSort(vector, compareItems, start, end);
    else vector.sort(compareItems);
  }

  const outputlen = gets.length !== 0 ? gets.length * (end - start + 1) : end - start + 1;
  if (conversionError) throw new RedisError(ERR_SCORES);
  if (store === null) {
    const reply = ctx.reply;
    reply.arrayHeader(outputlen);
    for (let j = start; j <= end; j++) {
      const obj = (vector[j] as SortItem).obj;
      if (gets.length === 0) reply.bulk(obj);
      for (const pattern of gets) {
        const val = lookupByPattern(db, pattern, obj);
        if (val === null) reply.nullBulk();
        else reply.bulk(val);
      }
    }
    return;
  }
  // Equal ALPHA sort keys taken from other keys (BY) leave elements in their input order,
  // which for a set is the order of its hash table: another server replaying SORT would store
  // another list. Such a result is propagated as the list itself.
  const orderOfTies = sortval.type === 'set' && alpha && sortBy !== null && !dontSort;
  storeResult(ctx, store, vector, start, end, gets, outputlen, orderOfTies);
}

/** STORE: the result as a list (missing GET values as empty strings), or no key at all. */
function storeResult(ctx: CommandContext, store: string, vector: SortItem[], start: number, end: number, gets: string[], outputlen: number,
  propagateList: boolean): void {
  const db = ctx.db;
  const list = new List(outputlen);
  for (let j = start; j <= end; j++) {
    const obj = (vector[j] as SortItem).obj;
    // Members and hash values read from a packed collection may be views of its string
    // (packed.ts): the stored list gets copies, not to keep that string alive.
    if (gets.length === 0) list.pushRight(detached(obj));
    for (const pattern of gets) list.pushRight(detached(lookupByPattern(db, pattern, obj) ?? ''));
  }
  if (outputlen !== 0) {
    // setKey looks the destination up first, which expires a stale one.
    db.lookupWrite(store);
    db.set(store, list);
    db.notify('l', 'sortstore', store);
    ctx.server.dirty += outputlen;
    const propagation = ctx.server.propagation;
    if (propagateList && propagation.active) {
      propagation.prevent();
      propagation.also(db.id, ['DEL', store]);
      propagation.also(db.id, ['RPUSH', store, ...list.toArray()]);
    }
  } else if (db.delete(store)) {
    db.notify('g', 'del', store);
    ctx.server.dirty++;
  }
  ctx.reply.integer(outputlen);
}

function sort(ctx: CommandContext, argv: string[]): void {
  sortGeneric(ctx, argv, false);
}

function sortRo(ctx: CommandContext, argv: string[]): void {
  sortGeneric(ctx, argv, true);
}

/**
 * Redis's sortGetKeys: the sorted key, and the key after the last STORE. Every word is
 * looked at as an option name, skipping the arguments of LIMIT, GET and BY only.
 */
function sortKeyPositions(argv: readonly string[]): number[] {
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    const arg = (argv[i] as string).toLowerCase();
    if (arg === 'limit') i += 2;
    else if (arg === 'get' || arg === 'by') i += 1;
    else if (arg === 'store' && i + 1 < argv.length) store = i + 1;
  }
  return store === -1 ? [1] : [1, store];
}

const SORT_KEY_FLAGS = ['RO', 'access'];
const STORE_KEY_FLAGS = ['OW', 'update'];

export const commands: CommandCode[] = [
  {
    name: 'sort', handler: sort, getKeys: sortKeyPositions,
    getKeysAndFlags: (argv) => sortKeyPositions(argv).map((pos) => ({ pos, flags: pos === 1 ? SORT_KEY_FLAGS : STORE_KEY_FLAGS })),
  },
  { name: 'sort_ro', handler: sortRo, getKeys: () => [1], getKeysAndFlags: () => [{ pos: 1, flags: SORT_KEY_FLAGS }] },
];
