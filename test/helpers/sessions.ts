import { expect } from 'vitest';
import { RawClient } from './raw-client.js';

/**
 * Differential scripts with several connections: the same script runs against nodis and real
 * Redis, each writing a transcript of what every connection sent and received, and the two
 * transcripts are compared. Client ids differ between the servers: they are written as
 * `<id:name>` in commands and replies.
 *
 * What a connection received out of band (pushes, invalidations, a served blocked command) is
 * read by `collect`, which sends the connection a command and reads up to its answer: PING,
 * or, for a connection whose replies are off (`markWithPush`), an UNSUBSCRIBE from a channel
 * it never subscribed to, whose confirmation is a push. No sleeps: a missing frame shows as
 * `<timeout>` in the transcript. A command only sent may not have run yet when another
 * connection acts: collect the connection first.
 */
export interface Session {
  /** Opens a connection (RESP2). */
  open(name: string): Promise<void>;
  /** Sends a command and reads one reply. */
  call(name: string, ...args: string[]): Promise<void>;
  /** Sends a command without reading (no reply expected yet, or none at all). */
  send(name: string, ...args: string[]): void;
  /** Stands for the connection's id in the arguments of call and send (written `<id:name>`). */
  id(name: string): string;
  /** From now on `collect` ends on a push (for a connection under CLIENT REPLY OFF). */
  markWithPush(name: string): void;
  /** Reads what the connection received up to a marker; `summary` may reduce the frames. */
  collect(name: string, summary?: (frames: string[]) => string): Promise<void>;
  /** INFO's tracking_* fields, read on this connection. */
  trackingInfo(name: string): Promise<void>;
  /** Waits until the server has the connection blocked (flag b in CLIENT LIST), a while at most. */
  waitBlocked(name: string): Promise<void>;
  /** Closes the connection and waits until the server has let it go (CLIENT LIST no longer has it). */
  close(name: string): Promise<void>;
  /** A line of its own in the transcript. */
  note(text: string): void;
}

const READ_TIMEOUT_MS = 1500;
const ID_PLACEHOLDER = '\u0000id:';

interface Conn {
  raw: RawClient;
  id: string;
  pushMarker: boolean;
}

class Transcript implements Session {
  readonly log: string[] = [];
  private readonly conns = new Map<string, Conn>();
  private control: RawClient | null = null;
  private markers = 0;

  constructor(private readonly port: number) {}

  private conn(name: string): Conn {
    const c = this.conns.get(name);
    if (c === undefined) throw new Error(`no connection ${name}`);
    return c;
  }

  private async controlClient(): Promise<RawClient> {
    this.control ??= await RawClient.connect(this.port);
    return this.control;
  }

  /** Ids written as names where replies carry them (HELLO, TRACKINGINFO's redirect, tracking-redir-broken). */
  private maskIds(text: string): string {
    const names = new Map([...this.conns].map(([n, c]) => [c.id, n]));
    return text
      .replace(/(\$2\r\nid\r\n:)\d+/g, '$1<id>')
      .replace(/((?:tracking-redir-broken|redirect)\r\n:)(\d+)/g, (_m, head: string, id: string) => `${head}<id:${names.get(id) ?? id}>`);
  }

  /** The arguments with the placeholders of id() replaced by the ids. */
  private resolveIds(args: string[]): string[] {
    return args.map((a) => (a.startsWith(ID_PLACEHOLDER) ? this.conn(a.slice(ID_PLACEHOLDER.length)).id : a));
  }

  private argsText(args: string[]): string {
    return args.map((a) => (a.startsWith(ID_PLACEHOLDER) ? `<id:${a.slice(ID_PLACEHOLDER.length)}>` : a)).join(' ');
  }

  private async read(raw: RawClient): Promise<string> {
    try {
      return await raw.readRaw(READ_TIMEOUT_MS);
    } catch {
      return raw.closed ? '<closed>' : '<timeout>';
    }
  }

  async open(name: string): Promise<void> {
    const raw = await RawClient.connect(this.port);
    const id = (await raw.callRaw('CLIENT', 'ID')).slice(1, -2);
    this.conns.set(name, { raw, id, pushMarker: false });
  }

  async call(name: string, ...args: string[]): Promise<void> {
    const c = this.conn(name);
    c.raw.send(...this.resolveIds(args));
    this.log.push(`${name}> ${this.argsText(args)} => ${JSON.stringify(this.maskIds(await this.read(c.raw)))}`);
  }

  send(name: string, ...args: string[]): void {
    this.conn(name).raw.send(...this.resolveIds(args));
    this.log.push(`${name}> ${this.argsText(args)} (sent)`);
  }

  id(name: string): string {
    return ID_PLACEHOLDER + name;
  }

  markWithPush(name: string): void {
    this.conn(name).pushMarker = true;
  }

  async collect(name: string, summary: (frames: string[]) => string = (f) => JSON.stringify(f)): Promise<void> {
    const c = this.conn(name);
    let isMarker: (frame: string) => boolean;
    if (c.pushMarker) {
      const channel = `marker:${++this.markers}`;
      const head = `$11\r\nunsubscribe\r\n$${channel.length}\r\n${channel}\r\n`;
      isMarker = (f) => f.includes(head);
      c.raw.send('UNSUBSCRIBE', channel);
    } else {
      c.raw.send('PING');
      // RESP2 subscribers answer PING with a pong array.
      isMarker = (f) => f === '+PONG\r\n' || f === '*2\r\n$4\r\npong\r\n$0\r\n\r\n';
    }
    const frames: string[] = [];
    for (;;) {
      const f = await this.read(c.raw);
      if (isMarker(f)) break;
      frames.push(this.maskIds(f));
      if (f === '<timeout>' || f === '<closed>') break;
    }
    this.log.push(`${name}: ${summary(frames)}`);
  }

  async trackingInfo(name: string): Promise<void> {
    const c = this.conn(name);
    const text = (await c.raw.callRaw('INFO', 'clients')) + (await c.raw.callRaw('INFO', 'stats'));
    const fields = text.split('\r\n').filter((l) => l.startsWith('tracking_'));
    this.log.push(`${name}> INFO => ${fields.join(' ')}`);
  }

  async waitBlocked(name: string): Promise<void> {
    const c = this.conn(name);
    const control = await this.controlClient();
    for (let i = 0; i < 300; i++) {
      if (/ flags=\S*b/.test(await control.callRaw('CLIENT', 'LIST', 'ID', c.id))) {
        this.log.push(`${name} blocked`);
        return;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    this.log.push(`${name} not blocked`);
  }

  async close(name: string): Promise<void> {
    const c = this.conn(name);
    c.raw.close();
    this.log.push(`${name} closed`);
    const control = await this.controlClient();
    for (let i = 0; i < 500; i++) {
      const list = await control.callRaw('CLIENT', 'LIST', 'ID', c.id);
      if (!list.includes(`id=${c.id} `)) return;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`connection ${name} was not closed by the server`);
  }

  note(text: string): void {
    this.log.push(text);
  }

  /** Closes every connection and waits until the server has let them go (the next script starts clean). */
  async closeAll(): Promise<void> {
    for (const c of this.conns.values()) c.raw.close();
    const control = await this.controlClient();
    try {
      for (let i = 0; i < 500; i++) {
        const list = await control.callRaw('CLIENT', 'LIST', 'ID', ...[...this.conns.values()].map((c) => c.id));
        if (![...this.conns.values()].some((c) => list.includes(`id=${c.id} `))) return;
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      control.close();
    }
  }
}

/** Runs `script` on a fresh session against `port` (after FLUSHALL) and returns its transcript. */
export async function transcript(port: number, script: (s: Session) => Promise<void>): Promise<string[]> {
  const setup = await RawClient.connect(port);
  await setup.callRaw('FLUSHALL');
  setup.close();
  const t = new Transcript(port);
  try {
    await script(t);
  } finally {
    await t.closeAll();
  }
  return t.log;
}

/** Expects the script's transcripts on nodis and on Redis to be the same. */
export async function expectSameSessions(nodisPort: number, redisPort: number, script: (s: Session) => Promise<void>): Promise<void> {
  const [a, b] = await Promise.all([transcript(nodisPort, script), transcript(redisPort, script)]);
  const diffs: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) diffs.push(`   nodis: ${a[i] ?? '<none>'}\n   redis: ${b[i] ?? '<none>'}`);
  }
  expect(diffs).toEqual([]);
}
