import { resolve } from 'node:path';
import { Config } from './config/config.js';
import { loadServerConfig } from './config/file.js';
import { silentLogger, type Logger } from './log.js';
import { NodisServer } from './net/server.js';
import { aofWriter, persistenceRefusal, persistenceWarning, registerPersistence } from './persistence/index.js';
import { rdbFiles } from './persistence/snapshot.js';
import { loadAtStartup } from './persistence/load.js';
import { LoadingInterrupted } from './persistence/loading.js';

// RDB snapshots in dir/dbfilename: SAVE, BGSAVE, save points, the final save of SHUTDOWN.
registerPersistence({ rdb: rdbFiles });

/** Configuration by redis.conf names: `{ port: 0, requirepass: 'secret', save: '' }`. */
export type ServerOptions = Record<string, string | number | boolean> & {
  /** A pino logger; by default an embedded server logs nothing. */
  logger?: never;
};

export interface RunningServer {
  /** The port actually listened on (useful with port 0). */
  readonly port: number;
  /** Stops listening and disconnects every client. */
  close(): Promise<void>;
  /** The server itself, for tests that need to look inside. */
  readonly server: NodisServer;
}

/** Applies option values (redis.conf names) to a Config; throws on unknown names or bad values. */
export function applyOptions(config: Config, options: Record<string, string | number | boolean>): void {
  for (const [name, value] of Object.entries(options)) {
    const text = typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value);
    config.set(name, text);
  }
}

/**
 * Starts a nodis server in this process. `configFile` (not a redis.conf name) loads that file
 * first, the other options then override it; CONFIG REWRITE writes to that file.
 */
export async function startServer(options: Record<string, string | number | boolean> = {}, logger?: Logger): Promise<RunningServer> {
  const config = new Config();
  const { configFile, ...rest } = options;
  const file = typeof configFile === 'string' ? resolve(configFile) : null;
  if (file !== null) loadServerConfig(config, { file });
  applyOptions(config, rest);
  return startWithConfig(config, logger ?? silentLogger(), { configFile: file });
}

export interface StartExtras {
  /** Absolute path of the config file the values came from (for CONFIG REWRITE). */
  configFile?: string | null;
}

/** The configuration asks for something this server will not pretend to do (e.g. appendonly yes). */
export class StartupRefused extends Error {}

export async function startWithConfig(config: Config, logger: Logger, extras: StartExtras = {}): Promise<RunningServer> {
  const refusal = persistenceRefusal(config);
  if (refusal !== null) throw new StartupRefused(`Can't start: ${refusal}`);
  const warning = persistenceWarning(config);
  if (warning !== null) logger.warn(warning);
  const server = new NodisServer(config, logger);
  server.configFile = extras.configFile ?? null;
  // With the append-only file on, Redis loads that instead (after listening, below).
  if (!config.getBool('appendonly')) {
    try {
      loadAtStartup(server);
    } catch (err) {
      throw new StartupRefused((err as Error).message);
    }
  }
  await server.listen();
  // persistenceRefusal let appendonly yes through only because an AOF writer is there. As in
  // Redis, the server listens while it loads: clients get -LOADING until it is done.
  const aof = config.getBool('appendonly') ? aofWriter() : null;
  if (aof !== null) {
    try {
      await aof.load(server);
    } catch (err) {
      await server.close();
      // SHUTDOWN during the load: the server stopped, there is no error to report.
      if (err instanceof LoadingInterrupted) throw err;
      throw new StartupRefused(`Can't start: ${(err as Error).message}`);
    }
  }
  return {
    get port() {
      return server.port;
    },
    close: () => server.close(),
    server,
  };
}

export { Config, LoadingInterrupted, NodisServer };
