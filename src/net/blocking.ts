/**
 * Clients blocked on keys (Redis's blocked.c for lists and sorted sets). The command side and
 * the contract of a serve callback are described in commands/core/blocking.ts; this is the
 * bookkeeping: per database, for each key, the clients waiting on it in the order they
 * blocked; the keys made ready since the last command; the timers of the deadlines.
 *
 * A served, timed-out or unblocked client is not resumed on the spot (that would run its
 * pipelined commands in the middle of another client's): its reply is flushed and its input
 * processing resumes from a setImmediate, as Redis does from beforeSleep.
 */
import { RedisError } from '../errors.js';
import type { BlockedCall, BlockedType, CommandContext, ServeBlocked, StreamWaiter } from '../commands/core/context.js';
import { recordCommandLatency, replyError } from '../commands/core/dispatch.js';
import type { Database } from '../keyspace/database.js';
import type { Value } from '../types/value.js';

/** What the bookkeeping needs of a blocked client (net/client.ts's Client, which imports this file). */
export interface BlockedClient extends CommandContext {
  /** Set while it waits here; no input is processed meanwhile. */
  blocked: Waiter | null;
  /** Hands its pending replies to the socket. */
  flush(): void;
  /** Processes the input that waited while it was blocked. */
  resume(): void;
}

/** One client's place in the queue of one key. */
interface WaitNode {
  readonly waiter: Waiter;
  prev: WaitNode | null;
  next: WaitNode | null;
  /** A stream waiter: what the key held when it last looked (a change makes it look again). */
  seen: Value | undefined;
}

/** The clients waiting on one key, first blocked first. */
interface WaitQueue {
  head: WaitNode | null;
  tail: WaitNode | null;
}

/** What a blocked client waits for. */
export interface Waiter extends BlockedCall {
  readonly client: BlockedClient;
  readonly db: Database;
  readonly argv: string[];
  readonly type: BlockedType;
  /** Absolute ms since the epoch; 0 = forever. */
  readonly deadline: number;
  readonly serve: ServeBlocked;
  /** Set for a client blocked on streams: it decides when and how it is answered. */
  readonly stream: StreamWaiter | null;
  /** One node per distinct key, in the queue of that key. */
  readonly nodes: Map<string, WaitNode>;
  timer: NodeJS.Timeout | null;
}

const UNBLOCKED_ERROR = 'UNBLOCKED client unblocked via CLIENT UNBLOCK';

export class BlockingState {
  /** Per database id: key → clients waiting on it. */
  private readonly queues: Map<string, WaitQueue>[] = [];
  /** Keys signalled since they were last served, per database id, and in signal order. */
  private readonly readySets: Set<string>[] = [];
  private ready: { db: Database; key: string }[] = [];
  /** Keys signalled for their stream clients (XADD, XGROUP DESTROY) since last served, per database id. */
  private readonly streamSignals: Set<string>[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly toResume: BlockedClient[] = [];
  private resumeScheduled = false;

  /** Clients blocked now (INFO blocked_clients). */
  get count(): number {
    return this.waiters.size;
  }

  /** Whether signalled keys wait to be served. */
  get hasReady(): boolean {
    return this.ready.length !== 0;
  }

  block(
    client: BlockedClient, argv: string[], keys: readonly string[], type: BlockedType, deadline: number, serve: ServeBlocked,
    stream: StreamWaiter | null = null,
  ): void {
    const db = client.db;
    const waiter: Waiter = { client, db, argv, type, deadline, serve, stream, nodes: new Map(), timer: null, stat: null, callUs: 0 };
    const queues = (this.queues[db.id] ??= new Map());
    for (const key of keys) {
      if (waiter.nodes.has(key)) continue;
      let queue = queues.get(key);
      if (queue === undefined) {
        queue = { head: null, tail: null };
        queues.set(key, queue);
      }
      const node: WaitNode = { waiter, prev: queue.tail, next: null, seen: stream === null ? undefined : db.dict.get(key) };
      if (queue.tail === null) queue.head = node;
      else queue.tail.next = node;
      queue.tail = node;
      waiter.nodes.set(key, node);
    }
    this.waiters.add(waiter);
    client.blocked = waiter;
    if (deadline !== 0) this.armTimer(waiter);
  }

  /** Marks `key` ready if clients wait on it; it is served after the current command. */
  signal(db: Database, key: string): void {
    const queues = this.queues[db.id];
    if (queues === undefined || !queues.has(key)) return;
    const set = (this.readySets[db.id] ??= new Set());
    if (set.has(key)) return;
    set.add(key);
    this.ready.push({ db, key });
  }

  /** A stream at `key` got entries or lost a group: its stream clients look again (signalKeyAsReady). */
  signalStream(db: Database, key: string): void {
    const queues = this.queues[db.id];
    if (queues === undefined || !queues.has(key)) return;
    (this.streamSignals[db.id] ??= new Set()).add(key);
    this.signal(db, key);
  }

  /**
   * Every key of `db` that clients wait on (after SWAPDB; before FLUSHDB/FLUSHALL empties it):
   * keys holding data serve their clients, and stream clients see what went.
   */
  signalDatabase(db: Database): void {
    const queues = this.queues[db.id];
    if (queues === undefined) return;
    for (const key of queues.keys()) this.signal(db, key);
  }

  /**
   * Serves the clients waiting on the keys signalled so far (Redis's handleClientsBlockedOnKeys),
   * including keys that serving itself makes ready (BLMOVE pushing to a key others wait on).
   */
  handleReady(): void {
    while (this.ready.length !== 0) {
      const batch = this.ready;
      this.ready = [];
      for (const { db, key } of batch) {
        this.readySets[db.id]?.delete(key);
        const streamSignalled = this.streamSignals[db.id]?.delete(key) ?? false;
        this.serveKey(db, key, streamSignalled);
      }
    }
  }

  private serveKey(db: Database, key: string, streamSignalled: boolean): void {
    const queue = this.queues[db.id]?.get(key);
    let node = queue?.head ?? null;
    // Once the key cannot serve list and sorted-set clients, only stream clients are looked at.
    let collectionDone = false;
    while (node !== null) {
      const next = node.next;
      const waiter = node.waiter;
      if (waiter.stream !== null) {
        this.examineStream(db, key, node, waiter.stream, streamSignalled);
      } else if (!collectionDone) {
        // A lookup for writing: the served command changes the value.
        const value = db.lookupWrite(key);
        if (value === undefined || typeof value === 'string' || value.type === 'string' || value.size === 0) {
          collectionDone = true;
        } else if (waiter.type === value.type) {
          this.run(waiter, () => waiter.serve(waiter.client, key, value, waiter.argv));
        }
      }
      node = next;
    }
  }

  /**
   * A stream client looks at `key` again if it was signalled or no longer holds what it held,
   * and is answered if it says so.
   */
  private examineStream(db: Database, key: string, node: WaitNode, stream: StreamWaiter, signalled: boolean): void {
    const value = db.lookup(key);
    if (!signalled && value === node.seen) return;
    node.seen = value;
    if (!stream.ready(key, value)) return;
    const waiter = node.waiter;
    this.run(waiter, () => stream.serve(waiter.client, key));
  }

  /** Unblocks a waiter and runs what answers it, as its command would have run. */
  private run(waiter: Waiter, answer: () => void): void {
    const client = waiter.client;
    this.unblock(waiter);
    // The served client runs its command now, as the current client of client-side
    // caching: the invalidations it causes itself follow its reply, and NOLOOP applies.
    const tracking = client.server.tracking;
    const previous = tracking.current;
    tracking.current = client.tracking !== null ? client : null;
    const started = performance.now();
    // What one served client does is one unit of the propagation stream, as a command is.
    const propagation = client.server.propagation;
    propagation.beginUnit();
    try {
      answer();
    } catch (err) {
      if (!(err instanceof RedisError)) throw err;
      replyError(client, err.message);
    } finally {
      propagation.endUnit();
    }
    // Redis 7.0 records the call's own time plus the time to serve it, not the time it waited.
    this.recordLatency(waiter, (performance.now() - started) * 1000);
    tracking.afterCommand();
    tracking.current = previous;
    this.scheduleResume(client);
  }

  /** Removes a client's waits and timer; it can run commands again. */
  private unblock(waiter: Waiter): void {
    const queues = this.queues[waiter.db.id] as Map<string, WaitQueue>;
    for (const [key, node] of waiter.nodes) {
      const queue = queues.get(key) as WaitQueue;
      if (node.prev === null) queue.head = node.next;
      else node.prev.next = node.next;
      if (node.next === null) queue.tail = node.prev;
      else node.next.prev = node.prev;
      if (queue.head === null) queues.delete(key);
    }
    if (waiter.timer !== null) clearTimeout(waiter.timer);
    waiter.timer = null;
    this.waiters.delete(waiter);
    waiter.client.blocked = null;
  }

  /**
   * Answers a blocked client as a timeout does (null array) or with CLIENT UNBLOCK's error.
   * CLIENT UNBLOCK (`byCommand`) records the call's latency as Redis does; a timeout does not.
   */
  wake(client: BlockedClient, withError: boolean, byCommand = false): boolean {
    const waiter = client.blocked;
    if (waiter === null) return false;
    this.unblock(waiter);
    if (withError) replyError(client, UNBLOCKED_ERROR);
    else client.reply.nullArray();
    if (byCommand) this.recordLatency(waiter, 0);
    this.scheduleResume(client);
    return true;
  }

  private recordLatency(waiter: Waiter, replyUs: number): void {
    if (waiter.stat !== null && waiter.client.server.latency.trackingEnabled) recordCommandLatency(waiter.stat, waiter.callUs + replyUs);
  }

  /** A blocked client disconnected: forget it. */
  remove(client: BlockedClient): void {
    if (client.blocked !== null) this.unblock(client.blocked);
  }

  /** Times out the clients whose deadline has passed (from the server's cron). */
  checkTimeouts(now: number = Date.now()): void {
    if (this.waiters.size === 0) return;
    for (const waiter of [...this.waiters]) {
      if (waiter.deadline !== 0 && waiter.deadline <= now) this.wake(waiter.client, false);
    }
  }

  /** Forgets every blocked client (server shutdown). */
  clear(): void {
    for (const waiter of [...this.waiters]) this.unblock(waiter);
  }

  private armTimer(waiter: Waiter): void {
    const delay = Math.max(0, waiter.deadline - Date.now());
    waiter.timer = setTimeout(() => {
      waiter.timer = null;
      if (waiter.client.blocked !== waiter) return;
      // Timers may fire a little before the wall clock says the deadline has come.
      if (Date.now() < waiter.deadline) this.armTimer(waiter);
      else this.wake(waiter.client, false);
    }, Math.min(delay, 2147483647));
    waiter.timer.unref();
  }

  private scheduleResume(client: BlockedClient): void {
    this.toResume.push(client);
    if (this.resumeScheduled) return;
    this.resumeScheduled = true;
    setImmediate(() => this.resumeClients());
  }

  private resumeClients(): void {
    this.resumeScheduled = false;
    const clients = this.toResume.splice(0);
    for (const client of clients) {
      client.flush();
      client.resume();
    }
  }
}
