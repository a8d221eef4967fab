/**
 * What a script's commands do to other clients, against Redis 7.0: keyspace notifications in
 * the same order, client-side caching invalidations for keys a script writes (and, for a
 * tracking caller, the keys a script declares when it reads), a key expiring while a script
 * runs only as of the script's start.
 */
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import type { RespValue } from '../helpers/resp.js';
import { expectSameSessions } from '../helpers/sessions.js';

const hasOracle = oracleAvailable();

const evalArgs = (script: string, ...keys: string[]): string[] => ['EVAL', script, String(keys.length), ...keys];

/** The replies of `commands` and the keyspace events they fired (notify-keyspace-events KEA). */
async function record(port: number, commands: string[][]): Promise<{ replies: string[]; events: string[] }> {
  const cmd = await RawClient.connect(port);
  const sub = await RawClient.connect(port);
  try {
    await cmd.call('FLUSHALL');
    await cmd.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await sub.call('PSUBSCRIBE', '__key*__:*');
    const replies: string[] = [];
    for (const argv of commands) replies.push(await cmd.callRaw(...argv));
    // The end marker matches the pattern too: everything before it has been delivered.
    await cmd.call('PUBLISH', '__keyend__:x', 'end');
    const events: string[] = [];
    for (;;) {
      const msg = (await sub.read()) as RespValue[];
      const channel = String(msg[2]);
      if (channel === '__keyend__:x') break;
      events.push(`${channel} ${String(msg[3])}`);
    }
    await cmd.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    return { replies, events };
  } finally {
    cmd.close();
    sub.close();
  }
}

describe.skipIf(!hasOracle)('differential: what scripts do to other clients', () => {
  const servers = differentialPair();

  it('fires the keyspace notifications of the commands a script runs, in order', async () => {
    const commands = [
      evalArgs("redis.call('SET', KEYS[1], 'v') redis.call('EXPIRE', KEYS[1], '100') redis.call('LPUSH', 'l', 'a', 'b') return 1", 'k'),
      evalArgs("redis.call('GET', 'nokey') redis.call('DEL', 'k', 'l') redis.call('HSET', 'h', 'f', 'v') return 1"),
      evalArgs("redis.call('INCR', 'n') return redis.pcall('LPUSH', 'n', 'x')"),
      evalArgs("redis.call('SET', 'before', 'error') error('stop')"),
      evalArgs("#!lua flags=no-writes\nreturn redis.call('GET', 'before')"),
    ];
    const [a, b] = await Promise.all([record(servers.nodis.port, commands), record(servers.redis.port, commands)]);
    expect(a).toEqual(b);
  });

  it("invalidates tracked keys a script writes, and tracks a reading script's declared keys for its caller", async () => {
    await expectSameSessions(servers.nodis.port, servers.redis.port, async (s) => {
      await s.open('cache');
      await s.open('writer');
      await s.call('cache', 'HELLO', '3');
      await s.call('cache', 'CLIENT', 'TRACKING', 'ON');
      await s.call('cache', 'GET', 'a');
      await s.call('writer', 'EVAL', "return redis.call('SET', KEYS[1], 'x')", '1', 'a');
      await s.collect('cache');
      // A script that reads remembers the keys it declared (not the ones it read) for its caller.
      await s.call('cache', 'EVAL', "return redis.call('GET', 'undeclared')", '1', 'declared');
      await s.call('writer', 'SET', 'undeclared', '1');
      await s.call('writer', 'SET', 'declared', '1');
      await s.collect('cache');
      // A script that only writes remembers nothing.
      await s.call('cache', 'EVAL', "return redis.call('SET', KEYS[1], 'y')", '1', 'written');
      await s.call('writer', 'SET', 'written', '2');
      await s.collect('cache');
      // The caller's own writes in a script come after its reply.
      await s.call('cache', 'GET', 'own');
      await s.call('cache', 'EVAL', "return redis.call('SET', KEYS[1], 'z')", '1', 'own');
      await s.collect('cache');
      await s.call('cache', 'CLIENT', 'TRACKING', 'ON', 'NOLOOP');
      await s.call('cache', 'GET', 'noloop');
      await s.call('cache', 'EVAL', "return redis.call('SET', KEYS[1], 'z')", '1', 'noloop');
      await s.collect('cache');
    });
  });

  it('keeps a key that expires while a script runs until the script ends', async () => {
    // The script waits, reading TIME, until the key's expiry time has passed, then reads it again.
    const script = `
local before = redis.call('GET', KEYS[1])
local deadline = tonumber(ARGV[1])
local now
repeat
  local t = redis.call('TIME')
  now = t[1] * 1000 + math.floor(t[2] / 1000)
until now > deadline
return {before, redis.call('GET', KEYS[1]), redis.call('EXISTS', KEYS[1])}
`;
    const results: string[][] = [];
    for (const port of [servers.nodis.port, servers.redis.port]) {
      const c = await RawClient.connect(port);
      try {
        const at = Date.now() + 30;
        await c.call('SET', 'short', 'lived', 'PXAT', String(at));
        results.push([await c.callRaw('EVAL', script, '1', 'short', String(at + 5)), await c.callRaw('EXISTS', 'short')]);
      } finally {
        c.close();
      }
    }
    expect(results[0]).toEqual(results[1]);
  });
});
