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
});
