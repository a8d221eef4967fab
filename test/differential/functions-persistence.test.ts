/**
 * Functions saved and loaded as Redis 7.0 does, exchanged with redis-server: an RDB file Redis
 * saved with libraries loads into nodis and the reverse; an AOF directory (incremental FUNCTION
 * LOAD/DELETE, and a rewritten base with and without the RDB preamble) loads back into nodis
 * and into Redis.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitForRewrite } from '../helpers/aof.js';
import { oracleAvailable } from '../helpers/oracle.js';
import { RawClient } from '../helpers/raw-client.js';
import { scratchServers } from '../helpers/scratch.js';

const hasOracle = oracleAvailable();

const LIB_A = "#!lua name=liba\nredis.register_function('fa', function(keys, args) return 'a:' .. (args[1] or '') end)";
const LIB_B =
  "#!lua name=libb\nredis.register_function{function_name='fb', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}";

const { cleanups, newDir, nodisOn, ...scratch } = scratchServers('functions');

async function redisOn(dir: string, extra: string[] = []): Promise<RawClient> {
  return (await scratch.redisOn(dir, extra)).client;
}

async function loadLibraries(c: RawClient): Promise<void> {
  expect(await c.call('FUNCTION', 'LOAD', LIB_A)).toBe('liba');
  expect(await c.call('FUNCTION', 'LOAD', LIB_B)).toBe('libb');
  expect(await c.call('SET', 'k', 'v')).toBe('OK');
}

/** The libraries as LIST WITHCODE shows them, one library at a time (the order of a full LIST is a hash's). */
async function libraries(c: RawClient): Promise<unknown[]> {
  return [
    await c.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'liba', 'WITHCODE'),
    await c.call('FUNCTION', 'LIST', 'LIBRARYNAME', 'libb', 'WITHCODE'),
    await c.call('FCALL', 'fa', '0', 'x'),
    await c.call('FCALL_RO', 'fb', '1', 'k'),
  ];
}

describe.skipIf(!hasOracle)('functions in RDB files and AOF directories shared with Redis 7.0', () => {
  it('loads the dump.rdb Redis saved with functions, and Redis loads the one nodis saved', async () => {
    const redisDir = newDir();
    const redis = await redisOn(redisDir);
    await loadLibraries(redis);
    const expected = await libraries(redis);
    expect(await redis.call('SAVE')).toBe('OK');
    const nodisDir = newDir();
    cpSync(join(redisDir, 'dump.rdb'), join(nodisDir, 'dump.rdb'));
    const nodis = await nodisOn(nodisDir);
    const n = await nodis.raw();
    expect(await libraries(n)).toEqual(expected);

    // And back: what nodis saves, Redis loads.
    await n.call('FUNCTION', 'DELETE', 'liba');
    await n.call('FUNCTION', 'LOAD', LIB_A);
    expect(await n.call('SAVE')).toBe('OK');
    const backDir = newDir();
    cpSync(join(nodisDir, 'dump.rdb'), join(backDir, 'dump.rdb'));
    const back = await redisOn(backDir);
    expect(await libraries(back)).toEqual(expected);
  });

  it('BGSAVE writes the functions too, and nodis reads them back', async () => {
    const dir = newDir();
    const nodis = await nodisOn(dir);
    const c = await nodis.raw();
    await loadLibraries(c);
    const expected = await libraries(c);
    expect(await c.call('BGSAVE')).toBe('Background saving started');
    for (let i = 0; i < 200 && ((await c.call('INFO', 'persistence')) as string).includes('rdb_bgsave_in_progress:1'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await nodis.stop();
    cleanups.splice(0);
    const again = await nodisOn(dir);
    expect(await libraries(await again.raw())).toEqual(expected);
  });

  it.each(['yes', 'no'])('aof-use-rdb-preamble %s: the AOF keeps the functions, for nodis and for Redis', async (preamble) => {
    const dir = newDir();
    const nodis = await nodisOn(dir, { appendonly: 'yes', 'aof-use-rdb-preamble': preamble });
    const c = await nodis.raw();
    await c.call('FUNCTION', 'LOAD', "#!lua name=gone\nredis.register_function('gone', function() return 0 end)");
    await loadLibraries(c);
    await c.call('FUNCTION', 'DELETE', 'gone');
    await c.call('FUNCTION', 'LOAD', "#!lua name=writer\nredis.register_function('w', function(keys, args) return redis.call('set', keys[1], args[1]) end)");
    // A function's writes reach the AOF as the commands it ran.
    expect(await c.call('FCALL', 'w', '1', 'k', 'written')).toBe('OK');
    const expected = await libraries(c);
    // From the incremental file alone, then from a rewritten base.
    await nodis.stop();
    cleanups.splice(0);
    const reloaded = await nodisOn(dir, { appendonly: 'yes', 'aof-use-rdb-preamble': preamble });
    const r = await reloaded.raw();
    expect(await libraries(r)).toEqual(expected);
    expect(await r.call('FCALL', 'gone', '0')).toEqual({ error: 'ERR Function not found' });
    expect(await r.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
    await waitForRewrite(r);
    await reloaded.stop();
    cleanups.splice(0);
    const redisDir = newDir();
    cpSync(dir, redisDir, { recursive: true });
    const rewritten = await nodisOn(dir, { appendonly: 'yes' });
    expect(await libraries(await rewritten.raw())).toEqual(expected);
    const redis = await redisOn(redisDir, ['--appendonly', 'yes']);
    expect(await libraries(redis)).toEqual(expected);
  });

  it('nodis loads the AOF directory Redis wrote with functions', async () => {
    const dir = newDir();
    const redis = await redisOn(dir, ['--appendonly', 'yes']);
    await loadLibraries(redis);
    const expected = await libraries(redis);
    expect(await redis.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
    await waitForRewrite(redis);
    await redis.call('FUNCTION', 'LOAD', "#!lua name=later\nredis.register_function('later', function() return 'later' end)");
    const nodisDir = newDir();
    cpSync(dir, nodisDir, { recursive: true });
    const nodis = await nodisOn(nodisDir, { appendonly: 'yes' });
    const n = await nodis.raw();
    expect(await libraries(n)).toEqual(expected);
    expect(await n.call('FCALL', 'later', '0')).toBe('later');
  });
});
