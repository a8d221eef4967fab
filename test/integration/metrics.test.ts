import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { startServer } from '../../src/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freePort } from '../helpers/ports.js';

interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  types: Map<string, string>;
  helps: Set<string>;
  samples: Map<string, Sample[]>;
}

/** A small reader of Prometheus text format 0.0.4, strict enough to catch malformed lines. */
function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples = new Map<string, Sample[]>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$/.exec(line);
    if (help !== null) {
      helps.add(help[1] as string);
      continue;
    }
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$/.exec(line);
    if (type !== null) {
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (sample === null) throw new Error(`malformed exposition line: ${line}`);
    const name = sample[1] as string;
    if (!types.has(name)) throw new Error(`sample before its # TYPE: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (sample[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[m[1] as string] = (m[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    const value = Number(sample[4]);
    if (Number.isNaN(value)) throw new Error(`not a number: ${line}`);
    samples.set(name, [...(samples.get(name) ?? []), { labels, value }]);
  }
  return { types, helps, samples };
}

function single(scrape: Scrape, name: string): number {
  const s = scrape.samples.get(name);
  expect(s, name).toHaveLength(1);
  return (s as Sample[])[0]!.value;
}

function labelled(scrape: Scrape, name: string, label: string, value: string): number | undefined {
  return scrape.samples.get(name)?.find((s) => s.labels[label] === value)?.value;
}

function infoFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) out.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return out;
}

describe('metrics endpoint (metrics-port)', () => {
  let server: TestServer;
  let metricsPort: number;

  beforeAll(async () => {
    metricsPort = await freePort();
    server = await startTestServer({ 'metrics-port': metricsPort });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('serves redis_exporter metrics whose values are those of INFO', async () => {
    const c = server.client();
    await c.set('a', '1');
    await c.set('b', '2', 'EX', 1000);
    await c.get('a');
    await c.get('a');
    await c.get('missing');
    await c.select(3);
    await c.set('c', '3');
    await expect(c.hset('c', 'f', 'v')).rejects.toThrow(/^WRONGTYPE/);
    await c.select(0);

    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const scrape = parseExposition(await res.text());
    // INFO after the scrape: the counters of the commands above are the same in both.
    const info = infoFields(await c.info('everything'));

    expect(single(scrape, 'redis_up')).toBe(1);
    const instance = scrape.samples.get('redis_instance_info')?.[0];
    expect(instance?.labels.redis_version).toBe(info.get('redis_version'));
    expect(instance?.labels.run_id).toBe(info.get('run_id'));
    expect(instance?.labels.role).toBe('master');
    expect(instance?.labels.tcp_port).toBe(String(server.port));

    for (const [metric, field] of [
      ['redis_keyspace_hits_total', 'keyspace_hits'],
      ['redis_keyspace_misses_total', 'keyspace_misses'],
      ['redis_expired_keys_total', 'expired_keys'],
      ['redis_evicted_keys_total', 'evicted_keys'],
      ['redis_connections_received_total', 'total_connections_received'],
      ['redis_rdb_changes_since_last_save', 'rdb_changes_since_last_save'],
      ['redis_connected_clients', 'connected_clients'],
      ['redis_blocked_clients', 'blocked_clients'],
      ['redis_memory_max_bytes', 'maxmemory'],
    ] as const) {
      expect(single(scrape, metric), metric).toBe(Number(info.get(field)));
    }
    expect(single(scrape, 'redis_keyspace_hits_total')).toBeGreaterThanOrEqual(2);
    expect(single(scrape, 'redis_keyspace_misses_total')).toBeGreaterThanOrEqual(1);
    // INFO counts itself once it has run, as Redis does; its bytes in are counted before it runs.
    expect(single(scrape, 'redis_commands_processed_total')).toBe(Number(info.get('total_commands_processed')));
    expect(single(scrape, 'redis_net_input_bytes_total')).toBeLessThan(Number(info.get('total_net_input_bytes')));
    expect(single(scrape, 'redis_net_output_bytes_total')).toBeLessThanOrEqual(Number(info.get('total_net_output_bytes')));
    expect(single(scrape, 'redis_memory_used_bytes')).toBeGreaterThan(0);
    expect(single(scrape, 'redis_uptime_in_seconds')).toBeGreaterThanOrEqual(0);

    const getStat = new Map([...(info.get('cmdstat_get') as string).split(',')].map((kv) => kv.split('=') as [string, string]));
    expect(labelled(scrape, 'redis_commands_total', 'cmd', 'get')).toBe(3);
    expect(labelled(scrape, 'redis_commands_total', 'cmd', 'get')).toBe(Number(getStat.get('calls')));
    expect(labelled(scrape, 'redis_commands_total', 'cmd', 'set')).toBe(3);
    expect(labelled(scrape, 'redis_commands_duration_seconds_total', 'cmd', 'get')).toBe(Number(getStat.get('usec')) / 1e6);
    expect(labelled(scrape, 'redis_commands_failed_calls_total', 'cmd', 'hset')).toBe(1);
    expect(labelled(scrape, 'redis_errors_total', 'err', 'WRONGTYPE')).toBe(1);

    expect(labelled(scrape, 'redis_db_keys', 'db', 'db0')).toBe(2);
    expect(labelled(scrape, 'redis_db_keys_expiring', 'db', 'db0')).toBe(1);
    expect(labelled(scrape, 'redis_db_keys', 'db', 'db3')).toBe(1);
    expect(labelled(scrape, 'redis_db_keys_expiring', 'db', 'db3')).toBe(0);
    expect(labelled(scrape, 'redis_db_keys', 'db', 'db1')).toBeUndefined();

    for (const [name, type] of [
      ['redis_up', 'gauge'],
      ['redis_connected_clients', 'gauge'],
      ['redis_memory_used_bytes', 'gauge'],
      ['redis_db_keys', 'gauge'],
      ['redis_commands_total', 'counter'],
      ['redis_commands_duration_seconds_total', 'counter'],
      ['redis_keyspace_hits_total', 'counter'],
      ['redis_expired_keys_total', 'counter'],
    ] as const) {
      expect(scrape.types.get(name), name).toBe(type);
      expect(scrape.helps.has(name), name).toBe(true);
    }
  });

  it('answers 404 for other paths and is not a Redis port', async () => {
    expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metricsx`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics?x=1`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('is shown by CONFIG GET but not by its patterns', async () => {
    const c = server.client();
    expect(await c.config('GET', 'metrics-port')).toEqual(['metrics-port', String(metricsPort)]);
    expect(await c.config('GET', 'metrics-*')).toEqual([]);
  });
});

async function refused(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/metrics`);
    return false;
  } catch {
    return true;
  }
}

describe('CONFIG SET metrics-port', () => {
  it('opens, moves and closes the endpoint; a port in use changes nothing', async () => {
    const server = await startTestServer({ bind: '127.0.0.1' });
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = (taken.address() as net.AddressInfo).port;
    try {
      const c = server.client();
      const first = await freePort();
      expect(await refused(first)).toBe(true);
      expect(await c.config('SET', 'metrics-port', String(first))).toBe('OK');
      expect((await fetch(`http://127.0.0.1:${first}/metrics`)).status).toBe(200);

      const second = await freePort();
      expect(await c.config('SET', 'metrics-port', String(second))).toBe('OK');
      expect((await fetch(`http://127.0.0.1:${second}/metrics`)).status).toBe(200);
      expect(await refused(first)).toBe(true);

      await expect(c.config('SET', 'metrics-port', String(takenPort))).rejects.toThrow(
        "ERR CONFIG SET failed (possibly related to argument 'metrics-port') - Unable to listen on this port. Check server logs.",
      );
      expect(await c.config('GET', 'metrics-port')).toEqual(['metrics-port', String(second)]);
      expect((await fetch(`http://127.0.0.1:${second}/metrics`)).status).toBe(200);

      expect(await c.config('SET', 'metrics-port', '0')).toBe('OK');
      expect(await refused(second)).toBe(true);
      expect(await c.ping()).toBe('PONG');
    } finally {
      taken.close();
      await server.stop();
    }
  });
});

describe('metrics-port off and in use', () => {
  it('listens on nothing extra by default', async () => {
    const server = await startTestServer();
    try {
      const c = server.client();
      expect(await c.config('GET', 'metrics-port')).toEqual(['metrics-port', '0']);
    } finally {
      await server.stop();
    }
  });

  it('refuses to start when the port is taken', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      await expect(startServer({ port: 0, save: '', bind: '127.0.0.1', 'metrics-port': port })).rejects.toThrow(`Failed listening on port ${port} (metrics), aborting: EADDRINUSE`);
    } finally {
      taken.close();
    }
  });
});
