import { Config } from './config/config.js';
import { silentLogger, type Logger } from './log.js';
import { NodisServer } from './net/server.js';

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

/** Starts a nodis server in this process. */
export async function startServer(options: Record<string, string | number | boolean> = {}, logger?: Logger): Promise<RunningServer> {
  const config = new Config();
  applyOptions(config, options);
  return startWithConfig(config, logger ?? silentLogger());
}

export async function startWithConfig(config: Config, logger: Logger): Promise<RunningServer> {
  const server = new NodisServer(config, logger);
  await server.listen();
  return {
    get port() {
      return server.port;
    },
    close: () => server.close(),
    server,
  };
}

export { Config, NodisServer };
