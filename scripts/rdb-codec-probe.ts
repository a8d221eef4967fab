/**
 * The RDB writer and reader alone, in this process: reads an RDB file (such as one
 * scripts/persist-probe.ts --keep saved), then encodes its keys again and decodes the file a
 * few times in a row, timing each round (the first rounds include the JIT warming up). Not a
 * test: a measuring tool, run by hand.
 *
 *   npx tsx scripts/rdb-codec-probe.ts FILE [--rounds N] [--only encode|decode]
 */
import { readFileSync } from 'node:fs';
import { encodeRdb, readRdb } from '../src/persistence/rdb/index.js';
import type { Value } from '../src/types/value.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: rdb-codec-probe.ts FILE [--rounds N] [--only encode|decode]');
function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}
const rounds = Number(option('rounds', '5'));
const only = option('only', '');

const input = readFileSync(file);
let started = performance.now();
const contents = readRdb(input);
console.log(`first decode: ${(performance.now() - started).toFixed(0)} ms`);
const databases = [...contents.databases].map(([id, keys]) => {
  const dict = new Map<string, Value>();
  for (const [key, entry] of keys) dict.set(key, entry.value);
  return { id, dict, expires: new Map<string, number>() };
});
for (let round = 0; round < rounds; round++) {
  const line: string[] = [];
  if (only !== 'decode') {
    started = performance.now();
    const cpu = process.cpuUsage();
    const out = encodeRdb(databases);
    line.push(`encode ${(performance.now() - started).toFixed(0)} ms, cpu ${(process.cpuUsage(cpu).user / 1000).toFixed(0)} ms (${out.length} B${out.subarray(0, out.length - 8).equals(input.subarray(0, input.length - 8)) ? '' : ', differs'})`);
  }
  if (only !== 'encode') {
    started = performance.now();
    const cpu = process.cpuUsage();
    readRdb(input);
    line.push(`decode ${(performance.now() - started).toFixed(0)} ms, cpu ${(process.cpuUsage(cpu).user / 1000).toFixed(0)} ms`);
  }
  console.log(`round ${round + 1}: ${line.join(', ')}`);
}
