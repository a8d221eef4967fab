import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { startServer, type RunningServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';

describe('cross protocol scripting', () => {
  let running: RunningServer | null = null;
  afterEach(async () => {
    await running?.close();
    running = null;
  });

  it('drops the connection and warns in the log at most once a minute', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
    running = await startServer({ port: 0, save: '' }, logger);
    for (const request of ['POST / HTTP/1.1\r\nHost: example\r\n\r\n', 'Host: example\r\n']) {
      const attacker = await RawClient.connect(running.port);
      attacker.write(request);
      await attacker.waitClosed();
      expect(attacker.rest()).toBe('');
    }
    const warnings = lines.filter((l) => l.msg.includes('SECURITY ATTACK'));
    expect(warnings).toEqual([
      {
        ...warnings[0],
        level: 40,
        msg:
          'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. ' +
          'This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.',
      },
    ]);
    expect(running.server.clients.size).toBe(0);
  });
});
