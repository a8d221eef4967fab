/**
 * The stream node check run on every listpack loaded from a file or a RESTORE payload
 * (isValidStreamListpack), against a plain model of the same rules: whatever bytes it is
 * given, it answers as the model does, and what it accepts can be read without going out of
 * bounds.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Stream, elementText, idFromNumbers } from '../../src/types/stream/index.js';
import { previousElement, skipElement } from '../../src/types/stream/listpack.js';
import { canonicalStreamListpack, isValidStreamListpack, streamListpackNeedsRewrite } from '../../src/types/stream/validate.js';
import { RdbError, encodeRdb, readRdb } from '../../src/persistence/rdb/index.js';

/** One element of a listpack, as the model sees it: its integer value if it has one. */
interface ModelElement {
  int: number | null;
}

/** The elements of a listpack, or null when one is not whole or its backlen is wrong. */
function modelElements(lp: Buffer): ModelElement[] | null {
  if (lp.length < 7 || lp.readUInt32LE(0) !== lp.length || lp[lp.length - 1] !== 0xff) return null;
  const end = lp.length - 1;
  const out: ModelElement[] = [];
  let p = 6;
  while (p < end) {
    const b = lp[p] as number;
    let size: number;
    let int: number | null = null;
    let text: Buffer | null = null;
    if (b < 0x80) {
      size = 1;
      int = b;
    } else if (b < 0xc0) {
      size = 1 + (b & 0x3f);
      text = lp.subarray(p + 1, p + size);
    } else if (b < 0xe0) {
      size = 2;
      if (p + 2 > end) return null;
      int = (((b & 0x1f) << 8) | (lp[p + 1] as number)) << 19 >> 19;
    } else if (b < 0xf0) {
      if (p + 2 > end) return null;
      size = 2 + (((b & 0x0f) << 8) | (lp[p + 1] as number));
      text = lp.subarray(p + 2, p + size);
    } else if (b === 0xf0) {
      if (p + 5 > end) return null;
      size = 5 + lp.readUInt32LE(p + 1);
      text = lp.subarray(p + 5, Math.min(p + size, end));
    } else if (b >= 0xf1 && b <= 0xf4) {
      const bytes = b === 0xf1 ? 2 : b === 0xf2 ? 3 : b === 0xf3 ? 4 : 8;
      size = 1 + bytes;
      if (p + size > end) return null;
      int = Number(BigInt.asIntN(bytes * 8, BigInt('0x' + Buffer.from(lp.subarray(p + 1, p + size)).reverse().toString('hex'))));
    } else {
      return null;
    }
    // The backlen: size in 7-bit groups, most significant first, all but the first byte flagged.
    // Its length follows from size; read backwards from its last byte (as Redis's lpValidateNext
    // does), flagged bytes carry on, up to 5, into the bytes before if the first is flagged too.
    let backlenLength = 1;
    for (let v = size; v >= 128; v = Math.floor(v / 128)) backlenLength++;
    if (p + size + backlenLength > end) return null;
    let read = 0;
    for (let at = p + size + backlenLength - 1, n = 0; ; at--, n++) {
      if (n === 5) return null;
      read += ((lp[at] as number) & 127) * 128 ** n;
      if (((lp[at] as number) & 128) === 0) break;
    }
    if (read !== size) return null;
    // string2ll: "0", or digits without a leading zero after an optional "-", within 64 bits.
    if (text !== null && /^(0|-?[1-9][0-9]{0,18})$/.test(text.toString('latin1'))) {
      const big = BigInt(text.toString('latin1'));
      if (big >= -(2n ** 63n) && big < 2n ** 63n) int = Number(big);
    }
    out.push({ int });
    p += size + backlenLength;
  }
  return out;
}

/** Whether the elements have the shape of a stream node (node.ts). */
function modelIsValid(lp: Buffer): boolean {
  const elements = modelElements(lp);
  if (elements === null) return false;
  let i = 0;
  const int = (): number | null => (i < elements.length ? (elements[i++] as ModelElement).int : ((i = Infinity), null));
  const skip = (n: number): boolean => {
    i += n;
    return i <= elements.length;
  };
  const count = int();
  const deleted = int();
  const masterFields = int();
  if (count === null || deleted === null || masterFields === null || count < 0 || deleted < 0 || masterFields < 0) return false;
  if (!skip(masterFields) || int() !== 0) return false;
  for (let e = 0; e < count + deleted; e++) {
    const flags = int();
    if (flags === null || int() === null || int() === null) return false;
    let fields = masterFields;
    let extra = 3;
    if ((flags & 2) === 0) {
      const own = int();
      if (own === null || own < 0) return false;
      fields = own;
      if (!skip(own)) return false;
      extra += own + 1;
    }
    if (!skip(fields) || int() !== fields + extra) return false;
  }
  return i === elements.length;
}

const limits = { maxBytes: 4096, maxEntries: 100 };

/** A stream of `n` entries whose fields sometimes differ from the first entry's. */
function sampleStream(n: number, seed: number): Stream {
  const stream = new Stream();
  for (let i = 0; i < n; i++) {
    const own = (i + seed) % 7 === 3;
    const argv = own ? ['g', `v${i}`, 'h', String(i * 1000 - 5)] : ['f', i % 5 === 0 ? 'x'.repeat(200 + seed) : `value-${i}`];
    stream.append(idFromNumbers(1000 + i * (seed + 1), i % 3), argv, 0, argv.length / 2, argv.join('').length, limits);
  }
  return stream;
}

/** Every element of every entry read through the iterator (what commands do with a node). */
function readAll(stream: Stream): number {
  let n = 0;
  const it = stream.iterator(null, null, false);
  while (it.next()) {
    for (let i = 0; i < it.numFields; i++) n += elementText(it.lp, it.nextField()).length + elementText(it.lp, it.nextValue()).length;
  }
  return n;
}

/** Sets a listpack's total-bytes header to its length (so that damage inside it is what is met). */
function withSizeHeader(lp: Buffer): Buffer {
  lp.writeUInt32LE(lp.length, 0);
  return lp;
}

describe('stream node check', () => {
  it('accepts the nodes of streams built by XADD, as the model does', () => {
    for (const seed of [0, 1, 5]) {
      const stream = sampleStream(250, seed);
      for (let i = 0; i < stream.nodeCount; i++) {
        const lp = Buffer.from(stream.nodeAt(i).listpack);
        expect(modelIsValid(lp)).toBe(true);
        expect(isValidStreamListpack(lp)).toBe(true);
      }
    }
  });

  it('answers as the model does for damaged nodes: bytes changed, cut, inserted', () => {
    const nodes: Buffer[] = [];
    for (const seed of [0, 2]) {
      const stream = sampleStream(120, seed);
      for (let i = 0; i < stream.nodeCount; i++) nodes.push(Buffer.from(stream.nodeAt(i).listpack));
    }
    fc.assert(
      fc.property(
        fc.nat(nodes.length - 1),
        fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('set', 'cut', 'insert'), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (which, edits, fixHeader) => {
          let lp = Buffer.from(nodes[which] as Buffer);
          for (const edit of edits) {
            const at = edit.at % lp.length;
            if (edit.op === 'set') lp[at] = edit.byte;
            else if (edit.op === 'cut') lp = Buffer.concat([lp.subarray(0, at), lp.subarray(at + 1)]);
            else lp = Buffer.concat([lp.subarray(0, at), Buffer.from([edit.byte]), lp.subarray(at)]);
          }
          if (fixHeader && lp.length >= 4) withSizeHeader(lp);
          expect(isValidStreamListpack(lp)).toBe(modelIsValid(lp));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('answers as the model does for nodes whose elements take every encoding, and rewrites exactly those with integers as strings', () => {
    // An element as the listpack holds it: its encoding and data, then the backlen of their size.
    const element = (body: number[]): number[] => {
      const size = body.length;
      const backlen: number[] = [size & 127];
      for (let v = Math.floor(size / 128); v > 0; v = Math.floor(v / 128)) backlen.unshift((v & 127) | 128);
      return [...body, ...backlen];
    };
    const text = (bytes: number[], wide: number): number[] => {
      const n = bytes.length;
      if (wide === 0 && n < 64) return element([0x80 | n, ...bytes]);
      if (wide <= 1 && n < 4096) return element([0xe0 | (n >> 8), n & 0xff, ...bytes]);
      return element([0xf0, n & 0xff, (n >> 8) & 0xff, 0, 0, ...bytes]);
    };
    // An integer in the encoding picked (the smallest that holds it from that one up), or as its decimal text.
    const integer = (value: number, how: number): { bytes: number[]; asText: boolean } => {
      if (how === 6) return { bytes: text([...Buffer.from(String(value), 'latin1')], 0), asText: true };
      if (how === 0 && value >= 0 && value < 128) return { bytes: element([value]), asText: false };
      if (how <= 1 && value >= -4096 && value < 4096) return { bytes: element([0xc0 | ((value >> 8) & 0x1f), value & 0xff]), asText: false };
      const widths = [[2, 0xf1], [3, 0xf2], [4, 0xf3], [8, 0xf4]] as const;
      for (const [width, code] of widths.slice(Math.max(0, how - 2))) {
        if (width === 8 || (value >= -(2 ** (width * 8 - 1)) && value < 2 ** (width * 8 - 1))) {
          const data = Buffer.alloc(8);
          data.writeBigInt64LE(BigInt(value));
          return { bytes: element([code, ...data.subarray(0, width)]), asText: false };
        }
      }
      throw new Error('unreachable');
    };
    const encodings = fc.integer({ min: 0, max: 6 });
    const value = fc.record({ bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 140 }), wide: fc.integer({ min: 0, max: 2 }) });
    const entry = fc.record({
      deleted: fc.boolean(),
      own: fc.option(fc.array(value, { minLength: 0, maxLength: 3 }), { freq: 4 }),
      values: fc.array(value, { minLength: 3, maxLength: 3 }),
      ms: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      seq: fc.integer({ min: 0, max: 70000 }),
      how: fc.array(encodings, { minLength: 5, maxLength: 5 }),
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.array(entry, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 6 }), (masterFields, entries, countHow) => {
        let rewrite = false;
        const int = (v: number, how: number): number[] => {
          const out = integer(v, how);
          rewrite ||= out.asText;
          return out.bytes;
        };
        const live = entries.filter((e) => !e.deleted).length;
        const body = [...int(live, countHow), ...int(entries.length - live, 0), ...int(masterFields, 0)];
        for (let f = 0; f < masterFields; f++) body.push(...text([0x66, f], 0));
        body.push(...int(0, 0));
        for (const e of entries) {
          const own = e.own !== null && e.own.length !== masterFields ? e.own : null;
          // Flags are read as one byte: in any other encoding they are rewritten too.
          const flags = int((e.deleted ? 1 : 0) | (own === null ? 2 : 0), e.how[0] === 6 ? 0 : (e.how[0] as number));
          rewrite ||= (flags[0] as number) >= 0x80;
          body.push(...flags);
          body.push(...int(e.ms, e.how[1] as number), ...int(e.seq, e.how[2] as number));
          const fields = own === null ? masterFields : own.length;
          if (own !== null) {
            body.push(...int(fields, e.how[3] as number));
            for (const name of own) body.push(...text(name.bytes, name.wide));
          }
          for (let f = 0; f < fields; f++) {
            const v = e.values[f % 3] as { bytes: number[]; wide: number };
            body.push(...text(v.bytes, v.wide));
          }
          body.push(...int(fields + 3 + (own === null ? 0 : fields + 1), e.how[4] as number));
        }
        const lp = withSizeHeader(Buffer.from([0, 0, 0, 0, 0, 0, ...body, 0xff]));
        const valid = modelIsValid(lp);
        expect(isValidStreamListpack(lp)).toBe(valid);
        if (valid) expect(streamListpackNeedsRewrite()).toBe(rewrite);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads an element count whose first byte is a string\'s encoding as that string, even where the byte equals the count', () => {
    // 128 master fields (a 13-bit integer); one SAMEFIELDS entry whose lp-count, 131, is 0x83:
    // the encoding of a 3-byte string, never the integer 131.
    const fields = Array.from({ length: 128 }, (_, f) => [0x82, 0x66, f, 3]).flat();
    const values = Array.from({ length: 128 }, () => [0x81, 0x76, 2]).flat();
    const node = (count: number[]): Buffer =>
      withSizeHeader(Buffer.from([0, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0xc0, 128, 2, ...fields, 0, 1, 2, 1, 0, 1, 0, 1, ...values, ...count, 0xff]));
    // The count as the text "131": taken, and rewritten as an integer.
    const asText = node([0x83, 0x31, 0x33, 0x31, 4]);
    expect(modelIsValid(asText)).toBe(true);
    expect(isValidStreamListpack(asText)).toBe(true);
    expect(streamListpackNeedsRewrite()).toBe(true);
    // 0x83 then 1, the node's end: a string cut short, whatever a 7-bit integer 131 with its backlen would look like.
    const cut = node([0x83, 1]);
    expect(modelIsValid(cut)).toBe(false);
    expect(isValidStreamListpack(cut)).toBe(false);
  });

  it('takes a backlen whose first byte has a redundant high bit over bytes that add nothing, as Redis does, and reads it back', () => {
    // Values ending in a zero byte: the bytes a flagged first backlen byte carries the reading into.
    const stream = new Stream();
    const long = 'x'.repeat(199) + '\0';
    for (let i = 0; i < 3; i++) {
      const argv = ['f', long, 'g', 'ab\0'];
      stream.append(idFromNumbers(1000 + i, 0), argv, 0, 2, argv.join('').length, limits);
    }
    const lp = Buffer.from(stream.nodeAt(0).listpack);
    const longAt = lp.indexOf(Buffer.from([0x78, 0x00, 0x01, 0xca])); // 'x', 0, backlen of 202
    const shortAt = lp.indexOf(Buffer.from([0x62, 0x00, 0x04])); // 'b', 0, backlen of 4
    expect(longAt).toBeGreaterThan(0);
    expect(shortAt).toBeGreaterThan(0);
    const positions = (buf: Buffer): number[] => {
      const out: number[] = [];
      for (let p = 6; buf[p] !== 0xff; p = skipElement(buf, p)) out.push(p);
      return out;
    };
    const forward = positions(lp);
    for (const [at, flagged] of [[longAt + 2, 0x81], [shortAt + 2, 0x84]] as const) {
      const patched = Buffer.from(lp);
      patched[at] = flagged;
      expect(modelIsValid(patched)).toBe(true);
      expect(isValidStreamListpack(patched)).toBe(true);
      // Read backwards, each element is found where reading forwards found it.
      const backward: number[] = [];
      for (let p = patched.length - 1; p > 6; ) backward.unshift((p = previousElement(patched, p)));
      expect(backward).toEqual(forward);
      // The redundant bit must not reach past 5 bytes, nor add to the value.
      const nonZero = Buffer.from(patched);
      nonZero[at - 1] = 0x01;
      expect(isValidStreamListpack(nonZero)).toBe(false);
    }
    // A one-byte-backlen element whose flagged backlen would need more than 5 bytes.
    const runaway = Buffer.from(lp);
    runaway.fill(0x80, longAt - 3, longAt + 2);
    runaway[longAt + 2] = 0x81;
    expect(modelIsValid(runaway)).toBe(false);
    expect(isValidStreamListpack(runaway)).toBe(false);
  });

  it('takes integers written as decimal strings where counts are expected, as Redis does', () => {
    // count 1 (as "1"), deleted 0, 1 master field "f", 0; one SAMEFIELDS entry: 2, 0, 0, "v", 4.
    const parts = [[0x81, 0x31, 2], [0, 1], [1, 1], [0x81, 0x66, 2], [0, 1], [2, 1], [0, 1], [0, 1], [0x81, 0x76, 2], [4, 1]];
    const lp = withSizeHeader(Buffer.from([0, 0, 0, 0, 10, 0, ...parts.flat(), 0xff]));
    expect(modelIsValid(lp)).toBe(true);
    expect(isValidStreamListpack(lp)).toBe(true);
    lp[7] = 0x2d; // "-": not an integer
    expect(isValidStreamListpack(lp)).toBe(false);
  });

  it('reads those strings as string2ll does: "-0" is none, integers of 19 digits are, within 64 bits', () => {
    // count 1, deleted 0, 1 master field "f", 0; one SAMEFIELDS entry: 2, <ms delta>, 0, "v", 4.
    const withMsDelta = (text: string): Buffer => {
      const bytes = [...Buffer.from(text, 'latin1')];
      const parts = [[1, 1], [0, 1], [1, 1], [0x81, 0x66, 2], [0, 1], [2, 1], [0x80 | bytes.length, ...bytes, bytes.length + 1], [0, 1], [0x81, 0x76, 2], [4, 1]];
      return withSizeHeader(Buffer.from([0, 0, 0, 0, 10, 0, ...parts.flat(), 0xff]));
    };
    for (const text of ['0', '-1', '1000000000000000000', '9223372036854775807', '-9223372036854775808']) {
      expect(isValidStreamListpack(withMsDelta(text)), text).toBe(true);
      expect(modelIsValid(withMsDelta(text)), text).toBe(true);
    }
    for (const text of ['-0', '00', '9223372036854775808', '-9223372036854775809', '10000000000000000000', '+1']) {
      expect(isValidStreamListpack(withMsDelta(text)), text).toBe(false);
      expect(modelIsValid(withMsDelta(text)), text).toBe(false);
    }
  });

  it('rewrites a node with integers as strings as XADD would have written it, entries unchanged', () => {
    // count "1", deleted 0, 1 master field "f", "0"; one entry: flags "-2" (same fields), ms delta
    // "1000000000000000000", seq delta "7", "v", lp-count "4".
    const parts = [[0x81, 0x31, 2], [0, 1], [1, 1], [0x81, 0x66, 2], [0x81, 0x30, 2], [0x82, 0x2d, 0x32, 3],
      [0x93, ...Buffer.from('1000000000000000000'), 20], [0x81, 0x37, 2], [0x81, 0x76, 2], [0x81, 0x34, 2]];
    const lp = withSizeHeader(Buffer.from([0, 0, 0, 0, 10, 0, ...parts.flat(), 0xff]));
    expect(isValidStreamListpack(lp)).toBe(true);
    expect(streamListpackNeedsRewrite()).toBe(true);
    const canonical = canonicalStreamListpack(lp);
    expect(isValidStreamListpack(canonical)).toBe(true);
    expect(streamListpackNeedsRewrite()).toBe(false);
    // count 1, deleted 0, 1, "f", 0; flags 2, the delta as a 64-bit integer, 7, "v", 4.
    const delta = Buffer.alloc(8);
    delta.writeBigInt64LE(1000000000000000000n);
    expect([...canonical]).toEqual([canonical.length, 0, 0, 0, 10, 0, 1, 1, 0, 1, 1, 1, 0x81, 0x66, 2, 0, 1, 2, 1, 0xf4, ...delta, 9, 7, 1, 0x81, 0x76, 2, 4, 1, 0xff]);
    // A node XADD wrote needs no rewrite.
    const stream = sampleStream(50, 1);
    expect(isValidStreamListpack(Buffer.from(stream.nodeAt(0).listpack))).toBe(true);
    expect(streamListpackNeedsRewrite()).toBe(false);
  });

  it('reads integers of every width with their sign: a 64-bit -1 is no count, a 64-bit 0 is', () => {
    // count (64-bit) 1, deleted 0, 1 master field "f", 0; one SAMEFIELDS entry: 2, 0, 0, "v", 4.
    const tail = (deleted: number): number[] => [[deleted, 1], [1, 1], [0x81, 0x66, 2], [0, 1], [2, 1], [0, 1], [0, 1], [0x81, 0x76, 2], [4, 1]].flat();
    const withCount = (bytes: number[], deleted = 0): Buffer => withSizeHeader(Buffer.from([0, 0, 0, 0, 10, 0, ...bytes, ...tail(deleted), 0xff]));
    const one64 = withCount([0xf4, 1, 0, 0, 0, 0, 0, 0, 0, 9]);
    expect(isValidStreamListpack(one64)).toBe(true);
    // -1 live entries and 1 deleted: the one entry there is, but a count no node can have.
    const minusOne64 = withCount([0xf4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 9], 1);
    expect(isValidStreamListpack(withCount([0xf4, 0, 0, 0, 0, 0, 0, 0, 0, 9], 1))).toBe(true);
    expect(modelIsValid(minusOne64)).toBe(false);
    expect(isValidStreamListpack(minusOne64)).toBe(false);
    for (const [bytes, enc] of [[[0xf1, 0xff, 0xff, 3], 'int16'], [[0xf2, 0xff, 0xff, 0xff, 4], 'int24'], [[0xf3, 0xff, 0xff, 0xff, 0xff, 5], 'int32'], [[0xdf, 0xff, 2], 'int13']] as const) {
      expect(isValidStreamListpack(withCount([...bytes], 1)), enc).toBe(false);
      expect(modelIsValid(withCount([...bytes], 1)), enc).toBe(false);
    }
    expect(isValidStreamListpack(withCount([0xf3, 1, 0, 0, 0, 5]))).toBe(true);
  });

  it('rejects at once a count of fields or entries the bytes cannot hold', () => {
    // count 0, deleted 0, 2^40 master fields (a 64-bit integer element), then nothing.
    const huge = [0xf4, 0, 0, 0, 0, 0, 1, 0, 0, 9];
    const lp = withSizeHeader(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 1, ...huge, 0, 1, 0xff]));
    expect(isValidStreamListpack(lp)).toBe(false);
    const entries = withSizeHeader(Buffer.from([0, 0, 0, 0, 0, 0, ...huge, 0, 1, 0, 1, 0, 1, 0xff]));
    expect(isValidStreamListpack(entries)).toBe(false);
  });
});

describe('loading stream nodes from an RDB file', () => {
  function fileWith(stream: Stream, compression = true): Buffer {
    return encodeRdb([{ id: 0, dict: new Map([['s', stream]]), expires: new Map() }], { compression });
  }

  it('loads nodes carved from shared buffers that read and grow as their own', () => {
    const stream = sampleStream(400, 1);
    const loaded = [...(readRdb(fileWith(stream)).databases.get(0)?.values() ?? [])][0]?.value as Stream;
    expect(loaded.nodeCount).toBe(stream.nodeCount);
    expect(readAll(loaded)).toBe(readAll(stream));
    // Appending to the tail, which shares its slab with the nodes before it, leaves them intact.
    for (let i = 0; i < 300; i++) loaded.append(idFromNumbers(10_000_000 + i, 0), ['f', 'w'.repeat(i % 50)], 0, 1, 51, limits);
    const before = readAll(stream);
    let after = 0;
    const it = loaded.iterator(null, idFromNumbers(9_999_999, 0), false);
    while (it.next()) for (let i = 0; i < it.numFields; i++) after += elementText(it.lp, it.nextField()).length + elementText(it.lp, it.nextValue()).length;
    expect(after).toBe(before);
  });

  it('refuses a file with a damaged node with the error Redis gives, whatever the damage', () => {
    const stream = sampleStream(300, 0);
    const node = Buffer.from(stream.nodeAt(1).listpack);
    // Uncompressed files keep the node's bytes as they are: find them and damage them.
    const plain = fileWith(stream, false);
    const at = plain.indexOf(node);
    expect(at).toBeGreaterThan(0);
    for (const offset of [6, 7, 20, node.length - 2]) {
      const damaged = Buffer.from(plain);
      damaged[at + offset] = (damaged[at + offset] as number) ^ 0x40;
      expect(() => readRdb(damaged)).toThrow(new RdbError('Stream listpack integrity check failed.'));
    }
  });
});
