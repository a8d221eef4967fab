/**
 * The AOF's encoding of commands: RESP multi-bulk arrays, as Redis's catAppendOnlyGenericCommand
 * writes them. Arguments are latin1 strings (one char per byte), so a string's length is its
 * size in bytes and the encoded command is a latin1 string too: it becomes bytes once, when a
 * batch is written.
 */

/** One command as the AOF stores it. */
export function encodeCommand(argv: readonly string[]): string {
  let out = `*${argv.length}\r\n`;
  for (const arg of argv) out += `$${arg.length}\r\n${arg}\r\n`;
  return out;
}

/** Redis's timestamp annotation (aof-timestamp-enabled): `#TS:<unix seconds>`. */
export function timestampAnnotation(unixSeconds: number): string {
  return `#TS:${unixSeconds}\r\n`;
}
