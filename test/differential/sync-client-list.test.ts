/**
 * The client of `redis-cli --rdb` (REPLCONF rdb-only 1, then SYNC) in CLIENT LIST, while its
 * snapshot is written and while it goes out to a reader that does not read: flag S and type
 * replica, as Redis shows a replica, with the preamble (`$<length>`) outside the reply buffer;
 * and INFO replication lists it (connected_slaves, slave0 with what REPLCONF announced).
 */
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

type Fields = Record<string, string>;

/** The fields that depend on the connection, the clock or the allocator (Redis trims an idle client's query buffer). */
const MASKED = ['id', 'addr', 'laddr', 'fd', 'age', 'idle', 'qbuf-free', 'tot-mem'];

function parseLine(line: string): Fields {
  const fields: Fields = {};
  for (const pair of line.split(' ')) {
    const eq = pair.indexOf('=');
    if (!MASKED.includes(pair.slice(0, eq))) fields[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return fields;
}

async function listed(observer: RawClient, name: string, ...filter: string[]): Promise<Fields | undefined> {
  const reply = (await observer.call('CLIENT', 'LIST', ...filter)) as string;
  const line = reply.split('\n').find((l) => l.includes(` name=${name} `));
  return line === undefined ? undefined : parseLine(line);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** INFO replication's lines about replicas. */
async function replicaLines(observer: RawClient): Promise<string[]> {
  const info = (await observer.call('INFO', 'replication')) as string;
  return info.split('\r\n').filter((line) => line.startsWith('connected_slaves:') || line.startsWith('slave'));
}

interface Seen {
  infoWaiting: string[];
  infoSending: string[];
  infoAfter: string[];
  waiting: Fields | undefined;
  sending: Fields | undefined;
  replicaTypeWhileSending: Fields | undefined;
  normalTypeWhileSending: Fields | undefined;
  afterTransfer: Fields | undefined;
}

/** What CLIENT LIST shows of a syncing client that reads nothing until the transfer is under way. */
async function observe(port: number): Promise<Seen> {
  const observer = await RawClient.connect(port);
  const syncer = await RawClient.connect(port);
  try {
    // Big enough, uncompressed, to fill the socket buffers of a reader that does not read.
    expect(await observer.call('CONFIG', 'SET', 'rdbcompression', 'no')).toBe('OK');
    const value = 'v'.repeat(64 * 1024);
    for (let batch = 0; batch < 8; batch++) {
      const pairs = Array.from({ length: 50 }, (_, i) => [`key:${batch}:${i}`, value]).flat();
      expect(await observer.call('MSET', ...pairs)).toBe('OK');
    }
    // About a second of snapshot writing: the client is seen waiting for it.
    expect(await observer.call('CONFIG', 'SET', 'rdb-key-save-delay', '2500')).toBe('OK');
    expect(await syncer.call('CLIENT', 'SETNAME', 'syncer')).toBe('OK');
    expect(await syncer.call('REPLCONF', 'rdb-only', '1')).toBe('OK');
    expect(await syncer.call('REPLCONF', 'listening-port', '4294967297', 'ip-address', 'replica.example')).toBe('OK');
    expect(await syncer.callRaw('REPLCONF', 'ip-address', 'x'.repeat(256))).toBe('-ERR REPLCONF ip-address provided by replica instance is too long: 256 bytes\r\n');
    syncer.pause();
    syncer.send('SYNC');
    await sleep(200);
    const waiting = await listed(observer, 'syncer');
    const infoWaiting = await replicaLines(observer);
    expect(await observer.call('CONFIG', 'SET', 'rdb-key-save-delay', '0')).toBe('OK');
    // Then the transfer, stalled by the reader: Redis waits for the socket to take more (events=rw).
    let sending: Fields | undefined;
    for (let tries = 0; tries < 300; tries++) {
      sending = await listed(observer, 'syncer');
      if (sending?.events === 'rw') break;
      await sleep(50);
    }
    const replicaTypeWhileSending = await listed(observer, 'syncer', 'TYPE', 'replica');
    const normalTypeWhileSending = await listed(observer, 'syncer', 'TYPE', 'normal');
    const infoSending = await replicaLines(observer);
    syncer.resume();
    await syncer.waitClosed(30_000);
    const afterTransfer = await listed(observer, 'syncer');
    const infoAfter = await replicaLines(observer);
    return { infoWaiting, infoSending, infoAfter, waiting, sending, replicaTypeWhileSending, normalTypeWhileSending, afterTransfer };
  } finally {
    observer.close();
    syncer.close();
  }
}

/**
 * Runs `during` with a client that asked for a snapshot (`request`) which a save delay keeps
 * being written, then lifts the delay and waits for the transfer to end; gives what `during`
 * returned and all the client received.
 */
async function withSlowSnapshot<T>(port: number, request: string[], keyDelayUs: string, during: (syncer: RawClient) => Promise<T>): Promise<[T, string]> {
  const observer = await RawClient.connect(port);
  const syncer = await RawClient.connect(port);
  try {
    expect(await observer.call('FLUSHALL')).toBe('OK');
    expect(await observer.call('MSET', ...Array.from({ length: 300 }, (_, i) => [`k:${i}`, 'v']).flat())).toBe('OK');
    expect(await observer.call('CONFIG', 'SET', 'rdb-key-save-delay', keyDelayUs)).toBe('OK');
    expect(await syncer.call('REPLCONF', 'rdb-only', '1')).toBe('OK');
    syncer.send(...request);
    const result = await during(syncer);
    expect(await observer.call('CONFIG', 'SET', 'rdb-key-save-delay', '0')).toBe('OK');
    await syncer.waitClosed(20_000);
    return [result, syncer.rest()];
  } finally {
    observer.close();
    syncer.close();
  }
}

describe.skipIf(!hasOracle)('the client of redis-cli --rdb in CLIENT LIST', () => {
  const pair = differentialPair({ redis: ['--repl-diskless-sync', 'no'] });

  it('is a replica (flag S) while its snapshot is written and sent, and is gone after', { timeout: 60_000 }, async () => {
    const [nodis, redis] = await Promise.all([observe(pair.nodis.port), observe(pair.redis.port)]);
    expect(redis.waiting?.flags).toBe('S');
    expect(redis.sending?.events).toBe('rw');
    expect(redis.infoSending[1]).toBe('slave0:ip=replica.example,port=1,state=send_bulk,offset=0,lag=0');
    expect(nodis).toEqual(redis);
  });

  it('is refused when pipelined behind a reply not written yet, as Redis refuses it', async () => {
    const steps = [{ raw: '*3\r\n$8\r\nREPLCONF\r\n$8\r\nrdb-only\r\n$1\r\n1\r\n*1\r\n$4\r\nSYNC\r\n' }];
    const [result] = await pair.run(steps);
    expect(result?.redis).toBe('+OK\r\n');
    expect(result?.nodis).toBe(result?.redis);
    // The refusal follows REPLCONF's +OK, and the connection stays usable.
    const both = await pair.run([{ raw: '*3\r\n$8\r\nREPLCONF\r\n$8\r\nrdb-only\r\n$1\r\n1\r\n*1\r\n$4\r\nSYNC\r\n*1\r\n$4\r\nPING\r\n' }, ['PING']]);
    expect(both.map((r) => r.nodis)).toEqual(both.map((r) => r.redis));
  });

  it('PSYNC with an offset that is not an integer is refused, and the connection stays usable', async () => {
    const results = await pair.run([['REPLCONF', 'rdb-only', '1'], ['PSYNC', '?', 'abc'], ['PSYNC', '?', '99999999999999999999'], ['PSYNC', '?', '1.5'], ['PING']]);
    expect(results.map((r) => r.nodis)).toEqual(results.map((r) => r.redis));
    expect(results[1]?.redis).toBe('-ERR value is not an integer or out of range\r\n');
  });

  it('PSYNC answers +FULLRESYNC as the snapshot starts, before the snapshot is written', { timeout: 30_000 }, async () => {
    const early = async (port: number): Promise<string> =>
      (await withSlowSnapshot(port, ['PSYNC', '?', '-1'], '5000', async (syncer) => {
        await sleep(300);
        // The replication ID and offset are the server's own.
        // (Newlines after it are the keepalives a waiting replica gets each second: tested below.)
        return syncer.rest().replace(/^\+FULLRESYNC [0-9a-f]{40} \d+\r\n\n*$/, '+FULLRESYNC <id> <offset>\r\n');
      }))[0];
    const [nodis, redis] = await Promise.all([early(pair.nodis.port), early(pair.redis.port)]);
    expect(redis).toBe('+FULLRESYNC <id> <offset>\r\n');
    expect(nodis).toBe(redis);
  });

  it('sends a waiting replica a newline each second until its snapshot is sent', { timeout: 30_000 }, async () => {
    const keepalives = async (port: number): Promise<{ newlines: number; then: string }> => {
      const [waiting, all] = await withSlowSnapshot(port, ['SYNC'], '10000', async (syncer) => {
        await sleep(2600);
        return syncer.rest();
      });
      const after = all.slice(waiting.length);
      return { newlines: /^\n*$/.test(waiting) ? waiting.length : -1, then: after.replace(/^\n*\$\d+\r\nREDIS[\s\S]*$/, '$<length> REDIS…') };
    };
    const [nodis, redis] = await Promise.all([keepalives(pair.nodis.port), keepalives(pair.redis.port)]);
    // Two or three newlines in 2.6 s, depending on where the second falls (Redis's cron is not
    // in step with the request), and nothing else before the snapshot.
    expect(redis.newlines).toBeGreaterThanOrEqual(2);
    expect(nodis.newlines).toBeGreaterThanOrEqual(2);
    expect(nodis.newlines).toBeLessThanOrEqual(3);
    expect(nodis.then).toBe('$<length> REDIS…');
    expect(nodis.then).toBe(redis.then);
  });
});

