import http from 'node:http';
import type { ServerContext } from '../commands/core/context.js';
import { infoText } from '../commands/server/info.js';
import type { Listener } from './listeners.js';

/**
 * The Prometheus endpoint (metrics-port): GET /metrics answers text format 0.0.4 with the
 * metric names and types of oliver006/redis_exporter, so dashboards built for it work as they
 * are. Every value comes from the text of INFO EVERYTHING, read as the exporter reads it: the
 * figures are INFO's own, computed only when scraped.
 */

export class MetricsListenError extends Error {
  constructor(
    readonly port: number,
    readonly code: string,
  ) {
    super(`Failed listening on port ${port} (metrics), aborting: ${code}`);
  }
}

type MetricType = 'gauge' | 'counter';

/** INFO field → exporter metric name (without the redis_ prefix) and type. */
const FIELD_METRICS: ReadonlyArray<readonly [field: string, name: string, type: MetricType]> = [
  ['uptime_in_seconds', 'uptime_in_seconds', 'gauge'],
  ['process_id', 'process_id', 'gauge'],
  ['connected_clients', 'connected_clients', 'gauge'],
  ['blocked_clients', 'blocked_clients', 'gauge'],
  ['tracking_clients', 'tracking_clients', 'gauge'],
  ['maxclients', 'max_clients', 'gauge'],
  ['used_memory', 'memory_used_bytes', 'gauge'],
  ['used_memory_rss', 'memory_used_rss_bytes', 'gauge'],
  ['used_memory_peak', 'memory_used_peak_bytes', 'gauge'],
  ['used_memory_lua', 'memory_used_lua_bytes', 'gauge'],
  ['used_memory_overhead', 'memory_used_overhead_bytes', 'gauge'],
  ['used_memory_startup', 'memory_used_startup_bytes', 'gauge'],
  ['used_memory_dataset', 'memory_used_dataset_bytes', 'gauge'],
  ['used_memory_scripts', 'memory_used_scripts_bytes', 'gauge'],
  ['maxmemory', 'memory_max_bytes', 'gauge'],
  ['mem_fragmentation_ratio', 'mem_fragmentation_ratio', 'gauge'],
  ['mem_fragmentation_bytes', 'mem_fragmentation_bytes', 'gauge'],
  ['mem_clients_normal', 'mem_clients_normal', 'gauge'],
  ['mem_aof_buffer', 'mem_aof_buffer', 'gauge'],
  ['number_of_cached_scripts', 'number_of_cached_scripts', 'gauge'],
  ['loading', 'loading_dump_file', 'gauge'],
  ['rdb_changes_since_last_save', 'rdb_changes_since_last_save', 'gauge'],
  ['rdb_bgsave_in_progress', 'rdb_bgsave_in_progress', 'gauge'],
  ['rdb_last_save_time', 'rdb_last_save_timestamp_seconds', 'gauge'],
  ['rdb_last_bgsave_time_sec', 'rdb_last_bgsave_duration_sec', 'gauge'],
  ['rdb_current_bgsave_time_sec', 'rdb_current_bgsave_duration_sec', 'gauge'],
  ['rdb_saves', 'rdb_saves_total', 'counter'],
  ['aof_enabled', 'aof_enabled', 'gauge'],
  ['aof_rewrite_in_progress', 'aof_rewrite_in_progress', 'gauge'],
  ['aof_rewrite_scheduled', 'aof_rewrite_scheduled', 'gauge'],
  ['aof_last_rewrite_time_sec', 'aof_last_rewrite_duration_sec', 'gauge'],
  ['aof_current_rewrite_time_sec', 'aof_current_rewrite_duration_sec', 'gauge'],
  ['aof_rewrites', 'aof_rewrites', 'counter'],
  ['aof_current_size', 'aof_current_size_bytes', 'gauge'],
  ['aof_base_size', 'aof_base_size_bytes', 'gauge'],
  ['aof_pending_rewrite', 'aof_pending_rewrite', 'gauge'],
  ['aof_buffer_length', 'aof_buffer_length', 'gauge'],
  ['aof_delayed_fsync', 'aof_delayed_fsync', 'gauge'],
  ['total_connections_received', 'connections_received_total', 'counter'],
  ['total_commands_processed', 'commands_processed_total', 'counter'],
  ['instantaneous_ops_per_sec', 'instantaneous_ops_per_sec', 'gauge'],
  ['total_net_input_bytes', 'net_input_bytes_total', 'counter'],
  ['total_net_output_bytes', 'net_output_bytes_total', 'counter'],
  ['instantaneous_input_kbps', 'instantaneous_input_kbps', 'gauge'],
  ['instantaneous_output_kbps', 'instantaneous_output_kbps', 'gauge'],
  ['rejected_connections', 'rejected_connections_total', 'counter'],
  ['expired_keys', 'expired_keys_total', 'counter'],
  ['expired_stale_perc', 'expired_stale_percentage', 'gauge'],
  ['expired_time_cap_reached_count', 'expired_time_cap_reached_total', 'counter'],
  ['evicted_keys', 'evicted_keys_total', 'counter'],
  ['evicted_clients', 'evicted_clients_total', 'counter'],
  ['keyspace_hits', 'keyspace_hits_total', 'counter'],
  ['keyspace_misses', 'keyspace_misses_total', 'counter'],
  ['pubsub_channels', 'pubsub_channels', 'gauge'],
  ['pubsub_patterns', 'pubsub_patterns', 'gauge'],
  ['pubsubshard_channels', 'pubsubshard_channels', 'gauge'],
  ['tracking_total_keys', 'tracking_total_keys', 'gauge'],
  ['tracking_total_items', 'tracking_total_items', 'gauge'],
  ['tracking_total_prefixes', 'tracking_total_prefixes', 'gauge'],
  ['unexpected_error_replies', 'unexpected_error_replies', 'counter'],
  ['total_error_replies', 'total_error_replies', 'counter'],
  ['total_reads_processed', 'total_reads_processed', 'counter'],
  ['total_writes_processed', 'total_writes_processed', 'counter'],
  ['lazyfree_pending_objects', 'lazyfree_pending_objects', 'gauge'],
  ['lazyfreed_objects', 'lazyfreed_objects', 'gauge'],
  ['connected_slaves', 'connected_slaves', 'gauge'],
  ['master_repl_offset', 'master_repl_offset', 'gauge'],
  ['repl_backlog_size', 'replication_backlog_bytes', 'gauge'],
  ['used_cpu_sys', 'cpu_sys_seconds_total', 'counter'],
  ['used_cpu_user', 'cpu_user_seconds_total', 'counter'],
  ['used_cpu_sys_children', 'cpu_sys_children_seconds_total', 'counter'],
  ['used_cpu_user_children', 'cpu_user_children_seconds_total', 'counter'],
  ['used_cpu_sys_main_thread', 'cpu_sys_main_thread_seconds_total', 'counter'],
  ['used_cpu_user_main_thread', 'cpu_user_main_thread_seconds_total', 'counter'],
  ['cluster_enabled', 'cluster_enabled', 'gauge'],
];

/** The labels of redis_instance_info, as the exporter takes them from INFO. */
const INSTANCE_INFO_FIELDS = ['role', 'redis_version', 'redis_build_id', 'redis_mode', 'os', 'maxmemory_policy', 'tcp_port', 'run_id', 'process_id', 'master_replid'];

/** One family of samples: its # HELP and # TYPE lines, then every sample. */
class Exposition {
  private text = '';

  family(name: string, type: MetricType, help: string, samples: ReadonlyArray<readonly [labels: string, value: string]>): void {
    if (samples.length === 0) return;
    this.text += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
    for (const [labels, value] of samples) this.text += `${name}${labels} ${value}\n`;
  }

  toString(): string {
    return this.text;
  }
}

/** Prometheus label value escaping: backslash, double quote and newline. */
function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: ReadonlyArray<readonly [string, string]>): string {
  return `{${pairs.map(([k, v]) => `${k}="${labelValue(v)}"`).join(',')}}`;
}

/** INFO's "a=1,b=2" values (commandstats, keyspace) as a map. */
function subfields(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return out;
}

/** A number as Prometheus reads it; INFO's "12.5%"-like figures lose their unit. */
function numeric(value: string): string | null {
  const n = Number(value.endsWith('%') ? value.slice(0, -1) : value);
  return Number.isFinite(n) ? String(n) : null;
}

/** The exposition text of one scrape. */
export function metricsText(server: ServerContext): string {
  const fields = new Map<string, string>();
  const commands: Array<[name: string, stats: Map<string, string>]> = [];
  const dbs: Array<[db: string, stats: Map<string, string>]> = [];
  const errors: Array<[prefix: string, count: string]> = [];
  for (const line of infoText(server, ['everything']).split('\r\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (field.startsWith('cmdstat_')) commands.push([field.slice('cmdstat_'.length), subfields(value)]);
    else if (field.startsWith('errorstat_')) errors.push([field.slice('errorstat_'.length), subfields(value).get('count') ?? '0']);
    else if (/^db\d+$/.test(field) && value.startsWith('keys=')) dbs.push([field, subfields(value)]);
    else fields.set(field, value);
  }

  const out = new Exposition();
  out.family('redis_up', 'gauge', 'Information about the Redis instance', [['', '1']]);
  out.family('redis_instance_info', 'gauge', 'Information about the Redis instance', [
    [labels(INSTANCE_INFO_FIELDS.filter((f) => fields.has(f)).map((f) => [f, fields.get(f) as string])), '1'],
  ]);
  for (const [field, name, type] of FIELD_METRICS) {
    const raw = fields.get(field);
    const value = raw === undefined ? null : numeric(raw);
    if (value !== null) out.family(`redis_${name}`, type, `${name} metric`, [['', value]]);
  }
  for (const [field, name] of [['rdb_last_bgsave_status', 'rdb_last_bgsave_status'], ['aof_last_bgrewrite_status', 'aof_last_bgrewrite_status'], ['aof_last_write_status', 'aof_last_write_status']] as const) {
    const raw = fields.get(field);
    if (raw !== undefined) out.family(`redis_${name}`, 'gauge', `${name} metric`, [['', raw === 'ok' ? '1' : '0']]);
  }

  const cmd = (name: string): string => labels([['cmd', name]]);
  out.family('redis_commands_total', 'counter', 'Total number of calls per command', commands.map(([name, st]) => [cmd(name), st.get('calls') ?? '0']));
  out.family('redis_commands_duration_seconds_total', 'counter', 'Total amount of time in seconds spent per command',
    commands.map(([name, st]) => [cmd(name), String(Number(st.get('usec') ?? '0') / 1e6)]));
  out.family('redis_commands_rejected_calls_total', 'counter', 'Total number of errors prior command execution per command',
    commands.map(([name, st]) => [cmd(name), st.get('rejected_calls') ?? '0']));
  out.family('redis_commands_failed_calls_total', 'counter', 'Total number of errors within command execution per command',
    commands.map(([name, st]) => [cmd(name), st.get('failed_calls') ?? '0']));
  out.family('redis_errors_total', 'counter', 'Total number of errors per error type', errors.map(([prefix, count]) => [labels([['err', prefix]]), count]));

  const db = (name: string): string => labels([['db', name]]);
  out.family('redis_db_keys', 'gauge', 'Total number of keys by DB', dbs.map(([name, st]) => [db(name), st.get('keys') ?? '0']));
  out.family('redis_db_keys_expiring', 'gauge', 'Total number of expiring keys by DB', dbs.map(([name, st]) => [db(name), st.get('expires') ?? '0']));
  out.family('redis_db_avg_ttl_seconds', 'gauge', 'Avg TTL in seconds', dbs.map(([name, st]) => [db(name), String(Number(st.get('avg_ttl') ?? '0') / 1000)]));
  return out.toString();
}

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** An HTTP listener of the metrics endpoint at host:port. */
export function listenMetrics(host: string, port: number, server: ServerContext): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const httpServer = http.createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/metrics') {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method Not Allowed\n');
        return;
      }
      const body = metricsText(server);
      res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    httpServer.once('error', reject);
    httpServer.listen({ host, port, ipv6Only: host.includes(':') }, () => {
      httpServer.off('error', reject);
      const addr = httpServer.address();
      resolve({ server: httpServer, host, port: typeof addr === 'object' && addr !== null ? addr.port : port });
    });
  });
}

/** Stops a metrics listener; a scraper's kept-alive connection does not hold the shutdown. */
export function closeMetricsListener(listener: Listener): Promise<void> {
  return new Promise((resolve) => {
    listener.server.close(() => resolve());
    if (listener.server instanceof http.Server) listener.server.closeAllConnections();
  });
}
