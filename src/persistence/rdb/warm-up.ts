/**
 * Runs the byte loops of saving and loading (LZF compression and decompression, in WebAssembly
 * and in JS, and CRC-64) a few times on a small made-up listpack, once, as the server starts,
 * so that V8 has optimized them before the first SAVE or load needs them.
 *
 * Why: these loops are what a snapshot of large lists and streams costs (every quicklist node
 * and stream listpack is LZF-compressed, every byte of the file goes through the CRC), and
 * until V8's optimizing compiler has run they are 20 to 40 times slower (measured: 8 KB
 * compressed in 0.4-0.8 ms instead of 0.02 ms). The compiler runs in the background after
 * a function has run a while, taking 20-60 ms on a busy core; a SAVE of 1M list elements or
 * stream entries in a fresh server spent about as long waiting for it as working, and so took
 * about twice a later SAVE's time. The optimized code, once there, stays (checked through full
 * garbage collections). The cost: about 10-20 ms of start-up, spent before the dataset loads,
 * which then runs the optimized code too.
 */
import { Crc64 } from './crc64.js';
import { lzfCompress, lzfCompressJs, lzfDecompress, lzfDecompressJs } from './lzf.js';

/** Bytes of the made-up input: a quicklist node's default size (list-max-listpack-size -2). */
const INPUT_BYTES = 8192;
/**
 * Runs of each loop: enough for V8 to mark them hot (it did after 2 to 3 runs of 8 KB) and
 * to have collected type feedback on every branch (which it starts doing only after a few
 * calls: a branch taken in the first calls only would later undo the optimized code).
 */
const RUNS = 8;

let warmed = false;

/** Whether warmUpCodecs ran in this process (tests). */
export function codecsWarmedUp(): boolean {
  return warmed;
}

/**
 * Warms the loops up, once per process (later calls do nothing). Returns a value made of the
 * results, so that no run can be skipped as dead code.
 */
export function warmUpCodecs(): number {
  if (warmed) return 0;
  warmed = true;
  // Bytes that do not compress, then entries shaped like a listpack's strings (a length byte,
  // text that repeats with small changes, a back-length byte): literals, matches, matches
  // that reach the end and the "does not fit" end alike, as real values have them.
  const input = Buffer.allocUnsafe(INPUT_BYTES);
  const half = INPUT_BYTES / 2;
  let noise = 0x9e3779b9;
  for (let p = 0; p < half; p++) {
    noise = (Math.imul(noise, 1103515245) + 12345) >>> 0;
    input[p] = noise >>> 24;
  }
  let p = half;
  for (let i = 0; p + 24 <= INPUT_BYTES; i++) {
    if (i % 2 === 0) {
      // A list element: "element:NNNNNNN".
      input[p] = 0x0f;
      input.latin1Write(`element:${String(i * 7919).padStart(7, '0')}`, p + 1);
      input[p + 16] = 0x10;
      p += 17;
    } else {
      // A stream entry of one field: flags, ID deltas, a 16-byte value of one repeated char.
      input.latin1Write(`${String.fromCharCode(i & 0x7f)}\x01\x00\x01\x90${'v'.repeat(16)}\x11\x05\x01`, p);
      p += 24;
    }
  }
  input.fill(0x7f, p);
  let result = 0;
  for (let run = 0; run < RUNS; run++) {
    // Buffers of their own and lengths that vary, odd ones too, as values come.
    const start = half - 1024 + run * 3;
    const end = INPUT_BYTES - run * 7;
    const length = end - start;
    const compressed = Buffer.allocUnsafe(INPUT_BYTES);
    const output = Buffer.allocUnsafe(INPUT_BYTES);
    const size = lzfCompress(input, start, length, compressed, 0, length - 4);
    result += size + lzfDecompress(compressed, 0, size, output, 0, INPUT_BYTES);
    // The JS decompressor too: it takes short strings (and outputs over 1 MB).
    result += lzfDecompressJs(compressed, 0, size, output, 0, INPUT_BYTES);
    // The noise alone does not compress.
    result += lzfCompress(input, run, half - run, compressed, 0, half - run - 4);
    // The JS compressor too: it takes strings over 1 MB, and a background save's steps.
    result += lzfCompressJs(input, start, length, compressed, 0, length - 4);
    result += lzfCompressJs(input, run, half - run, compressed, 0, half - run - 4);
    const crc = new Crc64().update(input, start, end);
    crc.writeLE(output, 0);
    result += output[0] as number;
  }
  // Short strings, whose matches run into the end of the input at every length.
  for (let length = 24; length < 64; length++) {
    const compressed = Buffer.allocUnsafe(length);
    result += lzfCompress(input, INPUT_BYTES - length, length, compressed, 0, length - 4);
  }
  return result;
}
