import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import v8 from 'node:v8';
import { Command, CommanderError } from 'commander';
import { Config } from './config/config.js';
import {
  ConfigFileError, ConfigOpenError, formatFatalConfigError, loadServerConfig, parseCommandLine, type ConfigDirectives,
} from './config/file.js';
import { HEAP_SIZING_ENV, READY_FOR_SIGNALS, SignalPairing, isRelayedSignal, type ShutdownSignal } from './launch-channel.js';
import { createLogger, levelOf, setLogRole, type Logger } from './log.js';
import { allCommands } from './commands/index.js';
import { LoadingInterrupted, StartupRefused, startWithConfig, type NodisServer } from './index.js';
import { finalSave } from './persistence/index.js';
import { userLineCheck } from './acl/acl.js';
import { CommandTable } from './commands/core/registry.js';
import { cgroupMemoryLimit, planHeap } from './server/heap.js';
import { NODIS_VERSION } from './version.js';

const PACKAGE_VERSION = readPackageVersion();

function readPackageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const VERSION_LINE = `Redis server v=${NODIS_VERSION} sha=00000000:0 malloc=libc bits=64 build=nodis-${PACKAGE_VERSION}`;

const USAGE = `Usage: nodis-server [/path/to/redis.conf] [options] [-]
       nodis-server - (read config from stdin)
       nodis-server -v or --version
       nodis-server -h or --help

Examples:
       nodis-server (run the server with default conf)
       echo 'maxmemory 128mb' | nodis-server -
       nodis-server /etc/redis/6379.conf
       nodis-server --port 7777
       nodis-server /etc/myredis.conf --loglevel verbose -
       nodis-server /etc/myredis.conf --loglevel verbose
`;

/** A failure that ends the process with this text on stderr and exit code 1. */
class FatalStartupError extends Error {}

/**
 * Like redis-server, only a first argument of -v/--version or -h/--help is an option of the
 * program; everything else is configuration.
 */
function handleProgramOptions(args: readonly string[]): number | null {
  const first = args[0];
  if (first !== '-v' && first !== '--version' && first !== '-h' && first !== '--help') return null;
  const isHelp = first === '-h' || first === '--help';
  let exitCode = 0;
  const program = new Command('nodis-server')
    .version(VERSION_LINE, '-v, --version')
    .helpOption('-h, --help')
    .exitOverride()
    // Redis prints its usage on stderr and exits 1.
    .configureOutput({ writeOut: (s) => (isHelp ? process.stderr : process.stdout).write(s) });
  program.helpInformation = () => USAGE;
  try {
    program.parse([first], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    exitCode = err.code === 'commander.version' ? 0 : 1;
  }
  return exitCode;
}

function readStdin(): string {
  return readFileSync(0, 'latin1');
}

/** Loads the configuration the way redis-server does, or throws FatalStartupError. */
export function loadCliConfig(args: readonly string[], stdin: () => string = readStdin): { config: Config; configFile: string | null; directives: ConfigDirectives; fromStdin: boolean } {
  const cmd = parseCommandLine(args);
  const config = new Config();
  const configFile = cmd.configFile === null ? null : resolve(cmd.configFile);
  try {
    const checkUser = userLineCheck(new CommandTable(allCommands()), config);
    const directives = loadServerConfig(config, { file: configFile, stdin: cmd.stdin ? stdin() : null, options: cmd.options, checkUser, commandNames: allCommands().map((spec) => spec.name) });
    return { config, configFile, directives, fromStdin: cmd.stdin };
  } catch (err) {
    if (err instanceof ConfigFileError) throw new FatalStartupError(formatFatalConfigError(err));
    if (err instanceof ConfigOpenError) throw new FatalStartupError(`${err.message}\n`);
    throw err;
  }
}

function warnUnsupported(log: Logger, directives: ConfigDirectives): void {
  const ignored: Array<[string, number]> = [
    ['rename-command', directives.renames.length],
    ['user', directives.users.length],
    ['loadmodule', directives.modules.length],
    ['module configuration', directives.moduleConfigs.length],
  ];
  for (const [what, count] of ignored) {
    if (count > 0) log.warn(`${what} directives are not supported by nodis and were ignored (${count})`);
  }
}

function writePidfile(path: string, log: Logger): void {
  try {
    writeFileSync(path, `${process.pid}\n`);
  } catch (err) {
    log.warn(`Failed to write PID file: ${(err as Error).message}`);
  }
}

function removePidfile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** The launcher's reason for the heap's size, taken from the environment at start (see main). */
let heapSizedByLauncher: string | null = null;

/** This process is the server bin/nodis-server's launcher started (src/launch.ts). */
function launched(): boolean {
  return heapSizedByLauncher !== null && process.send !== undefined;
}

/**
 * The launcher is the process the world sees: when it goes (SIGKILL), the server goes at once
 * too, as it would have gone in its place.
 */
function followLauncher(): void {
  heapSizedByLauncher = process.env[HEAP_SIZING_ENV] ?? null;
  if (heapSizedByLauncher === null || process.send === undefined) return;
  // Not passed on to anything this process starts.
  delete process.env[HEAP_SIZING_ENV];
  const followIt = (): void => {
    process.kill(process.pid, 'SIGKILL');
  };
  // Gone already, while this process loaded its modules.
  if (!process.connected) {
    followIt();
    return;
  }
  process.on('disconnect', followIt);
  // The channel must not keep the process alive by itself.
  process.channel?.unref();
}

/**
 * How long after handling a shutdown signal its other copy (direct or through the launcher, see
 * launch-channel.ts) is taken as the same signal. Both normally come within a millisecond.
 */
const SIGNAL_TWIN_WINDOW_MS = 1000;

/**
 * Takes SIGTERM/SIGINT from the start of main(), as Redis installs its handlers before it
 * listens: the port accepts connections before the server's 'listening' callback runs, and a
 * signal sent then (by a test or an orchestrator that saw the port open) would otherwise kill
 * the process with no clean shutdown. Signals that come before the server can act on them wait
 * and are handled, in order, once it can.
 * Started by bin/nodis-server's launcher, the signals it receives come as messages too.
 */
class SignalGate {
  private handler: ((signal: ShutdownSignal) => void) | null = null;
  private readonly pending: ShutdownSignal[] = [];
  private readonly pairing = new SignalPairing(SIGNAL_TWIN_WINDOW_MS);

  constructor() {
    process.on('SIGINT', () => this.pairing.deliver('SIGINT', 'direct', () => this.dispatch('SIGINT')));
    process.on('SIGTERM', () => this.pairing.deliver('SIGTERM', 'direct', () => this.dispatch('SIGTERM')));
    if (launched()) {
      process.on('message', (message) => {
        if (isRelayedSignal(message)) this.pairing.deliver(message.nodisSignal, 'relayed', () => this.dispatch(message.nodisSignal));
      });
      process.send?.(READY_FOR_SIGNALS);
    }
  }

  /** From now on signals go to `handler`; those that came before are handled first. */
  attach(handler: (signal: ShutdownSignal) => void): void {
    this.handler = handler;
    for (const signal of this.pending.splice(0)) handler(signal);
  }

  private dispatch(signal: ShutdownSignal): void {
    if (this.handler === null) this.pending.push(signal);
    else this.handler(signal);
  }
}

/** SIGTERM/SIGINT: shut down as configured (shutdown-on-sig*), a second signal exits at once. */
function signalHandler(server: NodisServer, config: Config, log: Logger, exit: (code: number) => void): (signal: ShutdownSignal) => void {
  let shuttingDown = false;
  return (signal: ShutdownSignal): void => {
    if (shuttingDown) {
      log.warn('You insist... exiting now.');
      exit(1);
      return;
    }
    // While the dataset loads, finalSave saves nothing whatever the mode says (Redis's words).
    log.warn(server.loading ? 'Received shutdown signal during loading, scheduling shutdown.' : `Received ${signal} scheduling shutdown...`);
    const mode = config.format(signal === 'SIGINT' ? 'shutdown-on-sigint' : 'shutdown-on-sigterm');
    const save = mode.includes('nosave') ? false : mode.includes('save') ? true : undefined;
    // As in Redis, a final save that fails keeps the server running (unless "force").
    if (!finalSave(server, save, mode.includes('force'))) {
      log.warn(`${signal} received but errors trying to shut down the server, check the logs for more information`);
      return;
    }
    shuttingDown = true;
    server.shutdown().then(
      () => exit(0),
      (err: unknown) => {
        log.error(`Error during shutdown: ${(err as Error).message}`);
        exit(1);
      },
    );
  };
}

/** The start-up line on V8's heap limit: its size and why. */
function heapLine(maxmemory: number): string {
  const limit = v8.getHeapStatistics().heap_size_limit;
  const size = `V8 heap limit ${Math.round(limit / (1024 * 1024))} MB`;
  if (heapSizedByLauncher !== null) return `${size}: ${heapSizedByLauncher}`;
  const plan = planHeap({
    maxmemory,
    totalMemory: os.totalmem(),
    cgroupLimit: cgroupMemoryLimit(),
    nodeOptions: process.env.NODE_OPTIONS,
    execArgv: process.execArgv,
    heapLimit: limit,
  });
  // Started without the launcher (main() called directly), the heap was not sized.
  return plan.oldSpaceMb === null ? `${size}: ${plan.reason}` : `${size}: Node's default, where ${plan.reason} would be ${plan.oldSpaceMb} MB`;
}

/**
 * Entry point of `nodis-server [configfile] [--name value ...] [-]`; `stdin` is the standard
 * input when the launcher has read it already.
 */
export async function main(argv: string[], stdin?: string): Promise<void> {
  followLauncher();
  const signals = new SignalGate();
  const args = argv.slice(2);
  const programExit = handleProgramOptions(args);
  if (programExit !== null) {
    process.exitCode = programExit;
    return;
  }
  let loaded: ReturnType<typeof loadCliConfig>;
  try {
    loaded = loadCliConfig(args, stdin === undefined ? readStdin : () => stdin);
  } catch (err) {
    if (!(err instanceof FatalStartupError)) throw err;
    process.stderr.write(err.message);
    process.exit(1);
  }
  const { config, configFile, directives } = loaded;
  const logfile = config.getString('logfile');
  const log = createLogger(config.getString('loglevel'), logfile === '' ? '' : resolve(config.getString('dir'), logfile), config.getString('log-format'));
  config.onChange('loglevel', (v) => {
    log.level = levelOf(String(v));
  });
  const exit = (code: number): void => {
    const pidfile = config.getString('pidfile');
    if (pidfile !== '') removePidfile(resolve(config.getString('dir'), pidfile));
    log.flush();
    process.exit(code);
  };

  // Routine lines at notice (Redis 7.2's levels; 7.0 marked them all as warnings).
  if (loaded.fromStdin) log.info('Reading config from stdin');
  log.info('oO0OoO0OoO0Oo nodis is starting oO0OoO0OoO0Oo');
  log.info(`nodis version=${PACKAGE_VERSION}, redis_version=${NODIS_VERSION}, node=${process.version}, bits=64, pid=${process.pid}, just started`);
  // As redis-server: the warning only when nothing at all configures the server.
  if (args.length === 0) {
    log.warn('Warning: no config file specified, using the default config. In order to specify a config file use nodis-server /path/to/redis.conf');
  } else {
    log.info(configFile === null ? 'Configuration loaded' : `Configuration loaded from ${configFile}`);
  }
  setLogRole('M');
  log.info(heapLine(config.getNumber('maxmemory')));
  warnUnsupported(log, directives);
  if (config.getBool('daemonize')) log.warn('daemonize is not supported by nodis: running in the foreground');

  // Redis listens, says so and takes signals before it loads the dataset; "Ready" comes after.
  let listening: NodisServer | null = null;
  const onListening = (server: NodisServer): void => {
    listening = server;
    const pidfile = config.getString('pidfile');
    if (pidfile !== '') writePidfile(resolve(config.getString('dir'), pidfile), log);
    server.onShutdown = () => exit(0);
    log.info(`Running mode=standalone, port=${server.port}.`);
    const bind = config.getString('bind');
    log.info(`Listening on ${bind === '' ? 'no TCP address' : bind} at port ${server.port}`);
    log.info('Server initialized');
    signals.attach(signalHandler(server, config, log, exit));
  };
  try {
    await startWithConfig(config, log, { configFile, onListening, users: directives.users });
  } catch (err) {
    // SHUTDOWN or a signal during the load: the server closed and onShutdown exits with 0.
    if (err instanceof LoadingInterrupted) {
      exit(0);
      return;
    }
    if (err instanceof StartupRefused) {
      log.error(err.message);
      exit(1);
      return;
    }
    const e = err as NodeJS.ErrnoException;
    log.error(`Failed listening on port ${config.getNumber('port')} (tcp), aborting: ${e.code ?? e.message}`);
    exit(1);
    return;
  }
  log.info('Ready to accept connections tcp');
  if ((listening as NodisServer | null)?.unixSocketPath != null) log.info('Ready to accept connections unix');
}
