/**
 * connect-redis as express-session's store (node-redis client), on nodis and on real Redis:
 * sessions created over HTTP, their TTL, touch on each request, destroy, and the store's
 * listing calls.
 */
import type { AddressInfo } from 'node:net';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { libraryServers, type Target } from '../helpers/libraries.js';
import { oracleAvailable } from '../helpers/oracle.js';

const hasOracle = oracleAvailable();

declare module 'express-session' {
  interface SessionData {
    views: number;
  }
}

async function sessionScenario(target: Target) {
  const client = createClient({ socket: { host: target.host, port: target.port, reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  await client.flushAll();
  const store = new RedisStore({ client, prefix: 'sess:', ttl: 100 });
  const app = express();
  app.use(session({ store, secret: 'test secret', resave: false, saveUninitialized: false, rolling: false }));
  app.get('/view', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1;
    res.json({ views: req.session.views });
  });
  app.get('/peek', (req, res) => res.json({ views: req.session.views ?? 0 }));
  app.get('/logout', (req, res) => req.session.destroy(() => res.json({ destroyed: true })));
  const http = app.listen(0, '127.0.0.1');
  await new Promise((r) => http.once('listening', r));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  try {
    const first = await fetch(`${base}/view`);
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    const get = async (path: string) => (await fetch(`${base}${path}`, { headers: { cookie } })).json() as Promise<Record<string, unknown>>;
    const views = [await first.json(), await get('/view'), await get('/view')];
    const keys = await client.keys('sess:*');
    const ttl = await client.ttl(keys[0]!);
    // Lower the TTL by hand: a read-only request touches the session (resave false), which resets it.
    await client.expire(keys[0]!, 10);
    const peek = await get('/peek');
    const touchedTtl = await client.ttl(keys[0]!);
    const length = await store.length();
    const ids = await store.ids();
    const all = (await store.all()) as Array<{ views: number }>;
    const logout = await get('/logout');
    const afterLogout = { keys: await client.keys('sess:*'), peek: await get('/peek') };
    return { views, sessions: keys.length, ttlSet: ttl > 90 && ttl <= 100, peek, touched: touchedTtl > 90, length, ids: ids.length, allViews: all.map((s) => s.views), logout, afterLogout };
  } finally {
    http.close();
    await client.close();
  }
}

describe.skipIf(!hasOracle)('connect-redis with express-session against nodis and Redis', { timeout: 120_000 }, () => {
  const servers = libraryServers();

  it('stores sessions with a TTL, touches them on each request, lists and destroys them', async () => {
    const { nodis, redis } = await servers.both(sessionScenario);
    expect(nodis).toEqual({
      views: [{ views: 1 }, { views: 2 }, { views: 3 }],
      sessions: 1,
      ttlSet: true,
      peek: { views: 3 },
      touched: true,
      length: 1,
      ids: 1,
      allViews: [3],
      logout: { destroyed: true },
      afterLogout: { keys: [], peek: { views: 0 } },
    });
    expect(nodis).toEqual(redis);
  });
});
