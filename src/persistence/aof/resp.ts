/**
 * Text the AOF holds besides commands. Commands themselves are RESP multi-bulk arrays, as Redis's
 * catAppendOnlyGenericCommand writes them, encoded straight into bytes by key-commands.ts.
 */

/** Redis's timestamp annotation (aof-timestamp-enabled): `#TS:<unix seconds>`. */
export function timestampAnnotation(unixSeconds: number): string {
  return `#TS:${unixSeconds}\r\n`;
}
