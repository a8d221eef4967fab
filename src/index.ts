import { resolve } from 'node:path';
import { Config } from './config/config.js';
import { loadServerConfig } from './config/file.js';
import { silentLogger, type Logger } from './log.js';
import { NodisServer, NotListeningError } from './net/server.js';
import { MetricsListenError } from './net/metrics.js';
import { ERR_TLS_STARTUP, TlsConfigError, TlsListenError } from './net/tls.js';
import { UnixSocketListenError } from './net/listeners.js';
import { allCommands } from './commands/index.js';
import { aofWriter, persistenceRefusal, persistenceWarning, registerPersistence } from './persistence/index.js';
import { rdbFiles } from './persistence/snapshot.js';
import { loadAtStartup } from './persistence/load.js';
import { warmUpCodecs } from './persistence/rdb/warm-up.js';
import { LoadingInterrupted } from './persistence/loading.js';
import { prepareScriptEngine, startScriptWorker } from './scripting/scripting.js';
import { AclError, userLineCheck } from './acl/acl.js';
import { CommandTable } from './commands/core/registry.js';

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
  /** The TLS port listened on (0: no TLS). */
  readonly tlsPort: number;
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
  const directives = file !== null ? loadServerConfig(config, { file, commandNames: commandNames(), checkUser: userLineCheck(new CommandTable(allCommands()), config) }) : null;
  applyOptions(config, rest);
  return startWithConfig(config, logger ?? silentLogger(), { configFile: file, users: directives?.users ?? [], portZeroPicksFreePort: true });
}

/** The names rename-command lines are checked against. */
function commandNames(): string[] {
  return allCommands().map((spec) => spec.name);
}

export interface StartExtras {
  /** Absolute path of the config file the values came from (for CONFIG REWRITE). */
  configFile?: string | null;
  /**
   * Called once the server listens, before the dataset is loaded (the CLI writes its pidfile and
   * takes signals from then on, as redis-server does).
   */
  onListening?: (server: NodisServer) => void;
  /** The `user` directives of the config file (each line's arguments after `user`). */
  users?: readonly (readonly string[])[];
  /**
   * Port 0 without TLS picks a free port (startServer's convenience for tests) instead of
   * meaning no plain TCP, as it does in Redis and nodis-server.
   */
  portZeroPicksFreePort?: boolean;
}

/** The configuration asks for something this server will not pretend to do (e.g. appendonly yes), or the dataset cannot be loaded. */
export class StartupRefused extends Error {}

/**
 * Listens, then loads the dataset (the AOF with appendonly yes, else the RDB file) and resolves
 * once it is loaded. As in Redis, clients connecting while it loads are answered: -LOADING for
 * the commands that need the dataset. A file that cannot be loaded rejects with StartupRefused
 * (the server closed again); a shutdown during the load rejects with LoadingInterrupted.
 */
export async function startWithConfig(config: Config, logger: Logger, extras: StartExtras = {}): Promise<RunningServer> {
  const refusal = persistenceRefusal(config);
  if (refusal !== null) throw new StartupRefused(`Can't start: ${refusal}`);
  const warning = persistenceWarning(config);
  if (warning !== null) logger.warn(warning);
  // The Lua engine is loaded once per process, before the first server answers EVAL.
  await prepareScriptEngine(logger);
  const server = new NodisServer(config, logger);
  server.configFile = extras.configFile ?? null;
  server.portZeroPicksFreePort = extras.portZeroPicksFreePort ?? false;
  const aclRefusal = loadUsersAtStartup(server, extras.users ?? []);
  if (aclRefusal !== null) {
    server.onShutdown = null;
    await server.close();
    throw new StartupRefused(aclRefusal);
  }
  try {
    await server.listen();
  } catch (err) {
    if (err instanceof TlsListenError || err instanceof MetricsListenError || err instanceof UnixSocketListenError || err instanceof NotListeningError) {
      await server.close();
      throw new StartupRefused(err.message);
    }
    if (!(err instanceof TlsConfigError)) throw err;
    // As Redis: the reason goes to the log, then the short error, and the server does not start.
    logger.warn(err.message);
    await server.close();
    throw new StartupRefused(ERR_TLS_STARTUP);
  }
  extras.onListening?.(server);
  // persistenceRefusal let appendonly yes through only because an AOF writer is there.
  const aof = config.getBool('appendonly') ? aofWriter() : null;
  // Before loading, which then runs the optimized loops too (see there).
  warmUpCodecs();
  try {
    if (aof !== null) await aof.load(server);
    else await loadAtStartup(server);
  } catch (err) {
    if (err instanceof LoadingInterrupted) {
      await server.close();
      throw err;
    }
    // Start-up failed: the caller reports why; this close is not a shutdown to tell it about.
    server.onShutdown = null;
    await server.close();
    const message = (err as Error).message;
    throw new StartupRefused(aof !== null ? `Can't start: ${message}` : message);
  }
  startScriptWorker(logger);
  return {
    get port() {
      return server.port;
    },
    get tlsPort() {
      return server.tls.port;
    },
    close: () => server.close(),
    server,
  };
}

/**
 * Redis's ACLLoadUsersAtStartup: the config file's `user` lines, or the ACL file, not both.
 * Returns why the server cannot start, or null.
 */
function loadUsersAtStartup(server: NodisServer, users: readonly (readonly string[])[]): string | null {
  const acl = server.acl;
  if (acl.aclFile !== '' && users.length !== 0) {
    return (
      'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely ' +
      'to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.'
    );
  }
  try {
    acl.loadConfiguredUsers(users);
  } catch (err) {
    if (!(err instanceof AclError)) throw err;
    server.log.warn(err.message);
    return 'Critical error while loading ACLs. Exiting.';
  }
  for (const user of acl.sortedUsers()) {
    if (user.off && users.some((line) => line[0] === user.name)) {
      server.log.info(`The user '${user.name}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.`);
    }
  }
  if (acl.aclFile !== '') {
    const errors = acl.loadFromFile(null);
    if (errors !== null) return `Aborting Redis startup because of ACL errors: ${errors}`;
  }
  return null;
}

export { Config, LoadingInterrupted, NodisServer };
