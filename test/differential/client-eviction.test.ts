import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import { infoNumber } from '../helpers/memory.js';
import { setBudget } from '../helpers/eviction.js';
import { startNodisProcess, type NodisProcess } from '../helpers/nodis-process.js';

const hasOracle = oracleAvailable();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The names of the connected clients, from CLIENT LIST. */
async function clientNames(observer: RawClient): Promise<string[]> {
  const list = (await observer.call('CLIENT', 'LIST')) as string;
  return [...list.matchAll(/ name=(\S*) /g)].map((m) => m[1] as string);
}

/** Polls (up to 20 s) until `name` is no longer connected; returns whether it went. */
async function untilGone(observer: RawClient, name: string): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (!(await clientNames(observer)).includes(name)) return true;
    await sleep(50);
  }
  return false;
}

async function named(port: number, name: string, noEvict: boolean): Promise<RawClient> {
  const client = await RawClient.connect(port);
  expect(await client.call('CLIENT', 'SETNAME', name)).toBe('OK');
  if (noEvict) expect(await client.call('CLIENT', 'NO-EVICT', 'on')).toBe('OK');
  return client;
}

/** A value whose GET replies pile up fast in a client that does not read them. */
const BIG = 200_000;
const GETS = 200;

describe.skipIf(!hasOracle)('differential: CLIENT NO-EVICT and maxmemory-clients (client eviction)', () => {
  const servers = differentialPair();
  const opened: RawClient[] = [];
  const connect = async (port: number, name: string, noEvict: boolean): Promise<RawClient> => {
    const client = await named(port, name, noEvict);
    opened.push(client);
    return client;
  };
  afterEach(async () => {
    for (const c of opened.splice(0)) c.close();
    for (const port of [servers.nodis.port, servers.redis.port]) {
      const admin = await RawClient.connect(port);
      await admin.call('CONFIG', 'SET', 'maxmemory-clients', '0');
      await admin.call('FLUSHALL');
      admin.close();
    }
  });

  it('CLIENT NO-EVICT sets and clears the e flag, which RESET keeps; its arguments are checked', async () => {
    const flags = async (port: number): Promise<string[]> => {
      const c = await RawClient.connect(port);
      opened.push(c);
      const seen: string[] = [];
      const flagOf = async (): Promise<string> => /flags=(\S+)/.exec((await c.call('CLIENT', 'INFO')) as string)?.[1] ?? '?';
      seen.push(await flagOf());
      seen.push(String(await c.call('CLIENT', 'NO-EVICT', 'on')), await flagOf());
      seen.push(String(await c.call('RESET')), await flagOf());
      seen.push(String(await c.call('CLIENT', 'NO-EVICT', 'OFF')), await flagOf());
      // CLIENT LIST shows it to others too.
      await c.call('CLIENT', 'SETNAME', 'flagged');
      await c.call('CLIENT', 'NO-EVICT', 'on');
      const list = (await c.call('CLIENT', 'LIST')) as string;
      seen.push(/name=flagged .*?flags=(\S+)/.exec(list)?.[1] ?? '?');
      return seen;
    };
    const [mine, theirs] = await Promise.all([flags(servers.nodis.port), flags(servers.redis.port)]);
    expect(mine).toEqual(theirs);
    expect(theirs).toEqual(['N', 'OK', 'e', 'RESET', 'e', 'OK', 'N', 'e']);
    await servers.same([
      ['CLIENT', 'NO-EVICT', 'maybe'],
      ['CLIENT', 'NO-EVICT'],
      ['CLIENT', 'NO-EVICT', 'on', 'off'],
      ['CONFIG', 'SET', 'maxmemory-clients', '1000'],
      ['CONFIG', 'GET', 'maxmemory-clients'],
      ['CONFIG', 'SET', 'maxmemory-clients', '5%'],
      ['CONFIG', 'GET', 'maxmemory-clients'],
      ['CONFIG', 'SET', 'maxmemory-clients', '0'],
    ]);
  });

  it('disconnects a client whose unread replies pile up; a NO-EVICT one survives with every reply; evicted_clients counts it', async () => {
    const run = async (port: number) => {
      const observer = await connect(port, 'observer', true);
      await observer.call('SET', 'big', 'x'.repeat(BIG));
      const victim = await connect(port, 'victim', false);
      const kept = await connect(port, 'kept', true);
      const evictedBefore = await infoNumber(observer, 'stats', 'evicted_clients');
      expect(await observer.call('CONFIG', 'SET', 'maxmemory-clients', '4mb')).toBe('OK');
      // Neither reads: their replies (40 MB each) fill the sockets, then the server's buffers.
      victim.pause();
      kept.pause();
      for (let i = 0; i < GETS; i++) victim.send('GET', 'big');
      const victimGone = await untilGone(observer, 'victim');
      for (let i = 0; i < GETS; i++) kept.send('GET', 'big');
      // The kept client's memory stays over the limit until it reads; nothing else can go.
      await sleep(300);
      const namesWhileOver = (await clientNames(observer)).sort();
      kept.resume();
      let complete = 0;
      for (let i = 0; i < GETS; i++) if (((await kept.read(30_000)) as string).length === BIG) complete++;
      const evicted = (await infoNumber(observer, 'stats', 'evicted_clients')) - evictedBefore;
      return { victimGone, namesWhileOver, complete, evicted, keptAnswers: await kept.call('PING') };
    };
    const [mine, theirs] = await Promise.all([run(servers.nodis.port), run(servers.redis.port)]);
    expect(mine).toEqual(theirs);
    expect(theirs).toEqual({ victimGone: true, namesWhileOver: ['kept', 'observer'], complete: GETS, evicted: 1, keptAnswers: 'PONG' });
  });

  it('disconnects a client reading a big argument (its query buffer), not while maxmemory-clients is 0', async () => {
    const run = async (port: number) => {
      const observer = await connect(port, 'observer', true);
      const evictedBefore = await infoNumber(observer, 'stats', 'evicted_clients');
      // A 20 MB bulk announced, 100 KB of it sent: Redis sizes the query buffer for the whole argument.
      const header = '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20000000\r\n';
      const unlimited = await connect(port, 'unlimited', false);
      unlimited.write(header + 'x'.repeat(100_000));
      await sleep(300);
      const stillThere = (await clientNames(observer)).includes('unlimited');
      unlimited.close();
      await untilGone(observer, 'unlimited');
      const reader = await connect(port, 'reader', false);
      expect(await observer.call('CONFIG', 'SET', 'maxmemory-clients', '2mb')).toBe('OK');
      reader.write(header + 'x'.repeat(100_000));
      const readerGone = await untilGone(observer, 'reader');
      const evicted = (await infoNumber(observer, 'stats', 'evicted_clients')) - evictedBefore;
      return { stillThere, readerGone, evicted, observerAnswers: await observer.call('PING') };
    };
    const [mine, theirs] = await Promise.all([run(servers.nodis.port), run(servers.redis.port)]);
    expect(mine).toEqual(theirs);
    expect(theirs).toEqual({ stillThere: true, readerGone: true, evicted: 1, observerAnswers: 'PONG' });
  });

  it('a client without NO-EVICT goes when others hold the memory; CLIENT NO-EVICT off makes one evictable again', async () => {
    const run = async (port: number) => {
      const observer = await connect(port, 'observer', true);
      await observer.call('SET', 'big', 'x'.repeat(BIG));
      const holder = await connect(port, 'holder', true);
      const idle = await connect(port, 'idle', false);
      const evictedBefore = await infoNumber(observer, 'stats', 'evicted_clients');
      expect(await observer.call('CONFIG', 'SET', 'maxmemory-clients', '4mb')).toBe('OK');
      holder.pause();
      for (let i = 0; i < GETS; i++) holder.send('GET', 'big');
      // The idle client uses little, but is the only one that may go.
      const idleGone = await untilGone(observer, 'idle');
      let idleReply: unknown;
      try {
        idleReply = await idle.call('PING');
      } catch {
        idleReply = 'closed';
      }
      // Then the holder itself, once it may be evicted.
      holder.resume();
      // Its replies drain; it turns NO-EVICT off and piles up replies again.
      for (let i = 0; i < GETS; i++) await holder.read(30_000);
      expect(await holder.call('CLIENT', 'NO-EVICT', 'off')).toBe('OK');
      holder.pause();
      for (let i = 0; i < GETS; i++) holder.send('GET', 'big');
      const holderGone = await untilGone(observer, 'holder');
      const evicted = (await infoNumber(observer, 'stats', 'evicted_clients')) - evictedBefore;
      return { idleReply, idleGone, holderGone, evicted };
    };
    const [mine, theirs] = await Promise.all([run(servers.nodis.port), run(servers.redis.port)]);
    expect(mine).toEqual(theirs);
    expect(theirs).toEqual({ idleReply: 'closed', idleGone: true, holderGone: true, evicted: 2 });
  });
});

describe.skipIf(!hasOracle)("differential: the clients' buffers count toward maxmemory", () => {
  // nodis as its own process (with bin/nodis-server's node flags), so that its memory figure is its own.
  let nodis: NodisProcess | undefined;
  let redis: Oracle | undefined;
  beforeAll(async () => {
    [nodis, redis] = await Promise.all([startNodisProcess([], ['--max-semi-space-size=2']), startOracle()]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([nodis?.stop(), redis?.stop()]);
  });

  it('unread replies take memory over maxmemory: writes answer OOM until the client reads them', async () => {
    const run = async (port: number) => {
      const writer = await RawClient.connect(port);
      const reader = await RawClient.connect(port);
      try {
        await writer.call('SET', 'big', 'x'.repeat(BIG));
        await setBudget(writer, 'noeviction', 8 * 1024 * 1024);
        const canWrite = async (): Promise<boolean> => {
          const reply = await writer.call('SET', 'probe', 'x');
          if (reply === 'OK') return true;
          expect(reply).toEqual({ error: "OOM command not allowed when used memory > 'maxmemory'." });
          return false;
        };
        const before = await canWrite();
        // 60 MB of replies the reader does not read.
        reader.pause();
        for (let i = 0; i < 300; i++) reader.send('GET', 'big');
        let refused = false;
        for (const deadline = Date.now() + 20_000; !refused && Date.now() < deadline; await sleep(50)) refused = !(await canWrite());
        reader.resume();
        for (let i = 0; i < 300; i++) await reader.read(30_000);
        let writesAgain = false;
        for (const deadline = Date.now() + 20_000; !writesAgain && Date.now() < deadline; await sleep(50)) writesAgain = await canWrite();
        return { before, refused, writesAgain };
      } finally {
        await writer.call('CONFIG', 'SET', 'maxmemory', '0');
        writer.close();
        reader.close();
      }
    };
    const [mine, theirs] = await Promise.all([run((nodis as NodisProcess).port), run((redis as Oracle).port)]);
    expect(mine).toEqual(theirs);
    expect(theirs).toEqual({ before: true, refused: true, writesAgain: true });
  }, 60_000);
});
