/**
 * math.random and math.randomseed against Redis 7.0: Redis's own generator (lrand48), one
 * sequence for the process from its start, shared by scripts and functions (and here by the
 * scripts run on the event loop and those run in the script worker), reset only by
 * math.randomseed (not by SCRIPT FLUSH), and the argument errors of Lua's math.random.
 *
 * A file of its own: the sequence is the process's, and the first draws are compared from a
 * fresh one (no other script of this file draws before).
 */
import { describe, it } from 'vitest';
import { oracleAvailable } from '../helpers/oracle.js';
import { differentialPair } from '../helpers/differential.js';

const hasOracle = oracleAvailable();

const evalStep = (script: string): string[] => ['EVAL', script, '0'];
/** Three draws of each form; the fraction through tostring (Lua's "%.14g"), as a reply would truncate it. */
const DRAWS = 'return {tostring(math.random()), math.random(100), math.random(5, 10)}';

describe.skipIf(!hasOracle)('differential: math.random', () => {
  const servers = differentialPair();

  it("draws Redis's sequence from the start, across scripts, functions and SCRIPT FLUSH, until randomseed", async () => {
    const library = "#!lua name=rnd\nredis.register_function('rnd', function() return {tostring(math.random()), math.random(7)} end)";
    await servers.same([
      evalStep(DRAWS),
      evalStep(DRAWS),
      ['FUNCTION', 'LOAD', library],
      ['FCALL', 'rnd', '0'],
      ['SCRIPT', 'FLUSH'],
      evalStep(DRAWS),
      // A script with a loop runs in the script worker: the same sequence goes on there.
      evalStep('local t = {} for i = 1, 5 do t[i] = math.random(1000) end return t'),
      evalStep(DRAWS),
      evalStep(`math.randomseed(42) ${DRAWS}`),
      evalStep(DRAWS),
      evalStep(`math.randomseed(42) ${DRAWS}`),
      evalStep('math.randomseed(-7) return tostring(math.random())'),
      evalStep('math.randomseed(3.9) local a = math.random(1000000) math.randomseed(3) return {a, math.random(1000000)}'),
      evalStep("math.randomseed('12') return math.random(1000000)"),
      evalStep('math.randomseed(2^32 + 5) local a = math.random(1000000) math.randomseed(5) return {a, math.random(1000000)}'),
      evalStep('return {math.random(-3, -1), math.random(-2.5, 2.5), math.random(2.9), math.random(1, 1)}'),
      ['FUNCTION', 'DELETE', 'rnd'],
    ]);
  });

  it('answers the argument errors of math.random and math.randomseed', async () => {
    await servers.same([
      evalStep('local x = math.random(0) return x'),
      evalStep('local x = math.random(5, 1) return x'),
      evalStep('\nlocal x = math.random(1, 2, 3) return x'),
      evalStep("local x = math.random('x') return x"),
      evalStep('local x = math.random(5, {}) return x'),
      evalStep("local x = math.random('3') return x"),
      evalStep('math.randomseed() return 1'),
      // Tail calls: Redis's functions are C functions, which leave the caller's line to the error.
      evalStep('return math.random(0)'),
      evalStep('\nreturn math.random(1, {2})'),
      evalStep("if true then return math.randomseed('x') end"),
      evalStep('return math.randomseed(1)'),
      evalStep('return math.random(math.random(1, 1), 1)'),
      evalStep('math.randomseed(nil) return 1'),
      evalStep('local ok, e = pcall(function() local x = math.random(0) end) return e'),
      evalStep('math.random = 1'),
      evalStep('math.randomseed = nil'),
      // The rest of math is as it was.
      evalStep('return {math.floor(math.pi), math.max(3, 9), type(math.random), type(math.randomseed)}'),
      // Called by pcall, Lua names the function '?'.
      evalStep("return {pcall(math.random, 'x')}"),
      evalStep("local r = math.random return {pcall(r, 1, 'x')}"),
      evalStep('return {pcall(math.random, 0)}'),
      evalStep('return {pcall(math.random, 2, 1)}'),
      evalStep('return {pcall(math.random, 1, 2, 3)}'),
      evalStep("return {pcall(math.randomseed, 'x')}"),
      evalStep('return {pcall(math.randomseed)}'),
      evalStep('return {pcall(math.random, 1, 1), pcall(math.randomseed, 5), math.random(1000)}'),
      evalStep('return {pcall(math.floor, 2.5)}'),
      // math lists, and rawget finds, all its functions; a field added, even through another name, is refused.
      evalStep('local t = {} for k in pairs(math) do t[#t + 1] = k end table.sort(t) return {math.random(3), t}'),
      evalStep('local n = 0 for k, v in next, math do n = n + 1 end return {n, math.random(3)}'),
      evalStep("return {type(rawget(math, 'random')), rawget(math, 'random') == math.random, math.random == math.random}"),
      evalStep('local m = math m.extra = 1 return math.random(3)'),
    ]);
  });
});
