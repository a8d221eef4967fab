/**
 * How long does the event loop stall during BGSAVE and BGREWRITEAOF? Starts bin/nodis-server as
 * a child process, fills it with one scenario at a time (1M small keys, or one collection of 1M
 * members of each type, or one large string), then runs each job while a client sends PING after
 * PING and notes the longest round trip. Not a test: a measuring tool, run by hand.
 *
 *   npx tsx scripts/stall-probe.ts [--members N] [--string-mb M] [--only keys,hash,set,zset,list,string]
 *                                  [--jobs bgsave,bgrewriteaof] [--gc-log FILE]
 *
 * --gc-log runs the server with --trace-gc and its output into FILE, to tell GC pauses apart.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForServer } from '../test/helpers/ports.js';
import { RawClient } from '../test/helpers/raw-client.js';

const BIN = fileURLToPath(new URL('../bin/nodis-server', import.meta.url));

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback);
}

const members = Number(option('members', '1000000'));
const stringMb = Number(option('string-mb', '64'));
const scenarios = option('only', 'keys,hash,set,zset,list,string').split(',');
const jobs = option('jobs', 'bgsave,bgrewriteaof').split(',');
const gcLog = option('gc-log', '');

/** Sends `commands` pipelined, `batch` at a time, and checks that none failed. */
async function pipeline(c: RawClient, commands: Iterable<string[]>, batch = 64): Promise<void> {
  let inFlight = 0;
  for (const argv of commands) {
    c.send(...argv);
    if (++inFlight === batch) {
      for (; inFlight > 0; inFlight--) {
        const reply = await c.read(60_000);
        if (typeof reply === 'object' && reply !== null && 'error' in reply) throw new Error(String(reply.error));
      }
    }
  }
  for (; inFlight > 0; inFlight--) await c.read(60_000);
}

/** Commands building one scenario, a thousand elements each. */
function* fill(scenario: string): Generator<string[]> {
  const per = 1000;
  for (let i = 0; i < members; i += per) {
    const end = Math.min(members, i + per);
    const args: string[] = [];
    for (let j = i; j < end; j++) {
      switch (scenario) {
        case 'keys':
          args.push(`key:${j}`, `value:${j}`);
          break;
        case 'hash':
          args.push(`field:${j}`, `value:${j}`);
          break;
        case 'zset':
          args.push(String(j * 1.5), `member:${j}`);
          break;
        default:
          args.push(`member:${j}`);
      }
    }
    if (scenario === 'keys') yield ['MSET', ...args];
    else if (scenario === 'hash') yield ['HSET', 'big', ...args];
    else if (scenario === 'set') yield ['SADD', 'big', ...args];
    else if (scenario === 'zset') yield ['ZADD', 'big', ...args];
    else yield ['RPUSH', 'big', ...args];
  }
}

async function fillString(c: RawClient): Promise<void> {
  // Varied text, so that LZF has work to do but does not find one long run. One SET, so that
  // the server holds it as one flat string (APPENDs would make a rope, flattened at its first read).
  const piece = Buffer.from(Array.from({ length: 1 << 14 }, (_, i) => 32 + ((i * 7919) % 95)));
  const value = Buffer.alloc(stringMb << 20);
  for (let at = 0; at < value.length; at += piece.length) piece.copy(value, at);
  const reply = await c.call('SET', 'big', value);
  if (reply !== 'OK') throw new Error(`SET: ${JSON.stringify(reply)}`);
}

/** PINGs back to back for `ms` with no job running: what the machine and the GC do anyway. */
async function idle(pinger: RawClient, ms: number): Promise<{ maxMs: number; over5: number; pings: number }> {
  const end = performance.now() + ms;
  let maxMs = 0;
  let over5 = 0;
  let pings = 0;
  while (performance.now() < end) {
    const t = performance.now();
    await pinger.call('PING');
    const rtt = performance.now() - t;
    pings++;
    if (rtt > maxMs) maxMs = rtt;
    if (rtt > 5) over5++;
  }
  return { maxMs, over5, pings };
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\r$`, 'm').exec(info)?.[1];
}

/** PINGs back to back until `running()` turns false; the longest round trip and the job's duration. */
async function measure(pinger: RawClient, control: RawClient, start: string, flag: string): Promise<{ maxMs: number; over5: number; pings: number; jobMs: number }> {
  const started = performance.now();
  const reply = await control.call(start);
  if (typeof reply === 'object' && reply !== null && 'error' in reply) throw new Error(String(reply.error));
  let done = false;
  const watch = (async () => {
    while (field((await control.call('INFO', 'persistence')) as string, flag) === '1') await new Promise((r) => setTimeout(r, 10));
    done = true;
  })();
  let maxMs = 0;
  let over5 = 0;
  let pings = 0;
  while (!done) {
    const t = performance.now();
    await pinger.call('PING');
    const rtt = performance.now() - t;
    pings++;
    if (rtt > maxMs) maxMs = rtt;
    if (rtt > 5) over5++;
  }
  await watch;
  return { maxMs, over5, pings, jobMs: performance.now() - started };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nodis-stall-'));
  const port = await freePort();
  const flags = gcLog === '' ? [] : ['--trace-gc'];
  const log = gcLog === '' ? 'ignore' : openSync(gcLog, 'w');
  const child = spawn(process.execPath, ['--max-semi-space-size=2', ...flags, BIN, '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', log, log],
  });
  try {
    const ready = await waitForServer(port, 20_000, child);
    if (ready === null) throw new Error('nodis-server did not start');
    ready.close();
    const control = await RawClient.connect(port);
    const pinger = await RawClient.connect(port);
    for (const scenario of scenarios) {
      await control.call('FLUSHALL');
      const filled = performance.now();
      if (scenario === 'string') await fillString(control);
      else await pipeline(control, fill(scenario));
      const what = scenario === 'string' ? `a ${stringMb} MB string` : scenario === 'keys' ? `${members} small keys` : `a ${members}-member ${scenario}`;
      console.log(`${what} (filled in ${((performance.now() - filled) / 1000).toFixed(1)} s)`);
      // Let the collection that follows the fill pass, and see what the loop does with no job.
      await new Promise((r) => setTimeout(r, 1000));
      const quiet = await idle(pinger, 1000);
      console.log(`  no job        ${' '.repeat(12)}${String(quiet.pings).padStart(6)} pings, longest ${quiet.maxMs.toFixed(1).padStart(7)} ms, ${quiet.over5} over 5 ms`);
      for (const job of jobs) {
        const flag = job === 'bgsave' ? 'rdb_bgsave_in_progress' : 'aof_rewrite_in_progress';
        const r = await measure(pinger, control, job.toUpperCase(), flag);
        const status = field((await control.call('INFO', 'persistence')) as string, job === 'bgsave' ? 'rdb_last_bgsave_status' : 'aof_last_bgrewrite_status');
        console.log(
          `  ${job.padEnd(13)} job ${r.jobMs.toFixed(0).padStart(6)} ms, ${String(r.pings).padStart(6)} pings, longest ${r.maxMs.toFixed(1).padStart(7)} ms, ${r.over5} over 5 ms (${status})`,
        );
      }
    }
    control.close();
    pinger.close();
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
