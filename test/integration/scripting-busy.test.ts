/**
 * A script running past busy-reply-threshold stays one atomic command for the rest of the
 * server although the event loop runs meanwhile: its writes reach the AOF as one MULTI/EXEC,
 * clients blocked on keys it pushed to are served after it ends, and the cron expires nothing
 * under it. Which scripts run where (in-process or in the worker) is the engine's classifier.
 */
import { describe, expect, it } from 'vitest';
import { aofTestServers, readIncrAof } from '../helpers/aof.js';
import type { RawClient } from '../helpers/raw-client.js';
import { WasmScriptEngine } from '../../src/scripting/wasm-engine.js';
import { NODIS_VERSION } from '../../src/version.js';

const { newDir, start } = aofTestServers('scripting-busy');

/** Sends GET from `other` until it answers BUSY; false if the script ended first. */
async function seenBusy(other: RawClient): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const reply = await other.callRaw('GET', 'probe');
    if (reply.startsWith('-BUSY')) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

/** A script that writes, runs for `ms` of server time (TIME), writes again and returns LLEN l. */
const LONG_SCRIPT =
  "redis.call('SET', 'a', '1') redis.call('LPUSH', 'l', 'x') redis.call('SET', 'short', 'v', 'PX', '1') " +
  "local t = redis.call('TIME') local start = t[1] * 1000 + math.floor(t[2] / 1000) " +
  "repeat t = redis.call('TIME') until t[1] * 1000 + math.floor(t[2] / 1000) - start >= tonumber(ARGV[1]) " +
  "redis.call('SET', 'b', '2') return {redis.call('LLEN', 'l'), redis.call('EXISTS', 'short')}";

/**
 * A server with the AOF on (fsync always), busy-reply-threshold 50 ms and hz 100, and its
 * clients: `caller` for the script, `other` to see BUSY, and `blocked`, waiting in BLPOP l
 * before any script starts (the round trip of `other`'s PING lets the BLPOP arrive first).
 */
async function busyServer(): Promise<{ dir: string; caller: RawClient; other: RawClient; blocked: RawClient }> {
  const dir = newDir();
  const server = await start(dir, { appendfsync: 'always', 'busy-reply-threshold': 50, hz: 100 });
  const caller = await server.raw();
  const other = await server.raw();
  const blocked = await server.raw();
  blocked.send('BLPOP', 'l', '0');
  await other.call('PING');
  return { dir, caller, other, blocked };
}

describe('a script busy past its threshold', () => {
  it('propagates its writes as one unit and serves blocked clients after it ends', async () => {
    const { dir, caller, other, blocked } = await busyServer();
    caller.send('EVAL', LONG_SCRIPT, '0', '1500');
    expect(await seenBusy(other)).toBe(true);
    // The script saw its list untouched and its short-lived key still there (nothing expires under it).
    expect(await caller.read(30_000)).toEqual([1, 1]);
    expect(await blocked.read(30_000)).toEqual(['l', 'x']);
    const logged = readIncrAof(dir);
    const multi = logged.findIndex((argv) => argv[0] === 'MULTI');
    expect(logged.slice(multi, multi + 6).map((argv) => argv.slice(0, 2))).toEqual([
      ['MULTI'], ['SET', 'a'], ['LPUSH', 'l'], ['SET', 'short'], ['SET', 'b'], ['EXEC'],
    ]);
  });
});

describe('a script of a transaction busy past its threshold', () => {
  it('propagates the whole transaction as one unit, and the commands after the script run once it ends', async () => {
    const { dir, caller, other, blocked } = await busyServer();
    for (const argv of [['MULTI'], ['SET', 'x', '1'], ['EVAL', LONG_SCRIPT, '0', '1500'], ['RPUSH', 'l', 'y'], ['SET', 'y', '2']]) await caller.call(...argv);
    caller.send('EXEC');
    expect(await seenBusy(other)).toBe(true);
    expect(await caller.read(30_000)).toEqual(['OK', [1, 1], 2, 'OK']);
    // Served once the transaction ended: the list then held both elements.
    expect(await blocked.read(30_000)).toEqual(['l', 'x']);
    expect(await other.call('LRANGE', 'l', '0', '-1')).toEqual(['y']);
    const logged = readIncrAof(dir);
    const multi = logged.findIndex((argv) => argv[0] === 'MULTI');
    expect(logged.slice(multi, multi + 9).map((argv) => argv.slice(0, 2))).toEqual([
      ['MULTI'], ['SET', 'x'], ['SET', 'a'], ['LPUSH', 'l'], ['SET', 'short'], ['SET', 'b'], ['RPUSH', 'l'], ['SET', 'y'], ['EXEC'],
    ]);
  });
});

describe('a client that closes while its transaction waits for a busy script', () => {
  it('still has the rest of the transaction run, and leaves no subscription behind', async () => {
    const { caller, other } = await busyServer();
    for (const argv of [['MULTI'], ['EVAL', LONG_SCRIPT, '0', '800'], ['SET', 'after', '1'], ['SUBSCRIBE', 'left-behind']]) await caller.call(...argv);
    caller.send('EXEC');
    expect(await seenBusy(other)).toBe(true);
    caller.close();
    // Once the script has ended, the transaction is complete and the closed client is gone.
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && (await other.callRaw('GET', 'after')).startsWith('-BUSY'); ) await new Promise((r) => setTimeout(r, 20));
    expect(await other.call('GET', 'after')).toBe('1');
    expect(await other.call('PUBSUB', 'NUMSUB', 'left-behind')).toEqual(['left-behind', 0]);
  });
});

describe('a loop up to a limit its arguments make infinite', () => {
  it('runs in the worker, where it answers BUSY and SCRIPT KILL stops it; with a finite limit it runs and answers', async () => {
    const { caller, other } = await busyServer();
    const script = "local n = 0 for i = 1, tonumber(ARGV[1]) do n = n + 1 end return n";
    expect(await caller.call('EVAL', script, '0', '1000')).toBe(1000);
    caller.send('EVAL', script, '0', 'inf');
    expect(await seenBusy(other)).toBe(true);
    expect(await other.call('SCRIPT', 'KILL')).toBe('OK');
    expect(String(await caller.readRaw(30_000))).toMatch(/^-ERR Script killed by user with SCRIPT KILL/);
    caller.send('EVAL', script, '0', '9007199254740992');
    expect(await seenBusy(other)).toBe(true);
    expect(await other.call('SCRIPT', 'KILL')).toBe('OK');
    expect(String(await caller.readRaw(30_000))).toMatch(/^-ERR Script killed by user with SCRIPT KILL/);
    expect(await caller.call('EVAL', script, '0', '3')).toBe(3);
  });

  it('goes by the function library\'s own code and arguments for FCALL (its error names SCRIPT KILL, as Redis\'s does)', async () => {
    const { caller, other } = await busyServer();
    const library = "#!lua name=counting\nredis.register_function('count', function(keys, args) local n = 0 for i = 1, tonumber(args[1]) do n = n + 1 end return n end)";
    expect(await caller.call('FUNCTION', 'LOAD', library)).toBe('counting');
    expect(await caller.call('FCALL', 'count', '0', '1000')).toBe(1000);
    caller.send('FCALL', 'count', '0', '1e999');
    expect(await seenBusy(other)).toBe(true);
    expect(await other.call('FUNCTION', 'KILL')).toBe('OK');
    expect(String(await caller.readRaw(30_000))).toMatch(/^-ERR Script killed by user with SCRIPT KILL/);
    expect(await caller.call('FCALL', 'count', '0', '2')).toBe(2);
  });
});

describe('a script of thousands of functions', () => {
  it('is loaded, and the server stays up', async () => {
    const { caller } = await busyServer();
    const count = 10_000;
    const functions = Array.from({ length: count }, (_, i) => `function t.f${i}(n) return t.f${(i + 1) % count}(n) end`).join('\n');
    const sha = await caller.call('SCRIPT', 'LOAD', `local t = {}\n${functions}\nreturn 1`);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await caller.call('PING')).toBe('PONG');
  });
});

describe('which scripts may run where they cannot be stopped', () => {
  it('calls bounded the scripts that cannot run for ever: no while or repeat, no cycle of tail calls, no run-time compiling', async () => {
    const engine = await WasmScriptEngine.create(NODIS_VERSION);
    const bounded = (source: string): boolean | undefined => {
      const loaded = engine.load(source);
      if (typeof loaded === 'string') throw new Error(loaded);
      return loaded.bounded;
    };
    expect(bounded("return redis.call('INCR', KEYS[1])")).toBe(true);
    expect(bounded("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end")).toBe(true);
    expect(bounded("for i = 1, 10 do redis.call('INCR', KEYS[1]) end")).toBe(true);
    expect(bounded("local n = 0 for _, k in ipairs(KEYS) do n = n + redis.call('EXISTS', k) end return n")).toBe(true);
    expect(bounded('local function f(n) if n > 0 then f(n - 1) end end f(3)')).toBe(true);
    expect(bounded('while true do end')).toBe(false);
    expect(bounded('repeat until false')).toBe(false);
    expect(bounded('local function f() return f() end return f()')).toBe(false);
    expect(bounded('for x in function() return 1 end do end')).toBe(false);
    expect(bounded("return loadstring('while true do end')()")).toBe(false);
  });
});
