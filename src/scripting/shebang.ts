import { splitArgs } from '../protocol/parser.js';

/** Flags a script may declare in its shebang (`#!lua flags=no-writes,allow-oom`), as bits. */
export const SCRIPT_NO_WRITES = 1 << 0;
export const SCRIPT_ALLOW_OOM = 1 << 1;
export const SCRIPT_ALLOW_STALE = 1 << 2;
export const SCRIPT_NO_CLUSTER = 1 << 3;
export const SCRIPT_ALLOW_CROSS_SLOT = 1 << 4;
/** No shebang: the script runs as before Redis 7.0 (Redis's SCRIPT_FLAG_EVAL_COMPAT_MODE). */
export const SCRIPT_LEGACY = 1 << 5;

const FLAG_NAMES: ReadonlyMap<string, number> = new Map([
  ['no-writes', SCRIPT_NO_WRITES],
  ['allow-oom', SCRIPT_ALLOW_OOM],
  ['allow-stale', SCRIPT_ALLOW_STALE],
  ['no-cluster', SCRIPT_NO_CLUSTER],
  ['allow-cross-slot-keys', SCRIPT_ALLOW_CROSS_SLOT],
]);

/** A script's shebang read: its flags and where the code Lua compiles starts. */
export interface Shebang {
  flags: number;
  /**
   * Length of the shebang line without its newline: Lua compiles from the newline on, so that
   * line numbers stay the user's.
   */
  length: number;
}

/**
 * Redis's evalExtractShebangFlags: the flags of a script body (a latin1 string), or the error
 * text (without its ERR prefix) for a shebang it refuses. A body without `#!` is a legacy script.
 */
export function readShebang(body: string): Shebang | string {
  if (!body.startsWith('#!')) return { flags: SCRIPT_LEGACY, length: 0 };
  const end = body.indexOf('\n');
  if (end < 0) return 'Invalid script shebang';
  // Redis reads the line as a C string: it stops at a 0 byte.
  const line = cString(body.slice(0, end));
  const parts = splitArgs(line);
  if (parts === null || parts.length === 0) return 'Invalid engine in script shebang';
  if (parts[0] !== '#!lua') return `Unexpected engine in script shebang: ${cString(parts[0] as string)}`;
  let flags = 0;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] as string;
    if (!part.startsWith('flags=')) return `Unknown lua shebang option: ${cString(part)}`;
    const list = part.slice(6);
    // sdssplitlen: nothing at all is no flag, but an empty item between commas is one.
    if (list === '') continue;
    for (const name of list.split(',')) {
      const bit = FLAG_NAMES.get(name);
      if (bit === undefined) return `Unexpected flag in script shebang: ${cString(name)}`;
      flags |= bit;
    }
  }
  return { flags, length: end };
}

function cString(text: string): string {
  const nul = text.indexOf('\0');
  return nul < 0 ? text : text.slice(0, nul);
}
