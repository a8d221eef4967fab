import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { mismatches, runBoth, type Step } from '../helpers/differential.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const hasOracle = oracleAvailable();

/** rename-command as a config file line: a command moves to a new name, or leaves with "". */
const RENAMES: Array<[string, string]> = [['get', 'fetch'], ['FLUSHDB', ''], ['config', 'cfg'], ['debug', 'dbg']];

describe.skipIf(!hasOracle)('differential: rename-command', () => {
  let dir: string;
  let nodis: TestServer;
  let redis: Oracle;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nodis-rename-'));
    const configFile = join(dir, 'redis.conf');
    writeFileSync(configFile, RENAMES.map(([from, to]) => `rename-command ${from} "${to}"\n`).join(''));
    [nodis, redis] = await Promise.all([
      startTestServer({ configFile }),
      startOracle(['--enable-debug-command', 'yes', ...RENAMES.flatMap(([from, to]) => ['--rename-command', from, to])]),
    ]);
  });
  afterAll(async () => {
    await Promise.all([nodis?.stop(), redis?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers under the new name only, keeps the original name in COMMAND INFO and stats, and runs renamed commands in MULTI and scripts', async () => {
    const steps: Step[] = [
      ['SET', 'k', 'v'], ['GET', 'k'], ['FETCH', 'k'], ['fetch', 'k'],
      ['FLUSHDB'], ['CONFIG', 'GET', 'maxmemory'], ['CFG', 'GET', 'maxmemory'], ['cfg', 'help'],
      ['DEBUG', 'SLEEP', '0'], ['DBG', 'SLEEP', '0'],
      ['COMMAND', 'INFO', 'fetch', 'get', 'flushdb', 'cfg|get'],
      ['COMMAND', 'GETKEYS', 'fetch', 'k'], ['COMMAND', 'GETKEYS', 'get', 'k'],
      ['MULTI'], ['FETCH', 'k'], ['GET', 'k'], ['EXEC'],
      ['MULTI'], ['FETCH', 'k'], ['EXEC'],
      ['EVAL', "return redis.call('fetch', KEYS[1])", '1', 'k'],
      ['EVAL', "return redis.pcall('get', KEYS[1])", '1', 'k'],
      ['CFG', 'RESETSTAT'], ['FETCH', 'k'],
      ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'get'], ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'fetch'],
      ['OBJECT', 'HELP'], ['object', 'help'],
    ];
    expect(mismatches(await runBoth(nodis.port, redis.port, steps))).toEqual([]);
    const counts = await runBoth(nodis.port, redis.port, [['COMMAND', 'COUNT']]);
    const [countNodis, countRedis] = [counts[0]?.nodis, counts[0]?.redis];
    // The tables differ in size (commands nodis lacks); each lost exactly FLUSHDB.
    const full = await startTestServer();
    try {
      const all = await runBoth(full.port, full.port, [['COMMAND', 'COUNT']]);
      expect(Number(countNodis?.slice(1))).toBe(Number(all[0]?.nodis.slice(1)) - 1);
    } finally {
      await full.stop();
    }
    expect(countRedis).toMatch(/^:\d+\r\n$/);
  });
});
