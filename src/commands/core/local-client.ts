import { ReplyWriter } from '../../protocol/reply.js';
import type { Database } from '../../keyspace/database.js';
import type { WatchedKey } from '../../keyspace/watch.js';
import type { TrackingState } from '../../pubsub/tracking.js';
import type { MultiState } from '../transactions/index.js';
import { SUPERUSER, type AclUserView, type CommandContext, type ScriptRun, type ServerContext } from './context.js';
import { processCommand, scriptCall } from './dispatch.js';

/**
 * A caller without a socket (Redis's fake clients): scripts, the AOF loader, a replication
 * stream. Its commands go through the same checks and `call` as a connection's, with the
 * reply captured instead of written to a socket.
 */
export class LocalClient implements CommandContext {
  readonly reply = new ReplyWriter();
  db: Database;
  /** Scripts' commands are checked as their caller's user (checks.ts); the loader may run anything. */
  user: AclUserView = SUPERUSER;
  authenticated = true;
  /** A caller without a socket can never wait: blocking commands answer as if timed out (Redis's CLIENT_DENY_BLOCKING). */
  get inMulti(): boolean {
    return true;
  }
  set inMulti(_running: boolean) {
    // EXEC sets and clears it around its commands; for this caller it stays on.
  }
  multi: MultiState | null = null;
  commandName = '';
  name = '';
  readonly addr = '';
  readonly connection = null;
  readonly blocked = null;
  /** The script running commands through this client (set by the script runner for the run). */
  scriptRun: ScriptRun | null = null;
  watchDirty = false;
  readonly watchedKeys: WatchedKey[] = [];
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  readonly shardChannels = new Set<string>();
  tracking: TrackingState | null = null;
  private readonly captured: Buffer[] = [];
  private readonly sink = { write: (chunk: Buffer) => void this.captured.push(chunk) };

  constructor(
    readonly server: ServerContext,
    readonly caller: 'script' | 'loader',
    readonly id: number,
  ) {
    this.db = server.databases[0] as Database;
  }

  select(index: number): void {
    this.db = this.server.databases[index] as Database;
  }

  /** Nothing to flush: replies are taken by `run`. */
  markForFlush(): void {}

  /**
   * Runs one command as this caller and returns its raw reply (RESP2 or RESP3 per
   * `reply.resp`). Commands that would wait for a write pause run at once: a caller without
   * a socket cannot be postponed.
   */
  run(argv: string[]): Buffer {
    processCommand(this, argv);
    return this.takeReply();
  }

  /**
   * Runs one command for the script this client runs (scriptRun), with a script's checks and
   * errors (dispatch.ts scriptCall). Its raw reply (in `reply.resp`) is what `reply` holds
   * pending afterwards (pendingBuffer[pendingStart, pendingEnd)), until the next command.
   */
  runFromScript(argv: string[]): void {
    this.reply.dropPending();
    scriptCall(this, argv);
  }

  private takeReply(): Buffer {
    this.reply.flush(this.sink);
    const out = this.captured.length === 1 ? (this.captured[0] as Buffer) : Buffer.concat(this.captured);
    // The writer keeps appending after what it handed over, so the captured bytes stay valid.
    this.captured.length = 0;
    return out;
  }
}
