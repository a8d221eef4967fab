import type { RawClient } from './raw-client.js';
import type { RespValue } from './resp.js';

/** One key as both servers can be compared on: its type, its whole value, its absolute expiry. */
export interface KeyState {
  type: string;
  /** Strings as they are, lists in order, hashes and sets sorted, sorted sets in order with scores. */
  value: string;
  /** PEXPIRETIME: ms since the epoch, -1 without expiry. */
  expireAt: number;
}

async function pipeline(client: RawClient, commands: string[][]): Promise<RespValue[]> {
  for (const argv of commands) client.send(...argv);
  const replies: RespValue[] = [];
  for (let i = 0; i < commands.length; i++) replies.push(await client.read());
  return replies;
}

function pairs(items: RespValue[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < items.length; i += 2) out.push([String(items[i]), String(items[i + 1])]);
  return out;
}

/** A flat array of names and values (a RESP2 map) as an object, without the named fields. */
function fields(flat: RespValue[], without: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < flat.length; i += 2) if (!without.includes(String(flat[i]))) out[String(flat[i])] = flat[i + 1];
  return out;
}

/**
 * A stream as XINFO STREAM FULL shows it: entries, IDs and counters, groups with their PELs
 * (delivery times and counts) and consumers, but not what a copy of it may hold otherwise:
 * its node layout, the consumers' seen-times, and the groups' entries-read and lag (Redis 7.0
 * propagates XREADGROUP as XCLAIM … LASTID, which leaves a replica's entries-read where it was:
 * Redis's own replicas and AOF reloads differ from their master there).
 */
function streamState(full: RespValue[]): Record<string, unknown> {
  const state = fields(full, ['radix-tree-keys', 'radix-tree-nodes']);
  state.groups = ((state.groups ?? []) as RespValue[][]).map((group) => {
    const g = fields(group, ['entries-read', 'lag']);
    g.consumers = ((g.consumers ?? []) as RespValue[][]).map((consumer) => fields(consumer, ['seen-time']));
    return g;
  });
  return state;
}

/**
 * Every key of databases 0..dbCount-1 as `db:key` → state. Keys the server considers expired
 * are not listed (KEYS leaves them out). Leaves the connection on database 0.
 */
export async function readDataset(client: RawClient, dbCount: number): Promise<Map<string, KeyState>> {
  const out = new Map<string, KeyState>();
  for (let db = 0; db < dbCount; db++) {
    await client.call('SELECT', String(db));
    const keys = (await client.call('KEYS', '*')) as string[];
    if (keys.length === 0) continue;
    const meta = await pipeline(client, keys.flatMap((k) => [['TYPE', k], ['PEXPIRETIME', k]]));
    const reads: string[][] = [];
    keys.forEach((k, i) => {
      const type = meta[i * 2] as string;
      if (type === 'string') reads.push(['GET', k]);
      else if (type === 'list') reads.push(['LRANGE', k, '0', '-1']);
      else if (type === 'hash') reads.push(['HGETALL', k]);
      else if (type === 'set') reads.push(['SMEMBERS', k]);
      else if (type === 'zset') reads.push(['ZRANGE', k, '0', '-1', 'WITHSCORES']);
      else if (type === 'stream') reads.push(['XINFO', 'STREAM', k, 'FULL', 'COUNT', '0']);
      else reads.push(['TYPE', k]);
    });
    const values = await pipeline(client, reads);
    keys.forEach((k, i) => {
      const type = meta[i * 2] as string;
      // Expired between KEYS and TYPE, or between TYPE and PEXPIRETIME (-2: no such key).
      if (type === 'none' || meta[i * 2 + 1] === -2) return;
      const raw = values[i] as RespValue;
      let value: string;
      if (type === 'hash') value = JSON.stringify(pairs(raw as RespValue[]).sort());
      else if (type === 'set') value = JSON.stringify((raw as string[]).slice().sort());
      else if (type === 'stream') value = JSON.stringify(streamState(raw as RespValue[]));
      else value = JSON.stringify(raw);
      out.set(`${db}:${k}`, { type, value, expireAt: meta[i * 2 + 1] as number });
    });
  }
  await client.call('SELECT', '0');
  return out;
}

/**
 * The keys whose state differs between two datasets read between `from` and `to` (ms since
 * the epoch), leaving out the keys that either side says expire in that window (widened by a
 * margin): those may be gone on one side and not yet on the other. A key whose expiry passed
 * before the window is absent from both sides, unless they disagree.
 */
export function datasetDifferences(a: Map<string, KeyState>, b: Map<string, KeyState>, from: number, to: number): string[] {
  const margin = 100;
  const differences: string[] = [];
  const racing = (s: KeyState | undefined): boolean => s !== undefined && s.expireAt >= from - margin && s.expireAt <= to + margin;
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key);
    const y = b.get(key);
    if (racing(x) || racing(y)) continue;
    if (JSON.stringify(x) !== JSON.stringify(y)) differences.push(`${JSON.stringify(key)}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  }
  return differences;
}
