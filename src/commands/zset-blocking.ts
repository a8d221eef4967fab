import type { CommandSpec } from './registry.js';

export const commands: CommandSpec[] = [];
