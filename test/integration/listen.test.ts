import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import { freePort } from '../helpers/ports.js';

async function connectWithRetry(port: number): Promise<RawClient> {
  for (let i = 0; ; i++) {
    try {
      return await RawClient.connect(port);
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('listening addresses', () => {
  let server: TestServer;
  afterEach(async () => server?.stop());

  it('CONFIG GET port shows the port in use when started on port 0', async () => {
    server = await startTestServer();
    const c = await server.raw();
    expect(await c.call('CONFIG', 'GET', 'port')).toEqual(['port', String(server.running.port)]);
  });

  it('CONFIG SET port moves the listener, keeping existing connections', async () => {
    server = await startTestServer();
    const c = await server.raw();
    const port = await freePort();
    expect(await c.call('CONFIG', 'SET', 'port', String(port))).toBe('OK');
    const moved = await connectWithRetry(port);
    expect(await moved.call('PING')).toBe('PONG');
    expect(await c.call('PING')).toBe('PONG');
    moved.close();
    expect(server.running.port).toBe(port);
  });

  it('CONFIG SET port of a port in use answers Redis\'s error and sets none of the call\'s parameters', async () => {
    server = await startTestServer();
    const taken = await occupy();
    try {
      const c = await server.raw();
      expect(await c.callRaw('CONFIG', 'SET', 'maxmemory', '100mb', 'port', String(taken.port))).toBe(
        "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n",
      );
      expect(await c.call('CONFIG', 'GET', 'maxmemory')).toEqual(['maxmemory', '0']);
      expect(await c.call('CONFIG', 'GET', 'port')).toEqual(['port', String(server.running.port)]);
      // Still listening where it was.
      const again = await RawClient.connect(server.running.port);
      expect(await again.call('PING')).toBe('PONG');
      again.close();
    } finally {
      taken.close();
    }
  });

  it('CONFIG SET bind of an address that cannot be bound answers Redis\'s error and keeps the old addresses', async () => {
    server = await startTestServer();
    const c = await server.raw();
    // 192.0.2.0/24 is TEST-NET-1: never an address of this machine.
    expect(await c.callRaw('CONFIG', 'SET', 'bind', '127.0.0.1 192.0.2.1', 'maxmemory', '5mb')).toBe(
      "-ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind to specified addresses.\r\n",
    );
    expect(await c.call('CONFIG', 'GET', 'bind')).toEqual(['bind', '127.0.0.1 -::1']);
    expect(await c.call('CONFIG', 'GET', 'maxmemory')).toEqual(['maxmemory', '0']);
    const again = await RawClient.connect(server.running.port);
    expect(await again.call('PING')).toBe('PONG');
    again.close();
    // A '-' address that is not available is skipped, as in Redis.
    expect(await c.call('CONFIG', 'SET', 'bind', '127.0.0.1 -192.0.2.1')).toBe('OK');
    expect(await c.call('CONFIG', 'GET', 'bind')).toEqual(['bind', '127.0.0.1 -192.0.2.1']);
  });

  it('a pipeline after CONFIG SET port gets its replies in order, after the CONFIG SET\'s', async () => {
    server = await startTestServer();
    const c = await server.raw();
    const oldPort = server.running.port;
    const port = await freePort();
    const taken = await occupy();
    try {
      c.write(
        command('CONFIG', 'SET', 'port', String(taken.port)) + command('CONFIG', 'GET', 'port') +
          command('CONFIG', 'SET', 'port', String(port)) + command('CONFIG', 'GET', 'port') + command('PING'),
      );
      expect(await c.readRaw()).toMatch(/^-ERR CONFIG SET failed \(possibly related to argument 'port'\)/);
      expect(await c.read()).toEqual(['port', String(oldPort)]);
      expect(await c.read()).toBe('OK');
      expect(await c.read()).toEqual(['port', String(port)]);
      expect(await c.read()).toBe('PONG');
    } finally {
      taken.close();
    }
  });

  it('other clients are served while CONFIG SET waits for the new port, which listens before the old one closes', async () => {
    server = await startTestServer();
    const oldPort = server.running.port;
    const gate = holdListening(server);
    const a = await server.raw();
    const b = await server.raw();
    const port = await freePort();
    let answered = false;
    const replies = (async () => {
      a.write(command('CONFIG', 'SET', 'port', String(port)) + command('PING'));
      const ok = await a.read();
      answered = true;
      return [ok, await a.read()];
    })();
    await gate.reached;
    expect(await b.call('SET', 'k', 'v')).toBe('OK');
    expect(await b.call('GET', 'k')).toBe('v');
    // Nothing is stored before the new address listens.
    expect(await b.call('CONFIG', 'GET', 'port')).toEqual(['port', String(oldPort)]);
    const meanwhile = await RawClient.connect(oldPort);
    expect(await meanwhile.call('PING')).toBe('PONG');
    meanwhile.close();
    expect(answered).toBe(false);
    gate.release();
    expect(await replies).toEqual(['OK', 'PONG']);
    expect(await b.call('CONFIG', 'GET', 'port')).toEqual(['port', String(port)]);
    const moved = await RawClient.connect(port);
    expect(await moved.call('PING')).toBe('PONG');
    moved.close();
    await expect(RawClient.connect(oldPort)).rejects.toThrow();
  });

  it('CONFIG SET port inside MULTI/EXEC is refused, with the other parameters of the call', async () => {
    server = await startTestServer();
    const c = await server.raw();
    const port = await freePort();
    expect(await c.call('MULTI')).toBe('OK');
    expect(await c.call('CONFIG', 'SET', 'maxmemory', '1mb', 'port', String(port))).toBe('QUEUED');
    expect(await c.call('PING')).toBe('QUEUED');
    expect(await c.callRaw('EXEC')).toBe(
      "*2\r\n-ERR CONFIG SET failed (possibly related to argument 'port') - can't change the listening address inside a transaction\r\n+PONG\r\n",
    );
    expect(await c.call('CONFIG', 'GET', 'maxmemory')).toEqual(['maxmemory', '0']);
  });

  it('CLIENT REPLY SKIP drops the reply of a CONFIG SET port that answers later', async () => {
    server = await startTestServer();
    const c = await server.raw();
    const port = await freePort();
    c.write(command('CLIENT', 'REPLY', 'SKIP') + command('CONFIG', 'SET', 'port', String(port)) + command('ECHO', 'next'));
    expect(await c.read()).toBe('next');
    expect(server.running.port).toBe(port);
  });

  it('CONFIG SET bind can move between a wildcard and a specific address on the same port', async () => {
    server = await startTestServer();
    const c = await server.raw();
    const port = server.running.port;
    // 127.0.0.2 reaches a listener on 0.0.0.0 but not one on 127.0.0.1 only.
    await expect(RawClient.connect(port, '127.0.0.2')).rejects.toThrow();
    expect(await c.call('CONFIG', 'SET', 'bind', '0.0.0.0')).toBe('OK');
    const wide = await RawClient.connect(port, '127.0.0.2');
    expect(await wide.call('PING')).toBe('PONG');
    wide.close();
    expect(await c.call('CONFIG', 'SET', 'bind', '127.0.0.1')).toBe('OK');
    expect(await c.call('CONFIG', 'GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    const narrow = await RawClient.connect(port);
    expect(await narrow.call('PING')).toBe('PONG');
    narrow.close();
    await expect(RawClient.connect(port, '127.0.0.2')).rejects.toThrow();
  });
});

function command(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/** A port held by another listener on 127.0.0.1. */
async function occupy(): Promise<{ port: number; close(): void }> {
  const other = net.createServer();
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const addr = other.address() as net.AddressInfo;
  return { port: addr.port, close: () => other.close() };
}

/**
 * Makes the server's next attempt to listen wait until release(): binding is otherwise too
 * quick to observe what happens while it is pending.
 */
function holdListening(server: TestServer): { reached: Promise<void>; release(): void } {
  const target = server.running.server as unknown as { listenOn(host: string, port: number): Promise<unknown> };
  const original = target.listenOn.bind(target);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
  target.listenOn = async (host: string, port: number) => {
    target.listenOn = original;
    reached();
    await released;
    return original(host, port);
  };
  return { reached: reachedPromise, release };
}
