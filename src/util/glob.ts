/**
 * Redis's glob matching (stringmatchlen): `*`, `?`, `[abc]`, `[^a-z]`, `[!…]` is not special,
 * and `\` escapes the next character. Works on latin1 strings, so it is binary-safe.
 */
export function globMatch(pattern: string, text: string, nocase = false): boolean {
  return matchFrom(pattern, 0, text, 0, nocase, 0);
}

/** Bounds recursion like Redis's nesting limit, so a pattern of many '*' cannot stall the loop. */
const MAX_NESTING = 1000;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function matchFrom(p: string, pi: number, s: string, si: number, nocase: boolean, nesting: number): boolean {
  if (nesting > MAX_NESTING) return false;
  const plen = p.length;
  const slen = s.length;
  while (pi < plen && si < slen) {
    const pc = p.charCodeAt(pi);
    switch (pc) {
      case 42: { // '*'
        while (pi + 1 < plen && p.charCodeAt(pi + 1) === 42) pi++;
        if (pi + 1 === plen) return true;
        while (si < slen) {
          if (matchFrom(p, pi + 1, s, si, nocase, nesting + 1)) return true;
          si++;
        }
        return false;
      }
      case 63: // '?'
        si++;
        break;
      case 91: { // '['
        pi++;
        const not = pi < plen && p.charCodeAt(pi) === 94;
        if (not) pi++;
        let match = false;
        const sc = nocase ? lower(s.charCodeAt(si)) : s.charCodeAt(si);
        for (;;) {
          if (pi >= plen) {
            pi--;
            break;
          }
          const c = p.charCodeAt(pi);
          if (c === 92 && pi + 1 < plen) { // '\\'
            pi++;
            const e = nocase ? lower(p.charCodeAt(pi)) : p.charCodeAt(pi);
            if (e === sc) match = true;
          } else if (c === 93) { // ']'
            break;
          } else if (pi + 2 < plen && p.charCodeAt(pi + 1) === 45) { // range a-z
            let start = p.charCodeAt(pi);
            let end = p.charCodeAt(pi + 2);
            if (start > end) [start, end] = [end, start];
            if (nocase) {
              start = lower(start);
              end = lower(end);
            }
            pi += 2;
            if (sc >= start && sc <= end) match = true;
          } else {
            const e = nocase ? lower(c) : c;
            if (e === sc) match = true;
          }
          pi++;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        break;
      }
      default: {
        if (pc === 92 && pi + 1 < plen) pi++; // '\\' escapes the next character
        const a = p.charCodeAt(pi);
        const b = s.charCodeAt(si);
        if (nocase ? lower(a) !== lower(b) : a !== b) return false;
        si++;
        break;
      }
    }
    pi++;
  }
  // Redis drops trailing '*'s only once a character was consumed: "*" does not match "".
  if (si >= slen && slen > 0) {
    while (pi < plen && p.charCodeAt(pi) === 42) pi++;
  }
  return pi >= plen && si >= slen;
}
