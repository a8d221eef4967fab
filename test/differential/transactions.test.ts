import { describe, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';

const hasOracle = oracleAvailable();

describe.skipIf(!hasOracle)('differential: transactions and pub/sub replies', () => {
  const servers = differentialPair();

  async function same(steps: Step[]): Promise<void> {
    // Client ids differ between the two servers.
    await servers.same([['FLUSHALL'], ...steps], (raw) => raw.replace(/\$2\r\nid\r\n:\d+/, '$2\r\nid\r\n:ID'));
  }

  it('queues, executes and reports runtime errors in their slot', async () => {
    await same([
      ['MULTI'], ['SET', 'w', '1'], ['LPUSH', 'w', 'x'], ['INCR', 'w'], ['GET', 'w'], ['EXEC'],
      ['MULTI'], ['EXEC'],
      ['EXEC'], ['DISCARD'],
      ['MULTI'], ['MULTI'], ['PING'], ['EXEC'],
    ]);
  });

  it('aborts on errors while queuing', async () => {
    await same([
      ['MULTI'], ['SET', 'a', '1'], ['GET'], ['EXEC'], ['GET', 'a'],
      ['MULTI'], ['NOSUCH', 'x'], ['SET', 'a', '2'], ['EXEC'],
      ['MULTI'], ['SET', 'a', '3'], ['DISCARD'], ['GET', 'a'],
    ]);
  });

  it('answers WATCH errors and null on a dirty watch', async () => {
    await same([
      ['MULTI'], ['WATCH', 'x'], ['DISCARD'],
      ['WATCH', 'x'], ['SET', 'x', '1'], ['MULTI'], ['GET', 'x'], ['EXEC'],
      ['WATCH', 'x'], ['UNWATCH'], ['SET', 'x', '2'], ['MULTI'], ['GET', 'x'], ['EXEC'],
      ['WATCH', 'x'], ['GET', 'x'], ['MULTI'], ['INCR', 'x'], ['EXEC'],
      ['WATCH'],
    ]);
  });

  it('blocking commands inside MULTI do not block', async () => {
    await same([['MULTI'], ['BLPOP', 'nolist', '0'], ['BRPOP', 'nolist', '0'], ['EXEC']]);
  });

  it('restricts RESP2 subscribed clients and answers PING specially', async () => {
    await same([
      ['SUBSCRIBE', 'a', 'b'], ['GET', 'x'], ['PING'], ['PING', 'hi'], ['PSUBSCRIBE', 'c*'],
      ['UNSUBSCRIBE', 'a'], ['UNSUBSCRIBE'], ['PUNSUBSCRIBE'], ['PUNSUBSCRIBE'], ['UNSUBSCRIBE'], ['PING'],
      ['SSUBSCRIBE', 's1'], ['SUNSUBSCRIBE'], ['SUNSUBSCRIBE'],
      ['PUBSUB', 'NUMPAT'], ['PUBSUB', 'NUMSUB', 'a', 'zz'], ['PUBSUB', 'CHANNELS'], ['PUBSUB', 'HELP'], ['PUBSUB', 'FOO'],
      ['PUBLISH', 'nobody', 'x'], ['SPUBLISH', 'nobody', 'x'],
    ]);
  });

  it('in RESP3 a subscribed client may run anything', async () => {
    await same([['HELLO', '3'], ['SUBSCRIBE', 'a'], ['SET', 'k', 'v'], ['GET', 'k'], ['PING'], ['UNSUBSCRIBE'], ['MULTI'], ['GET', 'k'], ['EXEC']]);
  });
});
