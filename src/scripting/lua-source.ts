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
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_]/.test(src[j] as string)) j++;
      const text = src.slice(i, j);
      out.push({ kind: KEYWORDS.has(text) ? 'keyword' : 'name', text, start: i, end: j });
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(src[j] as string)) {
        // An exponent's sign belongs to the number (1e-5).
        if ((src[j] === 'e' || src[j] === 'E') && (src[j + 1] === '-' || src[j + 1] === '+')) j++;
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

/** Calls that keep a script running until they return: code compiled at run time may loop. */
const RUN_TIME_CODE = new Set(['loadstring', 'load', 'setfenv', 'getfenv']);

/**
 * Whether the script may run for ever, by its tokens: a `while` or `repeat` loop, code compiled
 * at run time, a generic `for` whose iterator is not made by a call (`for x in f do`, a
 * function literal), or functions of its own that may call each other in a cycle (a tail call
 * recurses without end). What this reading takes as ending may still run long: a numeric `for`
 * (its count is fixed when it starts, however large), a generic one over pairs/ipairs, gmatch
 * or an iterator a function of the script makes (as long as that iterator ends), a table the
 * loop grows. A script that cannot be read (null) may run for ever.
 */
export function mayRunForever(tokens: readonly Token[] | null): boolean {
  if (tokens === null) return true;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'keyword') {
      if (t.text === 'while' || t.text === 'repeat') return true;
      if (t.text === 'for' && !endingFor(tokens, i)) return true;
    } else if (t.kind === 'name' && RUN_TIME_CODE.has(t.text)) {
      return true;
    }
  }
  return mayRecurse(tokens);
}

/** Whether the `for` at `at` is numeric, or generic over an iterator a call makes (`in pairs(t)`, `in s:gmatch(p)`, `in next, t`). */
function endingFor(tokens: readonly Token[], at: number): boolean {
  if (tokens[at + 2]?.text === '=') return true;
  let i = at + 1;
  while (i < tokens.length && (tokens[i] as Token).text !== 'in') i++;
  const first = tokens[i + 1];
  if (first?.kind !== 'name') return false;
  if (first.text === 'next' && tokens[i + 2]?.text === ',') return true;
  // A name, or a chain of fields, indexes and one method, called.
  let j = i + 1;
  for (;;) {
    const next = tokens[j + 1]?.text;
    if ((next === '.' || next === ':') && tokens[j + 2]?.kind === 'name') {
      j += 2;
    } else if (next === '[') {
      let depth = 0;
      let k = j + 1;
      for (; k < tokens.length; k++) {
        const u = (tokens[k] as Token).text;
        if (u === '[') depth++;
        else if (u === ']' && --depth === 0) break;
      }
      j = k;
    } else {
      break;
    }
  }
  return tokens[j + 1]?.text === '(';
}

/**
 * Whether functions the script defines may call each other in a cycle of tail calls (one tail
 * calling itself included): `return f(…)` reuses the caller's stack frame, so such a cycle can
 * go on for ever, where other recursion ends on Lua's stack limit. A tail call of a name, or of
 * a field or method of that name, calls the function defined under it, as far as this reading
 * goes. A function stored under a computed key (`t[k] = function`) could be called by any name:
 * it counts as a cycle.
 */
function mayRecurse(tokens: readonly Token[]): boolean {
  const bodies: { name: string; start: number; end: number }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'keyword' || t.text !== 'function') continue;
    const name = functionName(tokens, i);
    if (name === undefined) return true;
    if (name !== null) bodies.push({ name, start: i + 1, end: blockEnd(tokens, i) });
  }
  if (bodies.length === 0) return false;
  const defined = new Set(bodies.map((body) => body.name));
  const calls = new Map<string, Set<string>>();
  for (const body of bodies) {
    const named = calls.get(body.name) ?? new Set<string>();
    calls.set(body.name, named);
    for (let j = body.start; j < body.end; j++) {
      if ((tokens[j] as Token).text !== 'return') continue;
      const callee = tailCallee(tokens, j);
      if (callee !== null && defined.has(callee)) named.add(callee);
    }
  }
  // A depth-first walk: a name met again while still on the path closes a cycle.
  const state = new Map<string, 1 | 2>();
  const visit = (name: string): boolean => {
    const seen = state.get(name);
    if (seen === 1) return true;
    if (seen === 2) return false;
    state.set(name, 1);
    for (const next of calls.get(name) ?? []) if (visit(next)) return true;
    state.set(name, 2);
    return false;
  };
  for (const name of defined) if (visit(name)) return true;
  return false;
}

/**
 * The name `return` at `at` tail-calls (`return f(…)`, `return a.b:f{…}`, `return f'…'`: 'f'):
 * the call is all that is returned. Null when it returns anything else.
 */
function tailCallee(tokens: readonly Token[], at: number): string | null {
  let j = at + 1;
  if (tokens[j]?.kind !== 'name') return null;
  while ((tokens[j + 1]?.text === '.' || tokens[j + 1]?.text === ':') && tokens[j + 2]?.kind === 'name') j += 2;
  const name = (tokens[j] as Token).text;
  const open = tokens[j + 1];
  let after: number;
  if (open?.kind === 'string') {
    after = j + 2;
  } else if (open?.text === '(' || open?.text === '{') {
    const close = open.text === '(' ? ')' : '}';
    let depth = 0;
    let k = j + 1;
    for (; k < tokens.length; k++) {
      const u = (tokens[k] as Token).text;
      if (u === open.text) depth++;
      else if (u === close && --depth === 0) break;
    }
    after = k + 1;
  } else {
    return null;
  }
  const next = tokens[after];
  return next === undefined || next.text === ';' || (next.kind === 'keyword' && BLOCK_END.has(next.text)) ? name : null;
}

/**
 * The name the function whose keyword is at `at` is defined under: `function a.b:c` and
 * `local function c` give 'c', `c = function` and `{c = function` give 'c'; null for a function
 * with no name (an argument, a return value); undefined when it is stored under a computed key.
 */
function functionName(tokens: readonly Token[], at: number): string | null | undefined {
  const next = tokens[at + 1];
  if (next !== undefined && next.kind === 'name') {
    let j = at + 1;
    while ((tokens[j + 1]?.text === '.' || tokens[j + 1]?.text === ':') && tokens[j + 2]?.kind === 'name') j += 2;
    return (tokens[j] as Token).text;
  }
  const before = tokens[at - 1];
  if (before?.text !== '=') return null;
  const target = tokens[at - 2];
  if (target === undefined) return null;
  if (target.kind === 'name') return target.text;
  return target.text === ']' ? undefined : null;
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
