import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/raw-client.js';
import type { RespValue } from '../helpers/resp.js';

function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (cond()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('condition not reached'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*)\\r?$`, 'm').exec(info)?.[1];
}

describe('pub/sub', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('delivers to channel and pattern subscribers in publish order, counting receivers', async () => {
    const sub = server.client();
    const psub = server.client();
    const pub = server.client();
    const got: string[] = [];
    const pgot: string[] = [];
    sub.on('message', (channel: string, message: string) => got.push(`${channel}:${message}`));
    psub.on('pmessage', (pattern: string, channel: string, message: string) => pgot.push(`${pattern}|${channel}:${message}`));
    await sub.subscribe('news', 'sport');
    await psub.psubscribe('n*', 'ne?s', 'x[yz]');
    expect(await pub.publish('news', 'm0')).toBe(3);
    expect(await pub.publish('sport', 'm1')).toBe(1);
    expect(await pub.publish('xz', 'm2')).toBe(1);
    expect(await pub.publish('nothing-here', 'm3')).toBe(1);
    expect(await pub.publish('zzz', 'm4')).toBe(0);
    const pipeline = pub.pipeline();
    for (let i = 0; i < 200; i++) pipeline.publish(i % 2 === 0 ? 'news' : 'sport', `p${i}`);
    await pipeline.exec();
    await waitFor(() => got.length === 202 && pgot.length === 204);
    expect(got.slice(0, 2)).toEqual(['news:m0', 'sport:m1']);
    expect(got.slice(2)).toEqual(Array.from({ length: 200 }, (_, i) => `${i % 2 === 0 ? 'news' : 'sport'}:p${i}`));
    expect(pgot.slice(0, 5)).toEqual(['n*|news:m0', 'ne?s|news:m0', 'x[yz]|xz:m2', 'n*|nothing-here:m3', 'n*|news:p0']);
    expect(await pub.pubsub('NUMSUB', 'news', 'sport', 'none')).toEqual(['news', 1, 'sport', 1, 'none', 0]);
    expect(await pub.pubsub('NUMPAT')).toBe(3);
    const info = await pub.info('stats');
    expect(infoField(info, 'pubsub_channels')).toBe(String(server.running.server.pubsub.channels.size));
    expect(server.running.server.pubsub.channels.size).toBeGreaterThanOrEqual(2);
    expect(infoField(info, 'pubsub_patterns')).toBe('3');
    await sub.unsubscribe();
    await psub.punsubscribe();
    expect(await pub.publish('news', 'after')).toBe(0);
    expect(await pub.pubsub('NUMPAT')).toBe(0);
    const info2 = await pub.info('stats');
    expect(infoField(info2, 'pubsub_channels')).toBe(String(server.running.server.pubsub.channels.size));
    expect(infoField(info2, 'pubsub_patterns')).toBe('0');
    sub.disconnect();
    psub.disconnect();
    pub.disconnect();
  });

  it('binary channels and payloads pass through unchanged', async () => {
    const sub = await server.raw();
    await sub.call('SUBSCRIBE', Buffer.from([0, 0xff, 0x0d, 0x0a]));
    const pub = server.client();
    expect(await pub.publish(Buffer.from([0, 0xff, 0x0d, 0x0a]), Buffer.from([0xc3, 0x28, 0]))).toBe(1);
    expect(await sub.readRaw()).toBe('*3\r\n$7\r\nmessage\r\n$4\r\n\x00\xff\r\n\r\n$3\r\n\xc3(\x00\r\n');
    pub.disconnect();
  });

  it('RESP3 subscribers get push frames and may run other commands meanwhile', async () => {
    const c = await server.raw();
    await c.call('HELLO', '3');
    expect(await c.callRaw('SUBSCRIBE', 'ch')).toBe('>3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n');
    expect(await c.callRaw('PSUBSCRIBE', 'c*')).toBe('>3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:2\r\n');
    const pub = server.client();
    expect(await pub.publish('ch', 'hi')).toBe(2);
    expect(await c.readRaw()).toBe('>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n');
    expect(await c.readRaw()).toBe('>4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nhi\r\n');
    expect(await c.callRaw('SET', 'k', 'v')).toBe('+OK\r\n');
    // A message published by the subscriber itself comes before the reply to PUBLISH.
    c.send('PUBLISH', 'ch', 'self');
    expect(await c.readRaw()).toBe('>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\nself\r\n');
    expect(await c.readRaw()).toBe('>4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$4\r\nself\r\n');
    expect(await c.readRaw()).toBe(':2\r\n');
    expect(await c.callRaw('UNSUBSCRIBE')).toBe('>3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:1\r\n');
    pub.disconnect();
  });

  it('shows subscriptions in CLIENT LIST and removes them on disconnect', async () => {
    const sub = await server.raw();
    await sub.call('CLIENT', 'SETNAME', 'subscriber');
    await sub.call('SUBSCRIBE', 'a', 'b');
    await sub.call('PSUBSCRIBE', 'p*');
    await sub.call('SSUBSCRIBE', 's');
    const admin = server.client();
    const line = (String(await admin.call('CLIENT', 'LIST'))).split('\n').find((l) => l.includes('name=subscriber')) ?? '';
    expect(line).toMatch(/ flags=P /);
    expect(line).toMatch(/ sub=2 psub=1 ssub=1 /);
    expect(String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))).toContain('name=subscriber');
    expect(await admin.publish('a', 'x')).toBe(1);
    sub.close();
    await waitFor(() => !server.running.server.pubsub.channels.has('a'));
    expect(await admin.publish('a', 'x')).toBe(0);
    expect(server.running.server.pubsub.patterns.has('p*')).toBe(false);
    expect(server.running.server.pubsub.shardChannels.has('s')).toBe(false);
    admin.disconnect();
  });

  it('a subscriber that never reads is disconnected at the pubsub output buffer limit; memory stays bounded', async () => {
    const srv = await startTestServer({ 'client-output-buffer-limit': 'pubsub 4mb 1mb 60' });
    const warnings: string[] = [];
    const log = srv.running.server.log;
    const origWarn = log.warn.bind(log);
    (log as { warn: (...args: unknown[]) => void }).warn = (...args: unknown[]) => {
      warnings.push(String(args[args.length - 1]));
      origWarn(...(args as [string]));
    };
    try {
      const sub = await RawClient.connect(srv.port);
      await sub.call('SUBSCRIBE', 'firehose');
      // Stop reading: the subscriber's socket fills up, then the server's output buffer.
      (sub as unknown as { socket: { pause(): void } }).socket.pause();
      const pub = srv.client();
      const before = process.memoryUsage();
      const payload = 'x'.repeat(1024 * 1024);
      let receivers = 1;
      for (let i = 0; i < 100 && receivers !== 0; i++) {
        const p = pub.pipeline();
        for (let j = 0; j < 4; j++) p.publish('firehose', payload);
        const results = (await p.exec()) ?? [];
        receivers = results.length === 0 ? 0 : Number((results[results.length - 1] as [Error | null, RespValue])[1]);
      }
      expect(receivers).toBe(0);
      expect(srv.running.server.pubsub.channels.size).toBe(0);
      const after = process.memoryUsage();
      // Generous: without the limit every message (400 MB) would stay queued.
      expect(after.rss - before.rss).toBeLessThan(300 * 1024 * 1024);
      expect(warnings.filter((w) => w.includes('scheduled to be closed ASAP for overcoming of output buffer limits')).length).toBe(1);
      sub.close();
      pub.disconnect();
    } finally {
      await srv.stop();
    }
  });

  it('normal clients have no limit by default; a normal hard limit closes a client with a huge reply', async () => {
    const srv = await startTestServer();
    try {
      const c = srv.client();
      await c.set('big', 'x'.repeat(2 * 1024 * 1024));
      expect((await c.get('big'))?.length).toBe(2 * 1024 * 1024);
      await c.config('SET', 'client-output-buffer-limit', 'normal 1mb 0 0');
      expect(await c.config('GET', 'client-output-buffer-limit')).toEqual([
        'client-output-buffer-limit', 'normal 1048576 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60',
      ]);
      const raw = await RawClient.connect(srv.port);
      raw.send('GET', 'big');
      await raw.waitClosed();
      expect(raw.closed).toBe(true);
      expect(await c.ping()).toBe('PONG');
      c.disconnect();
    } finally {
      await srv.stop();
    }
  });
});
