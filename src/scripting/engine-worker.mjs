// The script worker's entry (worker-engine.ts starts it): the TypeScript sources run through
// tsx, as bin/nodis-server runs them.
import { register } from 'tsx/esm/api';

register();
await import('./engine-worker.ts');
