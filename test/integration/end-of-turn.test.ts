import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { beforeSlice } from '../../src/util/turn.js';

/**
 * Replies wait for the end of the event loop's turn; a slice of a background job (BGSAVE, an
 * AOF rewrite, eviction) first writes those already due (util/turn.ts), so that they do not wait
 * for its milliseconds of work.
 */
describe('replies waiting for the end of the turn', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('go out when a background job starts a slice, before the turn ends', async () => {
    const c = await server.raw();
    const id = Number(await c.call('CLIENT', 'ID'));
    const nodis = server.running.server;
    const client = nodis.clients.get(id);
    if (client === undefined) throw new Error('no such client');
    // A reply added as a command would add it, then left for the end of the turn.
    client.reply.simple('FROM-TURN');
    nodis.flushBeforeSleep(client);
    expect(client.reply.pending).toBeGreaterThan(0);
    beforeSlice();
    expect(client.reply.pending).toBe(0);
    expect(await c.readRaw()).toBe('+FROM-TURN\r\n');
  });
});
