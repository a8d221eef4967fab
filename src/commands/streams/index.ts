import type { CommandCode } from '../core/context.js';
import { commands as entries } from './entries.js';
import { commands as read } from './read.js';
import { commands as groups } from './groups.js';
import { commands as info } from './info.js';

/** The commands of this group, one module per family. */
export const commands: CommandCode[] = [...entries, ...read, ...groups, ...info];
