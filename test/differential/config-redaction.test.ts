import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import type { RespValue } from '../helpers/resp.js';

const hasOracle = oracleAvailable();

/** CONFIG SET commands whose slow log entries are compared; every one leaves requirepass empty. */
const CONFIG_SETS: string[][] = [
  ['CONFIG', 'SET', 'requirepass', 'secret1'],
  ['config', 'set', 'REQUIREPASS', ''],
  ['CONFIG', 'SET', 'masterauth', 'secret2'],
  ['CONFIG', 'SET', 'masteruser', 'secret3'],
  ['CONFIG', 'SET', 'tls-key-file-pass', 'shown1'],
  ['CONFIG', 'SET', 'tls-client-key-file-pass', 'shown2'],
  ['CONFIG', 'SET', 'maxmemory', '10mb', 'requirepass', '', 'masterauth', 'secret4'],
  // An unknown parameter, a bad value, a duplicate: the values are redacted all the same.
  ['CONFIG', 'SET', 'nosuch', 'v', 'requirepass', 'secret5'],
  ['CONFIG', 'SET', 'maxmemory', 'bad', 'requirepass', 'secret6'],
  ['CONFIG', 'SET', 'requirepass', 'secret7', 'requirepass', 'secret8'],
  ['CONFIG', 'SET', 'tls-cert-file', '/nonexistent', 'masterauth', 'secret9'],
  // A wrong argument count is refused before any parameter is looked at.
  ['CONFIG', 'SET', 'maxmemory', '10mb', 'requirepass'],
  ['CONFIG', 'SET', 'maxmemory', '0'],
];

describe.skipIf(!hasOracle)('differential: CONFIG SET of sensitive parameters', () => {
  const pair = differentialPair();

  it('shows their values redacted in SLOWLOG GET', async () => {
    const logged = async (port: number): Promise<RespValue[]> => {
      const client = await RawClient.connect(port);
      try {
        await client.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
        await client.call('SLOWLOG', 'RESET');
        for (const argv of CONFIG_SETS) await client.call(...argv);
        // Queued in a transaction, it is logged (redacted) when EXEC runs it.
        await client.call('MULTI');
        await client.call('CONFIG', 'SET', 'masterauth', 'secret11', 'maxmemory', '0');
        await client.call('EXEC');
        const entries = (await client.call('SLOWLOG', 'GET', '100')) as RespValue[][];
        await client.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
        await client.call('CONFIG', 'SET', 'masterauth', '', 'masteruser', '', 'tls-key-file-pass', '', 'tls-client-key-file-pass', '');
        return entries.map((entry) => entry[3] as RespValue).filter((args) => Array.isArray(args) && (args[0] as string).toLowerCase() === 'config').reverse();
      } finally {
        client.close();
      }
    };
    const mine = await logged(pair.nodis.port);
    expect(mine).toEqual(await logged(pair.redis.port));
    // The wrong argument count is not logged; the transaction's CONFIG SET and the one turning the slow log back are.
    expect(mine).toHaveLength(CONFIG_SETS.length + 1);
    expect(JSON.stringify(mine)).not.toMatch(/secret/);
    expect(mine).toContainEqual(['CONFIG', 'SET', 'maxmemory', '10mb', 'requirepass', '(redacted)', 'masterauth', '(redacted)']);
    expect(mine).toContainEqual(['CONFIG', 'SET', 'tls-key-file-pass', 'shown1']);
  });

  it('leaves CONFIG SET out of MONITOR (an admin command), as Redis does', async () => {
    const seen = async (port: number): Promise<string[]> => {
      const monitor = await RawClient.connect(port);
      const client = await RawClient.connect(port);
      try {
        await monitor.callRaw('MONITOR');
        await client.call('CONFIG', 'SET', 'requirepass', 'secret10');
        await client.call('CONFIG', 'SET', 'requirepass', '');
        await client.call('SET', 'after', 'config');
        return [(await monitor.readRaw()).replace(/^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\]/, '+<time> [0 <addr>]')];
      } finally {
        monitor.close();
        client.close();
      }
    };
    const mine = await seen(pair.nodis.port);
    expect(mine).toEqual(await seen(pair.redis.port));
    expect(mine).toEqual(['+<time> [0 <addr>] "SET" "after" "config"\r\n']);
  });
});
