import { describe, expect, it } from 'vitest';
import { Database, type KeyspaceHooks, type KeyspaceStats } from '../../src/keyspace/database.js';
import { defaultAccessPolicy } from '../../src/keyspace/access.js';
import { HashValue } from '../../src/types/hash.js';
import { MutableString } from '../../src/types/mutable-string.js';

const stats = (): KeyspaceStats => ({
  hits: 0, misses: 0, expiredKeys: 0, expiredStalePerc: 0, expiredTimeCapReached: 0, evictedKeys: 0,
  evictionExceededUs: 0, evictionExceededSince: 0,
});

const hooks: KeyspaceHooks = { keyModified() {}, keyExpired() {}, valueOverwritten() {}, keyEvicted() {}, notify() {}, loading: false };

function database(lfu = false): Database {
  const db = new Database(0, hooks, stats());
  db.access = { ...defaultAccessPolicy(), lfu };
  return db;
}

function hashOf(field: string, value: string): HashValue {
  const hash = new HashValue();
  hash.set(field, value, 128, 64);
  return hash;
}

// An object value holds its key's record in a field; a plain string's has a slot of the dict beside it.
describe("where a key's access record is kept", () => {
  it('in the value for a collection, beside a plain string in the dict', () => {
    const db = database();
    db.add('h', hashOf('f', 'v'));
    db.set('s', 'plain');
    expect(db.dict.hasStringRecord('h')).toBe(false);
    expect(db.dict.hasStringRecord('s')).toBe(true);
    expect(db.accessRecordOf('h')).toBeTypeOf('number');
    db.setAccessRecord('h', 1234);
    expect(db.accessRecordOf('h')).toBe(1234);
    expect((db.dict.get('h') as HashValue).access).toBe(1234);
  });

  it('follows the key when its value changes between a plain string and an object, and counts the slot in and out', () => {
    const db = database();
    db.set('k', 'plain');
    const withEntry = db.usage.bytes;
    db.setAccessRecord('k', 77);
    // APPEND, SETRANGE, SETBIT: the same key, now a mutable string, keeps its record.
    db.store('k', MutableString.fromString('plain!'));
    expect(db.dict.hasStringRecord('k')).toBe(false);
    expect(db.accessRecordOf('k')).toBe(77);
    // And back to a plain string (a value stored as it is).
    db.store('k', 'plain again');
    expect(db.dict.stringRecord('k')).toBe(77);
    expect(db.accessRecordOf('k')).toBe(77);
    db.delete('k');
    expect(db.dict.recordCount).toBe(0);
    db.set('k', 'plain');
    expect(db.usage.bytes).toBe(withEntry);
  });

  it("keeps an LFU counter when SET overwrites a collection, as Redis's dbOverwrite", () => {
    const db = database(true);
    db.add('k', hashOf('f', 'v'));
    db.setAccessRecord('k', (1 << 8) | 42);
    db.set('k', 'now a string');
    expect((db.accessRecordOf('k') as number) & 0xff).toBe(42);
    db.set('k', hashOf('g', 'w'));
    expect((db.accessRecordOf('k') as number) & 0xff).toBe(42);
    expect(db.dict.recordCount).toBe(0);
  });

  it('gives collections loaded without a record the shared record of the load', () => {
    const db = database();
    db.unrecordedAccess = 555;
    db.putLoaded('h', hashOf('f', 'v'), -1, undefined, false);
    db.putLoaded('s', 'plain', -1, undefined, false);
    expect(db.accessRecordOf('h')).toBe(555);
    expect(db.accessRecordOf('s')).toBe(555);
    db.putLoaded('h2', hashOf('f', 'v'), -1, 9, false);
    expect(db.accessRecordOf('h2')).toBe(9);
    expect(db.dict.recordCount).toBe(0);
  });

  it('gives a plain string loaded without a record its own at its first read, counted in usage', () => {
    const db = database();
    db.unrecordedAccess = 555;
    db.putLoaded('s', 'plain', -1, undefined, false);
    const loaded = db.usage.bytes;
    expect(db.dict.recordCount).toBe(0);
    expect(db.accessRecordOf('s')).toBe(555);
    // A read records the access (one lookup): the key now has its own record, in a slot.
    expect(db.lookupRead('s')).toBe('plain');
    expect(db.dict.hasStringRecord('s')).toBe(true);
    expect(db.accessRecordOf('s')).not.toBe(555);
    expect(db.usage.bytes - loaded).toBe(db.dict.bytes - db.dict.tableBytes);
    expect(db.usage.bytes - loaded).toBeGreaterThan(0);
    // Deleting the last such key lets the slots go.
    db.delete('s');
    expect(db.dict.bytes - db.dict.tableBytes).toBe(0);
  });

  it('leaves no record slot behind when a load fails on a duplicate that replaced a plain string by an object', () => {
    const db = database();
    expect(db.putLoaded('k', 'plain', -1, 77, false)).toBe(true);
    expect(db.dict.stringRecord('k')).toBe(77);
    // The duplicate takes the key's place (the failed load keeps what it read), as a collection.
    expect(db.putLoaded('k', hashOf('f', 'v'), -1, 5, false)).toBe(false);
    expect(db.dict.get('k')).toBeInstanceOf(HashValue);
    expect(db.dict.recordCount).toBe(0);
    db.delete('k');
    expect(db.dict.recordCount).toBe(0);
  });
});
