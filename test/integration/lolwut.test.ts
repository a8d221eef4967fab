import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { RawClient } from '../helpers/raw-client.js';
import { NODIS_VERSION } from '../../src/version.js';

describe('LOLWUT bounds its work', () => {
  let srv: TestServer;
  let c: RawClient;
  beforeAll(async () => {
    srv = await startTestServer();
    c = await srv.raw();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it('refuses a Schotter canvas of more than 64M pixels and keeps serving', async () => {
    // 1000 columns, one square per row, 200 per column: a 2000x399204-pixel canvas in Redis.
    const reply = await c.callRaw('LOLWUT', 'VERSION', '5', '1000', '1', '200');
    expect(reply).toBe(
      '-ERR LOLWUT 5 canvas of 2000x399204 pixels exceeds the 67108864 nodis draws: use more squares per row or fewer per column\r\n',
    );
    expect(await c.callRaw('LOLWUT', 'VERSION', '5', '1000', '1', '17')).toMatch(/^-ERR LOLWUT 5 canvas of 2000x33936 pixels/);
    expect(await c.call('PING')).toBe('PONG');
  });

  it('draws the largest canvas under the bound: one braille character per 2x4 pixels', async () => {
    // 2000x31940 pixels: 7985 bands of 1000 characters, each band ending in a newline (the last
    // band starts on row 31936, not the last one), then the caption between newlines.
    const art = (await c.call('LOLWUT', 'VERSION', '5', '1000', '1', '16')) as string;
    const lines = art.split('\n');
    expect(lines.length).toBe(7985 + 3);
    expect(lines.slice(0, 7985).every((l) => l.length === 3000 && /^(\xe2[\xa0-\xa3][\x80-\xbf])+$/.test(l))).toBe(true);
    expect(lines.slice(7985)).toEqual(['', `Georg Nees - schotter, plotter on paper, 1968. Redis ver. ${NODIS_VERSION}`, '']);
  });
});
