import type { CommandCode } from '../core/context.js';
import { commands as geo } from './geo.js';

/** The geospatial commands: sorted sets whose scores are geohashes. */
export const commands: CommandCode[] = [...geo];
