/**
 * Writes each command folder's commands.json (src/commands/<folder>/commands.json) from a real
 * redis-server 7.0: for every command the folder's code declares, what COMMAND INFO and
 * COMMAND DOCS say about it (arity, flags, key range, ACL categories, tips, key specs, summary,
 * since, group, complexity, doc flags, deprecation, history, arguments).
 *
 *   npm run gen:commands                          refresh every folder from redis-server (on PATH)
 *   npm run gen:commands -- server lolwut         also add entries for these names to server/
 *                                                 (before their handlers exist)
 *   npm run gen:commands -- --check               exit 1 if a file is not what it would write
 *
 * What a server cannot tell is kept from the file as it was: the flags COMMAND INFO hides
 * (may_replicate, protected, sentinel, only_sentinel), and the whole entry of a command this
 * redis-server does not know (CLIENT SETINFO, from Redis 7.2). Entries no code declares are
 * dropped.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commandGroups } from '../src/commands/index.js';
import { codeNames } from '../src/commands/core/registry.js';
import { HIDDEN_FLAGS, readCommandData, type CommandData, type CommandFlag } from '../src/commands/core/command-data.js';
import { startOracle } from '../test/helpers/oracle.js';
import { RawClient } from '../test/helpers/raw-client.js';
import type { RespValue } from '../test/helpers/resp.js';

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

/** A decoded RESP3 reply as plain JSON: maps become objects, sets arrays. */
function plain(value: RespValue): Plain {
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') throw new Error('unexpected big number in a COMMAND reply');
    return value;
  }
  if ('map' in value) {
    const out: { [key: string]: Plain } = {};
    for (const [key, item] of value.map) out[String(key)] = plain(item);
    return out;
  }
  if ('set' in value) return value.set.map(plain);
  throw new Error(`unexpected reply in a COMMAND reply: ${JSON.stringify(value)}`);
}

/** COMMAND DOCS fields in the order the entry keeps them (Redis's reply order). */
const DOC_FIELDS = [
  'summary', 'since', 'group', 'complexity', 'doc_flags', 'deprecated_since', 'replaced_by', 'history', 'arguments',
] as const;

/** One entry from a COMMAND INFO entry and a COMMAND DOCS map; the hidden flags come from the old entry. */
export function entryFromReplies(info: Plain[], docs: { [key: string]: Plain }, old: CommandData | undefined): CommandData {
  const [, arity, flags, first, last, step, categories, tips, keySpecs] = info;
  const hidden = (old?.flags ?? []).filter((flag) => HIDDEN_FLAGS.includes(flag));
  const entry: Record<string, Plain> = {
    arity: arity as number,
    flags: [...(flags as CommandFlag[]), ...hidden],
    first_key: first as number,
    last_key: last as number,
    key_step: step as number,
    acl_categories: categories as string[],
  };
  if ((tips as Plain[]).length > 0) entry.tips = tips as Plain[];
  if ((keySpecs as Plain[]).length > 0) entry.key_specs = keySpecs as Plain[];
  for (const field of DOC_FIELDS) if (docs[field] !== undefined) entry[field] = docs[field] as Plain;
  return entry as unknown as CommandData;
}

export interface Generated {
  folder: string;
  entries: Record<string, CommandData>;
  kept: string[];
  unknown: string[];
}

/** The old entries of a folder's commands.json, if it exists. */
function readOld(folder: string): Record<string, CommandData> {
  const path = fileURLToPath(new URL(`../src/commands/${folder}/commands.json`, import.meta.url));
  if (!existsSync(path)) return {};
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const out: Record<string, CommandData> = {};
  for (const [name, value] of Object.entries(raw)) out[name] = readCommandData(`${path}: ${name}`, value);
  return out;
}

/**
 * The entries every folder should have, asked of the redis-server at `port`: the names the code
 * declares, plus `extra` names per folder.
 */
export async function generate(port: number, extra: ReadonlyMap<string, string[]> = new Map()): Promise<Generated[]> {
  const client = await RawClient.connect(port);
  try {
    await client.call('HELLO', '3');
    const serverInfo = (await client.call('INFO', 'server')) as { verbatim: string } | string;
    const text = typeof serverInfo === 'string' ? serverInfo : serverInfo.verbatim;
    const version = /redis_version:(\S+)/.exec(text)?.[1] ?? '?';
    if (!version.startsWith('7.0.')) throw new Error(`redis-server ${version}: nodis describes its commands as Redis 7.0 does, run a 7.0 server`);
    const out: Generated[] = [];
    for (const group of commandGroups) {
      const old = readOld(group.folder);
      const names = [...new Set([...codeNames(group.code), ...(extra.get(group.folder) ?? [])])].sort();
      const result: Generated = { folder: group.folder, entries: {}, kept: [], unknown: [] };
      for (const name of names) {
        const [info] = plain(await client.call('COMMAND', 'INFO', name)) as Plain[];
        const docs = plain(await client.call('COMMAND', 'DOCS', name)) as { [key: string]: Plain };
        const before = old[name];
        if (info === null || info === undefined) {
          // Not a Redis 7.0 command: its entry is written by hand and kept as it is.
          if (before !== undefined) {
            result.entries[name] = before;
            result.kept.push(name);
          } else {
            result.unknown.push(name);
          }
          continue;
        }
        const entry = entryFromReplies(info as Plain[], docs[name] as { [key: string]: Plain }, before);
        result.entries[name] = readCommandData(`${name} as redis-server describes it`, entry);
      }
      out.push(result);
    }
    return out;
  } finally {
    client.close();
  }
}

const WIDTH = 120;

function inline(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[${value.map(inline).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value);
    return fields.length === 0 ? '{}' : `{ ${fields.map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(', ')} }`;
  }
  return JSON.stringify(value);
}

/** JSON with each value on one line when it fits in WIDTH columns, expanded otherwise. */
function pretty(value: unknown, indent: string, prefix: number): string {
  const flat = inline(value);
  if (indent.length + prefix + flat.length + 1 <= WIDTH || value === null || typeof value !== 'object') return flat;
  const inner = indent + '  ';
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + pretty(v, inner, 0)).join(',\n')}\n${indent}]`;
  const fields = Object.entries(value).map(([k, v]) => {
    const key = `${JSON.stringify(k)}: `;
    return inner + key + pretty(v, inner, key.length);
  });
  return `{\n${fields.join(',\n')}\n${indent}}`;
}

/** The text of a commands.json: entries by full name, sorted, one per block. */
export function formatCommandsJson(entries: Record<string, CommandData>): string {
  const names = Object.keys(entries).sort();
  if (names.length === 0) return '{}\n';
  const blocks = names.map((name) => `  ${JSON.stringify(name)}: ${pretty(entries[name], '  ', name.length + 4)}`);
  return `{\n${blocks.join(',\n')}\n}\n`;
}

async function main(args: string[]): Promise<number> {
  const check = args.includes('--check');
  const rest = args.filter((arg) => arg !== '--check');
  const extra = new Map<string, string[]>();
  if (rest.length > 0) {
    const [folder, ...names] = rest as [string, ...string[]];
    if (!commandGroups.some((g) => g.folder === folder) || names.length === 0) {
      console.error(`usage: gen-command-docs [--check] [<folder> <command name>...]; folders: ${commandGroups.map((g) => g.folder).join(', ')}`);
      return 2;
    }
    extra.set(folder, names.map((name) => name.toLowerCase()));
  }
  const oracle = await startOracle();
  let generated: Generated[];
  try {
    generated = await generate(oracle.port, extra);
  } finally {
    await oracle.stop();
  }
  let status = 0;
  for (const group of generated) {
    const path = fileURLToPath(new URL(`../src/commands/${group.folder}/commands.json`, import.meta.url));
    const text = formatCommandsJson(group.entries);
    const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
    for (const name of group.kept) console.log(`${group.folder}: kept ${name} as written (redis-server does not know it)`);
    if (group.unknown.length > 0) {
      console.error(`${group.folder}: redis-server does not know ${group.unknown.join(', ')}: write their entries in ${path} by hand`);
      status = 1;
    }
    if (text === before) continue;
    if (check) {
      console.error(`${path} is not up to date: run npm run gen:commands`);
      status = 1;
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${path} (${Object.keys(group.entries).length} commands)`);
    }
  }
  return status;
}

if (process.argv[1]?.endsWith('gen-command-docs.ts')) {
  process.exitCode = await main(process.argv.slice(2));
}
