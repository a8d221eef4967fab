import { RedisError, ERR_SYNTAX } from '../../errors.js';
import {
  GEO_LAT_MAX, GEO_LAT_MIN, GEO_LONG_MAX, GEO_LONG_MIN, GEO_STEP_MAX, LAT_RANGE, LONG_RANGE, ShapeType,
  cellBits, cellScore, cellScoreRange, decodeScore, distanceWithinShape, encodeCell, geoDistance, searchCells,
  standardGeohash, toLongLong, type GeoCell, type GeoShape,
} from '../../types/geohash.js';
import type { SkipNode } from '../../types/skiplist.js';
import { ZSet } from '../../types/zset.js';
import { formatDistance, formatFixed, formatHumanDouble } from '../../util/format.js';
import { getDouble, getLongLong } from '../../util/parse.js';
import { partialSort } from '../../util/pqsort.js';
import type { CommandCode, CommandContext } from '../core/context.js';
import { readZSet, zsetLimits } from '../zsets/common.js';
import { zadd } from '../zsets/zsets.js';

const ERR_DECODE_MEMBER = 'ERR could not decode requested zset member';

/** A longitude and a latitude argument (Redis's extractLongLatOrReply). */
function parseLonLat(argv: string[], index: number): [number, number] {
  const lon = getDouble(argv[index] as string);
  const lat = getDouble(argv[index + 1] as string);
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    throw new RedisError(`ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`);
  }
  return [lon, lat];
}

/** Meters per unit (extractUnitOrReply). */
function parseUnit(text: string): number {
  switch (text.toLowerCase()) {
    case 'm': return 1;
    case 'km': return 1000;
    case 'ft': return 0.3048;
    case 'mi': return 1609.34;
    default: throw new RedisError('ERR unsupported unit provided. please use M, KM, FT, MI');
  }
}

/** `radius unit` into the shape (extractDistanceOrReply). */
function parseRadius(argv: string[], index: number, shape: GeoShape): void {
  const radius = getDouble(argv[index] as string, 'ERR need numeric radius');
  if (radius < 0) throw new RedisError('ERR radius cannot be negative');
  shape.radius = radius;
  shape.conversion = parseUnit(argv[index + 1] as string);
}

/** `width height unit` into the shape (extractBoxOrReply). */
function parseBox(argv: string[], index: number, shape: GeoShape): void {
  const width = getDouble(argv[index] as string, 'ERR need numeric width');
  const height = getDouble(argv[index + 1] as string, 'ERR need numeric height');
  if (height < 0 || width < 0) throw new RedisError('ERR height or width cannot be negative');
  shape.width = width;
  shape.height = height;
  shape.conversion = parseUnit(argv[index + 2] as string);
}

/** A member's point into the shape's centre, or Redis's error when it is not in the set. */
function centreOnMember(zset: ZSet, member: string, shape: GeoShape): void {
  const score = zset.score(member);
  if (score === undefined) throw new RedisError(ERR_DECODE_MEMBER);
  const xy = decodeScore(score, [0, 0]);
  shape.lon = xy[0];
  shape.lat = xy[1];
}

/** A coordinate as Redis's addReplyHumanLongDouble sends it. */
function replyCoordinate(ctx: CommandContext, value: number): void {
  const text = formatHumanDouble(value);
  if (ctx.reply.resp === 3) ctx.reply.raw(',' + text + '\r\n');
  else ctx.reply.bulk(text);
}

// ---- GEOADD ----

/** GEOADD key [NX|XX] [CH] lon lat member …: ZADD of the members' scores, and propagated as that ZADD. */
function geoadd(ctx: CommandContext, argv: string[]): void {
  let nx = false;
  let xx = false;
  let longIdx = 2;
  for (; longIdx < argv.length; longIdx++) {
    const opt = (argv[longIdx] as string).toLowerCase();
    if (opt === 'nx') nx = true;
    else if (opt === 'xx') xx = true;
    else if (opt !== 'ch') break;
  }
  if ((argv.length - longIdx) % 3 !== 0 || (xx && nx)) throw new RedisError(ERR_SYNTAX);
  const elements = (argv.length - longIdx) / 3;
  const zaddArgv: string[] = new Array<string>(longIdx + elements * 2);
  zaddArgv[0] = 'zadd';
  for (let i = 1; i < longIdx; i++) zaddArgv[i] = argv[i] as string;
  for (let i = 0; i < elements; i++) {
    const at = longIdx + i * 3;
    const [lon, lat] = parseLonLat(argv, at);
    const cell = encodeCell(LONG_RANGE, LAT_RANGE, lon, lat, GEO_STEP_MAX) as GeoCell;
    const score = cellScore(cell);
    // Redis writes the 52-bit word in decimal; past 2^53 (a coordinate on the upper limit)
    // the double rounds it, the text does not.
    zaddArgv[longIdx + i * 2] = score <= Number.MAX_SAFE_INTEGER ? String(score) : cellBits(cell).toString();
    zaddArgv[longIdx + i * 2 + 1] = argv[at + 2] as string;
  }
  zadd(ctx, zaddArgv);
  ctx.server.propagation.rewrite(zaddArgv);
}

// ---- GEORADIUS, GEORADIUSBYMEMBER, GEOSEARCH, GEOSEARCHSTORE ----

const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const RADIUS_NOSTORE = 4;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

const enum Sort { None, Asc, Desc }

interface GeoPoint {
  member: string;
  lon: number;
  lat: number;
  /** From the centre, in meters until the reply converts it. */
  dist: number;
  score: number;
}

const byDistanceAsc = (a: GeoPoint, b: GeoPoint): number => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1);
const byDistanceDesc = (a: GeoPoint, b: GeoPoint): number => -byDistanceAsc(a, b);

/** Whether a search with a limit (COUNT … ANY) has found enough. */
const enough = (points: GeoPoint[], limit: number): boolean => points.length !== 0 && limit !== 0 && points.length >= limit;

/** Appends the points of one cell that lie in the shape (Redis's geoGetPointsInRange). */
function pointsInCell(zset: ZSet, cell: GeoCell, shape: GeoShape, points: GeoPoint[], limit: number): void {
  const [min, max] = cellScoreRange(cell);
  const xy: [number, number] = [0, 0];
  let node: SkipNode | null = zset.zsl.firstInScoreRange({ min, max, minex: false, maxex: true });
  for (; node !== null && node.score < max; node = node.next) {
    decodeScore(node.score, xy);
    const dist = distanceWithinShape(shape, xy[0], xy[1]);
    if (dist >= 0) points.push({ member: node.member, lon: xy[0], lat: xy[1], dist, score: node.score });
    if (enough(points, limit)) break;
  }
}

/** The points of the shape, cell by cell in Redis's order (membersOfAllNeighbors). */
function pointsInShape(zset: ZSet, shape: GeoShape, limit: number): GeoPoint[] {
  const cells = searchCells(shape);
  const points: GeoPoint[] = [];
  // Huge radii make neighbours repeat: a cell equal to the last one scanned is skipped (Redis
  // never compares with the centre's, index 0).
  let lastProcessed = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === null || cell === undefined) continue;
    if (lastProcessed !== 0) {
      const last = cells[lastProcessed] as GeoCell;
      if (last.lat === cell.lat && last.lon === cell.lon && last.step === cell.step) continue;
    }
    if (enough(points, limit)) break;
    pointsInCell(zset, cell, shape, points, limit);
    lastProcessed = i;
  }
  return points;
}

/** Redis's georadiusGeneric: every search command, replying or storing. */
function georadiusGeneric(ctx: CommandContext, argv: string[], srcKeyIndex: number, flags: number): void {
  let storeKey: string | null = null;
  let storeDist = false;
  const zset = readZSet(ctx, argv[srcKeyIndex] as string);
  const shape: GeoShape = { type: ShapeType.Circle, lon: 0, lat: 0, conversion: 0, radius: 0, width: 0, height: 0 };
  let baseArgs: number;
  if (flags & RADIUS_COORDS) {
    baseArgs = 6;
    [shape.lon, shape.lat] = parseLonLat(argv, 2);
    parseRadius(argv, baseArgs - 2, shape);
  } else if (flags & RADIUS_MEMBER) {
    baseArgs = 5;
    // Without the key, the member and radius are not even looked at: only the options.
    if (zset !== undefined) {
      centreOnMember(zset, argv[2] as string, shape);
      parseRadius(argv, baseArgs - 2, shape);
    }
  } else {
    baseArgs = 2;
    if (flags & GEOSEARCHSTORE) {
      baseArgs = 3;
      storeKey = argv[1] as string;
    }
  }

  let withDist = false;
  let withHash = false;
  let withCoords = false;
  let fromMember = false;
  let fromLonLat = false;
  let byRadius = false;
  let byBox = false;
  let sort = Sort.None;
  let any = false;
  let count = 0;
  const search = (flags & GEOSEARCH) !== 0;
  const storeAllowed = (flags & RADIUS_NOSTORE) === 0 && !search;
  const remaining = argv.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const at = baseArgs + i;
    const arg = (argv[at] as string).toLowerCase();
    if (arg === 'withdist') withDist = true;
    else if (arg === 'withhash') withHash = true;
    else if (arg === 'withcoord') withCoords = true;
    else if (arg === 'any') any = true;
    else if (arg === 'asc') sort = Sort.Asc;
    else if (arg === 'desc') sort = Sort.Desc;
    else if (arg === 'count' && i + 1 < remaining) {
      count = getLongLong(argv[at + 1] as string);
      if (count <= 0) throw new RedisError('ERR COUNT must be > 0');
      i++;
    } else if ((arg === 'store' || arg === 'storedist') && i + 1 < remaining && storeAllowed) {
      storeKey = argv[at + 1] as string;
      storeDist = arg === 'storedist';
      i++;
    } else if (arg === 'storedist' && search && (flags & GEOSEARCHSTORE) !== 0) {
      storeDist = true;
    } else if (arg === 'frommember' && i + 1 < remaining && search && !fromLonLat) {
      if (zset !== undefined) centreOnMember(zset, argv[at + 1] as string, shape);
      fromMember = true;
      i++;
    } else if (arg === 'fromlonlat' && i + 2 < remaining && search && !fromMember) {
      [shape.lon, shape.lat] = parseLonLat(argv, at + 1);
      fromLonLat = true;
      i += 2;
    } else if (arg === 'byradius' && i + 2 < remaining && search && !byBox) {
      parseRadius(argv, at + 1, shape);
      shape.type = ShapeType.Circle;
      byRadius = true;
      i += 2;
    } else if (arg === 'bybox' && i + 3 < remaining && search && !byRadius) {
      parseBox(argv, at + 1, shape);
      shape.type = ShapeType.Box;
      byBox = true;
      i += 3;
    } else {
      throw new RedisError(ERR_SYNTAX);
    }
  }

  if (storeKey !== null && (withDist || withHash || withCoords)) {
    const what = flags & GEOSEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS';
    throw new RedisError(`ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if (search && !(fromMember || fromLonLat)) {
    throw new RedisError(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${argv[0] as string}`);
  }
  if (search && !(byRadius || byBox)) {
    throw new RedisError(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${argv[0] as string}`);
  }
  if (any && count === 0) throw new RedisError('ERR the ANY argument requires COUNT argument');

  const db = ctx.db;
  if (zset === undefined) {
    if (storeKey !== null) {
      // delete signals the key (WATCH, client-side caching) as Redis's signalModifiedKey.
      if (db.delete(storeKey)) {
        db.notify('g', 'del', storeKey);
        ctx.server.dirty++;
      }
      ctx.reply.integer(0);
    } else {
      ctx.reply.emptyArray();
    }
    return;
  }

  // COUNT keeps the nearest: it sorts unless ANY asked for whichever come first.
  if (count !== 0 && sort === Sort.None && !any) sort = Sort.Asc;
  const points = pointsInShape(zset, shape, any ? count : 0);
  if (points.length === 0 && storeKey === null) {
    ctx.reply.emptyArray();
    return;
  }
  const returned = count === 0 || points.length < count ? points.length : count;
  if (sort !== Sort.None) {
    const cmp = sort === Sort.Asc ? byDistanceAsc : byDistanceDesc;
    // A full sort is glibc's qsort, a stable merge sort; a partial one Redis's pqsort.
    if (returned === points.length) points.sort(cmp);
    else partialSort(points, cmp, 0, returned - 1);
  }

  if (storeKey === null) {
    replyPoints(ctx, points, returned, shape.conversion, withDist, withHash, withCoords);
    return;
  }
  if (returned !== 0) {
    const result = new ZSet();
    for (let i = 0; i < returned; i++) {
      const point = points[i] as GeoPoint;
      result.insertNew(point.member, storeDist ? point.dist / shape.conversion : point.score);
    }
    result.fitEncoding(zsetLimits(ctx));
    db.set(storeKey, result);
    db.notify('z', search ? 'geosearchstore' : 'georadiusstore', storeKey);
    ctx.server.dirty += returned;
  } else if (db.delete(storeKey)) {
    db.notify('g', 'del', storeKey);
    ctx.server.dirty++;
  }
  ctx.reply.integer(returned);
}

function replyPoints(
  ctx: CommandContext, points: GeoPoint[], returned: number, conversion: number,
  withDist: boolean, withHash: boolean, withCoords: boolean,
): void {
  const reply = ctx.reply;
  const options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoords ? 1 : 0);
  reply.arrayHeader(returned);
  for (let i = 0; i < returned; i++) {
    const point = points[i] as GeoPoint;
    if (options !== 0) reply.arrayHeader(options + 1);
    reply.bulk(point.member);
    if (withDist) reply.bulk(formatDistance(point.dist / conversion));
    if (withHash) reply.integer(toLongLong(point.score));
    if (withCoords) {
      reply.arrayHeader(2);
      replyCoordinate(ctx, point.lon);
      replyCoordinate(ctx, point.lat);
    }
  }
}

function georadius(ctx: CommandContext, argv: string[]): void {
  georadiusGeneric(ctx, argv, 1, RADIUS_COORDS);
}

function georadiusbymember(ctx: CommandContext, argv: string[]): void {
  georadiusGeneric(ctx, argv, 1, RADIUS_MEMBER);
}

function georadiusRo(ctx: CommandContext, argv: string[]): void {
  georadiusGeneric(ctx, argv, 1, RADIUS_COORDS | RADIUS_NOSTORE);
}

function georadiusbymemberRo(ctx: CommandContext, argv: string[]): void {
  georadiusGeneric(ctx, argv, 1, RADIUS_MEMBER | RADIUS_NOSTORE);
}

function geosearch(ctx: CommandContext, argv: string[]): void {
  georadiusGeneric(ctx, argv, 1, GEOSEARCH);
}

function geosearchstore(ctx: CommandContext, argv: string[]): void {
  georadiusGeneric(ctx, argv, 2, GEOSEARCH | GEOSEARCHSTORE);
}

/**
 * Redis's georadiusGetKeys: the source key, and the key after the last STORE or STOREDIST
 * from the 6th argument on.
 */
function georadiusKeyPositions(argv: readonly string[]): number[] {
  let stored = -1;
  for (let i = 5; i < argv.length; i++) {
    const arg = (argv[i] as string).toLowerCase();
    if ((arg === 'store' || arg === 'storedist') && i + 1 < argv.length) {
      stored = i + 1;
      i++;
    }
  }
  return stored === -1 ? [1] : [1, stored];
}

// ---- GEOHASH, GEOPOS, GEODIST ----

function geohash(ctx: CommandContext, argv: string[]): void {
  const zset = readZSet(ctx, argv[1] as string);
  ctx.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = zset?.score(argv[i] as string);
    if (score === undefined) ctx.reply.nullBulk();
    else ctx.reply.bulk(standardGeohash(score));
  }
}

function geopos(ctx: CommandContext, argv: string[]): void {
  const zset = readZSet(ctx, argv[1] as string);
  const xy: [number, number] = [0, 0];
  ctx.reply.arrayHeader(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const score = zset?.score(argv[i] as string);
    if (score === undefined) {
      ctx.reply.nullArray();
      continue;
    }
    decodeScore(score, xy);
    ctx.reply.arrayHeader(2);
    replyCoordinate(ctx, xy[0]);
    replyCoordinate(ctx, xy[1]);
  }
}

function geodist(ctx: CommandContext, argv: string[]): void {
  let toMeters = 1;
  if (argv.length === 5) toMeters = parseUnit(argv[4] as string);
  else if (argv.length > 5) throw new RedisError(ERR_SYNTAX);
  const zset = readZSet(ctx, argv[1] as string);
  const score1 = zset?.score(argv[2] as string);
  const score2 = zset?.score(argv[3] as string);
  if (score1 === undefined || score2 === undefined) {
    ctx.reply.nullBulk();
    return;
  }
  const a = decodeScore(score1, [0, 0]);
  const b = decodeScore(score2, [0, 0]);
  ctx.reply.bulk(formatDistance(geoDistance(a[0], a[1], b[0], b[1]) / toMeters));
}

export const commands: CommandCode[] = [
  { name: 'geoadd', handler: geoadd },
  { name: 'geodist', handler: geodist },
  { name: 'geohash', handler: geohash },
  { name: 'geopos', handler: geopos },
  { name: 'georadius', handler: georadius, getKeys: georadiusKeyPositions },
  { name: 'georadiusbymember', handler: georadiusbymember, getKeys: georadiusKeyPositions },
  { name: 'georadius_ro', handler: georadiusRo },
  { name: 'georadiusbymember_ro', handler: georadiusbymemberRo },
  { name: 'geosearch', handler: geosearch },
  { name: 'geosearchstore', handler: geosearchstore },
];
