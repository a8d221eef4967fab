import { createHash } from 'node:crypto';
import type { AclUserView } from '../commands/core/context.js';
import { splitArgs } from '../protocol/parser.js';
import { RuleFailure, Selector, type AclCommandSet } from './selector.js';

/** Redis's ACLHashPassword: the SHA-256 of the password's bytes, in lower-case hex. Only this is kept. */
export function hashPassword(password: string): string {
  return createHash('sha256').update(Buffer.from(password, 'latin1')).digest('hex');
}

function validHash(hash: string): boolean {
  return /^[0-9a-f]{64}$/.test(hash);
}

/** Constant-time comparison of two hex hashes of the same length. */
function sameHash(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** What a new selector starts with (acl-pubsub-default). */
export interface SelectorDefaults {
  commands: AclCommandSet;
  /** acl-pubsub-default is allchannels. */
  allChannels(): boolean;
}

/**
 * An ACL user (Redis's user): flags, password hashes, a root selector and any more selectors.
 * Connections hold the object itself, so changes (SETUSER copies the rules in) apply to them.
 */
export class AclUser implements AclUserView {
  on = false;
  off = true;
  nopass = false;
  skipSanitizePayload = false;
  sanitizePayload = false;
  /** SHA-256 hex digests; the passwords themselves are never kept. */
  passwords: string[] = [];
  selectors: Selector[];
  unrestricted = false;

  constructor(
    readonly name: string,
    private readonly defaults: SelectorDefaults,
  ) {
    this.selectors = [new Selector(defaults.commands, true, defaults.allChannels())];
  }

  get root(): Selector {
    return this.selectors[0] as Selector;
  }

  /** Redis's ACLCopyUser: this user takes `src`'s rules (keeping its name). */
  copyFrom(src: AclUser): void {
    this.on = src.on;
    this.off = src.off;
    this.nopass = src.nopass;
    this.skipSanitizePayload = src.skipSanitizePayload;
    this.sanitizePayload = src.sanitizePayload;
    this.passwords = [...src.passwords];
    this.selectors = src.selectors.map((s) => s.clone());
    this.refresh();
  }

  /** Recomputes the fast-path flag after a change. */
  refresh(): void {
    this.unrestricted = this.root.unrestricted;
  }

  /** Redis's ACLCheckUserCredentials: enabled, and nopass or one of the hashes matches. */
  checkPassword(password: string): boolean {
    if (this.off) return false;
    if (this.nopass) return true;
    const hashed = hashPassword(password);
    let ok = false;
    for (const hash of this.passwords) if (sameHash(hashed, hash)) ok = true;
    return ok;
  }

  /** Redis's ACLSetUser: applies one rule; throws a RuleFailure. The caller refreshes. */
  apply(op: string): void {
    if (op === '') return;
    const lower = op.toLowerCase();
    if (lower === 'on') {
      this.on = true;
      this.off = false;
    } else if (lower === 'off') {
      this.off = true;
      this.on = false;
    } else if (lower === 'skip-sanitize-payload') {
      this.skipSanitizePayload = true;
      this.sanitizePayload = false;
    } else if (lower === 'sanitize-payload') {
      this.skipSanitizePayload = false;
      this.sanitizePayload = true;
    } else if (lower === 'nopass') {
      this.nopass = true;
      this.passwords = [];
    } else if (lower === 'resetpass') {
      this.nopass = false;
      this.passwords = [];
    } else if (op[0] === '>' || op[0] === '#') {
      let hash: string;
      if (op[0] === '>') {
        hash = hashPassword(op.slice(1));
      } else {
        hash = op.slice(1);
        if (!validHash(hash)) throw new RuleFailure('bad-hash');
      }
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.nopass = false;
    } else if (op[0] === '<' || op[0] === '!') {
      let hash: string;
      if (op[0] === '<') {
        hash = hashPassword(op.slice(1));
      } else {
        hash = op.slice(1);
        if (!validHash(hash)) throw new RuleFailure('bad-hash');
      }
      const at = this.passwords.indexOf(hash);
      if (at === -1) throw new RuleFailure('no-such-password');
      this.passwords.splice(at, 1);
    } else if (op[0] === '(' && op[op.length - 1] === ')') {
      const selector = new Selector(this.defaults.commands, false, this.defaults.allChannels());
      const rules = splitArgs(op.slice(1, -1));
      if (rules === null) throw new RuleFailure('syntax');
      for (const rule of rules) selector.apply(rule);
      this.selectors.push(selector);
    } else if (lower === 'clearselectors') {
      this.selectors.length = 1;
    } else if (lower === 'reset') {
      this.apply('resetpass');
      this.apply('resetkeys');
      this.apply('resetchannels');
      if (this.defaults.allChannels()) this.apply('allchannels');
      this.apply('off');
      this.apply('sanitize-payload');
      this.apply('clearselectors');
      this.apply('-@all');
    } else {
      this.root.apply(op);
    }
  }

  /** The flags GETUSER lists, in Redis's order. */
  flagNames(): string[] {
    const names: string[] = [];
    if (this.on) names.push('on');
    if (this.off) names.push('off');
    if (this.nopass) names.push('nopass');
    if (this.skipSanitizePayload) names.push('skip-sanitize-payload');
    if (this.sanitizePayload) names.push('sanitize-payload');
    return names;
  }

  /** Redis's ACLDescribeUser: the rules that recreate this user (ACL LIST, ACL SAVE). */
  describe(): string {
    let out = '';
    for (const flag of this.flagNames()) out += `${flag} `;
    for (const hash of this.passwords) out += `#${hash} `;
    for (const selector of this.selectors) {
      out += selector.root ? selector.describe() : ` (${selector.describe()})`;
    }
    return out;
  }
}

/**
 * Redis's ACLMergeSelectorArguments: a selector may come split over several arguments
 * ("(+get", "~key)"): they are joined with spaces. Returns the index of an unclosed one's
 * first argument instead when a parenthesis is left open.
 */
export function mergeSelectorArguments(args: readonly string[]): string[] | { unmatched: number } {
  const merged: string[] = [];
  let open = -1;
  let selector = '';
  for (let j = 0; j < args.length; j++) {
    const op = args[j] as string;
    if (op.startsWith('(') && !op.endsWith(')')) {
      selector = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      selector += ` ${op}`;
      if (op.endsWith(')')) {
        open = -1;
        merged.push(selector);
      }
      continue;
    }
    merged.push(op);
  }
  return open === -1 ? merged : { unmatched: open };
}
