import { describe, expect, it } from 'vitest';
import { allCommands, commandGroups } from '../../src/commands/index.js';
import { CommandTable, joinCommandGroups, type CommandGroupSource } from '../../src/commands/core/registry.js';
import { categoryBit } from '../../src/commands/core/categories.js';
import { findKeys } from '../../src/commands/core/keyspecs.js';
import * as bitsOf from '../../src/commands/core/command-data.js';
import { entryFromReplies, formatCommandsJson } from '../../scripts/gen-command-docs.js';

const handler = (): void => {};

/** A minimal valid entry. */
function entry(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { arity: 2, flags: ['readonly', 'fast'], first_key: 1, last_key: 1, key_step: 1, acl_categories: ['@read', '@fast'], group: 'string', ...extra };
}

function join(code: CommandGroupSource['code'], data: object): ReturnType<typeof joinCommandGroups> {
  return joinCommandGroups([{ folder: 'test', code, data }]);
}

describe('command table: code joined to commands.json', () => {
  it('joins every command nodis ships to its data', () => {
    const table = new CommandTable(allCommands());
    const get = table.find('get');
    expect(get?.spec.arity).toBe(2);
    expect(get?.spec.flags).toEqual(['readonly', 'fast']);
    expect(get?.spec.data.summary).toBe('Get the value of a key');
    expect(get?.spec.aclCategories).toBe(categoryBit('read') | categoryBit('string') | categoryBit('fast'));
    expect(table.find('client', 'kill')?.spec.data.arguments?.length).toBeGreaterThan(0);
    // A flag COMMAND INFO hides but CLIENT PAUSE WRITE reads.
    expect(table.find('publish')?.spec.flags).toContain('may_replicate');
    expect(table.size).toBe(commandGroups.reduce((n, g) => n + g.code.length, 0));
  });

  it('precomputes each command\'s top-level name and the flag bits the checks read, with its container\'s noscript and skip_slowlog', () => {
    const table = new CommandTable(allCommands());
    const has = (bits: number, bit: number): boolean => (bits & bit) !== 0;
    let checked = 0;
    for (const top of table.all()) {
      for (const resolved of [top, ...(top.subcommands?.values() ?? [])]) {
        const own = resolved.spec.flags;
        const parent = resolved.parent?.flags ?? [];
        const bits = resolved.flagBits;
        expect(resolved.topName).toBe(top.spec.name);
        expect(has(bits, bitsOf.CMD_PROTECTED)).toBe(own.includes('protected'));
        expect(has(bits, bitsOf.CMD_NOSCRIPT)).toBe(own.includes('noscript') || parent.includes('noscript'));
        expect(has(bits, bitsOf.CMD_NO_AUTH)).toBe(own.includes('no_auth'));
        expect(has(bits, bitsOf.CMD_NO_MULTI)).toBe(own.includes('no_multi'));
        expect(has(bits, bitsOf.CMD_DENYOOM)).toBe(own.includes('denyoom'));
        expect(has(bits, bitsOf.CMD_LOADING)).toBe(own.includes('loading'));
        expect(has(bits, bitsOf.CMD_PAUSED_BY_WRITE_PAUSE)).toBe(own.includes('write') || own.includes('may_replicate'));
        expect(has(bits, bitsOf.CMD_TRACKS_KEYS)).toBe(own.includes('readonly') && !own.includes('pubsub'));
        expect(has(bits, bitsOf.CMD_HIDDEN_FROM_MONITOR)).toBe(own.includes('skip_monitor') || own.includes('admin'));
        expect(has(bits, bitsOf.CMD_SKIP_SLOWLOG)).toBe(own.includes('skip_slowlog') || parent.includes('skip_slowlog'));
        expect(has(bits, bitsOf.CMD_FAST)).toBe(own.includes('fast'));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(table.size);
    expect(table.find('config', 'set')?.topName).toBe('config');
    expect(has(table.find('debug')?.flagBits ?? 0, bitsOf.CMD_PROTECTED)).toBe(true);
    expect(has(table.find('module', 'load')?.flagBits ?? 0, bitsOf.CMD_PROTECTED)).toBe(true);
    expect(has(table.find('auth')?.flagBits ?? 0, bitsOf.CMD_NO_AUTH)).toBe(true);
  });

  it('fails loudly on a command with code but no data, or data but no code', () => {
    expect(() => join([{ name: 'a', handler }, { name: 'b', handler }], { a: entry() })).toThrow(
      'src/commands/test/commands.json has no entry for b (run: npm run gen:commands)',
    );
    expect(() => join([{ name: 'a', handler }], { a: entry(), c: entry() })).toThrow(
      'src/commands/test/commands.json has entries for c that src/commands/test does not declare',
    );
    expect(() => join([{ name: 'a', subcommands: [{ name: 'x', handler }] }], { a: entry() })).toThrow('no entry for a|x');
    expect(() => join([{ name: 'a' }], { a: entry() })).toThrow('command a has data in src/commands/test/commands.json but no handler');
  });

  it('fails loudly on malformed data', () => {
    expect(() => join([{ name: 'a', handler }], { a: entry({ flags: ['readonly', 'nosuch'] }) })).toThrow("a.flags: unknown flag 'nosuch'");
    expect(() => join([{ name: 'a', handler }], { a: entry({ arity: '2' }) })).toThrow('a.arity: must be an integer');
    expect(() => join([{ name: 'a', handler }], { a: entry({ acl_categories: ['@nosuch'] }) })).toThrow("unknown ACL category '@nosuch'");
    expect(() => join([{ name: 'a', handler }], { a: entry({ summry: 'x' }) })).toThrow("unknown field 'summry'");
    const badSpec = { flags: [], begin_search: { type: 'index', spec: {} }, find_keys: { type: 'unknown', spec: {} } };
    expect(() => join([{ name: 'a', handler }], { a: entry({ key_specs: [badSpec] }) })).toThrow('a.key_specs[0].begin_search.spec.index: must be an integer');
  });

  it("finds keys by the data's key specs, or by the command's own finder for variable flags", () => {
    const table = new CommandTable(allCommands());
    const mset = table.find('mset');
    expect(mset && findKeys(mset, ['mset', 'a', '1', 'b', '2']).map((k) => k.pos)).toEqual([1, 3]);
    const set = table.find('set');
    expect(set && findKeys(set, ['set', 'k', 'v'])).toEqual([{ pos: 1, flags: ['OW', 'update'] }]);
    expect(set && findKeys(set, ['set', 'k', 'v', 'GET'])).toEqual([{ pos: 1, flags: ['RW', 'access', 'update'] }]);
  });
});

describe('gen-command-docs', () => {
  it('builds an entry from COMMAND INFO and COMMAND DOCS, keeping the hidden flags of the old entry', () => {
    const info = ['publish', 3, ['pubsub', 'fast'], 0, 0, 0, ['@pubsub', '@fast'], [], [], []];
    const docs = { summary: 'Post a message to a channel', since: '2.0.0', group: 'pubsub', complexity: 'O(N+M)', arguments: [{ name: 'channel', type: 'string' }] };
    const old = entryFromReplies(info, docs, undefined);
    expect(old.flags).toEqual(['pubsub', 'fast']);
    const kept = entryFromReplies(info, docs, { ...old, flags: ['pubsub', 'may_replicate'] });
    expect(kept.flags).toEqual(['pubsub', 'fast', 'may_replicate']);
    expect(Object.keys(kept)).toEqual([
      'arity', 'flags', 'first_key', 'last_key', 'key_step', 'acl_categories', 'summary', 'since', 'group', 'complexity', 'arguments',
    ]);
  });

  it('writes JSON that reads back as it was, sorted by name, short values on one line', () => {
    const entries = { b: entry() as never, a: entry({ arguments: [{ name: 'key', type: 'key', key_spec_index: 0 }] }) as never };
    const text = formatCommandsJson(entries);
    expect(JSON.parse(text)).toEqual(entries);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['a', 'b']);
    expect(text).toContain('    "flags": ["readonly", "fast"],\n');
    expect(formatCommandsJson({})).toBe('{}\n');
  });
});
