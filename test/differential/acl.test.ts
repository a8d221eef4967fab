import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oracleAvailable, startOracle, type Oracle } from '../helpers/oracle.js';
import { differentialPair, mismatches, runBoth, type Step } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';
import { ClientPair } from '../helpers/pair.js';
import { decode, type RespValue } from '../helpers/resp.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const hasOracle = oracleAvailable();

/**
 * Single-command rules (+get -set) follow the order of Redis's command hash table, which is
 * seeded at random: they are compared sorted, each parenthesized selector on its own. The
 * categories and everything else keep their order.
 */
function sortSingleRules(text: string): string {
  return text.replace(/[^()]+/g, (part) => {
    const tokens = part.split(' ');
    const singles = tokens.filter((t) => /^[+-][^@]/.test(t)).sort();
    let next = 0;
    return tokens.map((t) => (/^[+-][^@]/.test(t) ? (singles[next++] as string) : t)).join(' ');
  });
}

/** CLIENT LIST fields that legitimately differ (ids, ports, ages, memory) are dropped. */
function maskClientInfo(info: string): string {
  const kept = ['name', 'db', 'flags', 'sub', 'psub', 'multi', 'cmd', 'user', 'resp'];
  return info
    .split(' ')
    .filter((field) => kept.includes(field.slice(0, field.indexOf('='))))
    .join(' ');
}

/** A reply decoded, with rules sorted, ACL LOG ages and client details masked, as comparable JSON. */
function canonical(raw: string): string {
  const decoded = decode(Buffer.from(raw, 'latin1'));
  if (decoded === null) return raw;
  const walk = (value: RespValue): RespValue => {
    if (typeof value === 'string') {
      if (value.startsWith('id=')) return maskClientInfo(value);
      if (value.includes('@all')) return sortSingleRules(value);
      return value;
    }
    if (Array.isArray(value)) {
      const out = value.map(walk);
      for (let i = 0; i + 1 < out.length; i++) {
        if (out[i] === 'age-seconds') out[i + 1] = '<age>';
        else if (out[i] === 'id' && typeof out[i + 1] === 'number') out[i + 1] = '<id>';
      }
      return out;
    }
    if (value !== null && typeof value === 'object') {
      if ('map' in value) {
        return { map: value.map.map(([k, v]) => [k, k === 'age-seconds' ? '<age>' : k === 'id' ? '<id>' : walk(v)] as [RespValue, RespValue]) };
      }
      if ('set' in value) return { set: value.set.map(walk) };
      if ('double' in value) return '<double>';
    }
    return value;
  };
  return JSON.stringify(walk(decoded.value), (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

describe.skipIf(!hasOracle)('differential: ACL', () => {
  const servers = differentialPair();

  async function expectSame(steps: Step[]): Promise<void> {
    await servers.same(steps, canonical);
  }

  it('SETUSER, GETUSER, LIST and USERS', async () => {
    await expectSame([
      ['ACL', 'LIST'], ['ACL', 'GETUSER', 'default'], ['ACL', 'USERS'], ['ACL', 'GETUSER', 'nosuch'],
      ['ACL', 'SETUSER', 'bob'], ['ACL', 'GETUSER', 'bob'],
      ['ACL', 'SETUSER', 'bob', 'on', '>pw1', '>pw2', '>pw1', '~k*', '%R~r*', '%W~w*', '%RW~rw*', '%R~w*', '&ch*', '-@all', '+get', '+set', '+@hash'],
      ['ACL', 'GETUSER', 'bob'], ['ACL', 'LIST'],
      ['ACL', 'SETUSER', 'bob', '<pw2', 'resetkeys', '~x', 'resetchannels', '&a', '&b', '&a', '+@all', '-@dangerous', '-flushall'],
      ['ACL', 'GETUSER', 'bob'],
      ['ACL', 'SETUSER', 'bob', '#' + 'a'.repeat(64), '!' + 'a'.repeat(64), 'nopass', 'skip-sanitize-payload'], ['ACL', 'GETUSER', 'bob'],
      ['ACL', 'SETUSER', 'bob', 'reset'], ['ACL', 'GETUSER', 'bob'],
      ['ACL', 'SETUSER', 'carol', 'on', 'nopass', '-@all', '+@string', '+@list', '-lpush', '+config|get', '+client', '-client|kill', 'allkeys', 'allchannels'],
      ['ACL', 'GETUSER', 'carol'],
      ['ACL', 'SETUSER', 'dave', 'on', 'nocommands', '+select|0', '+select|1', '+select|0', 'allcommands', '-select', '+select|2'],
      ['ACL', 'GETUSER', 'dave'],
      ['ACL', 'SETUSER', 'erin', 'on', 'nopass', '(+get ~x* &c1)', '(+set', '%W~y*', '&c2)', '~z', '+ping'],
      ['ACL', 'GETUSER', 'erin'], ['ACL', 'LIST'],
      ['ACL', 'SETUSER', 'erin', 'clearselectors'], ['ACL', 'GETUSER', 'erin'],
      ['ACL', 'SETUSER', 'frank', 'on', 'nopass', '+@all', '-@set', '-@sortedset', '+sadd', '-@stream', '+@scripting', '-@blocking', '-@transaction'],
      ['ACL', 'GETUSER', 'frank'],
      ['ACL', 'SETUSER', 'frank', '-@all', '+@pubsub', '+@transaction', '+@list', '-blpop'], ['ACL', 'GETUSER', 'frank'],
      ['ACL', 'USERS'], ['ACL', 'DELUSER', 'bob', 'nosuch', 'carol'], ['ACL', 'DELUSER', 'default'], ['ACL', 'DELUSER', 'dave', 'default'],
      ['ACL', 'USERS'], ['ACL', 'DELUSER', 'dave', 'erin', 'frank'], ['ACL', 'LIST'],
      ['HELLO', '3'], ['ACL', 'SETUSER', 'g', 'on', '(+get ~a)'], ['ACL', 'GETUSER', 'g'], ['ACL', 'GETUSER', 'default'], ['ACL', 'DELUSER', 'g'], ['HELLO', '2'],
    ]);
  });

  it('SETUSER errors leave the user as it was', async () => {
    await expectSame([
      ['ACL', 'SETUSER', 'x', 'on', '+get'], ['ACL', 'SETUSER', 'x', '+set', '+nosuch'], ['ACL', 'GETUSER', 'x'],
      ['ACL', 'SETUSER', 'x', '+@nosuch'], ['ACL', 'SETUSER', 'x', '-nosuch'], ['ACL', 'SETUSER', 'x', 'bogus'], ['ACL', 'SETUSER', 'x', 'ON', 'OFF'],
      ['ACL', 'SETUSER', 'x', '~*', '~a'], ['ACL', 'SETUSER', 'x', 'allkeys', '%R~a'], ['ACL', 'SETUSER', 'x', '&*', '&a'], ['ACL', 'SETUSER', 'x', 'resetchannels', '&a b'],
      ['ACL', 'SETUSER', 'x', '~a b'], ['ACL', 'SETUSER', 'x', '%X~a'], ['ACL', 'SETUSER', 'x', '%RR~a'], ['ACL', 'SETUSER', 'x', '%~a'], ['ACL', 'SETUSER', 'x', '%R'],
      ['ACL', 'SETUSER', 'x', '#abc'], ['ACL', 'SETUSER', 'x', '#' + 'A'.repeat(64)], ['ACL', 'SETUSER', 'x', '!' + 'b'.repeat(64)], ['ACL', 'SETUSER', 'x', '<nope'],
      ['ACL', 'SETUSER', 'x', '+get|'], ['ACL', 'SETUSER', 'x', '+config|nosuch'], ['ACL', 'SETUSER', 'x', '+config|get|x'], ['ACL', 'SETUSER', 'x', '+nosuch|x'],
      ['ACL', 'SETUSER', 'x', '(+get'], ['ACL', 'SETUSER', 'x', '(+get)', '(on)'], ['ACL', 'SETUSER', 'x', '(+get', '~a', '(+set)'],
      ['ACL', 'SETUSER', 'a b'], ['ACL', 'SETUSER', 'a\x00b'], ['ACL', 'SETUSER', 'x', ''], ['ACL', 'SETUSER', 'x', '+', '-'],
      ['ACL', 'GETUSER', 'x'], ['ACL', 'SETUSER'], ['ACL', 'GETUSER'], ['ACL', 'GETUSER', 'a', 'b'], ['ACL', 'DELUSER'], ['ACL', 'DELUSER', 'x'],
    ]);
  });

  it('CAT, GENPASS, WHOAMI, HELP and errors', async () => {
    await expectSame([
      ['ACL', 'CAT'], { sorted: ['ACL', 'CAT', 'string'] }, { sorted: ['ACL', 'CAT', 'LIST'] }, { sorted: ['ACL', 'CAT', 'stream'] },
      { sorted: ['ACL', 'CAT', 'scripting'] }, { sorted: ['ACL', 'CAT', 'transaction'] }, ['ACL', 'CAT', 'nosuch'], ['ACL', 'CAT', 'a', 'b'],
      ['ACL', 'GENPASS', '0'], ['ACL', 'GENPASS', '-1'], ['ACL', 'GENPASS', '4097'], ['ACL', 'GENPASS', 'abc'], ['ACL', 'GENPASS', '1', '2'],
      ['ACL', 'WHOAMI'], ['ACL', 'WHOAMI', 'x'], ['ACL', 'HELP'], ['ACL', 'help', 'x'], ['ACL'], ['ACL', 'nosuch'],
      ['ACL', 'LOAD'], ['ACL', 'SAVE'], ['ACL', 'LOG', 'abc'], ['ACL', 'LOG', '1', '2'],
    ]);
    const [a, b] = await Promise.all([servers.nodis.raw(), RawClient.connect(servers.redis.port)]);
    try {
      for (const [args, length] of [[[], 64], [['1'], 1], [['7'], 2], [['256'], 64], [['4096'], 1024]] as const) {
        const [x, y] = await Promise.all([a.call('ACL', 'GENPASS', ...args), b.call('ACL', 'GENPASS', ...args)]);
        expect([(x as string).length, (y as string).length]).toEqual([length, length]);
        expect(x).toMatch(/^[0-9a-f]+$/);
      }
    } finally {
      b.close();
    }
  });

  it('NOPERM for commands, keys and channels; DRYRUN; the LOG', async () => {
    const setup: Step[] = [
      ['ACL', 'LOG', 'RESET'],
      ['ACL', 'SETUSER', 'k', 'on', '>pw', '~k*', '%R~r*', '%W~w*', 'resetchannels', '&ch*', '-@all', '+get', '+set', '+mget', '+publish', '+subscribe',
        '+psubscribe', '+config|get', '+acl', '+eval', '+multi', '+exec', '+select|1', '+lpush', '+object', '+sort'],
      ['ACL', 'SETUSER', 'sel', 'on', '>pw', '+get', '~a*', '(+set ~b* &x)', '(+get +del ~c*)', '(+sort %R~* ~s*)'],
    ];
    await expectSame([
      ...setup,
      ['ACL', 'DRYRUN', 'k', 'get', 'k1'], ['ACL', 'DRYRUN', 'k', 'get', 'x1'], ['ACL', 'DRYRUN', 'k', 'del', 'k1'], ['ACL', 'DRYRUN', 'k', 'set', 'r1', 'v'],
      ['ACL', 'DRYRUN', 'k', 'get', 'w1'], ['ACL', 'DRYRUN', 'k', 'get', 'r1'], ['ACL', 'DRYRUN', 'k', 'set', 'w1', 'v'], ['ACL', 'DRYRUN', 'k', 'mget', 'k1', 'x', 'k2', 'y'],
      ['ACL', 'DRYRUN', 'k', 'publish', 'ch1', 'm'], ['ACL', 'DRYRUN', 'k', 'publish', 'c', 'm'], ['ACL', 'DRYRUN', 'k', 'subscribe', 'ch1', 'x', 'ch2'],
      ['ACL', 'DRYRUN', 'k', 'psubscribe', 'ch*'], ['ACL', 'DRYRUN', 'k', 'psubscribe', 'ch1'], ['ACL', 'DRYRUN', 'k', 'config', 'get', 'x'],
      ['ACL', 'DRYRUN', 'k', 'config', 'set', 'x', 'y'], ['ACL', 'DRYRUN', 'k', 'select', '1'], ['ACL', 'DRYRUN', 'k', 'select', '2'],
      ['ACL', 'DRYRUN', 'k', 'lpush', 'k', 'x'], ['ACL', 'DRYRUN', 'k', 'lpush', 'r', 'x'], ['ACL', 'DRYRUN', 'k', 'sort', 'k1', 'STORE', 'r1'],
      ['ACL', 'DRYRUN', 'k', 'set', 'k1', 'v', 'GET'], ['ACL', 'DRYRUN', 'k', 'set', 'w1', 'v', 'GET'], ['ACL', 'DRYRUN', 'k', 'eval', 'return 1', '1', 'x'],
      ['ACL', 'DRYRUN', 'k', 'ping'], ['ACL', 'DRYRUN', 'k', 'auth', 'a', 'b'], ['ACL', 'DRYRUN', 'k', 'object', 'encoding', 'k1'],
      ['ACL', 'DRYRUN', 'sel', 'get', 'a1'], ['ACL', 'DRYRUN', 'sel', 'get', 'b1'], ['ACL', 'DRYRUN', 'sel', 'get', 'c1'], ['ACL', 'DRYRUN', 'sel', 'set', 'b1', 'v'],
      ['ACL', 'DRYRUN', 'sel', 'set', 'c1', 'v'], ['ACL', 'DRYRUN', 'sel', 'del', 'a1'], ['ACL', 'DRYRUN', 'sel', 'publish', 'x', 'm'], ['ACL', 'DRYRUN', 'sel', 'publish', 'y', 'm'],
      ['ACL', 'DRYRUN', 'nosuch', 'get', 'x'], ['ACL', 'DRYRUN', 'k', 'nosuch'], ['ACL', 'DRYRUN', 'k', 'get'], ['ACL', 'DRYRUN', 'k', 'config', 'nosuch'],
      ['ACL', 'DRYRUN', 'k', 'config'], ['ACL', 'DRYRUN', 'k'],
      ['AUTH', 'k', 'wrong'], ['AUTH', 'nosuch', 'pw'], ['AUTH', 'k', 'pw'], ['ACL', 'WHOAMI'], ['CLIENT', 'LIST'],
      ['GET', 'k1'], ['GET', 'x1'], ['DEL', 'k1'], ['SET', 'r1', 'v'], ['GET', 'r1'], ['SET', 'w1', 'v'], ['GET', 'w1'], ['MGET', 'k1', 'x', 'k2'],
      ['PUBLISH', 'ch1', 'm'], ['PUBLISH', 'zz', 'm'], ['CONFIG', 'GET', 'maxmemory'], ['CONFIG', 'SET', 'maxmemory', '0'], ['SELECT', '2'], ['SELECT', '1'], ['SELECT', '0'],
      ['GET', 'x1'], ['DEL', 'k1'],
      ['LPUSH', 'k1', '3', '1', '2'], ['SORT', 'k1'], ['SORT', 'k1', 'BY', 'nosort'], ['SORT', 'k1', 'BY', 'w*'], ['SORT', 'k1', 'GET', '#'],
      ['SORT', 'k1', 'LIMIT', '0', '1', 'GET', '#', 'BY', 'x*'], ['SORT', 'k1', 'STORE', 'w2'],
      ['EVAL', "return redis.acl_check_cmd('get', 'k1')", '0'], ['EVAL', "return redis.acl_check_cmd('get', 'x1')", '0'],
      ['EVAL', "return redis.acl_check_cmd('flushall')", '0'], ['EVAL', "return redis.acl_check_cmd('config', 'get', 'x')", '0'],
      ['EVAL', "return redis.acl_check_cmd('config', 'nosuch')", '0'], ['EVAL', "return redis.acl_check_cmd('publish', 'ch1', 'm')", '0'],
      ['EVAL', "return redis.call('sort', 'k1', 'GET', '#')", '0'],
      ['EVAL', "return redis.call('get', 'k1')", '0'], ['EVAL', "return redis.call('get', 'x1')", '0'], ['EVAL', "return redis.call('del', 'k1')", '0'],
      ['EVAL', "return redis.pcall('publish', 'nope', 'm')", '0'], ['EVAL', "return redis.call('get', 'x1')", '0'],
      ['MULTI'], ['GET', 'k1'], ['GET', 'x1'], ['DEL', 'k'], ['EXEC'],
      ['ACL', 'LOG'], ['ACL', 'LOG', '2'], ['ACL', 'LOG', '0'], ['ACL', 'LOG', '-5'],
      ['AUTH', 'sel', 'pw'], ['GET', 'a1'], ['GET', 'b1'], ['SET', 'b1', 'v'], ['SET', 'a1', 'v'], ['DEL', 'c1'], ['DEL', 'a1'], ['PUBLISH', 'x', 'y'], ['PUBLISH', 'y', 'y'],
      ['SORT', 's', 'BY', 'x*', 'GET', '#'], ['SORT', 'a', 'GET', '#'], ['SORT', 's', 'STORE', 's2'], ['SORT', 's', 'STORE', 'a2'],
      ['AUTH', 'default', 'x'], ['ACL', 'LOG', '3'], ['HELLO', '3'], ['ACL', 'LOG', '2'], ['ACL', 'GETUSER', 'sel'], ['HELLO', '2'],
      ['ACL', 'LOG', 'RESET'], ['ACL', 'LOG'],
      ['ACL', 'DELUSER', 'k', 'sel'],
    ]);
  });

  it('between connections: EXEC rechecks, lost channels and deleted users close clients, the LOG', async () => {
    const admin = await ClientPair.connect(servers.nodis.port, servers.redis.port);
    const opened: ClientPair[] = [admin];
    const open = async (): Promise<ClientPair> => {
      const pair = await ClientPair.connect(servers.nodis.port, servers.redis.port);
      opened.push(pair);
      return pair;
    };
    const same = async (pair: ClientPair, ...args: string[]): Promise<void> => {
      const [a, b] = await pair.call(...args);
      expect(canonical(a), args.join(' ')).toBe(canonical(b));
    };
    const closed = async (pair: ClientPair): Promise<void> => {
      await Promise.all([pair.nodis.waitClosed(), pair.redis.waitClosed()]);
    };
    try {
      await same(admin, 'ACL', 'LOG', 'RESET');
      await same(admin, 'ACL', 'SETUSER', 'm', 'on', '>pw', '+@all', '~*', 'resetchannels', '&n.*', '&a');
      const tx = await open();
      await same(tx, 'AUTH', 'm', 'pw');
      await same(tx, 'MULTI');
      await same(tx, 'SET', 'k', '1');
      await same(tx, 'GET', 'k');
      await same(tx, 'PUBLISH', 'a', 'x');
      await same(tx, 'PUBLISH', 'b', 'x');
      await same(tx, 'EXEC');
      await same(tx, 'MULTI');
      await same(tx, 'SET', 'k', '1');
      await same(tx, 'GET', 'k');
      await same(tx, 'PUBLISH', 'a', 'x');
      await same(admin, 'ACL', 'SETUSER', 'm', '-set', 'resetkeys', '~j', 'resetchannels', '&n.*');
      await same(tx, 'EXEC');
      await same(admin, 'ACL', 'LOG');

      await same(admin, 'ACL', 'SETUSER', 'm', 'resetchannels', '&n.*', '&a');
      const sub = await open();
      const psub = await open();
      await same(sub, 'AUTH', 'm', 'pw');
      await same(psub, 'AUTH', 'm', 'pw');
      await same(sub, 'SUBSCRIBE', 'n.1', 'a');
      await same(psub, 'PSUBSCRIBE', 'n.*');
      await same(psub, 'PSUBSCRIBE', 'n.1*');
      await same(admin, 'ACL', 'SETUSER', 'm', '&more');
      await same(sub, 'PING');
      await same(admin, 'ACL', 'SETUSER', 'm', 'resetchannels', '&n.1', '&a');
      await closed(psub);
      await same(sub, 'PING');
      await same(admin, 'CLIENT', 'KILL', 'USER', 'm');
      await closed(sub);
      await closed(tx);

      const self = await open();
      const other = await open();
      await same(self, 'AUTH', 'm', 'pw');
      await same(other, 'AUTH', 'm', 'pw');
      await same(self, 'ACL', 'DELUSER', 'm');
      await closed(self);
      await closed(other);
      await same(admin, 'ACL', 'USERS');
    } finally {
      for (const pair of opened) pair.close();
    }
  });

  it('redis.acl_check_cmd answers for the caller of EVAL and FCALL', async () => {
    const check = "return redis.acl_check_cmd(unpack(ARGV))";
    const steps: Step[] = [
      ['FUNCTION', 'LOAD', 'REPLACE', "#!lua name=chk\nredis.register_function('chk', function(keys, args) return redis.acl_check_cmd(unpack(args)) end)"],
      ['ACL', 'SETUSER', 'scr', 'on', '>pw', '~k*', '&ch', '+eval', '+fcall', '+get', '+publish', '+config|get'],
    ];
    const probes = [['get', 'k1'], ['get', 'x1'], ['get'], ['set', 'k1', 'v'], ['publish', 'ch', 'm'], ['publish', 'zz', 'm'], ['config', 'get', 'x'], ['config', 'set', 'x', 'y'], ['nosuch'], ['config', 'nosuch']];
    for (const user of [['default', ''], ['scr', 'pw']]) {
      if (user[0] === 'scr') steps.push(['AUTH', 'scr', 'pw']);
      for (const probe of probes) steps.push(['EVAL', check, '0', ...probe], ['FCALL', 'chk', '0', ...probe]);
    }
    steps.push(['AUTH', 'default', 'x'], ['ACL', 'DELUSER', 'scr'], ['FUNCTION', 'DELETE', 'chk']);
    // nodis names line 1 of a library in every function error (Redis: the line raising it).
    await servers.same(steps, (raw) => canonical(raw).replace(/@user_function:\d+/, '@user_function:<line>'));
  });

  it('requirepass is the default user password; NOAUTH, AUTH and HELLO AUTH', async () => {
    await expectSame([
      ['AUTH', 'x'], ['CONFIG', 'SET', 'requirepass', 'sec ret'], ['ACL', 'GETUSER', 'default'], ['ACL', 'LIST'],
      ['PING'], ['AUTH', 'wrong'], ['AUTH', 'default', 'wrong'], ['AUTH', 'sec ret'], ['PING'], ['RESET'], ['PING'], ['HELLO'], ['HELLO', '3'],
      ['HELLO', '2', 'AUTH', 'default', 'nope'], ['HELLO', '2', 'AUTH', 'default', 'sec ret', 'SETNAME', 'n1'], ['CLIENT', 'GETNAME'], ['ACL', 'WHOAMI'],
      ['ACL', 'SETUSER', 'u1', 'on', '>p1', '+@all', '~*'], ['HELLO', '2', 'AUTH', 'u1', 'p1'], ['ACL', 'WHOAMI'], ['CLIENT', 'INFO'],
      ['AUTH', 'u1', 'p2'], ['ACL', 'WHOAMI'], ['ACL', 'SETUSER', 'u1', 'off'], ['AUTH', 'u1', 'p1'], ['ACL', 'WHOAMI'], ['PING'],
      ['ACL', 'SETUSER', 'default', 'nopass'], ['CONFIG', 'GET', 'requirepass'], ['RESET'], ['PING'],
      ['ACL', 'SETUSER', 'default', 'resetpass'], ['RESET'], ['PING'], ['AUTH', 'default', 'x'], ['AUTH', 'x'],
      ['HELLO', '2', 'AUTH', 'u1', 'p1'], ['HELLO', '2', 'AUTH', 'default', 'sec ret'],
      ['ACL', 'SETUSER', 'default', 'on', 'nopass', 'off'], ['RESET'], ['PING'], ['AUTH', 'default', 'x'],
      ['HELLO', '2', 'AUTH', 'default', 'x'],
    ]);
    // Left with the default user off: this is the last test of the block.
  });
});

/** The ACL file and config-file users, on servers of their own. */
describe.skipIf(!hasOracle)('differential: ACL file and config users', () => {
  let dir = '';
  let nodis: TestServer | undefined;
  let redis: Oracle | undefined;
  const nodisFile = (): string => join(dir, 'nodis.acl');
  const redisFile = (): string => join(dir, 'redis.acl');
  const started = <T>(x: T | undefined): T => x as T;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nodis-acl-'));
    const initial = 'user default on nopass ~* &* +@all\nuser alice on #' + 'c'.repeat(64) + ' ~a* resetchannels -@all +get\n';
    writeFileSync(nodisFile(), initial);
    writeFileSync(redisFile(), initial);
    [nodis, redis] = await Promise.all([startTestServer({ aclfile: nodisFile() }), startOracle(['--aclfile', redisFile()])]);
  });
  afterAll(async () => {
    await Promise.all([nodis?.stop(), redis?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads at startup, SAVE writes what LIST shows, LOAD reads it back', async () => {
    const steps: Step[] = [
      ['ACL', 'LIST'],
      ['ACL', 'SETUSER', 'bob', 'on', '>pw', '%R~r*', '&c*', '-@all', '+@list', '+get', '(+set ~s*)'],
      ['ACL', 'SETUSER', 'alice', '+select|0'],
      ['ACL', 'SAVE'], ['ACL', 'DELUSER', 'bob'], ['ACL', 'LIST'], ['ACL', 'LOAD'], ['ACL', 'LIST'], ['ACL', 'GETUSER', 'bob'],
    ];
    const results = await runBoth(started(nodis).port, started(redis).port, steps, canonical);
    expect(mismatches(results)).toEqual([]);
    const normalized = (path: string): string => readFileSync(path, 'latin1').split('\n').map(sortSingleRules).join('\n');
    expect(normalized(nodisFile())).toBe(normalized(redisFile()));
    // LOAD replaces every user but default: their clients are disconnected, the default user's stay.
    const bob = await ClientPair.connect(started(nodis).port, started(redis).port);
    const plain = await ClientPair.connect(started(nodis).port, started(redis).port);
    try {
      expect(await bob.call('AUTH', 'bob', 'pw')).toEqual(['+OK\r\n', '+OK\r\n']);
      expect(await plain.call('ACL', 'LOAD')).toEqual(['+OK\r\n', '+OK\r\n']);
      await Promise.all([bob.nodis.waitClosed(), bob.redis.waitClosed()]);
      expect(await plain.call('PING')).toEqual(['+PONG\r\n', '+PONG\r\n']);
    } finally {
      bob.close();
      plain.close();
    }
  });

  it('LOAD refuses a bad file and keeps the users', async () => {
    const bad = 'user carol on +get\nnotuser x\nuser carol off\nuser dave on +nosuch +@nosuch\nuser erin on ~a ~* ~b\nuser fay (+get\n';
    writeFileSync(nodisFile(), bad);
    writeFileSync(redisFile(), bad);
    const results = await runBoth(started(nodis).port, started(redis).port, [['ACL', 'LOAD'], ['ACL', 'USERS']], (raw) => raw.split(dir).join('<dir>').replace(/(nodis|redis)\.acl/g, 'x.acl'));
    expect(mismatches(results)).toEqual([]);
  });

  it('LOAD without a default user gives an open default user', async () => {
    writeFileSync(nodisFile(), 'user zed on nopass +@all ~*\n');
    writeFileSync(redisFile(), 'user zed on nopass +@all ~*\n');
    const results = await runBoth(started(nodis).port, started(redis).port, [['ACL', 'LOAD'], ['ACL', 'LIST']], canonical);
    expect(mismatches(results)).toEqual([]);
  });
});

describe.skipIf(!hasOracle)('differential: users in the config file', () => {
  let dir = '';
  let nodis: TestServer | undefined;
  let redis: Oracle | undefined;
  const lines = [
    ['alice', 'on', '>secret', '~cached:*', '&news', '-@all', '+get', '+set'],
    ['default', 'on', '>def', '+@all', '~*'],
    ['bob', '(+get', '~x)', 'nopass'],
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nodis-acl-conf-'));
    const conf = join(dir, 'nodis.conf');
    writeFileSync(conf, lines.map((l) => `user ${l.join(' ')}\n`).join(''));
    const redisArgs: string[] = [];
    for (const l of lines) redisArgs.push('--user', ...l);
    [nodis, redis] = await Promise.all([startTestServer({ configFile: conf }), startOracle(redisArgs)]);
  });
  afterAll(async () => {
    await Promise.all([nodis?.stop(), redis?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('defines the users, and the default user needs its password', async () => {
    const steps: Step[] = [
      ['PING'], ['AUTH', 'def'], ['ACL', 'LIST'], ['AUTH', 'alice', 'secret'], ['SET', 'cached:1', 'v'], ['SET', 'other', 'v'], ['ACL', 'WHOAMI'],
      ['AUTH', 'bob', 'x'], ['AUTH', 'default', 'def'], ['ACL', 'GETUSER', 'bob'],
    ];
    const results = await runBoth((nodis as TestServer).port, (redis as Oracle).port, steps, canonical);
    expect(mismatches(results)).toEqual([]);
  });
});
