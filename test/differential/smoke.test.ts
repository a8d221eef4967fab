import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mismatches, runBoth } from '../helpers/differential.js';

const hasOracle = oracleAvailable();

describe.skipIf(!hasOracle)('differential: basics', () => {
  let nodis: TestServer;
  let redis: Oracle;
  beforeAll(async () => {
    [nodis, redis] = await Promise.all([startTestServer(), startOracle()]);
  });
  afterAll(async () => {
    await Promise.all([nodis?.stop(), redis?.stop()]);
  });

  it('answers PING, GET, SET and unknown commands as Redis does', async () => {
    const results = await runBoth(nodis.port, redis.port, [
      ['PING'],
      ['ping', 'hello'],
      ['SET', 'k\x00\xff', 'v\r\n'],
      ['GET', 'k\x00\xff'],
      ['GET', 'missing'],
      ['GET'],
      ['NOSUCHCOMMAND', 'a', 'b'],
      { raw: 'PING\r\n' },
    ]);
    expect(mismatches(results)).toEqual([]);
  });
});
