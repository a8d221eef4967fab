import { describe, expect, it } from 'vitest';
import { asin, cos, sin } from '../../src/util/libm.js';
import { formatDistance, formatFixed, formatHumanDouble } from '../../src/util/format.js';
import { decodeScore, estimateStep, geoScore, standardGeohash } from '../../src/types/geohash.js';

/** Arguments where V8's Math functions and glibc's libm disagree in the last bit, with glibc's results. */
const GLIBC = {
  sin: [
    [0.5607563018422232, 0.5318268265438418],
    [-0.7766661575257828, -0.700905441544336],
    [-0.606892946178648, -0.5703180085250242],
    [-1.3061741546878314, -0.9651913886205344],
    [2.4136303860793795, 0.6653497854256808],
    [0.4919966241942258, 0.47238663605685977],
    [0.22490794879882678, 0.22301663021818252],
    [2.3316867502608907, 0.7242222916564848],
  ],
  cos: [
    [-0.6906209207334358, 0.7708506272143835],
    [-0.606892946178648, 0.8214239886636198],
    [-0.7657897244101152, 0.7208352191704573],
    [-0.7544249341295542, 0.7286655088657433],
    [0.8249859905836381, 0.6785672561429706],
    [0.9670947422578422, 0.5676936476840927],
    [0.49747041891974736, 0.8787924986412979],
    [0.834986639013644, 0.6711875870525129],
  ],
  asin: [
    [0.6324834823608398, 0.6847552872510688],
    [0.9187244176864624, 1.1648381044467497],
    [0.8261071443557739, 0.9721640979798197],
    [0.7650836706161499, 0.8711712576610374],
    [0.7994697093963623, 0.9264119203571411],
    [0.66054368019104, 0.7215426768557421],
    [0.5217438042163849, 0.5488937502055066],
    [0.961449384689331, 1.2922253833378854],
  ],
};

describe('libm as glibc rounds it', () => {
  it('sin, cos and asin give glibc\'s last bit where Math does not', () => {
    for (const [x, expected] of GLIBC.sin) expect(sin(x as number)).toBe(expected);
    for (const [x, expected] of GLIBC.cos) expect(cos(x as number)).toBe(expected);
    for (const [x, expected] of GLIBC.asin) expect(asin(x as number)).toBe(expected);
    expect(GLIBC.sin.some(([x, expected]) => Math.sin(x as number) !== expected)).toBe(true);
  });

  it('keeps the special values', () => {
    expect(Object.is(sin(-0), -0)).toBe(true);
    expect(cos(0)).toBe(1);
    expect(asin(1)).toBe(Math.PI / 2);
    expect(asin(0)).toBe(0);
    expect(Number.isNaN(asin(1.0000000000000002))).toBe(true);
    expect(Number.isNaN(sin(Infinity))).toBe(true);
  });
});

describe('printf-style formatting', () => {
  it('formatFixed rounds the exact binary value half to even, as glibc', () => {
    expect(formatFixed(0.125, 2)).toBe('0.12');
    expect(formatFixed(0.375, 2)).toBe('0.38');
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(-0, 6)).toBe('-0.000000');
    expect(formatFixed(200, 6)).toBe('200.000000');
    expect(formatFixed(0.1, 20)).toBe('0.10000000000000000555');
    expect(formatFixed(1e22, 1)).toBe('10000000000000000000000.0');
    expect(formatFixed(-Infinity, 6)).toBe('-inf');
  });

  it('formatHumanDouble is %.17Lf without trailing zeros, "-0" as "0"', () => {
    expect(formatHumanDouble(85.05112878)).toBe('85.0511287799999991');
    expect(formatHumanDouble(180)).toBe('180');
    expect(formatHumanDouble(-0)).toBe('0');
    expect(formatHumanDouble(-1.5)).toBe('-1.5');
  });

  it('formatDistance has exactly four decimals', () => {
    expect(formatDistance(0)).toBe('0.0000');
    expect(formatDistance(0.00001)).toBe('0.0000');
    expect(formatDistance(5)).toBe('5.0000');
    expect(formatDistance(1234.56789)).toBe('1234.5679');
    expect(formatDistance(166274.1516)).toBe('166274.1516');
  });
});

describe('geohash scores', () => {
  it('gives the scores and geohashes Redis gives', () => {
    expect(geoScore(13.361389, 38.115556)).toBe(3479099956230698);
    // On the upper limits the word has bits above 52, rounded as a double.
    expect(geoScore(180, 85.05112878)).toBe(13510798882111488);
    expect(geoScore(-180, -85.05112878)).toBe(0);
    expect(standardGeohash(3479099956230698)).toBe('sqc8b49rny0');
    expect(standardGeohash(13510798882111488)).toBe('bp05b5048p0');
    expect(standardGeohash(0)).toBe('00bh0hbj200');
    expect(decodeScore(13510798882111488, [0, 0])).toEqual([180, 85.05112878]);
  });

  it('estimates the search step from the radius and the latitude', () => {
    expect(estimateStep(0, 0)).toBe(26);
    expect(estimateStep(1, 0)).toBe(24);
    expect(estimateStep(1, 70)).toBe(23);
    expect(estimateStep(1, -85)).toBe(22);
    expect(estimateStep(1e9, 0)).toBe(1);
    expect(estimateStep(Infinity, 0)).toBe(1);
  });
});
