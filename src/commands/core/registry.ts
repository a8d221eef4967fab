import type { CommandContext, CommandStat } from './context.js';

export type CommandFlag =
  | 'write' | 'readonly' | 'denyoom' | 'module' | 'admin' | 'pubsub' | 'noscript' | 'blocking'
  | 'loading' | 'stale' | 'skip_monitor' | 'skip_slowlog' | 'asking' | 'fast' | 'no_auth'
  | 'may_replicate' | 'sentinel' | 'only_sentinel' | 'no_mandatory_keys' | 'protected'
  | 'no_async_loading' | 'no_multi' | 'movablekeys' | 'allow_busy';

export type CommandGroup =
  | 'generic' | 'string' | 'list' | 'set' | 'sorted_set' | 'hash' | 'pubsub' | 'transactions'
  | 'connection' | 'server' | 'scripting' | 'hyperloglog' | 'cluster' | 'sentinel' | 'geo'
  | 'stream' | 'bitmap';

/** Legacy key positions as COMMAND INFO reports them (1-based; last -1 = up to the end). */
export interface KeyRange {
  first: number;
  last: number;
  step: number;
}

/**
 * Runs a command and writes its reply. A handler that cannot answer at once (CONFIG SET of the
 * listening port waits for the new socket to listen) returns a promise that writes the reply
 * when it resolves, or rejects with a RedisError: the client's later commands wait meanwhile.
 */
export type CommandHandler = (ctx: CommandContext, argv: string[]) => void | Promise<void>;

export interface CommandSpec {
  /** Lower case; subcommands are named by their own word ('get' under 'config'). */
  name: string;
  /** Redis's arity: positive = exactly, negative = at least; counts the command name (and subcommand). */
  arity: number;
  flags: CommandFlag[];
  keys?: KeyRange;
  group: CommandGroup;
  /** ACL categories beyond those Redis derives from flags and group (e.g. 'dangerous', 'slow'). */
  acl?: string[];
  /** For commands whose keys move (movablekeys): the argv positions of the keys. */
  getKeys?: (argv: string[]) => number[];
  /** Like getKeys, with each key's flags when they differ per key (COMMAND GETKEYSANDFLAGS). */
  getKeysAndFlags?: (argv: readonly string[]) => { pos: number; flags: string[] }[];
  /** Container commands (CONFIG, CLIENT, OBJECT…) have no handler of their own. */
  handler?: CommandHandler;
  subcommands?: CommandSpec[];
  /** COMMAND DOCS */
  summary?: string;
  since?: string;
  complexity?: string;
  /** Command tips (COMMAND INFO), e.g. 'nondeterministic_output'. */
  tips?: string[];
}

/** A command ready to run: its spec, the name Redis reports it by, its statistics. Built once per command. */
export interface ResolvedCommand {
  spec: CommandSpec;
  /** 'get' or 'config|get' (commandstats, arity errors). */
  fullName: string;
  parent: CommandSpec | null;
  stat: CommandStat;
  /** A container command (CONFIG, CLIENT…) looks its subcommands up here. */
  subcommands: Map<string, ResolvedCommand> | null;
}

/**
 * The table of every command, case-insensitive. Lookups first try the name as sent, which is
 * cached after the first miss, so that upper-case names (redis-benchmark, many clients) do not
 * allocate a lower-cased copy per command.
 */
export class CommandTable {
  private readonly byName = new Map<string, ResolvedCommand>();
  private readonly casedAliases = new Map<string, ResolvedCommand>();
  /** Every command and subcommand by full name ('get', 'config|get'): INFO commandstats. */
  readonly stats = new Map<string, CommandStat>();

  constructor(specs: CommandSpec[]) {
    for (const spec of specs) {
      if (this.byName.has(spec.name)) throw new Error(`command ${spec.name} declared twice`);
      this.byName.set(spec.name, this.resolve(spec, null));
    }
  }

  private resolve(spec: CommandSpec, parent: CommandSpec | null): ResolvedCommand {
    const fullName = parent === null ? spec.name : `${parent.name}|${spec.name}`;
    const stat: CommandStat = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0 };
    this.stats.set(fullName, stat);
    let subcommands: Map<string, ResolvedCommand> | null = null;
    if (spec.subcommands !== undefined) {
      subcommands = new Map();
      for (const sub of spec.subcommands) subcommands.set(sub.name, this.resolve(sub, spec));
    }
    return { spec, fullName, parent, stat, subcommands };
  }

  lookup(name: string): ResolvedCommand | undefined {
    const found = this.byName.get(name) ?? this.casedAliases.get(name);
    if (found !== undefined) return found;
    const lower = this.byName.get(name.toLowerCase());
    // Bounded: only names that really are commands are cached, in a few spellings each.
    if (lower !== undefined && this.casedAliases.size < 4096) this.casedAliases.set(name, lower);
    return lower;
  }

  /** Finds a subcommand by name ('config', 'get'), or a top-level command. */
  find(name: string, sub?: string): ResolvedCommand | undefined {
    const top = this.byName.get(name.toLowerCase());
    if (sub === undefined || top === undefined) return top;
    return top.subcommands?.get(sub.toLowerCase());
  }

  all(): IterableIterator<ResolvedCommand> {
    return this.byName.values();
  }

  get size(): number {
    return this.byName.size;
  }

  resetStats(): void {
    for (const stat of this.stats.values()) {
      stat.calls = 0;
      stat.usec = 0;
      stat.rejectedCalls = 0;
      stat.failedCalls = 0;
    }
  }
}
