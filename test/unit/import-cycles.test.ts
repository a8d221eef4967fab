import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Block comments, and whole-line `//` comments, so that code quoted in comments is not read as imports. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/**
 * The files of ours a file imports statically: `import … from`, `import type … from`,
 * `export … from` and side-effect `import '…'`, each resolved from .js to its .ts source.
 */
function importsOf(file: string, text: string): string[] {
  const found: string[] = [];
  const statement = /(?:^|[;\n])\s*(?:import|export)\s+(?:[^;'"]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const match of withoutComments(text).matchAll(statement)) {
    const target = resolve(dirname(file), (match[1] as string).replace(/\.js$/, '.ts'));
    if (existsSync(target)) found.push(target);
  }
  return found;
}

/** The import cycles of a graph: each strongly connected group of files, as one cycle through it. */
function cycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) groups.push(group);
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  // One concrete cycle per group, found by a search that stays inside the group.
  return groups.map((group) => {
    const members = new Set(group);
    const start = [...group].sort()[0] as string;
    const path = [start];
    const seen = new Set<string>();
    const walk = (v: string): boolean => {
      for (const w of graph.get(v) ?? []) {
        if (w === start) return true;
        if (!members.has(w) || seen.has(w)) continue;
        seen.add(w);
        path.push(w);
        if (walk(w)) return true;
        path.pop();
      }
      return false;
    };
    walk(start);
    return [...path, start];
  });
}

describe('imports', () => {
  it('finds static imports of every form, and none in comments', () => {
    const file = join(SRC, 'commands/core/x.ts');
    const text = [
      "import { a } from './context.js';",
      "import type { B } from './registry.js';",
      "import {\n  c,\n  type D,\n} from './checks.js';",
      "export type { E } from './blocking.js';",
      "export * from './dispatch.js';",
      "import './propagate.js';",
      "// import { f } from './keyspecs.js';",
      "/* import { g } from './help.js'; */",
      "const h = await import('./categories.js');",
    ].join('\n');
    const names = importsOf(file, text).map((f) => relative(SRC, f));
    expect(names).toEqual(['commands/core/context.ts', 'commands/core/registry.ts', 'commands/core/checks.ts', 'commands/core/blocking.ts', 'commands/core/dispatch.ts', 'commands/core/propagate.ts']);
  });

  it('form no cycle in src/, type-only imports included (DESIGN.md)', () => {
    const graph = new Map<string, string[]>();
    for (const file of sourceFiles(SRC)) graph.set(file, importsOf(file, readFileSync(file, 'utf8')));
    const found = cycles(graph).map((cycle) => cycle.map((f) => relative(SRC, f)).join(' -> '));
    expect(found).toEqual([]);
  });
});
