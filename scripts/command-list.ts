/**
 * Prints the supported-commands section of README.md from the command table:
 * `npx tsx scripts/command-list.ts`. A unit test checks README lists every command.
 */
import { allCommands } from '../src/commands/index.js';
import type { CommandSpec } from '../src/commands/core/context.js';

const GROUP_TITLES: Record<string, string> = {
  string: 'Strings', bitmap: 'Bitmaps', generic: 'Keys (generic)', hash: 'Hashes', list: 'Lists', set: 'Sets', 'sorted-set': 'Sorted sets', geo: 'Geospatial',
  stream: 'Streams', hyperloglog: 'HyperLogLog', transactions: 'Transactions', scripting: 'Scripting', pubsub: 'Pub/Sub', connection: 'Connection', server: 'Server', cluster: 'Cluster (answering that cluster support is disabled, as Redis without cluster-enabled)',
};

export function commandListMarkdown(): string {
  const byGroup = new Map<string, CommandSpec[]>();
  for (const spec of allCommands()) {
    const list = byGroup.get(spec.data.group) ?? [];
    list.push(spec);
    byGroup.set(spec.data.group, list);
  }
  const lines: string[] = [];
  for (const group of Object.keys(GROUP_TITLES).concat([...byGroup.keys()].filter((g) => !(g in GROUP_TITLES)))) {
    const specs = byGroup.get(group);
    if (specs === undefined) continue;
    const names = specs
      .map((s) => (s.subcommands ? `${s.name.toUpperCase()} ${s.subcommands.map((sub) => sub.name.toUpperCase()).sort().join('\\|')}` : s.name.toUpperCase()))
      .sort();
    lines.push(`- **${GROUP_TITLES[group] ?? group}** (${specs.length}): ${names.join(', ')}`);
  }
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('command-list.ts')) console.log(commandListMarkdown());
