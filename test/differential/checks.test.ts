import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, mismatches, runBoth, type Step } from '../helpers/differential.js';

const hasOracle = oracleAvailable();

describe.skipIf(!hasOracle)('differential: checks before a command runs', () => {
  const servers = differentialPair();

  it('answers OOM to commands that may grow memory once over maxmemory, and runs the rest', async () => {
    await servers.same([
      ['FLUSHALL'], ['SET', 'k', 'v'], ['RPUSH', 'l', 'a'],
      ['CONFIG', 'SET', 'maxmemory', '1'],
      ['SET', 'k2', 'v'], ['APPEND', 'k', 'x'], ['RPUSH', 'l', 'b'], ['INCR', 'n'],
      ['GET', 'k'], ['LRANGE', 'l', '0', '-1'], ['DEL', 'k'], ['LPOP', 'l'], ['EXPIRE', 'l', '100'],
      ['MULTI'], ['SET', 'a', '1'], ['EXEC'],
      ['MULTI'], ['GET', 'a'], ['EXEC'],
      ['CONFIG', 'SET', 'maxmemory', '0'],
      ['SET', 'k2', 'v'], ['GET', 'k2'],
    ]);
  });

  it('checks queued commands for OOM while queuing: the transaction is aborted', async () => {
    await servers.same([
      ['FLUSHALL'], ['MULTI'], ['CONFIG', 'SET', 'maxmemory', '1'], ['EXEC'],
      ['MULTI'], ['SET', 'a', '1'], ['EXEC'],
      ['CONFIG', 'SET', 'maxmemory', '0'], ['GET', 'a'],
      ['MULTI'], ['GET', 'a'], ['CONFIG', 'SET', 'maxmemory', '1'], ['PING'], ['CLIENT', 'ID'], ['DISCARD'],
      ['MULTI'], ['GET', 'a'], ['RESET'], ['CONFIG', 'SET', 'maxmemory', '0'],
    ]);
  });
});

/** What only a local peer may do with every enable-…-command and enable-protected-configs set to local. */
const PROTECTED_STEPS: Step[] = [
  ['PING'],
  ['CONFIG', 'SET', 'dbfilename', 'dump.rdb'],
  ['CONFIG', 'SET', 'maxmemory', '0', 'dbfilename', 'dump.rdb'],
  ['DEBUG', 'SLEEP', '0'],
  ['MODULE', 'UNLOAD', 'nosuchmodule'],
  ['MODULE', 'LIST'],
];

describe.skipIf(!hasOracle)('differential: "local" is a peer at 127.0.0.1 or ::1 only (Redis\'s islocalClient)', () => {
  const local = ['enable-debug-command', 'enable-module-command', 'enable-protected-configs'];
  const servers = differentialPair({
    nodis: { 'protected-mode': 'no', ...Object.fromEntries(local.map((name) => [name, 'local'])) },
    redis: ['--protected-mode', 'no', ...local.flatMap((name) => [`--${name}`, 'local'])],
  });

  it('runs protected commands and sets protected configs from 127.0.0.1', async () => {
    expect(mismatches(await runBoth(servers.nodis.port, servers.redis.port, PROTECTED_STEPS, undefined, '127.0.0.1'))).toEqual([]);
  });

  it('refuses them from 127.0.0.2, also a loopback address', async () => {
    const results = await runBoth(servers.nodis.port, servers.redis.port, PROTECTED_STEPS, undefined, '127.0.0.2');
    expect(mismatches(results)).toEqual([]);
    expect(results[1]?.nodis).toBe("-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config\r\n");
  });
});

describe.skipIf(!hasOracle)('differential: protected mode accepts 127.0.0.1 and refuses 127.0.0.2', () => {
  const servers = differentialPair({ nodis: { 'protected-mode': 'yes' }, redis: ['--protected-mode', 'yes'] });

  it('answers DENIED to a peer at 127.0.0.2 and closes', async () => {
    const steps: Step[] = [{ raw: 'PING\r\n' }, { raw: 'PING\r\n' }];
    expect(mismatches(await runBoth(servers.nodis.port, servers.redis.port, steps, undefined, '127.0.0.1'))).toEqual([]);
    const results = await runBoth(servers.nodis.port, servers.redis.port, steps, undefined, '127.0.0.2');
    expect(mismatches(results)).toEqual([]);
    expect(results[0]?.nodis).toMatch(/^-DENIED Redis is running in protected mode/);
  });
});
