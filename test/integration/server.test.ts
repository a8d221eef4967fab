import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Config } from '../../src/config/config.js';
import type { Database } from '../../src/keyspace/database.js';
import { fullCollection } from '../../src/server/reclaim.js';
import { RawClient } from '../helpers/raw-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** INFO text → section title → field → value. */
function parseInfo(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  for (const line of text.split('\r\n')) {
    if (line.startsWith('# ')) {
      current = new Map();
      sections.set(line.slice(2), current);
    } else if (line !== '' && current !== null) {
      const colon = line.indexOf(':');
      current.set(line.slice(0, colon), line.slice(colon + 1));
    }
  }
  return sections;
}

/** DEBUG is allowed when the configuration has no enable-debug-command, else it must be enabled. */
const debugOption: Record<string, string> = new Config().param('enable-debug-command') ? { 'enable-debug-command': 'yes' } : {};

describe('server commands', () => {
  let srv: TestServer;
  let redis: Redis;
  beforeAll(async () => {
    srv = await startTestServer(debugOption);
    redis = srv.client();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('ioredis connects (its ready check reads INFO loading:0)', async () => {
    const c = srv.client({ enableReadyCheck: true, lazyConnect: true });
    await c.connect();
    expect(c.status).toBe('ready');
    expect(await c.ping()).toBe('PONG');
  });

  it('INFO has Redis 7.0 sections and fields with real values', async () => {
    await redis.flushall();
    await redis.set('k', 'v');
    await redis.get('k');
    await redis.get('missing');
    await expect(redis.call('nosuchcmd')).rejects.toThrow();
    const info = parseInfo(await redis.info());
    expect([...info.keys()]).toEqual(['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication', 'CPU', 'Modules', 'Errorstats', 'Cluster', 'Keyspace']);
    const server = info.get('Server')!;
    expect(server.get('redis_version')).toBe('7.0.15');
    expect(server.get('tcp_port')).toBe(String(srv.port));
    expect(server.get('process_id')).toBe(String(process.pid));
    expect(Number(server.get('uptime_in_seconds'))).toBeGreaterThanOrEqual(0);
    expect(Number(info.get('Clients')!.get('connected_clients'))).toBeGreaterThanOrEqual(1);
    expect(info.get('Clients')!.get('blocked_clients')).toBe('0');
    expect(Number(info.get('Memory')!.get('used_memory'))).toBeGreaterThan(0);
    expect(info.get('Memory')!.get('used_memory_human')).toMatch(/^\d+\.\d\dM$/);
    expect(info.get('Persistence')!.get('loading')).toBe('0');
    expect(Number(info.get('Stats')!.get('keyspace_hits'))).toBeGreaterThanOrEqual(1);
    expect(Number(info.get('Stats')!.get('keyspace_misses'))).toBeGreaterThanOrEqual(1);
    expect(info.get('Replication')!.get('role')).toBe('master');
    expect(info.get('CPU')!.get('used_cpu_user')).toMatch(/^\d+\.\d{6}$/);
    expect(info.get('Errorstats')!.get('errorstat_ERR')).toMatch(/^count=\d+$/);
    expect(info.get('Cluster')!.get('cluster_enabled')).toBe('0');
    expect(info.get('Keyspace')!.get('db0')).toBe('keys=1,expires=0,avg_ttl=0');
  });

  it('INFO takes several sections, default, all and everything', async () => {
    const two = parseInfo(await redis.info('keyspace', 'SERVER'));
    expect([...two.keys()]).toEqual(['Server', 'Keyspace']);
    const all = parseInfo((await redis.call('INFO', 'all')) as string);
    expect(all.has('Commandstats')).toBe(true);
    expect(all.has('Latencystats')).toBe(true);
    const stats = all.get('Commandstats')!.get('cmdstat_set')!;
    expect(stats).toMatch(/^calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/);
    expect([...parseInfo((await redis.call('INFO', 'everything')) as string).keys()]).toEqual([...all.keys()]);
    expect(await redis.call('INFO', 'nosuchsection')).toBe('');
    const text = (await redis.call('INFO', 'server', 'clients')) as string;
    expect(text).toMatch(/^# Server\r\n(.+\r\n)+\r\n# Clients\r\n(.+\r\n)+$/);
  });

  it('INFO is a verbatim string in RESP3', async () => {
    const raw = await srv.raw();
    await raw.call('HELLO', '3');
    const body = 'txt:# Cluster\r\ncluster_enabled:0\r\n';
    expect(await raw.callRaw('INFO', 'cluster')).toBe(`=${body.length}\r\n${body}\r\n`);
  });

  it('DBSIZE, FLUSHDB, SWAPDB and the hooks they call', async () => {
    const server = srv.running.server;
    const flushed: Array<number | null> = [];
    const swapped: number[][] = [];
    server.flushed = (db: Database | null) => flushed.push(db === null ? null : db.id);
    const previousSwapped = server.swapped.bind(server);
    server.swapped = (a: Database, b: Database) => {
      swapped.push([a.id, b.id]);
      previousSwapped(a, b);
    };
    try {
      await redis.flushall();
      await redis.mset('a', '1', 'b', '2');
      expect(await redis.dbsize()).toBe(2);
      const dirty = server.dirty;
      expect(await redis.swapdb(0, 1)).toBe('OK');
      expect(server.dirty).toBe(dirty + 1);
      expect(await redis.dbsize()).toBe(0);
      await redis.select(1);
      expect(await redis.get('a')).toBe('1');
      expect(await redis.flushdb()).toBe('OK');
      expect(await redis.dbsize()).toBe(0);
      await redis.select(0);
      expect(flushed).toEqual([null, 1]);
      expect(swapped).toEqual([[0, 1]]);
      expect(await redis.swapdb(2, 2)).toBe('OK');
      expect(swapped).toEqual([[0, 1]]);
    } finally {
      delete (server as { flushed?: unknown }).flushed;
      delete (server as { swapped?: unknown }).swapped;
    }
  });

  it('FLUSHALL ASYNC empties a 200k-key database at once and counts the lazily freed keys', async () => {
    const server = srv.running.server;
    await redis.flushall();
    const db = server.databases[0] as Database;
    for (let i = 0; i < 200_000; i++) db.dict.set(`key:${i}`, `value:${i}`);
    for (let i = 0; i < 1000; i++) db.expires.set(`key:${i}`, Date.now() + 100_000);
    expect(await redis.dbsize()).toBe(200_000);
    const before = Number(parseInfo(await redis.info('memory')).get('Memory')!.get('lazyfreed_objects'));
    expect(await redis.flushall('ASYNC')).toBe('OK');
    expect(await redis.dbsize()).toBe(0);
    expect(db.expires.size).toBe(0);
    expect(await redis.set('after', 'x')).toBe('OK');
    const after = Number(parseInfo(await redis.info('memory')).get('Memory')!.get('lazyfreed_objects'));
    expect(after - before).toBe(200_000);
    expect(parseInfo(await redis.info('keyspace')).get('Keyspace')!.get('db0')).toBe('keys=1,expires=0,avg_ttl=0');
  });

  it('TIME, LASTSAVE, ROLE, WAIT', async () => {
    const [secs, micros] = (await redis.time()) as unknown as [string, string];
    expect(Math.abs(Number(secs) - Date.now() / 1000)).toBeLessThan(5);
    expect(Number(micros)).toBeLessThan(1_000_000);
    expect(await redis.lastsave()).toBe(srv.running.server.lastSave);
    expect(await redis.role()).toEqual(['master', 0, []]);
    expect(await redis.call('WAIT', '1', '0')).toBe(0);
  });

  it('MONITOR streams commands in Redis format, not admin ones', async () => {
    const monitor = await srv.raw();
    expect(await monitor.callRaw('MONITOR')).toBe('+OK\r\n');
    const other = await srv.raw();
    await other.call('SET', 'k "q"', 'v\x00\xff\n');
    await other.call('SLOWLOG', 'LEN');
    await other.call('SELECT', '2');
    await other.call('GET', 'k');
    const first = await monitor.readRaw();
    expect(first).toMatch(/^\+\d{10}\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "k \\"q\\"" "v\\x00\\xff\\n"\r\n$/);
    expect(await monitor.readRaw()).toMatch(/^\+\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] "SELECT" "2"\r\n$/);
    expect(await monitor.readRaw()).toMatch(/^\+\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] "GET" "k"\r\n$/);
    // A second MONITOR is ignored without a reply.
    monitor.send('MONITOR');
    await other.call('PING');
    expect(await monitor.readRaw()).toMatch(/"PING"\r\n$/);
  });

  it('MONITOR works with redis-cli', async () => {
    const cli = spawn('redis-cli', ['-p', String(srv.port), 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    cli.stdout.setEncoding('latin1');
    cli.stdout.on('data', (chunk: string) => (out += chunk));
    const available = await new Promise<boolean>((resolve) => {
      cli.once('error', () => resolve(false));
      cli.once('spawn', () => resolve(true));
    });
    if (!available) return;
    try {
      for (let i = 0; i < 50 && !out.includes('OK'); i++) await new Promise((r) => setTimeout(r, 20));
      await redis.set('cli-key', 'a b');
      for (let i = 0; i < 100 && !out.includes('cli-key'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(out).toMatch(/^OK\n\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "set" "cli-key" "a b"\n/m);
    } finally {
      cli.kill();
    }
  });

  it('DEBUG SLEEP, SET-ACTIVE-EXPIRE, OBJECT, RELOAD and MEMORY', async () => {
    expect(await redis.call('DEBUG', 'SLEEP', '0')).toBe('OK');
    expect(await redis.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0')).toBe('OK');
    expect(srv.running.server.activeExpireEnabled).toBe(false);
    expect(await redis.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1')).toBe('OK');
    expect(srv.running.server.activeExpireEnabled).toBe(true);
    await redis.set('dbg', '12345');
    expect(await redis.call('DEBUG', 'OBJECT', 'dbg')).toMatch(/^Value at:0x[0-9a-f]+ refcount:\d+ encoding:int serializedlength:\d+ lru:\d+ lru_seconds_idle:\d+$/);
    await expect(redis.call('DEBUG', 'OBJECT', 'nokey')).rejects.toThrow('ERR no such key');
    expect(await redis.call('DEBUG', 'RELOAD')).toBe('OK');
    expect(await redis.get('dbg')).toBe('12345');
    await expect(redis.call('DEBUG', 'RELOAD', 'x')).rejects.toThrow('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
    await expect(redis.call('DEBUG', 'NOPE')).rejects.toThrow("ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try DEBUG HELP.");
    await redis.set('mem', 'x'.repeat(100));
    const small = (await redis.call('MEMORY', 'USAGE', 'dbg')) as number;
    const big = (await redis.call('MEMORY', 'USAGE', 'mem', 'SAMPLES', '0')) as number;
    expect(small).toBeGreaterThan(0);
    expect(big).toBeGreaterThan(small + 90);
    expect(await redis.call('MEMORY', 'USAGE', 'nokey')).toBe(null);
    const stats = (await redis.call('MEMORY', 'STATS')) as unknown[];
    expect(stats).toContain('keys.count');
    expect(stats).toContain('db.0');
    expect(typeof (await redis.call('MEMORY', 'DOCTOR'))).toBe('string');
  });
});

describe('SLOWLOG and LATENCY', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ 'slowlog-log-slower-than': 0, 'slowlog-max-len': 5, 'latency-monitor-threshold': 1, ...debugOption });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('records every command with slowlog-log-slower-than 0', async () => {
    const raw = await srv.raw();
    expect(await raw.call('SLOWLOG', 'RESET')).toBe('OK');
    await raw.call('SET', 'k', 'v');
    const entries = (await raw.call('SLOWLOG', 'GET')) as unknown[][];
    // Newest first: SET, then the RESET itself (logged once it has run).
    expect(entries.length).toBe(2);
    const [id, time, duration, argv, addr, name] = entries[0] as [number, number, number, string[], string, string];
    expect(argv).toEqual(['SET', 'k', 'v']);
    expect((entries[1] as unknown[])[3]).toEqual(['SLOWLOG', 'RESET']);
    expect(id).toBe(((entries[1] as unknown[])[0] as number) + 1);
    expect(Math.abs(time - Date.now() / 1000)).toBeLessThan(5);
    expect(duration).toBeGreaterThanOrEqual(0);
    expect(addr).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(name).toBe('');
  });

  it('keeps slowlog-max-len entries, 32 arguments and 128 bytes of each', async () => {
    const raw = await srv.raw();
    const many = Array.from({ length: 40 }, (_, i) => `m${i}`);
    await raw.call('RPUSH', 'list', 'x'.repeat(200), ...many);
    for (let i = 0; i < 10; i++) await raw.call('PING');
    expect(await raw.call('SLOWLOG', 'LEN')).toBe(5);
    await raw.call('SLOWLOG', 'RESET');
    await raw.call('RPUSH', 'list', 'x'.repeat(200), ...many);
    const entries = (await raw.call('SLOWLOG', 'GET', '1')) as unknown[][];
    const argv = (entries[0] as unknown[])[3] as string[];
    expect(argv.length).toBe(32);
    expect(argv[2]).toBe('x'.repeat(128) + '... (72 more bytes)');
    expect(argv[31]).toBe('... (12 more arguments)');
    // RESET, RPUSH, then the SLOWLOG GET before this one.
    expect(((await raw.call('SLOWLOG', 'GET', '-1')) as unknown[]).length).toBe(3);
  });

  it('an entry keeps 128 bytes of a long argument, not the whole argument', async () => {
    const raw = await srv.raw();
    const gc = fullCollection() as () => void;
    const held = async (): Promise<number> => {
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return process.memoryUsage().heapUsed + process.memoryUsage().external;
    };
    const before = await held();
    expect(await raw.call('SET', 'big', 'x'.repeat(16 << 20))).toBe('OK');
    expect(await raw.call('DEL', 'big')).toBe(1);
    // The 16 MB value went with its key. (Before SLOWLOG GET, which would flatten the entry's text.)
    expect((await held()) - before).toBeLessThan(4 << 20);
    const entries = (await raw.call('SLOWLOG', 'GET', '2')) as unknown[][];
    expect((entries[1] as unknown[])[3]).toEqual(['SET', 'big', `${'x'.repeat(128)}... (${(16 << 20) - 128} more bytes)`]);
  });

  it('redacts AUTH passwords', async () => {
    const raw = await srv.raw();
    await raw.call('AUTH', 'secret');
    const entries = (await raw.call('SLOWLOG', 'GET', '1')) as unknown[][];
    expect((entries[0] as unknown[])[3]).toEqual(['AUTH', '(redacted)']);
  });

  it('LATENCY records a spike above latency-monitor-threshold', async () => {
    const raw = await srv.raw();
    // A threshold far above what an ordinary command takes on a busy machine: only the sleep counts.
    await raw.call('CONFIG', 'SET', 'latency-monitor-threshold', '200');
    await raw.call('LATENCY', 'RESET');
    expect(await raw.call('DEBUG', 'SLEEP', '0.25')).toBe('OK');
    const latest = (await raw.call('LATENCY', 'LATEST')) as unknown[][];
    const command = latest.find((e) => e[0] === 'command') as [string, number, number, number];
    expect(command).toBeDefined();
    expect(command[2]).toBeGreaterThanOrEqual(250);
    expect(command[3]).toBeGreaterThanOrEqual(command[2]);
    const history = (await raw.call('LATENCY', 'HISTORY', 'command')) as unknown[][];
    expect(history.length).toBe(1);
    expect(String(await raw.call('LATENCY', 'DOCTOR'))).toContain('command: 1 latency spikes');
    expect(await raw.call('LATENCY', 'RESET', 'command', 'nosuch')).toBe(1);
    expect(await raw.call('LATENCY', 'LATEST')).toEqual([]);
  });
});

describe('SHUTDOWN', () => {
  it('SHUTDOWN SAVE fails when the snapshot cannot be written, SHUTDOWN NOSAVE closes the server', async () => {
    // Its dir removed: the final save fails.
    const dir = mkdtempSync(join(tmpdir(), 'nodis-shutdown-'));
    const srv = await startTestServer({ dir });
    rmSync(dir, { recursive: true });
    const raw = await srv.raw();
    expect(await raw.call('SHUTDOWN', 'SAVE')).toEqual({ error: 'ERR Errors trying to SHUTDOWN. Check logs.' });
    expect(await raw.call('SHUTDOWN', 'ABORT')).toEqual({ error: 'ERR No shutdown in progress.' });
    expect(await raw.call('PING')).toBe('PONG');
    raw.send('SHUTDOWN', 'NOSAVE');
    await raw.waitClosed();
    expect(raw.rest()).toBe('');
    await expect(RawClient.connect(srv.port)).rejects.toThrow();
    await srv.stop();
  });

  it('a plain SHUTDOWN stops the server too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodis-shutdown-'));
    const srv = await startTestServer({ save: '3600 1', dir });
    const raw = await srv.raw();
    raw.send('SHUTDOWN');
    await raw.waitClosed();
    await expect(RawClient.connect(srv.port)).rejects.toThrow();
    await srv.stop();
    // With save points, the final snapshot was written.
    expect(existsSync(join(dir, 'dump.rdb'))).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
