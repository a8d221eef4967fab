/**
 * A disk that fails, as Redis 7.0 behaves, checked side by side with real redis-server: each
 * scenario runs on bin/nodis-server and on redis-server and their replies must be the same.
 *
 *   - RDB: a failed BGSAVE turns rdb_last_bgsave_status to err, is logged, and with
 *     stop-writes-on-bgsave-error (and save points) writes answer -MISCONF while reads go on;
 *     a failed SAVE answers -ERR and refuses nothing; dump.rdb stays as it was; a save that
 *     succeeds lets writes in again.
 *   - AOF, appendfsync everysec: a failed write turns aof_last_write_status to err and writes
 *     answer -MISCONF Errors writing to the AOF file: …, until the cron's retry succeeds.
 *   - AOF, appendfsync always: the server exits (code 1), since the write it could not log was
 *     already done; everything acknowledged before is there after a restart.
 *
 * Disk full is a small tmpfs filled up where a tmpfs can be mounted (root); elsewhere those
 * tests are skipped, saying why, and the ones using /dev/full (every write fails with ENOSPC)
 * or a removed directory still run.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { infoField, tempDir, waitForRewrite } from '../helpers/aof.js';
import { mountSmallDisk, tmpfsUnavailable, withoutFiller, type SmallDisk } from '../helpers/disk.js';
import { oracleAvailable } from '../helpers/oracle.js';
import { RawClient } from '../helpers/raw-client.js';
import { eventually, killAllServerProcesses, startServerProcess, type ServerKind, type ServerProcess } from '../helpers/server-process.js';

const hasRedis = oracleAvailable();
const noTmpfs = tmpfsUnavailable();
if (noTmpfs !== null) console.warn(`skipping the disk-full (tmpfs) tests: ${noTmpfs}`);
/** The servers each scenario runs on: nodis, and Redis when installed. */
const KINDS: ServerKind[] = hasRedis ? ['nodis', 'redis'] : ['nodis'];

const cleanups: Array<() => void> = [];

afterEach(async () => {
  await killAllServerProcesses();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function newDir(prefix: string): string {
  const dir = tempDir(prefix);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function smallDisk(bytes: number): SmallDisk {
  const disk = mountSmallDisk(bytes);
  cleanups.push(() => disk.release());
  return disk;
}

const MISCONF_RDB =
  "-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, " +
  'because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). ' +
  'Please check the Redis logs for details about the RDB error.\r\n';
const MISCONF_AOF_ENOSPC = '-MISCONF Errors writing to the AOF file: No space left on device\r\n';

/** Replies a scenario saw, labelled, to compare between the servers. */
type Transcript = Array<[string, string]>;

async function info(c: RawClient, field: string): Promise<string | undefined> {
  return infoField((await c.call('INFO', 'persistence')) as string, field);
}

async function waitBgsave(c: RawClient): Promise<void> {
  await eventually(async () => (await info(c, 'rdb_bgsave_in_progress')) === '0', 'the background save to end');
}

const RDB_ARGS = ['--save', '3600 1', '--enable-protected-configs', 'yes', '--enable-debug-command', 'yes'];

/**
 * The part of the RDB scenarios after the disk broke and a BGSAVE failed: what is refused and
 * what is not, until `repair` and a save that works.
 */
async function afterFailedBgsave(c: RawClient, port: number, t: Transcript, repair: () => Promise<void>): Promise<void> {
  const record = async (label: string, ...argv: string[]): Promise<void> => {
    t.push([label, await c.callRaw(...argv)]);
  };
  t.push(['status after the failed BGSAVE', String(await info(c, 'rdb_last_bgsave_status'))]);
  await record('a write', 'SET', 'x', '1');
  await record('a read', 'GET', 'a');
  await record('PING', 'PING');
  await record('a delete', 'DEL', 'a');
  await record('MULTI', 'MULTI');
  await record('a write queued', 'INCR', 'x');
  await record('EXEC', 'EXEC');
  await record('stop-writes-on-bgsave-error no', 'CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no');
  await record('a write let through', 'SET', 'x', '2');
  // A transaction queued while writes were let through, run once they are refused again.
  const other = await RawClient.connect(port);
  t.push(['MULTI elsewhere', await other.callRaw('MULTI')]);
  t.push(['queued elsewhere', await other.callRaw('INCR', 'x')]);
  await record('stop-writes-on-bgsave-error yes', 'CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'yes');
  t.push(['EXEC elsewhere', await other.callRaw('EXEC')]);
  t.push(['after that EXEC', await other.callRaw('GET', 'x')]);
  other.close();
  await record('a write refused again', 'SET', 'x', '3');
  await record('no save points', 'CONFIG', 'SET', 'save', '');
  await record('a write without save points', 'SET', 'x', '4');
  await record('save points again', 'CONFIG', 'SET', 'save', '3600 1');
  await record('a write refused with save points', 'SET', 'x', '5');
  await record('SAVE on the broken disk', 'SAVE');
  t.push(['status after the failed SAVE', String(await info(c, 'rdb_last_bgsave_status'))]);
  await repair();
  await record('BGSAVE once repaired', 'BGSAVE');
  await waitBgsave(c);
  t.push(['status after the BGSAVE that worked', String(await info(c, 'rdb_last_bgsave_status'))]);
  await record('a write once saved', 'SET', 'x', '6');
  await record('PING once saved', 'PING');
}

function checkRdbTranscript(t: Transcript): void {
  const reply = (label: string): string | undefined => t.find(([l]) => l === label)?.[1];
  expect(reply('status after the failed BGSAVE')).toBe('err');
  expect(reply('a write')).toBe(MISCONF_RDB);
  expect(reply('a read')).toBe('$1\r\n1\r\n');
  expect(reply('PING')).toBe(MISCONF_RDB);
  expect(reply('a write queued')).toBe(MISCONF_RDB);
  expect(reply('EXEC')).toBe('-EXECABORT Transaction discarded because of previous errors.\r\n');
  expect(reply('a write let through')).toBe('+OK\r\n');
  expect(reply('EXEC elsewhere')).toBe(`-EXECABORT Transaction discarded because of: ${MISCONF_RDB.slice(1)}`);
  expect(reply('after that EXEC')).toBe('$1\r\n2\r\n');
  expect(reply('a write refused again')).toBe(MISCONF_RDB);
  expect(reply('a write without save points')).toBe('+OK\r\n');
  expect(reply('SAVE on the broken disk')).toBe('-ERR\r\n');
  expect(reply('status after the failed SAVE')).toBe('err');
  expect(reply('status after the BGSAVE that worked')).toBe('ok');
  expect(reply('a write once saved')).toBe('+OK\r\n');
}

/** Both servers' transcripts, and the check that they agree. */
async function sideBySide(scenario: (kind: ServerKind) => Promise<Transcript>): Promise<Transcript> {
  const transcripts = new Map<ServerKind, Transcript>();
  for (const kind of KINDS) transcripts.set(kind, await scenario(kind));
  const nodis = transcripts.get('nodis') as Transcript;
  if (transcripts.has('redis')) expect(nodis).toEqual(transcripts.get('redis'));
  return nodis;
}

/** Waits for `text` in the server's log (it comes through a pipe, maybe after the replies). */
async function expectLogged(server: ServerProcess, text: string): Promise<void> {
  await eventually(async () => server.output().includes(text), `"${text}" in the ${server.kind} log`, 5000).catch(() => {
    expect(server.output()).toContain(text);
  });
}

describe('RDB snapshots on a disk that fails', () => {
  it.skipIf(noTmpfs !== null)('disk full: BGSAVE fails, writes get -MISCONF, reads go on, dump.rdb is untouched; writes resume after a save', { timeout: 60_000 }, async () => {
    const transcript = await sideBySide(async (kind) => {
      const disk = smallDisk(4 << 20);
      const { server, client: c } = await startServerProcess(kind, disk.dir, RDB_ARGS);
      const t: Transcript = [];
      await c.call('SET', 'a', '1');
      t.push(['first SAVE', await c.callRaw('SAVE')]);
      const dump = join(disk.dir, 'dump.rdb');
      const saved = readFileSync(dump);
      // 1.5 MB that does not compress, and a disk with no room left.
      expect(await c.call('SET', Buffer.from('big'), randomBytes(1_500_000))).toBe('OK');
      disk.fill();
      t.push(['BGSAVE on a full disk', await c.callRaw('BGSAVE')]);
      await waitBgsave(c);
      await afterFailedBgsave(c, server.port, t, async () => {
        // The file that was there before every failure is still the same, and nothing was left behind.
        expect(readFileSync(dump).equals(saved)).toBe(true);
        expect(withoutFiller(readdirSync(disk.dir))).toEqual(['dump.rdb']);
        disk.free();
      });
      await expectLogged(server, 'Background saving error');
      await expectLogged(server, 'No space left on device');
      // What was saved at last loads: a fresh server on a copy of the file has the dataset.
      const copy = newDir('disk-full-copy');
      cpSync(dump, join(copy, 'dump.rdb'));
      c.close();
      await server.kill();
      const loaded = await startServerProcess(kind, copy, []);
      expect(await loaded.client.call('MGET', 'a', 'x')).toEqual(['1', '4']);
      expect(await loaded.client.call('STRLEN', 'big')).toBe(1_500_000);
      loaded.client.close();
      await loaded.server.kill();
      return t;
    });
    checkRdbTranscript(transcript);
  });

  it('a directory that went away: BGSAVE answers that it started, then fails, as Redis\'s child does', { timeout: 60_000 }, async () => {
    const transcript = await sideBySide(async (kind) => {
      const root = newDir('disk-gone');
      const dir = join(root, 'data');
      mkdirSync(dir);
      const { server, client: c } = await startServerProcess(kind, dir, RDB_ARGS);
      const t: Transcript = [];
      await c.call('SET', 'a', '1');
      rmSync(dir, { recursive: true });
      t.push(['BGSAVE into a removed directory', await c.callRaw('BGSAVE')]);
      await waitBgsave(c);
      await afterFailedBgsave(c, server.port, t, async () => {
        mkdirSync(dir);
        // (Redis works in its dir: it must chdir into the new one.)
        t.push(['CONFIG SET dir', await c.callRaw('CONFIG', 'SET', 'dir', dir)]);
      });
      await expectLogged(server, 'Failed opening the temp RDB file');
      await expectLogged(server, 'Background saving error');
      expect(existsSync(join(dir, 'dump.rdb'))).toBe(true);
      c.close();
      return t;
    });
    expect(transcript.find(([l]) => l === 'BGSAVE into a removed directory')?.[1]).toBe('+Background saving started\r\n');
    checkRdbTranscript(transcript);
  });

  it('SAVE that cannot write answers -ERR, refuses no write, and leaves dump.rdb as it was', { timeout: 60_000 }, async () => {
    const transcript = await sideBySide(async (kind) => {
      const dir = newDir('save-full');
      const { server, client: c } = await startServerProcess(kind, dir, RDB_ARGS);
      const t: Transcript = [];
      await c.call('SET', 'a', '1');
      t.push(['first SAVE', await c.callRaw('SAVE')]);
      const saved = readFileSync(join(dir, 'dump.rdb'));
      await c.call('SET', 'b', '2');
      // SAVE writes temp-<pid>.rdb in both servers: there, every write fails with ENOSPC.
      const pid = infoField((await c.call('INFO', 'server')) as string, 'process_id');
      symlinkSync('/dev/full', join(dir, `temp-${pid}.rdb`));
      t.push(['SAVE on a full disk', await c.callRaw('SAVE')]);
      t.push(['status', String(await info(c, 'rdb_last_bgsave_status'))]);
      t.push(['a write', await c.callRaw('SET', 'c', '3')]);
      expect(readFileSync(join(dir, 'dump.rdb')).equals(saved)).toBe(true);
      // The temp file was removed (the link to /dev/full with it): the next SAVE works.
      expect(readdirSync(dir)).toEqual(['dump.rdb']);
      t.push(['SAVE again', await c.callRaw('SAVE')]);
      await expectLogged(server, 'No space left on device');
      c.close();
      return t;
    });
    expect(transcript).toEqual([
      ['first SAVE', '+OK\r\n'],
      ['SAVE on a full disk', '-ERR\r\n'],
      ['status', 'ok'],
      ['a write', '+OK\r\n'],
      ['SAVE again', '+OK\r\n'],
    ]);
  });
});

/**
 * Points the AOF at /dev/full from the next rewrite on: BGREWRITEAOF opens the next
 * incremental file, whose name is known, and every write to it fails with ENOSPC.
 */
async function aofOntoDevFull(c: RawClient, dir: string): Promise<string> {
  const next = join(dir, 'appendonlydir', 'appendonly.aof.2.incr.aof');
  symlinkSync('/dev/full', next);
  expect(await c.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
  await waitForRewrite(c);
  return next;
}

describe('AOF write errors', () => {
  it('appendfsync always: a write that cannot be logged stops the server; what was acknowledged is there after a restart', { timeout: 60_000 }, async () => {
    for (const kind of KINDS) {
      const dir = newDir(`aof-always-${kind}`);
      const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
      const { server, client: c } = await startServerProcess(kind, dir, args);
      expect(await c.call('SET', 'a', '1')).toBe('OK');
      expect(await c.call('SET', 'b', '2')).toBe('OK');
      const full = await aofOntoDevFull(c, dir);
      c.send('SET', 'c', '3');
      // No reply: the server exits before it answers.
      await c.waitClosed(10_000);
      expect(c.rest()).toBe('');
      expect(await server.exited).toBe(1);
      await expectLogged(server, "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
      c.close();
      // The disk works again: the acknowledged writes load, the one never answered is not there.
      rmSync(full);
      writeFileSync(full, '');
      const again = await startServerProcess(kind, dir, args);
      expect(await again.client.call('MGET', 'a', 'b', 'c'), kind).toEqual(['1', '2', null]);
      again.client.close();
    }
  });

  it('appendfsync everysec on /dev/full: -MISCONF with the reason, reads go on', { timeout: 60_000 }, async () => {
    const transcript = await sideBySide(async (kind) => {
      const dir = newDir(`aof-everysec-${kind}`);
      const { client: c } = await startServerProcess(kind, dir, ['--appendonly', 'yes', '--appendfsync', 'everysec']);
      const t: Transcript = [];
      await c.call('SET', 'a', '1');
      await aofOntoDevFull(c, dir);
      t.push(['the write that fails to be logged', await c.callRaw('SET', 'b', '2')]);
      t.push(['status', String(await info(c, 'aof_last_write_status'))]);
      t.push(['a write', await c.callRaw('SET', 'c', '3')]);
      t.push(['PING', await c.callRaw('PING')]);
      t.push(['a read', await c.callRaw('MGET', 'a', 'b', 'c')]);
      c.close();
      return t;
    });
    expect(transcript).toEqual([
      ['the write that fails to be logged', '+OK\r\n'],
      ['status', 'err'],
      ['a write', MISCONF_AOF_ENOSPC],
      ['PING', MISCONF_AOF_ENOSPC],
      ['a read', '*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n'],
    ]);
  });

  it.skipIf(noTmpfs !== null)('disk full: BGREWRITEAOF and BGSAVE fail and leave what is on disk loadable', { timeout: 60_000 }, async () => {
    const transcript = await sideBySide(async (kind) => {
      const disk = smallDisk(4 << 20);
      const args = ['--appendonly', 'yes', '--appendfsync', 'everysec'];
      const { server, client: c } = await startServerProcess(kind, disk.dir, args);
      const t: Transcript = [];
      await c.call('SET', 'a', '1');
      const big = randomBytes(500_000);
      await c.call('SET', 'big', big);
      const aofDir = join(disk.dir, 'appendonlydir');
      const filesBefore = readdirSync(aofDir);
      const manifestBefore = readFileSync(join(aofDir, 'appendonly.aof.manifest'));
      disk.fill();
      t.push(['BGREWRITEAOF on a full disk', await c.callRaw('BGREWRITEAOF')]);
      await waitForRewrite(c);
      t.push(['rewrite status', String(await info(c, 'aof_last_bgrewrite_status'))]);
      t.push(['BGSAVE on a full disk', await c.callRaw('BGSAVE')]);
      await waitBgsave(c);
      t.push(['BGSAVE status', String(await info(c, 'rdb_last_bgsave_status'))]);
      // Without save points a failed BGSAVE refuses nothing.
      t.push(['a read', await c.callRaw('GET', 'a')]);
      // The AOF is as it was (an empty next incr file and temp manifest may be left, as Redis leaves them).
      expect(readdirSync(aofDir)).toEqual(expect.arrayContaining(filesBefore));
      expect(readFileSync(join(aofDir, 'appendonly.aof.manifest')).equals(manifestBefore)).toBe(true);
      expect(existsSync(join(disk.dir, 'dump.rdb'))).toBe(false);
      c.close();
      await server.kill();
      // Restarted on the still full disk: the AOF loads whole.
      const again = await startServerProcess(kind, disk.dir, args);
      t.push(['after a restart', await again.client.callRaw('GET', 'a')]);
      expect(Buffer.from((await again.client.call('GET', 'big')) as string, 'latin1').equals(big)).toBe(true);
      again.client.close();
      await again.server.kill();
      return t;
    });
    expect(transcript).toEqual([
      ['BGREWRITEAOF on a full disk', "-ERR Can't execute an AOF background rewriting. Please check the server logs for more information.\r\n"],
      ['rewrite status', 'err'],
      ['BGSAVE on a full disk', '+Background saving started\r\n'],
      ['BGSAVE status', 'err'],
      ['a read', '$1\r\n1\r\n'],
      ['after a restart', '$1\r\n1\r\n'],
    ]);
  });

  it.skipIf(noTmpfs !== null)('appendfsync everysec, disk full: -MISCONF until the disk has room, then the retried write makes it to the file', { timeout: 60_000 }, async () => {
    const transcript = await sideBySide(async (kind) => {
      const disk = smallDisk(4 << 20);
      const args = ['--appendonly', 'yes', '--appendfsync', 'everysec'];
      const { server, client: c } = await startServerProcess(kind, disk.dir, args);
      const t: Transcript = [];
      await c.call('SET', 'a', '1');
      disk.fill();
      // Bigger than what is left of the disk: a short write, taken back.
      const big = randomBytes(300_000);
      t.push(['the write that fails to be logged', await c.callRaw('SET', 'big', big)]);
      t.push(['status', String(await info(c, 'aof_last_write_status'))]);
      t.push(['a write', await c.callRaw('SET', 'c', '3')]);
      t.push(['a read', await c.callRaw('STRLEN', 'big')]);
      disk.free();
      await eventually(async () => (await info(c, 'aof_last_write_status')) === 'ok', 'the AOF write to be retried');
      t.push(['a write once the disk has room', await c.callRaw('SET', 'c', '3')]);
      await expectLogged(server, 'AOF write error looks solved, Redis can write again.');
      c.close();
      await server.kill();
      // The write acknowledged while the disk was full is in the file.
      const again = await startServerProcess(kind, disk.dir, args);
      expect(await again.client.call('MGET', 'a', 'c')).toEqual(['1', '3']);
      expect(Buffer.from((await again.client.call('GET', 'big')) as string, 'latin1').equals(big)).toBe(true);
      again.client.close();
      await again.server.kill();
      return t;
    });
    expect(transcript).toEqual([
      ['the write that fails to be logged', '+OK\r\n'],
      ['status', 'err'],
      ['a write', MISCONF_AOF_ENOSPC],
      ['a read', ':300000\r\n'],
      ['a write once the disk has room', '+OK\r\n'],
    ]);
  });
});
