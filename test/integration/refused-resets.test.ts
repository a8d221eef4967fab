import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startNodisProcess, type NodisProcess } from '../helpers/nodis-process.js';
import { RawClient } from '../helpers/raw-client.js';

/** Opens `count` connections that each send PING and reset at once, the server not having answered yet. */
async function connectAndReset(port: number, count: number): Promise<void> {
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const socket = net.connect({ port, host: '127.0.0.1' });
          socket.on('error', () => resolve());
          socket.on('connect', () => {
            socket.write('PING\r\n');
            socket.resetAndDestroy();
            resolve();
          });
        }),
    ),
  );
}

describe('refused connections whose peer resets', () => {
  let server: NodisProcess | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  it('do not end the server (maxclients reached)', async () => {
    // A real process: an unhandled socket error ends it, where in-process it would reach the test runner.
    server = await startNodisProcess(['--maxclients', '1']);
    // The start-up check's connection may not have left yet: the holder tries until it is served.
    let holder = await RawClient.connect(server.port);
    for (let tries = 0; (await holder.call('PING')) !== 'PONG'; tries++) {
      expect(tries).toBeLessThan(50);
      holder.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      holder = await RawClient.connect(server.port);
    }
    for (let round = 0; round < 40; round++) await connectAndReset(server.port, 25);
    expect(await holder.call('PING')).toBe('PONG');
    const rejected = /rejected_connections:(\d+)/.exec(String(await holder.call('INFO', 'stats')));
    expect(Number(rejected?.[1])).toBeGreaterThan(0);
    holder.close();
  });
});
