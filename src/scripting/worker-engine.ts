import { Worker } from 'node:worker_threads';
import type { ReplyWriter } from '../protocol/reply.js';
import type { ScriptFailure, ScriptHost } from './engine.js';
import {
  Channel, HOST_ACL_CHECK, HOST_CALL, HOST_ERROR_REPLIED, HOST_LOG, HOST_SET_REPL, HOST_SET_RESP, JOB_RESET, JOB_RUN, readStrings,
  RESULT_FAILURE, RESULT_REPLY, TURN_ANSWER, TURN_DONE, TURN_IDLE, TURN_JOB, TURN_REQUEST, TURN_START_FAILED, TURN_STARTING,
  writeStrings,
} from './worker-channel.js';

/**
 * Runs scripts in a worker thread (engine-worker.ts) so that a script that does not end can be
 * stopped: the main thread serves the script's redis.call requests synchronously, as if the
 * engine ran in-process, until busy-reply-threshold has passed; from then on it serves them
 * from the event loop (Atomics.waitAsync), which answers other clients meanwhile, and a kill
 * terminates the thread and starts a new one.
 *
 * The worker's engine compiles each script's driver chunk once and keeps it (the in-process
 * engine has no compile cache), keyed by the chunk's text.
 */

/** A script as the worker runs it: the driver chunk the in-process engine built (wasm-engine.ts). */
export interface WorkerScript {
  readonly chunk: string;
  /** The driver's flags: wrapped, marksNulls; and its callLine. */
  readonly wrapped: boolean;
  readonly marksNulls: boolean;
  readonly callLine: number;
}

/** The script was ended by SCRIPT KILL (or FUNCTION KILL). */
export const KILLED_BY_USER: ScriptFailure = { kind: 'error', message: 'ERR Script killed by user with SCRIPT KILL...', line: 1, fromCommand: false };

/** Set in a dropped channel's turn word: its waiter stops. */
const TURN_KILLED = 100;
/** How long a run waits for a worker being started before answering that scripts are unavailable. */
const START_WAIT_MS = 10_000;

const ERR_REPLY_TOO_LARGE = Buffer.from('-ERR the reply is too large to hand to the script\r\n', 'latin1');

export class ScriptWorker {
  private worker: Worker | null = null;
  private channel!: Channel;
  /** The next worker, started ahead (see start). */
  private spare: { worker: Worker; channel: Channel } | null = null;
  /** A run past the threshold: it ends with the promise its caller awaits. */
  private asyncRun: { channel: Channel; killed: ScriptFailure | null } | null = null;

  /** `random` is math.random's state (rand48.ts), shared with the worker. */
  constructor(
    private readonly version: string,
    private readonly random: SharedArrayBuffer,
  ) {
    this.start();
  }

  /** Whether a run goes on from the event loop (past the threshold). */
  get runningAsync(): boolean {
    return this.asyncRun !== null;
  }

  /**
   * Makes the spare worker the running one, and starts a new spare: a worker takes long to
   * start (its engine, and its TypeScript sources through tsx: up to a second on a busy
   * machine), so a kill must not wait for one.
   */
  private start(): void {
    const spare = this.spare ?? this.spawn();
    this.worker = spare.worker;
    this.channel = spare.channel;
    this.spare = this.spawn();
  }

  private spawn(): { worker: Worker; channel: Channel } {
    const channel = Channel.allocate();
    const worker = new Worker(new URL('./engine-worker.mjs', import.meta.url), {
      workerData: { shared: channel.shared, version: this.version, random: this.random },
    });
    // A worker never keeps the process alive; one that dies is replaced by the next run.
    worker.unref();
    worker.on('error', () => {
      if (this.worker === worker) this.worker = null;
      if (this.spare?.worker === worker) this.spare = null;
    });
    return { worker, channel };
  }

  /**
   * Runs `script` and writes its reply to `reply`: returns null or the failure when it ended
   * within `thresholdMs`; otherwise a promise of the same, the script going on while the event
   * loop runs (`onBusy` is called first, once).
   */
  run(
    script: WorkerScript, keys: readonly string[], args: readonly string[], host: ScriptHost, reply: ReplyWriter, thresholdMs: number,
    onBusy: () => void,
  ): ScriptFailure | null | Promise<ScriptFailure | null> {
    if (this.worker === null) this.start();
    const ready = this.ready(performance.now() + START_WAIT_MS);
    if (ready !== null) return ready;
    // The script's time starts now, not while a worker was starting.
    const started = performance.now();
    const channel = this.channel;
    const area = channel.area;
    area.writeUInt32LE(reply.resp, 0);
    area.writeUInt32LE(keys.length, 4);
    area.writeUInt32LE(args.length, 8);
    area.writeUInt32LE(script.callLine, 12);
    area[16] = (script.wrapped ? 1 : 0) | (script.marksNulls ? 2 : 0);
    let end = writeStrings(area, 20, [script.chunk]);
    if (end >= 0) end = writeStrings(area, end, keys);
    if (end >= 0) end = writeStrings(area, end, args);
    if (end < 0) return { kind: 'error', message: 'ERR the script and its arguments are too large', line: 0, fromCommand: false };
    channel.handOver(TURN_JOB, JOB_RUN, end);
    const deadline = started + thresholdMs;
    let waitingOn = TURN_JOB;
    for (;;) {
      const turn = channel.waitWhile(waitingOn, deadline);
      if (turn === TURN_REQUEST) {
        serve(channel, host);
        waitingOn = TURN_ANSWER;
      } else if (turn === TURN_DONE) {
        return this.finish(channel, reply);
      } else {
        onBusy();
        return this.continueAsync(channel, waitingOn, host, reply);
      }
    }
  }

  /** Null when the worker's engine is ready, else why scripts cannot run. */
  private ready(deadline: number): ScriptFailure | null {
    const channel = this.channel;
    let turn = channel.turn;
    if (turn === TURN_STARTING) turn = channel.waitWhile(TURN_STARTING, deadline);
    if (turn === TURN_IDLE || turn === TURN_DONE) return null;
    const message = turn === TURN_START_FAILED ? channel.area.toString('utf8', 0, channel.length) : 'the Lua engine is starting';
    if (turn === TURN_START_FAILED) this.restart();
    return { kind: 'unavailable', message, line: 0, fromCommand: false };
  }

  private async continueAsync(channel: Channel, waitingOn: number, host: ScriptHost, reply: ReplyWriter): Promise<ScriptFailure | null> {
    const state = { channel, killed: null as ScriptFailure | null };
    this.asyncRun = state;
    try {
      for (;;) {
        const turn = await channel.waitWhileAsync(waitingOn);
        if (state.killed !== null) return state.killed;
        if (turn === TURN_REQUEST) {
          serve(channel, host);
          waitingOn = TURN_ANSWER;
        } else if (turn === TURN_DONE) {
          return this.finish(channel, reply);
        } else {
          waitingOn = turn;
        }
      }
    } finally {
      this.asyncRun = null;
    }
  }

  /**
   * Ends the run in progress past the threshold: its caller gets `failure`. The worker is
   * terminated and a new one started. False when no run goes on from the event loop.
   */
  kill(failure: ScriptFailure): boolean {
    const state = this.asyncRun;
    if (state === null) return false;
    state.killed = failure;
    this.restart();
    // Wakes the run's waiter, which sees it was killed.
    Atomics.store(state.channel.control, 0, TURN_KILLED);
    Atomics.notify(state.channel.control, 0);
    return true;
  }

  /** SCRIPT FLUSH: the worker's VM starts afresh (not while a script runs). */
  reset(): void {
    if (this.asyncRun !== null || this.worker === null) return;
    const channel = this.channel;
    const turn = channel.turn;
    if (turn !== TURN_IDLE && turn !== TURN_DONE) return;
    channel.handOver(TURN_JOB, JOB_RESET, 0);
    channel.waitWhile(TURN_JOB, performance.now() + START_WAIT_MS);
  }

  /** Stops the workers for good. */
  close(): void {
    this.stopRunning();
    if (this.spare !== null) void this.spare.worker.terminate();
    this.spare = null;
  }

  private stopRunning(): void {
    const worker = this.worker;
    this.worker = null;
    if (worker !== null) void worker.terminate();
  }

  private restart(): void {
    this.stopRunning();
    this.start();
  }

  private finish(channel: Channel, reply: ReplyWriter): ScriptFailure | null {
    const length = channel.length;
    if (channel.kind === RESULT_REPLY) {
      reply.rawBuffer(channel.area.subarray(0, length));
      return null;
    }
    const failure = channel.kind === RESULT_FAILURE ? (JSON.parse(channel.area.toString('utf8', 0, length)) as ScriptFailure) : null;
    // The worker's VM ran out of memory: its replacement is made here, where the event loop runs.
    if (failure !== null && failure.kind !== 'error') this.restart();
    return failure;
  }
}

const cursor = { at: 0 };

/** Serves one host request of the running script and hands the answer back. */
function serve(channel: Channel, host: ScriptHost): void {
  const area = channel.area;
  const head = area.readUInt32LE(0);
  cursor.at = 4;
  let length = 0;
  switch (channel.kind) {
    case HOST_CALL: {
      const replied = host.call(readStrings(area, cursor, head));
      const size = replied.end - replied.start;
      if (size > area.length) {
        ERR_REPLY_TOO_LARGE.copy(area, 0);
        length = ERR_REPLY_TOO_LARGE.length;
      } else {
        replied.buf.copy(area, 0, replied.start, replied.end);
        length = size;
      }
      break;
    }
    case HOST_SET_RESP:
      host.setResp(head === 3 ? 3 : 2);
      break;
    case HOST_LOG:
      host.log(head, readStrings(area, cursor, 1)[0] as string);
      break;
    case HOST_SET_REPL:
      host.setRepl(head);
      break;
    case HOST_ACL_CHECK: {
      const verdict = host.aclCheck(readStrings(area, cursor, head));
      area.writeInt32LE(verdict === null ? -1 : verdict ? 1 : 0, 0);
      length = 4;
      break;
    }
    case HOST_ERROR_REPLIED:
      host.errorReplied(readStrings(area, cursor, 1)[0] as string);
      break;
  }
  channel.handOver(TURN_ANSWER, 0, length);
}
