import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readIntoSharedBuffer, sharedReadBuffer } from '../../src/net/shared-read-buffer.js';
import { encodeCommand } from '../helpers/resp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** A seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });
}

/** Resolves once `socket` has received `bytes` bytes in all. */
function receive(socket: net.Socket, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  return new Promise((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= bytes) resolve(Buffer.concat(chunks));
    });
  });
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('reads into the shared buffer', () => {
  let server: TestServer | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  it('switches an accepted socket of this Node to reading into the shared buffer', async () => {
    const seen: string[] = [];
    const listener = net.createServer({ pauseOnConnect: true }, (socket) => {
      const switched = readIntoSharedBuffer(socket, (chunk) => {
        expect(chunk.buffer).toBe(sharedReadBuffer.buffer);
        seen.push(chunk.toString('latin1'));
      });
      expect(switched).toBe(true);
      socket.resume();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as net.AddressInfo).port;
    const socket = await connect(port);
    socket.write('hello');
    while (seen.join('') !== 'hello') await turn();
    socket.destroy();
    await new Promise((resolve) => listener.close(resolve));
  });

  it('gives every connection its own bytes while reads of many interleave, values split across reads', async () => {
    server = await startTestServer();
    const next = random(7);
    const connections = 8;
    const perConnection = 60;
    const sockets = await Promise.all(Array.from({ length: connections }, () => connect(server!.port)));
    const expected = new Map<string, string>();
    const streams: Buffer[] = sockets.map((_, c) => {
      const parts: Buffer[] = [];
      for (let i = 0; i < perConnection; i++) {
        // Up to 200 KB: values longer than one read, and many short ones in one read.
        const size = next() < 0.1 ? Math.floor(next() * 200_000) : Math.floor(next() * 300);
        const value = Array.from({ length: size }, (_, j) => String.fromCharCode((c * 31 + i * 7 + j) & 0xff)).join('');
        const key = `conn:${c}:key:${i}`;
        expected.set(key, value);
        parts.push(encodeCommand(['SET', key, value]));
      }
      return Buffer.concat(parts);
    });
    const replies = sockets.map((socket) => receive(socket, perConnection * 5));
    const offsets = streams.map(() => 0);
    // Each connection writes its stream in pieces of random size, the connections taking turns.
    while (offsets.some((at, c) => at < (streams[c] as Buffer).length)) {
      for (let c = 0; c < connections; c++) {
        const stream = streams[c] as Buffer;
        const at = offsets[c] as number;
        if (at >= stream.length) continue;
        const n = Math.max(1, Math.floor(next() * 70_000));
        (sockets[c] as net.Socket).write(stream.subarray(at, at + n));
        offsets[c] = at + n;
      }
      await turn();
    }
    for (const reply of await Promise.all(replies)) expect(reply.toString('latin1')).toBe('+OK\r\n'.repeat(perConnection));
    const client = server.client();
    for (const [key, value] of expected) expect((await client.getBuffer(key))?.toString('latin1')).toBe(value);
    for (const socket of sockets) socket.destroy();
  });

  it('keeps the commands a blocked client sent after its BLPOP while other connections read', async () => {
    server = await startTestServer();
    const blocked = await connect(server.port);
    const expected = `*2\r\n$4\r\nlist\r\n$4\r\nitem\r\n+OK\r\n$5000\r\n${'x'.repeat(5000)}\r\n`;
    const replies = receive(blocked, expected.length);
    // BLPOP blocks; the SET and GET behind it wait in the parser, the SET's value cut in two reads.
    const tail = Buffer.concat([encodeCommand(['SET', 'after', 'x'.repeat(5000)]), encodeCommand(['GET', 'after'])]);
    blocked.write(Buffer.concat([encodeCommand(['BLPOP', 'list', '0']), tail.subarray(0, 3000)]));
    const client = server.client();
    while (!String(await client.call('CLIENT', 'LIST')).includes('cmd=blpop')) await turn();
    // Other connections' reads overwrite the shared buffer meanwhile.
    for (let i = 0; i < 20; i++) await client.set(`other:${i}`, 'y'.repeat(10_000));
    blocked.write(tail.subarray(3000));
    for (let i = 0; i < 20; i++) await client.get(`other:${i}`);
    await client.rpush('list', 'item');
    expect((await replies).toString('latin1')).toBe(expected);
    blocked.destroy();
  });
});
