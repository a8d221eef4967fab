/**
 * Redis's glob matching (stringmatchlen in util.c): `*`, `?`, `[abc]`, `[^a-z]` (`[!…]` is not
 * special), and `\` escapes the next character. Works on latin1 strings, so it is binary-safe.
 *
 * The work is bounded for any pattern, as in Redis since CVE-2022-36021: once the part of the
 * pattern after some `*` has failed at every remaining position, no match exists at all (see
 * starFailed), so a pattern like `a*a*a*…b` costs O(pattern × text) instead of exponential time.
 */
export function globMatch(pattern: string, text: string, nocase = false): boolean {
  starFailed = false;
  starAttempts = 0;
  return matchFrom(pattern, 0, text, 0, nocase, 0);
}

/**
 * How many times the last globMatch call tried the rest of the pattern after a `*` at some
 * position of the text. Each `*` tries each position at most once, so this stays below
 * (number of `*`) × (text length): tests check it to see that the work is bounded.
 */
export function lastGlobMatchStarAttempts(): number {
  return starAttempts;
}

/**
 * Redis's limit on nested `*`s (CVE-2024-31228, in Debian's 7.0.15): deeper than this the rest of
 * the pattern counts as not matching, which also bounds the recursion.
 */
const MAX_NESTING = 1000;

// State of the match in progress. globMatch is synchronous and calls nothing outside this
// module, so one match never overlaps another and module variables are enough.
/**
 * Set when the pattern after a `*` matched at no position from where that `*` started to the end
 * of the text. Every `*` before it can then stop too: making an earlier `*` take more characters
 * only moves the start of that same rest of the pattern further right, where it already failed.
 */
let starFailed = false;
let starAttempts = 0;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** A latin1 byte as C's signed `char`: Redis compares the bounds of a `[a-z]` range that way. */
function signedChar(c: number): number {
  return c >= 128 && c <= 255 ? c - 256 : c;
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
        // Only non-empty rests of the text are tried: what follows the '*' is not a '*', so it
        // needs at least one character.
        for (; si < slen; si++) {
          starAttempts++;
          if (matchFrom(p, pi + 1, s, si, nocase, nesting + 1)) return true;
          if (starFailed) return false;
        }
        starFailed = true;
        return false;
      }
      case 63: // '?'
        si++;
        break;
      case 91: { // '['
        pi++;
        const not = pi < plen && p.charCodeAt(pi) === 94; // '^'
        if (not) pi++;
        const sc = s.charCodeAt(si);
        const folded = nocase ? lower(sc) : sc;
        let match = false;
        for (;;) {
          if (pi >= plen) {
            // No closing ']': the class ends with the pattern (Redis steps back onto the last
            // character so that the common pi++ below lands on the end).
            pi--;
            break;
          }
          const c = p.charCodeAt(pi);
          if (c === 92 && pi + 1 < plen) { // '\\': the next character as is, case included
            pi++;
            if (p.charCodeAt(pi) === sc) match = true;
          } else if (c === 93) { // ']'
            break;
          } else if (pi + 2 < plen && p.charCodeAt(pi + 1) === 45) { // a range 'a-z', either way round
            let start = signedChar(c);
            let end = signedChar(p.charCodeAt(pi + 2));
            if (start > end) [start, end] = [end, start];
            if (nocase) {
              start = lower(start);
              end = lower(end);
            }
            const at = signedChar(folded);
            if (at >= start && at <= end) match = true;
            pi += 2;
          } else if ((nocase ? lower(c) : c) === folded) {
            match = true;
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
