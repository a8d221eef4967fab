import { describe, expect, it } from 'vitest';
import { packedReplaced, stringBytes, tableResized, type SizeAccount } from '../../src/types/heap-size.js';

describe('size account helpers shared by hash, set and sorted set', () => {
  it('tableResized adds the change to the table and to its account', () => {
    const table = { bytes: 100 };
    const account: SizeAccount = { bytes: 1000 };
    tableResized(table, account, 24);
    tableResized(table, account, -8);
    expect(table.bytes).toBe(116);
    expect(account.bytes).toBe(1016);
  });

  it('tableResized without an account changes only the table', () => {
    const table = { bytes: 100 };
    tableResized(table, null, 24);
    expect(table.bytes).toBe(124);
  });

  it('packedReplaced reports the size delta of the two strings', () => {
    const account: SizeAccount = { bytes: 0 };
    const before = 'x'.repeat(10);
    const after = 'x'.repeat(40);
    packedReplaced(account, before, after);
    expect(account.bytes).toBe(stringBytes(40) - stringBytes(10));
    packedReplaced(account, after, before);
    expect(account.bytes).toBe(0);
    expect(() => packedReplaced(null, before, after)).not.toThrow();
  });
});
