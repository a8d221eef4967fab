/**
 * The script worker (two threads that take a second of CPU or so to start) starts once the
 * dataset is loaded, not while it loads: on a small machine its start would be taken from the
 * load. Scripts cannot run meanwhile anyway (EVAL answers -LOADING). Its own file: the worker
 * is once per process, and started by the first server that finishes loading.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/index.js';
import { hasScriptWorker } from '../../src/scripting/scripting.js';
import { freePort } from '../helpers/ports.js';
import { connectWhileStarting, writeLoadingDump } from '../helpers/loading.js';

const dir = mkdtempSync(join(tmpdir(), 'nodis-worker-start-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('script worker start', () => {
  it('is not started while dump.rdb loads, and is once startServer resolves', async () => {
    writeLoadingDump(dir, 2000);
    const port = await freePort();
    const starting = startServer({ port, dir, save: '', 'key-load-delay': 200 });
    const client = await connectWhileStarting(port);
    expect(await client.callRaw('EVAL', 'return 1', '0')).toBe('-LOADING Redis is loading the dataset in memory\r\n');
    expect(hasScriptWorker()).toBe(false);
    const running = await starting;
    expect(hasScriptWorker()).toBe(true);
    expect(await client.callRaw('EVAL', 'return 1', '0')).toBe(':1\r\n');
    client.close();
    await running.close();
  });
});
