import { describe, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';

const hasOracle = oracleAvailable();

const BIN = 'k\x00\xff\r\n';
/** Far in the future and exact as a double, so absolute expiry times compare byte for byte. */
const FAR_MS = '4102444800123';
const FAR_S = '4102444800';

describe.skipIf(!hasOracle)('differential: generic key commands', () => {
  const servers = differentialPair();

  async function check(steps: Step[]): Promise<void> {
    await servers.same([['FLUSHALL'], ...steps]);
  }

  it('DEL, UNLINK, EXISTS, TOUCH, TYPE', async () => {
    await check([
      ['SET', 'a', '1'], ['SET', 'b', '2'], ['SET', BIN, 'x'],
      ['EXISTS', 'a', 'a', 'b', 'nope', BIN], ['EXISTS', 'nope'],
      ['TOUCH', 'a', 'a', 'nope', BIN],
      ['TYPE', 'a'], ['TYPE', 'nope'], ['TYPE', BIN],
      ['DEL', 'a', 'a', 'nope'], ['EXISTS', 'a'],
      ['UNLINK', 'b', BIN, 'b'], ['EXISTS', 'b', BIN],
      ['DEL', 'nope'], ['UNLINK', 'nope'],
      ['DEL'], ['UNLINK'], ['EXISTS'], ['TOUCH'], ['TYPE'], ['TYPE', 'a', 'b'],
    ]);
  });

  it('KEYS with Redis glob rules', async () => {
    const keys = ['key', 'kay', 'kby', 'kzy', 'k*y', 'k?y', 'k[y', 'k\\y', 'other', 'KEY', 'k\x00y', 'k\xe9y', ''];
    const steps: Step[] = keys.map((k) => ['SET', k, 'v']);
    for (const pattern of [
      '*', 'k?y', 'k[ae]y', 'k[^a]y', 'k[a-c]y', 'k[c-a]y', 'k\\*y', 'k\\?y', 'k[\\[]y', 'k\\\\y', 'k*', '*y', '?',
      'k[', 'k[a-', 'K*', 'nomatch*', 'k\x00*', 'k\xe9?', '', '**', 'k[^]y',
    ]) {
      steps.push({ sorted: ['KEYS', pattern] });
    }
    steps.push(['KEYS'], ['KEYS', 'a', 'b']);
    await check(steps);
  });

  it('SCAN arguments, filters and errors', async () => {
    await check([
      ['SET', 'only', 'v'],
      ['SCAN', '0'], ['SCAN', '0', 'COUNT', '1000'], ['SCAN', '0', 'MATCH', 'o*', 'COUNT', '5'],
      ['SCAN', '0', 'MATCH', 'x*', 'COUNT', '100'], ['SCAN', '0', 'TYPE', 'string'], ['SCAN', '0', 'type', 'STRING'],
      ['SCAN', '0', 'TYPE', 'list'], ['SCAN', '0', 'TYPE', 'nosuchtype'], ['SCAN', '', 'COUNT', '100'], ['SCAN', '+0'], ['SCAN', '-0'], ['SCAN', '+'],
      ['SCAN', '-'], ['SCAN', ' 0'], ['SCAN', '0 '], ['SCAN', '0x0'],
      ['SCAN', '0', 'COUNT', '0'], ['SCAN', '0', 'COUNT', '-1'], ['SCAN', '0', 'COUNT', 'abc'],
      ['SCAN', '0', 'COUNT', '99999999999999999999'], ['SCAN', '0', 'COUNT'], ['SCAN', '0', 'MATCH'], ['SCAN', '0', 'TYPE'],
      ['SCAN', '0', 'FOO', 'bar'], ['SCAN', '0', 'COUNT', '0', 'MATCH'],
      ['SCAN', 'abc'], ['SCAN', '18446744073709551616'], ['SCAN', '-18446744073709551616'], ['SCAN', '1.5'],
      ['SCAN', '1'.repeat(30)],
      ['SCAN', 'abc', 'COUNT', '0'], ['SCAN'],
    ]);
  });

  it('RANDOMKEY', async () => {
    await check([
      ['RANDOMKEY'], ['SET', BIN, 'v'], ['RANDOMKEY'], ['RANDOMKEY', 'extra'],
      ['DEL', BIN], ['RANDOMKEY'],
    ]);
  });

  it('RENAME and RENAMENX', async () => {
    await check([
      ['RENAME', 'nope', 'x'], ['RENAME', 'nope', 'nope'], ['RENAMENX', 'nope', 'x'], ['RENAMENX', 'nope', 'nope'],
      ['SET', 'a', '1'], ['RENAME', 'a', 'a'], ['RENAMENX', 'a', 'a'], ['GET', 'a'],
      ['PEXPIREAT', 'a', FAR_MS], ['RENAME', 'a', BIN], ['EXISTS', 'a'], ['GET', BIN], ['PEXPIRETIME', BIN],
      ['SET', 'c', '3'], ['RENAME', BIN, 'c'], ['GET', 'c'], ['PEXPIRETIME', 'c'],
      ['SET', 'd', '4'], ['RENAMENX', 'c', 'd'], ['GET', 'c'], ['RENAMENX', 'c', 'e'], ['GET', 'e'], ['PEXPIRETIME', 'e'],
      ['EXPIRE', 'd', '100'], ['RENAME', 'e', 'd'], ['PEXPIRETIME', 'd'],
      ['SET', 'f', 'v'], ['EXPIRE', 'f', '100'], ['SET', 'g', 'w'], ['RENAME', 'g', 'f'], ['TTL', 'f'],
      ['RENAME', 'a'], ['RENAME', 'a', 'b', 'c'], ['RENAMENX', 'a'],
    ]);
  });

  it('MOVE', async () => {
    await check([
      ['MOVE', 'nope', '1'], ['SET', 'a', '1'], ['MOVE', 'a', '0'], ['MOVE', 'a', '16'], ['MOVE', 'a', '-1'],
      ['MOVE', 'a', 'x'], ['MOVE', 'a', '4294967297'], ['MOVE', 'a', '1.0'], ['MOVE', 'nope', '0'],
      ['PEXPIREAT', 'a', FAR_MS], ['MOVE', 'a', '1'], ['EXISTS', 'a'], ['MOVE', 'a', '1'],
      ['SELECT', '1'], ['GET', 'a'], ['PEXPIRETIME', 'a'], ['SET', BIN, 'x'], ['SELECT', '0'], ['SET', BIN, 'y'],
      ['MOVE', BIN, '1'], ['GET', BIN], ['MOVE'], ['MOVE', 'a'], ['MOVE', 'a', '1', '2'],
    ]);
  });

  it('COPY', async () => {
    await check([
      ['COPY', 'nope', 'x'], ['SET', 'a', 'va'], ['COPY', 'a', 'a'], ['COPY', 'a', 'a', 'DB', '0'], ['COPY', 'a', 'a', 'REPLACE'],
      ['COPY', 'a', 'b'], ['GET', 'b'], ['COPY', 'a', 'b'], ['SET', 'a', 'va2'], ['COPY', 'a', 'b', 'replace'], ['GET', 'b'],
      ['PEXPIREAT', 'a', FAR_MS], ['COPY', 'a', BIN], ['PEXPIRETIME', BIN], ['GET', BIN],
      ['COPY', 'a', 'x', 'DB'], ['COPY', 'a', 'x', 'DB', 'abc'], ['COPY', 'a', 'x', 'DB', '16'], ['COPY', 'a', 'x', 'DB', '-1'],
      ['COPY', 'a', 'x', 'DB', '99999999999'], ['COPY', 'a', 'x', 'FOO'], ['COPY', 'a', 'x', 'REPLACE', 'DB', '1', 'REPLACE'],
      ['COPY', 'a', 'a', 'DB', '1'], ['COPY', 'a', 'a', 'db', '1', 'replace'], ['COPY', 'nope', 'nope'],
      ['SELECT', '1'], ['GET', 'a'], ['GET', 'x'], ['PEXPIRETIME', 'a'], ['SELECT', '0'],
      ['COPY', 'nope', 'x', 'DB', '16'], ['COPY', 'a', 'x', 'DB', '16', 'FOO'], ['COPY', 'a', 'x', 'FOO', 'DB', '16'],
      ['COPY', 'a'], ['COPY'],
    ]);
  });

  it('EXPIRE family options, errors and past times', async () => {
    const steps: Step[] = [['SET', 'k', 'v']];
    for (const cmd of ['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT']) {
      steps.push(
        [cmd, 'k', '100', 'NX', 'XX'], [cmd, 'k', '100', 'nx', 'gt'], [cmd, 'k', '100', 'NX', 'LT'], [cmd, 'k', '100', 'GT', 'LT'],
        [cmd, 'k', '100', 'XX', 'GT', 'LT'], [cmd, 'k', '100', 'FOO'], [cmd, 'k', '100', 'NX', 'FOO', 'XX'],
        [cmd, 'k', 'abc', 'NX', 'XX'], [cmd, 'k', 'abc'], [cmd, 'k', '1.5'], [cmd, 'k', ''],
        [cmd, 'k', '9223372036854775807'], [cmd, 'k', '-9223372036854775808'], [cmd, 'k', '9223372036854775808'],
        [cmd, 'k', '9223372036854776'], [cmd, 'k', '-9223372036854776'], [cmd, 'nope', '100'], [cmd, 'nope', '-1'],
        [cmd, 'k'], [cmd],
      );
    }
    steps.push(
      ['EXPIREAT', 'k', FAR_S, 'XX'], ['TTL', 'k'], ['EXPIREAT', 'k', FAR_S, 'NX'], ['EXPIREAT', 'k', FAR_S], ['EXPIRETIME', 'k'],
      ['PEXPIREAT', 'k', FAR_MS, 'XX'], ['PEXPIRETIME', 'k'], ['EXPIRETIME', 'k'],
      ['PEXPIREAT', 'k', '4102444800122', 'GT'], ['PEXPIREAT', 'k', FAR_MS, 'GT'], ['PEXPIREAT', 'k', '4102444800124', 'gt'],
      ['PEXPIRETIME', 'k'], ['PEXPIREAT', 'k', '4102444800124', 'LT'], ['PEXPIREAT', 'k', '4102444800100', 'LT'],
      ['PEXPIRETIME', 'k'], ['PEXPIREAT', 'k', '4102444800200', 'XX', 'GT'], ['PEXPIREAT', 'k', '4102444800300', 'xx', 'lt'],
      ['PEXPIRETIME', 'k'], ['PERSIST', 'k'], ['PERSIST', 'k'], ['PERSIST', 'nope'], ['TTL', 'k'], ['PTTL', 'k'],
      ['EXPIRETIME', 'k'], ['PEXPIRETIME', 'k'], ['TTL', 'nope'], ['PTTL', 'nope'], ['EXPIRETIME', 'nope'], ['PEXPIRETIME', 'nope'],
      ['EXPIRE', 'k', '100', 'GT'], ['EXPIRE', 'k', '100', 'LT'], ['TTL', 'k'], ['EXPIRE', 'k', '50', 'LT'], ['TTL', 'k'],
      ['EXPIRE', 'k', '200', 'NX'], ['TTL', 'k'], ['PERSIST', 'k'], ['EXPIRE', 'k', '200', 'XX'], ['TTL', 'k'],
      ['EXPIRE', 'k', '-1', 'GT'], ['EXISTS', 'k'], ['EXPIRE', 'k', '-1', 'LT'], ['EXISTS', 'k'],
      ['SET', 'k', 'v'], ['EXPIRE', 'k', '0'], ['EXISTS', 'k'], ['SET', 'k', 'v'], ['PEXPIRE', 'k', '-5'], ['EXISTS', 'k'],
      ['SET', 'k', 'v'], ['EXPIREAT', 'k', '1'], ['EXISTS', 'k'], ['SET', BIN, 'v'], ['PEXPIREAT', BIN, '0'], ['EXISTS', BIN],
      ['SET', BIN, 'v'], ['EXPIRE', BIN, '1000'], ['TTL', BIN], ['PERSIST', BIN], ['TTL', BIN],
      ['TTL'], ['TTL', 'a', 'b'], ['PTTL'], ['EXPIRETIME'], ['PEXPIRETIME', 'a', 'b'], ['PERSIST'], ['PERSIST', 'a', 'b'],
    );
    await check(steps);
  });

  it('OBJECT', async () => {
    await check([
      ['SET', 'i', '123'], ['SET', 'small', '7'], ['SET', 'neg', '-7'], ['SET', 'big', '12345'],
      ['SET', 'long', '9223372036854775807'], ['SET', 'over', '9223372036854775808'], ['SET', 'zero', '0'], ['SET', 'lead', '01'],
      ['SET', 'e', 'hello'], ['SET', 'r', 'x'.repeat(45)], ['SET', 'r44', 'x'.repeat(44)], ['SET', BIN, '\x00\xff'],
      ...['i', 'small', 'neg', 'big', 'long', 'over', 'zero', 'lead', 'e', 'r', 'r44', BIN, 'nope'].flatMap((k): Step[] => [
        ['OBJECT', 'ENCODING', k], ['OBJECT', 'REFCOUNT', k],
      ]),
      // IDLETIME of a fresh key may read 0 or 1 on either server (a second boundary): integration tests cover it.
      ['OBJECT', 'IDLETIME', 'nope'], ['OBJECT', 'FREQ', 'e'], ['OBJECT', 'FREQ', 'nope'],
      ['OBJECT', 'HELP'], ['object', 'help'], ['OBJECT', 'HELP', 'x'], ['OBJECT', 'FOO'], ['OBJECT', 'FOO', 'e'],
      ['OBJECT', 'ENCODING'], ['OBJECT', 'ENCODING', 'a', 'b'], ['OBJECT', 'idletime'], ['OBJECT', 'freq', 'a', 'b'], ['OBJECT'],
    ]);
  });

  it('collections: TYPE, COPY, RENAME, OBJECT ENCODING', async () => {
    await check([
      ['RPUSH', 'l', 'a', 'b'], ['SADD', 's', '1', '2'], ['SADD', 'ss', 'x'], ['HSET', 'h', 'f', 'v'], ['ZADD', 'z', '1', 'm'],
      ['TYPE', 'l'], ['TYPE', 's'], ['TYPE', 'h'], ['TYPE', 'z'],
      ['OBJECT', 'ENCODING', 's'], ['OBJECT', 'ENCODING', 'ss'], ['OBJECT', 'ENCODING', 'h'], ['OBJECT', 'ENCODING', 'z'],
      ['OBJECT', 'REFCOUNT', 'h'],
      ['COPY', 'l', 'l2'], ['RPUSH', 'l2', 'c'], ['LRANGE', 'l', '0', '-1'], ['LRANGE', 'l2', '0', '-1'],
      ['COPY', 'h', 'h2'], ['HSET', 'h2', 'g', 'w'], ['HLEN', 'h'], ['HLEN', 'h2'],
      ['COPY', 's', 'l2', 'REPLACE'], ['TYPE', 'l2'], ['SCARD', 'l2'], ['SADD', 'l2', '3'], ['SCARD', 's'],
      ['COPY', 'z', 'z2', 'DB', '2'], ['SELECT', '2'], ['ZSCORE', 'z2', 'm'], ['SELECT', '0'],
      ['RENAME', 'h', 'hh'], ['TYPE', 'hh'], ['TYPE', 'h'], ['MOVE', 'hh', '3'], ['TYPE', 'hh'],
      ['SCAN', '0', 'TYPE', 'zset', 'COUNT', '100'], ['SCAN', '0', 'TYPE', 'HASH', 'COUNT', '100'],
      { sorted: ['KEYS', '*'] }, ['DEL', 'l', 's', 'z'], { sorted: ['KEYS', '*'] },
    ]);
  });
});

describe.skipIf(!hasOracle)('differential: OBJECT under an LFU policy', () => {
  const servers = differentialPair({ nodis: { 'maxmemory-policy': 'allkeys-lfu' }, redis: ['--maxmemory-policy', 'allkeys-lfu'] });

  it('FREQ starts at 5 and counts a first access for sure; IDLETIME is refused', async () => {
    await servers.same([
      ['SET', 'k', 'v'], ['OBJECT', 'FREQ', 'k'], ['GET', 'k'], ['OBJECT', 'FREQ', 'k'], ['OBJECT', 'FREQ', 'nope'],
      ['OBJECT', 'IDLETIME', 'k'], ['OBJECT', 'IDLETIME', 'nope'], ['SET', 'n', '5'], ['OBJECT', 'REFCOUNT', 'n'],
      ['EXISTS', 'k'], ['TYPE', 'k'], ['OBJECT', 'FREQ', 'k'],
    ]);
  });
});
