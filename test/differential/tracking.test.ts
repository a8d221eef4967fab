import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import { expectSameSessions, type Session } from '../helpers/sessions.js';

const hasOracle = oracleAvailable();

/** A command (its next reply is read), a pause, or reading one more frame (a push that follows a reply). */
type Step = string[] | { sleep: number } | { read: true };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(port: number, steps: Step[]): Promise<string[]> {
  const c = await RawClient.connect(port);
  const out: string[] = [];
  try {
    for (const step of steps) {
      if ('sleep' in step) await sleep(step.sleep);
      else {
        if (Array.isArray(step)) c.send(...step);
        out.push(await c.readRaw(1000).catch(() => '<no reply>'));
      }
    }
    // Nothing may be left over (an invalidation neither server sends).
    await c.callRaw('PING');
    out.push(c.rest());
  } finally {
    c.close();
  }
  return out;
}

describe.skipIf(!hasOracle)('differential: client-side caching (CLIENT TRACKING)', () => {
  // DEBUG SET-ACTIVE-EXPIRE keeps the active expiry cycle out of the lazy-expiry steps.
  const servers = differentialPair({ nodis: { 'enable-debug-command': 'yes' }, redis: ['--enable-debug-command', 'yes'] });

  async function same(steps: Step[]): Promise<void> {
    // HELLO's reply carries the client id, which differs.
    const mask = (s: string) => s.replace(/\$2\r\nid\r\n:\d+/, '$2\r\nid\r\n:ID');
    const [a, b] = await Promise.all([run(servers.nodis.port, [['FLUSHALL'], ...steps]), run(servers.redis.port, [['FLUSHALL'], ...steps])]);
    const diffs: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const x = mask(a[i] ?? '<none>');
      const y = mask(b[i] ?? '<none>');
      if (x !== y) diffs.push(`${JSON.stringify(steps[i - 1] ?? 'end')}\n   nodis: ${JSON.stringify(x)}\n   redis: ${JSON.stringify(y)}`);
    }
    expect(diffs).toEqual([]);
  }

  it('validates options with Redis error texts, in its order', async () => {
    await same([
      ['CLIENT', 'TRACKING', 'ON', 'PREFIX', 'a'], ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'ab'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'ab', 'PREFIX', 'a'], ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'a'],
      ['CLIENT', 'TRACKING', 'ON', 'OPTIN', 'OPTOUT'], ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'OPTIN'], ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'OPTIN', 'OPTOUT'],
      ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '99999'], ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', 'abc'], ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '0'],
      ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '99999', 'REDIRECT', '1'], ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', '1.5'],
      ['CLIENT', 'TRACKING', 'ON', 'FOO'], ['CLIENT', 'TRACKING', 'MAYBE'], ['CLIENT', 'TRACKING', 'MAYBE', 'FOO'], ['CLIENT', 'TRACKING', 'ON', 'REDIRECT'],
      ['CLIENT', 'TRACKING', 'ON', 'PREFIX'], ['CLIENT', 'TRACKING'], ['CLIENT', 'CACHING'], ['CLIENT', 'CACHING', 'YES'], ['CLIENT', 'CACHING', 'maybe'],
      ['CLIENT', 'GETREDIR', 'x'], ['CLIENT', 'TRACKINGINFO', 'x'], ['CLIENT', 'TRACKING', 'OFF'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'GETREDIR'],
    ]);
  });

  it('reports modes in TRACKINGINFO and refuses switching them while on', async () => {
    await same([
      ['CLIENT', 'TRACKING', 'on'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'GETREDIR'], ['CLIENT', 'CACHING', 'YES'], ['CLIENT', 'CACHING', 'NO'],
      ['CLIENT', 'TRACKING', 'ON', 'OPTIN'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'CACHING', 'NO'], ['CLIENT', 'CACHING', 'yes'], ['CLIENT', 'TRACKINGINFO'],
      ['GET', 'x'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'TRACKING', 'ON', 'OPTOUT'], ['CLIENT', 'TRACKING', 'ON', 'BCAST'],
      ['CLIENT', 'TRACKING', 'ON', 'NOLOOP'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'TRACKING', 'OFF'], ['CLIENT', 'TRACKING', 'ON', 'OPTOUT'],
      ['CLIENT', 'CACHING', 'NO'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'TRACKING', 'OFF'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'b', 'PREFIX', 'a\x00'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'bc'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'c'], ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'c'], ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'TRACKING', 'ON'], ['CLIENT', 'TRACKING', 'OFF'], ['CLIENT', 'TRACKING', 'ON', 'BCAST'], ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'x'], ['CLIENT', 'TRACKING', 'OFF'], ['HELLO', '3'], ['CLIENT', 'TRACKING', 'ON', 'OPTIN', 'NOLOOP'],
      ['CLIENT', 'CACHING', 'YES'], ['CLIENT', 'TRACKINGINFO'], ['RESET'], ['CLIENT', 'TRACKINGINFO'],
    ]);
  });

  it('RESP3: invalidates keys the client read, after the reply that changed them', async () => {
    await same([
      ['HELLO', '3'], ['CLIENT', 'TRACKING', 'ON'], ['SET', 'k', 'v'], ['SET', 'k', 'w'], ['GET', 'k'], ['SET', 'k', 'x'], { read: true },
      ['SET', 'k', 'y'], ['MGET', 'a', 'b\xff'], ['DEL', 'a', 'b\xff'], { read: true }, { read: true },
      ['HSET', 'h', 'f', 'v'], ['HGET', 'h', 'f'], ['HGET', 'h', 'f'], ['HDEL', 'h', 'f'], { read: true },
      ['LPUSH', 'l', 'a'], ['LRANGE', 'l', '0', '-1'], ['TYPE', 'l'], ['LPUSH', 'l', 'b'], { read: true },
      ['GET', 'k'], ['MULTI'], ['SET', 'k', '1'], ['GET', 'k'], ['SET', 'k', '2'], ['EXEC'], { read: true }, { read: true },
      ['GET', 'k'], ['FLUSHDB'], { read: true }, ['GET', 'k'], ['FLUSHALL'], { read: true },
      ['GET', 'wrongtype'], ['LPUSH', 'wrongtype', 'x'], { read: true }, ['GET', 'wrongtype'], ['DEL', 'wrongtype'], { read: true },
      ['DEBUG', 'SET-ACTIVE-EXPIRE', '0'], ['SET', 'e', 'v', 'PX', '50'], ['GET', 'e'], { sleep: 100 }, ['GET', 'e'], { read: true },
      ['DEBUG', 'SET-ACTIVE-EXPIRE', '1'],
      ['CLIENT', 'TRACKING', 'OFF'], ['GET', 'k'], ['SET', 'k', 'z'],
    ]);
  });

  it('RESP3: NOLOOP, OPTIN and OPTOUT', async () => {
    await same([
      ['HELLO', '3'], ['CLIENT', 'TRACKING', 'ON', 'NOLOOP'], ['GET', 'k'], ['SET', 'k', 'v'], ['CLIENT', 'TRACKING', 'OFF'],
      ['CLIENT', 'TRACKING', 'ON', 'OPTIN'], ['GET', 'k'], ['SET', 'k', 'v'], ['CLIENT', 'CACHING', 'YES'], ['GET', 'k'], ['SET', 'k', 'w'], { read: true },
      ['CLIENT', 'CACHING', 'YES'], ['PING'], ['GET', 'k'], ['SET', 'k', 'x'],
      ['CLIENT', 'CACHING', 'YES'], ['MULTI'], ['GET', 'k'], ['GET', 'j'], ['EXEC'], ['MSET', 'k', '1', 'j', '2'], { read: true }, { read: true },
      ['CLIENT', 'TRACKING', 'OFF'], ['CLIENT', 'TRACKING', 'ON', 'OPTOUT'], ['GET', 'k'], ['SET', 'k', 'v'], { read: true },
      ['CLIENT', 'CACHING', 'NO'], ['GET', 'k'], ['SET', 'k', 'w'],
    ]);
  });

  it('RESP3: BCAST sends the changed keys of each prefix once per batch, sorted', async () => {
    await same([
      ['HELLO', '3'], ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'acct:'], ['SET', 'user:2', 'x'], { read: true },
      ['MSET', 'user:9', '1', 'user:1', '2', 'other', '3', 'acct:1', '4'], { read: true }, { read: true },
      ['SET', 'nothing', 'x'], ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'NOLOOP', 'PREFIX', 'zz'], ['SET', 'user:3', 'x'], ['CLIENT', 'TRACKINGINFO'],
      ['FLUSHALL'], { read: true },
    ]);
  });

  const sameSessions = (script: (s: Session) => Promise<void>) => expectSameSessions(servers.nodis.port, servers.redis.port, script);

  /** Blocks `name` with `cmd`, then has `by` run `wake`, and collects what `name` received. */
  async function blockThenWake(s: Session, name: string, cmd: string[], by: string, wake: string[]): Promise<void> {
    s.send(name, ...cmd);
    await s.waitBlocked(name);
    await s.call(by, ...wake);
    await s.collect(name);
  }

  it('a client served after blocking gets its reply before the invalidations it caused', async () => {
    await sameSessions(async (s) => {
      await s.open('b');
      await s.open('x');
      await s.call('b', 'HELLO', '3');
      await s.call('b', 'CLIENT', 'TRACKING', 'ON');
      await s.call('b', 'GET', 'dst');
      await s.call('b', 'LRANGE', 'src', '0', '-1');
      // src: invalidated by x's push, before; dst: by b's own move, after its reply.
      await blockThenWake(s, 'b', ['BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0'], 'x', ['LPUSH', 'src', 'v']);
      await s.call('b', 'LRANGE', 'dst', '0', '-1');
      await blockThenWake(s, 'b', ['BRPOPLPUSH', 'src2', 'dst', '0'], 'x', ['RPUSH', 'src2', 'w']);
      await s.call('b', 'LRANGE', 'dst', '0', '-1');
      await s.call('b', 'LLEN', 'q');
      await blockThenWake(s, 'b', ['BLPOP', 'q', 'q2', '0'], 'x', ['LPUSH', 'q', 'v']);
      await s.call('b', 'ZSCORE', 'z', 'm');
      await blockThenWake(s, 'b', ['BZPOPMIN', 'z', '0'], 'x', ['ZADD', 'z', '1', 'm']);
      await s.call('b', 'GET', 'dst');
      await s.call('x', 'SET', 'str', 'v');
      await blockThenWake(s, 'b', ['BLMOVE', 'src', 'str', 'LEFT', 'RIGHT', '0'], 'x', ['LPUSH', 'src', 'v']);
      // NOLOOP: nothing about its own move.
      await s.call('b', 'CLIENT', 'TRACKING', 'OFF');
      await s.call('b', 'CLIENT', 'TRACKING', 'ON', 'NOLOOP');
      await s.call('b', 'DEL', 'src', 'dst');
      await s.call('b', 'GET', 'dst');
      await blockThenWake(s, 'b', ['BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0'], 'x', ['LPUSH', 'src', 'v']);
      await s.call('x', 'SET', 'dst', 'w');
      await s.collect('b');
      await s.call('b', 'CLIENT', 'TRACKING', 'OFF');
    });
  });

  it('BCAST and NOLOOP with served blocked clients: the pusher stays the writer of the source key', async () => {
    await sameSessions(async (s) => {
      await s.open('b');
      await s.open('p');
      await s.call('b', 'HELLO', '3');
      await s.call('p', 'HELLO', '3');
      await s.call('b', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'NOLOOP');
      await s.call('p', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'NOLOOP');
      await s.call('b', 'DEL', 'src', 'dst');
      await s.collect('p');
      await blockThenWake(s, 'b', ['BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0'], 'p', ['LPUSH', 'src', 'v', 'w']);
      await s.collect('p');
      await blockThenWake(s, 'b', ['BLPOP', 'l', '0'], 'p', ['RPUSH', 'l', 'a']);
      await s.collect('p');
      // BLMPOP and BZPOPMIN do signal their pops, as the served client's.
      await blockThenWake(s, 'b', ['BLMPOP', '0', '1', 'm', 'LEFT', 'COUNT', '1'], 'p', ['RPUSH', 'm', 'a', 'b']);
      await s.collect('p');
      await blockThenWake(s, 'b', ['BZPOPMIN', 'z', '0'], 'p', ['ZADD', 'z', '1', 'a', '2', 'b']);
      await s.collect('p');
      await s.call('b', 'CLIENT', 'TRACKING', 'OFF');
      await s.call('b', 'CLIENT', 'TRACKING', 'ON', 'BCAST');
      await s.call('b', 'DEL', 'src');
      await s.collect('b');
      await s.collect('p');
      await blockThenWake(s, 'b', ['BLMOVE', 'src', 'dst', 'RIGHT', 'LEFT', '0'], 'p', ['LPUSH', 'src', 'x']);
      await s.collect('p');
    });
  });

  it('RESP2 without redirect gets nothing; broken redirection is reported', async () => {
    await same([
      ['CLIENT', 'TRACKING', 'ON'], ['GET', 'k'], ['SET', 'k', 'v'], ['FLUSHALL'], ['CLIENT', 'TRACKINGINFO'],
    ]);
  });
});
