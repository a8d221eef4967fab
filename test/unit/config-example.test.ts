import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Config } from '../../src/config/config.js';
import { loadConfigText } from '../../src/config/file.js';
import { renderRedisConf } from '../../scripts/gen-redis-conf.js';

const example = readFileSync(new URL('../../redis.conf.example', import.meta.url), 'latin1');

describe('redis.conf.example', () => {
  it('names every parameter of the schema on a directive line', () => {
    const lines = example.split('\n');
    const missing = new Config()
      .params()
      .filter((p) => !lines.some((l) => l.startsWith(`${p.name} `) || l.startsWith(`# ${p.name} `)))
      .map((p) => p.name);
    expect(missing).toEqual([]);
  });

  it('is what scripts/gen-redis-conf.ts generates from the schema', () => {
    expect(example).toBe(renderRedisConf());
  });

  it('loads without error and leaves every parameter at its default', () => {
    const loaded = new Config();
    loadConfigText(loaded, example);
    const fresh = new Config();
    const changed = fresh.params().filter((p) => loaded.format(p.name) !== fresh.format(p.name)).map((p) => p.name);
    expect(changed).toEqual([]);
  });
});
