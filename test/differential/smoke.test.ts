import { describe, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';

const hasOracle = oracleAvailable();

describe.skipIf(!hasOracle)('differential: basics', () => {
  const servers = differentialPair();

  it('answers PING, GET, SET and unknown commands as Redis does', async () => {
    await servers.same([
      ['PING'],
      ['ping', 'hello'],
      ['SET', 'k\x00\xff', 'v\r\n'],
      ['GET', 'k\x00\xff'],
      ['GET', 'missing'],
      ['GET'],
      ['NOSUCHCOMMAND', 'a', 'b'],
      { raw: 'PING\r\n' },
    ]);
  });
});
