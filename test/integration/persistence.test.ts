import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/index.js';
import { registerPersistence, type AofWriter, type RdbWriter } from '../../src/persistence/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freePort, waitForServer } from '../helpers/ports.js';

const BIN = fileURLToPath(new URL('../../bin/nodis-server', import.meta.url));
const NO_RDB = 'ERR RDB snapshots are not supported by this server yet: data is kept in memory only';

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\r$`, 'm').exec(info)?.[1];
}

/** A pino logger whose lines land in `lines` (for start-up and shutdown messages). */
function capturingLogger(lines: string[]): pino.Logger {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push((JSON.parse(line) as { msg: string }).msg);
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nodis-persistence-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('without persistence, nothing claims that data is saved', () => {
  let server: TestServer;
  afterEach(async () => server?.stop());

  it('SAVE and BGSAVE answer an error, and a failed BGSAVE shows in INFO', async () => {
    server = await startTestServer();
    const c = await server.raw();
    expect(await c.call('SAVE')).toEqual({ error: NO_RDB });
    expect(await c.call('BGSAVE', 'x')).toEqual({ error: 'ERR syntax error' });
    expect(infoField((await c.call('INFO', 'persistence')) as string, 'rdb_last_bgsave_status')).toBe('ok');
    expect(await c.call('BGSAVE')).toEqual({ error: NO_RDB });
    expect(await c.call('BGSAVE', 'SCHEDULE')).toEqual({ error: NO_RDB });
    const info = (await c.call('INFO', 'persistence')) as string;
    expect(infoField(info, 'rdb_last_bgsave_status')).toBe('err');
    expect(infoField(info, 'rdb_saves')).toBe('0');
    expect(infoField(info, 'rdb_bgsave_in_progress')).toBe('0');
    expect(infoField(info, 'aof_enabled')).toBe('0');
    expect(await c.call('MULTI')).toBe('OK');
    expect(await c.call('SAVE')).toEqual({ error: 'ERR Command not allowed inside a transaction' });
  });

  it('save points that come due are reported as a failed save, once in the log', async () => {
    const lines: string[] = [];
    const running = await startServer({ port: 0, save: '1 1', hz: 100 }, capturingLogger(lines));
    try {
      expect(lines.some((l) => l.startsWith('WARNING: save points are configured (save 1 1) but RDB snapshots are not supported'))).toBe(true);
      const c = await waitForServer(running.port, 5000);
      if (c === null) throw new Error('server did not answer');
      expect(await c.call('SET', 'k', 'v')).toBe('OK');
      let status: string | undefined;
      for (let i = 0; i < 100 && status !== 'err'; i++) {
        status = infoField((await c.call('INFO', 'persistence')) as string, 'rdb_last_bgsave_status');
        if (status !== 'err') await new Promise((r) => setTimeout(r, 50));
      }
      expect(status).toBe('err');
      expect(lines.filter((l) => l.startsWith('Background saving error: RDB snapshots are not supported'))).toHaveLength(1);
      c.close();
    } finally {
      await running.close();
    }
  });

  it('CONFIG SET save warns that the points cannot be honoured', async () => {
    const lines: string[] = [];
    const running = await startServer({ port: 0, save: '' }, capturingLogger(lines));
    try {
      expect(lines.some((l) => l.includes('save points are configured'))).toBe(false);
      const c = await waitForServer(running.port, 5000);
      if (c === null) throw new Error('server did not answer');
      expect(await c.call('CONFIG', 'SET', 'save', '60 10')).toBe('OK');
      expect(await c.call('CONFIG', 'GET', 'save')).toEqual(['save', '60 10']);
      expect(lines).toContain('Save points set, but RDB snapshots are not supported by this server yet: data is kept in memory only.');
      c.close();
    } finally {
      await running.close();
    }
  });

  it('the command line warns about save points', async () => {
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
    expect(logs).toContain('WARNING: save points are configured (save 3600 1 300 100 60 10000) but RDB snapshots are not supported');
    expect(logs).toContain('exiting without a snapshot, the data is lost');
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
    expect(infoField(info, 'rdb_saves')).toBe('1');
    // With save points and a writer that fails, a plain SHUTDOWN refuses to lose the data, as Redis's does.
    failSave = true;
    expect(await c.call('SHUTDOWN')).toEqual({ error: 'ERR Errors trying to SHUTDOWN. Check logs.' });
    expect(calls).toEqual(['save', 'bgsave', 'aof rewrite', 'aof start', 'save']);
    expect(await c.call('PING')).toBe('PONG');
  });
});
