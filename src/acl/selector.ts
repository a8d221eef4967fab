import type { CommandLookup, ResolvedCommand } from '../commands/core/context.js';
import { ACL_CATEGORIES, categoryBit } from '../commands/core/categories.js';
import { commandHasKeys, findKeys } from '../commands/core/keyspecs.js';
import { globMatch } from '../util/glob.js';

/** A key pattern's permissions (Redis's ACL_READ_PERMISSION / ACL_WRITE_PERMISSION). */
export const KEY_READ = 1;
export const KEY_WRITE = 2;
export const KEY_ALL = KEY_READ | KEY_WRITE;

/**
 * Why a rule could not be applied; each kind has Redis's text (ruleErrorText), which SETUSER,
 * ACL LOAD and the config file report.
 */
export type RuleError = 'unknown' | 'syntax' | 'keys-after-all' | 'channels-after-all' | 'no-such-password' | 'bad-hash' | 'duplicate' | 'subcommand-first-arg';

export class RuleFailure extends Error {
  constructor(readonly kind: RuleError) {
    super(kind);
  }
}

/** Redis's ACLSetUserStringError. */
export function ruleErrorText(kind: RuleError): string {
  switch (kind) {
    case 'unknown':
      return 'Unknown command or category name in ACL';
    case 'syntax':
      return 'Syntax error';
    case 'keys-after-all':
      return (
        "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. " +
        "Try 'resetkeys' to start with an empty list of patterns"
      );
    case 'channels-after-all':
      return (
        "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. " +
        "Try 'resetchannels' to start with an empty list of channels"
      );
    case 'no-such-password':
      return 'The password you are trying to remove from the user does not exist';
    case 'bad-hash':
      return 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
    case 'duplicate':
      return 'Duplicate user found. A user can only be defined once in config files';
    case 'subcommand-first-arg':
      return 'Allowing first-arg of a subcommand is not supported';
  }
}

/** Redis's ACLStringHasSpaces: whitespace (isspace) or a 0 byte. */
export function hasSpaces(text: string): boolean {
  return /[\s\0]/.test(text);
}

/**
 * Every command and subcommand by its id (ResolvedCommand.id), as the ACL command bitmaps are
 * indexed; the last bit of a bitmap is Redis's reserved "future commands" bit, set only by
 * +@all, which says whether a user's rules start from +@all or -@all.
 */
export class AclCommandSet {
  readonly byId: ResolvedCommand[] = [];
  /** Top-level commands, in table order. */
  readonly tops: ResolvedCommand[] = [];
  /** Bitmap length: one per command plus the future-commands bit. */
  readonly size: number;
  readonly futureBit: number;

  constructor(readonly table: CommandLookup) {
    for (const top of table.all()) {
      this.tops.push(top);
      this.byId[top.id] = top;
      if (top.subcommands !== null) for (const sub of top.subcommands.values()) this.byId[sub.id] = sub;
    }
    this.futureBit = this.byId.length;
    this.size = this.byId.length + 1;
  }

  /** Redis's ACLLookupCommand: 'get' or 'config|get', any case. */
  lookup(name: string): ResolvedCommand | undefined {
    return this.table.findByFullName(name);
  }
}

export interface KeyPattern {
  pattern: string;
  flags: number;
}

/** Why a command was refused (Redis's ACL_DENIED_*: command < key < channel, the order errors are picked in). */
export const DENIED_CMD = 1;
export const DENIED_KEY = 2;
export const DENIED_CHANNEL = 4;

/** Channel arguments of the Pub/Sub commands Redis checks (getChannelsFromCommand): first position, whether all the rest, pattern. */
const CHANNEL_COMMANDS = new Map<string, { first: number; all: boolean; pattern: boolean }>([
  ['subscribe', { first: 1, all: true, pattern: false }],
  ['ssubscribe', { first: 1, all: true, pattern: false }],
  ['psubscribe', { first: 1, all: true, pattern: true }],
  ['publish', { first: 1, all: false, pattern: false }],
  ['spublish', { first: 1, all: false, pattern: false }],
]);

/** The keys a command touches, found once for all the selectors of a user (Redis's aclKeyResultCache). */
export interface KeyCache {
  keys: { pos: number; flags: readonly string[] }[] | null;
}

/** A key spec's flags as the permissions they need (Redis: ACCESS reads; INSERT, DELETE, UPDATE write). */
function neededPermissions(flags: readonly string[]): number {
  let needed = 0;
  for (const flag of flags) {
    if (flag === 'access') needed |= KEY_READ;
    else if (flag === 'insert' || flag === 'delete' || flag === 'update') needed |= KEY_WRITE;
  }
  return needed;
}

/**
 * One set of permissions (Redis's aclSelector): commands as a bitmap by command id, with
 * first arguments allowed of otherwise refused commands; key patterns with read/write
 * permissions; channel patterns. A user has a root selector and may have more: a command
 * runs when one of them allows all of it.
 */
export class Selector {
  allowed: Uint8Array;
  allCommands = false;
  allKeys = false;
  allChannels: boolean;
  keyPatterns: KeyPattern[] = [];
  channels: string[] = [];
  /** Allowed first arguments by command id (+select|0). */
  firstArgs: Map<number, string[]> | null = null;

  constructor(
    readonly commands: AclCommandSet,
    readonly root: boolean,
    allChannels: boolean,
  ) {
    this.allowed = new Uint8Array(commands.size);
    this.allChannels = allChannels;
  }

  clone(): Selector {
    const copy = new Selector(this.commands, this.root, this.allChannels);
    copy.allowed.set(this.allowed);
    copy.allCommands = this.allCommands;
    copy.allKeys = this.allKeys;
    copy.keyPatterns = this.keyPatterns.map((p) => ({ ...p }));
    copy.channels = [...this.channels];
    if (this.firstArgs !== null) copy.firstArgs = new Map([...this.firstArgs].map(([id, args]) => [id, [...args]]));
    return copy;
  }

  /** Whether this selector allows everything: its user needs no checks. */
  get unrestricted(): boolean {
    return this.allCommands && this.allKeys && this.allChannels;
  }

  private setBit(id: number, on: boolean): void {
    this.allowed[id] = on ? 1 : 0;
    if (!on) this.allCommands = false;
  }

  /** Redis's ACLChangeSelectorPerm: a command and, for a container, all its subcommands. */
  changePermission(cmd: ResolvedCommand, allow: boolean): void {
    this.setBit(cmd.id, allow);
    this.firstArgs?.delete(cmd.id);
    if (cmd.subcommands !== null) for (const sub of cmd.subcommands.values()) this.setBit(sub.id, allow);
  }

  /** Allows or refuses every command of a category (and their subcommands, as Redis does for a container in it). */
  changeCategory(bit: number, allow: boolean): void {
    for (const top of this.commands.tops) {
      if ((top.spec.aclCategories & bit) !== 0) this.changePermission(top, allow);
      if (top.subcommands !== null) {
        for (const sub of top.subcommands.values()) if ((sub.spec.aclCategories & bit) !== 0) this.changePermission(sub, allow);
      }
    }
  }

  private setAll(allow: boolean): void {
    this.allowed.fill(allow ? 1 : 0);
    this.allCommands = allow;
    this.firstArgs = null;
  }

  /** Redis's ACLSetSelector: applies one rule about commands, keys or channels; throws a RuleFailure. */
  apply(op: string): void {
    const lower = op.toLowerCase();
    if (lower === 'allkeys' || op === '~*') {
      this.allKeys = true;
      this.keyPatterns = [];
    } else if (lower === 'resetkeys') {
      this.allKeys = false;
      this.keyPatterns = [];
    } else if (lower === 'allchannels' || op === '&*') {
      this.allChannels = true;
      this.channels = [];
    } else if (lower === 'resetchannels') {
      this.allChannels = false;
      this.channels = [];
    } else if (lower === 'allcommands' || lower === '+@all') {
      this.setAll(true);
    } else if (lower === 'nocommands' || lower === '-@all') {
      this.setAll(false);
    } else if (op[0] === '~' || op[0] === '%') {
      this.addKeyPattern(op);
    } else if (op[0] === '&') {
      if (this.allChannels) throw new RuleFailure('channels-after-all');
      const pattern = op.slice(1);
      if (hasSpaces(pattern)) throw new RuleFailure('syntax');
      if (!this.channels.includes(pattern)) this.channels.push(pattern);
      this.allChannels = false;
    } else if (op[0] === '+' && op[1] !== '@') {
      this.allowCommand(op.slice(1));
    } else if (op[0] === '-' && op[1] !== '@') {
      const cmd = this.commands.lookup(op.slice(1));
      if (cmd === undefined) throw new RuleFailure('unknown');
      this.changePermission(cmd, false);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const bit = categoryBit(op.slice(2));
      if (bit === 0) throw new RuleFailure('unknown');
      this.changeCategory(bit, op[0] === '+');
    } else {
      throw new RuleFailure('syntax');
    }
  }

  private addKeyPattern(op: string): void {
    if (this.allKeys) throw new RuleFailure('keys-after-all');
    let flags = 0;
    let offset = 1;
    if (op[0] === '%') {
      for (; offset < op.length; offset++) {
        const c = (op[offset] as string).toUpperCase();
        if (c === 'R' && (flags & KEY_READ) === 0) {
          flags |= KEY_READ;
        } else if (c === 'W' && (flags & KEY_WRITE) === 0) {
          flags |= KEY_WRITE;
        } else if (op[offset] === '~') {
          offset++;
          break;
        } else {
          throw new RuleFailure('syntax');
        }
      }
    } else {
      flags = KEY_ALL;
    }
    const pattern = op.slice(offset);
    // Redis 7.0 takes '%~x' (no permission) and aborts when it describes it: refused here instead.
    if (hasSpaces(pattern) || flags === 0) throw new RuleFailure('syntax');
    const existing = this.keyPatterns.find((p) => p.pattern === pattern);
    if (existing === undefined) this.keyPatterns.push({ pattern, flags });
    else existing.flags |= flags;
    this.allKeys = false;
  }

  private allowCommand(name: string): void {
    const bar = name.lastIndexOf('|');
    if (bar === -1) {
      const cmd = this.commands.lookup(name);
      if (cmd === undefined) throw new RuleFailure('unknown');
      this.changePermission(cmd, true);
      return;
    }
    const cmd = this.commands.lookup(name.slice(0, bar));
    if (cmd === undefined) throw new RuleFailure('unknown');
    if (cmd.parent !== null) throw new RuleFailure('subcommand-first-arg');
    const sub = name.slice(bar + 1);
    if (sub === '') throw new RuleFailure('syntax');
    if (cmd.subcommands !== null) {
      const found = this.commands.lookup(name);
      if (found === undefined) throw new RuleFailure('unknown');
      this.changePermission(found, true);
      return;
    }
    // A first argument of a command without subcommands (+select|0): Redis warns this is deprecated.
    const map = (this.firstArgs ??= new Map<number, string[]>());
    const list = map.get(cmd.id) ?? [];
    if (!list.some((a) => a.toLowerCase() === sub.toLowerCase())) list.push(sub);
    map.set(cmd.id, list);
  }

  /** Redis's ACLSelectorCheckCmd: 0 when allowed, else DENIED_… with `where.pos` the argument at fault. */
  check(cmd: ResolvedCommand, argv: readonly string[], cache: KeyCache, where: { pos: number }, noAuth: boolean): number {
    if (!this.allCommands && !noAuth && this.allowed[cmd.id] === 0) {
      const args = this.firstArgs?.get(cmd.id);
      if (args === undefined || argv.length < 2) return DENIED_CMD;
      const first = (argv[cmd.parent !== null ? 2 : 1] ?? '').toLowerCase();
      if (!args.some((a) => a.toLowerCase() === first)) return DENIED_CMD;
    }
    if (!this.allKeys && commandHasKeys(cmd)) {
      const keys = (cache.keys ??= findKeys(cmd, argv));
      for (const key of keys) {
        if (!this.keyAllowed(argv[key.pos] as string, neededPermissions(key.flags))) {
          where.pos = key.pos;
          return DENIED_KEY;
        }
      }
    }
    if (!this.allChannels && cmd.parent === null) {
      const channels = CHANNEL_COMMANDS.get(cmd.spec.name);
      if (channels !== undefined) {
        const last = channels.all ? argv.length - 1 : channels.first;
        for (let i = channels.first; i <= last && i < argv.length; i++) {
          if (!this.channelAllowed(argv[i] as string, channels.pattern)) {
            where.pos = i;
            return DENIED_CHANNEL;
          }
        }
      }
    }
    return 0;
  }

  /** Redis's ACLSelectorCheckKey. */
  keyAllowed(key: string, needed: number): boolean {
    if (this.allKeys) return true;
    for (const p of this.keyPatterns) {
      if ((p.flags & needed) !== needed) continue;
      if (globMatch(p.pattern, key)) return true;
    }
    return false;
  }

  /** Redis's ACLSelectorHasUnrestrictedKeyAccess for reads: allkeys, or a '*' pattern that may be read. */
  readsEveryKey(): boolean {
    return this.allKeys || this.keyPatterns.some((p) => p.pattern === '*' && (p.flags & KEY_READ) !== 0);
  }

  /** Redis's ACLCheckChannelAgainstList: a PSUBSCRIBE pattern must be one of the patterns, literally. */
  channelAllowed(channel: string, isPattern: boolean): boolean {
    if (this.allChannels) return true;
    return channelInList(this.channels, channel, isPattern);
  }

  // ---- description (ACL LIST, GETUSER, SAVE) ----

  /** Redis's ACLDescribeSelector: keys, channels, then the command rules. */
  describe(): string {
    let out = '';
    if (this.allKeys) out += '~* ';
    else for (const p of this.keyPatterns) out += `${patternText(p)} `;
    if (this.allChannels) out += '&* ';
    else {
      out += 'resetchannels ';
      for (const c of this.channels) out += `&${c} `;
    }
    return out + this.describeCommands();
  }

  /** GETUSER's "keys": the patterns separated by spaces. */
  describeKeys(): string {
    if (this.allKeys) return '~*';
    return this.keyPatterns.map(patternText).join(' ');
  }

  describeChannels(): string {
    if (this.allChannels) return '&*';
    return this.channels.map((c) => `&${c}`).join(' ');
  }

  private countCategory(bit: number): { on: number; off: number } {
    let on = 0;
    let off = 0;
    const count = (cmd: ResolvedCommand): void => {
      if ((cmd.spec.aclCategories & bit) === 0) return;
      if (this.allowed[cmd.id] !== 0) on++;
      else off++;
    };
    for (const top of this.commands.tops) {
      count(top);
      if (top.subcommands !== null) for (const sub of top.subcommands.values()) count(sub);
    }
    return { on, off };
  }

  /**
   * Redis's ACLDescribeSelectorCommandRules: +@all or -@all, then the categories that best fit
   * the bitmap, then single commands and first arguments for what still differs. The rules
   * are applied to a copy as they are written, so each one accounts for those before it.
   */
  describeCommands(): string {
    const additive = this.allowed[this.commands.futureBit] === 0;
    const rules: string[] = [additive ? '-@all' : '+@all'];
    const fake = new Selector(this.commands, false, false);
    fake.apply(rules[0] as string);
    const temp = new Selector(this.commands, false, false);
    temp.allowed.set(this.allowed);
    const applied = new Set<number>();
    for (;;) {
      let best = -1;
      let minDiff = Number.MAX_SAFE_INTEGER;
      let maxSame = 0;
      for (let j = 0; j < ACL_CATEGORIES.length; j++) {
        if (applied.has(j)) continue;
        const { on, off } = temp.countCategory(1 << j);
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
          best = j;
          minDiff = diff;
          maxSame = same;
        }
      }
      if (best === -1) break;
      const name = ACL_CATEGORIES[best] as string;
      fake.changeCategory(1 << best, additive);
      temp.changeCategory(1 << best, !additive);
      rules.push(`${additive ? '+@' : '-@'}${name}`);
      applied.add(best);
    }
    const single = (cmd: ResolvedCommand): void => {
      const bit = this.allowed[cmd.id] !== 0;
      if (bit !== (fake.allowed[cmd.id] !== 0)) {
        rules.push(`${bit ? '+' : '-'}${cmd.fullName}`);
        fake.changePermission(cmd, bit);
      }
      if (cmd.subcommands !== null) for (const sub of cmd.subcommands.values()) single(sub);
      const args = this.firstArgs?.get(cmd.id);
      if (!bit && args !== undefined) for (const a of args) rules.push(`+${cmd.fullName}|${a}`);
    };
    for (const top of this.commands.tops) single(top);
    return rules.join(' ');
  }
}

export function channelInList(list: readonly string[], channel: string, isPattern: boolean): boolean {
  for (const pattern of list) {
    if (isPattern ? pattern === channel : globMatch(pattern, channel)) return true;
  }
  return false;
}

function patternText(p: KeyPattern): string {
  const prefix = p.flags === KEY_ALL ? '~' : p.flags === KEY_READ ? '%R~' : '%W~';
  return prefix + p.pattern;
}
