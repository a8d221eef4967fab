import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

function maskIds(raw: string): string {
  return raw.replace(/(\$2\r\nid\r\n):\d+/g, '$1:<id>').replace(/(\$7\r\nversion\r\n)\$\d+\r\n[^\r]*/g, '$1<version>');
}

/** Sends raw bytes on a fresh connection; returns what came back until the server closed it or went quiet. */
async function exchange(port: number, input: string | Buffer[], quietMs = 300): Promise<{ output: string; closed: boolean }> {
  const client = await RawClient.connect(port);
  for (const part of typeof input === 'string' ? [input] : input) {
    if (client.closed) break;
    client.write(part);
    await new Promise((r) => setImmediate(r));
  }
  let last = -1;
  const deadline = Date.now() + 3000;
  while (!client.closed && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, quietMs));
    const now = client.rest().length;
    if (now === last) break;
    last = now;
  }
  const result = { output: client.rest(), closed: client.closed };
  client.close();
  return result;
}

async function infoField(client: RawClient, section: string, field: string): Promise<number> {
  const text = String(await client.call('INFO', section));
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
  if (match === null) throw new Error(`no ${field} in INFO ${section}`);
  return Number(match[1]);
}

describe.skipIf(!hasOracle)('differential: connection limits and states', () => {
  const servers = differentialPair();

  async function both<T>(fn: (port: number) => Promise<T>): Promise<[T, T]> {
    return Promise.all([fn(servers.nodis.port), fn(servers.redis.port)]);
  }

  it('maxclients refuses the connection over the limit and counts it as rejected, not received', async () => {
    const [a, b] = await both(async (port) => {
      const admin = await RawClient.connect(port);
      const received = await infoField(admin, 'stats', 'total_connections_received');
      const rejected = await infoField(admin, 'stats', 'rejected_connections');
      await admin.call('CONFIG', 'SET', 'maxclients', '2');
      const second = await RawClient.connect(port);
      const pong = await second.callRaw('PING');
      const refused = await exchange(port, '');
      const deltas = [
        (await infoField(admin, 'stats', 'total_connections_received')) - received,
        (await infoField(admin, 'stats', 'rejected_connections')) - rejected,
      ];
      await admin.call('CONFIG', 'SET', 'maxclients', '10000');
      second.close();
      admin.close();
      return { pong, refused, deltas };
    });
    expect(a).toEqual(b);
    expect(a.refused).toEqual({ output: '-ERR max number of clients reached\r\n', closed: true });
  });

  it('client-query-buffer-limit closes a client whose unparsed input grows past it', async () => {
    const big = [Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n')];
    for (let i = 0; i < 24; i++) big.push(Buffer.alloc(64 * 1024, 97));
    const [a, b] = await both(async (port) => {
      const admin = await RawClient.connect(port);
      await admin.call('CONFIG', 'SET', 'client-query-buffer-limit', '1mb');
      const result = await exchange(port, big);
      const alive = await admin.callRaw('EXISTS', 'k');
      await admin.call('CONFIG', 'SET', 'client-query-buffer-limit', '1gb');
      admin.close();
      return { ...result, alive };
    });
    expect(a).toEqual(b);
    expect(a.closed).toBe(true);
  });

  it('protocol limits: too big inline request, count strings, bulk over proto-max-bulk-len', async () => {
    const cases: Array<string | Buffer[]> = [
      'x'.repeat(70 * 1024),
      `*${'1'.repeat(70 * 1024)}`,
      `*1\r\n$${'1'.repeat(70 * 1024)}`,
      '*2\r\n$4\r\nECHO\r\n$1048577\r\n',
      '*1\r\n$1048576\r\n',
      '*3000000000\r\n',
      'SET k "abc\r\n',
      "SET k 'a'b\r\n",
      'SET k "a"b\r\n',
    ];
    const [na, nb] = await both(async (port) => {
      const admin = await RawClient.connect(port);
      await admin.call('CONFIG', 'SET', 'proto-max-bulk-len', '1mb');
      const out = [];
      for (const input of cases) out.push(await exchange(port, input));
      await admin.call('CONFIG', 'SET', 'proto-max-bulk-len', '512mb');
      admin.close();
      return out;
    });
    expect(na).toEqual(nb);
  });

  it('QUIT and RESET inside MULTI run at once', async () => {
    const [a, b] = await both(async (port) => {
      const quit = await exchange(port, 'MULTI\r\nSET mq 1\r\nQUIT\r\nSET mq 2\r\n');
      const steps = await exchange(port, 'MULTI\r\nSET mr 1\r\nRESET\r\nEXEC\r\nGET mr\r\nGET mq\r\nMULTI\r\nRESET\r\nDISCARD\r\n');
      return { quit, steps };
    });
    expect(a).toEqual(b);
    expect(a.quit).toEqual({ output: '+OK\r\n+QUEUED\r\n+OK\r\n', closed: true });
  });

  it('MONITOR shows AUTH and HELLO AUTH passwords redacted, as far as Redis parsed them', async () => {
    const commands: string[][] = [
      ['AUTH', 'secret'], ['auth', 'user', 'secret'], ['AUTH', 'a', 'b', 'c'], ['HELLO', '3', 'AUTH', 'default', 'pw', 'SETNAME', 'n1'],
      ['hello', '2', 'setname', 'n2', 'auth', 'default', 'pw'], ['HELLO', '3', 'AUTH', 'default', 'x', 'AUTH', 'u', 'v'],
      ['HELLO', '4', 'AUTH', 'default', 'pw'], ['HELLO', '3', 'foo', 'AUTH', 'default', 'pw'],
      ['HELLO', '3', 'SETNAME', 'a b', 'AUTH', 'default', 'pw'], ['HELLO', '3', 'AUTH', 'default', 'pw', 'bar'],
      ['HELLO', '2', 'AUTH', 'default'], ['SET', 'k', 'v\x00\n"'],
    ];
    const [a, b] = await both(async (port) => {
      const monitor = await RawClient.connect(port);
      await monitor.callRaw('MONITOR');
      const client = await RawClient.connect(port);
      for (const cmd of commands) await client.callRaw(...cmd);
      const lines: string[] = [];
      for (let i = 0; i < commands.length; i++) lines.push((await monitor.readRaw()).replace(/^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\]/, '+<time> [0 <addr>]'));
      monitor.close();
      client.close();
      return lines;
    });
    expect(a).toEqual(b);
  });

  it('CLIENT SETNAME and HELLO SETNAME validation', async () => {
    const steps: Step[] = [
      ['CLIENT', 'SETNAME', 'a~!'], ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', 'a\x7f'], ['CLIENT', 'SETNAME', '\x00'],
      ['CLIENT', 'SETNAME', 'tab\there'], ['CLIENT', 'GETNAME'], ['HELLO', '2', 'SETNAME', 'x y'], ['CLIENT', 'GETNAME'],
      ['HELLO', '2', 'SETNAME', 'ok', 'SETNAME', 'second'], ['CLIENT', 'GETNAME'], ['HELLO', '2', 'SETNAME', 'n', 'bad'],
      ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', ''], ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', 'a', 'b'],
    ];
    await servers.same(steps, maskIds);
  });
});

describe.skipIf(!hasOracle)('differential: requirepass, HELLO AUTH and a few databases', () => {
  const servers = differentialPair({ nodis: { requirepass: 'pw', databases: 4 }, redis: ['--requirepass', 'pw', '--databases', '4'] });

  it('HELLO with AUTH and SETNAME before and after authenticating', async () => {
    const steps: Step[] = [
      ['GET', 'x'], ['HELLO'], ['HELLO', '3'], ['HELLO', '3', 'SETNAME', 'early'], ['CLIENT', 'GETNAME'], ['AUTH', 'pw'],
      ['CLIENT', 'GETNAME'], ['RESET'], ['HELLO', '3', 'AUTH', 'default', 'pw', 'foo'], ['GET', 'x'], ['RESET'],
      ['HELLO', '3', 'SETNAME', 'x', 'AUTH', 'default', 'bad'], ['AUTH', 'pw'], ['CLIENT', 'GETNAME'], ['RESET'],
      ['HELLO', '3', 'AUTH', 'default', 'bad'], ['HELLO', '3', 'AUTH', 'default', 'bad', 'SETNAME', 'a b'],
      ['HELLO', '3', 'AUTH', 'nobody', 'pw'], ['HELLO', '4', 'AUTH', 'default', 'pw'], ['PING'],
      ['HELLO', '2', 'AUTH', 'default', 'pw', 'SETNAME', 'n1'], ['CLIENT', 'GETNAME'], ['HELLO', '3'], ['GET', 'x'],
      ['HELLO', '2', 'AUTH', 'default', 'bad'], ['CLIENT', 'GETNAME'], ['GET', 'x'], ['RESET'], ['GET', 'x'], ['CLIENT', 'GETNAME'],
      ['AUTH', 'bad'], ['AUTH', 'default', 'bad'], ['AUTH', 'nobody', 'pw'], ['AUTH', 'a', 'b', 'c'], ['AUTH', 'pw'],
      ['HELLO', '3', 'SETNAME', 'after'], ['CLIENT', 'GETNAME'], ['RESET'], ['AUTH', 'default', 'pw'], ['HELLO'],
    ];
    await servers.same(steps, maskIds);
  });

  it('an unauthenticated client may not send big requests', async () => {
    const [a, b] = await Promise.all([servers.nodis.port, servers.redis.port].map(async (port) => [
      await exchange(port, '*11\r\n'),
      await exchange(port, '*10\r\n$16385\r\n'),
      await exchange(port, `*2\r\n$4\r\nAUTH\r\n$16384\r\n${'a'.repeat(16384)}\r\n`),
      await exchange(port, `*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*11\r\n${'$1\r\na\r\n'.repeat(11)}`),
    ]));
    expect(a).toEqual(b);
  });

  it('SELECT, MOVE, SWAPDB, COPY with databases 4', async () => {
    const steps: Step[] = [
      ['AUTH', 'pw'], ['CONFIG', 'GET', 'databases'], ['SELECT', '3'], ['SET', 'k', 'v'], ['SELECT', '4'], ['SELECT', '-1'],
      ['MOVE', 'k', '4'], ['MOVE', 'k', '0'], ['SELECT', '0'], ['COPY', 'k', 'k2', 'DB', '4'], ['COPY', 'k', 'k2', 'DB', '3'],
      ['SWAPDB', '0', '4'], ['SWAPDB', '-1', '0'], ['SWAPDB', '3', '0'], ['INFO', 'keyspace'], ['FLUSHALL'],
    ];
    await servers.same(steps, maskIds);
  });
});
