import type { CommandCode } from '../core/context.js';
import { commands as server } from './server.js';
import { commands as command } from './command.js';
import { commands as config } from './config.js';
import { commands as info } from './info.js';
import { commands as slowlog } from './slowlog.js';
import { commands as latency } from './latency.js';
import { commands as debug } from './debug.js';
import { commands as memory } from './memory.js';
import { commands as module } from './module.js';
import { commands as lolwut } from './lolwut.js';
import { commands as persistence } from './persistence.js';
import { commands as replication } from './replication.js';

/** The commands of this group, one module per family. */
export const commands: CommandCode[] = [...server, ...command, ...config, ...info, ...slowlog, ...latency, ...debug, ...memory, ...module, ...lolwut, ...persistence, ...replication];
