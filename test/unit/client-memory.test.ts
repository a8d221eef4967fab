import { describe, expect, it } from 'vitest';
import { EMPTY_QUERY_BUFFER_ROOM, OutputBufferModel, ReplyBufferModel, argvSlots, clientMemoryFigures, queryBufferCapacity } from '../../src/net/client-memory.js';
import { mallocSize } from '../../src/server/memory.js';

describe('CLIENT LIST memory figures', () => {
  it('rounds sizes up to jemalloc size classes', () => {
    expect([1, 8, 9, 17, 100, 128, 129, 160, 161, 768, 1025].map(mallocSize)).toEqual([8, 8, 16, 32, 112, 128, 160, 160, 192, 768, 1280]);
    // Redis's 16 KB query buffer with its sds header, and a 100 KB argument's.
    expect(mallocSize(16 * 1024 + 6)).toBe(20480);
    expect(mallocSize(100_002 + 10)).toBe(114_688);
  });

  it("gives the query buffer Redis's capacity", () => {
    expect(queryBufferCapacity(0, false, 0)).toBe(20474);
    expect(queryBufferCapacity(26, false, 0)).toBe(20474);
    expect(queryBufferCapacity(30_000, false, 0)).toBeGreaterThanOrEqual(60_000);
    expect(queryBufferCapacity(40_000, false, 100_002)).toBe(100_002);
    // Trimmed after an idle period: no free room, whatever it holds.
    expect(queryBufferCapacity(0, true, 0)).toBe(0);
    expect(queryBufferCapacity(2, true, 0)).toBe(2);
  });

  it("sums tot-mem as Redis 7.0 does, jemalloc's rounding included", () => {
    const base = { watchedKeys: 0, channels: 0, patterns: 0, shardChannels: 0, outputBytes: 0, multiCommands: 0, multiBytes: 0, replyBufferSize: 16384, argvSlots: 0 };
    // A fresh client running CLIENT LIST: Redis 7.0.15 shows qbuf=26 qbuf-free=20448 argv-mem=10 tot-mem=37658.
    expect(clientMemoryFigures({ ...base, queryBuffer: 26, queryBufferCapacity: 20474, argvBytes: 10, argvCount: 2 })).toEqual({
      qbufFree: 20448,
      multiMem: 0,
      totMem: 37658,
    });
    // A client that has read nothing yet: Redis 7.0.15 shows qbuf=0 qbuf-free=4 (sdsempty's room) tot-mem=17160.
    expect(EMPTY_QUERY_BUFFER_ROOM).toBe(4);
    expect(clientMemoryFigures({ ...base, queryBuffer: 0, queryBufferCapacity: EMPTY_QUERY_BUFFER_ROOM, argvBytes: 0, argvCount: 0 })).toEqual({
      qbufFree: 4,
      multiMem: 0,
      totMem: 17160,
    });
    // WATCH q, MULTI, SET aaaa bbbbbbbb, GET aaaa: multi-mem=62, and 2 queued commands plus a watched key in tot-mem.
    const multi = clientMemoryFigures({
      ...base,
      queryBuffer: 0,
      queryBufferCapacity: 20474,
      argvBytes: 0,
      argvCount: 0,
      watchedKeys: 1,
      // The queued arguments' bytes plus a pointer each, as MULTI keeps them.
      multiCommands: 2,
      multiBytes: 'SETaaaabbbbbbbb'.length + 3 * 8 + 'GETaaaa'.length + 2 * 8,
    });
    expect(multi.multiMem).toBe(62);
    expect(multi.totMem).toBe(37632 + 62 + 48 + 56);
  });

  it("resizes the reply buffer as Redis's cron does: down to the recent peak, up to 16 KB when filled", () => {
    const buffer = new ReplyBufferModel();
    expect([buffer.size, buffer.peak]).toEqual([16384, 16384]);
    // The first visit forgets the peak (Redis's creation time is in seconds, compared with ms).
    buffer.resize(10_000, 0);
    expect([buffer.size, buffer.peak]).toEqual([16384, 0]);
    buffer.wrote(1395);
    buffer.resize(10_100, 0);
    // Down to the peak, in jemalloc's size class.
    expect([buffer.size, buffer.peak]).toEqual([1536, 1395]);
    // A batch bigger than the buffer fills it: the next visit doubles it.
    buffer.wrote(100_000);
    expect(buffer.peak).toBe(1536);
    buffer.resize(10_200, 0);
    expect(buffer.size).toBe(3072);
    // The peak is forgotten 5 s after it was last reset, then the buffer shrinks to 1 KB at least.
    buffer.resize(15_000, 0);
    expect([buffer.size, buffer.peak]).toEqual([3072, 0]);
    buffer.resize(15_100, 0);
    expect([buffer.size, buffer.peak]).toEqual([1024, 0]);
    buffer.resize(15_200, 0);
    expect(buffer.size).toBe(1024);
    for (const t of [16_000, 16_100, 16_200, 16_300]) {
      buffer.wrote(1_000_000);
      buffer.resize(t, 0);
    }
    expect(buffer.size).toBe(16384);
  });

  it("sizes a partly read command's argument array as Redis does: 1024 at most at first, doubled up to the total", () => {
    expect([argvSlots(0, 0), argvSlots(3, 2), argvSlots(5000, 0), argvSlots(5000, 1024), argvSlots(5000, 1025), argvSlots(5000, 4097)]).toEqual([
      0, 3, 1024, 1024, 2048, 5000,
    ]);
  });
});

describe('where Redis would hold unsent output (CLIENT LIST obl, oll, omem)', () => {
  const figures = (m: OutputBufferModel) => ({ obl: m.bufferUsed, oll: m.blocks, omem: m.memory, pending: m.pending });

  it('fills the reply buffer first, then blocks of 16 KB at least, of their allocation size', () => {
    const m = new OutputBufferModel();
    m.append(10_000, 16384);
    expect(figures(m)).toEqual({ obl: 10_000, oll: 0, omem: 0, pending: 10_000 });
    // What does not fit in the buffer spills into a block of 16 KB (the allocator's 20 KB class, less the block header).
    m.append(10_000, 16384);
    expect(figures(m)).toEqual({ obl: 16384, oll: 1, omem: 20480 - 16 + 40, pending: 20_000 });
    // The block's room is used before a new one is taken; once the list has blocks, the buffer takes no more.
    m.append(16_000, 16384);
    expect(figures(m)).toEqual({ obl: 16384, oll: 1, omem: 20480 - 16 + 40, pending: 36_000 });
    m.append(1000, 16384);
    expect(figures(m)).toEqual({ obl: 16384, oll: 2, omem: 2 * (20480 - 16 + 40), pending: 37_000 });
    // A big reply gets one block of its own size class.
    m.append(1_000_000, 16384);
    expect(m.blocks).toBe(3);
    expect(m.memory).toBe(2 * (20480 - 16 + 40) + 1_048_576 - 16 + 40);
  });

  it('writes the buffer first, then the blocks in order, freeing each once sent', () => {
    const m = new OutputBufferModel();
    m.append(40_000, 16384);
    expect(figures(m)).toEqual({ obl: 16384, oll: 1, omem: 24576 - 16 + 40, pending: 40_000 });
    // Part of the buffer written: it still holds its bytes, and takes no new ones until all are sent.
    m.sent(1000);
    expect(figures(m)).toEqual({ obl: 16384, oll: 1, omem: 24576 - 16 + 40, pending: 39_000 });
    m.sent(15_384 + 100);
    expect(figures(m)).toEqual({ obl: 0, oll: 1, omem: 24576 - 16 + 40, pending: 23_516 });
    // While blocks wait, new output goes to them, not to the emptied buffer.
    m.append(10, 16384);
    expect(figures(m)).toEqual({ obl: 0, oll: 1, omem: 24576 - 16 + 40, pending: 23_526 });
    m.sent(23_526);
    expect(figures(m)).toEqual({ obl: 0, oll: 0, omem: 0, pending: 0 });
    m.append(100, 16384);
    expect(figures(m)).toEqual({ obl: 100, oll: 0, omem: 0, pending: 100 });
  });

  it('keeps its figures through many blocks sent a part at a time', () => {
    const m = new OutputBufferModel();
    m.append(16384, 16384);
    // Each append past the block's room takes a block of 20 KB room (20464 bytes).
    for (let i = 0; i < 3000; i++) m.append(20464, 16384);
    expect(figures(m)).toEqual({ obl: 16384, oll: 3000, omem: 3000 * (20464 + 40), pending: 16384 + 3000 * 20464 });
    for (let i = 0; i < 2500; i++) m.sent(i === 0 ? 16384 + 20464 : 20464);
    expect(figures(m)).toEqual({ obl: 0, oll: 500, omem: 500 * (20464 + 40), pending: 500 * 20464 });
    m.sent(100);
    m.append(10, 16384);
    expect(figures(m)).toEqual({ obl: 0, oll: 501, omem: 501 * (20464 + 40), pending: 500 * 20464 - 100 + 10 });
    m.sent(500 * 20464 - 100 + 10);
    expect(figures(m)).toEqual({ obl: 0, oll: 0, omem: 0, pending: 0 });
  });

  it('follows a client from what it added and what is still unsent', () => {
    const m = new OutputBufferModel();
    m.follow(50_000, 50_000, 16384);
    expect(figures(m)).toMatchObject({ obl: 16384, oll: 1, pending: 50_000 });
    m.follow(50_000, 30_000, 16384);
    expect(figures(m)).toMatchObject({ obl: 0, oll: 1, pending: 30_000 });
    m.follow(50_000, 0, 16384);
    expect(figures(m)).toEqual({ obl: 0, oll: 0, omem: 0, pending: 0 });
  });

  // Checked before each flush: the bytes of the last flush went out meanwhile, the new ones not yet.
  it('frees what the socket wrote before placing what was added, so a client that keeps up has no reply list', () => {
    const m = new OutputBufferModel();
    let total = 0;
    for (let i = 0; i < 5; i++) {
      total += 10_000;
      m.follow(total, 10_000, 16384);
      expect(figures(m)).toEqual({ obl: 10_000, oll: 0, omem: 0, pending: 10_000 });
    }
  });
});
