import { describe, expect, it } from 'vitest';
import { PushFrame, ReplyWriter } from '../../src/protocol/reply.js';

function written(frame: PushFrame, resp: 2 | 3, enabled = true): string {
  const w = new ReplyWriter();
  w.resp = resp;
  w.enabled = enabled;
  const chunks: Buffer[] = [];
  w.pushFrame(frame);
  w.flush({ write: (b: Buffer) => chunks.push(Buffer.from(b)) });
  return Buffer.concat(chunks).toString('latin1');
}

/** What the writer's own calls encode for the same message. */
function expected(kind: string, pattern: string | null, channel: string, message: string, resp: 2 | 3): string {
  const parts = pattern === null ? [kind, channel, message] : [kind, pattern, channel, message];
  return `${resp === 3 ? '>' : '*'}${parts.length}\r\n` + parts.map((p) => `$${p.length}\r\n${p}\r\n`).join('');
}

describe('PushFrame: a Pub/Sub message encoded once for every receiver', () => {
  it('is the message and pmessage arrays, in RESP2 and RESP3, for short, long and binary payloads, and after a larger one', () => {
    const frame = new PushFrame();
    const binary = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
    const payloads = ['', 'x', 'a'.repeat(31), 'b'.repeat(32), 'c'.repeat(65), binary, 'd'.repeat(70_000), 'hello', 'é\u00ff\r\n$'];
    for (const message of payloads) {
      for (const pattern of [null, 'news.*']) {
        const kind = pattern === null ? 'message' : 'pmessage';
        frame.encode(kind, pattern, 'news.today', message);
        for (const resp of [2, 3] as const) expect(written(frame, resp)).toBe(expected(kind, pattern, 'news.today', message, resp));
      }
    }
  });

  it('is written while the client has replies turned off (CLIENT REPLY OFF)', () => {
    const frame = new PushFrame();
    frame.encode('message', null, 'ch', 'payload');
    expect(written(frame, 2, false)).toBe(expected('message', null, 'ch', 'payload', 2));
  });
});
