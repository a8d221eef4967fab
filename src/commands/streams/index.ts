import type { CommandCode } from '../core/context.js';
import { commands as entries } from './entries.js';
import { commands as read } from './read.js';
import { commands as groups } from './groups.js';
import { commands as info } from './info.js';

import { syncTouchedStreams } from './common.js';

/** After each command, the streams it touched report their new sizes to their databases. */
function syncingSizes(code: CommandCode): CommandCode {
  const handler = code.handler;
  const synced: CommandCode = { ...code };
  if (handler !== undefined) {
    synced.handler = (ctx, argv) => {
      try {
        return handler(ctx, argv);
      } finally {
        syncTouchedStreams();
      }
    };
  }
  if (code.subcommands !== undefined) synced.subcommands = code.subcommands.map(syncingSizes);
  return synced;
}

/** The commands of this group, one module per family. */
export const commands: CommandCode[] = [...entries, ...read, ...groups, ...info].map(syncingSizes);
