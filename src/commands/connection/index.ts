import type { CommandCode } from '../core/context.js';
import { commands as connection } from './connection.js';

/** The commands of this group, one module per family. */
export const commands: CommandCode[] = [...connection];
