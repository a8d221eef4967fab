import { workerData } from 'node:worker_threads';
import { ReplyWriter } from '../protocol/reply.js';
import type { Driver } from './driver.js';
import type { LoadedScript, ReplyBytes, ScriptFailure, ScriptHost } from './engine.js';
import {
  Channel, HOST_ACL_CHECK, HOST_CALL, HOST_ERROR_REPLIED, HOST_LOG, HOST_SET_REPL, HOST_SET_RESP, JOB_MEMORY, JOB_RESET, JOB_RUN,
  readStrings, RESULT_FAILURE, RESULT_NUMBER, RESULT_REPLY, TURN_DONE, TURN_IDLE, TURN_JOB, TURN_REQUEST,
  TURN_START_FAILED, writeStrings,
} from './worker-channel.js';
import { Rand48 } from './rand48.js';
import { WasmScriptEngine } from './wasm-engine.js';

/**
 * The script worker: a WasmScriptEngine whose host is the main thread, reached through the
 * channel (worker-channel.ts) with each host call answered synchronously. The main thread
 * ends a runaway script by terminating this thread and starting another.
 */

const { shared, version, random } = workerData as { shared: SharedArrayBuffer; version: string; random: SharedArrayBuffer };
const channel = new Channel(shared);
const area = channel.area;

/** Sends a host request and waits for its answer; returns the answer's length. */
function request(kind: number, length: number): number {
  channel.handOver(TURN_REQUEST, kind, length);
  channel.waitWhile(TURN_REQUEST, Infinity);
  return channel.length;
}

const answered: ReplyBytes = { buf: area, start: 0, end: 0 };
const cursor = { at: 0 };

function sendStrings(kind: number, head: number, values: readonly string[]): number {
  area.writeUInt32LE(head, 0);
  const end = writeStrings(area, 4, values);
  return request(kind, end < 0 ? 4 : end);
}

const host: ScriptHost = {
  call(argv) {
    const length = sendStrings(HOST_CALL, argv.length, argv);
    answered.end = length;
    return answered;
  },
  setResp(resp) {
    area.writeUInt32LE(resp, 0);
    request(HOST_SET_RESP, 4);
  },
  log(level, message) {
    sendStrings(HOST_LOG, level, [message]);
  },
  setRepl(targets) {
    area.writeUInt32LE(targets, 0);
    request(HOST_SET_REPL, 4);
  },
  aclCheck(argv) {
    sendStrings(HOST_ACL_CHECK, argv.length, argv);
    const verdict = area.readInt32LE(0);
    return verdict < 0 ? null : verdict === 1;
  },
  errorReplied(message) {
    sendStrings(HOST_ERROR_REPLIED, 0, [message]);
  },
};

/** The scripts run here, by driver chunk. */
const loaded = new Map<string, LoadedScript>();
const writer = new ReplyWriter();

function finishWithFailure(failure: ScriptFailure): void {
  const json = JSON.stringify(failure);
  const length = area.write(json, 0, 'utf8');
  channel.handOver(TURN_DONE, RESULT_FAILURE, length);
}

function runJob(engine: WasmScriptEngine): void {
  const resp = area.readUInt32LE(0) as 2 | 3;
  const keyCount = area.readUInt32LE(4);
  const argCount = area.readUInt32LE(8);
  const callLine = area.readUInt32LE(12);
  const driverFlags = area[16] as number;
  cursor.at = 20;
  const [chunk] = readStrings(area, cursor, 1) as [string];
  const keys = readStrings(area, cursor, keyCount);
  const args = readStrings(area, cursor, argCount);
  let script = loaded.get(chunk);
  if (script === undefined) {
    const driver: Driver = { text: chunk, wrapped: (driverFlags & 1) !== 0, marksNulls: (driverFlags & 2) !== 0, callLine };
    script = { engineData: driver, bytes: 0 };
    loaded.set(chunk, script);
  }
  writer.resp = resp;
  writer.dropPending();
  const failure = engine.run(script, keys, args, host, writer);
  if (failure !== null) {
    writer.dropPending();
    finishWithFailure(failure);
    return;
  }
  const start = writer.pendingStart;
  const end = writer.pendingEnd;
  if (end - start > area.length) {
    writer.dropPending();
    finishWithFailure({ kind: 'error', message: 'ERR the script reply is too large', line: 0, fromCommand: false });
    return;
  }
  writer.pendingBuffer.copy(area, 0, start, end);
  writer.dropPending();
  channel.handOver(TURN_DONE, RESULT_REPLY, end - start);
}

async function main(): Promise<void> {
  let engine: WasmScriptEngine;
  try {
    engine = await WasmScriptEngine.create(version, new Rand48(random));
  } catch (err) {
    const length = area.write((err as Error).message, 0, 'utf8');
    channel.handOver(TURN_START_FAILED, 0, length);
    return;
  }
  channel.handOver(TURN_IDLE, 0, 0);
  for (;;) {
    let turn = channel.turn;
    while (turn !== TURN_JOB) turn = channel.waitWhile(turn, Infinity);
    const kind = channel.kind;
    if (kind === JOB_RUN) {
      runJob(engine);
    } else if (kind === JOB_RESET) {
      engine.reset();
      loaded.clear();
      channel.handOver(TURN_DONE, RESULT_NUMBER, 0);
    } else if (kind === JOB_MEMORY) {
      area.writeUInt32LE(Math.min(0xffffffff, engine.memoryUsed()), 0);
      channel.handOver(TURN_DONE, RESULT_NUMBER, 4);
    }
  }
}

void main();
