import { COMMAND_META, type CommandMeta } from './command-meta.js';
import type { CommandGroup, CommandSpec, ResolvedCommand } from './registry.js';

/** Redis's ACL categories, in the order Redis lists them (COMMAND INFO, ACL CAT). */
export const ACL_CATEGORIES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo',
  'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
] as const;

export type AclCategory = (typeof ACL_CATEGORIES)[number];

const BIT = new Map<string, number>(ACL_CATEGORIES.map((name, i) => [name, 1 << i]));

/** The category a command's group implies (Redis declares these per command; they follow the group). */
const GROUP_CATEGORY: Partial<Record<string, AclCategory>> = {
  generic: 'keyspace', string: 'string', bitmap: 'bitmap', hash: 'hash', list: 'list', set: 'set',
  'sorted-set': 'sortedset', pubsub: 'pubsub', transactions: 'transaction', connection: 'connection',
  scripting: 'scripting', hyperloglog: 'hyperloglog', geo: 'geo', stream: 'stream',
};

/** COMMAND DOCS's spelling of a group. */
export function docGroup(group: CommandGroup): string {
  return group === 'sorted_set' ? 'sorted-set' : group;
}

/** The metadata of a command by its full name ('get', 'client|kill'), if Redis has the command. */
export function metaOf(resolved: ResolvedCommand): CommandMeta | undefined {
  return COMMAND_META[resolved.fullName];
}

/** A category's bit, or 0 when there is no such category (names are case-insensitive). */
export function categoryBit(name: string): number {
  return BIT.get(name.toLowerCase()) ?? 0;
}

/**
 * The ACL categories of a command as a bitmask, derived as Redis does: from the flags (write,
 * readonly, admin, pubsub, fast, blocking; not fast = slow), plus the group's category (or the
 * ones Redis declares instead), plus the spec's extras. Container commands only get @slow.
 */
export function categoryMask(resolved: ResolvedCommand): number {
  const spec: CommandSpec = resolved.spec;
  const meta = metaOf(resolved);
  const group = meta?.group ?? docGroup(spec.group);
  let mask = 0;
  const flags = spec.flags;
  if (meta?.acl !== undefined) {
    for (const name of meta.acl) mask |= categoryBit(name);
  } else if (spec.subcommands === undefined) {
    const implied = GROUP_CATEGORY[group];
    if (implied !== undefined) mask |= categoryBit(implied);
  }
  if (flags.includes('write')) mask |= categoryBit('write');
  if (flags.includes('readonly') && group !== 'scripting') mask |= categoryBit('read');
  if (flags.includes('admin')) mask |= categoryBit('admin') | categoryBit('dangerous');
  if (flags.includes('pubsub')) mask |= categoryBit('pubsub');
  if (flags.includes('fast')) mask |= categoryBit('fast');
  if (flags.includes('blocking')) mask |= categoryBit('blocking');
  for (const name of spec.acl ?? []) mask |= categoryBit(name.replace(/^@/, ''));
  if ((mask & categoryBit('fast')) === 0) mask |= categoryBit('slow');
  return mask;
}

/** The categories of a mask, in Redis's order. */
export function categoryNames(mask: number): AclCategory[] {
  const names: AclCategory[] = [];
  for (let i = 0; i < ACL_CATEGORIES.length; i++) {
    if ((mask & (1 << i)) !== 0) names.push(ACL_CATEGORIES[i] as AclCategory);
  }
  return names;
}
