import { describe, expect, it } from 'vitest';
import { clientMemoryFigures, queryBufferCapacity } from '../../src/net/client-memory.js';
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
    const base = { watchedKeys: 0, channels: 0, patterns: 0, shardChannels: 0, outputBytes: 0, multiQueue: null };
    // A fresh client running CLIENT LIST: Redis 7.0.15 shows qbuf=26 qbuf-free=20448 argv-mem=10 tot-mem=37658.
    expect(clientMemoryFigures({ ...base, queryBuffer: 26, queryBufferCapacity: 20474, argvBytes: 10, argvCount: 2 })).toEqual({
      qbufFree: 20448,
      multiMem: 0,
      totMem: 37658,
    });
    // WATCH q, MULTI, SET aaaa bbbbbbbb, GET aaaa: multi-mem=62, and 2 queued commands plus a watched key in tot-mem.
    const multi = clientMemoryFigures({
      ...base,
      queryBuffer: 0,
      queryBufferCapacity: 20474,
      argvBytes: 0,
      argvCount: 0,
      watchedKeys: 1,
      multiQueue: [{ argv: ['SET', 'aaaa', 'bbbbbbbb'] }, { argv: ['GET', 'aaaa'] }],
    });
    expect(multi.multiMem).toBe(62);
    expect(multi.totMem).toBe(37632 + 62 + 48 + 56);
  });
});
