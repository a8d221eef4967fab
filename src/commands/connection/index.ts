import type { CommandSpec } from '../core/registry.js';
import { commands as connection } from './connection.js';

/** The commands of this group, one module per family. */
export const commands: CommandSpec[] = [...connection];
