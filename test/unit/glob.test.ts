import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatch, lastGlobMatchClassSteps, lastGlobMatchStarAttempts } from '../../src/util/glob.js';
import { prng } from '../helpers/collection-fuzz.js';

/**
 * A deliberately simple model of Redis's glob rules: the pattern is read into one-character
 * tests and stars, then matched by plain backtracking, trying every split (exponential, so only
 * for small inputs). Redis's rules it encodes: an empty text matches only the empty pattern
 * ("*" does not match ""); `[` without `]` runs to the end of the pattern; inside `[]` an escaped
 * character is compared exactly even without case, and range bounds compare as C's signed chars.
 */
type Token = { star: true } | { star: false; test: (c: number) => boolean };

const lower = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);
const signed = (c: number): number => (c >= 128 ? c - 256 : c);

function tokens(pattern: string, nocase: boolean): Token[] {
  const fold = (c: number): number => (nocase ? lower(c) : c);
  const out: Token[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern.charCodeAt(i);
    if (c === 0x2a) {
      out.push({ star: true });
      i++;
    } else if (c === 0x3f) {
      out.push({ star: false, test: () => true });
      i++;
    } else if (c === 0x5b) {
      i++;
      const negated = pattern[i] === '^';
      if (negated) i++;
      const alternatives: Array<(x: number) => boolean> = [];
      while (i < pattern.length && pattern[i] !== ']') {
        const here = pattern.charCodeAt(i);
        if (here === 0x5c && i + 1 < pattern.length) {
          const exact = pattern.charCodeAt(i + 1);
          alternatives.push((x) => x === exact);
          i += 2;
        } else if (i + 2 < pattern.length && pattern[i + 1] === '-') {
          const a = signed(here);
          const b = signed(pattern.charCodeAt(i + 2));
          const lo = fold(Math.min(a, b));
          const hi = fold(Math.max(a, b));
          alternatives.push((x) => signed(fold(x)) >= lo && signed(fold(x)) <= hi);
          i += 3;
        } else {
          alternatives.push((x) => fold(x) === fold(here));
          i++;
        }
      }
      i++; // the ']', or past the end
      out.push({ star: false, test: (x) => alternatives.some((f) => f(x)) !== negated });
    } else {
      const literal = c === 0x5c && i + 1 < pattern.length ? pattern.charCodeAt(++i) : c;
      out.push({ star: false, test: (x) => fold(x) === fold(literal) });
      i++;
    }
  }
  return out;
}

function modelMatch(pattern: string, text: string, nocase = false): boolean {
  if (text === '') return pattern === '';
  const toks = tokens(pattern, nocase);
  const from = (t: number, i: number): boolean => {
    const tok = toks[t];
    if (tok === undefined) return i === text.length;
    if (tok.star) return from(t + 1, i) || (i < text.length && from(t, i + 1));
    return i < text.length && tok.test(text.charCodeAt(i)) && from(t + 1, i + 1);
  };
  return from(0, 0);
}

const stars = (pattern: string): number => pattern.split('').filter((c) => c === '*').length;

describe('globMatch', () => {
  it('follows Redis on the odd cases (checked against redis-server 7.0)', () => {
    expect(globMatch('*', '')).toBe(false);
    expect(globMatch('', '')).toBe(true);
    expect(globMatch('a*', 'a')).toBe(true);
    expect(globMatch('k[', 'k')).toBe(false);
    expect(globMatch('k[^', 'kx')).toBe(true);
    expect(globMatch('k[ab', 'kb')).toBe(true);
    expect(globMatch('[a-]', ']')).toBe(true); // the range a..] swallows the ']'
    expect(globMatch('[c-a]', 'b')).toBe(true);
    expect(globMatch('[!a]', '!')).toBe(true);
    expect(globMatch('\\', '\\')).toBe(true);
    expect(globMatch('[\\]]', ']')).toBe(true);
    // Range bounds are C's signed chars: \xff is -1, so [a-\xff] is -1..97.
    expect(globMatch('[a-\xff]', 'A')).toBe(true);
    expect(globMatch('[a-\xff]', 'b')).toBe(false);
    expect(globMatch('[a-\xff]', '\xff')).toBe(true);
    expect(globMatch('[\x80-\xff]', '\x90')).toBe(true);
    expect(globMatch('[\x80-\xff]', 'a')).toBe(false);
    // Without case, an escaped character inside [] still compares exactly.
    expect(globMatch('[\\M]axmemory', 'maxmemory', true)).toBe(false);
    expect(globMatch('[M]axmemory', 'maxmemory', true)).toBe(true);
    expect(globMatch('\\Maxmemor?', 'maxmemory', true)).toBe(true);
    // Bounds are lowered after ordering: Z..a becomes z..a, an empty range.
    expect(globMatch('[Z-a]', 'z', true)).toBe(false);
    expect(globMatch('[Z-a]', '_', false)).toBe(true);
  });

  it('bounds the work of patterns with many stars (each * tries each position at most once)', () => {
    const cases: Array<[string, string, boolean]> = [
      // Small enough that unbounded backtracking still ends, with far more than 6 × 20 attempts.
      ['a*'.repeat(6) + 'b', 'a'.repeat(20), false],
      ['a*'.repeat(20) + 'b', 'a'.repeat(40), false],
      ['a*'.repeat(200) + 'b', 'a'.repeat(5000), false],
      ['*a'.repeat(300) + '*b', 'a'.repeat(5000), false],
      ['*?'.repeat(300) + 'b', 'a'.repeat(5000), false],
      ['*[a-z]'.repeat(300) + '*[^a]', 'a'.repeat(5000), false],
      ['*\\a*'.repeat(300) + '*\\b', 'a'.repeat(5000), false],
      ['*a*?*[a]'.repeat(100) + '*c', 'ab'.repeat(3000), false],
      ['*a'.repeat(300) + '*', 'a'.repeat(5000), true],
      ['*a'.repeat(300), 'a'.repeat(5000), true],
      ['*?'.repeat(1000), 'a'.repeat(5000), true],
      ['a*'.repeat(20) + 'b', 'a'.repeat(40) + 'b', true],
    ];
    for (const [pattern, text, expected] of cases) {
      expect(globMatch(pattern, text), pattern.slice(0, 20)).toBe(expected);
      expect(lastGlobMatchStarAttempts()).toBeLessThanOrEqual(stars(pattern) * text.length);
    }
  });

  it('gives up below 1000 nested stars as Redis does (CVE-2024-31228)', () => {
    const text = 'a'.repeat(3000);
    expect(globMatch('*a'.repeat(1000), text)).toBe(true);
    expect(globMatch('*a'.repeat(1001), text)).toBe(false);
    expect(globMatch('*?'.repeat(50_000), 'a'.repeat(50_000))).toBe(false);
    expect(lastGlobMatchStarAttempts()).toBeLessThanOrEqual(1001 * 50_000);
  });

  it('agrees with a backtracking model on small patterns and texts', () => {
    const patternChar = fc.constantFrom('a', 'b', 'A', '*', '*', '?', '[', ']', '^', '-', '\\', '\xff', '\x80', 'z');
    const textChar = fc.constantFrom('a', 'b', 'A', 'B', 'z', '-', ']', '[', '^', '\\', '*', '\xff', '\x80', '_');
    fc.assert(
      fc.property(
        fc.string({ unit: patternChar, maxLength: 9 }),
        fc.string({ unit: textChar, maxLength: 8 }),
        fc.boolean(),
        (pattern, text, nocase) => {
          expect(globMatch(pattern, text, nocase)).toBe(modelMatch(pattern, text, nocase));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('looks a long class up instead of scanning it again at each position of the text', () => {
    const text = 'a'.repeat(20_000);
    for (const [pattern, expected] of [
      ['*[' + 'b'.repeat(20_000) + ']c', false],
      ['*[^' + 'b'.repeat(20_000) + ']', true],
      ['*[' + 'b-c'.repeat(5_000) + ']*[' + 'x'.repeat(5_000) + ']', false],
    ] as Array<[string, boolean]>) {
      expect(globMatch(pattern, text)).toBe(expected);
      // Scanned 256 times once for its table (or fewer when the table exists already), never once per position.
      expect(lastGlobMatchClassSteps()).toBeLessThanOrEqual(257 * pattern.length);
    }
  });

  it('agrees with the model on long classes, which are looked up in a table (seeded)', () => {
    const rnd = prng(1515);
    const alphabet = ['a', 'b', 'A', 'Z', '-', '\\', '^', '[', '\xff', '\x80', 'z', '0', '9', '_'];
    const texts = Array.from({ length: 256 }, (_, c) => String.fromCharCode(c));
    for (let run = 0; run < 60; run++) {
      let body = '';
      const length = 32 + Math.floor(rnd() * 40);
      while (body.length < length) body += alphabet[Math.floor(rnd() * alphabet.length)] as string;
      const negated = rnd() < 0.3 ? '^' : '';
      const closed = rnd() < 0.9 ? ']' : '';
      for (const pattern of [`[${negated}${body}${closed}`, `*[${negated}${body}${closed}*`]) {
        for (const nocase of [false, true]) {
          for (const text of texts) {
            expect(globMatch(pattern, text, nocase), JSON.stringify([pattern, text, nocase])).toBe(modelMatch(pattern, text, nocase));
          }
        }
      }
    }
  });
});
