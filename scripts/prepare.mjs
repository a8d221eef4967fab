// npm runs this (the `prepare` script) on `npm install` in a clone and when it installs nodis
// from git or packs it: it writes the type declarations in dist/ that TypeScript needs for
// `import … from 'nodis'`. Running nodis needs no build (index.js runs the sources through tsx),
// so an install without the dev dependencies (`npm ci --omit=dev`, NODE_ENV=production) skips
// this step instead of failing for want of the TypeScript compiler.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  console.log('nodis: TypeScript is not installed (no dev dependencies), so no type declarations are written');
  process.exit(0);
}
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
process.exit(build.status ?? 1);
