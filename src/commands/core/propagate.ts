/**
 * The propagation stream (Redis's propagate/alsoPropagate): every change to the dataset, in
 * order, as the commands that reproduce it. AOF, replicas and tests subscribe to it.
 *
 * Where the entries come from:
 *   - `call` (dispatch.ts) measures `server.dirty` around a handler; a command that changed
 *     something is emitted as its argv with the id of the client's database, unless its
 *     handler said otherwise: `rewrite` replaces what is emitted (relative expiry → absolute,
 *     random pops → what was popped, blocking pops → plain pops…), `prevent` emits nothing of
 *     the command itself, `force` emits it even though nothing changed (FLUSHDB of an empty
 *     database, PUBLISH for replicas);
 *   - `also` adds a command of its own (SPOP's SREMs, a blocked client served later);
 *   - `deletion`: a key removed by expiry (or, later, eviction) is emitted as DEL or UNLINK.
 *
 * Execution units: what one top-level command (an EXEC or, later, a script included) or one
 * served blocked client emits is collected and, when it is more than one entry, emitted
 * between MULTI and EXEC so that a replica applies it atomically; a single entry goes alone
 * (Redis 7.0: an EXEC whose only write is one SET propagates a bare SET). RANDOMKEY and SCAN,
 * which may expire any number of unrelated keys, emit theirs without the wrapper. Outside any
 * unit (the active expiry cycle) an entry is emitted at once, alone.
 *
 * Databases: each entry carries the id of the database it applies to; the stream itself never
 * contains SELECT, because each consumer tracks its own selected database (an AOF after a
 * rewrite, each replica after its sync). `CommandFeed` turns entries into the commands to
 * replay, with SELECT inserted where the database changes. MULTI carries the database of the
 * first entry of its unit and EXEC that of the last, so a SELECT goes before MULTI, not
 * between MULTI and the first command.
 *
 * Cost: when nobody subscribes `active` is false, `call` makes that one check and handlers
 * check it before building a rewritten argv; nothing is allocated.
 */

/** The entry is for the append-only file. */
export const PROPAGATE_AOF = 1;
/** The entry is for replicas. */
export const PROPAGATE_REPL = 2;
export const PROPAGATE_ALL = PROPAGATE_AOF | PROPAGATE_REPL;

/**
 * Receives each entry of the stream: the database it applies to, the command, and its targets
 * (PROPAGATE_AOF | PROPAGATE_REPL). `argv` may be the client's own array: read it, keep it,
 * never change it.
 */
export type PropagationListener = (db: number, argv: readonly string[], target: number) => void;

interface PendingEntry {
  db: number;
  argv: readonly string[];
  target: number;
}

const MULTI: readonly string[] = ['MULTI'];
const EXEC: readonly string[] = ['EXEC'];

/** Commands that may expire arbitrary keys: their deletions are not wrapped (Redis's CMD_TOUCHES_ARBITRARY_KEYS). */
const TOUCHES_ARBITRARY_KEYS = new Set(['randomkey', 'scan']);

export class Propagation {
  /** Someone subscribes: the only thing checked while nobody does. */
  active = false;
  private listeners: Array<{ listener: PropagationListener; targets: number }> = [];
  /**
   * The targets some listener consumes (the AOF: PROPAGATE_AOF): an entry for none of them is
   * not collected at all, as Redis's shouldPropagate drops what only replicas would get when
   * there are none, so that it takes no part in the MULTI/EXEC of its unit.
   */
  private wanted = 0;
  /** Nesting of the calls and units being run; entries are collected while above 0. */
  private depth = 0;
  private pending: PendingEntry[] = [];
  /** The unit running emits no MULTI/EXEC (a RANDOMKEY or SCAN). */
  private unitNoMulti = false;
  /** lazyfree-lazy-expire, kept here by the server: expired keys are propagated as UNLINK rather than DEL. */
  lazyExpire = false;
  /**
   * The targets the entry of the command being called may go to (a script's redis.set_repl, as
   * Redis's call flags CMD_CALL_PROPAGATE_AOF/REPL): set around one call by its caller, read when
   * that call ends. What the command adds with `also` is not masked, as in Redis.
   */
  targetMask = PROPAGATE_ALL;

  // What the handler of the command being run asked for (saved and restored around nested calls).
  /** The argv to emit instead of the command's own, or null. */
  private replacement: readonly string[] | null = null;
  /** Emit nothing of the command itself. */
  private prevented = false;
  /** Targets to emit the command to even though nothing changed. */
  private forced = 0;
  // The same for the calls that enclose the running one, by depth (arrays reused, no allocation per call).
  private readonly savedReplacement: Array<readonly string[] | null> = [];
  private readonly savedPrevented: boolean[] = [];
  private readonly savedForced: number[] = [];
  private readonly dirtyAtStart: number[] = [];

  /**
   * Adds a listener of the entries for `targets`; returns the function that removes it.
   * Entries reach it from the next command on: one added by a command while it runs (inside an
   * EXEC, say) gets the rest of that command's work as entries of their own, unwrapped. A
   * listener must not throw.
   */
  subscribe(listener: PropagationListener, targets: number = PROPAGATE_ALL): () => void {
    const entry = { listener, targets };
    this.listeners = [...this.listeners, entry];
    this.active = true;
    this.wanted |= targets;
    return () => {
      this.listeners = this.listeners.filter((l) => l !== entry);
      this.active = this.listeners.length !== 0;
      this.wanted = 0;
      for (const l of this.listeners) this.wanted |= l.targets;
      if (!this.active) this.pending = [];
    };
  }

  /**
   * Entries of the unit being run are collected but not emitted yet (a command inside EXEC):
   * a consumer that switches files now would see them after the switch (see the AOF rewrite).
   */
  get hasPending(): boolean {
    return this.pending.length !== 0;
  }

  /**
   * The command being run is to be emitted as `argv` instead of its own (Redis's
   * rewriteClientCommandVector); only meaningful when it changed the dataset.
   */
  rewrite(argv: readonly string[]): void {
    if (this.active) this.replacement = argv;
  }

  /** The command being run emits nothing of itself; it used `also` for what it did. */
  prevent(): void {
    if (this.active) this.prevented = true;
  }

  /** The command being run is emitted (to `target`) even if it changed nothing. */
  force(target: number = PROPAGATE_ALL): void {
    if (this.active) this.forced |= target;
  }

  /** Emits `argv` for database `db` as part of the current unit, before the command's own entry (alsoPropagate). */
  also(db: number, argv: readonly string[], target: number = PROPAGATE_ALL): void {
    if (!this.active) return;
    if (this.depth === 0) {
      this.emit(db, argv, target);
      return;
    }
    this.pending.push({ db, argv, target });
  }

  /**
   * The command a key removed by expiry is propagated as (Redis's propagateDeletion, and EXPIRE
   * or GETEX given a time already past): DEL, or UNLINK when the deletion is lazy, which is
   * lazyfree-lazy-expire's setting unless said otherwise (eviction, with its own setting).
   */
  deletionArgv(key: string, lazy: boolean = this.lazyExpire): readonly string[] {
    return [lazy ? 'UNLINK' : 'DEL', key];
  }

  /** A key was removed by expiry or eviction: emitted as deletionArgv says. */
  deletion(db: number, key: string, lazy: boolean = this.lazyExpire): void {
    this.also(db, this.deletionArgv(key, lazy));
  }

  /**
   * Starts a unit outside any call (a blocked client being served): what it emits is
   * collected until the matching `endUnit`.
   */
  beginUnit(): void {
    this.depth++;
  }

  endUnit(): void {
    if (--this.depth === 0) this.flush();
  }

  /**
   * `call` is about to run a command while someone subscribes: saves the state of the command
   * already running (EXEC calling its queued commands) and notes `dirty`. Every `enterCall` is
   * matched by an `exitCall`, whatever happens.
   */
  enterCall(dirty: number): void {
    const d = this.depth++;
    this.savedReplacement[d] = this.replacement;
    this.savedPrevented[d] = this.prevented;
    this.savedForced[d] = this.forced;
    this.dirtyAtStart[d] = dirty;
    this.replacement = null;
    this.prevented = false;
    this.forced = 0;
  }

  /**
   * The command entered last has run in database `db`: collects its entry if it changed the
   * dataset (`dirty` grew) or forced one, then restores the state of the command around it.
   * The top-level call emits its unit. `name` is the top-level command's name.
   */
  exitCall(db: number, argv: readonly string[], dirty: number, name: string, isExec: boolean): void {
    const d = --this.depth;
    const changed = dirty > (this.dirtyAtStart[d] as number);
    let entryArgv: readonly string[] | null = null;
    let target = 0;
    // EXEC is never emitted itself: its commands were, each by its own call.
    if ((changed || this.forced !== 0) && !this.prevented && !isExec && this.active) {
      target = (changed ? PROPAGATE_ALL : this.forced) & this.targetMask;
      if ((target & this.wanted) !== 0) entryArgv = this.replacement ?? argv;
    }
    this.replacement = this.savedReplacement[d] as readonly string[] | null;
    this.prevented = this.savedPrevented[d] as boolean;
    this.forced = this.savedForced[d] as number;
    this.savedReplacement[d] = null;
    if (d !== 0) {
      if (entryArgv !== null) this.pending.push({ db, argv: entryArgv, target });
      return;
    }
    // A top-level command that emitted nothing else, most writes: its entry goes out as it is,
    // without being collected first.
    if (this.pending.length === 0) {
      if (entryArgv !== null) this.emit(db, entryArgv, target);
      return;
    }
    if (entryArgv !== null) this.pending.push({ db, argv: entryArgv, target });
    this.unitNoMulti = TOUCHES_ARBITRARY_KEYS.has(name);
    this.flush();
    this.unitNoMulti = false;
  }

  /** Emits the collected unit, wrapped in MULTI/EXEC when it has more than one entry. */
  private flush(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    if (!this.active) return;
    if (pending.length === 1 || this.unitNoMulti) {
      for (const entry of pending) this.emit(entry.db, entry.argv, entry.target);
      return;
    }
    let target = 0;
    for (const entry of pending) target |= entry.target;
    this.emit((pending[0] as PendingEntry).db, MULTI, target);
    for (const entry of pending) this.emit(entry.db, entry.argv, entry.target);
    this.emit((pending[pending.length - 1] as PendingEntry).db, EXEC, target);
  }

  private emit(db: number, argv: readonly string[], target: number): void {
    for (const l of this.listeners) l.listener(db, argv, target);
  }
}

/**
 * A consumer's view of the stream as commands to replay: SELECT before an entry whose database
 * differs from the previous one's (Redis's aof_selected_db, slaveseldb). `reset` forgets the
 * selected database, so that the next entry starts with a SELECT (a new AOF, a new replica).
 */
export class CommandFeed {
  private selected = -1;

  constructor(private readonly sink: (argv: readonly string[]) => void) {}

  push(db: number, argv: readonly string[]): void {
    if (db !== this.selected) {
      this.sink(['SELECT', String(db)]);
      this.selected = db;
    }
    this.sink(argv);
  }

  reset(): void {
    this.selected = -1;
  }
}
