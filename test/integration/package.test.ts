import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const checkout = fileURLToPath(new URL('../../', import.meta.url));

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** README's embedding example, made to PING the server it starts. */
const EXAMPLE = `
import net from 'node:net';
import * as nodis from 'nodis';
import { startServer } from 'nodis';

const server = await startServer({ port: 0 });
const reply = await new Promise((resolve, reject) => {
  const socket = net.connect(server.port, '127.0.0.1', () => socket.write('PING\\r\\n'));
  socket.once('data', (data) => { resolve(data.toString('latin1')); socket.end(); });
  socket.once('error', reject);
});
await server.close();
console.log(JSON.stringify({ reply, exports: Object.keys(nodis).sort() }));
`;

describe('nodis as a package', () => {
  const project = mkdtempSync(join(tmpdir(), 'nodis-embed-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it('packs the entry point, the sources and the server', async () => {
    const packed = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], checkout);
    expect(packed.code, packed.stderr).toBe(0);
    const [{ files }] = JSON.parse(packed.stdout) as Array<{ files: Array<{ path: string }> }>;
    const paths = files.map((f) => f.path);
    for (const path of ['package.json', 'index.js', 'src/index.ts', 'src/cli.ts', 'bin/nodis-server', 'redis.conf.example']) {
      expect(paths).toContain(path);
    }
    expect(paths.filter((p) => p.startsWith('test/') || p.startsWith('node_modules/'))).toEqual([]);
  });

  it(
    "runs README's embedding example from a checkout installed into another project, without a build",
    async () => {
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'embeds-nodis', private: true, type: 'module' }));
      writeFileSync(join(project, 'example.mjs'), EXAMPLE);
      // A directory install links the checkout, whose own node_modules holds the dependencies,
      // so nothing is fetched. --ignore-scripts skips `prepare` (type declarations only), which
      // shows that running needs no build and leaves the checkout untouched.
      const install = await run(
        'npm',
        ['install', '--offline', '--ignore-scripts', '--install-links=false', '--no-audit', '--no-fund', checkout],
        project,
      );
      expect(install.code, install.stderr).toBe(0);

      const example = await run(process.execPath, ['example.mjs'], project);
      expect(example.code, example.stderr).toBe(0);
      const { reply, exports } = JSON.parse(example.stdout) as { reply: string; exports: string[] };
      expect(reply).toBe('+PONG\r\n');
      const sources = await import('../../src/index.js');
      expect(exports).toEqual(Object.keys(sources).sort());
    },
    120_000,
  );
});
