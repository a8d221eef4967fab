/**
 * The cluster group on a server without cluster mode, against Redis 7.0: CLUSTER's
 * subcommands, READONLY and ASKING answer that cluster support is disabled, READWRITE answers
 * OK, with the arity and unknown-subcommand errors of the command table; and ACL rules that
 * take categories these commands belong to (@connection, @slow, @admin) are described as
 * Redis describes them.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mismatches, runBoth, type Step } from '../helpers/differential.js';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const hasOracle = oracleAvailable();

describe.skipIf(!hasOracle)('differential: cluster commands without cluster mode', () => {
  let nodis: TestServer;
  let redis: Oracle;
  beforeAll(async () => {
    [nodis, redis] = await Promise.all([startTestServer(), startOracle()]);
  });
  afterAll(async () => {
    await Promise.all([nodis?.stop(), redis?.stop()]);
  });

  it('answers CLUSTER, READONLY, READWRITE and ASKING as Redis does', async () => {
    const steps: Step[] = [
      ['READONLY'], ['READWRITE'], ['ASKING'], ['READONLY', 'x'], ['READWRITE', 'x'],
      ['CLUSTER'], ['CLUSTER', 'INFO'], ['CLUSTER', 'HELP'], ['CLUSTER', 'KEYSLOT', 'foo'], ['CLUSTER', 'KEYSLOT'],
      ['CLUSTER', 'SLOTS'], ['CLUSTER', 'SHARDS'], ['CLUSTER', 'NODES'], ['CLUSTER', 'MYID'], ['CLUSTER', 'nosuch'],
      ['CLUSTER', 'SETSLOT', '1', 'STABLE'], ['CLUSTER', 'COUNTKEYSINSLOT', '1'], ['CLUSTER', 'GETKEYSINSLOT', '1', '10'],
      ['MULTI'], ['READONLY'], ['CLUSTER', 'INFO'], ['READWRITE'], ['EXEC'],
      ['EVAL', "return redis.pcall('cluster', 'info')", '0'],
      ['EVAL', "return redis.pcall('readwrite')", '0'],
      ['COMMAND', 'INFO', 'readonly', 'readwrite', 'asking', 'cluster|info', 'cluster|keyslot'],
      ['COMMAND', 'GETKEYS', 'cluster', 'info'],
    ];
    expect(mismatches(await runBoth(nodis.port, redis.port, steps))).toEqual([]);
  });

  it('describes ACL rules by categories these commands are in as Redis does, and checks them alike', async () => {
    // Redis lists a rule's commands in its command table's hash order: the words are compared
    // as sets. CLIENT SETINFO (Redis 7.2, which nodis has) is left out of them.
    const rules: string[][] = [
      ['+@all', '-client'],
      ['-@all', '+@connection', '-client'],
      ['+@connection'],
      ['+@all', '-@connection'],
      ['-@all', '+@connection', '-readonly', '-cluster|info'],
      ['+@admin', '-readwrite'],
    ];
    const clients = [nodis.client(), new Redis({ port: redis.port, host: '127.0.0.1', maxRetriesPerRequest: 0 })];
    try {
      const described = async (client: Redis): Promise<unknown[]> => {
        const out: unknown[] = [];
        for (const [i, rule] of rules.entries()) {
          await client.call('ACL', 'SETUSER', `u${i}`, 'reset', 'on', 'nopass', ...rule);
          const user = (await client.call('ACL', 'GETUSER', `u${i}`)) as unknown[];
          const words = String(user[user.indexOf('commands') + 1]).split(' ').filter((w) => !w.endsWith('client|setinfo'));
          out.push(words.sort());
          for (const argv of [['readonly'], ['readwrite'], ['asking'], ['cluster', 'info'], ['cluster', 'slots'], ['client', 'id'], ['ping']]) {
            out.push(await client.call('ACL', 'DRYRUN', `u${i}`, ...argv).catch((err: Error) => err.message));
          }
        }
        out.push(((await client.call('ACL', 'CAT', 'connection')) as string[]).filter((c) => c !== 'client|setinfo').sort());
        return out;
      };
      const [mine, theirs] = [await described(clients[0] as Redis), await described(clients[1] as Redis)];
      expect(mine).toEqual(theirs);
      // The first rule is described as it was written (it took a list of every connection command before).
      expect(mine[0]).toEqual(['+@all', '-client']);
    } finally {
      clients[1]?.disconnect();
    }
  });
});
