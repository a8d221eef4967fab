/**
 * Text ↔ value conversions with the exact rules of Redis's config code: memtoull, strtoll,
 * the memory notation CONFIG REWRITE writes, and sdscatrepr quoting.
 */

export const LLONG_MAX = 9223372036854775807n;
export const LLONG_MIN = -9223372036854775808n;
export const ULLONG_MAX = 18446744073709551615n;
const TWO_64 = 18446744073709551616n;

const MEMORY_UNITS: Record<string, bigint> = {
  '': 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000n * 1000n, mb: 1024n * 1024n, g: 1000n * 1000n * 1000n, gb: 1024n * 1024n * 1024n,
};

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Redis's memtoull: digits then an optional unit (b, k, kb, m, mb, g, gb; any case). No sign.
 * Like strtoull, no digits reads as 0 and too many saturates at 2^64-1 (before the unit).
 * Returns null where Redis reports an error.
 */
export function memToBig(text: string): bigint | null {
  if (text.charCodeAt(0) === 45) return null;
  let i = 0;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  const mul = MEMORY_UNITS[text.slice(i).toLowerCase()];
  if (mul === undefined || i >= 128) return null;
  let value = i === 0 ? 0n : BigInt(text.slice(0, i));
  if (value > ULLONG_MAX) value = ULLONG_MAX;
  if (value > ULLONG_MAX / mul) return null;
  return value * mul;
}

/** memtoull as a number (exact below 2^53); NaN when invalid. */
export function parseMemory(text: string): number {
  const big = memToBig(text);
  return big === null ? NaN : Number(big);
}

const STRTOLL_RE = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/;

/**
 * strtoll over the whole text in base 10, as Redis uses it with an `*eptr == '\0'` check:
 * leading spaces and a sign are allowed, overflow saturates, and the empty text reads as 0.
 */
export function strtollFull(s: string): bigint | null {
  if (s === '') return 0n;
  const m = STRTOLL_RE.exec(s);
  if (m === null) return null;
  let v = BigInt(m[2] as string);
  if (m[1] === '-') v = -v;
  return v > LLONG_MAX ? LLONG_MAX : v < LLONG_MIN ? LLONG_MIN : v;
}

const OCTAL_RE = /^[ \t\n\v\f\r]*([+-]?)([0-7]*)$/;

/** strtoll(s, &end, 8) with a full-match check. */
export function strtollOctal(s: string): bigint | null {
  const m = OCTAL_RE.exec(s);
  if (m === null) return null;
  if (m[2] === '' && s !== '') return null;
  let v = m[2] === '' ? 0n : BigInt('0o' + m[2]);
  if (m[1] === '-') v = -v;
  return v > LLONG_MAX ? LLONG_MAX : v < LLONG_MIN ? LLONG_MIN : v;
}

/** A long long reinterpreted as the unsigned 64-bit value C would see. */
export function toUnsigned(v: bigint): bigint {
  return v < 0n ? v + TWO_64 : v;
}

/** A memtoull result stored into a long long (two's complement wrap). */
export function toSigned(v: bigint): bigint {
  return v > LLONG_MAX ? v - TWO_64 : v;
}

/** rewriteConfigFormatMemory: the largest of gb/mb/kb that divides the value. */
export function formatMemory(bytes: bigint): string {
  const gb = 1024n * 1024n * 1024n;
  const mb = 1024n * 1024n;
  if (bytes !== 0n && bytes % gb === 0n) return `${bytes / gb}gb`;
  if (bytes !== 0n && bytes % mb === 0n) return `${bytes / mb}mb`;
  if (bytes !== 0n && bytes % 1024n === 0n) return `${bytes / 1024n}kb`;
  return String(bytes);
}

/** sdscatrepr: a double-quoted string with C escapes, binary-safe (latin1 chars). */
export function repr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i] as string;
    if (ch === '\\' || ch === '"') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c >= 32 && c <= 126) out += ch;
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/** sdssplitlen(value, " "): how CONFIG SET splits the value of a multi-argument parameter. */
export function splitSpaces(text: string): string[] {
  return text === '' ? [] : text.split(' ');
}

/** The strerror text of a Node fs error code, as Redis prints it. */
export function strerror(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  return ERRNO_TEXT[code] ?? (err instanceof Error ? err.message : String(err));
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  EPERM: 'Operation not permitted',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  EEXIST: 'File exists',
  EBADF: 'Bad file descriptor',
  EIO: 'Input/output error',
  EFBIG: 'File too large',
  EDQUOT: 'Disk quota exceeded',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EAFNOSUPPORT: 'Address family not supported by protocol',
};
