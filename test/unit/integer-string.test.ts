import { describe, expect, it } from 'vitest';
import { IntegerString } from '../../src/types/integer-string.js';
import { stringValueByte, stringValueBytes, stringValueText } from '../../src/types/mutable-string.js';
import { stringEncoding } from '../../src/types/value.js';

const SAMPLES = [0, 1, 9, 10, 99, 100, 12345, -1, -9, -10, -12345, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53 - 1, -(2 ** 53 - 1), 10 ** 15, 10 ** 15 - 1];

describe('IntegerString', () => {
  it('reads as the decimal text of its integer', () => {
    for (const n of SAMPLES) {
      const value = new IntegerString(n);
      const text = String(n);
      expect(value.length, text).toBe(text.length);
      expect(value.toString()).toBe(text);
      expect(stringValueText(value)).toBe(text);
      expect(stringValueBytes(value).toString('latin1')).toBe(text);
      for (let i = 0; i <= text.length; i++) expect(stringValueByte(value, i)).toBe(i < text.length ? text.charCodeAt(i) : 0);
      expect(value.largeBytes()).toBeNull();
      expect(value.type).toBe('string');
      expect(stringEncoding(value)).toBe('int');
    }
  });

  it('reports its size changes in place, a number beyond a small integer being boxed', () => {
    const account = { bytes: 0 };
    const value = new IntegerString(5);
    const small = value.bytes;
    value.account = account;
    value.set(6);
    expect(account.bytes).toBe(0);
    value.set(2 ** 31);
    expect(value.bytes).toBeGreaterThan(small);
    expect(account.bytes).toBe(value.bytes - small);
    value.set(-(2 ** 31));
    expect(account.bytes).toBe(0);
    expect(value.recountBytes()).toBe(value.bytes);
    const copy = value.clone();
    expect(copy).not.toBe(value);
    expect(copy.integer).toBe(value.integer);
    expect(copy.account).toBeNull();
  });
});
