import { describe, expect, it } from 'vitest';
import { addLongDouble, formatLongDoubleHuman, parseLongDouble } from '../../src/util/long-double.js';
import { parseExpireCommandTime, parseSetExpireTime } from '../../src/commands/args/expire.js';

/** INCRBYFLOAT's arithmetic: parse both, add, print; null for an invalid float, 'naninf' for NaN/inf. */
function incrbyfloat(value: string, increment: string): string | null {
  const a = parseLongDouble(value);
  const b = parseLongDouble(increment);
  if (a === null || b === null) return null;
  const sum = addLongDouble(a, b);
  if (sum === null || sum.infinite) return 'naninf';
  return formatLongDoubleHuman(sum);
}

describe('long double (INCRBYFLOAT arithmetic)', () => {
  it('prints small decimal sums as a person would write them', () => {
    expect(incrbyfloat('0.1', '0.2')).toBe('0.3');
    expect(incrbyfloat('1.1', '2.2')).toBe('3.3');
    expect(incrbyfloat('10.5', '0.1')).toBe('10.6');
    expect(incrbyfloat('0.1', '-0.2')).toBe('-0.1');
    expect(incrbyfloat('3.0e3', '1')).toBe('3001');
    expect(incrbyfloat('-1.5', '1.5')).toBe('0');
  });

  it('rounds at the 17th decimal, ties to even, and prints -0 as 0', () => {
    // 2^-18 = 0.000003814697265625: the 18th decimal is an exact tie.
    expect(incrbyfloat('1', '0x1p-18')).toBe('1.00000381469726562');
    expect(incrbyfloat('0', '0x3p-18')).toBe('0.00001144409179688');
    expect(incrbyfloat('1.5e-17', '0')).toBe('0.00000000000000002');
    expect(incrbyfloat('5.0e-18', '0')).toBe('0');
    expect(incrbyfloat('-0.000000000000000001', '0')).toBe('0');
    expect(incrbyfloat('-0', '-0')).toBe('0');
  });

  it('keeps 64 significant bits, more than a double', () => {
    expect(incrbyfloat('9223372036854775807', '1')).toBe('9223372036854775808');
    expect(incrbyfloat('123456789012345678901234567890', '0.5')).toBe('123456789012345678899921813504');
    expect(incrbyfloat('3.14159265358979323846', '2.71828182845904523536')).toBe('5.85987448204883847');
    expect(incrbyfloat('1.23456789012345678', '0')).toBe('1.23456789012345678');
  });

  it('reaches far beyond the range of a double', () => {
    const big = incrbyfloat('1e400', '1') as string;
    expect(big).toHaveLength(401);
    expect(big.startsWith('10000000000000000000281880683947586514586')).toBe(true);
    expect(incrbyfloat(big, '-1e400')).toBe('0');
    expect(incrbyfloat('1.18973149535723176502e+4932', '0')?.length).toBe(4933);
    expect(incrbyfloat('1.18973149535723176502e+4932', '1e4932')).toBe('naninf');
    expect(incrbyfloat('1e-4940', '1')).toBe('1');
  });

  it('parses what strtold accepts and Redis keeps', () => {
    expect(incrbyfloat('0x1.8p1', '0')).toBe('3');
    expect(incrbyfloat('0X.8', '0')).toBe('0.5');
    expect(incrbyfloat('+.5', '1.')).toBe('1.5');
    expect(incrbyfloat('1e2', '1E-2')).toBe('100.01');
    expect(incrbyfloat('inf', '1')).toBe('naninf');
    expect(incrbyfloat('-Infinity', '1')).toBe('naninf');
    expect(incrbyfloat('0e-99999999999', '1')).toBe('1');
  });

  it('rejects what Redis rejects', () => {
    for (const bad of ['', ' 1', '1 ', 'abc', '1e', '1e+', '.', '-', '0x', 'nan', 'NaN', '1e5000', '1e-5000', '1..2', '0x1p', '1e5118', '1\x00', '1\x00garbage']) {
      expect(parseLongDouble(bad), JSON.stringify(bad.slice(0, 20))).toBeNull();
    }
    expect(parseLongDouble('0.' + '1'.repeat(5117))).not.toBeNull();
    expect(parseLongDouble('0.' + '1'.repeat(5118))).toBeNull();
  });

  it('gives NaN for inf - inf', () => {
    expect(addLongDouble(parseLongDouble('inf')!, parseLongDouble('-inf')!)).toBeNull();
  });
});

describe('expire arguments', () => {
  const now = 1_700_000_000_000;

  it('converts EX/PX/EXAT/PXAT to absolute ms', () => {
    expect(parseSetExpireTime('10', 'seconds', true, now, 'set')).toBe(now + 10_000);
    expect(parseSetExpireTime('10', 'milliseconds', true, now, 'set')).toBe(now + 10);
    expect(parseSetExpireTime('1700000001', 'seconds', false, now, 'set')).toBe(1_700_000_001_000);
    expect(parseSetExpireTime('9223372036854775807', 'milliseconds', false, now, 'set')).toBe(2 ** 63);
    expect(parseSetExpireTime('9223372036854775', 'seconds', false, now, 'set')).toBe(9223372036854775000);
  });

  it('rejects non-positive and overflowing times with the command name', () => {
    expect(() => parseSetExpireTime('0', 'seconds', true, now, 'set')).toThrow("ERR invalid expire time in 'set' command");
    expect(() => parseSetExpireTime('-1', 'milliseconds', false, now, 'getex')).toThrow("ERR invalid expire time in 'getex' command");
    expect(() => parseSetExpireTime('9223372036854776', 'seconds', false, now, 'set')).toThrow('invalid expire time');
    expect(() => parseSetExpireTime('9223372036854775', 'seconds', true, now, 'setex')).toThrow("in 'setex' command");
    expect(() => parseSetExpireTime('9223372036854775807', 'milliseconds', true, now, 'psetex')).toThrow('invalid expire time');
    expect(() => parseSetExpireTime('1.5', 'seconds', true, now, 'set')).toThrow('ERR value is not an integer or out of range');
  });

  it('lets the EXPIRE family go negative, but not overflow', () => {
    expect(parseExpireCommandTime('-5', 'seconds', now, 'expire')).toBe(now - 5000);
    expect(parseExpireCommandTime('-9223372036854775', 'seconds', 0, 'expireat')).toBe(-9223372036854775000);
    expect(() => parseExpireCommandTime('-9223372036854776', 'seconds', 0, 'expireat')).toThrow("ERR invalid expire time in 'expireat' command");
    expect(() => parseExpireCommandTime('9223372036854775807', 'milliseconds', now, 'pexpire')).toThrow('invalid expire time');
    expect(parseExpireCommandTime('9223372036854775807', 'milliseconds', 0, 'pexpireat')).toBe(2 ** 63);
  });
});
