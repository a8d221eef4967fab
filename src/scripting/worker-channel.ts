
/**
 * The channel between the main thread and the script worker (worker-engine.ts, engine-worker.ts):
 * one SharedArrayBuffer holding a turn word, a message kind, a length and a byte area. Exactly
 * one side owns the byte area at a time: the side whose turn it is not waits (spinning a little,
 * then Atomics.wait) until the other hands it over by changing the turn word.
 *
 * Strings are latin1, one byte per char, written as u32 length then bytes.
 */
import { availableParallelism } from 'node:os';

/** Turn word values. */
export const TURN_STARTING = 0;
/** The worker waits for a job. */
export const TURN_IDLE = 1;
/** main → worker: a job (kind JOB_…). */
export const TURN_JOB = 2;
/** worker → main: a host request of the running script (kind HOST_…). */
export const TURN_REQUEST = 3;
/** main → worker: the answer to a host request. */
export const TURN_ANSWER = 4;
/** worker → main: the job's result (kind RESULT_…). */
export const TURN_DONE = 5;
/** worker → main: the engine could not be created (the message is in the byte area). */
export const TURN_START_FAILED = 6;

export const JOB_RUN = 1;
export const JOB_RESET = 2;
export const JOB_MEMORY = 3;

export const HOST_CALL = 1;
export const HOST_SET_RESP = 2;
export const HOST_LOG = 3;
export const HOST_SET_REPL = 4;
export const HOST_ACL_CHECK = 5;
export const HOST_ERROR_REPLIED = 6;

/** The reply bytes of the script. */
export const RESULT_REPLY = 1;
/** A ScriptFailure, as JSON. */
export const RESULT_FAILURE = 2;
/** A number (JOB_MEMORY), as u32 KB. */
export const RESULT_NUMBER = 3;

/** Atomics.waitAsync (Node >= 16; typed only by TypeScript's es2024 lib). */
type WaitAsync = (array: Int32Array, index: number, value: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

const HEADER_BYTES = 64;
/** The byte area: large enough for any reply a script handles in practice (a SharedArrayBuffer is only committed as it is touched). */
export const AREA_BYTES = 64 * 1024 * 1024;

const I_TURN = 0;
const I_KIND = 1;
const I_LENGTH = 2;

/**
 * Spins before sleeping in Atomics.wait, at most: a hand-over takes a few microseconds when the
 * other thread runs on a core of its own. With one core (a process pinned to it) the other
 * thread cannot answer while this one spins: no spinning at all.
 */
const MAX_SPINS = availableParallelism() > 1 ? 4000 : 0;
/** The least a channel spins once it spun in vain (with more than one core): it keeps finding out whether spinning pays. */
const MIN_SPINS = 64;

export class Channel {
  readonly control: Int32Array;
  readonly area: Buffer;
  /** Spins of the next wait: halved after spinning in vain, doubled after spinning paid (see waitWhile). */
  private spins = MAX_SPINS;

  /** How long the next wait spins before it sleeps (0 with one core). */
  get spinBudget(): number {
    return this.spins;
  }

  constructor(readonly shared: SharedArrayBuffer) {
    this.control = new Int32Array(shared, 0, HEADER_BYTES / 4);
    this.area = Buffer.from(shared, HEADER_BYTES, AREA_BYTES);
  }

  static allocate(): Channel {
    return new Channel(new SharedArrayBuffer(HEADER_BYTES + AREA_BYTES));
  }

  get turn(): number {
    return Atomics.load(this.control, I_TURN);
  }

  get kind(): number {
    return this.control[I_KIND] as number;
  }

  get length(): number {
    return this.control[I_LENGTH] as number;
  }

  /** Hands the area over: `kind` and `length` describe what lies in it. */
  handOver(turn: number, kind: number, length: number): void {
    this.control[I_KIND] = kind;
    this.control[I_LENGTH] = length;
    Atomics.store(this.control, I_TURN, turn);
    Atomics.notify(this.control, I_TURN);
  }

  /**
   * Waits while the turn word is `current`, at most until `deadline` (performance.now(); Infinity
   * for ever). Returns the new turn, or `current` when the deadline passed.
   */
  waitWhile(current: number, deadline: number): number {
    const control = this.control;
    const spins = this.spins;
    for (let i = 0; i < spins; i++) {
      const turn = Atomics.load(control, I_TURN);
      if (turn !== current) {
        // Spinning paid: allow more of it next time.
        if (spins < MAX_SPINS) this.spins = Math.min(MAX_SPINS, spins * 2);
        return turn;
      }
    }
    // Spun in vain (the other thread was busy or had no core to run on): that only burnt this
    // one, so spin less next time (measured on 2 busy cores: 143 µs of CPU per EVALSHA of a
    // script run in the worker with 4000 spins each wait, 61 µs without).
    if (spins > MIN_SPINS) this.spins = Math.max(MIN_SPINS, spins >> 1);
    for (;;) {
      const left = deadline === Infinity ? Infinity : deadline - performance.now();
      if (left <= 0) return Atomics.load(control, I_TURN);
      Atomics.wait(control, I_TURN, current, left);
      const turn = Atomics.load(control, I_TURN);
      if (turn !== current) return turn;
    }
  }

  /** Resolves once the turn word is no longer `current` (the event loop runs meanwhile). */
  async waitWhileAsync(current: number): Promise<number> {
    for (;;) {
      const waited = waitAsync(this.control, I_TURN, current);
      if (waited.async) await waited.value;
      const turn = Atomics.load(this.control, I_TURN);
      if (turn !== current) return turn;
    }
  }
}

/** Writes strings into `area` from `offset`; returns the end, or -1 when they do not fit. */
export function writeStrings(area: Buffer, offset: number, values: readonly string[]): number {
  let p = offset;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as string;
    if (p + 4 + value.length > area.length) return -1;
    area.writeUInt32LE(value.length, p);
    if (value.length !== 0) area.latin1Write(value, p + 4);
    p += 4 + value.length;
  }
  return p;
}

/** Reads `count` strings from `area` at `offset`; the end is in `cursor.at` afterwards. */
export function readStrings(area: Buffer, cursor: { at: number }, count: number): string[] {
  const out: string[] = new Array<string>(count);
  let p = cursor.at;
  for (let i = 0; i < count; i++) {
    const length = area.readUInt32LE(p);
    out[i] = area.latin1Slice(p + 4, p + 4 + length);
    p += 4 + length;
  }
  cursor.at = p;
  return out;
}
