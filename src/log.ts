import pino, { type DestinationStream, type Logger } from 'pino';

/** Redis's verbosity names mapped onto pino levels. */
const LEVELS: Record<string, string> = {
  debug: 'debug', verbose: 'debug', notice: 'info', warning: 'warn', nothing: 'silent',
};

/** The pino level of a Redis verbosity (loglevel) name. */
export function levelOf(verbosity: string): string {
  return LEVELS[verbosity] ?? 'info';
}

/** The name a log line carries for each pino level: Redis's where Redis has one. */
const LEVEL_NAMES: Record<number, string> = { 10: 'debug', 20: 'debug', 30: 'notice', 40: 'warning', 50: 'error', 60: 'fatal' };

export function levelName(level: number): string {
  return LEVEL_NAMES[level] ?? String(level);
}

/** Redis's mark of a line's level: . debug, - verbose, * notice, # warning. */
function levelMark(level: number): string {
  return level < 30 ? '.' : level < 40 ? '*' : '#';
}

/**
 * The role letter of Redis's lines: C while the configuration is read (before the server is
 * set up), M (master) after. nodis has no replicas, so never S.
 */
let role: 'C' | 'M' = 'C';

export function setLogRole(r: 'C' | 'M'): void {
  role = r;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Redis's time stamp, in local time: `06 Dec 2026 21:00:00.123`. */
export function redisTimestamp(date: Date): string {
  return `${pad(date.getDate())} ${MONTHS[date.getMonth()]} ${date.getFullYear()} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

const OWN_FIELDS = new Set(['level', 'time', 'pid', 'msg', 'hostname']);

/**
 * One of pino's JSON lines as Redis writes it: `pid:M 06 Dec 2026 21:00:00.123 * message`.
 * Fields besides the message (a few events add one, e.g. the client) follow as name=value.
 */
export function legacyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const time = typeof entry.time === 'number' ? new Date(entry.time) : new Date();
  let line = `${String(entry.pid ?? process.pid)}:${role} ${redisTimestamp(time)} ${levelMark(level)} ${String(entry.msg ?? '')}`;
  for (const [name, value] of Object.entries(entry)) {
    if (!OWN_FIELDS.has(name)) line += ` ${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
  }
  return `${line}\n`;
}

/** Which form lines take: log-format `auto` is Redis's readable lines on a terminal, JSON otherwise. */
export function readableLines(format: string, logfile: string, stdoutIsTTY: boolean): boolean {
  if (format === 'legacy') return true;
  if (format === 'json') return false;
  return logfile === '' && stdoutIsTTY;
}

export function createLogger(verbosity: string, logfile: string, format = 'json'): Logger {
  const level = levelOf(verbosity);
  // Written synchronously, as Redis writes its log: pino's asynchronous writes let the lines
  // flushed at exit overtake one still being written (a shutdown's lines came out of order).
  const destination = pino.destination(logfile === '' ? { dest: 1, sync: true } : { dest: logfile, mkdir: true, sync: true });
  if (readableLines(format, logfile, process.stdout.isTTY === true)) {
    // pino writes JSON with numeric levels and epoch times; each line is rewritten as it goes.
    const readable: DestinationStream & { flush(cb?: (err?: Error) => void): void } = {
      write: (json: string) => {
        destination.write(legacyLine(json));
      },
      flush: (cb) => destination.flush(cb),
    };
    return pino({ level, base: { pid: process.pid } }, readable);
  }
  return pino({
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (_label, number) => ({ level: levelName(number) }) },
  }, destination);
}

/** For embedding and tests: logs nothing unless asked. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export type { Logger };
