import { RedisError, ERR_SYNTAX } from '../../errors.js';
import { getLongLong } from '../../util/parse.js';
import type { ReplyWriter } from '../../protocol/reply.js';

/** The options of SCAN/HSCAN/SSCAN/ZSCAN after the cursor. */
export interface ScanArgs {
  count: number;
  /** null when there is no pattern or it is "*" (matches everything). */
  pattern: string | null;
  /** SCAN's TYPE, lowercased; null when not given. */
  typeName: string | null;
}

/**
 * Parses [MATCH pattern] [COUNT count] and, for SCAN (`allowType`), [TYPE type] from argv[start]:
 * Redis's scanGenericCommand step 1 (TYPE on a collection is a syntax error).
 */
export function parseScanArgs(argv: string[], start: number, allowType: boolean): ScanArgs {
  let count = 10;
  let pattern: string | null = null;
  let typeName: string | null = null;
  for (let i = start; i < argv.length; i += 2) {
    const opt = (argv[i] as string).toLowerCase();
    const hasValue = i + 1 < argv.length;
    if (opt === 'count' && hasValue) {
      count = getLongLong(argv[i + 1] as string);
      if (count < 1) throw new RedisError(ERR_SYNTAX);
    } else if (opt === 'match' && hasValue) {
      const pat = argv[i + 1] as string;
      pattern = pat === '*' ? null : pat;
    } else if (allowType && opt === 'type' && hasValue) {
      typeName = (argv[i + 1] as string).toLowerCase();
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }
  return { count, pattern, typeName };
}

/** HSCAN/SSCAN/ZSCAN's options (no TYPE). */
export function parseCollectionScanArgs(argv: string[], start: number): ScanArgs {
  return parseScanArgs(argv, start, false);
}

/** The reply of a scan: [cursor, [items…]]. */
export function replyScan(reply: ReplyWriter, cursor: string, items: readonly string[]): void {
  reply.arrayHeader(2);
  reply.bulk(cursor);
  reply.bulkArray(items);
}
