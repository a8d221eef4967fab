import type { CommandCode } from '../core/context.js';
import { commands as zsets } from './zsets.js';
import { commands as pop } from './pop.js';
import { commands as ranges } from './ranges.js';
import { commands as algebra } from './algebra.js';
import { commands as blocking } from './blocking.js';

/** The commands of this group, one module per family. */
export const commands: CommandCode[] = [...zsets, ...pop, ...ranges, ...algebra, ...blocking];
