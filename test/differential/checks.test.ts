import { describe, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';

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
