import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('connection commands (ioredis)', () => {
  let server: TestServer | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  it('requires AUTH when requirepass is set, and lifts the request limits after it', async () => {
    server = await startTestServer({ requirepass: 's3cret' });
    const raw = await server.raw();
    expect(await raw.call('GET', 'k')).toEqual({ error: 'NOAUTH Authentication required.' });
    expect(await raw.call('AUTH', 'wrong')).toEqual({ error: 'WRONGPASS invalid username-password pair or user is disabled.' });
    expect(await raw.call('AUTH', 'other', 's3cret')).toEqual({ error: 'WRONGPASS invalid username-password pair or user is disabled.' });
    expect(await raw.call('HELLO', '3')).toEqual({
      error:
        'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> ' +
        'option can be used to authenticate the client and select the RESP protocol version at the same time',
    });
    expect(await raw.call('AUTH', 's3cret')).toBe('OK');
    // An authenticated client may send more than 10 arguments and bulks over 16 KiB.
    const big = 'x'.repeat(20000);
    expect(await raw.call('ECHO', big)).toBe(big);
    expect(await raw.call('PING')).toBe('PONG');

    const good = server.client({ password: 's3cret' });
    expect(await good.ping()).toBe('PONG');
    const withUser = server.client({ username: 'default', password: 's3cret' });
    expect(await withUser.echo('hi')).toBe('hi');
  });

  it('CLIENT SETINFO takes the characters a client name may have (Redis 7.2)', async () => {
    server = await startTestServer();
    const raw = await server.raw();
    expect(await raw.call('CLIENT', 'SETINFO', 'LIB-NAME', 'ioredis!~')).toBe('OK');
    expect(await raw.call('CLIENT', 'SETINFO', 'lib-ver', '5.6.0')).toBe('OK');
    for (const bad of ['a b', 'a\nb', 'caf\xe9', '\x7f']) {
      expect(await raw.call('CLIENT', 'SETINFO', 'Lib-Ver', bad)).toEqual({ error: 'ERR Lib-Ver cannot contain spaces, newlines or special characters.' });
    }
    expect(await raw.call('CLIENT', 'SETINFO', 'lib-x', 'a')).toEqual({ error: "ERR Unrecognized option 'lib-x'" });
  });

  it('RESET makes a client authenticate again', async () => {
    server = await startTestServer({ requirepass: 'pw' });
    const raw = await server.raw();
    expect(await raw.call('HELLO', '2', 'AUTH', 'default', 'pw', 'SETNAME', 'me')).toContain('redis');
    expect(await raw.call('CLIENT', 'GETNAME')).toBe('me');
    expect(await raw.call('RESET')).toBe('RESET');
    expect(await raw.call('CLIENT', 'GETNAME')).toEqual({ error: 'NOAUTH Authentication required.' });
  });

  it('HELLO 3 switches to RESP3 maps', async () => {
    server = await startTestServer();
    const raw = await server.raw();
    const reply = await raw.call('HELLO', '3');
    expect(reply).toMatchObject({ map: expect.arrayContaining([['proto', 3], ['mode', 'standalone'], ['role', 'master']]) });
    expect(await raw.call('GET', 'missing')).toBeNull();
    expect(await raw.callRaw('GET', 'missing')).toBe('_\r\n');
    expect(await raw.callRaw('HELLO', '2')).toMatch(/^\*14\r\n/);
    const ioredis = server.client();
    const hello = (await ioredis.call('HELLO', '2')) as unknown[];
    expect(hello.slice(0, 4)).toEqual(['server', 'redis', 'version', '7.0.15']);
  });

  it('CLIENT KILL closes other connections by id, address, or the caller itself', async () => {
    server = await startTestServer();
    const a = await server.raw();
    const b = await server.raw();
    const c = await server.raw();
    const idB = (await b.call('CLIENT', 'ID')) as number;
    expect(await a.call('CLIENT', 'KILL', 'ID', String(idB))).toBe(1);
    await waitFor(() => b.closed);
    const info = (await c.call('CLIENT', 'INFO')) as string;
    const addrC = /addr=(\S+)/.exec(info)![1]!;
    expect(await a.call('CLIENT', 'KILL', addrC)).toBe('OK');
    await waitFor(() => c.closed);
    expect(await a.call('CLIENT', 'KILL', addrC)).toEqual({ error: 'ERR No such client' });
    // The new form skips the caller unless told not to.
    const idA = String(await a.call('CLIENT', 'ID'));
    expect(await a.call('CLIENT', 'KILL', 'ID', idA)).toBe(0);
    expect(await a.call('CLIENT', 'KILL', 'ID', idA, 'SKIPME', 'no')).toBe(1);
    await waitFor(() => a.closed);
  });

  it('CLIENT LIST and INFO describe the connections', async () => {
    server = await startTestServer();
    const a = await server.raw();
    const b = await server.raw();
    await b.call('CLIENT', 'SETNAME', 'worker-1');
    await b.call('SELECT', '4');
    const list = (await a.call('CLIENT', 'LIST')) as string;
    const lines = list.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/ name=worker-1 .* db=4 .* cmd=select user=default redir=-1 resp=2$/);
    expect(lines[0]).toMatch(/ cmd=client\|list /);
    const idB = String(await b.call('CLIENT', 'ID'));
    expect(await a.call('CLIENT', 'LIST', 'ID', idB, '99999')).toBe(lines[1]!.replace('cmd=select', 'cmd=client|id') + '\n');
    expect(await a.call('CLIENT', 'LIST', 'TYPE', 'normal')).toMatch(/^id=/);
    expect(await a.call('CLIENT', 'LIST', 'TYPE', 'replica')).toBe('');
  });

  it('CLIENT LIST and KILL see subscribed clients as TYPE pubsub', async () => {
    server = await startTestServer();
    const admin = await server.raw();
    const subscriber = await server.raw();
    await subscriber.call('SUBSCRIBE', 'news');
    const pubsubList = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    expect(pubsubList.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(await admin.call('CLIENT', 'KILL', 'TYPE', 'normal')).toBe(0);
    expect(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBe(1);
    await waitFor(() => subscriber.closed);
  });

  it('CLIENT PAUSE WRITE holds writes until UNPAUSE, and lets other clients read', async () => {
    server = await startTestServer();
    const admin = server.client();
    const writer = server.client();
    await writer.set('k', 'before');
    expect(await admin.client('PAUSE', '100000', 'WRITE')).toBe('OK');
    let written = false;
    const write = writer.set('k', 'after').then((r) => {
      written = true;
      return r;
    });
    // Another client still reads; the writer itself waits behind its postponed write, as in Redis.
    const reader = server.client();
    expect(await reader.get('k')).toBe('before');
    expect(written).toBe(false);
    expect(await admin.client('UNPAUSE')).toBe('OK');
    expect(await write).toBe('OK');
    expect(await writer.get('k')).toBe('after');
  });

  it('CLIENT PAUSE ALL holds every command of other clients until UNPAUSE', async () => {
    server = await startTestServer();
    const admin = await server.raw();
    const other = server.client();
    await other.ping();
    expect(await admin.call('CLIENT', 'PAUSE', '100000')).toBe('OK');
    let answered = false;
    const ping = other.ping().then((r) => {
      answered = true;
      return r;
    });
    // The admin connection itself is paused as well; ask the server directly.
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    server.running.server.unpauseClients();
    expect(await ping).toBe('PONG');
  });

  it('CLIENT REPLY OFF and SKIP drop replies', async () => {
    server = await startTestServer();
    const raw = await server.raw();
    raw.write('CLIENT REPLY SKIP\r\nSET a 1\r\nCLIENT REPLY OFF\r\nSET b 2\r\nGET a\r\nCLIENT REPLY ON\r\nGET b\r\n');
    expect(await raw.readRaw()).toBe('+OK\r\n');
    expect(await raw.readRaw()).toBe('$1\r\n2\r\n');
  });

  it('QUIT answers OK and closes', async () => {
    server = await startTestServer();
    const raw = await server.raw();
    expect(await raw.call('QUIT')).toBe('OK');
    await waitFor(() => raw.closed);
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}
