/**
 * unixsocket and unixsocketperm: clients through a Unix socket, beside the TCP port, as Redis
 * serves them (CLIENT LIST's addr, laddr and flag U; local for the enable-…-command options),
 * the socket file's mode, its removal at shutdown, and the start-up error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startServer } from '../../src/index.js';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** Sends one inline command through the Unix socket at `path`; the raw reply once a whole line or bulk came. */
function askUnix(path: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path });
    let data = '';
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const bulk = /^\$(\d+)\r\n/.exec(data);
      if ((bulk !== null && data.length >= bulk[0].length + Number(bulk[1]) + 2) || (bulk === null && data.endsWith('\r\n'))) {
        socket.end();
        resolve(data);
      }
    });
    socket.on('error', reject);
    socket.write(`${command}\r\n`);
  });
}

/** CLIENT INFO without what differs between two servers or two connections. */
// rbp= is the reply buffer's peak, which the server's first timer visit to a new client
// resets (in Redis as in nodis): 16384 before it, 0 after, whichever comes first on each side.
const maskInfo = (info: string, path: string): string =>
  info
    .split(path)
    .join('<path>')
    .replace(/id=\d+/, 'id=N')
    .replace(/fd=\d+/, 'fd=N')
    .replace(/age=\d+ idle=\d+/, 'age=N idle=N')
    .replace(/^\$\d+/, '$N')
    .replace(/ rbp=(16384|0) /, ' rbp=<peak> ');

const hasOracle = oracleAvailable();

describe.skipIf(!hasOracle)('clients through a Unix socket', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nodis-unix-'));
  const nodisPath = join(dir, 'nodis.sock');
  const redisPath = join(dir, 'redis.sock');
  let nodis: TestServer;
  let redis: Oracle;

  beforeAll(async () => {
    nodis = await startTestServer({ unixsocket: nodisPath, unixsocketperm: '700', 'enable-debug-command': 'local', 'protected-mode': 'yes' });
    redis = await startOracle(['--unixsocket', redisPath, '--unixsocketperm', '700', '--enable-debug-command', 'local']);
  });
  afterAll(async () => {
    await nodis?.stop();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are listed with the socket as both addresses and flag U, as Redis lists them', async () => {
    const ours = await askUnix(nodisPath, 'CLIENT INFO');
    const theirs = await askUnix(redisPath, 'CLIENT INFO');
    expect(ours).toMatch(new RegExp(`addr=${nodisPath}:0 laddr=${nodisPath}:0 `));
    expect(ours).toContain(' flags=U ');
    expect(maskInfo(ours, nodisPath)).toBe(maskInfo(theirs, redisPath));
  });

  it('are local for enable-debug-command local, and share the keyspace with TCP clients', async () => {
    expect(await askUnix(nodisPath, 'DEBUG SLEEP 0')).toBe(await askUnix(redisPath, 'DEBUG SLEEP 0'));
    expect(await askUnix(nodisPath, 'DEBUG SLEEP 0')).toBe('+OK\r\n');
    const tcp = nodis.client();
    await tcp.set('shared', 'by tcp');
    const overUnix = new Redis({ path: nodisPath, lazyConnect: false, maxRetriesPerRequest: 0 });
    try {
      expect(await overUnix.get('shared')).toBe('by tcp');
      expect(await overUnix.call('CONFIG', 'SET', 'unixsocket', '/tmp/other.sock').catch((e: Error) => e.message)).toBe(
        await askUnix(redisPath, 'CONFIG SET unixsocket /tmp/other.sock').then((r) => r.slice(1, -2)),
      );
      expect(await overUnix.call('CONFIG', 'GET', 'unixsocket')).toEqual(['unixsocket', nodisPath]);
    } finally {
      overUnix.disconnect();
    }
  });

  it('reach a socket file with the mode of unixsocketperm, and redis-cli -s works', async () => {
    expect(statSync(nodisPath).mode & 0o777).toBe(statSync(redisPath).mode & 0o777);
    expect(statSync(nodisPath).mode & 0o777).toBe(0o700);
    // Not spawnSync: the server runs in this process and must answer meanwhile.
    const cli = await promisify(execFile)('redis-cli', ['-s', nodisPath, 'PING'], { encoding: 'utf8' });
    expect(cli.stdout.trim()).toBe('PONG');
  });
});

describe('the Unix socket file', () => {
  it('replaces a file left by an earlier run and is removed at shutdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodis-unix-'));
    try {
      const path = join(dir, 'left.sock');
      // A socket file left behind by a process that died: nothing listens on it any more.
      const stale = net.createServer().listen(path);
      await new Promise((r) => stale.once('listening', r));
      (stale as unknown as { _handle: { close(): void } | null })._handle?.close();
      // A relative path, taken from dir; its clients are still local (enable-debug-command local).
      const running = await startServer({ port: 0, save: '', dir, unixsocket: 'left.sock', 'enable-debug-command': 'local' });
      expect(await askUnix(path, 'PING')).toBe('+PONG\r\n');
      expect(await askUnix(path, 'DEBUG SLEEP 0')).toBe('+OK\r\n');
      await running.close();
      expect(existsSync(path)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('that cannot be made stops start-up with Redis\'s message', async () => {
    const refused = await startServer({ port: 0, save: '', unixsocket: '/nonexistent-dir/nodis.sock' }).then(
      () => 'started',
      (err: Error) => err.message,
    );
    expect(refused).toBe('Failed opening Unix socket: bind: No such file or directory');
  });
});
