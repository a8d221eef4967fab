import { describe, expect, it } from 'vitest';
import { CommandFeed, PROPAGATE_ALL, PROPAGATE_AOF, PROPAGATE_REPL, Propagation } from '../../src/commands/core/propagate.js';

type Entry = [number, string[], number];

function recorder(propagation: Propagation): Entry[] {
  const entries: Entry[] = [];
  propagation.subscribe((db, argv, target) => entries.push([db, [...argv], target]));
  return entries;
}

/** What `call` does around one command: `dirty` before and after, the handler in between. */
function callCommand(p: Propagation, db: number, argv: string[], changes: number, handler: () => void = () => {}, name = argv[0]?.toLowerCase() ?? ''): void {
  const server = { dirty: 0 };
  p.enterCall(server.dirty);
  handler();
  server.dirty += changes;
  p.exitCall(db, argv, server.dirty, name, name === 'exec');
}

describe('Propagation', () => {
  it("masks the targets of a called command's entry (a script's redis.set_repl), leaving the rest of the unit alone", () => {
    const p = new Propagation();
    const entries = recorder(p);
    callCommand(p, 0, ['EVAL'], 3, () => {
      p.prevent();
      p.targetMask = PROPAGATE_AOF;
      callCommand(p, 0, ['SET', 'a', '1'], 1);
      p.targetMask = PROPAGATE_ALL;
      callCommand(p, 0, ['SET', 'b', '1'], 1);
      p.targetMask = 0;
      callCommand(p, 0, ['SET', 'c', '1'], 1);
      p.targetMask = PROPAGATE_ALL;
    });
    expect(entries).toEqual([
      [0, ['MULTI'], PROPAGATE_ALL],
      [0, ['SET', 'a', '1'], PROPAGATE_AOF],
      [0, ['SET', 'b', '1'], PROPAGATE_ALL],
      [0, ['EXEC'], PROPAGATE_ALL],
    ]);
  });

  it('collects no entry that no listener wants, as Redis propagates nothing to replicas it does not have', () => {
    const p = new Propagation();
    const entries: Entry[] = [];
    p.subscribe((db, argv, target) => entries.push([db, [...argv], target]), PROPAGATE_AOF);
    callCommand(p, 0, ['EVAL'], 2, () => {
      p.prevent();
      p.targetMask = PROPAGATE_AOF;
      callCommand(p, 0, ['SET', 'a', '1'], 1);
      p.targetMask = PROPAGATE_REPL;
      callCommand(p, 0, ['SET', 'b', '1'], 1);
      p.targetMask = PROPAGATE_ALL;
    });
    // Only one entry is left in the unit: no MULTI/EXEC around it.
    expect(entries).toEqual([[0, ['SET', 'a', '1'], PROPAGATE_AOF]]);
  });

  it('is inactive and collects nothing while nobody subscribes', () => {
    const p = new Propagation();
    expect(p.active).toBe(false);
    callCommand(p, 0, ['SET', 'k', 'v'], 1, () => p.also(0, ['DEL', 'x']));
    const entries = recorder(p);
    callCommand(p, 0, ['GET', 'k'], 0);
    expect(entries).toEqual([]);
  });

  it('emits a command that changed something, with its database, and not one that did not', () => {
    const p = new Propagation();
    const entries = recorder(p);
    callCommand(p, 3, ['SET', 'k', 'v'], 1);
    callCommand(p, 3, ['GET', 'k'], 0);
    expect(entries).toEqual([[3, ['SET', 'k', 'v'], PROPAGATE_ALL]]);
  });

  it('emits what the handler rewrote the command to, only for that command', () => {
    const p = new Propagation();
    const entries = recorder(p);
    callCommand(p, 0, ['SETEX', 'k', '10', 'v'], 1, () => p.rewrite(['SET', 'k', 'v', 'PXAT', '123']));
    callCommand(p, 0, ['SET', 'k', 'w'], 1);
    expect(entries.map((e) => e[1])).toEqual([['SET', 'k', 'v', 'PXAT', '123'], ['SET', 'k', 'w']]);
  });

  it('wraps a unit of several entries in MULTI/EXEC: MULTI in the first one\'s database, EXEC in the last one\'s', () => {
    const p = new Propagation();
    const entries = recorder(p);
    callCommand(p, 0, ['EXEC'], 2, () => {
      callCommand(p, 0, ['SET', 'a', '1'], 1);
      callCommand(p, 2, ['GET', 'a'], 0);
      callCommand(p, 2, ['SET', 'b', '1'], 1, () => p.rewrite(['SET', 'b', '2']));
    });
    expect(entries).toEqual([
      [0, ['MULTI'], PROPAGATE_ALL],
      [0, ['SET', 'a', '1'], PROPAGATE_ALL],
      [2, ['SET', 'b', '2'], PROPAGATE_ALL],
      [2, ['EXEC'], PROPAGATE_ALL],
    ]);
  });

  it('emits a transaction with one write as that write alone, and one with none as nothing', () => {
    const p = new Propagation();
    const entries = recorder(p);
    callCommand(p, 0, ['EXEC'], 1, () => {
      callCommand(p, 0, ['GET', 'a'], 0);
      callCommand(p, 0, ['INCR', 'a'], 1);
    });
    callCommand(p, 0, ['EXEC'], 0, () => callCommand(p, 0, ['GET', 'a'], 0));
    expect(entries).toEqual([[0, ['INCR', 'a'], PROPAGATE_ALL]]);
  });

  it('deletes an expired key with DEL, or UNLINK under lazyfree-lazy-expire, unless told which', () => {
    const p = new Propagation();
    const entries = recorder(p);
    expect(p.deletionArgv('k')).toEqual(['DEL', 'k']);
    p.deletion(0, 'a');
    p.lazyExpire = true;
    expect(p.deletionArgv('k')).toEqual(['UNLINK', 'k']);
    expect(p.deletionArgv('k', false)).toEqual(['DEL', 'k']);
    p.deletion(0, 'b');
    p.deletion(0, 'c', false);
    expect(entries.map((e) => e[1].join(' '))).toEqual(['DEL a', 'UNLINK b', 'DEL c']);
  });

  it('puts what a command adds before its own entry; prevent keeps only the additions', () => {
    const p = new Propagation();
    const entries = recorder(p);
    callCommand(p, 1, ['SET', 'k', 'v'], 1, () => p.deletion(1, 'k', false));
    callCommand(p, 1, ['SPOP', 's', '2'], 2, () => {
      p.prevent();
      p.also(1, ['SREM', 's', 'a']);
      p.also(1, ['SREM', 's', 'b']);
    });
    callCommand(p, 1, ['GET', 'gone'], 0, () => p.deletion(1, 'gone', true));
    expect(entries.map((e) => e[1].join(' '))).toEqual([
      'MULTI', 'DEL k', 'SET k v', 'EXEC',
      'MULTI', 'SREM s a', 'SREM s b', 'EXEC',
      'UNLINK gone',
    ]);
  });

  it('forces a command that changed nothing, to the targets asked for', () => {
    const p = new Propagation();
    const entries = recorder(p);
    callCommand(p, 0, ['FLUSHDB'], 0, () => p.force());
    callCommand(p, 0, ['PUBLISH', 'c', 'm'], 0, () => p.force(PROPAGATE_REPL));
    callCommand(p, 0, ['MULTI'], 0);
    expect(entries).toEqual([[0, ['FLUSHDB'], PROPAGATE_ALL], [0, ['PUBLISH', 'c', 'm'], PROPAGATE_REPL]]);
  });

  it('gives MULTI and EXEC the targets of what they wrap', () => {
    const p = new Propagation();
    const entries = recorder(p);
    callCommand(p, 0, ['EXEC'], 0, () => {
      callCommand(p, 0, ['PUBLISH', 'c', 'm'], 0, () => p.force(PROPAGATE_REPL));
      callCommand(p, 0, ['SPUBLISH', 'c', 'm'], 0, () => p.force(PROPAGATE_REPL));
    });
    expect(entries.every((e) => e[2] === PROPAGATE_REPL)).toBe(true);
    expect(entries.some((e) => (e[2] & PROPAGATE_AOF) !== 0)).toBe(false);
    expect(entries.length).toBe(4);
  });

  it('does not wrap the deletions of RANDOMKEY and SCAN', () => {
    const p = new Propagation();
    const entries = recorder(p);
    callCommand(p, 0, ['SCAN', '0'], 0, () => {
      p.deletion(0, 'a', false);
      p.deletion(0, 'b', false);
    }, 'scan');
    expect(entries.map((e) => e[1].join(' '))).toEqual(['DEL a', 'DEL b']);
  });

  it('emits at once, alone, outside any command (the active expiry cycle)', () => {
    const p = new Propagation();
    const entries = recorder(p);
    p.deletion(4, 'x', false);
    p.deletion(4, 'y', false);
    expect(entries).toEqual([[4, ['DEL', 'x'], PROPAGATE_ALL], [4, ['DEL', 'y'], PROPAGATE_ALL]]);
  });

  it('makes a unit of what a served blocked client emits', () => {
    const p = new Propagation();
    const entries = recorder(p);
    p.beginUnit();
    p.also(0, ['LMOVE', 'a', 'b', 'left', 'right']);
    expect(entries).toEqual([]);
    p.endUnit();
    p.beginUnit();
    p.deletion(0, 'c', false);
    p.also(0, ['LPOP', 'c']);
    p.endUnit();
    expect(entries.map((e) => e[1][0])).toEqual(['LMOVE', 'MULTI', 'DEL', 'LPOP', 'EXEC']);
  });

  it('stops emitting once the last listener leaves', () => {
    const p = new Propagation();
    const entries: string[][] = [];
    const stop = p.subscribe((_db, argv) => entries.push([...argv]));
    callCommand(p, 0, ['SET', 'k', 'v'], 1);
    stop();
    expect(p.active).toBe(false);
    callCommand(p, 0, ['SET', 'k', 'w'], 1);
    expect(entries).toEqual([['SET', 'k', 'v']]);
  });
});

describe('CommandFeed', () => {
  it('selects the database before the first entry and whenever it changes', () => {
    const out: string[] = [];
    const feed = new CommandFeed((argv) => out.push(argv.join(' ')));
    feed.push(0, ['SET', 'a', '1']);
    feed.push(0, ['SET', 'b', '1']);
    feed.push(2, ['MULTI']);
    feed.push(2, ['DEL', 'c']);
    feed.push(5, ['DEL', 'd']);
    feed.push(5, ['EXEC']);
    feed.reset();
    feed.push(5, ['DEL', 'e']);
    expect(out).toEqual(['SELECT 0', 'SET a 1', 'SET b 1', 'SELECT 2', 'MULTI', 'DEL c', 'SELECT 5', 'DEL d', 'EXEC', 'SELECT 5', 'DEL e']);
  });
});
