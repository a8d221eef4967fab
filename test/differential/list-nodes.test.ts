import { beforeEach, describe, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Mask, type Step } from '../helpers/differential.js';

const hasOracle = oracleAvailable();

/** DEBUG OBJECT without what differs by nature: the address and the LRU clock. */
const quicklistFields: Mask = (raw) => raw.replace(/Value at:0x[0-9a-f]+ /, 'Value at:<addr> ').replace(/ lru:\d+ lru_seconds_idle:\d+/, ' lru:<n>');

const element = (i: number): string => `element:${String(i).padStart(7, '0')}`;
const rpush = (key: string, from: number, n: number): Step => ['RPUSH', key, ...Array.from({ length: n }, (_, i) => element(from + i))];
const lpush = (key: string, from: number, n: number): Step => ['LPUSH', key, ...Array.from({ length: n }, (_, i) => element(from + i))];

describe.skipIf(!hasOracle)('differential: list nodes', () => {
  const servers = differentialPair({ nodis: { 'enable-debug-command': 'yes' }, redis: ['--enable-debug-command', 'yes'] });
  beforeEach(async () => {
    await servers.run([['FLUSHALL'], ['CONFIG', 'SET', 'list-max-listpack-size', '-2']]);
  });

  it('splits lists into nodes as Redis does, whatever end they grow or shrink from', async () => {
    await servers.same(
      [
        ['RPUSH', 'small', 'a', 'bb', '12', '-5'],
        ['DEBUG', 'OBJECT', 'small'],
        rpush('big', 0, 2000),
        ['DEBUG', 'OBJECT', 'big'],
        lpush('big', 2000, 1500),
        ['DEBUG', 'OBJECT', 'big'],
        ['LPOP', 'big', '700'],
        ['RPOP', 'big', '300'],
        ['DEBUG', 'OBJECT', 'big'],
        ['LTRIM', 'big', '500', '-400'],
        ['DEBUG', 'OBJECT', 'big'],
        ['LRANGE', 'big', '0', '5'],
        ['LINDEX', 'big', '1000'],
      ],
      quicklistFields,
    );
  });

  it('gives every type the serialized length Redis gives it (DEBUG OBJECT serializedlength), compressed or not', async () => {
    for (const compression of ['yes', 'no']) {
      await servers.same(
        [
          ['FLUSHALL'],
          ['CONFIG', 'SET', 'rdbcompression', compression],
          ['SET', 's', 'hello'],
          ['SET', 'i', '12345'],
          ['SET', 'neg', '-70000'],
          ['SET', 'long', 'a'.repeat(500)],
          ['SETRANGE', 'raw', '0', 'x'.repeat(40)],
          rpush('l', 0, 3000),
          ['HSET', 'h', 'f', 'v', 'g', 'w'],
          ['ZADD', 'z', '1', 'a', '2.5', 'b'],
          ['SADD', 'st', '1', '2', '3'],
          ['SADD', 'ss', 'a', 'b', 'c'],
          ['XADD', 'x', '1-1', 'f', 'v'],
          ...['s', 'i', 'neg', 'long', 'raw', 'l', 'h', 'z', 'st', 'ss', 'x'].map((k): Step => ['DEBUG', 'OBJECT', k]),
        ],
        quicklistFields,
      );
    }
  });

  it('follows list-max-listpack-size for the nodes made from then on', async () => {
    for (const fill of ['5', '-1', '-5', '100']) {
      await servers.same(
        [
          ['DEL', 'l'],
          ['CONFIG', 'SET', 'list-max-listpack-size', fill],
          rpush('l', 0, 600),
          lpush('l', 600, 250),
          ['RPUSH', 'l', 'x'.repeat(5000), '123456789012', '-9223372036854775808'],
          ['DEBUG', 'OBJECT', 'l'],
          ['LRANGE', 'l', '-5', '-1'],
        ],
        quicklistFields,
      );
    }
  });
});
