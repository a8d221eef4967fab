/**
 * The Docker image, built from the Dockerfile and run as README's Docker section says: it
 * serves on all interfaces with its data in the /data volume, its HEALTHCHECK reports it
 * healthy, `docker stop` (SIGTERM) saves the dataset before it exits, and a redis.conf mounted
 * at /etc/nodis/redis.conf configures it, on the same volume.
 *
 * It needs a Docker engine and a node:24-slim base. Where Docker Hub cannot be reached, the base
 * is scripts/docker-test-base.sh's stand-in (Debian 12, Node 24, npm 11), which CI builds; the
 * image is built on it through the Dockerfile's NODE_IMAGE argument. In CI a missing engine or
 * base is an error; elsewhere the test is skipped, saying what to run.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeAvailable, until } from '../helpers/libraries.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BASE = process.env.NODIS_DOCKER_BASE ?? 'nodis-test/node:24-slim';

const hasDocker = runtimeAvailable(
  'a Docker engine with the base image',
  ['docker', 'image', 'inspect', BASE],
  'apt-get install docker.io debootstrap, start dockerd, then scripts/docker-test-base.sh',
);

const docker = async (...args: string[]): Promise<string> => (await run('docker', args, { maxBuffer: 16 << 20 })).stdout.trim();

describe.skipIf(!hasDocker)('Docker image', { timeout: 240_000 }, () => {
  const tag = `nodis-test/nodis:test-${process.pid}`;
  const volume = `nodis-test-data-${process.pid}`;
  const containers: string[] = [];
  let scratch = '';

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'nodis-docker-'));
    // Host networking for the build: npm ci inside it reaches the registry as the host does.
    await docker('build', '-q', '--network', 'host', '--build-arg', `NODE_IMAGE=${BASE}`, '-t', tag, ROOT);
    await docker('volume', 'create', volume);
  }, 600_000);

  afterAll(async () => {
    for (const id of containers) await docker('rm', '-f', id).catch(() => '');
    await docker('volume', 'rm', '-f', volume).catch(() => '');
    await docker('rmi', '-f', tag).catch(() => '');
    if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
  });

  /** Starts a container of the image, its port 6379 published on a free port of 127.0.0.1. */
  async function start(...args: string[]): Promise<{ id: string; port: number }> {
    const id = await docker('run', '-d', '-p', '127.0.0.1::6379', '-v', `${volume}:/data`, ...args);
    containers.push(id);
    const published = await docker('port', id, '6379/tcp');
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(published)?.[1]);
    expect(port).toBeGreaterThan(0);
    return { id, port };
  }

  async function connect(port: number, password?: string): Promise<Redis> {
    let client: Redis | null = null;
    await until(
      async () => {
        const attempt = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        // Refused until the server listens: the attempt's rejection says so, not its error event.
        attempt.on('error', () => undefined);
        try {
          await attempt.connect();
          client = attempt;
          return true;
        } catch {
          attempt.disconnect();
          return false;
        }
      },
      'the container to accept connections',
      60_000,
    );
    return client as unknown as Redis;
  }

  it('serves on all interfaces with /data as its directory, is healthy, and saves its data when stopped', async () => {
    const { id, port } = await start(tag);
    const client = await connect(port);
    try {
      expect(await client.set('greeting', 'hello from the image')).toBe('OK');
      expect(await client.config('GET', 'dir')).toEqual(['dir', '/data']);
      expect(await client.config('GET', 'protected-mode')).toEqual(['protected-mode', 'no']);
    } finally {
      client.disconnect();
    }
    // The HEALTHCHECK's first run comes after its 10 s interval.
    await until(async () => (await docker('inspect', '-f', '{{.State.Health.Status}}', id)) === 'healthy', 'a healthy status', 60_000);
    await docker('stop', id);
    expect(await docker('inspect', '-f', '{{.State.ExitCode}}', id)).toBe('0');
    const logs = (await run('docker', ['logs', id])).stdout;
    expect(logs).toContain('Received SIGTERM scheduling shutdown...');
    expect(logs).toContain('Saving the final RDB snapshot before exiting.');
    expect(logs).toContain('DB saved on disk');
  });

  // This one reads what the test above saved in the volume.
  it('takes a redis.conf mounted at /etc/nodis/redis.conf, and finds the saved data in the volume', async () => {
    const conf = join(scratch, 'redis.conf');
    writeFileSync(conf, ['bind 0.0.0.0', 'protected-mode yes', 'requirepass s3cret', 'dir /data', ''].join('\n'));
    chmodSync(conf, 0o644);
    const { port } = await start('-v', `${conf}:/etc/nodis/redis.conf:ro`, tag, 'node', '--max-semi-space-size=2', '/app/bin/nodis-server', '/etc/nodis/redis.conf');
    const client = await connect(port, 's3cret');
    try {
      expect(await client.get('greeting')).toBe('hello from the image');
      expect(await client.config('GET', 'requirepass')).toEqual(['requirepass', 's3cret']);
    } finally {
      client.disconnect();
    }
    // (No ready check: its INFO would meet NOAUTH before the test's own command does.)
    const anonymous = new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await anonymous.connect();
      await expect(anonymous.get('greeting')).rejects.toThrow(/NOAUTH/);
    } finally {
      anonymous.disconnect();
    }
  });
});
