import { asin, cos, sin } from '../util/libm.js';

/**
 * The geohash arithmetic of Redis 7.0's geospatial indexes (geohash.c, geohash_helper.c):
 * points are sorted set scores holding a 52-bit interleave of a latitude and a longitude cell
 * index, and a search looks at the cell of the centre and its 8 neighbours at a step (bits per
 * coordinate) chosen from the radius. Every computation follows Redis's, in the same order of
 * double operations, so that the same inputs give the same scores, cells, filters and
 * distances. No protocol or keyspace knowledge here.
 *
 * A cell is kept as its two indexes rather than the interleaved 64-bit word: moving to a
 * neighbour is then ±1 on one index modulo 2^step, which is what Redis's bit tricks compute.
 * An index may carry one bit above the step (a coordinate on the upper limit encodes to
 * 2^step): Redis keeps that bit where it does, and so does this code.
 */

export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
/** 26 bits per coordinate: 52-bit scores, exact in a double. */
export const GEO_STEP_MAX = 26;

/** Redis's earth radius (the quadratic mean radius of WGS-84), in meters. */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
/** M_PI / 180.0, as Redis's D_R. */
const D_R = Math.PI / 180.0;

const degRad = (angle: number): number => angle * D_R;
const radDeg = (angle: number): number => angle / D_R;

export interface CoordRange {
  min: number;
  max: number;
}

/** The ranges of the index Redis builds (Web Mercator's latitude limits). */
export const LONG_RANGE: CoordRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
export const LAT_RANGE: CoordRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
/** The standard geohash ranges GEOHASH re-encodes to. */
export const STANDARD_LONG_RANGE: CoordRange = { min: -180, max: 180 };
export const STANDARD_LAT_RANGE: CoordRange = { min: -90, max: 90 };

/** A cell: its latitude and longitude indexes (uint32) at `step` bits each. */
export interface GeoCell {
  lat: number;
  lon: number;
  step: number;
}

export interface GeoArea {
  cell: GeoCell;
  lonMin: number;
  lonMax: number;
  latMin: number;
  latMax: number;
}

/**
 * The cell of a point at `step` (Redis's geohashEncode), or null for a point outside the
 * limits. The offsets are truncated to uint32 as C's conversion does.
 */
export function encodeCell(lonRange: CoordRange, latRange: CoordRange, longitude: number, latitude: number, step: number): GeoCell | null {
  if (longitude > GEO_LONG_MAX || longitude < GEO_LONG_MIN || latitude > GEO_LAT_MAX || latitude < GEO_LAT_MIN) return null;
  if (latitude < latRange.min || latitude > latRange.max || longitude < lonRange.min || longitude > lonRange.max) return null;
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let lonOffset = (longitude - lonRange.min) / (lonRange.max - lonRange.min);
  latOffset *= 2 ** step;
  lonOffset *= 2 ** step;
  return { lat: Math.trunc(latOffset) >>> 0, lon: Math.trunc(lonOffset) >>> 0, step };
}

/** The 16 low bits of v spread to the even bits of a 32-bit word. */
function spread16(v: number): number {
  v &= 0xffff;
  v = (v | (v << 8)) & 0x00ff00ff;
  v = (v | (v << 4)) & 0x0f0f0f0f;
  v = (v | (v << 2)) & 0x33333333;
  v = (v | (v << 1)) & 0x55555555;
  return v >>> 0;
}

/** The even bits of a 32-bit word packed into 16 bits. */
function compact16(v: number): number {
  v &= 0x55555555;
  v = (v | (v >>> 1)) & 0x33333333;
  v = (v | (v >>> 2)) & 0x0f0f0f0f;
  v = (v | (v >>> 4)) & 0x00ff00ff;
  v = (v | (v >>> 8)) & 0x0000ffff;
  return v;
}

/** The interleaved word of a cell (latitude bits even, longitude bits odd) as a BigInt. */
export function cellBits(cell: GeoCell): bigint {
  const lo = (spread16(cell.lat) | (spread16(cell.lon) << 1)) >>> 0;
  const hi = (spread16(cell.lat >>> 16) | (spread16(cell.lon >>> 16) << 1)) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * The score of a cell of step 26: its interleaved word, rounded to a double as the decimal
 * text Redis hands ZADD is (an index of 2^26 makes the word wider than 53 bits).
 */
export function cellScore(cell: GeoCell): number {
  const lo = (spread16(cell.lat) | (spread16(cell.lon) << 1)) >>> 0;
  const hi = (spread16(cell.lat >>> 16) | (spread16(cell.lon >>> 16) << 1)) >>> 0;
  // hi * 2^32 is exact; the one addition rounds to nearest even, as strtod does.
  return hi * 2 ** 32 + lo;
}

/** The score GEOADD gives a point (already validated). */
export function geoScore(longitude: number, latitude: number): number {
  return cellScore(encodeCell(LONG_RANGE, LAT_RANGE, longitude, latitude, GEO_STEP_MAX) as GeoCell);
}

const TWO_63 = 2 ** 63;
const INDEFINITE = 1n << 63n;

/**
 * A double converted to uint64_t as Redis's x86-64 build does it (cvttsd2si, with 2^63
 * subtracted first for the upper half): scores written by ZADD may be anything.
 */
function toUint64(x: number): bigint {
  if (x >= TWO_63) {
    const y = x - TWO_63;
    const low = y < TWO_63 ? BigInt(Math.trunc(y)) : INDEFINITE;
    return low ^ INDEFINITE;
  }
  if (x >= -TWO_63) return BigInt.asUintN(64, BigInt(Math.trunc(x)));
  return INDEFINITE;
}

/** A double converted to long long as x86-64 does (out of range: LLONG_MIN). WITHHASH. */
export function toLongLong(x: number): number | bigint {
  if (Number.isInteger(x) && Math.abs(x) <= Number.MAX_SAFE_INTEGER) return x;
  if (x > -TWO_63 - 1 && x < TWO_63) {
    const t = Math.trunc(x);
    return Math.abs(t) <= Number.MAX_SAFE_INTEGER ? t : BigInt(t);
  }
  return -(1n << 63n);
}

/** The cell of step 26 a score stands for (Redis's decodeGeohash: the score as uint64_t). */
export function scoreCell(score: number): GeoCell {
  let hi: number;
  let lo: number;
  if (score >= 0 && score <= Number.MAX_SAFE_INTEGER && Number.isInteger(score)) {
    hi = Math.floor(score / 2 ** 32);
    lo = score - hi * 2 ** 32;
  } else {
    const bits = toUint64(score);
    hi = Number(bits >> 32n);
    lo = Number(bits & 0xffffffffn);
  }
  return {
    lat: (compact16(lo) | (compact16(hi) << 16)) >>> 0,
    lon: (compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0,
    step: GEO_STEP_MAX,
  };
}

/** The area of a cell (Redis's geohashDecode). `(index + 1)` wraps as a uint32, as in C. */
export function decodeCell(lonRange: CoordRange, latRange: CoordRange, cell: GeoCell): GeoArea {
  const latScale = latRange.max - latRange.min;
  const lonScale = lonRange.max - lonRange.min;
  const steps = 2 ** cell.step;
  return {
    cell,
    latMin: latRange.min + (cell.lat / steps) * latScale,
    latMax: latRange.min + (((cell.lat + 1) >>> 0) / steps) * latScale,
    lonMin: lonRange.min + (cell.lon / steps) * lonScale,
    lonMax: lonRange.min + (((cell.lon + 1) >>> 0) / steps) * lonScale,
  };
}

/** The centre of an area, clamped to the limits (Redis's geohashDecodeAreaToLongLat). */
export function areaCenter(area: GeoArea, out: [number, number]): [number, number] {
  let lon = (area.lonMin + area.lonMax) / 2;
  if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
  if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
  let lat = (area.latMin + area.latMax) / 2;
  if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
  if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
  out[0] = lon;
  out[1] = lat;
  return out;
}

/** The point (longitude, latitude) a score stands for, written into `out`. */
export function decodeScore(score: number, out: [number, number]): [number, number] {
  return areaCenter(decodeCell(LONG_RANGE, LAT_RANGE, scoreCell(score)), out);
}

/** The 11-character standard geohash GEOHASH answers for a score. */
export function standardGeohash(score: number): string {
  const xy = decodeScore(score, [0, 0]);
  const cell = encodeCell(STANDARD_LONG_RANGE, STANDARD_LAT_RANGE, xy[0], xy[1], GEO_STEP_MAX) as GeoCell;
  const bits = cellBits(cell);
  let text = '';
  for (let i = 0; i < 10; i++) {
    text += GEO_ALPHABET[Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn)];
  }
  // 52 bits make 10 characters and 2 bits: Redis pads the 11th character with zero bits.
  return text + '0';
}

const GEO_ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

// ---- distances (geohash_helper.c) ----

/** Distance along a meridian: Redis's shortcut when the longitudes are the same. */
export function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS_IN_METERS * Math.abs(degRad(lat2) - degRad(lat1));
}

/** Haversine great circle distance in meters (Redis's geohashGetDistance). */
export function geoDistance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = degRad(lon1);
  const lon2r = degRad(lon2);
  const v = sin((lon2r - lon1r) / 2);
  if (v === 0) return latDistance(lat1, lat2);
  const lat1r = degRad(lat1);
  const lat2r = degRad(lat2);
  const u = sin((lat2r - lat1r) / 2);
  const a = u * u + cos(lat1r) * cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * asin(Math.sqrt(a));
}

// ---- search shapes ----

export const enum ShapeType { Circle = 1, Box = 2 }

/** A search area around (lon, lat): a radius, or a box of width × height, in `conversion` units. */
export interface GeoShape {
  type: ShapeType;
  lon: number;
  lat: number;
  /** Meters per unit (km: 1000). */
  conversion: number;
  radius: number;
  width: number;
  height: number;
}

/**
 * Whether a point lies in the shape (Redis's geoWithinShape); its distance from the centre,
 * in meters, is returned, or -1 when it is outside.
 */
export function distanceWithinShape(shape: GeoShape, lon: number, lat: number): number {
  if (shape.type === ShapeType.Circle) {
    const distance = geoDistance(shape.lon, shape.lat, lon, lat);
    return distance > shape.radius * shape.conversion ? -1 : distance;
  }
  const widthM = shape.width * shape.conversion;
  const heightM = shape.height * shape.conversion;
  // The latitude test is the cheaper one: first, as in Redis.
  if (latDistance(lat, shape.lat) > heightM / 2) return -1;
  if (geoDistance(lon, lat, shape.lon, lat) > widthM / 2) return -1;
  return geoDistance(shape.lon, shape.lat, lon, lat);
}

/** Bits per coordinate of the cells a search of this radius looks at (geohashEstimateStepsByRadius). */
export function estimateStep(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  // Cells are narrower towards the poles.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** [minLon, minLat, maxLon, maxLat] of the shape (geohashBoundingBox). */
export function boundingBox(shape: GeoShape): [number, number, number, number] {
  const circle = shape.type === ShapeType.Circle;
  const height = shape.conversion * (circle ? shape.radius : shape.height / 2);
  const width = shape.conversion * (circle ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / cos(degRad(shape.lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / cos(degRad(shape.lat - latDelta)));
  // The box is widest on the side nearer the equator.
  const southern = shape.lat < 0;
  return [
    southern ? shape.lon - lonDeltaBottom : shape.lon - lonDeltaTop,
    shape.lat - latDelta,
    southern ? shape.lon + lonDeltaBottom : shape.lon + lonDeltaTop,
    shape.lat + latDelta,
  ];
}

/** A cell moved by one in longitude (dx) and/or latitude (dy), wrapping within its step. */
function neighbour(cell: GeoCell, dx: number, dy: number): GeoCell {
  const mask = 2 ** cell.step - 1;
  return {
    lat: dy === 0 ? cell.lat : ((cell.lat + dy) & mask) >>> 0,
    lon: dx === 0 ? cell.lon : ((cell.lon + dx) & mask) >>> 0,
    step: cell.step,
  };
}

/**
 * The cells to scan for a search, in Redis's order: the centre's, then north, south, east,
 * west, north-east, north-west, south-east, south-west; null for the neighbours Redis drops as
 * useless (geohashCalculateAreasByShapeWGS84).
 */
export function searchCells(shape: GeoShape): Array<GeoCell | null> {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const radiusMeters = (shape.type === ShapeType.Circle
    ? shape.radius
    : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))) * shape.conversion;
  let step = estimateStep(radiusMeters, shape.lat);
  let cell = encodeCell(LONG_RANGE, LAT_RANGE, shape.lon, shape.lat, step) as GeoCell;
  // A neighbour too near the search area to cover it: one step coarser.
  const north = decodeCell(LONG_RANGE, LAT_RANGE, neighbour(cell, 0, 1));
  const south = decodeCell(LONG_RANGE, LAT_RANGE, neighbour(cell, 0, -1));
  const east = decodeCell(LONG_RANGE, LAT_RANGE, neighbour(cell, 1, 0));
  const west = decodeCell(LONG_RANGE, LAT_RANGE, neighbour(cell, -1, 0));
  const decrease = north.latMax < maxLat || south.latMin > minLat || east.lonMax < maxLon || west.lonMin > minLon;
  if (step > 1 && decrease) {
    step--;
    cell = encodeCell(LONG_RANGE, LAT_RANGE, shape.lon, shape.lat, step) as GeoCell;
  }
  const area = decodeCell(LONG_RANGE, LAT_RANGE, cell);
  const cells: Array<GeoCell | null> = [
    cell,
    neighbour(cell, 0, 1), neighbour(cell, 0, -1), neighbour(cell, 1, 0), neighbour(cell, -1, 0),
    neighbour(cell, 1, 1), neighbour(cell, -1, 1), neighbour(cell, 1, -1), neighbour(cell, -1, -1),
  ];
  if (step >= 2) {
    const NORTH = 1, SOUTH = 2, EAST = 3, WEST = 4, NE = 5, NW = 6, SE = 7, SW = 8;
    if (area.latMin < minLat) cells[SOUTH] = cells[SW] = cells[SE] = null;
    if (area.latMax > maxLat) cells[NORTH] = cells[NE] = cells[NW] = null;
    if (area.lonMin < minLon) cells[WEST] = cells[SW] = cells[NW] = null;
    if (area.lonMax > maxLon) cells[EAST] = cells[SE] = cells[NE] = null;
  }
  return cells;
}

/**
 * The scores [min, max) of the points inside a cell: its word and the next one, shifted to
 * 52 bits (Redis's scoresOfGeoHashBox), as the doubles Redis compares with.
 */
export function cellScoreRange(cell: GeoCell): [number, number] {
  const shift = BigInt(52 - cell.step * 2);
  const bits = cellBits(cell);
  return [Number(BigInt.asUintN(64, bits << shift)), Number(BigInt.asUintN(64, (bits + 1n) << shift))];
}
