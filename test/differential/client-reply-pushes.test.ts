import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import { expectSameSessions, type Session } from '../helpers/sessions.js';

const hasOracle = oracleAvailable();

/**
 * CLIENT REPLY OFF/SKIP silence replies, not pushes (Redis 7.0.9+): Pub/Sub confirmations and
 * messages, in RESP2 as in RESP3, and tracking invalidations still reach the client.
 */
describe.skipIf(!hasOracle)('differential: pushes under CLIENT REPLY OFF/SKIP', () => {
  const servers = differentialPair();
  const same = (script: (s: Session) => Promise<void>) => expectSameSessions(servers.nodis.port, servers.redis.port, script);

  it('RESP3: subscribe confirmations and messages go out, replies do not', async () => {
    await same(async (s) => {
      await s.open('a');
      await s.open('p');
      await s.call('a', 'HELLO', '3');
      s.send('a', 'CLIENT', 'REPLY', 'OFF');
      s.markWithPush('a');
      s.send('a', 'SUBSCRIBE', 'ch');
      s.send('a', 'PSUBSCRIBE', 'c*');
      s.send('a', 'SSUBSCRIBE', 'sh');
      s.send('a', 'GET', 'k');
      s.send('a', 'PING');
      await s.collect('a');
      await s.call('p', 'PUBLISH', 'ch', 'hello');
      await s.call('p', 'SPUBLISH', 'sh', 'shard');
      await s.collect('a');
      s.send('a', 'UNSUBSCRIBE', 'ch');
      s.send('a', 'PUNSUBSCRIBE');
      s.send('a', 'SUNSUBSCRIBE', 'sh');
      s.send('a', 'UNSUBSCRIBE', 'never');
      await s.collect('a');
      await s.call('a', 'CLIENT', 'REPLY', 'ON');
      await s.call('a', 'GET', 'k');
    });
  });

  it('RESP2: SUBSCRIBE confirmations and messages under OFF and SKIP', async () => {
    await same(async (s) => {
      await s.open('a');
      await s.open('p');
      s.send('a', 'CLIENT', 'REPLY', 'OFF');
      s.markWithPush('a');
      s.send('a', 'SUBSCRIBE', 'ch');
      s.send('a', 'PING');
      await s.collect('a');
      await s.call('p', 'PUBLISH', 'ch', 'm1');
      await s.collect('a');
      s.send('a', 'UNSUBSCRIBE', 'ch');
      s.send('a', 'PSUBSCRIBE', 'c*');
      await s.collect('a');
      await s.call('p', 'PUBLISH', 'ch', 'm2');
      await s.collect('a');
      await s.open('b');
      s.send('b', 'CLIENT', 'REPLY', 'SKIP');
      await s.call('b', 'SUBSCRIBE', 'x');
      await s.call('b', 'PING');
      await s.call('b', 'UNSUBSCRIBE', 'x');
      s.send('b', 'CLIENT', 'REPLY', 'SKIP');
      s.send('b', 'PSUBSCRIBE', 'y*');
      await s.collect('b');
    });
  });

  it('RESP3: tracking invalidations and tracking-redir-broken go out', async () => {
    await same(async (s) => {
      await s.open('a');
      await s.open('w');
      await s.open('gone');
      await s.call('a', 'HELLO', '3');
      await s.call('a', 'CLIENT', 'TRACKING', 'ON');
      s.send('a', 'CLIENT', 'REPLY', 'OFF');
      s.markWithPush('a');
      s.send('a', 'GET', 'k');
      await s.collect('a');
      await s.call('w', 'SET', 'k', '1');
      await s.collect('a');
      s.send('a', 'GET', 'k');
      s.send('a', 'SET', 'k', '2');
      s.send('a', 'GET', 'k');
      s.send('a', 'FLUSHALL');
      await s.collect('a');
      s.send('a', 'CLIENT', 'TRACKING', 'OFF');
      s.send('a', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'user:');
      await s.collect('a');
      await s.call('w', 'MSET', 'user:1', 'x', 'other', 'y');
      await s.collect('a');
      s.send('a', 'CLIENT', 'TRACKING', 'OFF');
      s.send('a', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', s.id('gone'));
      s.send('a', 'GET', 'k');
      await s.collect('a');
      await s.close('gone');
      await s.call('w', 'SET', 'k', '3');
      await s.collect('a');
      await s.call('a', 'CLIENT', 'REPLY', 'ON');
      await s.call('a', 'CLIENT', 'TRACKINGINFO');
    });
  });

  it('a RESP2 redirection target with replies off gets __redis__:invalidate messages', async () => {
    await same(async (s) => {
      await s.open('a');
      await s.open('t');
      await s.open('w');
      s.send('t', 'CLIENT', 'REPLY', 'OFF');
      s.markWithPush('t');
      s.send('t', 'SUBSCRIBE', '__redis__:invalidate');
      await s.collect('t');
      await s.call('a', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', s.id('t'));
      await s.call('a', 'GET', 'k');
      await s.call('w', 'SET', 'k', '1');
      await s.collect('t');
      await s.call('a', 'GET', 'k');
      await s.call('a', 'SET', 'k', '2');
      await s.call('a', 'FLUSHALL');
      await s.collect('t');
      await s.call('a', 'CLIENT', 'TRACKING', 'OFF');
      await s.call('a', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'REDIRECT', s.id('t'));
      await s.call('w', 'MSET', 'q', '1', 'r', '2');
      await s.collect('t');
    });
  });

  it('a protocol error is not answered under OFF or SKIP', async () => {
    // Redis then keeps the connection open, ignoring its input (flag c) until the client closes
    // it; nodis closes it. What was sent before either is the same.
    async function afterProtocolError(port: number, mode: string): Promise<string> {
      const c = await RawClient.connect(port);
      const control = await RawClient.connect(port);
      try {
        const id = (await c.callRaw('CLIENT', 'ID')).slice(1, -2);
        c.write(`CLIENT REPLY ${mode}\r\n*1\r\n$x\r\n`);
        for (;;) {
          const list = await control.callRaw('CLIENT', 'LIST', 'ID', id);
          if (!list.includes(`id=${id} `)) {
            await c.waitClosed();
            break;
          }
          if (/ flags=\S*c/.test(list)) {
            // Whatever Redis wrote for it went out before it answered this.
            await control.callRaw('PING');
            break;
          }
          await new Promise((r) => setTimeout(r, 5));
        }
        return c.rest();
      } finally {
        c.close();
        control.close();
      }
    }
    for (const mode of ['OFF', 'SKIP', 'ON']) {
      const [a, b] = await Promise.all([afterProtocolError(servers.nodis.port, mode), afterProtocolError(servers.redis.port, mode)]);
      expect({ mode, reply: a }).toEqual({ mode, reply: b });
    }
  });
});
