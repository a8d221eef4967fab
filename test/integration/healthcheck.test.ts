/**
 * bin/nodis-healthcheck, the container image's HEALTHCHECK: run as Docker runs it, a process
 * whose exit status says whether the server on the port answers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../src/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { freePort } from '../helpers/ports.js';
import { writeLoadingDump } from '../helpers/loading.js';

const CHECK = fileURLToPath(new URL('../../bin/nodis-healthcheck', import.meta.url));

/** Runs the check; its exit status and what it wrote to stderr. */
function check(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHECK, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

describe('bin/nodis-healthcheck', () => {
  it('is healthy when the server answers PING, on the port given or in NODIS_PORT', async () => {
    const server = await startTestServer();
    servers.push(server);
    expect(await check([String(server.port)])).toEqual({ code: 0, stderr: '' });
    expect(await check([], { NODIS_PORT: String(server.port) })).toEqual({ code: 0, stderr: '' });
  });

  it('is healthy when a password is set (the server answers -NOAUTH)', async () => {
    const server = await startTestServer({ requirepass: 'secret' });
    servers.push(server);
    expect((await check([String(server.port)])).code).toBe(0);
  });

  it('is unhealthy with nothing listening, with a port that is not one, and with a server that does not answer', async () => {
    const closed = await check([String(await freePort())]);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toMatch(/ECONNREFUSED/);
    expect((await check(['http'])).code).toBe(1);
    // A listener that never answers: the check gives up after its timeout.
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const hung = await check([String((silent.address() as net.AddressInfo).port)]);
      expect(hung.code).toBe(1);
      expect(hung.stderr).toMatch(/no answer/);
    } finally {
      silent.close();
    }
  });

  it('is not healthy yet while the dataset loads (-LOADING)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodis-health-'));
    try {
      writeLoadingDump(dir, 50);
      const port = await freePort();
      // 65 keys at 20 ms each: over a second of loading.
      const starting = startServer({ port, dir, save: '', 'key-load-delay': 20_000 });
      let loading: { code: number | null; stderr: string } | null = null;
      for (let i = 0; i < 50 && loading === null; i++) {
        const result = await check([String(port)]);
        if (result.stderr.includes('loading')) loading = result;
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect(loading?.code).toBe(1);
      const server = await starting;
      await server.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
