import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerPersistence, type AofWriter, type RdbWriter } from '../../src/persistence/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freePort, waitForServer } from '../helpers/ports.js';

const BIN = fileURLToPath(new URL('../../bin/nodis-server', import.meta.url));

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\r$`, 'm').exec(info)?.[1];
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nodis-persistence-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the persistence commands', () => {
  let server: TestServer;
  afterEach(async () => server?.stop());

  it('BGSAVE checks its arguments; SAVE is refused in MULTI', async () => {
    server = await startTestServer();
    const c = await server.raw();
    expect(await c.call('BGSAVE', 'x')).toEqual({ error: 'ERR syntax error' });
    const info = (await c.call('INFO', 'persistence')) as string;
    expect(infoField(info, 'rdb_last_bgsave_status')).toBe('ok');
    expect(infoField(info, 'rdb_saves')).toBe('0');
    expect(infoField(info, 'rdb_bgsave_in_progress')).toBe('0');
    expect(infoField(info, 'aof_enabled')).toBe('0');
    expect(await c.call('MULTI')).toBe('OK');
    expect(await c.call('SAVE')).toEqual({ error: 'ERR Command not allowed inside a transaction' });
  });

  it('with save points, SIGTERM saves a snapshot', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, '--port', String(port), '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let logs = '';
    child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const c = await waitForServer(port, 10_000, child);
      if (c === null) throw new Error('server did not start');
      c.close();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(logs).not.toContain('WARNING: save points are configured');
    expect(logs).toContain('Saving the final RDB snapshot before exiting.');
    expect(existsSync(join(dir, 'dump.rdb'))).toBe(true);
  });
});

describe('a registered persistence module is used by the same commands', () => {
  let server: TestServer;
  let unregister: (() => void) | null = null;
  afterEach(async () => {
    unregister?.();
    unregister = null;
    await server?.stop();
  });

  it('SAVE, BGSAVE, BGREWRITEAOF, appendonly yes and SHUTDOWN go to the writers', async () => {
    const calls: string[] = [];
    let failSave = false;
    const rdb: RdbWriter = {
      save: () => {
        calls.push('save');
        if (failSave) throw new Error('disk full');
      },
      startBackgroundSave: () => void calls.push('bgsave'),
    };
    const aof: AofWriter = {
      load: async () => {},
      start: () => void calls.push('aof start'),
      stop: () => {},
      startRewrite: () => {
        calls.push('aof rewrite');
        return 'started';
      },
      cron: () => {},
      prepareShutdown: () => true,
      close: () => {},
      status: () => null,
    };
    unregister = registerPersistence({ rdb, aof });
    server = await startTestServer({ save: '3600 1' });
    const c = await server.raw();
    expect(await c.call('SAVE')).toBe('OK');
    expect(await c.call('BGSAVE')).toBe('Background saving started');
    expect(await c.call('BGREWRITEAOF')).toBe('Background append only file rewriting started');
    expect(await c.call('CONFIG', 'SET', 'appendonly', 'yes')).toBe('OK');
    const info = (await c.call('INFO', 'persistence')) as string;
    expect(infoField(info, 'rdb_last_bgsave_status')).toBe('ok');
    // SAVE and the BGSAVE started (counted when started, as Redis's stat_rdb_saves).
    expect(infoField(info, 'rdb_saves')).toBe('2');
    // With save points and a writer that fails, a plain SHUTDOWN refuses to lose the data, as Redis's does.
    failSave = true;
    expect(await c.call('SHUTDOWN')).toEqual({ error: 'ERR Errors trying to SHUTDOWN. Check logs.' });
    expect(calls).toEqual(['save', 'bgsave', 'aof rewrite', 'aof start', 'save']);
    expect(await c.call('PING')).toBe('PONG');
  });
});
