/**
 * aof-use-rdb-preamble: AOF files that start with an RDB part load (a base written as RDB, an
 * old-style appendonly.aof of Redis before 7.0 with an RDB preamble and a command tail), what
 * they count (dirty, rdb_last_load_keys_*), damage to the RDB part stopping start-up, loading
 * in slices with -LOADING meanwhile; and the base nodis writes in RDB format.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StartupRefused, startServer } from '../../src/index.js';
import { readRdb } from '../../src/persistence/rdb/index.js';
import { List } from '../../src/types/list.js';
import { freePort } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';
import { aofFiles, capturingLogger, manifestLines, persistenceInfo, rdbBase, resp, waitForRewrite, writeAofDir, aofTestServers } from '../helpers/aof.js';

const { newDir, start, stop } = aofTestServers('aof-preamble');

const future = Date.now() + 600_000;

/** A base of three keys in databases 0 and 2 (one with a TTL, one a list). */
function smallBase(): Buffer {
  return rdbBase({ 0: [['a', '1'], ['l', List.from(['x', 'y'])]], 2: [['t', 'v', future]] });
}

async function connectWhileLoading(port: number): Promise<RawClient> {
  for (let i = 0; i < 100; i++) {
    const c = await RawClient.connect(port).catch(() => null);
    if (c !== null) return c;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the server did not listen while loading');
}

describe('loading an RDB base', () => {
  it('the keys of the RDB part and the commands after it, in several databases', async () => {
    const dir = newDir();
    writeAofDir(dir, [
      { name: 'appendonly.aof.1.base.rdb', seq: 1, type: 'b', content: smallBase() },
      { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: resp(['SELECT', '2'], ['APPEND', 't', 'w'], ['SELECT', '0'], ['RPUSH', 'l', 'z']) },
    ]);
    const lines: string[] = [];
    const running = await startServer({ port: 0, save: '', dir, appendonly: 'yes' }, capturingLogger(lines));
    try {
      const c = await RawClient.connect(running.port);
      expect(await c.call('GET', 'a')).toBe('1');
      expect(await c.call('LRANGE', 'l', '0', '-1')).toEqual(['x', 'y', 'z']);
      await c.call('SELECT', '2');
      expect(await c.call('GET', 't')).toBe('vw');
      expect(await c.call('PEXPIRETIME', 't')).toBe(future);
      c.close();
      expect(lines).toContain('Reading RDB base file on AOF loading...');
      expect(lines).toContain('Done loading RDB, keys loaded: 3, keys expired: 0.');
      expect(lines.some((l) => /^DB loaded from base file appendonly\.aof\.1\.base\.rdb: [\d.]+ seconds$/.test(l))).toBe(true);
    } finally {
      await running.close();
    }
  });

  it("the RDB part's keys are not changes, the commands after it are; rdb_last_load_keys_loaded counts the keys (as Redis)", async () => {
    const dir = newDir();
    writeAofDir(dir, [
      { name: 'appendonly.aof.1.base.rdb', seq: 1, type: 'b', content: smallBase() },
      { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: resp(['SELECT', '0'], ['SET', 'b', '2'], ['RPUSH', 'l', 'p', 'q']) },
    ]);
    const s = await start(dir);
    const c = await s.raw();
    expect(await persistenceInfo(c, 'rdb_changes_since_last_save')).toBe('3');
    expect(await persistenceInfo(c, 'rdb_last_load_keys_loaded')).toBe('3');
    expect(await persistenceInfo(c, 'rdb_last_load_keys_expired')).toBe('0');
  });

  it('a key whose time passed is loaded as it is (the commands after it see it), and gone once loading is over', async () => {
    const dir = newDir();
    const past = Date.now() - 60_000;
    writeAofDir(dir, [
      { name: 'appendonly.aof.1.base.rdb', seq: 1, type: 'b', content: rdbBase({ 0: [['old', 'v', past], ['k', 'v']] }) },
      // Were 'old' dropped while loading, RENAME would fail and 'k' would stay.
      { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: resp(['SELECT', '0'], ['RENAME', 'old', 'k']) },
    ]);
    const s = await start(dir);
    const c = await s.raw();
    expect(await c.call('EXISTS', 'old', 'k')).toBe(0);
    expect(await persistenceInfo(c, 'rdb_last_load_keys_loaded')).toBe('2');
  });

  it('while it loads, the server answers -LOADING and INFO shows the bytes loaded so far', async () => {
    const dir = newDir();
    const keys: Array<[string, string]> = [];
    for (let i = 0; i < 40; i++) keys.push([`k${i}`, String(i)]);
    writeAofDir(dir, [
      { name: 'appendonly.aof.1.base.rdb', seq: 1, type: 'b', content: rdbBase({ 0: keys }) },
      { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: resp(['SELECT', '0'], ['SET', 'after', '1']) },
    ]);
    const port = await freePort();
    // key-load-delay: a pause after each key of the RDB part too, as in Redis.
    const starting = startServer({ port, save: '', dir, appendonly: 'yes', 'key-load-delay': 5000 });
    const c = await connectWhileLoading(port);
    try {
      expect(await c.call('GET', 'k1')).toEqual({ error: 'LOADING Redis is loading the dataset in memory' });
      expect(await persistenceInfo(c, 'loading')).toBe('1');
      const total = statSync(join(dir, 'appendonlydir', 'appendonly.aof.1.base.rdb')).size + statSync(join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof')).size;
      expect(await persistenceInfo(c, 'loading_total_bytes')).toBe(String(total));
      let loaded = 0;
      for (let i = 0; i < 100 && loaded === 0; i++) {
        loaded = Number(await persistenceInfo(c, 'loading_loaded_bytes'));
        if (loaded === 0) await new Promise((r) => setTimeout(r, 10));
      }
      expect(loaded).toBeGreaterThan(0);
      expect(loaded).toBeLessThan(total);
      const running = await starting;
      try {
        expect(await persistenceInfo(c, 'loading')).toBe('0');
        expect(await c.call('DBSIZE')).toBe(41);
      } finally {
        await running.close();
      }
    } finally {
      c.close();
    }
  });
});

describe('an old-style AOF with an RDB preamble', () => {
  it('is moved into the directory as the base, and its RDB part and command tail load', async () => {
    const dir = newDir();
    writeFileSync(join(dir, 'appendonly.aof'), Buffer.concat([smallBase(), Buffer.from(resp(['SELECT', '0'], ['SET', 'b', '2'], ['SELECT', '2'], ['DEL', 't']), 'latin1')]));
    const lines: string[] = [];
    const running = await startServer({ port: 0, save: '', dir, appendonly: 'yes' }, capturingLogger(lines));
    try {
      const c = await RawClient.connect(running.port);
      expect(await c.call('MGET', 'a', 'b')).toEqual(['1', '2']);
      expect(await c.call('LRANGE', 'l', '0', '-1')).toEqual(['x', 'y']);
      await c.call('SELECT', '2');
      expect(await c.call('EXISTS', 't')).toBe(0);
      c.close();
      expect(lines).toContain('Reading RDB preamble from AOF file...');
      expect(lines).toContain('Reading the remaining AOF tail...');
      expect(manifestLines(join(dir, 'appendonlydir'))).toEqual(['file appendonly.aof seq 1 type b', 'file appendonly.aof.1.incr.aof seq 1 type i']);
    } finally {
      await running.close();
    }
  });

  it('a truncated command in the tail is cut back to the end of the RDB part at most, never into it', async () => {
    const dir = newDir();
    const rdb = smallBase();
    writeFileSync(join(dir, 'appendonly.aof'), Buffer.concat([rdb, Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nc', 'latin1')]));
    const s = await start(dir);
    const c = await s.raw();
    expect(await c.call('MGET', 'a', 'c')).toEqual(['1', null]);
    expect(statSync(join(dir, 'appendonlydir', 'appendonly.aof')).size).toBe(rdb.length);
  });
});

describe('a damaged RDB part refuses to start, naming the file, whatever aof-load-truncated says', () => {
  const incr = { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i' as const, content: resp(['SELECT', '0'], ['SET', 'b', '2']) };

  it('a truncated base', async () => {
    const dir = newDir();
    const base = smallBase();
    const aofDir = writeAofDir(dir, [{ name: 'appendonly.aof.1.base.rdb', seq: 1, type: 'b', content: base.subarray(0, base.length - 12) }, incr]);
    const refused = startServer({ port: 0, save: '', dir, appendonly: 'yes', 'aof-load-truncated': 'yes' });
    await expect(refused).rejects.toThrow(StartupRefused);
    await expect(refused).rejects.toThrow('Error reading the RDB base file appendonly.aof.1.base.rdb, AOF loading aborted: Unexpected EOF reading RDB file');
    // Nothing was cut.
    expect(statSync(join(aofDir, 'appendonly.aof.1.base.rdb')).size).toBe(base.length - 12);
  });

  it('a base whose checksum does not match', async () => {
    const dir = newDir();
    const base = Buffer.from(smallBase());
    // The last byte before the EOF opcode and the CRC: the value "v" of the last key, t.
    base[base.length - 10] = 0x77;
    writeAofDir(dir, [{ name: 'appendonly.aof.1.base.rdb', seq: 1, type: 'b', content: base }, incr]);
    await expect(startServer({ port: 0, save: '', dir, appendonly: 'yes' })).rejects.toThrow(
      'Error reading the RDB base file appendonly.aof.1.base.rdb, AOF loading aborted: Wrong RDB checksum',
    );
  });

  it('an old-style preamble', async () => {
    const dir = newDir();
    const rdb = smallBase();
    writeFileSync(join(dir, 'appendonly.aof'), rdb.subarray(0, 30));
    await expect(startServer({ port: 0, save: '', dir, appendonly: 'yes' })).rejects.toThrow(
      'Error reading the RDB preamble of the AOF file appendonly.aof, AOF loading aborted: Unexpected EOF reading RDB file',
    );
  });
});

describe('writing the base in RDB format', () => {
  it('a new AOF starts with an empty RDB base (aof-base 1); with the preamble off, an empty command base', async () => {
    const dir = newDir();
    const s = await start(dir);
    const aofDir = join(dir, 'appendonlydir');
    expect(aofFiles(aofDir)).toEqual(['appendonly.aof.1.base.rdb', 'appendonly.aof.1.incr.aof', 'appendonly.aof.manifest']);
    const base = readRdb(readFileSync(join(aofDir, 'appendonly.aof.1.base.rdb')));
    expect(base.aux.get('aof-base')).toBe('1');
    expect(base.databases.size).toBe(0);
    await stop(s);

    const other = newDir();
    await start(other, { 'aof-use-rdb-preamble': 'no' });
    expect(aofFiles(join(other, 'appendonlydir'))).toEqual(['appendonly.aof.1.base.aof', 'appendonly.aof.1.incr.aof', 'appendonly.aof.manifest']);
    expect(statSync(join(other, 'appendonlydir', 'appendonly.aof.1.base.aof')).size).toBe(0);
  });

  it('BGREWRITEAOF writes the dataset as it was when it started, as an RDB with aof-base 1; INFO reports it as before', async () => {
    const dir = newDir();
    const s = await start(dir);
    const c = await s.raw();
    for (let i = 0; i < 30; i++) await c.call('SET', `k${i}`, String(i));
    await c.call('SELECT', '3');
    await c.call('RPUSH', 'l', 'a', 'b');
    await c.call('PEXPIREAT', 'l', String(future));
    await c.call('SELECT', '0');
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000');
    expect(await c.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
    // Changed, deleted and created during the rewrite: the base keeps the start.
    await c.call('SET', 'k0', 'changed');
    await c.call('DEL', 'k1');
    await c.call('SET', 'new', 'x');
    expect(await c.call('BGSAVE')).toEqual({
      error: "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
    });
    await waitForRewrite(c);
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
    const aofDir = join(dir, 'appendonlydir');
    expect(manifestLines(aofDir)).toEqual(['file appendonly.aof.2.base.rdb seq 2 type b', 'file appendonly.aof.2.incr.aof seq 2 type i']);
    const base = readRdb(readFileSync(join(aofDir, 'appendonly.aof.2.base.rdb')));
    expect(base.aux.get('aof-base')).toBe('1');
    expect(base.databases.get(0)?.get('k0')?.value).toBe('0');
    expect(base.databases.get(0)?.get('k1')?.value).toBe('1');
    expect(base.databases.get(0)?.has('new')).toBe(false);
    expect(base.databases.get(3)?.get('l')?.expireAt).toBe(future);
    expect(aofFiles(aofDir).filter((f) => f.startsWith('temp'))).toEqual([]);
    const baseSize = statSync(join(aofDir, 'appendonly.aof.2.base.rdb')).size;
    const incrSize = statSync(join(aofDir, 'appendonly.aof.2.incr.aof')).size;
    expect(await persistenceInfo(c, 'aof_last_bgrewrite_status')).toBe('ok');
    expect(await persistenceInfo(c, 'aof_rewrites')).toBe('1');
    expect(await persistenceInfo(c, 'aof_rewrites_consecutive_failures')).toBe('0');
    expect(await persistenceInfo(c, 'aof_rewrite_in_progress')).toBe('0');
    expect(await persistenceInfo(c, 'aof_current_size')).toBe(String(baseSize + incrSize));
    expect(await persistenceInfo(c, 'aof_base_size')).toBe(String(baseSize + incrSize));
    // No BGSAVE happened for INFO's rdb_* fields.
    expect(await persistenceInfo(c, 'rdb_saves')).toBe('0');
    expect(await persistenceInfo(c, 'rdb_bgsave_in_progress')).toBe('0');
    expect(await c.call('MGET', 'k0', 'k1', 'new')).toEqual(['changed', null, 'x']);
  });

  it('an aborted rewrite (appendonly no) removes its temporary file and keeps the old base', async () => {
    const dir = newDir();
    const s = await start(dir);
    const c = await s.raw();
    for (let i = 0; i < 50; i++) await c.call('SET', `k${i}`, 'v');
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '20000');
    await c.call('BGREWRITEAOF');
    const aofDir = join(dir, 'appendonlydir');
    expect(aofFiles(aofDir).some((f) => f.startsWith('temp-rewriteaof-bg-'))).toBe(true);
    expect(await c.call('CONFIG', 'SET', 'appendonly', 'no')).toBe('OK');
    expect(aofFiles(aofDir).filter((f) => f.startsWith('temp'))).toEqual([]);
    expect(manifestLines(aofDir)[0]).toBe('file appendonly.aof.1.base.rdb seq 1 type b');
  });
});
