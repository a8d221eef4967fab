import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

/** Sends raw bytes on a fresh connection; returns everything received until the server closes or goes quiet. */
async function exchange(port: number, input: string): Promise<{ output: string; closed: boolean }> {
  const client = await RawClient.connect(port);
  client.write(input);
  const deadline = Date.now() + 1500;
  let last = '';
  while (Date.now() < deadline && !client.closed) {
    await new Promise((r) => setTimeout(r, 50));
    const now = client.rest();
    if (now === last && now !== '' && Date.now() > deadline - 1200) break;
    last = now;
  }
  const output = client.rest();
  const closed = client.closed;
  client.close();
  return { output, closed };
}

const CASES: Array<[string, string]> = [
  ['inline command', 'PING\r\n'],
  ['inline with quotes', 'ECHO "a b\\x41"\r\n'],
  ['unbalanced quotes', 'ECHO "abc\r\nPING\r\n'],
  ['invalid multibulk length', '*abc\r\n'],
  ['negative multibulk', '*-5\r\nPING\r\n'],
  ['expected $', '*1\r\n+PING\r\n'],
  ['invalid bulk length', '*1\r\n$-3\r\n'],
  ['bulk length not a number', '*1\r\n$abc\r\n'],
  ['bulk over proto-max-bulk-len', '*1\r\n$999999999999\r\n'],
  ['commands before the error run', 'PING\r\nECHO x\r\n*1\r\n$x\r\n'],
  ['empty lines', '\r\n\r\nPING\r\n'],
  ['unknown command inline', 'FOO bar baz\r\n'],
  ['unknown command long args', `FOO ${'a'.repeat(200)} ${'b'.repeat(10)}\r\n`],
  ['wrong arity', '*1\r\n$3\r\nGET\r\n'],
  ['pipeline', 'PING\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\n'],
];

describe.skipIf(!hasOracle)('differential: protocol handling', () => {
  const servers = differentialPair();

  for (const [name, input] of CASES) {
    it(name, async () => {
      const [a, b] = await Promise.all([exchange(servers.nodis.port, input), exchange(servers.redis.port, input)]);
      expect(a).toEqual(b);
    });
  }

  it('survives random bytes and keeps serving other clients', async () => {
    const watcher = await RawClient.connect(servers.nodis.port);
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 50; i++) {
      const bytes = Buffer.alloc(1 + Math.floor(rand() * 300));
      for (let j = 0; j < bytes.length; j++) {
        const r = rand();
        bytes[j] = r < 0.1 ? 42 : r < 0.2 ? 36 : r < 0.3 ? 13 : r < 0.4 ? 10 : Math.floor(rand() * 256);
      }
      const c = await RawClient.connect(servers.nodis.port);
      c.write(bytes);
      c.write('\r\nQUIT\r\n');
      await new Promise((r) => setTimeout(r, 5));
      c.close();
    }
    expect(await watcher.callRaw('PING')).toBe('+PONG\r\n');
    watcher.close();
  });
});
