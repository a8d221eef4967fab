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
    expect(hash.fieldAt(3)).toBe('city');
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
  it('built in one pass from a file\'s pairs (packedOf) are the hash that setting them one by one makes, and refuse a repeated field', () => {
    // Latin1 text of any length (varints of 1 to 3 chars), few fields (pair by pair) and many (a
    // Set), and fields of one length and first char that differ further on (told apart by their chars).
    const text = fc.oneof(
      fc.string({ maxLength: 20, unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)) }),
      fc.constantFrom('', 'a', 'ab', 'ac', 'abc', 'abd', 'ba', 'v'.repeat(299) + 'w'),
      fc.constant('v'.repeat(300)),
      fc.constant('w'.repeat(20000)),
    );
    fc.assert(fc.property(fc.array(fc.tuple(text, text), { maxLength: 40 }), (entries) => {
      const pairs = entries.flat();
      const bySet = new HashValue();
      let distinct = true;
      for (const [f, v] of entries) distinct = bySet.set(f, v, Infinity, Infinity) && distinct;
      const packed = HashValue.packedOf(pairs);
      if (!distinct) {
        expect(packed).toBeNull();
        return;
      }
      expect(packed).not.toBeNull();
      const hash = packed as HashValue;
      expect(hash.encoding()).toBe('listpack');
      expect(hash.size).toBe(bySet.size);
      expect(hash.bytes).toBe(bySet.bytes);
      expect(hash.bytes).toBe(hash.recountBytes());
      expect(Array.from({ length: hash.size }, (_, i) => [hash.fieldAt(i), hash.valueAt(i)])).toEqual(entries);
    }));
    expect(HashValue.packedOf(['a', '1', 'b', '2', 'a', '3'])).toBeNull();
    const many = Array.from({ length: 20 }, (_, i) => [`f${i}`, `${i}`]).flat();
    expect(HashValue.packedOf(many)?.get('f19')).toBe('19');
    expect(HashValue.packedOf([...many, 'f7', 'x'])).toBeNull();
  });
});
