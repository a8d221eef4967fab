import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allCommands } from '../../src/commands/index.js';
import { CommandTable } from '../../src/commands/core/registry.js';
import { ACL_CATEGORIES } from '../../src/commands/core/categories.js';
import { AclCommandSet, RuleFailure, Selector } from '../../src/acl/selector.js';
import { AclUser, hashPassword, mergeSelectorArguments } from '../../src/acl/user.js';
import { userLineCheck } from '../../src/acl/acl.js';
import { Config } from '../../src/config/config.js';
import { ConfigFileError, formatFatalConfigError, loadServerConfig } from '../../src/config/file.js';

const commands = new AclCommandSet(new CommandTable(allCommands()));
const defaults = { commands, allChannels: () => false };

const categoryRules = ACL_CATEGORIES.flatMap((c) => [`+@${c}`, `-@${c}`]);
const commandRules = ['get', 'set', 'config', 'config|get', 'config|set', 'client|kill', 'acl', 'acl|setuser', 'del', 'flushall', 'eval', 'select']
  .flatMap((c) => [`+${c}`, `-${c}`]);
const rule = fc.constantFrom(...categoryRules, ...commandRules, '+select|0', '+select|3', '+debug|object', 'allcommands', 'nocommands', '+@all', '-@all');

describe('ACL rules', () => {
  it('describes any command bitmap by rules that rebuild exactly that bitmap (Redis checks this before it answers)', () => {
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 25 }), (ops) => {
        const original = new Selector(commands, true, false);
        for (const op of ops) original.apply(op);
        const rebuilt = new Selector(commands, true, false);
        for (const op of original.describeCommands().split(' ')) rebuilt.apply(op);
        expect(Buffer.from(rebuilt.allowed)).toEqual(Buffer.from(original.allowed));
        expect(rebuilt.describeCommands()).toBe(original.describeCommands());
      }),
      { seed: 15, numRuns: 300 },
    );
  });

  it('starts from +@all only when the rules did (the future-commands bit)', () => {
    const s = new Selector(commands, true, false);
    s.apply('+@all');
    s.apply('-get');
    expect(s.describeCommands()).toBe('+@all -get');
    s.apply('nocommands');
    s.apply('+get');
    expect(s.describeCommands()).toBe('-@all +get');
    expect(s.unrestricted).toBe(false);
  });

  it('keeps only SHA-256 digests of passwords', () => {
    const user = new AclUser('u', defaults);
    user.apply('>secret');
    user.apply('on');
    expect(user.passwords).toEqual([hashPassword('secret')]);
    expect(user.describe()).not.toContain('secret');
    expect(user.checkPassword('secret')).toBe(true);
    expect(user.checkPassword('Secret')).toBe(false);
    expect(() => user.apply('<other')).toThrow(RuleFailure);
    user.apply('off');
    expect(user.checkPassword('secret')).toBe(false);
  });

  it('is unrestricted (no checks at all) only with every command, key and channel in its root selector', () => {
    const user = new AclUser('u', defaults);
    for (const op of ['+@all', '~*']) user.apply(op);
    user.refresh();
    expect(user.unrestricted).toBe(false);
    user.apply('&*');
    user.refresh();
    expect(user.unrestricted).toBe(true);
    user.apply('-debug');
    user.refresh();
    expect(user.unrestricted).toBe(false);
  });

  it("checks the config file's user lines as they are read, with redis-server's fatal errors", () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodis-acl-conf-'));
    const fatal = (text: string): string => {
      const file = join(dir, 'x.conf');
      writeFileSync(file, text);
      const config = new Config();
      try {
        loadServerConfig(config, { file, checkUser: userLineCheck(commands.table, config) });
        return 'loaded';
      } catch (err) {
        if (!(err instanceof ConfigFileError)) throw err;
        return formatFatalConfigError(err);
      }
    };
    try {
      // What redis-server 7.0.15 prints for the same files.
      const header = '\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line ';
      expect(fatal('port 7712\nuser c on ~* ~b\n')).toBe(
        `${header}2\n>>> 'user c on ~* ~b'\nError in user declaration 'on': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid ` +
          "and does not have any effect. Try 'resetkeys' to start with an empty list of patterns\n",
      );
      expect(fatal('port 7712\nuser c on\nuser c off\n')).toBe(
        `${header}3\n>>> 'user c off'\nError in user declaration 'c': Duplicate user found. A user can only be defined once in config files\n`,
      );
      expect(fatal('port 7712\nuser c on (+get\n')).toBe(`${header}2\n>>> 'user c on (+get'\nError in user declaration 'c': Unknown command or category name in ACL\n`);
      // Unknown commands wait for the loading itself (modules may add them in Redis).
      expect(fatal('user c on +nosuch\nuser d on >x ~* &* +@all\n')).toBe('loaded');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('joins a selector split over arguments, and finds an unclosed one', () => {
    expect(mergeSelectorArguments(['on', '(+get', '~a)', '(+set)'])).toEqual(['on', '(+get ~a)', '(+set)']);
    expect(mergeSelectorArguments(['on', '(+get', '~a'])).toEqual({ unmatched: 1 });
  });
});
