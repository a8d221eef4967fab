import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type {
  AccessControl, AclDenial, AclLogContext, AclUserView, ClientConnection, CommandContext, CommandLookup, ResolvedCommand, ServerContext,
} from '../commands/core/context.js';
import type { UserLineCheck } from '../config/file.js';
import type { Config } from '../config/config.js';
import { CMD_NO_AUTH } from '../commands/core/command-data.js';
import { isSubscribed } from '../pubsub/registry.js';
import { AclCommandSet, DENIED_CHANNEL, DENIED_CMD, DENIED_KEY, RuleFailure, channelInList, hasSpaces, ruleErrorText, type KeyCache } from './selector.js';
import { AclUser, mergeSelectorArguments, type SelectorDefaults } from './user.js';
import { AclLog } from './log.js';

const registry = new WeakMap<ServerContext, Acl>();

/** The ACL of a server. */
export function aclOf(server: ServerContext): Acl {
  const acl = registry.get(server);
  if (acl === undefined) throw new Error('this server has no ACL');
  return acl;
}

const REASONS: Record<number, AclDenial['reason']> = { [DENIED_CMD]: 'command', [DENIED_KEY]: 'key', [DENIED_CHANNEL]: 'channel' };

/** An ACL SETUSER, ACL LOAD or config-file error, with Redis's text. */
export class AclError extends Error {}

/**
 * The users (Redis's Users rax and DefaultUser), the permission check the execution core runs
 * for users that are not unrestricted, AUTH, the ACL log, and the ACL file.
 */
export class Acl implements AccessControl, SelectorDefaults {
  readonly commands: AclCommandSet;
  private users = new Map<string, AclUser>();
  readonly defaultUser: AclUser;
  readonly log: AclLog;

  constructor(readonly server: ServerContext) {
    registry.set(server, this);
    this.commands = new AclCommandSet(server.commands);
    this.log = new AclLog(server.config);
    this.defaultUser = this.createDefaultUser();
    this.users.set('default', this.defaultUser);
    this.applyRequirepass(server.config.getString('requirepass'));
    server.config.onChange('requirepass', (value) => this.applyRequirepass(String(value)));
  }

  allChannels(): boolean {
    return this.server.config.format('acl-pubsub-default') === 'allchannels';
  }

  private createDefaultUser(): AclUser {
    const user = new AclUser('default', this);
    for (const op of ['+@all', '~*', '&*', 'on', 'nopass']) user.apply(op);
    user.refresh();
    return user;
  }

  /** Redis's ACLUpdateDefaultUserPassword: requirepass is the default user's one password ('' = nopass). */
  private applyRequirepass(password: string): void {
    const user = this.defaultUser;
    user.apply('resetpass');
    user.apply(password === '' ? 'nopass' : `>${password}`);
    user.refresh();
  }

  /** Redis's authRequired for a client that has not authenticated: the default user needs a password or is off. */
  authRequired(): boolean {
    return !this.defaultUser.nopass || this.defaultUser.off;
  }

  /** Whether a new connection (or one RESET) starts authenticated as the default user. */
  defaultAuthenticated(): boolean {
    return this.defaultUser.nopass && !this.defaultUser.off;
  }

  user(name: string): AclUser | undefined {
    return this.users.get(name);
  }

  /** Users sorted by name, as Redis's rax lists them (bytes order). */
  sortedUsers(): AclUser[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  // ---- permission checks ----

  /** Redis's ACLCheckAllUserCommandPerm. */
  check(view: AclUserView, resolved: ResolvedCommand, argv: readonly string[]): AclDenial | null {
    const user = view as AclUser;
    const cache: KeyCache = { keys: null };
    const where = { pos: 0 };
    const noAuth = (resolved.flagBits & CMD_NO_AUTH) !== 0;
    let relevant = DENIED_CMD;
    let lastPos = 0;
    for (const selector of user.selectors) {
      where.pos = 0;
      const result = selector.check(resolved, argv, cache, where, noAuth);
      if (result === 0) return null;
      if (result > relevant || (result === relevant && where.pos > lastPos)) {
        relevant = result;
        lastPos = where.pos;
      }
    }
    return { reason: REASONS[relevant] as AclDenial['reason'], pos: lastPos };
  }

  mayReadAnyKey(view: AclUserView, resolved: ResolvedCommand, argv: readonly string[]): boolean {
    const user = view as AclUser;
    if (user.unrestricted) return true;
    const cache: KeyCache = { keys: null };
    const where = { pos: 0 };
    const noAuth = (resolved.flagBits & CMD_NO_AUTH) !== 0;
    for (const selector of user.selectors) {
      if (selector.check(resolved, argv, cache, where, noAuth) === 0 && selector.readsEveryKey()) return true;
    }
    return false;
  }

  /** Redis's addACLLogEntry for a refused command (`client` is the connection, or a script's caller). */
  logDenial(client: CommandContext, denial: AclDenial, context: AclLogContext, resolved: ResolvedCommand, argv: readonly string[]): void {
    const object = denial.reason === 'command' ? resolved.fullName : (argv[denial.pos] as string);
    this.log.add(denial.reason, context, object, client.user.name, clientInfo(client));
  }

  /**
   * Redis's ACLAuthenticateUser: on success the client runs as `name` from now on; a failure is
   * logged (reason auth, the command as sent for object). The password is only hashed.
   */
  authenticate(conn: ClientConnection, name: string, password: string, command: string): boolean {
    const user = this.users.get(name);
    if (user !== undefined && user.checkPassword(password)) {
      conn.authenticate(user);
      return true;
    }
    // AUTH queued in a transaction runs from EXEC: Redis still sees the client in MULTI then.
    this.log.add('auth', conn.multi !== null || conn.inMulti ? 'multi' : 'toplevel', command, name, clientInfo(conn));
    return false;
  }

  // ---- changing users ----

  /** Redis's ACLStringSetUser: all the rules apply, or none (the error names the rule). */
  setUser(name: string, args: readonly string[], current: ClientConnection | null): void {
    const merged = mergeSelectorArguments(args);
    if (!Array.isArray(merged)) throw new AclError(`Unmatched parenthesis in acl selector starting at '${args[merged.unmatched] as string}'.`);
    const existing = this.users.get(name);
    const temp = new AclUser(name, this);
    if (existing !== undefined) temp.copyFrom(existing);
    for (const op of merged) {
      try {
        temp.apply(op);
      } catch (err) {
        if (!(err instanceof RuleFailure)) throw err;
        throw new AclError(`Error in ACL SETUSER modifier '${op}': ${ruleErrorText(err.kind)}`);
      }
    }
    temp.refresh();
    if (existing !== undefined) {
      this.killPubsubClientsIfNeeded(temp, existing, current);
      existing.copyFrom(temp);
    } else {
      this.users.set(name, temp);
    }
  }

  /** ACL DELUSER of users other than default: how many existed. Their clients are disconnected. */
  deleteUsers(names: readonly string[], current: ClientConnection | null): number {
    let deleted = 0;
    for (const name of names) {
      const user = this.users.get(name);
      if (user === undefined) continue;
      this.users.delete(name);
      this.disconnectClientsOf(user, current);
      deleted++;
    }
    return deleted;
  }

  /**
   * Redis's ACLFreeUserAndKillClients: the user's clients go back to the default user,
   * unauthenticated, and are closed (the current one once its reply is written).
   */
  private disconnectClientsOf(user: AclUser, current: ClientConnection | null): void {
    for (const client of [...this.server.clients.values()]) {
      if (client.user !== user) continue;
      client.user = this.defaultUser;
      client.authenticated = false;
      if (client === current) client.closeAfterReply();
      else client.kill();
    }
  }

  /**
   * Redis's ACLKillPubsubClientsIfNeeded: when a user's channel permissions shrink, its
   * subscribed clients holding a channel or pattern no longer allowed are disconnected.
   */
  private killPubsubClientsIfNeeded(next: AclUser, original: AclUser, current: ClientConnection | null): void {
    if (next.selectors.some((s) => s.allChannels)) return;
    const upcoming: string[] = [];
    for (const s of next.selectors) upcoming.push(...s.channels);
    let superset = true;
    for (const s of original.selectors) {
      if (s.allChannels || s.channels.some((c) => !upcoming.includes(c))) {
        superset = false;
        break;
      }
    }
    if (superset) return;
    for (const client of [...this.server.clients.values()]) {
      if (client.user !== original || !isSubscribed(client)) continue;
      let kill = false;
      for (const p of client.patterns) if (!channelInList(upcoming, p, true)) kill = true;
      for (const c of client.channels) if (!kill && !channelInList(upcoming, c, false)) kill = true;
      for (const c of client.shardChannels) if (!kill && !channelInList(upcoming, c, false)) kill = true;
      if (!kill) continue;
      if (client === current) client.closeAfterReply();
      else client.kill();
    }
  }

  // ---- configuration and the ACL file ----

  /**
   * Redis's ACLLoadConfiguredUsers: the `user` lines of the config file, each applied to a new
   * user (the default user is reset first). Throws an AclError with Redis's log text.
   */
  loadConfiguredUsers(lines: readonly (readonly string[])[]): void {
    const seen = new Set<string>();
    for (const line of lines) {
      const [name, ...rules] = line as string[];
      if (name === undefined) continue;
      if (seen.has(name)) throw new AclError(`Error in user declaration '${name}': ${ruleErrorText('duplicate')}`);
      seen.add(name);
      if (hasSpaces(name)) throw new AclError('Spaces not allowed in ACL usernames');
      const merged = mergeSelectorArguments(rules);
      if (!Array.isArray(merged)) throw new AclError(`Unmatched parenthesis in acl selector starting at '${rules[merged.unmatched] as string}'.`);
      let user = this.users.get(name);
      if (user === undefined) {
        user = new AclUser(name, this);
        this.users.set(name, user);
      } else {
        user.apply('reset');
      }
      for (const op of merged) {
        try {
          user.apply(op);
        } catch (err) {
          if (!(err instanceof RuleFailure)) throw err;
          throw new AclError(`Error loading ACL rule '${op}' for the user named '${name}': ${ruleErrorText(err.kind)}`);
        }
      }
      user.refresh();
    }
  }

  /** aclfile as configured ('' when none). */
  get aclFile(): string {
    return this.server.config.getString('aclfile');
  }

  private aclPath(): string {
    return resolve(this.server.config.getString('dir'), this.aclFile);
  }

  /**
   * Redis's ACLLoadFromFile: every line is checked and, only if all are valid, the users are
   * replaced (the default user keeps its identity; clients of the other old users are
   * disconnected). Returns null, or the errors as one line.
   */
  loadFromFile(current: ClientConnection | null): string | null {
    const filename = this.aclFile;
    let text: string;
    try {
      text = readFileSync(this.aclPath(), 'latin1');
    } catch (err) {
      return `Error loading ACLs, opening file '${filename}': ${systemMessage(err)}`;
    }
    let errors = '';
    const users = new Map<string, AclUser>();
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = (lines[i] as string).replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      const lineNumber = i + 1;
      if (line === '') continue;
      const argv = line.split(' ');
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += `${filename}:${lineNumber} should start with user keyword followed by the username. `;
        continue;
      }
      const name = argv[1] as string;
      if (hasSpaces(name)) {
        errors += `'${filename}:${lineNumber}: username '${name}' contains invalid characters. `;
        continue;
      }
      if (users.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${lineNumber}. `;
        continue;
      }
      const user = new AclUser(name, this);
      users.set(name, user);
      const merged = mergeSelectorArguments(argv.slice(2));
      if (!Array.isArray(merged)) {
        errors += `${filename}:${lineNumber}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      let syntaxError = false;
      for (const raw of merged) {
        const op = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, '');
        try {
          user.apply(op);
        } catch (err) {
          if (!(err instanceof RuleFailure)) throw err;
          if (err.kind === 'unknown') {
            errors += `${filename}:${lineNumber}: Error in applying operation '${op}': ${ruleErrorText(err.kind)}. `;
          } else if (!syntaxError) {
            errors += `${filename}:${lineNumber}: ${ruleErrorText(err.kind)}. `;
            syntaxError = true;
          }
        }
      }
      user.refresh();
    }
    if (errors !== '') return `${errors}WARNING: ACL errors detected, no change to the previously active ACL rules was performed`;
    const newDefault = users.get('default') ?? this.createDefaultUser();
    this.defaultUser.copyFrom(newDefault);
    users.set('default', this.defaultUser);
    const old = this.users;
    this.users = users;
    for (const [name, user] of old) if (name !== 'default') this.disconnectClientsOf(user, current);
    return null;
  }

  /**
   * Redis's rewriteConfigUserOption: the config file's `user` lines for CONFIG REWRITE, none
   * when the users live in an ACL file.
   */
  configLines(): string[] {
    if (this.aclFile !== '') return [];
    return this.sortedUsers().map((user) => `user ${user.name} ${user.describe()}`);
  }

  /** Redis's ACLSaveToFile: every user as a `user` line, written to a temporary file then renamed. */
  saveToFile(): boolean {
    let text = '';
    for (const user of this.sortedUsers()) text += `user ${user.name} ${user.describe()}\n`;
    const path = this.aclPath();
    const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      writeFileSync(temp, text, { encoding: 'latin1', mode: 0o644 });
      renameSync(temp, path);
      return true;
    } catch (err) {
      this.server.log.warn(`Writing ACL file for ACL SAVE: ${systemMessage(err)}`);
      try {
        unlinkSync(temp);
      } catch {
        // Nothing was written.
      }
      return false;
    }
  }
}

/**
 * Redis's ACLAppendUserForLoading, run on each `user` line of the config file as it is read:
 * a user defined twice, or rules that cannot apply (unknown commands wait for the loading
 * itself), are config-file errors. The argument it names is picked as Redis picks it (an
 * index among the rules used on the whole line: Redis names `on` for `user c on ~* ~b`).
 */
export function userLineCheck(table: CommandLookup, config: Config): UserLineCheck {
  const defaults: SelectorDefaults = { commands: new AclCommandSet(table), allChannels: () => config.format('acl-pubsub-default') === 'allchannels' };
  return (args, earlier) => {
    const argv = ['user', ...args];
    const name = args[0] as string;
    if (earlier.some((line) => line[0] === name)) return `Error in user declaration '${name}': ${ruleErrorText('duplicate')}`;
    const merged = mergeSelectorArguments(args.slice(1));
    // Redis reports an unclosed selector with the error text errno last held: at start-up, ENOENT's.
    if (!Array.isArray(merged)) return `Error in user declaration '${argv[merged.unmatched] ?? ''}': ${ruleErrorText('unknown')}`;
    const fake = new AclUser(name, defaults);
    for (let j = 0; j < merged.length; j++) {
      try {
        fake.apply(merged[j] as string);
      } catch (err) {
        if (!(err instanceof RuleFailure)) throw err;
        if (err.kind !== 'unknown') return `Error in user declaration '${argv[j] ?? ''}': ${ruleErrorText(err.kind)}`;
      }
    }
    return null;
  };
}

/** The client as CLIENT LIST shows it (a script's caller for its commands), '' without a connection. */
function clientInfo(client: CommandContext): string {
  const conn = client.scriptRun !== null ? client.scriptRun.caller.connection : client.connection;
  return conn === null ? '' : conn.describe();
}

/** strerror's text for a file error. */
function systemMessage(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'EISDIR') return 'Is a directory';
  return (err as Error).message;
}
