import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { partialSort } from '../../src/util/pqsort.js';
import { strtodChecked } from '../../src/util/strtod.js';

const byNumber = (a: number, b: number): number => a - b;

describe('partialSort', () => {
  it('puts into lo..hi what a full sort puts there', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 200 }), fc.nat(), fc.nat(), (values, x, y) => {
        if (values.length === 0) return;
        const lo = x % values.length;
        const hi = lo + (y % (values.length - lo));
        const a = values.slice();
        partialSort(a, byNumber, lo, hi);
        const full = values.slice().sort(byNumber);
        expect(a.slice(lo, hi + 1)).toEqual(full.slice(lo, hi + 1));
        expect(a.slice().sort(byNumber)).toEqual(full);
      }),
    );
  });

  it('sorts everything when the range covers the array, and accepts an empty range', () => {
    const a = [5, 3, 9, 1, 7, 2, 8, 6, 4, 0, 11, 10];
    partialSort(a, byNumber, 0, a.length - 1);
    expect(a).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const b = [3, 1, 2];
    partialSort(b, byNumber, 2, 1);
    expect(b.slice().sort(byNumber)).toEqual([1, 2, 3]);
  });
});

describe('strtodChecked', () => {
  it('accepts what strtod converts entirely', () => {
    expect(strtodChecked('')).toBe(0);
    expect(strtodChecked(' \t5')).toBe(5);
    expect(strtodChecked('+.5')).toBe(0.5);
    expect(strtodChecked('5.')).toBe(5);
    expect(strtodChecked('-inf')).toBe(-Infinity);
    expect(strtodChecked('INFINITY')).toBe(Infinity);
    expect(strtodChecked('0x10')).toBe(16);
    expect(strtodChecked('0x1.8p1')).toBe(3);
    expect(strtodChecked('0x.8')).toBe(0.5);
    expect(strtodChecked('0x1p-1070')).toBe(2 ** -1070);
    expect(strtodChecked('12\x00junk')).toBe(12);
    expect(strtodChecked('2.5e-308')).toBe(2.5e-308);
    expect(strtodChecked('0e-999')).toBe(0);
  });

  it('rejects leftovers, NaN and ERANGE', () => {
    for (const bad of ['5 ', '   ', 'nan', '1e', '0x', '0x.p1', '--1', '1e500', '-1e500', '1e-400', '1e-310', '0x1p1024', '0x1.00000000000001p-1070', 'abc']) {
      expect(strtodChecked(bad), bad).toBeNull();
    }
  });
});
