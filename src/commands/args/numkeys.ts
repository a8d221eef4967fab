import { atoi } from '../../util/parse.js';

/**
 * The key positions of a `[destination] numkeys key…` command line (argv[0] is the command:
 * ZUNIONSTORE, ZUNION, SINTERCARD, LMPOP, BZMPOP…), the keys right after numkeys, as Redis's
 * genericGetKeys finds them when the key specs cannot be followed (numkeys not a clean integer,
 * or more keys than arguments): numkeys read by atoi ("2x" is 2), no key at all when it is below
 * 1 or more than the arguments after it, and the destination, if any, after the other keys.
 */
export function numkeysKeyPositions(argv: readonly string[], numkeysIndex: number, destinationIndex = 0): number[] {
  const firstKey = numkeysIndex + 1;
  const count = atoi(argv[numkeysIndex] ?? '');
  if (count < 1 || count > argv.length - firstKey) return [];
  const keys: number[] = [];
  for (let i = 0; i < count; i++) keys.push(firstKey + i);
  if (destinationIndex !== 0) keys.push(destinationIndex);
  return keys;
}
