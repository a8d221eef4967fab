import { describe, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, type Step } from '../helpers/differential.js';

const hasOracle = oracleAvailable();

/** Places of the classic Redis examples, plus points on the limits. */
const SICILY: string[] = ['13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'];
const EDGES: string[] = [
  '180', '85.05112878', 'ne-corner', '-180', '-85.05112878', 'sw-corner', '180', '-85.05112878', 'se-corner',
  '-180', '85.05112878', 'nw-corner', '0', '0', 'origin', '179.9999', '0.5', 'east-am', '-179.9999', '0.5', 'west-am',
  '0', '85', 'north', '0', '-85', 'south', '10', '84.9', 'n2', '-170', '-84.5', 's2', '-0', '-0', 'negzero',
];

/** Both protocols: each script runs in RESP2, then again after HELLO 3. */
function bothProtocols(steps: Step[]): Step[] {
  return [...steps, ['HELLO', '3'], ...steps, ['HELLO', '2']];
}

describe.skipIf(!hasOracle)('differential: geospatial indexes', () => {
  const servers = differentialPair();

  async function same(steps: Step[]): Promise<void> {
    await servers.same(steps, (raw) => raw.replace(/\$2\r\nid\r\n:\d+\r\n/, 'id'));
  }

  it('GEOADD: scores, options, CH/NX/XX, errors, and the zset it builds', async () => {
    await same([
      ['DEL', 'g'],
      ['GEOADD', 'g', ...SICILY],
      ['ZRANGE', 'g', '0', '-1', 'WITHSCORES'],
      ['GEOADD', 'g', ...EDGES],
      ['ZRANGE', 'g', '0', '-1', 'WITHSCORES'],
      ['GEOADD', 'g', 'NX', '13', '38', 'Palermo', '1', '1', 'new1'],
      ['GEOADD', 'g', 'XX', '13', '38', 'Palermo', '1', '1', 'new2'],
      ['GEOADD', 'g', 'CH', '13.5', '38', 'Palermo', '2', '2', 'new3'],
      ['GEOADD', 'g', 'XX', 'CH', '13.6', '38', 'Palermo', '2', '2', 'new4'],
      ['GEOADD', 'g', 'CH', 'NX', 'CH', '13.7', '38', 'Palermo', '3', '3', 'new5'],
      ['GEOADD', 'g', 'ch', 'xx', '13.361389', '38.115556', 'Palermo'],
      ['GEOADD', 'g', 'NX', 'XX', '1', '1', 'x'],
      ['GEOADD', 'g', 'NX', 'XX', 'CH'],
      ['GEOADD', 'g', 'NX', 'CH', 'CH'],
      ['GEOADD', 'g', '1', '2'],
      ['GEOADD', 'g', '1', '2', 'a', '3'],
      ['GEOADD', 'g', 'GT', '1', '2', 'a'],
      ['GEOADD', 'g', 'x', '2', 'a'],
      ['GEOADD', 'g', '1', 'y', 'a'],
      ['GEOADD', 'g', 'nan', '2', 'a'],
      ['GEOADD', 'g', '180.000001', '0', 'a'],
      ['GEOADD', 'g', '-180.5', '0', 'a'],
      ['GEOADD', 'g', '0', '85.05112879', 'a'],
      ['GEOADD', 'g', '0', '-85.06', 'a'],
      ['GEOADD', 'g', '0', '90', 'a'],
      ['GEOADD', 'g', '1e300', '-1e300', 'a'],
      ['GEOADD', 'g', 'inf', '0', 'a'],
      ['GEOADD', 'g', '-inf', '-inf', 'a'],
      ['GEOADD', 'g', '0.0000005', '-0.0000005', 'ok', '200', '0', 'bad'],
      ['GEOADD', 'g', '1', '1', 'a', '1', '100', 'b'],
      ['ZCARD', 'g'],
      ['GEOADD', 'g', '0x10', '1e1', 'hex'],
      ['GEOADD', 'g', ' 1', '1', 'space'],
      ['GEOADD', 'g'],
      ['GEOADD', 'g', '1', '1'],
      ['GEOADD', 'missing', 'XX', '1', '1', 'a'],
      ['EXISTS', 'missing'],
      ['SET', 'str', 'x'],
      ['GEOADD', 'str', '1', '1', 'a'],
      ['GEOADD', 'str', '1', '100', 'a'],
      ['OBJECT', 'ENCODING', 'g'],
      ['ZRANGE', 'g', '0', '-1', 'WITHSCORES'],
    ]);
  });

  it('GEOPOS, GEOHASH and GEODIST, edges and missing members, in RESP2 and RESP3', async () => {
    await same([['DEL', 'g', 'str'], ['GEOADD', 'g', ...SICILY, ...EDGES], ['SET', 'str', 'x']]);
    const members = ['Palermo', 'Catania', ...EDGES.filter((_, i) => i % 3 === 2), 'nosuch'];
    await same(bothProtocols([
      ['GEOPOS', 'g', ...members],
      ['GEOHASH', 'g', ...members],
      ['GEOPOS', 'nokey', 'a', 'b'],
      ['GEOHASH', 'nokey', 'a', 'b'],
      ['GEOPOS', 'g'],
      ['GEOHASH', 'g'],
      ['GEOPOS', 'nokey'],
      ['GEOPOS', 'str', 'a'],
      ['GEOHASH', 'str', 'a'],
      ['GEODIST', 'g', 'Palermo', 'Catania'],
      ['GEODIST', 'g', 'Palermo', 'Catania', 'km'],
      ['GEODIST', 'g', 'Palermo', 'Catania', 'MI'],
      ['GEODIST', 'g', 'Palermo', 'Catania', 'ft'],
      ['GEODIST', 'g', 'Palermo', 'Catania', 'M'],
      ['GEODIST', 'g', 'Palermo', 'Palermo'],
      ['GEODIST', 'g', 'ne-corner', 'sw-corner'],
      ['GEODIST', 'g', 'ne-corner', 'nw-corner', 'km'],
      ['GEODIST', 'g', 'east-am', 'west-am'],
      ['GEODIST', 'g', 'north', 'south', 'mi'],
      ['GEODIST', 'g', 'origin', 'negzero'],
      ['GEODIST', 'g', 'Palermo', 'nosuch'],
      ['GEODIST', 'g', 'nosuch', 'Palermo'],
      ['GEODIST', 'nokey', 'a', 'b'],
      ['GEODIST', 'nokey', 'a', 'b', 'parsec'],
      ['GEODIST', 'g', 'Palermo', 'Catania', 'parsec'],
      ['GEODIST', 'g', 'Palermo', 'Catania', 'km', 'extra'],
      ['GEODIST', 'str', 'a', 'b'],
      ['GEODIST', 'str', 'a', 'b', 'km'],
      ['GEODIST', 'g', 'Palermo'],
    ]));
  });

  it('positions of scores that GEOADD never writes (ZADD of any score)', async () => {
    await same([
      ['DEL', 'z'],
      ['ZADD', 'z', '0', 'zero', '-1', 'neg', '1.5', 'frac', '4503599627370495', 'max52', '4503599627370496', 'p52',
        '9007199254740993', 'p53', '1e19', 'big', '1e30', 'huge', 'inf', 'pinf', '-inf', 'ninf', '-1e19', 'nbig',
        '18446744073709551615', 'u64'],
    ]);
    const members = ['zero', 'neg', 'frac', 'max52', 'p52', 'p53', 'big', 'huge', 'pinf', 'ninf', 'nbig', 'u64'];
    await same(bothProtocols([
      ['GEOPOS', 'z', ...members],
      ['GEOHASH', 'z', ...members],
      ['GEODIST', 'z', 'zero', 'max52'],
      ['GEODIST', 'z', 'neg', 'frac'],
      ['GEODIST', 'z', 'huge', 'pinf'],
      ['GEOSEARCH', 'z', 'FROMLONLAT', '0', '0', 'BYRADIUS', '30000', 'km', 'WITHHASH', 'WITHCOORD', 'WITHDIST', 'ASC'],
    ]));
  });

  it('GEORADIUS and GEORADIUSBYMEMBER (and _RO): every option, in RESP2 and RESP3', async () => {
    await same([['DEL', 'g', 'str'], ['GEOADD', 'g', ...SICILY, '13.583333', '37.316667', 'Agrigento'], ['SET', 'str', 'x']]);
    const steps: Step[] = [];
    for (const command of ['GEORADIUS', 'GEORADIUS_RO']) {
      const at = [command, 'g', '15', '37'];
      steps.push(
        [...at, '200', 'km'],
        [...at, '200', 'km', 'ASC'],
        [...at, '200', 'km', 'DESC'],
        [...at, '200', 'km', 'WITHDIST'],
        [...at, '200', 'km', 'WITHCOORD'],
        [...at, '200', 'km', 'WITHHASH'],
        [...at, '200', 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH', 'DESC'],
        [...at, '200', 'km', 'withhash', 'withcoord', 'withdist', 'count', '2'],
        [...at, '200', 'km', 'COUNT', '1', 'DESC'],
        [...at, '200', 'km', 'COUNT', '2', 'ANY'],
        [...at, '200', 'km', 'COUNT', '5', 'ANY', 'ASC'],
        [...at, '200', 'km', 'ANY'],
        [...at, '200', 'km', 'COUNT', '0'],
        [...at, '200', 'km', 'COUNT', '-1'],
        [...at, '200', 'km', 'COUNT', 'x'],
        [...at, '200', 'km', 'COUNT'],
        [...at, '200', 'km', 'BOGUS'],
        [...at, '200', 'parsec'],
        [...at, '-1', 'km'],
        [...at, 'x', 'km'],
        [...at, '0', 'km'],
        [...at, '0', 'km', 'WITHDIST'],
        [...at, '1e10', 'km', 'WITHDIST'],
        [...at, 'inf', 'm'],
        [...at, '100', 'mi', 'WITHDIST'],
        [...at, '100000', 'ft', 'WITHDIST'],
        [command, 'g', '200', '37', '200', 'km'],
        [command, 'g', '15', '86', '200', 'km'],
        [command, 'g', 'x', '37', '200', 'km'],
        [command, 'nokey', '15', '37', '200', 'km'],
        [command, 'nokey', '15', '37', '200', 'km', 'WITHDIST', 'COUNT', '1'],
        [command, 'nokey', '15', '37', '-200', 'km'],
        [command, 'nokey', '15', '37', '200', 'km', 'ANY'],
        [command, 'str', '15', '37', '200', 'km'],
        [command, 'str', 'x', 'y', 'z', 'w'],
        [...at, '200', 'km', 'STORE', 'dst'],
        [...at, '200', 'km', 'STOREDIST', 'dst'],
      );
    }
    for (const command of ['GEORADIUSBYMEMBER', 'GEORADIUSBYMEMBER_RO']) {
      const at = [command, 'g', 'Agrigento'];
      steps.push(
        [...at, '100', 'km'],
        [...at, '100', 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH'],
        [...at, '100', 'km', 'COUNT', '2', 'DESC', 'WITHDIST'],
        [...at, '100', 'km', 'COUNT', '2', 'ANY'],
        [...at, '0', 'm', 'WITHDIST'],
        [...at, '-1', 'km'],
        [...at, '1', 'parsec'],
        [command, 'g', 'nosuch', '100', 'km'],
        [command, 'g', 'nosuch', 'x', 'km'],
        [command, 'nokey', 'nosuch', 'x', 'parsec'],
        [command, 'nokey', 'nosuch', 'x', 'parsec', 'COUNT', '0'],
        [command, 'nokey', 'nosuch', 'x', 'parsec', 'ANY'],
        [command, 'nokey', 'nosuch', 'x', 'parsec', 'BOGUS'],
        [command, 'str', 'a', '1', 'km'],
        [...at, '100', 'km', 'STORE', 'dst'],
      );
    }
    await same(bothProtocols(steps));
  });

  it('GEORADIUS STORE / STOREDIST: results, errors, missing sources, the key it writes', async () => {
    await same([
      ['DEL', 'g', 'dst', 'str'],
      ['GEOADD', 'g', ...SICILY, '13.583333', '37.316667', 'Agrigento'],
      ['SET', 'str', 'x'],
      ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE', 'dst'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['OBJECT', 'ENCODING', 'dst'],
      ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STOREDIST', 'dst'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEORADIUS', 'g', '15', '37', '200', 'mi', 'STOREDIST', 'dst', 'COUNT', '2', 'DESC'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE', 'dst', 'STOREDIST', 'dst2'],
      ['EXISTS', 'dst', 'dst2'],
      ['ZRANGE', 'dst2', '0', '-1', 'WITHSCORES'],
      ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE', 'dst', 'WITHDIST'],
      ['GEORADIUS', 'g', '15', '37', '200', 'km', 'WITHCOORD', 'STORE', 'dst'],
      ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE'],
      ['GEORADIUS_RO', 'g', '15', '37', '200', 'km', 'STORE', 'dst'],
      ['GEORADIUSBYMEMBER_RO', 'g', 'Palermo', '200', 'km', 'STOREDIST', 'dst'],
      ['SET', 'dst', 'string'],
      ['EXPIRE', 'dst', '1000'],
      ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE', 'dst'],
      ['TYPE', 'dst'],
      ['TTL', 'dst'],
      ['GEORADIUS', 'g', '0', '0', '1', 'km', 'STORE', 'dst'],
      ['EXISTS', 'dst'],
      ['SET', 'dst', 'x'],
      ['GEORADIUS', 'nokey', '0', '0', '1', 'km', 'STORE', 'dst'],
      ['EXISTS', 'dst'],
      ['GEORADIUSBYMEMBER', 'nokey', 'a', '1', 'km', 'STORE', 'dst'],
      ['GEORADIUSBYMEMBER', 'g', 'Palermo', '1', 'km', 'STORE', 'dst'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEORADIUS', 'str', '0', '0', '1', 'km', 'STORE', 'dst'],
      ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE', 'g'],
      ['ZRANGE', 'g', '0', '-1', 'WITHSCORES'],
      ['COMMAND', 'GETKEYS', 'GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE', 'dst', 'STOREDIST', 'd2'],
      ['COMMAND', 'GETKEYS', 'GEORADIUSBYMEMBER', 'g', 'm', '200', 'km', 'STOREDIST', 'dst'],
      ['COMMAND', 'GETKEYS', 'GEORADIUS', 'g', '15', '37', '200', 'km'],
      ['COMMAND', 'GETKEYS', 'GEOSEARCHSTORE', 'dst', 'src', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km'],
    ]);
  });

  it('GEOSEARCH and GEOSEARCHSTORE: shapes, orders, options and every error, in RESP2 and RESP3', async () => {
    await same([['DEL', 'g', 'str', 'dst'], ['GEOADD', 'g', ...SICILY, '13.583333', '37.316667', 'Agrigento', '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2'], ['SET', 'str', 'x']]);
    const steps: Step[] = [
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'DESC', 'WITHDIST', 'WITHCOORD', 'WITHHASH'],
      ['GEOSEARCH', 'g', 'FROMMEMBER', 'Agrigento', 'BYRADIUS', '100', 'km', 'WITHDIST'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'WITHCOORD', 'WITHDIST', 'WITHHASH'],
      ['GEOSEARCH', 'g', 'FROMMEMBER', 'Palermo', 'BYBOX', '200', '100', 'km', 'WITHDIST'],
      ['GEOSEARCH', 'g', 'FROMMEMBER', 'Palermo', 'BYBOX', '0', '0', 'km', 'WITHDIST'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'COUNT', '2'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'COUNT', '2', 'DESC'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'COUNT', '2', 'ANY'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'COUNT', '2', 'ANY', 'DESC'],
      ['GEOSEARCH', 'g', 'BYRADIUS', '200', 'km', 'FROMLONLAT', '15', '37'],
      ['GEOSEARCH', 'g', 'FROMMEMBER', 'Palermo', 'FROMMEMBER', 'Catania', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'BYRADIUS', '200', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '200', 'km'],
      ['GEOSEARCH', 'g', 'FROMMEMBER', 'Palermo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'BYBOX', '1', '1', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '1', 'km', 'BYRADIUS', '200', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37'],
      ['GEOSEARCH', 'g', 'BYRADIUS', '200', 'km'],
      ['geosearch', 'g', 'BYRADIUS', '200', 'km'],
      ['GeoSearch', 'g', 'FROMLONLAT', '15', '37', 'WITHDIST'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ANY'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', '0'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', '-5'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', '1.5'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STORE', 'dst'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'parsec'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '-1', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', 'x', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', 'x', '1', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '1', 'x', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '-1', '1', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '-1', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '1', 'parsec'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '1'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', 'BYBOX', '1', '1', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '181', '37', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', 'x', '37', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'g', 'FROMMEMBER', 'nosuch', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'g', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'WITHDIST', 'BOGUS'],
      ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'nosuch', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'nosuch'],
      ['GEOSEARCH', 'nokey', 'FROMLONLAT', '200', '0', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'nokey', 'FROMLONLAT', '0', '0', 'BYBOX', '1', '1', 'km', 'ANY'],
      ['GEOSEARCH', 'str', 'FROMLONLAT', '0', '0', 'BYBOX', '1', '1', 'km'],
      ['GEOSEARCH', 'str', 'x'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km', 'WITHDIST'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '30000', 'km', 'WITHDIST', 'DESC'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYBOX', '1e5', '1e5', 'km', 'WITHDIST'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYBOX', 'inf', 'inf', 'km', 'WITHDIST'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'WITHDIST'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STORE', 'x'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST', 'x'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ANY'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '15', '37', 'COUNT', '3'],
      ['geosearchstore', 'dst', 'g', 'BYRADIUS', '200', 'km', 'COUNT', '3'],
      ['GEOSEARCHSTORE', 'dst', 'str', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
    ];
    await same(bothProtocols(steps));
  });

  it('GEOSEARCHSTORE: STOREDIST, COUNT, empty results and missing sources', async () => {
    await same([
      ['DEL', 'g', 'dst'],
      ['GEOADD', 'g', ...SICILY, '13.583333', '37.316667', 'Agrigento'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMMEMBER', 'Palermo', 'BYBOX', '500', '500', 'mi', 'STOREDIST', 'COUNT', '2', 'DESC'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMMEMBER', 'Palermo', 'BYBOX', '500', '500', 'mi', 'COUNT', '1', 'ANY'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
      ['EXISTS', 'dst'],
      ['SET', 'dst', 'x'],
      ['GEOSEARCHSTORE', 'dst', 'nokey', 'FROMMEMBER', 'x', 'BYRADIUS', '1', 'km'],
      ['EXISTS', 'dst'],
      ['GEOSEARCHSTORE', 'g', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST'],
      ['ZRANGE', 'g', '0', '-1', 'WITHSCORES'],
    ]);
  });

  it('poles, the antimeridian, huge and zero radii', async () => {
    const points: string[] = [];
    for (const lon of ['-180', '-179.99', '-179.5', '-90', '0', '90', '179.5', '179.99', '180']) {
      for (const lat of ['-85.05112878', '-85', '-80.5', '-66.5', '0', '66.5', '80.5', '85', '85.05112878']) {
        points.push(lon, lat, `p${lon},${lat}`);
      }
    }
    await same([['DEL', 'poles'], ['GEOADD', 'poles', ...points], ['ZCARD', 'poles']]);
    const steps: Step[] = [];
    for (const [lon, lat] of [['180', '0'], ['-180', '0'], ['179.99', '85'], ['-180', '-85.05112878'], ['180', '85.05112878'], ['0', '85.05112878'], ['0', '-85.05112878'], ['90', '80.5'], ['0', '0']]) {
      for (const radius of ['0', '1', '100', '1000', '5000', '20000', '40000']) {
        steps.push(['GEOSEARCH', 'poles', 'FROMLONLAT', lon as string, lat as string, 'BYRADIUS', radius, 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH', 'ASC']);
        steps.push(['GEOSEARCH', 'poles', 'FROMLONLAT', lon as string, lat as string, 'BYBOX', radius, radius, 'km', 'WITHDIST', 'DESC']);
        steps.push(['GEORADIUS', 'poles', lon as string, lat as string, radius, 'km', 'WITHDIST', 'COUNT', '3']);
      }
    }
    steps.push(['GEOPOS', 'poles', 'p180,85.05112878', 'p-180,-85.05112878', 'p180,0', 'p-180,0']);
    steps.push(['GEOHASH', 'poles', 'p180,85.05112878', 'p-180,-85.05112878', 'p180,0', 'p-180,0', 'p0,0']);
    await same(bothProtocols(steps));
  });

  it('keyspace notifications, dirty counters and WATCH', async () => {
    await same([
      ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'],
      ['DEL', 'g', 'dst'],
      ['GEOADD', 'g', ...SICILY],
      ['WATCH', 'g'],
      ['MULTI'],
      ['GEOPOS', 'g', 'Palermo'],
      ['EXEC'],
      ['WATCH', 'g'],
      ['GEOADD', 'g', 'NX', '13.361389', '38.115556', 'Palermo'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      ['WATCH', 'g'],
      ['GEOADD', 'g', 'CH', '13', '38', 'Palermo'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      ['WATCH', 'dst'],
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      ['CONFIG', 'SET', 'notify-keyspace-events', ''],
    ]);
  });
  it('counts changes as Redis does (rdb_changes_since_last_save)', async () => {
    const changes: Step = ['INFO', 'persistence'];
    // Only the dirty counter is compared: the rest of INFO differs between the servers.
    const mask = (raw: string): string => (raw.includes('rdb_changes_since_last_save') ? (/rdb_changes_since_last_save:\d+/.exec(raw) ?? [''])[0] : raw);
    await servers.same([
      ['FLUSHALL'],
      ['SAVE'],
      ['GEOADD', 'g', ...SICILY, '13.583333', '37.316667', 'Agrigento'],
      changes,
      ['GEOADD', 'g', 'CH', '13.5', '38', 'Palermo', '15.087269', '37.502669', 'Catania', '1', '1', 'new'],
      changes,
      ['GEOADD', 'g', 'NX', '13.5', '38', 'Palermo'],
      changes,
      ['GEORADIUS', 'g', '15', '37', '200', 'km', 'STORE', 'dst'],
      changes,
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', '2'],
      changes,
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
      changes,
      ['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
      changes,
      ['SET', 'dst', 'x'],
      ['GEORADIUS', 'nokey', '0', '0', '1', 'km', 'STORE', 'dst'],
      changes,
      ['GEOSEARCH', 'g', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      changes,
    ], mask);
  });
  it('odd members, units in any case, huge COUNTs, scripts and transactions', async () => {
    await same(bothProtocols([
      ['DEL', 'g'],
      ['GEOADD', 'g', '1', '1', '', '1', '1', 'bin\x00\xff', '2', '2', 'x'.repeat(100)],
      ['OBJECT', 'ENCODING', 'g'],
      ['GEOPOS', 'g', '', 'bin\x00\xff', 'x'.repeat(100)],
      ['GEORADIUS', 'g', '1', '1', '200', 'KM', 'WITHDIST', 'COUNT', '9223372036854775807'],
      ['GEORADIUS', 'g', '1', '1', '200', 'Mi', 'WITHDIST', 'COUNT', '9223372036854775808'],
      ['GEORADIUS', 'g', '1', '1', '200', 'fT', 'COUNT', '1e3'],
      ['GEORADIUS', 'g', '1', '1', '200', 'kilometers'],
      ['GEODIST', 'g', '', 'bin\x00\xff', 'KM'],
      ['GEOSEARCH', 'g', 'frommember', '', 'bybox', '400', '400', 'Km', 'withcoord', 'count', '2', 'any', 'desc'],
      ['EVAL', "return redis.call('GEOPOS', KEYS[1], '', 'nosuch')", '1', 'g'],
      ['EVAL', "return redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', 1, 1, 'BYRADIUS', 500, 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH')", '1', 'g'],
      ['EVAL', "redis.setresp(3) return redis.call('GEOPOS', KEYS[1], '')", '1', 'g'],
      ['EVAL', "return redis.call('GEOADD', KEYS[1], 200, 1, 'bad')", '1', 'g'],
      ['EVAL', "return redis.call('GEOADD', KEYS[1], 3, 3, 'scripted')", '1', 'g'],
      ['MULTI'],
      ['GEOADD', 'g', '4', '4', 'queued'],
      ['GEOADD', 'g', '4'],
      ['GEODIST', 'g', 'queued', 'scripted'],
      ['EXEC'],
      ['MULTI'],
      ['GEOADD', 'g', '4', '400', 'queued'],
      ['GEOPOS', 'g', 'queued'],
      ['EXEC'],
      ['GEOSEARCH', 'g', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1000', 'km', 'ASC'],
      ['DEL', 'g'],
    ]));
  });
});
