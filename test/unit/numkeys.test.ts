import { describe, expect, it } from 'vitest';
import { atoi } from '../../src/util/parse.js';
import { numkeysKeyPositions } from '../../src/commands/args/numkeys.js';

describe("C's atoi", () => {
  it('reads leading white space, a sign and the digits that follow, 0 without any', () => {
    const cases: Array<[string, number]> = [
      ['2', 2], ['02', 2], ['2x', 2], [' \t\n\v\f\r2', 2], ['+2', 2], ['-2', -2], ['x', 0], ['', 0], ['-', 0], ['1.5', 1],
      ['\xa02', 0], ['2147483647', 2147483647], ['2147483648', -2147483648], ['4294967298', 2], ['-4294967297', -1],
      ['99999999999999999999', -1], ['-99999999999999999999', 0],
    ];
    for (const [text, value] of cases) expect(atoi(text), JSON.stringify(text)).toBe(value);
  });
});

describe('numkeys key positions (Redis genericGetKeys)', () => {
  it('lists the keys after numkeys, then the destination, or none when numkeys is out of range', () => {
    expect(numkeysKeyPositions(['zunion', '2', 'a', 'b'], 1)).toEqual([2, 3]);
    expect(numkeysKeyPositions(['zunionstore', 'dst', '2', 'a', 'b'], 2, 1)).toEqual([3, 4, 1]);
    expect(numkeysKeyPositions(['zunionstore', 'dst', '1', 'a', 'b'], 2, 1)).toEqual([3, 1]);
    expect(numkeysKeyPositions(['bzmpop', '0', '2x', 'a', 'b', 'MIN'], 2)).toEqual([3, 4]);
    expect(numkeysKeyPositions(['zunion', '3', 'a', 'b'], 1)).toEqual([]);
    expect(numkeysKeyPositions(['zunion', '0', 'a'], 1)).toEqual([]);
    expect(numkeysKeyPositions(['zunionstore', 'dst', '-1', 'a'], 2, 1)).toEqual([]);
    expect(numkeysKeyPositions(['zunion'], 1)).toEqual([]);
  });
});
