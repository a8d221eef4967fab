import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalClient } from '../../src/commands/core/local-client.js';
import { startLoading, stopLoading } from '../../src/persistence/loading.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('socket-less client (scripts, loaders)', () => {
  let t: TestServer;
  const local = (caller: 'script' | 'loader') => new LocalClient(t.running.server, caller, t.running.server.allocateClientId());
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('runs commands through the dispatcher and captures their replies', async () => {
    const c = local('script');
    expect(c.run(['SET', 'lc:a', '1']).toString()).toBe('+OK\r\n');
    expect(c.run(['incr', 'lc:a']).toString()).toBe(':2\r\n');
    expect(c.run(['GET', 'lc:a']).toString()).toBe('$1\r\n2\r\n');
    expect(c.run(['NOSUCH']).toString()).toMatch(/^-ERR unknown command 'NOSUCH'/);
    expect(c.run(['GET']).toString()).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    // What it wrote is what connections see.
    expect(await t.client().get('lc:a')).toBe('2');
    const stats = await t.client().info('commandstats');
    expect(stats).toMatch(/cmdstat_incr:calls=1,/);
  });

  it('selects databases of its own', async () => {
    const c = local('script');
    c.run(['SELECT', '3']);
    c.run(['SET', 'lc:db', 'three']);
    const client = t.client();
    await client.select(3);
    expect(await client.get('lc:db')).toBe('three');
  });

  it('refuses noscript commands to scripts, including subcommands of noscript containers', () => {
    const c = local('script');
    for (const argv of [['CLIENT', 'LIST'], ['MULTI'], ['WATCH', 'k'], ['SUBSCRIBE', 'ch'], ['MONITOR'], ['AUTH', 'x'], ['BLPOP', 'k', '0']]) {
      expect(c.run(argv).toString(), argv.join(' ')).toBe('-ERR This Redis command is not allowed from script\r\n');
    }
  });

  it('lets a loader run transactions as the AOF holds them', () => {
    const c = local('loader');
    expect(c.run(['MULTI']).toString()).toBe('+OK\r\n');
    expect(c.run(['SET', 'lc:t', 'x']).toString()).toBe('+QUEUED\r\n');
    expect(c.run(['APPEND', 'lc:t', 'y']).toString()).toBe('+QUEUED\r\n');
    expect(c.run(['EXEC']).toString()).toBe('*2\r\n+OK\r\n:2\r\n');
  });

  it('answers LOADING while a dataset loads, except to the loader and to loading-flagged commands', async () => {
    const server = t.running.server;
    startLoading(server, 0);
    try {
      const script = local('script');
      expect(script.run(['GET', 'lc:a']).toString()).toBe('-LOADING Redis is loading the dataset in memory\r\n');
      expect(local('loader').run(['SET', 'lc:l', '1']).toString()).toBe('+OK\r\n');
      const raw = await t.raw();
      expect(await raw.callRaw('GET', 'lc:a')).toBe('-LOADING Redis is loading the dataset in memory\r\n');
      expect(await raw.callRaw('PING')).toBe('-LOADING Redis is loading the dataset in memory\r\n');
      expect(await raw.callRaw('ECHO', 'hi')).toBe('$2\r\nhi\r\n');
    } finally {
      stopLoading(server);
    }
  });

  it('answers OOM to denyoom commands over maxmemory, except to the loader', async () => {
    const raw = await t.raw();
    expect(await raw.callRaw('CONFIG', 'SET', 'maxmemory', '1')).toBe('+OK\r\n');
    try {
      expect(await raw.callRaw('SET', 'lc:o', '1')).toBe("-OOM command not allowed when used memory > 'maxmemory'.\r\n");
      expect(await raw.callRaw('GET', 'lc:a')).toBe('$1\r\n2\r\n');
      expect(await raw.callRaw('DEL', 'lc:a')).toBe(':1\r\n');
      expect(local('script').run(['SET', 'lc:o', '1']).toString()).toBe("-OOM command not allowed when used memory > 'maxmemory'.\r\n");
      expect(local('loader').run(['SET', 'lc:o', '1']).toString()).toBe('+OK\r\n');
    } finally {
      await raw.callRaw('CONFIG', 'SET', 'maxmemory', '0');
    }
    expect(await raw.callRaw('SET', 'lc:o', '2')).toBe('+OK\r\n');
  });
});

describe('socket-less callers never block', () => {
  it('answer blocking commands at once, even after a transaction of their own', async () => {
    const t = await startTestServer();
    try {
      const c = new LocalClient(t.running.server, 'loader', t.running.server.allocateClientId());
      expect(c.run(['BLPOP', 'nolist', '0']).toString()).toBe('*-1\r\n');
      expect(c.run(['MULTI']).toString()).toBe('+OK\r\n');
      expect(c.run(['RPUSH', 'l', 'a']).toString()).toBe('+QUEUED\r\n');
      expect(c.run(['EXEC']).toString()).toBe('*1\r\n:1\r\n');
      expect(c.run(['BLMOVE', 'empty', 'l', 'LEFT', 'LEFT', '0']).toString()).toBe('$-1\r\n');
      expect(c.run(['BZPOPMIN', 'nozset', '0']).toString()).toBe('*-1\r\n');
    } finally {
      await t.stop();
    }
  });
});
