/**
 * Seeded random sequences of bit and string writes and reads on a few keys, run on nodis and
 * on real Redis, every reply compared (and the dataset's DEBUG DIGEST along the way).
 * NODIS_BITS_FUZZ_SEED and NODIS_BITS_FUZZ_STEPS replay or lengthen a run.
 */
import { describe, expect, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair, mismatches, type Step } from '../helpers/differential.js';

const hasOracle = oracleAvailable();
const SEED = Number(process.env.NODIS_BITS_FUZZ_SEED ?? '20261206');
const STEPS = Number(process.env.NODIS_BITS_FUZZ_STEPS ?? '3000');

/** mulberry32: a small seeded generator. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fuzzSteps(seed: number, count: number): Step[] {
  const random = generator(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const keys = ['b0', 'b1', 'b2', 'h'];
  const key = (): string => (random() < 0.03 ? 'h' : pick(keys.slice(0, 3)));
  // Mostly near the start, sometimes far (a long value), sometimes negative or odd ranges.
  const bitOffset = (): number => (random() < 0.85 ? int(600) : int(40_000));
  const index = (): string => String(random() < 0.7 ? int(120) - 20 : int(6000) - 3000);
  const bytes = (): string => {
    const n = int(12);
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(random() < 0.5 ? int(256) : 48 + int(10));
    return s;
  };
  const fieldType = (): string => (random() < 0.5 ? `i${1 + int(64)}` : `u${1 + int(63)}`);
  const fieldValue = (): string => {
    const r = random();
    if (r < 0.6) return String(int(600) - 300);
    if (r < 0.8) return String(BigInt(int(2 ** 31)) * BigInt(int(2 ** 31)) * (random() < 0.5 ? -1n : 1n));
    return pick(['9223372036854775807', '-9223372036854775808', '0', '-1', '1']);
  };
  const steps: Step[] = [['HSET', 'h', 'f', 'v']];
  for (let i = 0; i < count; i++) {
    const r = int(20);
    switch (r) {
      case 0: case 1: case 2: case 3:
        steps.push(['SETBIT', key(), String(bitOffset()), String(int(2))]);
        break;
      case 4:
        steps.push(['GETBIT', key(), String(bitOffset())]);
        break;
      case 5: {
        const unit = pick([[], ['BYTE'], ['BIT']]);
        steps.push(random() < 0.3 ? ['BITCOUNT', key()] : ['BITCOUNT', key(), index(), index(), ...unit]);
        break;
      }
      case 6: {
        const tail = pick([[], [index()], [index(), index()], [index(), index(), 'BIT'], [index(), index(), 'BYTE']]);
        steps.push(['BITPOS', key(), String(int(2)), ...tail]);
        break;
      }
      case 7: {
        const op = pick(['AND', 'OR', 'XOR', 'NOT']);
        const sources = op === 'NOT' ? [key()] : Array.from({ length: 1 + int(3) }, key);
        steps.push(['BITOP', op, key(), ...sources]);
        break;
      }
      case 8: case 9: {
        const argv = ['BITFIELD', key()];
        const n = 1 + int(4);
        for (let j = 0; j < n; j++) {
          const kind = int(4);
          const offset = random() < 0.2 ? `#${int(50)}` : String(bitOffset());
          if (kind === 0) argv.push('OVERFLOW', pick(['WRAP', 'SAT', 'FAIL']));
          else if (kind === 1) argv.push('GET', fieldType(), offset);
          else if (kind === 2) argv.push('SET', fieldType(), offset, fieldValue());
          else argv.push('INCRBY', fieldType(), offset, fieldValue());
        }
        steps.push(argv);
        break;
      }
      case 10:
        steps.push(['BITFIELD_RO', key(), 'GET', fieldType(), String(bitOffset())]);
        break;
      case 11:
        steps.push(['SETRANGE', key(), String(random() < 0.8 ? int(300) : int(5000)), bytes()]);
        break;
      case 12:
        steps.push(['APPEND', key(), bytes()]);
        break;
      case 13:
        steps.push(['GET', key()]);
        break;
      case 14:
        steps.push(['GETRANGE', key(), index(), index()]);
        break;
      case 15:
        steps.push(['STRLEN', key()]);
        break;
      case 16:
        steps.push(random() < 0.5 ? ['SET', key(), bytes()] : ['DEL', key()]);
        break;
      case 17:
        steps.push(['INCR', key()]);
        break;
      case 18:
        steps.push(['OBJECT', 'ENCODING', key()]);
        break;
      default:
        steps.push(['DEBUG', 'DIGEST']);
    }
  }
  steps.push(['DEBUG', 'DIGEST']);
  for (const k of keys) steps.push(['GET', k], ['DEBUG', 'DIGEST-VALUE', k]);
  return steps;
}

describe.skipIf(!hasOracle)('differential: random bit operations', () => {
  const servers = differentialPair({ redis: ['--enable-debug-command', 'yes'] });

  it.each([SEED, SEED + 1, SEED + 2])(`seed %i, ${STEPS} steps`, async (seed) => {
    const steps = fuzzSteps(seed, STEPS);
    const results = await servers.run([['FLUSHALL'], ...steps]);
    expect(mismatches(results).slice(0, 5)).toEqual([]);
  }, 120_000);
});
