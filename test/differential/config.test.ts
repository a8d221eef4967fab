import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';
import { ClientPair, parse, sortedPairs } from '../helpers/pair.js';
import { RawClient } from '../helpers/raw-client.js';
import type { RespValue } from '../helpers/resp.js';

const hasOracle = oracleAvailable();

/** Parameters whose values legitimately differ between the two servers. */
const LOCAL = new Set(['port', 'bind', 'dir', 'daemonize', 'pidfile', 'logfile', 'unixsocket']);

function strip(pairs: string[]): string[] {
  return pairs.filter((p) => !LOCAL.has((JSON.parse(p) as string[])[0] as string));
}

const SAME_VALUE = [
  'timeout', 'tcp-keepalive', 'databases', 'requirepass', 'maxclients', 'maxmemory', 'maxmemory-policy', 'maxmemory-samples',
  'hz', 'dynamic-hz', 'loglevel', 'dbfilename', 'save', 'appendonly', 'appendfilename', 'appendfsync', 'notify-keyspace-events',
  'client-output-buffer-limit', 'slowlog-log-slower-than', 'slowlog-max-len', 'latency-monitor-threshold',
  'hash-max-listpack-entries', 'hash-max-ziplist-value', 'zset-max-listpack-entries', 'zset-max-ziplist-value',
  'list-max-listpack-size', 'list-max-ziplist-size', 'set-max-intset-entries', 'proto-max-bulk-len', 'client-query-buffer-limit',
  'lazyfree-lazy-user-del', 'lazyfree-lazy-user-flush', 'io-threads', 'supervised', 'always-show-logo', 'protected-mode',
  'maxmemory-clients', 'unixsocketperm', 'oom-score-adj-values', 'latency-tracking-info-percentiles', 'shutdown-on-sigterm',
  'replicaof', 'slaveof', 'lua-time-limit', 'enable-protected-configs', 'watchdog-period', 'key-load-delay', 'nosuch-param',
];

describe.skipIf(!hasOracle)('differential: CONFIG', () => {
  const servers = differentialPair({ nodis: { 'protected-mode': 'yes', 'enable-debug-command': 'no' } });

  it('CONFIG GET answers the same values for the parameters both know', async () => {
    const steps: Step[] = SAME_VALUE.map((name) => ['CONFIG', 'GET', name]);
    steps.push(['CONFIG', 'GET', 'MaxMemory'], ['CONFIG', 'GET', 'hz', 'HZ'], ['CONFIG', 'GET', 'timeout', 'timeout'], ['CONFIG', 'GET', 'nosuch*']);
    steps.push(['CONFIG', 'GET'], ['CONFIG'], ['CONFIG', 'NOSUCH'], ['CONFIG', 'HELP'], ['CONFIG', 'HELP', 'x']);
    await servers.same(steps);
  });

  it('CONFIG GET * lists the same parameter names, with the same values outside local ones', async () => {
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port);
    try {
      const [a, b] = await pair.decoded('CONFIG', 'GET', '*');
      expect(strip(sortedPairs(a))).toEqual(strip(sortedPairs(b)));
      for (const pattern of ['*max-*-entries', 'hash*', 'lazyfree-*', '[pt]*', 'SLOWLOG*', 'maxmemory*']) {
        const [x, y] = await pair.decoded('CONFIG', 'GET', pattern);
        expect(strip(sortedPairs(x)), pattern).toEqual(strip(sortedPairs(y)));
      }
      const [x, y] = await pair.decoded('CONFIG', 'GET', 'hz', 'timeout', 'h?', 'TIMEOUT');
      expect(sortedPairs(x)).toEqual(sortedPairs(y));
    } finally {
      pair.close();
    }
  });

  it('answers a map in RESP3', async () => {
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port, true);
    try {
      const [a, b] = await pair.call('CONFIG', 'GET', 'maxmemory-policy');
      expect(a).toBe(b);
      const [x, y] = await pair.decoded('CONFIG', 'GET', 'zset-*');
      expect(sortedPairs(x)).toEqual(sortedPairs(y));
    } finally {
      pair.close();
    }
  });

  it('CONFIG SET of a parameter and its alias in one call: the last wins; a repeated name is refused', async () => {
    const steps: Step[] = [
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '9', 'hash-max-ziplist-entries', '10'],
      ['CONFIG', 'GET', 'hash-max-listpack-entries'],
      ['CONFIG', 'SET', 'maxmemory', '1', 'MAXMEMORY', '2'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '512'],
    ];
    await servers.same(steps);
  });

  it('CONFIG SET: values, round trips and every kind of error', async () => {
    const set = (name: string, value: string): Step => ['CONFIG', 'SET', name, value];
    const get = (name: string): Step => ['CONFIG', 'GET', name];
    const steps: Step[] = [
      set('hz', '1000'), get('hz'), set('hz', '0'), get('hz'), set('hz', '10'),
      set('maxmemory', '1KB'), get('maxmemory'), set('maxmemory', ''), set('maxmemory', '18446744073709551616'), get('maxmemory'),
      set('maxmemory', '-1'), set('maxmemory', '1.5mb'), set('maxmemory', '0'),
      set('maxclients', '-1'), set('maxclients', '4294967296'), set('set-max-intset-entries', '-1'),
      set('port', 'abc'), set('port', '070'), set('timeout', '+5'), set('timeout', ' 5'), set('timeout', '99999999999999999999'),
      set('save', '10'), set('save', '10 x'), set('save', '0 1'), set('save', '1 -1'), set('save', '100  5'),
      set('save', '100 5 200 10'), get('save'), set('save', '05 +3'), get('save'), set('save', ''), get('save'),
      set('notify-keyspace-events', 'KEA'), get('notify-keyspace-events'), set('notify-keyspace-events', 'nmKE'),
      get('notify-keyspace-events'), set('notify-keyspace-events', 'Elg$szhxetdnm'), get('notify-keyspace-events'),
      set('notify-keyspace-events', 'Q'), set('notify-keyspace-events', ' '), set('notify-keyspace-events', ''),
      set('client-output-buffer-limit', 'normal 1mb 2mb 3'), get('client-output-buffer-limit'),
      set('client-output-buffer-limit', 'replica 1 2'), set('client-output-buffer-limit', 'master 1 2 3'),
      set('client-output-buffer-limit', 'normal x 2 3'), set('client-output-buffer-limit', 'pubsub 0 0 -1'),
      set('client-output-buffer-limit', 'NORMAL 0 0 0 slave 256mb 64mb 60'), get('client-output-buffer-limit'),
      set('nosuch', '1'), ['CONFIG', 'SET', 'port'], ['CONFIG', 'SET', 'port', '1', 'hz'], set('databases', '3'),
      ['CONFIG', 'SET', 'hz', '10', 'hz', '11'], ['CONFIG', 'SET', 'HZ', '10', 'hz', '11'],
      set('maxmemory-policy', 'foo'), set('loglevel', 'nothing'), set('loglevel', 'WARNING'), get('loglevel'), set('loglevel', 'notice'),
      set('appendfsync', 'x'), set('protected-mode', 'maybe'), set('maxmemory-clients', '10%'), get('maxmemory-clients'),
      set('maxmemory-clients', '101%'), set('maxmemory-clients', 'x'), set('maxmemory-clients', '0'),
      set('unixsocketperm', '777'), set('list-max-listpack-size', '5'), get('list-max-ziplist-size'), set('list-max-ziplist-size', '-2'),
      set('hash-max-ziplist-value', '1k'), get('hash-max-listpack-value'), set('hash-max-ziplist-value', '64'),
      set('Hash-Max-Ziplist-Entries', 'x'), set('proto-max-bulk-len', '1'), set('proto-max-bulk-len', '20000000000000000000'),
      set('dir', '/tmp'), set('dbfilename', 'x.rdb'), set('dbfilename', 'a/b'), set('appendfilename', 'x'), set('io-threads', '2'),
      set('replicaof', 'no one'), set('daemonize', 'yes'), set('oom-score-adj-values', '1 2'), set('oom-score-adj-values', '1 2 9999'),
      set('shutdown-on-sigterm', 'now nosave'), get('shutdown-on-sigterm'), set('shutdown-on-sigterm', 'save nosave'),
      set('shutdown-on-sigterm', ''), set('shutdown-on-sigterm', 'default'),
      set('latency-tracking-info-percentiles', '50.0 99.90'), get('latency-tracking-info-percentiles'),
      set('latency-tracking-info-percentiles', '101'), set('latency-tracking-info-percentiles', 'x'),
      ['CONFIG', 'SET', 'hz', '10', 'nosuch', '1', 'timeout', 'x'], ['CONFIG', 'SET', 'timeout', 'x', 'nosuch', '1'],
      ['CONFIG', 'SET', 'timeout', '5', 'databases', '2'], ['CONFIG', 'SET', 'timeout', '5', 'databases', '2', 'nosuch', '1'],
      ['CONFIG', 'SET', 'hz', '11', 'timeout', 'x'], get('hz'), get('timeout'),
      ['CONFIG', 'SET', 'hz', '12', 'timeout', '7'], get('hz'), get('timeout'), ['CONFIG', 'SET', 'hz', '10', 'timeout', '0'],
      set('active-expire-effort', '11'), set('cluster-announce-hostname', 'a b'), set('proc-title-template', '{nosuch}'),
      set('proc-title-template', '{title} {listen-addr} {server-mode}'), set('slowlog-log-slower-than', '-2'),
      set('list-max-listpack-size', '-99999999999'), set('bind-source-addr', ''), set('requirepass', ''),
      ['CONFIG', 'REWRITE'], ['CONFIG', 'REWRITE', 'x'], ['CONFIG', 'RESETSTAT'], ['CONFIG', 'resetstat', 'x'],
    ];
    await servers.same(steps);
  });

  it('binary values survive CONFIG SET/GET', async () => {
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port);
    try {
      for (const args of [
        ['CONFIG', 'SET', 'masteruser', 'a\x00\xff b'], ['CONFIG', 'GET', 'masteruser'], ['CONFIG', 'SET', 'masteruser', ''],
        ['CONFIG', 'SET', 'masterauth', 'a\x00\xff b'], ['CONFIG', 'GET', 'masterauth'], ['CONFIG', 'SET', 'masterauth', ''],
        ['CONFIG', 'SET', 'ignore-warnings', '\xff\x01'], ['CONFIG', 'GET', 'ignore-warnings'], ['CONFIG', 'SET', 'ignore-warnings', ''],
      ]) {
        const [a, b] = await pair.call(...args);
        expect(a).toBe(b);
      }
    } finally {
      pair.close();
    }
  });

  it('keeps the value type of each parameter', async () => {
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port);
    try {
      const [a, b] = await pair.decoded('CONFIG', 'GET', 'appendonly');
      expect(a).toEqual(b);
      const value: RespValue = parse((await pair.call('CONFIG', 'GET', 'protected-mode'))[0]);
      expect(value).toEqual(['protected-mode', 'yes']);
    } finally {
      pair.close();
    }
  });
});

describe.skipIf(!hasOracle)('differential: CONFIG SET port and bind that cannot listen', () => {
  const servers = differentialPair();

  it('answer the same errors and leave every parameter of the call as it was', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = String((taken.address() as net.AddressInfo).port);
    const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port);
    try {
      const [portA, portB] = await pair.decoded('CONFIG', 'GET', 'port');
      const [bindA, bindB] = await pair.decoded('CONFIG', 'GET', 'bind');
      for (const args of [
        ['CONFIG', 'SET', 'port', takenPort, 'maxmemory', '100mb'], ['CONFIG', 'GET', 'maxmemory'],
        ['CONFIG', 'SET', 'maxmemory', '100mb', 'port', takenPort], ['CONFIG', 'GET', 'maxmemory'],
        ['CONFIG', 'SET', 'bind', '192.0.2.1'], ['CONFIG', 'SET', 'bind', '192.0.2.1 127.0.0.1', 'maxmemory', '5mb'],
        ['CONFIG', 'SET', 'maxmemory', '5mb', 'bind', '127.0.0.1 192.0.2.1', 'port', takenPort], ['CONFIG', 'GET', 'maxmemory'],
        ['CONFIG', 'SET', 'port', 'x'], ['PING'],
      ]) {
        const [a, b] = await pair.call(...args);
        expect(a, args.join(' ')).toBe(b);
      }
      expect(await pair.decoded('CONFIG', 'GET', 'port')).toEqual([portA, portB]);
      expect(await pair.decoded('CONFIG', 'GET', 'bind')).toEqual([bindA, bindB]);
      // Both still listen where they did.
      for (const port of [servers.nodis.port, servers.redis.port]) {
        const c = await RawClient.connect(port);
        expect(await c.call('PING')).toBe('PONG');
        c.close();
      }
    } finally {
      pair.close();
      taken.close();
    }
  });
});
