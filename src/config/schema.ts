/**
 * Every configuration parameter of Redis 7.0 that nodis honours or accepts: its redis.conf
 * name, type, default, bounds and whether CONFIG SET may change it (Redis's own table in
 * config.c). Values are kept in their parsed form; `Config.format` gives the text CONFIG GET
 * and CONFIG REWRITE print.
 */
import * as special from './special.js';
import type { SpecialSyntax } from './special.js';

export type { ConfigValue } from './special.js';

export type ConfigKind = 'bool' | 'int' | 'memory' | 'string' | 'enum' | 'special';

export interface ConfigParam {
  name: string;
  /** Old names accepted as well (hash-max-ziplist-entries…). */
  aliases?: string[];
  kind: ConfigKind;
  /** Default as redis.conf text. */
  default: string;
  /** CONFIG SET may change it (Redis: MODIFIABLE_CONFIG, else IMMUTABLE_CONFIG). */
  mutable: boolean;
  /** Bounds of 'int' and 'memory' kinds (bigint where a number would lose digits). */
  min?: number | bigint;
  max?: number | bigint;
  /** The C type is unsigned: negative input wraps around before the bounds check. */
  unsigned?: boolean;
  /** 'memory' that also takes "N%" (stored as -N, printed as N%). */
  percent?: boolean;
  /** 'int' written in octal (unixsocketperm). */
  octal?: boolean;
  /** Redis caps the value into this range after setting it (hz). */
  clamp?: [number, number];
  enumValues?: string[];
  /** Enum names that set the same value as an earlier name (CONFIG GET prints the earlier one). */
  enumSynonyms?: Record<string, string>;
  /** 'string' kinds: an error text, or null when the value is acceptable. */
  validate?: (text: string) => string | null;
  /** 'string' kinds: an empty value means "unset" (CONFIG REWRITE drops the line). */
  nullable?: boolean;
  /** 'string' kinds kept binary-safe (Redis's sds configs); others end at a NUL byte like C strings. */
  binary?: boolean;
  /** 'special' kinds: the parser, CONFIG GET text and CONFIG REWRITE lines. */
  syntax?: SpecialSyntax;
  /** Takes several arguments on a redis.conf line; CONFIG SET splits its value at spaces. */
  multiArg?: boolean;
  /**
   * Redis's SENSITIVE_CONFIG: CONFIG SET shows the value as "(redacted)" in the slow log. Exactly
   * Redis 7.0's set (requirepass, masterauth, masteruser); its tls-*-key-file-pass are not.
   */
  sensitive?: boolean;
  /** CONFIG SET refuses it unless enable-protected-configs allows (Redis: PROTECTED_CONFIG). */
  protected?: boolean;
  /** CONFIG SET applies it even to the value it has (Redis: VOLATILE_CONFIG, a file path whose content may have changed). */
  volatile?: boolean;
  /** Only an exact name finds it in CONFIG GET, never a pattern. */
  hidden?: boolean;
  /** A parameter of nodis's own, not Redis's (hidden too, so CONFIG GET patterns answer as Redis does). */
  nodisOnly?: boolean;
  /** nodis acts on it; otherwise it is accepted and kept for compatibility only. */
  honoured?: boolean;
  /** One line for redis.conf.example. */
  doc?: string;
}

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
const UINT_MAX = 4294967295;
const LONG_MAX = 9223372036854775807n;
const ULLONG_MAX = 18446744073709551615n;
const MB = 1024 * 1024;

type Extra = Partial<ConfigParam>;

function bool(name: string, def: 'yes' | 'no', mutable: boolean, extra: Extra = {}): ConfigParam {
  return { name, kind: 'bool', default: def, mutable, ...extra };
}
function int(name: string, def: string, mutable: boolean, min: number | bigint, max: number | bigint, extra: Extra = {}): ConfigParam {
  return { name, kind: 'int', default: def, mutable, min, max, ...extra };
}
function mem(name: string, def: string, mutable: boolean, min: number | bigint, max: number | bigint, extra: Extra = {}): ConfigParam {
  return { name, kind: 'memory', default: def, mutable, min, max, ...extra };
}
function str(name: string, def: string, mutable: boolean, extra: Extra = {}): ConfigParam {
  return { name, kind: 'string', default: def, mutable, ...extra };
}
function nullable(name: string, mutable: boolean, extra: Extra = {}): ConfigParam {
  return { name, kind: 'string', default: '', mutable, nullable: true, ...extra };
}
function enumOf(name: string, def: string, mutable: boolean, values: string[], extra: Extra = {}): ConfigParam {
  return { name, kind: 'enum', default: def, mutable, enumValues: values, ...extra };
}
function spec(name: string, def: string, mutable: boolean, syntax: SpecialSyntax, extra: Extra = {}): ConfigParam {
  return { name, kind: 'special', default: def, mutable, syntax, ...extra };
}

const M = true;
const I = false;
const H = { honoured: true };

function isBaseName(path: string): boolean {
  return !path.includes('/') && !path.includes('\\');
}

function validHostname(val: string): string | null {
  if (val.length >= 256) return 'Hostnames must be less than 256 characters';
  if (!/^[A-Za-z0-9.-]*$/.test(val)) return 'Hostnames may only contain alphanumeric characters, hyphens or dots';
  return null;
}

const PROC_TITLE_VARS = new Set(['title', 'listen-addr', 'server-mode', 'port', 'tls-port', 'unixsocket', 'config-file']);

/** Redis's validateProcTitleTemplate: known {variables}, balanced braces, not empty once expanded. */
function validProcTitle(template: string): string | null {
  const bad = 'template format is invalid or contains unknown variables';
  let expanded = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c === '{' && template[i + 1] === '{') { expanded += '{'; i++; continue; }
    if (c === '}' && template[i + 1] === '}') { expanded += '}'; i++; continue; }
    if (c === '}') return bad;
    if (c !== '{') { expanded += c; continue; }
    const end = template.indexOf('}', i);
    if (end === -1) return bad;
    const name = template.slice(i + 1, end);
    if (!PROC_TITLE_VARS.has(name)) return bad;
    if (name === 'listen-addr' || name === 'port' || name === 'tls-port') expanded += '0';
    i = end;
  }
  return expanded === '' ? bad : null;
}

const PROTECTED_ACTION = ['no', 'yes', 'local'];

export const CONFIG_PARAMS: ConfigParam[] = [
  // ---- network ----
  spec('bind', '127.0.0.1 -::1', M, special.bind, { multiArg: true, ...H, doc: 'Addresses to listen on; a leading "-" skips an address that is not available.' }),
  int('port', '6379', M, 0, 65535, { ...H, doc: 'TCP port (0: no plain TCP, as in Redis; the embedding API startServer picks a free port instead when TLS is off).' }),
  bool('protected-mode', 'yes', M, { ...H, doc: 'Without a password, accept only loopback clients.' }),
  int('tcp-backlog', '511', I, 0, INT_MAX, { doc: 'Listen backlog.' }),
  int('timeout', '0', M, 0, INT_MAX, { ...H, doc: 'Close a client idle for this many seconds (0 = never).' }),
  int('tcp-keepalive', '300', M, 0, INT_MAX, { ...H, doc: 'TCP keepalive interval in seconds (0 = off).' }),
  nullable('unixsocket', I),
  int('unixsocketperm', '0', I, 0, 0o777, { unsigned: true, octal: true }),
  nullable('bind-source-addr', M),
  int('socket-mark-id', '0', I, 0, UINT_MAX, { unsigned: true }),
  int('maxclients', '10000', M, 1, UINT_MAX, { unsigned: true, ...H, doc: 'Maximum number of connected clients.' }),
  // ---- security ----
  { name: 'requirepass', kind: 'string', default: '', mutable: M, nullable: true, binary: true, sensitive: true, ...H, doc: 'Password of the default user.' },
  nullable('masterauth', M, { sensitive: true, binary: true }),
  nullable('masteruser', M, { sensitive: true }),
  str('aclfile', '', I, { ...H, doc: 'File of ACL users (ACL SAVE writes it, ACL LOAD reads it); not together with user lines here.' }),
  int('acllog-max-len', '128', M, 0, LONG_MAX, { ...H, doc: 'Entries ACL LOG keeps.' }),
  enumOf('acl-pubsub-default', 'resetchannels', M, ['allchannels', 'resetchannels'], { ...H, doc: 'Channels a new ACL user may use: allchannels, or none (resetchannels).' }),
  enumOf('enable-protected-configs', 'no', I, PROTECTED_ACTION, { ...H, doc: 'Allow CONFIG SET of protected parameters (dir, dbfilename): no, yes or local.' }),
  enumOf('enable-debug-command', 'no', I, PROTECTED_ACTION, { ...H, doc: 'Allow the DEBUG command: no, yes or local.' }),
  enumOf('enable-module-command', 'no', I, PROTECTED_ACTION),
  // ---- general ----
  bool('daemonize', 'no', I, { doc: 'Accepted; nodis always runs in the foreground.' }),
  enumOf('supervised', 'no', I, ['upstart', 'systemd', 'auto', 'no']),
  nullable('pidfile', I, { ...H, doc: 'Write the process id to this file.' }),
  enumOf('loglevel', 'notice', M, ['debug', 'verbose', 'notice', 'warning'], { ...H, doc: 'debug, verbose, notice or warning.' }),
  str('logfile', '', I, { ...H, doc: 'Log file; empty logs to standard output.' }),
  // nodis's own (Valkey 8 has log-format legacy|logfmt): hidden, as Redis 7.0 has no such parameter.
  enumOf('log-format', 'auto', I, ['auto', 'legacy', 'json'], { ...H, nodisOnly: true, hidden: true, doc: 'auto (Redis-style lines on a terminal, JSON otherwise), legacy or json.' }),
  bool('syslog-enabled', 'no', I),
  str('syslog-ident', 'redis', I),
  enumOf('syslog-facility', 'local0', I, ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7']),
  bool('crash-log-enabled', 'yes', M),
  bool('crash-memcheck-enabled', 'yes', M),
  int('databases', '16', I, 1, INT_MAX, { ...H, doc: 'Number of databases.' }),
  bool('always-show-logo', 'no', I),
  bool('set-proc-title', 'yes', I),
  str('proc-title-template', '{title} {listen-addr} {server-mode}', M, { validate: validProcTitle }),
  str('ignore-warnings', '', M),
  // ---- snapshotting ----
  spec('save', '3600 1 300 100 60 10000', M, special.save, { multiArg: true, ...H, doc: 'Save points "seconds changes ..."; "" disables RDB snapshots.' }),
  bool('stop-writes-on-bgsave-error', 'yes', M, { ...H, doc: 'Refuse writes while the last background save failed.' }),
  bool('rdbcompression', 'yes', M, { ...H, doc: 'Compress strings in the RDB file with LZF.' }),
  bool('rdbchecksum', 'yes', I, { ...H, doc: 'Write and check a CRC64 at the end of the RDB file.' }),
  str('dbfilename', 'dump.rdb', M, {
    protected: true, ...H, doc: 'RDB file name, inside dir.',
    validate: (v) => (isBaseName(v) ? null : "dbfilename can't be a path, just a filename"),
  }),
  bool('rdb-del-sync-files', 'no', M),
  spec('dir', './', M, special.dir, { protected: true, ...H, doc: 'Working directory for the RDB and AOF files.' }),
  bool('rdb-save-incremental-fsync', 'yes', M),
  // ---- replication (accepted) ----
  spec('replicaof', '', I, special.replicaof, { aliases: ['slaveof'], multiArg: true }),
  bool('replica-serve-stale-data', 'yes', M, { aliases: ['slave-serve-stale-data'] }),
  bool('replica-read-only', 'yes', M, { aliases: ['slave-read-only'] }),
  bool('repl-diskless-sync', 'yes', M),
  int('repl-diskless-sync-delay', '5', M, 0, INT_MAX),
  int('repl-diskless-sync-max-replicas', '0', M, 0, INT_MAX),
  enumOf('repl-diskless-load', 'disabled', M, ['disabled', 'on-empty-db', 'swapdb']),
  int('repl-ping-replica-period', '10', M, 1, INT_MAX, { aliases: ['repl-ping-slave-period'] }),
  int('repl-timeout', '60', M, 1, INT_MAX),
  bool('repl-disable-tcp-nodelay', 'no', M),
  mem('repl-backlog-size', '1mb', M, 1, LONG_MAX),
  int('repl-backlog-ttl', '3600', M, 0, LONG_MAX),
  int('replica-priority', '100', M, 0, INT_MAX, { aliases: ['slave-priority'] }),
  bool('replica-announced', 'yes', M),
  int('min-replicas-to-write', '0', M, 0, INT_MAX, { aliases: ['min-slaves-to-write'] }),
  int('min-replicas-max-lag', '10', M, 0, INT_MAX, { aliases: ['min-slaves-max-lag'] }),
  nullable('replica-announce-ip', M, { aliases: ['slave-announce-ip'] }),
  int('replica-announce-port', '0', M, 0, 65535, { aliases: ['slave-announce-port'] }),
  bool('replica-ignore-maxmemory', 'yes', M, { aliases: ['slave-ignore-maxmemory'] }),
  bool('replica-lazy-flush', 'no', M, { aliases: ['slave-lazy-flush'] }),
  bool('replica-ignore-disk-write-errors', 'no', M),
  enumOf('propagation-error-behavior', 'ignore', M, ['ignore', 'panic', 'panic-on-replicas']),
  // ---- memory management ----
  mem('maxmemory', '0', M, 0, ULLONG_MAX, { unsigned: true, ...H, doc: 'Memory limit in bytes (0 = none); reaching it applies maxmemory-policy.' }),
  enumOf('maxmemory-policy', 'noeviction', M, [
    'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction',
  ], { ...H, doc: 'What to evict at maxmemory.' }),
  int('maxmemory-samples', '5', M, 1, INT_MAX, { ...H, doc: 'Keys sampled per eviction.' }),
  int('maxmemory-eviction-tenacity', '10', M, 0, 100),
  mem('maxmemory-clients', '0', M, -100, LONG_MAX, { percent: true }),
  int('lfu-log-factor', '10', M, 0, INT_MAX, { ...H, doc: 'LFU counter logarithm factor.' }),
  int('lfu-decay-time', '1', M, 0, INT_MAX, { ...H, doc: 'Minutes for the LFU counter to decay.' }),
  int('active-expire-effort', '1', M, 1, 10),
  // ---- lazy freeing ----
  bool('lazyfree-lazy-eviction', 'no', M),
  bool('lazyfree-lazy-expire', 'no', M),
  bool('lazyfree-lazy-server-del', 'no', M),
  bool('lazyfree-lazy-user-del', 'no', M, { ...H, doc: 'DEL behaves like UNLINK.' }),
  bool('lazyfree-lazy-user-flush', 'no', M, { ...H, doc: 'FLUSHDB/FLUSHALL without a mode are ASYNC.' }),
  // ---- threads and process ----
  int('io-threads', '1', I, 1, 128, { doc: 'Accepted; nodis serves clients on one event loop.' }),
  bool('io-threads-do-reads', 'no', I),
  enumOf('oom-score-adj', 'no', M, ['no', 'yes', 'relative', 'absolute'], { enumSynonyms: { relative: 'yes' } }),
  spec('oom-score-adj-values', '0 200 800', M, special.oomScoreAdjValues, { multiArg: true }),
  bool('disable-thp', 'yes', I),
  bool('jemalloc-bg-thread', 'yes', M),
  nullable('server_cpulist', I),
  nullable('bio_cpulist', I),
  nullable('aof_rewrite_cpulist', I),
  nullable('bgsave_cpulist', I),
  // ---- append only file ----
  bool('appendonly', 'no', M, { ...H, doc: 'Log every write to the append only file.' }),
  str('appendfilename', 'appendonly.aof', I, {
    ...H, doc: 'Base name of the AOF files.',
    validate: (v) => (v === '' ? "appendfilename can't be empty" : isBaseName(v) ? null : "appendfilename can't be a path, just a filename"),
  }),
  str('appenddirname', 'appendonlydir', I, {
    ...H, doc: 'Directory of the AOF files, inside dir.',
    validate: (v) => (v === '' ? "appenddirname can't be empty" : isBaseName(v) ? null : "appenddirname can't be a path, just a dirname"),
  }),
  enumOf('appendfsync', 'everysec', M, ['everysec', 'always', 'no'], { ...H, doc: 'When to fsync the AOF: always, everysec or no.' }),
  bool('no-appendfsync-on-rewrite', 'no', M, { ...H, doc: 'Skip fsyncing the AOF while a rewrite runs.' }),
  int('auto-aof-rewrite-percentage', '100', M, 0, INT_MAX, { ...H, doc: 'Rewrite the AOF when it grew by this percentage (0 = never).' }),
  mem('auto-aof-rewrite-min-size', '64mb', M, 0, LONG_MAX, { ...H, doc: 'Minimum AOF size for an automatic rewrite.' }),
  bool('aof-load-truncated', 'yes', M, { ...H, doc: 'Load an AOF whose last command is truncated.' }),
  bool('aof-use-rdb-preamble', 'yes', M, { ...H, doc: 'Write the AOF base as an RDB snapshot (<appendfilename>.<seq>.base.rdb) rather than as commands.' }),
  bool('aof-timestamp-enabled', 'no', M, { ...H, doc: 'Write #TS:<unix time> annotations into the AOF.' }),
  bool('aof-rewrite-incremental-fsync', 'yes', M),
  bool('aof-disable-auto-gc', 'no', M, { ...H, doc: 'Keep the AOF files a rewrite replaced (history) instead of deleting them.' }),
  // ---- shutdown ----
  int('shutdown-timeout', '10', M, 0, INT_MAX),
  spec('shutdown-on-sigint', 'default', M, special.shutdownOnSignal, { multiArg: true, ...H, doc: 'SIGINT: default, or save|nosave, now, force.' }),
  spec('shutdown-on-sigterm', 'default', M, special.shutdownOnSignal, { multiArg: true, ...H, doc: 'SIGTERM: default, or save|nosave, now, force.' }),
  // ---- scripting ----
  int('busy-reply-threshold', '5000', M, 0, LONG_MAX, { aliases: ['lua-time-limit'] }),
  // ---- cluster (accepted) ----
  bool('cluster-enabled', 'no', I),
  str('cluster-config-file', 'nodes.conf', I),
  int('cluster-node-timeout', '15000', M, 0, LONG_MAX),
  int('cluster-port', '0', I, 0, 65535),
  int('cluster-replica-validity-factor', '10', M, 0, INT_MAX, { aliases: ['cluster-slave-validity-factor'] }),
  int('cluster-migration-barrier', '1', M, 0, INT_MAX),
  bool('cluster-allow-replica-migration', 'yes', M),
  bool('cluster-require-full-coverage', 'yes', M),
  bool('cluster-replica-no-failover', 'no', M, { aliases: ['cluster-slave-no-failover'] }),
  bool('cluster-allow-reads-when-down', 'no', M),
  bool('cluster-allow-pubsubshard-when-down', 'yes', M),
  mem('cluster-link-sendbuf-limit', '0', M, 0, ULLONG_MAX, { unsigned: true }),
  nullable('cluster-announce-hostname', M, { validate: validHostname }),
  enumOf('cluster-preferred-endpoint-type', 'ip', M, ['ip', 'hostname', 'unknown-endpoint']),
  nullable('cluster-announce-ip', M),
  int('cluster-announce-port', '0', M, 0, 65535),
  int('cluster-announce-bus-port', '0', M, 0, 65535),
  int('cluster-announce-tls-port', '0', M, 0, 65535),
  // ---- slow log, latency ----
  int('slowlog-log-slower-than', '10000', M, -1, LONG_MAX, { ...H, doc: 'Log commands slower than this many microseconds (-1 = off).' }),
  int('slowlog-max-len', '128', M, 0, LONG_MAX, { ...H, doc: 'Entries kept in the slow log.' }),
  int('latency-monitor-threshold', '0', M, 0, LONG_MAX, { ...H, doc: 'Record events slower than this many milliseconds (0 = off).' }),
  bool('latency-tracking', 'yes', M),
  spec('latency-tracking-info-percentiles', '50 99 99.9', M, special.latencyPercentiles, { multiArg: true }),
  // ---- event notification ----
  spec('notify-keyspace-events', '', M, special.notifyKeyspaceEvents, { ...H, doc: 'Keyspace notification classes: K E g $ l s h z x e t m d n A.' }),
  // ---- advanced ----
  int('hash-max-listpack-entries', '512', M, 0, LONG_MAX, { aliases: ['hash-max-ziplist-entries'], unsigned: true, ...H, doc: 'Hashes up to this many fields use the compact listpack encoding.' }),
  mem('hash-max-listpack-value', '64', M, 0, LONG_MAX, { aliases: ['hash-max-ziplist-value'], unsigned: true, ...H, doc: '...and values up to this many bytes.' }),
  int('list-max-listpack-size', '-2', M, INT_MIN, INT_MAX, { aliases: ['list-max-ziplist-size'], ...H, doc: 'List node size: negative = -1..-5 for 4kb..64kb, positive = entries.' }),
  int('list-compress-depth', '0', M, 0, INT_MAX),
  int('set-max-intset-entries', '512', M, 0, LONG_MAX, { unsigned: true, ...H, doc: 'Sets of integers up to this size use the intset encoding.' }),
  int('zset-max-listpack-entries', '128', M, 0, LONG_MAX, { aliases: ['zset-max-ziplist-entries'], unsigned: true, ...H, doc: 'Sorted sets up to this many members use listpack.' }),
  mem('zset-max-listpack-value', '64', M, 0, LONG_MAX, { aliases: ['zset-max-ziplist-value'], unsigned: true, ...H, doc: '...and members up to this many bytes.' }),
  mem('hll-sparse-max-bytes', '3000', M, 0, LONG_MAX, { unsigned: true }),
  mem('stream-node-max-bytes', '4096', M, 0, LONG_MAX, { unsigned: true }),
  int('stream-node-max-entries', '100', M, 0, LONG_MAX),
  bool('activerehashing', 'yes', M),
  spec('client-output-buffer-limit', 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60', M, special.clientOutputBufferLimit, {
    multiArg: true, ...H, doc: 'Per class (normal, replica, pubsub): hard limit, soft limit, soft seconds.',
  }),
  mem('client-query-buffer-limit', '1gb', M, MB, LONG_MAX, { unsigned: true, ...H, doc: 'Largest query buffer of one client.' }),
  mem('proto-max-bulk-len', '512mb', M, MB, LONG_MAX, { ...H, doc: 'Largest bulk string a client may send.' }),
  int('hz', '10', M, 0, INT_MAX, { clamp: [1, 500], ...H, doc: 'Server timer frequency (1-500).' }),
  bool('dynamic-hz', 'yes', M, { doc: 'Accepted; the timer runs at hz.' }),
  int('tracking-table-max-keys', '1000000', M, 0, LONG_MAX, { unsigned: true }),
  enumOf('sanitize-dump-payload', 'no', M, ['no', 'yes', 'clients']),
  // ---- active defragmentation (accepted) ----
  bool('activedefrag', 'no', M),
  mem('active-defrag-ignore-bytes', '100mb', M, 1, LONG_MAX, { unsigned: true }),
  int('active-defrag-threshold-lower', '10', M, 0, 1000),
  int('active-defrag-threshold-upper', '100', M, 0, 1000),
  int('active-defrag-cycle-min', '1', M, 1, 99),
  int('active-defrag-cycle-max', '25', M, 1, 99),
  int('active-defrag-max-scan-fields', '1000', M, 1, LONG_MAX),
  // ---- TLS ----
  int('tls-port', '0', M, 0, 65535, { ...H, doc: 'TLS port beside the plain one (0 = no TLS).' }),
  nullable('tls-cert-file', M, { volatile: true, ...H, doc: 'Server certificate (PEM); CONFIG SET reloads it, the same path too.' }),
  nullable('tls-key-file', M, { volatile: true, ...H, doc: 'Private key of tls-cert-file (PEM).' }),
  nullable('tls-key-file-pass', M, { ...H, doc: 'Passphrase of an encrypted tls-key-file.' }),
  nullable('tls-client-cert-file', M, { volatile: true }),
  nullable('tls-client-key-file', M, { volatile: true }),
  nullable('tls-client-key-file-pass', M),
  nullable('tls-dh-params-file', M, { volatile: true, ...H, doc: 'DH parameters (PEM) for DHE ciphers.' }),
  nullable('tls-ca-cert-file', M, { volatile: true, ...H, doc: 'CA certificate(s) clients\' certificates are checked against.' }),
  nullable('tls-ca-cert-dir', M, { volatile: true, ...H, doc: 'Directory of CA certificates (every PEM file in it).' }),
  enumOf('tls-auth-clients', 'yes', M, ['no', 'yes', 'optional'], { ...H, doc: 'Client certificates: yes (required), optional (checked if sent) or no.' }),
  bool('tls-replication', 'no', M),
  bool('tls-cluster', 'no', M),
  nullable('tls-protocols', M, { ...H, doc: 'Versions allowed, e.g. "TLSv1.2 TLSv1.3" (the default).' }),
  nullable('tls-ciphers', M, { ...H, doc: 'TLSv1.2 cipher list (OpenSSL syntax).' }),
  nullable('tls-ciphersuites', M, { ...H, doc: 'TLSv1.3 cipher suites.' }),
  bool('tls-prefer-server-ciphers', 'no', M, { ...H, doc: 'Choose the cipher by the server\'s order of preference.' }),
  bool('tls-session-caching', 'yes', M, { ...H, doc: 'Keep TLS sessions by session ID to resume them (session tickets resume either way, as in Redis).' }),
  int('tls-session-cache-size', '20480', M, 0, INT_MAX, { ...H, doc: 'TLS sessions kept by session ID (0 = no bound); the oldest goes first.' }),
  int('tls-session-cache-timeout', '300', M, 0, INT_MAX, { ...H, doc: 'Lifetime of a TLS session (session ID or ticket), in seconds.' }),
  // ---- nodis (hidden: CONFIG GET patterns list only what Redis has) ----
  int('metrics-port', '0', M, 0, 65535, { nodisOnly: true, hidden: true, ...H, doc: 'HTTP port of a Prometheus endpoint, GET /metrics, on the bind addresses (0 = off; CONFIG SET opens, moves or closes it); redis_exporter\'s metric names.' }),
  // ---- hidden (testing knobs of Redis) ----
  bool('use-exit-on-panic', 'no', M, { hidden: true }),
  int('rdb-key-save-delay', '0', M, INT_MIN, INT_MAX, { hidden: true, ...H, doc: 'Microseconds to wait after each key a BGSAVE or an AOF rewrite writes (and after each piece of a large one).' }),
  int('key-load-delay', '0', M, INT_MIN, INT_MAX, { hidden: true, ...H, doc: 'Microseconds to wait after each key loaded from the RDB file or command loaded from the AOF.' }),
  int('watchdog-period', '0', M, 0, INT_MAX, { hidden: true }),
  int('loading-process-events-interval-bytes', '2097152', M, 1024, INT_MAX, { hidden: true }),
];
