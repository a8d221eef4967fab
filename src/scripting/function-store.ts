import type { ServerContext } from '../commands/core/context.js';
import { RedisError } from '../errors.js';
import { registerFunctionStore } from '../persistence/functions.js';
import { compileLibrary, functionsOf } from './functions.js';
import { scriptEngine } from './scripting.js';

/**
 * The server's function libraries as persistence sees them (persistence/functions.ts): their
 * codes to save, and a library loaded from an RDB file or an AOF base, replacing one of the same
 * name as Redis's load does. Registered when the commands are (commands/scripting/functions.ts).
 */
registerFunctionStore({
  codes: (server) => [...functionsOf(server as ServerContext).libraries.values()].map((library) => library.code),
  load: (server, code) => {
    const engine = scriptEngine();
    if (engine === null) return 'the Lua engine is not loaded';
    try {
      functionsOf(server as ServerContext).add(compileLibrary(engine, server as ServerContext, code), true);
      return null;
    } catch (err) {
      if (err instanceof RedisError) return err.message.replace(/^ERR /, '');
      throw err;
    }
  },
  clear: (server) => functionsOf(server as ServerContext).clear(),
});
