/**
 * port 0 as Redis 7.0 reads it: no plain TCP. A server with no listener at all (no tls-port, no
 * unixsocket) refuses to start, and CONFIG SET port 0 closes the TCP listener. The embedding
 * API's port 0 (any free port) is tested everywhere else; these run nodis-server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitForServer } from '../helpers/ports.js';

const BIN = fileURLToPath(new URL('../../bin/nodis-server', import.meta.url));
const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

/** Runs a server until it exits by itself (killed if it still runs after 15 s); its exit code and what it printed. */
function runToExit(command: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stillRunning = setTimeout(() => child.kill('SIGTERM'), 15_000);
    child.once('exit', () => clearTimeout(stillRunning));
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('latin1')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** One inline command over a stream connection; the first reply line (or the error's code). */
function ask(connectTo: net.NetConnectOpts, command: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(connectTo, () => socket.write(`${command}\r\n`));
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.endsWith('\r\n')) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(`error: ${err.code ?? err.message}`));
    socket.on('close', () => resolve(got));
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nodis-port0-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('port 0 (nodis-server)', () => {
  it('with nothing else to listen on, refuses to start as Redis does', async () => {
    const nodis = await runToExit(process.execPath, [BIN, '--port', '0', '--save', '', '--dir', dir]);
    expect(nodis.code).toBe(1);
    expect(nodis.output).toContain('Configured to not listen anywhere, exiting.');
    if (hasRedis) {
      const redis = await runToExit('redis-server', ['--port', '0', '--save', '', '--appendonly', 'no', '--dir', dir]);
      expect(redis.code).toBe(1);
      expect(redis.output).toContain('Configured to not listen anywhere, exiting.');
    }
  });

  it('with a Unix socket, listens there only', async () => {
    const path = join(dir, 'only.sock');
    const child: ChildProcess = spawn(process.execPath, [BIN, '--port', '0', '--unixsocket', path, '--save', '', '--dir', dir], { stdio: 'ignore' });
    try {
      let pong = '';
      for (let i = 0; i < 200 && pong !== '+PONG\r\n' && child.exitCode === null; i++) {
        pong = await ask({ path }, 'PING');
        if (pong !== '+PONG\r\n') await new Promise((r) => setTimeout(r, 50));
      }
      expect(pong).toBe('+PONG\r\n');
      expect(await ask({ path }, 'CONFIG GET port')).toBe('*2\r\n$4\r\nport\r\n$1\r\n0\r\n');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('CONFIG SET port 0 closes the TCP listener; connected clients stay', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, '--port', String(port), '--save', '', '--dir', dir], { stdio: 'ignore' });
    try {
      const admin = await waitForServer(port, 10_000, child);
      expect(admin).not.toBeNull();
      if (admin === null) return;
      expect(await admin.callRaw('CONFIG', 'SET', 'port', '0')).toBe('+OK\r\n');
      expect(await admin.callRaw('CONFIG', 'GET', 'port')).toBe('*2\r\n$4\r\nport\r\n$1\r\n0\r\n');
      expect(await ask({ port, host: '127.0.0.1' }, 'PING')).toBe('error: ECONNREFUSED');
      expect(await admin.callRaw('CONFIG', 'SET', 'port', String(port))).toBe('+OK\r\n');
      expect(await ask({ port, host: '127.0.0.1' }, 'PING')).toBe('+PONG\r\n');
      admin.close();
    } finally {
      child.kill('SIGTERM');
    }
  });
});
