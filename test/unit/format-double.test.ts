import { describe, expect, it } from 'vitest';
import { formatDouble17g } from '../../src/util/format.js';

// Expected texts are glibc's printf("%.17g").
describe('formatDouble17g', () => {
  it('prints special values, zeros, fixed and exponent forms as %.17g', () => {
    const cases: [number, string][] = [
      [Infinity, 'inf'],
      [-Infinity, '-inf'],
      [0, '0'],
      [-0, '-0'],
      [1.5, '1.5'],
      [-2.5, '-2.5'],
      [100, '100'],
      [0.1, '0.10000000000000001'],
      [3.14159, '3.1415899999999999'],
      [0.0001, '0.0001'],
      [0.00001, '1.0000000000000001e-05'],
      [1e16, '10000000000000000'],
      [12345678901234568, '12345678901234568'],
      [1e17, '1e+17'],
      [1e21, '1e+21'],
      [1e-300, '1e-300'],
      [5e-324, '4.9406564584124654e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [123456789012345.5, '123456789012345.5'],
      [2.86102294921875e-6, '2.86102294921875e-06'],
    ];
    for (const [value, text] of cases) expect([value, formatDouble17g(value)]).toEqual([value, text]);
  });

  it('rounds an exact tie at the 18th digit to even, as C does', () => {
    // 0.100002288818359375, 0.100009918212890625 and 0.100017547607421875 are exact doubles.
    expect(formatDouble17g(26215 / 262144)).toBe('0.10000228881835938');
    expect(formatDouble17g(26217 / 262144)).toBe('0.10000991821289062');
    expect(formatDouble17g(-26217 / 262144)).toBe('-0.10000991821289062');
    expect(formatDouble17g(26219 / 262144)).toBe('0.10001754760742188');
    // Ties in the exponent form: 45 / 2^22 is 1.07288360595703125e-05 exactly.
    expect(formatDouble17g(45 / 2 ** 22)).toBe('1.0728836059570312e-05');
    expect(formatDouble17g(43 / 2 ** 22)).toBe('1.0251998901367188e-05');
  });
});
