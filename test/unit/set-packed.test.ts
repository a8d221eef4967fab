import { describe, expect, it } from 'vitest';
import { SetValue } from '../../src/types/set.js';
import { objectBytes, stringBytes } from '../../src/types/heap-size.js';

function members(s: SetValue): string[] {
  return Array.from(s.members());
}

describe('packed intsets', () => {
  it('keep the accounting dataset\'s 5 integers in one string of 4-byte members', () => {
    const set = new SetValue();
    for (const m of ['123456', '123457', '7', '42', '1000000']) set.add(m, 512);
    expect(set.encoding()).toBe('intset');
    expect(set.bytes).toBe(objectBytes(3) + stringBytes(1 + 5 * 4));
    expect(set.bytes).toBe(set.recountBytes());
    expect(members(set)).toEqual(['7', '42', '123456', '123457', '1000000']);
  });

  it('widen from 2 to 4 to 8 bytes as larger members come, either sign, and keep 64-bit extremes exact', () => {
    const set = new SetValue();
    const added = ['5', '-32768', '32767', '-32769', '2147483648', '-9223372036854775808', '9223372036854775807', '9007199254740993', '-1', '0'];
    for (const m of added) {
      expect(set.add(m, 512)).toBe(true);
      expect(set.bytes).toBe(set.recountBytes());
    }
    // 8 bytes a member once one needs them.
    expect(set.bytes).toBe(objectBytes(3) + stringBytes(1 + added.length * 8));
    const sorted = [...added].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    expect(members(set)).toEqual(sorted);
    for (const m of added) expect(set.has(m)).toBe(true);
    expect(set.has('9007199254740992')).toBe(false);
    expect(set.has('-9223372036854775807')).toBe(false);
    expect(set.delete('9007199254740993')).toBe(true);
    expect(set.has('9007199254740993')).toBe(false);
    expect(set.delete('-9223372036854775808')).toBe(true);
    expect(members(set)).toEqual(sorted.filter((m) => m !== '9007199254740993' && m !== '-9223372036854775808'));
    const copy = set.clone();
    expect(members(copy)).toEqual(members(set));
    expect(copy.bytes).toBe(copy.recountBytes());
  });

  it('turn into a table past set-max-intset-entries or with a non-integer, with copies of the members', () => {
    const set = new SetValue();
    for (let i = 0; i < 3; i++) set.add(String(i * 1000), 3);
    expect(set.encoding()).toBe('intset');
    set.add('4000', 3);
    expect(set.encoding()).toBe('hashtable');
    expect(set.bytes).toBe(set.recountBytes());
    const other = new SetValue();
    other.add('1', 512);
    other.add('x', 512);
    expect(other.encoding()).toBe('hashtable');
    expect(other.has('1') && other.has('x')).toBe(true);
  });
});
