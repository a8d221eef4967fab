import { describe, expect, it } from 'vitest';
import { parseDouble } from '../../src/util/parse.js';

describe('parseDouble', () => {
  it('reads plain integers as strtod does, signs, leading zeros and -0 included', () => {
    const cases = ['0', '-0', '7', '-7', '007', '-007', '1700000000', '123456789012345', '-123456789012345', '1234567890123456', '99999999999999999'];
    for (const text of cases) expect(Object.is(parseDouble(text), Number(text)), text).toBe(true);
    for (let i = 0; i < 2000; i++) {
      const text = String(Math.floor((Math.random() - 0.5) * 10 ** (1 + (i % 16))));
      expect(parseDouble(text), text).toBe(Number(text));
    }
  });

  it('leaves every other form to the full reading', () => {
    expect(parseDouble('+5')).toBe(5);
    expect(parseDouble('1.5')).toBe(1.5);
    expect(parseDouble('1e3')).toBe(1000);
    expect(parseDouble('-inf')).toBe(-Infinity);
    expect(parseDouble('0x10')).toBe(16);
    expect(parseDouble('0e5')).toBe(0);
    expect(parseDouble('1e-400')).toBeNull();
    for (const bad of ['', '-', '--1', '1-', ' 1', '1 ', '12a', 'a12', '1.2.3', '٣']) expect(parseDouble(bad), bad).toBeNull();
  });
});
