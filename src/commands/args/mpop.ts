import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { getRangeLong } from '../../util/parse.js';

/** The arguments of LMPOP/BLMPOP and ZMPOP/BZMPOP after the timeout. */
export interface MpopArgs {
  numkeys: number;
  /** LEFT (lists) or MIN (sorted sets): the first of the two end words. */
  fromFirst: boolean;
  /** COUNT, 1 when not given. */
  count: number;
}

/**
 * numkeys, the keys, one of two end words (`first`/`second`, any case) and an optional COUNT,
 * with `numkeysIndex` where numkeys is; Redis's errors for each.
 */
export function parseMpopArgs(argv: readonly string[], numkeysIndex: number, first: string, second: string): MpopArgs {
  const numkeys = getRangeLong(argv[numkeysIndex] as string, 1, Infinity, 'ERR numkeys should be greater than 0');
  const whereIndex = numkeysIndex + numkeys + 1;
  if (whereIndex >= argv.length) throw new RedisError(ERR_SYNTAX);
  const where = (argv[whereIndex] as string).toLowerCase();
  if (where !== first && where !== second) throw new RedisError(ERR_SYNTAX);
  let count = -1;
  for (let j = whereIndex + 1; j < argv.length; j++) {
    if (count === -1 && j + 1 < argv.length && (argv[j] as string).toLowerCase() === 'count') {
      count = getRangeLong(argv[++j] as string, 1, Infinity, 'ERR count should be greater than 0');
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  return { numkeys, fromFirst: where === first, count: count === -1 ? 1 : count };
}
