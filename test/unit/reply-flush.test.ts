import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplyWriter, type ReplySink } from '../../src/protocol/reply.js';

/** A sink that keeps what it is given (as a socket with a backlog does) and says how much it holds. */
function holdingSink(held: number): ReplySink & { chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  return { chunks, writableLength: held, write: (b: Buffer) => void chunks.push(b) };
}

/** 200 flushes of ~1 KB each: more than a 64 KB chunk holds. */
function flushMany(w: ReplyWriter, sink: ReplySink): string[] {
  const sent: string[] = [];
  for (let i = 0; i < 200; i++) {
    const text = `${i}:`.padEnd(1000, String.fromCharCode(97 + (i % 26)));
    w.bulk(text);
    sent.push(`$${text.length}\r\n${text}\r\n`);
    w.flush(sink);
  }
  return sent;
}

describe('ReplyWriter.flush and the chunk it writes into', () => {
  it('reuses its chunk from the start when the sink passed everything on at once', () => {
    const w = new ReplyWriter();
    const seen = new Set<ArrayBufferLike>();
    const copies: string[] = [];
    const sink: ReplySink = {
      writableLength: 0,
      write: (b: Buffer) => {
        seen.add(b.buffer);
        copies.push(b.toString('latin1'));
      },
    };
    const sent = flushMany(w, sink);
    expect(copies).toEqual(sent);
    // One chunk for all 200 KB: without reuse a new one is taken every ~64 KB.
    expect(seen.size).toBe(1);
  });

  it('never writes over bytes a sink still holds', () => {
    const w = new ReplyWriter();
    const sink = holdingSink(1);
    const sent = flushMany(w, sink);
    expect(sink.chunks.map((b) => b.toString('latin1'))).toEqual(sent);
  });

  it('never writes over bytes of a sink that does not say what it holds', () => {
    const w = new ReplyWriter();
    const chunks: Buffer[] = [];
    const sent = flushMany(w, { write: (b: Buffer) => void chunks.push(b) });
    expect(chunks.map((b) => b.toString('latin1'))).toEqual(sent);
  });
});

describe('ReplyWriter.flush to a real socket', () => {
  let server: net.Server | null = null;
  afterEach(() => server?.close());

  it('delivers every byte, whether writes go through at once or queue up', async () => {
    const received: Buffer[] = [];
    const done = new Promise<void>((resolve) => {
      server = net.createServer((s) => {
        // A slow reader at first: the socket's backlog grows and its chunks must stay untouched.
        s.pause();
        setTimeout(() => s.resume(), 50);
        s.on('data', (d: Buffer) => received.push(d));
        s.on('end', () => resolve());
      });
    });
    await new Promise<void>((r) => (server as net.Server).listen(0, '127.0.0.1', r));
    const port = ((server as net.Server).address() as net.AddressInfo).port;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const w = new ReplyWriter();
    const expected: string[] = [];
    for (let round = 0; round < 40; round++) {
      expected.push(...flushMany(w, socket));
      await new Promise((r) => setImmediate(r));
    }
    socket.end();
    await done;
    expect(Buffer.concat(received).toString('latin1')).toBe(expected.join(''));
  });
});
