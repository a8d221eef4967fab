/**
 * The integers of a stream node's structure (counts, flags, ID deltas, lp-counts) may be written
 * as strings in a listpack; Redis reads them with string2ll (lpGetIntegerIfValid): "0", or an
 * optional "-" and digits without a leading zero, within a signed 64-bit integer. RESTORE of
 * payloads whose node holds such strings is taken or refused as Redis (with deep sanitization)
 * does, and what is taken reads back, and changes, the same.
 */
import { describe, expect, it } from 'vitest';
import { differentialPair, mismatches } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import { Crc64 } from '../../src/persistence/rdb/crc64.js';

/** A listpack element: a 7-bit integer, or a string (each shorter than 64 bytes). */
function element(e: number | string): number[] {
  if (typeof e === 'number') return [e, 1];
  const bytes = [...Buffer.from(e, 'latin1')];
  return [0x80 | bytes.length, ...bytes, 1 + bytes.length];
}

/** A listpack of the elements, with raw element bytes given as arrays. */
function listpack(elements: Array<number | string | number[]>): Buffer {
  const body = elements.flatMap((e) => (Array.isArray(e) ? e : element(e)));
  const out = Buffer.from([0, 0, 0, 0, elements.length, 0, ...body, 0xff]);
  out.writeUInt32LE(out.length, 0);
  return out;
}

/**
 * A DUMP payload of a stream of one node whose master ID is 5-0, made of `template` (a DUMP of
 * such a stream with a listpack shorter than 64 bytes) with its listpack replaced by `lp`.
 */
function payloadWith(template: Buffer, lp: Buffer): Buffer {
  // Type, node count, the 16-byte master ID with its length, then the listpack's length.
  const lpStart = 1 + 1 + 1 + 16 + 1;
  const oldLength = template[lpStart - 1] as number;
  const payload = Buffer.concat([template.subarray(0, lpStart - 1), Buffer.from([lp.length]), lp, template.subarray(lpStart + oldLength)]);
  new Crc64().update(payload, 0, payload.length - 8).writeLE(payload, payload.length - 8);
  return payload;
}

describe('integers written as strings in a stream node', () => {
  const pair = differentialPair({ nodis: { 'sanitize-dump-payload': 'yes' }, redis: ['--sanitize-dump-payload', 'yes'] });

  it('are read with string2ll: "-0" is refused, 19-digit integers are taken, as in Redis', async () => {
    const redis = await RawClient.connect(pair.redis.port);
    await redis.call('CONFIG', 'SET', 'rdbcompression', 'no');
    await redis.call('XADD', 'template', '5-0', 'f', 'v');
    const template = Buffer.from((await redis.call('DUMP', 'template')) as string, 'latin1');
    redis.close();

    const texts = [
      '0', '-0', '00', '01', '1', '-1', '-01', '999999999999999999', '1000000000000000000', '-1000000000000000000',
      '9223372036854775807', '9223372036854775808', '9223372036854775817', '-9223372036854775808', '-9223372036854775809',
      '10000000000000000000', '+1', ' 1', '1 ', '-', '', '1e3', '0x1',
    ];
    // Node: count 1, deleted 0, 1 master field "f", 0; then one entry: flags, ms delta, seq delta, "v", lp-count 4.
    const nodes: Array<Array<number | string | number[]>> = [];
    for (const text of texts) {
      nodes.push([1, 0, 1, 'f', 0, 2, text, 0, 'v', 4]); // the ms delta
      nodes.push([1, 0, 1, 'f', 0, 2, 0, text, 'v', 4]); // the seq delta
    }
    // Flags written as strings or wider integers: only their bits count.
    for (const flags of ['2', '-2', '6', '1000000000000000002', '9223372036854775806', '-9223372036854775806', '02']) nodes.push([1, 0, 1, 'f', 0, flags, 1, 0, 'v', 4]);
    nodes.push([1, 0, 1, 'f', 0, [0xdf, 0xfe, 2], 1, 0, 'v', 4]); // -2 as a 13-bit integer
    nodes.push([1, 0, 1, 'f', 0, [0xf4, 0x02, 0, 0, 0, 0, 0, 0, 0x40, 9], 1, 0, 'v', 4]); // 2^62 + 2 as a 64-bit integer
    // Counts and lp-counts as strings.
    nodes.push(['1', '0', '1', 'f', '0', 2, 1, 0, 'v', '4']);
    nodes.push(['-0', 0, 1, 'f', 0, 2, 1, 0, 'v', 4]);
    nodes.push([1, 0, 1, 'f', '-0', 2, 1, 0, 'v', 4]);
    nodes.push([1, 0, 1, 'f', 0, 2, 1, 0, 'v', '04']);
    // An entry with fields of its own, its field count as a string.
    nodes.push([1, 0, 1, 'f', 0, 0, '3', '7', '2', 'a', 'b', 'x', 'y', '7']);
    nodes.push([1, 0, 1, 'f', 0, 0, '3', '7', '-0', 'v', '5']);

    const steps: string[][] = [];
    nodes.forEach((node, i) => {
      const payload = payloadWith(template, listpack(node)).toString('latin1');
      const key = `s${i}`;
      steps.push(['RESTORE', key, '0', payload], ['XRANGE', key, '-', '+'], ['XREVRANGE', key, '+', '-'], ['XINFO', 'STREAM', key]);
      // Writes to the node: a new entry, then the first one deleted, read back.
      steps.push(['XADD', key, '18446744073709551615-0', 'f', 'w'], ['XDEL', key, '0-1', '5-0', '6-0', '5-7', '6-7', '4-0']);
      steps.push(['XRANGE', key, '-', '+'], ['XLEN', key]);
    });
    const results = await pair.run(steps);
    expect(mismatches(results)).toEqual([]);
    // Both ways: some of those payloads were taken, some refused.
    const restores = results.filter((r) => (r.step as string[])[0] === 'RESTORE');
    expect(restores.filter((r) => r.redis === '+OK\r\n').length).toBeGreaterThan(10);
    expect(restores.filter((r) => r.redis.startsWith('-ERR Bad data format')).length).toBeGreaterThan(10);
  });
});
