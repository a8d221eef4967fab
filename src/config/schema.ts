/**
 * Every configuration parameter nodis knows: its redis.conf name, type, default and whether
 * CONFIG SET may change it. Values are kept in their parsed form; `format` gives the text
 * CONFIG GET and CONFIG REWRITE print.
 */
export type ConfigKind = 'bool' | 'int' | 'memory' | 'string' | 'enum' | 'special';

export type ConfigValue = string | number | boolean;

export interface ConfigParam {
  name: string;
  /** Old names accepted as well (hash-max-ziplist-entries…). */
  aliases?: string[];
  kind: ConfigKind;
  /** Default as redis.conf text. */
  default: string;
  mutable: boolean;
  min?: number;
  max?: number;
  enumValues?: string[];
  /** For 'special' kinds: text → value, or an error message (thrown as string). */
  parse?: (text: string) => ConfigValue;
  /** For 'special' kinds: value → text. */
  format?: (value: ConfigValue) => string;
  /** Secret values are never logged. */
  sensitive?: boolean;
}

const GB = 1024 * 1024 * 1024;

export const CONFIG_PARAMS: ConfigParam[] = [
  { name: 'port', kind: 'int', default: '6379', mutable: true, min: 0, max: 65535 },
  { name: 'bind', kind: 'string', default: '127.0.0.1 -::1', mutable: true },
  { name: 'protected-mode', kind: 'bool', default: 'yes', mutable: true },
  { name: 'databases', kind: 'int', default: '16', mutable: false, min: 1, max: 2147483647 },
  { name: 'requirepass', kind: 'string', default: '', mutable: true, sensitive: true },
  { name: 'maxclients', kind: 'int', default: '10000', mutable: true, min: 1, max: 2147483647 },
  { name: 'timeout', kind: 'int', default: '0', mutable: true, min: 0, max: 2147483647 },
  { name: 'tcp-keepalive', kind: 'int', default: '300', mutable: true, min: 0, max: 2147483647 },
  { name: 'hz', kind: 'int', default: '10', mutable: true, min: 0, max: 2147483647 },
  { name: 'proto-max-bulk-len', kind: 'memory', default: '512mb', mutable: true, min: 1024 * 1024, max: 512 * GB },
  { name: 'client-query-buffer-limit', kind: 'memory', default: '1gb', mutable: true, min: 1024 * 1024, max: 512 * GB },
  { name: 'maxmemory', kind: 'memory', default: '0', mutable: true, min: 0, max: Number.MAX_SAFE_INTEGER },
  {
    name: 'maxmemory-policy', kind: 'enum', default: 'noeviction', mutable: true,
    enumValues: ['volatile-lru', 'allkeys-lru', 'volatile-lfu', 'allkeys-lfu', 'volatile-random', 'allkeys-random', 'volatile-ttl', 'noeviction'],
  },
  { name: 'lfu-log-factor', kind: 'int', default: '10', mutable: true, min: 0, max: 2147483647 },
  { name: 'lfu-decay-time', kind: 'int', default: '1', mutable: true, min: 0, max: 2147483647 },
  { name: 'loglevel', kind: 'enum', default: 'notice', mutable: true, enumValues: ['debug', 'verbose', 'notice', 'warning', 'nothing'] },
  { name: 'logfile', kind: 'string', default: '', mutable: false },
  { name: 'dir', kind: 'string', default: './', mutable: true },
  { name: 'dbfilename', kind: 'string', default: 'dump.rdb', mutable: true },
  { name: 'save', kind: 'string', default: '3600 1 300 100 60 10000', mutable: true },
  { name: 'appendonly', kind: 'bool', default: 'no', mutable: true },
  { name: 'notify-keyspace-events', kind: 'string', default: '', mutable: true },
  { name: 'slowlog-log-slower-than', kind: 'int', default: '10000', mutable: true, min: -1, max: Number.MAX_SAFE_INTEGER },
  { name: 'slowlog-max-len', kind: 'int', default: '128', mutable: true, min: 0, max: Number.MAX_SAFE_INTEGER },
  { name: 'latency-monitor-threshold', kind: 'int', default: '0', mutable: true, min: 0, max: Number.MAX_SAFE_INTEGER },
  { name: 'lazyfree-lazy-user-del', kind: 'bool', default: 'no', mutable: true },
  { name: 'lazyfree-lazy-user-flush', kind: 'bool', default: 'no', mutable: true },
  { name: 'daemonize', kind: 'bool', default: 'no', mutable: false },
  { name: 'pidfile', kind: 'string', default: '', mutable: false },
  { name: 'zset-max-listpack-entries', aliases: ['zset-max-ziplist-entries'], kind: 'int', default: '128', mutable: true, min: 0, max: Number.MAX_SAFE_INTEGER },
  { name: 'zset-max-listpack-value', aliases: ['zset-max-ziplist-value'], kind: 'memory', default: '64', mutable: true, min: 0, max: Number.MAX_SAFE_INTEGER },
];
  { name: 'hash-max-listpack-entries', aliases: ['hash-max-ziplist-entries'], kind: 'int', default: '512', mutable: true, min: 0, max: Number.MAX_SAFE_INTEGER },
  { name: 'hash-max-listpack-value', aliases: ['hash-max-ziplist-value'], kind: 'memory', default: '64', mutable: true, min: 0, max: Number.MAX_SAFE_INTEGER },
  { name: 'set-max-intset-entries', kind: 'int', default: '512', mutable: true, min: 0, max: Number.MAX_SAFE_INTEGER },
