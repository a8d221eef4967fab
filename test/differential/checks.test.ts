import { describe, expect, it } from 'vitest';
import { networkInterfaces } from 'node:os';
import { RawClient } from '../helpers/raw-client.js';
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

/** The machine's first address that is not loopback, if it has one. */
function externalIPv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === 'IPv4' && !entry.internal) return entry.address;
  }
  return undefined;
}

const external = externalIPv4();

describe.skipIf(!hasOracle || external === undefined)('differential: protected mode from the machine\'s own non-loopback address', () => {
  // Default bind and protected mode on both: the peer address, not the interface, decides.
  const servers = differentialPair({ nodis: { 'protected-mode': 'yes' }, redis: ['--protected-mode', 'yes'] });

  it('refuses a peer at a non-loopback address until a password is set or protected mode is off', async () => {
    const steps: Step[] = [{ raw: 'PING\r\n' }];
    const from = external as string;
    const denied = await runBoth(servers.nodis.port, servers.redis.port, steps, undefined, from);
    expect(mismatches(denied)).toEqual([]);
    expect(denied[0]?.nodis).toMatch(/^-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user\./);
    // A password lets the peer in (it must then authenticate).
    await runBoth(servers.nodis.port, servers.redis.port, [['CONFIG', 'SET', 'requirepass', 'pw']]);
    const withPassword = await runBoth(servers.nodis.port, servers.redis.port, [['PING'], ['AUTH', 'pw'], ['PING'], ['CONFIG', 'SET', 'requirepass', ''], ['CONFIG', 'SET', 'protected-mode', 'no']], undefined, from);
    expect(mismatches(withPassword)).toEqual([]);
    expect(withPassword[0]?.nodis).toMatch(/^-NOAUTH/);
    // Protected mode off (set above over the same connection): anyone is served.
    const open = await runBoth(servers.nodis.port, servers.redis.port, [['PING']], undefined, from);
    expect(open.map((r) => r.nodis)).toEqual(['+PONG\r\n']);
    expect(mismatches(open)).toEqual([]);
    await runBoth(servers.nodis.port, servers.redis.port, [['CONFIG', 'SET', 'protected-mode', 'yes']]);
  });
});

describe.skipIf(!hasOracle || external === undefined)('differential: protected mode with bind 0.0.0.0, reached at the machine\'s address', () => {
  const servers = differentialPair({ nodis: { bind: '0.0.0.0', 'protected-mode': 'yes' }, redis: ['--bind', '0.0.0.0', '--protected-mode', 'yes'] });

  it('answers DENIED and closes, as Redis', async () => {
    const replies: string[] = [];
    for (const port of [servers.nodis.port, servers.redis.port]) {
      const client = await RawClient.connect(port, external as string);
      try {
        replies.push(await client.callRaw('PING'));
        await client.waitClosed(2000);
      } finally {
        client.close();
      }
    }
    expect(replies[0]).toBe(replies[1]);
    expect(replies[0]).toMatch(/^-DENIED /);
  });
});
