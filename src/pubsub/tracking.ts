import type { ReplyWriter } from '../protocol/reply.js';
import { isSubscribed } from './registry.js';

/**
 * Server-assisted client-side caching (CLIENT TRACKING), as Redis's tracking.c: a table of the
 * keys tracking clients read (key → client ids, bounded by tracking-table-max-keys), prefixes of
 * clients in BCAST mode, and the invalidation messages sent when keys change.
 */

/** A client's tracking mode; null on the client while tracking is off. */
export interface TrackingState {
  /** Client id invalidations go to; 0 = this connection. */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING YES/NO given for the next command. */
  caching: boolean;
  /** The redirect client was gone when a message was due. */
  brokenRedirect: boolean;
  /** BCAST prefixes of this client. */
  readonly prefixes: Set<string>;
}

/** A client as tracking sees it. */
export interface TrackingClient {
  readonly id: number;
  readonly reply: ReplyWriter;
  readonly channels: Set<string>;
  readonly patterns: Set<string>;
  readonly shardChannels: Set<string>;
  tracking: TrackingState | null;
  markForFlush(): void;
}

/** Modified keys of one BCAST prefix in this batch (key → the client that changed it last), and its clients. */
interface PrefixState {
  keys: Map<string, TrackingClient | null>;
  readonly clients: Set<TrackingClient>;
}

export interface TrackingOptions {
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
}

const INVALIDATE_CHANNEL = '__redis__:invalidate';

/** Whether two prefixes would both match some key (one starts the other). */
function overlaps(a: string, b: string): boolean {
  return a.length <= b.length ? b.startsWith(a) : a.startsWith(b);
}

export class Tracking {
  /** Clients with tracking on, in the order they enabled it (FLUSH sends to each). */
  readonly clients = new Set<TrackingClient>();
  /** Keys read by clients in default mode → their client ids (Redis's TrackingTable). */
  readonly table = new Map<string, Set<number>>();
  /** Ids stored across the table (INFO tracking_total_items). */
  totalItems = 0;
  readonly prefixes = new Map<string, PrefixState>();
  /** The tracking client running a command: NOLOOP and self-invalidation after its reply. */
  current: TrackingClient | null = null;
  /** Keys of `current` to invalidate once its reply is written (null: everything, after a FLUSH). */
  private readonly pendingSelf: Array<string | null> = [];
  /** Some BCAST prefix has keys to broadcast at the end of the batch. */
  broadcastPending = false;
  /** Ever enabled: before that, key modifications cost nothing (Redis's TrackingTable == NULL). */
  active = false;
  /** tracking-table-max-keys; 0 = no limit. */
  maxKeys = 1000000;
  /** Calls of limit() in a row that ended still over maxKeys (each one tries harder). */
  private limitRounds = 0;

  constructor(private readonly lookup: (id: number) => TrackingClient | undefined) {}

  /**
   * Redis's checkPrefixCollisionsOrReply: the error text when a new prefix overlaps one the
   * client has, or another new one; null when they are fine.
   */
  prefixCollision(client: TrackingClient, prefixes: readonly string[]): string | null {
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i] as string;
      const own = client.tracking?.prefixes;
      if (own !== undefined) {
        for (const existing of own) {
          if (overlaps(existing, p)) {
            return `ERR Prefix '${p}' overlaps with an existing prefix '${existing}'. Prefixes for a single client must not overlap.`;
          }
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        const q = prefixes[j] as string;
        if (overlaps(p, q)) return `ERR Prefix '${p}' overlaps with another provided prefix '${q}'. Prefixes for a single client must not overlap.`;
      }
    }
    return null;
  }

  /** CLIENT TRACKING ON (options already validated). Turning it on again keeps prefixes, replaces the rest. */
  enable(client: TrackingClient, redirect: number, options: TrackingOptions, prefixes: readonly string[]): void {
    let state = client.tracking;
    if (state === null) {
      state = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, caching: false, brokenRedirect: false, prefixes: new Set() };
      client.tracking = state;
      this.clients.add(client);
    }
    this.active = true;
    state.redirect = redirect;
    state.brokenRedirect = false;
    state.bcast = options.bcast;
    state.optin = options.optin;
    state.optout = options.optout;
    state.noloop = options.noloop;
    if (options.bcast) {
      if (prefixes.length === 0) this.addPrefix(client, state, '');
      for (const p of prefixes) this.addPrefix(client, state, p);
    }
  }

  private addPrefix(client: TrackingClient, state: TrackingState, prefix: string): void {
    let ps = this.prefixes.get(prefix);
    if (ps === undefined) {
      ps = { keys: new Map(), clients: new Set() };
      this.prefixes.set(prefix, ps);
    }
    ps.clients.add(client);
    state.prefixes.add(prefix);
  }

  /** CLIENT TRACKING OFF, RESET, disconnect. Ids left in the table are dropped lazily, as in Redis. */
  disable(client: TrackingClient): void {
    const state = client.tracking;
    if (state === null) return;
    for (const prefix of state.prefixes) {
      const ps = this.prefixes.get(prefix);
      if (ps === undefined) continue;
      ps.clients.delete(client);
      if (ps.clients.size === 0) this.prefixes.delete(prefix);
    }
    client.tracking = null;
    this.clients.delete(client);
    if (this.current === client) this.current = null;
  }

  /** After a read-only command of a client in default mode: remember the keys it was served. */
  rememberKeys(client: TrackingClient, state: TrackingState, keys: readonly string[]): void {
    if ((state.optin && !state.caching) || (state.optout && state.caching)) return;
    const id = client.id;
    for (const key of keys) {
      let ids = this.table.get(key);
      if (ids === undefined) {
        ids = new Set();
        this.table.set(key, ids);
      }
      const size = ids.size;
      ids.add(id);
      if (ids.size !== size) this.totalItems++;
    }
  }

  /**
   * A key changed (or left the table when `bcast` is false). An expired key was changed by no
   * client (NOLOOP does not hide it), though the running client still gets it after its reply.
   */
  invalidateKey(key: string, bcast = true, expired = false): void {
    const by = expired ? null : this.current;
    if (bcast && this.prefixes.size !== 0) {
      for (const [prefix, ps] of this.prefixes) {
        if (key.startsWith(prefix)) {
          ps.keys.set(key, by);
          this.broadcastPending = true;
        }
      }
    }
    const ids = this.table.get(key);
    if (ids === undefined) return;
    for (const id of ids) {
      const target = this.lookup(id);
      // A client that switched to BCAST does not get what was pending from its default mode.
      if (target === undefined || target.tracking === null || target.tracking.bcast) continue;
      if (target.tracking.noloop && target === by) continue;
      if (target === this.current) {
        this.pendingSelf.push(key);
        continue;
      }
      this.send(target, target.tracking, keyArray([key]));
    }
    this.totalItems -= ids.size;
    this.table.delete(key);
  }

  /** After a top-level command: the running client's own invalidations follow its reply. */
  afterCommand(): void {
    const client = this.current;
    this.current = null;
    if (this.pendingSelf.length === 0) return;
    if (client !== null && client.tracking !== null) {
      for (const key of this.pendingSelf) this.send(client, client.tracking, key === null ? nullFor(client) : keyArray([key]));
    }
    this.pendingSelf.length = 0;
  }

  /** FLUSHDB/FLUSHALL: every tracking client is told that everything is invalid (a null). */
  invalidateAll(): void {
    for (const client of this.clients) {
      if (client.tracking === null) continue;
      if (client === this.current) this.pendingSelf.push(null);
      else this.send(client, client.tracking, nullFor(client));
    }
    this.table.clear();
    this.totalItems = 0;
  }

  /** End of a batch: each BCAST prefix sends the keys changed under it to its clients. */
  broadcast(): void {
    this.broadcastPending = false;
    // Prefixes too go in byte order, as Redis's radix tree has them.
    const prefixes = this.prefixes.size === 1 ? [...this.prefixes.values()] : [...this.prefixes.keys()].sort(byteOrder).map((p) => this.prefixes.get(p) as PrefixState);
    for (const ps of prefixes) {
      if (ps.keys.size === 0) continue;
      // Redis walks a radix tree: keys go out in byte order (latin1 strings compare as bytes).
      const keys = [...ps.keys.keys()].sort(byteOrder);
      const all = keyArray(keys);
      for (const client of ps.clients) {
        const state = client.tracking;
        if (state === null) continue;
        if (state.noloop) {
          const others = keys.filter((k) => ps.keys.get(k) !== client);
          if (others.length !== 0) this.send(client, state, keyArray(others));
        } else {
          this.send(client, state, all);
        }
      }
      ps.keys = new Map();
    }
  }

  /**
   * tracking-table-max-keys: forgets the oldest keys over the limit, invalidating them, with
   * Redis's bounded effort (100 keys a call, 100 more for each call in a row that could not
   * get under the limit).
   */
  limit(): void {
    const maxKeys = this.maxKeys;
    if (maxKeys === 0 || this.table.size <= maxKeys) {
      this.limitRounds = 0;
      return;
    }
    // Redis evicts random keys; the oldest are as good a choice.
    let effort = 100 * (this.limitRounds + 1);
    for (const key of this.table.keys()) {
      if (effort-- === 0) break;
      this.invalidateKey(key, false);
      if (this.table.size <= maxKeys) {
        this.limitRounds = 0;
        return;
      }
    }
    this.limitRounds++;
  }

  /**
   * Redis's sendTrackingMessage: `payload` is the RESP of the keys (an array, or a null). Like
   * every push, it goes out even to a client whose replies CLIENT REPLY OFF/SKIP silences.
   */
  private send(client: TrackingClient, state: TrackingState, payload: string): void {
    let target = client;
    let redirected = false;
    if (state.redirect !== 0) {
      const redir = this.lookup(state.redirect);
      if (redir === undefined) {
        state.brokenRedirect = true;
        if (client.reply.resp === 3) {
          const r = client.reply;
          const enabled = r.beginPush();
          r.pushHeader(2);
          r.bulk('tracking-redir-broken');
          r.integer(state.redirect);
          r.endPush(enabled);
          client.markForFlush();
        }
        return;
      }
      target = redir;
      redirected = true;
    }
    const r = target.reply;
    const enabled = r.beginPush();
    if (r.resp === 3) {
      r.pushHeader(2);
      r.bulk('invalidate');
    } else if (redirected && isSubscribed(target)) {
      r.arrayHeader(3);
      r.bulk('message');
      r.bulk(INVALIDATE_CHANNEL);
    } else {
      // RESP2 without a redirect has no way to receive pushes.
      r.endPush(enabled);
      return;
    }
    r.raw(payload);
    r.endPush(enabled);
    target.markForFlush();
  }
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** "Everything is invalid": a null in the protocol of the tracking client itself, as Redis sends it. */
function nullFor(client: TrackingClient): string {
  return client.reply.resp === 3 ? '_\r\n' : '$-1\r\n';
}

/** The RESP array of keys (latin1 strings) an invalidation carries. */
function keyArray(keys: readonly string[]): string {
  let out = `*${keys.length}\r\n`;
  for (const k of keys) out += `$${k.length}\r\n${k}\r\n`;
  return out;
}
