import pino, { type Logger } from 'pino';

/** Redis's verbosity names mapped onto pino levels. */
const LEVELS: Record<string, string> = {
  debug: 'debug', verbose: 'debug', notice: 'info', warning: 'warn', nothing: 'silent',
};

/** The pino level of a Redis verbosity (loglevel) name. */
export function levelOf(verbosity: string): string {
  return LEVELS[verbosity] ?? 'info';
}

export function createLogger(verbosity: string, logfile: string): Logger {
  const level = levelOf(verbosity);
  const destination = logfile === '' ? pino.destination(1) : pino.destination({ dest: logfile, mkdir: true, sync: false });
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** For embedding and tests: logs nothing unless asked. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export type { Logger };
