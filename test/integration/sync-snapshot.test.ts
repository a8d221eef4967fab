/**
 * SYNC after REPLCONF rdb-only 1 (what `redis-cli --rdb` sends): the snapshot waits for a
 * background job running to end, then goes out as `$<length>` and the file's bytes, read as the
 * socket takes them rather than held whole in memory.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { readRdb } from '../../src/persistence/rdb/index.js';

const servers: TestServer[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.stop();
});

async function server(options: Record<string, string> = {}): Promise<TestServer> {
  const s = await startTestServer(options);
  servers.push(s);
  return s;
}

/** A socket that sent REPLCONF rdb-only 1 and SYNC; its bytes are collected in `received`. */
async function syncing(port: number): Promise<{ socket: Socket; received: Buffer[] }> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  // SYNC once REPLCONF's reply has gone out: pipelined behind it, SYNC is refused (pending output).
  socket.write('*3\r\n$8\r\nREPLCONF\r\n$8\r\nrdb-only\r\n$1\r\n1\r\n');
  while (Buffer.concat(received).length < 5) await new Promise((resolve) => socket.once('data', resolve));
  socket.write('*1\r\n$4\r\nSYNC\r\n');
  return { socket, received };
}

/** The snapshot a SYNC answered, once the server closed the connection: `+OK`, then `$<length>` and the file. */
async function snapshotOf(connection: { socket: Socket; received: Buffer[] }): Promise<Buffer> {
  if (!connection.socket.closed) await new Promise((resolve) => connection.socket.once('close', resolve));
  const all = Buffer.concat(connection.received);
  const text = all.toString('latin1');
  // REPLCONF's +OK, the newlines a replica gets each second while it waits, then the length.
  const header = /^\+OK\r\n\n*\$(\d+)\r\n/.exec(text);
  expect(header).not.toBeNull();
  const headerEnd = (header as RegExpExecArray)[0].length - 2;
  const length = Number((header as RegExpExecArray)[1]);
  const payload = all.subarray(headerEnd + 2);
  expect(payload.length).toBe(length);
  return payload;
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\r$`, 'm').exec(info)?.[1];
}

describe('SYNC for redis-cli --rdb', () => {
  it.each([
    ['BGSAVE', 'Background saving started', 'rdb_bgsave_in_progress'],
    ['BGREWRITEAOF', 'Background append only file rewriting started', 'aof_rewrite_in_progress'],
  ])('arriving while a %s runs, waits for it to end, then sends a snapshot taken after it', { timeout: 30_000 }, async (job, started, inProgress) => {
    const s = await server(job === 'BGREWRITEAOF' ? { appendonly: 'yes' } : {});
    const c = await s.raw();
    await c.call('MSET', ...Array.from({ length: 300 }, (_, i) => [`k:${i}`, 'v']).flat());
    if (job === 'BGREWRITEAOF') {
      // The rewrite that turning the AOF on started is over.
      while (infoField((await c.call('INFO', 'persistence')) as string, inProgress) !== '0') await new Promise((r) => setTimeout(r, 20));
    }
    // About a millisecond per key: the job runs for a while.
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000');
    expect(await c.call(job)).toBe(started);
    const sync = await syncing(s.port);
    // Written while the job runs: in the SYNC's snapshot, which starts after it.
    expect(await c.call('SET', 'during-job', 'x')).toBe('OK');
    expect(infoField((await c.call('INFO', 'persistence')) as string, inProgress)).toBe('1');
    // Nothing but REPLCONF's +OK has come yet.
    expect(Buffer.concat(sync.received).toString('latin1')).toBe('+OK\r\n');
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
    const payload = await snapshotOf(sync);
    // A rewrite still finishes its file after the point-in-time walk that the snapshot waited for.
    if (job === 'BGSAVE') expect(infoField((await c.call('INFO', 'persistence')) as string, inProgress)).toBe('0');
    const keys = readRdb(payload, { databases: 16 }).databases.get(0);
    expect(keys?.size).toBe(301);
    expect(keys?.has('during-job')).toBe(true);
  });

  it('started by two SYNCs waiting for the same BGSAVE, are taken one after the other, each at its own point in time', { timeout: 30_000 }, async () => {
    const s = await server();
    const c = await s.raw();
    await c.call('MSET', ...Array.from({ length: 300 }, (_, i) => [`k:${i}`, 'v']).flat());
    // About a millisecond per key: each snapshot runs for a while.
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000');
    expect(await c.call('BGSAVE')).toBe('Background saving started');
    const first = await syncing(s.port);
    const second = await syncing(s.port);
    await c.call('PING');
    while (infoField((await c.call('INFO', 'persistence')) as string, 'rdb_bgsave_in_progress') !== '0') await new Promise((r) => setTimeout(r, 10));
    // The BGSAVE is over and the first SYNC's snapshot is being written: the second waits for it.
    expect(await c.call('SET', 'between', 'x')).toBe('OK');
    const firstKeys = readRdb(await snapshotOf(first), { databases: 16 }).databases.get(0);
    const secondKeys = readRdb(await snapshotOf(second), { databases: 16 }).databases.get(0);
    expect([firstKeys?.size, firstKeys?.has('between')]).toEqual([300, false]);
    expect([secondKeys?.size, secondKeys?.has('between')]).toEqual([301, true]);
  });

  it('streams a large snapshot as the client reads it, without holding it whole as output', { timeout: 60_000 }, async () => {
    const s = await server();
    const c = await s.raw();
    // 24 MB of values that do not compress.
    for (let i = 0; i < 24; i++) {
      const value = Buffer.alloc(1024 * 1024);
      for (let j = 0; j < value.length; j += 4) value.writeUInt32LE((Math.imul(j + 1, 2654435761) ^ (i * 7919)) >>> 0, j);
      await c.call('SET', `big:${i}`, value.toString('latin1'));
    }
    const observer = await RawClient.connect(s.port);
    const sync = await syncing(s.port);
    sync.socket.pause();
    // Until the transfer has begun and the client's socket is full.
    let line = '';
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      const list = (await observer.call('CLIENT', 'LIST')) as string;
      line = list.split('\n').find((l) => / cmd=sync /.test(l)) ?? '';
      if (line.includes('events=rw')) break;
    }
    expect(line).toContain('events=rw');
    // What waits in the server for this client is a chunk or two of the file, not the snapshot.
    const omem = Number(/ omem=(\d+)/.exec(line)?.[1]);
    const total = Number(/ tot-mem=(\d+)/.exec(line)?.[1]);
    expect(omem).toBeLessThan(1024 * 1024);
    expect(total).toBeLessThan(2 * 1024 * 1024);
    observer.close();
    sync.socket.resume();
    const payload = await snapshotOf(sync);
    expect(payload.length).toBeGreaterThan(24 * 1024 * 1024);
    const keys = readRdb(payload, { databases: 16 }).databases.get(0);
    expect(keys?.size).toBe(24);
  });
});
