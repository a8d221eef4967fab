import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FIRST_CHUNK_BYTES, REPLY_CHUNK_BYTES as CHUNK, ReplyWriter, type ReplySink } from '../../src/protocol/reply.js';

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

describe('a chained ReplyWriter (a socket client\'s): a batch larger than its chunk', () => {
  const value = (i: number, size: number): string => `${i}:`.padEnd(size, String.fromCharCode(97 + (i % 26)));
  const bulkText = (v: string): string => `$${v.length}\r\n${v}\r\n`;

  /** A sink that records each write as text, the ArrayBuffers it was given, and cork calls. */
  function recordingSink(held: number): ReplySink & { texts: string[]; buffers: ArrayBufferLike[]; corks: number } {
    const sink = {
      texts: [] as string[],
      buffers: [] as ArrayBufferLike[],
      corks: 0,
      writableLength: held,
      write(b: Buffer): void {
        sink.texts.push(b.toString('latin1'));
        sink.buffers.push(b.buffer);
      },
      cork(): void {
        sink.corks++;
      },
      uncork(): void {},
    };
    return sink;
  }

  it('hands the full chunks over as they are, in order, in one corked write, and reuses them once taken', () => {
    const w = new ReplyWriter();
    w.chained = true;
    const sink = recordingSink(0);
    let expected = '';
    for (let i = 0; i < 16; i++) {
      const v = value(i, 16384);
      w.bulk(v);
      expected += bulkText(v);
    }
    expect(w.pending).toBe(expected.length);
    expect(w.flush(sink)).toBe(expected.length);
    expect(sink.texts.join('')).toBe(expected);
    expect(sink.corks).toBe(1);
    // Several chunks, none of them a copy of another's bytes (each write is a different buffer).
    expect(sink.texts.length).toBeGreaterThan(1);
    expect(new Set(sink.buffers).size).toBe(sink.buffers.length);
    // The next batch takes the chunks the socket gave back.
    const first = new Set(sink.buffers);
    sink.texts.length = 0;
    sink.buffers.length = 0;
    for (let i = 0; i < 16; i++) w.bulk(value(i, 16384));
    w.flush(sink);
    expect(sink.texts.join('')).toBe(expected);
    expect(sink.buffers.every((b) => first.has(b))).toBe(true);
  });

  it('never reuses a chunk a sink still holds', () => {
    const w = new ReplyWriter();
    w.chained = true;
    const sink = recordingSink(1);
    const kept: Buffer[] = [];
    const write = sink.write;
    // Keep the very buffers handed over, as a socket with a backlog does, and check them at the end.
    sink.write = (b: Buffer): void => {
      kept.push(b);
      write(b);
    };
    let expected = '';
    for (let batch = 0; batch < 5; batch++) {
      for (let i = 0; i < 12; i++) {
        const v = value(batch * 100 + i, 9000 + i * 500);
        w.bulk(v);
        expected += bulkText(v);
      }
      w.flush(sink);
    }
    expect(kept.map((b) => b.toString('latin1')).join('')).toBe(expected);
  });

  it('keeps a deferred header in its place when large replies follow it', () => {
    const w = new ReplyWriter();
    w.chained = true;
    const sink = recordingSink(0);
    w.bulk('before');
    const mark = w.deferredMark();
    let body = '';
    for (let i = 0; i < 10; i++) {
      const v = value(i, 20000);
      w.bulk(v);
      body += bulkText(v);
    }
    w.deferredArray(mark, 10);
    w.bulk(value(99, 70000));
    w.flush(sink);
    expect(sink.texts.join('')).toBe(bulkText('before') + '*10\r\n' + body + bulkText(value(99, 70000)));
  });

  it('drops queued chunks with the rest of what is pending', () => {
    const w = new ReplyWriter();
    w.chained = true;
    const sink = recordingSink(0);
    for (let i = 0; i < 8; i++) w.bulk(value(i, 30000));
    w.dropPending();
    expect(w.pending).toBe(0);
    expect(w.flush(sink)).toBe(0);
    w.bulk('after');
    w.flush(sink);
    expect(sink.texts.join('')).toBe(bulkText('after'));
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

describe('ReplyWriter.releaseChunk: an idle client holds no output chunk', () => {
  for (const chained of [true, false]) {
    it(`takes a chunk with its first reply and gives it back only when nothing is pending or held (${chained ? 'chained' : 'one buffer'})`, () => {
      const w = new ReplyWriter();
      w.chained = chained;
      // What the writer tells of the bytes it holds, as it takes and gives back buffers.
      const events: number[] = [];
      w.onChunk = (bytes) => void events.push(bytes);
      expect(w.holdsChunk).toBe(false);
      const written: string[] = [];
      const free: ReplySink = { writableLength: 0, write: (b: Buffer) => void written.push(b.toString('latin1')) };
      expect(w.releaseChunk(free)).toBe(false);
      w.simple('OK');
      expect(w.holdsChunk).toBe(true);
      expect(events).toEqual([CHUNK]);
      // Pending bytes, or bytes the sink still holds, keep the chunk.
      expect(w.releaseChunk(free)).toBe(false);
      w.flush(holdingSink(5));
      expect(w.releaseChunk(holdingSink(5))).toBe(false);
      expect(w.releaseChunk(free)).toBe(true);
      expect(w.holdsChunk).toBe(false);
      expect(events).toEqual([CHUNK, -CHUNK]);
      // The next reply takes one again and goes out whole.
      w.bulk('again');
      w.flush(free);
      expect(written).toEqual(['$5\r\nagain\r\n']);
      // A full-size chunk, given back for a first-size one once a small batch went out.
      expect(events).toEqual([CHUNK, -CHUNK, CHUNK, FIRST_CHUNK_BYTES - CHUNK]);
      // A header whose count is not known yet keeps it too.
      const mark = w.deferredMark();
      expect(w.releaseChunk(free)).toBe(false);
      w.deferredArray(mark, 0);
      w.flush(free);
      expect(written[1]).toBe('*0\r\n');
      expect(w.releaseChunk(free)).toBe(true);
      // takeChunk: one buffer taken before any reply, once, of the first chunk's size.
      w.takeChunk();
      w.takeChunk();
      expect(w.holdsChunk).toBe(true);
      expect(w.chunkBytes).toBe(FIRST_CHUNK_BYTES);
      expect(events).toEqual([CHUNK, -CHUNK, CHUNK, FIRST_CHUNK_BYTES - CHUNK, -FIRST_CHUNK_BYTES, FIRST_CHUNK_BYTES]);
      w.simple('OK');
      w.flush(free);
      expect(written[2]).toBe('+OK\r\n');
      expect(events).toEqual([CHUNK, -CHUNK, CHUNK, FIRST_CHUNK_BYTES - CHUNK, -FIRST_CHUNK_BYTES, FIRST_CHUNK_BYTES]);
      // A batch past the first chunk goes on in a full-size one, which the writer keeps.
      const big = 'x'.repeat(1000);
      for (let i = 0; i < 20; i++) w.bulk(big);
      w.flush(free);
      expect(written.slice(3).join('')).toBe(`$1000\r\n${big}\r\n`.repeat(20));
      expect(events.reduce((sum, bytes) => sum + bytes, 0)).toBe(w.chunkBytes);
      expect(w.chunkBytes).toBeGreaterThan(FIRST_CHUNK_BYTES);
      // A small batch after it: a socket client's writer goes back to a first-size chunk.
      w.simple('OK');
      w.flush(free);
      expect(w.chunkBytes).toBe(FIRST_CHUNK_BYTES);
      expect(events.reduce((sum, bytes) => sum + bytes, 0)).toBe(FIRST_CHUNK_BYTES);
    });
  }
});
