import { afterAll, beforeAll, expect } from 'vitest';
import { startOracle, type Oracle } from './oracle.js';
import { RawClient } from './raw-client.js';
import { decode, type RespValue } from './resp.js';
import { startTestServer, type TestServer } from './server.js';

/** One step of a differential script: a command, or raw bytes to send as they are. */
export type Step = string[] | { raw: string } | { sorted: string[] };

export interface StepResult {
  step: Step;
  nodis: string;
  redis: string;
}

/** Replaces what legitimately differs between two servers (times, ids, ports) before comparing. */
export type Mask = (raw: string) => string;

/**
 * Runs the same steps on both servers, one connection each, and returns the raw replies side
 * by side. `{ sorted: [...] }` sends a command whose array reply is compared as a multiset
 * (KEYS, SMEMBERS…: Redis's order is its hash table's). `localAddress` is the clients' own address.
 */
export async function runBoth(nodisPort: number, redisPort: number, steps: Step[], mask: Mask = (s) => s, localAddress?: string): Promise<StepResult[]> {
  const a = await RawClient.connect(nodisPort, '127.0.0.1', localAddress);
  const b = await RawClient.connect(redisPort, '127.0.0.1', localAddress);
  const results: StepResult[] = [];
  try {
    for (const step of steps) {
      const [ra, rb] = await Promise.all([runStep(a, step), runStep(b, step)]);
      results.push({ step, nodis: mask(ra), redis: mask(rb) });
    }
  } finally {
    a.close();
    b.close();
  }
  return results;
}

async function runStep(client: RawClient, step: Step): Promise<string> {
  if (Array.isArray(step)) return client.callRaw(...step);
  if ('raw' in step) {
    client.write(step.raw);
    try {
      return await client.readRaw(2000);
    } catch {
      return client.closed ? '<closed>' : '<no reply>';
    }
  }
  const raw = await client.callRaw(...step.sorted);
  return canonicalSorted(raw);
}

/** An array reply re-encoded with its elements sorted, so order does not matter. */
function canonicalSorted(raw: string): string {
  const decoded = decode(Buffer.from(raw, 'latin1'));
  if (decoded === null) return raw;
  const value = decoded.value;
  // A RESP3 set reply is compared as a multiset too, keeping its type in the result.
  const isSet = value !== null && typeof value === 'object' && 'set' in value;
  if (!Array.isArray(value) && !isSet) return raw;
  const list = isSet ? (value as { set: RespValue[] }).set : (value as RespValue[]);
  const items = list.map((v) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
  items.sort();
  return `sorted${isSet ? '~' : '*'}:${items.join(',')}`;
}

/** Formats mismatches for a readable failure message. */
export function mismatches(results: StepResult[]): string[] {
  return results
    .filter((r) => r.nodis !== r.redis)
    .map((r) => `${JSON.stringify(r.step)}\n   nodis: ${JSON.stringify(r.nodis)}\n   redis: ${JSON.stringify(r.redis)}`);
}

/** HELLO's and CLIENT INFO-like replies carry the connection id, which differs between the servers. */
export const maskClientId: Mask = (raw) => raw.replace(/(\$2\r\nid\r\n:)\d+/, '$1?');

export interface DifferentialOptions {
  /** nodis's startup config. */
  nodis?: Record<string, string | number | boolean>;
  /** redis-server's extra arguments (`--name value`). */
  redis?: string[];
}

/** nodis and real Redis for one describe block, and the comparison of scripts on both. */
export interface DifferentialPair {
  /** Both servers are up from beforeAll on. */
  readonly nodis: TestServer;
  readonly redis: Oracle;
  /** runBoth on the two servers. */
  run(steps: Step[], mask?: Mask): Promise<StepResult[]>;
  /** Expects every step to get the same reply from both servers. */
  same(steps: Step[], mask?: Mask): Promise<void>;
}

/** Starts nodis and an oracle in beforeAll and stops them in afterAll of the describe block it is called in. */
export function differentialPair(options: DifferentialOptions = {}): DifferentialPair {
  let nodis: TestServer | undefined;
  let redis: Oracle | undefined;
  beforeAll(async () => {
    [nodis, redis] = await Promise.all([startTestServer(options.nodis), startOracle(options.redis)]);
  });
  afterAll(async () => {
    await Promise.all([nodis?.stop(), redis?.stop()]);
  });
  const started = <T>(server: T | undefined): T => {
    if (server === undefined) throw new Error('the servers start in beforeAll');
    return server;
  };
  const run = (steps: Step[], mask?: Mask): Promise<StepResult[]> => runBoth(started(nodis).port, started(redis).port, steps, mask);
  return {
    get nodis() {
      return started(nodis);
    },
    get redis() {
      return started(redis);
    },
    run,
    same: async (steps: Step[], mask?: Mask): Promise<void> => {
      expect(mismatches(await run(steps, mask))).toEqual([]);
    },
  };
}
