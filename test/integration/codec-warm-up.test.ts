import { describe, expect, it } from 'vitest';
import { codecsWarmedUp, warmUpCodecs } from '../../src/persistence/rdb/warm-up.js';
import { startTestServer } from '../helpers/server.js';

describe('warming up the RDB codecs', () => {
  it('happens once, as the server starts, before it loads a dataset', async () => {
    expect(codecsWarmedUp()).toBe(false);
    const server = await startTestServer();
    try {
      expect(codecsWarmedUp()).toBe(true);
      // Done already: a second call does nothing.
      expect(warmUpCodecs()).toBe(0);
      const client = server.client();
      await client.rpush('list', ...Array.from({ length: 2000 }, (_, i) => `element:${i}`));
      expect(await client.call('SAVE')).toBe('OK');
      expect(await client.call('DEBUG', 'RELOAD')).toBe('OK');
      expect(await client.llen('list')).toBe(2000);
    } finally {
      await server.stop();
    }
  });
});
