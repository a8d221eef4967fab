import { parseLongLong } from '../../util/parse.js';
import { metaOf } from './categories.js';
import type { ResolvedCommand } from './registry.js';

/** Redis 7.0's key spec: where a command's keys start and how many follow. */
export interface KeySpec {
  /** Redis's free-text notes on the spec, shown first by COMMAND INFO when present. */
  notes?: string;
  flags: string[];
  begin:
    | { type: 'index'; index: number }
    | { type: 'keyword'; keyword: string; startfrom: number }
    | { type: 'unknown' };
  find:
    | { type: 'range'; lastkey: number; keystep: number; limit: number }
    | { type: 'keynum'; keynumidx: number; firstkey: number; keystep: number }
    | { type: 'unknown' };
}

/** A key found in a command line: its argv position and the flags of the spec that found it. */
export interface FoundKey {
  pos: number;
  flags: string[];
}

const parsed = new Map<string, KeySpec[]>();

/** Parses the compact 'flags|begin|find[|notes]' notation of command-meta.ts. */
function parseSpec(text: string): KeySpec {
  const [flags, begin, find, notes] = text.split('|') as [string, string, string, string | undefined];
  const spec: KeySpec = { flags: flags === '' ? [] : flags.split(' '), begin: { type: 'unknown' }, find: { type: 'unknown' } };
  if (notes !== undefined) spec.notes = notes;
  if (begin[0] === 'i') {
    spec.begin = { type: 'index', index: Number(begin.slice(1)) };
  } else if (begin[0] === 'k') {
    const comma = begin.lastIndexOf(',');
    spec.begin = { type: 'keyword', keyword: begin.slice(1, comma), startfrom: Number(begin.slice(comma + 1)) };
  }
  const nums = find.slice(1).split(',').map(Number) as [number, number, number];
  if (find[0] === 'r') spec.find = { type: 'range', lastkey: nums[0], keystep: nums[1], limit: nums[2] };
  else if (find[0] === 'n') spec.find = { type: 'keynum', keynumidx: nums[0], firstkey: nums[1], keystep: nums[2] };
  return spec;
}

/**
 * The key specs of a command: Redis's, or for a command Redis does not have, one spec made
 * from the legacy key range of its spec.
 */
export function keySpecsOf(resolved: ResolvedCommand): KeySpec[] {
  const cached = parsed.get(resolved.fullName);
  if (cached !== undefined) return cached;
  const meta = metaOf(resolved);
  let specs: KeySpec[] = [];
  if (meta !== undefined) {
    specs = (meta.keys ?? []).map(parseSpec);
  } else if (resolved.spec.keys !== undefined && resolved.spec.keys.first > 0) {
    const { first, last, step } = resolved.spec.keys;
    specs = [{
      flags: [],
      begin: { type: 'index', index: first },
      find: { type: 'range', lastkey: last < 0 ? last : last - first, keystep: step, limit: 0 },
    }];
  }
  parsed.set(resolved.fullName, specs);
  return specs;
}

/** Whether any key spec is more than an index and a range (Redis's movablekeys). */
export function hasMovableKeys(resolved: ResolvedCommand): boolean {
  if (resolved.spec.flags.includes('movablekeys')) return true;
  for (const spec of keySpecsOf(resolved)) {
    if (spec.begin.type !== 'index' || spec.find.type !== 'range') return true;
  }
  return false;
}

/** Whether the command takes keys at all (COMMAND GETKEYS). */
export function commandHasKeys(resolved: ResolvedCommand): boolean {
  if (resolved.spec.getKeys !== undefined) return true;
  return keySpecsOf(resolved).some((s) => !s.flags.includes('not_key'));
}

/**
 * Redis's getKeysUsingKeySpecs: the keys of argv by the specs, or null when a spec cannot be
 * followed (unknown, or a bad key count) and the command's own key finder must decide.
 */
function keysBySpecs(specs: KeySpec[], argv: readonly string[]): FoundKey[] | null {
  const argc = argv.length;
  const keys: FoundKey[] = [];
  for (const spec of specs) {
    if (spec.flags.includes('not_key')) continue;
    let first: number;
    if (spec.begin.type === 'index') {
      first = spec.begin.index;
    } else if (spec.begin.type === 'keyword') {
      const { keyword, startfrom } = spec.begin;
      // As Redis does, the search stops before the last argument (or before argv[0] backwards).
      const start = startfrom > 0 ? startfrom : argc + startfrom;
      const end = startfrom > 0 ? argc - 1 : 0;
      const dir = start <= end ? 1 : -1;
      first = 0;
      for (let i = start; i !== end; i += dir) {
        if (i < 1 || i >= argc) break;
        if ((argv[i] as string).toLowerCase() === keyword.toLowerCase()) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    } else {
      return null;
    }
    let last: number;
    let step: number;
    const find = spec.find;
    if (find.type === 'range') {
      step = find.keystep;
      if (find.lastkey >= 0) last = first + find.lastkey;
      else if (find.limit === 0) last = argc + find.lastkey;
      else last = first + Math.floor((argc - first) / find.limit) + find.lastkey;
    } else if (find.type === 'keynum') {
      const count = first + find.keynumidx < argc ? parseLongLong(argv[first + find.keynumidx] as string) : null;
      if (count === null || count < 0) return null;
      first += find.firstkey;
      step = find.keystep;
      last = first + (count - 1) * step;
    } else {
      return null;
    }
    // Redis 7.0 gives up on the specs here and asks the command's own key finder.
    if (last >= argc || last < first) return null;
    for (let i = first; i <= last; i += step) keys.push({ pos: i, flags: spec.flags });
  }
  return keys;
}

/** The keys of a full command line (argv[0] is the command), by key specs or the spec's getKeys. */
export function findKeys(resolved: ResolvedCommand, argv: readonly string[]): FoundKey[] {
  const specs = keySpecsOf(resolved);
  const variable = specs.some((s) => s.flags.includes('variable_flags'));
  if (!variable || resolved.spec.getKeys === undefined) {
    const found = keysBySpecs(specs, argv);
    if (found !== null) return variable ? withVariableFlags(resolved, argv, found) : found;
  }
  const withFlags = resolved.spec.getKeysAndFlags;
  if (withFlags !== undefined) return withFlags(argv);
  const getKeys = resolved.spec.getKeys;
  if (getKeys === undefined) return [];
  const flags = specs[0]?.flags ?? [];
  return getKeys(argv as string[]).map((pos) => ({ pos, flags }));
}

/** SET's key is only read when it has GET; Redis's setGetKeys reports that. */
function withVariableFlags(resolved: ResolvedCommand, argv: readonly string[], found: FoundKey[]): FoundKey[] {
  if (resolved.fullName !== 'set' || found.length === 0) return found;
  let get = false;
  for (let i = 3; i < argv.length; i++) if ((argv[i] as string).toLowerCase() === 'get') get = true;
  const flags = get ? ['RW', 'access', 'update'] : ['OW', 'update'];
  return found.map((k) => ({ pos: k.pos, flags }));
}
