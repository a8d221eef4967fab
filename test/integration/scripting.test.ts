/**
 * Scripting in-process: the AOF gets a script's effects between MULTI and EXEC (never EVAL)
 * and a restart loads them back to the same dataset; MONITOR, redis.log, INFO's scripting
 * figures, command statistics; the Lua VM running out of its memory and coming back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/index.js';
import { scriptEngine } from '../../src/scripting/scripting.js';
import { WasmScriptEngine } from '../../src/scripting/wasm-engine.js';
import { aofTestServers, capturingLogger, infoField, readIncrAof, resp } from '../helpers/aof.js';
import { readDataset } from '../helpers/dataset.js';
import type { RawClient } from '../helpers/raw-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const { newDir, start, stop } = aofTestServers('scripting');

async function snapshot(c: RawClient): Promise<{ digest: string; keys: string }> {
  const keys = await readDataset(c, 16);
  return { digest: (await c.call('DEBUG', 'DIGEST')) as string, keys: JSON.stringify([...keys.entries()].sort()) };
}

describe('scripts and the AOF', () => {
  it("logs a script's effects between MULTI and EXEC, never the script, and loads them back", async () => {
    const dir = newDir();
    const first = await start(dir, { appendfsync: 'always' });
    const c = await first.raw();
    await c.call('SELECT', '2');
    await c.call('EVAL', "redis.call('SET', KEYS[1], '1') redis.call('INCR', KEYS[1]) redis.call('RPUSH', 'l', 'a', 'b') return 1", '1', 'counter');
    await c.call('EVAL', "return redis.call('SET', KEYS[1], ARGV[1], 'EX', '1000')", '1', 'single', 'v');
    await c.call('EVAL', "return redis.call('GET', KEYS[1])", '1', 'counter');
    const sha = (await c.call('SCRIPT', 'LOAD', "redis.call('HSET', KEYS[1], 'f', ARGV[1]) return redis.call('SADD', KEYS[2], ARGV[1])")) as string;
    await c.call('EVALSHA', sha, '2', 'hash', 'set', 'member');
    await c.call('EVAL', "redis.call('SELECT', '5') redis.call('SET', 'in5', 'x') redis.call('SELECT', '2') return redis.call('SET', 'in2', 'y')", '0');
    await c.call('EVAL', "redis.call('SET', 'partial', 'kept') return redis.call('INCR', 'l')", '0');
    const before = await snapshot(c);
    const logged = readIncrAof(dir);
    expect(logged.some((argv) => /^eval/i.test(argv[0] as string))).toBe(false);
    // The first script's three writes as one transaction, in database 2.
    const multi = logged.findIndex((argv) => argv[0] === 'MULTI');
    expect(logged.slice(multi - 1, multi + 5)).toEqual([['SELECT', '2'], ['MULTI'], ['SET', 'counter', '1'], ['INCR', 'counter'], ['RPUSH', 'l', 'a', 'b'], ['EXEC']]);
    // A script with one write logs it alone, with its expiry made absolute.
    expect(logged[multi + 5]?.[0]).toBe('SET');
    expect(logged[multi + 5]?.slice(1, 4)).toEqual(['single', 'v', 'PXAT']);
    // A script that failed after writing keeps what it wrote.
    expect(logged.slice(-1)).toEqual([['SET', 'partial', 'kept']]);
    await stop(first);

    const second = await start(dir);
    expect(await snapshot(await second.raw())).toEqual(before);
  });
});

describe('scripts in a running server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('MONITOR shows EVAL first, then the commands of the script from the lua client', async () => {
    const monitor = await server.raw();
    expect(await monitor.callRaw('MONITOR')).toBe('+OK\r\n');
    const c = await server.raw();
    await c.call('EVAL', "return redis.call('SET', KEYS[1], 'v')", '1', 'mk');
    const evalLine = (await monitor.readRaw()) as string;
    expect(evalLine).toMatch(/^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "EVAL" "return redis\.call\('SET', KEYS\[1\], 'v'\)" "1" "mk"\r\n$/);
    expect(await monitor.readRaw()).toMatch(/^\+\d+\.\d{6} \[0 lua\] "SET" "mk" "v"\r\n$/);
  });

  it('counts the commands a script runs in commandstats, and the script itself', async () => {
    const c = await server.raw();
    await c.call('CONFIG', 'RESETSTAT');
    await c.call('EVAL', "redis.call('INCR', 'cs') return redis.call('INCR', 'cs')", '0');
    await c.call('EVAL', "return redis.call('NOSUCH')", '0');
    const stats = (await c.call('INFO', 'commandstats')) as string;
    expect(stats).toMatch(/cmdstat_incr:calls=2,/);
    expect(stats).toMatch(/cmdstat_eval:calls=2,/);
    const errors = (await c.call('INFO', 'errorstats')) as string;
    // The unknown command is counted once: the script's error reply repeats it without counting.
    expect(errors).toMatch(/errorstat_ERR:count=1\r/);
  });

  it("times a script's commands from their own start: Lua run before them is not theirs in the slow log", async () => {
    const c = await server.raw();
    await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '20000');
    await c.call('SLOWLOG', 'RESET');
    try {
      // Pipelined after PING, in one batch; between its two commands the script runs Lua for
      // some tens of milliseconds (5 million loop turns).
      const script = "redis.call('TIME') local x = 0 for i = 1, 5000000 do x = x + i end return redis.call('GET', 'slow')";
      c.write(resp(['PING'], ['EVAL', script, '0']));
      await c.readRaw();
      await c.readRaw();
      const entries = (await c.call('SLOWLOG', 'GET')) as unknown[][];
      const commands = entries.map((entry) => String((entry[3] as string[])[0]).toUpperCase());
      expect(commands).toEqual(['EVAL']);
    } finally {
      await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    }
  });

  it("reports the VM's and the cache's memory in INFO and MEMORY STATS", async () => {
    const c = await server.raw();
    await c.call('SCRIPT', 'FLUSH');
    let info = (await c.call('INFO', 'memory')) as string;
    expect(infoField(info, 'number_of_cached_scripts')).toBe('0');
    expect(infoField(info, 'used_memory_scripts_eval')).toBe('0');
    expect(Number(infoField(info, 'used_memory_lua'))).toBeGreaterThan(0);
    expect(infoField(info, 'used_memory_vm_eval')).toBe(infoField(info, 'used_memory_lua'));
    await c.call('SCRIPT', 'LOAD', 'return 1');
    await c.call('EVAL', "return 'two'", '0');
    await c.call('EVAL', "return 'two'", '0');
    info = (await c.call('INFO', 'memory')) as string;
    expect(infoField(info, 'number_of_cached_scripts')).toBe('2');
    const cache = Number(infoField(info, 'used_memory_scripts_eval'));
    expect(cache).toBeGreaterThan(0);
    expect(infoField(info, 'used_memory_scripts')).toBe(String(cache));
    const stats = (await c.call('MEMORY', 'STATS')) as unknown[];
    expect(stats[stats.indexOf('lua.caches') + 1]).toBe(cache);
    await c.call('SCRIPT', 'FLUSH');
    info = (await c.call('INFO', 'memory')) as string;
    expect(infoField(info, 'number_of_cached_scripts')).toBe('0');
  });

  it('answers SCRIPT DEBUG YES and SYNC with an error: there is no Lua debugger', async () => {
    const c = await server.raw();
    expect(await c.callRaw('SCRIPT', 'DEBUG', 'YES')).toBe('-ERR SCRIPT DEBUG is not supported: this server has no Lua debugger\r\n');
    expect(await c.callRaw('SCRIPT', 'DEBUG', 'sync')).toBe('-ERR SCRIPT DEBUG is not supported: this server has no Lua debugger\r\n');
    expect(await c.callRaw('SCRIPT', 'DEBUG', 'NO')).toBe('+OK\r\n');
  });

  it('drops a VM that runs out of memory, answers as Redis would, and runs scripts again with a new one', async () => {
    const c = await server.raw();
    const hog = "local t = {} local s = string.rep('x', 16777216) for i = 1, 8 do t[i] = s .. i end return #t";
    const sha = (await c.call('SCRIPT', 'LOAD', hog)) as string;
    expect(await c.callRaw('EVALSHA', sha, '0')).toBe(`-ERR Error running script ${sha}, not enough memory\r\n`);
    await (scriptEngine() as WasmScriptEngine).ready();
    expect(await c.callRaw('EVAL', "return redis.call('PING')", '0')).toBe('+PONG\r\n');
    // The cache survives: a script loaded before runs on the new VM.
    expect(await c.callRaw('EVALSHA', sha, '0').then((r) => r.startsWith('-ERR Error running script'))).toBe(true);
    await (scriptEngine() as WasmScriptEngine).ready();
  });
});

describe('redis.log', () => {
  it("writes to the server's log at the script's level, if loglevel lets it through", async () => {
    const lines: string[] = [];
    const running = await startServer({ port: 0, save: '', loglevel: 'notice' }, capturingLogger(lines));
    const c = (await import('../helpers/raw-client.js')).RawClient;
    const client = await c.connect(running.port);
    try {
      await client.call('EVAL', "redis.log(redis.LOG_WARNING, 'warned', 42) redis.log(redis.LOG_NOTICE, 'noticed') redis.log(redis.LOG_VERBOSE, 'verbose') redis.log(redis.LOG_DEBUG, 'debugged')", '0');
      expect(lines).toContain('warned 42');
      expect(lines).toContain('noticed');
      expect(lines).not.toContain('verbose');
      expect(lines).not.toContain('debugged');
    } finally {
      client.close();
      await running.close();
    }
  });
});
