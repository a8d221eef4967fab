import type { CommandCode, CommandLookup, CommandSpec, CommandStat, ResolvedCommand } from './context.js';
import { categoryBit } from './categories.js';
import { commandFlagBits, readCommandData } from './command-data.js';

export type { CommandFlag } from './command-data.js';

/** A command folder: its code and its commands.json, as imported. */
export interface CommandGroupSource {
  /** The folder under src/commands ('strings'), where commands.json lives. */
  folder: string;
  code: readonly CommandCode[];
  data: object;
}

function fullNames(code: readonly CommandCode[], parent: string | null, out: string[]): string[] {
  for (const command of code) {
    const name = parent === null ? command.name : `${parent}|${command.name}`;
    out.push(name);
    if (command.subcommands !== undefined) fullNames(command.subcommands, name, out);
  }
  return out;
}

/** Every full name a group's code declares ('client', 'client|kill'…), parents first. */
export function codeNames(code: readonly CommandCode[]): string[] {
  return fullNames(code, null, []);
}

function joinOne(command: CommandCode, fullName: string, data: Record<string, unknown>, folder: string): CommandSpec {
  const where = `src/commands/${folder}/commands.json`;
  const entry = readCommandData(`${where}: ${fullName}`, data[fullName]);
  if (command.handler === undefined && command.subcommands === undefined) {
    throw new Error(`command ${fullName} has data in ${where} but no handler in src/commands/${folder}`);
  }
  let aclCategories = 0;
  for (const category of entry.acl_categories) {
    const bit = categoryBit(category.slice(1));
    if (!category.startsWith('@') || bit === 0) throw new Error(`${where}: ${fullName}: unknown ACL category '${category}'`);
    aclCategories |= bit;
  }
  // Every spec has the same properties in the same order, so that the dispatcher's reads of
  // spec.flags, spec.handler and spec.arity stay monomorphic.
  const spec: CommandSpec = {
    name: command.name,
    handler: command.handler,
    getKeys: command.getKeys,
    getKeysAndFlags: command.getKeysAndFlags,
    commandFlags: command.commandFlags,
    arity: entry.arity,
    flags: entry.flags,
    keySpecs: entry.key_specs ?? [],
    aclCategories,
    data: entry,
    subcommands: command.subcommands?.map((sub) => joinOne(sub, `${fullName}|${sub.name}`, data, folder)),
  };
  return spec;
}

/**
 * Joins each group's code to its commands.json by full name. A command with code but no data,
 * or data but no code, is a mistake that must not start a server: say which, and how to fix it.
 */
export function joinCommandGroups(groups: readonly CommandGroupSource[]): CommandSpec[] {
  const specs: CommandSpec[] = [];
  const problems: string[] = [];
  for (const group of groups) {
    const where = `src/commands/${group.folder}/commands.json`;
    const data = group.data as Record<string, unknown>;
    const declared = codeNames(group.code);
    const missing = declared.filter((name) => !Object.hasOwn(data, name));
    const declaredSet = new Set(declared);
    const unused = Object.keys(data).filter((name) => !declaredSet.has(name));
    if (missing.length > 0) problems.push(`${where} has no entry for ${missing.join(', ')} (run: npm run gen:commands)`);
    if (unused.length > 0) problems.push(`${where} has entries for ${unused.join(', ')} that src/commands/${group.folder} does not declare`);
    if (missing.length > 0) continue;
    for (const command of group.code) specs.push(joinOne(command, command.name, data, group.folder));
  }
  if (problems.length > 0) throw new Error(`command table: ${problems.join('; ')}`);
  return specs;
}

/**
 * The table of every command, case-insensitive. Lookups first try the name as sent, which is
 * cached after the first miss, so that upper-case names (redis-benchmark, many clients) do not
 * allocate a lower-cased copy per command.
 */
export class CommandTable implements CommandLookup {
  private readonly byName = new Map<string, ResolvedCommand>();
  private readonly casedAliases = new Map<string, ResolvedCommand>();
  /** Every command and subcommand by full name ('get', 'config|get'): INFO commandstats. */
  readonly stats = new Map<string, CommandStat>();
  private nextId = 0;

  constructor(specs: CommandSpec[]) {
    for (const spec of specs) {
      if (this.byName.has(spec.name)) throw new Error(`command ${spec.name} declared twice`);
      this.byName.set(spec.name, this.resolve(spec, null));
    }
  }

  private resolve(spec: CommandSpec, parent: CommandSpec | null): ResolvedCommand {
    const fullName = parent === null ? spec.name : `${parent.name}|${spec.name}`;
    const stat: CommandStat = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0, histogram: null };
    this.stats.set(fullName, stat);
    let subcommands: Map<string, ResolvedCommand> | null = null;
    if (spec.subcommands !== undefined) {
      subcommands = new Map();
      for (const sub of spec.subcommands) subcommands.set(sub.name, this.resolve(sub, spec));
    }
    const topName = (parent ?? spec).name;
    const flagBits = commandFlagBits(spec.flags, parent === null ? null : parent.flags);
    const id = this.nextId++;
    return { spec, fullName, parent, topName, flagBits, stat, subcommands, id };
  }

  /**
   * Redis's rename-command: the command is found under `to` only (an empty `to` removes it).
   * Its full name, stats and COMMAND INFO entry keep the original name, as in Redis. The config
   * loader has checked the names; a rename it would refuse throws here too.
   */
  rename(from: string, to: string): void {
    const found = this.byName.get(from.toLowerCase());
    if (found === undefined) throw new Error('No such command in rename-command');
    this.byName.delete(from.toLowerCase());
    this.casedAliases.clear();
    if (to === '') return;
    if (this.byName.has(to.toLowerCase())) throw new Error('Target command name already exists');
    this.byName.set(to.toLowerCase(), found);
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

  /** Finds a command by the full name COMMAND INFO and LATENCY HISTOGRAM take ('get', 'config|get'). */
  findByFullName(name: string): ResolvedCommand | undefined {
    const bar = name.indexOf('|');
    if (bar === -1) return this.find(name);
    if (name.indexOf('|', bar + 1) !== -1) return undefined;
    const top = this.find(name.slice(0, bar));
    return top?.subcommands?.get(name.slice(bar + 1).toLowerCase());
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
      // As Redis frees them: a command shows in LATENCY HISTOGRAM again once it runs again.
      stat.histogram = null;
    }
  }
}
