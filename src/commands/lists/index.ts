import type { CommandCode } from '../core/context.js';
import { commands as lists } from './lists.js';
import { commands as blocking } from './blocking.js';

/** The commands of this group, one module per family. */
export const commands: CommandCode[] = [...lists, ...blocking];
