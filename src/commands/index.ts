import type { CommandSpec } from './core/registry.js';
import { commands as connection } from './connection/index.js';
import { commands as hashes } from './hashes/index.js';
import { commands as keys } from './keys/index.js';
import { commands as lists } from './lists/index.js';
import { commands as pubsub } from './pubsub/index.js';
import { commands as server } from './server/index.js';
import { commands as sets } from './sets/index.js';
import { commands as strings } from './strings/index.js';
import { commands as transactions } from './transactions/index.js';
import { commands as zsets } from './zsets/index.js';

/** Every command nodis ships, from each group's index. */
export const allCommands: CommandSpec[] = [
  ...connection, ...hashes, ...keys, ...lists, ...pubsub, ...server, ...sets, ...strings, ...transactions, ...zsets,
];
