import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';
import { RawClient } from '../helpers/raw-client.js';

const hasOracle = oracleAvailable();

/** HELLO's client id differs between the servers. */
const maskId = (raw: string): string => raw.replace(/(\$2\r\nid\r\n):\d+/g, '$1:<id>');

/** The commandstats line of one command, without its timings. */
function commandStat(info: string, name: string): string | undefined {
  const line = info.split('\r\n').find((l) => l.startsWith(`cmdstat_${name}:`));
  return line?.replace(/usec=\d+,usec_per_call=[\d.]+,/, '');
}

const MODULE_SCRIPT: Step[] = [
  ['MODULE', 'LIST'],
  ['MODULE', 'HELP'],
  ['module', 'help', 'x'],
  ['MODULE'],
  ['MODULE', 'nosuch'],
  ['MODULE', 'LIST', 'x'],
  ['MODULE', 'LOAD'],
  ['MODULE', 'LOADEX'],
  ['MODULE', 'UNLOAD'],
  ['MODULE', 'UNLOAD', 'a', 'b'],
  ['MODULE', 'LOAD', '/nonexistent/module.so'],
  ['MODULE', 'LOAD', '/nonexistent/module.so', 'arg1', 'arg2'],
  ['MODULE', 'LOADEX', '/nonexistent/module.so'],
  ['MODULE', 'LOADEX', '/nonexistent/module.so', 'CONFIG', 'name'],
  ['MODULE', 'LOADEX', '/nonexistent/module.so', 'CONFIG', 'name', 'value', 'ARGS', 'a', 'b'],
  ['MODULE', 'LOADEX', '/nonexistent/module.so', 'ARGS'],
  ['MODULE', 'LOADEX', '/nonexistent/module.so', 'bogus'],
  ['MODULE', 'UNLOAD', 'nosuchmodule'],
  ['MULTI'],
  ['MODULE', 'LIST'],
  ['EXEC'],
  ['HELLO', '3'],
  ['MODULE', 'LIST'],
  ['MODULE', 'UNLOAD', 'x'],
  ['HELLO', '2'],
];

describe.skipIf(!hasOracle)('differential: MODULE with enable-module-command yes', () => {
  const servers = differentialPair({ nodis: { 'enable-module-command': 'yes' }, redis: ['--enable-module-command', 'yes'] });

  it('lists no module, and fails to load or unload any with Redis errors', async () => {
    await servers.same(MODULE_SCRIPT, maskId);
  });
});

describe.skipIf(!hasOracle)('differential: MODULE and LOLWUT as Redis 7.0 has them by default', () => {
  const servers = differentialPair();

  it('MODULE LOAD, LOADEX and UNLOAD are refused by enable-module-command no, counted as rejected', async () => {
    await servers.same([['CONFIG', 'RESETSTAT'], ...MODULE_SCRIPT, ['MULTI'], ['MODULE', 'UNLOAD', 'x'], ['EXEC']], maskId);
    const stats = async (port: number): Promise<(string | undefined)[]> => {
      const c = await RawClient.connect(port);
      try {
        const info = (await c.call('INFO', 'commandstats')) as string;
        return ['module|load', 'module|loadex', 'module|unload', 'module|list', 'module|help'].map((n) => commandStat(info, n));
      } finally {
        c.close();
      }
    };
    const [mine, theirs] = await Promise.all([stats(servers.nodis.port), stats(servers.redis.port)]);
    // One arity error and two refusals.
    expect(theirs[0]).toBe('cmdstat_module|load:calls=0,rejected_calls=3,failed_calls=0');
    expect(mine).toEqual(theirs);
  });

  it('LOLWUT: the version line, VERSION parsing, and the art\'s argument errors', async () => {
    const steps: Step[] = [
      ['LOLWUT'],
      ['lolwut', 'foo', 'bar'],
      ['LOLWUT', 'VERSION'],
      ['LOLWUT', 'VERSION', '7'],
      ['LOLWUT', 'version', '4'],
      ['LOLWUT', 'VERSION', '59'],
      ['LOLWUT', 'VERSION', '-1'],
      ['LOLWUT', 'VERSION', '8', 'extra', 'args'],
      ['LOLWUT', 'VERSION', 'x'],
      ['LOLWUT', 'VERSION', ''],
      ['LOLWUT', 'VERSION', '5.0'],
      ['LOLWUT', 'VERSION', '99999999999999999999'],
      ['LOLWUT', 'VERSION', '5', 'x'],
      ['LOLWUT', 'VERSION', '5', '10', 'x'],
      ['LOLWUT', 'VERSION', '5', '10', '2', 'x'],
      ['LOLWUT', 'VERSION', '6', 'x'],
      ['LOLWUT', 'VERSION', '6', '10', '1.5'],
    ];
    await servers.same(steps);
    await servers.same([['HELLO', '3'], ...steps, ['HELLO', '2']], maskId);
  });

  it('LOLWUT VERSION 5 draws Schotter byte for byte where it is deterministic (two rows of squares or fewer)', async () => {
    const steps: Step[] = [
      ['LOLWUT', 'VERSION', '5', '66', '8', '2'],
      ['LOLWUT', 'VERSION', '5', '66', '8', '1'],
      ['LOLWUT', 'VERSION', '5', '1', '1', '1'],
      ['LOLWUT', 'VERSION', '5', '0', '-5', '0'],
      ['LOLWUT', 'VERSION', '5', '2', '1', '1'],
      ['LOLWUT', 'VERSION', '5', '3', '2', '2'],
      ['LOLWUT', 'VERSION', '5', '7', '3', '2'],
      ['LOLWUT', 'VERSION', '5', '40', '1', '2'],
      ['LOLWUT', 'VERSION', '5', '100', '7', '2'],
      ['LOLWUT', 'VERSION', '5', '123', '13', '2'],
      ['LOLWUT', 'VERSION', '5', '5000', '999', '1'],
      ['LOLWUT', 'VERSION', '4294967301', '20', '3', '2'],
      ['LOLWUT', 'VERSION', '5', '80', '200', '2'],
      // The last band starts on the last pixel row (a canvas 5 or 9 pixels tall): no newline after it.
      ['LOLWUT', 'VERSION', '5', '3', '2', '1'],
      ['LOLWUT', 'VERSION', '5', '6', '3', '2'],
      // The largest deterministic picture: 2000x3996 pixels.
      ['LOLWUT', 'VERSION', '5', '1000', '1', '2'],
    ];
    await servers.same(steps);
    await servers.same([['HELLO', '3'], ...steps.slice(0, 3), ['HELLO', '2']], maskId);
  });

  it('LOLWUT VERSION 5 with random rows and VERSION 6 (random throughout) have Redis\'s dimensions and text', async () => {
    // Version 6 colours each cell at random: compare the cells' count and place, not their grey.
    const shape = (raw: string): string =>
      raw
        .replace(/\x1b\[[0-9;]+m \x1b\[0m/g, '#')
        .replace(/\xe2[\xa0-\xa3][\x80-\xbf]/g, '@')
        .replace(/^\$\d+/, '$<len>');
    const steps: Step[] = [
      ['LOLWUT', 'VERSION', '5'],
      ['LOLWUT', 'VERSION', '5', '30', '4', '7'],
      ['LOLWUT', 'VERSION', '6'],
      ['LOLWUT', 'VERSION', '6', '1', '1'],
      ['LOLWUT', 'VERSION', '6', '33', '7'],
      ['LOLWUT', 'VERSION', '6', '-3', '2000'],
      ['LOLWUT', 'VERSION', '6', '1000', '40'],
    ];
    const results = await servers.run(steps, shape);
    for (const r of results) {
      // A length prefix differs with the bytes of the greys; every other byte must agree.
      expect(r.nodis, JSON.stringify(r.step)).toBe(r.redis);
    }
  });
});
