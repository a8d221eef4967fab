import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions (comments dropped, continuation lines joined). */
function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const space = l.indexOf(' ');
      return { op: l.slice(0, space).toUpperCase(), args: l.slice(space + 1).trim() };
    });
}

const root = new URL('../../', import.meta.url);
const instructions = parseDockerfile(readFileSync(new URL('Dockerfile', root), 'utf8'));
const stages = instructions.filter((i) => i.op === 'FROM');
const runtime = instructions.slice(instructions.lastIndexOf(stages[stages.length - 1] as Instruction));

describe('Dockerfile', () => {
  it('is a multi-stage build on node:24-slim (a maintained LTS release)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    // The base is an argument (the image's test builds on a local stand-in), node:24-slim by default.
    const base = instructions.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    expect(base?.args).toBe('NODE_IMAGE=node:24-slim');
    expect(instructions.indexOf(base as Instruction)).toBeLessThan(instructions.indexOf(stages[0] as Instruction));
    for (const s of stages) expect(s.args).toMatch(/^\$\{NODE_IMAGE\}/);
    expect(stages[0]?.args).toMatch(/ AS \w+$/i);
  });

  it('installs the locked production dependencies, tsx included', () => {
    const install = instructions.find((i) => i.op === 'RUN' && i.args.includes('npm ci'));
    expect(install?.args).toContain('--omit=dev');
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
      dependencies: Record<string, string>;
      scripts: Record<string, string>;
    };
    // npm ci runs the package's own `prepare`, whose script is not copied into this stage (and
    // whose type declarations the image does not need).
    if (pkg.scripts.prepare !== undefined) expect(install?.args).toContain('--ignore-scripts');
    expect(pkg.dependencies.tsx).toBeDefined();
    expect(pkg.dependencies.commander).toBeDefined();
    const copied = runtime.filter((i) => i.op === 'COPY').map((i) => i.args);
    expect(copied.some((a) => a.startsWith('--from=') && a.includes('node_modules'))).toBe(true);
    expect(copied.some((a) => a.startsWith('bin '))).toBe(true);
    expect(copied.some((a) => a.startsWith('src '))).toBe(true);
  });

  it('runs as a non-root user in /data, exposing 6379 with a /data volume', () => {
    const user = runtime.filter((i) => i.op === 'USER').pop();
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user?.args);
    expect(runtime.some((i) => i.op === 'EXPOSE' && i.args.split(/\s+/).includes('6379'))).toBe(true);
    expect(runtime.some((i) => i.op === 'VOLUME' && i.args.includes('/data'))).toBe(true);
    expect(runtime.filter((i) => i.op === 'WORKDIR').pop()?.args).toBe('/data');
  });

  it('starts bin/nodis-server listening on all interfaces with its data in /data', () => {
    const cmd = runtime.filter((i) => i.op === 'CMD').pop();
    const argv = JSON.parse(cmd?.args ?? '[]') as string[];
    expect(argv.some((a) => a.endsWith('bin/nodis-server'))).toBe(true);
    const flags = argv.slice(argv.findIndex((a) => a.endsWith('bin/nodis-server')) + 1);
    expect(flags.join(' ')).toBe('--bind 0.0.0.0 --protected-mode no --dir /data');
  });

  it('checks its health with bin/nodis-healthcheck, which the image holds', () => {
    const check = runtime.filter((i) => i.op === 'HEALTHCHECK').pop();
    expect(check?.args).toMatch(/--start-period=\d+s/);
    const argv = JSON.parse(check?.args.slice(check.args.indexOf('CMD') + 3).trim() ?? '[]') as string[];
    expect(argv).toEqual(['node', '/app/bin/nodis-healthcheck']);
    // bin/ is copied whole into /app/bin.
    expect(runtime.some((i) => i.op === 'COPY' && i.args === 'bin ./bin')).toBe(true);
  });

  it('keeps local state out of the build context', () => {
    const ignored = readFileSync(new URL('.dockerignore', root), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', '.git', '*.rdb', '*.aof']) expect(ignored).toContain(entry);
  });
});
