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

  it('RESP3: HyperLogLog: PFADD and PFMERGE invalidate, so does PFCOUNT refreshing its cached estimate; PFDEBUG TODENSE does not', async () => {
    await same([
      ['HELLO', '3'], ['CLIENT', 'TRACKING', 'ON'], ['PFADD', 'h', 'a'], ['PFCOUNT', 'h'], ['PFCOUNT', 'h'], ['PFADD', 'h', 'a'],
      ['PFADD', 'h', 'b'], { read: true }, ['PFCOUNT', 'h', 'other'], ['PFCOUNT', 'h'], { read: true }, ['PFDEBUG', 'TODENSE', 'h'],
      ['GET', 'h'], ['PFMERGE', 'h', 'other'], { read: true }, ['GET', 'h'], ['PFCOUNT', 'h'], { read: true },
    ]);
  });

  it('RESP3: geo writes invalidate what geo reads tracked, stored and deleted destinations included', async () => {
    await same([
      ['HELLO', '3'], ['CLIENT', 'TRACKING', 'ON'], ['GEOADD', 'g', '13.361389', '38.115556', 'Palermo'], ['GEOPOS', 'g', 'Palermo'],
      ['GEOADD', 'g', '15.087269', '37.502669', 'Catania'], { read: true }, ['GEODIST', 'g', 'Palermo', 'Catania'],
      ['GEOADD', 'g', 'NX', '15', '37', 'Catania'], ['GEOHASH', 'g', 'Catania'], ['ZCARD', 'dst'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'], { read: true }, { read: true },
      ['ZCARD', 'dst'], ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'], { read: true },
      ['SET', 'dst', 'x'], ['GET', 'dst'], ['GEORADIUS', 'nokey', '0', '0', '1', 'km', 'STORE', 'dst'], { read: true },
      ['SET', 'dst', 'x'], ['GET', 'dst'], ['GEOSEARCHSTORE', 'dst', 'nokey', 'FROMMEMBER', 'a', 'BYRADIUS', '1', 'km'], { read: true },
      ['PING'], ['CLIENT', 'TRACKING', 'OFF'],
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

  it('FLUSHALL and FLUSHDB, SYNC or ASYNC, empty the tracking table', async () => {
    await sameSessions(async (s) => {
      await s.open('a');
      await s.open('w');
      await s.call('a', 'HELLO', '3');
      await s.call('a', 'CLIENT', 'TRACKING', 'ON');
      for (const flush of [['FLUSHALL', 'ASYNC'], ['FLUSHALL', 'SYNC'], ['FLUSHALL'], ['FLUSHDB'], ['FLUSHDB', 'ASYNC'], ['FLUSHDB', 'SYNC']]) {
        await s.call('a', 'MGET', 'a', 'b', 'c');
        await s.call('w', 'SET', 'b', '1');
        await s.collect('a');
        await s.trackingInfo('w');
        await s.call('w', ...flush);
        await s.collect('a');
        await s.trackingInfo('w');
      }
      await s.call('a', 'MGET', 'a', 'b');
      await s.call('a', 'FLUSHALL', 'ASYNC');
      await s.collect('a');
      await s.trackingInfo('a');
      await s.call('a', 'MGET', 'a', 'b');
      await s.call('w', 'SELECT', '9');
      await s.call('w', 'FLUSHDB', 'ASYNC');
      await s.collect('a');
      await s.trackingInfo('w');
      // Keys left by a client that stopped tracking go too.
      await s.call('a', 'GET', 'a');
      await s.call('a', 'CLIENT', 'TRACKING', 'OFF');
      await s.trackingInfo('w');
      await s.call('w', 'FLUSHALL', 'ASYNC');
      await s.trackingInfo('w');
    });
  });

  it('INFO tracking fields count clients, keys, items and prefixes as Redis does', async () => {
    await sameSessions(async (s) => {
      for (const n of ['a', 'b', 'c', 'd', 'e', 'x']) await s.open(n);
      await s.trackingInfo('x');
      await s.call('a', 'CLIENT', 'TRACKING', 'ON');
      await s.call('a', 'CLIENT', 'TRACKING', 'ON');
      await s.call('a', 'MGET', 'k1', 'k2', 'k1');
      await s.call('b', 'CLIENT', 'TRACKING', 'ON');
      await s.call('b', 'GET', 'k1');
      await s.call('b', 'GET', 'k3');
      await s.trackingInfo('x');
      await s.call('b', 'CLIENT', 'TRACKING', 'OFF');
      await s.trackingInfo('x');
      await s.call('x', 'SET', 'k1', 'v');
      await s.trackingInfo('x');
      await s.close('a');
      await s.trackingInfo('x');
      await s.call('x', 'SET', 'k2', 'v');
      await s.trackingInfo('x');
      // BCAST: prefixes shared between clients count once; a client's go when it stops or leaves.
      await s.call('c', 'CLIENT', 'TRACKING', 'ON', 'BCAST');
      await s.trackingInfo('x');
      await s.call('c', 'CLIENT', 'TRACKING', 'OFF');
      await s.call('c', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'b');
      await s.call('d', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'a', 'PREFIX', 'c');
      await s.call('d', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'dd');
      await s.call('d', 'GET', 'a1');
      await s.trackingInfo('x');
      await s.call('d', 'CLIENT', 'TRACKINGINFO');
      await s.call('c', 'CLIENT', 'TRACKING', 'OFF');
      await s.trackingInfo('x');
      await s.close('d');
      await s.trackingInfo('x');
      // OPTIN / OPTOUT: only the reads CLIENT CACHING lets through.
      await s.call('e', 'CLIENT', 'TRACKING', 'ON', 'OPTIN');
      await s.call('e', 'GET', 'o1');
      await s.call('e', 'CLIENT', 'CACHING', 'YES');
      await s.call('e', 'GET', 'o2');
      await s.call('e', 'GET', 'o3');
      await s.trackingInfo('x');
      await s.call('e', 'CLIENT', 'TRACKING', 'OFF');
      await s.call('e', 'CLIENT', 'TRACKING', 'ON', 'OPTOUT');
      await s.call('e', 'GET', 'o4');
      await s.call('e', 'CLIENT', 'CACHING', 'NO');
      await s.call('e', 'GET', 'o5');
      await s.trackingInfo('x');
      // NOLOOP: its own write still removes the key.
      await s.call('e', 'CLIENT', 'TRACKING', 'OFF');
      await s.call('e', 'CLIENT', 'TRACKING', 'ON', 'NOLOOP');
      await s.call('e', 'GET', 'n1');
      await s.call('e', 'SET', 'n1', 'x');
      await s.trackingInfo('x');
      await s.call('e', 'GET', 'n1');
      await s.call('e', 'RESET');
      await s.trackingInfo('x');
      // Switching to BCAST: the keys read before stay until changed.
      await s.call('e', 'CLIENT', 'TRACKING', 'ON');
      await s.call('e', 'GET', 'n1');
      await s.call('e', 'CLIENT', 'TRACKING', 'OFF');
      await s.call('e', 'CLIENT', 'TRACKING', 'ON', 'BCAST');
      await s.trackingInfo('x');
      await s.call('x', 'SET', 'n1', 'y');
      await s.trackingInfo('x');
      await s.call('e', 'CLIENT', 'TRACKING', 'OFF');
    });
  });

  it('CLIENT CACHING is spent by the next command even when it is refused', async () => {
    await sameSessions(async (s) => {
      await s.open('a');
      await s.open('x');
      await s.call('a', 'CLIENT', 'TRACKING', 'ON', 'OPTIN');
      const between = [['FOO'], ['GET'], ['CLIENT', 'NOSUCH'], ['CLIENT'], ['CLIENT', 'ID', 'x'], ['CLIENT', 'CACHING', 'maybe'], ['CLIENT', 'GETREDIR'], ['PING']];
      for (let i = 0; i < between.length; i++) {
        await s.call('a', 'CLIENT', 'CACHING', 'YES');
        await s.call('a', ...(between[i] as string[]));
        await s.call('a', 'GET', `k${i}`);
        await s.trackingInfo('x');
      }
      // Inside MULTI the flag lasts until EXEC, whatever is refused meanwhile.
      await s.call('a', 'CLIENT', 'CACHING', 'YES');
      await s.call('a', 'MULTI');
      await s.call('a', 'GET');
      await s.call('a', 'GET', 'm1');
      await s.call('a', 'EXEC');
      await s.call('a', 'GET', 'm2');
      await s.trackingInfo('x');
      await s.call('a', 'CLIENT', 'CACHING', 'YES');
      await s.call('a', 'MULTI');
      await s.call('a', 'FOO');
      await s.call('a', 'EXEC', 'x');
      await s.call('a', 'GET', 'm3');
      await s.trackingInfo('x');
    });
  });

  it('tracking-table-max-keys: what is over the limit is gone before any client runs a command', async () => {
    // Redis forgets random keys: only how many is compared.
    const invalidations = (frames: string[]) => `${frames.filter((f) => f.startsWith('>2\r\n$10\r\ninvalidate')).length} invalidations, ${frames.length} frames`;
    await sameSessions(async (s) => {
      await s.open('a');
      await s.open('x');
      await s.call('x', 'CONFIG', 'SET', 'tracking-table-max-keys', '2');
      try {
        await s.call('a', 'HELLO', '3');
        await s.call('a', 'CLIENT', 'TRACKING', 'ON');
        await s.call('a', 'GET', 'k1');
        await s.call('a', 'GET', 'k2');
        await s.call('a', 'GET', 'k3');
        await s.trackingInfo('x');
        await s.collect('a', invalidations);
        await s.call('a', 'MGET', 'k4', 'k5', 'k6');
        await s.trackingInfo('x');
        await s.collect('a', invalidations);
        await s.call('a', 'MGET', 'k7', 'k8');
        await s.call('x', 'CONFIG', 'SET', 'tracking-table-max-keys', '1');
        await s.trackingInfo('x');
        await s.collect('a', invalidations);
        // With no client tracking, nothing is trimmed.
        await s.call('a', 'CLIENT', 'TRACKING', 'OFF');
        await s.call('x', 'CONFIG', 'SET', 'tracking-table-max-keys', '0');
        await s.call('a', 'CLIENT', 'TRACKING', 'ON');
        // Keys never read before: which one Redis kept earlier is random, and must not overlap.
        await s.call('a', 'MGET', 'n1', 'n2', 'n3');
        await s.call('a', 'CLIENT', 'TRACKING', 'OFF');
        await s.call('x', 'CONFIG', 'SET', 'tracking-table-max-keys', '1');
        await s.trackingInfo('x');
      } finally {
        await s.call('x', 'CONFIG', 'SET', 'tracking-table-max-keys', '1000000');
      }
    });
  });

  it('a broken redirection: broken_redirect and tracking-redir-broken when a message is due', async () => {
    await sameSessions(async (s) => {
      for (const n of ['a', 'x', 'r1', 'r2', 'r3', 'c']) await s.open(n);
      await s.call('a', 'HELLO', '3');
      await s.call('a', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', s.id('r1'));
      await s.call('a', 'GET', 'k');
      await s.close('r1');
      // Nothing is due yet: not broken.
      await s.call('a', 'CLIENT', 'TRACKINGINFO');
      await s.collect('a');
      await s.call('x', 'SET', 'k', '1');
      await s.collect('a');
      await s.call('a', 'CLIENT', 'TRACKINGINFO');
      await s.call('a', 'GET', 'k');
      await s.call('a', 'SET', 'k', '2');
      await s.collect('a');
      await s.call('a', 'GET', 'k');
      await s.call('x', 'DEL', 'k');
      await s.collect('a');
      await s.call('a', 'FLUSHALL');
      await s.collect('a');
      await s.call('x', 'FLUSHALL');
      await s.collect('a');
      // Turning tracking on again clears the flag.
      await s.call('a', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', s.id('r2'));
      await s.call('a', 'CLIENT', 'TRACKINGINFO');
      await s.call('a', 'CLIENT', 'TRACKING', 'OFF');
      await s.call('a', 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'z', 'REDIRECT', s.id('r2'));
      await s.close('r2');
      await s.call('a', 'CLIENT', 'TRACKINGINFO');
      await s.call('x', 'MSET', 'z1', '1', 'y1', '1');
      await s.collect('a');
      await s.call('a', 'CLIENT', 'TRACKINGINFO');
      await s.call('a', 'SET', 'z2', '2');
      await s.collect('a');
      await s.call('a', 'CLIENT', 'TRACKING', 'OFF');
      await s.call('a', 'CLIENT', 'TRACKINGINFO');
      // RESP2: the flag, and no message.
      await s.call('c', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', s.id('r3'));
      await s.call('c', 'GET', 'k');
      await s.close('r3');
      await s.call('x', 'SET', 'k', '1');
      await s.collect('c');
      await s.call('c', 'CLIENT', 'TRACKINGINFO');
      await s.call('c', 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', s.id('x'));
      await s.call('c', 'CLIENT', 'TRACKINGINFO');
      await s.call('c', 'CLIENT', 'TRACKING', 'OFF');
    });
  });

  it('RESP2 without redirect gets nothing; broken redirection is reported', async () => {
    await same([
      ['CLIENT', 'TRACKING', 'ON'], ['GET', 'k'], ['SET', 'k', 'v'], ['FLUSHALL'], ['CLIENT', 'TRACKINGINFO'],
    ]);
  });
});
