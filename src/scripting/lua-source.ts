/**
 * What nodis reads of a script's Lua source, once, when the script is loaded: its tokens (a
 * conservative reading: anything not understood makes the answers the safe ones), and from them
 *
 * - whether the script can run as it is, without the function driver.ts wraps it in: only when
 *   every `return` of it gives one value, so that the engine (which keeps a chunk's last result)
 *   and Redis (which keeps the first) agree. Compiling the wrapper and calling through it costs
 *   about as much as a short script itself, and most scripts end in `return redis.call(…)`, a
 *   variable or a literal. A return list with a comma at its top level, ending in `...`, in a
 *   function literal, or in a call of anything but a known one-value function (redis.call,
 *   tonumber, cjson.encode…, none of their names declared by the script itself) may give several;
 * - whether it may build a table Redis reads as a RESP3 reply ({map=…}, {double=…});
 * - the arguments of redis.call/pcall that may be numbers, to format them as Redis does.
 */

import { parseStrtod } from '../util/parse.js';

/** A token and where it lies in the source ([start, end)). */
export type Token = { kind: 'name' | 'keyword' | 'string' | 'number' | 'symbol'; text: string; start: number; end: number };

const KEYWORDS = new Set([
  'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'if', 'in', 'local', 'nil', 'not', 'or',
  'repeat', 'return', 'then', 'true', 'until', 'while',
]);

/** Functions of the sandbox that return exactly one value. */
const ONE_VALUE_CALLS = new Set([
  'redis.call', 'redis.pcall', 'redis.sha1hex', 'redis.status_reply', 'redis.error_reply', 'tonumber', 'tostring', 'type',
  'cjson.encode', 'cmsgpack.pack', 'string.format', 'string.rep', 'string.sub', 'string.upper',
  'string.lower', 'string.len', 'string.reverse', 'table.concat', 'math.floor', 'math.ceil', 'math.abs', 'math.max',
  'math.min', 'math.sqrt', 'math.fmod', 'math.pow', 'bit.band', 'bit.bor', 'bit.bxor', 'bit.bnot', 'bit.lshift',
  'bit.rshift', 'bit.arshift', 'bit.tobit', 'bit.tohex',
]);

/** Where a long bracket ([[, [==[) opening at `i` ends (after its closing bracket), or -1 if it is no long bracket. */
function longBracketEnd(src: string, i: number): number {
  let j = i + 1;
  while (src[j] === '=') j++;
  if (src[j] !== '[') return -1;
  const close = ']' + '='.repeat(j - i - 1) + ']';
  const end = src.indexOf(close, j + 1);
  return end < 0 ? src.length : end + close.length;
}

/** The tokens of a Lua source, comments dropped; null when something is not understood. */
export function tokenize(src: string): Token[] | null {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\f' || c === '\v') {
      i++;
    } else if (c === '-' && src[i + 1] === '-') {
      if (src[i + 2] === '[') {
        const end = longBracketEnd(src, i + 2);
        if (end >= 0) {
          i = end;
          continue;
        }
      }
      // A comment ends at the end of its line: Lua takes a lone \r as one too.
      let j = i + 2;
      while (j < n && src[j] !== '\n' && src[j] !== '\r') j++;
      i = j;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(src[j] as string)) j++;
      const text = src.slice(i, j);
      out.push({ kind: KEYWORDS.has(text) ? 'keyword' : 'name', text, start: i, end: j });
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      const hex = c === '0' && (src[i + 1] === 'x' || src[i + 1] === 'X');
      while (j < n && /[0-9A-Za-z_.]/.test(src[j] as string)) {
        // An exponent's sign belongs to the number (1e-5); in 0xFE-1, e is a digit.
        if (!hex && (src[j] === 'e' || src[j] === 'E') && (src[j + 1] === '-' || src[j + 1] === '+')) j++;
        j++;
      }
      out.push({ kind: 'number', text: src.slice(i, j), start: i, end: j });
      i = j;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== c) {
        if (src[j] === '\\') j++;
        else if (src[j] === '\n') return null;
        j++;
      }
      if (j >= n) return null;
      out.push({ kind: 'string', text: src.slice(i, j + 1), start: i, end: j + 1 });
      i = j + 1;
    } else if (c === '[' && (src[i + 1] === '[' || src[i + 1] === '=')) {
      const end = longBracketEnd(src, i);
      if (end < 0) {
        out.push({ kind: 'symbol', text: '[', start: i, end: i + 1 });
        i++;
      } else {
        out.push({ kind: 'string', text: src.slice(i, end), start: i, end });
        i = end;
      }
    } else {
      const three = src.slice(i, i + 3);
      const two = src.slice(i, i + 2);
      const text = three === '...' ? three : ['==', '~=', '<=', '>=', '..'].includes(two) ? two : c;
      out.push({ kind: 'symbol', text, start: i, end: i + text.length });
      i += text.length;
    }
  }
  return out;
}

/** Names the script declares itself (locals, parameters, loop variables): they may shadow a sandbox function. */
function declaredNames(tokens: readonly Token[]): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'keyword' || (t.text !== 'local' && t.text !== 'for' && t.text !== 'function')) continue;
    // Every name up to the end of the declaration: `local a, b =`, `for k, v in`, `function f(a, b)`.
    for (let j = i + 1; j < tokens.length; j++) {
      const u = tokens[j] as Token;
      if (u.kind === 'name') names.add(u.text);
      else if (u.text === ',' || u.text === '(' || u.text === '.' || u.text === ':' || u.text === 'function' || u.text === '...') continue;
      else break;
    }
  }
  return names;
}

const BLOCK_END = new Set(['end', 'else', 'elseif', 'until']);
const OPENING: Record<string, string> = { '(': ')', '{': '}', '[': ']' };

/** Whether the token before position `at` makes the bracket at `at` a call's (f(…), f{…}, f'…'). */
function isCallAt(tokens: readonly Token[], at: number): boolean {
  const before = tokens[at - 1];
  if (before === undefined) return false;
  return before.kind === 'name' || before.kind === 'string' || before.text === ')' || before.text === ']' || before.text === '}';
}

/** The dotted name called by the call whose arguments start at `open` ('redis.call'), or null. */
function calleeName(tokens: readonly Token[], open: number): string | null {
  const parts: string[] = [];
  let j = open - 1;
  for (;;) {
    const t = tokens[j];
    if (t === undefined || t.kind !== 'name') return null;
    parts.unshift(t.text);
    const dot = tokens[j - 1];
    if (dot === undefined || dot.text !== '.') break;
    j -= 2;
  }
  // The chain must not itself continue a longer expression (x.redis.call, f().call).
  const head = tokens[j - 1];
  if (head !== undefined && (head.text === ':' || head.text === ')' || head.text === ']' || head.text === '}')) return null;
  return parts.join('.');
}

/** Whether every return of the source gives exactly one value (see above). */
export function returnsOneValue(tokens: readonly Token[]): boolean {
  const declared = declaredNames(tokens);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'keyword' || t.text !== 'return') continue;
    // The expression list runs to the end of the block (a return is a block's last statement).
    const stack: string[] = [];
    let end = i + 1;
    for (; end < tokens.length; end++) {
      const u = tokens[end] as Token;
      if (stack.length === 0 && ((u.kind === 'keyword' && BLOCK_END.has(u.text)) || u.text === ';')) break;
      if (u.kind === 'keyword' && u.text === 'function') return false;
      if (u.kind === 'symbol' && OPENING[u.text] !== undefined) stack.push(OPENING[u.text] as string);
      else if (u.kind === 'symbol' && (u.text === ')' || u.text === '}' || u.text === ']')) {
        if (stack.pop() !== u.text) return false;
      } else if (stack.length === 0 && u.text === ',') return false;
    }
    if (end === i + 1) continue;
    const last = tokens[end - 1] as Token;
    if (last.text === '...') return false;
    // A string or table right after a name is a call's argument (f'x', f{…}).
    if (last.kind === 'string' && isCallAt(tokens, end - 1)) return false;
    if (last.text === ')' || last.text === '}') {
      const open = matchingOpen(tokens, end - 1);
      if (open < 0) return false;
      if (!isCallAt(tokens, open)) continue;
      if (last.text === '}') return false;
      const callee = calleeName(tokens, open);
      if (callee === null || !ONE_VALUE_CALLS.has(callee) || declared.has(callee.split('.')[0] as string)) return false;
    }
  }
  return true;
}

/** The index of the bracket that the closing one at `close` matches. */
function matchingOpen(tokens: readonly Token[], close: number): number {
  let depth = 0;
  for (let j = close; j >= 0; j--) {
    const text = (tokens[j] as Token).text;
    const kind = (tokens[j] as Token).kind;
    if (kind !== 'symbol') continue;
    if (text === ')' || text === '}' || text === ']') depth++;
    else if (text === '(' || text === '{' || text === '[') {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

/** The fields of the tables Redis turns into RESP3 replies (and status/error ones, handled anyway). */
const REPLY_FIELDS = new Set(['double', 'map', 'set', 'big_number', 'verbatim_string']);

/**
 * Whether the script may build a table Redis reads as a RESP3 reply ({map=…}, {double=…}…):
 * a field of that name written or read (`{map = …}`, `t.map`, `t['map']`). A command's reply
 * as a RESP2 script receives it never is one.
 */
export function mayBuildReplyTables(tokens: readonly Token[]): boolean {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'name' && REPLY_FIELDS.has(t.text)) {
      const before = tokens[i - 1];
      const after = tokens[i + 1];
      if (before !== undefined && (before.text === '.' || before.text === ':')) return true;
      // A field of a table constructor: {map = …}, {1, double = …}.
      if (after?.text === '=' && before !== undefined && (before.text === '{' || before.text === ',' || before.text === ';')) return true;
    } else if (t.kind === 'string' && REPLY_FIELDS.has(t.text.slice(1, -1)) && tokens[i - 1]?.text === '[') {
      return true;
    }
  }
  return false;
}

/** A number literal whose "%.14g" (what the engine passes redis.call) is also its "%.17g" (what Redis passes). */
function exactAsArgument(literal: string): boolean {
  const value = /^0[xX][0-9a-fA-F]+$/.test(literal) ? parseInt(literal, 16) : /^[0-9]+$/.test(literal) ? Number(literal) : NaN;
  return value < 1e14;
}

/**
 * Redis passes a number given to redis.call/pcall as "%.17g" (3.3 is "3.2999999999999998",
 * 1234567890123456 stays whole), the engine as Lua's "%.14g" ("3.3", "1.2345678901235e+15").
 * Returns the source with each argument of redis.call/pcall that may be such a number wrapped
 * in `fn(…)` (which formats numbers as Redis does), on the same lines; null when there is none.
 * Left as they are: string literals, KEYS[…] and ARGV[…], small integer literals, and a last
 * argument that is a call or `...` (it may give several values).
 */
export function formatNumberArguments(source: string, tokens: readonly Token[], fn: string): string | null {
  if (declaredNames(tokens).has('redis')) return null;
  const inserts: Array<[number, string]> = [];
  for (let i = 0; i + 3 < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.text !== 'redis' || t.kind !== 'name' || tokens[i + 1]?.text !== '.') continue;
    const method = tokens[i + 2] as Token;
    if ((method.text !== 'call' && method.text !== 'pcall') || tokens[i + 3]?.text !== '(') continue;
    const before = tokens[i - 1];
    if (before !== undefined && (before.text === '.' || before.text === ':')) continue;
    // The arguments: token ranges split at the commas of the call's own level.
    const args: Array<[number, number]> = [];
    const stack: string[] = [];
    let first = i + 4;
    let close = -1;
    let plain = true;
    for (let j = i + 4; j < tokens.length; j++) {
      const u = tokens[j] as Token;
      if (u.kind === 'keyword' && u.text === 'function') plain = false;
      if (u.kind !== 'symbol') continue;
      if (OPENING[u.text] !== undefined) stack.push(OPENING[u.text] as string);
      else if (u.text === ')' || u.text === '}' || u.text === ']') {
        if (stack.length === 0 && u.text === ')') {
          if (j > first) args.push([first, j - 1]);
          close = j;
          break;
        }
        if (stack.pop() !== u.text) plain = false;
      } else if (u.text === ',' && stack.length === 0) {
        args.push([first, j - 1]);
        first = j + 1;
      }
    }
    if (close < 0 || !plain) continue;
    for (let a = 0; a < args.length; a++) {
      const [from, to] = args[a] as [number, number];
      const head = tokens[from] as Token;
      const tail = tokens[to] as Token;
      if (from === to && (head.kind === 'string' || (head.kind === 'number' && exactAsArgument(head.text)))) continue;
      if ((head.text === 'KEYS' || head.text === 'ARGV') && tokens[from + 1]?.text === '[' && tail.text === ']' && matchingOpen(tokens, to) === from + 1) continue;
      if (a === args.length - 1 && (tail.text === '...' || (tail.text === ')' && isCallAt(tokens, matchingOpen(tokens, to))))) continue;
      inserts.push([head.start, `${fn}(`], [tail.end, ')']);
    }
  }
  if (inserts.length === 0) return null;
  return withInserts(source, inserts);
}

/** `source` with each [position, text] of `inserts` put in, in any order; positions are in `source`. */
function withInserts(source: string, inserts: Array<[number, string]>): string {
  inserts.sort((x, y) => x[0] - y[0]);
  let out = '';
  let at = 0;
  for (const [pos, text] of inserts) {
    out += source.slice(at, pos) + text;
    at = pos;
  }
  return out + source.slice(at);
}

/**
 * The source with `return math.random(…)` and `return math.randomseed(…)` made
 * `return (math.random(…))`: driver.ts gives them as Lua functions, which a tail call would
 * put in the place of the script's own frame, and their errors would lose the script's line
 * (Redis's are C functions, which a tail call leaves the frame to). Null when there is none.
 */
export function parenthesizeRandomTailCalls(source: string, tokens: readonly Token[]): string | null {
  const inserts: Array<[number, string]> = [];
  for (let i = 0; i + 4 < tokens.length; i++) {
    if ((tokens[i] as Token).text !== 'return' || (tokens[i] as Token).kind !== 'keyword') continue;
    const name = tokens[i + 3] as Token;
    if ((tokens[i + 1] as Token).text !== 'math' || (tokens[i + 2] as Token).text !== '.') continue;
    if ((name.text !== 'random' && name.text !== 'randomseed') || (tokens[i + 4] as Token).text !== '(') continue;
    let depth = 0;
    for (let j = i + 4; j < tokens.length; j++) {
      const u = tokens[j] as Token;
      if (u.kind !== 'symbol') continue;
      if (u.text === '(' || u.text === '{' || u.text === '[') depth++;
      else if (u.text === ')' || u.text === '}' || u.text === ']') depth--;
      if (depth === 0) {
        inserts.push([(tokens[i + 1] as Token).start, '('], [u.end, ')']);
        break;
      }
    }
  }
  return inserts.length === 0 ? null : withInserts(source, inserts);
}

/** Globals that compile code at run time, which may loop: a script that calls one may run for ever. */
const RUN_TIME_CODE = new Set(['loadstring', 'load', 'setfenv', 'getfenv']);
/** The sandbox's libraries: a call of one of their functions is no call of the script's own functions. */
const LIBRARIES = new Set(['redis', 'cjson', 'cmsgpack', 'struct', 'bit', 'string', 'math', 'table', 'os', 'coroutine']);
/** The sandbox's global functions that call no function of the script's in a tail position. */
const GLOBAL_FUNCTIONS = new Set([
  'tonumber', 'tostring', 'type', 'select', 'unpack', 'error', 'assert', 'pcall', 'xpcall', 'next', 'pairs', 'ipairs', 'rawget',
  'rawset', 'rawequal', 'setmetatable', 'getmetatable', 'collectgarbage', 'gcinfo',
]);
/** Operators: an expression holding one at its top level is no single call. */
const OPERATORS = new Set(['+', '-', '*', '/', '%', '^', '..', '==', '~=', '<', '<=', '>', '>=', 'and', 'or', 'not', '#', ',']);

/**
 * Whether the script may run for ever, as far as a reading of its tokens goes: a `while` or
 * `repeat` loop; a call of code compiled at run time, or any use of _G (which reaches every
 * global by a computed name); a numeric `for` with an infinite limit (math.huge, 1/0, 2^1024)
 * or a step not written out as a non-zero number; a generic `for` over anything but pairs,
 * ipairs, next, gmatch or an iterator made by a function of the script; or functions that may
 * tail-call each other in a cycle (`return f(…)` reuses the caller's stack frame, so such a
 * cycle can go on for ever). Taken as ending although they may run long: numeric `for` loops
 * (their count is fixed when they start, however large; a limit computed from the run's
 * arguments is checked for each run: hasComputedLoopLimits, argumentsMayStallLoops), iterators
 * the script's functions make (as long as they end), a table a loop over it grows, and
 * recursion that is no tail call (it ends on Lua's stack limit, but one that calls itself twice
 * can make 2^n calls first). A script that cannot be read (null) may run for ever.
 */
export function mayRunForever(tokens: readonly Token[] | null): boolean {
  if (tokens === null) return true;
  const declared = declaredNames(tokens);
  const bodies = functionBodies(tokens);
  if (bodies === null) return true;
  const defined = new Set<string>();
  for (const body of bodies) if (body.name !== null) defined.add(body.name);
  const infinity = mentionsInfinity(tokens);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'keyword') {
      if (t.text === 'while' || t.text === 'repeat') return true;
      if (t.text === 'for' && !endingFor(tokens, i, defined, declared, infinity)) return true;
    } else if (t.kind === 'name' && RUN_TIME_CODE.has(t.text) && !declared.has(t.text) && !isFieldName(tokens, i) && tokens[i + 1]?.text !== '=') {
      return true;
    } else if (t.kind === 'name' && t.text === '_G' && !declared.has('_G') && !isFieldName(tokens, i)) {
      // Through _G a script reaches any global by a computed name (_G['loadstring']).
      return true;
    }
  }
  return protectsOwnRecursion(tokens, bodies) || mayRecurse(tokens, bodies, defined, declared);
}

/**
 * Whether a function of the script passes itself to pcall or xpcall (`local function f()
 * pcall(f) pcall(f) end`): each level catches the stack overflow of the next, so the calls
 * multiply instead of ending on the stack limit.
 */
function protectsOwnRecursion(tokens: readonly Token[], bodies: readonly FunctionBody[]): boolean {
  for (const body of bodies) {
    if (body.name === null) continue;
    for (let j = body.start; j < body.end; j++) {
      const t = tokens[j] as Token;
      if ((t.text === 'pcall' || t.text === 'xpcall') && tokens[j + 1]?.text === '(' && tokens[j + 2]?.text === body.name) return true;
    }
  }
  return false;
}

/** Whether the name at `i` is a field's (`t.load`, `t:load`), not a variable's (a table key, `{load = 1}`, is caught by the caller). */
function isFieldName(tokens: readonly Token[], i: number): boolean {
  const before = tokens[i - 1]?.text;
  return before === '.' || before === ':';
}

/** The index after the call arguments opening at `open` (`(…)`, `{…}` or a string), or -1 if none opens there. */
function afterArguments(tokens: readonly Token[], open: number): number {
  const t = tokens[open];
  if (t === undefined) return -1;
  if (t.kind === 'string') return open + 1;
  if (t.text !== '(' && t.text !== '{') return -1;
  return afterBracket(tokens, open);
}

/** The index after the bracket that closes the one at `open` (`(`, `{` or `[`). */
function afterBracket(tokens: readonly Token[], open: number): number {
  const opening = (tokens[open] as Token).text;
  const closing = OPENING[opening] as string;
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const u = (tokens[k] as Token).text;
    if (u === opening) depth++;
    else if (u === closing && --depth === 0) return k + 1;
  }
  return tokens.length;
}

/** A chain of names from `at` (`a.b.c`, `a:b`, `s[1]:gmatch`): its names and the index after it; null if no name starts there. */
function nameChain(tokens: readonly Token[], at: number): { names: string[]; indexed: boolean; end: number } | null {
  if (tokens[at]?.kind !== 'name') return null;
  const names = [(tokens[at] as Token).text];
  let indexed = false;
  let j = at + 1;
  for (;;) {
    const next = tokens[j]?.text;
    if ((next === '.' || next === ':') && tokens[j + 1]?.kind === 'name') {
      names.push((tokens[j + 1] as Token).text);
      j += 2;
    } else if (next === '[') {
      indexed = true;
      j = afterBracket(tokens, j);
    } else {
      return { names, indexed, end: j };
    }
  }
}

/** Numbers a loop counter may stall at: from 2^52 on, adding 1 (or a step of 0.5) may leave it unchanged. */
const STALLING = 2 ** 52;

/** Whether the `/` at `at` divides by a 0 written out (`/ 0`, `/ (0)`). */
function dividesByZero(tokens: readonly Token[], at: number): boolean {
  let j = at + 1;
  while (tokens[j]?.text === '(') j++;
  return tokens[j]?.kind === 'number' && Number((tokens[j] as Token).text) === 0;
}

/**
 * Whether the script may make an infinite value, or one a counter stalls at, anywhere: math.huge,
 * a division by 0, a power, a number written out, or a string it reads as a number.
 */
function mentionsInfinity(tokens: readonly Token[]): boolean {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.text === 'huge' || t.text === '^') return true;
    if (t.text === '/' && dividesByZero(tokens, i)) return true;
    if (t.kind === 'number' && !(Math.abs(Number(t.text)) < STALLING)) return true;
    // A string read as a number (tonumber('inf')); not one passed to a command ('+inf' to ZCOUNT).
    if (t.kind === 'string' && tokens[i - 1]?.text === '(' && tokens[i - 2]?.text === 'tonumber' && stallsLoop(t.text.slice(1, -1))) return true;
  }
  return false;
}

/** What the header of a numeric `for` says of its count. */
const FIXED = 0;
/** Its start or limit is computed when it runs: an infinite value, or one from 2^52 on, may not end it. */
const COMPUTED = 1;
/** It may not end: an infinite limit (math.huge, 1/0, 2^1024), a number from 2^52 on, a string, or a step that is not a non-zero whole number written out. */
const FOREVER = 2;

function numericForHeader(tokens: readonly Token[], at: number): typeof FIXED | typeof COMPUTED | typeof FOREVER {
  let depth = 0;
  let commas = 0;
  let stepStart = -1;
  let computed = false;
  let i = at + 3;
  for (; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.text === 'do' && depth === 0) break;
    if (t.text === '(' || t.text === '{' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === '}' || t.text === ']') depth--;
    else if (t.text === ',' && depth === 0 && ++commas === 2) stepStart = i + 1;
    // An infinite limit, a count past 2^52 (the counter stops growing at 2^53), or a string Lua converts.
    if (t.text === 'huge' || t.text === '^' || t.kind === 'string' || (t.kind === 'number' && !(Math.abs(Number(t.text)) < STALLING))) return FOREVER;
    if (t.text === '/' && dividesByZero(tokens, i)) return FOREVER;
    if (t.kind === 'name') computed = true;
  }
  if (stepStart >= 0) {
    // The step: a non-zero whole number, written out (with its sign); a fraction stalls sooner.
    const sign = tokens[stepStart]?.text === '-' ? 1 : 0;
    const step = tokens[stepStart + sign];
    if (step?.kind !== 'number' || stepStart + sign + 1 !== i || Number(step.text) === 0 || !Number.isInteger(Number(step.text))) return FOREVER;
  }
  return computed ? COMPUTED : FIXED;
}

/**
 * Whether some numeric `for` of the script has a start or limit computed at run time
 * (`for i = 1, tonumber(ARGV[1])`): a run whose arguments read as an infinite number, or one
 * from 2^52 on, must not be taken as ending (argumentsMayStallLoops).
 */
export function hasComputedLoopLimits(tokens: readonly Token[] | null): boolean {
  if (tokens === null) return false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'keyword' && t.text === 'for' && tokens[i + 2]?.text === '=' && numericForHeader(tokens, i) === COMPUTED) return true;
  }
  return false;
}

/** NaN as strtod reads it (parseStrtod refuses it): no loop stalls on it, but it is taken as one that may. */
const NAN = /^[-+]?nan(?:\([0-9A-Za-z_]*\))?$/i;
/** A hexadecimal number with a binary exponent (glibc's strtod reads it; parseStrtod does not). */
const HEX_EXPONENT = /^[-+]?0[xX][0-9a-fA-F.]*[pP]/;
/** C's isspace, which tonumber allows after the number. */
const TRAILING_SPACE = /[ \t\n\v\f\r]+$/;

/**
 * Whether one of a run's KEYS or ARGV reads in Lua as a number a numeric `for` may never
 * leave: infinite, NaN, or 2^52 and more (adding the step to it may leave it unchanged).
 */
export function argumentsMayStallLoops(keys: readonly string[], args: readonly string[]): boolean {
  for (let i = 0; i < keys.length; i++) if (stallsLoop(keys[i] as string)) return true;
  for (let i = 0; i < args.length; i++) if (stallsLoop(args[i] as string)) return true;
  return false;
}

/** Whether `value`'s first char after white space may start a number: a digit, a sign, a dot, or i/n of inf and nan. */
function mayStartNumber(value: string): boolean {
  let i = 0;
  while (i < value.length && (value.charCodeAt(i) === 32 || (value.charCodeAt(i) >= 9 && value.charCodeAt(i) <= 13))) i++;
  const c = value.charCodeAt(i);
  return (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || (c | 0x20) === 0x69 || (c | 0x20) === 0x6e;
}

/** Whether `value` holds a letter of inf, nan or an exponent (e, p), either case. */
function hasNumberLetter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i) | 0x20;
    if (c === 0x65 || c === 0x69 || c === 0x6e || c === 0x70) return true;
  }
  return false;
}

/** Whether `value` reads in Lua 5.1 (tonumber: C's strtod over the C string, spaces around it allowed) as infinite, NaN, or from 2^52 on. */
function stallsLoop(value: string): boolean {
  if (value.length < 3) return false;
  // Most values are short: under 16 chars, with no letter of inf, nan or an exponent, nothing
  // reaches 2^52 (15 decimal digits, or 0x and 13 hex digits, stay below it).
  if (value.length < 16 && !hasNumberLetter(value)) return false;
  if (!mayStartNumber(value)) return false;
  const nul = value.indexOf('\0');
  const text = (nul < 0 ? value : value.slice(0, nul)).replace(TRAILING_SPACE, '');
  const number = parseStrtod(text);
  if (number !== null) return !(Math.abs(number) < STALLING);
  const start = text.replace(/^[ \t\n\v\f\r]+/, '');
  return NAN.test(start) || HEX_EXPONENT.test(start);
}

/**
 * Whether the `for` at `at` ends, as mayRunForever reads it: numeric up to a finite limit, or
 * generic over pairs/ipairs/next/gmatch or a call of a function the script defines. `infinity`:
 * the script may make an infinite value somewhere (mentionsInfinity).
 */
function endingFor(tokens: readonly Token[], at: number, defined: Set<string>, declared: Set<string>, infinity: boolean): boolean {
  if (tokens[at + 2]?.text === '=') {
    const header = numericForHeader(tokens, at);
    // A limit computed from a value the script may make infinite (local INF = math.huge): `infinity`.
    return header === FIXED || (header === COMPUTED && !infinity);
  }

  let i = at + 1;
  while (i < tokens.length && (tokens[i] as Token).text !== 'in') i++;
  const chain = nameChain(tokens, i + 1);
  if (chain === null) return false;
  const first = chain.names[0] as string;
  if (first === 'next' && !declared.has('next') && chain.names.length === 1 && tokens[chain.end]?.text === ',') return true;
  if (afterArguments(tokens, chain.end) < 0) return false;
  const last = chain.names[chain.names.length - 1] as string;
  if (chain.names.length === 1 && (first === 'pairs' || first === 'ipairs') && !declared.has(first)) return true;
  // s:gmatch(p) is the string method, unless the script has a gmatch of its own.
  if (last === 'gmatch' && !defined.has('gmatch') && !declared.has('gmatch') && (tokens[chain.end - 2]?.text === ':' || (chain.names.length === 2 && first === 'string' && !declared.has('string')))) {
    return true;
  }
  return !chain.indexed && defined.has(last) && !(LIBRARIES.has(first) && chain.names.length > 1);
}

/** A function of the script: its name (null when it has none), its body's tokens, and whether it may be called through another name. */
interface FunctionBody {
  name: string | null;
  start: number;
  end: number;
  escapes: boolean;
  /** Its place in the script's list of functions (which is in the order they start). */
  index: number;
}

/**
 * The script's functions, or null when one is stored under a computed key (`t[k] = function`),
 * which could be called by any name. A function escapes (may be called through a name other
 * than its own) when it has no name, is stored by assignment or in a table, or its name is
 * used other than in a call.
 */
function functionBodies(tokens: readonly Token[]): FunctionBody[] | null {
  const bodies: FunctionBody[] = [];
  const headers = new Set<number>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'keyword' || t.text !== 'function') continue;
    const named = functionName(tokens, i);
    if (named === undefined) return null;
    let start = i + 1;
    // `function a.b:c(…)` names itself before its parameters: the header is no use of the name.
    while (start < tokens.length && (tokens[start] as Token).text !== '(') headers.add(start++);
    bodies.push({ name: named?.name ?? null, start, end: blockEnd(tokens, i), escapes: named === null || named.assigned, index: bodies.length });
  }
  const byName = new Map<string, FunctionBody[]>();
  for (const body of bodies) {
    if (body.name === null) continue;
    const named = byName.get(body.name);
    if (named === undefined) byName.set(body.name, [body]);
    else named.push(body);
  }
  const passedOn = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'name' || headers.has(i) || passedOn.has(t.text) || !byName.has(t.text)) continue;
    // Called right there (`f(…)`, `a.f(…)`, `a:f'…'`): not passed on.
    if (afterArguments(tokens, i + 1) < 0) passedOn.add(t.text);
  }
  for (const name of passedOn) for (const body of byName.get(name) as FunctionBody[]) body.escapes = true;
  return bodies;
}

/**
 * Whether the script's functions may tail-call each other in a cycle. A tail call of a name
 * the script defines a function under (as a variable, a field or a method) calls that
 * function; one of a library function, a local alias of one (`local rcall = redis.call`) or
 * a global function calls none of the script's; any other (a parameter, an alias, `t[k](…)`,
 * `(f)(…)`, `f(x)(y)`) may call any function that escapes.
 */
function mayRecurse(tokens: readonly Token[], bodies: FunctionBody[], defined: Set<string>, declared: Set<string>): boolean {
  if (bodies.length === 0) return false;
  const bindings = bindingCounts(tokens);
  const aliases = libraryAliases(tokens, declared, bindings);
  // Node `bodies.length` stands for "any function that escapes": a call that may reach any of
  // them leads there, and it leads to each of them; one node more for each name leads to the
  // functions of that name (one edge each, however many calls).
  const anyEscaping = bodies.length;
  const edges: number[][] = bodies.map(() => []);
  edges.push(bodies.filter((body) => body.escapes).map((body) => body.index));
  const nameNodes = new Map<string, number>();
  for (const body of bodies) {
    if (body.name === null) continue;
    let node = nameNodes.get(body.name);
    if (node === undefined) {
      node = edges.length;
      nameNodes.set(body.name, node);
      edges.push([]);
    }
    (edges[node] as number[]).push(body.index);
  }
  // The functions whose bodies hold the token at i, innermost last (bodies are in start order).
  const open: FunctionBody[] = [];
  let next = 0;
  for (let i = 0; i < tokens.length; i++) {
    while (open.length !== 0 && i >= (open[open.length - 1] as FunctionBody).end) open.pop();
    while (next < bodies.length && (bodies[next] as FunctionBody).start <= i) open.push(bodies[next++] as FunctionBody);
    if ((tokens[i] as Token).text !== 'return') continue;
    const caller = open[open.length - 1];
    if (caller === undefined) continue;
    const callee = tailCallee(tokens, i);
    if (callee === null) continue;
    const out = edges[caller.index] as number[];
    if (callee === UNKNOWN_CALLEE) {
      out.push(anyEscaping);
      continue;
    }
    const first = callee[0] as string;
    const last = callee[callee.length - 1] as string;
    if (defined.has(last) && !(callee.length > 1 && LIBRARIES.has(first) && !declared.has(first))) {
      out.push(nameNodes.get(last) as number);
      // The name may hold another function by then (a parameter, a local, an assignment).
      if ((bindings.get(last) ?? 0) !== 0) out.push(anyEscaping);
    } else if (callee.length > 1 ? LIBRARIES.has(first) && !declared.has(first) : aliases.has(first) || (GLOBAL_FUNCTIONS.has(first) && !declared.has(first))) {
      continue;
    } else {
      out.push(anyEscaping);
    }
  }
  return hasCycle(edges.length, edges);
}

/**
 * Whether a graph of `count` nodes (edges[n]: the nodes n leads to) has a cycle: a depth-first
 * walk with a stack of its own (a script may chain thousands of functions), where a node met
 * again while still on the path closes one.
 */
function hasCycle(count: number, edges: readonly number[][]): boolean {
  const ON_PATH = 1;
  const DONE = 2;
  const state = new Uint8Array(count);
  const path: number[] = [];
  const nextEdge: number[] = [];
  for (let root = 0; root < count; root++) {
    if (state[root] !== 0) continue;
    state[root] = ON_PATH;
    path.push(root);
    nextEdge.push(0);
    while (path.length !== 0) {
      const top = path.length - 1;
      const node = path[top] as number;
      const out = edges[node] as number[];
      const k = nextEdge[top] as number;
      if (k === out.length) {
        state[node] = DONE;
        path.pop();
        nextEdge.pop();
        continue;
      }
      nextEdge[top] = k + 1;
      const to = out[k] as number;
      if (state[to] === ON_PATH) return true;
      if (state[to] === 0) {
        state[to] = ON_PATH;
        path.push(to);
        nextEdge.push(0);
      }
    }
  }
  return false;
}

/** Locals that only ever hold a library function: `local rcall = redis.call`. */
function libraryAliases(tokens: readonly Token[], declared: Set<string>, bindings: Map<string, number>): Set<string> {
  const aliases = new Set<string>();
  const reassigned = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'name' || tokens[i + 1]?.text !== '=' || tokens[i + 2]?.text === '=') continue;
    const chain = nameChain(tokens, i + 2);
    const isLocal = tokens[i - 1]?.text === 'local';
    const value = chain !== null && !chain.indexed && chain.names.length > 1 && LIBRARIES.has(chain.names[0] as string) && !declared.has(chain.names[0] as string);
    const single = isLocal && tokens[chain?.end ?? i + 3]?.kind !== 'symbol';
    if (value && single && !aliases.has(t.text)) aliases.add(t.text);
    else reassigned.add(t.text);
  }
  for (const name of reassigned) aliases.delete(name);
  // Bound again elsewhere (a parameter, another local): not always the library function.
  for (const name of aliases) if ((bindings.get(name) ?? 0) > 1) aliases.delete(name);
  return aliases;
}

/**
 * How many times each name is bound other than as a function's own name: declared local (but
 * `local function f`), a parameter, a loop variable, or assigned (the last name of each target,
 * `o.run = …` counts for run; table keys too).
 */
function bindingCounts(tokens: readonly Token[]): Map<string, number> {
  const counts = new Map<string, number>();
  const bind = (name: string): void => {
    counts.set(name, (counts.get(name) ?? 0) + 1);
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'keyword' && (t.text === 'local' || t.text === 'for') && tokens[i + 1]?.text !== 'function') {
      for (let j = i + 1; j < tokens.length && ((tokens[j] as Token).kind === 'name' || (tokens[j] as Token).text === ','); j++) {
        if ((tokens[j] as Token).kind === 'name') bind((tokens[j] as Token).text);
      }
    } else if (t.kind === 'keyword' && t.text === 'function') {
      let j = i + 1;
      while (j < tokens.length && (tokens[j] as Token).text !== '(') j++;
      for (j++; j < tokens.length && (tokens[j] as Token).text !== ')'; j++) if ((tokens[j] as Token).kind === 'name') bind((tokens[j] as Token).text);
    } else if (t.text === '=' && tokens[i + 1]?.text !== 'function') {
      // Each target before it: `a, b.c, d = …` binds a, c and d (a local declaration's are counted above).
      const targets: string[] = [];
      let j = i - 1;
      while (j >= 0) {
        const target = tokens[j] as Token;
        if (target.kind !== 'name') break;
        targets.push(target.text);
        while (j >= 2 && ((tokens[j - 1] as Token).text === '.' || (tokens[j - 1] as Token).text === ':') && (tokens[j - 2] as Token).kind === 'name') j -= 2;
        if (tokens[j - 1]?.text !== ',') break;
        j -= 2;
      }
      if (tokens[j - 1]?.text !== 'local') for (const name of targets) bind(name);
    }
  }
  return counts;
}

/** What `return` at `at` tail-calls: the callee's chain of names, UNKNOWN_CALLEE for another callee, null when it returns no single call. */
const UNKNOWN_CALLEE: readonly string[] = [];
function tailCallee(tokens: readonly Token[], at: number): readonly string[] | null {
  // The returned expression: up to the end of its block, at bracket depth 0.
  let end = at + 1;
  let operator = false;
  while (end < tokens.length) {
    const t = tokens[end] as Token;
    if (t.text === ';' || (t.kind === 'keyword' && BLOCK_END.has(t.text))) break;
    if (t.text === '(' || t.text === '{' || t.text === '[') {
      end = afterBracket(tokens, end);
      continue;
    }
    if (OPERATORS.has(t.text) || t.text === 'function') operator = true;
    end++;
  }
  if (operator || end === at + 1) return null;
  // A call: the expression ends with call arguments.
  const last = tokens[end - 1] as Token;
  if (last.kind !== 'string' && last.text !== ')' && last.text !== '}') return null;
  const chain = nameChain(tokens, at + 1);
  if (chain !== null && !chain.indexed && afterArguments(tokens, chain.end) === end) return chain.names;
  // `(f)(…)`, `t[k](…)`, `f(x)(y)`, or a parenthesised expression: a call unless it is only brackets.
  if (tokens[at + 1]?.text === '(' && afterBracket(tokens, at + 1) === end) return null;
  if (tokens[at + 1]?.text === '{' && afterBracket(tokens, at + 1) === end) return null;
  if (last.kind === 'string' && end === at + 2) return null;
  return UNKNOWN_CALLEE;
}

/**
 * How the function whose keyword is at `at` is named: `local function c`, `local c = function`,
 * `function c`, `function a.b:c`, `c = function` and `{c = function` all give 'c'; all but the
 * first two are `assigned`: stored where another name may reach it (a global is also _G.c).
 * Null for a function with no name (an argument, a return value, one of several values);
 * undefined when it is stored under a computed key.
 */
function functionName(tokens: readonly Token[], at: number): { name: string; assigned: boolean } | null | undefined {
  const next = tokens[at + 1];
  if (next !== undefined && next.kind === 'name') {
    let j = at + 1;
    while ((tokens[j + 1]?.text === '.' || tokens[j + 1]?.text === ':') && tokens[j + 2]?.kind === 'name') j += 2;
    // A global function (`function f`) can also be reached as _G.f or _G['f'].
    return { name: (tokens[j] as Token).text, assigned: j !== at + 1 || tokens[at - 1]?.text !== 'local' };
  }
  if (tokens[at - 1]?.text !== '=') return null;
  const target = tokens[at - 2];
  if (target === undefined) return null;
  if (target.text === ']') return undefined;
  if (target.kind !== 'name') return null;
  // One of several targets (`a, b = …`): the function may be any one's value.
  if (tokens[at - 3]?.text === ',') return null;
  return { name: target.text, assigned: tokens[at - 3]?.text !== 'local' };
}

/** The index of the `end` closing the block opened by the keyword at `at` (tokens.length if none). */
function blockEnd(tokens: readonly Token[], at: number): number {
  let depth = 0;
  for (let i = at; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'keyword') continue;
    if (t.text === 'function' || t.text === 'if' || t.text === 'do') depth++;
    else if (t.text === 'end' && --depth === 0) return i;
  }
  return tokens.length;
}
