import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { readRdb } from '../../src/persistence/rdb/index.js';

/**
 * redis-cli's special modes and redis-benchmark's default tests, run against nodis and against
 * real redis-server on the same small dataset. Figures that legitimately differ (timings,
 * memory, the server's own counters) are masked; everything else must be the same.
 */

const hasTools = spawnSync('redis-cli', ['--version']).status === 0 && spawnSync('redis-benchmark', ['--version']).status === 0;
if (!hasTools && process.env.CI) throw new Error('redis-cli/redis-benchmark are not installed: CI must install the redis-tools package');
const hasStdbuf = spawnSync('stdbuf', ['--version']).status === 0;

interface CliRun {
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Runs a tool against `port`. With `stopAfterLines`, the tool (one that runs until stopped, like
 * --stat) is killed once that many lines came out; stdbuf makes its stdout line-buffered, or a
 * killed redis-cli would lose what it printed into a pipe.
 */
function runTool(tool: 'redis-cli' | 'redis-benchmark', port: number, args: string[], options: { input?: string; stopAfterLines?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const argv = [tool, '-p', String(port), ...args];
    const [command, ...rest] = options.stopAfterLines === undefined ? argv : ['stdbuf', '-oL', ...argv];
    const child = spawn(command as string, rest, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let lines = 0;
    const giveUp = setTimeout(() => child.kill('SIGKILL'), 8000);
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      for (const byte of chunk) if (byte === 10) lines++;
      if (options.stopAfterLines !== undefined && lines >= options.stopAfterLines) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(giveUp);
      resolve({ stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1'), code });
    });
    // A tool that never reads its stdin may exit before the write lands (EPIPE): that is fine.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Small keys of every type, sizes chosen so the biggest of each type is clear by any measure. */
const dataset: string[][] = [
  ['SET', 's:1', 'hello'],
  ['SET', 's:2', 'a string value long enough to be the biggest of its type by far'],
  ['SET', 's:int', '12345'],
  ['RPUSH', 'l:1', 'a', 'b', 'c'],
  ['RPUSH', 'l:2', ...'abcdefghijklmnopqrstuvwxyz'.split('')],
  ['HSET', 'h:1', ...Array.from({ length: 20 }, (_, i) => [`field${i}`, `value${i}`]).flat()],
  ['HSET', 'h:2', 'f1', 'v1'],
  ['SADD', 'set:1', ...Array.from({ length: 30 }, (_, i) => `member${i}`)],
  ['SADD', 'set:2', 'x'],
  ['ZADD', 'z:1', ...Array.from({ length: 25 }, (_, i) => [String(i), `m${i}`]).flat()],
  ['ZADD', 'z:2', '1', 'a'],
  // Past stream-node-max-entries (100), so two nodes: bigger than st:2 in Redis's memory too.
  ...Array.from({ length: 120 }, (_, i) => ['XADD', 'st:1', `1-${i + 1}`, 'field', `value${i}`]),
  ['XADD', 'st:2', '2-1', 'f', 'v'],
];

/** The dataset as a RESP stream, as --pipe reads it. */
function resp(commands: string[][]): string {
  return commands.map((words) => `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('')}`).join('');
}

/** From --bigkeys/--memkeys output, the summary (the "found so far" lines follow SCAN's order). */
function summary(output: string): string {
  return output.slice(output.indexOf('-------- summary -------'));
}

describe.skipIf(!hasTools || !oracleAvailable())('redis-cli modes and redis-benchmark, nodis against redis-server', () => {
  let nodis: TestServer;
  let redis: Oracle;
  let scratch: string;
  const both = (): [string, number][] => [
    ['nodis', nodis.port],
    ['redis', redis.port],
  ];
  /** Runs the same redis-cli invocation against both servers. */
  async function cliBoth(args: string[], options: { input?: string; stopAfterLines?: number } = {}): Promise<[CliRun, CliRun]> {
    return Promise.all([runTool('redis-cli', nodis.port, args, options), runTool('redis-cli', redis.port, args, options)]);
  }

  beforeAll(async () => {
    [nodis, redis] = await Promise.all([startTestServer(), startOracle(['--enable-debug-command', 'yes'])]);
    scratch = mkdtempSync(join(tmpdir(), 'nodis-cli-modes-'));
    const [loadNodis, loadRedis] = await cliBoth(['--pipe'], { input: resp(dataset) });
    expect(loadNodis.stdout).toContain(`errors: 0, replies: ${dataset.length}`);
    expect(loadRedis.stdout).toContain(`errors: 0, replies: ${dataset.length}`);
  });
  afterAll(async () => {
    await Promise.all([nodis?.stop(), redis?.stop()]);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('--bigkeys finds the same biggest key of each type and the same totals', async () => {
    const [fromNodis, fromRedis] = await cliBoth(['--bigkeys']);
    expect(fromNodis.code).toBe(0);
    expect(fromNodis.stderr).toBe('');
    expect(summary(fromNodis.stdout)).toContain("Biggest    set found '\"set:1\"' has 30 members");
    expect(summary(fromNodis.stdout)).toBe(summary(fromRedis.stdout));
  });

  it('--memkeys finds the same biggest key of each type (memory figures masked)', async () => {
    const [fromNodis, fromRedis] = await cliBoth(['--memkeys']);
    expect(fromNodis.code).toBe(0);
    expect(fromNodis.stderr).toBe('');
    const mask = (out: string): string =>
      summary(out)
        .replace(/has \d+ bytes/g, 'has N bytes')
        .replace(/with \d+ bytes/g, 'with N bytes')
        .replace(/avg size [\d.]+\)/g, 'avg size N)');
    expect(mask(fromNodis.stdout)).toContain("Biggest   hash found '\"h:1\"' has N bytes");
    expect(mask(fromNodis.stdout)).toBe(mask(fromRedis.stdout));
    // Every type's line reports a real size, not zero.
    expect(summary(fromNodis.stdout)).not.toMatch(/has 0 bytes/);
  });

  it('--hotkeys finds the key read most under an LFU policy', async () => {
    await cliBoth(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu']);
    try {
      await cliBoth([], { input: 'GET s:1\n'.repeat(20) });
      const [fromNodis, fromRedis] = await cliBoth(['--hotkeys']);
      for (const [name, run] of [
        ['nodis', fromNodis],
        ['redis', fromRedis],
      ] as const) {
        expect(run.code, name).toBe(0);
        expect(run.stderr, name).toBe('');
        // LFU counters grow by chance (lfu-log-factor): the count is masked, the key is not.
        expect(summary(run.stdout), name).toMatch(/Sampled 13 keys in the keyspace!\n(.*\n)*hot key found with counter: \d+\tkeyname: "s:1"/);
      }
    } finally {
      await cliBoth(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
    }
  });

  it('--scan --pattern lists the same keys', async () => {
    const patterns = ['s*', '*:2', 'h:?', 'nomatch*'];
    const runs = await Promise.all(patterns.map((pattern) => cliBoth(['--scan', '--pattern', pattern])));
    const keys = (out: string): string[] => out.split('\n').filter((k) => k !== '').sort();
    runs.forEach(([fromNodis, fromRedis], i) => expect(keys(fromNodis.stdout), patterns[i]).toEqual(keys(fromRedis.stdout)));
    expect(keys(runs[0]![0].stdout)).toEqual(['s:1', 's:2', 's:int', 'set:1', 'set:2', 'st:1', 'st:2']);
    const [all] = await cliBoth(['--scan']);
    expect(all.stdout.split('\n').filter((k) => k !== '')).toHaveLength(13);
  });

  it('--pipe loads a generated RESP file and reports its replies, errors counted', async () => {
    const commands: string[][] = [];
    for (let i = 0; i < 500; i++) commands.push(['SET', `pipe:${i}`, `value:${i}`]);
    commands.push(['INCR', 'pipe:0']); // an error: not an integer
    commands.push(['RPUSH', 'pipe:list', 'a', 'b']);
    const [fromNodis, fromRedis] = await cliBoth(['--pipe'], { input: resp(commands) });
    for (const run of [fromNodis, fromRedis]) {
      expect(run.stdout).toContain(`errors: 1, replies: ${commands.length}`);
    }
    // redis-cli prints each error reply on stderr.
    expect(fromNodis.stderr).toBe(fromRedis.stderr);
    expect(fromNodis.stderr).toContain('ERR value is not an integer or out of range');
    const check = await runTool('redis-cli', nodis.port, ['MGET', 'pipe:0', 'pipe:499']);
    expect(check.stdout).toBe('value:0\nvalue:499\n');
    const cleanup = ['DEL', 'pipe:list', ...commands.slice(0, 500).map((c) => c[1] as string)];
    await cliBoth(cleanup);
  });

  it('-3 shows RESP3 replies of every kind as Redis does', async () => {
    const commands = [
      ['HELLO', '3'],
      ['HGETALL', 'h:2'],
      ['SMEMBERS', 'set:2'],
      ['ZSCORE', 'z:1', 'm3'],
      ['ZRANGE', 'z:1', '0', '2', 'WITHSCORES'],
      ['GET', 'nokey'],
      ['GET', 's:1'],
      ['XRANGE', 'st:1', '-', '+', 'COUNT', '2'],
      ['TYPE', 'l:1'],
      ['EXISTS', 's:1'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['LPOP', 'nokey'],
      ['OBJECT', 'ENCODING', 's:int'],
      ['INCR', 's:1'],
      ['NOSUCH', 'x'],
      // Verbatim strings, then a script's RESP3 replies: booleans, maps, sets, doubles.
      // (Not big numbers: redis-cli 7.0's hiredis cannot read them.)
      ['MEMORY', 'DOCTOR'],
      ['LATENCY', 'DOCTOR'],
      ['EVAL', '"return true"', '0'],
      ['EVAL', '"return false"', '0'],
      ['EVAL', '"return {map={a=1}}"', '0'],
      ['EVAL', '"return {set={a=true}}"', '0'],
      ['EVAL', '"return {double=3.5}"', '0'],
      ['EVAL', '"return {1,\'a\',{2.5}}"', '0'],
      ['EVAL', '"redis.setresp(3); return redis.call(\'HGETALL\', KEYS[1])"', '1', 'h:2'],
      ['EVAL', '"return {err=\'My err\'}"', '0'],
      // DEBUG PROTOCOL's samples of each type (redis-cli 7.0 reads neither big numbers nor
      // attributes, so those two are left out; it drops the push and shows the reply after it).
      ...['string', 'integer', 'double', 'null', 'array', 'set', 'map', 'push', 'verbatim', 'true', 'false'].map((type) => ['DEBUG', 'PROTOCOL', type]),
    ];
    // One redis-cli reading the commands from stdin (one process per server, not per command).
    const [fromNodis, fromRedis] = await cliBoth(['-3', '--no-raw'], { input: commands.map((words) => words.join(' ')).join('\n') + '\n' });
    const mask = (out: string): string => out.replace(/"id" => \(integer\) \d+/, '"id" => (integer) N');
    expect(fromNodis.stdout).toContain('(double) 3');
    expect(fromNodis.stdout).toContain('1~ "x"');
    expect(fromNodis.stdout).toContain('2# (integer) 1 => (true)');
    expect(mask(fromNodis.stdout)).toBe(mask(fromRedis.stdout));
  });

  it('--eval runs a script file with keys and arguments', async () => {
    const script = join(scratch, 'script.lua');
    writeFileSync(
      script,
      [
        "redis.call('SET', KEYS[1], ARGV[1])",
        "redis.call('RPUSH', KEYS[2], ARGV[1], ARGV[2])",
        "return {redis.call('GET', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1), #KEYS, #ARGV, redis.call('TTL', KEYS[1]), 3.7, false}",
        '',
      ].join('\n'),
    );
    for (const format of ['--raw', '--no-raw']) {
      const [fromNodis, fromRedis] = await cliBoth([format, '--eval', script, 'eval:a', 'eval:b', ',', 'x', 'y']);
      expect(fromNodis.stdout).toBe(fromRedis.stdout);
      expect(fromNodis.stdout).toContain('x');
    }
    // Too few keys: the script's error, as Redis words it (its function name masked).
    const [errorNodis, errorRedis] = await cliBoth(['--eval', script, 'eval:a']);
    const maskScriptName = (out: string): string => out.replace(/f_[0-9a-f]+/g, 'f_SHA');
    expect(maskScriptName(errorNodis.stdout)).toBe(maskScriptName(errorRedis.stdout));
    await cliBoth(['DEL', 'eval:a', 'eval:b']);
  });

  it.skipIf(!hasStdbuf)('--stat prints rows of figures, the key count the same as Redis', async () => {
    const [fromNodis, fromRedis] = await cliBoth(['--stat', '-i', '0.1'], { stopAfterLines: 5 });
    const rows = (out: string): string[][] =>
      out
        .split('\n')
        .filter((line) => /^\d/.test(line))
        .map((line) => line.trim().split(/\s+/));
    for (const [name, run] of [
      ['nodis', fromNodis],
      ['redis', fromRedis],
    ] as const) {
      expect(run.stdout, name).toMatch(/^------- data ------ -+ load -+ - child -\nkeys +mem +clients +blocked +requests +connections/);
      expect(run.stderr, name).toBe('');
      const figures = rows(run.stdout);
      expect(figures.length, name).toBeGreaterThanOrEqual(3);
      for (const row of figures) {
        expect(row[0], name).toBe('13');
        expect(row[1], name).toMatch(/^[\d.]+[KMG]?$/);
        expect(row[4], name).toMatch(/^\d+$/);
        expect(row[5], name).toMatch(/^\(\+\d+\)$/);
      }
    }
  });

  it('--latency and --latency-history print samples without errors', async () => {
    for (const [name, port] of both()) {
      const latency = await runTool('redis-cli', port, ['--latency', '--raw', '-i', '0.1']);
      expect(latency.code, name).toBe(0);
      expect(latency.stderr, name).toBe('');
      expect(latency.stdout, name).toMatch(/^\d+ \d+ \d+\.\d\d \d+\n$/);
    }
    if (!hasStdbuf) return;
    for (const [name, port] of both()) {
      const history = await runTool('redis-cli', port, ['--latency-history', '-i', '0.2'], { stopAfterLines: 2 });
      expect(history.stderr, name).toBe('');
      expect(history.stdout.split('\n').slice(0, 2), name).toEqual([expect.stringMatching(/^\d+ \d+ \d+\.\d\d \d+$/), expect.stringMatching(/^\d+ \d+ \d+\.\d\d \d+$/)]);
    }
  });

  it('--rdb fetches a snapshot of the same keys (REPLCONF rdb-only, then SYNC), which redis-check-rdb accepts', async () => {
    const [nodisFile, redisFile] = [join(scratch, 'nodis.rdb'), join(scratch, 'redis.rdb')];
    // Redis waits 5 s by default for more replicas before a diskless transfer.
    expect((await runTool('redis-cli', redis.port, ['CONFIG', 'SET', 'repl-diskless-sync-delay', '0'])).stdout.trim()).toBe('OK');
    const [fromNodis, fromRedis] = await Promise.all([runTool('redis-cli', nodis.port, ['--rdb', nodisFile]), runTool('redis-cli', redis.port, ['--rdb', redisFile])]);
    for (const run of [fromNodis, fromRedis]) {
      expect(run.code).toBe(0);
      expect(run.stderr).toContain('sending REPLCONF rdb-only 1');
      expect(run.stderr).toMatch(/Transfer finished with success/);
    }
    const keysOf = (file: string): string[] => [...(readRdb(readFileSync(file), { databases: 16 }).databases.get(0)?.keys() ?? [])].sort();
    expect(keysOf(nodisFile)).toEqual(keysOf(redisFile));
    expect(keysOf(nodisFile)).toHaveLength(13);
    const check = spawnSync('redis-check-rdb', [nodisFile], { encoding: 'latin1' });
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('13 keys read');
  });

  it('answers the replication handshake as Redis does, and refuses to be followed by a replica', async () => {
    const handshake = [['REPLCONF'], ['REPLCONF', 'a'], ['REPLCONF', 'foo', 'bar'], ['REPLCONF', 'rdb-only', '2'], ['REPLCONF', 'rdb-only', 'x'], ['REPLCONF', 'listening-port', 'x'], ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'], ['REPLCONF', 'listening-port', '6380']];
    const replies = async (port: number): Promise<string[]> => {
      const out: string[] = [];
      for (const args of handshake) out.push((await runTool('redis-cli', port, args)).stdout);
      return out;
    };
    const [fromNodis, fromRedis] = await Promise.all([replies(nodis.port), replies(redis.port)]);
    expect(fromNodis).toEqual(fromRedis);
    expect(fromRedis[2]?.trim()).toBe('ERR Unrecognized REPLCONF option: foo');
    // SYNC as a replica sends it: nodis says it cannot be followed (Redis would start streaming).
    const sync = await runTool('redis-cli', nodis.port, ['SYNC']);
    expect(sync.stderr).toContain('SYNC with master failed: -ERR nodis does not replicate');
  });

  it('redis-benchmark completes every default test against nodis', async () => {
    const run = await runTool('redis-benchmark', nodis.port, ['-n', '200', '-q']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const finalLines = run.stdout
      .split(/[\r\n]/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.includes('rps='));
    const defaults = [
      'PING_INLINE',
      'PING_MBULK',
      'SET',
      'GET',
      'INCR',
      'LPUSH',
      'RPUSH',
      'LPOP',
      'RPOP',
      'SADD',
      'HSET',
      'SPOP',
      'ZADD',
      'ZPOPMIN',
      'LPUSH (needed to benchmark LRANGE)',
      'LRANGE_100 (first 100 elements)',
      'LRANGE_300 (first 300 elements)',
      'LRANGE_500 (first 500 elements)',
      'LRANGE_600 (first 600 elements)',
      'MSET (10 keys)',
    ];
    expect(finalLines.map((line) => line.slice(0, line.lastIndexOf(': ', line.indexOf(' requests per second'))))).toEqual(defaults);
    for (const line of finalLines) expect(line).toMatch(/: [\d.]+ requests per second, p50=[\d.]+ msec$/);
    expect(finalLines.join('\n')).not.toMatch(/error/i);
  });
});
