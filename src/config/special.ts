/**
 * Parameters with their own syntax (save, notify-keyspace-events, client-output-buffer-limit,
 * bind, dir…): parse from redis.conf arguments, the CONFIG GET text, and the CONFIG REWRITE
 * lines, each with Redis's rules and error texts.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDouble } from '../util/parse.js';
import { memToBig, repr, formatMemory, strerror, strtollFull } from './values.js';

export type ConfigValue = string | number | boolean;

/** A parsed value and its canonical CONFIG GET text. */
export interface Parsed {
  value: ConfigValue;
  text: string;
}

/** One line CONFIG REWRITE would write, and whether it must be written when the file lacks it. */
export interface RewriteLine {
  line: string;
  force: boolean;
}

export interface SpecialSyntax {
  /** Arguments as redis.conf gives them (CONFIG SET splits its value at spaces first). */
  parse(args: readonly string[], current: string): Parsed;
  /** CONFIG REWRITE lines; none means "drop the old lines". */
  rewrite(name: string, text: string, defaultText: string): RewriteLine[];
}

function fail(message: string): never {
  throw new Error(message);
}

function simple(value: string): Parsed {
  return { value, text: value };
}

// ---- save ----

export interface SavePoint {
  seconds: number;
  changes: number;
}

/** The save points of a `save` CONFIG GET text ("3600 1 300 100"). */
export function parseSavePoints(text: string): SavePoint[] {
  const parts = text === '' ? [] : text.split(' ');
  const points: SavePoint[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) points.push({ seconds: Number(parts[i]), changes: Number(parts[i + 1]) });
  return points;
}

export const save: SpecialSyntax = {
  parse(args) {
    const list = args.length === 1 && args[0] === '' ? [] : args;
    if (list.length % 2 !== 0) fail('Invalid save parameters');
    const out: string[] = [];
    for (let j = 0; j < list.length; j++) {
      const v = strtollFull(list[j] as string);
      if (v === null || (j % 2 === 0 && v < 1n) || (j % 2 === 1 && v < 0n)) fail('Invalid save parameters');
      // changes is a C int: strtoll's result is truncated when stored.
      out.push(j % 2 === 0 ? String(v) : String(BigInt.asIntN(32, v)));
    }
    return simple(out.join(' '));
  },
  rewrite(name, text) {
    const points = text === '' ? [] : text.split(' ');
    if (points.length === 0) return [{ line: `${name} ""`, force: true }];
    const lines: RewriteLine[] = [];
    for (let i = 0; i + 1 < points.length; i += 2) lines.push({ line: `${name} ${points[i]} ${points[i + 1]}`, force: true });
    return lines;
  },
};

// ---- notify-keyspace-events ----

const NOTIFY_ALL_LETTERS = 'g$lshzxetd';

/** Redis's keyspaceEventsStringToFlags + keyspaceEventsFlagsToString: the canonical flags text, or null. */
export function canonicalNotifyFlags(text: string): string | null {
  const set = new Set<string>();
  for (const ch of text) {
    if (ch === 'A') for (const c of NOTIFY_ALL_LETTERS) set.add(c);
    else if ('g$lshzxetdKEmn'.includes(ch)) set.add(ch);
    else return null;
  }
  let out = '';
  let all = true;
  for (const c of NOTIFY_ALL_LETTERS) if (!set.has(c)) all = false;
  // As in Redis, 'n' is printed only when the class set is not 'A'.
  if (all) out = 'A';
  else for (const c of NOTIFY_ALL_LETTERS + 'n') if (set.has(c)) out += c;
  for (const c of 'KEm') if (set.has(c)) out += c;
  return out;
}

export const notifyKeyspaceEvents: SpecialSyntax = {
  parse(args) {
    if (args.length !== 1) fail('wrong number of arguments');
    const flags = canonicalNotifyFlags(args[0] as string);
    if (flags === null) fail("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
    // CONFIG GET drops 'n' beside 'A' as Redis prints it, but the class stays on: the value keeps it.
    const keepsNew = flags.startsWith('A') && (args[0] as string).includes('n');
    return { value: keepsNew ? flags + 'n' : flags, text: flags };
  },
  rewrite(name, text) {
    return [{ line: `${name} ${repr(text)}`, force: text !== '' }];
  },
};

// ---- client-output-buffer-limit ----

export interface OutputBufferLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

export interface OutputBufferLimits {
  normal: OutputBufferLimit;
  replica: OutputBufferLimit;
  pubsub: OutputBufferLimit;
}

const OBUF_CLASSES = ['normal', 'slave', 'pubsub'] as const;

function obufClass(name: string): number {
  switch (name.toLowerCase()) {
    case 'normal': return 0;
    case 'slave':
    case 'replica': return 1;
    case 'pubsub': return 2;
    default: return -1; // 'master' too: it has no limit of its own
  }
}

/** The limits of a client-output-buffer-limit CONFIG GET text. */
export function parseOutputBufferLimits(text: string): OutputBufferLimits {
  const p = text.split(' ');
  const at = (i: number): OutputBufferLimit => ({ hard: Number(p[i + 1]), soft: Number(p[i + 2]), softSeconds: Number(p[i + 3]) });
  return { normal: at(0), replica: at(4), pubsub: at(8) };
}

export const clientOutputBufferLimit: SpecialSyntax = {
  parse(args, current) {
    if (args.length % 4 !== 0) fail('Wrong number of arguments in buffer limit configuration.');
    const parts = current.split(' ');
    const next: string[][] = [0, 1, 2].map((c) => parts.slice(c * 4 + 1, c * 4 + 4));
    for (let j = 0; j < args.length; j += 4) {
      const cls = obufClass(args[j] as string);
      if (cls === -1) fail('Invalid client class specified in buffer limit configuration.');
      const hard = memToBig(args[j + 1] as string);
      const soft = memToBig(args[j + 2] as string);
      const secs = strtollFull(args[j + 3] as string);
      const seconds = secs === null ? -1n : BigInt.asIntN(32, secs);
      if (hard === null || soft === null || seconds < 0n) fail('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
      next[cls] = [String(hard), String(soft), String(seconds)];
    }
    return simple(OBUF_CLASSES.map((c, i) => `${c} ${(next[i] as string[]).join(' ')}`).join(' '));
  },
  rewrite(name, text, defaultText) {
    const now = text.split(' ');
    const def = defaultText.split(' ');
    const lines: RewriteLine[] = [];
    for (let c = 0; c < 3; c++) {
      const [hard, soft, secs] = now.slice(c * 4 + 1, c * 4 + 4) as [string, string, string];
      const force = now.slice(c * 4, c * 4 + 4).join(' ') !== def.slice(c * 4, c * 4 + 4).join(' ');
      const cls = c === 1 ? 'replica' : OBUF_CLASSES[c];
      lines.push({ line: `${name} ${cls} ${formatMemory(BigInt(hard))} ${formatMemory(BigInt(soft))} ${secs}`, force });
    }
    return lines;
  },
};

// ---- oom-score-adj-values ----

export const oomScoreAdjValues: SpecialSyntax = {
  parse(args) {
    if (args.length !== 3) fail('wrong number of arguments');
    const out: string[] = [];
    for (const a of args) {
      const v = strtollFull(a);
      if (v === null || v < -2000n || v > 2000n) fail('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
      out.push(String(v));
    }
    return simple(out.join(' '));
  },
  rewrite(name, text, defaultText) {
    return [{ line: `${name} ${text}`, force: text !== defaultText }];
  },
};

// ---- bind ----

export const bind: SpecialSyntax = {
  parse(args) {
    if (args.length > 16) fail('Too many bind addresses specified.');
    const list = args.length === 1 && args[0] === '' ? [] : args;
    return simple(list.join(' '));
  },
  rewrite(name, text, defaultText) {
    if (text === defaultText) return [];
    return [{ line: `${name} ${text === '' ? '""' : text}`, force: true }];
  },
};

// ---- replicaof ----

export const replicaof: SpecialSyntax = {
  parse(args) {
    if (args.length !== 2) fail('wrong number of arguments');
    const [host, port] = args as [string, string];
    if (host.toLowerCase() === 'no' && port.toLowerCase() === 'one') return simple('');
    const p = strtollFull(port);
    if (p === null || p < 0n || p > 65535n) fail('Invalid master port');
    return simple(`${host} ${p}`);
  },
  rewrite(name, text) {
    return text === '' ? [] : [{ line: `${name} ${text}`, force: true }];
  },
};

// ---- latency-tracking-info-percentiles ----

/** printf("%f") with trailing zeros (and a trailing dot) removed. */
function trimmedFixed(d: number): string {
  const s = d.toFixed(6);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

export const latencyPercentiles: SpecialSyntax = {
  parse(args) {
    const list = args.length === 1 && args[0] === '' ? [] : args;
    const out: string[] = [];
    for (const a of list) {
      const d = parseDouble(a);
      if (d === null) fail('Invalid latency-tracking-info-percentiles parameters');
      if (d > 100 || d < 0) fail('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
      out.push(trimmedFixed(d));
    }
    return simple(out.join(' '));
  },
  rewrite(name, text) {
    return [{ line: `${name} ${text === '' ? '""' : text}`, force: true }];
  },
};

// ---- shutdown-on-sigint / shutdown-on-sigterm ----

const SHUTDOWN_FLAGS = ['save', 'nosave', 'now', 'force'];

export const shutdownOnSignal: SpecialSyntax = {
  parse(args) {
    const set = new Set<string>();
    if (args.length === 0) fail('argument(s) must be one of the following: default, save, nosave, now, force');
    for (const a of args) {
      const v = a.toLowerCase();
      if (v !== 'default' && !SHUTDOWN_FLAGS.includes(v)) fail('argument(s) must be one of the following: default, save, nosave, now, force');
      if (v !== 'default') set.add(v);
    }
    if (set.has('save') && set.has('nosave')) fail("shutdown options SAVE and NOSAVE can't be used simultaneously");
    const names = SHUTDOWN_FLAGS.filter((f) => set.has(f));
    return simple(names.length === 0 ? 'default' : names.join(' '));
  },
  rewrite(name, text, defaultText) {
    return [{ line: `${name} ${text}`, force: text !== defaultText }];
  },
};

// ---- dir ----

/** Redis chdir()s; nodis keeps the absolute path instead, so embedded servers do not move the process. */
export const dir: SpecialSyntax = {
  parse(args, current) {
    if (args.length !== 1) fail('wrong number of arguments');
    if (args[0] === '') fail('No such file or directory');
    const path = resolve(current, args[0] as string);
    try {
      if (!statSync(path).isDirectory()) fail('Not a directory');
    } catch (err) {
      fail(strerror(err));
    }
    return simple(path);
  },
  rewrite(name, text) {
    return [{ line: `${name} ${repr(text)}`, force: true }];
  },
};
