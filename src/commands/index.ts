import { readFileSync } from 'node:fs';
import type { CommandSpec } from './core/context.js';
import { joinCommandGroups, type CommandGroupSource } from './core/registry.js';
import { commands as acl } from './acl/index.js';
import { commands as bits } from './bits/index.js';
import { commands as cluster } from './cluster/index.js';
import { commands as connection } from './connection/index.js';
import { commands as geo } from './geo/index.js';
import { commands as hashes } from './hashes/index.js';
import { commands as hyperloglog } from './hyperloglog/index.js';
import { commands as keys } from './keys/index.js';
import { commands as lists } from './lists/index.js';
import { commands as pubsub } from './pubsub/index.js';
import { commands as scripting } from './scripting/index.js';
import { commands as server } from './server/index.js';
import { commands as sets } from './sets/index.js';
import { commands as streams } from './streams/index.js';
import { commands as strings } from './strings/index.js';
import { commands as transactions } from './transactions/index.js';
import { commands as zsets } from './zsets/index.js';
import aclData from './acl/commands.json' with { type: 'json' };
import bitsData from './bits/commands.json' with { type: 'json' };
import clusterData from './cluster/commands.json' with { type: 'json' };
import connectionData from './connection/commands.json' with { type: 'json' };
import geoData from './geo/commands.json' with { type: 'json' };
import hashesData from './hashes/commands.json' with { type: 'json' };
import hyperloglogData from './hyperloglog/commands.json' with { type: 'json' };
import keysData from './keys/commands.json' with { type: 'json' };
import listsData from './lists/commands.json' with { type: 'json' };
import pubsubData from './pubsub/commands.json' with { type: 'json' };
import serverData from './server/commands.json' with { type: 'json' };
import setsData from './sets/commands.json' with { type: 'json' };
import streamsData from './streams/commands.json' with { type: 'json' };
import stringsData from './strings/commands.json' with { type: 'json' };
import transactionsData from './transactions/commands.json' with { type: 'json' };
import zsetsData from './zsets/commands.json' with { type: 'json' };

/**
 * scripting/commands.json is read rather than imported: tsx (which runs nodis) turns a JSON
 * import into a module with one variable per key, and `eval` cannot be one.
 */
const scriptingData: object = JSON.parse(readFileSync(new URL('./scripting/commands.json', import.meta.url), 'utf8')) as object;

/**
 * Every command folder: the code each group's index lists, and its commands.json (arity, flags,
 * key specs, ACL categories, tips and docs, written by `npm run gen:commands`).
 */
export const commandGroups: readonly CommandGroupSource[] = [
  { folder: 'acl', code: acl, data: aclData },
  { folder: 'bits', code: bits, data: bitsData },
  { folder: 'cluster', code: cluster, data: clusterData },
  { folder: 'connection', code: connection, data: connectionData },
  { folder: 'geo', code: geo, data: geoData },
  { folder: 'hashes', code: hashes, data: hashesData },
  { folder: 'hyperloglog', code: hyperloglog, data: hyperloglogData },
  { folder: 'keys', code: keys, data: keysData },
  { folder: 'lists', code: lists, data: listsData },
  { folder: 'pubsub', code: pubsub, data: pubsubData },
  { folder: 'scripting', code: scripting, data: scriptingData },
  { folder: 'server', code: server, data: serverData },
  { folder: 'sets', code: sets, data: setsData },
  { folder: 'streams', code: streams, data: streamsData },
  { folder: 'strings', code: strings, data: stringsData },
  { folder: 'transactions', code: transactions, data: transactionsData },
  { folder: 'zsets', code: zsets, data: zsetsData },
];

let joined: CommandSpec[] | null = null;

/** Every command nodis ships, code joined to data (once per process; throws if they disagree). */
export function allCommands(): CommandSpec[] {
  joined ??= joinCommandGroups(commandGroups);
  return joined;
}
