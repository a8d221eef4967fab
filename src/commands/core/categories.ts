/** Redis's ACL categories, in the order Redis lists them (COMMAND INFO, ACL CAT). */
export const ACL_CATEGORIES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo',
  'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
] as const;

export type AclCategory = (typeof ACL_CATEGORIES)[number];

const BIT = new Map<string, number>(ACL_CATEGORIES.map((name, i) => [name, 1 << i]));

/** A category's bit, or 0 when there is no such category (names are case-insensitive). */
export function categoryBit(name: string): number {
  return BIT.get(name.toLowerCase()) ?? 0;
}

/** The categories of a mask, in Redis's order. */
export function categoryNames(mask: number): AclCategory[] {
  const names: AclCategory[] = [];
  for (let i = 0; i < ACL_CATEGORIES.length; i++) {
    if ((mask & (1 << i)) !== 0) names.push(ACL_CATEGORIES[i] as AclCategory);
  }
  return names;
}
