import { CONFIG_PARAMS, type ConfigParam, type ConfigValue } from './schema.js';
import type { Parsed, RewriteLine } from './special.js';
import {
  formatMemory, memToBig, parseMemory, repr, splitSpaces, strtollOctal, toSigned, toUnsigned,
} from './values.js';
import { parseLongLongBig } from '../util/parse.js';

export { parseMemory };

export function parseBool(text: string): boolean | undefined {
  const t = text.toLowerCase();
  if (t === 'yes') return true;
  if (t === 'no') return false;
  return undefined;
}

/** A CONFIG SET that failed: the name Redis reports and the reason. */
export class ConfigSetError extends Error {
  constructor(
    readonly param: string,
    reason: string,
  ) {
    super(reason);
  }
}

type Listener = (value: ConfigValue) => void;

/**
 * A number parameter for a command that needs it on every call (HSET, SADD, ZADD's encoding
 * limits): read by name only when the config or its generation changed since the last read,
 * which saves the two map lookups a read by name costs (they showed in HSET's profile).
 */
export class CachedNumber {
  private config: Config | null = null;
  private generation = -1;
  private value = 0;

  constructor(readonly name: string) {}

  of(config: Config): number {
    if (config !== this.config || config.generation !== this.generation) {
      this.value = config.getNumber(this.name);
      this.config = config;
      this.generation = config.generation;
    }
    return this.value;
  }
}

/** The parameter table with its current values. */
export class Config {
  private readonly byName = new Map<string, ConfigParam>();
  private readonly values = new Map<string, ConfigValue>();
  /** The exact CONFIG GET text (numbers past 2^53 keep all their digits here). */
  private readonly texts = new Map<string, string>();
  private readonly defaults = new Map<string, string>();
  private readonly listeners = new Map<string, Listener[]>();
  /**
   * rename-command lines of the config file, in order ([from, to]; an empty `to` removes the
   * command): the server's command table applies them when it is built.
   */
  commandRenames: Array<[string, string]> = [];
  /**
   * Counts every stored value (set, restored, loaded): a hot path may keep what it read with the
   * generation it read it at, and read again only when this differs (no lookup by name per call).
   */
  generation = 0;

  constructor() {
    for (const param of CONFIG_PARAMS) {
      this.byName.set(param.name, param);
      for (const alias of param.aliases ?? []) this.byName.set(alias, param);
      // An empty multi-argument default means "none" (replicaof), which its parser cannot spell.
      const parsed = param.multiArg && param.default === ''
        ? { value: '', text: '' }
        : this.parse(param, param.multiArg ? splitSpaces(param.default) : [param.default], process.cwd());
      this.store(param, parsed);
      this.defaults.set(param.name, parsed.text);
    }
  }

  params(): readonly ConfigParam[] {
    return CONFIG_PARAMS;
  }

  /** A parameter by name or alias, any case. */
  param(name: string): ConfigParam | undefined {
    return this.byName.get(name) ?? this.byName.get(name.toLowerCase());
  }

  get(name: string): ConfigValue {
    const param = this.param(name);
    if (param === undefined) throw new Error(`unknown config parameter ${name}`);
    return this.values.get(param.name) as ConfigValue;
  }

  getNumber(name: string): number {
    return this.get(name) as number;
  }

  getString(name: string): string {
    return this.get(name) as string;
  }

  getBool(name: string): boolean {
    return this.get(name) as boolean;
  }

  /**
   * Parses and stores `text` as CONFIG SET does (a multi-argument value is split at spaces);
   * throws an Error whose message is the reason when invalid. Mutability is the caller's check.
   */
  set(name: string, text: string): void {
    const param = this.param(name);
    if (param === undefined) throw new Error('Unrecognized option or bad number of args');
    this.apply(param, this.parse(param, param.multiArg ? splitSpaces(text) : [text], this.currentText(param)));
  }

  /** Sets from the arguments of a redis.conf line (after the name). */
  setArgs(name: string, args: readonly string[]): void {
    const param = this.param(name);
    if (param === undefined) throw new Error('Bad directive or wrong number of arguments');
    if (!param.multiArg && args.length !== 1) throw new Error('wrong number of arguments');
    this.apply(param, this.parse(param, args, this.currentText(param)));
  }

  /**
   * CONFIG SET of several parameters: all are set or none. Change listeners run once all
   * values are in; one that throws rolls every value back.
   */
  setMany(pairs: ReadonlyArray<readonly [string, string]>): void {
    const params = pairs.map(([name]) => this.param(name) as ConfigParam);
    const old = params.map((p) => ({ value: this.values.get(p.name) as ConfigValue, text: this.currentText(p) }));
    const changed: number[] = [];
    for (let i = 0; i < pairs.length; i++) {
      const param = params[i] as ConfigParam;
      const [name, text] = pairs[i] as readonly [string, string];
      try {
        const parsed = this.parse(param, param.multiArg ? splitSpaces(text) : [text], this.currentText(param));
        if (param.volatile === true || parsed.text !== this.currentText(param) || parsed.value !== this.values.get(param.name)) changed.push(i);
        this.store(param, parsed);
      } catch (err) {
        this.restore(params, old, i + 1, false);
        throw new ConfigSetError(this.reportedName(param, name), (err as Error).message);
      }
    }
    const notified = new Set<string>();
    for (const i of changed) {
      const param = params[i] as ConfigParam;
      if (notified.has(param.name)) continue;
      notified.add(param.name);
      try {
        this.notify(param);
      } catch (err) {
        this.restore(params, old, params.length, true);
        throw new ConfigSetError(param.name, (err as Error).message);
      }
    }
  }

  /**
   * What setMany(pairs) would store, without storing it: for each parameter named (by its
   * canonical name) the value and text it would take. Throws the ConfigSetError setMany would
   * throw for an invalid value. Lets a change that must first be tried outside (listening on a
   * new port) be validated before it is tried, and committed only if it worked.
   */
  preview(pairs: ReadonlyArray<readonly [string, string]>): Map<string, Parsed> {
    const next = new Map<string, Parsed>();
    for (const [name, text] of pairs) {
      const param = this.param(name) as ConfigParam;
      const current = next.get(param.name)?.text ?? this.currentText(param);
      try {
        next.set(param.name, this.parse(param, param.multiArg ? splitSpaces(text) : [text], current));
      } catch (err) {
        throw new ConfigSetError(this.reportedName(param, name), (err as Error).message);
      }
    }
    return next;
  }

  /** The redis.conf / CONFIG GET text of a parameter's current value. */
  format(name: string): string {
    const param = this.param(name);
    if (param === undefined) throw new Error(`unknown config parameter ${name}`);
    return this.currentText(param);
  }

  /** The CONFIG GET text of the default value. */
  defaultText(name: string): string {
    const param = this.param(name);
    if (param === undefined) throw new Error(`unknown config parameter ${name}`);
    return this.defaults.get(param.name) as string;
  }

  /** Runs `listener` after each change of the parameter's value. */
  onChange(name: string, listener: Listener): void {
    const param = this.param(name);
    if (param === undefined) throw new Error(`unknown config parameter ${name}`);
    const list = this.listeners.get(param.name) ?? [];
    list.push(listener);
    this.listeners.set(param.name, list);
  }

  /** The lines CONFIG REWRITE writes for a parameter (Redis's per-type rewrite functions). */
  rewriteLines(param: ConfigParam): RewriteLine[] {
    const name = param.name;
    const text = this.currentText(param);
    const def = this.defaults.get(name) as string;
    switch (param.kind) {
      case 'special':
        return param.syntax?.rewrite(name, text, def) ?? [];
      case 'string':
        if (param.nullable && text === '') return [];
        return [{ line: `${name} ${repr(text)}`, force: text !== def }];
      case 'memory': {
        if (param.percent && text.endsWith('%')) return [{ line: `${name} ${text}`, force: text !== def }];
        const big = BigInt(text);
        return [{ line: `${name} ${formatMemory(param.unsigned ? big : toUnsigned(big))}`, force: text !== def }];
      }
      default:
        return [{ line: `${name} ${text}`, force: text !== def }];
    }
  }

  private currentText(param: ConfigParam): string {
    return this.texts.get(param.name) as string;
  }

  /** The name Redis puts in a CONFIG SET error: the registered spelling of what was asked for. */
  private reportedName(param: ConfigParam, asked: string): string {
    const lower = asked.toLowerCase();
    return param.aliases?.includes(lower) ? lower : param.name;
  }

  private apply(param: ConfigParam, parsed: Parsed): void {
    const changed = parsed.text !== this.currentText(param);
    this.store(param, parsed);
    if (changed) this.notify(param);
  }

  private store(param: ConfigParam, parsed: Parsed): void {
    this.generation++;
    this.values.set(param.name, parsed.value);
    this.texts.set(param.name, parsed.text);
  }

  private notify(param: ConfigParam): void {
    const value = this.values.get(param.name) as ConfigValue;
    for (const listener of this.listeners.get(param.name) ?? []) listener(value);
  }

  private restore(params: ConfigParam[], old: Array<{ value: ConfigValue; text: string }>, count: number, reapply: boolean): void {
    for (let i = count - 1; i >= 0; i--) {
      const o = old[i] as { value: ConfigValue; text: string };
      this.store(params[i] as ConfigParam, o);
    }
    if (!reapply) return;
    for (const param of new Set(params.slice(0, count))) {
      try {
        this.notify(param);
      } catch {
        // Restoring is best effort, as in Redis (which only logs it).
      }
    }
  }

  private parse(param: ConfigParam, args: readonly string[], current: string): Parsed {
    if (param.kind === 'special') return (param.syntax as NonNullable<ConfigParam['syntax']>).parse(args, current);
    const text = args[0] as string;
    switch (param.kind) {
      case 'bool': {
        const b = parseBool(text);
        if (b === undefined) throw new Error("argument must be 'yes' or 'no'");
        return { value: b, text: b ? 'yes' : 'no' };
      }
      case 'int':
      case 'memory':
        return parseNumeric(param, text);
      case 'enum': {
        const v = text.toLowerCase();
        const values = param.enumValues as string[];
        if (!values.includes(v)) throw new Error(`argument(s) must be one of the following: ${values.join(', ')}`);
        const canonical = param.enumSynonyms?.[v] ?? v;
        return { value: canonical, text: canonical };
      }
      default: {
        const nul = param.binary ? -1 : text.indexOf('\0');
        const value = nul === -1 ? text : text.slice(0, nul);
        const err = param.validate?.(value);
        if (err) throw new Error(err);
        return { value, text: value };
      }
    }
  }
}

/** Redis's numericParseString + numericBoundaryCheck, then the C type's own view of the value. */
function parseNumeric(param: ConfigParam, text: string): Parsed {
  let v: bigint | null = null;
  let percent = false;
  if (param.kind === 'memory') {
    const m = memToBig(text);
    if (m !== null) v = param.unsigned ? m : toSigned(m);
  }
  if (v === null && param.percent && text.length > 1 && text.endsWith('%')) {
    const p = parseLongLongBig(text.slice(0, -1));
    if (p !== null && p >= 0n) {
      v = -p;
      percent = true;
    }
  }
  if (v === null && param.octal) v = strtollOctal(text);
  if (v === null && param.kind === 'int' && !param.octal) v = parseLongLongBig(text);
  if (v === null) {
    throw new Error(
      param.percent ? 'argument must be a memory or percent value'
        : param.kind === 'memory' ? 'argument must be a memory value'
          : param.octal ? "argument couldn't be parsed as an octal number"
            : "argument couldn't be parsed into an integer",
    );
  }
  const min = BigInt(param.min ?? 0);
  const max = BigInt(param.max ?? 0);
  if (param.unsigned) {
    const u = toUnsigned(v);
    if (u > max || u < min) {
      const fmt = (x: bigint): string => (param.octal ? x.toString(8) : String(x));
      throw new Error(`argument must be between ${fmt(min)} and ${fmt(max)} inclusive`);
    }
    v = u;
  } else if (param.percent && v < 0n) {
    if (v < min) throw new Error(`percentage argument must be less or equal to ${-min}`);
  } else if (v > max || v < min) {
    throw new Error(`argument must be between ${min} and ${max} inclusive`);
  }
  if (param.clamp !== undefined) {
    const [lo, hi] = param.clamp;
    if (v < BigInt(lo)) v = BigInt(lo);
    if (v > BigInt(hi)) v = BigInt(hi);
  }
  const printed = percent ? `${-v}%` : param.octal ? v.toString(8) : String(v);
  return { value: Number(v), text: printed };
}
