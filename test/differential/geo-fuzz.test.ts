/**
 * Seeded fuzz of geo searches against Redis 7.0: random points (many near the poles, on the
 * antimeridian, on the limits, and repeated points whose distances tie), then random
 * searches — centre, radius or box, unit, options — whose replies must be byte for byte
 * Redis's. Redis's order is deterministic in every case (cell order, then a stable sort or its
 * pqsort for COUNT), so every reply is compared as it is.
 */
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, mismatches, type Step } from '../helpers/differential.js';
import { prng } from '../helpers/collection-fuzz.js';

const hasOracle = oracleAvailable();
const LAT_LIMIT = 85.05112878;
/**
 * Where STOREDIST writes: its scores are the full doubles of the distances, which can differ
 * from Redis's in the last bit (glibc's sin/cos/asin are not always correctly rounded, nodis's
 * are), so they are compared to 12 significant digits; members and their order exactly.
 */
const DISTANCES = 'fuzz:dist';

/** Whether two ZRANGE … WITHSCORES replies hold the same members and scores to 12 digits. */
function sameDistances(a: string, b: string): boolean {
  // The bulk strings only: a length line differs with the number of digits.
  const fa = a.split('\r\n').filter((line) => !line.startsWith('$'));
  const fb = b.split('\r\n').filter((line) => !line.startsWith('$'));
  if (fa.length !== fb.length) return false;
  return fa.every((line, i) => {
    const other = fb[i] as string;
    if (line === other) return true;
    const x = Number(line);
    const y = Number(other);
    return Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= 1e-12 * Math.max(Math.abs(x), Math.abs(y));
  });
}

class GeoFuzz {
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = prng(seed);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  private between(min: number, max: number): number {
    return min + this.random() * (max - min);
  }

  /** A coordinate as text: mostly 6 decimals, sometimes full precision or an exact limit. */
  private text(value: number): string {
    const r = this.random();
    if (r < 0.6) return value.toFixed(6);
    if (r < 0.9) return String(value);
    return value.toFixed(1);
  }

  /** Longitude, latitude: uniform, polar, on the antimeridian, or on the limits. */
  point(): [string, string] {
    const kind = this.random();
    if (kind < 0.4) return [this.text(this.between(-180, 180)), this.text(this.between(-LAT_LIMIT, LAT_LIMIT))];
    if (kind < 0.6) {
      const lat = this.between(75, LAT_LIMIT) * (this.random() < 0.5 ? 1 : -1);
      return [this.text(this.between(-180, 180)), this.text(lat)];
    }
    if (kind < 0.8) {
      const lon = this.between(175, 180) * (this.random() < 0.5 ? 1 : -1);
      return [this.text(lon), this.text(this.between(-LAT_LIMIT, LAT_LIMIT))];
    }
    if (kind < 0.9) {
      return [this.pick(['180', '-180', '0', '179.999999', '-179.999999']), this.pick(['85.05112878', '-85.05112878', '0', '85', '-85'])];
    }
    // Near some fixed places, so that searches of small radii find several points.
    const [lon, lat] = this.pick([[13.36, 38.11], [-0.12, 51.5], [179.9, -16.5], [0, 84.9], [-179.9, 65.2]]);
    return [this.text((lon as number) + this.between(-0.5, 0.5)), this.text((lat as number) + this.between(-0.3, 0.3))];
  }

  /** GEOADD commands for `count` points, some of them repeated under other names. */
  points(key: string, count: number): { steps: Step[]; members: string[] } {
    const steps: Step[] = [];
    const members: string[] = [];
    let batch: string[] = [];
    let last: [string, string] = ['0', '0'];
    for (let i = 0; i < count; i++) {
      const at = this.random() < 0.1 ? last : this.point();
      last = at;
      const member = `m${i}`;
      members.push(member);
      batch.push(at[0], at[1], member);
      if (batch.length >= 60) {
        steps.push(['GEOADD', key, ...batch]);
        batch = [];
      }
    }
    if (batch.length !== 0) steps.push(['GEOADD', key, ...batch]);
    return { steps, members };
  }

  private distance(): string {
    const r = this.random();
    if (r < 0.05) return '0';
    if (r < 0.1) return this.pick(['20000', '40000', '1e6', '0.001']);
    // Log-uniform from 10 m to 10 000 km.
    return (10 ** this.between(-2, 4)).toFixed(3);
  }

  /** A random search on `key`: GEOSEARCH, GEORADIUS or GEORADIUSBYMEMBER (or their _RO forms). */
  search(key: string, members: string[]): Step {
    const unit = this.pick(['km', 'km', 'm', 'mi', 'ft']);
    const scale = unit === 'm' ? '1000' : unit === 'ft' ? '3280.84' : '1';
    const scaled = (d: string): string => String(Number(d) * Number(scale));
    const options: string[] = [];
    for (const opt of ['WITHDIST', 'WITHCOORD', 'WITHHASH']) if (this.random() < 0.4) options.push(opt);
    const sort = this.random();
    if (sort < 0.3) options.push('ASC');
    else if (sort < 0.6) options.push('DESC');
    if (this.random() < 0.4) {
      options.push('COUNT', String(1 + Math.floor(this.random() * 20)));
      if (this.random() < 0.3) options.push('ANY');
    }
    const kind = this.random();
    const fromMember = this.random() < 0.3;
    const member = this.pick(members);
    const [lon, lat] = this.point();
    if (kind < 0.6) {
      const from = fromMember ? ['FROMMEMBER', member] : ['FROMLONLAT', lon, lat];
      const by = this.random() < 0.5
        ? ['BYRADIUS', scaled(this.distance()), unit]
        : ['BYBOX', scaled(this.distance()), scaled(this.distance()), unit];
      return ['GEOSEARCH', key, ...from, ...by, ...options];
    }
    const ro = this.random() < 0.3 ? '_RO' : '';
    if (fromMember) return [`GEORADIUSBYMEMBER${ro}`, key, member, scaled(this.distance()), unit, ...options];
    return [`GEORADIUS${ro}`, key, lon, lat, scaled(this.distance()), unit, ...options];
  }

  /** A search that stores: the stored set read back (geohash scores, or distances rounded by a reply). */
  store(key: string, members: string[]): Step[] {
    const [lon, lat] = this.point();
    const radius = this.distance();
    const count = this.random() < 0.5 ? ['COUNT', String(1 + Math.floor(this.random() * 10))] : [];
    if (this.random() < 0.5) {
      return [
        ['GEOSEARCHSTORE', 'fuzz:dst', key, 'FROMMEMBER', this.pick(members), 'BYBOX', radius, radius, 'km', ...count],
        ['ZRANGE', 'fuzz:dst', '0', '-1', 'WITHSCORES'],
      ];
    }
    if (this.random() < 0.5) {
      return [
        ['GEORADIUS', key, lon, lat, radius, 'km', 'STORE', 'fuzz:dst', ...count],
        ['ZRANGE', 'fuzz:dst', '0', '-1', 'WITHSCORES'],
        ['OBJECT', 'ENCODING', 'fuzz:dst'],
      ];
    }
    return [
      ['GEORADIUS', key, lon, lat, radius, 'km', 'STOREDIST', DISTANCES, ...count],
      ['ZRANGE', DISTANCES, '0', '-1'],
      ['ZRANGE', DISTANCES, '0', '-1', 'WITHSCORES'],
    ];
  }
}

describe.skipIf(!hasOracle)('differential: seeded fuzz of geo searches', () => {
  const servers = differentialPair();

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14]) {
    it(`seed ${seed}: random points and searches reply as Redis, RESP2 and RESP3`, async () => {
      const fuzz = new GeoFuzz(seed);
      const key = `fuzz:geo:${seed}`;
      // Small sets stay listpacks in Redis, larger ones skiplists: both sizes.
      const { steps: adds, members } = fuzz.points(key, seed % 2 === 0 ? 100 : 600);
      const steps: Step[] = [['DEL', key, 'fuzz:dst', DISTANCES], ...adds, ['ZCARD', key], ['GEOPOS', key, ...members.slice(0, 50)], ['GEOHASH', key, ...members.slice(0, 50)]];
      for (let i = 0; i < 150; i++) steps.push(fuzz.search(key, members));
      for (let i = 0; i < 20; i++) steps.push(...fuzz.store(key, members));
      steps.push(['HELLO', '3']);
      for (let i = 0; i < 50; i++) steps.push(fuzz.search(key, members));
      steps.push(['HELLO', '2']);
      const results = await servers.run(steps, (raw) => raw.replace(/\$2\r\nid\r\n:\d+\r\n/, 'id'));
      const exact = results.filter((r) => {
        const step = r.step as string[];
        return !(step[1] === DISTANCES && step.length === 5 && sameDistances(r.nodis, r.redis));
      });
      expect(mismatches(exact)).toEqual([]);
    });
  }
});
