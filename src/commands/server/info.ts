import os from 'node:os';
import v8 from 'node:v8';
import { randomBytes } from 'node:crypto';
import { NODIS_VERSION } from '../../version.js';
import type { CommandCode, CommandContext, ServerContext } from '../core/context.js';
import { aofWriter } from '../../persistence/index.js';
import type { Database } from '../../keyspace/database.js';
import { functionsOf } from '../../scripting/functions.js';
import { scriptingOf } from '../../scripting/scripting.js';
import { replicaInfoLines } from './replicas.js';

/** What INFO needs to remember between calls, per server. */
interface InfoState {
  peakMemory: number;
  /** Replication ID: random like Redis's, though there is no replication. */
  replId: string;
  /** Last sample for the instantaneous_* rates. */
  sampleTime: number;
  sampleCommands: number;
  sampleInput: number;
  sampleOutput: number;
  opsPerSec: number;
  inputKbps: number;
  outputKbps: number;
}

const states = new WeakMap<ServerContext, InfoState>();

/** INFO's master_replid: what a full resynchronization (PSYNC) answers. */
export function replicationId(server: ServerContext): string {
  return stateOf(server).replId;
}

function stateOf(server: ServerContext): InfoState {
  let state = states.get(server);
  if (state === undefined) {
    state = {
      peakMemory: 0, replId: randomBytes(20).toString('hex'),
      sampleTime: server.stats.startTime, sampleCommands: 0, sampleInput: 0, sampleOutput: 0,
      opsPerSec: 0, inputKbps: 0, outputKbps: 0,
    };
    states.set(server, state);
  }
  return state;
}


/**
 * Tracks the peak as Redis does on each sample; returns the current usage (server/memory.ts's
 * MemoryMeter), the figure maxmemory is checked against.
 */
export function sampleMemory(server: ServerContext): number {
  const used = Math.round(server.meter.used);
  const state = stateOf(server);
  if (used > state.peakMemory) state.peakMemory = used;
  return used;
}

export function peakMemory(server: ServerContext): number {
  return stateOf(server).peakMemory;
}

/** What Redis's getMemoryOverheadData counts apart from the dataset, the figures nodis has of it. */
export interface MemoryOverhead {
  startup: number;
  clientsNormal: number;
  aofBuffer: number;
  /** The databases that hold keys, with their dicts' own costs. */
  dbs: Array<{ db: Database; main: number; expires: number }>;
  /** All of the above: INFO used_memory_overhead, MEMORY STATS overhead.total. */
  total: number;
}

/**
 * INFO memory's and MEMORY STATS's overhead, for a used memory of `used`: what is not the keys'
 * names and values (server/memory.ts counts both), the databases' tables included.
 */
export function memoryOverhead(server: ServerContext, used: number): MemoryOverhead {
  const startup = server.meter.startup;
  const clientsNormal = server.meter.clients;
  const aofBuffer = server.memoryNotCountedForEviction();
  let total = Math.round(used - server.meter.dataset);
  const dbs: MemoryOverhead['dbs'] = [];
  for (const db of server.databases) {
    if (db.size === 0) continue;
    const main = db.mainTableBytes();
    const expires = db.expiresTableBytes();
    dbs.push({ db, main, expires });
    total += main + expires;
  }
  return { startup, clientsNormal, aofBuffer, dbs, total };
}

/** Redis's bytesToHuman. */
export function bytesToHuman(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(2)}K`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(2)}M`;
  if (n < 1024 ** 4) return `${(n / 1024 ** 3).toFixed(2)}G`;
  if (n < 1024 ** 5) return `${(n / 1024 ** 4).toFixed(2)}T`;
  if (n < 1024 ** 6) return `${(n / 1024 ** 5).toFixed(2)}P`;
  return `${n}B`;
}

/** The instantaneous_* rates: computed between INFO calls at least 100 ms apart (Redis samples each 100 ms). */
function sampleRates(server: ServerContext, state: InfoState): void {
  const now = Date.now();
  const elapsed = now - state.sampleTime;
  if (elapsed < 100) return;
  const stats = server.stats;
  state.opsPerSec = Math.round(((stats.totalCommandsProcessed - state.sampleCommands) * 1000) / elapsed);
  state.inputKbps = (stats.netInputBytes - state.sampleInput) / 1024 / (elapsed / 1000);
  state.outputKbps = (stats.netOutputBytes - state.sampleOutput) / 1024 / (elapsed / 1000);
  state.sampleTime = now;
  state.sampleCommands = stats.totalCommandsProcessed;
  state.sampleInput = stats.netInputBytes;
  state.sampleOutput = stats.netOutputBytes;
}

type Lines = string[];

function serverSection(server: ServerContext, out: Lines): void {
  const now = Date.now();
  const uptime = Math.floor((now - server.stats.startTime) / 1000);
  const hz = server.config.getNumber('hz');
  out.push(
    `redis_version:${NODIS_VERSION}`,
    'redis_git_sha1:00000000',
    'redis_git_dirty:0',
    'redis_build_id:0',
    'redis_mode:standalone',
    `os:${os.type()} ${os.release()} ${os.machine()}`,
    `arch_bits:${process.arch.includes('64') ? 64 : 32}`,
    'monotonic_clock:POSIX clock_gettime',
    'multiplexing_api:epoll',
    'atomicvar_api:c11-builtin',
    'gcc_version:0.0.0',
    `process_id:${process.pid}`,
    'process_supervised:no',
    `run_id:${server.runId}`,
    `tcp_port:${server.port}`,
    `server_time_usec:${Math.floor((performance.timeOrigin + performance.now()) * 1000)}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86400)}`,
    `hz:${hz}`,
    `configured_hz:${hz}`,
    `lru_clock:${Math.floor(now / 1000) & 0xffffff}`,
    `executable:${process.argv[1] || process.execPath}`,
    'config_file:',
    'io_threads_active:0',
  );
}

function clientsSection(server: ServerContext, out: Lines): void {
  const recent = server.clientsMemory.recentMaxBuffers();
  out.push(
    `connected_clients:${server.clients.size}`,
    'cluster_connections:0',
    `maxclients:${server.config.getNumber('maxclients')}`,
    `client_recent_max_input_buffer:${recent.input}`,
    `client_recent_max_output_buffer:${recent.output}`,
    `blocked_clients:${server.blockedClientCount()}`,
    `tracking_clients:${server.tracking.clients.size}`,
    'clients_in_timeout_table:0',
  );
}

function ratio(a: number, b: number): string {
  return b === 0 ? '0.00' : (a / b).toFixed(2);
}

function memorySection(server: ServerContext, out: Lines): void {
  const mem = process.memoryUsage();
  const heap = v8.getHeapStatistics();
  const used = sampleMemory(server);
  const peak = peakMemory(server);
  const { startup, clientsNormal, aofBuffer, total: overhead } = memoryOverhead(server, used);
  const dataset = Math.max(0, used - overhead);
  const maxmemory = server.config.getNumber('maxmemory');
  const allocated = heap.used_heap_size + mem.external;
  const active = heap.total_heap_size + mem.external;
  const resident = mem.rss;
  const total = os.totalmem();
  const scripts = scriptingOf(server).figures();
  const functions = functionsOf(server);
  // Functions keep no Lua VM of their own (each FCALL runs its library's code afresh): their VM figure is 0.
  const functionBytes = functions.memory();
  out.push(
    `used_memory:${used}`,
    `used_memory_human:${bytesToHuman(used)}`,
    `used_memory_rss:${mem.rss}`,
    `used_memory_rss_human:${bytesToHuman(mem.rss)}`,
    `used_memory_peak:${peak}`,
    `used_memory_peak_human:${bytesToHuman(peak)}`,
    `used_memory_peak_perc:${((used * 100) / peak).toFixed(2)}%`,
    `used_memory_overhead:${overhead}`,
    `used_memory_startup:${startup}`,
    `used_memory_dataset:${dataset}`,
    `used_memory_dataset_perc:${used === startup ? '0.00' : ((dataset * 100) / (used - startup)).toFixed(2)}%`,
    `allocator_allocated:${allocated}`,
    `allocator_active:${active}`,
    `allocator_resident:${resident}`,
    `total_system_memory:${total}`,
    `total_system_memory_human:${bytesToHuman(total)}`,
    `used_memory_lua:${scripts.vmBytes}`,
    `used_memory_vm_eval:${scripts.vmBytes}`,
    `used_memory_lua_human:${bytesToHuman(scripts.vmBytes)}`,
    `used_memory_scripts_eval:${scripts.cacheBytes}`,
    `number_of_cached_scripts:${scripts.scripts}`,
    `number_of_functions:${functions.functionCount}`,
    `number_of_libraries:${functions.libraries.size}`,
    'used_memory_vm_functions:0',
    `used_memory_vm_total:${scripts.vmBytes}`,
    `used_memory_vm_total_human:${bytesToHuman(scripts.vmBytes)}`,
    `used_memory_functions:${functionBytes}`,
    `used_memory_scripts:${scripts.cacheBytes + functionBytes}`,
    `used_memory_scripts_human:${bytesToHuman(scripts.cacheBytes + functionBytes)}`,
    `maxmemory:${maxmemory}`,
    `maxmemory_human:${bytesToHuman(maxmemory)}`,
    `maxmemory_policy:${server.config.getString('maxmemory-policy')}`,
    `allocator_frag_ratio:${ratio(active, allocated)}`,
    `allocator_frag_bytes:${active - allocated}`,
    `allocator_rss_ratio:${ratio(resident, active)}`,
    `allocator_rss_bytes:${resident - active}`,
    `rss_overhead_ratio:${ratio(mem.rss, resident)}`,
    `rss_overhead_bytes:${mem.rss - resident}`,
    `mem_fragmentation_ratio:${ratio(mem.rss, used)}`,
    `mem_fragmentation_bytes:${mem.rss - used}`,
    `mem_not_counted_for_evict:${server.memoryNotCountedForEviction()}`,
    'mem_replication_backlog:0',
    'mem_total_replication_buffers:0',
    'mem_clients_slaves:0',
    `mem_clients_normal:${clientsNormal}`,
    'mem_cluster_links:0',
    `mem_aof_buffer:${aofBuffer}`,
    `mem_allocator:v8-${process.versions.v8}`,
    'active_defrag_running:0',
    // Nothing waits for a background free: what UNLINK or FLUSHALL ASYNC drop is out of the
    // keyspace and of used_memory when they answer, and V8 collects it on its own threads.
    // (Counting values V8 has not collected yet would keep this above zero for as long as V8
    // waits, which on a quiet server can be minutes: clients that wait for 0, as Redis's tests
    // do, would wait that long.)
    'lazyfree_pending_objects:0',
    `lazyfreed_objects:${server.stats.lazyfreedObjects}`,
  );
}

function persistenceSection(server: ServerContext, out: Lines): void {
  const aof = aofWriter()?.status(server) ?? null;
  out.push(
    `loading:${server.loading ? 1 : 0}`,
    'async_loading:0',
    'current_cow_peak:0',
    'current_cow_size:0',
    'current_cow_size_age:0',
    'current_fork_perc:0.00',
    'current_save_keys_processed:0',
    'current_save_keys_total:0',
    `rdb_changes_since_last_save:${server.dirty}`,
    `rdb_bgsave_in_progress:${server.saveStatus.bgsaveStartedAt !== 0 ? 1 : 0}`,
    `rdb_last_save_time:${server.lastSave}`,
    // 'err' once a save point came due (or BGSAVE ran) and no snapshot could be written.
    `rdb_last_bgsave_status:${server.saveStatus.lastBgsaveOk ? 'ok' : 'err'}`,
    `rdb_last_bgsave_time_sec:${server.saveStatus.lastBgsaveTimeSec}`,
    `rdb_current_bgsave_time_sec:${server.saveStatus.bgsaveStartedAt !== 0 ? Math.round((Date.now() - server.saveStatus.bgsaveStartedAt) / 1000) : -1}`,
    `rdb_saves:${server.saveStatus.saves}`,
    'rdb_last_cow_size:0',
    `rdb_last_load_keys_expired:${server.saveStatus.lastLoadKeysExpired}`,
    `rdb_last_load_keys_loaded:${server.saveStatus.lastLoadKeysLoaded}`,
    `aof_enabled:${aof?.on === true ? 1 : 0}`,
    `aof_rewrite_in_progress:${aof?.rewriteInProgress === true ? 1 : 0}`,
    `aof_rewrite_scheduled:${aof?.rewriteScheduled === true ? 1 : 0}`,
    `aof_last_rewrite_time_sec:${aof?.lastRewriteTimeSec ?? -1}`,
    `aof_current_rewrite_time_sec:${aof?.currentRewriteTimeSec ?? -1}`,
    `aof_last_bgrewrite_status:${aof?.lastBgrewriteOk === false ? 'err' : 'ok'}`,
    `aof_rewrites:${aof?.rewrites ?? 0}`,
    `aof_rewrites_consecutive_failures:${aof?.rewritesConsecutiveFailures ?? 0}`,
    `aof_last_write_status:${aof?.lastWriteOk === false ? 'err' : 'ok'}`,
    'aof_last_cow_size:0',
    'module_fork_in_progress:0',
    'module_fork_last_cow_size:0',
  );
  // Redis adds these when appendonly is set (server.aof_enabled), whatever the AOF's state.
  if (server.config.getBool('appendonly')) {
    out.push(
      `aof_current_size:${aof?.currentSize ?? 0}`,
      `aof_base_size:${aof?.baseSize ?? 0}`,
      `aof_pending_rewrite:${aof?.rewriteScheduled === true ? 1 : 0}`,
      `aof_buffer_length:${aof?.bufferLength ?? 0}`,
      `aof_pending_bio_fsync:${aof?.pendingFsync ?? 0}`,
      `aof_delayed_fsync:${aof?.delayedFsync ?? 0}`,
    );
  }
  const loading = server.loadingProgress;
  if (loading !== null) {
    // Redis's figures: progress over the file's size (or, without one, the RDB's used-mem), the
    // time left estimated from the pace so far (1 in the first second).
    let perc = 0;
    let remaining = 1;
    if (loading.totalBytes !== 0) {
      perc = (loading.loadedBytes / loading.totalBytes) * 100;
      remaining = loading.totalBytes - loading.loadedBytes;
    } else if (loading.rdbUsedMem !== 0) {
      // used-mem is a poor guess of the size: never 100% before the end.
      perc = Math.min(99.99, (loading.loadedBytes / loading.rdbUsedMem) * 100);
      remaining = Math.max(1, loading.rdbUsedMem - loading.loadedBytes);
    }
    const elapsed = Math.floor(Date.now() / 1000) - loading.startTime;
    const eta = elapsed === 0 ? 1 : Math.floor((elapsed * remaining) / (loading.loadedBytes + 1));
    out.push(
      `loading_start_time:${loading.startTime}`,
      `loading_total_bytes:${loading.totalBytes}`,
      `loading_rdb_used_mem:${loading.rdbUsedMem}`,
      `loading_loaded_bytes:${loading.loadedBytes}`,
      `loading_loaded_perc:${perc.toFixed(2)}`,
      `loading_eta_seconds:${eta}`,
    );
  }
}

function statsSection(server: ServerContext, out: Lines): void {
  const s = server.stats;
  const state = stateOf(server);
  sampleRates(server, state);
  const currentExceededUs = s.evictionExceededSince === 0 ? 0 : Math.round((performance.now() - s.evictionExceededSince) * 1000);
  out.push(
    `total_connections_received:${s.totalConnectionsReceived}`,
    `total_commands_processed:${s.totalCommandsProcessed}`,
    `instantaneous_ops_per_sec:${state.opsPerSec}`,
    `total_net_input_bytes:${s.netInputBytes}`,
    `total_net_output_bytes:${s.netOutputBytes}`,
    'total_net_repl_input_bytes:0',
    'total_net_repl_output_bytes:0',
    `instantaneous_input_kbps:${state.inputKbps.toFixed(2)}`,
    `instantaneous_output_kbps:${state.outputKbps.toFixed(2)}`,
    'instantaneous_input_repl_kbps:0.00',
    'instantaneous_output_repl_kbps:0.00',
    `rejected_connections:${s.rejectedConnections}`,
    'sync_full:0',
    'sync_partial_ok:0',
    'sync_partial_err:0',
    `expired_keys:${s.expiredKeys}`,
    `expired_stale_perc:${(s.expiredStalePerc * 100).toFixed(2)}`,
    `expired_time_cap_reached_count:${s.expiredTimeCapReached}`,
    'expire_cycle_cpu_milliseconds:0',
    `evicted_keys:${s.evictedKeys}`,
    `evicted_clients:${s.evictedClients}`,
    `total_eviction_exceeded_time:${Math.floor((s.evictionExceededUs + currentExceededUs) / 1000)}`,
    `current_eviction_exceeded_time:${Math.floor(currentExceededUs / 1000)}`,
    `keyspace_hits:${s.hits}`,
    `keyspace_misses:${s.misses}`,
    `pubsub_channels:${server.pubsub.channels.size}`,
    `pubsub_patterns:${server.pubsub.patterns.size}`,
    `pubsubshard_channels:${server.pubsub.shardChannels.size}`,
    'latest_fork_usec:0',
    'total_forks:0',
    'migrate_cached_sockets:0',
    'slave_expires_tracked_keys:0',
    'active_defrag_hits:0',
    'active_defrag_misses:0',
    'active_defrag_key_hits:0',
    'active_defrag_key_misses:0',
    'total_active_defrag_time:0',
    'current_active_defrag_time:0',
    `tracking_total_keys:${server.tracking.table.size}`,
    `tracking_total_items:${server.tracking.totalItems}`,
    `tracking_total_prefixes:${server.tracking.prefixes.size}`,
    `unexpected_error_replies:${s.unexpectedErrorReplies}`,
    `total_error_replies:${s.totalErrorReplies}`,
    'dump_payload_sanitizations:0',
    // Each batch of input is one read and one write here.
    `total_reads_processed:${s.totalCommandsProcessed}`,
    `total_writes_processed:${s.totalCommandsProcessed}`,
    'io_threaded_reads_processed:0',
    'io_threaded_writes_processed:0',
    'reply_buffer_shrinks:0',
    'reply_buffer_expands:0',
  );
}

function replicationSection(server: ServerContext, out: Lines): void {
  out.push(
    'role:master',
    ...replicaInfoLines(server),
    'master_failover_state:no-failover',
    `master_replid:${stateOf(server).replId}`,
    'master_replid2:0000000000000000000000000000000000000000',
    'master_repl_offset:0',
    'second_repl_offset:-1',
    'repl_backlog_active:0',
    'repl_backlog_size:1048576',
    'repl_backlog_first_byte_offset:0',
    'repl_backlog_histlen:0',
  );
}

function cpuSection(_server: ServerContext, out: Lines): void {
  const cpu = process.cpuUsage();
  const sys = (cpu.system / 1e6).toFixed(6);
  const user = (cpu.user / 1e6).toFixed(6);
  out.push(
    `used_cpu_sys:${sys}`,
    `used_cpu_user:${user}`,
    'used_cpu_sys_children:0.000000',
    'used_cpu_user_children:0.000000',
    `used_cpu_sys_main_thread:${sys}`,
    `used_cpu_user_main_thread:${user}`,
  );
}

function commandstatsSection(server: ServerContext, out: Lines): void {
  for (const [name, st] of server.commands.stats) {
    if (st.calls === 0 && st.failedCalls === 0 && st.rejectedCalls === 0) continue;
    const usec = Math.floor(st.usec);
    const perCall = st.calls === 0 ? 0 : usec / st.calls;
    out.push(
      `cmdstat_${name}:calls=${st.calls},usec=${usec},usec_per_call=${perCall.toFixed(2)},` +
        `rejected_calls=${st.rejectedCalls},failed_calls=${st.failedCalls}`,
    );
  }
}

/** Redis's fillPercentileDistributionLatencies: the configured percentiles of each command's histogram, in µs. */
function latencystatsSection(server: ServerContext, out: Lines): void {
  const monitor = server.latency;
  if (!monitor.trackingEnabled) return;
  for (const [name, st] of server.commands.stats) {
    const histogram = st.histogram;
    if (histogram === null) continue;
    let line = `latency_percentiles_usec_${name}:`;
    monitor.percentiles.forEach((p, i) => {
      if (i !== 0) line += ',';
      line += `p${p.label}=${(histogram.valueAtPercentile(p.value) / 1000).toFixed(3)}`;
    });
    out.push(line);
  }
}

function errorstatsSection(server: ServerContext, out: Lines): void {
  // Redis keeps them in a radix tree: listed in byte order of the prefix, not in order of first use.
  const entries = [...server.stats.errorStats].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [prefix, count] of entries) out.push(`errorstat_${prefix}:count=${count}`);
}

function keyspaceSection(server: ServerContext, out: Lines): void {
  for (const db of server.databases) {
    if (db.size === 0) continue;
    out.push(`db${db.id}:keys=${db.size},expires=${db.expires.size},avg_ttl=${Math.floor(db.avgTtl)}`);
  }
}

interface Section {
  name: string;
  title: string;
  inDefault: boolean;
  fill: (server: ServerContext, out: Lines) => void;
}

/** In Redis 7.0's order. Latency percentiles per command are not tracked: that section is empty. */
const SECTIONS: Section[] = [
  { name: 'server', title: 'Server', inDefault: true, fill: serverSection },
  { name: 'clients', title: 'Clients', inDefault: true, fill: clientsSection },
  { name: 'memory', title: 'Memory', inDefault: true, fill: memorySection },
  { name: 'persistence', title: 'Persistence', inDefault: true, fill: persistenceSection },
  { name: 'stats', title: 'Stats', inDefault: true, fill: statsSection },
  { name: 'replication', title: 'Replication', inDefault: true, fill: replicationSection },
  { name: 'cpu', title: 'CPU', inDefault: true, fill: cpuSection },
  { name: 'modules', title: 'Modules', inDefault: true, fill: () => {} },
  { name: 'commandstats', title: 'Commandstats', inDefault: false, fill: commandstatsSection },
  { name: 'errorstats', title: 'Errorstats', inDefault: true, fill: errorstatsSection },
  { name: 'latencystats', title: 'Latencystats', inDefault: false, fill: latencystatsSection },
  { name: 'cluster', title: 'Cluster', inDefault: true, fill: (_s, out) => out.push('cluster_enabled:0') },
  { name: 'keyspace', title: 'Keyspace', inDefault: true, fill: keyspaceSection },
];

/** The text of INFO for the given section arguments (none = default), with Redis's \r\n line ends. */
export function infoText(server: ServerContext, args: readonly string[]): string {
  const wanted = new Set<string>();
  if (args.length === 0) wanted.add('default');
  for (const arg of args) wanted.add(arg.toLowerCase());
  const all = wanted.has('all') || wanted.has('everything');
  const defaults = all || wanted.has('default');
  let text = '';
  let sections = 0;
  for (const section of SECTIONS) {
    if (!wanted.has(section.name) && !all && !(defaults && section.inDefault)) continue;
    const lines: Lines = [];
    section.fill(server, lines);
    if (sections++ > 0) text += '\r\n';
    text += `# ${section.title}\r\n`;
    for (const line of lines) text += line + '\r\n';
  }
  return text;
}

function info(ctx: CommandContext, argv: string[]): void {
  ctx.reply.verbatim(infoText(ctx.server, argv.slice(1)));
}

export const commands: CommandCode[] = [
  { name: 'info', handler: info },
];
