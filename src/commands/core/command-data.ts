/**
 * The data half of a command: everything COMMAND INFO and COMMAND DOCS report, as Redis 7.0
 * reports it. It lives in each group folder's commands.json, keyed by full name ('get',
 * 'client|kill'), written by scripts/gen-command-docs.ts from a real redis-server; the code half
 * (handler, key finder) is declared in the group's code and joined to it by name at start-up.
 */

export type CommandFlag =
  | 'write' | 'readonly' | 'denyoom' | 'module' | 'admin' | 'pubsub' | 'noscript' | 'blocking'
  | 'loading' | 'stale' | 'skip_monitor' | 'skip_slowlog' | 'asking' | 'fast' | 'no_auth'
  | 'may_replicate' | 'sentinel' | 'only_sentinel' | 'no_mandatory_keys' | 'protected'
  | 'no_async_loading' | 'no_multi' | 'movablekeys' | 'allow_busy';

/** Flags in the order COMMAND INFO lists them. */
export const VISIBLE_FLAGS: readonly CommandFlag[] = [
  'write', 'readonly', 'denyoom', 'module', 'admin', 'pubsub', 'noscript', 'blocking', 'loading', 'stale',
  'skip_monitor', 'skip_slowlog', 'asking', 'fast', 'no_auth', 'no_mandatory_keys', 'no_async_loading',
  'no_multi', 'movablekeys', 'allow_busy',
];

/**
 * Flags Redis has but COMMAND INFO does not show, so the generator cannot read them from a
 * server: they are written into commands.json by hand and the generator keeps them.
 */
export const HIDDEN_FLAGS: readonly CommandFlag[] = ['may_replicate', 'sentinel', 'only_sentinel', 'protected'];

/**
 * What the checks and call() ask of a command's flags, as bits computed once when the command
 * table is built (a flags.includes() scan per command per check costs on every command).
 */
/** protected: DEBUG, MODULE LOAD…, refused unless enable-…-command allows them. */
export const CMD_PROTECTED = 1 << 0;
/** noscript on the command or on its container (Redis checks both). */
export const CMD_NOSCRIPT = 1 << 1;
/** no_auth: runs before authentication (AUTH, HELLO). */
export const CMD_NO_AUTH = 1 << 2;
/** no_multi: refused inside MULTI. */
export const CMD_NO_MULTI = 1 << 3;
/** denyoom: refused over maxmemory. */
export const CMD_DENYOOM = 1 << 4;
/** loading: runs while the dataset loads. */
export const CMD_LOADING = 1 << 5;
/** write or may_replicate: held by CLIENT PAUSE WRITE. */
export const CMD_PAUSED_BY_WRITE_PAUSE = 1 << 6;
/** readonly and not pubsub: its keys are remembered for client-side caching. */
export const CMD_TRACKS_KEYS = 1 << 7;
/** skip_monitor or admin: not shown to MONITOR. */
export const CMD_HIDDEN_FROM_MONITOR = 1 << 8;
/** skip_slowlog on the command or on its container: left out of the slow log and latency monitor. */
export const CMD_SKIP_SLOWLOG = 1 << 9;
/** fast: a slow run is a fast-command latency event. */
export const CMD_FAST = 1 << 10;
/** write: changes the dataset (refused in read-only scripts, on disk errors). */
export const CMD_WRITE = 1 << 11;
/** may_replicate: may propagate without writing (PUBLISH, EVAL): refused in read-only scripts too. */
export const CMD_MAY_REPLICATE = 1 << 12;
/** allow_busy: runs while a script is busy past busy-reply-threshold (others answer BUSY). */
export const CMD_ALLOW_BUSY = 1 << 13;

/** The CMD_… bits of a command with these flags, under a container with `parentFlags` (null for a top-level command). */
export function commandFlagBits(flags: readonly CommandFlag[], parentFlags: readonly CommandFlag[] | null): number {
  const has = (flag: CommandFlag): boolean => flags.includes(flag);
  const parentHas = (flag: CommandFlag): boolean => parentFlags !== null && parentFlags.includes(flag);
  let bits = 0;
  if (has('protected')) bits |= CMD_PROTECTED;
  if (has('noscript') || parentHas('noscript')) bits |= CMD_NOSCRIPT;
  if (has('no_auth')) bits |= CMD_NO_AUTH;
  if (has('no_multi')) bits |= CMD_NO_MULTI;
  if (has('denyoom')) bits |= CMD_DENYOOM;
  if (has('loading')) bits |= CMD_LOADING;
  if (has('write') || has('may_replicate')) bits |= CMD_PAUSED_BY_WRITE_PAUSE;
  if (has('readonly') && !has('pubsub')) bits |= CMD_TRACKS_KEYS;
  if (has('skip_monitor') || has('admin')) bits |= CMD_HIDDEN_FROM_MONITOR;
  if (has('skip_slowlog') || parentHas('skip_slowlog')) bits |= CMD_SKIP_SLOWLOG;
  if (has('fast')) bits |= CMD_FAST;
  if (has('write')) bits |= CMD_WRITE;
  if (has('may_replicate')) bits |= CMD_MAY_REPLICATE;
  if (has('allow_busy')) bits |= CMD_ALLOW_BUSY;
  return bits;
}

/** Redis 7.0's key spec, in the shape COMMAND INFO replies with. */
export interface KeySpec {
  /** Redis's free-text notes on the spec. */
  notes?: string;
  flags: string[];
  begin_search:
    | { type: 'index'; spec: { index: number } }
    | { type: 'keyword'; spec: { keyword: string; startfrom: number } }
    | { type: 'unknown'; spec: Record<string, never> };
  find_keys:
    | { type: 'range'; spec: { lastkey: number; keystep: number; limit: number } }
    | { type: 'keynum'; spec: { keynumidx: number; firstkey: number; keystep: number } }
    | { type: 'unknown'; spec: Record<string, never> };
}

/** One argument in COMMAND DOCS (redis-cli builds its hints from these). */
export interface CommandArgument {
  name: string;
  /** string, integer, double, key, pattern, unix-time, pure-token, oneof or block. */
  type: string;
  key_spec_index?: number;
  token?: string;
  summary?: string;
  since?: string;
  deprecated_since?: string;
  /** optional, multiple, multiple_token. */
  flags?: string[];
  /** The alternatives of a oneof, the parts of a block. */
  arguments?: CommandArgument[];
}

/** One command's entry in commands.json. Field names are the ones Redis replies with. */
export interface CommandData {
  arity: number;
  /** COMMAND INFO's flags, then any of HIDDEN_FLAGS. */
  flags: CommandFlag[];
  /** The legacy key range of COMMAND INFO. */
  first_key: number;
  last_key: number;
  key_step: number;
  /** As COMMAND INFO lists them: '@write', '@string', '@slow'. */
  acl_categories: string[];
  tips?: string[];
  key_specs?: KeySpec[];
  summary?: string;
  since?: string;
  /** COMMAND DOCS's group: 'generic', 'sorted-set', 'server'… */
  group: string;
  complexity?: string;
  doc_flags?: string[];
  deprecated_since?: string;
  replaced_by?: string;
  /** [version, change] pairs. */
  history?: [string, string][];
  arguments?: CommandArgument[];
}

const ALL_FLAGS = new Set<string>([...VISIBLE_FLAGS, ...HIDDEN_FLAGS]);

/** A malformed commands.json is a programming error: say where, and stop. */
class CommandDataError extends Error {}

function fail(where: string, what: string): never {
  throw new CommandDataError(`${where}: ${what}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkInteger(where: string, value: unknown): number {
  if (!Number.isInteger(value)) fail(where, 'must be an integer');
  return value as number;
}

function checkString(where: string, value: unknown): string {
  if (typeof value !== 'string') fail(where, 'must be a string');
  return value;
}

function checkStrings(where: string, value: unknown): string[] {
  if (!Array.isArray(value)) fail(where, 'must be an array of strings');
  value.forEach((item, i) => checkString(`${where}[${i}]`, item));
  return value as string[];
}

function checkKeys(where: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) fail(where, `unknown field '${key}'`);
}

function checkKeySpec(where: string, value: unknown): KeySpec {
  if (!isRecord(value)) fail(where, 'must be an object');
  checkKeys(where, value, ['notes', 'flags', 'begin_search', 'find_keys']);
  if (value.notes !== undefined) checkString(`${where}.notes`, value.notes);
  checkStrings(`${where}.flags`, value.flags);
  const begin = value.begin_search;
  const find = value.find_keys;
  if (!isRecord(begin) || !isRecord(begin.spec)) fail(`${where}.begin_search`, 'must be { type, spec }');
  if (!isRecord(find) || !isRecord(find.spec)) fail(`${where}.find_keys`, 'must be { type, spec }');
  const numbers = (spec: Record<string, unknown>, names: string[], at: string): void => {
    checkKeys(at, spec, names);
    for (const name of names) checkInteger(`${at}.${name}`, spec[name]);
  };
  if (begin.type === 'index') numbers(begin.spec, ['index'], `${where}.begin_search.spec`);
  else if (begin.type === 'keyword') {
    checkKeys(`${where}.begin_search.spec`, begin.spec, ['keyword', 'startfrom']);
    checkString(`${where}.begin_search.spec.keyword`, begin.spec.keyword);
    checkInteger(`${where}.begin_search.spec.startfrom`, begin.spec.startfrom);
  } else if (begin.type === 'unknown') numbers(begin.spec, [], `${where}.begin_search.spec`);
  else fail(`${where}.begin_search.type`, 'must be index, keyword or unknown');
  if (find.type === 'range') numbers(find.spec, ['lastkey', 'keystep', 'limit'], `${where}.find_keys.spec`);
  else if (find.type === 'keynum') numbers(find.spec, ['keynumidx', 'firstkey', 'keystep'], `${where}.find_keys.spec`);
  else if (find.type === 'unknown') numbers(find.spec, [], `${where}.find_keys.spec`);
  else fail(`${where}.find_keys.type`, 'must be range, keynum or unknown');
  return value as unknown as KeySpec;
}

const ARGUMENT_FIELDS = ['name', 'type', 'key_spec_index', 'token', 'summary', 'since', 'deprecated_since', 'flags', 'arguments'];

function checkArgument(where: string, value: unknown): CommandArgument {
  if (!isRecord(value)) fail(where, 'must be an object');
  checkKeys(where, value, ARGUMENT_FIELDS);
  checkString(`${where}.name`, value.name);
  checkString(`${where}.type`, value.type);
  if (value.key_spec_index !== undefined) checkInteger(`${where}.key_spec_index`, value.key_spec_index);
  for (const name of ['token', 'summary', 'since', 'deprecated_since']) {
    if (value[name] !== undefined) checkString(`${where}.${name}`, value[name]);
  }
  if (value.flags !== undefined) checkStrings(`${where}.flags`, value.flags);
  if (value.arguments !== undefined) {
    if (!Array.isArray(value.arguments)) fail(`${where}.arguments`, 'must be an array');
    value.arguments.forEach((arg, i) => checkArgument(`${where}.arguments[${i}]`, arg));
  }
  return value as unknown as CommandArgument;
}

const COMMAND_FIELDS = [
  'arity', 'flags', 'first_key', 'last_key', 'key_step', 'acl_categories', 'tips', 'key_specs', 'summary', 'since',
  'group', 'complexity', 'doc_flags', 'deprecated_since', 'replaced_by', 'history', 'arguments',
];

/**
 * Checks one entry of a commands.json (`where` names it in errors) and returns it typed.
 * The files are generated, but a bad merge or hand edit must stop the server at start-up
 * rather than surface as a malformed COMMAND reply.
 */
export function readCommandData(where: string, value: unknown): CommandData {
  if (!isRecord(value)) fail(where, 'must be an object');
  checkKeys(where, value, COMMAND_FIELDS);
  checkInteger(`${where}.arity`, value.arity);
  for (const flag of checkStrings(`${where}.flags`, value.flags)) {
    if (!ALL_FLAGS.has(flag)) fail(`${where}.flags`, `unknown flag '${flag}'`);
  }
  for (const name of ['first_key', 'last_key', 'key_step']) checkInteger(`${where}.${name}`, value[name]);
  checkStrings(`${where}.acl_categories`, value.acl_categories);
  if (value.tips !== undefined) checkStrings(`${where}.tips`, value.tips);
  if (value.key_specs !== undefined) {
    if (!Array.isArray(value.key_specs)) fail(`${where}.key_specs`, 'must be an array');
    value.key_specs.forEach((spec, i) => checkKeySpec(`${where}.key_specs[${i}]`, spec));
  }
  checkString(`${where}.group`, value.group);
  for (const name of ['summary', 'since', 'complexity', 'deprecated_since', 'replaced_by']) {
    if (value[name] !== undefined) checkString(`${where}.${name}`, value[name]);
  }
  if (value.doc_flags !== undefined) checkStrings(`${where}.doc_flags`, value.doc_flags);
  if (value.history !== undefined) {
    if (!Array.isArray(value.history)) fail(`${where}.history`, 'must be an array');
    value.history.forEach((change, i) => {
      if (checkStrings(`${where}.history[${i}]`, change).length !== 2) fail(`${where}.history[${i}]`, 'must be [version, change]');
    });
  }
  if (value.arguments !== undefined) {
    if (!Array.isArray(value.arguments)) fail(`${where}.arguments`, 'must be an array');
    value.arguments.forEach((arg, i) => checkArgument(`${where}.arguments[${i}]`, arg));
  }
  return value as unknown as CommandData;
}
