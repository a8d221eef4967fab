import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, mismatches } from '../helpers/differential.js';
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
  // Redis prints names and arguments with %s in its errors: they stop at a 0 byte.
  ['0 byte in an unknown command', '*3\r\n$4\r\nPI\x00G\r\n$3\r\na\x00b\r\n$2\r\ncd\r\n'],
  ['0 byte in an unknown subcommand', '*2\r\n$6\r\nCLIENT\r\n$3\r\nx\x00y\r\n'],
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

/** One step of a conversation on a raw connection. */
type Move = { send: string } | { wait: number } | { end: true } | { pause: number } | { mark: true };

interface Conversation {
  /** Everything the server sent. */
  output: string;
  /** The server shut its side (FIN). */
  ended: boolean;
  /** The server closed the connection outright: what we went on sending was refused (RST). */
  refused: boolean;
  /** The output received by each `mark` move. */
  marks: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `moves` on a connection whose own side stays open when the server shuts its side, then
 * keeps sending PINGs for a while: a server that closed the connection refuses them (the socket
 * errors), a server that only shut its side or ignores the client reads them silently.
 * `pause` moves run CLIENT PAUSE from a second connection.
 */
async function converse(port: number, moves: Move[]): Promise<Conversation> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const chunks: Buffer[] = [];
  let ended = false;
  let refused = false;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('end', () => (ended = true));
  socket.on('error', () => (refused = true));
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let endedOurSide = false;
  const marks: string[] = [];
  for (const move of moves) {
    if ('send' in move) socket.write(Buffer.from(move.send, 'latin1'));
    else if ('mark' in move) marks.push(Buffer.concat(chunks).toString('latin1') + (ended ? '<end>' : '') + (refused ? '<refused>' : ''));
    else if ('wait' in move) await sleep(move.wait);
    else if ('pause' in move) {
      const admin = await RawClient.connect(port);
      await admin.callRaw('CLIENT', 'PAUSE', String(move.pause));
      admin.close();
    } else {
      socket.end();
      endedOurSide = true;
    }
  }
  await sleep(200);
  for (let i = 0; i < 8 && !refused && !endedOurSide; i++) {
    socket.write('PING\r\n');
    await sleep(50);
  }
  socket.destroy();
  return { output: Buffer.concat(chunks).toString('latin1'), ended, refused, marks };
}

const BIG = 70 * 1024;

/** Every protocol error the parser knows, each followed by commands that must not run. */
const PROTOCOL_ERRORS: Array<[string, string]> = [
  ['invalid multibulk length', '*abc\r\nPING\r\n'],
  ['multibulk count past INT_MAX', '*2147483648\r\nPING\r\n'],
  ['multibulk count below LLONG_MIN', '*-9999999999999999999\r\nPING\r\n'],
  ['too big mbulk count string', '*' + '1'.repeat(BIG)],
  ["expected '$'", '*2\r\n$4\r\nECHO\r\n:12\r\nPING\r\n'],
  ["expected '$', got CR", '*1\r\n\r\r\nPING\r\n'],
  ['invalid bulk length', '*1\r\n$-3\r\nPING\r\n'],
  ['bulk length past proto-max-bulk-len', '*1\r\n$999999999999\r\nPING\r\n'],
  ['too big bulk count string', '*1\r\n$' + '1'.repeat(BIG)],
  ['too big inline request', 'PING ' + 'x'.repeat(BIG)],
  ['unbalanced quotes', 'ECHO "abc\r\nPING\r\n'],
  ['quote not followed by a space', "ECHO 'a'b\r\nPING\r\n"],
  ['0 byte in an inline request, then past 64 KB', '\x00PING\r\nPING\r\n' + 'x'.repeat(BIG)],
  ['0 byte in a bulk count, then past 64 KB', '*1\r\n$4\x00\r\nPING\r\n' + 'x'.repeat(BIG)],
  ['0 byte in a multibulk count, then past 64 KB', '*1\x00\r\n$4\r\nPING\r\n' + 'x'.repeat(BIG)],
  ['error after good commands in the same read', 'PING\r\nECHO x\r\n*1\r\n$x\r\nPING\r\n'],
];

describe.skipIf(!hasOracle)('differential: a protocol error closes the connection', () => {
  const servers = differentialPair();

  const same = async (moves: Move[]): Promise<Conversation> => {
    const [a, b] = await Promise.all([converse(servers.nodis.port, moves), converse(servers.redis.port, moves)]);
    expect(a).toEqual(b);
    return b;
  };

  for (const [name, input] of PROTOCOL_ERRORS) {
    it(name, async () => {
      const redis = await same([{ send: input }]);
      expect(redis.output).toMatch(/-ERR Protocol error: [^\r]*\r\n$/);
      expect(redis.refused).toBe(true);
    });
  }

  it('bytes arriving after the error are not read', async () => {
    const redis = await same([{ send: '*1\r\n$x\r\n' }, { wait: 100 }, { send: 'PING\r\n' }, { wait: 100 }, { send: 'ECHO a\r\n' }]);
    expect(redis.refused).toBe(true);
  });

  it('a 0 byte before the line end makes a request wait, not fail', async () => {
    for (const input of ['\x00PING\r\nPING\r\n', 'PING\x00\r\n', '*1\r\n\x00\r\n', '*1\r\n$4\x00\r\nPING\r\n']) {
      const redis = await same([{ send: input }]);
      expect(redis).toEqual({ output: '', ended: false, refused: false, marks: [] });
    }
  });

  it('a 0 byte inside a bulk argument is data', async () => {
    await same([{ send: '*2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\n' }]);
  });

  it('CLIENT REPLY OFF: no error is sent and, with nothing to write, the connection stays open, deaf', async () => {
    const redis = await same([{ send: 'CLIENT REPLY OFF\r\n*abc\r\n' }, { wait: 100 }, { send: 'CLIENT REPLY ON\r\n' }]);
    expect(redis).toEqual({ output: '', ended: false, refused: false, marks: [] });
  });

  it('the deaf connection shows flag c and keeps its unread input in CLIENT LIST', async () => {
    const inspect = async (port: number) => {
      const deaf = await RawClient.connect(port);
      deaf.write('CLIENT REPLY OFF\r\nCLIENT SETNAME deaf\r\n*abc\r\n');
      const observer = await RawClient.connect(port);
      const line = async () => {
        for (let i = 0; i < 50; i++) {
          const found = ((await observer.call('CLIENT', 'LIST')) as string).split('\n').find((l) => l.includes(' name=deaf '));
          if (found !== undefined) return /flags=(\S+) .* qbuf=(\d+) /.exec(found)?.slice(1);
          await sleep(20);
        }
        return undefined;
      };
      const first = await line();
      deaf.write('PING\r\n');
      await sleep(100);
      const second = await line();
      deaf.close();
      observer.close();
      return [first, second];
    };
    const [a, b] = await Promise.all([inspect(servers.nodis.port), inspect(servers.redis.port)]);
    expect(a).toEqual(b);
    expect(b).toEqual([
      ['c', '6'],
      ['c', '12'],
    ]);
  });

  it('CLIENT REPLY SKIP: the error is the skipped reply', async () => {
    const redis = await same([{ send: 'CLIENT REPLY SKIP\r\n*1\r\n$x\r\n' }, { wait: 100 }, { send: 'PING\r\n' }]);
    expect(redis.output).toBe('');
  });

  it('CLIENT REPLY OFF with replies still to write: they are written, then the connection closes', async () => {
    const redis = await same([{ send: 'PING\r\nCLIENT REPLY OFF\r\n*abc\r\nPING\r\n' }]);
    expect(redis.output).toBe('+PONG\r\n');
    expect(redis.refused).toBe(true);
  });

  it('QUIT under CLIENT REPLY OFF leaves the connection open, as Redis does', async () => {
    await same([{ send: 'CLIENT REPLY OFF\r\nQUIT\r\n' }]);
  });

  it('the error arrives while the client is blocked: it is answered once the client is served', async () => {
    const redis = await same([{ send: 'BLPOP nolist 0.3\r\n*1\r\n$x\r\nPING\r\n' }, { wait: 600 }]);
    expect(redis.output).toBe('*-1\r\n-ERR Protocol error: invalid bulk length\r\n');
  });

  it('the error arrives while clients are paused: answered at once, and the connection closes', async () => {
    const redis = await same([{ pause: 500 }, { send: '*abc\r\nPING\r\n' }]);
    expect(redis.output).toBe('-ERR Protocol error: invalid multibulk length\r\n');
  });

  it('while clients are paused, unknown commands are refused at once and the rest waits', async () => {
    const redis = await same([{ pause: 600 }, { send: 'NOSUCH\r\nGET\r\nPING\r\n' }, { wait: 200 }, { mark: true }, { wait: 600 }]);
    expect(redis.marks[0]).toMatch(/^-ERR unknown command 'NOSUCH'.*\r\n-ERR wrong number of arguments for 'get' command\r\n$/);
    expect(redis.output.endsWith('+PONG\r\n')).toBe(true);
  });

  it('the client shuts its side right after the bad bytes', async () => {
    const redis = await same([{ send: 'PING\r\n*1\r\n$x\r\n' }, { end: true }, { wait: 200 }]);
    expect(redis.output).toBe('+PONG\r\n-ERR Protocol error: invalid bulk length\r\n');
  });

  it('a big request split over many reads, then a bad bulk length', async () => {
    const value = 'v'.repeat(100_000);
    await same([
      { send: `*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${value.length}\r\n${value.slice(0, 30_000)}` },
      { wait: 50 },
      { send: `${value.slice(30_000)}\r\n*1\r\n$-1\r\nPING\r\n` },
    ]);
  });

  it('protocol errors are counted in INFO errorstats', async () => {
    await servers.same([['CONFIG', 'RESETSTAT']]);
    await same([{ send: '*abc\r\n' }]);
    await servers.same([['INFO', 'errorstats']]);
  });
});

describe.skipIf(!hasOracle)('differential: protocol errors of a client that must authenticate', () => {
  const servers = differentialPair({ nodis: { requirepass: 'pw' }, redis: ['--requirepass', 'pw'] });

  for (const [name, input] of [
    ['unauthenticated multibulk length', '*11\r\nPING\r\n'],
    ['unauthenticated bulk length', '*2\r\n$4\r\nECHO\r\n$16385\r\n'],
  ]) {
    it(name as string, async () => {
      const [a, b] = await Promise.all([converse(servers.nodis.port, [{ send: input as string }]), converse(servers.redis.port, [{ send: input as string }])]);
      expect(a).toEqual(b);
      expect(b.refused).toBe(true);
    });
  }
});

describe.skipIf(!hasOracle)('differential: cross protocol scripting (POST, Host:)', () => {
  const servers = differentialPair();

  const same = async (moves: Move[]): Promise<Conversation> => {
    const [a, b] = await Promise.all([converse(servers.nodis.port, moves), converse(servers.redis.port, moves)]);
    expect(a).toEqual(b);
    return b;
  };

  const REQUESTS: Array<[string, string]> = [
    ['a browser POST', 'POST / HTTP/1.1\r\nHost: example\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nSET owned yes\r\n'],
    ['a Host: header first', 'Host: example\r\nSET owned yes\r\n'],
    ['post in lower case', 'post /\r\nSET owned yes\r\n'],
    ['host: as a multibulk command, any case', '*2\r\n$5\r\nhOsT:\r\n$7\r\nexample\r\n*3\r\n$3\r\nSET\r\n$5\r\nowned\r\n$3\r\nyes\r\n'],
    ['replies of the same read are dropped', 'PING\r\nECHO a\r\nPOST / HTTP/1.1\r\n'],
  ];

  for (const [name, input] of REQUESTS) {
    it(name, async () => {
      const redis = await same([{ send: input }]);
      expect(redis.output).toBe('');
      expect(redis.refused).toBe(true);
    });
  }

  it('nothing after the request ran', async () => {
    await servers.same([['EXISTS', 'owned']]);
  });

  it('replies written before stay written', async () => {
    const redis = await same([{ send: 'PING\r\n' }, { wait: 100 }, { send: 'POST / HTTP/1.1\r\n' }]);
    expect(redis.output).toBe('+PONG\r\n');
  });

  it('inside MULTI', async () => {
    await same([{ send: 'MULTI\r\n' }, { wait: 100 }, { send: 'SET owned yes\r\npost\r\nEXEC\r\n' }]);
  });

  it('while clients are paused: dropped at once', async () => {
    const redis = await same([{ pause: 800 }, { send: 'POST / HTTP/1.1\r\n' }, { wait: 200 }, { mark: true }]);
    expect(redis.marks[0]).toBe('<end>');
  });

  it('only as the command name', async () => {
    await same([{ send: 'ECHO POST\r\nECHO Host:\r\nPOSTS\r\nHost:x\r\nQUIT\r\n' }]);
  });

  it('POST and Host: are not commands of the table', async () => {
    await servers.same([
      ['COMMAND', 'INFO', 'post', 'host:'],
      ['COMMAND', 'DOCS', 'post'],
    ]);
  });
});

describe.skipIf(!hasOracle)('differential: DEBUG PROTOCOL, a sample reply of each RESP type', () => {
  const servers = differentialPair({ redis: ['--enable-debug-command', 'yes'] });
  const types = ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'attrib', 'push', 'verbatim', 'true', 'false', 'nope', 'MAP'];

  it('in RESP2, then in RESP3 (attributes and pushes before a real reply)', async () => {
    const steps = [
      ...types.map((type) => ['DEBUG', 'PROTOCOL', type]),
      ['DEBUG', 'PROTOCOL'],
      ['DEBUG', 'PROTOCOL', 'map', 'x'],
      ['HELLO', '3', 'SETNAME', 'x'],
      ...types.map((type) => ['DEBUG', 'PROTOCOL', type]),
      // A push is a reply of its own to this reader: the real reply after it is read by the
      // next step, and this one reads what the last step answered.
      ['PING'],
    ];
    const results = await servers.run(steps, (raw) => raw.replace(/(\$2\r\nid\r\n:)\d+/, '$1?'));
    expect(mismatches(results)).toEqual([]);
  });
});
