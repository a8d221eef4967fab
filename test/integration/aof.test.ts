/**
 * The append-only file, in-process: what is logged comes back after a restart (every type,
 * binary data, TTLs, 16 databases, transactions, blocking pops), rewrites while writes go on,
 * turning it on and off at run time, damaged files at start-up, write errors, INFO.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LoadingInterrupted, StartupRefused, startServer } from '../../src/index.js';
import { appendOnlyFileOf } from '../../src/persistence/aof/index.js';
import { setKeyChangeListener } from '../../src/keyspace/database.js';
import { startTestServer } from '../helpers/server.js';
import { readDataset } from '../helpers/dataset.js';
import { freePort } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';
import { connectWhileStarting } from '../helpers/loading.js';
import {
  aofFiles, aofTestServers, capturingLogger, manifestLines, persistenceInfo, resp, waitForRewrite, writeAofDir, writeEveryKind,
} from '../helpers/aof.js';

const { newDir, start, keep, stop } = aofTestServers('aof');

async function digest(c: RawClient): Promise<string> {
  return (await c.call('DEBUG', 'DIGEST')) as string;
}

/** Digest and every key's type, value and expiry time, for comparing two servers. */
async function snapshot(c: RawClient): Promise<{ digest: string; keys: string }> {
  const keys = await readDataset(c, 16);
  return { digest: await digest(c), keys: JSON.stringify([...keys.entries()].sort()) };
}

describe('the AOF round trip', () => {
  it('every kind of write comes back after a restart, and expired keys stay gone', async () => {
    const dir = newDir();
    const first = await start(dir);
    const c = await first.raw();
    await writeEveryKind(c, await first.raw());
    const before = await snapshot(c);
    expect(before.digest).not.toBe('0'.repeat(40));
    expect(await c.call('EXISTS', 'soon')).toBe(0);
    const expireAt = await c.call('PEXPIRETIME', 'hsmall');
    const incrPath = join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
    const logged = statSync(incrPath).size;
    await stop(first);

    const second = await start(dir);
    const c2 = await second.raw();
    expect(await snapshot(c2)).toEqual(before);
    expect(await c2.call('EXISTS', 'soon')).toBe(0);
    expect(await c2.call('GET', 'bin\x00\xff\r\nkey')).toBe('\x00\x01\xfe\xff\r\n$3\r\n*1');
    expect(await c2.call('LRANGE', 'queue', '0', '-1')).toEqual(['second']);
    // A TTL is an absolute time: the same after the restart, not restarted from its length.
    expect(await c2.call('PEXPIRETIME', 'hsmall')).toBe(expireAt);
    // What was loaded is not logged again, and logging goes on in the same incremental file.
    expect(statSync(incrPath).size).toBe(logged);
    expect(await persistenceInfo(c2, 'aof_current_size')).toBe(String(logged + statSync(join(dir, 'appendonlydir', 'appendonly.aof.1.base.rdb')).size));
    // aof-use-rdb-preamble yes (the default): the first base, written at start-up, is an RDB.
    expect(manifestLines(join(dir, 'appendonlydir'))).toEqual(['file appendonly.aof.1.base.rdb seq 1 type b', 'file appendonly.aof.1.incr.aof seq 1 type i']);
  });

  it('an expiry already past when loading is set, not applied, until loading is done (as Redis)', async () => {
    const dir = newDir();
    const past = String(Date.now() - 60_000);
    const future = String(Date.now() + 600_000);
    writeAofDir(dir, [
      { name: 'appendonly.aof.1.base.aof', seq: 1, type: 'b', content: '' },
      {
        name: 'appendonly.aof.1.incr.aof',
        seq: 1,
        type: 'i',
        content: resp(['SELECT', '0'], ['SET', 'k', 'v'], ['PEXPIREAT', 'k', past], ['APPEND', 'k', 'x'], ['SET', 'k2', 'v'], ['PEXPIREAT', 'k2', future], ['RPUSH', 'l', 'a'], ['PEXPIREAT', 'l', past], ['RPUSH', 'l', 'b']),
      },
    ]);
    const s = await start(dir);
    const c = await s.raw();
    // k and l kept their past expiry through the later commands: they are gone, not rebuilt.
    expect(await c.call('EXISTS', 'k')).toBe(0);
    expect(await c.call('EXISTS', 'l')).toBe(0);
    expect(await c.call('PEXPIRETIME', 'k2')).toBe(Number(future));
  });

  it('with aof-timestamp-enabled, #TS annotations are written and skipped when loading', async () => {
    const dir = newDir();
    const s = await start(dir, { 'aof-timestamp-enabled': 'yes', 'aof-use-rdb-preamble': 'no' });
    const c = await s.raw();
    await c.call('SET', 'a', '1');
    const aofDir = join(dir, 'appendonlydir');
    // Before the first command of a new second (and so before its SELECT), as Redis writes it.
    expect(readFileSync(join(aofDir, 'appendonly.aof.1.incr.aof'), 'latin1')).toMatch(/^#TS:\d+\r\n\*2\r\n\$6\r\nSELECT\r\n/);
    await c.call('BGREWRITEAOF');
    await waitForRewrite(c);
    await c.call('SET', 'b', '2');
    // A rewritten base starts with one.
    expect(readFileSync(join(aofDir, 'appendonly.aof.2.base.aof'), 'latin1')).toMatch(/^#TS:\d+\r\n\*2\r\n\$6\r\nSELECT\r\n/);
    // An RDB base has none (as Redis: the annotation belongs to the commands' format).
    await c.call('CONFIG', 'SET', 'aof-use-rdb-preamble', 'yes');
    await c.call('BGREWRITEAOF');
    await waitForRewrite(c);
    expect(readFileSync(join(aofDir, 'appendonly.aof.3.base.rdb')).subarray(0, 9).toString('latin1')).toBe('REDIS0010');
    await c.call('SET', 'c', '3');
    const d = await digest(c);
    await stop(s);
    const again = await start(dir);
    expect(await digest(await again.raw())).toBe(d);
  });
});

describe('BGREWRITEAOF', () => {
  it.each(['yes', 'no'])('aof-use-rdb-preamble %s: rewrites while writes go on, the result is the live dataset, old files are removed', async (preamble) => {
    const format = preamble === 'yes' ? 'rdb' : 'aof';
    const dir = newDir();
    const s = await start(dir, { 'aof-use-rdb-preamble': preamble });
    const c = await s.raw();
    for (let db = 0; db < 3; db++) {
      await c.call('SELECT', String(db));
      for (let i = 0; i < 100; i++) {
        c.send('SET', `s${i}`, `v${i}`);
        c.send('RPUSH', `l${i % 10}`, `e${i}`);
        c.send('HSET', `h${i % 7}`, `f${i}`, `v${i}`);
        c.send('ZADD', `z${i % 5}`, String(i), `m${i}`);
        c.send('SADD', `set${i % 4}`, `m${i}`);
      }
      for (let i = 0; i < 500; i++) await c.read();
      await c.call('EXPIRE', 's1', '100000');
    }
    await c.call('SELECT', '0');
    // One key per slice, 1 ms apart: writes land while the rewrite is half way.
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000');
    expect(await c.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
    expect(await persistenceInfo(c, 'aof_rewrite_in_progress')).toBe('1');
    expect(await c.call('BGREWRITEAOF')).toEqual({ error: 'ERR Background append only file rewriting already in progress' });
    let round = 0;
    while ((await persistenceInfo(c, 'aof_rewrite_in_progress')) === '1' && round < 400) {
      const db = String(round % 3);
      const i = round % 100;
      await c.call('SELECT', db);
      await c.call('INCR', `s${(i * 7) % 100}`);
      await c.call('APPEND', `s${(i * 3) % 100}`, '+');
      await c.call('RPUSH', `l${i % 10}`, `new${round}`);
      await c.call('LPOP', `l${(i + 3) % 10}`);
      await c.call('HDEL', `h${i % 7}`, `f${i}`);
      await c.call('ZINCRBY', `z${i % 5}`, '1.5', `m${i}`);
      await c.call('SREM', `set${i % 4}`, `m${(i * 11) % 100}`);
      await c.call('DEL', `s${(i * 13) % 100}`);
      await c.call('SET', `created${round}`, 'x');
      await c.call('PEXPIRE', `s${(i * 17) % 100}`, '200000');
      if (round === 40) await c.call('SWAPDB', '1', '2');
      if (round === 90) await c.call('FLUSHDB');
      round++;
    }
    expect(round).toBeGreaterThan(20);
    await c.call('SELECT', '0');
    await waitForRewrite(c);
    expect(await persistenceInfo(c, 'aof_last_bgrewrite_status')).toBe('ok');
    expect(await persistenceInfo(c, 'aof_rewrites')).toBe('1');
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
    await c.call('SET', 'after', 'rewrite');
    const aofDir = join(dir, 'appendonlydir');
    expect(manifestLines(aofDir)).toEqual([`file appendonly.aof.2.base.${format} seq 2 type b`, 'file appendonly.aof.2.incr.aof seq 2 type i']);
    expect(aofFiles(aofDir)).toEqual([`appendonly.aof.2.base.${format}`, 'appendonly.aof.2.incr.aof', 'appendonly.aof.manifest']);
    const base = statSync(join(aofDir, `appendonly.aof.2.base.${format}`)).size;
    const incr = statSync(join(aofDir, 'appendonly.aof.2.incr.aof')).size;
    expect(Number(await persistenceInfo(c, 'aof_current_size'))).toBe(base + incr);
    const before = await snapshot(c);
    await stop(s);
    const again = await start(dir);
    expect(await snapshot(await again.raw())).toEqual(before);
  });

  it('inside MULTI it is scheduled, and run by the cron', async () => {
    const dir = newDir();
    const s = await start(dir, { hz: 100 });
    const c = await s.raw();
    await c.call('SET', 'a', '1');
    await c.call('MULTI');
    await c.call('INCR', 'a');
    await c.call('BGREWRITEAOF');
    await c.call('INCR', 'a');
    expect(await c.call('EXEC')).toEqual([2, 'Background append only file rewriting scheduled', 3]);
    await waitForRewrite(c);
    expect(await persistenceInfo(c, 'aof_rewrites')).toBe('1');
    await stop(s);
    const again = await start(dir);
    expect(await (await again.raw()).call('GET', 'a')).toBe('3');
  });

  it('with appendonly no, writes a base alone', async () => {
    const dir = newDir();
    const s = await startTestServer({ dir });
    keep(s);
    const c = await s.raw();
    await c.call('SET', 'a', '1');
    expect(await c.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
    await waitForRewrite(c);
    expect(manifestLines(join(dir, 'appendonlydir'))).toEqual(['file appendonly.aof.1.base.rdb seq 1 type b']);
    expect(await persistenceInfo(c, 'aof_enabled')).toBe('0');
    await stop(s);
    // A later server without the AOF goes on from the manifest on disk, as Redis does.
    const later = await startTestServer({ dir });
    keep(later);
    const l = await later.raw();
    await l.call('SET', 'a', '2');
    await l.call('BGREWRITEAOF');
    await waitForRewrite(l);
    expect(manifestLines(join(dir, 'appendonlydir'))).toEqual(['file appendonly.aof.2.base.rdb seq 2 type b']);
    expect(aofFiles(join(dir, 'appendonlydir'))).toEqual(['appendonly.aof.2.base.rdb', 'appendonly.aof.manifest']);
    await stop(later);
    const again = await start(dir);
    expect(await (await again.raw()).call('GET', 'a')).toBe('2');
  });

  it('auto-aof-rewrite-percentage and min-size start a rewrite from the cron', async () => {
    const dir = newDir();
    const s = await start(dir, { hz: 100, 'auto-aof-rewrite-min-size': '1kb', 'auto-aof-rewrite-percentage': '100' });
    const c = await s.raw();
    for (let i = 0; i < 50; i++) await c.call('SET', 'k', 'x'.repeat(100));
    for (let i = 0; i < 100 && (await persistenceInfo(c, 'aof_rewrites')) === '0'; i++) await new Promise((r) => setTimeout(r, 20));
    // One rewrite at least: one that ends before the SETs do is followed by another once they
    // have doubled the file again. Wait until the cron starts no more.
    let rewrites = -1;
    for (;;) {
      await waitForRewrite(c);
      await new Promise((r) => setTimeout(r, 60));
      const now = Number(await persistenceInfo(c, 'aof_rewrites'));
      if (now === rewrites) break;
      rewrites = now;
    }
    expect(rewrites).toBeGreaterThanOrEqual(1);
    // The base holds one SET where the incremental file had dozens.
    const seq = rewrites + 1;
    const baseLine = manifestLines(join(dir, 'appendonlydir')).find((l) => l.endsWith('type b')) as string;
    expect(baseLine).toBe(`file appendonly.aof.${seq}.base.rdb seq ${seq} type b`);
    expect(statSync(join(dir, 'appendonlydir', `appendonly.aof.${seq}.base.rdb`)).size).toBeLessThan(200);
  });
});

describe('appendonly at run time', () => {
  it.each(['yes', 'no'])('aof-use-rdb-preamble %s: CONFIG SET appendonly yes writes the dataset as the base, while writes go on', async (preamble) => {
    const dir = newDir();
    const s = await startTestServer({ dir, 'aof-use-rdb-preamble': preamble });
    keep(s);
    const c = await s.raw();
    for (let i = 0; i < 200; i++) c.send('RPUSH', `l${i % 20}`, `v${i}`);
    for (let i = 0; i < 200; i++) await c.read();
    expect(await persistenceInfo(c, 'aof_enabled')).toBe('0');
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '2000');
    expect(await c.call('CONFIG', 'SET', 'appendonly', 'yes')).toBe('OK');
    expect(await persistenceInfo(c, 'aof_enabled')).toBe('1');
    expect(await persistenceInfo(c, 'aof_rewrite_in_progress')).toBe('1');
    for (let i = 0; i < 20; i++) {
      await c.call('LPUSH', `l${i}`, `during${i}`);
      await c.call('INCR', 'counter');
    }
    await waitForRewrite(c);
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '0');
    await c.call('INCR', 'counter');
    expect(manifestLines(join(dir, 'appendonlydir'))).toEqual([
      `file appendonly.aof.1.base.${preamble === 'yes' ? 'rdb' : 'aof'} seq 1 type b`,
      'file appendonly.aof.1.incr.aof seq 1 type i',
    ]);
    expect(aofFiles(join(dir, 'appendonlydir')).filter((f) => f.startsWith('temp'))).toEqual([]);
    const before = await snapshot(c);
    // Turned off, nothing more is logged.
    expect(await c.call('CONFIG', 'SET', 'appendonly', 'no')).toBe('OK');
    await c.call('SET', 'not-logged', '1');
    expect(await persistenceInfo(c, 'aof_enabled')).toBe('0');
    await stop(s);
    const again = await start(dir);
    expect(await snapshot(await again.raw())).toEqual(before);
  });
});

describe('the AOF and other jobs', () => {
  it('SHUTDOWN is refused while the first base is written (appendonly yes at run time)', async () => {
    const dir = newDir();
    const s = await startTestServer({ dir });
    keep(s);
    const c = await s.raw();
    for (let i = 0; i < 50; i++) await c.call('SET', `k${i}`, 'v');
    await c.call('CONFIG', 'SET', 'rdb-key-save-delay', '20000');
    await c.call('CONFIG', 'SET', 'appendonly', 'yes');
    expect(await c.call('SHUTDOWN')).toEqual({ error: 'ERR Errors trying to SHUTDOWN. Check logs.' });
    expect(await c.call('PING')).toBe('PONG');
    // Turning it off abandons the rewrite and its temporary files.
    expect(await c.call('CONFIG', 'SET', 'appendonly', 'no')).toBe('OK');
    expect(await persistenceInfo(c, 'aof_rewrite_in_progress')).toBe('0');
    for (let i = 0; i < 50 && aofFiles(join(dir, 'appendonlydir')).length !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(aofFiles(join(dir, 'appendonlydir'))).toEqual([]);
  });

  it('while another job holds the before-change listener (a background save), a rewrite is scheduled', async () => {
    const dir = newDir();
    const s = await start(dir, { hz: 100 });
    const c = await s.raw();
    await c.call('SET', 'a', '1');
    const databases = s.running.server.databases;
    setKeyChangeListener(databases, { beforeKeyChange() {}, beforeDatabaseChange() {} });
    expect(await c.call('BGREWRITEAOF')).toBe('Background append only file rewriting scheduled');
    expect(await persistenceInfo(c, 'aof_rewrite_scheduled')).toBe('1');
    await new Promise((r) => setTimeout(r, 50));
    expect(await persistenceInfo(c, 'aof_rewrites')).toBe('0');
    setKeyChangeListener(databases, null);
    await waitForRewrite(c);
    expect(await persistenceInfo(c, 'aof_rewrites')).toBe('1');
    expect(await persistenceInfo(c, 'aof_last_bgrewrite_status')).toBe('ok');
  });
});

describe('loading a damaged AOF', () => {
  const base = { name: 'appendonly.aof.1.base.aof', seq: 1, type: 'b' as const, content: resp(['SELECT', '0'], ['SET', 'a', '1']) };
  const good = resp(['SELECT', '0'], ['SET', 'b', '2']);

  it('a truncated last command: aof-load-truncated yes truncates the file with a warning', async () => {
    const dir = newDir();
    const aofDir = writeAofDir(dir, [base, { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: good + '*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nabc' }]);
    const lines: string[] = [];
    const running = await startServer({ port: 0, save: '', dir, appendonly: 'yes' }, capturingLogger(lines));
    try {
      expect(lines).toContain('!!! Warning: short read while loading the AOF file appendonly.aof.1.incr.aof!!!');
      expect(lines).toContain(`!!! Truncating the AOF appendonly.aof.1.incr.aof at offset ${good.length} !!!`);
      expect(lines).toContain('AOF appendonly.aof.1.incr.aof loaded anyway because aof-load-truncated is enabled');
      expect(statSync(join(aofDir, 'appendonly.aof.1.incr.aof')).size).toBe(good.length);
      const db = running.server.databases[0];
      expect(db?.dict.get('a')).toBe('1');
      expect(db?.dict.get('b')).toBe('2');
      expect(db?.dict.has('c')).toBe(false);
    } finally {
      await running.close();
    }
  });

  it('a truncated last command with aof-load-truncated no refuses to start, saying how to fix it', async () => {
    const dir = newDir();
    const aofDir = writeAofDir(dir, [base, { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: good + '*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$5\r\nabc' }]);
    const refused = startServer({ port: 0, save: '', dir, appendonly: 'yes', 'aof-load-truncated': 'no' });
    await expect(refused).rejects.toThrow(StartupRefused);
    await expect(refused).rejects.toThrow(
      `Unexpected end of file reading the append only file appendonly.aof.1.incr.aof (last complete command ends at offset ${good.length}). ` +
        `You can: 1) Make a backup of your AOF file, then use redis-check-aof --fix ${join(aofDir, 'appendonly.aof.manifest')}.`,
    );
    // Nothing was changed on disk.
    expect(statSync(join(aofDir, 'appendonly.aof.1.incr.aof')).size).toBeGreaterThan(good.length);
  });

  it('a MULTI without its EXEC at the end is taken back like a short read', async () => {
    const dir = newDir();
    const aofDir = writeAofDir(dir, [base, { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: good + resp(['MULTI'], ['SET', 'c', '3']) }]);
    const s = await start(dir);
    const c = await s.raw();
    expect(await c.call('MGET', 'a', 'b', 'c')).toEqual(['1', '2', null]);
    expect(statSync(join(aofDir, 'appendonly.aof.1.incr.aof')).size).toBe(good.length);
    await c.call('SET', 'd', '4');
    await stop(s);
    const again = await start(dir);
    expect(await (await again.raw()).call('MGET', 'a', 'b', 'c', 'd')).toEqual(['1', '2', null, '4']);
  });

  it('a file cut inside a transaction is truncated before its MULTI: later writes are not taken into it', async () => {
    const dir = newDir();
    const cut = resp(['MULTI'], ['SET', 'c', '3']) + '*3\r\n$3\r\nSET\r\n$1\r\nd';
    const aofDir = writeAofDir(dir, [base, { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: good + cut }]);
    const s = await start(dir);
    const c = await s.raw();
    expect(await c.call('MGET', 'a', 'b', 'c', 'd')).toEqual(['1', '2', null, null]);
    expect(statSync(join(aofDir, 'appendonly.aof.1.incr.aof')).size).toBe(good.length);
    // Redis 7.0 leaves that MULTI in the file: on the next load this SET would be queued in it and dropped.
    expect(await c.call('SET', 'e', '5')).toBe('OK');
    await stop(s);
    const again = await start(dir);
    expect(await (await again.raw()).call('MGET', 'a', 'b', 'c', 'd', 'e')).toEqual(['1', '2', null, null, '5']);
  });

  it('a corrupt file refuses to start, with the offset of the bad command', async () => {
    const dir = newDir();
    const aofDir = writeAofDir(dir, [base, { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: good + 'garbage\r\n' + resp(['SET', 'd', '4']) }]);
    await expect(startServer({ port: 0, save: '', dir, appendonly: 'yes' })).rejects.toThrow(
      `Bad file format reading the append only file appendonly.aof.1.incr.aof at offset ${good.length}: ` +
        `make a backup of your AOF file, then use redis-check-aof --fix ${join(aofDir, 'appendonly.aof.manifest')}`,
    );
  });

  it('a truncated file that is not the last one refuses to start', async () => {
    const dir = newDir();
    writeAofDir(dir, [{ ...base, content: base.content + '*2\r\n$3\r\nDEL' }, { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: good }]);
    await expect(startServer({ port: 0, save: '', dir, appendonly: 'yes' })).rejects.toThrow('the truncated file appendonly.aof.1.base.aof is not the last file');
  });

  it('a file named by the manifest that is missing refuses to start', async () => {
    const dir = newDir();
    const aofDir = writeAofDir(dir, [base, { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: good }]);
    rmSync(join(aofDir, 'appendonly.aof.1.incr.aof'));
    await expect(startServer({ port: 0, save: '', dir, appendonly: 'yes' })).rejects.toThrow(
      'Unable to obtain the AOF file appendonly.aof.1.incr.aof length. stat: No such file or directory',
    );
  });

  it('an unknown command refuses to start', async () => {
    const dir = newDir();
    writeAofDir(dir, [base, { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: good + resp(['NOSUCHCMD', 'x']) }]);
    await expect(startServer({ port: 0, save: '', dir, appendonly: 'yes' })).rejects.toThrow("Unknown command 'NOSUCHCMD' reading the append only file appendonly.aof.1.incr.aof");
  });

  it('a bad manifest refuses to start with Redis\'s reason', async () => {
    const dir = newDir();
    const aofDir = writeAofDir(dir, [base]);
    writeFileSync(join(aofDir, 'appendonly.aof.manifest'), 'file appendonly.aof.1.base.aof seq 1 type b\nfile x seq 1\n');
    await expect(startServer({ port: 0, save: '', dir, appendonly: 'yes' })).rejects.toThrow('Invalid AOF manifest file format');
  });
});

describe('write errors and INFO', () => {
  it('a failed write turns aof_last_write_status to err and refuses writes with MISCONF until it succeeds again', async () => {
    const dir = newDir();
    const s = await start(dir, { hz: 50 });
    const c = await s.raw();
    await c.call('SET', 'a', '1');
    const file = (appendOnlyFileOf(s.running.server) as unknown as { incr: { fd: number } }).incr;
    const goodFd = file.fd;
    // Writes to a descriptor opened read-only fail (EBADF), like a disk error would.
    const readOnly = openSync(join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'r');
    file.fd = readOnly;
    try {
      expect(await c.call('SET', 'b', '2')).toBe('OK');
      expect(await persistenceInfo(c, 'aof_last_write_status')).toBe('err');
      expect(await c.call('SET', 'c', '3')).toEqual({ error: 'MISCONF Errors writing to the AOF file: Bad file descriptor' });
      expect(await c.call('PING')).toEqual({ error: 'MISCONF Errors writing to the AOF file: Bad file descriptor' });
      expect(await c.call('GET', 'b')).toBe('2');
      file.fd = goodFd;
      // The cron retries the write (and its buffer) every second.
      for (let i = 0; i < 150 && (await persistenceInfo(c, 'aof_last_write_status')) === 'err'; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await persistenceInfo(c, 'aof_last_write_status')).toBe('ok');
      expect(await c.call('SET', 'c', '3')).toBe('OK');
    } finally {
      closeSync(readOnly);
    }
    await stop(s);
    const again = await start(dir);
    expect(await (await again.raw()).call('MGET', 'a', 'b', 'c')).toEqual(['1', '2', '3']);
  });

  it('a restart does not write the manifest again when nothing in it changed (a full disk would refuse it)', async () => {
    const dir = newDir();
    const s = await start(dir);
    await (await s.raw()).call('SET', 'a', '1');
    await stop(s);
    const aofDir = join(dir, 'appendonlydir');
    const manifest = readFileSync(join(aofDir, 'appendonly.aof.manifest'));
    // Where the manifest would be written first, nothing can be: a directory holds the name.
    mkdirSync(join(aofDir, 'temp-appendonly.aof.manifest'));
    const again = await start(dir);
    expect(await (await again.raw()).call('GET', 'a')).toBe('1');
    expect(readFileSync(join(aofDir, 'appendonly.aof.manifest')).equals(manifest)).toBe(true);
  });

  it('INFO persistence reports the AOF as Redis 7.0 does', async () => {
    const dir = newDir();
    const s = await start(dir);
    const c = await s.raw();
    await c.call('SET', 'a', '1');
    const info = (await c.call('INFO', 'persistence')) as string;
    const names = [...info.matchAll(/^(aof_[a-z_]+):/gm)].map((m) => m[1]);
    expect(names).toEqual([
      'aof_enabled', 'aof_rewrite_in_progress', 'aof_rewrite_scheduled', 'aof_last_rewrite_time_sec', 'aof_current_rewrite_time_sec',
      'aof_last_bgrewrite_status', 'aof_rewrites', 'aof_rewrites_consecutive_failures', 'aof_last_write_status', 'aof_last_cow_size',
      'aof_current_size', 'aof_base_size', 'aof_pending_rewrite', 'aof_buffer_length', 'aof_pending_bio_fsync', 'aof_delayed_fsync',
    ]);
    const incr = statSync(join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof')).size;
    expect(await persistenceInfo(c, 'aof_current_size')).toBe(String(incr));
    expect(await persistenceInfo(c, 'aof_enabled')).toBe('1');
    expect(await persistenceInfo(c, 'aof_last_rewrite_time_sec')).toBe('-1');
  });
});

describe('while the AOF loads', () => {
  it('no save point starts a snapshot of the half-loaded dataset', async () => {
    const dir = newDir();
    const commands: string[][] = [['SELECT', '0']];
    for (let i = 0; i < 300; i++) commands.push(['SET', `k${i}`, String(i)]);
    writeAofDir(dir, [
      { name: 'appendonly.aof.1.base.aof', seq: 1, type: 'b', content: '' },
      { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: resp(...commands) },
    ]);
    const port = await freePort();
    // 300 commands 5 ms apart: a load of 1.5 s, past the save point of 1 second and 1 change.
    const starting = startServer({ port, save: '1 1', hz: 100, dir, appendonly: 'yes', 'key-load-delay': 5000 });
    let c: RawClient | null = null;
    for (let i = 0; i < 100 && c === null; i++) {
      c = await RawClient.connect(port).catch(async () => {
        await new Promise((r) => setTimeout(r, 20));
        return null;
      });
    }
    if (c === null) throw new Error('the server did not listen while loading');
    let polls = 0;
    while ((await persistenceInfo(c, 'loading')) === '1') {
      expect(await persistenceInfo(c, 'rdb_bgsave_in_progress')).toBe('0');
      expect(await persistenceInfo(c, 'rdb_saves')).toBe('0');
      polls++;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(polls).toBeGreaterThan(10);
    const running = await starting;
    try {
      expect(await c.call('DBSIZE')).toBe(300);
    } finally {
      c.close();
      await running.close();
    }
  });

  it('SHUTDOWN while loading stops the load and saves no snapshot, whatever the save points say', async () => {
    const dir = newDir();
    const commands: string[][] = [['SELECT', '0']];
    for (let i = 0; i < 300; i++) commands.push(['SET', `k${i}`, String(i)]);
    writeAofDir(dir, [
      { name: 'appendonly.aof.1.base.aof', seq: 1, type: 'b', content: '' },
      { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: resp(...commands) },
    ]);
    const port = await freePort();
    const lines: string[] = [];
    const starting = startServer({ port, save: '3600 1', dir, appendonly: 'yes', 'key-load-delay': 5000 }, capturingLogger(lines));
    const settled = starting.then(
      () => null,
      (err: unknown) => err,
    );
    const c = await connectWhileStarting(port);
    try {
      expect(await c.call('GET', 'k1')).toEqual({ error: 'LOADING Redis is loading the dataset in memory' });
      c.send('SHUTDOWN');
      await c.waitClosed();
    } finally {
      c.close();
    }
    expect(await settled).toBeInstanceOf(LoadingInterrupted);
    expect(existsSync(join(dir, 'dump.rdb'))).toBe(false);
    expect(lines).not.toContain('Saving the final RDB snapshot before exiting.');
  });

  it('the server listens and answers -LOADING, INFO says loading:1', async () => {
    const dir = newDir();
    const commands: string[][] = [['SELECT', '0']];
    for (let i = 0; i < 40; i++) commands.push(['SET', `k${i}`, String(i)]);
    writeAofDir(dir, [
      { name: 'appendonly.aof.1.base.aof', seq: 1, type: 'b', content: '' },
      { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: resp(...commands) },
    ]);
    const port = await freePort();
    // key-load-delay: a pause after each command, so that loading takes a while.
    const starting = startServer({ port, save: '', dir, appendonly: 'yes', 'key-load-delay': 5000 });
    // (waitForServer wants a PONG, and PING too answers -LOADING meanwhile, as in Redis.)
    let c: RawClient | null = null;
    for (let i = 0; i < 100 && c === null; i++) {
      c = await RawClient.connect(port).catch(async () => {
        await new Promise((r) => setTimeout(r, 20));
        return null;
      });
    }
    if (c === null) throw new Error('the server did not listen while loading');
    expect(await c.call('PING')).toEqual({ error: 'LOADING Redis is loading the dataset in memory' });
    expect(await c.call('GET', 'k1')).toEqual({ error: 'LOADING Redis is loading the dataset in memory' });
    expect(await c.call('SET', 'x', '1')).toEqual({ error: 'LOADING Redis is loading the dataset in memory' });
    expect(await persistenceInfo(c, 'loading')).toBe('1');
    const total = statSync(join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof')).size;
    expect(await persistenceInfo(c, 'loading_total_bytes')).toBe(String(total));
    const loaded = Number(await persistenceInfo(c, 'loading_loaded_bytes'));
    expect(loaded).toBeGreaterThan(0);
    expect(loaded).toBeLessThan(total);
    const running = await starting;
    try {
      expect(await persistenceInfo(c, 'loading')).toBe('0');
      expect(await c.call('GET', 'k39')).toBe('39');
      expect(await c.call('DBSIZE')).toBe(40);
    } finally {
      c.close();
      await running.close();
    }
  });
});
