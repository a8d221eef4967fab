import { parseLongLong, parseLongLongBig } from '../../util/parse.js';
import type { KeySpec } from './command-data.js';
import type { ResolvedCommand } from './context.js';

/** A key found in a command line: its argv position and the flags of the spec that found it. */
export interface FoundKey {
  pos: number;
  flags: readonly string[];
}

const NO_FLAGS: readonly string[] = [];

/** Whether the command takes keys at all (COMMAND GETKEYS). */
export function commandHasKeys(resolved: ResolvedCommand): boolean {
  if (resolved.spec.getKeys !== undefined) return true;
  return resolved.spec.keySpecs.some((s) => !s.flags.includes('not_key'));
}

/**
 * Redis's getKeysUsingKeySpecs: the keys of argv by the specs, or null when a spec cannot be
 * followed (unknown, or a bad key count) and the command's own key finder must decide.
 */
function keysBySpecs(specs: readonly KeySpec[], argv: readonly string[]): FoundKey[] | null {
  const argc = argv.length;
  const keys: FoundKey[] = [];
  for (const spec of specs) {
    if (spec.flags.includes('not_key')) continue;
    let first: number;
    const begin = spec.begin_search;
    if (begin.type === 'index') {
      first = begin.spec.index;
    } else if (begin.type === 'keyword') {
      const { keyword, startfrom } = begin.spec;
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
    const find = spec.find_keys;
    if (find.type === 'range') {
      const { lastkey, keystep, limit } = find.spec;
      step = keystep;
      if (lastkey >= 0) last = first + lastkey;
      else if (limit === 0) last = argc + lastkey;
      else last = first + Math.floor((argc - first) / limit) + lastkey;
    } else if (find.type === 'keynum') {
      const { keynumidx, firstkey, keystep } = find.spec;
      const text = first + keynumidx < argc ? (argv[first + keynumidx] as string) : '';
      const count = parseLongLong(text);
      if (count === null || count < 0) return null;
      first += firstkey;
      step = keystep;
      // Redis casts the count to an int: 4294967298 keys are 2.
      const asInt = count <= 0x7fffffff ? count : Number(BigInt.asIntN(32, parseLongLongBig(text) as bigint));
      last = first + (asInt - 1) * step;
    } else {
      return null;
    }
    // Redis 7.0 gives up on the specs here and asks the command's own key finder.
    if (last >= argc || last < first) return null;
    for (let i = first; i <= last; i += step) keys.push({ pos: i, flags: spec.flags });
    // A spec that may miss keys (MIGRATE's KEYS) leaves the answer to the command's own finder.
    if (spec.flags.includes('incomplete')) return null;
  }
  return keys;
}

/**
 * The keys of a full command line (argv[0] is the command): by key specs, or by the command's
 * own key finder when the specs cannot be followed or a key's flags depend on the arguments
 * (variable_flags, e.g. SET … GET).
 */
export function findKeys(resolved: ResolvedCommand, argv: readonly string[]): FoundKey[] {
  const spec = resolved.spec;
  const specs = spec.keySpecs;
  const hasFinder = spec.getKeys !== undefined || spec.getKeysAndFlags !== undefined;
  if (!hasFinder || !specs.some((s) => s.flags.includes('variable_flags'))) {
    const found = keysBySpecs(specs, argv);
    if (found !== null) return found;
  }
  const withFlags = spec.getKeysAndFlags;
  if (withFlags !== undefined) return withFlags(argv);
  const getKeys = spec.getKeys;
  if (getKeys === undefined) return [];
  // Redis's own key finders of these commands (genericGetKeys) give no flags.
  return getKeys(argv as string[]).map((pos) => ({ pos, flags: NO_FLAGS }));
}
