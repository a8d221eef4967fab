/**
 * What MIGRATE does in nodis beyond what a differential test can show: it waits for the target
 * without blocking the server, so here a fake target answers when the test says. The client
 * waits (its next command too) while others are served; keys are deleted when the target
 * acknowledges them, unless another client changed them meanwhile; MIGRATEs to one target take
 * turns on one cached connection, which sends SELECT only when the database changes; inside
 * MULTI MIGRATE cannot wait and says so.
 */
import net from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { CommandFeed, PROPAGATE_AOF } from '../../src/commands/core/propagate.js';
import { ERR_MIGRATE_CANNOT_WAIT } from '../../src/commands/keys/migrate.js';
import { tempDir } from '../helpers/aof.js';
import { decode } from '../helpers/resp.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A target that records what it receives and answers only when told to. */
class ManualTarget {
  received = '';
  connections = 0;
  private socket: net.Socket | null = null;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(): Promise<ManualTarget> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = new ManualTarget(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (socket) => {
      target.connections++;
      target.socket = socket;
      socket.on('data', (chunk: Buffer) => (target.received += chunk.toString('latin1')));
      socket.on('error', () => {});
    });
    return target;
  }

  /** Resolves once `count` RESTOREs in all have been received. */
  async restores(count: number): Promise<void> {
    while ((this.received.match(/RESTORE/g) ?? []).length < count) await sleep(2);
  }

  /** The commands received so far, by name, in order (and forgets them). */
  takeCommands(): string[] {
    const names = [...this.received.matchAll(/\*\d+\r\n\$\d+\r\n([A-Z]+)\r\n/g)].map((m) => m[1] as string);
    this.received = '';
    return names;
  }

  reply(text: string): void {
    this.socket?.write(text);
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('MIGRATE waiting for its target', () => {
  let server: TestServer;
  let target: ManualTarget;
  const log: string[][] = [];
  const clients: RawClient[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    const feed = new CommandFeed((argv) => log.push([...argv]));
    server.running.server.propagation.subscribe((db, argv, to) => {
      if (to & PROPAGATE_AOF) feed.push(db, argv);
    });
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    target = await ManualTarget.start();
    log.length = 0;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await target.close();
  });

  const connect = async (): Promise<RawClient> => {
    const client = await RawClient.connect(server.port);
    clients.push(client);
    await client.call('FLUSHALL');
    return client;
  };

  it('serves other clients meanwhile; the keys go when the target acknowledges them, and the next command waits', async () => {
    const [a, b, sub] = [await connect(), await connect(), await connect()];
    await b.call('CONFIG', 'SET', 'notify-keyspace-events', 'Eg');
    await sub.call('SUBSCRIBE', '__keyevent@0__:del');
    await a.call('MSET', 'k1', '1', 'k2', '2');
    log.length = 0;
    a.send('MIGRATE', '127.0.0.1', String(target.port), '', '0', '10000', 'KEYS', 'k1', 'k2');
    a.send('EXISTS', 'k1', 'k2');
    await target.restores(2);
    expect(target.takeCommands()).toEqual(['SELECT', 'RESTORE', 'RESTORE']);
    // The others go on, and still see the keys.
    expect(await b.call('PING')).toBe('PONG');
    expect(await b.call('EXISTS', 'k1', 'k2')).toBe(2);
    target.reply('+OK\r\n+OK\r\n+OK\r\n');
    expect(await a.read()).toBe('OK');
    expect(await a.read()).toBe(0);
    expect(await sub.read()).toEqual(['message', '__keyevent@0__:del', 'k1']);
    expect(await sub.read()).toEqual(['message', '__keyevent@0__:del', 'k2']);
    expect(log).toEqual([['DEL', 'k1', 'k2']]);
    await b.call('CONFIG', 'SET', 'notify-keyspace-events', '');
  });

  it('keeps a key another client changed or deleted before the target answered', async () => {
    const [a, b] = [await connect(), await connect()];
    await a.call('MSET', 'changed', 'v', 'recreated', 'v', 'flushed', 'v', 'same', 'v');
    await a.call('RPUSH', 'list', 'x');
    log.length = 0;
    a.send('MIGRATE', '127.0.0.1', String(target.port), '', '0', '10000', 'KEYS', 'changed', 'recreated', 'list', 'same');
    await target.restores(4);
    await b.call('APPEND', 'changed', '+');
    await b.call('DEL', 'recreated');
    await b.call('SET', 'recreated', 'v');
    // Changed in place: the same list object, with one more element.
    await b.call('RPUSH', 'list', 'y');
    target.reply('+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n');
    expect(await a.read()).toBe('OK');
    expect(await a.call('MGET', 'changed', 'recreated', 'same')).toEqual(['v+', 'v', null]);
    expect(await a.call('LRANGE', 'list', '0', '-1')).toEqual(['x', 'y']);
    // Only the key that did not change was deleted, and propagated.
    expect(log.filter((argv) => argv[0] === 'DEL')).toEqual([['DEL', 'recreated'], ['DEL', 'same']]);
  });

  it('deletes nothing when the dataset was flushed meanwhile', async () => {
    const [a, b] = [await connect(), await connect()];
    await a.call('SET', 'k', 'v');
    a.send('MIGRATE', '127.0.0.1', String(target.port), 'k', '0', '10000');
    await target.restores(1);
    await b.call('FLUSHALL');
    await b.call('SET', 'k', 'v');
    log.length = 0;
    target.reply('+OK\r\n+OK\r\n');
    expect(await a.read()).toBe('OK');
    expect(await a.call('GET', 'k')).toBe('v');
    expect(log).toEqual([]);
  });

  it('takes turns on one connection, sending SELECT only when the database changes or after an error', async () => {
    const [a, b] = [await connect(), await connect()];
    await a.call('MSET', 'k1', '1', 'k2', '2', 'k3', '3', 'k4', '4');
    const port = String(target.port);
    a.send('MIGRATE', '127.0.0.1', port, 'k1', '3', '10000', 'COPY');
    await target.restores(1);
    b.send('MIGRATE', '127.0.0.1', port, 'k2', '3', '10000', 'COPY');
    await sleep(20);
    // The second waits for the first to be answered.
    expect(target.takeCommands()).toEqual(['SELECT', 'RESTORE']);
    target.reply('+OK\r\n+OK\r\n');
    expect(await a.read()).toBe('OK');
    await target.restores(1);
    expect(target.takeCommands()).toEqual(['RESTORE']);
    target.reply('+OK\r\n');
    expect(await b.read()).toBe('OK');
    a.send('MIGRATE', '127.0.0.1', port, 'k3', '4', '10000', 'COPY', 'AUTH', 'pw');
    await target.restores(1);
    expect(target.takeCommands()).toEqual(['AUTH', 'SELECT', 'RESTORE']);
    target.reply('+OK\r\n+OK\r\n-ERR some failure\r\n');
    expect(await a.read()).toEqual({ error: 'ERR Target instance replied with error: ERR some failure' });
    a.send('MIGRATE', '127.0.0.1', port, 'k4', '4', '10000', 'COPY');
    await target.restores(1);
    expect(target.takeCommands()).toEqual(['SELECT', 'RESTORE']);
    target.reply('+OK\r\n+OK\r\n');
    expect(await a.read()).toBe('OK');
    expect(target.connections).toBe(1);
  });

  it('sends what is left of the TTL, and a key that expired meanwhile is not sent', async () => {
    const a = await connect();
    await a.call('SET', 'ttl', 'v', 'PX', '100000');
    a.send('MIGRATE', '127.0.0.1', String(target.port), 'ttl', '0', '10000');
    await target.restores(1);
    const ttl = Number(/RESTORE\r\n\$3\r\nttl\r\n\$\d+\r\n(\d+)\r\n/.exec(target.received)?.[1]);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(100000);
    target.reply('+OK\r\n+OK\r\n');
    expect(await a.read()).toBe('OK');
    // Waiting for its turn, a key passes its expiry time: it is not sent (nor deleted here).
    const b = await connect();
    await a.call('SET', 'long', 'v');
    await b.call('SET', 'short', 'v', 'PX', '30');
    target.takeCommands();
    a.send('MIGRATE', '127.0.0.1', String(target.port), 'long', '0', '10000', 'COPY');
    await target.restores(1);
    b.send('MIGRATE', '127.0.0.1', String(target.port), 'short', '0', '10000');
    await sleep(60);
    target.reply('+OK\r\n');
    expect(await a.read()).toBe('OK');
    expect(await b.read()).toBe('OK');
    expect(target.takeCommands()).toEqual(['RESTORE']);
  });

  it('inside MULTI: what needs no target is answered as in Redis, a transfer is refused', async () => {
    const a = await connect();
    await a.call('SET', 'k', 'v');
    const port = String(target.port);
    await a.call('MULTI');
    await a.call('MIGRATE', '127.0.0.1', port, 'k', '0', '1000');
    await a.call('MIGRATE', '127.0.0.1', port, 'nosuch', '0', '1000');
    await a.call('MIGRATE', '127.0.0.1', port, 'k', '0', '1000', 'BOGUS');
    expect(await a.call('EXEC')).toEqual([{ error: ERR_MIGRATE_CANNOT_WAIT }, 'NOKEY', { error: 'ERR syntax error' }]);
    expect(await a.call('EXISTS', 'k')).toBe(1);
    expect(target.connections).toBe(0);
  });

  it('a client that goes away while waiting leaves the transfer to finish', async () => {
    const [a, b] = [await connect(), await connect()];
    await a.call('SET', 'k', 'v');
    a.send('MIGRATE', '127.0.0.1', String(target.port), 'k', '0', '10000');
    await target.restores(1);
    a.close();
    await sleep(20);
    target.reply('+OK\r\n+OK\r\n');
    for (let i = 0; i < 100 && (await b.call('EXISTS', 'k')) === 1; i++) await sleep(5);
    expect(await b.call('EXISTS', 'k')).toBe(0);
  });
});

describe('MIGRATE and the append-only file', () => {
  it('logs the moved keys as DEL, nothing for a COPY, and a restart does not bring them back', async () => {
    const dir = tempDir('migrate');
    const target = await startTestServer();
    let source = await startTestServer({ dir, appendonly: 'yes', appendfsync: 'always' });
    try {
      const c = await source.raw();
      await c.call('MSET', 'a', '1', 'b', '2', 'kept', '3');
      expect(await c.call('MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'KEYS', 'a', 'b')).toBe('OK');
      expect(await c.call('MIGRATE', '127.0.0.1', String(target.port), 'kept', '0', '5000', 'COPY')).toBe('OK');
      let aof = readFileSync(join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'));
      const logged: unknown[] = [];
      for (let next = decode(aof); next !== null; next = decode(aof)) {
        logged.push(next.value);
        aof = aof.subarray(next.end);
      }
      expect(logged).toEqual([['SELECT', '0'], ['MSET', 'a', '1', 'b', '2', 'kept', '3'], ['DEL', 'a', 'b']]);
      await source.stop();
      source = await startTestServer({ dir, appendonly: 'yes' });
      const again = await source.raw();
      expect(await again.call('KEYS', '*')).toEqual(['kept']);
      const t = await target.raw();
      expect(await t.call('MGET', 'a', 'b', 'kept')).toEqual(['1', '2', '3']);
    } finally {
      await source.stop();
      await target.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
