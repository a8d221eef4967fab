/**
 * The AOF across real process deaths: with appendfsync always every acknowledged write survives
 * a SIGKILL; a damaged AOF (commands or an RDB base) stops bin/nodis-server with exit code 1
 * and the reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, waitForServer } from '../helpers/ports.js';
import { RawClient } from '../helpers/raw-client.js';
import { rdbBase, resp, tempDir, writeAofDir } from '../helpers/aof.js';

const BIN = fileURLToPath(new URL('../../bin/nodis-server', import.meta.url));
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function spawnServer(port: number, dir: string, extra: string[] = []): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, '--port', String(port), '--save', '', '--dir', dir, '--appendonly', 'yes', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function ready(port: number, child: ChildProcess): Promise<RawClient> {
  const c = await waitForServer(port, 15_000, child);
  if (c === null) throw new Error('server did not start');
  return c;
}

describe('the AOF across process deaths', () => {
  it('appendfsync always: every acknowledged write is there after a SIGKILL', async () => {
    const dir = tempDir('aof-kill');
    dirs.push(dir);
    const port = await freePort();
    const first = spawnServer(port, dir, ['--appendfsync', 'always']);
    const c = await ready(port, first.child);
    // Pipelined batches; each reply acknowledges one write. The kill lands while a batch is in flight.
    let acknowledged = 0;
    const batch = 25;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < batch; i++) c.send('RPUSH', 'log', String(round * batch + i));
      if (round === 39) break;
      for (let i = 0; i < batch; i++) {
        expect(await c.read()).toBe(round * batch + i + 1);
        acknowledged++;
      }
    }
    first.child.kill('SIGKILL');
    await first.exited;
    c.close();

    const second = spawnServer(port, dir);
    const c2 = await ready(port, second.child);
    const length = (await c2.call('LLEN', 'log')) as number;
    expect(length).toBeGreaterThanOrEqual(acknowledged);
    const items = (await c2.call('LRANGE', 'log', '0', String(acknowledged - 1))) as string[];
    expect(items).toEqual(Array.from({ length: acknowledged }, (_, i) => String(i)));
    c2.close();
    second.child.kill('SIGKILL');
    await second.exited;
  });

  it('a corrupt AOF stops bin/nodis-server with exit code 1, the offset and the fix', async () => {
    const dir = tempDir('aof-corrupt');
    dirs.push(dir);
    const good = resp(['SELECT', '0'], ['SET', 'a', '1']);
    writeAofDir(dir, [
      { name: 'appendonly.aof.1.base.aof', seq: 1, type: 'b', content: '' },
      { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: good + '$3\r\nbad\r\n' },
    ]);
    const server = spawnServer(await freePort(), dir);
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain(`Bad file format reading the append only file appendonly.aof.1.incr.aof at offset ${good.length}`);
    expect(server.output()).toContain('redis-check-aof --fix');
  });

  it('a truncated RDB base stops bin/nodis-server with exit code 1, naming the file', async () => {
    const dir = tempDir('aof-corrupt-rdb');
    dirs.push(dir);
    const base = rdbBase({ 0: [['a', '1'], ['b', '2']] });
    writeAofDir(dir, [
      { name: 'appendonly.aof.1.base.rdb', seq: 1, type: 'b', content: base.subarray(0, base.length - 5) },
      { name: 'appendonly.aof.1.incr.aof', seq: 1, type: 'i', content: resp(['SELECT', '0'], ['SET', 'c', '3']) },
    ]);
    const server = spawnServer(await freePort(), dir);
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('Error reading the RDB base file appendonly.aof.1.base.rdb, AOF loading aborted: Unexpected EOF reading RDB file');
  });
});
