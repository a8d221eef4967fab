import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HashValue } from '../../src/types/hash.js';
import { objectBytes, stringBytes } from '../../src/types/heap-size.js';

describe('packed hashes', () => {
  it('keep a small hash in one string: the accounting dataset\'s 5 fields in 144 bytes', () => {
    const hash = new HashValue();
    const pairs = [['name', 'user123456'], ['email', 'user123456@example.com'], ['age', '45'], ['city', 'Paris'], ['visits', '456']];
    for (const [f, v] of pairs) hash.set(f as string, v as string, 128, 64);
    expect(hash.encoding()).toBe('listpack');
    // 1 count + 10 × 1 length + 64 chars.
    expect(hash.bytes).toBe(objectBytes(3) + stringBytes(75));
    expect(hash.bytes).toBe(hash.recountBytes());
    expect(Array.from({ length: hash.size }, (_, i) => [hash.fieldAt(i), hash.valueAt(i)])).toEqual(pairs);
    expect(hash.get('email')).toBe('user123456@example.com');
    expect(hash.indexOf('city')).toBe(3);
  });

  it('keep their string when a field is set to the value it has, and change it for another value', () => {
    const hash = new HashValue();
    hash.set('f', 'xxx', 128, 64);
    hash.set('g', 'y', 128, 64);
    const before = hash.bytes;
    expect(hash.set('f', 'xxx', 128, 64)).toBe(false);
    expect(hash.get('f')).toBe('xxx');
    expect(hash.set('f', 'xx', 128, 64)).toBe(false);
    expect(hash.get('f')).toBe('xx');
    expect(hash.bytes).toBeLessThanOrEqual(before);
    expect(hash.set('f', 'xxy', 128, 64)).toBe(false);
    expect(hash.get('f')).toBe('xxy');
    expect(hash.bytes).toBe(hash.recountBytes());
    expect(Array.from({ length: hash.size }, (_, i) => [hash.fieldAt(i), hash.valueAt(i)])).toEqual([['f', 'xxy'], ['g', 'y']]);
  });

  it('behave as the model (insertion order) under any changes, turning into a table past the limits', () => {
    const text = fc.oneof(fc.constantFrom('a', 'b', 'cc', 'field', ''), fc.string({ maxLength: 20 }), fc.constant('v'.repeat(300)));
    const op = fc.tuple(fc.boolean(), text, text);
    fc.assert(fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const hash = new HashValue();
      const model = new Map<string, string>();
      let converted = false;
      for (const [isSet, field, value] of ops) {
        if (isSet) {
          if (field.length > 16 || value.length > 16) converted = true;
          expect(hash.set(field, value, 6, 16)).toBe(!model.has(field));
          model.set(field, value);
          if (model.size > 6) converted = true;
        } else {
          expect(hash.delete(field)).toBe(model.delete(field));
        }
        expect(hash.encoding()).toBe(converted ? 'hashtable' : 'listpack');
        expect(hash.bytes).toBe(hash.recountBytes());
        expect(hash.size).toBe(model.size);
      }
      for (const [f, v] of model) expect(hash.get(f)).toBe(v);
      if (!converted) expect(Array.from({ length: hash.size }, (_, i) => [hash.fieldAt(i), hash.valueAt(i)])).toEqual([...model]);
      const copy = hash.clone();
      for (const [f, v] of model) expect(copy.get(f)).toBe(v);
      expect(copy.bytes).toBe(copy.recountBytes());
    }), { numRuns: 300 });
  });
});
