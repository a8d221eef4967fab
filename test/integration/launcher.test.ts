/**
 * bin/nodis-server's launcher (src/launch.ts): the heap sized from maxmemory, in a child
 * process when it must grow, which is the server in every way that shows: signals, SHUTDOWN,
 * exit codes, standard input.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../helpers/raw-client.js';
import { freePort, waitForServer } from '../helpers/ports.js';
import { eventually } from '../helpers/server-process.js';

const BIN = fileURLToPath(new URL('../../bin/nodis-server', import.meta.url));

interface Launched {
  child: ChildProcess;
  port: number;
  logs(): string;
  exited: Promise<number | null>;
}

const started: Launched[] = [];
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nodis-launcher-'));
});
afterEach(() => {
  // The server goes with its launcher.
  for (const s of started.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `node bin/nodis-server args` (as npm start does) on a free port unless args give one. */
async function launch(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string; port?: number; detached?: boolean; nodeArgs?: string[]; dir?: string } = {}): Promise<Launched> {
  const port = options.port ?? (await freePort());
  const portArgs = options.stdin === undefined ? ['--port', String(port)] : [];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? ['--max-semi-space-size=2']), BIN, ...args, ...portArgs, '--dir', options.dir ?? dir], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    detached: options.detached ?? false,
  });
  let logs = '';
  child.stdout?.on('data', (d: Buffer) => (logs += d.toString('latin1')));
  child.stderr?.on('data', (d: Buffer) => (logs += d.toString('latin1')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdin?.end(options.stdin ?? '');
  const launched = { child, port, logs: () => logs, exited };
  started.push(launched);
  return launched;
}

async function connect(s: Launched): Promise<RawClient> {
  const c = await waitForServer(s.port, 20_000, s.child);
  if (c === null) throw new Error(`the server did not start:\n${s.logs()}`);
  return c;
}

async function processId(c: RawClient): Promise<number> {
  return Number(/^process_id:(\d+)/m.exec(String(await c.call('INFO', 'server')))?.[1]);
}

/** The heap line of the start-up log (waiting for it: the log may come after the first reply): the limit in MB and why. */
async function heapLine(s: Launched): Promise<{ mb: number; reason: string }> {
  const pattern = /"msg":"V8 heap limit (\d+) MB: ([^"]*)"/;
  await eventually(async () => pattern.test(s.logs()), `the heap line in:\n${s.logs()}`);
  const match = pattern.exec(s.logs()) as RegExpExecArray;
  return { mb: Number(match[1]), reason: match[2] as string };
}

/** Live (not zombie) processes whose command line holds `--port <port>`. */
function processesOnPort(port: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
      if (!cmdline.includes(`--port\0${port}\0`) || !cmdline.includes('nodis-server')) continue;
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${entry}/status`, 'latin1'))?.[1];
      if (state !== 'Z') found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function shutdownNosave(c: RawClient): Promise<void> {
  c.send('SHUTDOWN', 'NOSAVE');
  await c.waitClosed();
}

describe('the heap sized from maxmemory', () => {
  it('runs the server in a child process when maxmemory needs more than Node\'s default; SIGTERM and the exit code pass through', async () => {
    const s = await launch(['--maxmemory', '3gb', '--save', '']);
    const c = await connect(s);
    expect(await heapLine(s)).toEqual({ mb: expect.any(Number), reason: 'twice maxmemory (3072 MB) plus 64 MB' });
    expect((await heapLine(s)).mb).toBeGreaterThanOrEqual(6208);
    // The server is the launcher's child.
    expect(await processId(c)).not.toBe(s.child.pid);
    // Raising maxmemory past what the heap holds is accepted, with a warning.
    expect(await c.call('CONFIG', 'SET', 'maxmemory', '100gb')).toBe('OK');
    await eventually(async () => s.logs().includes('WARNING: maxmemory (107374182400 bytes) needs about 204864 MB of V8 heap'), 'the warning');
    c.close();
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.logs()).toContain('Received SIGTERM scheduling shutdown...');
    expect(s.logs()).toContain('nodis is now ready to exit, bye bye...');
  });

  it('reads maxmemory from the config file in bytes, and keeps Node\'s default heap in this process when it is enough', async () => {
    const file = join(dir, 'bytes.conf');
    writeFileSync(file, 'maxmemory 2500000000\nsave ""\n');
    const big = await launch([file]);
    const c = await connect(big);
    expect((await heapLine(big)).reason).toBe('twice maxmemory (2384 MB) plus 64 MB');
    expect((await heapLine(big)).mb).toBeGreaterThanOrEqual(4833);
    await shutdownNosave(c);
    expect(await big.exited).toBe(0);

    const small = await launch(['--maxmemory', '100MB', '--save', '']);
    const d = await connect(small);
    expect((await heapLine(small)).reason).toBe("Node's default, enough for twice maxmemory (100 MB) plus 64 MB");
    expect(await processId(d)).toBe(small.child.pid);
    await shutdownNosave(d);
    expect(await small.exited).toBe(0);
  });

  it('leaves a --max-old-space-size of the user\'s alone, warning when maxmemory needs more', async () => {
    const s = await launch(['--maxmemory', '8gb', '--save', ''], { env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=3000' } });
    const c = await connect(s);
    expect(await processId(c)).toBe(s.child.pid);
    const line = await heapLine(s);
    expect(line.reason).toBe('set by --max-old-space-size in NODE_OPTIONS');
    expect(line.mb).toBeLessThan(3100);
    expect(s.logs()).toContain('WARNING: maxmemory (8589934592 bytes) needs about 16448 MB of V8 heap');
    await shutdownNosave(c);
    expect(await s.exited).toBe(0);

    const flag = await launch(['--save', ''], { nodeArgs: ['--max-semi-space-size=2', '--max-old-space-size=2000'] });
    const d = await connect(flag);
    expect(await processId(d)).toBe(flag.child.pid);
    expect((await heapLine(flag)).reason).toBe('set by node --max-old-space-size');
    await shutdownNosave(d);
    expect(await flag.exited).toBe(0);
  });

  it('passes the configuration read from standard input to the server', async () => {
    const port = await freePort();
    const s = await launch(['-', '--save', ''], { stdin: `port ${port}\nmaxmemory 3gb\n`, port });
    const c = await connect(s);
    expect(await processId(c)).not.toBe(s.child.pid);
    expect((await heapLine(s)).reason).toBe('twice maxmemory (3072 MB) plus 64 MB');
    expect(await c.call('CONFIG', 'GET', 'maxmemory')).toEqual(['maxmemory', '3221225472']);
    await shutdownNosave(c);
    expect(await s.exited).toBe(0);
    expect(s.logs()).toContain('Reading config from stdin');
  });

  it('without maxmemory, sizes the heap from the memory there is', async () => {
    const s = await launch(['--save', '']);
    const c = await connect(s);
    expect((await heapLine(s)).reason).toMatch(/^(75% of the (machine's memory|container's memory limit) \(\d+ MB\)|Node's default, enough for .*), maxmemory being 0$/);
    await shutdownNosave(c);
    expect(await s.exited).toBe(0);
  });
});

describe('the launcher and its server', () => {
  it('a SIGINT to the whole process group (Ctrl-C) is one signal, even while the final save runs', { timeout: 60_000 }, async () => {
    const s = await launch(['--maxmemory', '3gb', '--save', '3600 1', '--dbfilename', 'group-sigint.rdb'], { detached: true });
    const c = await connect(s);
    expect(await processId(c)).not.toBe(s.child.pid);
    // Enough keys for the final save to take a while: the launcher's copy of the signal comes meanwhile.
    for (let batch = 0; batch < 200; batch++) {
      const args = ['MSET'];
      for (let i = 0; i < 1000; i++) args.push(`key:${batch}:${i}`, 'value');
      c.send(...args);
    }
    for (let batch = 0; batch < 200; batch++) expect(await c.read()).toBe('OK');
    c.close();
    process.kill(-(s.child.pid as number), 'SIGINT');
    expect(await s.exited).toBe(0);
    expect(s.logs().match(/Received SIGINT scheduling shutdown/g)?.length).toBe(1);
    expect(s.logs()).not.toContain('You insist');
    expect(existsSync(join(dir, 'group-sigint.rdb'))).toBe(true);
  });

  it('a SIGTERM to the whole process group is handled once when the server stays up (its final save failed)', async () => {
    const saveDir = mkdtempSync(join(tmpdir(), 'nodis-launcher-nosave-'));
    const s = await launch(['--maxmemory', '3gb', '--save', '3600 1'], { detached: true, dir: saveDir });
    const c = await connect(s);
    // Its dir removed: the final save fails and, as in Redis, the server keeps running.
    rmSync(saveDir, { recursive: true, force: true });
    process.kill(-(s.child.pid as number), 'SIGTERM');
    await eventually(async () => s.logs().includes('SIGTERM received but errors trying to shut down the server'), 'the failed shutdown');
    expect(await c.call('PING')).toBe('PONG');
    await shutdownNosave(c);
    expect(await s.exited).toBe(0);
    expect(s.logs().match(/Received SIGTERM scheduling shutdown/g)?.length).toBe(1);
    expect(s.logs().match(/SIGTERM received but errors/g)?.length).toBe(1);
  });

  it('SIGINT to the launcher alone shuts the server down; SIGKILL of the launcher ends the server', async () => {
    const s = await launch(['--maxmemory', '3gb', '--save', '']);
    (await connect(s)).close();
    s.child.kill('SIGINT');
    expect(await s.exited).toBe(0);
    expect(s.logs()).toContain('Received SIGINT scheduling shutdown...');

    const k = await launch(['--maxmemory', '3gb', '--save', '']);
    (await connect(k)).close();
    k.child.kill('SIGKILL');
    await k.exited;
    await eventually(
      () =>
        new Promise<boolean>((resolve) => {
          const probe = net.connect({ port: k.port, host: '127.0.0.1' }, () => {
            probe.destroy();
            resolve(false);
          });
          probe.once('error', () => resolve(true));
        }),
      'the server to go with its launcher',
    );
  });

  it('SIGKILL of the launcher ends a server still starting', async () => {
    const s = await launch(['--maxmemory', '3gb', '--save', '']);
    // Once the server process exists (it has node's flag), before it listens.
    await eventually(async () => processesOnPort(s.port).some((pid) => pid !== s.child.pid), 'the server process', 20_000);
    s.child.kill('SIGKILL');
    await s.exited;
    await eventually(async () => processesOnPort(s.port).length === 0, 'the server to go with its launcher', 20_000);
  });

  it('the server\'s failure is the launcher\'s exit code', async () => {
    const taken = net.createServer();
    const port = await new Promise<number>((resolve) => taken.listen(0, '127.0.0.1', () => resolve((taken.address() as net.AddressInfo).port)));
    try {
      const s = await launch(['--maxmemory', '3gb', '--save', '', '--bind', '127.0.0.1'], { port });
      expect(await s.exited).toBe(1);
      expect(s.logs()).toContain('Failed listening on port');
      expect((await heapLine(s)).reason).toBe('twice maxmemory (3072 MB) plus 64 MB');
    } finally {
      taken.close();
    }
  });
});

describe('npm start', () => {
  it('SIGTERM to npm (which forwards it to its script) shuts the launcher and its server down, leaving no process', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const root = fileURLToPath(new URL('../..', import.meta.url));
    // Without exec in the script, npm's `sh -c` took the signal and died, leaving node running.
    const npm = spawn('npm', ['start', '--silent', '--', '--port', String(port), '--save', '', '--dir', dir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let logs = '';
    npm.stdout.on('data', (d: Buffer) => (logs += d.toString('latin1')));
    npm.stderr.on('data', (d: Buffer) => (logs += d.toString('latin1')));
    const exited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    try {
      const c = await waitForServer(port, 30_000, npm);
      if (c === null) throw new Error(`the server did not start:\n${logs}`);
      c.close();
      npm.kill('SIGTERM');
      await exited;
      await eventually(async () => processesOnPort(port).length === 0, `no process left:\n${logs}`, 20_000);
      expect(logs).toContain('Received SIGTERM scheduling shutdown...');
    } finally {
      for (const pid of processesOnPort(port)) process.kill(pid, 'SIGKILL');
    }
  });
});
