import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';

const hasOracle = oracleAvailable();

/** Client ids, addresses and ages legitimately differ between the two servers. */
function mask(raw: string): string {
  return raw
    .replace(/(\$2\r\nid\r\n):\d+/g, '$1:<id>')
    .replace(/^:\d+\r\n$/, (m) => (m === ':0\r\n' || m === ':1\r\n' ? m : ':<n>\r\n'));
}

describe.skipIf(!hasOracle)('differential: connection commands', () => {
  const servers = differentialPair();

  async function expectSame(steps: Step[]): Promise<void> {
    await servers.same(steps, mask);
  }

  it('PING and ECHO', async () => {
    await expectSame([
      ['PING'], ['ping', 'a\x00\xff\r\n'], ['PING', 'a', 'b'], ['ECHO'], ['ECHO', 'x', 'y'], ['echo', 'bin\x00\xfe'], ['ECHO', ''],
    ]);
  });

  it('SELECT', async () => {
    await expectSame([
      ['SELECT', '15'], ['SET', 'k', 'v15'], ['SELECT', '0'], ['GET', 'k'], ['SELECT', '15'], ['GET', 'k'],
      ['SELECT', '16'], ['SELECT', '-1'], ['SELECT', 'abc'], ['SELECT', '1.5'], ['SELECT', '99999999999'],
      ['SELECT', '99999999999999999999'], ['SELECT', ''], ['SELECT'], ['SELECT', '1', '2'], ['SET', 'k', ''], ['SELECT', '0'],
    ]);
  });

  it('AUTH without requirepass', async () => {
    await expectSame([
      ['AUTH', 'x'], ['AUTH', 'default', 'anything'], ['AUTH', 'nobody', 'x'], ['AUTH', 'a', 'b', 'c'], ['AUTH'],
    ]);
  });

  it('HELLO replies and errors', async () => {
    await expectSame([
      ['HELLO'], ['HELLO', '2'], ['HELLO', '4'], ['HELLO', '1'], ['HELLO', 'abc'], ['HELLO', '3.0'],
      ['HELLO', '2', 'foo'], ['HELLO', '2', 'AUTH', 'default'], ['HELLO', '2', 'auth', 'default', 'pw'],
      ['HELLO', '2', 'AUTH', 'bob', 'pw'], ['HELLO', '2', 'SETNAME', 'a b'], ['HELLO', '2', 'SETNAME', 'conn1'],
      ['CLIENT', 'GETNAME'], ['HELLO', '2', 'SETNAME'], ['HELLO', '3'], ['CLIENT', 'GETNAME'], ['GET', 'nokey'],
      ['HELLO', '3', 'SETNAME', ''], ['CLIENT', 'GETNAME'], ['HELLO', '2'],
    ]);
  });

  it('RESET', async () => {
    await expectSame([
      ['SELECT', '3'], ['CLIENT', 'SETNAME', 'x'], ['HELLO', '3'], ['RESET'], ['CLIENT', 'GETNAME'], ['GET', 'nokey'],
      ['RESET', 'x'], { raw: 'CLIENT REPLY OFF\r\nPING\r\nRESET\r\n' }, ['PING'],
    ]);
  });

  it('CLIENT errors', async () => {
    await expectSame([
      ['CLIENT'], ['CLIENT', 'nosuch'], ['CLIENT', 'GETNAME', 'x'], ['CLIENT', 'SETNAME', 'a b'], ['CLIENT', 'SETNAME', 'a\nb'],
      ['CLIENT', 'SETNAME', 'caf\xe9'], ['CLIENT', 'SETNAME', 'ok-name'], ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', ''],
      ['CLIENT', 'GETNAME'], ['CLIENT', 'KILL', '1.2.3.4:5'], ['CLIENT', 'KILL', 'id', '0'], ['CLIENT', 'KILL', 'id', 'abc'],
      ['CLIENT', 'KILL', 'id', '-3'], ['CLIENT', 'KILL', 'type', 'foo'], ['CLIENT', 'KILL', 'user', 'bob'],
      ['CLIENT', 'KILL', 'skipme', 'maybe'], ['CLIENT', 'KILL', 'foo', 'bar'], ['CLIENT', 'KILL', 'id', '5', 'skipme'],
      ['CLIENT', 'KILL', 'addr', '1.2.3.4:5'], ['CLIENT', 'KILL', 'laddr', '1.2.3.4:5', 'type', 'pubsub'],
      ['CLIENT', 'KILL', 'type', 'master'], ['CLIENT', 'KILL', 'id', '999999', 'skipme', 'no'], ['CLIENT', 'KILL', 'user', 'default', 'skipme', 'yes', 'type', 'replica'],
      ['CLIENT', 'PAUSE'], ['CLIENT', 'PAUSE', 'abc'], ['CLIENT', 'PAUSE', '-1'], ['CLIENT', 'PAUSE', '10', 'foo'],
      ['CLIENT', 'PAUSE', 'abc', 'foo'], ['CLIENT', 'PAUSE', '10', 'all', 'extra'], ['CLIENT', 'UNPAUSE', 'x'],
      ['CLIENT', 'UNBLOCK', 'abc'], ['CLIENT', 'UNBLOCK', '5', 'foo'], ['CLIENT', 'UNBLOCK', '5', 'timeout', 'x'],
      ['CLIENT', 'UNBLOCK', 'abc', 'foo'], ['CLIENT', 'UNBLOCK', '999999'], ['CLIENT', 'UNBLOCK', '999999', 'ERROR'],
      ['CLIENT', 'REPLY', 'foo'], ['CLIENT', 'REPLY', 'on'], ['CLIENT', 'NO-EVICT', 'foo'], ['CLIENT', 'NO-EVICT', 'on'],
      ['CLIENT', 'NO-EVICT', 'OFF'], ['CLIENT', 'LIST', 'type', 'foo'], ['CLIENT', 'LIST', 'id', 'abc'], ['CLIENT', 'LIST', 'foo'],
      ['CLIENT', 'LIST', 'id', '1', 'abc'], ['CLIENT', 'LIST', 'type', 'master'], ['CLIENT', 'LIST', 'type', 'pubsub'],
      ['CLIENT', 'LIST', 'id', '999999'], ['CLIENT', 'LIST', 'type', 'normal', 'x'], ['CLIENT', 'CACHING', 'yes'],
      ['CLIENT', 'GETREDIR'], ['CLIENT', 'TRACKINGINFO'], ['CLIENT', 'HELP'], ['CLIENT', 'help', 'x'],
      ['CLIENT', 'ID', 'x'], ['CLIENT', 'INFO', 'x'],
    ]);
  });

  it('CLIENT REPLY OFF and SKIP', async () => {
    // Pipelined so that the replies left out do not leave the client waiting.
    await expectSame([
      { raw: 'CLIENT REPLY SKIP\r\nSET rk 1\r\nGET rk\r\n' },
      { raw: 'CLIENT REPLY OFF\r\nGET rk\r\nCLIENT REPLY SKIP\r\nNOSUCH\r\nCLIENT REPLY ON\r\n' },
      ['GET', 'rk'],
      { raw: 'CLIENT REPLY SKIP\r\nCLIENT REPLY SKIP\r\nGET rk\r\nSET rk 2\r\n' },
      { raw: 'CLIENT REPLY SKIP\r\nCLIENT REPLY OFF\r\nGET rk\r\nCLIENT REPLY ON\r\n' },
    ]);
  });

  it('CLIENT INFO has the fields of Redis 7.0, in order', async () => {
    const [result] = await servers.run([['CLIENT', 'INFO']]);
    const fields = (raw: string) => raw.split('\r\n')[1]!.trim().split(' ').map((kv) => kv.split('=')[0]);
    expect(fields(result!.nodis)).toEqual(fields(result!.redis));
  });
});
