import { RawClient } from './raw-client.js';
import { decode, type RespValue } from './resp.js';

/**
 * One connection to nodis and one to real Redis, driven in lockstep, for differential tests
 * that need more than a fixed script: RESP3 after HELLO 3, replies compared by their
 * properties (random elements) or as multisets (hash-table order).
 */
export class ClientPair {
  private constructor(readonly nodis: RawClient, readonly redis: RawClient) {}

  static async connect(nodisPort: number, redisPort: number, resp3 = false): Promise<ClientPair> {
    const pair = new ClientPair(await RawClient.connect(nodisPort), await RawClient.connect(redisPort));
    if (resp3) await pair.call('HELLO', '3');
    return pair;
  }

  /** Raw replies of both servers: [nodis, redis]. */
  async call(...args: string[]): Promise<[string, string]> {
    return Promise.all([this.nodis.callRaw(...args), this.redis.callRaw(...args)]);
  }

  /** Decoded replies of both servers. */
  async decoded(...args: string[]): Promise<[RespValue, RespValue]> {
    const [a, b] = await this.call(...args);
    return [parse(a), parse(b)];
  }

  close(): void {
    this.nodis.close();
    this.redis.close();
  }
}

export function parse(raw: string): RespValue {
  const d = decode(Buffer.from(raw, 'latin1'));
  if (d === null) throw new Error(`incomplete reply ${JSON.stringify(raw)}`);
  return d.value;
}

/** The elements of an array or set reply as a sorted list (latin1 strings as they are). */
export function sortedItems(value: RespValue): string[] {
  const items = Array.isArray(value) ? value : (value as { set: RespValue[] }).set;
  return items.map((v) => JSON.stringify(v)).sort();
}

/** A flat [k, v, k, v…] array (or RESP3 map) as sorted "k=v" pairs. */
export function sortedPairs(value: RespValue): string[] {
  const out: string[] = [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 2) out.push(JSON.stringify([value[i], value[i + 1]]));
  } else {
    for (const [k, v] of (value as { map: Array<[RespValue, RespValue]> }).map) out.push(JSON.stringify([k, v]));
  }
  return out.sort();
}
