import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, legacyLine, levelName, readableLines, redisTimestamp, setLogRole } from '../../src/log.js';

describe('log lines', () => {
  it('names levels as Redis does', () => {
    expect([10, 20, 30, 40, 50].map(levelName)).toEqual(['debug', 'debug', 'notice', 'warning', 'error']);
  });

  it('formats a pino line as Redis\'s pid:role date level-mark message', () => {
    const time = new Date(2026, 11, 6, 21, 0, 0, 123);
    setLogRole('C');
    expect(legacyLine(JSON.stringify({ level: 40, time: time.getTime(), pid: 42, msg: 'careful' }))).toBe('42:C 06 Dec 2026 21:00:00.123 # careful\n');
    setLogRole('M');
    expect(legacyLine(JSON.stringify({ level: 30, time: time.getTime(), pid: 42, msg: 'Server initialized' }))).toBe('42:M 06 Dec 2026 21:00:00.123 * Server initialized\n');
    expect(legacyLine(JSON.stringify({ level: 20, time: time.getTime(), pid: 42, msg: 'x', client: 'id=3' }))).toBe('42:M 06 Dec 2026 21:00:00.123 . x client=id=3\n');
    expect(redisTimestamp(new Date(2026, 0, 2, 3, 4, 5, 6))).toBe('02 Jan 2026 03:04:05.006');
  });

  it('log-format auto is readable on a terminal only, and never for a log file', () => {
    expect(readableLines('auto', '', true)).toBe(true);
    expect(readableLines('auto', '', false)).toBe(false);
    expect(readableLines('auto', '/var/log/nodis.log', true)).toBe(false);
    expect(readableLines('legacy', '/var/log/nodis.log', false)).toBe(true);
    expect(readableLines('json', '', true)).toBe(false);
  });
});

describe('log writes', () => {
  // A line written later by pino's asynchronous path could be overtaken by those flushed at exit.
  it('are on disk when the call returns, in the order of the calls', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nodis-log-'));
    try {
      const file = join(dir, 'nodis.log');
      const log = createLogger('notice', file);
      log.warn('first');
      log.warn('second');
      const lines = readFileSync(file, 'latin1').trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(lines).toEqual(['first', 'second']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
