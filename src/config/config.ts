import { CONFIG_PARAMS, type ConfigParam, type ConfigValue } from './schema.js';

const MEMORY_UNITS: Record<string, number> = {
  b: 1, k: 1000, kb: 1024, m: 1000 * 1000, mb: 1024 * 1024, g: 1000 * 1000 * 1000, gb: 1024 * 1024 * 1024,
};

/** Redis's memtoull: "1gb", "100mb", "512k", plain bytes. NaN when invalid. */
export function parseMemory(text: string): number {
  const match = /^(-?\d+)([a-z]*)$/i.exec(text);
  if (match === null) return NaN;
  const unit = (match[2] as string).toLowerCase();
  const factor = unit === '' ? 1 : MEMORY_UNITS[unit];
  if (factor === undefined) return NaN;
  return Number(match[1]) * factor;
}

export function parseBool(text: string): boolean | undefined {
  const t = text.toLowerCase();
  if (t === 'yes') return true;
  if (t === 'no') return false;
  return undefined;
}

/** The parameter table with its current values. */
export class Config {
  private readonly byName = new Map<string, ConfigParam>();
  private readonly values = new Map<string, ConfigValue>();
  private readonly listeners = new Map<string, Array<(value: ConfigValue) => void>>();

  constructor() {
    for (const param of CONFIG_PARAMS) {
      this.byName.set(param.name, param);
      for (const alias of param.aliases ?? []) this.byName.set(alias, param);
      this.values.set(param.name, this.parseValue(param, param.default));
    }
  }

  params(): readonly ConfigParam[] {
    return CONFIG_PARAMS;
  }

  param(name: string): ConfigParam | undefined {
    return this.byName.get(name.toLowerCase());
  }

  get(name: string): ConfigValue {
    const param = this.byName.get(name);
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

  /** Parses and stores `text`; throws an Error whose message is the reason when invalid. */
  set(name: string, text: string): void {
    const param = this.param(name);
    if (param === undefined) throw new Error('Unrecognized option or bad number of args');
    const value = this.parseValue(param, text);
    this.values.set(param.name, value);
    for (const listener of this.listeners.get(param.name) ?? []) listener(value);
  }

  /** The redis.conf / CONFIG GET text of a parameter's current value. */
  format(name: string): string {
    const param = this.param(name);
    if (param === undefined) throw new Error(`unknown config parameter ${name}`);
    const value = this.values.get(param.name) as ConfigValue;
    if (param.format) return param.format(value);
    if (param.kind === 'bool') return value ? 'yes' : 'no';
    return String(value);
  }

  onChange(name: string, listener: (value: ConfigValue) => void): void {
    const param = this.param(name);
    if (param === undefined) throw new Error(`unknown config parameter ${name}`);
    const list = this.listeners.get(param.name) ?? [];
    list.push(listener);
    this.listeners.set(param.name, list);
  }

  private parseValue(param: ConfigParam, text: string): ConfigValue {
    switch (param.kind) {
      case 'bool': {
        const b = parseBool(text);
        if (b === undefined) throw new Error("argument must be 'yes' or 'no'");
        return b;
      }
      case 'int':
      case 'memory': {
        const n = param.kind === 'memory' ? parseMemory(text) : /^-?\d+$/.test(text) ? Number(text) : NaN;
        if (Number.isNaN(n)) throw new Error(param.kind === 'memory' ? 'argument must be a memory value' : 'argument couldn\'t be parsed into an integer');
        if ((param.min !== undefined && n < param.min) || (param.max !== undefined && n > param.max)) {
          throw new Error(`argument must be between ${param.min} and ${param.max} inclusive`);
        }
        return n;
      }
      case 'enum': {
        const v = text.toLowerCase();
        if (!param.enumValues?.includes(v)) throw new Error(`argument(s) must be one of the following: ${param.enumValues?.join(', ')}`);
        return v;
      }
      case 'special':
        return param.parse ? param.parse(text) : text;
      default:
        return text;
    }
  }
}
