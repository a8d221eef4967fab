import { describe, expect, it } from 'vitest';
import { Config } from '../../src/config/config.js';
import { bytesToHuman } from '../../src/commands/server/info.js';
import { LatencyMonitor } from '../../src/server/latency.js';
import { mallocSize } from '../../src/server/memory.js';
import { fullCollection } from '../../src/server/reclaim.js';
import { SlowLog, redactedArgv } from '../../src/server/slowlog.js';

describe('INFO helpers', () => {
  it('bytesToHuman formats as Redis does', () => {
    expect(bytesToHuman(0)).toBe('0B');
    expect(bytesToHuman(1023)).toBe('1023B');
    expect(bytesToHuman(1015256)).toBe('991.46K');
    expect(bytesToHuman(7094272)).toBe('6.77M');
    expect(bytesToHuman(25276063744)).toBe('23.54G');
  });

  it('mallocSize rounds to jemalloc size classes', () => {
    expect(mallocSize(1)).toBe(8);
    expect(mallocSize(21)).toBe(32);
    expect(mallocSize(129)).toBe(160);
    expect(mallocSize(1000)).toBe(1024);
  });
});

describe('SlowLog', () => {
  it('follows slowlog-log-slower-than, slowlog-max-len and latency-monitor-threshold', () => {
    const config = new Config();
    const log = new SlowLog(config);
    expect(log.gateUs).toBe(10000);
    config.set('slowlog-log-slower-than', '-1');
    expect(log.gateUs).toBe(Infinity);
    config.set('latency-monitor-threshold', '5');
    expect(log.gateUs).toBe(5000);
    log.push(['get', 'k'], 100000, '1.2.3.4:5', '');
    expect(log.entries.length).toBe(0);
    config.set('slowlog-log-slower-than', '0');
    config.set('slowlog-max-len', '2');
    for (let i = 0; i < 3; i++) log.push(['incr', String(i)], i, 'a:1', 'n');
    expect(log.entries.map((e) => e.argv[1])).toEqual(['2', '1']);
    expect(log.entries[0]?.id).toBe(2);
    config.set('slowlog-max-len', '1');
    expect(log.entries.length).toBe(1);
  });

  it('redacts passwords of AUTH and HELLO', () => {
    expect(redactedArgv('auth', ['AUTH', 'u', 'p'])).toEqual(['AUTH', '(redacted)', '(redacted)']);
    expect(redactedArgv('hello', ['HELLO', '3', 'AUTH', 'u', 'p', 'SETNAME', 'x'])).toEqual(['HELLO', '3', 'AUTH', '(redacted)', '(redacted)', 'SETNAME', 'x']);
    expect(redactedArgv('get', ['GET', 'k'])).toEqual(['GET', 'k']);
  });
});

describe('LatencyMonitor', () => {
  it('keeps one sample per second and the all-time max', () => {
    const config = new Config();
    const monitor = new LatencyMonitor(config);
    monitor.addSampleIfNeeded('command', 500);
    expect(monitor.events.size).toBe(0);
    config.set('latency-monitor-threshold', '10');
    monitor.addSampleIfNeeded('command', 5);
    monitor.addSampleIfNeeded('command', 20);
    monitor.addSampleIfNeeded('command', 30);
    const series = monitor.events.get('command');
    expect(series?.samples.length).toBe(1);
    expect(series?.max).toBe(30);
    expect(monitor.reset(['command', 'nope'])).toBe(1);
  });

  it('records V8\'s collection pauses as the event "gc" while the monitor is on', async () => {
    const config = new Config();
    const monitor = new LatencyMonitor(config);
    // Many live objects: a full collection has milliseconds of marking to do.
    const live = Array.from({ length: 1_000_000 }, (_, i) => ({ i }));
    const collect = fullCollection();
    expect(collect).not.toBeNull();
    const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));
    collect?.();
    await settle();
    expect(monitor.events.has('gc')).toBe(false);

    config.set('latency-monitor-threshold', '1');
    for (let attempt = 0; attempt < 20 && !monitor.events.has('gc'); attempt++) {
      collect?.();
      await settle();
    }
    expect(monitor.events.get('gc')?.max).toBeGreaterThanOrEqual(1);

    config.set('latency-monitor-threshold', '0');
    monitor.reset([]);
    collect?.();
    await settle();
    expect(monitor.events.has('gc')).toBe(false);
    expect(live.length).toBe(1_000_000);
  });
});
