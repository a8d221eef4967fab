import type { CommandCode } from '../core/context.js';
import { commands as keys } from './keys.js';
import { commands as expire } from './expire.js';
import { commands as object } from './object.js';
import { commands as sort } from './sort.js';
import { commands as dump } from './dump.js';
import { commands as migrate } from './migrate.js';

/** The commands of this group, one module per family. */
export const commands: CommandCode[] = [...keys, ...expire, ...object, ...sort, ...dump, ...migrate];
