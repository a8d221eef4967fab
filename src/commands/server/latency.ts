import { RedisError } from '../../errors.js';
import type { CommandCode, CommandContext, ResolvedCommand } from '../core/context.js';
import type { LatencyHistogram } from '../../server/latency-histogram.js';
import type { LatencySample } from '../../server/latency.js';
import { helpSubcommand } from '../core/help.js';

const LATENCY_HELP = [
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'GRAPH <event>',
  '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
];

const DISABLED_REPORT =
  'I\'m sorry, Dave, I can\'t do that. Latency monitoring is disabled in this Redis instance. You may use ' +
  '"CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren\'t in a deep space ' +
  'mission I\'d suggest to take a look at https://redis.io/topics/latency-monitor.\n';

const NO_SPIKES_REPORT =
  'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. ' +
  'I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';

function latest(ctx: CommandContext): void {
  const events = ctx.server.latency.events;
  ctx.reply.arrayHeader(events.size);
  for (const [name, series] of events) {
    const last = series.samples[series.samples.length - 1] as LatencySample;
    ctx.reply.arrayHeader(4);
    ctx.reply.bulk(name);
    ctx.reply.integer(last.time);
    ctx.reply.integer(last.latency);
    ctx.reply.integer(series.max);
  }
}

function history(ctx: CommandContext, argv: string[]): void {
  const series = ctx.server.latency.events.get(argv[2] as string);
  if (series === undefined) {
    ctx.reply.emptyArray();
    return;
  }
  ctx.reply.arrayHeader(series.samples.length);
  for (const s of series.samples) {
    ctx.reply.arrayHeader(2);
    ctx.reply.integer(s.time);
    ctx.reply.integer(s.latency);
  }
}

/** A shorter report than Redis's (no advice section): each event with its spike statistics. */
function doctor(ctx: CommandContext): void {
  const monitor = ctx.server.latency;
  if (monitor.events.size === 0 && monitor.thresholdMs === 0) {
    ctx.reply.verbatim(DISABLED_REPORT);
    return;
  }
  if (monitor.events.size === 0) {
    ctx.reply.verbatim(NO_SPIKES_REPORT);
    return;
  }
  let report = 'Dave, I have observed latency spikes in this Redis instance. You don\'t mind talking about it, do you Dave?\n\n';
  let n = 0;
  for (const [name, series] of monitor.events) {
    const samples = series.samples;
    let sum = 0;
    for (const s of samples) sum += s.latency;
    const avg = Math.floor(sum / samples.length);
    let dev = 0;
    for (const s of samples) dev += Math.abs(s.latency - avg);
    const mad = Math.floor(dev / samples.length);
    const period = Math.max(1, Math.floor(Date.now() / 1000) - (samples[0] as LatencySample).time) / samples.length;
    report +=
      `${++n}. ${name}: ${samples.length} latency spikes (average ${avg}ms, mean deviation ${mad}ms, ` +
      `period ${period.toFixed(2)} sec). Worst all time event ${series.max}ms.\n\n`;
  }
  ctx.reply.verbatim(report);
}

function graph(ctx: CommandContext, argv: string[]): void {
  const event = argv[2] as string;
  const series = ctx.server.latency.events.get(event);
  if (series === undefined) throw new RedisError(`ERR No samples available for event '${event}'`);
  let min = Infinity;
  for (const s of series.samples) if (s.latency < min) min = s.latency;
  const now = Math.floor(Date.now() / 1000);
  let text = `${event} - high ${series.max} ms, low ${min} ms (all time high ${series.max} ms)\n`;
  text += '-'.repeat(80) + '\n';
  for (const s of series.samples) text += `${now - s.time}s ago: ${s.latency} ms\n`;
  ctx.reply.verbatim(text);
}

/** One command's entry: its name, then a map of its calls and cumulative µs buckets. */
function replyCommandHistogram(ctx: CommandContext, name: string, histogram: LatencyHistogram): void {
  const reply = ctx.reply;
  reply.bulk(name);
  reply.mapHeader(2);
  reply.bulk('calls');
  reply.integer(histogram.total);
  reply.bulk('histogram_usec');
  const buckets = histogram.cumulativeBuckets();
  reply.mapHeader(buckets.length);
  for (const [micros, count] of buckets) {
    reply.integer(micros);
    reply.integer(count);
  }
}

/**
 * LATENCY HISTOGRAM [command ...]: every command that ran since the last CONFIG RESETSTAT, or
 * the named ones ('config|set'; a container names all its subcommands that ran). Unknown names
 * are skipped and a name given twice is answered twice, as in Redis.
 */
function histogram(ctx: CommandContext, argv: string[]): void {
  const table = ctx.server.commands;
  const entries: [string, LatencyHistogram][] = [];
  const add = (resolved: ResolvedCommand): void => {
    if (resolved.stat.histogram !== null) entries.push([resolved.fullName, resolved.stat.histogram]);
  };
  if (argv.length === 2) {
    for (const resolved of table.all()) {
      add(resolved);
      if (resolved.subcommands !== null) for (const sub of resolved.subcommands.values()) add(sub);
    }
  } else {
    for (let i = 2; i < argv.length; i++) {
      const resolved = table.findByFullName(argv[i] as string);
      if (resolved === undefined) continue;
      add(resolved);
      if (resolved.subcommands !== null) for (const sub of resolved.subcommands.values()) add(sub);
    }
  }
  ctx.reply.mapHeader(entries.length);
  for (const [name, h] of entries) replyCommandHistogram(ctx, name, h);
}

export const commands: CommandCode[] = [
  {
    name: 'latency',
    subcommands: [
      { name: 'latest', handler: latest },
      { name: 'history', handler: history },
      { name: 'graph', handler: graph },
      { name: 'histogram', handler: histogram },
      { name: 'reset', handler: (ctx, argv) => ctx.reply.integer(ctx.server.latency.reset(argv.slice(2))) },
      { name: 'doctor', handler: doctor },
      helpSubcommand(LATENCY_HELP),
    ],
  },
];
