import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

const hasCli = spawnSync('redis-cli', ['--version']).status === 0;
if (!hasCli && process.env.CI) throw new Error('redis-cli is not installed: CI must install the redis-tools package');

/** Runs redis-cli against the server (asynchronously: the server runs in this process). */
function cli(port: number, args: string[], input = ''): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-p', String(port), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout: Buffer.concat(chunks).toString('latin1'), code }));
    child.stdin.end(input);
  });
}

describe.skipIf(!hasCli)('redis-cli against nodis', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('runs commands typed on stdin, one per line', async () => {
    const { stdout } = await cli(server.port, [], 'SET cli:a 1\nGET cli:a\nINCR cli:a\nHGETALL cli:nokey\nNOSUCH x\n');
    expect(stdout).toBe("OK\n1\n2\n\nERR unknown command 'NOSUCH', with args beginning with: 'x' \n\n");
  });

  it('formats replies and errors with --no-raw', async () => {
    expect((await cli(server.port, ['--no-raw'], 'SET cli:b 1\nGET cli:b\n')).stdout).toBe('OK\n"1"\n');
    const error = await cli(server.port, ['--no-raw', 'NOSUCH', 'x']);
    expect(error.stdout).toBe("(error) ERR unknown command 'NOSUCH', with args beginning with: 'x' \n");
  });

  it('speaks RESP3 with -3 and shows HELLO as a map', async () => {
    const { stdout } = await cli(server.port, ['-3', '--no-raw', 'HELLO', '3']);
    expect(stdout.split('\n').slice(0, 3)).toEqual(['1# "server" => "redis"', '2# "version" => "7.0.15"', '3# "proto" => (integer) 3']);
    expect(stdout).toContain('5# "mode" => "standalone"');
  });

  it('mass-inserts 10k SETs with --pipe', async () => {
    let input = '';
    for (let i = 0; i < 10000; i++) {
      const key = `pipe:${i}`;
      const value = `value:${i}`;
      input += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
    }
    const { stdout, code } = await cli(server.port, ['--pipe'], input);
    expect(code).toBe(0);
    expect(stdout).toContain('errors: 0, replies: 10000');
    const raw = await server.raw();
    expect(await raw.call('GET', 'pipe:9999')).toBe('value:9999');
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;

/**
 * Types `typed` into an interactive redis-cli (on a pseudo-terminal made by util-linux's
 * script) and returns the screen output once `expected` shows up, or all of it when the
 * connection has shown nothing new for a while.
 */
function typeInteractively(port: number, typed: string, expected: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfc', `stty cols 300 rows 24; redis-cli -p ${port}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, REDISCLI_HISTFILE: '/dev/null', REDISCLI_RCFILE: '/dev/null', TERM: 'xterm' },
    });
    let screen = '';
    let typedYet = false;
    const finish = (): void => {
      clearTimeout(giveUp);
      child.kill('SIGKILL');
      resolve(screen);
    };
    const giveUp = setTimeout(finish, 10_000);
    child.on('error', reject);
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString('latin1');
      if (!typedYet && screen.includes(`:${port}> `)) {
        typedYet = true;
        child.stdin.write(typed);
      } else if (typedYet && screen.includes(expected)) {
        finish();
      }
    });
  });
}

describe.skipIf(!hasCli || !hasScript)('redis-cli hints', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('shows the arguments of a command as it is typed (from COMMAND DOCS)', async () => {
    const hint = 'key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]';
    expect(await typeInteractively(server.port, 'SET ', hint)).toContain(hint);
    const clientHint = 'ip:port|[ID client-id]';
    expect(await typeInteractively(server.port, 'client kill ', clientHint)).toContain(clientHint);
  });
});
