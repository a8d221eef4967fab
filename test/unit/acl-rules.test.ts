import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allCommands } from '../../src/commands/index.js';
import { CommandTable } from '../../src/commands/core/registry.js';
import { ACL_CATEGORIES } from '../../src/commands/core/categories.js';
import { AclCommandSet, RuleFailure, Selector } from '../../src/acl/selector.js';
import { AclUser, hashPassword, mergeSelectorArguments } from '../../src/acl/user.js';

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

  it('joins a selector split over arguments, and finds an unclosed one', () => {
    expect(mergeSelectorArguments(['on', '(+get', '~a)', '(+set)'])).toEqual(['on', '(+get ~a)', '(+set)']);
    expect(mergeSelectorArguments(['on', '(+get', '~a'])).toEqual({ unmatched: 1 });
  });
});
