import { RawClient } from './raw-client.js';

/** A value type the memory tests fill, and what frees it. */
export type BigKind = 'list' | 'set' | 'hash' | 'zset' | 'string' | 'keys';

/** INFO memory's used_memory. */
export async function usedMemory(client: RawClient): Promise<number> {
  const info = (await client.call('INFO', 'memory')) as string;
  return Number(/^used_memory:(\d+)\r$/m.exec(info)?.[1]);
}

/**
 * INFO memory's used_memory less the clients' buffers (mem_clients_normal), which change with
 * every command the test sends: what the dataset and the fixed costs take.
 */
export async function usedMemoryBesideClients(client: RawClient): Promise<number> {
  const info = (await client.call('INFO', 'memory')) as string;
  const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)\r$`, 'm').exec(info)?.[1]);
  return field('used_memory') - field('mem_clients_normal');
}

/** An INFO field, as a number. */
export async function infoNumber(client: RawClient, section: string, field: string): Promise<number> {
  const info = (await client.call('INFO', section)) as string;
  return Number(new RegExp(`^${field}:(\\d+)\\r$`, 'm').exec(info)?.[1]);
}

/**
 * lazyfreed_objects once it reaches `expected`: Redis counts from its background thread, so
 * this polls (up to about two seconds) and then reports whatever the count is.
 */
export async function settledLazyfreed(client: RawClient, expected: number): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const n = await infoNumber(client, 'memory', 'lazyfreed_objects');
    if (n >= expected) return n;
    await new Promise((r) => setTimeout(r, 20));
  }
  return infoNumber(client, 'memory', 'lazyfreed_objects');
}

/**
 * Fills `key` with `count` elements of the given kind ('keys': `count` string keys named
 * `key:N`; 'string': one string of `count` bytes), pipelined 1000 elements per command.
 */
export async function fill(client: RawClient, kind: BigKind, key: string, count: number): Promise<void> {
  if (kind === 'string') {
    // Several appends: one argument of this size would stay in the parser's buffers.
    const chunk = 'x'.repeat(1 << 20);
    for (let done = 0; done < count; done += chunk.length) client.send('APPEND', key, chunk.slice(0, Math.min(chunk.length, count - done)));
    for (let done = 0; done < count; done += chunk.length) await client.read();
    return;
  }
  let sent = 0;
  for (let i = 0; i < count; i += 1000) {
    const args: string[] = [];
    for (let j = i; j < Math.min(count, i + 1000); j++) {
      const member = `member:${String(j).padStart(9, '0')}`;
      if (kind === 'list') args.push(member);
      else if (kind === 'set') args.push(member);
      else if (kind === 'hash') args.push(member, `value:${j}`);
      else if (kind === 'zset') args.push(String(j + 0.5), member);
      else args.push(`${key}:${j}`, `value:${String(j).padStart(9, '0')}`);
    }
    const command = { list: 'RPUSH', set: 'SADD', hash: 'HSET', zset: 'ZADD', keys: 'MSET' }[kind];
    if (kind === 'keys') client.send(command, ...args);
    else client.send(command, key, ...args);
    sent++;
  }
  for (let i = 0; i < sent; i++) {
    const reply = await client.read(30_000);
    if (typeof reply === 'object' && reply !== null && 'error' in reply) throw new Error(String(reply.error));
  }
}

/**
 * Polls used_memory until it is at most `target`, for up to `timeoutMs`; returns the last
 * figure read (the caller compares it with the target).
 */
export async function usedMemoryFallsTo(client: RawClient, target: number, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const used = await usedMemory(client);
    if (used <= target || Date.now() >= deadline) return used;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Fills a big value (or many keys), frees it with `free`, and reports the memory figures:
 * `peak - before` is what the value takes, `after` what used_memory came down to within a few
 * seconds. `before` and `peak` are read after MEMORY PURGE (on nodis a full collection), so
 * that they count what is held, not the garbage that filling left (Redis has none).
 */
export async function fillAndFree(port: number, kind: BigKind, count: number, free: string[]): Promise<{ before: number; peak: number; after: number }> {
  const client = await RawClient.connect(port);
  try {
    await client.call('MEMORY', 'PURGE');
    const before = await usedMemory(client);
    await fill(client, kind, 'big', count);
    await client.call('MEMORY', 'PURGE');
    const peak = await usedMemory(client);
    const reply = await client.call(...free);
    if (typeof reply === 'object' && reply !== null && 'error' in reply) throw new Error(String(reply.error));
    const after = await usedMemoryFallsTo(client, peak - (peak - before) / 2);
    return { before, peak, after };
  } finally {
    client.close();
  }
}
