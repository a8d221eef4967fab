/**
 * A dataset being loaded at start-up, from the RDB file or the AOF (Redis's startLoading,
 * loadingAbsProgress, stopLoading): one record on the server for both. While it is set the
 * server is in its loading state: clients get -LOADING for commands without the `loading`
 * flag, nothing expires, no save point and no AOF rewrite starts, and INFO persistence shows
 * the loading_* fields from it.
 */

/** Redis's server.loading_* fields. */
export interface LoadingProgress {
  /** Unix time (s) the load started (loading_start_time). */
  readonly startTime: number;
  /** Size of what is being loaded: the RDB file, or every file of the AOF (loading_total_bytes). */
  readonly totalBytes: number;
  /** Bytes read and loaded so far (loading_loaded_bytes). */
  loadedBytes: number;
  /** The used-mem AUX field of the RDB being loaded, 0 until read (loading_rdb_used_mem). */
  rdbUsedMem: number;
}

/** What loading needs of a server. */
export interface LoadingServer {
  /** Set while a dataset loads; the server's `loading` is this being non-null. */
  loadingProgress: LoadingProgress | null;
  /** The server is shutting down (SHUTDOWN, a signal, close()): a load in progress stops. */
  readonly stopping: boolean;
}

/** The server was shut down while its dataset was loading: start-up ends there, without an error to report. */
export class LoadingInterrupted extends Error {
  constructor() {
    super('The server was shut down while loading the dataset');
  }
}

/** The server enters its loading state; the record returned is the one to update. */
export function startLoading(server: LoadingServer, totalBytes: number): LoadingProgress {
  const progress: LoadingProgress = { startTime: Math.floor(Date.now() / 1000), totalBytes, loadedBytes: 0, rdbUsedMem: 0 };
  server.loadingProgress = progress;
  return progress;
}

/** The load is over (done or failed): the server leaves its loading state. */
export function stopLoading(server: LoadingServer): void {
  server.loadingProgress = null;
}

/**
 * Loading gives the event loop a turn at least this often, so that clients connecting
 * meanwhile are answered (Redis processes events every loading-process-events-interval-bytes).
 */
export const LOADING_SLICE_MS = 10;

/** Lets the loop serve sockets and timers before loading goes on. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * key-load-delay, Redis's testing knob that slows loading: a pause of that many microseconds
 * after each key (RDB) or command (AOF); a negative value -n pauses 1 µs once every n on
 * average, as Redis's debugDelay. Timers here have a resolution of 1 ms, so the delay owed is
 * added up and paid in whole milliseconds.
 */
export class KeyLoadDelay {
  private owedUs = 0;

  constructor(private readonly delayUs: number) {}

  get active(): boolean {
    return this.delayUs !== 0;
  }

  /** After one key: how many milliseconds to pause now (0: go on at once). */
  afterKey(): number {
    const us = this.delayUs;
    if (us > 0) this.owedUs += us;
    else if (us < 0 && Math.floor(Math.random() * -us) === 0) this.owedUs += 1;
    if (this.owedUs < 1000) return 0;
    const ms = Math.floor(this.owedUs / 1000);
    this.owedUs -= ms * 1000;
    return ms;
  }
}

export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
