/**
 * What bin/nodis-server's launcher (src/launch.ts) and the server process it starts say to
 * each other over their IPC channel.
 *
 * The launcher passes on the shutdown signals it receives. A signal sent to a whole process
 * group (Ctrl-C in a terminal) or a whole cgroup (systemd's default KillMode) reaches the server
 * both directly and through the launcher: the two copies must count as one, or SIGINT's second
 * copy would be Redis's "You insist... exiting now." and cut the final save short.
 */

/** Set in the server's environment by the launcher: why the heap has its size (for the log). */
export const HEAP_SIZING_ENV = 'NODIS_HEAP_SIZING';

/** The server asks for shutdown signals as messages once it handles them (before, they are sent as signals). */
export const READY_FOR_SIGNALS = 'nodis:signals';

export type ShutdownSignal = 'SIGINT' | 'SIGTERM';

/** A signal the launcher received, passed on. */
export interface RelayedSignal {
  nodisSignal: ShutdownSignal;
}

export function isRelayedSignal(message: unknown): message is RelayedSignal {
  const signal = (message as Partial<RelayedSignal> | null)?.nodisSignal;
  return signal === 'SIGINT' || signal === 'SIGTERM';
}

type Route = 'direct' | 'relayed';

interface Handled {
  route: Route;
  /** When its handler returned (ms). */
  doneAt: number;
}

/**
 * Pairs the direct and the relayed copy of one signal. A delivery is the twin of an earlier one
 * of the same signal by the other route if it comes within `windowMs` of that one's handler
 * returning (not of its arrival: the handler may block for a while, e.g. a final SAVE, and the
 * twin queued meanwhile is read only after it). Each delivery pairs with at most one, so a
 * signal sent again (twice to the launcher, twice by Ctrl-C) still counts twice.
 */
export class SignalPairing {
  private readonly unpaired = new Map<ShutdownSignal, Handled[]>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Runs `handle` unless this delivery is the twin of one already handled. */
  deliver(signal: ShutdownSignal, route: Route, handle: () => void): void {
    const arrivedAt = this.now();
    const recent = (this.unpaired.get(signal) ?? []).filter((h) => arrivedAt - h.doneAt <= this.windowMs);
    const twin = recent.findIndex((h) => h.route !== route);
    if (twin >= 0) {
      recent.splice(twin, 1);
      this.unpaired.set(signal, recent);
      return;
    }
    this.unpaired.set(signal, recent);
    handle();
    recent.push({ route, doneAt: this.now() });
  }
}
