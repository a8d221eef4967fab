import type { Config } from '../config/config.js';
import { CONFIG_PARAMS } from '../config/schema.js';
import { isValidClientName } from '../util/client-name.js';

/** As Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING. */
const MAX_ARGC = 32;
const MAX_STRING = 128;

export interface SlowLogEntry {
  id: number;
  /** Unix time in seconds when the command ran. */
  time: number;
  /** Microseconds the command took. */
  duration: number;
  argv: string[];
  addr: string;
  name: string;
}

/**
 * The slow log (SLOWLOG) and the gate that decides, with one comparison per command, whether a
 * command took long enough to be looked at by either the slow log or the latency monitor.
 */
export class SlowLog {
  /** Newest first, as Redis's list. */
  entries: SlowLogEntry[] = [];
  private nextId = 0;
  private thresholdUs = 10000;
  private maxLen = 128;
  private latencyThresholdMs = 0;
  /**
   * Microseconds from which a command is worth a look (slow log or latency monitor). Infinity
   * when both are off, so the dispatcher's check never passes.
   */
  gateUs = 10000;

  constructor(config: Config) {
    this.thresholdUs = config.getNumber('slowlog-log-slower-than');
    this.maxLen = config.getNumber('slowlog-max-len');
    this.latencyThresholdMs = config.getNumber('latency-monitor-threshold');
    this.updateGate();
    config.onChange('slowlog-log-slower-than', (v) => {
      this.thresholdUs = v as number;
      this.updateGate();
    });
    config.onChange('slowlog-max-len', (v) => {
      this.maxLen = v as number;
      this.trim();
    });
    config.onChange('latency-monitor-threshold', (v) => {
      this.latencyThresholdMs = v as number;
      this.updateGate();
    });
  }

  private updateGate(): void {
    const slow = this.thresholdUs < 0 ? Infinity : this.thresholdUs;
    const latency = this.latencyThresholdMs > 0 ? this.latencyThresholdMs * 1000 : Infinity;
    this.gateUs = Math.min(slow, latency);
  }

  /** Records the command if it was at least slowlog-log-slower-than µs (Redis's slowlogPushEntryIfNeeded). */
  push(argv: readonly string[], durationUs: number, addr: string, name: string): void {
    if (this.thresholdUs < 0 || durationUs < this.thresholdUs) return;
    this.entries.unshift({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      duration: durationUs,
      argv: slowLogArgv(argv),
      addr,
      name,
    });
    this.trim();
  }

  private trim(): void {
    if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
  }

  reset(): void {
    this.entries = [];
  }
}

/** Keeps at most 32 arguments (the last one saying how many more there were) and 128 bytes of each. */
function slowLogArgv(argv: readonly string[]): string[] {
  const argc = Math.min(argv.length, MAX_ARGC);
  const out: string[] = new Array<string>(argc);
  for (let j = 0; j < argc; j++) {
    if (argc !== argv.length && j === argc - 1) {
      out[j] = `... (${argv.length - argc + 1} more arguments)`;
    } else {
      const arg = argv[j] as string;
      out[j] = arg.length > MAX_STRING ? `${ownPrefix(arg, MAX_STRING)}... (${arg.length - MAX_STRING} more bytes)` : arg;
    }
  }
  return out;
}

/**
 * The first `n` chars of `s` in a string of their own. A slice would not do: V8 makes it a view
 * of `s`, which an entry would then keep alive whole (a 16 MB value set by a slow command stayed
 * in memory for as long as its entry, long after the key was deleted).
 */
function ownPrefix(s: string, n: number): string {
  const bytes = Buffer.from(s.slice(0, n), 'latin1');
  return bytes.latin1Slice(0, bytes.length);
}

/** MIGRATE's AUTH password and AUTH2 username and password, as far as its option loop got. */
function redactedMigrateArgv(argv: readonly string[]): readonly string[] {
  let out: string[] | null = null;
  for (let j = 6; j < argv.length; j++) {
    const opt = (argv[j] as string).toLowerCase();
    const more = argv.length - 1 - j;
    if (opt === 'copy' || opt === 'replace') continue;
    if (opt === 'auth' && more >= 1) {
      out ??= argv.slice();
      out[++j] = '(redacted)';
    } else if (opt === 'auth2' && more >= 2) {
      out ??= argv.slice();
      out[++j] = '(redacted)';
      out[++j] = '(redacted)';
    } else {
      // KEYS ends the options; anything else is the syntax error the command stops at.
      break;
    }
  }
  return out ?? argv;
}

/** Names and aliases, lower case, of the parameters whose CONFIG SET values are redacted. */
const SENSITIVE_PARAMS = new Set(
  CONFIG_PARAMS.filter((p) => p.sensitive === true).flatMap((p) => [p.name, ...(p.aliases ?? [])]),
);

/**
 * CONFIG SET's values of sensitive parameters. Redis redacts them all, even past an unknown
 * parameter or a bad value, but not when the argument count is wrong (it stops before parsing).
 */
function redactedConfigSetArgv(argv: readonly string[]): readonly string[] {
  if (argv.length < 4 || argv.length % 2 !== 0) return argv;
  let out: string[] | null = null;
  for (let i = 2; i < argv.length; i += 2) {
    if (!SENSITIVE_PARAMS.has((argv[i] as string).toLowerCase())) continue;
    out ??= argv.slice();
    out[i + 1] = '(redacted)';
  }
  return out ?? argv;
}

/**
 * Arguments Redis replaces by "(redacted)" in the slow log and MONITOR (passwords). Redis redacts
 * while parsing, so only what it parsed before rejecting a command is redacted: AUTH with too
 * many arguments, HELLO with a bad version, and HELLO options after a bad one are shown as sent.
 */
export function redactedArgv(name: string, argv: readonly string[]): readonly string[] {
  if (name === 'auth') return argv.length > 3 ? argv : argv.map((a, i) => (i === 0 ? a : '(redacted)'));
  // ACL SETUSER hides the user name and every rule (passwords among them).
  if (name === 'acl' && argv.length >= 3 && (argv[1] as string).toLowerCase() === 'setuser') return argv.map((a, i) => (i < 2 ? a : '(redacted)'));
  if (name === 'migrate') return redactedMigrateArgv(argv);
  if (name === 'config' && argv.length >= 2 && (argv[1] as string).toLowerCase() === 'set') return redactedConfigSetArgv(argv);
  if (name !== 'hello' || argv.length < 4) return argv;
  const version = argv[1] as string;
  if (version !== '2' && version !== '3') return argv;
  let out: string[] | null = null;
  for (let i = 2; i < argv.length; i++) {
    const opt = (argv[i] as string).toLowerCase();
    const more = argv.length - 1 - i;
    if (opt === 'auth' && more >= 2) {
      out ??= argv.slice();
      out[i + 1] = '(redacted)';
      out[i + 2] = '(redacted)';
      i += 2;
    } else if (opt === 'setname' && more >= 1 && isValidClientName(argv[i + 1] as string)) {
      i++;
    } else {
      break;
    }
  }
  return out ?? argv;
}
