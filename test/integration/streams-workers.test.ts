/**
 * Streams as a job queue: a producer, several consumers of one group blocking in XREADGROUP,
 * a consumer that crashes holding jobs, and a recovery that claims what it held. Every job is
 * processed and acknowledged exactly once, and the group ends with nothing pending.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { RespValue } from '../helpers/resp.js';

type Entry = [string, string[]];
type ReadReply = Array<[string, Entry[]]> | null;

function entriesOf(reply: RespValue): Entry[] {
  const streams = reply as ReadReply;
  if (streams === null) return [];
  return streams.flatMap(([, entries]) => entries);
}

describe('a stream as a job queue with consumer groups', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('processes every job exactly once with several workers, a crash and a recovery', async () => {
    const JOBS = 600;
    const admin = await server.raw();
    expect(await admin.call('XGROUP', 'CREATE', 'jobs', 'workers', '$', 'MKSTREAM')).toBe('OK');
    const processed = new Map<string, number>();
    const acknowledged = new Map<string, number>();
    let producing = true;

    /** Processes a batch: counts each job, acknowledges it, counts the acknowledgement. */
    const work = async (c: RawClient, entries: Entry[]): Promise<void> => {
      for (const [id, fields] of entries) {
        expect(fields[0]).toBe('job');
        processed.set(id, (processed.get(id) ?? 0) + 1);
        const acked = (await c.call('XACK', 'jobs', 'workers', id)) as number;
        acknowledged.set(id, (acknowledged.get(id) ?? 0) + acked);
      }
    };

    const worker = async (name: string): Promise<void> => {
      const c = await RawClient.connect(server.port);
      try {
        for (;;) {
          const entries = entriesOf(await c.call('XREADGROUP', 'GROUP', 'workers', name, 'COUNT', '7', 'BLOCK', '50', 'STREAMS', 'jobs', '>'));
          if (entries.length === 0 && !producing) {
            // Nothing came for a while and the producer is done: check once more, then stop.
            const last = entriesOf(await c.call('XREADGROUP', 'GROUP', 'workers', name, 'STREAMS', 'jobs', '>'));
            if (last.length === 0) return;
            await work(c, last);
            continue;
          }
          await work(c, entries);
        }
      } finally {
        c.close();
      }
    };

    const producer = await RawClient.connect(server.port);
    const produce = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) await producer.call('XADD', 'jobs', '*', 'job', String(i));
    };
    await produce(0, 100);
    // A worker that takes jobs and dies without acknowledging them.
    const crashing = await RawClient.connect(server.port);
    const doomed = entriesOf(await crashing.call('XREADGROUP', 'GROUP', 'workers', 'doomed', 'COUNT', '25', 'STREAMS', 'jobs', '>'));
    expect(doomed.length).toBe(25);
    crashing.close();
    const workers = ['w1', 'w2', 'w3', 'w4'].map((name) => worker(name));
    await produce(100, JOBS);
    producer.close();
    producing = false;
    await Promise.all(workers);

    // The dead consumer's jobs are still pending: the recovery claims them by name and does them.
    const pending = (await admin.call('XPENDING', 'jobs', 'workers', '-', '+', '1000', 'doomed')) as Array<[string, string, number, number]>;
    expect(pending.map((p) => p[0])).toEqual(doomed.map(([id]) => id));
    const claimed = (await admin.call('XCLAIM', 'jobs', 'workers', 'rescuer', '0', ...pending.map((p) => p[0]))) as Entry[];
    expect(claimed.length).toBe(25);
    await work(admin, claimed);
    expect(await admin.call('XGROUP', 'DELCONSUMER', 'jobs', 'workers', 'doomed')).toBe(0);

    const ids = (await admin.call('XRANGE', 'jobs', '-', '+') as Entry[]).map(([id]) => id);
    expect(ids.length).toBe(JOBS);
    for (const id of ids) {
      expect(processed.get(id), id).toBe(1);
      expect(acknowledged.get(id), id).toBe(1);
    }
    expect(processed.size).toBe(JOBS);
    expect(await admin.call('XPENDING', 'jobs', 'workers')).toEqual([0, null, null, null]);
    const [group] = (await admin.call('XINFO', 'GROUPS', 'jobs')) as RespValue[][];
    expect(group).toEqual(['name', 'workers', 'consumers', 5, 'pending', 0, 'last-delivered-id', ids[ids.length - 1], 'entries-read', JOBS, 'lag', 0]);
  });

  it('a consumer group life cycle: read, crash, claim by idle time, autoclaim, acknowledge', async () => {
    const c = await server.raw();
    await c.call('DEL', 'life');
    for (let i = 1; i <= 10; i++) await c.call('XADD', 'life', `${i}-0`, 'n', String(i));
    await c.call('XGROUP', 'CREATE', 'life', 'g', '0');
    // alice reads everything, acknowledges two, then "crashes".
    expect(entriesOf(await c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'life', '>')).length).toBe(10);
    expect(await c.call('XACK', 'life', 'g', '1-0', '2-0')).toBe(2);
    // Too early to claim with a long minimum idle time.
    expect(await c.call('XCLAIM', 'life', 'g', 'bob', '3600000', '3-0', '4-0')).toEqual([]);
    // Idle long enough: bob takes two (their idle time starts again), carol the others that are
    // idle as long. The margins are wide: only a stall of 300 ms between two commands would matter.
    await new Promise((r) => setTimeout(r, 400));
    expect((await c.call('XCLAIM', 'life', 'g', 'bob', '300', '3-0', '4-0', 'JUSTID'))).toEqual(['3-0', '4-0']);
    // An entry deleted meanwhile: XAUTOCLAIM drops it from the PEL and reports it.
    await c.call('XDEL', 'life', '6-0');
    const [cursor, claimed, deleted] = (await c.call('XAUTOCLAIM', 'life', 'g', 'carol', '300', '0', 'COUNT', '3')) as [string, Entry[], string[]];
    expect(claimed.map(([id]) => id)).toEqual(['5-0', '7-0']);
    expect(deleted).toEqual(['6-0']);
    expect(cursor).toBe('8-0');
    const rest = (await c.call('XAUTOCLAIM', 'life', 'g', 'carol', '0', cursor)) as [string, Entry[], string[]];
    expect(rest[0]).toBe('0-0');
    expect(rest[1].map(([id]) => id)).toEqual(['8-0', '9-0', '10-0']);
    // History reads of a consumer deliver again and count it.
    const history = entriesOf(await c.call('XREADGROUP', 'GROUP', 'g', 'carol', 'STREAMS', 'life', '0'));
    expect(history.map(([id]) => id)).toEqual(['5-0', '7-0', '8-0', '9-0', '10-0']);
    const counts = (await c.call('XPENDING', 'life', 'g', '-', '+', '10')) as Array<[string, string, number, number]>;
    expect(counts.map(([id, consumer, , n]) => `${id}:${consumer}:${n}`)).toEqual(['3-0:bob:1', '4-0:bob:1', '5-0:carol:3', '7-0:carol:3', '8-0:carol:3', '9-0:carol:3', '10-0:carol:3']);
    expect(await c.call('XACK', 'life', 'g', '3-0', '4-0', '5-0', '7-0', '8-0', '9-0', '10-0')).toBe(7);
    expect(await c.call('XPENDING', 'life', 'g')).toEqual([0, null, null, null]);
    const consumers = (await c.call('XINFO', 'CONSUMERS', 'life', 'g')) as RespValue[][];
    expect(consumers.map((entry) => `${String(entry[1])}:${String(entry[3])}`)).toEqual(['alice:0', 'bob:0', 'carol:0']);
  });
});
