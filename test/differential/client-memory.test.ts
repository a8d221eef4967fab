import { afterAll, describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

type Fields = Record<string, string>;

/** CLIENT LIST as one record of fields per client name. */
async function clientList(observer: RawClient): Promise<Map<string, Fields>> {
  const reply = (await observer.call('CLIENT', 'LIST')) as string;
  const byName = new Map<string, Fields>();
  for (const line of reply.split('\n')) {
    if (line === '') continue;
    const fields: Fields = {};
    for (const pair of line.split(' ')) {
      const eq = pair.indexOf('=');
      fields[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    byName.set(fields.name as string, fields);
  }
  return byName;
}

const num = (fields: Fields | undefined, name: string): number => Number(fields?.[name]);

/** The memory fields of one client that do not depend on the allocator, and the shape of those that do. */
function shape(fields: Fields | undefined): Record<string, number | boolean> {
  const qbuf = num(fields, 'qbuf');
  const free = num(fields, 'qbuf-free');
  const argv = num(fields, 'argv-mem');
  const multi = num(fields, 'multi-mem');
  const total = num(fields, 'tot-mem');
  return {
    qbuf,
    argvMem: argv,
    multiMem: multi,
    hasFreeRoom: free > 0,
    // tot-mem counts at least the query buffer's capacity, the arguments and the transaction.
    totalCoversParts: total >= qbuf + free + argv + multi + num(fields, 'omem'),
  };
}

interface Setup {
  observer: RawClient;
  clients: RawClient[];
}

/** Clients in the states a monitoring tool sees: idle, mid-command, mid big argument, blocked, in MULTI. */
async function setUp(port: number): Promise<Setup> {
  const named = async (name: string): Promise<RawClient> => {
    const c = await RawClient.connect(port);
    expect(await c.call('CLIENT', 'SETNAME', name)).toBe('OK');
    return c;
  };
  const idle = await named('idle');
  const partial = await named('partial');
  partial.write('*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nab');
  const big = await named('big');
  big.write('*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$100000\r\n' + 'x'.repeat(40_000));
  const blocked = await named('blocked');
  blocked.send('BLPOP', 'nolist', '0');
  const multi = await named('multi');
  for (const argv of [['WATCH', 'q'], ['MULTI'], ['SET', 'aaaa', 'bbbbbbbb'], ['GET', 'aaaa']]) await multi.call(...argv);
  const observer = await RawClient.connect(port);
  // Wait until the server has read everything sent.
  for (let i = 0; i < 100; i++) {
    const list = await clientList(observer);
    if (num(list.get('big'), 'qbuf') === 40_000 && list.get('blocked')?.flags === 'b' && num(list.get('partial'), 'qbuf') === 2) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { observer, clients: [idle, partial, big, blocked, multi] };
}

/** Waits (up to 10 s) until the query buffers of all `names` were trimmed by the server's cron. */
async function untilTrimmed(observer: RawClient, names: string[]): Promise<Map<string, Fields>> {
  for (let i = 0; ; i++) {
    const list = await clientList(observer);
    if (names.every((n) => num(list.get(n), 'qbuf-free') === 0) || i === 100) return list;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!hasOracle)('differential: CLIENT LIST query buffer and memory figures', () => {
  const servers = differentialPair();
  const setups: Setup[] = [];
  afterAll(() => {
    for (const s of setups) for (const c of [s.observer, ...s.clients]) c.close();
  });

  it('have the same shape as Redis for idle, partial, blocked and transaction clients, before and after the idle trim', async () => {
    const [nodis, redis] = await Promise.all([setUp(servers.nodis.port), setUp(servers.redis.port)]);
    setups.push(nodis, redis);
    const names = ['idle', 'partial', 'big', 'blocked', 'multi'];
    const snapshot = (list: Map<string, Fields>) => Object.fromEntries(names.map((n) => [n, shape(list.get(n))]));

    const [nodisBefore, redisBefore] = await Promise.all([clientList(nodis.observer), clientList(redis.observer)]);
    expect(snapshot(nodisBefore)).toEqual(snapshot(redisBefore));
    // What the comparison above checks, spelled out on Redis's figures.
    expect(snapshot(redisBefore)).toMatchObject({
      idle: { qbuf: 0, argvMem: 0, hasFreeRoom: true },
      partial: { qbuf: 2, argvMem: 4, hasFreeRoom: true },
      big: { qbuf: 40_000, argvMem: 4, hasFreeRoom: true },
      blocked: { qbuf: 0, argvMem: 'BLPOPnolist0'.length },
      multi: { argvMem: 0, multiMem: 62 },
    });

    // A client describing itself holds the command it runs.
    const self = (reply: unknown) => {
      const text = reply as string;
      return { qbuf: Number(/qbuf=(\d+)/.exec(text)?.[1]), argvMem: Number(/argv-mem=(\d+)/.exec(text)?.[1]), free: /qbuf-free=0 /.test(text) };
    };
    const [nodisSelf, redisSelf] = await Promise.all([nodis.observer.call('CLIENT', 'INFO'), redis.observer.call('CLIENT', 'INFO')]);
    expect(self(nodisSelf)).toEqual(self(redisSelf));
    expect(self(redisSelf)).toEqual({ qbuf: '*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n'.length, argvMem: 10, free: false });

    // After more than 2 idle seconds the cron trims query buffers to what they hold.
    const [nodisAfter, redisAfter] = await Promise.all([untilTrimmed(nodis.observer, names), untilTrimmed(redis.observer, names)]);
    expect(snapshot(nodisAfter)).toEqual(snapshot(redisAfter));
    expect(snapshot(redisAfter)).toMatchObject({
      idle: { qbuf: 0, hasFreeRoom: false },
      partial: { qbuf: 2, argvMem: 4, hasFreeRoom: false },
      big: { qbuf: 40_000, hasFreeRoom: false },
      blocked: { hasFreeRoom: false },
      multi: { hasFreeRoom: false },
    });
    for (const [before, after] of [
      [nodisBefore, nodisAfter],
      [redisBefore, redisAfter],
    ] as const) {
      expect(num(after.get('idle'), 'tot-mem')).toBeLessThan(num(before.get('idle'), 'tot-mem'));
    }

    // The next read gives the buffer room again.
    const idleAgain = async (s: Setup) => {
      await (s.clients[0] as RawClient).call('PING');
      return shape((await clientList(s.observer)).get('idle'));
    };
    const [nodisAgain, redisAgain] = await Promise.all([idleAgain(nodis), idleAgain(redis)]);
    expect(nodisAgain).toEqual(redisAgain);
    expect(redisAgain).toMatchObject({ qbuf: 0, hasFreeRoom: true });
  });

  it('INFO client_recent_max_input_buffer and client_recent_max_output_buffer show the largest buffers of the last seconds', async () => {
    const recent = async (port: number) => {
      const observer = await RawClient.connect(port);
      const sender = await RawClient.connect(port);
      const reader = await RawClient.connect(port);
      const field = async (name: string): Promise<number> => {
        const info = (await observer.call('INFO', 'clients')) as string;
        return Number(new RegExp(`^${name}:(\\d+)\r$`, 'm').exec(info)?.[1]);
      };
      const until = async (name: string, min: number): Promise<number> => {
        for (const deadline = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 50))) {
          const n = await field(name);
          if (n > min || Date.now() >= deadline) return n;
        }
      };
      try {
        // A 1 MB argument announced: Redis sizes the query buffer for it at once.
        sender.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\n' + 'x'.repeat(1000));
        const input = await until('client_recent_max_input_buffer', 1_000_000);
        await observer.call('SET', 'big', 'x'.repeat(200_000));
        reader.pause();
        for (let i = 0; i < 200; i++) reader.send('GET', 'big');
        // 40 MB of replies, of which the sockets take some MB.
        const output = await until('client_recent_max_output_buffer', 20_000_000);
        return { input, outputOver20MB: output > 20_000_000 };
      } finally {
        for (const c of [observer, sender, reader]) c.close();
      }
    };
    const [mine, theirs] = await Promise.all([recent(servers.nodis.port), recent(servers.redis.port)]);
    expect(mine).toEqual(theirs);
    // The query buffer's allocation (1 MB in jemalloc's class), "SETk" and the argument array.
    expect(theirs).toEqual({ input: 1_048_576 + 4 + 32, outputOver20MB: true });
  }, 60_000);

  it('a client describing itself inside EXEC is still in its transaction, running EXEC', async () => {
    const inside = async (port: number): Promise<Record<string, string>[]> => {
      const c = await RawClient.connect(port);
      try {
        for (const argv of [['MULTI'], ['CLIENT', 'INFO'], ['SET', 'k', 'v'], ['CLIENT', 'LIST', 'ID', '0'], ['CLIENT', 'INFO']]) await c.call(...argv);
        const replies = (await c.call('EXEC')) as unknown[];
        const after = (await c.call('CLIENT', 'INFO')) as string;
        const pick = (line: string): Record<string, string> => {
          const fields = Object.fromEntries(line.trim().split(' ').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
          return { flags: fields.flags as string, multi: fields.multi as string, argvMem: fields['argv-mem'] as string, multiMem: fields['multi-mem'] as string, cmd: fields.cmd as string };
        };
        return [pick(replies[0] as string), pick(replies[3] as string), pick(after)];
      } finally {
        c.close();
      }
    };
    const [nodisFields, redisFields] = await Promise.all([inside(servers.nodis.port), inside(servers.redis.port)]);
    expect(nodisFields).toEqual(redisFields);
    expect(redisFields[0]).toMatchObject({ flags: 'x', multi: '4', argvMem: '4', cmd: 'exec' });
    expect(redisFields[2]).toMatchObject({ flags: 'N', multi: '-1', multiMem: '0', cmd: 'client|info' });
  });

  it("an idle client's reply buffer shrinks to 1 KB and its whole figure to Redis's", async () => {
    const settle = async (port: number): Promise<Fields | undefined> => {
      const idle = await RawClient.connect(port);
      const observer = await RawClient.connect(port);
      try {
        expect(await idle.call('CLIENT', 'SETNAME', 'settling')).toBe('OK');
        // The cron resizes the reply buffer to its recent peak (forgotten every 5 s) and trims
        // the query buffer of a client idle for 2 s.
        for (const deadline = Date.now() + 20_000; ; ) {
          const fields = (await clientList(observer)).get('settling');
          if ((fields?.rbs === '1024' && fields.rbp === '0' && fields['qbuf-free'] === '0') || Date.now() >= deadline) return fields;
          await new Promise((r) => setTimeout(r, 200));
        }
      } finally {
        idle.close();
        observer.close();
      }
    };
    const [mine, theirs] = await Promise.all([settle(servers.nodis.port), settle(servers.redis.port)]);
    const memory = (f: Fields | undefined) => ({ rbs: f?.rbs, rbp: f?.rbp, qbufFree: f?.['qbuf-free'], totMem: f?.['tot-mem'] });
    expect(memory(mine)).toEqual(memory(theirs));
    expect(memory(theirs)).toEqual({ rbs: '1024', rbp: '0', qbufFree: '0', totMem: '1800' });
  }, 30_000);

  it('output a client does not read waits in the reply buffer (obl, up to 16 KB) and then in reply blocks (oll, omem), as in Redis', async () => {
    const waiting = async (port: number) => {
      const observer = await RawClient.connect(port);
      const reader = await RawClient.connect(port);
      try {
        await reader.call('CLIENT', 'SETNAME', 'reader');
        await observer.call('SET', 'big', 'x'.repeat(200_000));
        reader.pause();
        for (let i = 0; i < 100; i++) reader.send('GET', 'big');
        // 20 MB of replies, of which the sockets take a few MB: the rest waits in the server.
        // Until all were run and the socket is full: the figures stop changing.
        let fields: Fields | undefined;
        let previous = -1;
        for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
          fields = (await clientList(observer)).get('reader');
          const omem = num(fields, 'omem');
          if (omem > 5_000_000 && omem === previous && fields?.cmd === 'get') break;
          previous = omem;
        }
        const info = (await observer.call('INFO', 'memory')) as string;
        const clientsMemory = Number(/^mem_clients_normal:(\d+)\r$/m.exec(info)?.[1]);
        const [obl, oll, omem, rbs, total] = ['obl', 'oll', 'omem', 'rbs', 'tot-mem'].map((name) => num(fields, name)) as [number, number, number, number, number];
        const waitingShape = {
          bufferWithinItsSize: obl <= rbs && rbs <= 16384,
          blocks: oll > 0,
          // Blocks of 16 KB at least, each with its list node and header.
          memoryCoversBlocks: omem >= oll * (16384 + 40),
          totalCoversOutput: total >= omem + rbs,
          clientsCoverTotal: clientsMemory >= total,
          events: fields?.events,
        };
        // Once read, nothing waits any more.
        reader.resume();
        for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
          fields = (await clientList(observer)).get('reader');
          if (num(fields, 'omem') === 0 && num(fields, 'obl') === 0) break;
        }
        return { waitingShape, after: { obl: fields?.obl, oll: fields?.oll, omem: fields?.omem, events: fields?.events } };
      } finally {
        for (const c of [observer, reader]) c.close();
      }
    };
    const [mine, theirs] = await Promise.all([waiting(servers.nodis.port), waiting(servers.redis.port)]);
    expect(mine).toEqual(theirs);
    expect(theirs).toEqual({
      waitingShape: { bufferWithinItsSize: true, blocks: true, memoryCoversBlocks: true, totalCoversOutput: true, clientsCoverTotal: true, events: 'rw' },
      after: { obl: '0', oll: '0', omem: '0', events: 'r' },
    });
  }, 60_000);
});
