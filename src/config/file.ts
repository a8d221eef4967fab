/**
 * redis.conf: reading it with Redis's rules (sdssplitargs lines, comments, `include`, names in
 * any case, accumulating `save` lines, later directives win, the command line appended as
 * more lines) and rewriting it in place for CONFIG REWRITE.
 */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { splitArgs } from '../protocol/parser.js';
import { globMatch } from '../util/glob.js';
import { NODIS_VERSION } from '../version.js';
import type { Config } from './config.js';
import type { ConfigParam } from './schema.js';
import { save as saveSyntax } from './special.js';
import { repr, strerror } from './values.js';

/** A bad line: printed as Redis's "FATAL CONFIG FILE ERROR" block, then the process exits 1. */
export class ConfigFileError extends Error {
  constructor(
    message: string,
    /** 1-based line number and the trimmed line, when the error is about a line. */
    readonly lineNumber?: number,
    readonly line?: string,
  ) {
    super(message);
  }
}

/** A config file that cannot be opened (Redis logs this and exits 1). */
export class ConfigOpenError extends Error {}

/** Redis's exact text for a fatal config error (written to stderr). */
export function formatFatalConfigError(err: ConfigFileError): string {
  let out = `\n*** FATAL CONFIG FILE ERROR (Redis ${NODIS_VERSION}) ***\n`;
  if (err.lineNumber !== undefined) out += `Reading the configuration file, at line ${err.lineNumber}\n>>> '${err.line ?? ''}'\n`;
  return out + `${err.message}\n`;
}

/** Directives that are not parameters, kept for the server to act on (or to warn about). */
export interface ConfigDirectives {
  renames: Array<[string, string]>;
  users: string[][];
  modules: string[][];
  moduleConfigs: Array<[string, string]>;
}

interface LoadState {
  saveLoaded: boolean;
  directives: ConfigDirectives;
  checkUser?: UserLineCheck;
  /**
   * The command table's top-level names as rename-command lines leave them (lower case), to
   * refuse a line as Redis does at load time; null skips the check (no table given).
   */
  commandNames: Set<string> | null;
}

/** Directives Redis 7.0 still accepts (and ignores) with one argument. */
const DEPRECATED = new Set(['list-max-ziplist-entries', 'list-max-ziplist-value', 'lua-replicate-commands']);

/** Not parameters but kept by CONFIG REWRITE as they are. */
const KEPT_DIRECTIVES = new Set(['include', 'rename-command', 'user', 'loadmodule', 'sentinel']);

function trimLine(line: string): string {
  return line.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

function newState(commandNames: Iterable<string> | null = null): LoadState {
  return {
    saveLoaded: false,
    directives: { renames: [], users: [], modules: [], moduleConfigs: [] },
    commandNames: commandNames === null ? null : new Set([...commandNames].map((n) => n.toLowerCase())),
  };
}

/**
 * Applies redis.conf text to `config` (Redis's loadServerConfigFromString). Throws a
 * ConfigFileError for the first bad line, or a ConfigOpenError for an include that cannot be read.
 */
export function loadConfigText(config: Config, content: string, state: LoadState = newState()): ConfigDirectives {
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = trimLine(lines[i] as string);
    if (line === '' || line[0] === '#') continue;
    const argv = splitArgs(line);
    if (argv === null) throw new ConfigFileError('Unbalanced quotes in configuration line', i + 1, line);
    if (argv.length === 0) continue;
    try {
      applyDirective(config, argv, state);
    } catch (err) {
      if (err instanceof ConfigOpenError) throw err;
      if (err instanceof ConfigFileError && err.lineNumber !== undefined) throw err;
      throw new ConfigFileError((err as Error).message, i + 1, line);
    }
  }
  return state.directives;
}

function applyDirective(config: Config, argv: string[], state: LoadState): void {
  const name = (argv[0] as string).toLowerCase();
  let args = argv.slice(1);
  const param = config.param(name);
  if (param !== undefined) {
    if (!param.multiArg && args.length !== 1) throw new Error('wrong number of arguments');
    // As Redis 7.0, the one argument of a multi-argument parameter is split at spaces
    // (`--save "3600 1"`, `save "900 1 300 10"`); an empty one stays (`save ""`).
    if (param.multiArg && args.length === 1 && args[0] !== '') args = splitArgs(args[0] as string) ?? [];
    if (param.name === 'save') return appendSave(config, args, state);
    config.setArgs(param.name, args);
    return;
  }
  if (DEPRECATED.has(name) && argv.length === 2) return;
  const d = state.directives;
  if (name === 'include' && argv.length === 2) {
    loadIncluded(config, resolve(config.getString('dir'), argv[1] as string), state);
  } else if (name === 'rename-command' && argv.length === 3) {
    renameCommand(state, argv[1] as string, argv[2] as string);
  } else if (name === 'user' && argv.length >= 2) {
    const error = state.checkUser?.(args, d.users) ?? null;
    if (error !== null) throw new Error(error);
    d.users.push(args);
  } else if (name === 'loadmodule' && argv.length >= 2) {
    d.modules.push(args);
  } else if (name.includes('.')) {
    if (argv.length !== 2) throw new Error('Module config specified without value');
    d.moduleConfigs.push([argv[0] as string, argv[1] as string]);
  } else if (name === 'sentinel') {
    throw new Error('sentinel directive while not in sentinel mode');
  } else {
    throw new Error('Bad directive or wrong number of arguments');
  }
}

/**
 * Redis's rename-command: the command leaves the table under its name and, unless the new name
 * is empty, comes back under the new one. Later lines see the table as earlier ones left it.
 */
function renameCommand(state: LoadState, from: string, to: string): void {
  const names = state.commandNames;
  if (names !== null) {
    const fromName = from.toLowerCase();
    if (!names.has(fromName)) throw new Error('No such command in rename-command');
    names.delete(fromName);
    if (to !== '') {
      if (names.has(to.toLowerCase())) throw new Error('Target command name already exists');
      names.add(to.toLowerCase());
    }
  }
  state.directives.renames.push([from, to]);
}

/** The first `save` line replaces the defaults, later ones add their points; `save ""` empties the list. */
function appendSave(config: Config, args: string[], state: LoadState): void {
  const added = saveSyntax.parse(args, '').text;
  if (!state.saveLoaded || added === '') {
    state.saveLoaded = true;
    config.set('save', added);
    return;
  }
  const current = config.format('save');
  config.set('save', [current, added].filter((s) => s !== '').join(' '));
}

function readConfig(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (err) {
    throw new ConfigOpenError(`Fatal error, can't open config file '${path}': ${strerror(err)}`);
  }
}

/** `include`: one file, or every match of a pattern in its last component (none is fine). */
function loadIncluded(config: Config, path: string, state: LoadState): void {
  if (!/[*?[]/.test(path)) {
    loadConfigText(config, readConfig(path), state);
    return;
  }
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  const pattern = basename(path);
  for (const name of names.filter((n) => globMatch(pattern, n)).sort()) {
    loadConfigText(config, readConfig(resolve(dirname(path), name)), state);
  }
}

export interface ConfigSources {
  /** The config file (its path as given). */
  file?: string | null;
  /** Config text read from standard input (`-`). */
  stdin?: string | null;
  /** Command line options already turned into config lines. */
  options?: string;
  /**
   * Checks each `user` line as it is read (Redis's ACLAppendUserForLoading): its arguments after
   * `user`, and those of the lines before it; returns the error for the config file, or null.
   */
  checkUser?: UserLineCheck;
  /** The command table's names, to check rename-command lines against (skipped without). */
  commandNames?: Iterable<string>;
}

export type UserLineCheck = (args: readonly string[], earlier: readonly (readonly string[])[]) => string | null;

/**
 * Redis's loadServerConfig: the file, then stdin, then the command line options (after a
 * newline), read as one text. Checks that the log file can be opened, as Redis does.
 */
export function loadServerConfig(config: Config, sources: ConfigSources): ConfigDirectives {
  let content = sources.file ? readConfig(sources.file) : '';
  if (sources.stdin) content += sources.stdin;
  content += '\n' + (sources.options ?? '');
  const state = newState(sources.commandNames ?? null);
  state.checkUser = sources.checkUser;
  const directives = loadConfigText(config, content, state);
  config.commandRenames = directives.renames;
  const logfile = config.getString('logfile');
  if (logfile !== '') {
    try {
      closeSync(openSync(resolve(config.getString('dir'), logfile), 'a'));
    } catch (err) {
      throw new ConfigFileError(`Can't open the log file: ${strerror(err)}`);
    }
  }
  return directives;
}

export interface CommandLine {
  configFile: string | null;
  /** `-`: read the config from standard input too. */
  stdin: boolean;
  /** The options as config lines ("port \"6380\" \nsave \"\" "). */
  options: string;
}

/**
 * redis-server's argument rules: an optional config file first, then `--name value ...` pairs
 * that become config lines (values quoted), `-` (first or last) for stdin, and `--save` with
 * no value meaning `save ""`.
 */
export function parseCommandLine(args: readonly string[]): CommandLine {
  let j = 0;
  let configFile: string | null = null;
  if (args.length > 0 && (args[0] as string)[0] !== '-') {
    configFile = args[0] as string;
    j = 1;
  }
  let options = '';
  let stdin = false;
  let handledLast = true;
  const last = args.length - 1;
  for (; j < args.length; j++) {
    const arg = args[j] as string;
    if (arg === '-' && (j === 0 || j === last)) {
      stdin = true;
    } else if (handledLast && arg.startsWith('--')) {
      if (options.length > 0) options += '\n';
      options += arg.slice(2) + ' ';
      const split = splitArgs(arg);
      if (split !== null && split.length === 1) {
        // A bare name: its values follow. `--save` alone (last, or before another option) is `save ""`.
        handledLast = false;
        const isSave = arg.toLowerCase() === '--save';
        const nextIsOption = j !== last && (args[j + 1] as string).startsWith('--');
        if (isSave && nextIsOption) {
          options += '""';
          handledLast = true;
        } else if (isSave && j === last) {
          options += '""';
        } else if (nextIsOption && arg.toLowerCase() === '--sentinel') {
          handledLast = true;
        }
      } else {
        handledLast = true;
      }
    } else {
      options += repr(arg) + ' ';
      handledLast = true;
    }
  }
  return { configFile, stdin, options };
}

// ---- CONFIG REWRITE ----

const SIGNATURE = '# Generated by CONFIG REWRITE';

interface RewriteState {
  lines: string[];
  /** Option → indexes of its lines in the old file, in order. */
  optionLines: Map<string, number[]>;
  processed: Set<string>;
  needsSignature: boolean;
}

function readOldFile(config: Config, path: string): RewriteState {
  const state: RewriteState = { lines: [], optionLines: new Map(), processed: new Set(), needsSignature: true };
  let content: string;
  try {
    content = readFileSync(path, 'latin1');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return state;
    throw err;
  }
  if (content.length === 0) return state;
  for (const raw of content.split('\n')) {
    const line = trimLine(raw);
    if (line === '' || line[0] === '#') {
      if (line === SIGNATURE) state.needsSignature = false;
      state.lines.push(line);
      continue;
    }
    const argv = splitArgs(line);
    const name = argv !== null && argv.length > 0 ? (argv[0] as string).toLowerCase() : '';
    const param = config.param(name);
    const kept = KEPT_DIRECTIVES.has(name) || (name.includes('.') && param === undefined);
    if (argv === null || argv.length === 0 || (param === undefined && !kept)) {
      // Unparsable, or about something this server does not know: kept, as a comment.
      state.lines.push('# ??? ' + line);
      continue;
    }
    state.lines.push(line);
    const option = param?.name ?? name;
    const list = state.optionLines.get(option) ?? [];
    list.push(state.lines.length - 1);
    state.optionLines.set(option, list);
  }
  return state;
}

function rewriteOption(state: RewriteState, param: ConfigParam, config: Config): void {
  state.processed.add(param.name);
  for (const { line, force } of config.rewriteLines(param)) {
    const old = state.optionLines.get(param.name);
    if (old !== undefined && old.length > 0) {
      state.lines[old.shift() as number] = line;
    } else if (force) {
      if (state.needsSignature) {
        state.lines.push(SIGNATURE);
        state.needsSignature = false;
      }
      state.lines.push(line);
    }
  }
}

/** A directive's lines rewritten (Redis's rewriteConfigRewriteLine with force, then rewriteConfigMarkAsProcessed). */
function rewriteDirective(state: RewriteState, name: string, lines: readonly string[]): void {
  state.processed.add(name);
  for (const line of lines) {
    const old = state.optionLines.get(name);
    if (old !== undefined && old.length > 0) {
      state.lines[old.shift() as number] = line;
    } else {
      if (state.needsSignature) {
        state.lines.push(SIGNATURE);
        state.needsSignature = false;
      }
      state.lines.push(line);
    }
  }
}

/**
 * The new content of the config file at `path` for the current values (Redis's rewriteConfig).
 * `directives` are the lines of directives that are not parameters, rewritten as a whole
 * (`user`: the current ACL users); a directive not given keeps its lines as they are.
 */
export function rewrittenConfig(config: Config, path: string, directives: ReadonlyMap<string, readonly string[]> = new Map()): string {
  const state = readOldFile(config, path);
  for (const param of config.params()) rewriteOption(state, param, config);
  for (const [name, lines] of directives) rewriteDirective(state, name, lines);
  // Lines of rewritten options that were not reused (a shorter `save` list, duplicates) go.
  for (const [option, indexes] of state.optionLines) {
    if (!state.processed.has(option)) continue;
    for (const i of indexes) state.lines[i] = '';
  }
  let out = '';
  let wasEmpty = false;
  for (const line of state.lines) {
    if (line === '') {
      if (wasEmpty) continue;
      wasEmpty = true;
    } else {
      wasEmpty = false;
    }
    out += line + '\n';
  }
  return out;
}

/** CONFIG REWRITE: replaces the file atomically (temp file, fsync, rename). Throws on I/O errors. */
export function rewriteConfigFile(config: Config, path: string, directives?: ReadonlyMap<string, readonly string[]>): void {
  const content = rewrittenConfig(config, path, directives);
  const tmp = `${path}.${randomBytes(3).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(fd, Buffer.from(content, 'latin1'));
    fsyncSync(fd);
    closeSync(fd);
    chmodSync(tmp, 0o644);
    renameSync(tmp, path);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to remove
    }
    throw err;
  }
}
