import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRdb } from '../../src/persistence/rdb/index.js';
import type { Value } from '../../src/types/value.js';
import { RawClient } from './raw-client.js';

/** What writeLoadingDump put in the file. */
export interface LoadingDump {
  path: string;
  size: number;
  /** Keys that load (not expired), per database. */
  live: Map<number, number>;
  /** Keys whose expiry had passed when the file was written. */
  expired: number;
  /** The used-mem AUX field written. */
  usedMem: number;
  /** The ctime AUX field written (s). */
  ctime: number;
}

/** Every string value of the dump starts with this: a log line holding it shows a value. */
export const VALUE_MARK = 'secret-value-';

/**
 * A dump.rdb with many keys (a key-load-delay then keeps the server loading for a while): `count`
 * strings in db 0 (`key:<i>` → VALUE_MARK + i), a hash and a few keys with a future TTL in db 3,
 * and `expired` keys whose time has passed. ctime is two minutes ago, used-mem 5 MB.
 */
export function writeLoadingDump(dir: string, count: number, expired = 5, file = 'dump.rdb'): LoadingDump {
  const now = Date.now();
  const db0 = new Map<string, Value>();
  const expires0 = new Map<string, number>();
  for (let i = 0; i < count; i++) db0.set(`key:${i}`, `${VALUE_MARK}${i}`);
  for (let i = 0; i < expired; i++) {
    db0.set(`gone:${i}`, `${VALUE_MARK}gone`);
    expires0.set(`gone:${i}`, now - 60_000);
  }
  const db3 = new Map<string, Value>();
  const expires3 = new Map<string, number>();
  for (let i = 0; i < 10; i++) {
    db3.set(`ttl:${i}`, `${VALUE_MARK}ttl`);
    expires3.set(`ttl:${i}`, now + 3_600_000);
  }
  const usedMem = 5 * 1024 * 1024;
  const ctime = Math.floor(now / 1000) - 120;
  const content = encodeRdb(
    [
      { id: 0, dict: db0, expires: expires0 },
      { id: 3, dict: db3, expires: expires3 },
    ],
    { header: { redisVersion: '7.0.15', ctime, usedMem } },
  );
  const path = join(dir, file);
  writeFileSync(path, content);
  return { path, size: content.length, live: new Map([[0, count], [3, 10]]), expired, usedMem, ctime };
}

/** Connects to a server that is starting on `port` (retrying until it listens). */
export async function connectWhileStarting(port: number, attempts = 250): Promise<RawClient> {
  for (let i = 0; i < attempts; i++) {
    try {
      return await RawClient.connect(port);
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`nothing listens on port ${port}`);
}

/** The fields of one INFO section, in order. */
export function infoFields(info: string): Array<[string, string]> {
  return info
    .split('\r\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon), line.slice(colon + 1)];
    });
}

export async function persistenceFields(c: RawClient): Promise<Map<string, string>> {
  return new Map(infoFields((await c.call('INFO', 'persistence')) as string));
}
