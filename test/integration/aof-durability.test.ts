/**
 * What survives a SIGKILL of bin/nodis-server under each appendfsync policy. A client pipelines
 * numbered writes of every kind (MULTI/EXEC among them) and records which were acknowledged;
 * the process is killed with writes in flight and restarted on the same directory. The
 * restarted dataset must be exactly what some prefix of the stream leaves (write-workload.ts):
 * nothing half-applied, no transaction in part, nothing out of order.
 *
 *   - always: every acknowledged write is there;
 *   - everysec: Redis promises at most about two seconds lost; every write acknowledged more
 *     than 2.5 s before the kill is there (a process kill leaves what was written to the file
 *     in the page cache, and nodis writes before it answers: expect none lost at all);
 *   - no: a prefix of the stream, nothing corrupt.
 *
 * A last command cut short (as a crash inside write(2) would leave it) is loaded per
 * aof-load-truncated, the same as real redis-server loads the same directory.
 */
import { cpSync, readFileSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/aof.js';
import { eventually, killAllServerProcesses, spawnServerProcess, startServerProcess } from '../helpers/server-process.js';
import { freePort } from '../helpers/ports.js';
import { oracleAvailable } from '../helpers/oracle.js';
import { matchingPrefixes, readWorkloadState, streamUntilKilled, workloadOp, type StreamResult } from '../helpers/write-workload.js';

const dirs: string[] = [];
const hasRedis = oracleAvailable();

afterEach(async () => {
  await killAllServerProcesses();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newDir(prefix: string): string {
  const dir = tempDir(prefix);
  dirs.push(dir);
  return dir;
}

/** Streams writes at a fresh server with `fsync`, kills it per `stop`, restarts, and finds the prefixes the dataset matches. */
async function killAndRestart(dir: string, fsync: string, stop: (acknowledged: number, elapsedMs: number) => boolean, extraArgs: string[] = []) {
  const args = ['--appendonly', 'yes', '--appendfsync', fsync, ...extraArgs];
  const { server, client } = await startServerProcess('nodis', dir, args);
  let killedAt = 0;
  let stream: StreamResult;
  try {
    stream = await streamUntilKilled(client, {
      window: 32,
      stop,
      kill: () => {
        killedAt = Date.now();
        server.child.kill('SIGKILL');
      },
    });
  } finally {
    client.close();
  }
  await server.exited;
  const restarted = await startServerProcess('nodis', dir, args);
  const state = await readWorkloadState(restarted.client);
  restarted.client.close();
  await restarted.server.kill();
  const matches = matchingPrefixes(state, stream.sent);
  return { stream, killedAt, matches, restartedOutput: restarted.server.output() };
}

describe('acknowledged writes across SIGKILL', () => {
  it('appendfsync always: every acknowledged write is there, nothing half-applied', { timeout: 60_000 }, async () => {
    const dir = newDir('durable-always');
    const { stream, matches } = await killAndRestart(dir, 'always', (acked) => acked >= 1500);
    expect(matches.length, 'the restarted dataset is no prefix of the writes').toBeGreaterThan(0);
    const kept = Math.max(...matches);
    console.info(`appendfsync always: ${stream.acknowledged} acknowledged, ${stream.sent} sent, the restarted dataset holds the first ${kept}`);
    expect(kept).toBeGreaterThanOrEqual(stream.acknowledged);
  });

  it('appendfsync always while rewrites come and go: every acknowledged write is there', { timeout: 60_000 }, async () => {
    const dir = newDir('durable-rewrites');
    // A rewrite each time the AOF grows by a tenth past 16 kB: many switches of files during the stream.
    const rewrites = ['--auto-aof-rewrite-min-size', '16kb', '--auto-aof-rewrite-percentage', '10', '--hz', '100'];
    const { stream, matches, restartedOutput } = await killAndRestart(dir, 'always', (acked) => acked >= 3000, rewrites);
    expect(matches.length, 'the restarted dataset is no prefix of the writes').toBeGreaterThan(0);
    expect(Math.max(...matches)).toBeGreaterThanOrEqual(stream.acknowledged);
    // The kill came after several rewrites: the base loaded is not the first one.
    expect(restartedOutput).not.toContain('appendonly.aof.1.base.aof');
  });

  it('appendfsync everysec: what was acknowledged more than 2.5 s before the kill is there', { timeout: 60_000 }, async () => {
    const dir = newDir('durable-everysec');
    const { stream, killedAt, matches } = await killAndRestart(dir, 'everysec', (_acked, elapsed) => elapsed >= 4000);
    expect(matches.length, 'the restarted dataset is no prefix of the writes').toBeGreaterThan(0);
    const kept = Math.max(...matches);
    const ackedBefore = stream.ackTimes.filter((t) => t <= killedAt - 2500).length;
    console.info(
      `appendfsync everysec: ${stream.acknowledged} acknowledged (${ackedBefore} more than 2.5 s before the kill), ${stream.sent} sent, ` +
        `the restarted dataset holds the first ${kept}: ${Math.max(0, stream.acknowledged - kept)} acknowledged writes lost`,
    );
    expect(ackedBefore).toBeGreaterThan(0);
    expect(kept).toBeGreaterThanOrEqual(ackedBefore);
  });

  it('appendfsync no: the restarted dataset is a prefix of the writes', { timeout: 60_000 }, async () => {
    const dir = newDir('durable-no');
    const { stream, matches } = await killAndRestart(dir, 'no', (_acked, elapsed) => elapsed >= 1500);
    expect(matches.length, 'the restarted dataset is no prefix of the writes').toBeGreaterThan(0);
    const kept = Math.max(...matches);
    console.info(
      `appendfsync no: ${stream.acknowledged} acknowledged, ${stream.sent} sent, the restarted dataset holds the first ${kept}: ` +
        `${Math.max(0, stream.acknowledged - kept)} acknowledged writes lost`,
    );
  });
});

/** The incremental file of an AOF directory (one exists after a first start and no rewrite). */
function incrFile(dir: string): string {
  const aofDir = join(dir, 'appendonlydir');
  const names = readdirSync(aofDir).filter((n) => n.endsWith('.incr.aof'));
  expect(names).toHaveLength(1);
  return join(aofDir, names[0] as string);
}

const MULTI = '*1\r\n$5\r\nMULTI\r\n';

describe('a last command cut short after SIGKILL', () => {
  it('is truncated away with aof-load-truncated yes, refused with no; a cut transaction is dropped whole and stays dropped', { timeout: 60_000 }, async () => {
    const dir = newDir('durable-cut');
    const { stream, matches } = await killAndRestart(dir, 'always', (acked) => acked >= 300);
    const full = Math.max(...matches);
    expect(full).toBeGreaterThanOrEqual(stream.acknowledged);
    // Cut the file inside the last transaction: after its first queued command, in the middle of the second.
    const path = incrFile(dir);
    const content = readFileSync(path, 'latin1');
    const lastMulti = content.lastIndexOf(MULTI);
    expect(lastMulti).toBeGreaterThan(0);
    const firstQueued = '*2\r\n$4\r\nINCR\r\n$4\r\ntx:a\r\n';
    expect(content.startsWith(firstQueued, lastMulti + MULTI.length)).toBe(true);
    truncateSync(path, lastMulti + MULTI.length + firstQueued.length + 10);
    // What must be left: the writes before that transaction (it is the last one in the file).
    let expected = full;
    while (expected > 0 && workloadOp(expected - 1).commands[0]?.[0] !== 'MULTI') expected--;
    expected--;
    const cutCopy = newDir('durable-cut-copy');
    cpSync(dir, cutCopy, { recursive: true });

    // aof-load-truncated no: start-up refused, saying why and what to do.
    const refused = spawnServerProcess('nodis', dir, ['--appendonly', 'yes', '--aof-load-truncated', 'no'], await freePort());
    expect(await refused.exited).toBe(1);
    // The log lines reach the test through a pipe, possibly after the process is seen to exit.
    const refusedSays = 'Unexpected end of file reading the append only file';
    await eventually(async () => refused.output().includes(refusedSays), 'the refusal in the log', 5000).catch(() => undefined);
    expect(refused.output()).toContain(refusedSays);

    // yes: loaded up to the transaction, with Redis's warnings; the file no longer ends in it.
    const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--enable-debug-command', 'yes'];
    const loaded = await startServerProcess('nodis', dir, args);
    await eventually(async () => loaded.server.output().includes('Truncating the AOF'), 'the truncation in the log', 5000).catch(() => undefined);
    expect(loaded.server.output()).toContain('Truncating the AOF');
    const state = await readWorkloadState(loaded.client);
    expect(matchingPrefixes(state, stream.sent)).toContain(expected);
    const digest = await loaded.client.call('DEBUG', 'DIGEST');
    // Cut before the MULTI: what is appended from now on cannot be taken into that transaction.
    expect(statSync(path).size).toBe(lastMulti);

    // More writes, another restart: the dropped transaction does not come back in part.
    expect(await loaded.client.call('MULTI')).toBe('OK');
    await loaded.client.call('INCR', 'tx:a');
    await loaded.client.call('INCRBY', 'tx:b', '2');
    expect(await loaded.client.call('EXEC')).toEqual([expect.any(Number), expect.any(Number)]);
    const txA = Number(await loaded.client.call('GET', 'tx:a'));
    loaded.client.close();
    await loaded.server.kill();
    const again = await startServerProcess('nodis', dir, args);
    expect(Number(await again.client.call('GET', 'tx:a'))).toBe(txA);
    expect(Number(await again.client.call('GET', 'tx:b'))).toBe(2 * txA);
    again.client.close();

    // Real redis-server loads the same cut directory to the same dataset.
    if (hasRedis) {
      const redis = await startServerProcess('redis', cutCopy, ['--appendonly', 'yes', '--enable-debug-command', 'yes']);
      expect(redis.server.output()).toContain('Truncating the AOF');
      expect(await redis.client.call('DEBUG', 'DIGEST')).toBe(digest);
      redis.client.close();
    }
  });
});
