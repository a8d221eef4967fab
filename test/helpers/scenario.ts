/**
 * Scenarios of several clients for blocking commands, played against nodis and real Redis
 * alike (test/differential/blocking.test.ts, streams-blocking.test.ts).
 */
import { expect } from 'vitest';
import type { DifferentialPair } from './differential.js';
import { RawClient } from './raw-client.js';

/**
 * A scenario of several clients, played against nodis and real Redis alike; every reply each
 * client gets is recorded, so who was served what (and in which order) is compared.
 *   call   client sends a command and reads its reply
 *   send   client sends a (blocking) command; its reply is read by a later `read`
 *   blocked  waits until the server reports that many blocked clients
 *   unblock  CLIENT UNBLOCK of that client's id (from an extra connection)
 *   close  the client disconnects
 *   resp3  the client switches to RESP3 (HELLO's reply, with its id, is not recorded)
 */
export type Action =
  | { call: number; argv: string[] }
  | { send: number; argv: string[] }
  | { read: number }
  | { blocked: number }
  | { unblock: number; how?: string }
  | { close: number }
  | { resp3: number }
  | { info: true };

export const call = (c: number, ...argv: string[]): Action => ({ call: c, argv });
export const send = (c: number, ...argv: string[]): Action => ({ send: c, argv });
export const read = (c: number): Action => ({ read: c });
export const blocked = (n: number): Action => ({ blocked: n });

async function blockedClients(admin: RawClient): Promise<number> {
  const info = (await admin.call('INFO', 'clients')) as string;
  return Number(/blocked_clients:(\d+)/.exec(info)?.[1]);
}

/** Plays the scenario; returns one transcript line per reply, tagged with the client. */
export async function play(port: number, clients: number, actions: Action[]): Promise<string[]> {
  const admin = await RawClient.connect(port);
  const conns: RawClient[] = [];
  const ids: string[] = [];
  const out: string[] = [];
  try {
    for (let i = 0; i < clients; i++) {
      const c = await RawClient.connect(port);
      conns.push(c);
      ids.push(String(await c.call('CLIENT', 'ID')));
    }
    for (const action of actions) {
      if ('call' in action) {
        out.push(`${action.call}: ${await (conns[action.call] as RawClient).callRaw(...action.argv)}`);
      } else if ('send' in action) {
        (conns[action.send] as RawClient).send(...action.argv);
      } else if ('read' in action) {
        out.push(`${action.read}< ${await (conns[action.read] as RawClient).readRaw(3000)}`);
      } else if ('blocked' in action) {
        const deadline = Date.now() + 3000;
        let n = await blockedClients(admin);
        while (n !== action.blocked && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 5));
          n = await blockedClients(admin);
        }
        out.push(`blocked_clients ${n}`);
      } else if ('unblock' in action) {
        const args = ['CLIENT', 'UNBLOCK', ids[action.unblock] as string];
        if (action.how !== undefined) args.push(action.how);
        out.push(`unblock ${action.unblock}: ${await admin.callRaw(...args)}`);
      } else if ('resp3' in action) {
        await (conns[action.resp3] as RawClient).call('HELLO', '3');
      } else if ('close' in action) {
        (conns[action.close] as RawClient).close();
      } else {
        const info = (await admin.call('INFO', 'clients')) as string;
        out.push(info.split('\r\n').filter((l) => l.startsWith('blocked_clients') || l.startsWith('clients_in_timeout_table')).join(' '));
      }
    }
    for (const c of conns) out.push(`rest: ${JSON.stringify(c.rest())}`);
  } finally {
    admin.close();
    for (const c of conns) c.close();
  }
  return out;
}

/** Empties both servers, plays the scenario on each and expects the same transcript. */
export async function expectSameScenario(servers: DifferentialPair, clients: number, actions: Action[]): Promise<void> {
  const flush = async (port: number): Promise<void> => {
    const c = await RawClient.connect(port);
    await c.call('FLUSHALL');
    c.close();
  };
  await Promise.all([flush(servers.nodis.port), flush(servers.redis.port)]);
  const [a, b] = await Promise.all([play(servers.nodis.port, clients, actions), play(servers.redis.port, clients, actions)]);
  expect(a).toEqual(b);
}
