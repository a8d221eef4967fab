// The entry point of `import { startServer } from 'nodis'`. Like bin/nodis-server, it runs the
// TypeScript sources through tsx (a dependency), so a clone, a linked checkout and an install
// from git all work without a build step, and never run stale compiled code. The declarations in
// dist/ (`npm run build`, run by `prepare`) only serve TypeScript's type checking.
import { tsImport } from 'tsx/esm/api';

const nodis = await tsImport('./src/index.ts', import.meta.url);

// The runtime exports of src/index.ts (test/integration/package.test.ts checks they agree).
export const { startServer, startWithConfig, applyOptions, Config, NodisServer, StartupRefused, LoadingInterrupted } = nodis;
