/**
 * Lists written and read as RDB quicklists by the short paths taken for the common shapes: a
 * list of one listpack node is written without the piece generators, and loading adopts a
 * first node without an array for it. Each must give what the general path gives.
 */
import { describe, expect, it } from 'vitest';
import { ByteSource, RDB_VERSION, RdbWriter, ValueEncoder, decodeDumpPayload, encodeRdb, readRdb, type ValueEncoderOptions } from '../../src/persistence/rdb/index.js';
import { RDB_TYPE_LIST_QUICKLIST_2 } from '../../src/persistence/rdb/constants.js';
import { lzfCompress, lzfDecompress } from '../../src/persistence/rdb/lzf.js';
import { ByteSink } from '../../src/persistence/rdb/sink.js';
import { List } from '../../src/types/list.js';
import { referenceLzfCompress } from '../helpers/lzf-reference.js';

/** The value's body as the piece generators write it, run to the end. */
function byPieces(value: List, options: ValueEncoderOptions = {}): Buffer {
  const sink = new ByteSink(64);
  const pieces = new ValueEncoder(options).valuePieces(sink, value);
  while (pieces.next().done !== true) {
    // all pieces
  }
  return sink.take();
}

/** A list body read back as a DUMP payload would be. */
function decodeBody(body: Buffer): List {
  const payload = Buffer.concat([Buffer.from([RDB_TYPE_LIST_QUICKLIST_2]), body, Buffer.from([RDB_VERSION & 0xff, RDB_VERSION >> 8]), Buffer.alloc(8)]);
  return decodeDumpPayload(payload) as List;
}

const ONE_NODE_LISTS: Array<[string, string[]]> = [
  ['one short element', ['a']],
  ['five short elements (too short to compress)', ['a1', 'bb1', 'ccc1', 'dddd', 'eeeee']],
  ['compressible elements', ['element:0000001', 'element:0000002', 'element:0000003', 'element:0000004']],
  ['integers and text', ['12', '-5', '9007199254740993', 'x'.repeat(70), '\x00\xff']],
  ['512 elements', Array.from({ length: 512 }, (_, i) => `e${i % 10}`)],
];

describe('a list of one listpack node', () => {
  for (const [name, items] of ONE_NODE_LISTS) {
    it(`is written at once as its pieces write it, and loads back as that node (${name})`, () => {
      const list = List.from(items);
      expect(list.nodeCount).toBe(1);
      const node = list.nodeAt(0) as string;
      expect(typeof node).toBe('string');
      for (const compression of [true, false]) {
        const sink = new ByteSink(64);
        expect(new ValueEncoder({ compression }).writeSmallList(sink, list)).toBe(true);
        const body = sink.take();
        expect(body.equals(byPieces(list, { compression }))).toBe(true);
        const loaded = decodeBody(body);
        expect(loaded.nodeCount).toBe(1);
        expect(loaded.nodeAt(0)).toBe(node);
        expect(loaded.size).toBe(items.length);
        expect(loaded.toArray()).toEqual(items);
        expect(loaded.bytes).toBe(loaded.recountBytes());
      }
    });
  }

  it('is left to the pieces when they would write it otherwise (more elements than a piece, another fill, an open node)', () => {
    const many = List.from(Array.from({ length: 600 }, (_, i) => `e${i % 10}`));
    expect(many.nodeCount).toBe(1);
    const small = List.from(['a', 'b']);
    const sink = new ByteSink(64);
    expect(new ValueEncoder().writeSmallList(sink, many)).toBe(false);
    expect(new ValueEncoder({ listMaxListpackSize: 5 }).writeSmallList(sink, small)).toBe(false);
    expect(new ValueEncoder({ listPackedThreshold: 1 }).writeSmallList(sink, small)).toBe(false);
    expect(new ValueEncoder().writeSmallList(sink, 'a string')).toBe(false);
    // A list of one node larger than a small list's stays open after pushes.
    const open = new List();
    for (let i = 0; i < 100; i++) open.pushRight(`element:${i}`);
    expect(typeof open.nodeAt(0)).not.toBe('string');
    expect(new ValueEncoder().writeSmallList(sink, open)).toBe(false);
    expect(sink.pos).toBe(0);
    for (const list of [many, open]) expect(decodeBody(byPieces(list)).toArray()).toEqual(list.toArray());
  });

  it('is one step of RdbWriter.startKey, in the file encodeRdb writes', () => {
    const dict = new Map<string, List>([
      ['small', List.from(['a1', 'bb1', 'ccc1', 'dddd', 'eeeee'])],
      ['compressible', List.from(['element:0000001', 'element:0000002', 'element:0000003'])],
      ['many', List.from(Array.from({ length: 2000 }, (_, i) => `element:${i}`))],
    ]);
    const writer = new RdbWriter();
    writer.header({ ctime: 1 });
    writer.selectDb(0, dict.size, 0);
    const chunks: Buffer[] = [];
    for (const [key, value] of dict) {
      const done = writer.startKey(key, value);
      expect(done).toBe(value.nodeCount === 1);
      writer.finishKey();
      chunks.push(writer.flush());
    }
    chunks.push(writer.end());
    const file = Buffer.concat(chunks);
    expect(file.equals(encodeRdb([{ id: 0, dict, expires: new Map() }], { header: { ctime: 1 } }))).toBe(true);
    const loaded = readRdb(file).databases.get(0);
    for (const [key, value] of dict) expect((loaded?.get(key)?.value as List).toArray()).toEqual(value.toArray());
  });
});

describe('loading a quicklist', () => {
  it('adopts its listpack nodes, one or many, and reads the elements of one that mixes plain nodes in, wherever they come', () => {
    const long = (c: string): string => c.repeat(12);
    const cases: string[][] = [
      ['a', 'b', long('p')],
      [long('p'), 'a', 'b'],
      ['a', long('p'), 'b', long('q')],
      [long('p'), long('q')],
      Array.from({ length: 3000 }, (_, i) => (i === 2500 ? long('p') : `element:${i}`)),
      Array.from({ length: 3000 }, (_, i) => `element:${i}`),
    ];
    for (const items of cases) {
      // Elements of 12 bytes and more get plain nodes of their own.
      const options = { listPackedThreshold: 12 };
      const body = byPieces(List.from(items), options);
      const loaded = decodeBody(body);
      expect(loaded.toArray()).toEqual(items);
      expect(loaded.size).toBe(items.length);
      expect(loaded.bytes).toBe(loaded.recountBytes());
      if (!items.some((s) => s.length >= 12)) {
        // All listpacks: adopted as they are, node for node.
        expect(loaded.nodeCount).toBe(List.from(items).nodeCount);
        expect(byPieces(loaded).equals(byPieces(List.from(items)))).toBe(true);
      }
    }
  });
});

describe('lzf on buffers that take turns', () => {
  it('compresses and decompresses each the same whichever buffers came before (views of the same memory at other offsets too)', () => {
    // Buffers cut from one allocation, at different offsets, and more of them than are remembered.
    const slab = Buffer.alloc(64 * 1024);
    const inputs: Buffer[] = [];
    for (let k = 0; k < 9; k++) {
      const input = slab.subarray(k * 4000 + k, k * 4000 + k + 3000);
      const text = Array.from({ length: 200 }, (_, i) => `\x8felement:${String(i * (k + 1)).padStart(7, '0')}\x10`).join('');
      input.write(text.slice(0, 3000), 'latin1');
      inputs.push(input);
    }
    const outputs = Array.from({ length: 9 }, (_, k) => slab.subarray(40_000 + k * 2000 + k, 40_000 + k * 2000 + k + 2000));
    const decoded = Buffer.alloc(3000);
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < inputs.length; k++) {
        const input = inputs[(k * 5 + round) % inputs.length] as Buffer;
        const out = outputs[k] as Buffer;
        const n = lzfCompress(input, 0, input.length, out, 0, out.length);
        const expected = Buffer.alloc(out.length);
        expect(n).toBe(referenceLzfCompress(input, expected, out.length));
        expect(n).toBeGreaterThan(0);
        expect(out.subarray(0, n).equals(expected.subarray(0, n))).toBe(true);
        expect(lzfDecompress(out, 0, n, decoded, 0, input.length)).toBe(input.length);
        expect(decoded.equals(input)).toBe(true);
      }
    }
  });
});

describe('ByteSource.blobBytes', () => {
  it('leaves a raw, an LZF-compressed or an integer-encoded string where blob() finds it', () => {
    const sink = new ByteSink(64);
    const encoder = new ValueEncoder();
    const texts = ['plain bytes \x00\xff', 'abcabcabcabcabcabcabcabcabcabcabcabcabcabc', '12345', '-7', 'x'];
    for (const text of texts) encoder.writeString(sink, text);
    const input = sink.take();
    // The second is compressed, the third and fourth are integers.
    expect(input.includes(Buffer.from('abcabcabcabcabc', 'latin1'))).toBe(false);
    const bytes = new ByteSource(input, 0, input.length);
    const blobs = new ByteSource(input, 0, input.length);
    for (const text of texts) {
      const n = bytes.blobBytes();
      expect(bytes.blobBuf.latin1Slice(bytes.blobStart, bytes.blobStart + n)).toBe(text);
      expect(blobs.blob().toString('latin1')).toBe(text);
    }
    expect(bytes.remaining).toBe(0);
  });
});
