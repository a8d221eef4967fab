import type { CommandSpec } from './registry.js';
import { commands as command } from './command.js';
import { commands as config } from './config.js';
import { commands as connection } from './connection.js';
import { commands as hashes } from './hashes.js';
import { commands as keys } from './keys.js';
import { commands as lists } from './lists.js';
import { commands as pubsub } from './pubsub.js';
import { commands as server } from './server.js';
import { commands as sets } from './sets.js';
import { commands as sort } from './sort.js';
import { commands as strings } from './strings.js';
import { commands as transactions } from './transactions.js';
import { commands as zsets } from './zsets.js';

/** Every command nodis ships, from each group's module. */
export const allCommands: CommandSpec[] = [
  ...command, ...config, ...connection, ...hashes, ...keys, ...lists, ...pubsub, ...server, ...sets, ...sort,
  ...strings, ...transactions, ...zsets,
];
