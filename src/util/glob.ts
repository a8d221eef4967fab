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
  classSteps = 0;
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
 * How many pattern characters the last globMatch call scanned inside `[...]` classes (a long
 * class is scanned 256 times once, then looked up): tests check it to see that the work is bounded.
 */
export function lastGlobMatchClassSteps(): number {
  return classSteps;
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
let classSteps = 0;

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
        let match: boolean;
        const compiled = compiledClass(p, pi, nocase);
        if (compiled !== null && sc < 256) {
          match = compiled.members[sc] === 1;
          pi = compiled.end;
        } else {
          match = scanClass(p, pi, sc, nocase);
          pi = classEnd;
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

/** Where the last scanClass stopped: the class's closing `]` (or the pattern's last character). */
let classEnd = 0;

/**
 * Whether `sc` is in the class whose body starts at `pi` (after `[` and `^`), Redis's way; sets
 * classEnd. Linear in the class's length.
 */
function scanClass(p: string, pi: number, sc: number, nocase: boolean): boolean {
  const plen = p.length;
  const from = pi;
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
  classSteps += Math.max(1, pi - from);
  classEnd = pi;
  return match;
}

/** A class at least this long is looked up in a table of the 256 bytes instead of scanned for each character. */
const COMPILED_CLASS_MIN = 32;

interface CompiledClass {
  /** 1 for each latin1 character the class holds (before `^`). */
  members: Uint8Array;
  end: number;
}

// Long classes of the pattern of the last calls (KEYS and SCAN match many keys with one
// pattern), by the position of their body; null for a short class. At most one table per
// COMPILED_CLASS_MIN characters of the pattern.
let classesOf = '';
let classesNocase = false;
let classes = new Map<number, CompiledClass | null>();

/**
 * The table of a long class, or null for a short one: without it, a pattern such as
 * `*[` + 100000 characters + `]` would scan the whole class again at each position of a long
 * key. Built by scanning the class once for each of the 256 characters.
 */
function compiledClass(p: string, pi: number, nocase: boolean): CompiledClass | null {
  if (p !== classesOf || nocase !== classesNocase) {
    classesOf = p;
    classesNocase = nocase;
    classes = new Map();
  }
  const known = classes.get(pi);
  if (known !== undefined) return known;
  scanClass(p, pi, -1, nocase);
  const end = classEnd;
  if (end - pi < COMPILED_CLASS_MIN) {
    classes.set(pi, null);
    return null;
  }
  const members = new Uint8Array(256);
  for (let c = 0; c < 256; c++) members[c] = scanClass(p, pi, c, nocase) ? 1 : 0;
  const compiled = { members, end };
  classes.set(pi, compiled);
  return compiled;
}
